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

/// A small xorshift generator: the tokens differ on every run (the seed is printed with
/// any failure, and `CLAWSHIFT_TEST_SEED` replays it).
struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Rng {
        let seed = std::env::var("CLAWSHIFT_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock")
                    .as_nanos() as u64
                    | 1
            });
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A token of `len` characters from `alphabet`.
    fn token(&mut self, alphabet: &str, len: usize) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        (0..len).map(|_| a[self.below(a.len())]).collect()
    }
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const OPAQUE: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const HEX: &str = "0123456789abcdef";

/// Every secret of one run, by where it is placed.
struct Secrets {
    seed: u64,
    named: Vec<(&'static str, String)>,
}

impl Secrets {
    fn new() -> Secrets {
        let mut rng = Rng::from_env_or_clock();
        let seed = rng.0;
        let any = |rng: &mut Rng| {
            let alphabet = [LETTERS, DIGITS, OPAQUE, HEX][rng.below(4)];
            let len = 8 + rng.below(41);
            rng.token(alphabet, len)
        };
        let jwt = |rng: &mut Rng, who: &str| {
            fake_jwt(serde_json::json!({
                "exp": (NOW_MS + 5 * 86_400_000) / 1000,
                "https://api.openai.com/auth": {"chatgpt_account_id": format!("acct-{who}"), "chatgpt_plan_type": "plus"},
                "https://api.openai.com/profile": {"email": format!("{who}@example.com")},
                "nonce": rng.token(OPAQUE, 12),
            }))
        };
        let letters = 8 + rng.below(33);
        let digits = 8 + rng.below(33);
        let bot_len = 8 + rng.below(30);
        let eval_len = 8 + rng.below(20);
        let named = vec![
            ("alice.access (JWT)", jwt(&mut rng, "alice")),
            ("alice.refresh (letters only)", rng.token(LETTERS, letters)),
            ("bob.access (digits only)", rng.token(DIGITS, digits)),
            ("bob.refresh (19-char opaque)", rng.token(OPAQUE, 19)),
            ("anthropic token", any(&mut rng)),
            ("env.OPENAI_API_KEY", any(&mut rng)),
            ("env.vars.GROQ_API_KEY", any(&mut rng)),
            (
                "channels.telegram.botToken",
                format!("{}:{}", rng.token(DIGITS, 9), rng.token(OPAQUE, bot_len)),
            ),
            ("gateway.auth.token", any(&mut rng)),
            ("models.providers.groq.apiKey", any(&mut rng)),
            ("auth.json access_token (JWT)", jwt(&mut rng, "codex")),
            ("auth.json refresh_token", any(&mut rng)),
            ("eval refresh (letters only)", rng.token(LETTERS, eval_len)),
            ("eval access (19-char opaque)", rng.token(OPAQUE, 19)),
        ];
        Secrets { seed, named }
    }
    fn get(&self, name: &str) -> &str {
        &self
            .named
            .iter()
            .find(|(n, _)| n.starts_with(name))
            .expect(name)
            .1
    }
    /// The names of the secrets found in `text`.
    fn found_in(&self, text: &str) -> Vec<&'static str> {
        self.named
            .iter()
            .filter(|(_, v)| text.contains(v.as_str()))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// A legacy (JSON) OpenClaw state whose stores, hand-written JSON5 `openclaw.json` and
/// Codex `auth.json` hold the run's secrets.
fn seeded(secrets: &Secrets) -> Sandbox {
    let s = Sandbox::new();
    crate::openclaw::layout(&s, "legacy");
    let store = s.openclaw().join("agents/main/agent/auth-profiles.json");
    let mut doc: Value =
        serde_json::from_str(&fs::read_to_string(&store).expect("store")).expect("store json");
    let p = &mut doc["profiles"];
    p["openai-codex:alice"]["access"] = secrets.get("alice.access").into();
    p["openai-codex:alice"]["refresh"] = secrets.get("alice.refresh").into();
    p["openai-codex:bob"]["access"] = secrets.get("bob.access").into();
    p["openai-codex:bob"]["refresh"] = secrets.get("bob.refresh").into();
    p["anthropic:me"]["token"] = secrets.get("anthropic").into();
    fs::write(
        &store,
        serde_json::to_string_pretty(&doc).expect("json") + "\n",
    )
    .expect("write store");
    // Hand-written JSON5: comments, unquoted keys, single quotes, trailing commas; the
    // secrets sit next to the lines a change touches, so a diff's context shows them.
    let config = format!(
        r#"// my OpenClaw
{{
  env: {{ OPENAI_API_KEY: '{}', vars: {{ GROQ_API_KEY: "{}" }} }},
  gateway: {{ port: 18789, auth: {{ mode: 'token', token: "{}" }} }},
  channels: {{ telegram: {{ botToken: "{}", }}, }},
  models: {{ providers: {{ groq: {{ apiKey: "{}" }} }} }},
  agents: {{ defaults: {{ model: {{ primary: "openai-codex/gpt-5.5", fallbacks: ["anthropic/claude-opus-4-7"] }},
    models: {{ "openai-codex/gpt-5.5": {{ alias: "codex" }}, "anthropic/claude-opus-4-7": {{ alias: "opus" }} }} }} }},
  auth: {{ order: {{ "openai-codex": ["openai-codex:alice", "openai-codex:bob", "openai-codex:carol"] }} }},
}}
"#,
        secrets.get("env.OPENAI_API_KEY"),
        secrets.get("env.vars.GROQ_API_KEY"),
        secrets.get("gateway.auth.token"),
        secrets.get("channels.telegram.botToken"),
        secrets.get("models.providers.groq.apiKey"),
    );
    fs::write(s.openclaw().join("openclaw.json"), config).expect("config");
    s.write(
        "codex/auth.json",
        &serde_json::to_string_pretty(&serde_json::json!({
            "auth_mode": "chatgpt",
            "tokens": {
                "id_token": secrets.get("auth.json access_token"),
                "access_token": secrets.get("auth.json access_token"),
                "refresh_token": secrets.get("auth.json refresh_token"),
                "account_id": "acct-codex",
            },
        }))
        .expect("json"),
    );
    s.install_bin("record", "#!/bin/sh\ncat >> \"$1\"\n");
    s.write(
        "clawshift/config.json",
        &format!(
            r#"{{"notify": {{"command": ["record", "{}"]}}}}"#,
            s.root().join("notices.log").display()
        ),
    );
    s
}

#[test]
fn tokens_of_any_shape_from_stores_config_and_auth_json_are_never_printed_or_written() {
    let secrets = Secrets::new();
    let s = seeded(&secrets);
    let t = |name: &str| secrets.get(name).to_string();
    let (env_key, bot, gw, groq) = (
        t("env.OPENAI_API_KEY"),
        t("channels.telegram.botToken"),
        t("gateway.auth.token"),
        t("models.providers.groq.apiKey"),
    );
    let (alice_refresh, bob_refresh, bob_access) =
        (t("alice.refresh"), t("bob.refresh"), t("bob.access"));
    let (eval_refresh, eval_access) = (t("eval refresh"), t("eval access"));
    let codex_refresh = t("auth.json refresh_token");
    // (arguments, expected exit code, what stdout or stderr must show: proof that the
    // command reached the place where the secret would have been printed).
    let flows: Vec<(Vec<String>, Option<i32>, &str)> = vec![
        (vec!["status".into()], Some(0), "openai-codex:alice"),
        (
            vec!["status".into(), "--json".into()],
            Some(0),
            "\"profiles\"",
        ),
        (vec!["doctor".into()], None, "layout legacy"),
        (vec!["doctor".into(), "--json".into()], None, "\"check\""),
        // A dry-run diff of the hand-written JSON5 config, its secrets in the context.
        (
            vec![
                "--dry-run".into(),
                "eval".into(),
                r#"add_fallback("openai-codex/gpt-5.4").changed"#.into(),
            ],
            Some(0),
            "botToken: \"<redacted sha256:",
        ),
        // A dry-run diff of the store, with a credential given on the command line.
        (
            vec![
                "--dry-run".into(),
                "eval".into(),
                format!(
                    r#"merge_profile("openai-codex:dan", #{{access: "{eval_access}", refresh: "{eval_refresh}", expires: 1796472000000, accountId: "acct-dan"}}).action"#
                ),
            ],
            Some(0),
            "\"refresh\": \"<redacted sha256:",
        ),
        // The same for real: journaled with its command line.
        (
            vec![
                "eval".into(),
                format!(
                    r#"merge_profile("openai-codex:dan", #{{access: "{eval_access}", refresh: "{eval_refresh}", expires: 1796472000000, accountId: "acct-dan"}}).action"#
                ),
            ],
            Some(0),
            "",
        ),
        // A write whose command line quotes store and config secrets outside any
        // credential map: only their values tell they are secrets.
        (
            vec![
                "eval".into(),
                format!(
                    r#"let note = "{bob_refresh} {env_key} {codex_refresh}"; set_model("anthropic/claude-opus-4-7").changed"#
                ),
            ],
            Some(0),
            "true",
        ),
        (vec!["--dry-run".into(), "switch".into()], Some(0), ""),
        (vec!["switch".into()], Some(0), ""),
        // Errors that quote the source line holding the secrets, on one line and on the
        // second line of a snippet.
        (
            vec![
                "eval".into(),
                format!(r#"let k = "{env_key}"; let b = "{bot}"; k + b + nope()"#),
            ],
            Some(1),
            "1 | let k = \"<redacted sha256:",
        ),
        (
            vec![
                "eval".into(),
                format!(
                    "let x = 1;\nnope(\"{bob_refresh}\", \"{alice_refresh}\", \"{bob_access}\")"
                ),
            ],
            Some(1),
            "2 | nope(\"<redacted sha256:",
        ),
        (
            vec!["eval".into(), format!(r#"decode_jwt("{gw}")"#)],
            Some(1),
            "error",
        ),
        // Script output, notices and state.
        (
            vec![
                "eval".into(),
                format!(
                    r#"print("{groq}"); debug("{gw}"); eprint("{codex_refresh}"); notify("rotated {bot}"); state::save("probe", #{{k: "{env_key}"}}); "{alice_refresh}""#
                ),
            ],
            Some(0),
            "<redacted sha256:",
        ),
        (vec!["history".into()], Some(0), "merge_profile"),
        (
            vec!["history".into(), "--json".into()],
            Some(0),
            "merge_profile",
        ),
        (vec!["undo".into()], Some(0), ""),
    ];
    let seed = secrets.seed;
    for (args, code, shows) in &flows {
        let mut c = s.cmd();
        c.args(args);
        let out = run(&c, false);
        let (o, e) = (stdout(&out), stderr(&out));
        if let Some(code) = code {
            assert_eq!(out.status.code(), Some(*code), "{args:?}: {e}\n{o}");
        }
        assert!(
            o.contains(shows) || e.contains(shows),
            "{args:?} did not show {shows:?}:\n{o}\n{e}"
        );
        for (what, text) in [("stdout", &o), ("stderr", &e)] {
            assert!(
                secrets.found_in(text).is_empty(),
                "seed {seed}: {args:?} printed {:?} on {what}:\n{text}",
                secrets.found_in(text)
            );
            assert!(!text.contains("panicked"), "{text}");
        }
    }
    // Files: secrets only in the stores, the config, their backups and auth.json.
    let mut scanned = Vec::new();
    for p in walk(s.root()) {
        if !p.is_file() {
            continue;
        }
        let rel = p.strip_prefix(s.root()).expect("rel").display().to_string();
        let by_design = rel.starts_with("openclaw/")
            || rel.starts_with("clawshift/backups/")
            || rel.starts_with("codex/")
            || rel.starts_with("bin/");
        if by_design {
            continue;
        }
        let text = String::from_utf8_lossy(&fs::read(&p).expect("read")).to_string();
        assert!(
            secrets.found_in(&text).is_empty(),
            "seed {seed}: {rel} holds {:?}:\n{text}",
            secrets.found_in(&text)
        );
        scanned.push(rel);
    }
    for must in [
        "clawshift/journal.jsonl",
        "clawshift/probe.json",
        "notices.log",
    ] {
        assert!(
            scanned.iter().any(|r| r == must),
            "{must} not written: {scanned:?}"
        );
    }
    let journal = fs::read_to_string(s.home().join("journal.jsonl")).expect("journal");
    assert!(
        journal.contains("merge_profile(\\\"openai-codex:dan\\\", #{access: \\\"<redacted sha256:"),
        "{journal}"
    );
    eprintln!(
        "secrets (seed {seed}): {} secrets, {} flows, {} files scanned, none leaked",
        secrets.named.len(),
        flows.len(),
        scanned.len()
    );
}

fn chmod(p: &Path, m: u32) {
    fs::set_permissions(p, std::os::unix::fs::PermissionsExt::from_mode(m)).expect("chmod");
}

#[test]
fn scripts_eject_without_clawshift_home_makes_only_private_dirs_and_files_under_umask_000() {
    let s = Sandbox::new();
    let home = s.root().join("home");
    let mut c = s.cmd();
    c.env_remove("CLAWSHIFT_HOME").args(["scripts", "eject"]);
    let out = run(&c, false);
    assert!(out.status.success(), "{}", stderr(&out));
    let scripts = home.join(".config/clawshift/scripts");
    assert_eq!(
        stdout(&out),
        format!(
            "ejected add-profile -> {0}/add-profile.rhai\nejected switch -> {0}/switch.rhai\nejected lib/policy -> {1}/policy.rhai\n",
            scripts.display(),
            home.join(".config/clawshift/lib").display()
        )
    );
    // Everything the run created under HOME: the config dirs, the scripts, the state
    // dir with its journal and locks.
    let mut seen = Vec::new();
    for p in walk(&home) {
        let rel = p.strip_prefix(&home).expect("rel").display().to_string();
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{rel} under umask 000");
        seen.push(rel);
    }
    for must in [
        ".config",
        ".config/clawshift",
        ".config/clawshift/scripts",
        ".config/clawshift/scripts/switch.rhai",
        ".config/clawshift/lib/policy.rhai",
        ".local/state/clawshift/journal.jsonl",
    ] {
        assert!(seen.iter().any(|r| r == must), "{must} missing: {seen:?}");
    }
    // doctor is content, then names each directory a group or everyone can write.
    let doctor = |s: &Sandbox| {
        let mut c = s.cmd();
        c.env_remove("CLAWSHIFT_HOME").arg("doctor");
        let out = run(&c, false);
        (out.status.code(), stdout(&out))
    };
    let (_, text) = doctor(&s);
    assert!(!text.contains("error: mode"), "{text}");
    chmod(&scripts, 0o777);
    chmod(&home.join(".config/clawshift"), 0o775);
    let (code, text) = doctor(&s);
    assert_eq!(code, Some(1), "{text}");
    let cfg = home.join(".config/clawshift");
    for line in [
        format!(
            "error: mode: `{}` (clawshift's config dir) is writable by its group (mode 775); they can replace the files in it (fix: chmod 700 {})\n",
            cfg.display(),
            cfg.display()
        ),
        format!(
            "error: mode: `{}` (clawshift's scripts dir, run by cron) is writable by everyone (mode 777); they can replace the files in it (fix: chmod 700 {})\n",
            scripts.display(),
            scripts.display()
        ),
    ] {
        assert!(text.contains(&line), "missing {line}in\n{text}");
    }
}

#[test]
fn doctor_names_group_or_world_writable_openclaw_dirs_with_the_chmod_fix() {
    let s = Sandbox::new();
    crate::openclaw::layout(&s, "legacy");
    let agent = s.openclaw().join("agents/main/agent");
    chmod(&agent.join("auth-profiles.json"), 0o600);
    chmod(&s.home(), 0o700);
    let out = s.cmd().arg("doctor").output().expect("run");
    assert!(!stdout(&out).contains("error: mode"), "{}", stdout(&out));
    chmod(&s.openclaw(), 0o777);
    chmod(&agent, 0o770);
    let out = s.cmd().arg("doctor").output().expect("run");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for line in [
        format!(
            "error: mode: `{0}` (OpenClaw's state dir) is writable by everyone (mode 777); they can replace the files in it (fix: chmod 700 {0})\n",
            s.openclaw().display()
        ),
        format!(
            "error: mode: `{0}` (agent `main`'s dir) is writable by its group (mode 770); they can replace the files in it (fix: chmod 700 {0})\n",
            agent.display()
        ),
    ] {
        assert!(text.contains(&line), "missing {line}in\n{text}");
    }
    let out = s.cmd().args(["doctor", "--json"]).output().expect("run");
    let findings: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let fixes: Vec<&str> = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["check"] == "mode")
        .filter_map(|f| f["fix"].as_str())
        .collect();
    assert_eq!(
        fixes,
        [
            format!("chmod 700 {}", s.openclaw().display()),
            format!("chmod 700 {}", agent.display())
        ]
    );
}

#[test]
fn a_malformed_profile_field_is_named_by_status_status_json_and_doctor() {
    let s = Sandbox::new();
    crate::openclaw::layout(&s, "legacy");
    let store = s.openclaw().join("agents/main/agent/auth-profiles.json");
    let mut doc: Value =
        serde_json::from_str(&fs::read_to_string(&store).expect("store")).expect("json");
    doc["profiles"]["openai-codex:alice"]["expires"] = "next tuesday".into();
    doc["profiles"]["openai-codex:bob"]["email"] = 42.into();
    fs::write(&store, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let alice = "profile `openai-codex:alice`: `expires` is a string (\"next tuesday\"), not a number of milliseconds since the epoch; it is shown as unknown";
    let bob =
        "profile `openai-codex:bob`: `email` is a number, not a string; it is shown as unknown";

    let out = s.cmd().arg("status").output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.ends_with(&format!("\nwarning: {alice}\n\nwarning: {bob}\n")),
        "{text}"
    );

    let out = s.cmd().args(["status", "--json"]).output().expect("run");
    let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["profiles"]["openai-codex:alice"]["expires"], Value::Null);
    assert_eq!(v["warnings"], serde_json::json!([alice, bob]));

    let out = s.cmd().arg("doctor").output().expect("run");
    let text = stdout(&out);
    for line in [
        format!(
            "warning: profile: {alice} (fix: sign the account in again (`clawshift add-profile alice`), which rewrites the profile, or fix `expires` in `{}` by hand)\n",
            store.display()
        ),
        format!(
            "warning: profile: {bob} (fix: sign the account in again (`clawshift add-profile bob`), which rewrites the profile, or fix `email` in `{}` by hand)\n",
            store.display()
        ),
    ] {
        assert!(text.contains(&line), "missing {line}in\n{text}");
    }
}

#[test]
fn clawshift_redacts_every_config_path_openclaw_redacts_and_only_its_documented_extras() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/openclaw-real/sensitive-paths-2026.9.6.tsv"),
    )
    .expect("fixture");
    let (mut agree, mut extras, mut wrong) = (0, Vec::new(), Vec::new());
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (path, theirs) = line.split_once('\t').expect("path<TAB>verdict");
        let theirs = theirs == "true";
        let ours = clawshift::redact::is_secret_path(path);
        // clawshift's own additions: everything under `env` and `gateway.auth` but its
        // mode (OpenClaw marks those through schema hints, not by name).
        let extra = path.starts_with("env.")
            || path.starts_with("gateway.auth.") && path != "gateway.auth.mode";
        if ours == theirs {
            agree += 1;
        } else if ours && extra {
            extras.push(path.to_string());
        } else {
            wrong.push(format!("{path}: OpenClaw {theirs}, clawshift {ours}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(agree > 800, "{agree}");
    eprintln!(
        "sensitive paths: {agree} agree with OpenClaw 2026.9.6, {} clawshift extras: {extras:?}",
        extras.len()
    );
}
