//! `clawshift doctor [--json]`: checks the OpenClaw state and clawshift's own files for
//! what makes OpenClaw fail or loses accounts, and says how to fix each finding.
//!
//! Checks, in order: layout and OpenClaw version; the 2026.9 migration blocker (a legacy
//! `auth-profiles.json` next to a SQLite store); modes of every file holding tokens;
//! stale, foreign or directory locks; temp files left by an interrupted write; token
//! custody (one refresh token or one account in several places, backups still holding
//! live refresh tokens); expired and expiring profiles; and, when `openclaw` is
//! installed, agreement between the native read and `openclaw models status --json`;
//! the notify settings and pending notices; and the OpenClaw cron job clawshift owns
//! (whether it exists, when it last ran and how).
//!
//! Doctor only reads. Each finding has a severity (`error`, `warning`, `info`), a check
//! name, a message and, where there is one, the fix. Exit 1 when any finding is an error.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::host::Host;
use crate::model::{BlockKind, Profile, Status};
use crate::openclaw::{self, lock};
use crate::timefmt::{human_duration, iso};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    pub check: &'static str,
    pub message: String,
    pub fix: Option<String>,
}

/// How long an expiring access token counts as expiring (OpenClaw's `warnAfterMs`).
const EXPIRING_MS: i64 = 86_400_000;
/// OpenClaw's OAuth refresh lock is stale after 180 s.
const REFRESH_LOCK_STALE_MS: i64 = 180_000;

struct Doctor<'a> {
    host: &'a Host,
    out: Vec<Finding>,
}

impl Doctor<'_> {
    fn add(
        &mut self,
        severity: Severity,
        check: &'static str,
        message: String,
        fix: Option<String>,
    ) {
        self.out.push(Finding {
            severity,
            check,
            message,
            fix,
        });
    }
}

/// Splits an error text `… Fix: …` into its message and its fix.
fn split_fix(text: &str) -> (String, Option<String>) {
    for sep in [". Fix: ", "; Fix: ", " Fix: "] {
        if let Some((m, f)) = text.split_once(sep) {
            return (m.to_string(), Some(f.to_string()));
        }
    }
    (text.to_string(), None)
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+@:,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn file_mode(p: &Path) -> Option<u32> {
    fs::symlink_metadata(p)
        .ok()
        .filter(|m| m.is_file() || m.is_dir())
        .map(|m| m.permissions().mode() & 0o777)
}

pub fn findings(host: &Host) -> Vec<Finding> {
    let mut d = Doctor {
        host,
        out: Vec::new(),
    };
    let detected = layout(&mut d);
    if let Some(det) = &detected
        && let Some(b) = &det.blocker
    {
        let (message, fix) = split_fix(b);
        d.add(Severity::Error, "blocker", message, fix);
    }
    modes(&mut d);
    writable_dirs(&mut d);
    locks(&mut d);
    leftovers(&mut d);
    custody(&mut d);
    let native = match &detected {
        Some(det) if det.blocker.is_none() => match openclaw::status::native(host) {
            Ok(v) => Some(v),
            Err(e) => {
                let (message, fix) = split_fix(&e.to_string());
                d.add(Severity::Error, "store", message, fix);
                None
            }
        },
        _ => None,
    };
    if let Some(st) = &native {
        expiry(&mut d, st);
    }
    if let Some(det) = detected.as_ref().filter(|det| det.blocker.is_none()) {
        fields(&mut d, det);
    }
    agreement(&mut d, native.as_ref());
    notify_config(&mut d);
    pending_notices(&mut d);
    openclaw_cron(&mut d);
    d.out
}

/// The chat channels OpenClaw 2026.9.6 bundles, with their aliases
/// (`GENERATED_BUNDLED_CHANNEL_IDS` in its `ids-*.mjs`). A plugin can add more, so a
/// channel outside this list is a warning, not an error.
const BUNDLED_CHANNELS: &[&str] = &[
    "a2a",
    "buzz",
    "clickclack",
    "discord",
    "feishu",
    "lark",
    "googlechat",
    "gchat",
    "google-chat",
    "imessage",
    "imsg",
    "irc",
    "internet-relay-chat",
    "line",
    "matrix",
    "mattermost",
    "msteams",
    "teams",
    "nextcloud-talk",
    "nc",
    "nc-talk",
    "nostr",
    "qa-channel",
    "raft",
    "reef",
    "signal",
    "slack",
    "sms",
    "synology-chat",
    "telegram",
    "tlon",
    "twitch",
    "twitch-chat",
    "whatsapp",
    "zalo",
    "zl",
    "zalouser",
    "zlu",
];

/// The `notify` section of `config.json`: a notice that cannot be delivered is only
/// found out after a change was made, so check the command and the channel up front.
fn notify_config(d: &mut Doctor) {
    let host = d.host;
    let cfg = match crate::config::load(host) {
        Ok(cfg) => cfg,
        Err(e) => {
            d.add(
                Severity::Error,
                "notify",
                e.to_string(),
                Some("fix config.json; notices wait in pending-notices.json until then".into()),
            );
            return;
        }
    };
    match &cfg.notify.command {
        None => {}
        Some(crate::config::CommandSpec::Argv(argv)) => {
            let program = host.find_program(&argv[0]);
            let runnable = program.as_ref().is_some_and(|p| {
                fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            });
            if !runnable {
                let place = match &program {
                    Some(p) if p.exists() => format!("`{}` is not an executable file", p.display()),
                    Some(p) => format!("`{}` does not exist", p.display()),
                    None => format!("`{}` is not on PATH", argv[0]),
                };
                d.add(
                    Severity::Error,
                    "notify",
                    format!("notify.command: {place}"),
                    Some(format!(
                        "install `{}`, give its absolute path, or change notify.command in `{}`",
                        argv[0],
                        crate::config::path(host).display()
                    )),
                );
            }
        }
        Some(crate::config::CommandSpec::Shell(script)) => {
            // `sh -n` parses without running anything.
            let args = vec!["-n".to_string(), "-c".to_string(), script.clone()];
            let out = crate::child::run(
                host,
                Path::new("/bin/sh"),
                &args,
                None,
                std::time::Duration::from_secs(5),
            );
            if let Ok(out) = out
                && !out.success()
            {
                d.add(
                    Severity::Error,
                    "notify",
                    format!(
                        "notify.command `{script}` is not valid shell: {}",
                        out.first_error_line()
                    ),
                    Some("fix the command in config.json".into()),
                );
            }
        }
    }
    if let Some(ch) = &cfg.notify.openclaw {
        let id = ch.channel.trim().to_ascii_lowercase();
        let well_formed = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !well_formed {
            d.add(
                Severity::Error,
                "notify",
                format!(
                    "notify.openclaw.channel `{}` is not a channel id (letters, digits and `-`, e.g. `telegram`)",
                    ch.channel
                ),
                Some("set it to one of the channels `openclaw channels list` shows".into()),
            );
        } else if !BUNDLED_CHANNELS.contains(&id.as_str()) {
            d.add(
                Severity::Warning,
                "notify",
                format!(
                    "notify.openclaw.channel `{}` is not one of OpenClaw's bundled channels; fine only if a plugin adds it",
                    ch.channel
                ),
                Some("check the spelling against `openclaw channels list`".into()),
            );
        }
        if ch.target.trim().is_empty() || ch.target.chars().any(char::is_control) {
            d.add(
                Severity::Error,
                "notify",
                format!(
                    "notify.openclaw.target {:?} is not a target (a chat, user or number, e.g. `@mychat`)",
                    ch.target
                ),
                Some("set the target `openclaw message send --target` expects".into()),
            );
        }
        if host.openclaw_bin().is_none() {
            d.add(
                Severity::Error,
                "notify",
                "notify.openclaw is set but `openclaw` is not on PATH".into(),
                Some(
                    "install OpenClaw, set CLAWSHIFT_OPENCLAW_BIN, or remove notify.openclaw"
                        .into(),
                ),
            );
        }
    }
}

/// Notices a sink has not taken yet (see `notify`): the next run sends them.
fn pending_notices(d: &mut Doctor) {
    for n in crate::api::notify::pending(d.host) {
        d.add(
            Severity::Warning,
            "notify",
            format!(
                "a notice from {} is still pending for {}: {} (last try: {})",
                crate::timefmt::iso(n.at),
                n.sinks.join(", "),
                n.text,
                n.why
            ),
            Some("fix the sink; the next `clawshift switch` (or any notify) sends it".into()),
        );
    }
}

/// The OpenClaw cron job `clawshift cron install --via openclaw` adds: whether it exists
/// and how its last run went, from `openclaw cron list --json` (the job's
/// `state.lastRunAtMs`, `lastRunStatus` and `lastError`, which the Gateway keeps).
/// Only asked when `openclaw` is installed; the list needs a reachable Gateway.
fn openclaw_cron(d: &mut Doctor) {
    let host = d.host;
    if host.openclaw_bin().is_none() {
        return;
    }
    let name = crate::cron::JOB_NAME;
    let jobs = match crate::cron::openclaw_jobs(host) {
        Ok(jobs) => jobs,
        Err(e) => {
            d.add(
                Severity::Info,
                "cron",
                format!("OpenClaw cron jobs were not checked: {e}"),
                None,
            );
            return;
        }
    };
    if jobs.len() > 1 {
        d.add(
            Severity::Warning,
            "cron",
            format!(
                "{} OpenClaw cron jobs are named {name}, so `clawshift switch` runs more often than scheduled",
                jobs.len()
            ),
            Some("`clawshift cron install --via openclaw` keeps exactly one".into()),
        );
    }
    let Some(job) = jobs.first() else {
        d.add(
            Severity::Info,
            "cron",
            format!("no OpenClaw cron job named {name}"),
            Some("`clawshift cron install --via openclaw` schedules `clawshift switch` on the Gateway (or `clawshift cron install`, in your crontab)".into()),
        );
        return;
    };
    let every = job
        .every_ms
        .map(|ms| format!(" every {}", human_duration(ms)))
        .unwrap_or_default();
    let what = format!("OpenClaw cron job {name} ({}) runs{every}", job.id);
    let Some(at) = job.last_run_ms else {
        let next = job
            .next_run_ms
            .map(|ms| format!(" (next run {})", iso(ms)))
            .unwrap_or_default();
        d.add(
            Severity::Info,
            "cron",
            format!("{what}; it has not run yet{next}"),
            None,
        );
        return;
    };
    let when = format!(
        "{} ({} ago)",
        iso(at),
        human_duration((host.now_ms() - at).max(0))
    );
    match job.last_status.as_deref() {
        Some("error") => d.add(
            Severity::Warning,
            "cron",
            format!(
                "{what}; its last run, {when}, failed: {}",
                job.last_error.as_deref().unwrap_or("no error recorded")
            ),
            Some(format!("see `openclaw cron runs --id {}`", job.id)),
        ),
        status => d.add(
            Severity::Info,
            "cron",
            format!(
                "{what}; it last ran {when}: {}",
                status.unwrap_or("no status recorded")
            ),
            None,
        ),
    }
}

fn layout(d: &mut Doctor) -> Option<openclaw::Detected> {
    let host = d.host;
    let version = host.openclaw_bin().and_then(|bin| {
        openclaw::cli::run(
            host,
            &bin,
            &["--version"],
            std::time::Duration::from_secs(10),
        )
        .ok()
        .filter(|o| o.code == Some(0))
        .map(|o| (bin, o.stdout.trim().to_string()))
    });
    match &version {
        Some((bin, v)) => d.add(
            Severity::Info,
            "openclaw",
            format!("{v} is installed (`{}`)", bin.display()),
            None,
        ),
        None => d.add(
            Severity::Info,
            "openclaw",
            "OpenClaw is not installed (no `openclaw` on PATH or CLAWSHIFT_OPENCLAW_BIN); the agreement check is skipped".into(),
            None,
        ),
    }
    match openclaw::detect(host) {
        Ok(det) => {
            d.add(
                Severity::Info,
                "layout",
                format!(
                    "layout {} (agent {}): auth store `{}`",
                    det.layout.name(),
                    det.agent,
                    det.store_path().display()
                ),
                None,
            );
            Some(det)
        }
        Err(e) => {
            let (message, fix) = split_fix(&e.to_string());
            d.add(Severity::Error, "layout", message, fix);
            None
        }
    }
}

/// Files that hold tokens: the JSON stores, OpenClaw's databases (and their journals),
/// and a leftover temp copy of any of them.
fn token_files(host: &Host) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let db = crate::openclaw::shared_db(host);
    out.push(db);
    for (_, dir) in openclaw::all_agent_dirs(host) {
        out.push(dir.join(openclaw::STORE_FILE));
        out.push(dir.join(openclaw::AGENT_DB));
    }
    let mut with_journals = Vec::new();
    for p in out {
        let s = p.display().to_string();
        with_journals.push(p);
        if s.ends_with(".sqlite") {
            for x in ["-journal", "-wal"] {
                with_journals.push(PathBuf::from(format!("{s}{x}")));
            }
        }
    }
    with_journals.retain(|p| p.is_file());
    with_journals
}

fn modes(d: &mut Doctor) {
    let host = d.host;
    for p in token_files(host) {
        if let Some(m) = file_mode(&p)
            && m & 0o077 != 0
        {
            d.add(
                Severity::Error,
                "mode",
                format!(
                    "`{}` holds tokens but is readable by others (mode {m:o})",
                    p.display()
                ),
                Some(format!("chmod 600 {}", shell_quote(&p))),
            );
        }
    }
    for (dir, what) in [
        (host.state_dir.clone(), "clawshift's state dir"),
        (host.backups_dir(), "the backups dir"),
    ] {
        if let Some(m) = file_mode(&dir)
            && m & 0o077 != 0
        {
            d.add(
                Severity::Error,
                "mode",
                format!(
                    "`{}` ({what}) is open to others (mode {m:o}); it holds copies of tokens",
                    dir.display()
                ),
                Some(format!("chmod 700 {}", shell_quote(&dir))),
            );
        }
    }
    let backups = host.backups_dir();
    let mut open: Vec<PathBuf> = fs::read_dir(&backups)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| file_mode(p).is_some_and(|m| m & 0o077 != 0) && p.is_file())
        .collect();
    open.sort();
    if !open.is_empty() {
        d.add(
            Severity::Error,
            "mode",
            format!(
                "{} backup(s) in `{}` are readable by others and may hold tokens",
                open.len(),
                backups.display()
            ),
            Some(format!(
                "chmod 600 {}",
                open.iter()
                    .map(|p| shell_quote(p))
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        );
    }
    let journal = host.journal_path();
    if let Some(m) = file_mode(&journal)
        && m & 0o077 != 0
    {
        d.add(
            Severity::Warning,
            "mode",
            format!(
                "`{}` (the journal: file names and hashes, no tokens) is readable by others (mode {m:o})",
                journal.display()
            ),
            Some(format!("chmod 600 {}", shell_quote(&journal))),
        );
    }
}

/// Directories whose files OpenClaw or clawshift trust: if group or others can write
/// one, they can swap a token store, a config or a script that cron runs.
fn writable_dirs(d: &mut Doctor) {
    let host = d.host;
    let oc = &host.openclaw_state_dir;
    let mut dirs: Vec<(PathBuf, String)> = vec![
        (oc.clone(), "OpenClaw's state dir".into()),
        (oc.join("agents"), "OpenClaw's agents dir".into()),
        (oc.join("state"), "OpenClaw's database dir".into()),
    ];
    for (agent, dir) in openclaw::all_agent_dirs(host) {
        dirs.push((dir, format!("agent `{agent}`'s dir")));
    }
    dirs.extend([
        (host.config_dir.clone(), "clawshift's config dir".into()),
        (
            host.user_scripts_dir(),
            "clawshift's scripts dir, run by cron".into(),
        ),
        (host.user_lib_dir(), "clawshift's script modules dir".into()),
        (host.state_dir.join("locks"), "clawshift's locks dir".into()),
    ]);
    let mut seen = std::collections::BTreeSet::new();
    for (dir, what) in dirs {
        if !seen.insert(dir.clone()) {
            continue;
        }
        let is_dir = fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if let Some(m) = file_mode(&dir).filter(|m| is_dir && m & 0o022 != 0) {
            d.add(
                Severity::Error,
                "mode",
                format!(
                    "`{}` ({what}) is writable by {} (mode {m:o}); they can replace the files in it",
                    dir.display(),
                    if m & 0o002 != 0 { "everyone" } else { "its group" }
                ),
                Some(format!("chmod 700 {}", shell_quote(&dir))),
            );
        }
    }
}

/// Stored profiles whose fields have the wrong type (an `expires` that is a string):
/// `status` shows them as unknown, and this names the profile and the field.
fn fields(d: &mut Doctor, det: &openclaw::Detected) {
    let Ok(auth) = openclaw::read_auth(det) else {
        return;
    };
    for (id, cred) in &auth.profiles {
        let name = id.split_once(':').map_or(id.as_str(), |(_, n)| n);
        for (field, what) in cred.malformed() {
            d.add(
                Severity::Warning,
                "profile",
                openclaw::status::malformed_text(id, field, &what),
                Some(format!(
                    "sign the account in again (`clawshift add-profile {name}`), which rewrites the profile, or fix `{field}` in `{}` by hand",
                    det.store_path().display()
                )),
            );
        }
    }
}

/// The command line of a live process, for naming a lock's holder.
fn process_name(pid: i64) -> Option<String> {
    let raw = crate::files::read_optional(Path::new(&format!("/proc/{pid}/cmdline"))).ok()??;
    let text: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).to_string())
        .collect();
    if text.is_empty() {
        None
    } else {
        Some(text.join(" "))
    }
}

fn is_openclaw_like(cmd: &str) -> bool {
    let c = cmd.to_ascii_lowercase();
    c.contains("openclaw") || c.contains("clawshift") || c.contains("node")
}

fn locks(d: &mut Doctor) {
    let host = d.host;
    let mut paths = Vec::new();
    for (_, dir) in openclaw::all_agent_dirs(host) {
        for f in [openclaw::STORE_FILE, openclaw::STATE_FILE] {
            paths.push((lock::lock_path(&dir.join(f)), lock::STALE_MS));
        }
    }
    let refresh = host.openclaw_state_dir.join("locks/oauth-refresh");
    if let Ok(entries) = fs::read_dir(&refresh) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(".lock"))
            .collect();
        found.sort();
        paths.extend(found.into_iter().map(|p| (p, REFRESH_LOCK_STALE_MS)));
    }
    for (p, stale_ms) in paths {
        let Some(state) = lock::inspect(host, &p) else {
            continue;
        };
        let rm = format!("rm {}", shell_quote(&p));
        match state {
            lock::LockState::Directory => d.add(
                Severity::Error,
                "lock",
                format!(
                    "`{}` is a directory (an older OpenClaw's proper-lockfile lock); OpenClaw 2026.9's doctor refuses to run with it and clawshift waits on it",
                    p.display()
                ),
                Some(format!(
                    "if no OpenClaw process is running: rm -r {}",
                    shell_quote(&p)
                )),
            ),
            lock::LockState::Stale { pid, dead: true } => d.add(
                Severity::Warning,
                "lock",
                format!(
                    "`{}` is a stale lock: process {} that took it is no longer running",
                    p.display(),
                    pid.map_or("?".into(), |p| p.to_string())
                ),
                Some(format!(
                    "OpenClaw and clawshift take it over on their next write; to clear it now: {rm}"
                )),
            ),
            lock::LockState::Stale { pid, .. } | lock::LockState::Held { pid } => {
                let who = pid.and_then(process_name);
                let age_ms = lock_age_ms(host, &p);
                let old = age_ms.is_some_and(|a| a > stale_ms);
                match (pid, &who) {
                    (Some(pid), Some(cmd)) if !is_openclaw_like(cmd) => d.add(
                        Severity::Warning,
                        "lock",
                        format!(
                            "`{}` is held by process {pid} (`{cmd}`), which is not OpenClaw or clawshift (a reused pid?)",
                            p.display()
                        ),
                        Some(format!(
                            "if no OpenClaw process is writing the store: {rm}"
                        )),
                    ),
                    _ if old => d.add(
                        Severity::Warning,
                        "lock",
                        format!(
                            "`{}` has been held for {} by process {}; OpenClaw counts it as stale after {}",
                            p.display(),
                            human_duration(age_ms.unwrap_or(0)),
                            pid.map_or("?".into(), |p| p.to_string()),
                            human_duration(stale_ms)
                        ),
                        Some(format!(
                            "OpenClaw and clawshift take it over on their next write; if that process hangs, stop it, then {rm}"
                        )),
                    ),
                    _ => d.add(
                        Severity::Info,
                        "lock",
                        format!(
                            "`{}` is held right now by process {}",
                            p.display(),
                            pid.map_or("?".into(), |p| p.to_string())
                        ),
                        None,
                    ),
                }
            }
        }
    }
}

/// How old a lock is on the wall clock: its `createdAt`, else its mtime.
fn lock_age_ms(host: &Host, p: &Path) -> Option<i64> {
    let now = host.wall_clock().timestamp_millis();
    let created = crate::files::read_text_lossy(p)
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| {
            v.get("createdAt")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.timestamp_millis());
    let modified = fs::metadata(p)
        .ok()
        .and_then(|m| m.modified().ok())
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).timestamp_millis());
    created.or(modified).map(|t| now.saturating_sub(t))
}

/// Temp files an interrupted write left behind (`.<name>.<random>.tmp`).
fn leftovers(d: &mut Doctor) {
    let host = d.host;
    let mut dirs = vec![
        host.openclaw_state_dir.clone(),
        host.openclaw_state_dir.join("state"),
    ];
    dirs.extend(openclaw::all_agent_dirs(host).into_iter().map(|(_, p)| p));
    dirs.push(host.backups_dir());
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            let ours = [
                ".auth-profiles.json.",
                ".auth-state.json.",
                ".openclaw.json.",
                ".openclaw.sqlite.",
            ]
            .iter()
            .any(|p| name.starts_with(p))
                || (dir == host.backups_dir() && name.starts_with('.'));
            if ours && name.ends_with(".tmp") && e.path().is_file() {
                found.push(e.path());
            }
        }
    }
    found.sort();
    for p in found {
        let tokens = !p.to_string_lossy().contains(".openclaw.json.");
        d.add(
            Severity::Warning,
            "leftover",
            format!(
                "`{}` is a temp file left by an interrupted write{}",
                p.display(),
                if tokens {
                    " (it may hold a copy of tokens)"
                } else {
                    ""
                }
            ),
            Some(format!("rm {}", shell_quote(&p))),
        );
    }
}

/// One holder of a credential, as shown in messages.
#[derive(Debug, Clone)]
struct Held {
    id: Option<String>,
    location: String,
    live_codex: bool,
}

impl Held {
    fn show(&self) -> String {
        match (&self.id, self.live_codex) {
            (_, true) => format!("your live Codex login (`{}`)", self.location),
            (Some(id), _) => format!("{id} (`{}`)", self.location),
            (None, _) => format!("`{}`", self.location),
        }
    }
}

/// Every string under a `refresh` or `refresh_token` key.
fn refresh_tokens(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::String(s)
                        if (k == "refresh" || k == "refresh_token") && !s.is_empty() =>
                    {
                        out.push(s.clone())
                    }
                    _ => refresh_tokens(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refresh_tokens(v, out)),
        _ => {}
    }
}

fn custody(d: &mut Doctor) {
    let host = d.host;
    let profiles = match openclaw::all_stored_profiles(host) {
        Ok(p) => p,
        Err(e) => {
            let (message, fix) = split_fix(&e.to_string());
            d.add(Severity::Error, "custody", message, fix);
            return;
        }
    };
    let mut by_token: BTreeMap<String, Vec<Held>> = BTreeMap::new();
    let mut by_account: BTreeMap<String, Vec<Held>> = BTreeMap::new();
    for p in &profiles {
        let held = Held {
            id: Some(p.id.clone()),
            location: p.location.clone(),
            live_codex: false,
        };
        if let Some(t) = &p.refresh {
            by_token.entry(t.clone()).or_default().push(held.clone());
        }
        if let Some(a) = &p.account_id {
            by_account.entry(a.clone()).or_default().push(held);
        }
    }
    let live_login = crate::custody::live_codex(host)
        .ok()
        .flatten()
        .map(|l| (l.path, l.refresh_token, l.account_id));
    if let Some((live, token, account)) = &live_login {
        let held = Held {
            id: None,
            location: live.display().to_string(),
            live_codex: true,
        };
        if let Some(t) = token {
            by_token.entry(t.clone()).or_default().push(held.clone());
        }
        if let Some(a) = account
            && by_account.contains_key(a)
        {
            let ids: Vec<String> = by_account[a]
                .iter()
                .filter_map(|h| h.id.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let same_token = token
                .as_ref()
                .and_then(|t| by_token.get(t))
                .is_some_and(|h| h.len() > 1);
            if !same_token {
                d.add(
                    Severity::Info,
                    "custody",
                    format!(
                        "your live Codex login (`{}`) is account {a}, also OpenClaw's {}: they share one usage limit (with separate refresh tokens, which is fine)",
                        live.display(),
                        ids.join(", ")
                    ),
                    None,
                );
            }
        }
    }
    for holders in by_token.values() {
        if holders.len() < 2 {
            continue;
        }
        let live = holders.iter().any(|h| h.live_codex);
        let fix = if live {
            let id = holders
                .iter()
                .find_map(|h| h.id.clone())
                .unwrap_or_default();
            let name = id
                .split_once(':')
                .map_or(id.as_str(), |(_, n)| n)
                .to_string();
            format!(
                "sign {id} in again with `clawshift add-profile {name}` (a separate login with its own refresh token); never import the live Codex login"
            )
        } else {
            "keep one holder: sign the others in again with `clawshift add-profile <name>` (each login gets its own refresh token), or remove them from OpenClaw".to_string()
        };
        d.add(
            Severity::Error,
            "custody",
            format!(
                "one refresh token is held by {} places: {}; refresh tokens are single-use, so whichever refreshes second is logged out (`refresh_token_reused`)",
                holders.len(),
                holders.iter().map(Held::show).collect::<Vec<_>>().join(", ")
            ),
            Some(fix),
        );
    }
    for (account, holders) in &by_account {
        let ids: std::collections::BTreeSet<&str> =
            holders.iter().filter_map(|h| h.id.as_deref()).collect();
        if ids.len() < 2 {
            continue;
        }
        d.add(
            Severity::Warning,
            "custody",
            format!(
                "ChatGPT account {account} is signed in as {} profiles ({}); they share one usage limit, so switching between them does not help",
                ids.len(),
                ids.iter().copied().collect::<Vec<_>>().join(", ")
            ),
            Some("keep one profile per account: remove the others from OpenClaw (or keep them deliberately)".into()),
        );
    }
    backups(d, &by_token);
}

/// Backups older than the newest of their name that still hold a refresh token some
/// store holds now: a restore would give that token a second holder, and they are not
/// needed to undo the latest change.
fn backups(d: &mut Doctor, live: &BTreeMap<String, Vec<Held>>) {
    let dir = d.host.backups_dir();
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut by_name: BTreeMap<String, Vec<(i64, u32, PathBuf)>> = BTreeMap::new();
    for e in entries.filter_map(Result::ok) {
        let file = e.file_name().to_string_lossy().to_string();
        let Some((name, stamp)) = file.rsplit_once(".bak-") else {
            continue;
        };
        let (secs, n) = match stamp.split_once('-') {
            Some((s, n)) => (s.parse().unwrap_or(0), n.parse().unwrap_or(0)),
            None => (stamp.parse().unwrap_or(0), 0),
        };
        by_name
            .entry(name.to_string())
            .or_default()
            .push((secs, n, e.path()));
    }
    let mut stale = Vec::new();
    for list in by_name.values_mut() {
        list.sort();
        list.pop(); // the newest is what `undo` needs next
        for (_, _, p) in list.iter() {
            let Some(bytes) = crate::files::read_limited(p).ok().flatten() else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
                continue;
            };
            let mut tokens = Vec::new();
            refresh_tokens(&v, &mut tokens);
            if tokens.iter().any(|t| live.contains_key(t)) {
                stale.push(p.clone());
            }
        }
    }
    stale.sort();
    if !stale.is_empty() {
        d.add(
            Severity::Warning,
            "custody",
            format!(
                "{} older backup(s) in `{}` still hold live refresh tokens (a copy of a single-use token is one more holder if it is ever restored)",
                stale.len(),
                dir.display()
            ),
            Some(format!(
                "prune them (the newest backup of each file is kept for `undo`): rm {}",
                stale.iter().map(|p| shell_quote(p)).collect::<Vec<_>>().join(" ")
            )),
        );
    }
}

fn expiry(d: &mut Doctor, st: &Status) {
    for p in &st.profiles {
        if p.credential.as_deref() != Some("oauth") {
            continue;
        }
        let id = &*p.id;
        let name = id.split_once(':').map_or(id, |(_, n)| n);
        if p.kind == Some(BlockKind::Expired) {
            let why = match (p.reason.as_deref(), p.expires_in_ms) {
                (Some("refresh-failed"), _) => {
                    "OpenClaw recorded its token refresh as failed (revoked, reused or signed out)"
                        .to_string()
                }
                (_, Some(left)) => format!(
                    "the access token expired {} ago and no refresh token is stored",
                    human_duration(left.saturating_neg())
                ),
                _ => "the access token expired and no refresh token is stored".to_string(),
            };
            d.add(
                Severity::Warning,
                "expiry",
                format!("{id}: {why}; OpenClaw cannot use it"),
                Some(format!("sign in again: clawshift add-profile {name}")),
            );
            continue;
        }
        let (Some(exp), Some(left)) = (p.expires, p.expires_in_ms) else {
            continue;
        };
        if left <= 0 {
            d.add(
                Severity::Info,
                "expiry",
                format!(
                    "{id}: refresh-due: the access token expired {} ago ({}); OpenClaw refreshes it when it next uses the account",
                    human_duration(left.saturating_neg()),
                    iso(exp)
                ),
                None,
            );
        } else if left < EXPIRING_MS {
            d.add(
                Severity::Info,
                "expiry",
                format!(
                    "{id}: the access token expires in {} ({})",
                    human_duration(left),
                    iso(exp)
                ),
                None,
            );
        }
    }
}

fn agreement(d: &mut Doctor, native: Option<&Status>) {
    let host = d.host;
    if host.openclaw_bin().is_none() {
        return;
    }
    let Some(native) = native else {
        return;
    };
    let theirs = match openclaw::status::from_openclaw(host) {
        Ok(v) => v,
        Err(e) => {
            d.add(
                Severity::Warning,
                "agreement",
                format!("cannot compare with OpenClaw: {e}"),
                Some("run `openclaw models status --json` yourself to see why".into()),
            );
            return;
        }
    };
    let fix = "clawshift may not understand this OpenClaw version's files; trust `openclaw models status` meanwhile, and report the difference".to_string();
    let mut differences = Vec::new();
    let (mine, other) = (&native.profiles, &theirs.profiles);
    let only = |a: &[std::rc::Rc<Profile>], b: &[std::rc::Rc<Profile>]| {
        a.iter()
            .filter(|p| !b.iter().any(|q| q.id == p.id))
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    let (only_mine, only_theirs) = (only(mine, other), only(other, mine));
    if !only_mine.is_empty() {
        differences.push(format!("only clawshift sees {}", only_mine.join(", ")));
    }
    if !only_theirs.is_empty() {
        differences.push(format!("only OpenClaw sees {}", only_theirs.join(", ")));
    }
    for p in mine {
        let Some(q) = theirs.profile(&p.id) else {
            continue;
        };
        let (a, b) = (p.state(), q.state());
        if a != b {
            differences.push(format!(
                "{} is {a} for clawshift but {b} for OpenClaw",
                p.id
            ));
        }
        if let (Some(ea), Some(eb)) = (p.expires, q.expires)
            && ea != eb
        {
            differences.push(format!(
                "{} expires {} for clawshift but {} for OpenClaw",
                p.id,
                iso(ea),
                iso(eb)
            ));
        }
    }
    let (da, db) = (&native.default_model, &theirs.default_model);
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".into());
    if da != db {
        differences.push(format!(
            "the default model is {} for clawshift but {} for OpenClaw",
            show(da),
            show(db)
        ));
    }
    if differences.is_empty() {
        d.add(
            Severity::Info,
            "agreement",
            format!(
                "the native read agrees with `openclaw models status --json` ({} profiles, default model {})",
                mine.len(),
                show(da)
            ),
            None,
        );
    } else {
        for diff in differences {
            d.add(
                Severity::Warning,
                "agreement",
                format!("clawshift and `openclaw models status --json` disagree: {diff}"),
                Some(fix.clone()),
            );
        }
    }
}

/// One line per finding.
pub fn render(findings: &[Finding]) -> Vec<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let mut line = format!("{}: {}: {}", f.severity.name(), f.check, f.message);
            if let Some(fix) = &f.fix {
                line.push_str(&format!(" (fix: {fix})"));
            }
            line
        })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    lines.push(format!(
        "doctor: {}, {}, {} info",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        count(Severity::Info)
    ));
    lines
}

pub fn run(host: &Host, json: bool) -> Result<ExitCode, Error> {
    let found = findings(host);
    if json {
        let text =
            serde_json::to_string_pretty(&found).map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
    } else {
        for line in render(&found) {
            host.println(&line)?;
        }
    }
    Ok(if found.iter().any(|f| f.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_fix_separates_the_fix() {
        assert_eq!(
            split_fix("`x` is bad. Fix: run y"),
            ("`x` is bad".to_string(), Some("run y".to_string()))
        );
        assert_eq!(split_fix("plain"), ("plain".to_string(), None));
    }

    #[test]
    fn refresh_tokens_are_found_at_any_depth() {
        let v = serde_json::json!({"profiles": {"a": {"refresh": "r1"}}, "tokens": {"refresh_token": "r2"}, "x": [{"refresh": "r3"}]});
        let mut out = Vec::new();
        refresh_tokens(&v, &mut out);
        out.sort();
        assert_eq!(out, ["r1", "r2", "r3"]);
    }

    #[test]
    fn shell_quote_quotes_only_when_needed() {
        assert_eq!(shell_quote(Path::new("/a/b.json")), "/a/b.json");
        assert_eq!(shell_quote(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }
}
