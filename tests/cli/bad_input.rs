//! Hostile and broken input (design §7.6): the corpus in tests/fixtures/bad/ plus cases
//! generated here (50 MB files, 100 000-level nesting, symlinks, read-only and full
//! filesystems, locked, truncated and newer-schema databases). Each case: a clear error
//! that names the file and the fix, a non-zero exit, no panic, and nothing changed.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::openclaw::{agent_dir, cmd, cred, layout, shared_db, snapshot, store_json};
use crate::support::*;

fn bad(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(rel)
}

/// How many bad inputs were refused; printed by each test for docs/reliability.md.
fn count(what: &str, n: usize) {
    eprintln!("bad input: {what}: {n} cases");
}

/// Runs clawshift and checks the refusal: exit `code`, stderr starting with `error: `,
/// naming `file` and holding `fix`, no panic, no token.
fn refused(s: &Sandbox, args: &[&str], code: i32, file: &str, fix: &str) -> String {
    let out = cmd(s).args(args).output().expect("run");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{err}");
    // A script may print its plan first; the error is the first `error: ` line.
    assert!(
        err.starts_with("error: ") || err.contains("\nerror: "),
        "{args:?}\n{err}"
    );
    assert!(
        err.contains(file),
        "{args:?}: the error does not name {file}:\n{err}"
    );
    assert!(
        err.contains(fix),
        "{args:?}: the error does not say `{fix}`:\n{err}"
    );
    for text in [&err, &stdout(&out)] {
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "{text}"
        );
        assert!(
            !text.contains("rt_FAKE") && !text.contains("eyJhbGci"),
            "{text}"
        );
    }
    err
}

fn merge_args(provider: &str) -> Vec<String> {
    vec![
        "eval".into(),
        format!(r#"merge_profile("{provider}:dave", {})"#, cred("dave")),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn broken_stores_are_refused_naming_the_file() {
    let cases = [
        (
            "stores/truncated.json",
            "is not valid JSON (EOF while parsing",
        ),
        ("stores/not-utf8.json", "is not UTF-8 text"),
        (
            "stores/nan-expires.json",
            "is not valid JSON (expected value",
        ),
        (
            "stores/huge-number.json",
            "is not valid JSON (number out of range",
        ),
        ("stores/profiles-array.json", "`profiles` must be an object"),
        (
            "stores/usage-stats-array.json",
            "`usageStats` must be an object",
        ),
        ("stores/top-level-array.json", "must hold a JSON object"),
        (
            "stores/empty.json",
            "is not valid JSON (EOF while parsing a value",
        ),
        ("stores/version-string.json", "has auth store version \"1\""),
    ];
    for (file, what) in cases {
        let s = Sandbox::new();
        layout(&s, "legacy");
        fs::copy(bad(file), store_json(&s)).expect("copy");
        let store = store_json(&s).display().to_string();
        let before = snapshot(s.root());
        for args in [
            vec!["status".to_string()],
            merge_args("openai-codex"),
            vec![
                "eval".into(),
                r#"set_model("openai-codex/gpt-5.4", "openai-codex:bob")"#.into(),
            ],
        ] {
            let err = refused(&s, &strs(&args), 1, &store, what).to_lowercase();
            assert!(
                err.contains("restore it from a backup") || err.contains("upgrade clawshift"),
                "{file}: no fix in {err}"
            );
        }
        assert_eq!(snapshot(s.root()), before, "{file}");
    }
    count("broken stores", cases.len());
}

#[test]
fn extreme_numbers_in_a_store_read_without_overflow() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    fs::copy(bad("stores/extreme-values.json"), store_json(&s)).expect("copy");
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["doctor"],
        vec!["eval", "models_status().profiles.keys().len()"],
    ] {
        let out = cmd(&s).args(&args).output().expect("run");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
    let out = cmd(&s).args(["status", "--json"]).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let p = &v["profiles"];
    // Expired long ago, and cooling down until the end of time.
    assert_eq!(p["openai-codex:min"]["kind"], "cooldown");
    assert_eq!(
        p["openai-codex:min"]["remaining_ms"],
        i64::MAX - 1_795_608_000_000
    );
    assert_eq!(p["openai-codex:min"]["expires_in_ms"], i64::MIN);
    assert_eq!(p["openai-codex:max"]["usable"], true);
    assert_eq!(
        p["openai-codex:max"]["expires_in_ms"],
        i64::MAX - 1_795_608_000_000
    );
    assert_eq!(p["openai-codex:float"]["expires"], i64::MAX);
    assert_eq!(p["openai-codex:text"]["expires"], Value::Null);
}

#[test]
fn broken_configs_are_refused_naming_the_file() {
    let cases = [
        (
            "config/unterminated-comment.json5",
            "openclaw.json",
            "is not valid JSON5",
        ),
        (
            "config/top-level-array.json5",
            "openclaw.json",
            "must hold a JSON object",
        ),
        (
            "config/missing-include.json5",
            "models.json5",
            "which does not exist",
        ),
        (
            "config/include-cycle.json5",
            "include-cycle",
            "`$include` cycle",
        ),
        (
            "config/bad-include-type.json5",
            "openclaw.json",
            "`$include` must be a path string",
        ),
    ];
    for (file, names, what) in cases {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let cfg = s.openclaw().join("openclaw.json");
        fs::copy(bad(file), &cfg).expect("copy");
        fs::copy(
            bad("config/include-cycle-b.json5"),
            s.openclaw().join("include-cycle-b.json5"),
        )
        .expect("copy");
        fs::copy(
            bad("config/include-cycle.json5"),
            s.openclaw().join("include-cycle.json5"),
        )
        .expect("copy");
        let before = snapshot(s.root());
        for args in [
            vec!["status".to_string()],
            merge_args("openai-codex"),
            vec![
                "eval".into(),
                r#"set_model("anthropic/claude-opus-4-7")"#.into(),
            ],
        ] {
            refused(&s, &strs(&args), 1, names, what);
        }
        assert_eq!(snapshot(s.root()), before, "{file}");
    }
    count("broken configs", cases.len());
}

#[test]
fn json5_edge_cases_read_and_edit_keeping_the_comments() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let cfg = s.openclaw().join("openclaw.json");
    fs::copy(bad("config/json5-edge.json5"), &cfg).expect("copy");
    let out = cmd(&s)
        .args([
            "eval",
            "let st = models_status(); `${st.default_model} ${st.fallbacks} ${st.aliases}`",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "openai-codex/gpt-5.5 [\"anthropic/claude-opus-4-7\"] #{\"codex\": \"openai-codex/gpt-5.5\"}\n"
    );
    let out = cmd(&s)
        .args(["eval", r#"set_model("opus-by-ref", ()) "#])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let out = cmd(&s)
        .args(["eval", r#"set_model("anthropic/claude-opus-4-7").changed"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&cfg).expect("cfg");
    assert!(
        text.contains("// single quotes") && text.contains("/* block comment */"),
        "{text}"
    );
    assert!(text.contains("anthropic/claude-opus-4-7"), "{text}");
    assert!(
        text.contains("0x1000") && text.contains("Infinity"),
        "{text}"
    );
}

#[test]
fn fifty_megabyte_files_are_refused_before_parsing() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    // Valid JSON, 50 MB: one profile with a huge field.
    let big = format!(
        "{{\"version\": 1, \"profiles\": {{}}, \"padding\": \"{}\"}}",
        "x".repeat(50 * 1024 * 1024)
    );
    fs::write(store_json(&s), &big).expect("big store");
    let before = snapshot(s.root());
    let started = std::time::Instant::now();
    let store = store_json(&s).display().to_string();
    for args in [vec!["status".to_string()], merge_args("openai-codex")] {
        refused(
            &s,
            &strs(&args),
            1,
            &store,
            "is 50.0 MB, more than the 16 MB clawshift reads",
        );
    }
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(snapshot(s.root()), before);
    // The same for openclaw.json and an imported auth.json.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let cfg = s.openclaw().join("openclaw.json");
    fs::write(&cfg, format!("{{ // {}\n}}", "x".repeat(50 * 1024 * 1024))).expect("big cfg");
    refused(
        &s,
        &["status"],
        1,
        &cfg.display().to_string(),
        "more than the 16 MB",
    );
    let s = Sandbox::new();
    layout(&s, "legacy");
    let auth = s.root().join("big-auth.json");
    fs::write(&auth, &big).expect("big auth");
    refused(
        &s,
        &[
            "--yes",
            "add-profile",
            "erin",
            "--from-auth-json",
            &auth.display().to_string(),
        ],
        1,
        &auth.display().to_string(),
        "more than the 16 MB",
    );
    count("50 MB files", 3);
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let deep = |open: &str, close: &str| {
        format!(
            "{{\"version\": 1, \"x\": {}{}}}",
            open.repeat(100_000),
            close.repeat(100_000)
        )
    };
    let s = Sandbox::new();
    layout(&s, "legacy");
    fs::write(store_json(&s), deep("[", "]")).expect("deep store");
    let store = store_json(&s).display().to_string();
    refused(&s, &["status"], 1, &store, "recursion limit exceeded");
    let s = Sandbox::new();
    layout(&s, "legacy");
    let cfg = s.openclaw().join("openclaw.json");
    fs::write(&cfg, deep("{a:", "}").replace("\"version\": 1, \"x\"", "v")).expect("deep cfg");
    let before = snapshot(s.root());
    refused(
        &s,
        &["status"],
        1,
        &cfg.display().to_string(),
        "nests objects/arrays 100001 levels deep, more than the 128",
    );
    refused(
        &s,
        &strs(&merge_args("openai-codex")),
        1,
        "openclaw.json",
        "levels deep",
    );
    assert_eq!(snapshot(s.root()), before);
    // In a script, json::parse has the same limit.
    let out = cmd(&s)
        .args(["eval", &format!("json::parse(\"{}\")", "[".repeat(5000))])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("recursion limit exceeded"),
        "{}",
        stderr(&out)
    );
    count("deep nesting", 4);
}

#[test]
fn jwt_corpus_decodes_or_fails_with_the_broken_part_and_never_echoes_the_token() {
    let cases: Vec<Value> =
        serde_json::from_str(&fs::read_to_string(bad("jwt/cases.json")).expect("cases"))
            .expect("json");
    let s = Sandbox::new();
    for c in &cases {
        let token = c["token"].as_str().expect("token");
        let out = cmd(&s)
            .args([
                "eval",
                &format!(
                    r#"let j = decode_jwt("{token}"); `${{j.exp ?? "-"}} ${{j.account_id ?? "-"}} ${{j.email ?? "-"}} ${{j.plan ?? "-"}}`"#
                ),
            ])
            .output()
            .expect("run");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{}: {err}", c["name"]);
        match c.get("error").and_then(Value::as_str) {
            Some(e) => {
                assert_eq!(out.status.code(), Some(1), "{}", c["name"]);
                let first = err.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with(&format!("error: {e}")),
                    "{}: {first}",
                    c["name"]
                );
                if token.len() >= 16 {
                    for part in token.split('.').filter(|p| p.len() >= 16) {
                        assert!(
                            !err.contains(part),
                            "{}: the token was echoed: {err}",
                            c["name"]
                        );
                    }
                }
            }
            None => {
                assert!(out.status.success(), "{}: {err}", c["name"]);
                assert_eq!(
                    stdout(&out).trim_end(),
                    c["fields"].as_str().expect("fields"),
                    "{}",
                    c["name"]
                );
            }
        }
    }
    count("JWTs", cases.len());
}

#[test]
fn hostile_profile_names_are_refused_before_anything_runs() {
    let names: Vec<String> = fs::read_to_string(bad("names.txt"))
        .expect("names")
        .lines()
        .map(str::to_string)
        .collect();
    let s = crate::add_profile::layout_sandbox("legacy-json", true);
    let auth = s.root().join("erin-auth.json");
    fs::write(&auth, "{}").expect("auth");
    let before = snapshot(s.root());
    for name in &names {
        let name = name.replace("/tmp/pwned", &s.root().join("pwned").display().to_string());
        let out = crate::add_profile::cmd(&s)
            .args(["--yes", "add-profile", &name, "--from-auth-json"])
            .arg(&auth)
            .output()
            .expect("run");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name:?}: {err}");
        assert!(err.starts_with("error: "), "{name:?}: {err}");
        assert!(
            err.contains("use letters, digits")
                || err.contains("64 or fewer")
                // `-rf` is taken for an option by the argument parser itself.
                || err.contains("unexpected argument '-r' found"),
            "{name:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(
        !s.root().join("pwned").exists(),
        "a name ran a shell command"
    );
    assert_eq!(snapshot(s.root()), before);
    // merge_profile checks the id itself, for scripts that build one.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let before = snapshot(s.root());
    let mut refused_ids = 0;
    for name in [
        "a/b", "..", "a b", "$(id)", "a;b", "`id`", "a|b", "-rf", ".hidden", "a\tb",
    ] {
        let snippet = format!(
            r#"merge_profile("openai-codex:{}", {})"#,
            name.replace('\t', "\\t"),
            cred("dave")
        );
        let out = cmd(&s).args(["eval", &snippet]).output().expect("run");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name:?}: {err}");
        assert!(
            err.contains("use letters, digits, `-`, `_`, `.`, `+` and `@`"),
            "{name:?}: {err}"
        );
        refused_ids += 1;
    }
    assert_eq!(snapshot(s.root()), before);
    count("profile names", names.len() + refused_ids);
}

#[test]
fn broken_auth_json_imports_are_refused() {
    let s = crate::add_profile::layout_sandbox("sqlite", true);
    let before = snapshot(s.root());
    let cases = [
        (
            "auth/not-chatgpt.json",
            "is not a ChatGPT login: its `auth_mode` is `apikey`",
        ),
        ("auth/truncated.json", "is not valid JSON"),
        (
            "auth/access-two-parts.json",
            "access-two-parts.json: decode_jwt: not a JWT",
        ),
        ("stores/not-utf8.json", "is not valid JSON"),
    ];
    for (file, what) in cases {
        let p = bad(file).display().to_string();
        let out = crate::add_profile::cmd(&s)
            .args(["--yes", "add-profile", "erin", "--from-auth-json", &p])
            .output()
            .expect("run");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{file}: {err}");
        assert!(err.contains(what), "{file}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("rt_FAKE"),
            "{err}"
        );
    }
    assert_eq!(snapshot(s.root()), before);
    count("auth.json imports", cases.len());
}

/// Decision: clawshift reads through symlinks but never writes through one. A symlinked
/// store or openclaw.json would be replaced by a regular file on the atomic rename
/// (and the target left stale), and OpenClaw does not support writing a symlinked
/// openclaw.json either; a symlinked backups dir, state dir or journal could send copies
/// of tokens anywhere.
#[test]
fn symlinks_are_read_through_but_never_written_through() {
    // A symlinked store: status reads it; merge refuses, naming link and target.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let real = s.root().join("elsewhere/auth-profiles.json");
    fs::create_dir_all(real.parent().expect("dir")).expect("mkdir");
    fs::rename(store_json(&s), &real).expect("move");
    symlink(&real, store_json(&s)).expect("symlink");
    let out = cmd(&s).arg("status").output().expect("status");
    assert!(out.status.success(), "{}", stderr(&out));
    let before = snapshot(s.root());
    refused(
        &s,
        &strs(&merge_args("openai-codex")),
        1,
        &format!(
            "`{}` is a symlink (to `{}`)",
            store_json(&s).display(),
            real.display()
        ),
        "Fix: replace the link with the file it points to",
    );
    assert_eq!(snapshot(s.root()), before);
    assert!(
        fs::symlink_metadata(store_json(&s))
            .expect("meta")
            .file_type()
            .is_symlink()
    );

    // A symlinked openclaw.json.
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let cfg = s.openclaw().join("openclaw.json");
    let real = s.root().join("elsewhere/openclaw.json");
    fs::create_dir_all(real.parent().expect("dir")).expect("mkdir");
    fs::rename(&cfg, &real).expect("move");
    symlink(&real, &cfg).expect("symlink");
    let before = snapshot(s.root());
    refused(
        &s,
        &["eval", r#"set_model("anthropic/claude-opus-4-7")"#],
        1,
        &format!("`{}` is a symlink", cfg.display()),
        "nothing was written",
    );
    assert_eq!(snapshot(s.root()), before);

    // A backups dir that points elsewhere: refused before any copy is made there.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let target = s.root().join("exfil");
    fs::create_dir_all(&target).expect("mkdir");
    symlink(&target, s.home().join("backups")).expect("symlink");
    refused(
        &s,
        &strs(&merge_args("openai-codex")),
        1,
        &s.home().join("backups").display().to_string(),
        "is a symlink; clawshift keeps credentials only in real directories it owns",
    );
    assert_eq!(
        fs::read_dir(&target).expect("dir").count(),
        0,
        "a copy went through the link"
    );

    // A journal that points elsewhere.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let target = s.root().join("journal-target");
    fs::write(&target, "").expect("w");
    symlink(&target, s.home().join("journal.jsonl")).expect("symlink");
    refused(
        &s,
        &strs(&merge_args("openai-codex")),
        1,
        &s.home().join("journal.jsonl").display().to_string(),
        "is a symlink; clawshift appends to its journal only in place",
    );
    assert_eq!(fs::read_to_string(&target).expect("r"), "");
    count("symlinks", 4);
}

/// A mount made for one test, unmounted (lazily) when dropped.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

fn mount(args: &[&str], at: &Path) -> Option<Mount> {
    let ok = std::process::Command::new("mount")
        .args(args)
        .arg(at)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mount(at.to_path_buf()))
}

#[test]
fn a_read_only_state_dir_is_refused_with_the_fix() {
    for (fixture, provider) in [("legacy", "openai-codex"), ("sqlite", "openai")] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let dir = s.openclaw();
        let Some(_m) = mount(&["--bind", &dir.display().to_string()], &dir) else {
            skip(
                "bad_input::a_read_only_state_dir_is_refused_with_the_fix",
                "`mount --bind` is not allowed here (needs root)",
            );
            return;
        };
        let remount = std::process::Command::new("mount")
            .args(["-o", "remount,bind,ro"])
            .arg(&dir)
            .status()
            .expect("mount");
        assert!(remount.success());
        let before = snapshot(s.root());
        let err = refused(
            &s,
            &strs(&merge_args(provider)),
            1,
            &dir.display().to_string(),
            "read-only",
        );
        assert!(
            err.contains("Fix:") || err.contains("make it writable"),
            "{err}"
        );
        assert_eq!(snapshot(s.root()), before, "{fixture}");
    }
    // clawshift's own state dir read-only: no backup, so nothing is written.
    let s = Sandbox::new();
    layout(&s, "legacy");
    let home = s.home();
    let Some(_m) = mount(&["--bind", &home.display().to_string()], &home) else {
        skip(
            "bad_input::a_read_only_state_dir_is_refused_with_the_fix (clawshift's dir)",
            "`mount --bind` is not allowed here (needs root)",
        );
        return;
    };
    std::process::Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&home)
        .status()
        .expect("mount");
    let before = snapshot(s.root());
    refused(
        &s,
        &strs(&merge_args("openai-codex")),
        1,
        &home.display().to_string(),
        "read-only",
    );
    assert_eq!(snapshot(s.root()), before);
    count("read-only dirs", 3);
}

#[test]
fn a_full_disk_fails_cleanly_and_leaves_the_store_whole() {
    for (fixture, provider) in [("legacy", "openai-codex"), ("sqlite", "openai")] {
        let s = Sandbox::new();
        let dir = s.openclaw();
        let Some(_m) = mount(&["-t", "tmpfs", "-o", "size=256k", "tmpfs"], &dir) else {
            skip(
                "bad_input::a_full_disk_fails_cleanly_and_leaves_the_store_whole",
                "mounting a tmpfs is not allowed here (needs root)",
            );
            return;
        };
        layout(&s, fixture);
        // Fill the filesystem.
        let filler = dir.join("filler");
        let mut f = fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 4096];
        while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
        drop(f);
        let before = snapshot(&dir);
        let err = refused(
            &s,
            &strs(&merge_args(provider)),
            1,
            &dir.display().to_string(),
            "",
        );
        assert!(
            err.contains("No space left on device") || err.contains("disk is full"),
            "{err}"
        );
        assert!(err.contains("free some space"), "{err}");
        assert_eq!(snapshot(&dir), before, "{fixture}");
        // With space again, the same run succeeds.
        fs::remove_file(&filler).expect("rm");
        let out = cmd(&s)
            .args(strs(&merge_args(provider)))
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
    }
    count("full disk", 2);
}

#[test]
fn a_locked_database_waits_then_fails_naming_it() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let db = shared_db(&s);
    // Another process, as OpenClaw would be: SQLite's POSIX locks are per process, and
    // this test's own reads of the file would release a lock its thread held.
    let mut holder = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\n\
             print('locked', flush=True)\n\
             time.sleep(8)\n",
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
    let started = std::time::Instant::now();
    refused(
        &s,
        &strs(&merge_args("openai")),
        1,
        &format!("SQLite database `{}`: database is locked", db.display()),
        "held it for more than 5 s; rerun, or stop the gateway first; nothing was changed",
    );
    assert!(started.elapsed() >= Duration::from_secs(4));
    assert_eq!(snapshot(s.root()), before);
    let _ = holder.kill();
    let _ = holder.wait();
}

#[test]
fn truncated_and_newer_schema_databases_are_refused() {
    let s = Sandbox::new();
    layout(&s, "agent-sqlite");
    let db = agent_dir(&s).join("openclaw-agent.sqlite");
    let bytes = fs::read(&db).expect("r");
    fs::write(&db, &bytes[..100]).expect("truncate");
    let before = snapshot(s.root());
    for args in [vec!["status".to_string()], merge_args("openai")] {
        refused(
            &s,
            &strs(&args),
            1,
            &format!("SQLite database `{}`", db.display()),
            "restore it from a backup",
        );
    }
    assert_eq!(snapshot(s.root()), before);

    let s = Sandbox::new();
    let db = shared_db(&s);
    fs::create_dir_all(db.parent().expect("dir")).expect("mkdir");
    let c = rusqlite::Connection::open(&db).expect("open");
    c.execute_batch(&fs::read_to_string(bad("sqlite/newer-schema.sql")).expect("sql"))
        .expect("schema");
    drop(c);
    let before = snapshot(s.root());
    for args in [vec!["status".to_string()], merge_args("openai")] {
        refused(
            &s,
            &strs(&args),
            1,
            &format!("SQLite database `{}`", db.display()),
            "its schema is not one clawshift knows (written by a newer OpenClaw?); upgrade clawshift",
        );
    }
    assert_eq!(snapshot(s.root()), before);
    count("databases", 3);
}
