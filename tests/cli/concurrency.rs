//! Concurrency: clawshift writing while a simulated OpenClaw writer rewrites the same
//! store (taking `<file>.lock` exactly as OpenClaw's `file-lock.ts` does, or a SQLite
//! `BEGIN IMMEDIATE`), and several clawshift processes at once. No update may be lost on
//! either side.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::crash::{Run, clawshift, long_tests, run_to_point};
use crate::openclaw::{agent_dir, cred, layout, ok, read_json, row, shared_db, std_cmd};
use crate::support::*;

/// Takes `<file>.lock` the way OpenClaw does: an exclusive create holding
/// `{pid, createdAt}`; a lock whose pid is dead or that is older than 30 s is removed;
/// otherwise wait and retry.
pub(crate) fn openclaw_lock(file: &Path) -> PathBuf {
    let lock = PathBuf::from(format!("{}.lock", file.display()));
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock)
        {
            Ok(mut f) => {
                let body = serde_json::to_string_pretty(&json!({
                    "pid": std::process::id(),
                    "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                }))
                .expect("json");
                f.write_all(body.as_bytes()).expect("write lock");
                return lock;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder: Option<Value> = fs::read_to_string(&lock)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
                let stale = holder.as_ref().is_some_and(|h| {
                    let dead = h["pid"]
                        .as_i64()
                        .is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists());
                    let old = h["createdAt"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| {
                            chrono::Utc::now().timestamp_millis() - t.timestamp_millis() > 30_000
                        });
                    dead || old
                });
                if stale {
                    let _ = fs::remove_file(&lock);
                    continue;
                }
                assert!(Instant::now() < until, "OpenClaw writer waited 60 s");
                std::thread::sleep(Duration::from_millis(3));
            }
            Err(e) => panic!("lock: {e}"),
        }
    }
}

/// Replaces a file like OpenClaw: temp file in the same dir, then rename.
pub(crate) fn replace(file: &Path, v: &Value) {
    let tmp = file.with_extension(format!("oc-{}.tmp", std::process::id()));
    fs::write(&tmp, serde_json::to_string_pretty(v).expect("json") + "\n").expect("tmp");
    fs::rename(&tmp, file).expect("rename");
}

/// A simulated OpenClaw writer: `rounds` times, or until `stop` is set (clawshift's runs
/// have all ended), lock the store, re-read it, add its own `usageStats` key (what the
/// gateway writes after each request) and, in the JSON store itself, a token profile;
/// release. Returns the time of each commit, so a test can check that the writes
/// overlapped clawshift's runs.
fn json_writer(
    store: PathBuf,
    state: PathBuf,
    rounds: usize,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Vec<Instant> {
    let mut commits = Vec::new();
    for i in 0..rounds {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let lock = openclaw_lock(&store);
        let mut doc = read_json(&store);
        doc["profiles"][format!("anthropic:w{i}")] =
            json!({"type": "token", "provider": "anthropic", "token": format!("sk-ant-FAKE-w{i}")});
        replace(&store, &doc);
        let target = if state.exists() { &state } else { &store };
        let mut st = read_json(target);
        if !st["usageStats"].is_object() {
            st["usageStats"] = json!({});
        }
        st["usageStats"][format!("anthropic:w{i}")] = json!({"lastUsed": i, "errorCount": 0});
        replace(target, &st);
        fs::remove_file(&lock).expect("unlock");
        commits.push(Instant::now());
        done.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(2));
    }
    commits
}

/// Waits until the writer has committed once, so that it is running when clawshift
/// starts.
fn wait_for_first_commit(done: &AtomicUsize) {
    let until = Instant::now() + Duration::from_secs(30);
    while done.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < until,
            "the OpenClaw writer never committed"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The writer's commits that fell inside the window in which clawshift ran, asserted to
/// be at least one: a race test whose writer finished before clawshift started (or
/// started after it ended) would prove nothing. (Under load SQLite's busy handler backs
/// a waiting writer off for up to 100 ms at a time, so more cannot be required.)
fn overlapped(commits: &[Instant], from: Instant, to: Instant) -> usize {
    let n = commits.iter().filter(|t| **t >= from && **t <= to).count();
    assert!(
        n >= 1,
        "only {n} of {} OpenClaw writes happened while clawshift ran ({:?}); the writers did not overlap",
        commits.len(),
        to - from
    );
    n
}

fn merges(s: &Sandbox, provider: &str, n: usize) -> Vec<std::process::Child> {
    (0..n)
        .map(|i| {
            let mut c = std_cmd(s);
            c.args([
                "--timeout",
                "60",
                "eval",
                &format!(
                    r#"merge_profile("{provider}:c{i}", {}).action"#,
                    cred(&format!("c{i}"))
                ),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            c.spawn().expect("spawn")
        })
        .collect()
}

#[test]
fn an_openclaw_json_writer_and_clawshift_lose_no_update() {
    let rounds = if long_tests() { 300 } else { 60 };
    let clients = if long_tests() { 16 } else { 6 };
    for fixture in ["legacy", "split"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let store = agent_dir(&s).join("auth-profiles.json");
        let state = agent_dir(&s).join("auth-state.json");
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (store, state, stop, done) =
                (store.clone(), state.clone(), stop.clone(), done.clone());
            std::thread::spawn(move || json_writer(store, state, rounds, stop, done))
        };
        wait_for_first_commit(&done);
        let from = Instant::now();
        for c in merges(&s, "openai-codex", clients) {
            assert_eq!(
                ok(c.wait_with_output().expect("wait")),
                "added\n",
                "{fixture}"
            );
        }
        let to = Instant::now();
        stop.store(true, Ordering::SeqCst);
        let commits = writer.join().expect("writer");
        let during = overlapped(&commits, from, to);
        let rounds = commits.len();
        let doc = read_json(&store);
        let st = if fixture == "split" {
            read_json(&state)
        } else {
            doc.clone()
        };
        for i in 0..rounds {
            let k = format!("anthropic:w{i}");
            assert!(
                doc["profiles"].get(&k).is_some(),
                "{fixture}: OpenClaw's {k} lost"
            );
            assert!(
                st["usageStats"].get(&k).is_some(),
                "{fixture}: usage {k} lost"
            );
        }
        let order: Vec<&str> = st["order"]["openai-codex"]
            .as_array()
            .expect("order")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for i in 0..clients {
            let k = format!("openai-codex:c{i}");
            assert!(
                doc["profiles"].get(&k).is_some(),
                "{fixture}: clawshift's {k} lost"
            );
            assert!(order.contains(&k.as_str()), "{fixture}: {k} not in order");
        }
        assert!(!store.with_extension("json.lock").exists());
        eprintln!(
            "concurrency: {fixture}: {rounds} OpenClaw writes ({during} while clawshift ran) and {clients} clawshift runs, no update lost"
        );
    }
}

#[test]
fn an_openclaw_sqlite_writer_and_clawshift_lose_no_update() {
    let rounds = if long_tests() { 300 } else { 60 };
    let clients = if long_tests() { 16 } else { 6 };
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let db = shared_db(&s);
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (db, stop, done) = (db.clone(), stop.clone(), done.clone());
        std::thread::spawn(move || {
            let c = rusqlite::Connection::open(&db).expect("open");
            c.busy_timeout(Duration::from_secs(10)).expect("busy");
            let mut commits = Vec::new();
            for i in 0..rounds {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                c.execute_batch("BEGIN IMMEDIATE").expect("begin");
                let text: String = c
                    .query_row(
                        "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.state'",
                        [],
                        |r| r.get(0),
                    )
                    .expect("row");
                let mut v: Value = serde_json::from_str(&text).expect("json");
                v["usageStats"][format!("anthropic:w{i}")] = json!({"lastUsed": i});
                c.execute(
                    "UPDATE config_machine_state SET value_json = ?1 WHERE state_key = 'authProfiles.state'",
                    [v.to_string()],
                )
                .expect("update");
                c.execute_batch("COMMIT").expect("commit");
                commits.push(Instant::now());
                done.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
            commits
        })
    };
    wait_for_first_commit(&done);
    let from = Instant::now();
    for c in merges(&s, "openai", clients) {
        assert_eq!(ok(c.wait_with_output().expect("wait")), "added\n");
    }
    let to = Instant::now();
    stop.store(true, Ordering::SeqCst);
    let commits = writer.join().expect("writer");
    let during = overlapped(&commits, from, to);
    let rounds = commits.len();
    eprintln!(
        "concurrency: sqlite: {rounds} OpenClaw writes ({during} while clawshift ran) and {clients} clawshift runs, no update lost"
    );
    let st = row(&db, "config_machine_state", "authProfiles.state").expect("state");
    let store = row(&db, "config_machine_state", "authProfiles.store").expect("store");
    for i in 0..rounds {
        assert!(
            st["usageStats"].get(format!("anthropic:w{i}")).is_some(),
            "w{i} lost"
        );
    }
    for i in 0..clients {
        let k = format!("openai:c{i}");
        assert!(store["profiles"].get(&k).is_some(), "{k} lost");
    }
}

#[test]
fn two_clawshift_runs_setting_the_model_at_once_leave_one_whole_choice() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let rounds = if long_tests() { 20 } else { 5 };
    for round in 0..rounds {
        let models = ["anthropic/claude-opus-4-7", "openai-codex/gpt-5.4"];
        let children: Vec<_> = models
            .iter()
            .map(|m| {
                let mut c = std_cmd(&s);
                c.args([
                    "--timeout",
                    "30",
                    "eval",
                    &format!(r#"set_model("{m}").changed"#),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
                c.spawn().expect("spawn")
            })
            .chain(merges(&s, "openai-codex", 2))
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        let cfg: Value =
            json5::from_str(&fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg"))
                .expect("config parses");
        let primary = cfg["agents"]["defaults"]["model"]["primary"]
            .as_str()
            .expect("primary");
        assert!(models.contains(&primary), "{primary}");
        // The merges' declarations survived the model edits.
        assert!(cfg["auth"]["profiles"].get("openai-codex:c0").is_some());
        assert!(cfg["auth"]["profiles"].get("openai-codex:c1").is_some());
        // Undo the merges so the next round adds again.
        let store = agent_dir(&s).join("auth-profiles.json");
        let mut doc = read_json(&store);
        for k in ["openai-codex:c0", "openai-codex:c1"] {
            doc["profiles"].as_object_mut().expect("p").remove(k);
        }
        fs::write(&store, serde_json::to_string_pretty(&doc).expect("j")).expect("w");
    }
}

/// Bug fix: `set_model(model, profile)` read the order before taking the store lock and
/// wrote that copy back, dropping a profile another writer had appended in between.
#[test]
fn set_model_with_a_profile_keeps_a_profile_appended_while_it_ran() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let args = vec![
        "eval".to_string(),
        r#"set_model("openai-codex/gpt-5.5", "openai-codex:bob").changed"#.to_string(),
    ];
    // Paused right after set_model read the order, another run appends a profile to it.
    let (out, err) = crate::races::run_paused(
        |probe| layout(probe, "legacy"),
        &s,
        |s| clawshift(s, &args),
        "order-read",
        || {
            let merge = format!(
                r#"merge_profile("openai-codex:dave", {}).action"#,
                cred("dave")
            );
            let out = clawshift(&s, &["eval".into(), merge])
                .output()
                .expect("merge");
            assert_eq!(ok(out), "added\n");
        },
    );
    assert!(out.status.success(), "{err}");
    assert_eq!(stdout(&out), "true\n");
    let doc = read_json(&agent_dir(&s).join("auth-profiles.json"));
    assert_eq!(
        doc["order"]["openai-codex"],
        json!([
            "openai-codex:bob",
            "openai-codex:alice",
            "openai-codex:carol",
            "openai-codex:dave"
        ])
    );
}

/// Bug fix: lock times were taken from `CLAWSHIFT_NOW`, so with a pinned clock in the
/// past a live OpenClaw lock looked stale and was deleted, and clawshift's own lock
/// carried a `createdAt` OpenClaw would judge stale at once.
#[test]
fn lock_times_are_wall_clock_times_even_with_a_pinned_clock() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let store = agent_dir(&s).join("auth-profiles.json");
    let lock = openclaw_lock(&store);
    let snap = crate::openclaw::snapshot(&s.openclaw());
    let out = std_cmd(&s)
        .env("CLAWSHIFT_NOW", "2020-01-01T00:00:00Z")
        .args([
            "--timeout",
            "2",
            "eval",
            &format!(r#"merge_profile("openai-codex:dave", {})"#, cred("dave")),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is held by process"),
        "{}",
        stderr(&out)
    );
    assert!(lock.exists(), "a live OpenClaw lock was deleted");
    fs::remove_file(&lock).expect("unlock");
    assert_eq!(
        crate::openclaw::snapshot(&s.openclaw()).len(),
        snap.len() - 1
    );

    // clawshift's own lock says the real time, whatever CLAWSHIFT_NOW says.
    let n = 1; // the first kill point of a JSON merge is `lock-acquired`
    let mut c = clawshift(
        &s,
        &[
            "eval".into(),
            format!(r#"merge_profile("openai-codex:dave", {})"#, cred("dave")),
        ],
    );
    c.env("CLAWSHIFT_NOW", "2020-01-01T00:00:00Z");
    match run_to_point(c, n) {
        Run::Killed(at) => assert_eq!(at, "lock-acquired"),
        Run::Finished(out) => panic!("never paused: {}", stderr(&out)),
    }
    let v = read_json(&PathBuf::from(format!("{}.lock", store.display())));
    let created =
        chrono::DateTime::parse_from_rfc3339(v["createdAt"].as_str().expect("t")).expect("rfc3339");
    let skew = (chrono::Utc::now().timestamp_millis() - created.timestamp_millis()).abs();
    assert!(skew < 60_000, "createdAt {created} is not the wall clock");
}

/// The stale-order window: the real `openclaw models auth order set` takes 6-8 s, and
/// clawshift hands it an order read before it started. A profile another run appends
/// meanwhile must still be in the order afterwards. The fake `openclaw` (on PATH, split
/// JSON store, OpenClaw's lock) waits FAKE_OPENCLAW_ORDER_SET_DELAY_MS between reading
/// the stored order and writing the new one.
#[test]
fn set_model_through_a_slow_openclaw_keeps_a_profile_appended_meanwhile() {
    let s = Sandbox::new();
    layout(&s, "split");
    crate::openclaw::fake_openclaw(&s);
    let log = s.root().join("openclaw.log");
    let mut c = std_cmd(&s);
    c.env("FAKE_OPENCLAW_ORDER_SET_DELAY_MS", "3000")
        .env("FAKE_OPENCLAW_LOG", &log)
        .args([
            "--timeout",
            "60",
            "eval",
            r#"set_model("openai-codex/gpt-5.5", "openai-codex:bob").changed"#,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().expect("spawn");
    // Once the fake `order set` has started (it logs its argv first), append a profile.
    let until = Instant::now() + Duration::from_secs(30);
    while !fs::read_to_string(&log).is_ok_and(|l| l.contains(r#""order", "set""#)) {
        assert!(Instant::now() < until, "openclaw order set never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = std_cmd(&s)
        .args([
            "eval",
            &format!(
                r#"merge_profile("openai-codex:dave", {}).action"#,
                cred("dave")
            ),
        ])
        .output()
        .expect("merge");
    assert_eq!(ok(out), "added\n");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", stderr(&out));
    let st = read_json(&agent_dir(&s).join("auth-state.json"));
    let order = &st["order"]["openai-codex"];
    assert_eq!(order[0], "openai-codex:bob", "{order}");
    assert!(
        order
            .as_array()
            .expect("order")
            .contains(&json!("openai-codex:dave")),
        "dave, appended while `order set` ran, was dropped: {order}"
    );
}
