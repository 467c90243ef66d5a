//! Issue #14 item 10: `clawshift simulate` runs the real switch script against a
//! simulated OpenClaw 2026.9 over days and prints a scorecard. These tests drive the
//! real binary.

use serde_json::Value;

use crate::openclaw::{layout, snapshot};
use crate::support::*;

/// Runs `clawshift simulate <args> --json` and returns the scorecard.
fn scorecard(s: &Sandbox, args: &[&str]) -> Value {
    let out = s
        .cmd()
        .arg("simulate")
        .args(args)
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success(), "simulate failed: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("scorecard JSON")
}

/// Working minutes served by routes of `model`.
fn minutes_on(card: &Value, model: &str) -> u64 {
    card["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter(|r| {
            r["route"]
                .as_str()
                .is_some_and(|x| x.starts_with(&format!("{model}@")))
        })
        .map(|r| r["minutes"].as_u64().expect("minutes"))
        .sum()
}

const OPUS: &str = "anthropic/claude-opus-4-7";
const CODEX: &str = "openai/gpt-5.5";

fn assert_never_stuck(card: &Value) {
    assert_eq!(card["failed_runs"], 0, "{card:#}");
    assert!(card["working_minutes"].as_u64().expect("working") > 5000);
    assert_eq!(
        card["stuck_minutes"], 0,
        "the stock policy left the agent without a route while an account was usable: {card:#}"
    );
}

#[test]
fn a_month_of_the_stock_policy_is_never_stuck() {
    let s = Sandbox::new();
    let card = scorecard(&s, &["--accounts", "3", "--claude", "--days", "30"]);
    assert_never_stuck(&card);
}

#[test]
fn a_month_of_the_stock_policy_in_usage_mode_is_never_stuck() {
    let s = Sandbox::new();
    let card = scorecard(
        &s,
        &[
            "--accounts",
            "3",
            "--claude",
            "--days",
            "30",
            "--usage-mode",
        ],
    );
    assert_eq!(card["usage_mode"], true);
    assert_never_stuck(&card);
}

#[test]
fn a_customized_priority_moves_the_time_from_opus_to_codex() {
    let s = Sandbox::new();
    let args = ["--accounts", "3", "--claude", "--days", "7"];
    let stock = scorecard(&s, &args);
    assert_eq!(stock["policy"], "builtin:switch.rhai");
    let stock_opus = minutes_on(&stock, OPUS);
    let working = stock["working_minutes"].as_u64().expect("working");
    // The stock PRIORITY puts Opus first: it serves most of the time it can.
    assert!(stock_opus * 4 > working, "{stock:#}");

    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let path = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&path).expect("ejected");
    let stock_line = "const PRIORITY = [\"opus\", \"codex\"];";
    assert!(text.contains(stock_line), "the stock PRIORITY line moved");
    std::fs::write(
        &path,
        text.replace(stock_line, "const PRIORITY = [\"codex\", \"opus\"];"),
    )
    .expect("edit");

    let custom = scorecard(&s, &args);
    assert_eq!(custom["policy"], path.display().to_string());
    // Same seed, same work: only the policy differs.
    assert_eq!(custom["working_minutes"], stock["working_minutes"]);
    let custom_opus = minutes_on(&custom, OPUS);
    let custom_codex = minutes_on(&custom, CODEX);
    assert!(custom_codex > minutes_on(&stock, CODEX), "{custom:#}");
    assert!(custom_opus * 2 < stock_opus, "{stock:#}\n{custom:#}");
    assert!(custom_codex > custom_opus * 3, "{custom:#}");
    assert_ne!(custom["switches"], stock["switches"]);
}

#[test]
fn the_same_seed_gives_byte_identical_output_and_another_seed_does_not() {
    let s = Sandbox::new();
    let run = |seed: &str| {
        let out = s
            .cmd()
            .args(["simulate", "--accounts", "2", "--days", "2", "--trace"])
            .args(["--events", "opus-cooldown,billing", "--seed", seed])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    assert_ne!(first, run("8"));
    // The trace shows OpenClaw's rate-limit ladder (30 s, then doubling) on Opus.
    assert!(
        first.contains("openclaw: anthropic:me cooling down for 30s (rate_limit, claude-opus-4-7)"),
        "{first}"
    );
    assert!(first.contains("cooling down for 1m (rate_limit, claude-opus-4-7)"));
    assert!(
        first.contains("billing: openai:work refused for billing"),
        "{first}"
    );
    assert!(first.contains("stuck minutes"));
    assert!(first.contains("time per route (working minutes served):"));
}

#[test]
fn accounts_come_from_the_users_openclaw_which_is_left_untouched() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let before = snapshot(s.root());
    let out = s
        .cmd()
        .args(["simulate", "--days", "1"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "accounts    anthropic:me (claude), openai:alice (plus), openai:bob (plus), openai:carol (plus) (from your OpenClaw at "
        ),
        "{text}"
    );
    assert!(
        !text.contains("FAKE"),
        "a token of the real store leaked: {text}"
    );
    assert_eq!(
        before,
        snapshot(s.root()),
        "simulate changed the user's files"
    );
}

#[test]
fn bad_options_fail_with_the_fix_and_write_nothing() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["simulate", "--accounts", "2", "--events", "meteor"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "error: --events: unknown event `meteor`; use billing, revoke or opus-cooldown"
    );

    // No OpenClaw at all, and no --accounts.
    let out = s.cmd().args(["simulate"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no ChatGPT or Claude account to simulate; pass --accounts N"),
        "{}",
        stderr(&out)
    );

    // A copy of the switch script without the usage-mode constant.
    s.write("clawshift/scripts/switch.rhai", "print(\"{}\");\n");
    let before = snapshot(s.root());
    let out = s
        .cmd()
        .args(["simulate", "--accounts", "1", "--usage-mode"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "--usage-mode: the switch script `{}` has no line `const USAGE_MODE = false;`",
            s.home().join("scripts/switch.rhai").display()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(before, snapshot(s.root()));
}

#[test]
fn a_script_that_prints_no_decision_is_counted_as_failed_runs() {
    let s = Sandbox::new();
    s.write("clawshift/scripts/switch.rhai", "print(\"not json\");\n");
    let card = scorecard(&s, &["--accounts", "1", "--no-claude", "--days", "1"]);
    assert_eq!(card["runs"], 144);
    assert_eq!(card["failed_runs"], 144);
    assert_eq!(
        card["first_failure"],
        "2026-11-02T00:00:00Z: the script printed no decision JSON"
    );
    assert_eq!(card["switches"], 0);
}
