//! Issue #6: `clawshift switch` (the stock policy, replayed over recorded snapshots and
//! run against fixture OpenClaw states), its state file, `notify`, and `clawshift cron`.

use std::path::{Path, PathBuf};

use crate::support::*;

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/switch")
        .join(rel)
}

/// `clawshift switch --replay tests/fixtures/switch/<scenario>`: stdout, checked to succeed.
fn replay(s: &Sandbox, scenario: &str, extra: &[&str]) -> String {
    let out = s
        .cmd()
        .args(["switch", "--replay"])
        .arg(fixture(scenario))
        .args(extra)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    stdout(&out)
}

#[test]
fn replay_chooses_opus_when_it_is_available() {
    let s = Sandbox::new();
    assert_eq!(
        replay(&s, "opus-available", &[]),
        "2026-11-25T12:00:00Z  01.json  switch openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n"
    );
}

#[test]
fn replay_falls_back_to_the_first_codex_account_while_opus_cools_down() {
    let s = Sandbox::new();
    assert_eq!(
        replay(&s, "opus-cooling", &[]),
        "2026-11-25T12:00:00Z  01.json  switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable\n"
    );
}

#[test]
fn replay_picks_the_shortest_wait_when_everything_is_blocked() {
    let s = Sandbox::new();
    assert_eq!(
        replay(&s, "all-blocked", &[]),
        "2026-11-25T12:00:00Z  01.json  switch openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work cooling down for 41m; nothing usable; shortest wait: openai:alice cooling down for 5m\n"
    );
}

#[test]
fn replay_excludes_disabled_and_expired_accounts() {
    let s = Sandbox::new();
    let out = replay(&s, "disabled-expired", &["--explain"]);
    assert!(
        out.contains(
            "  2. openai/gpt-5.5@openai:work   rejected  disabled         openai:work disabled (billing) for 5h (current)\n\
             \x20 3. openai/gpt-5.5@openai:alice  rejected  expired          openai:alice expired 1h 30m ago\n\
             * 4. openai/gpt-5.5@openai:bob    accepted  usable           openai:bob usable\n"
        ),
        "{out}"
    );
    assert!(
        out.ends_with(
            "decision: switch openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob: openai:work disabled (billing) for 5h; openai:bob usable\n"
        ),
        "{out}"
    );
}

#[test]
fn replay_ignores_a_cooldown_scoped_to_another_model() {
    let s = Sandbox::new();
    assert_eq!(
        replay(&s, "other-model-cooldown", &[]),
        "2026-11-25T12:00:00Z  01.json  switch openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable (its cooldown is for anthropic/claude-sonnet-4-6 only); preferred over openai/gpt-5.5@openai:work\n\
         2026-11-25T12:10:00Z  02.json  switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 30m; openai:work usable (its cooldown is for gpt-5.4-mini only)\n"
    );
}

#[test]
fn replay_holds_off_flapping_and_switches_back_after_recovery() {
    let s = Sandbox::new();
    assert_eq!(
        replay(&s, "flapping", &[]),
        "2026-11-25T12:00:00Z  01.json  stay anthropic/claude-opus-4-7: anthropic:me usable\n\
         2026-11-25T12:10:00Z  02.json  switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 5m; openai:work usable\n\
         2026-11-25T12:20:00Z  03.json  hold openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7 usable again; staying on openai/gpt-5.5@openai:work for 20m more (30m minimum after a switch)\n\
         2026-11-25T12:30:00Z  04.json  hold openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7 usable again; staying on openai/gpt-5.5@openai:work for 10m more (30m minimum after a switch)\n\
         2026-11-25T12:40:00Z  05.json  switch openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n\
         2026-11-25T12:50:00Z  06.json  switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 5m; openai:work usable\n\
         2026-11-25T13:00:00Z  07.json  hold openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7 usable again; staying on openai/gpt-5.5@openai:work for 20m more (30m minimum after a switch)\n\
         2026-11-25T13:10:00Z  08.json  switch openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: openai:work cooling down for 1h; anthropic:me usable\n\
         2026-11-25T13:20:00Z  09.json  stay anthropic/claude-opus-4-7: anthropic:me usable\n"
    );
}

#[test]
fn replay_changes_nothing_on_disk() {
    let s = Sandbox::new();
    replay(&s, "flapping", &[]);
    replay(&s, "flapping", &["--explain"]);
    replay(&s, "flapping", &["--json"]);
    let left: Vec<_> = std::fs::read_dir(s.home())
        .expect("home")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn replay_explain_prints_inputs_candidates_and_decision() {
    let s = Sandbox::new();
    let out = replay(&s, "flapping", &["--explain"]);
    let step3 = out
        .split("== ")
        .find(|b| b.starts_with("03.json"))
        .expect("step 3");
    assert_eq!(
        step3,
        "03.json: Opus usable again: held\n\
         inputs:\n\
         \x20 now          2026-11-25T12:20:00Z\n\
         \x20 layout       sqlite (native)\n\
         \x20 current      openai/gpt-5.5@openai:work (replay)\n\
         \x20 default      anthropic/claude-opus-4-7\n\
         \x20 fallbacks    anthropic/claude-opus-4-7\n\
         \x20 priority     opus, codex\n\
         \x20 last switch  2026-11-25T12:10:00Z (10m ago) to openai/gpt-5.5@openai:work\n\
         candidates:\n\
         \x20 1. anthropic/claude-opus-4-7    accepted  usable           anthropic:me usable\n\
         * 2. openai/gpt-5.5@openai:work   accepted  usable           openai:work usable (current)\n\
         \x20 3. openai/gpt-5.5@openai:alice  accepted  usable           openai:alice usable\n\
         \x20 4. openai/gpt-5.5@openai:bob    accepted  usable           openai:bob usable\n\
         decision: hold openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7 usable again; staying on openai/gpt-5.5@openai:work for 20m more (30m minimum after a switch)\n"
    );
}

#[test]
fn replay_json_is_one_object_with_every_decision() {
    let s = Sandbox::new();
    let out = replay(&s, "flapping", &["--json"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let actions: Vec<&str> = v["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|d| d["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "stay", "switch", "hold", "hold", "switch", "switch", "hold", "switch", "stay"
        ]
    );
    let second = &v["decisions"][1];
    assert_eq!(second["file"], "02.json");
    assert_eq!(second["to"], "openai/gpt-5.5@openai:work");
    assert_eq!(second["profile"], "openai:work");
    assert_eq!(second["candidates"][0]["rule"], "cooldown");
    assert_eq!(second["candidates"][0]["ends_at"], 1795608900000_i64);
    // With --explain too, the explanation travels inside the one object.
    let out = replay(&s, "flapping", &["--json", "--explain"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let lines = v["decisions"][2]["explain"].as_array().expect("explain");
    assert_eq!(lines[0], "inputs:");
    assert!(
        lines[lines.len() - 1]
            .as_str()
            .expect("line")
            .starts_with("decision: hold openai/gpt-5.5@openai:work: "),
        "{lines:?}"
    );
}

#[test]
fn replay_reads_a_bare_status_map_with_its_own_clock() {
    let s = Sandbox::new();
    let text = std::fs::read_to_string(fixture("opus-cooling/01.json")).expect("fixture");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut status = v["status"].clone();
    // Ten minutes later than the wrapper's `at`: the cooldown has 31m left.
    status["now"] = serde_json::json!(1795608600000_i64);
    s.write(
        "snaps/a.json",
        &serde_json::to_string_pretty(&status).expect("json"),
    );
    s.cmd()
        .args(["switch", "--replay", "snaps"])
        .assert()
        .success()
        .stdout("2026-11-25T12:10:00Z  a.json  switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 31m; openai:work usable\n");
}

#[test]
fn replay_names_a_broken_snapshot_and_a_missing_directory() {
    let s = Sandbox::new();
    s.write("snaps/01.json", "{\"at\": \"2026-11-25T12:00:00Z\",\n");
    let out = s
        .cmd()
        .args(["switch", "--replay", "snaps"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: replay::snapshots: `snaps/01.json` is not valid JSON: EOF while parsing a value at line 2 column 0\n"),
        "{err}"
    );
    s.write("snaps/01.json", "{\"status\": {}}");
    let out = s
        .cmd()
        .args(["switch", "--replay", "snaps"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: replay::snapshots: `snaps/01.json` has no usable time"),
        "{}",
        stderr(&out)
    );
    let out = s
        .cmd()
        .args(["switch", "--replay", "nowhere"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: replay::snapshots: cannot read directory `nowhere`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_ejected_and_edited_priority_list_wins() {
    let s = Sandbox::new();
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let path = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&path).expect("ejected");
    let edited = text.replace(
        "const PRIORITY = [\"opus\", \"codex\"];",
        "const PRIORITY = [\"openai/gpt-5.5@openai:bob\", \"opus\"];",
    );
    assert_ne!(text, edited);
    std::fs::write(&path, edited).expect("edit");
    assert_eq!(
        replay(&s, "opus-available", &[]),
        "2026-11-25T12:00:00Z  01.json  switch openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob: openai/gpt-5.5@openai:work is not in the priority list; openai:bob usable\n"
    );
}

#[test]
fn check_reports_a_broken_edit_with_file_line_and_column() {
    let s = Sandbox::new();
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let path = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&path).expect("ejected");
    let line = text
        .lines()
        .position(|l| l.starts_with("const PRIORITY"))
        .expect("PRIORITY")
        + 1;
    std::fs::write(
        &path,
        text.replace(
            "const PRIORITY = [\"opus\", \"codex\"];",
            "const PRIORITY = [\"opus\" \"codex\"];",
        ),
    )
    .expect("edit");
    let out = s.cmd().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "error: syntax error: Expecting ',' to separate the items of this array literal\n  --> {}:{line}:26\n",
            path.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("const PRIORITY = [\"opus\" \"codex\"];\n   |                          ^\n"),
        "{err}"
    );
}

#[test]
fn switch_rejects_an_unknown_flag_as_a_usage_error() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["run", "switch", "--bogus"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: switch: unknown argument \"--bogus\"; use --explain, --json or --replay DIR\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn state_save_writes_0600_and_load_reads_it_back() {
    let s = Sandbox::new();
    s.cmd()
        .args(["eval", r#"state::save("t", #{a: 1, b: [true, ()]})"#])
        .assert()
        .success()
        .stdout("");
    let p = s.home().join("t.json");
    assert_eq!(
        std::fs::read_to_string(&p).expect("state"),
        "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null\n  ]\n}\n"
    );
    assert_eq!(mode(&p), 0o600);
    s.cmd()
        .args(["eval", r#"state::load("t").b[0]"#])
        .assert()
        .success()
        .stdout("true\n");
    s.cmd()
        .args(["eval", r#"state::load("absent") == ()"#])
        .assert()
        .success()
        .stdout("true\n");
    s.cmd()
        .args(["--dry-run", "eval", r#"state::save("t", #{a: 2})"#])
        .assert()
        .success()
        .stdout(format!("dry-run: would save {}\n", p.display()));
    assert!(
        std::fs::read_to_string(&p)
            .expect("state")
            .contains("\"a\": 1")
    );
    let out = s
        .cmd()
        .args(["eval", r#"state::load("../x")"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: state::load: `../x` is not a valid state name; use letters, digits, `-`, `_` and `.` (e.g. \"switch-state\")\n"
    ));
}

#[test]
fn a_saved_states_profile_statuses_read_by_id_and_save_back_unchanged() {
    let s = Sandbox::new();
    let text = "{\n  \"lastCheckedAt\": 1795608000000,\n  \"profileStatuses\": {\n    \"openai:a\": {\n      \"kind\": \"cooldown\",\n      \"model\": null,\n      \"reason\": \"rate_limit\",\n      \"until\": 1795609000000,\n      \"usable\": false\n    },\n    \"openai:b\": {\n      \"usable\": true\n    },\n    \"openai:c\": {\n      \"kind\": null,\n      \"model\": null,\n      \"reason\": null,\n      \"until\": null,\n      \"usable\": \"yes\"\n    },\n    \"openai:d\": {\n      \"kind\": null,\n      \"model\": null,\n      \"note\": \"kept\",\n      \"reason\": null,\n      \"until\": null,\n      \"usable\": true\n    }\n  }\n}\n";
    s.write("clawshift/t.json", text);
    let script = r#"let s = state::load("t");
let p = s.profileStatuses;
print(`${type_of(p)} ${p.len()} ${p.keys()} ${p.contains("openai:b")} ${p.contains("x")}`);
print(`${p["openai:a"].reason} ${p["openai:a"].usable} ${p["x"]} ${p["openai:c"].usable} ${p["openai:d"].note}`);
let m = p.to_map();
m.extra = 1;
print(`${type_of(m)} ${m.len()} ${p.len()}`);
state::save("copy", s);"#;
    s.cmd().args(["eval", script]).assert().success().stdout(
        "ProfileStatuses 4 [\"openai:a\", \"openai:b\", \"openai:c\", \"openai:d\"] true false\n\
             rate_limit false  yes kept\n\
             map 5 4\n",
    );
    assert_eq!(s.read("clawshift/copy.json"), text);
    // `eval` shows it as the JSON it holds.
    s.cmd()
        .args(["eval", r#"state::load("t").profileStatuses["openai:b"]"#])
        .assert()
        .success()
        .stdout("{\n  \"usable\": true\n}\n");
}

#[test]
fn a_corrupt_state_file_is_kept_aside_and_treated_as_absent() {
    let s = Sandbox::new();
    let p = s.write("clawshift/switch-state.json", "{\"lastCheckedAt\": 17");
    let out = s
        .cmd()
        .args(["eval", r#"state::load("switch-state") == ()"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "true\n");
    let aside = s.home().join("switch-state.json.corrupt-1795608000");
    assert_eq!(
        stderr(&out),
        format!(
            "warning: state file `{}` was corrupt: it is not valid JSON (EOF while parsing an object at line 1 column 20); moved it to `{}` and starting afresh\n",
            p.display(),
            aside.display()
        )
    );
    assert!(!p.exists());
    assert_eq!(
        std::fs::read_to_string(&aside).expect("aside"),
        "{\"lastCheckedAt\": 17"
    );
}

/// A `config.json` in the sandbox's CLAWSHIFT_HOME.
pub fn configure(s: &Sandbox, json: &str) {
    s.write("clawshift/config.json", json);
}

#[test]
fn notify_prints_and_feeds_the_configured_command_on_stdin() {
    let s = Sandbox::new();
    s.install_bin("record", "#!/bin/sh\ncat > \"$1\"\n");
    let sink = s.root().join("received.txt");
    configure(
        &s,
        &format!(
            r#"{{"notify": {{"command": ["record", "{}"]}}}}"#,
            sink.display()
        ),
    );
    s.cmd()
        .args(["eval", r#"notify("switched a → b: why")"#])
        .assert()
        .success()
        .stdout("switched a → b: why\n{\n  \"command\": \"sent\",\n  \"openclaw\": null,\n  \"stdout\": true\n}\n");
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        "switched a → b: why\n"
    );
}

#[test]
fn notify_runs_a_shell_string_and_a_failure_is_only_a_warning() {
    let s = Sandbox::new();
    configure(
        &s,
        r#"{"notify": {"command": "cat > /dev/null; echo mail server down >&2; exit 3"}}"#,
    );
    let out = s
        .cmd()
        .args(["eval", r#"notify("hello", #{stdout: false}).command"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "failed: exit 3: mail server down\n");
    assert_eq!(
        stderr(&out),
        "warning: notify: notify command `cat > /dev/null; echo mail server down >&2; exit 3` failed: exit 3: mail server down; kept, to be sent by the next run\n"
    );
}

#[test]
fn notify_sends_to_the_openclaw_channel_offline() {
    let s = Sandbox::new();
    s.install_bin(
        "openclaw",
        "#!/bin/sh\nd=\"$(dirname \"$0\")/..\"\nprintf '%s\\n' \"$@\" > \"$d/openclaw-args.txt\"\necho \"offline=$npm_config_offline\" >> \"$d/openclaw-args.txt\"\n",
    );
    configure(
        &s,
        r#"{"notify": {"openclaw": {"channel": "telegram", "target": "@mychat"}}}"#,
    );
    s.cmd()
        .args(["eval", r#"notify("switched x → y: z").openclaw"#])
        .assert()
        .success()
        .stdout("switched x → y: z\nsent\n");
    assert_eq!(
        s.read("openclaw-args.txt"),
        "message\nsend\n--channel\ntelegram\n--target\n@mychat\n--message\nswitched x → y: z\noffline=true\n"
    );
}

#[test]
fn notify_under_dry_run_runs_nothing_and_a_typo_in_config_is_named() {
    let s = Sandbox::new();
    configure(&s, r#"{"notify": {"command": "touch ran"}}"#);
    s.cmd()
        .args(["--dry-run", "eval", r#"notify("hi"); ()"#])
        .assert()
        .success()
        .stdout("dry-run: would notify: hi\ndry-run: would run notify command `touch ran`\n");
    assert!(!s.root().join("ran").exists());
    configure(&s, r#"{"notify": {"comand": "x"}}"#);
    let out = s
        .cmd()
        .args(["eval", r#"notify("hi"); ()"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("config.json` is not valid: unknown field `comand`"),
        "{}",
        stderr(&out)
    );
}

const FAKE_CRONTAB: &str = r#"#!/bin/sh
f="$(dirname "$0")/../crontab.txt"
case "$1" in
  -l) if [ -f "$f" ]; then cat "$f"; else echo "no crontab for tester" >&2; exit 1; fi ;;
  -) cat > "$f" ;;
  *) echo "fake crontab: unexpected $*" >&2; exit 2 ;;
esac
"#;

fn exe() -> String {
    assert_cmd::cargo::cargo_bin("clawshift")
        .display()
        .to_string()
}

/// The line `cron install` puts in the sandbox's crontab.
fn cron_line(s: &Sandbox, schedule: &str) -> String {
    format!(
        "{schedule} PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch # clawshift-switch",
        s.bin().display(),
        s.root().join("home").display(),
        s.home().display(),
        s.openclaw().display(),
        s.codex().display(),
        exe()
    )
}

#[test]
fn cron_print_shows_the_line_with_the_binary_and_its_environment() {
    let s = Sandbox::new();
    s.cmd()
        .args(["cron", "print"])
        .assert()
        .success()
        .stdout(format!("{}\n", cron_line(&s, "*/10 * * * *")));
    s.cmd()
        .args(["cron", "print", "--every", "2h"])
        .assert()
        .success()
        .stdout(format!("{}\n", cron_line(&s, "0 */2 * * *")));
    let out = s
        .cmd()
        .args(["cron", "print", "--every", "90m"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --every `90m`: use minutes (1m to 59m) or hours (1h to 23h), e.g. --every 10m\n"
    );
}

#[test]
fn cron_install_twice_leaves_one_line_and_remove_takes_exactly_it() {
    let s = Sandbox::new();
    s.install_bin("crontab", FAKE_CRONTAB);
    let mine = "MAILTO=me@example.com\n0 3 * * * /usr/bin/backup # nightly\n";
    s.write("crontab.txt", mine);
    let line = cron_line(&s, "*/10 * * * *");
    s.cmd()
        .args(["cron", "install"])
        .assert()
        .success()
        .stdout(format!("installed in your crontab: {line}\n"));
    s.cmd()
        .args(["cron", "install"])
        .assert()
        .success()
        .stdout(format!("already in your crontab: {line}\n"));
    assert_eq!(s.read("crontab.txt"), format!("{mine}{line}\n"));
    // A new interval replaces the line in place.
    let hourly = cron_line(&s, "0 * * * *");
    s.cmd()
        .args(["cron", "install", "--every", "1h"])
        .assert()
        .success()
        .stdout(format!("installed in your crontab: {hourly}\n"));
    assert_eq!(s.read("crontab.txt"), format!("{mine}{hourly}\n"));
    s.cmd()
        .args(["cron", "remove"])
        .assert()
        .success()
        .stdout(format!("removed from your crontab: {hourly}\n"));
    assert_eq!(s.read("crontab.txt"), mine);
    s.cmd()
        .args(["cron", "remove"])
        .assert()
        .success()
        .stdout("nothing to remove: no line in your crontab ends with `# clawshift-switch`\n");
    // The crontab as it was before each change is kept in the backups dir.
    let mut backups: Vec<String> = std::fs::read_dir(s.home().join("backups"))
        .expect("backups")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains("/crontab.bak-1795608000-"))
        .map(|p| std::fs::read_to_string(p).expect("backup"))
        .collect();
    backups.sort_by_key(String::len);
    assert_eq!(backups.len(), 3, "{backups:?}");
    assert_eq!(backups[0], mine);
}

#[test]
fn cron_install_starts_a_crontab_when_there_is_none_and_dry_run_leaves_it() {
    let s = Sandbox::new();
    s.install_bin("crontab", FAKE_CRONTAB);
    let line = cron_line(&s, "*/10 * * * *");
    s.cmd()
        .args(["--dry-run", "cron", "install"])
        .assert()
        .success()
        .stdout(format!("dry-run: would put in your crontab: {line}\n"));
    assert!(!s.root().join("crontab.txt").exists());
    s.cmd().args(["cron", "install"]).assert().success();
    assert_eq!(s.read("crontab.txt"), format!("{line}\n"));
}

#[test]
fn cron_without_crontab_names_the_alternatives() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .env("PATH", s.bin())
        .args(["cron", "install"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: `crontab` not found on PATH; install cron (e.g. `apt install cron`), or schedule through OpenClaw with --via openclaw\n"
    );
}

/// A fake `openclaw` that keeps at most one cron job in `<root>/job.json` and logs
/// every call to `<root>/calls.txt`.
pub const FAKE_OPENCLAW_CRON: &str = r#"#!/bin/sh
d="$(dirname "$0")/.."
echo "$* offline=$npm_config_offline" >> "$d/calls.txt"
case "$1 $2" in
  "cron list")
    if [ -f "$d/job.json" ]; then printf '{"jobs": [%s]}\n' "$(cat "$d/job.json")"; else echo '{"jobs": []}'; fi ;;
  "cron add")
    shift 2
    while [ $# -gt 0 ]; do
      case "$1" in
        --name) name=$2; shift 2 ;;
        --every) every=$2; shift 2 ;;
        --command) cmd=$2; shift 2 ;;
        --no-deliver) delivery=none; shift ;;
        *) echo "unexpected $1" >&2; exit 2 ;;
      esac
    done
    n=${every%m}
    printf '{"id": "job-1", "name": "%s", "schedule": {"kind": "every", "everyMs": %s}, "payload": {"kind": "command", "argv": ["sh", "-lc", "%s"]}, "delivery": {"mode": "%s"}}' "$name" $((n * 60000)) "$cmd" "${delivery:-announce}" > "$d/job.json"
    cat "$d/job.json" ;;
  "cron rm")
    [ "$3" = job-1 ] && rm -f "$d/job.json" ;;
  *) echo "unexpected $*" >&2; exit 2 ;;
esac
"#;

#[test]
fn cron_via_openclaw_adds_one_command_job_and_removes_it() {
    let s = Sandbox::new();
    s.install_bin("openclaw", FAKE_OPENCLAW_CRON);
    let command = format!(
        "PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch",
        s.bin().display(),
        s.root().join("home").display(),
        s.home().display(),
        s.openclaw().display(),
        s.codex().display(),
        exe()
    );
    s.cmd()
        .args(["cron", "print", "--via", "openclaw"])
        .assert()
        .success()
        .stdout(format!(
            "openclaw cron add --name clawshift-switch --every 10m --command '{command}' --no-deliver\n"
        ));
    s.cmd()
        .args(["cron", "install", "--via", "openclaw"])
        .assert()
        .success()
        .stdout(format!(
            "installed OpenClaw cron job clawshift-switch every 10m: {command}\n"
        ));
    s.cmd()
        .args(["cron", "install", "--via", "openclaw"])
        .assert()
        .success()
        .stdout(format!(
            "already an OpenClaw cron job: clawshift-switch every 10m: {command}\n"
        ));
    s.cmd()
        .args(["cron", "remove", "--via", "openclaw"])
        .assert()
        .success()
        .stdout("removed OpenClaw cron job clawshift-switch (job-1)\n");
    assert!(!s.root().join("job.json").exists());
    assert_eq!(
        s.read("calls.txt"),
        format!(
            "cron list --json offline=true\n\
             cron add --name clawshift-switch --every 10m --command {command} --no-deliver offline=true\n\
             cron list --json offline=true\n\
             cron list --json offline=true\n\
             cron rm job-1 offline=true\n"
        )
    );
}

/// A job an earlier clawshift added without `--no-deliver`: OpenClaw 2026.9.6 tries to
/// deliver its output to the `last` chat and records the refusal on every run, so
/// `install` replaces it even though its command and interval are right.
#[test]
fn cron_install_via_openclaw_replaces_a_job_that_delivers_its_output() {
    let s = Sandbox::new();
    s.install_bin("openclaw", FAKE_OPENCLAW_CRON);
    let command = format!(
        "PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch",
        s.bin().display(),
        s.root().join("home").display(),
        s.home().display(),
        s.openclaw().display(),
        s.codex().display(),
        exe()
    );
    s.write(
        "job.json",
        &serde_json::json!({
            "id": "job-1", "name": "clawshift-switch",
            "schedule": {"kind": "every", "everyMs": 600000},
            "payload": {"kind": "command", "argv": ["sh", "-lc", command]},
            "delivery": {"mode": "announce", "channel": "last"}
        })
        .to_string(),
    );
    s.cmd()
        .args(["cron", "install", "--via", "openclaw"])
        .assert()
        .success()
        .stdout(format!(
            "installed OpenClaw cron job clawshift-switch every 10m: {command}\n"
        ));
    let job: serde_json::Value = serde_json::from_str(&s.read("job.json")).expect("job");
    assert_eq!(job["delivery"]["mode"], "none");
    assert_eq!(
        s.read("calls.txt"),
        format!(
            "cron list --json offline=true\n\
             cron rm job-1 offline=true\n\
             cron add --name clawshift-switch --every 10m --command {command} --no-deliver offline=true\n"
        )
    );
}

/// Seeds the sandbox's OpenClaw state from `tests/fixtures/switch/states/<name>`:
/// `auth-profiles.json` makes the legacy JSON layout; `store.json` and `state.json`
/// become the rows of the shared SQLite store (the 2026.8+ layout).
pub fn seed(s: &Sandbox, name: &str) {
    let dir = fixture(&format!("states/{name}"));
    std::fs::copy(
        dir.join("openclaw.json"),
        s.openclaw().join("openclaw.json"),
    )
    .expect("config");
    if dir.join("auth-profiles.json").exists() {
        let agent = s.openclaw().join("agents/main/agent");
        std::fs::create_dir_all(&agent).expect("agent dir");
        std::fs::copy(
            dir.join("auth-profiles.json"),
            agent.join("auth-profiles.json"),
        )
        .expect("store");
        return;
    }
    std::fs::create_dir_all(s.openclaw().join("state")).expect("state dir");
    let conn = rusqlite::Connection::open(s.openclaw().join("state/openclaw.sqlite")).expect("db");
    conn.execute_batch(
        "CREATE TABLE config_machine_state (
           state_key TEXT NOT NULL PRIMARY KEY,
           value_json TEXT NOT NULL,
           updated_at_ms INTEGER NOT NULL
         ) STRICT;",
    )
    .expect("schema");
    let compact = |file: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(file)).expect("read"))
                .expect("json");
        v.to_string()
    };
    for (key, value) in [
        ("auth.sharedStore", r#"{"location":"state-db"}"#.to_string()),
        ("authProfiles.store", compact("store.json")),
        ("authProfiles.state", compact("state.json")),
    ] {
        conn.execute(
            "INSERT INTO config_machine_state VALUES (?1, ?2, 1795600000000)",
            rusqlite::params![key, value],
        )
        .expect("row");
    }
}

/// The agent's default model and its Codex account order, as OpenClaw would read them.
pub fn agent_setting(s: &Sandbox, provider: &str) -> (String, Vec<String>) {
    let out = s
        .cmd()
        .args([
            "eval",
            &format!(
                r#"let st = models_status(); `${{st.default_model}} ${{st.providers["{provider}"].order}}`"#
            ),
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (model, order) = text.trim_end().split_once(' ').expect("two parts");
    let order: Vec<String> = serde_json::from_str(order).expect("order");
    (model.to_string(), order)
}

pub fn state_json(s: &Sandbox) -> serde_json::Value {
    serde_json::from_str(&s.read("clawshift/switch-state.json")).expect("state")
}

#[test]
fn switch_applies_the_stock_policy_to_fixture_openclaw_states() {
    // (state, stdout of the run, default model and Codex order afterwards)
    let table = [
        (
            "opus-available",
            "switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n",
            "anthropic/claude-opus-4-7",
            "openai",
            &["openai:work", "openai:alice", "openai:bob"][..],
        ),
        (
            "opus-cooling",
            "switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable\n",
            "openai/gpt-5.5",
            "openai",
            &["openai:work", "openai:alice", "openai:bob"][..],
        ),
        (
            "all-blocked",
            "switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work cooling down for 41m; nothing usable; shortest wait: openai:alice cooling down for 5m\n",
            "openai/gpt-5.5",
            "openai",
            &["openai:alice", "openai:work", "openai:bob"][..],
        ),
        (
            "disabled-expired",
            "switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob: openai:work disabled (billing) for 5h; openai:bob usable\n",
            "openai/gpt-5.5",
            "openai",
            &["openai:bob", "openai:work", "openai:alice"][..],
        ),
        (
            "other-model-cooldown",
            "switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable (its cooldown is for anthropic/claude-sonnet-4-6 only); preferred over openai/gpt-5.5@openai:work\n",
            "anthropic/claude-opus-4-7",
            "openai",
            &["openai:work", "openai:alice", "openai:bob"][..],
        ),
        (
            "legacy-opus-cooling",
            "switched anthropic/claude-opus-4-7 → openai-codex/gpt-5.5@openai-codex:work: anthropic:me cooling down for 41m; openai-codex:work usable\n",
            "openai-codex/gpt-5.5",
            "openai-codex",
            &[
                "openai-codex:work",
                "openai-codex:alice",
                "openai-codex:bob",
            ][..],
        ),
    ];
    for (state, expected, model, provider, order) in table {
        let s = Sandbox::new();
        seed(&s, state);
        let out = s.cmd().arg("switch").output().expect("run");
        assert!(out.status.success(), "{state}: {}", stderr(&out));
        assert_eq!(stdout(&out), expected, "{state}");
        assert_eq!(stderr(&out), "", "{state}");
        assert_eq!(
            agent_setting(&s, provider),
            (
                model.to_string(),
                order.iter().map(|o| o.to_string()).collect::<Vec<_>>()
            ),
            "{state}"
        );
        let st = state_json(&s);
        assert_eq!(st["lastCheckedAt"], 1795608000000_i64, "{state}");
        assert_eq!(st["lastSwitchAt"], 1795608000000_i64, "{state}");
        assert_eq!(
            st["lastEffectiveModel"].as_str(),
            expected
                .split(" → ")
                .nth(1)
                .and_then(|r| r.split(": ").next()),
            "{state}"
        );
        assert_eq!(mode(&s.home().join("switch-state.json")), 0o600);
    }
}

#[test]
fn a_second_run_is_silent_and_writes_nothing_but_last_checked_at() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    s.cmd().arg("switch").assert().success();
    let before = state_json(&s);
    let db = s.openclaw().join("state/openclaw.sqlite");
    let db_before = std::fs::read(&db).expect("db");
    let config_before = s.read("openclaw/openclaw.json");
    let journal_before = s.read("clawshift/journal.jsonl");
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:10:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let mut after = state_json(&s);
    assert_eq!(after["lastCheckedAt"], 1795608600000_i64);
    after["lastCheckedAt"] = before["lastCheckedAt"].clone();
    assert_eq!(after, before);
    assert_eq!(std::fs::read(&db).expect("db"), db_before);
    assert_eq!(s.read("openclaw/openclaw.json"), config_before);
    assert_eq!(s.read("clawshift/journal.jsonl"), journal_before);
}

#[test]
fn switch_goes_back_to_opus_once_it_recovers_and_the_hold_is_over() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    s.cmd().arg("switch").assert().success();
    // 20 minutes on: Opus still cools down (41m); nothing to say.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:20:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("");
    // 45 minutes on: the cooldown is over and so is the 30m hold.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:45:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n");
    assert_eq!(agent_setting(&s, "openai").0, "anthropic/claude-opus-4-7");
}

#[test]
fn switch_back_among_codex_accounts_follows_the_order_from_before_the_switch() {
    let s = Sandbox::new();
    seed(&s, "all-blocked");
    s.cmd().arg("switch").assert().success();
    assert_eq!(
        agent_setting(&s, "openai").1,
        ["openai:alice", "openai:work", "openai:bob"]
    );
    // 45 minutes on: work (41m) and alice (5m) have recovered, Opus (2h) has not. work
    // comes first in the order the user set, so the agent goes back to it.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:45:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("switched openai/gpt-5.5@openai:alice → openai/gpt-5.5@openai:work: openai:work usable; preferred over openai/gpt-5.5@openai:alice\n");
    assert_eq!(
        agent_setting(&s, "openai").1,
        ["openai:work", "openai:alice", "openai:bob"]
    );
}

/// The Codex provider was `openai-codex` before OpenClaw 2026.5: an order saved for it
/// stays in the state beside the current provider's, which a switch rewrites.
#[test]
fn an_order_saved_for_another_codex_provider_is_kept_when_the_order_changes() {
    let s = Sandbox::new();
    seed(&s, "all-blocked");
    s.cmd().arg("switch").assert().success();
    let path = s.home().join("switch-state.json");
    let read = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&path).expect("state")).expect("json")
    };
    let mut state = read();
    for key in ["accountOrder", "lastOrder"] {
        state[key]["openai-codex"] = serde_json::json!(["openai-codex:old"]);
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).expect("json")).expect("write");
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:45:00Z")
        .arg("switch")
        .assert()
        .success();
    let state = read();
    assert_eq!(
        state["lastOrder"],
        serde_json::json!({
            "openai": ["openai:work", "openai:alice", "openai:bob"],
            "openai-codex": ["openai-codex:old"],
        })
    );
    assert_eq!(
        state["accountOrder"]["openai-codex"],
        serde_json::json!(["openai-codex:old"])
    );
}

#[test]
fn switch_explain_and_json_describe_the_run() {
    let s = Sandbox::new();
    seed(&s, "disabled-expired");
    let out = s
        .cmd()
        .args(["--dry-run", "switch", "--explain"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "inputs:\n  now          2026-11-25T12:00:00Z\n  layout       sqlite (native)\n  current      openai/gpt-5.5@openai:work (default)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "  3. openai/gpt-5.5@openai:alice  rejected  expired          openai:alice expired (OpenClaw's token refresh failed: sign in again)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "dry-run: would notify: switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob"
        ),
        "{text}"
    );
    assert!(!s.home().join("switch-state.json").exists());
    let out = s.cmd().args(["switch", "--json"]).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["action"], "switch");
    assert_eq!(v["to"], "openai/gpt-5.5@openai:bob");
    assert_eq!(v["applied"]["changed"], true);
    assert_eq!(v["candidates"][2]["rule"], "expired");
    assert_eq!(v["candidates"][1]["rule"], "disabled");
}

#[test]
fn switch_keeps_a_corrupt_state_file_aside_and_carries_on() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    s.write("clawshift/switch-state.json", "not json");
    let out = s.cmd().arg("switch").output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(&format!(
            "warning: state file `{}` was corrupt: it is not valid JSON",
            s.home().join("switch-state.json").display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        s.read("clawshift/switch-state.json.corrupt-1795608000"),
        "not json"
    );
    assert_eq!(
        state_json(&s)["lastEffectiveModel"],
        "openai/gpt-5.5@openai:work"
    );
}

#[test]
fn the_same_change_is_announced_once_even_if_it_has_to_be_made_again() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    s.install_bin("record", "#!/bin/sh\ncat >> \"$1\"\n");
    let sink = s.root().join("notices.txt");
    configure(
        &s,
        &format!(
            r#"{{"notify": {{"command": ["record", "{}"]}}}}"#,
            sink.display()
        ),
    );
    s.cmd().arg("switch").assert().success();
    // Something (a gateway, a person) puts Opus back while it still cools down.
    s.cmd()
        .args(["eval", r#"set_model("anthropic/claude-opus-4-7").changed"#])
        .assert()
        .success()
        .stdout("true\n");
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:10:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("");
    assert_eq!(agent_setting(&s, "openai").0, "openai/gpt-5.5");
    assert_eq!(
        std::fs::read_to_string(&sink).expect("sink"),
        "switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable\n"
    );
}

#[test]
fn an_ejected_priority_list_drives_the_live_switch() {
    let s = Sandbox::new();
    seed(&s, "opus-available");
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let path = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&path).expect("ejected");
    std::fs::write(
        &path,
        text.replace(
            "const PRIORITY = [\"opus\", \"codex\"];",
            "const PRIORITY = [\"openai/gpt-5.5@openai:bob\", \"opus\"];",
        ),
    )
    .expect("edit");
    s.cmd()
        .arg("switch")
        .assert()
        .success()
        .stdout("switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob: openai/gpt-5.5@openai:work is not in the priority list; openai:bob usable\n");
    assert_eq!(
        agent_setting(&s, "openai"),
        (
            "openai/gpt-5.5".to_string(),
            vec![
                "openai:bob".to_string(),
                "openai:work".to_string(),
                "openai:alice".to_string()
            ]
        )
    );
}

#[test]
fn eval_set_model_without_a_terminal_exits_non_zero_on_failure() {
    let s = Sandbox::new();
    seed(&s, "opus-available");
    let out = s
        .cmd()
        .args(["eval", r#"set_model("not-a-model")"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: set_model: `not-a-model` is neither `provider/model`"),
        "{}",
        stderr(&out)
    );
    let out = s
        .cmd()
        .args(["eval", r#"set_model("openai/gpt-5.5", "openai:nobody")"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: set_model: no profile `openai:nobody`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(agent_setting(&s, "openai").0, "openai/gpt-5.5");
}

#[test]
fn demo_runs_the_whole_flow_in_its_own_sandbox_and_touches_nothing_else() {
    let s = Sandbox::new();
    let tmp = s.root().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let out = s
        .cmd()
        .env("TMPDIR", &tmp)
        .arg("demo")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let demos: Vec<_> = std::fs::read_dir(&tmp)
        .expect("tmp")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(demos.len(), 1, "{demos:?}");
    let demo = demos[0].display().to_string();
    assert_eq!(
        stdout(&out).replace(&demo, "[DEMO]"),
        "\
         clawshift demo: a throw-away sandbox at [DEMO]\n\
         # OpenClaw 2026.9 state (SQLite), Claude Opus as a fallback, no OpenClaw or Codex needed.\n\
         # Every command runs with HOME, CLAWSHIFT_HOME, OPENCLAW_STATE_DIR and CODEX_HOME inside it.\n\
         \n\
         $ clawshift add-profile work --from-auth-json logins/work.json\n\
         added openai:work (work@example.com, team, expires in 10d) — order: openai:work\n\
         \n\
         $ clawshift add-profile alice --from-auth-json logins/alice.json\n\
         added openai:alice (alice@example.com, plus, expires in 10d) — order: openai:work, openai:alice\n\
         \n\
         $ clawshift add-profile bob --from-auth-json logins/bob.json\n\
         added openai:bob (bob@example.com, plus, expires in 10d) — order: openai:work, openai:alice, openai:bob\n\
         \n\
         # OpenClaw records the limits itself; the demo plays its part: openai:work hit its\n\
         # usage limit (40m), openai:bob is disabled for billing (5h), Opus cools down (2h).\n\
         \n\
         $ clawshift status\n\
         Layout        sqlite (agent main)\n\
         State dir     openclaw\n\
         Config        openclaw/openclaw.json\n\
         Auth store    openclaw/state/openclaw.sqlite\n\
         Agent store   openclaw/agents/main/agent/openclaw-agent.sqlite\n\
         Default model openai/gpt-5.5\n\
         Fallbacks     anthropic/claude-opus-4-7\n\
         Current model openai/gpt-5.5 (default model)\n\
         \n\
         anthropic: order from store\n\
         \x20 #  PROFILE       ACCOUNT  EMAIL  STATE     UNTIL                      EXPIRES\n\
         \x20 1  anthropic:me  -        -      cooldown  2026-11-25T14:00:00Z (2h)  -\n\
         \n\
         openai: order from store\n\
         \x20 #  PROFILE       ACCOUNT          EMAIL              STATE             UNTIL                       EXPIRES\n\
         \x20 1  openai:work   acct-demo-work   work@example.com   cooldown          2026-11-25T12:40:00Z (40m)  in 10d\n\
         \x20 2  openai:alice  acct-demo-alice  alice@example.com  ok                -                           in 10d\n\
         \x20 3  openai:bob    acct-demo-bob    bob@example.com    disabled:billing  2026-11-25T17:00:00Z (5h)   in 10d\n\
         \n\
         $ clawshift switch\n\
         switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work cooling down for 40m; openai:alice usable\n\
         \n\
         $ CLAWSHIFT_NOW=2026-11-25T12:10:00Z clawshift switch\n\
         # (ten minutes on, nothing changed: no output, as cron wants it)\n\
         \n\
         # 45m later: openai:work's limit is over, so the agent goes back to it.\n\
         \n\
         $ CLAWSHIFT_NOW=2026-11-25T12:45:00Z clawshift switch\n\
         switched openai/gpt-5.5@openai:alice → openai/gpt-5.5@openai:work: openai:work usable; preferred over openai/gpt-5.5@openai:alice\n\
         \n\
         # Sent by notify.command (notifications.log):\n\
         \x20 switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work cooling down for 40m; openai:alice usable\n\
         \x20 switched openai/gpt-5.5@openai:alice → openai/gpt-5.5@openai:work: openai:work usable; preferred over openai/gpt-5.5@openai:alice\n\
         \n\
         # The sandbox stays for a look (openclaw/, clawshift/switch-state.json); remove it with: rm -rf [DEMO]\n"
    );
    // Nothing outside the demo's own directory was written.
    for dir in [s.home(), s.openclaw(), s.codex(), s.root().join("home")] {
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{}: {left:?}", dir.display());
    }
}

/// A switch records every profile as it judged it, `{usable, kind, reason, until,
/// model}`, including the refresh-failed, disabled and model-scoped ones.
#[test]
fn a_switch_records_every_profile_status_in_the_state() {
    for state in ["disabled-expired", "other-model-cooldown"] {
        let s = Sandbox::new();
        seed(&s, state);
        s.cmd().arg("switch").assert().success();
        let expected =
            std::fs::read_to_string(fixture(&format!("states/{state}/profile-statuses.json")))
                .expect("expected statuses");
        let expected: serde_json::Value = serde_json::from_str(&expected).expect("json");
        assert_eq!(state_json(&s)["profileStatuses"], expected, "{state}");
    }
}
