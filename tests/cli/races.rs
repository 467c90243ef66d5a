//! The races issue #12 found between clawshift and OpenClaw's own writers: a sub-agent
//! run, `undo`, the order handed to `openclaw models auth order set`, and the backups
//! of runs made at once. Each race test runs an OpenClaw-like writer for at least 400
//! committed updates beside clawshift, proves the two overlapped, and then finds every
//! one of the writer's updates on disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::concurrency::{openclaw_lock, replace};
use crate::crash::{Run, clawshift, run_to_point};
use crate::openclaw::{
    agent_db, agent_dir, cred, fake_openclaw, layout, ok, read_json, row, shared_db, std_cmd,
};
use crate::support::*;

/// Committed updates each OpenClaw-like writer makes.
const COMMITS: usize = 400;

/// How a writer ran: its commits, and how many of them landed while a clawshift run
/// was in flight (the proof that the two overlapped).
struct Tally {
    commits: usize,
    overlapped: usize,
}

/// Runs `commit(i)` COMMITS times in bursts of ten (1 ms apart, then a pause of
/// `pause_ms`, so clawshift runs land both between and during bursts), counting the
/// commits made while `busy` is set. Sets `done` at the end.
fn writer(
    busy: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    pause_ms: u64,
    mut commit: impl FnMut(usize) + Send + 'static,
) -> std::thread::JoinHandle<Tally> {
    std::thread::spawn(move || {
        let mut overlapped = 0;
        for i in 0..COMMITS {
            commit(i);
            if busy.load(Ordering::SeqCst) > 0 {
                overlapped += 1;
            }
            let pause = if i % 10 == 9 { pause_ms } else { 1 };
            std::thread::sleep(Duration::from_millis(pause));
        }
        done.store(true, Ordering::SeqCst);
        Tally {
            commits: COMMITS,
            overlapped,
        }
    })
}

/// One OpenClaw JSON commit: under `<store>.lock`, re-read, add a token profile to the
/// store and a `usageStats` entry to the state file (the store itself in the legacy
/// layout), write by rename, unlock.
fn json_commit(store: &Path, i: usize) {
    let lock = openclaw_lock(store);
    let mut doc = read_json(store);
    doc["profiles"][format!("anthropic:w{i}")] =
        json!({"type": "token", "provider": "anthropic", "token": format!("sk-ant-FAKE-w{i}")});
    replace(store, &doc);
    let state = store.with_file_name("auth-state.json");
    let target = if state.exists() { &state } else { store };
    let mut st = read_json(target);
    st["usageStats"][format!("anthropic:w{i}")] = json!({"lastUsed": i, "errorCount": 0});
    replace(target, &st);
    fs::remove_file(&lock).expect("unlock");
}

/// One OpenClaw SQLite commit: in one transaction, a token profile in the shared store
/// row and a `usageStats` entry in the shared state row.
fn sqlite_commit(c: &rusqlite::Connection, i: usize) {
    c.execute_batch("BEGIN IMMEDIATE").expect("begin");
    for (key, section, value) in [
        (
            "authProfiles.store",
            "profiles",
            json!({"type": "token", "provider": "anthropic", "token": format!("sk-ant-FAKE-w{i}")}),
        ),
        ("authProfiles.state", "usageStats", json!({"lastUsed": i})),
    ] {
        change_row(c, key, |v| v[section][format!("anthropic:w{i}")] = value);
    }
    c.execute_batch("COMMIT").expect("commit");
}

/// Reads one shared row, changes it and writes it back (in the caller's transaction).
fn change_row(c: &rusqlite::Connection, key: &str, change: impl FnOnce(&mut Value)) {
    let text: String = c
        .query_row(
            "SELECT value_json FROM config_machine_state WHERE state_key = ?1",
            [key],
            |r| r.get(0),
        )
        .expect("row");
    let mut v: Value = serde_json::from_str(&text).expect("json");
    change(&mut v);
    c.execute(
        "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = ?2",
        rusqlite::params![v.to_string(), key],
    )
    .expect("update");
}

/// The OpenClaw commits missing from a SQLite layout's shared rows.
fn lost_sqlite_commits(db: &Path) -> Vec<usize> {
    let store = row(db, "config_machine_state", "authProfiles.store").expect("store");
    let st = row(db, "config_machine_state", "authProfiles.state").expect("state");
    (0..COMMITS)
        .filter(|i| {
            let k = format!("anthropic:w{i}");
            store["profiles"].get(&k).is_none() || st["usageStats"].get(&k).is_none()
        })
        .collect()
}

/// Runs clawshift with `args`, counting it as in flight for the writer.
fn run(s: &Sandbox, busy: &AtomicUsize, args: &[&str]) -> std::process::Output {
    busy.fetch_add(1, Ordering::SeqCst);
    let out = std_cmd(s)
        .args(["--timeout", "60"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run clawshift");
    busy.fetch_sub(1, Ordering::SeqCst);
    out
}

fn assert_all_json_commits_kept(store: &Path, what: &str) {
    let doc = read_json(store);
    let state = store.with_file_name("auth-state.json");
    let st = if state.exists() {
        read_json(&state)
    } else {
        doc.clone()
    };
    let lost: Vec<usize> = (0..COMMITS)
        .filter(|i| {
            let k = format!("anthropic:w{i}");
            doc["profiles"].get(&k).is_none() || st["usageStats"].get(&k).is_none()
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{what}: {} of {COMMITS} OpenClaw commits lost: {lost:?}",
        lost.len()
    );
}

/// Bug fix: with `--agent <sub>` in the JSON eras clawshift rewrote the main agent's
/// `auth-profiles.json` holding only the sub-agent's lock, losing the updates OpenClaw
/// made to the main store meanwhile, and put the sub-agent's profile into main's order.
#[test]
fn a_sub_agent_run_beside_an_openclaw_writer_on_the_main_store_loses_no_update() {
    for fixture in ["legacy", "split"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let store = agent_dir(&s).join("auth-profiles.json");
        let (busy, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let w = {
            let store = store.clone();
            writer(busy.clone(), done.clone(), 40, move |i| {
                json_commit(&store, i)
            })
        };
        let mut runs = 0;
        while !done.load(Ordering::SeqCst) {
            let id = format!("openai-codex:s{runs}");
            let merge = format!(
                r#"merge_profile("{id}", {}).action"#,
                cred(&format!("s{runs}"))
            );
            assert_eq!(
                ok(run(&s, &busy, &["--agent", "ops", "eval", &merge])),
                "added\n"
            );
            let set = format!(r#"set_model("openai-codex/gpt-5.5", "{id}").changed"#);
            assert_eq!(
                ok(run(&s, &busy, &["--agent", "ops", "eval", &set])),
                "true\n"
            );
            runs += 1;
        }
        let tally = w.join().expect("writer");
        assert!(tally.overlapped > 0, "{fixture}: the runs never overlapped");
        assert_all_json_commits_kept(&store, fixture);
        // The main agent's order never names the sub-agent's profiles; the sub-agent's
        // own store holds them, each in its order.
        let main_state = if fixture == "split" {
            read_json(&agent_dir(&s).join("auth-state.json"))
        } else {
            read_json(&store)
        };
        assert_eq!(
            main_state["order"]["openai-codex"],
            json!([
                "openai-codex:alice",
                "openai-codex:bob",
                "openai-codex:carol"
            ]),
            "{fixture}"
        );
        let ops = s.openclaw().join("agents/ops/agent");
        let ops_store = read_json(&ops.join("auth-profiles.json"));
        let ops_state = if fixture == "split" {
            read_json(&ops.join("auth-state.json"))
        } else {
            ops_store.clone()
        };
        let order = ops_state["order"]["openai-codex"]
            .as_array()
            .expect("order");
        for k in 0..runs {
            let id = format!("openai-codex:s{k}");
            assert!(ops_store["profiles"].get(&id).is_some(), "{fixture}: {id}");
            assert!(order.contains(&json!(id)), "{fixture}: {id} not in order");
        }
        eprintln!(
            "races: sub-agent {fixture}: {} OpenClaw commits ({} during a run), {} clawshift runs, 0 lost",
            tally.commits,
            tally.overlapped,
            2 * runs
        );
    }
}

/// Bug fix: `undo` wrote JSON stores without OpenClaw's lock and checked a SQLite row
/// outside the transaction that restored it, so an OpenClaw update committed in that
/// gap was overwritten.
#[test]
fn undo_beside_an_openclaw_writer_loses_no_update() {
    for fixture in ["legacy", "split", "sqlite"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let provider = if fixture == "sqlite" {
            "openai"
        } else {
            "openai-codex"
        };
        let (busy, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let store = agent_dir(&s).join("auth-profiles.json");
        let db = shared_db(&s);
        let w = if fixture == "sqlite" {
            let c = rusqlite::Connection::open(&db).expect("open");
            c.busy_timeout(Duration::from_secs(10)).expect("busy");
            // Pauses long enough for a merge and an undo to fit between two bursts on a
            // loaded machine, so some undos go through as well as some refused.
            writer(busy.clone(), done.clone(), 150, move |i| {
                sqlite_commit(&c, i)
            })
        } else {
            let store = store.clone();
            writer(busy.clone(), done.clone(), 150, move |i| {
                json_commit(&store, i)
            })
        };
        let (mut undone, mut refused) = (Vec::new(), Vec::new());
        let mut k = 0;
        while !done.load(Ordering::SeqCst) {
            let id = format!("{provider}:u{k}");
            let merge = format!(
                r#"merge_profile("{id}", {}).action"#,
                cred(&format!("u{k}"))
            );
            assert_eq!(ok(run(&s, &busy, &["eval", &merge])), "added\n");
            let out = run(&s, &busy, &["undo"]);
            if out.status.success() {
                undone.push(id);
            } else {
                let err = stderr(&out);
                assert!(
                    err.contains("changed after run") || err.contains("changed while undo"),
                    "{fixture}: {err}"
                );
                refused.push(id);
            }
            k += 1;
        }
        let tally = w.join().expect("writer");
        assert!(tally.overlapped > 0, "{fixture}: the runs never overlapped");
        assert!(!undone.is_empty(), "{fixture}: no undo ever went through");
        let profiles = if fixture == "sqlite" {
            let lost = lost_sqlite_commits(&db);
            assert!(lost.is_empty(), "sqlite: OpenClaw commits lost: {lost:?}");
            row(&db, "config_machine_state", "authProfiles.store").expect("store")["profiles"]
                .clone()
        } else {
            assert_all_json_commits_kept(&store, fixture);
            read_json(&store)["profiles"].clone()
        };
        // Each undo did what it said: an undone profile is gone, a refused one is kept.
        for id in &undone {
            assert!(
                profiles.get(id).is_none(),
                "{fixture}: {id} survived its undo"
            );
        }
        for id in &refused {
            assert!(
                profiles.get(id).is_some(),
                "{fixture}: {id} lost by a refused undo"
            );
        }
        eprintln!(
            "races: undo {fixture}: {} OpenClaw commits ({} during a run), {} undone, {} refused, 0 lost",
            tally.commits,
            tally.overlapped,
            undone.len(),
            refused.len()
        );
    }
}

/// Bug fix: with `openclaw` installed, `set_model(model, profile)` read the order, then
/// handed that list to `openclaw models auth order set`, which takes seconds to start:
/// a profile added in between dropped out of the order OpenClaw uses. Here the run is
/// paused right after it read the order while another run adds a profile.
#[test]
fn an_order_set_through_openclaw_keeps_a_profile_added_while_it_started() {
    for fixture in ["legacy", "sqlite"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        fake_openclaw(&s);
        let p = if fixture == "sqlite" {
            "openai"
        } else {
            "openai-codex"
        };
        let version = if fixture == "sqlite" {
            "2026.9.6"
        } else {
            "2026.4.21"
        };
        // The order as each fixture has it, less carol, who goes first.
        let others = match fixture {
            "sqlite" => format!("{p}:bob, {p}:alice"),
            _ => format!("{p}:alice, {p}:bob"),
        };
        let args = vec![
            "eval".to_string(),
            format!(r#"set_model("{p}/gpt-5.5", "{p}:carol")"#),
        ];
        let with_fake = |s: &Sandbox, args: &[String]| {
            let mut c = clawshift(s, args);
            c.env("FAKE_OPENCLAW_VERSION", version);
            c
        };
        let (out, err) = run_paused(
            |probe| {
                layout(probe, fixture);
                fake_openclaw(probe);
            },
            &s,
            |s| with_fake(s, &args),
            "order-read",
            || {
                let merge = format!(r#"merge_profile("{p}:dave", {}).action"#, cred("dave"));
                assert_eq!(
                    ok(with_fake(&s, &["eval".into(), merge])
                        .output()
                        .expect("merge")),
                    "added\n"
                );
            },
        );
        assert!(out.status.success(), "{fixture}: {err}");
        let report: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            report["applied"],
            json!([format!(
                "order {p}: {p}:carol, {others} (through `openclaw models auth order set --provider {p}`; then appended {p}:dave, added meanwhile, under the lock)"
            )]),
            "{fixture}: {report}"
        );
        let order = match fixture {
            "sqlite" => {
                row(&agent_db(&s), "auth_profile_state", "primary").expect("state")["order"][p]
                    .clone()
            }
            // 2026.4.21's `order set` moves the order to auth-state.json (recorded in
            // openclaw-real/after-order-set-2026.4.21-legacy), where OpenClaw reads it.
            _ => read_json(&agent_dir(&s).join("auth-state.json"))["order"][p].clone(),
        };
        assert_eq!(
            order,
            json!(
                format!("{p}:carol, {others}, {p}:dave")
                    .split(", ")
                    .collect::<Vec<_>>()
            ),
            "{fixture}"
        );
    }
}

/// Runs the command `cmd(s)` until it reaches the kill point named `point` (its number
/// found on probe sandboxes set up by `prepare`, as `s` was), runs `during` while it
/// waits there, then lets it finish. Returns its output and its stderr.
pub(crate) fn run_paused(
    prepare: impl Fn(&Sandbox),
    s: &Sandbox,
    cmd: impl Fn(&Sandbox) -> std::process::Command,
    point: &str,
    during: impl FnOnce(),
) -> (std::process::Output, String) {
    let n = (1..60)
        .find(|n| {
            let probe = Sandbox::new();
            prepare(&probe);
            match run_to_point(cmd(&probe), *n) {
                Run::Killed(at) => at == point,
                Run::Finished(out) => panic!("never reached {point}: {}", stderr(&out)),
            }
        })
        .unwrap_or_else(|| panic!("no {point} kill point"));
    let resume = s.root().join("resume");
    let _ = fs::remove_file(&resume);
    let mut c = cmd(s);
    c.env("__CLAWSHIFT_TEST_PAUSE_AT", n.to_string())
        .env("__CLAWSHIFT_TEST_RESUME_FILE", &resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if line.starts_with("paused at ") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("never paused at {point}"));
    during();
    fs::write(&resume, "").expect("resume");
    let out = child.wait_with_output().expect("wait");
    (out, reader.join().expect("stderr"))
}

/// The deterministic form of the race above: an OpenClaw commit lands exactly between
/// `undo`'s first check and its write. The check under the lock finds it and restores
/// nothing, so the commit is kept.
#[test]
fn an_openclaw_commit_between_undos_check_and_its_write_is_kept() {
    for fixture in ["legacy", "sqlite"] {
        let s = Sandbox::new();
        let p = if fixture == "sqlite" {
            "openai"
        } else {
            "openai-codex"
        };
        let prepare = |s: &Sandbox| {
            layout(s, fixture);
            let merge = format!(r#"merge_profile("{p}:dave", {}).action"#, cred("dave"));
            assert_eq!(
                ok(std_cmd(s).args(["eval", &merge]).output().expect("run")),
                "added\n"
            );
        };
        prepare(&s);
        let (out, err) = run_paused(
            prepare,
            &s,
            |s| clawshift(s, &["undo".into()]),
            "undo-checked",
            || match fixture {
                "sqlite" => {
                    let c = rusqlite::Connection::open(shared_db(&s)).expect("open");
                    sqlite_commit(&c, 0);
                }
                _ => json_commit(&agent_dir(&s).join("auth-profiles.json"), 0),
            },
        );
        assert_eq!(out.status.code(), Some(1), "{fixture}: {err}");
        assert!(
            err.contains("changed after run") && err.contains(
                "undo would lose that change. Rerun with --force to restore it anyway; nothing was restored"
            ),
            "{fixture}: {err}"
        );
        let (profiles, usage) = match fixture {
            "sqlite" => {
                let db = shared_db(&s);
                (
                    row(&db, "config_machine_state", "authProfiles.store").expect("store")["profiles"].clone(),
                    row(&db, "config_machine_state", "authProfiles.state").expect("state")["usageStats"].clone(),
                )
            }
            _ => {
                let doc = read_json(&agent_dir(&s).join("auth-profiles.json"));
                (doc["profiles"].clone(), doc["usageStats"].clone())
            }
        };
        assert!(
            usage.get("anthropic:w0").is_some(),
            "{fixture}: OpenClaw's commit lost"
        );
        assert!(
            profiles.get(format!("{p}:dave")).is_some(),
            "{fixture}: undo half-done"
        );
    }
}

/// The backups every journal entry names, in journal order.
fn journaled_backups(s: &Sandbox) -> Vec<(String, PathBuf)> {
    fs::read_to_string(s.home().join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let b = v["backup"].as_str()?;
            Some((v["path"].as_str()?.to_string(), PathBuf::from(b)))
        })
        .collect()
}

/// Bug fix: backups were named by file name and second, so runs made at once (say for
/// two agents) overwrote each other's copies, and `undo` of one of them then failed on
/// a backup that no longer matched its journal.
#[test]
fn runs_made_at_once_keep_a_backup_each() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let merge = format!(
                r#"merge_profile("openai-codex:c{i}", {}).action"#,
                cred(&format!("c{i}"))
            );
            std_cmd(&s)
                .args(["--timeout", "60", "eval", &merge])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        assert_eq!(ok(c.wait_with_output().expect("wait")), "added\n");
    }
    let store = agent_dir(&s)
        .join("auth-profiles.json")
        .display()
        .to_string();
    let backups = journaled_backups(&s);
    let of_store: Vec<&PathBuf> = backups
        .iter()
        .filter(|(p, _)| *p == store)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(of_store.len(), 8, "{backups:?}");
    let mut distinct = of_store.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "two runs share a backup: {of_store:?}");
    // Each backup still holds the bytes its journal entry says it holds (what `undo`
    // checks before it restores anything).
    let entries: Vec<Value> = fs::read_to_string(s.home().join("journal.jsonl"))
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    let mut checked = 0;
    for e in entries.iter().filter(|e| e["backup"].is_string()) {
        let bytes = fs::read(e["backup"].as_str().unwrap_or_default()).expect("backup");
        assert_eq!(
            Some(clawshift::files::sha256_hex(&bytes).as_str()),
            e["before"].as_str(),
            "{e}"
        );
        checked += 1;
    }
    assert_eq!(checked, 16, "a store and a config backup per run");
}

/// Bug fix: retention kept the newest 20 backups per file *name*, so one agent's runs
/// pruned the backups another agent's `undo` needed.
#[test]
fn pruning_counts_backups_per_file_so_one_agent_never_prunes_another() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let merge = |agent: &str, i: usize| {
        let snippet = format!(
            r#"merge_profile("openai-codex:{agent}{i}", {}).action"#,
            cred(&format!("{agent}{i}"))
        );
        ok(std_cmd(&s)
            .args(["--agent", agent, "eval", &snippet])
            .output()
            .expect("run"));
    };
    // Two runs for the sub-agent: the second backs up its store.
    merge("ops", 0);
    merge("ops", 1);
    let ops_store = s
        .openclaw()
        .join("agents/ops/agent/auth-profiles.json")
        .display()
        .to_string();
    let ops_backup = journaled_backups(&s)
        .into_iter()
        .find(|(p, _)| *p == ops_store)
        .map(|(_, b)| b)
        .expect("a backup of the sub-agent's store");
    for i in 0..22 {
        merge("main", i);
    }
    assert!(
        ops_backup.exists(),
        "the main agent's runs pruned {ops_backup:?}"
    );
    let main_store = agent_dir(&s)
        .join("auth-profiles.json")
        .display()
        .to_string();
    let kept = journaled_backups(&s)
        .into_iter()
        .filter(|(p, b)| *p == main_store && b.exists())
        .count();
    assert_eq!(kept, 20, "the newest 20 backups of the main store are kept");
}

/// Bug fix: `undo` restored files one by one, newest first, so a store it could not
/// restore (its backup gone) was found only after `openclaw.json` had been restored:
/// half an undo.
#[test]
fn undo_checks_every_file_and_backup_before_it_restores_any() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let merge = format!(
        r#"merge_profile("openai-codex:dave", {}).action"#,
        cred("dave")
    );
    assert_eq!(
        ok(std_cmd(&s).args(["eval", &merge]).output().expect("run")),
        "added\n"
    );
    let store = agent_dir(&s).join("auth-profiles.json");
    let (_, backup) = journaled_backups(&s)
        .into_iter()
        .find(|(p, _)| *p == store.display().to_string())
        .expect("store backup");
    fs::remove_file(&backup).expect("rm backup");
    let before = crate::openclaw::snapshot(&s.openclaw());
    let out = std_cmd(&s).arg("undo").output().expect("undo");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&format!("error: cannot read backup `{}`", backup.display()))
            && stderr(&out).contains("nothing was restored"),
        "{}",
        stderr(&out)
    );
    assert_eq!(crate::openclaw::snapshot(&s.openclaw()), before);
}

#[test]
fn a_dry_run_undo_says_what_it_would_restore_and_changes_nothing() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let merge = format!(
        r#"merge_profile("openai-codex:dave", {}).action"#,
        cred("dave")
    );
    assert_eq!(
        ok(std_cmd(&s).args(["eval", &merge]).output().expect("run")),
        "added\n"
    );
    let before = crate::openclaw::snapshot(&s.openclaw());
    let out = ok(std_cmd(&s)
        .args(["--dry-run", "undo"])
        .output()
        .expect("undo"));
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("would restore") || l.starts_with("restored"))
        .collect();
    let cfg = s.openclaw().join("openclaw.json").display().to_string();
    let store = agent_dir(&s)
        .join("auth-profiles.json")
        .display()
        .to_string();
    assert_eq!(
        lines,
        [
            format!("would restore {cfg}"),
            format!("would restore {store}")
        ],
        "{out}"
    );
    assert!(
        out.trim_end()
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("would undo run "),
        "{out}"
    );
    assert_eq!(crate::openclaw::snapshot(&s.openclaw()), before);
}

/// Bug fix: with a symlinked `auth-state.json` (split layout) the store was written,
/// then the link refused, and the error said "nothing was written".
#[test]
fn a_symlinked_state_file_is_refused_before_the_store_is_written() {
    let s = Sandbox::new();
    layout(&s, "split");
    let dir = agent_dir(&s);
    fs::rename(dir.join("auth-state.json"), dir.join("real-state.json")).expect("mv");
    std::os::unix::fs::symlink("real-state.json", dir.join("auth-state.json")).expect("ln");
    let before = crate::openclaw::snapshot(&s.openclaw());
    let merge = format!(
        r#"merge_profile("openai-codex:dave", {}).action"#,
        cred("dave")
    );
    let out = std_cmd(&s).args(["eval", &merge]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "`{}` is a symlink (to `real-state.json`)",
            dir.join("auth-state.json").display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(crate::openclaw::snapshot(&s.openclaw()), before);
}

/// One OpenClaw config write as 2026.9.6 makes it: `openclaw.json.lock` created
/// exclusively, the file re-read, one key changed, a temp file renamed over it.
fn config_commit(config: &Path, i: usize) {
    let lock = openclaw_lock(config);
    let mut cfg: Value = json5::from_str(&fs::read_to_string(config).expect("cfg")).expect("json5");
    cfg["channels"]["telegram"]["accounts"][format!("w{i}")] = json!({"enabled": true});
    replace(config, &cfg);
    fs::remove_file(&lock).expect("unlock");
}

/// Issue #12: `openclaw.json` edits raced OpenClaw's own config writes. clawshift now
/// takes OpenClaw 2026.9's `openclaw.json.lock` before it reads the file to edit it.
#[test]
fn model_switches_beside_an_openclaw_config_writer_lose_no_config_update() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let config = s.openclaw().join("openclaw.json");
    let (busy, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let w = {
        let config = config.clone();
        writer(busy.clone(), done.clone(), 40, move |i| {
            config_commit(&config, i)
        })
    };
    let models = ["anthropic/claude-opus-4-7", "openai/gpt-5.4"];
    let mut runs = 0;
    while !done.load(Ordering::SeqCst) {
        let set = format!(r#"set_model("{}").changed"#, models[runs % 2]);
        assert_eq!(ok(run(&s, &busy, &["eval", &set])), "true\n");
        runs += 1;
    }
    let tally = w.join().expect("writer");
    assert!(tally.overlapped > 0, "the runs never overlapped");
    let cfg: Value = json5::from_str(&fs::read_to_string(&config).expect("cfg")).expect("json5");
    let lost: Vec<usize> = (0..COMMITS)
        .filter(|i| {
            cfg["channels"]["telegram"]["accounts"]
                .get(format!("w{i}"))
                .is_none()
        })
        .collect();
    assert!(
        lost.is_empty(),
        "{} OpenClaw config writes lost: {lost:?}",
        lost.len()
    );
    assert_eq!(
        cfg["agents"]["defaults"]["model"]["primary"],
        json!(models[(runs - 1) % 2])
    );
    eprintln!(
        "races: config: {} OpenClaw config writes ({} during a run), {runs} model switches, 0 lost",
        tally.commits, tally.overlapped
    );
}

/// OpenClaw's config lock differs from its store lock: a lock naming a live process is
/// held however old it is, so clawshift waits and gives up rather than break it.
#[test]
fn an_old_openclaw_config_lock_of_a_live_process_is_never_broken() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let lock = s.openclaw().join("openclaw.json.lock");
    let body = json!({"pid": std::process::id(), "createdAt": "2026-01-01T00:00:00.000Z"});
    fs::write(&lock, body.to_string()).expect("lock");
    let before = crate::openclaw::snapshot(&s.openclaw());
    let out = std_cmd(&s)
        .args([
            "--timeout",
            "2",
            "eval",
            r#"set_model("anthropic/claude-opus-4-7")"#,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "the OpenClaw config is locked: `{}` is held by process {}; nothing was written",
            lock.display(),
            std::process::id()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(crate::openclaw::snapshot(&s.openclaw()), before);
}

/// Changes one shared row as OpenClaw does: read, change and write back in one
/// transaction of its own.
fn edit_row(db: &Path, key: &str, change: impl FnOnce(&mut Value)) {
    let c = rusqlite::Connection::open(db).expect("open");
    c.execute_batch("BEGIN IMMEDIATE").expect("begin");
    change_row(&c, key, change);
    c.execute_batch("COMMIT").expect("commit");
}

/// Pads the shared store with `n` API-key profiles of a provider no route uses, so that
/// it is as large as a real store of hundreds of accounts (~440 bytes each) without
/// changing what a switch decides.
fn pad_store(s: &Sandbox, n: usize) {
    edit_row(&shared_db(s), "authProfiles.store", |v| {
        for i in 0..n {
            v["profiles"][format!("mistral:pad{i:04}")] = json!({
                "type": "api_key",
                "provider": "mistral",
                "key": format!("mistral-FAKE-{i:04}-{}", "0".repeat(360)),
            });
        }
    });
}

/// OpenClaw ends bob's billing block.
fn enable_bob(db: &Path) {
    edit_row(db, "authProfiles.state", |v| {
        let bob = v["usageStats"]["openai:bob"]
            .as_object_mut()
            .expect("bob's usage");
        bob.remove("disabledUntil");
        bob.remove("disabledReason");
    });
}

/// A switch over a store of hundreds of profiles reads and parses it on a second core
/// while it compiles its scripts. OpenClaw commits exactly after that read: the switch
/// must decide on the committed store, never on the copy it read ahead.
#[test]
fn a_switch_decides_on_an_openclaw_commit_made_after_it_read_the_store_ahead() {
    if std::thread::available_parallelism().is_ok_and(|n| n.get() < 2) {
        skip(
            "a_switch_decides_on_an_openclaw_commit_made_after_it_read_the_store_ahead",
            "one CPU: a switch reads nothing ahead",
        );
        return;
    }
    // In the rollback journal mode a commit changes the database file, and the run
    // opens it afresh; in WAL mode only the database's version tells.
    for mode in ["delete", "wal"] {
        commit_after_read_ahead(mode);
    }
}

fn commit_after_read_ahead(mode: &str) {
    let prepare = |s: &Sandbox| {
        layout(s, "sqlite");
        pad_store(s, 700);
        let c = rusqlite::Connection::open(shared_db(s)).expect("open");
        let set: String = c
            .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))
            .expect("journal mode");
        assert_eq!(set, mode);
    };
    let switch = |s: &Sandbox| clawshift(s, &["switch".into()]);
    let run = |commit_first: bool| {
        let s = Sandbox::new();
        prepare(&s);
        if commit_first {
            enable_bob(&shared_db(&s));
        }
        ok(switch(&s).output().expect("run"))
    };
    // Bob, the agent's account, is blocked until OpenClaw's commit unblocks him; the
    // switch moves the agent to Claude either way, for a different reason.
    assert_eq!(
        run(false),
        "switched openai/gpt-5.5@openai:bob → anthropic/claude-opus-4-7: openai:bob disabled (billing) for 2h; anthropic:me usable\n"
    );
    let committed = run(true);
    assert_eq!(
        committed,
        "switched openai/gpt-5.5@openai:bob → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:bob\n"
    );

    let s = Sandbox::new();
    prepare(&s);
    let (out, err) = run_paused(prepare, &s, switch, "store-read-ahead", || {
        enable_bob(&shared_db(&s))
    });
    assert_eq!(out.status.code(), Some(0), "{mode}: {err}");
    assert_eq!(
        stdout(&out),
        committed,
        "{mode}: decided on the store read ahead: {err}"
    );
}
