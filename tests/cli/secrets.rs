//! Secrets (design §7.4, §7.5): the main flows run in one sandbox under umask 000; no
//! fixture token (refresh, access, id, API token) appears in any stdout or stderr, nor
//! in any file outside the token stores, the backups and the imported auth.json (the
//! journal, openclaw.json, state files, locks); and every file holding a token is 0600
//! and every directory holding one 0700, whatever the umask.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Output, Stdio};

use serde_json::Value;

use crate::add_profile::{events, fake_jwt, layout_sandbox, pty, std_command};
use crate::crash::with_umask;
use crate::openclaw::NOW_MS;
use crate::support::*;

/// Every token a fixture of this test holds: the fake refresh tokens, JWTs (any
/// `eyJ…` run) and the Anthropic token.
fn leaked(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["rt_FAKE", "sk-ant-FAKE", "sk-ant-oat01", "eyJ"] {
        if let Some(i) = text.find(marker) {
            let end = (i + 60).min(text.len());
            found.push(text[i..end].to_string());
        }
    }
    found
}

/// Runs clawshift (as `c` says) under umask 000, with a terminal on stdin when `tty`.
fn run(c: &assert_cmd::Command, tty: bool) -> Output {
    let mut std = std_command(c);
    with_umask(&mut std, 0);
    let t = pty();
    if tty {
        std.stdin(Stdio::from(t.slave.try_clone().expect("dup")));
    } else {
        std.stdin(Stdio::null());
    }
    std.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    std.spawn()
        .expect("spawn")
        .wait_with_output()
        .expect("wait")
}

#[test]
fn no_token_in_any_output_or_non_store_file_and_every_token_file_private_under_umask_000() {
    let s = layout_sandbox("sqlite", true);
    // OpenClaw creates its database 0600; clawshift updates it in place and keeps that.
    fs::set_permissions(
        s.root().join("openclaw/state/openclaw.sqlite"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    let c = |args: &[&str]| {
        let mut c = crate::add_profile::cmd(&s);
        c.env(
            "OPENCLAW_GATEWAY_PORT",
            crate::openclaw::free_port().to_string(),
        )
        .args(args);
        c
    };
    let access = fake_jwt(serde_json::json!({
        "exp": (NOW_MS + 5 * 86_400_000) / 1000,
        "https://api.openai.com/auth": {"chatgpt_account_id": "acct-erin", "chatgpt_plan_type": "pro"},
        "https://api.openai.com/profile": {"email": "erin@example.com"},
    }));
    let import = s.write(
        "erin-auth.json",
        &serde_json::to_string_pretty(&serde_json::json!({
            "auth_mode": "chatgpt",
            "tokens": {"id_token": access, "access_token": access, "refresh_token": "rt_FAKE_erin_secret", "account_id": "acct-erin"},
        }))
        .expect("json"),
    );
    let cred = format!(r#"#{{access: "{access}", refresh: "rt_FAKE_frank_secret"}}"#);
    let flows: Vec<(Vec<String>, bool, Option<i32>)> = vec![
        // A real (fake-Codex) sign-in: its temporary home must be 0700 under umask 000.
        (
            vec![
                "--yes".into(),
                "add-profile".into(),
                "alice".into(),
                "--device-auth".into(),
            ],
            true,
            Some(0),
        ),
        (
            vec![
                "--yes".into(),
                "add-profile".into(),
                "erin".into(),
                "--from-auth-json".into(),
                import.display().to_string(),
            ],
            false,
            Some(0),
        ),
        (
            vec![
                "eval".into(),
                format!(r#"merge_profile("openai:frank", {cred}).action"#),
            ],
            false,
            Some(0),
        ),
        (
            vec![
                "--dry-run".into(),
                "eval".into(),
                format!(
                    r#"merge_profile("openai:gina", {})"#,
                    cred.replace("frank", "gina")
                ),
            ],
            false,
            Some(0),
        ),
        (
            vec![
                "eval".into(),
                r#"set_model("openai/gpt-5.4", "openai:alice").applied"#.into(),
            ],
            false,
            Some(0),
        ),
        (vec!["status".into()], false, Some(0)),
        (vec!["status".into(), "--json".into()], false, Some(0)),
        (
            vec!["eval".into(), "models_status()".into()],
            false,
            Some(0),
        ),
        (
            vec!["eval".into(), format!(r#"decode_jwt("{access}")"#)],
            false,
            Some(0),
        ),
        (
            vec![
                "eval".into(),
                "token_holders(\"rt_FAKE_erin_secret\")".into(),
            ],
            false,
            Some(0),
        ),
        (vec!["doctor".into()], false, None),
        (vec!["doctor".into(), "--json".into()], false, None),
        (vec!["history".into()], false, Some(0)),
        (vec!["history".into(), "--json".into()], false, Some(0)),
        // Errors with a token in the snippet and in the failing call.
        (
            vec![
                "eval".into(),
                format!(r#"merge_profile("openai:frank2", {cred})"#),
            ],
            false,
            Some(1),
        ),
        (
            vec!["eval".into(), format!(r#"decode_jwt("{access}x.y")"#)],
            false,
            Some(1),
        ),
        (vec!["undo".into()], false, Some(0)),
    ];
    let mut outputs = 0;
    for (args, tty, code) in &flows {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&c(&argv), *tty);
        if let Some(code) = code {
            assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", stderr(&out));
        }
        for text in [stdout(&out), stderr(&out)] {
            assert!(
                leaked(&text).is_empty(),
                "{args:?} printed a token: {:?}\n{text}",
                leaked(&text)
            );
            assert!(!text.contains("panicked"), "{text}");
        }
        outputs += 2;
    }
    // The sign-in happened in a private home.
    let login = events(&s)
        .into_iter()
        .find(|e| e["event"] == "login")
        .expect("login");
    assert_eq!(login["mode"], "700", "temp Codex home under umask 000");

    // Files: tokens only where they belong, and those private.
    let stores = |p: &Path| {
        let n = p.file_name().expect("name").to_string_lossy().to_string();
        n.contains("auth-profiles.json") || n.contains(".sqlite")
    };
    let mut scanned = 0;
    for p in walk(s.root()) {
        let m = fs::symlink_metadata(&p).expect("meta");
        let rel = p.strip_prefix(s.root()).expect("rel").display().to_string();
        if m.is_dir() {
            continue;
        }
        let in_backups = rel.starts_with("clawshift/backups/");
        let holds_tokens_by_design = stores(&p)
            || in_backups
            || rel == "erin-auth.json"
            || rel.starts_with("codex/")
            || rel.starts_with("bin/");
        if !holds_tokens_by_design {
            let text = String::from_utf8_lossy(&fs::read(&p).expect("read")).to_string();
            assert!(
                leaked(&text).is_empty(),
                "{rel} holds a token: {:?}",
                leaked(&text)
            );
            scanned += 1;
        }
        if stores(&p) || in_backups || rel == "clawshift/journal.jsonl" {
            assert_eq!(mode(&p), 0o600, "{rel}");
        }
        if rel.starts_with("clawshift/") {
            assert_eq!(
                mode(&p) & 0o077,
                0,
                "{rel} is open to others under umask 000"
            );
        }
    }
    for d in ["clawshift", "clawshift/backups"] {
        assert_eq!(mode(&s.root().join(d)), 0o700, "{d}");
    }
    let journal = fs::read_to_string(s.home().join("journal.jsonl")).expect("journal");
    for line in journal.lines() {
        let v: Value = serde_json::from_str(line).expect("journal line");
        assert!(v.get("command").is_some());
    }
    eprintln!(
        "secrets: {} flows, {outputs} outputs and {scanned} non-store files scanned, no token",
        flows.len()
    );
}

#[test]
fn a_fresh_sqlite_store_and_config_are_private_under_umask_000() {
    let s = Sandbox::new();
    let mut c = s.cmd();
    c.env(
        "OPENCLAW_GATEWAY_PORT",
        crate::openclaw::free_port().to_string(),
    )
    .args([
        "eval",
        &format!(
            r#"merge_profile("openai:dave", {}).action"#,
            crate::openclaw::cred("dave")
        ),
    ]);
    let out = run(&c, false);
    assert!(out.status.success(), "{}", stderr(&out));
    for (p, want) in [
        ("openclaw/state/openclaw.sqlite", 0o600),
        ("openclaw/state", 0o700),
        ("openclaw/openclaw.json", 0o600),
        ("clawshift/journal.jsonl", 0o600),
    ] {
        assert_eq!(mode(&s.root().join(p)), want, "{p}");
    }
}
