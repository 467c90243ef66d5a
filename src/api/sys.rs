//! `now()`, `env(name)`, `confirm(prompt)` and the `time::` helpers: the script's view
//! of the clock, the environment and the person at the terminal, all through `Host`.

use std::io::{BufRead, Write};
use std::rc::Rc;

use rhai::{Dynamic, Engine, INT, Module};

use super::{RhaiResult, def, fail};
use crate::host::Host;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "now",
        &["INT"],
        "The current time in milliseconds since the Unix epoch (OpenClaw's unit); `CLAWSHIFT_NOW` fixes it.\n\
         Example: `let in_an_hour = now() + 3600 * 1000;`",
    )
    .register_into_engine(
        engine,
        move || -> INT { h.now_ms() },
    );
    let h = host.clone();
    def(
        "env",
        &["name: String", "Dynamic"],
        "The value of an environment variable as clawshift saw it at start, or `()` when unset.\n\
         Example: `let who = env(\"USER\") ?? \"someone\";`",
    )
    .register_into_engine(engine, move |name: &str| -> Dynamic {
        h.var(name).map_or(Dynamic::UNIT, |v| v.into())
    });
    let h = host.clone();
    def(
        "confirm",
        &["prompt: String", "bool"],
        "Asks a yes/no question on the terminal and returns the answer; `--yes` answers yes without asking.\n\
         Errors: stdin is not a terminal and `--yes` was not given (so cron never hangs on a prompt).\n\
         Example: `if !confirm(\"Add profile alice?\") { throw #{message: \"cancelled\", exit: 1}; }`",
    )
    .register_into_engine(
        engine,
        move |prompt: &str| -> RhaiResult<bool> { confirm(&h, prompt) },
    );

    let mut m = Module::new();
    def(
        "human",
        &["ms: INT", "String"],
        "Formats a duration in milliseconds the way people read it: `41m`, `2h 5m`, `9d 23h`; negative durations get a leading `-`.\n\
         Example: `print(time::human(90 * 60 * 1000));  // 1h 30m`",
    )
    .set_into_module(
        &mut m,
        |ms: INT| -> String { human_duration(ms) },
    );
    def(
        "iso",
        &["ms: INT", "String"],
        "Formats milliseconds since the epoch as an RFC 3339 UTC time, e.g. `2026-11-25T12:00:00Z`.\n\
         Example: `print(time::iso(now()));`",
    )
    .set_into_module(
        &mut m,
        |ms: INT| -> String { iso(ms) },
    );
    def(
        "local_hour",
        &["ms: INT", "INT"],
        "The hour (0-23) of a time in ms on this machine's clock (its time zone, from `TZ` or /etc/localtime): for policy rules like \"not this account during office hours\".\n\
         Example: `let h = time::local_hour(now); if h >= 9 && h < 17 { print(\"office hours\"); }`",
    )
    .set_into_module(&mut m, |ms: INT| -> INT {
        local(ms).map_or(0, |t| INT::from(chrono::Timelike::hour(&t)))
    });
    def(
        "local_weekday",
        &["ms: INT", "INT"],
        "The day of the week of a time in ms on this machine's clock: 1 is Monday, 7 is Sunday.\n\
         Example: `if time::local_weekday(now) >= 6 { print(\"weekend\"); }`",
    )
    .set_into_module(&mut m, |ms: INT| -> INT {
        local(ms).map_or(1, |t| {
            INT::from(chrono::Datelike::weekday(&t).number_from_monday())
        })
    });
    engine.register_static_module("time", m.into());
}

/// A time in ms as a local date and time (the system's time zone, as chrono reads it).
fn local(ms: INT) -> Option<chrono::DateTime<chrono::Local>> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&chrono::Local))
}

fn confirm(host: &Host, prompt: &str) -> RhaiResult<bool> {
    if host.yes {
        return Ok(true);
    }
    if !host.stdin_is_tty {
        return fail(format!(
            "confirm: cannot ask \"{prompt}\": stdin is not a terminal; rerun with --yes to answer yes"
        ));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt} [y/N] ");
    let _ = err.flush();
    // Wait for the answer no longer than the run's deadline: an unattended terminal
    // must not hold the run (and its locks) forever.
    if !stdin_ready(host.remaining()) {
        host.past_deadline();
        return fail(format!(
            "confirm: no answer to \"{prompt}\" before the deadline; {}; nothing was changed. Rerun with --yes, or with a larger `--timeout SECS`",
            host.timeout_message()
        ));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("confirm: cannot read the answer: {e}"))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// True when stdin has input (a line, at a terminal) or has ended within `wait`.
fn stdin_ready(wait: std::time::Duration) -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: poll reads and writes exactly the one pollfd it is given.
    unsafe { libc::poll(&mut fd, 1, ms) > 0 }
}

pub use crate::timefmt::{human_duration, iso};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_duration_keeps_two_units() {
        assert_eq!(human_duration(41 * 60_000), "41m");
        assert_eq!(human_duration((2 * 3600 + 5 * 60) * 1000), "2h 5m");
        assert_eq!(
            human_duration((9 * 86400 + 23 * 3600 + 59) * 1000),
            "9d 23h"
        );
        assert_eq!(human_duration(30_000), "30s");
        assert_eq!(human_duration(-120_000), "-2m");
    }
}
