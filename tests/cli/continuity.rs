//! Issue #14: keeping the agent working for weeks. A missing OpenClaw state dir is an
//! error, `undo` of a switch restores its state file, one notice per change (never
//! lost), cron acts on the same OpenClaw, `--json` stdout is one document, and a damaged
//! state file is set aside.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::crash::clawshift;
use crate::support::*;
use crate::switch::{agent_setting, configure, seed, state_json};

const FIX: &str = "set OpenClaw up with `openclaw onboard`, point --openclaw-dir or OPENCLAW_STATE_DIR at the state dir it uses, or run `clawshift add-profile NAME --create` to start a new OpenClaw state there on purpose";

fn auth_fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/codex-home/auth.json")
        .display()
        .to_string()
}

fn run(s: &Sandbox, args: &[&str]) -> Output {
    s.cmd().args(args).output().expect("run")
}

#[test]
fn a_missing_openclaw_dir_is_an_error_naming_it_and_the_fix() {
    let s = Sandbox::new();
    let typo = s.root().join("opnclaw");
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&typo)
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "error: OpenClaw state dir `{}` (from --openclaw-dir) does not exist. Fix: {FIX}\n",
            typo.display()
        )
    );
    // The environment variable and the default are named as such.
    let out = s
        .cmd()
        .env("OPENCLAW_STATE_DIR", &typo)
        .args(["status", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: OpenClaw state dir `{}` (from OPENCLAW_STATE_DIR) does not exist. Fix: {FIX}\n",
            typo.display()
        )
    );
    let out = s
        .cmd()
        .env_remove("OPENCLAW_STATE_DIR")
        .arg("switch")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!(
            "error: models_status: OpenClaw state dir `{}` (from the default, ~/.openclaw) does not exist. Fix: {FIX}\n",
            s.root().join("home/.openclaw").display()
        )),
        "{}",
        stderr(&out)
    );
    // add-profile refuses before it signs anyone in, and creates nothing.
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&typo)
        .args([
            "--yes",
            "add-profile",
            "alice",
            "--from-auth-json",
            &auth_fixture(),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("does not exist. Fix:"),
        "{}",
        stderr(&out)
    );
    assert!(!typo.exists());
    assert!(!s.home().join("journal.jsonl").exists());
    // doctor says so too, as an error.
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&typo)
        .arg("doctor")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(&format!(
            "error: layout: OpenClaw state dir `{}` (from --openclaw-dir) does not exist (fix: {FIX})\n",
            typo.display()
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_state_dir_that_is_a_file_is_an_error() {
    let s = Sandbox::new();
    let file = s.write("not-a-dir", "x");
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&file)
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: OpenClaw state dir `{}` (from --openclaw-dir) is not a directory. Fix: point --openclaw-dir or OPENCLAW_STATE_DIR at OpenClaw's state dir\n",
            file.display()
        )
    );
}

#[test]
fn add_profile_create_starts_a_new_openclaw_state_on_purpose() {
    let s = Sandbox::new();
    let fresh = s.root().join("fresh-openclaw");
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&fresh)
        .args([
            "--yes",
            "add-profile",
            "alice",
            "--from-auth-json",
            &auth_fixture(),
            "--create",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "added openai:alice (me@example.com, pro, expires in 4d 12h) — order: openai:alice\n"
    );
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&fresh.join("state/openclaw.sqlite")), 0o600);
    // From now on the dir exists, and plain commands work on it.
    let out = s
        .cmd()
        .arg("--openclaw-dir")
        .arg(&fresh)
        .args(["eval", "models_status().profiles.keys()"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "[\n  \"openai:alice\"\n]\n");
}

/// `clawshift switch` at `now`: the output, checked to succeed.
fn switch_at(s: &Sandbox, now: &str) -> Output {
    let out = s
        .cmd()
        .env("CLAWSHIFT_NOW", now)
        .arg("switch")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

#[test]
fn undo_of_a_switch_restores_its_state_file_even_after_quiet_checks() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let before = "{\n  \"lastCheckedAt\": 1795607400000\n}\n";
    let state = s.write("clawshift/switch-state.json", before);
    let out = switch_at(&s, "2026-11-25T12:00:00Z");
    assert_eq!(
        stdout(&out),
        "switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable\n"
    );
    assert_eq!(state_json(&s)["lastSwitchAt"], 1795608000000_i64);
    // Two quiet checks later (each rewrites lastCheckedAt, and journals nothing).
    let journal = s.read("clawshift/journal.jsonl");
    switch_at(&s, "2026-11-25T12:10:00Z");
    switch_at(&s, "2026-11-25T12:20:00Z");
    assert_eq!(s.read("clawshift/journal.jsonl"), journal);
    let out = s
        .cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:25:00Z")
        .arg("undo")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            format!("restored {}", state.display()),
            format!("restored {}", s.openclaw().join("openclaw.json").display()),
        ],
        "{text}"
    );
    assert!(
        lines[2].starts_with("undid run 20261125T120000Z-"),
        "{text}"
    );
    assert!(lines[2].ends_with(" (switch)"), "{text}");
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(stderr(&out), "");
    // The state from before the switch, with the restored route marked as the user's
    // choice (so the next switch holds it instead of redoing the change at once).
    let mut want: serde_json::Value = serde_json::from_str(before).expect("before");
    want["userChoice"] = serde_json::json!({
        "route": "anthropic/claude-opus-4-7@anthropic:me",
        "at": 1795609500000_i64
    });
    assert_eq!(state_json(&s), want);
    assert_eq!(mode(&state), 0o600);
    assert_eq!(agent_setting(&s, "openai").0, "anthropic/claude-opus-4-7");
    // The undo is recorded, with the state file among what it put back.
    let journal = s.read("clawshift/journal.jsonl");
    let last: Vec<serde_json::Value> = journal
        .lines()
        .filter(|l| l.contains("\"undoes\""))
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    assert!(
        last.iter()
            .any(|e| e["kind"] == "write" && e["path"] == state.display().to_string()),
        "{journal}"
    );
    assert_eq!(last.last().expect("marker")["kind"], "undo");
}

/// A notify command that appends what it reads to `<root>/notices.txt`, and fails with
/// "mail server down" while `<root>/down` exists.
fn flaky_sink(s: &Sandbox) -> std::path::PathBuf {
    s.install_bin(
        "record",
        "#!/bin/sh\nd=\"$(dirname \"$0\")/..\"\nif [ -e \"$d/down\" ]; then cat > /dev/null; echo mail server down >&2; exit 3; fi\ncat >> \"$d/notices.txt\"\n",
    );
    configure(s, r#"{"notify": {"command": ["record"]}}"#);
    s.root().join("notices.txt")
}

const NOTICE: &str = "switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable";

#[test]
fn a_notice_the_sink_failed_to_take_is_kept_shown_and_sent_by_the_next_run() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let sink = flaky_sink(&s);
    s.write("down", "");
    let out = switch_at(&s, "2026-11-25T12:00:00Z");
    assert_eq!(stdout(&out), format!("{NOTICE}\n"));
    assert_eq!(
        stderr(&out),
        "warning: notify: notify command `record` failed: exit 3: mail server down; kept, to be sent by the next run\n"
    );
    let pending = s.home().join("pending-notices.json");
    assert_eq!(
        std::fs::read_to_string(&pending).expect("pending"),
        format!(
            "[\n  {{\n    \"at\": 1795608000000,\n    \"text\": \"{NOTICE}\",\n    \"sinks\": [\n      \"command\"\n    ],\n    \"why\": \"exit 3: mail server down\"\n  }}\n]\n"
        )
    );
    assert_eq!(mode(&pending), 0o600);
    // status shows it, in text and in JSON.
    let out = run(&s, &["status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with(&format!(
            "\nPending notice 2026-11-25T12:00:00Z for command: {NOTICE} (last try: exit 3: mail server down)\n"
        )),
        "{}",
        stdout(&out)
    );
    let out = run(&s, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["pending_notices"][0]["text"], NOTICE);
    assert_eq!(
        v["pending_notices"][0]["sinks"],
        serde_json::json!(["command"])
    );
    // Still down at the next check: kept, quietly (it was announced once).
    let out = switch_at(&s, "2026-11-25T12:10:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert!(pending.exists());
    assert!(!sink.exists());
    // Back up: the next run delivers it, once, and forgets it.
    std::fs::remove_file(s.root().join("down")).expect("up");
    let out = switch_at(&s, "2026-11-25T12:20:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        format!("{NOTICE}\n")
    );
    assert!(!pending.exists());
    switch_at(&s, "2026-11-25T12:30:00Z");
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        format!("{NOTICE}\n")
    );
    let out = run(&s, &["status"]);
    assert!(!stdout(&out).contains("Pending notice"), "{}", stdout(&out));
    let out = run(&s, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v.get("pending_notices").is_none());
}

#[test]
fn a_notice_lost_to_a_config_typo_is_sent_once_the_config_is_fixed() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    s.install_bin(
        "openclaw",
        "#!/bin/sh\nd=\"$(dirname \"$0\")/..\"\nprintf '%s|' \"$@\" >> \"$d/sent.txt\"\necho >> \"$d/sent.txt\"\n",
    );
    configure(
        &s,
        r#"{"notify": {"openclaw": {"chanel": "telegram", "target": "@me"}}}"#,
    );
    let out = s.cmd().arg("switch").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), format!("{NOTICE}\n"));
    assert!(
        stderr(&out).contains("unknown field `chanel`")
            && stderr(&out).contains("the notice is kept and sent once config.json is fixed"),
        "{}",
        stderr(&out)
    );
    // The change itself was made and recorded.
    assert_eq!(agent_setting(&s, "openai").0, "openai/gpt-5.5");
    configure(
        &s,
        r#"{"notify": {"openclaw": {"channel": "telegram", "target": "@me"}}}"#,
    );
    let out = switch_at(&s, "2026-11-25T12:10:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert_eq!(
        s.read("sent.txt"),
        format!("message|send|--channel|telegram|--target|@me|--message|{NOTICE}|\n")
    );
    assert!(!s.home().join("pending-notices.json").exists());
}

/// The real `openclaw message send` refusing a notice (OpenClaw 2026.9.6, its A2A peer
/// down; recorded by tests/compat/gateway-cron.sh's setup): exit 1, the reason on
/// stdout after the plugin-repair box, unrelated npm warnings last on stderr.
#[test]
fn a_notice_the_real_openclaw_refused_is_kept_with_its_reason_and_sent_by_the_next_run() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    crate::openclaw::fake_openclaw(&s);
    configure(
        &s,
        r#"{"notify": {"openclaw": {"channel": "a2a", "target": "inbox"}}}"#,
    );
    let down = s.write("peer-down", "");
    let switch = |now: &str| {
        let out = crate::openclaw::cmd(&s)
            .env("FAKE_OPENCLAW_PEER_DOWN", &down)
            .env("CLAWSHIFT_NOW", now)
            .arg("switch")
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        out
    };
    let why = "exit 1: ❌ fetch failed | connect ECONNREFUSED 127.0.0.1:18999 | ECONNREFUSED | ECONNREFUSED";
    let out = switch("2026-11-25T12:00:00Z");
    assert_eq!(stdout(&out), format!("{NOTICE}\n"));
    assert_eq!(
        stderr(&out),
        format!(
            "warning: notify: `openclaw message send --channel a2a --target inbox` failed: {why}; kept, to be sent by the next run\n"
        )
    );
    let pending = s.home().join("pending-notices.json");
    assert_eq!(
        std::fs::read_to_string(&pending).expect("pending"),
        format!(
            "[\n  {{\n    \"at\": 1795608000000,\n    \"text\": \"{NOTICE}\",\n    \"sinks\": [\n      \"openclaw\"\n    ],\n    \"why\": \"{why}\"\n  }}\n]\n"
        )
    );
    assert_eq!(mode(&pending), 0o600);
    // Still refused at the next check: kept, quietly.
    let out = switch("2026-11-25T12:10:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert!(pending.exists());
    // The peer is back: the next run sends it once, and forgets it.
    std::fs::remove_file(&down).expect("up");
    let out = switch("2026-11-25T12:20:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert!(!pending.exists());
    switch("2026-11-25T12:30:00Z");
    // Refused twice, then taken: three sends, each of the same notice.
    let sends: Vec<serde_json::Value> = s
        .read("openclaw.log")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("log line")["argv"].clone())
        .filter(|argv| argv[0] == "message")
        .collect();
    let send = serde_json::json!([
        "message",
        "send",
        "--channel",
        "a2a",
        "--target",
        "inbox",
        "--message",
        NOTICE
    ]);
    assert_eq!(sends, vec![send.clone(), send.clone(), send]);
}

#[test]
fn two_switch_runs_at_once_make_and_announce_the_change_once() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let sink = flaky_sink(&s);
    let resume = s.root().join("resume");
    let first = clawshift(&s, &["switch".into()])
        .env("__CLAWSHIFT_TEST_PAUSE_AT", "1")
        .env("__CLAWSHIFT_TEST_RESUME_FILE", &resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The first run holds the lock and pauses; the second must wait for it.
    let lock = s.home().join("locks/switch-main.lock");
    let started = Instant::now();
    while !lock.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "no lock taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut second = clawshift(&s, &["switch".into()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        second.try_wait().expect("wait").is_none(),
        "the second run did not wait"
    );
    std::fs::write(&resume, "").expect("resume");
    let first = first.wait_with_output().expect("first");
    let second = second.wait_with_output().expect("second");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(stdout(&first), format!("{NOTICE}\n"));
    assert_eq!(stderr(&first), "paused at switch-locked\n");
    assert_eq!(
        (stdout(&second).as_str(), stderr(&second).as_str()),
        ("", "")
    );
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        format!("{NOTICE}\n")
    );
    assert_eq!(mode(&lock), 0o600);
}

/// Parses stdout as exactly one JSON document (serde_json refuses trailing text).
fn one_json_document(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", stdout(out)))
}

#[test]
fn json_stdout_is_exactly_one_document_even_under_dry_run() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let out = run(&s, &["--dry-run", "switch", "--json"]);
    let v = one_json_document(&out);
    assert_eq!(v["action"], "switch");
    assert!(
        stderr(&out).contains(&format!(
            "dry-run: would save {}\n",
            s.home().join("switch-state.json").display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!s.home().join("switch-state.json").exists());
    // The same notes stay on stdout without --json.
    let out = run(&s, &["--dry-run", "switch"]);
    assert!(
        stdout(&out).contains("dry-run: would save "),
        "{}",
        stdout(&out)
    );
    s.cmd().arg("switch").assert().success();
    for args in [
        &["--dry-run", "run", "switch", "--json"][..],
        &["status", "--json"],
        &["doctor", "--json"],
        &["history", "--json"],
        &["--dry-run", "history", "--json"],
        &["--dry-run", "status", "--json"],
    ] {
        let out = s.cmd().args(args).output().expect("run");
        if args.contains(&"doctor") {
            // doctor exits 1 on an error finding; its stdout is still one document.
            serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", stdout(&out)));
        } else {
            one_json_document(&out);
        }
    }
}

#[test]
fn a_state_file_with_a_float_or_huge_time_is_set_aside_and_the_run_starts_afresh() {
    for (bad, shown) in [
        ("1795607400000.5", "1795607400000.5"),
        ("1e300", "1e+300"),
        ("99999999999999999999", "1e+20"),
        ("-5", "-5"),
        ("\"yesterday\"", "\"yesterday\""),
    ] {
        let s = Sandbox::new();
        seed(&s, "opus-cooling");
        let text = format!("{{\"lastSwitchAt\": {bad}, \"lastCheckedAt\": 1795607400000}}");
        let p = s.write("clawshift/switch-state.json", &text);
        let out = switch_at(&s, "2026-11-25T12:00:00Z");
        let aside = s.home().join("switch-state.json.corrupt-1795608000");
        assert_eq!(
            stderr(&out),
            format!(
                "warning: state file `{}` was corrupt: `lastSwitchAt` is {shown}, not a time in milliseconds between 1970 and 2100; moved it to `{}` and starting afresh\n",
                p.display(),
                aside.display()
            ),
            "{bad}"
        );
        assert_eq!(stdout(&out), format!("{NOTICE}\n"), "{bad}");
        assert_eq!(std::fs::read_to_string(&aside).expect("aside"), text);
        assert_eq!(state_json(&s)["lastSwitchAt"], 1795608000000_i64, "{bad}");
    }
}

#[test]
fn a_nested_time_out_of_range_is_named_by_its_path() {
    // Also inside a profile's entry of `profileStatuses`, which is held apart from the
    // rest of the state.
    for (text, path) in [
        (
            "{\"lastNotice\": {\"at\": 4102444800001, \"text\": \"x\"}}",
            "lastNotice.at",
        ),
        (
            "{\"profileStatuses\": {\"openai:a\": {\"usable\": true}, \"openai:b\": {\"usable\": true, \"seenAt\": 4102444800001}}}",
            "profileStatuses.openai:b.seenAt",
        ),
    ] {
        let s = Sandbox::new();
        let p = s.write("clawshift/switch-state.json", text);
        let out = run(&s, &["eval", r#"state::load("switch-state") == ()"#]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(stdout(&out), "true\n");
        assert!(
            stderr(&out).starts_with(&format!(
                "warning: state file `{}` was corrupt: `{path}` is 4102444800001, not a time in milliseconds between 1970 and 2100;",
                p.display()
            )),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn a_last_switch_in_the_future_holds_the_agent_for_the_hold_only() {
    let s = Sandbox::new();
    seed(&s, "opus-available");
    // Saved by a clock 400 days fast: 2027-12-30T12:00:00Z.
    let p = s.write(
        "clawshift/switch-state.json",
        "{\"lastSwitchAt\": 1830168000000, \"lastCheckedAt\": 1795607400000, \"lastSwitch\": {\"at\": 1830168000000}, \"usageLeft\": {\"openai:work\": {\"resetAt\": 1830168000000}}}",
    );
    let out = switch_at(&s, "2026-11-25T12:00:00Z");
    assert_eq!(stdout(&out), "");
    // One warning per field, in the order of their paths.
    assert_eq!(
        stderr(&out),
        format!(
            "warning: state file `{0}`: `lastSwitch.at` is in the future (the clock was wrong when it was saved); reading it as now\n\
             warning: state file `{0}`: `lastSwitchAt` is in the future (the clock was wrong when it was saved); reading it as now\n",
            p.display()
        )
    );
    assert_eq!(state_json(&s)["lastSwitchAt"], 1795608000000_i64);
    // A reset time is meant to be in the future: kept as it was.
    assert_eq!(
        state_json(&s)["usageLeft"]["openai:work"]["resetAt"],
        1830168000000_i64
    );
    // Half an hour later the hold is over, not 400 days later.
    let out = switch_at(&s, "2026-11-25T12:31:00Z");
    assert_eq!(
        stdout(&out),
        "switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n"
    );
    assert_eq!(stderr(&out), "");
}

/// A sandbox whose OpenClaw sits where OpenClaw puts it by default, `$HOME/.openclaw`,
/// with no OPENCLAW_STATE_DIR or CODEX_HOME set.
fn default_layout(state: &str) -> Sandbox {
    let s = Sandbox::new();
    seed(&s, state);
    std::fs::rename(s.openclaw(), s.root().join("home/.openclaw")).expect("move");
    s
}

fn default_cmd(s: &Sandbox) -> assert_cmd::Command {
    let mut c = s.cmd();
    c.env_remove("OPENCLAW_STATE_DIR").env_remove("CODEX_HOME");
    c
}

#[test]
fn cron_pins_home_and_the_openclaw_paths_so_the_job_acts_on_the_same_openclaw() {
    let s = default_layout("opus-cooling");
    let home = s.root().join("home");
    let exe = assert_cmd::cargo::cargo_bin("clawshift");
    let out = default_cmd(&s)
        .args(["cron", "print"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let command = format!(
        "PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch",
        s.bin().display(),
        home.display(),
        s.home().display(),
        home.join(".openclaw").display(),
        home.join(".codex").display(),
        exe.display()
    );
    assert_eq!(
        stdout(&out),
        format!("*/10 * * * * {command} # clawshift-switch\n")
    );
    // Cron runs the line with its own HOME: the job still switches this OpenClaw.
    let elsewhere = s.root().join("cron-home");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &command])
        .env_clear()
        .env("HOME", &elsewhere)
        .env("PATH", "/usr/bin:/bin")
        .env("CLAWSHIFT_NOW", NOW)
        .current_dir(&elsewhere)
        .output()
        .expect("sh");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{NOTICE}\n"));
    assert_eq!(stderr(&out), "");
    assert_eq!(
        std::fs::read_dir(&elsewhere).expect("dir").count(),
        0,
        "the job wrote under cron's own HOME"
    );
    // An OpenClaw config kept elsewhere is pinned too.
    let out = default_cmd(&s)
        .env("OPENCLAW_CONFIG_PATH", s.root().join("oc.json"))
        .args(["cron", "print"])
        .output()
        .expect("run");
    assert!(
        stdout(&out).contains(&format!(
            " OPENCLAW_STATE_DIR={} OPENCLAW_CONFIG_PATH={} CODEX_HOME=",
            home.join(".openclaw").display(),
            s.root().join("oc.json").display()
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_readme_cron_snippet_is_silent_when_nothing_changes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let line = readme
        .lines()
        .find(|l| l.starts_with("clawshift eval 'let r = set_model("))
        .expect("the cron snippet in README.md");
    let snippet = line
        .strip_prefix("clawshift eval '")
        .and_then(|l| l.strip_suffix('\''))
        .expect("quoted snippet");
    let s = Sandbox::new();
    seed(&s, "opus-available");
    let out = run(&s, &["eval", snippet]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "default model: set anthropic/claude-opus-4-7 (was openai/gpt-5.5)\n\
         fallbacks: set openai/gpt-5.5 (was anthropic/claude-opus-4-7)\n"
    );
    for _ in 0..2 {
        let out = run(&s, &["eval", snippet]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    }
}

#[test]
fn doctor_checks_the_notify_command_and_channel_and_names_pending_notices() {
    let s = Sandbox::new();
    configure(
        &s,
        r#"{"notify": {"command": ["nosuch-notifier", "x"], "openclaw": {"channel": "Tele gram", "target": ""}}}"#,
    );
    let out = run(&s, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let notify: Vec<&str> = text.lines().filter(|l| l.contains(": notify: ")).collect();
    assert_eq!(
        notify,
        [
            format!(
                "error: notify: notify.command: `nosuch-notifier` is not on PATH (fix: install `nosuch-notifier`, give its absolute path, or change notify.command in `{}`)",
                s.home().join("config.json").display()
            )
            .as_str(),
            "error: notify: notify.openclaw.channel `Tele gram` is not a channel id (letters, digits and `-`, e.g. `telegram`) (fix: set it to one of the channels `openclaw channels list` shows)",
            "error: notify: notify.openclaw.target \"\" is not a target (a chat, user or number, e.g. `@mychat`) (fix: set the target `openclaw message send --target` expects)",
            "error: notify: notify.openclaw is set but `openclaw` is not on PATH (fix: install OpenClaw, set CLAWSHIFT_OPENCLAW_BIN, or remove notify.openclaw)",
        ],
        "{text}"
    );
    // A file that is not executable, a shell string that does not parse, a misspelt
    // channel; and a notice still pending.
    s.write("bin/notifier", "#!/bin/sh\n");
    s.install_bin("openclaw", "#!/bin/sh\nexit 0\n");
    configure(
        &s,
        r#"{"notify": {"command": "echo (", "openclaw": {"channel": "telegrm", "target": "@me"}}}"#,
    );
    s.write(
        "clawshift/pending-notices.json",
        "[{\"at\": 1795608000000, \"text\": \"switched a → b: why\", \"sinks\": [\"openclaw\"], \"why\": \"exit 1: offline\"}]",
    );
    let out = run(&s, &["doctor"]);
    let text = stdout(&out);
    let notify: Vec<&str> = text.lines().filter(|l| l.contains(": notify: ")).collect();
    assert_eq!(
        notify,
        [
            "error: notify: notify.command `echo (` is not valid shell: /bin/sh: 1: Syntax error: end of file unexpected (expecting \")\") (fix: fix the command in config.json)",
            "warning: notify: notify.openclaw.channel `telegrm` is not one of OpenClaw's bundled channels; fine only if a plugin adds it (fix: check the spelling against `openclaw channels list`)",
            "warning: notify: a notice from 2026-11-25T12:00:00Z is still pending for openclaw: switched a → b: why (last try: exit 1: offline) (fix: fix the sink; the next `clawshift switch` (or any notify) sends it)",
        ],
        "{text}"
    );
    configure(
        &s,
        &format!(
            r#"{{"notify": {{"command": ["{}"], "openclaw": {{"channel": "telegram", "target": "@me"}}}}}}"#,
            s.bin().join("notifier").display()
        ),
    );
    let text = stdout(&run(&s, &["doctor"]));
    assert!(
        text.contains(&format!(
            "error: notify: notify.command: `{}` is not an executable file",
            s.bin().join("notifier").display()
        )),
        "{text}"
    );
    std::fs::remove_file(s.home().join("pending-notices.json")).expect("rm");
    s.install_bin("notifier", "#!/bin/sh\n");
    let text = stdout(&run(&s, &["doctor"]));
    assert!(!text.contains(": notify: "), "{text}");
}

#[test]
fn a_damaged_pending_file_never_costs_a_new_notice() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let sink = flaky_sink(&s);
    s.write("down", "");
    let pending = s.write("clawshift/pending-notices.json", "[{\"at\": ");
    let out = switch_at(&s, "2026-11-25T12:00:00Z");
    assert_eq!(stdout(&out), format!("{NOTICE}\n"));
    let aside = s.home().join("pending-notices.json.corrupt-1795608000");
    let problem = format!(
        "pending notices `{}` are not readable (EOF while parsing a value at line 1 column 8); move the file away to drop them",
        pending.display()
    );
    assert_eq!(
        stderr(&out),
        format!(
            "warning: notify: {problem}\n\
             warning: notify: {problem}\n\
             warning: notify: notify command `record` failed: exit 3: mail server down; kept, to be sent by the next run\n\
             warning: {problem}; moved it to `{}`\n",
            aside.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&aside).expect("aside"),
        "[{\"at\": "
    );
    std::fs::remove_file(s.root().join("down")).expect("up");
    let out = switch_at(&s, "2026-11-25T12:10:00Z");
    assert_eq!((stdout(&out).as_str(), stderr(&out).as_str()), ("", ""));
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        format!("{NOTICE}\n")
    );
}
