//! `Host` is the only door to the outside world: environment variables, the clock, the
//! home directory, `PATH`, and whether the standard streams are terminals. Everything
//! else asks the `Host`, so tests (and replays) can fix every input.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::error::Error;

/// Options from the command line that shape the host.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    pub dry_run: bool,
    pub yes: bool,
    pub agent: Option<String>,
    pub openclaw_dir: Option<PathBuf>,
    /// `add-profile --create`: a missing OpenClaw state dir is started afresh instead of
    /// being an error.
    pub create_openclaw_dir: bool,
    /// The command prints one JSON document on stdout (`--json`): dry-run notes and
    /// diffs then go to stderr.
    pub json_output: bool,
    pub timeout: Option<Duration>,
    /// The command line, for the journal.
    pub command: String,
}

/// Where printed text goes: the real stdout, or a buffer in tests.
pub enum Sink {
    Stdout,
    Buffer(RefCell<String>),
}

pub struct Host {
    /// Root for user scripts (`scripts/`) and modules (`lib/`).
    pub config_dir: PathBuf,
    /// Root for state, the journal and backups.
    pub state_dir: PathBuf,
    pub openclaw_state_dir: PathBuf,
    /// Where `openclaw_state_dir` came from, for the error that names a missing one.
    pub openclaw_dir_origin: &'static str,
    /// See [`HostOptions::create_openclaw_dir`].
    pub create_openclaw_dir: bool,
    /// See [`HostOptions::json_output`].
    pub json_output: bool,
    pub openclaw_config_path: PathBuf,
    /// `OPENCLAW_AGENT_DIR` applies to the default agent only, as in OpenClaw.
    pub openclaw_agent_dir_override: Option<PathBuf>,
    pub codex_home: PathBuf,
    /// Where private temporary directories go (`TMPDIR`, else `/tmp`): the throw-away
    /// Codex homes of `codex_login`.
    pub tmp_dir: PathBuf,
    pub home: PathBuf,
    pub agent: String,
    pub dry_run: bool,
    pub yes: bool,
    pub timeout: Duration,
    pub started: Instant,
    /// Identifies this run in the journal: start time and process id.
    pub run_id: String,
    pub command: String,
    fixed_now: Cell<Option<DateTime<Utc>>>,
    /// `clawshift simulate`: the ChatGPT usage endpoint's answers by account id, given
    /// in place of the network (see `usage::read`).
    simulated_usage: RefCell<Option<BTreeMap<String, Vec<u8>>>>,
    path_var: Option<String>,
    openclaw_bin: Option<PathBuf>,
    codex_bin: Option<PathBuf>,
    vars: BTreeMap<String, String>,
    pub stdin_is_tty: bool,
    pub stderr_is_tty: bool,
    pub stdout_is_tty: bool,
    pub out: Sink,
    closed: Cell<bool>,
    /// Set once the run's deadline has been seen passed (by the script engine or by a
    /// primitive that refused to act): the run then ends with the timeout error.
    timed_out: Cell<bool>,
    /// While `undo` runs: the run being reverted, recorded on every change it makes.
    pub undoing: RefCell<Option<String>>,
    /// Set once this run has journaled a change to a file or row: a state file saved
    /// after that is journaled too, so `undo` of the run restores it with the rest.
    pub journaled: Cell<bool>,
}

/// The wall-clock budget for one run when `--timeout` is not given: long enough for an
/// interactive login, short enough that a runaway cron job cannot pile up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Host {
    /// Builds the host from the process environment. This is the only place that reads it.
    pub fn from_env(opts: HostOptions) -> Result<Host, Error> {
        let vars: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let home = dirs::home_dir().unwrap_or_else(|| PathBuf::from("/"));
        Host::from_parts(vars, home, opts, Streams::detect())
    }

    /// Builds a host from explicit parts; used by `from_env` and by tests.
    pub fn from_parts(
        vars: BTreeMap<String, String>,
        home: PathBuf,
        opts: HostOptions,
        streams: Streams,
    ) -> Result<Host, Error> {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        let home = get("HOME").map(PathBuf::from).unwrap_or(home);
        let (config_dir, state_dir) = match get("CLAWSHIFT_HOME") {
            Some(root) => (PathBuf::from(&root), PathBuf::from(root)),
            None => (
                get("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join(".config"))
                    .join("clawshift"),
                get("XDG_STATE_HOME")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| home.join(".local/state"))
                    .join("clawshift"),
            ),
        };
        let (openclaw_state_dir, openclaw_dir_origin) =
            match (opts.openclaw_dir.clone(), get("OPENCLAW_STATE_DIR")) {
                (Some(dir), _) => (dir, "--openclaw-dir"),
                (None, Some(dir)) => (PathBuf::from(dir), "OPENCLAW_STATE_DIR"),
                (None, None) => (home.join(".openclaw"), "the default, ~/.openclaw"),
            };
        let openclaw_config_path = get("OPENCLAW_CONFIG_PATH")
            .filter(|_| opts.openclaw_dir.is_none())
            .map(PathBuf::from)
            .unwrap_or_else(|| openclaw_state_dir.join("openclaw.json"));
        let fixed_now = match get("CLAWSHIFT_NOW") {
            Some(s) => Some(
                DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| {
                        Error::Usage(format!(
                            "CLAWSHIFT_NOW=`{s}` is not an RFC 3339 time ({e}); use e.g. 2026-11-25T12:00:00Z"
                        ))
                    })?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        crate::testhook::arm_from(&get);
        let agent = opts.agent.clone().unwrap_or_else(|| "main".to_string());
        if !valid_agent_id(&agent) {
            return Err(Error::Usage(format!(
                "--agent `{agent}` is not a valid OpenClaw agent id; use letters, digits, `-` and `_`"
            )));
        }
        let start = fixed_now.unwrap_or_else(Utc::now);
        let run_id = format!("{}-{}", start.format("%Y%m%dT%H%M%SZ"), std::process::id());
        Ok(Host {
            run_id,
            command: opts.command.clone(),
            config_dir,
            state_dir,
            openclaw_agent_dir_override: get("OPENCLAW_AGENT_DIR")
                .or_else(|| get("PI_CODING_AGENT_DIR"))
                .filter(|_| opts.openclaw_dir.is_none())
                .map(PathBuf::from),
            openclaw_state_dir,
            openclaw_dir_origin,
            create_openclaw_dir: opts.create_openclaw_dir,
            json_output: opts.json_output,
            openclaw_config_path,
            codex_home: get("CODEX_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".codex")),
            tmp_dir: get("TMPDIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp")),
            home,
            agent,
            dry_run: opts.dry_run,
            yes: opts.yes,
            timeout: opts.timeout.unwrap_or(DEFAULT_TIMEOUT),
            started: Instant::now(),
            fixed_now: Cell::new(fixed_now),
            simulated_usage: RefCell::new(None),
            path_var: get("PATH"),
            openclaw_bin: get("CLAWSHIFT_OPENCLAW_BIN").map(PathBuf::from),
            codex_bin: get("CLAWSHIFT_CODEX_BIN").map(PathBuf::from),
            stdin_is_tty: streams.stdin,
            stderr_is_tty: streams.stderr,
            stdout_is_tty: streams.stdout,
            vars,
            closed: Cell::new(false),
            timed_out: Cell::new(false),
            undoing: RefCell::new(None),
            journaled: Cell::new(false),
            out: if streams.capture {
                Sink::Buffer(RefCell::new(String::new()))
            } else {
                Sink::Stdout
            },
        })
    }

    /// A host for in-process tests: everything under `root`, a fixed clock, no terminal,
    /// output captured.
    pub fn for_test(root: &Path, now: &str) -> Host {
        let mut vars = BTreeMap::new();
        vars.insert(
            "CLAWSHIFT_HOME".into(),
            root.join("clawshift").display().to_string(),
        );
        vars.insert(
            "OPENCLAW_STATE_DIR".into(),
            root.join("openclaw").display().to_string(),
        );
        vars.insert(
            "CODEX_HOME".into(),
            root.join("codex").display().to_string(),
        );
        vars.insert("CLAWSHIFT_NOW".into(), now.to_string());
        vars.insert("PATH".into(), root.join("bin").display().to_string());
        let streams = Streams {
            capture: true,
            ..Streams::default()
        };
        match Host::from_parts(vars, root.to_path_buf(), HostOptions::default(), streams) {
            Ok(host) => host,
            Err(e) => panic!("test host: {e}"),
        }
    }

    /// The current time: `CLAWSHIFT_NOW` when set, otherwise the real clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.get().unwrap_or_else(Utc::now)
    }

    /// Moves a fixed clock to `ms`: `clawshift simulate` runs one host through
    /// simulated days.
    pub fn set_now(&self, ms: i64) {
        self.fixed_now
            .set(DateTime::<Utc>::from_timestamp_millis(ms).or(self.fixed_now.get()));
    }

    /// `clawshift simulate`: answers for the usage endpoint, by ChatGPT account id,
    /// used instead of the network while set.
    pub fn set_simulated_usage(&self, answers: Option<BTreeMap<String, Vec<u8>>>) {
        *self.simulated_usage.borrow_mut() = answers;
    }

    /// The simulated usage answer for `account_id`, when a simulation set them: `Some`
    /// of the body, or of why there is none.
    pub fn simulated_usage(&self, account_id: &str) -> Option<Result<Vec<u8>, String>> {
        self.simulated_usage.borrow().as_ref().map(|answers| {
            answers.get(account_id).cloned().ok_or_else(|| {
                format!("the simulated usage endpoint has no account `{account_id}`")
            })
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// The real clock, even when `CLAWSHIFT_NOW` is set: lock files are shared with
    /// OpenClaw, which judges their age on the wall clock, so they must be stamped and
    /// aged on it too.
    pub fn wall_clock(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// True when the clock is pinned by `CLAWSHIFT_NOW`.
    pub fn clock_is_fixed(&self) -> bool {
        self.fixed_now.get().is_some()
    }

    /// Reads one environment variable as the process saw it at start.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The environment to hand to child processes, as the process saw it at start.
    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    pub fn path_var(&self) -> Option<&str> {
        self.path_var.as_deref()
    }

    /// The `openclaw` executable: `CLAWSHIFT_OPENCLAW_BIN`, else `openclaw` on `PATH`.
    pub fn openclaw_bin(&self) -> Option<PathBuf> {
        self.find_bin(self.openclaw_bin.as_ref(), "openclaw")
    }

    /// The `codex` executable: `CLAWSHIFT_CODEX_BIN`, else `codex` on `PATH`.
    pub fn codex_bin(&self) -> Option<PathBuf> {
        self.find_bin(self.codex_bin.as_ref(), "codex")
    }

    /// A program by name on the `PATH` clawshift started with (`crontab`, a notify
    /// command); a name with a `/` is taken as a path.
    pub fn find_program(&self, name: &str) -> Option<PathBuf> {
        if name.contains('/') {
            return Some(PathBuf::from(name));
        }
        self.find_bin(None, name)
    }

    fn find_bin(&self, explicit: Option<&PathBuf>, name: &str) -> Option<PathBuf> {
        if let Some(p) = explicit {
            return Some(p.clone());
        }
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        which::which_in(name, self.path_var.as_deref(), cwd).ok()
    }

    /// This program's own absolute path, for the command lines `cron install` writes.
    pub fn current_exe(&self) -> Result<PathBuf, Error> {
        std::env::current_exe().map_err(|e| {
            Error::Failure(format!(
                "cannot find the path of the running clawshift binary: {e}"
            ))
        })
    }

    pub fn user_scripts_dir(&self) -> PathBuf {
        self.config_dir.join("scripts")
    }

    pub fn user_lib_dir(&self) -> PathBuf {
        self.config_dir.join("lib")
    }

    pub fn backups_dir(&self) -> PathBuf {
        self.state_dir.join("backups")
    }

    pub fn journal_path(&self) -> PathBuf {
        self.state_dir.join("journal.jsonl")
    }

    /// Time left before the run's wall-clock deadline.
    pub fn remaining(&self) -> Duration {
        self.timeout.saturating_sub(self.started.elapsed())
    }

    /// True once the deadline has passed (and remembers it: see [`Host::timed_out`]).
    pub fn past_deadline(&self) -> bool {
        if !self.timed_out.get() && self.started.elapsed() >= self.timeout {
            self.timed_out.set(true);
        }
        self.timed_out.get()
    }

    /// True once the deadline was seen passed, even if the error that said so was
    /// swallowed (Rhai's `sort`/`dedup` drop their comparator's errors).
    pub fn timed_out(&self) -> bool {
        self.timed_out.get()
    }

    /// The error every change and every wait gives once the deadline has passed.
    pub fn timeout_message(&self) -> String {
        format!(
            "timed out after {}s (limit set by --timeout)",
            self.timeout.as_secs()
        )
    }

    /// Refuses to start `what` (a change on disk, a notification, a child process) once
    /// the deadline has passed: a timed-out run changes nothing after its deadline.
    pub fn check_deadline(&self, what: &str) -> Result<(), Error> {
        if self.past_deadline() {
            return Err(Error::Failure(format!(
                "{}; refused to {what} after the deadline, nothing was changed. Fix: rerun with a larger `--timeout SECS`",
                self.timeout_message()
            )));
        }
        Ok(())
    }

    /// Writes one line of output. A closed pipe is not an error worth reporting: the
    /// reader has gone, so the caller should stop quietly.
    /// Every secret read in this run is masked (see `redact::mask`).
    pub fn println(&self, text: &str) -> Result<(), Error> {
        let text = &crate::redact::mask(text);
        match &self.out {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{text}")
                    .and_then(|_| out.flush())
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::BrokenPipe => {
                            self.closed.set(true);
                            Error::BrokenPipe
                        }
                        _ => Error::Failure(format!("cannot write to stdout: {e}")),
                    })
            }
            Sink::Buffer(buf) => {
                let mut b = buf.borrow_mut();
                b.push_str(text);
                b.push('\n');
                Ok(())
            }
        }
    }

    /// Prints a `--dry-run` note or diff line: on stdout, unless the command's stdout is
    /// one JSON document (`--json`), where a note would break it; then on stderr.
    pub fn dry_note(&self, text: &str) -> Result<(), Error> {
        if self.json_output {
            eprintln!("{}", crate::redact::mask(text));
            return Ok(());
        }
        self.println(text)
    }

    /// True once a write found stdout closed by its reader.
    pub fn stdout_closed(&self) -> bool {
        self.closed.get()
    }

    /// Everything printed so far, when output is captured (tests).
    pub fn captured(&self) -> String {
        match &self.out {
            Sink::Stdout => String::new(),
            Sink::Buffer(buf) => buf.borrow().clone(),
        }
    }

    /// Everything printed since the last call, when output is captured.
    pub fn take_captured(&self) -> String {
        match &self.out {
            Sink::Stdout => String::new(),
            Sink::Buffer(buf) => std::mem::take(&mut *buf.borrow_mut()),
        }
    }
}

/// Which standard streams are terminals, and whether output is captured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub capture: bool,
}

impl Streams {
    pub fn detect() -> Streams {
        Streams {
            stdin: std::io::stdin().is_terminal(),
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
            capture: false,
        }
    }
}

/// OpenClaw agent ids are path components; refuse anything that could climb out.
pub fn valid_agent_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
