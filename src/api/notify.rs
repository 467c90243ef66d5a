//! `notify(text)` / `notify(text, opts)`: tell a person something changed. The text goes
//! to stdout (which cron mails), then to the command and the OpenClaw chat channel named
//! in `config.json` under `notify`, each bounded by a deadline. A failing command or
//! channel is a warning on stderr and a field in the result, not a failed run: by the
//! time a script notifies, the change it reports has already been made. The notice is
//! then kept in `pending-notices.json` and sent by the next run, so none is lost.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use rhai::{Dynamic, Engine, Map};

use super::{RhaiResult, def};
use serde::{Deserialize, Serialize};

use crate::child;
use crate::config::{self, ChannelConfig, CommandSpec};
use crate::error::Error;
use crate::host::Host;
use crate::openclaw::cli;

/// Deadline for the notify command and for `openclaw message send` when the config
/// does not set `notify.timeout_secs`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "notify",
        &["text: String", "Map"],
        "Prints `text` on stdout (cron mails it), then runs `notify.command` from `config.json` with the text on stdin and sends it to `notify.openclaw` (`openclaw message send --channel C --target T --message text`) when configured.\n\
         Returns `#{stdout, command, openclaw}`: `true` for stdout, and `\"sent\"`, `\"failed: <why>\"` or `()` (not configured) for the other two.\n\
         A failing command or channel prints a warning on stderr and does not stop the script: the notice is kept in `<state dir>/pending-notices.json` (0600) and sent to that sink by the next `notify()` or `clawshift switch`; `clawshift status` shows it meanwhile. Under `--dry-run` prints `dry-run: would notify: <text>` and only reports the command and channel.\n\
         Errors: `config.json` is not valid (the message names the key); the notice is then kept for the sinks a fixed `config.json` names.\n\
         Example: `notify(\"switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work cooling down for 41m\");`",
    )
    .register_into_engine(engine, move |text: &str| -> RhaiResult<Map> {
        notify(&h, text, true)
    });
    let h = host.clone();
    def(
        "notify",
        &["text: String", "opts: Map", "Map"],
        "As `notify(text)`, with options: `stdout: false` skips stdout (for scripts whose stdout is JSON).\n\
         Errors: as `notify(text)`; an unknown option.\n\
         Example: `notify(line, #{stdout: false});`",
    )
    .register_into_engine(engine, move |text: &str, opts: Map| -> RhaiResult<Map> {
        let mut stdout = true;
        for (k, v) in &opts {
            match k.as_str() {
                "stdout" => {
                    stdout = v
                        .as_bool()
                        .map_err(|_| "notify: option `stdout` must be true or false")?;
                }
                other => {
                    return Err(format!("notify: unknown option `{other}`; the only one is `stdout`").into());
                }
            }
        }
        notify(&h, text, stdout)
    });
}

fn notify(host: &Host, text: &str, to_stdout: bool) -> RhaiResult<Map> {
    host.check_deadline("notify").map_err(|e| e.to_string())?;
    // A notice leaves this machine (mail, chat): no token it quotes goes with it.
    crate::redact::learn_from_run_once(host);
    let text = &crate::redact::mask(text);
    let mut result = Map::new();
    if to_stdout {
        // Under --dry-run nothing is announced, so say so rather than look like it was.
        let line = if host.dry_run {
            format!("dry-run: would notify: {text}")
        } else {
            text.to_string()
        };
        host.println(&line).map_err(|e| e.to_string())?;
    }
    result.insert("stdout".into(), to_stdout.into());
    let cfg = match config::load(host) {
        Ok(cfg) => cfg,
        Err(e) => {
            // The change this notice reports is made: keep the notice for the sinks a
            // fixed config.json names, then fail the run so the typo is seen.
            if !host.dry_run {
                keep(host, text, &[CONFIGURED], &e.to_string())
                    .map_err(|e| format!("notify: {e}"))?;
            }
            return Err(format!(
                "notify: {e}; the notice is kept and sent once config.json is fixed"
            )
            .into());
        }
    };
    if !host.dry_run
        && let Err(e) = deliver_with(host, &cfg)
    {
        // Old notices must not stop this one: it is sent, or kept, below.
        eprintln!("warning: notify: {e}");
    }
    let mut failed: Vec<&str> = Vec::new();
    let mut last_why = String::new();
    let mut outcome = |sink: &'static str, why: Option<String>, what: &str| -> Dynamic {
        match why {
            None => "sent".into(),
            Some(why) => {
                eprintln!(
                    "warning: notify: {what} failed: {why}; kept, to be sent by the next run"
                );
                failed.push(sink);
                last_why = why.clone();
                format!("failed: {why}").into()
            }
        }
    };

    let command = match &cfg.notify.command {
        None => Dynamic::UNIT,
        Some(spec) if host.dry_run => report_dry(
            host,
            &format!("dry-run: would run notify command `{}`", shown(spec)),
        )?,
        Some(spec) => {
            let why = send_command(host, spec, text, timeout(&cfg));
            outcome(COMMAND, why, &format!("notify command `{}`", shown(spec)))
        }
    };
    result.insert("command".into(), command);

    let openclaw = match &cfg.notify.openclaw {
        None => Dynamic::UNIT,
        Some(ch) if host.dry_run => report_dry(
            host,
            &format!("dry-run: would run `{}`", channel_command(ch)),
        )?,
        Some(ch) => {
            let why = send_openclaw(host, ch, text, timeout(&cfg));
            outcome(OPENCLAW, why, &format!("`{}`", channel_command(ch)))
        }
    };
    result.insert("openclaw".into(), openclaw);
    if !failed.is_empty() {
        keep(host, text, &failed, &last_why).map_err(|e| format!("notify: {e}"))?;
    }
    Ok(result)
}

/// The sinks a notice can be kept for, as named in `pending-notices.json`.
const COMMAND: &str = "command";
const OPENCLAW: &str = "openclaw";
/// Kept while `config.json` could not be read: every sink it names once it can be.
const CONFIGURED: &str = "configured";

fn timeout(cfg: &config::Config) -> Duration {
    Duration::from_secs(
        cfg.notify
            .timeout_secs
            .unwrap_or(DEFAULT_TIMEOUT_SECS)
            .max(1),
    )
}

fn shown(spec: &CommandSpec) -> String {
    match spec {
        CommandSpec::Shell(s) => s.clone(),
        CommandSpec::Argv(argv) => argv.join(" "),
    }
}

fn channel_command(ch: &ChannelConfig) -> String {
    cli::shown(&[
        "message",
        "send",
        "--channel",
        ch.channel.as_str(),
        "--target",
        ch.target.as_str(),
    ])
}

/// Runs the notify command with `text` on stdin: `None` when it succeeded, else why not.
fn send_command(host: &Host, spec: &CommandSpec, text: &str, timeout: Duration) -> Option<String> {
    let (program, args) = match spec {
        CommandSpec::Shell(s) => (PathBuf::from("/bin/sh"), vec!["-c".to_string(), s.clone()]),
        CommandSpec::Argv(argv) => (
            host.find_program(&argv[0])
                .unwrap_or_else(|| PathBuf::from(&argv[0])),
            argv[1..].to_vec(),
        ),
    };
    let mut input = text.as_bytes().to_vec();
    input.push(b'\n');
    match child::run(host, &program, &args, Some(&input), timeout) {
        Ok(out) if out.success() => None,
        Ok(out) => {
            let line = out.first_error_line();
            Some(if line.is_empty() {
                out.describe(timeout)
            } else {
                format!("{}: {line}", out.describe(timeout))
            })
        }
        Err(e) => Some(e.to_string()),
    }
}

/// Sends `text` to the OpenClaw channel: `None` when OpenClaw took it, else why not.
fn send_openclaw(host: &Host, ch: &ChannelConfig, text: &str, timeout: Duration) -> Option<String> {
    let Some(bin) = host.openclaw_bin() else {
        return Some("`openclaw` not found on PATH; set CLAWSHIFT_OPENCLAW_BIN or remove notify.openclaw from config.json".into());
    };
    let args = [
        "message",
        "send",
        "--channel",
        ch.channel.as_str(),
        "--target",
        ch.target.as_str(),
        "--message",
        text,
    ];
    match cli::run(host, &bin, &args, timeout) {
        Ok(out) if out.code == Some(0) => None,
        Ok(out) => Some(cli::reason(&out)),
        Err(e) => Some(e.to_string()),
    }
}

/// `<state dir>/pending-notices.json`: notices a sink has not taken yet, oldest first.
pub fn pending_path(host: &Host) -> PathBuf {
    host.state_dir.join("pending-notices.json")
}

/// One notice some sinks still owe: when it was made, its text, the sinks (`command`,
/// `openclaw`) that have not taken it, and why the last try failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    pub at: i64,
    pub text: String,
    pub sinks: Vec<String>,
    pub why: String,
}

/// The pending notices; a file that cannot be read or parsed is named on stderr and
/// read as none (it stays for a look; the next `keep` sets it aside).
pub fn pending(host: &Host) -> Vec<Pending> {
    read_pending(host).unwrap_or_else(|e| {
        eprintln!("warning: {e}");
        Vec::new()
    })
}

fn read_pending(host: &Host) -> Result<Vec<Pending>, Error> {
    let p = pending_path(host);
    let Some(bytes) = crate::files::read_optional(&p)? else {
        return Ok(Vec::new());
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Failure(format!(
            "pending notices `{}` are not readable ({e}); move the file away to drop them",
            p.display()
        ))
    })
}

/// Writes the pending notices (0600, atomically), or removes the file when none is left.
fn write_pending(host: &Host, list: &[Pending]) -> Result<(), Error> {
    let p = pending_path(host);
    if list.is_empty() {
        return match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Failure(format!(
                "cannot remove `{}`: {e}",
                p.display()
            ))),
            _ => Ok(()),
        };
    }
    let mut text = serde_json::to_string_pretty(list).map_err(|e| Error::Failure(e.to_string()))?;
    text.push('\n');
    crate::files::private_dir(&host.state_dir)?;
    crate::files::atomic_write(&p, text.as_bytes(), 0o600)
}

/// Keeps `text` for `sinks`, to be delivered by the next run.
fn keep(host: &Host, text: &str, sinks: &[&str], why: &str) -> Result<(), Error> {
    let mut list = match read_pending(host) {
        Ok(list) => list,
        Err(e) => {
            // Never drop the new notice for an old damaged file: set that one aside.
            let p = pending_path(host);
            let aside = PathBuf::from(format!(
                "{}.corrupt-{}",
                p.display(),
                host.now().timestamp()
            ));
            std::fs::rename(&p, &aside)
                .map_err(|r| Error::Failure(format!("{e}; cannot move it aside: {r}")))?;
            eprintln!("warning: {e}; moved it to `{}`", aside.display());
            Vec::new()
        }
    };
    list.push(Pending {
        at: host.now_ms(),
        text: text.to_string(),
        sinks: sinks.iter().map(|s| s.to_string()).collect(),
        why: why.to_string(),
    });
    write_pending(host, &list)
}

/// Sends every pending notice to the sinks that still owe it, oldest first; a sink that
/// fails again keeps it (quietly: it was announced when it was kept, and `status` shows
/// it). Run by every `notify()` before its own notice and at the start of `switch`.
/// A pending file that cannot be read or rewritten is a warning: the run it starts goes
/// on, and the next notice kept sets the damaged file aside.
pub fn deliver_pending(host: &Host) {
    if host.dry_run || !pending_path(host).exists() {
        return;
    }
    // Without a readable config.json the notices wait; `notify` says why.
    if let Ok(cfg) = config::load(host)
        && let Err(e) = deliver_with(host, &cfg)
    {
        eprintln!("warning: notify: {e}");
    }
}

fn deliver_with(host: &Host, cfg: &config::Config) -> Result<(), Error> {
    let list = read_pending(host)?;
    if list.is_empty() {
        return Ok(());
    }
    let mut left = Vec::new();
    for mut n in list.clone() {
        let mut owed = Vec::new();
        let mut sinks = std::mem::take(&mut n.sinks);
        if let Some(i) = sinks.iter().position(|s| s == CONFIGURED) {
            sinks.remove(i);
            for (sink, set) in [
                (COMMAND, cfg.notify.command.is_some()),
                (OPENCLAW, cfg.notify.openclaw.is_some()),
            ] {
                if set && !sinks.iter().any(|s| s == sink) {
                    sinks.push(sink.to_string());
                }
            }
        }
        for sink in sinks {
            let why = match (sink.as_str(), &cfg.notify.command, &cfg.notify.openclaw) {
                (COMMAND, Some(spec), _) => send_command(host, spec, &n.text, timeout(cfg)),
                (OPENCLAW, _, Some(ch)) => send_openclaw(host, ch, &n.text, timeout(cfg)),
                _ => {
                    eprintln!(
                        "warning: notify: dropped a notice kept since {} for the {sink} sink: it is no longer in config.json",
                        crate::api::sys::iso(n.at)
                    );
                    None
                }
            };
            if let Some(why) = why {
                n.why = why;
                owed.push(sink);
            }
        }
        if !owed.is_empty() {
            n.sinks = owed;
            left.push(n);
        }
    }
    if left != list {
        write_pending(host, &left)?;
    }
    Ok(())
}

fn report_dry(host: &Host, line: &str) -> RhaiResult<Dynamic> {
    host.dry_note(line).map_err(|e| e.to_string())?;
    Ok(Dynamic::UNIT)
}
