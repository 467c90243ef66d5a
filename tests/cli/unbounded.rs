//! Issue #12, unbounded input: `/dev/zero`, a FIFO or a device in place of any file
//! clawshift reads is refused at once, naming the file and the fix, with nothing changed
//! on disk; and a script that loops inside a `sort`/`dedup` comparator stops at
//! `--timeout` with the timeout error, having changed nothing.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::openclaw::{cmd, cred, layout, shared_db, store_json};
use crate::support::*;

/// What is put in a file's place.
#[derive(Debug, Clone, Copy)]
enum Bad {
    /// A named pipe nobody writes to: a blocking open or read would wait forever.
    Fifo,
    /// A symlink to `/dev/zero`: a read would never end.
    Zero,
}

const BOTH: [Bad; 2] = [Bad::Fifo, Bad::Zero];

impl Bad {
    /// The words the error uses for it.
    fn named(self) -> &'static str {
        match self {
            Bad::Fifo => "is a FIFO (named pipe), not a regular file",
            Bad::Zero => "is a character device, not a regular file",
        }
    }
}

/// Replaces `p` (if present) with `bad`.
fn plant(p: &Path, bad: Bad) {
    if fs::symlink_metadata(p).is_ok() {
        fs::remove_file(p).expect("remove");
    }
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    match bad {
        Bad::Fifo => {
            let c = std::ffi::CString::new(p.as_os_str().as_bytes()).expect("path");
            // SAFETY: mkfifo reads the NUL-terminated path and nothing else.
            let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
            assert_eq!(rc, 0, "mkfifo {}", p.display());
        }
        Bad::Zero => symlink("/dev/zero", p).expect("symlink"),
    }
}

/// Every entry under `dir` (clawshift's flock files aside): a regular file by its bytes
/// and mtime, anything else by its kind; no FIFO or device is ever opened.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for p in walk_all(dir) {
        if p.starts_with(dir.join("clawshift/locks")) {
            continue;
        }
        let m = fs::symlink_metadata(&p).expect("meta");
        let t = m.file_type();
        let what = if t.is_symlink() {
            format!("link to {}", fs::read_link(&p).expect("link").display())
        } else if t.is_fifo() {
            "fifo".to_string()
        } else if t.is_file() {
            format!(
                "{} {:?}",
                clawshift::files::sha256_hex(&fs::read(&p).expect("read")),
                m.modified().expect("mtime")
            )
        } else {
            continue;
        };
        out.insert(p, what);
    }
    out
}

fn walk_all(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if e.file_type().expect("type").is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs clawshift with `--timeout 30` and checks the refusal: exit 1 within 5 s, an
/// error naming `file`, saying what it is and how to fix it, and nothing changed.
fn refused_at_once(s: &Sandbox, args: &[&str], file: &Path, bad: Bad) -> String {
    let before = snapshot(s.root());
    let started = Instant::now();
    let out = cmd(s)
        .arg("--timeout")
        .arg("30")
        .args(args)
        // A regression hangs: fail after 40 s rather than never.
        .timeout(Duration::from_secs(40))
        .output()
        .expect("run");
    let took = started.elapsed();
    let err = stderr(&out);
    assert!(
        took < Duration::from_secs(5),
        "{args:?} with {bad:?} at {}: took {took:?}\n{err}",
        file.display()
    );
    assert_eq!(out.status.code(), Some(1), "{args:?} {bad:?}\n{err}");
    assert!(
        err.contains(&format!("`{}` {}", file.display(), bad.named())),
        "{args:?} {bad:?}: the error does not name {}:\n{err}",
        file.display()
    );
    assert!(err.contains("Fix: replace it with the real file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        snapshot(s.root()),
        before,
        "{args:?} {bad:?}: something changed"
    );
    err
}

fn merge(id: &str) -> String {
    format!(r#"merge_profile("{id}", {})"#, cred("dave"))
}

#[test]
fn a_fifo_or_dev_zero_in_place_of_the_store_is_refused_at_once() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let store = store_json(&s);
        plant(&store, bad);
        for args in [
            vec!["status".to_string()],
            vec!["eval".into(), merge("openai-codex:dave")],
            vec![
                "eval".into(),
                r#"set_model("openai-codex/gpt-5.4", "openai-codex:bob")"#.into(),
            ],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            refused_at_once(&s, &args, &store, bad);
        }
        // The SQLite store of OpenClaw 2026.9: SQLite itself would wait on a FIFO.
        let s = Sandbox::new();
        layout(&s, "sqlite");
        let db = shared_db(&s);
        plant(&db, bad);
        refused_at_once(&s, &["status"], &db, bad);
        refused_at_once(&s, &["eval", &merge("openai-codex:dave")], &db, bad);
    }
}

#[test]
fn a_fifo_or_dev_zero_in_place_of_openclaw_json_or_an_include_is_refused_at_once() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let cfg = s.openclaw().join("openclaw.json");
        plant(&cfg, bad);
        refused_at_once(&s, &["status"], &cfg, bad);
        refused_at_once(
            &s,
            &["eval", r#"set_model("anthropic/claude-opus-4-7")"#],
            &cfg,
            bad,
        );
        let s = Sandbox::new();
        layout(&s, "legacy");
        fs::write(
            s.openclaw().join("openclaw.json"),
            "{\n  $include: \"./models.json5\",\n  auth: {},\n}\n",
        )
        .expect("cfg");
        // Named as the `$include` spells it.
        let inc = s.openclaw().join("./models.json5");
        plant(&inc, bad);
        refused_at_once(&s, &["status"], &inc, bad);
        refused_at_once(&s, &["eval", &merge("openai-codex:dave")], &inc, bad);
    }
}

#[test]
fn a_fifo_or_dev_zero_as_an_auth_json_is_refused_at_once() {
    for bad in BOTH {
        // The file given to --from-auth-json, and /dev/zero itself.
        let s = Sandbox::new();
        layout(&s, "legacy");
        let auth = s.root().join("import/auth.json");
        plant(&auth, bad);
        let from = auth.display().to_string();
        refused_at_once(
            &s,
            &["--yes", "add-profile", "erin", "--from-auth-json", &from],
            &auth,
            bad,
        );
        // The live Codex login, read by the custody check before an import.
        let live = s.codex().join("auth.json");
        plant(&live, bad);
        refused_at_once(&s, &["eval", r#"token_holders("rt_x")"#], &live, bad);
        let good = s.root().join("good-auth.json");
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex-home/auth.json"),
            &good,
        )
        .expect("copy");
        let good = good.display().to_string();
        refused_at_once(
            &s,
            &["--yes", "add-profile", "erin", "--from-auth-json", &good],
            &live,
            bad,
        );
    }
    let s = Sandbox::new();
    layout(&s, "legacy");
    refused_at_once(
        &s,
        &[
            "--yes",
            "add-profile",
            "erin",
            "--from-auth-json",
            "/dev/zero",
        ],
        Path::new("/dev/zero"),
        Bad::Zero,
    );
}

#[test]
fn a_fifo_or_dev_zero_as_the_journal_is_refused_before_any_change() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let journal = s.home().join("journal.jsonl");
        plant(&journal, bad);
        // Not even the backup of openclaw.json is made.
        refused_at_once(
            &s,
            &["eval", r#"set_model("anthropic/claude-opus-4-7")"#],
            &journal,
            bad,
        );
        refused_at_once(&s, &["history"], &journal, bad);
        refused_at_once(&s, &["undo"], &journal, bad);
    }
}

#[test]
fn a_fifo_or_dev_zero_as_switch_state_or_a_script_is_refused_at_once() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let state = s.home().join("switch-state.json");
        plant(&state, bad);
        refused_at_once(&s, &["eval", r#"state::load("switch-state")"#], &state, bad);
        refused_at_once(
            &s,
            &["eval", r#"state::save("switch-state", #{a: 1})"#],
            &state,
            bad,
        );
        let script = s.home().join("scripts/mine.rhai");
        plant(&script, bad);
        let err = {
            let before = snapshot(s.root());
            let started = Instant::now();
            let out = cmd(&s)
                .args(["--timeout", "30", "run", "mine"])
                .timeout(Duration::from_secs(40))
                .output()
                .expect("run");
            assert!(started.elapsed() < Duration::from_secs(5));
            // A script that cannot be read is a usage error (exit 2).
            assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
            assert_eq!(snapshot(s.root()), before);
            stderr(&out)
        };
        assert!(
            err.contains(&format!("`{}` {}", script.display(), bad.named())),
            "{err}"
        );
        // A user module: Rhai would open and read it itself.
        let module = s.home().join("lib/helpers.rhai");
        plant(&module, bad);
        let err = refused_at_once(
            &s,
            &["eval", r#"import "helpers" as h; h::hi()"#],
            &module,
            bad,
        );
        assert!(
            err.contains("in module `helpers` imported at <eval>:1:8"),
            "{err}"
        );
    }
}

#[test]
fn a_fifo_or_dev_zero_as_a_backup_stops_undo_at_once() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let out = cmd(&s)
            .args(["eval", r#"set_model("anthropic/claude-opus-4-7").changed"#])
            .output()
            .expect("run");
        assert_eq!(stdout(&out), "true\n", "{}", stderr(&out));
        let backups: Vec<PathBuf> = walk_all(&s.home().join("backups"));
        assert_eq!(backups.len(), 1, "{backups:?}");
        plant(&backups[0], bad);
        refused_at_once(&s, &["undo"], &backups[0], bad);
    }
}

#[test]
fn a_fifo_or_dev_zero_as_the_usage_cache_is_named_and_left_alone() {
    for bad in BOTH {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let cache = s.home().join("usage-cache.json");
        plant(&cache, bad);
        let before = snapshot(s.root());
        for args in [
            vec!["status"],
            vec!["eval", r#"usage("openai-codex:bob").known"#],
        ] {
            let started = Instant::now();
            let out = cmd(&s)
                .args(["--timeout", "30"])
                .args(&args)
                // No usage endpoint is reachable: each reading fails fast.
                .env("CLAWSHIFT_CHATGPT_BASE_URL", "http://127.0.0.1:9")
                .timeout(Duration::from_secs(40))
                .output()
                .expect("run");
            assert!(started.elapsed() < Duration::from_secs(5), "{args:?}");
            let err = stderr(&out);
            // The cache is only a cache: the run goes on without it, and says why.
            assert!(out.status.success(), "{args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "warning: usage: `{}` {}",
                    cache.display(),
                    bad.named()
                )) && err.contains("the usage cache is not used or updated"),
                "{args:?} {bad:?}: {err}"
            );
            assert_eq!(snapshot(s.root()), before, "{args:?} {bad:?}");
        }
    }
}

#[test]
fn a_fifo_in_place_of_a_lock_is_refused_not_waited_on() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let lock = PathBuf::from(format!("{}.lock", store_json(&s).display()));
    plant(&lock, Bad::Fifo);
    refused_at_once(&s, &["eval", &merge("openai-codex:dave")], &lock, Bad::Fifo);
    // And OpenClaw's lock on openclaw.json, which clawshift takes for its edits.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let lock = s.openclaw().join("openclaw.json.lock");
    plant(&lock, Bad::Fifo);
    refused_at_once(
        &s,
        &["eval", r#"set_model("anthropic/claude-opus-4-7")"#],
        &lock,
        Bad::Fifo,
    );
}

/// Runs `snippet` with `--timeout 2` and checks it stopped at the deadline with the
/// timeout error and left openclaw.json and clawshift's state as they were.
fn stops_at_the_deadline(snippet: &str) {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let cfg = s.openclaw().join("openclaw.json");
    let before = snapshot(s.root());
    let started = Instant::now();
    let out = cmd(&s)
        .args(["--timeout", "2", "eval", snippet])
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{snippet}\n{err}");
    assert!(
        err.starts_with("error: timed out after 2s (limit set by --timeout)"),
        "{snippet}\n{err}"
    );
    assert_eq!(stdout(&out), "", "{snippet}");
    assert!(took < Duration::from_secs(10), "{snippet}: took {took:?}");
    assert!(
        fs::read_to_string(&cfg)
            .expect("cfg")
            .contains("\"primary\": \"openai-codex/gpt-5.5\""),
        "{snippet}: the default model changed"
    );
    assert_eq!(snapshot(s.root()), before, "{snippet}");
}

#[test]
fn a_looping_sort_comparator_stops_at_the_deadline_and_changes_nothing() {
    stops_at_the_deadline(
        r#"let a = [3, 1, 2, 5, 4]; a.sort(|x, y| { loop {} }); set_model("anthropic/claude-opus-4-7"); state::save("switch-state", #{a: 1}); "done""#,
    );
    stops_at_the_deadline(
        r#"let a = [3, 1, 2]; let b = a.sort(|x, y| { let i = 0; while i < 100000000 { i += 1; } x - y }); set_model("anthropic/claude-opus-4-7"); "done""#,
    );
}

#[test]
fn a_looping_dedup_comparator_stops_at_the_deadline_and_changes_nothing() {
    stops_at_the_deadline(
        r#"let a = [1, 1, 2, 2, 3]; a.dedup(|x, y| { loop {} }); set_model("anthropic/claude-opus-4-7"); "done""#,
    );
    stops_at_the_deadline(
        r#"let a = [1, 1, 2]; a.dedup(|x, y| { let i = 0; while i < 100000000 { i += 1; } true }); try { set_model("anthropic/claude-opus-4-7") } catch { }; "done""#,
    );
}

#[test]
fn looping_map_filter_and_reduce_callbacks_stop_at_the_deadline() {
    for f in ["map", "filter", "reduce", "all", "some", "retain"] {
        let body = if f == "reduce" {
            "|s, x| { loop {} }"
        } else {
            "|x| { loop {} }"
        };
        stops_at_the_deadline(&format!(
            r#"let a = [1, 2, 3]; a.{f}({body}); set_model("anthropic/claude-opus-4-7"); "done""#
        ));
    }
}

#[test]
fn a_locked_database_is_waited_on_no_longer_than_the_timeout() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let db = shared_db(&s);
    // Another process holds the write lock, as a busy OpenClaw gateway would.
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\n\
             print('locked', flush=True)\n\
             time.sleep(10)\n",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("read");
    assert_eq!(line, "locked\n");
    let before = snapshot(s.root());
    let started = Instant::now();
    let out = cmd(&s)
        .args(["--timeout", "2", "eval", &merge("openai:dave")])
        .timeout(Duration::from_secs(40))
        .output()
        .expect("run");
    let took = started.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // OpenClaw's busy timeout is 5 s; a 2 s run gives up at its deadline.
    assert!(took < Duration::from_millis(4500), "took {took:?}\n{err}");
    assert!(
        err.contains(&format!(
            "SQLite database `{}`: database is locked",
            db.display()
        )),
        "{err}"
    );
    assert_eq!(snapshot(s.root()), before);
}

#[test]
fn an_unanswered_confirm_at_a_terminal_stops_at_the_deadline() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let before = snapshot(s.root());
    // A terminal nobody types at: python gives the binary a pty as its stdin.
    let started = Instant::now();
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, subprocess, sys\n\
             m, t = os.openpty()\n\
             p = subprocess.run(sys.argv[1:], stdin=t, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=40)\n\
             sys.stderr.buffer.write(p.stderr)\n\
             sys.exit(p.returncode)\n",
        ])
        .arg(assert_cmd::cargo::cargo_bin("clawshift"))
        .args([
            "--timeout",
            "2",
            "eval",
            r#"if confirm("switch?") { set_model("anthropic/claude-opus-4-7") }"#,
        ])
        .env_clear()
        .env("HOME", s.root().join("home"))
        .env("CLAWSHIFT_HOME", s.home())
        .env("OPENCLAW_STATE_DIR", s.openclaw())
        .env("CODEX_HOME", s.codex())
        .env("CLAWSHIFT_NOW", NOW)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("python3");
    let took = started.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        err.starts_with(
            "switch? [y/N] error: confirm: no answer to \"switch?\" before the deadline; timed out after 2s (limit set by --timeout); nothing was changed. Rerun with --yes"
        ),
        "{err}"
    );
    assert_eq!(snapshot(s.root()), before);
}
