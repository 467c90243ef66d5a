//! `clawshift cron print|install|remove [--every 10m] [--via crontab|openclaw]`:
//! schedule `clawshift switch`.
//!
//! - `--via crontab` (default) keeps one line in the user's crontab, found again by the
//!   marker comment it ends with (`# clawshift-switch`). `install` replaces that line or
//!   appends it, `remove` deletes exactly the marked lines; everything else in the
//!   crontab is left byte for byte. The previous crontab is saved in the backups dir.
//! - `--via openclaw` keeps one OpenClaw cron job named `clawshift-switch`, a command
//!   job (`openclaw cron add --command`, OpenClaw 2026.6 and later) that runs on the
//!   Gateway. It is added with `--no-deliver`: clawshift sends its notices itself
//!   (`notify` in config.json), and OpenClaw 2026.9.6 refuses the default delivery of
//!   an isolated job's output to the `last` chat, recording that refusal on every run.
//!
//! The scheduled command carries the absolute path of this binary and the environment
//! it needs (cron starts with a bare one and its own `HOME`): `PATH`, `HOME`,
//! `CLAWSHIFT_HOME` (or the XDG dirs) when set, the resolved `OPENCLAW_STATE_DIR`,
//! `OPENCLAW_CONFIG_PATH` when it is not the state dir's, and `CODEX_HOME`, so the job
//! acts on the same OpenClaw as the shell that installed it. `CLAWSHIFT_NOW` is never
//! copied.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::child;
use crate::error::Error;
use crate::host::Host;
use crate::openclaw::cli;

/// Ends the crontab line clawshift owns; `remove` deletes lines ending with it.
pub const MARKER: &str = "# clawshift-switch";
/// The name of the OpenClaw cron job clawshift owns.
pub const JOB_NAME: &str = "clawshift-switch";

const CRONTAB_TIMEOUT: Duration = Duration::from_secs(30);
const OPENCLAW_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    /// Show what would be scheduled.
    Print,
    /// Schedule it (idempotent).
    Install,
    /// Remove exactly what install added.
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    /// The user's crontab, through `crontab -l` / `crontab -`.
    Crontab,
    /// An OpenClaw cron command job, through `openclaw cron`.
    Openclaw,
}

/// A validated `--every`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Every {
    /// As given, normalised: `10m`, `1h`.
    pub text: String,
    /// The five crontab time fields.
    pub schedule: String,
    pub ms: i64,
}

pub fn parse_every(s: &str) -> Result<Every, Error> {
    let bad = || {
        Error::Usage(format!(
            "--every `{s}`: use minutes (1m to 59m) or hours (1h to 23h), e.g. --every 10m"
        ))
    };
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    match unit {
        "m" | "min" if (1..=59).contains(&n) => Ok(Every {
            text: format!("{n}m"),
            schedule: if n == 1 {
                "* * * * *".into()
            } else {
                format!("*/{n} * * * *")
            },
            ms: n * 60_000,
        }),
        "h" if (1..=23).contains(&n) => Ok(Every {
            text: format!("{n}h"),
            schedule: if n == 1 {
                "0 * * * *".into()
            } else {
                format!("0 */{n} * * *")
            },
            ms: n * 3_600_000,
        }),
        _ => Err(bad()),
    }
}

/// Quotes a word for `sh` only when it needs it.
pub fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:,@+=".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The environment the scheduled run needs, as `NAME=value` pairs. Cron starts jobs
/// with its own `HOME` (sudo, service wrappers and sandboxes make it differ from this
/// shell's), so every path clawshift resolved here is pinned: `HOME`, clawshift's dirs,
/// the OpenClaw state dir (always), its config when it is not `<state>/openclaw.json`,
/// and the Codex home. The job then acts on the OpenClaw this command saw.
pub fn job_env(host: &Host) -> Vec<(String, String)> {
    let set = |name: &str| {
        host.var(name)
            .filter(|v| !v.is_empty())
            .map(|v| (name.to_string(), v.to_string()))
    };
    let mut env: Vec<(String, String)> = Vec::new();
    env.extend(set("PATH"));
    env.push(("HOME".into(), host.home.display().to_string()));
    if set("CLAWSHIFT_HOME").is_some() {
        env.extend(set("CLAWSHIFT_HOME"));
    } else {
        env.extend(set("XDG_CONFIG_HOME"));
        env.extend(set("XDG_STATE_HOME"));
    }
    env.push((
        "OPENCLAW_STATE_DIR".into(),
        host.openclaw_state_dir.display().to_string(),
    ));
    if host.openclaw_config_path != host.openclaw_state_dir.join("openclaw.json") {
        env.push((
            "OPENCLAW_CONFIG_PATH".into(),
            host.openclaw_config_path.display().to_string(),
        ));
    }
    if let Some(d) = &host.openclaw_agent_dir_override {
        env.push(("OPENCLAW_AGENT_DIR".into(), d.display().to_string()));
    }
    env.push(("CODEX_HOME".into(), host.codex_home.display().to_string()));
    env.extend(set("CLAWSHIFT_OPENCLAW_BIN"));
    env
}

/// `PATH=… CLAWSHIFT_HOME=… /abs/clawshift [--agent ID] switch`, for `sh`.
pub fn job_command(host: &Host, exe: &Path, all_agents: bool) -> String {
    let mut words: Vec<String> = job_env(host)
        .into_iter()
        .map(|(k, v)| format!("{k}={}", sh_quote(&v)))
        .collect();
    words.push(sh_quote(&exe.display().to_string()));
    if host.agent != "main" {
        words.push("--agent".into());
        words.push(sh_quote(&host.agent));
    }
    words.push("switch".into());
    if all_agents {
        words.push("--all-agents".into());
    }
    words.join(" ")
}

/// One crontab line: schedule, command (`%` escaped, which cron would turn into a
/// newline), marker.
pub fn crontab_line(host: &Host, exe: &Path, every: &Every, all_agents: bool) -> String {
    format!(
        "{} {} {MARKER}",
        every.schedule,
        job_command(host, exe, all_agents).replace('%', r"\%")
    )
}

pub fn run(
    host: &Host,
    action: Action,
    every: &str,
    via: Via,
    all_agents: bool,
) -> Result<ExitCode, Error> {
    let every = parse_every(every)?;
    let exe = host.current_exe()?;
    match (via, action) {
        (Via::Crontab, Action::Print) => {
            host.println(&crontab_line(host, &exe, &every, all_agents))?
        }
        (Via::Crontab, Action::Install) => {
            crontab_install(host, &crontab_line(host, &exe, &every, all_agents))?
        }
        (Via::Crontab, Action::Remove) => crontab_remove(host)?,
        (Via::Openclaw, Action::Print) => {
            let args = openclaw_add_args(&every, &job_command(host, &exe, all_agents));
            let words: Vec<String> = args.iter().map(|a| sh_quote(a)).collect();
            host.println(&format!("openclaw {}", words.join(" ")))?;
        }
        (Via::Openclaw, Action::Install) => {
            openclaw_install(host, &every, &job_command(host, &exe, all_agents))?
        }
        (Via::Openclaw, Action::Remove) => openclaw_remove(host)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn crontab_bin(host: &Host) -> Result<PathBuf, Error> {
    host.find_program("crontab").ok_or_else(|| {
        Error::Failure(
            "`crontab` not found on PATH; install cron (e.g. `apt install cron`), or schedule through OpenClaw with --via openclaw".into(),
        )
    })
}

/// The current crontab; "no crontab for <user>" is an empty one.
fn crontab_read(host: &Host, bin: &Path) -> Result<String, Error> {
    let out = child::run(host, bin, &["-l".into()], None, CRONTAB_TIMEOUT)?;
    if out.success() {
        return Ok(out.stdout);
    }
    if out.status.is_some() && out.stderr.to_lowercase().contains("no crontab") {
        return Ok(String::new());
    }
    Err(Error::Failure(format!(
        "`crontab -l` failed ({}): {}",
        out.describe(CRONTAB_TIMEOUT),
        out.first_error_line()
    )))
}

fn crontab_write(host: &Host, bin: &Path, old: &str, new: &str) -> Result<(), Error> {
    if !old.is_empty() {
        // Journaled like any backup, so retention counts it (the crontab itself is
        // changed through `crontab`, which `undo` does not replay).
        let source = crate::backup::Source {
            path: "crontab",
            row: None,
        };
        let saved = crate::backup::save_bytes(host, "crontab", source, old.as_bytes())?;
        crate::journal::append(
            host,
            &crate::journal::Change {
                kind: "backup".into(),
                path: "crontab".into(),
                row: None,
                backup: Some(saved.display().to_string()),
                before: None,
                after: None,
                undoes: None,
            },
        )?;
    }
    let out = child::run(
        host,
        bin,
        &["-".into()],
        Some(new.as_bytes()),
        CRONTAB_TIMEOUT,
    )?;
    if !out.success() {
        return Err(Error::Failure(format!(
            "`crontab -` failed ({}): {}; your crontab is unchanged",
            out.describe(CRONTAB_TIMEOUT),
            out.first_error_line()
        )));
    }
    Ok(())
}

fn is_ours(line: &str) -> bool {
    line.trim_end().ends_with(MARKER)
}

fn crontab_install(host: &Host, line: &str) -> Result<(), Error> {
    let bin = crontab_bin(host)?;
    let old = crontab_read(host, &bin)?;
    let mut lines: Vec<&str> = Vec::new();
    let mut placed = false;
    for l in old.lines() {
        if is_ours(l) {
            if !placed {
                lines.push(line);
                placed = true;
            }
        } else {
            lines.push(l);
        }
    }
    if !placed {
        lines.push(line);
    }
    let new = format!("{}\n", lines.join("\n"));
    if new == old {
        host.println(&format!("already in your crontab: {line}"))?;
        return Ok(());
    }
    if host.dry_run {
        host.println(&format!("dry-run: would put in your crontab: {line}"))?;
        return Ok(());
    }
    crontab_write(host, &bin, &old, &new)?;
    host.println(&format!("installed in your crontab: {line}"))?;
    Ok(())
}

/// The ids and commands of the OpenClaw cron jobs `install --via openclaw` added (for
/// `uninstall`); `None` when there is no `openclaw` to ask.
pub fn openclaw_ours(host: &Host) -> Option<Result<Vec<(String, String)>, Error>> {
    host.openclaw_bin()?;
    Some(openclaw_jobs(host).map(|jobs| {
        jobs.into_iter()
            .map(|j| (j.id, j.command.unwrap_or_default()))
            .collect()
    }))
}

/// Removes one OpenClaw cron job by id, through `openclaw cron rm`.
pub fn openclaw_rm(host: &Host, id: &str) -> Result<(), Error> {
    openclaw(host, &["cron", "rm", id]).map(|_| ())
}

/// The crontab lines `install` put there (for `uninstall`); none when there is no
/// `crontab` program at all.
pub fn crontab_ours(host: &Host) -> Result<Vec<String>, Error> {
    let Some(bin) = host.find_program("crontab") else {
        return Ok(Vec::new());
    };
    let text = crontab_read(host, &bin)?;
    Ok(text
        .lines()
        .filter(|l| is_ours(l))
        .map(str::to_string)
        .collect())
}

fn crontab_remove(host: &Host) -> Result<(), Error> {
    let bin = crontab_bin(host)?;
    let old = crontab_read(host, &bin)?;
    let (ours, kept): (Vec<&str>, Vec<&str>) = old.lines().partition(|l| is_ours(l));
    if ours.is_empty() {
        host.println(&format!(
            "nothing to remove: no line in your crontab ends with `{MARKER}`"
        ))?;
        return Ok(());
    }
    let new = if kept.is_empty() {
        String::new()
    } else {
        format!("{}\n", kept.join("\n"))
    };
    for l in &ours {
        if host.dry_run {
            host.println(&format!("dry-run: would remove from your crontab: {l}"))?;
        }
    }
    if host.dry_run {
        return Ok(());
    }
    crontab_write(host, &bin, &old, &new)?;
    for l in &ours {
        host.println(&format!("removed from your crontab: {l}"))?;
    }
    Ok(())
}

fn openclaw_add_args(every: &Every, command: &str) -> Vec<String> {
    [
        "cron",
        "add",
        "--name",
        JOB_NAME,
        "--every",
        &every.text,
        "--command",
        command,
        "--no-deliver",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn openclaw(host: &Host, args: &[&str]) -> Result<String, Error> {
    let bin = host.openclaw_bin().ok_or_else(|| {
        Error::Failure(
            "`openclaw` not found on PATH; set CLAWSHIFT_OPENCLAW_BIN, or use --via crontab".into(),
        )
    })?;
    let out = cli::run(host, &bin, args, OPENCLAW_TIMEOUT)?;
    if out.code != Some(0) {
        return Err(Error::Failure(format!(
            "`{}` failed ({}); `openclaw cron` needs a running Gateway it can reach (see `openclaw gateway status`)",
            cli::shown(&args[..2]),
            cli::reason(&out)
        )));
    }
    Ok(out.stdout)
}

/// An OpenClaw cron job named `clawshift-switch`, as `openclaw cron list --json` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    /// The shell command (`payload.argv[2]` of `sh -lc <command>`).
    pub command: Option<String>,
    /// `schedule.everyMs`.
    pub every_ms: Option<i64>,
    /// `delivery.mode`; `none` for a job added with `--no-deliver`.
    pub delivery: Option<String>,
    /// `state.lastRunAtMs`, `state.lastRunStatus` (`ok`, `error`, `skipped`),
    /// `state.lastError` and `state.nextRunAtMs`.
    pub last_run_ms: Option<i64>,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub next_run_ms: Option<i64>,
}

/// The jobs named `clawshift-switch`, through `openclaw cron list --json` (which asks
/// the Gateway, so it fails when none is reachable).
pub fn openclaw_jobs(host: &Host) -> Result<Vec<Job>, Error> {
    let text = openclaw(host, &["cron", "list", "--json"])?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::Failure(format!(
            "`openclaw cron list --json` printed something that is not JSON ({e})"
        ))
    })?;
    let jobs = v
        .get("jobs")
        .and_then(|j| j.as_array())
        .cloned()
        .unwrap_or_default();
    Ok(jobs
        .iter()
        .filter(|j| j.get("name").and_then(|n| n.as_str()) == Some(JOB_NAME))
        .filter_map(|j| {
            let text = |p: &str| j.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
            let int = |p: &str| j.pointer(p).and_then(|v| v.as_i64());
            Some(Job {
                id: text("/id")?,
                command: text("/payload/argv/2"),
                every_ms: int("/schedule/everyMs"),
                delivery: text("/delivery/mode"),
                last_run_ms: int("/state/lastRunAtMs"),
                last_status: text("/state/lastRunStatus").or_else(|| text("/state/lastStatus")),
                last_error: text("/state/lastError"),
                next_run_ms: int("/state/nextRunAtMs"),
            })
        })
        .collect())
}

fn openclaw_install(host: &Host, every: &Every, command: &str) -> Result<(), Error> {
    let jobs = openclaw_jobs(host)?;
    if jobs.len() == 1
        && jobs[0].command.as_deref() == Some(command)
        && jobs[0].every_ms == Some(every.ms)
        && jobs[0].delivery.as_deref() == Some("none")
    {
        host.println(&format!(
            "already an OpenClaw cron job: {JOB_NAME} every {}: {command}",
            every.text
        ))?;
        return Ok(());
    }
    if host.dry_run {
        for job in &jobs {
            host.println(&format!("dry-run: would run `openclaw cron rm {}`", job.id))?;
        }
        host.println(&format!(
            "dry-run: would add OpenClaw cron job {JOB_NAME} every {}: {command}",
            every.text
        ))?;
        return Ok(());
    }
    for job in &jobs {
        openclaw(host, &["cron", "rm", &job.id])?;
    }
    let args = openclaw_add_args(every, command);
    openclaw(host, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    host.println(&format!(
        "installed OpenClaw cron job {JOB_NAME} every {}: {command}",
        every.text
    ))?;
    Ok(())
}

fn openclaw_remove(host: &Host) -> Result<(), Error> {
    let jobs = openclaw_jobs(host)?;
    if jobs.is_empty() {
        host.println(&format!(
            "nothing to remove: no OpenClaw cron job named {JOB_NAME}"
        ))?;
        return Ok(());
    }
    for Job { id, .. } in &jobs {
        if host.dry_run {
            host.println(&format!("dry-run: would run `openclaw cron rm {id}`"))?;
        } else {
            openclaw(host, &["cron", "rm", id])?;
            host.println(&format!("removed OpenClaw cron job {JOB_NAME} ({id})"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepts_minutes_and_hours_only() {
        let schedule = |s: &str| parse_every(s).map(|e| (e.schedule, e.ms)).ok();
        assert_eq!(schedule("10m"), Some(("*/10 * * * *".into(), 600_000)));
        assert_eq!(schedule("1m"), Some(("* * * * *".into(), 60_000)));
        assert_eq!(schedule("2h"), Some(("0 */2 * * *".into(), 7_200_000)));
        for bad in ["", "m", "0m", "60m", "24h", "10", "10s", "-5m", "1d"] {
            assert!(parse_every(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sh_quote_leaves_plain_words_alone() {
        assert_eq!(sh_quote("/usr/bin/clawshift"), "/usr/bin/clawshift");
        assert_eq!(sh_quote("/a b/c"), "'/a b/c'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("50%"), "'50%'");
    }
}
