//! Crash safety (design §7.3): every OpenClaw write path is run with
//! `__CLAWSHIFT_TEST_PAUSE_AT=n` for n = 1, 2, … until a run completes without pausing.
//! At each pause the process is SIGKILLed, and then:
//!
//! - every OpenClaw file and SQLite row is byte for byte the before or the after version
//!   (never half-written), and every one still parses;
//! - files holding tokens are 0600 (leftover temp files too), other files keep their mode;
//! - a leftover `<file>.lock` is stale by OpenClaw's rule (its pid is dead);
//! - the next clawshift run succeeds (taking the stale lock over) and ends in the after
//!   state (for `undo`: the state before the undone run).
//!
//! Every scenario runs always (about 6 s in all); with `CLAWSHIFT_LONG_TESTS=1` the
//! merge scenarios run a second time under umask 000, to show the modes do not come
//! from the umask. Each scenario prints how many kill points it covered
//! (`cargo test --test cli crash -- --nocapture`).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::openclaw::{NOW_MS, cred, free_port, jwt, layout};
use crate::support::*;

/// True when the long suites should run (`CLAWSHIFT_LONG_TESTS=1`).
pub(crate) fn long_tests() -> bool {
    std::env::var("CLAWSHIFT_LONG_TESTS").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// How a run under a kill point ended.
pub(crate) enum Run {
    /// Stopped at this kill point and was killed there.
    Killed(String),
    /// Ran to the end without reaching the kill point.
    Finished(std::process::Output),
}

/// Runs `c` with `__CLAWSHIFT_TEST_PAUSE_AT=n`; SIGKILLs it once it reports the pause.
pub(crate) fn run_to_point(mut c: Command, n: usize) -> Run {
    c.env("__CLAWSHIFT_TEST_PAUSE_AT", n.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn clawshift");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            all.push_str(&line);
            all.push('\n');
            if let Some(name) = line.strip_prefix("paused at ") {
                let _ = tx.send(name.to_string());
            }
        }
        all
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(name) => {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
            let _ = reader.join();
            Run::Killed(name)
        }
        Err(_) => {
            let status = child.wait().expect("wait");
            let mut stdout = Vec::new();
            if let Some(mut o) = child.stdout.take() {
                std::io::Read::read_to_end(&mut o, &mut stdout).expect("stdout");
            }
            let stderr = reader.join().expect("reader").into_bytes();
            Run::Finished(std::process::Output {
                status,
                stdout,
                stderr,
            })
        }
    }
}

/// `clawshift` in the sandbox as a plain `Command` (no gateway, no `openclaw`).
pub(crate) fn clawshift(s: &Sandbox, args: &[String]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("clawshift"));
    c.env_clear()
        .env("HOME", s.root().join("home"))
        .env("PATH", format!("{}:/usr/bin:/bin", s.bin().display()))
        .env("CLAWSHIFT_HOME", s.home())
        .env("CLAWSHIFT_NOW", NOW)
        .env("OPENCLAW_STATE_DIR", s.openclaw())
        .env("CODEX_HOME", s.codex())
        .env("TMPDIR", s.root().join("tmp"))
        .env("OPENCLAW_GATEWAY_PORT", free_port().to_string())
        .args(args)
        .current_dir(s.root());
    c
}

/// One item of OpenClaw's state: a file's bytes or a SQLite row's columns.
type State = BTreeMap<String, Vec<u8>>;

fn is_scratch(name: &str) -> bool {
    name.ends_with(".lock")
        || name.ends_with(".tmp")
        || name.ends_with("-journal")
        || name.ends_with("-wal")
        || name.ends_with("-shm")
}

/// Every OpenClaw file (bytes) and every SQLite row (its columns but the update time),
/// keyed by path relative to the OpenClaw dir.
pub(crate) fn openclaw_state(s: &Sandbox) -> State {
    let root = s.openclaw();
    let mut out = State::new();
    for p in walk(&root) {
        let name = p.file_name().expect("name").to_string_lossy().to_string();
        let rel = p.strip_prefix(&root).expect("rel").display().to_string();
        if p.is_dir() || is_scratch(&name) {
            continue;
        }
        if name.ends_with(".sqlite") {
            let c = rusqlite::Connection::open_with_flags(
                &p,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .expect("open db");
            let ok: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .expect("integrity");
            assert_eq!(ok, "ok", "{rel} is corrupt");
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .expect("tables")
                .query_map([], |r| r.get(0))
                .expect("tables")
                .map(|t| t.expect("table"))
                .collect();
            for t in tables {
                let mut st = c.prepare(&format!("SELECT * FROM {t}")).expect("select");
                let cols: Vec<String> = st.column_names().map(|c| c.to_string()).collect();
                let rows = st
                    .query_map([], |r| {
                        let mut vals = Vec::new();
                        for (i, name) in cols.iter().enumerate() {
                            if name.starts_with("updated_at") {
                                continue;
                            }
                            let v: rusqlite::types::Value = r.get(i)?;
                            vals.push(format!("{v:?}"));
                        }
                        Ok(vals)
                    })
                    .expect("rows");
                for row in rows {
                    let row = row.expect("row");
                    let key = format!("{rel}#{t}/{}", row[0]);
                    out.insert(key, row[1..].join("\u{1f}").into_bytes());
                }
            }
        } else {
            out.insert(rel, fs::read(&p).expect("read"));
        }
    }
    out
}

/// Checks the invariants of a state left by a killed run.
fn check_killed_state(
    s: &Sandbox,
    before: &State,
    after: &State,
    modes: &BTreeMap<String, u32>,
    at: &str,
) {
    let now = openclaw_state(s);
    let keys: std::collections::BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .chain(now.keys())
        .collect();
    for k in keys {
        let (b, a, n) = (before.get(k), after.get(k), now.get(k));
        assert!(
            n == b || n == a,
            "killed at {at}: {k} is neither the before nor the after version:\n{}",
            n.map(|v| String::from_utf8_lossy(v).to_string())
                .unwrap_or_else(|| "(absent)".into())
        );
        // Whatever is there parses.
        if let Some(bytes) = n
            && !k.contains('#')
        {
            let text = std::str::from_utf8(bytes).expect("utf-8");
            if k.ends_with("openclaw.json") {
                json5::from_str::<Value>(text).expect("openclaw.json parses");
            } else if k.ends_with(".json") {
                serde_json::from_str::<Value>(text).expect("store parses");
            }
        }
    }
    for p in walk(&s.openclaw()) {
        let m = fs::symlink_metadata(&p).expect("meta");
        let name = p.file_name().expect("name").to_string_lossy().to_string();
        let mode = m.permissions().mode() & 0o777;
        if m.is_dir() {
            if name.ends_with(".lock") {
                panic!("killed at {at}: a lock directory {} was left", p.display());
            }
            continue;
        }
        if name.ends_with(".lock") {
            let v: Value = serde_json::from_str(&fs::read_to_string(&p).expect("lock"))
                .unwrap_or_else(|e| panic!("killed at {at}: {} is not JSON: {e}", p.display()));
            let pid = v["pid"].as_i64().expect("pid");
            assert!(
                !Path::new(&format!("/proc/{pid}")).exists(),
                "killed at {at}: {} names a live pid {pid}",
                p.display()
            );
            assert!(v["createdAt"].is_string(), "{v}");
            assert_eq!(mode, 0o600, "killed at {at}: {}", p.display());
            continue;
        }
        let rel = p
            .strip_prefix(s.openclaw())
            .expect("rel")
            .display()
            .to_string();
        // SQLite gives its hot journal the database's own mode.
        if let Some(db) = ["-journal", "-wal", "-shm"]
            .iter()
            .find_map(|x| name.strip_suffix(x))
        {
            let db = p.with_file_name(db);
            assert_eq!(mode, super::support::mode(&db), "killed at {at}: {name}");
            continue;
        }
        // JSON stores are replaced whole, as 0600 (also their temp files); OpenClaw's
        // databases are updated in place and keep whatever mode OpenClaw gave them.
        let token_file = name.contains("auth-profiles.json") || name.contains("auth-state.json");
        let unchanged = name.ends_with(".sqlite") && modes.contains_key(&rel)
            || before.get(&rel).is_some() && now.get(&rel) == before.get(&rel);
        if name.ends_with(".tmp") && name.starts_with(".openclaw.json.") {
            let target = p.with_file_name("openclaw.json");
            let want = if target.exists() {
                super::support::mode(&target)
            } else {
                0o600
            };
            assert_eq!(mode, want, "killed at {at}: {rel}");
            continue;
        }
        match modes.get(&rel) {
            // A file left as it was (or a database updated in place) keeps its mode.
            Some(m) if unchanged || !token_file => assert_eq!(
                mode,
                *m,
                "killed at {at}: {} changed mode from {m:o} to {mode:o}",
                p.display()
            ),
            // A token file clawshift rewrote is 0600, whatever it was; so is any file
            // it created.
            _ => assert_eq!(
                mode,
                0o600,
                "killed at {at}: {} was written as {mode:o}",
                p.display()
            ),
        }
    }
    // clawshift's own files: backups 0600 in a 0700 dir, the journal 0600.
    let backups = s.home().join("backups");
    if backups.exists() {
        assert_eq!(mode(&backups), 0o700, "killed at {at}");
        for e in fs::read_dir(&backups).expect("backups").flatten() {
            assert_eq!(
                mode(&e.path()),
                0o600,
                "killed at {at}: {}",
                e.path().display()
            );
        }
    }
    let journal = s.home().join("journal.jsonl");
    if journal.exists() {
        assert_eq!(mode(&journal), 0o600, "killed at {at}");
        for line in fs::read_to_string(&journal).expect("journal").lines() {
            serde_json::from_str::<Value>(line).expect("whole journal lines");
        }
    }
}

/// The mode of every file under the OpenClaw dir, by relative path.
fn file_modes(s: &Sandbox) -> BTreeMap<String, u32> {
    walk(&s.openclaw())
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.strip_prefix(s.openclaw())
                    .expect("rel")
                    .display()
                    .to_string(),
                mode(&p),
            )
        })
        .collect()
}

fn show(state: &State) -> String {
    state
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds a command line for a sandbox.
pub(crate) type ArgsFn = Box<dyn Fn(&Sandbox) -> Vec<String>>;

/// One crash scenario: a setup, the command under test, and the command that recovers.
pub(crate) struct Scenario {
    pub name: &'static str,
    /// Run every clawshift process of the scenario under this umask.
    pub umask: Option<u32>,
    pub setup: Box<dyn Fn(&Sandbox)>,
    pub args: ArgsFn,
    /// The run after a crash; `None`: the same command again.
    pub recover: Option<ArgsFn>,
}

/// Kills the scenario at every kill point in turn and checks each crash. Returns the
/// names of the kill points covered, in order.
pub(crate) fn crash_everywhere(sc: &Scenario) -> Vec<String> {
    let clawshift = |s: &Sandbox, args: &[String]| {
        let mut c = clawshift(s, args);
        if let Some(mask) = sc.umask {
            with_umask(&mut c, mask);
        }
        c
    };
    // The before and after states, from one undisturbed run.
    let s = Sandbox::new();
    fs::create_dir_all(s.root().join("tmp")).expect("tmp");
    (sc.setup)(&s);
    let before = openclaw_state(&s);
    let args = (sc.args)(&s);
    let out = clawshift(&s, &args).output().expect("run");
    assert!(
        out.status.success(),
        "{}: the undisturbed run failed: {}",
        sc.name,
        stderr(&out)
    );
    let after = openclaw_state(&s);
    assert_ne!(before, after, "{}: the run changed nothing", sc.name);
    let mut points = Vec::new();
    for n in 1.. {
        assert!(n < 200, "{}: more than 200 kill points?", sc.name);
        let s = Sandbox::new();
        fs::create_dir_all(s.root().join("tmp")).expect("tmp");
        (sc.setup)(&s);
        assert_eq!(
            openclaw_state(&s),
            before,
            "{}: setup is not deterministic",
            sc.name
        );
        let modes = file_modes(&s);
        let args = (sc.args)(&s);
        match run_to_point(clawshift(&s, &args), n) {
            Run::Finished(out) => {
                assert!(
                    out.status.success(),
                    "{}: run {n} failed: {}",
                    sc.name,
                    stderr(&out)
                );
                assert_eq!(openclaw_state(&s), after, "{}", sc.name);
                break;
            }
            Run::Killed(at) => {
                let at = format!("{} #{n} {at}", sc.name);
                check_killed_state(&s, &before, &after, &modes, &at);
                let again = match &sc.recover {
                    Some(f) => f(&s),
                    None => args.clone(),
                };
                let out = clawshift(&s, &again).output().expect("recover");
                assert!(
                    out.status.success(),
                    "{at}: the next run failed: {}",
                    stderr(&out)
                );
                for text in [stdout(&out), stderr(&out)] {
                    assert!(!text.contains("panicked"), "{at}: {text}");
                }
                let now = openclaw_state(&s);
                assert!(
                    now == after,
                    "{at}: the next run did not end in the after state:\n{}\n--- want ---\n{}",
                    show(&now),
                    show(&after)
                );
                // A run that had to write took the stale lock over and released it; one
                // that found nothing left to write leaves it, still stale (OpenClaw
                // takes it over the same way).
                let lock = s
                    .openclaw()
                    .join("agents/main/agent/auth-profiles.json.lock");
                if lock.exists() {
                    let v: Value = serde_json::from_str(&fs::read_to_string(&lock).expect("lock"))
                        .expect("lock json");
                    let pid = v["pid"].as_i64().expect("pid");
                    assert!(
                        !Path::new(&format!("/proc/{pid}")).exists(),
                        "{at}: a live lock was left"
                    );
                }
                points.push(at);
            }
        }
    }
    eprintln!(
        "crash: {}: {} kill points covered: {}",
        sc.name,
        points.len(),
        points
            .iter()
            .map(|p| p.rsplit(' ').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    points
}

/// Makes `c` run under `mask` (set in the child between fork and exec).
pub(crate) fn with_umask(c: &mut Command, mask: u32) {
    use std::os::unix::process::CommandExt;
    // SAFETY: umask is async-signal-safe and touches only the child's own state.
    unsafe {
        c.pre_exec(move || {
            libc::umask(mask as libc::mode_t);
            Ok(())
        });
    }
}

fn eval_args(snippet: String) -> Vec<String> {
    vec!["eval".into(), snippet]
}

fn merge(fixture: &'static str, provider: &'static str) -> Scenario {
    Scenario {
        umask: None,
        name: fixture,
        setup: Box::new(move |s| layout(s, fixture)),
        args: Box::new(move |_| {
            eval_args(format!(
                r#"merge_profile("{provider}:dave", {}).action"#,
                cred("dave")
            ))
        }),
        recover: None,
    }
}

/// A Codex `auth.json` for the import scenario (not the live login).
fn auth_json() -> String {
    let access = jwt("erin", NOW_MS + 5 * 86_400_000);
    serde_json::to_string_pretty(&json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": access,
            "access_token": access,
            "refresh_token": "rt_FAKE_erin_crash_0001",
            "account_id": "acct-erin-0001",
        },
        "last_refresh": "2026-11-25T11:00:00Z",
    }))
    .expect("json")
}

fn add_profile_scenario(layout_name: &'static str) -> Scenario {
    Scenario {
        umask: None,
        name: layout_name,
        setup: Box::new(move |s| {
            crate::add_profile::openclaw_state(s, layout_name, true);
            s.write("erin-auth.json", &auth_json());
        }),
        args: Box::new(|s| {
            vec![
                "--yes".into(),
                "add-profile".into(),
                "erin".into(),
                "--from-auth-json".into(),
                s.root().join("erin-auth.json").display().to_string(),
            ]
        }),
        recover: None,
    }
}

/// Runs a scenario and returns how many kill points it covered.
fn run(name: &'static str, mut sc: Scenario) -> usize {
    sc.name = name;
    let points = crash_everywhere(&sc);
    assert!(points.len() >= 3, "{name}: only {points:?}");
    points.len()
}

#[test]
fn crash_at_every_point_of_merge_profile_in_legacy_json() {
    run("merge_profile legacy-json", merge("legacy", "openai-codex"));
}

#[test]
fn crash_at_every_point_of_merge_profile_in_sqlite() {
    run("merge_profile sqlite", merge("sqlite", "openai"));
}

#[test]
fn crash_at_every_point_of_merge_profile_in_split_json() {
    run("merge_profile split-json", merge("split", "openai-codex"));
}

#[test]
fn crash_at_every_point_of_merge_profile_in_agent_sqlite() {
    run(
        "merge_profile agent-sqlite",
        merge("agent-sqlite", "openai"),
    );
}

#[test]
fn crash_at_every_point_of_merge_profile_on_an_empty_state() {
    let sc = Scenario {
        umask: None,
        name: "",
        setup: Box::new(|_| {}),
        args: Box::new(|_| {
            eval_args(format!(
                r#"merge_profile("openai:dave", {}).action"#,
                cred("dave")
            ))
        }),
        recover: None,
    };
    run("merge_profile fresh sqlite", sc);
}

#[test]
fn crash_at_every_point_of_set_model() {
    for (fixture, model, profile) in [
        ("legacy", "openai-codex/gpt-5.4", "openai-codex:bob"),
        ("sqlite", "openai/gpt-5.4", "openai:carol"),
    ] {
        let sc = Scenario {
            umask: None,
            name: "",
            setup: Box::new(move |s| layout(s, fixture)),
            args: Box::new(move |_| {
                eval_args(format!(r#"set_model("{model}", "{profile}").changed"#))
            }),
            recover: None,
        };
        run(
            if fixture == "legacy" {
                "set_model legacy-json"
            } else {
                "set_model sqlite"
            },
            sc,
        );
    }
}

#[test]
fn crash_at_every_point_of_add_profile_from_auth_json() {
    run(
        "add-profile --from-auth-json sqlite",
        add_profile_scenario("sqlite"),
    );
    run(
        "add-profile --from-auth-json legacy-json",
        add_profile_scenario("legacy-json"),
    );
}

#[test]
fn crash_at_every_point_of_undo() {
    for (fixture, provider) in [("legacy", "openai-codex"), ("sqlite", "openai")] {
        // The state before the undone run is the after state of the undo.
        let sc = Scenario {
            umask: None,
            name: "",
            setup: Box::new(move |s| {
                layout(s, fixture);
                let out = clawshift(
                    s,
                    &eval_args(format!(
                        r#"merge_profile("{provider}:dave", {}).action"#,
                        cred("dave")
                    )),
                )
                .output()
                .expect("merge");
                assert!(out.status.success(), "{}", stderr(&out));
            }),
            args: Box::new(|_| vec!["undo".into()]),
            // `undo <id>` finishes an interrupted undo, and succeeds on a finished one.
            recover: Some(Box::new(|s| {
                let journal = fs::read_to_string(s.home().join("journal.jsonl")).expect("j");
                let first: Value =
                    serde_json::from_str(journal.lines().next().expect("line")).expect("json");
                vec!["undo".into(), first["run"].as_str().expect("run").into()]
            })),
        };
        run(
            if fixture == "legacy" {
                "undo legacy-json"
            } else {
                "undo sqlite"
            },
            sc,
        );
    }
}

#[test]
fn crash_under_umask_000_keeps_the_same_modes() {
    for (fixture, provider) in [("legacy", "openai-codex"), ("sqlite", "openai")] {
        let mut sc = merge(fixture, provider);
        sc.umask = Some(0);
        run(
            if fixture == "legacy" {
                "merge_profile legacy-json umask 000"
            } else {
                "merge_profile sqlite umask 000"
            },
            sc,
        );
    }
    let mut sc = Scenario {
        umask: Some(0),
        name: "",
        setup: Box::new(|_| {}),
        args: Box::new(|_| {
            eval_args(format!(
                r#"merge_profile("openai:dave", {}).action"#,
                cred("dave")
            ))
        }),
        recover: None,
    };
    sc.name = "fresh";
    run("merge_profile fresh sqlite umask 000", sc);
}
