//! The script sandbox (design §7.7): sizes, depth and wall-clock are bounded, and no
//! script-visible function writes outside the OpenClaw state dir, clawshift's own dirs,
//! and paths the user named. `backup(path)` reads anywhere but writes only into the
//! backups dir. docs/reliability.md audits every registered function; a test keeps that
//! audit complete, and another runs the writing functions and checks every file they
//! changed on disk against what their row of the audit says they write.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::openclaw::{cmd, cred, fake_openclaw, layout};
use crate::support::*;

fn run_eval(s: &Sandbox, timeout: &str, snippet: &str) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = cmd(s)
        .args(["--timeout", timeout, "eval", snippet])
        .output()
        .expect("run");
    (out, started.elapsed())
}

fn assert_clean_failure(out: &std::process::Output, starts: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with(starts), "want `{starts}`, got:\n{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn growing_strings_arrays_and_maps_stop_at_the_size_and_memory_limits() {
    let s = Sandbox::new();
    for (snippet, error) in [
        (
            r#"let x = "x"; loop { x += x; }"#,
            "error: size limit exceeded: Length of string",
        ),
        // Arrays, BLOBs and maps have no count limit (it made ordinary loops
        // quadratic); the memory limit stops them.
        (
            "let a = [1]; loop { a += a; }",
            "error: memory limit exceeded (512 MB held)",
        ),
        (
            r#"let x = "ab"; x.pad(100000000, "c"); x"#,
            "error: size limit exceeded: Length of string",
        ),
        (
            "let b = blob(); loop { b += b + blob(1); }",
            "error: memory limit exceeded (512 MB held)",
        ),
        // Rhai does not check a map that grows by `m[k] = v`: without clawshift's
        // memory limit this loop held 9.5 GB after 40 s.
        (
            r#"let s = "x"; for i in 0..23 { s += s; } let m = #{}; let i = 0; loop { m[`k${i}`] = s + i; i += 1; }"#,
            "error: memory limit exceeded (512 MB held)",
        ),
    ] {
        let (out, took) = run_eval(&s, "30", snippet);
        assert_clean_failure(&out, error);
        assert!(took < Duration::from_secs(25), "{snippet} took {took:?}");
    }
}

#[test]
fn runaway_loops_stop_at_the_timeout_even_around_primitives() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    for snippet in [
        "loop {}",
        "let n = 0; while true { n = now() - n; }",
        "loop { models_status(); }",
        "fn spin() { loop { json::parse(\"[1, 2, 3]\"); } } spin()",
    ] {
        let (out, took) = run_eval(&s, "2", snippet);
        assert_clean_failure(
            &out,
            "error: timed out after 2s (limit set by --timeout); the script was stopped\n",
        );
        assert!(
            took >= Duration::from_millis(1900) && took < Duration::from_secs(8),
            "{snippet}: {took:?}"
        );
    }
    // Deep recursion and deeply nested expressions hit their own limits.
    let (out, _) = run_eval(&s, "10", "fn f(n) { f(n + 1) } f(0)");
    assert_clean_failure(&out, "error: call depth limit exceeded");
    let nested = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    let out = cmd(&s).args(["eval", &nested]).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error: syntax error: Expression exceeds maximum complexity"),
        "{}",
        stderr(&out)
    );
}

/// Every file under `dir` with its bytes, skipping `skip`.
fn files(dir: &Path, skip: &[PathBuf]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if skip.iter().any(|s| p.starts_with(s)) {
            continue;
        }
        if p.is_dir() {
            out.extend(files(&p, skip));
        } else {
            out.insert(p.clone(), fs::read(&p).unwrap_or_default());
        }
    }
    out
}

#[test]
fn backup_reads_anywhere_but_writes_only_into_the_backups_dir() {
    let s = Sandbox::new();
    let outside = s.write("elsewhere/deep/dir/secret.json", "{\"k\": 1}\n");
    let snap = files(s.root(), &[s.home()]);
    for path in [
        outside.display().to_string(),
        // A relative path that climbs, and one through `..`.
        "elsewhere/deep/dir/../dir/secret.json".to_string(),
        format!(
            "{}/../elsewhere/deep/dir/secret.json",
            s.openclaw().display()
        ),
    ] {
        let out = cmd(&s)
            .args(["eval", &format!(r#"backup("{path}").backup"#)])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let copy = PathBuf::from(stdout(&out).trim());
        assert_eq!(
            copy.parent(),
            Some(s.home().join("backups").as_path()),
            "{path}"
        );
        assert!(
            copy.file_name()
                .expect("name")
                .to_string_lossy()
                .starts_with("secret.json.bak-")
        );
        assert_eq!(mode(&copy), 0o600);
    }
    // Nothing outside clawshift's dir changed.
    assert_eq!(files(s.root(), &[s.home()]), snap);
    let mut names: Vec<String> = fs::read_dir(s.home())
        .expect("home")
        .map(|e| e.expect("e").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["backups", "journal.jsonl"]);

    // A backups dir that is a link elsewhere is refused before anything is copied.
    let s = Sandbox::new();
    let target = s.root().join("exfil");
    fs::create_dir_all(&target).expect("mkdir");
    std::os::unix::fs::symlink(&target, s.home().join("backups")).expect("link");
    let f = s.write("x.json", "{}");
    let out = cmd(&s)
        .args(["eval", &format!(r#"backup("{}")"#, f.display())])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("is a symlink; clawshift keeps credentials only in real directories it owns"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(&target).expect("dir").count(), 0);
}

#[test]
fn a_script_using_every_writing_function_writes_only_where_it_may() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let outside = s.write("elsewhere/notes.txt", "mine\n");
    let script = s.write(
        "elsewhere/all.rhai",
        &format!(
            r#"
backup("{outside}");
backup("{cfg}");
merge_profile("openai-codex:dave", {cred});
set_model("openai-codex/gpt-5.4", "openai-codex:dave");
add_fallback("anthropic/claude-sonnet-4-6");
let st = models_status();
let h = token_holders("rt_FAKE_dave_new");
let a = account_holders("acct-dave-0001");
print(json::stringify(#{{n: h.len(), a: a.len(), d: st.default_model}}));
"#,
            outside = outside.display(),
            cfg = s.openclaw().join("openclaw.json").display(),
            cred = cred("dave"),
        ),
    );
    let before = files(s.root(), &[s.home(), s.openclaw()]);
    let out = cmd(&s)
        .args(["run", &script.display().to_string()])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"a\":1,\"d\":\"openai-codex/gpt-5.4\",\"n\":1}\n"
    );
    // Outside the OpenClaw state dir and clawshift's dir, nothing changed (the script
    // itself and the file it backed up included).
    assert_eq!(files(s.root(), &[s.home(), s.openclaw()]), before);
    // Inside clawshift's dir: only backups, the journal and its lock file.
    let mut top: Vec<String> = fs::read_dir(s.home())
        .expect("home")
        .map(|e| e.expect("e").file_name().to_string_lossy().to_string())
        .collect();
    top.sort();
    assert_eq!(top, ["backups", "journal.jsonl"]);
}

#[test]
fn every_script_function_is_in_the_write_audit() {
    let s = Sandbox::new();
    let out = s.cmd().args(["functions", "--json"]).output().expect("run");
    assert!(out.status.success());
    let list: Vec<Value> = serde_json::from_str(&stdout(&out)).expect("json");
    let audit =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reliability.md"))
            .expect("docs/reliability.md");
    let section = audit
        .split("## Script sandbox")
        .nth(1)
        .expect("a `## Script sandbox` section");
    let mut missing = Vec::new();
    for f in &list {
        let name = f["name"].as_str().expect("name");
        let bare = name.rsplit("::").next().unwrap_or(name);
        if !section.contains(&format!("`{name}`")) && !section.contains(&format!("`{bare}`")) {
            missing.push(name.to_string());
        }
    }
    missing.dedup();
    assert!(
        missing.is_empty(),
        "docs/reliability.md does not say where these functions read and write: {missing:?}"
    );
}

/// Every file under `dir` with its bytes and mode.
fn files_and_modes(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    files(dir, &[])
        .into_iter()
        .map(|(p, b)| {
            let m = mode(&p);
            (p, (b, m))
        })
        .collect()
}

/// What the write audit calls the place `path` (a file that changed) is in.
fn audit_term(s: &Sandbox, path: &Path) -> String {
    let oc = s.openclaw();
    if let Ok(rel) = path.strip_prefix(s.home()) {
        let rel = rel.to_string_lossy();
        return if rel.starts_with("backups/") {
            "`backups/`".into()
        } else if rel.starts_with("locks/") {
            "`locks/`".into()
        } else if rel == "journal.jsonl" {
            "journal".into()
        } else if rel.ends_with(".json") && !rel.contains('/') {
            "`<state dir>/<name>.json`".into()
        } else {
            format!("(clawshift's dir: {rel})")
        };
    }
    if let Ok(rel) = path.strip_prefix(&oc) {
        let rel = rel.to_string_lossy();
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        return if rel == "openclaw.json" {
            "openclaw.json".into()
        } else if rel.starts_with("state/openclaw.sqlite")
            || (rel.starts_with("agents/")
                && matches!(
                    name.as_deref(),
                    Some("auth-profiles.json" | "auth-state.json")
                ))
        {
            "store".into()
        } else if rel.starts_with("agents/") && rel.contains("/agent/openclaw-agent.sqlite") {
            "agent database".into()
        } else {
            format!("(OpenClaw state dir: {rel})")
        };
    }
    format!("(outside: {})", path.display())
}

/// The `writes` cell of `name`'s row in the audit table, with `not journaled` removed so
/// that it cannot pass for `journal`.
fn audited_writes(section: &str, name: &str) -> String {
    let row = section
        .lines()
        .find(|l| {
            l.starts_with("| ")
                && l.split('|')
                    .nth(1)
                    .is_some_and(|c| c.contains(&format!("`{name}`")))
        })
        .unwrap_or_else(|| panic!("no row for `{name}` in the write audit"));
    let cells: Vec<&str> = row.split('|').collect();
    cells[cells.len() - 2].replace("not journaled", "")
}

#[test]
fn each_writing_function_changes_only_the_files_its_write_audit_row_names() {
    let audit =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reliability.md"))
            .expect("docs/reliability.md");
    let section = audit
        .split("## Script sandbox")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("a `## Script sandbox` section");
    // (function audited, layout, fake openclaw on PATH, snippet)
    let runs: Vec<(&str, &str, bool, String)> = vec![
        (
            "backup",
            "legacy",
            false,
            r#"backup(env("OPENCLAW_STATE_DIR") + "/openclaw.json")"#.into(),
        ),
        (
            "merge_profile",
            "legacy",
            false,
            format!(r#"merge_profile("openai-codex:dave", {})"#, cred("dave")),
        ),
        (
            "merge_profile",
            "sqlite",
            false,
            format!(r#"merge_profile("openai:dave", {})"#, cred("dave")),
        ),
        (
            "set_model",
            "legacy",
            false,
            r#"set_model("openai-codex/gpt-5.4", "openai-codex:bob")"#.into(),
        ),
        (
            "set_model",
            "split",
            true,
            r#"set_model("openai-codex/gpt-5.4", "openai-codex:bob")"#.into(),
        ),
        (
            "set_model",
            "sqlite",
            true,
            r#"set_model("openai/gpt-5.4", "openai:carol")"#.into(),
        ),
        (
            "add_fallback",
            "legacy",
            false,
            r#"add_fallback("anthropic/claude-sonnet-4-6")"#.into(),
        ),
        (
            "state::save",
            "legacy",
            false,
            r#"state::save("audit", #{n: 1})"#.into(),
        ),
        ("models_status", "sqlite", false, "models_status()".into()),
        (
            "token_holders",
            "legacy",
            false,
            r#"token_holders("rt_FAKE_bob_0123456789abcdef")"#.into(),
        ),
    ];
    let mut checked = 0;
    for (name, fixture, with_openclaw, snippet) in runs {
        let s = Sandbox::new();
        layout(&s, fixture);
        if with_openclaw {
            fake_openclaw(&s);
        }
        let before = files_and_modes(s.root());
        let out = cmd(&s).args(["eval", &snippet]).output().expect("run");
        assert!(out.status.success(), "{name} ({fixture}): {}", stderr(&out));
        let after = files_and_modes(s.root());
        let changed: std::collections::BTreeSet<&PathBuf> = before
            .keys()
            .chain(after.keys())
            .filter(|p| before.get(*p) != after.get(*p))
            .filter(|p| !p.ends_with("openclaw.log"))
            .collect();
        let writes = audited_writes(section, name);
        let mut terms: Vec<String> = changed.iter().map(|p| audit_term(&s, p)).collect();
        terms.sort();
        terms.dedup();
        let unlisted: Vec<&String> = terms
            .iter()
            .filter(|t| !writes.contains(t.as_str()))
            .collect();
        assert!(
            unlisted.is_empty(),
            "{name} ({fixture}) changed {unlisted:?}, which its audit row does not name: `{writes}`\nchanged: {changed:#?}"
        );
        assert_eq!(
            changed.is_empty(),
            writes.trim() == "nothing" || writes.trim().starts_with("nothing "),
            "{name} ({fixture}): the audit says it writes `{writes}`, and it changed {changed:#?}"
        );
        eprintln!("write audit: {name} ({fixture}) changed {terms:?}");
        checked += 1;
    }
    assert_eq!(checked, 10);
}
