//! `login(host, opts)`: one ChatGPT sign-in through `codex login`, isolated from the
//! user's Codex home.
//!
//! The login runs with `CODEX_HOME` set to a fresh private directory under the temp root
//! (`cslogin-<pid>-XXXXXX`, short because Codex puts socket paths under it), with the
//! environment variables that would change Codex's auth removed, and with the user's
//! terminal passed through so they see the link or device code. The wait is bounded;
//! Ctrl-C, SIGTERM, SIGHUP and the deadline stop Codex and delete the directory. The
//! directory is always deleted, never `codex logout`-ed: logout revokes the token.

use std::fs;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::auth::{self, Login};
use super::signals::{self, Deferred};
use crate::host::Host;
use crate::timefmt::human_duration;

/// How long a login may take when the caller does not say: Codex's device code lives
/// 15 minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Variables that would make the child use other credentials or endpoints than the
/// fresh login (reference `codex.md` §1, "Environment variables").
pub const SCRUBBED_ENV: &[&str] = &[
    "CODEX_API_KEY",
    "OPENAI_API_KEY",
    "CODEX_ACCESS_TOKEN",
    "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
    "CODEX_REVOKE_TOKEN_URL_OVERRIDE",
];

/// Temporary homes are named `cslogin-<pid>-<random>`; the pid lets a later run delete
/// the home of a run that was killed with `kill -9`.
pub const HOME_PREFIX: &str = "cslogin-";

#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    /// `codex login --device-auth`: a code to type on another device, no local browser.
    pub device_auth: bool,
    /// At most this long (default 15 minutes); never past the run's `--timeout`.
    pub timeout: Option<Duration>,
    /// Read this `auth.json` instead of logging in.
    pub from_auth_json: Option<PathBuf>,
}

/// Why a login did not produce tokens. `exit` is the process exit code it should lead
/// to: 1, or 128 + the signal for an interrupted login (130 for Ctrl-C), as a shell
/// would report it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginError {
    pub message: String,
    pub exit: u8,
}

impl From<String> for LoginError {
    fn from(message: String) -> Self {
        LoginError { message, exit: 1 }
    }
}

pub fn login(host: &Host, opts: &LoginOptions) -> Result<Login, LoginError> {
    if let Some(path) = &opts.from_auth_json {
        return import(host, path);
    }
    if !host.stdin_is_tty {
        return Err(
            "stdin is not a terminal: `codex login` needs you at a terminal to open its sign-in link or read its device code. \
             Run this from a terminal, or import an auth.json you already have with `from_auth_json` (`--from-auth-json FILE`)"
                .to_string()
                .into(),
        );
    }
    let bin = host.codex_bin().ok_or_else(missing_codex)?;
    let run_limit = host.remaining();
    let asked = opts.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let budget = asked.min(run_limit);
    let limit_hint = if run_limit < asked {
        "rerun with a longer `--timeout SECS` (e.g. `--timeout 900`)"
    } else {
        "pass a larger `timeout_secs`"
    };
    if budget.is_zero() {
        return Err(format!("no time left for a sign-in; {limit_hint}").into());
    }
    let home = TempHome::create(host)?;
    sweep_stale_homes(host, home.uid);
    let signals = Deferred::start()?;
    let result = run_codex(host, &bin, &home.path, opts.device_auth, budget, &signals)
        .map_err(|e| match e {
            Stop::Failed(m) => LoginError::from(m),
            Stop::TimedOut => LoginError::from(format!(
                "no sign-in within {}: stopped `codex login` and deleted its temporary home; nothing was changed. To allow more time, {limit_hint}",
                human_duration(i64::try_from(budget.as_millis()).unwrap_or(i64::MAX))
            )),
            Stop::Signal(sig) => interrupted(sig),
        })
        .and_then(|()| read_login(&home.path));
    let removed = home.remove();
    let caught = signals.caught();
    drop(signals);
    // Whatever happened, a signal that arrived means the user asked to stop.
    if let Some(sig) = caught {
        return Err(interrupted(sig));
    }
    let login = result?;
    removed?;
    Ok(login)
}

fn interrupted(sig: i32) -> LoginError {
    LoginError {
        message: format!(
            "cancelled by {}: stopped `codex login` and deleted its temporary home; nothing was changed",
            signals::describe(sig)
        ),
        exit: u8::try_from(128 + sig).unwrap_or(1),
    }
}

fn missing_codex() -> LoginError {
    "cannot find the Codex CLI: there is no `codex` on PATH and CLAWSHIFT_CODEX_BIN is not set. \
     Install Codex with `npm install -g @openai/codex` (needs Node.js), or set CLAWSHIFT_CODEX_BIN=/path/to/codex. \
     To import a login you already have instead, use `--from-auth-json FILE`"
        .to_string()
        .into()
}

/// Reads an existing `auth.json`. Importing the live one is allowed here (the caller
/// decides), but said loudly: its refresh token would then have two holders.
fn import(host: &Host, path: &Path) -> Result<Login, LoginError> {
    let bytes = crate::files::read_limited(path)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("cannot read `{}`: it does not exist", path.display()))?;
    let live = host.codex_home.join("auth.json");
    if same_file(path, &live) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "warning: `{}` is your live Codex login ({}). Importing it gives its refresh token two holders, \
             Codex and OpenClaw; refresh tokens are single-use, so whichever refreshes second is logged out \
             (`refresh_token_reused`). Sign in a separate session instead: `clawshift add-profile <name>` \
             logs in without touching your Codex home.",
            path.display(),
            live.display()
        );
    }
    Ok(auth::parse(&bytes, path)?)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

fn read_login(home: &Path) -> Result<Login, LoginError> {
    let path = home.join("auth.json");
    match crate::files::read_optional(&path) {
        Ok(Some(bytes)) => Ok(auth::parse(&bytes, Path::new("auth.json from codex login"))?),
        Ok(None) => Err(
            "`codex login` reported success but wrote no auth.json in its temporary home; a managed Codex \
             config (/etc/codex/…) may force keyring storage. Nothing was changed"
                .to_string()
                .into(),
        ),
        Err(e) => Err(format!("cannot read the auth.json `codex login` wrote: {e}").into()),
    }
}

enum Stop {
    Failed(String),
    TimedOut,
    Signal(i32),
}

fn run_codex(
    host: &Host,
    bin: &Path,
    home: &Path,
    device_auth: bool,
    budget: Duration,
    signals: &Deferred,
) -> Result<(), Stop> {
    let mut cmd = Command::new(bin);
    cmd.arg("login");
    if device_auth {
        cmd.arg("--device-auth");
    }
    cmd.args(["-c", "cli_auth_credentials_store=\"file\""])
        .env_clear()
        .envs(
            host.vars()
                .iter()
                .filter(|(k, _)| *k != "CODEX_HOME" && !SCRUBBED_ENV.contains(&k.as_str())),
        )
        .env("CODEX_HOME", home)
        // Codex reads project config from its working directory; a neutral one keeps a
        // repository's `.codex/config.toml` out of the login.
        .current_dir(home)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit());
    // Codex prints the device code on stdout. It goes to our stderr, so it is seen even
    // when stdout is piped, and stdout keeps only the script's own result.
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => cmd.stdout(Stdio::from(fd)),
        Err(_) => cmd.stdout(Stdio::inherit()),
    };
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent. If
    // clawshift dies (even by SIGKILL), Codex gets SIGTERM instead of living on with
    // a token it could write into a home nobody will delete.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let from_env = host.var("CLAWSHIFT_CODEX_BIN").is_some();
    let child = cmd.spawn().map_err(|e| {
        let whence = if from_env {
            "CLAWSHIFT_CODEX_BIN"
        } else {
            "found on PATH"
        };
        Stop::Failed(format!(
            "cannot run `{}` ({whence}): {e}. Set CLAWSHIFT_CODEX_BIN to the Codex executable, or install Codex with `npm install -g @openai/codex`",
            bin.display()
        ))
    })?;
    let mut child = Running(child);
    let started = Instant::now();
    let mut told = false;
    let status: ExitStatus = loop {
        match child.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(Stop::Failed(format!("cannot wait for `codex login`: {e}"))),
        }
        if let Some(sig) = signals.caught() {
            return Err(Stop::Signal(sig));
        }
        let waited = started.elapsed();
        if waited >= budget {
            return Err(Stop::TimedOut);
        }
        // Once Codex has printed its instructions, say that we are waiting, and how long.
        if !told && host.stderr_is_tty && waited >= Duration::from_millis(1500) {
            told = true;
            let left = i64::try_from((budget - waited).as_millis()).unwrap_or(i64::MAX);
            let _ = writeln!(
                std::io::stderr().lock(),
                "waiting for sign-in… (up to {}; Ctrl-C cancels)",
                human_duration(left)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if let Some(sig) = signals.caught() {
        return Err(Stop::Signal(sig));
    }
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    };
    Err(Stop::Failed(format!(
        "`codex login` failed ({how}); Codex's own message is above. Nothing was changed"
    )))
}

/// A running `codex login`; dropping it stops the process (SIGTERM, then SIGKILL after a
/// grace period; the npm `codex` wrapper passes SIGTERM on to the native binary).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: kill has no memory-safety preconditions; the pid is our own
            // unreaped child, so it cannot have been reused.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The throw-away Codex home. Dropping it deletes it; [`TempHome::remove`] does the same
/// and reports a failure, since a left-over directory holds a token.
struct TempHome {
    path: PathBuf,
    uid: u32,
    removed: bool,
}

impl TempHome {
    fn create(host: &Host) -> Result<TempHome, LoginError> {
        let root = &host.tmp_dir;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{HOME_PREFIX}{}-", std::process::id()))
            .rand_bytes(6)
            .tempdir_in(root)
            .map_err(|e| {
                format!(
                    "cannot create a private temporary directory in `{}` (TMPDIR): {e}; point TMPDIR at a writable directory",
                    root.display()
                )
            })?
            .keep();
        let mut home = TempHome {
            uid: 0,
            path: dir,
            removed: false,
        };
        let ctx = |e: std::io::Error| format!("cannot prepare `{}`: {e}", home.path.display());
        fs::set_permissions(&home.path, fs::Permissions::from_mode(0o700)).map_err(ctx)?;
        let meta = fs::symlink_metadata(&home.path).map_err(ctx)?;
        let real = fs::canonicalize(&home.path).map_err(ctx)?;
        let codex = fs::canonicalize(&host.codex_home).unwrap_or_else(|_| host.codex_home.clone());
        // The whole point is never to log in inside the user's Codex home.
        if real.starts_with(&codex) || codex.starts_with(&real) {
            return Err(format!(
                "refusing to log in: the temporary directory `{}` is inside your Codex home `{}`; point TMPDIR elsewhere",
                real.display(),
                codex.display()
            )
            .into());
        }
        home.uid = meta.uid();
        Ok(home)
    }

    fn remove(mut self) -> Result<(), LoginError> {
        self.removed = true;
        fs::remove_dir_all(&self.path).map_err(|e| {
            LoginError::from(format!(
                "could not delete the temporary Codex home `{}` ({e}); it holds a token: delete it by hand",
                self.path.display()
            ))
        })
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        if !self.removed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Deletes temporary homes left by runs that no longer exist (killed with SIGKILL, or a
/// crash): ours by name and owner, whose process is gone.
fn sweep_stale_homes(host: &Host, uid: u32) {
    let Ok(entries) = fs::read_dir(&host.tmp_dir) else {
        return;
    };
    let me = std::process::id();
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(pid) = name
            .strip_prefix(HOME_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(meta) = fs::symlink_metadata(e.path()) else {
            continue;
        };
        if pid == me || !meta.is_dir() || meta.uid() != uid || process_alive(pid) {
            continue;
        }
        let _ = fs::remove_dir_all(e.path());
    }
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; no memory is involved.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
