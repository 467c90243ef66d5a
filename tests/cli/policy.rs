//! The switch policy as a user edits it: the typed rewrite decides exactly as the old
//! map-based policy did, and the `veto` and `score` hooks change decisions the way
//! docs/scripting.md says.

use std::path::Path;

use crate::support::*;

/// Runs the old policy (a copy in the user's lib dir) and the current one side by side
/// over a replay fixture: one line per snapshot, `<file> <old action> <old route> |
/// <new action> <new route>`.
fn side_by_side(s: &Sandbox, scenario: &str, priority: &str, usage: bool) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/switch")
        .join(scenario);
    let old_call = if usage {
        "old::decide_usage(P, m, so, m.usage ?? #{}, #{now: snap.now, min_hold_ms: H})"
    } else {
        "old::decide(P, m, so, #{now: snap.now, min_hold_ms: H})"
    };
    let new_usage = if usage { "usage: st.usage ?? #{}," } else { "" };
    let old_next = if usage {
        "next_state_usage"
    } else {
        "next_state"
    };
    let snippet = format!(
        r#"import "policy_v1" as old; import "policy" as cur;
        const P = {priority}; const H = 30 * 60 * 1000;
        let so = #{{}}; let sn = #{{}}; let prev = (); let out = [];
        for snap in replay::snapshots("{dir}") {{
            let st = snap.status;
            if prev != () {{ st = st.with_current(prev); }}
            let m = st.to_map();
            let a = {old_call};
            let b = cur::decide(P, st, sn, #{{now: snap.now, min_hold_ms: H, all: true, {new_usage}}});
            out.push(`${{snap.file}} ${{a.action}} ${{a.to}} | ${{b.action}} ${{b.to}}`);
            so = old::{old_next}(so, a, m);
            sn = b.next_state(sn, st);
            prev = b.route;
        }}
        out"#,
        dir = dir.display()
    );
    let out = s.cmd().args(["eval", &snippet]).output().expect("run");
    assert!(
        out.status.success(),
        "{scenario} {priority}: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("lines")
}

#[test]
fn the_typed_policy_decides_as_the_old_one_on_every_fixture_and_priority() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.home().join("lib")).expect("lib");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy-v1/policy_v1.rhai"),
        s.home().join("lib/policy_v1.rhai"),
    )
    .expect("copy");
    let mut compared = 0;
    let mut differ = Vec::new();
    for scenario in [
        "all-blocked",
        "disabled-expired",
        "flapping",
        "opus-available",
        "opus-cooling",
        "other-model-cooldown",
    ] {
        for priority in [
            r#"["opus", "codex"]"#,
            r#"["codex", "opus"]"#,
            r#"["codex"]"#,
            r#"["openai/gpt-5.5@openai:bob", "opus", "codex"]"#,
            r#"["anthropic/claude-opus-4-7", "openai/gpt-5.5"]"#,
        ] {
            for usage in [false, true] {
                for line in side_by_side(&s, scenario, priority, usage) {
                    let (old, new) = line.split_once(" | ").expect("two sides");
                    let file = old.split(' ').next().unwrap_or_default();
                    if old != format!("{file} {new}") {
                        differ.push(format!("{scenario} {priority} usage={usage}: {line}"));
                    }
                    compared += 1;
                }
            }
        }
    }
    eprintln!(
        "policy: {compared} decisions compared, {} differ",
        differ.len()
    );
    assert!(compared > 100, "{compared}");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// An ejected policy whose `veto` refuses the work account: the docs' example.
#[test]
fn a_veto_hook_keeps_an_account_out_and_says_why() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-cooling");
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let lib = s.home().join("lib/policy.rhai");
    let text = std::fs::read_to_string(&lib).expect("policy");
    let edited = text.replace(
        "fn veto(v, status, now) {\n    ()\n}",
        "fn veto(v, status, now) {\n    if v.profile == \"openai:work\" { return \"kept for work hours\"; }\n    ()\n}",
    );
    assert_ne!(edited, text, "the veto hook is where the docs say");
    std::fs::write(&lib, edited).expect("edit");
    let out = s
        .cmd()
        .args(["--dry-run", "switch", "--explain"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("  2. openai/gpt-5.5@openai:work   rejected  veto             openai/gpt-5.5@openai:work vetoed: kept for work hours\n"),
        "{text}"
    );
    assert!(
        text.contains("decision: switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:alice"),
        "{text}"
    );
}

/// A `score` hook that prefers the account with the least used window, in usage mode,
/// among the accounts of one entry with room.
#[test]
fn a_score_hook_orders_the_accounts_of_one_entry() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.home().join("lib")).expect("lib");
    let policy = crate::support::builtin_policy();
    // Prefer the emptiest account instead of the one that resets soonest.
    let edited = policy.replace(
        "fn score(v, status, now) {\n    v.resets_at\n}",
        "fn score(v, status, now) {\n    v.used\n}",
    );
    assert_ne!(edited, policy, "the score hook is where the docs say");
    std::fs::write(s.home().join("lib/policy.rhai"), edited).expect("write");
    crate::switch::seed(&s, "opus-cooling");
    // work is at 95 %, alice at 10 %, bob at 20 % but resets sooner.
    let readings = r#"#{"openai:work": #{id: "openai:work", known: true, five_hour: #{used_percent: 95, reset_at: now() + 7200000}},
                        "openai:alice": #{id: "openai:alice", known: true, five_hour: #{used_percent: 10, reset_at: now() + 14400000}},
                        "openai:bob": #{id: "openai:bob", known: true, five_hour: #{used_percent: 20, reset_at: now() + 3600000}}}"#;
    let snippet = format!(
        r#"import "policy" as p; let st = models_status();
           let d = p::decide(["opus", "codex"], st, #{{}}, #{{now: now(), usage: {readings}, all: true}});
           d.to"#
    );
    let out = s.cmd().args(["eval", &snippet]).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "openai/gpt-5.5@openai:alice\n");
    // The built-in score (soonest reset) picks bob.
    std::fs::remove_file(s.home().join("lib/policy.rhai")).expect("rm");
    let out = s.cmd().args(["eval", &snippet]).output().expect("run");
    assert_eq!(
        stdout(&out),
        "openai/gpt-5.5@openai:bob\n",
        "{}",
        stderr(&out)
    );
}

/// Issue #14: after `undo` of a switch, the next `switch` made the same change again at
/// once. The restored route is now the user's choice: held for the minimum hold, then
/// left with one notice.
#[test]
fn a_route_restored_by_undo_is_held_then_left_with_one_notice() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-available");
    let switched = "switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n";
    s.cmd().arg("switch").assert().success().stdout(switched);
    s.cmd().arg("undo").assert().success();
    assert_eq!(
        crate::switch::agent_setting(&s, "openai").0,
        "openai/gpt-5.5"
    );
    // Ten minutes on: the user's route is kept, silently.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:10:00Z")
        .args(["switch"])
        .assert()
        .success()
        .stdout("");
    let explain = s
        .cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:10:00Z")
        .args(["--dry-run", "switch", "--explain"])
        .output()
        .expect("run");
    assert!(
        stdout(&explain).contains("decision: hold openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7 usable again; staying on openai/gpt-5.5@openai:work for 20m more (30m minimum after a switch)\n"),
        "{}",
        stdout(&explain)
    );
    assert_eq!(
        crate::switch::agent_setting(&s, "openai").0,
        "openai/gpt-5.5"
    );
    // Past the hold: one line, and the change is made.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T12:31:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout(switched);
    assert_eq!(
        crate::switch::agent_setting(&s, "openai").0,
        "anthropic/claude-opus-4-7"
    );
}

/// A model set by hand (not by clawshift's last switch) is held the same way, from the
/// run that first sees it.
#[test]
fn a_model_set_by_hand_is_held_from_when_it_is_first_seen() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-available");
    s.cmd().arg("switch").assert().success();
    // The user moves the agent back to Codex by hand at 13:00.
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T13:00:00Z")
        .args([
            "eval",
            r#"set_model("openai/gpt-5.5", "openai:work").changed"#,
        ])
        .assert()
        .success()
        .stdout("true\n");
    for at in ["2026-11-25T13:05:00Z", "2026-11-25T13:30:00Z"] {
        s.cmd()
            .env("CLAWSHIFT_NOW", at)
            .arg("switch")
            .assert()
            .success()
            .stdout("");
        assert_eq!(
            crate::switch::agent_setting(&s, "openai").0,
            "openai/gpt-5.5",
            "{at}"
        );
    }
    s.cmd()
        .env("CLAWSHIFT_NOW", "2026-11-25T13:36:00Z")
        .arg("switch")
        .assert()
        .success()
        .stdout("switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work\n");
}

/// Issue #14: a misspelled PRIORITY entry, a model the agent does not have and a
/// profile that is not in the store pass `check` no more, each named with its place;
/// `set_model` refuses an unknown model and writes nothing.
#[test]
fn check_names_bad_priority_entries_and_set_model_refuses_unknown_models() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-available");
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let script = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&script).expect("script");
    let edited = text.replace(
        "const PRIORITY = [\"opus\", \"codex\"];",
        "const PRIORITY = [\"opsu\", \"anthropic/claude-opus-4-6\", \"codex\", \"openai/gpt-5.5@openai:umaa\"];",
    );
    assert_ne!(edited, text);
    std::fs::write(&script, edited).expect("edit");
    let line = text
        .lines()
        .position(|l| l.starts_with("const PRIORITY"))
        .expect("PRIORITY line")
        + 1;
    let out = s.cmd().args(["check", "switch"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let at = |col: usize| format!("--> {}:{line}:{col}\n", script.display());
    for (message, col) in [
        (
            "error: unknown priority entry \"opsu\"; did you mean \"opus\"? use",
            19,
        ),
        (
            "error: priority entry \"anthropic/claude-opus-4-6\": the agent does not know the model anthropic/claude-opus-4-6 (not its default model, a fallback, an alias or an allowed model); did you mean anthropic/claude-opus-4-7?",
            27,
        ),
        (
            "error: priority entry \"openai/gpt-5.5@openai:umaa\": no profile openai:umaa in the auth store",
            65,
        ),
    ] {
        assert!(err.contains(message), "{message}\n{err}");
        assert!(err.contains(&at(col)), "{col}\n{err}");
    }
    let before = crate::openclaw::snapshot(&s.openclaw());
    let out = s
        .cmd()
        .args(["eval", r#"set_model("madeup/model-x")"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .starts_with("error: set_model: the agent does not know the model `madeup/model-x`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(crate::openclaw::snapshot(&s.openclaw()), before);
}

/// `next_state` converts only the keys of the saved state it reads: what else a state
/// holds (a user's own keys, the old profiles' statuses) is carried over, or replaced
/// when the decision records something new.
#[test]
fn next_state_keeps_what_it_does_not_read_and_replaces_what_it_records() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-available");
    let snippet = r#"import "policy" as p; let st = models_status();
        let old = #{mine: [1, #{x: "y"}], profileStatuses: #{gone: 1}, lastNotice: "kept",
                    userChoice: #{route: "openai/gpt-5.5@openai:work", at: now() - 60000},
                    lastEffectiveModel: "openai/gpt-5.5@openai:work"};
        let d = p::decide(["opus", "codex"], st, old, #{now: now(), min_hold_ms: 0, all: false});
        let n = d.next_state(old, st);
        [d.change, n.mine, n.lastNotice, n.profileStatuses.keys(), n.userChoice, n.lastEffectiveModel, n.lastCheckedAt == now()]"#;
    let out = s.cmd().args(["eval", snippet]).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        serde_json::json!([
            true,
            [1, {"x": "y"}],
            {"at": 1795608000000_i64, "from": "openai/gpt-5.5@openai:work", "to": "anthropic/claude-opus-4-7", "text": "switched openai/gpt-5.5@openai:work → anthropic/claude-opus-4-7: anthropic:me usable; preferred over openai/gpt-5.5@openai:work"},
            ["anthropic:me", "openai:alice", "openai:bob", "openai:work"],
            null,
            "anthropic/claude-opus-4-7",
            true
        ])
    );
}

/// A route that two priority entries name is one candidate, in the first entry's place;
/// the ranks count the candidates kept.
#[test]
fn a_route_two_priority_entries_name_is_one_candidate_in_its_first_place() {
    let s = Sandbox::new();
    crate::switch::seed(&s, "opus-available");
    let out = s
        .cmd()
        .args([
            "eval",
            r#"let cs = models_status().candidates(["openai/gpt-5.5@openai:bob", "codex", "openai/gpt-5.5", "openai/gpt-5.5"], #{});
               cs.map(|c| `${c.rank} ${c.key} ${c.entry}`)"#,
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "[\n  \"1 openai/gpt-5.5@openai:bob openai/gpt-5.5@openai:bob\",\n  \"2 openai/gpt-5.5@openai:work codex\",\n  \"3 openai/gpt-5.5@openai:alice codex\",\n  \"4 openai/gpt-5.5 openai/gpt-5.5\"\n]\n"
    );
}
