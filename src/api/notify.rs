//! `notify(text)` / `notify(text, opts)`: tell a person something changed. The text goes
//! to stdout (which cron mails), then to the command and the OpenClaw chat channel named
//! in `config.json` under `notify`, each bounded by a deadline. A failing command or
//! channel is a warning on stderr and a field in the result, not a failed run: by the
//! time a script notifies, the change it reports has already been made.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use rhai::{Dynamic, Engine, Map};

use super::{RhaiResult, def};
use crate::child;
use crate::config::{self, CommandSpec};
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
         A failing command or channel prints a warning on stderr and does not stop the script. Under `--dry-run` prints `dry-run: would notify: <text>` and only reports the command and channel.\n\
         Errors: `config.json` is not valid (the message names the key).\n\
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
    let cfg = config::load(host).map_err(|e| format!("notify: {e}"))?;
    let timeout = Duration::from_secs(
        cfg.notify
            .timeout_secs
            .unwrap_or(DEFAULT_TIMEOUT_SECS)
            .max(1),
    );

    let command = match &cfg.notify.command {
        None => Dynamic::UNIT,
        Some(spec) => {
            let (program, args) = match spec {
                CommandSpec::Shell(s) => {
                    (PathBuf::from("/bin/sh"), vec!["-c".to_string(), s.clone()])
                }
                CommandSpec::Argv(argv) => (
                    host.find_program(&argv[0])
                        .unwrap_or_else(|| PathBuf::from(&argv[0])),
                    argv[1..].to_vec(),
                ),
            };
            let shown = match spec {
                CommandSpec::Shell(s) => s.clone(),
                CommandSpec::Argv(argv) => argv.join(" "),
            };
            if host.dry_run {
                report_dry(
                    host,
                    &format!("dry-run: would run notify command `{shown}`"),
                )?
            } else {
                let mut input = text.as_bytes().to_vec();
                input.push(b'\n');
                let why = match child::run(host, &program, &args, Some(&input), timeout) {
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
                };
                failed_or_sent(&format!("notify command `{shown}`"), why)
            }
        }
    };
    result.insert("command".into(), command);

    let openclaw = match &cfg.notify.openclaw {
        None => Dynamic::UNIT,
        Some(ch) => {
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
            let what = cli::shown(&args[..6]);
            if host.dry_run {
                report_dry(host, &format!("dry-run: would run `{what}`"))?
            } else {
                match host.openclaw_bin() {
                    None => {
                        let why = "`openclaw` not found on PATH; set CLAWSHIFT_OPENCLAW_BIN or remove notify.openclaw from config.json";
                        eprintln!("warning: notify: {why}");
                        format!("failed: {why}").into()
                    }
                    Some(bin) => {
                        let why = match cli::run(host, &bin, &args, timeout) {
                            Ok(out) if out.code == Some(0) => None,
                            Ok(out) => Some(cli::reason(&out)),
                            Err(e) => Some(e.to_string()),
                        };
                        failed_or_sent(&format!("`{what}`"), why)
                    }
                }
            }
        }
    };
    result.insert("openclaw".into(), openclaw);
    Ok(result)
}

fn report_dry(host: &Host, line: &str) -> RhaiResult<Dynamic> {
    host.println(line).map_err(|e| e.to_string())?;
    Ok(Dynamic::UNIT)
}

/// `"sent"`, or `"failed: <why>"` with a warning on stderr.
fn failed_or_sent(what: &str, why: Option<String>) -> Dynamic {
    match why {
        None => "sent".into(),
        Some(why) => {
            eprintln!("warning: notify: {what} failed: {why}");
            format!("failed: {why}").into()
        }
    }
}
