//! Issue #5: `codex_login`, token custody and `clawshift add-profile`.
//!
//! The fake Codex (`tests/fixtures/bin/codex`) logs every event to `FAKE_CODEX_LOG`, so
//! the tests can check what it saw (its home, env, flags) and that it wrote nothing
//! outside its temporary home. A login needs a terminal on stdin: those tests give
//! clawshift a pseudo-terminal.

use std::fs;
use std::os::fd::FromRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const FAKE_CODEX: &str = include_str!("../fixtures/bin/codex");

/// A sandbox with the fake `codex` on PATH, a temp root inside it (TMPDIR), and a live
/// Codex login in the user's CODEX_HOME that nothing may touch.
pub(crate) fn sandbox() -> Sandbox {
    let s = Sandbox::new();
    s.install_bin("codex", FAKE_CODEX);
    fs::create_dir_all(s.root().join("tmp")).expect("tmp");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex-home"),
        &s.codex(),
    );
    s
}

pub(crate) fn cmd(s: &Sandbox) -> assert_cmd::Command {
    let mut c = s.cmd();
    c.env("TMPDIR", s.root().join("tmp"))
        .env("FAKE_CODEX_LOG", s.root().join("codex.log"));
    c
}

/// Every event the fake Codex logged.
pub(crate) fn events(s: &Sandbox) -> Vec<Value> {
    fs::read_to_string(s.root().join("codex.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("log line"))
        .collect()
}

/// Path, bytes, mode and mtime (s, ns) of every file under a directory.
pub(crate) type Snapshot = Vec<(PathBuf, Vec<u8>, u32, i64, i64)>;

pub(crate) fn snapshot(dir: &Path) -> Snapshot {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            let m = fs::symlink_metadata(&p).expect("meta");
            if m.is_dir() {
                stack.push(p.clone());
            }
            let bytes = if m.is_file() {
                fs::read(&p).expect("read")
            } else {
                Vec::new()
            };
            out.push((p, bytes, m.mode(), m.mtime(), m.mtime_nsec()));
        }
    }
    out.sort();
    out
}

/// Whatever is left in the sandbox's temp root.
pub(crate) fn temp_entries(s: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(s.root().join("tmp"))
        .expect("tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Nothing that looks like a token: JWTs start `eyJ`, the fake refresh tokens `rt_FAKE`.
pub(crate) fn assert_no_token(text: &str) {
    assert!(!text.contains("eyJ"), "a JWT leaked: {text}");
    assert!(!text.contains("rt_FAKE"), "a refresh token leaked: {text}");
}

pub(crate) struct Pty {
    _master: fs::File,
    pub(crate) slave: fs::File,
}

pub(crate) fn pty() -> Pty {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fds into the locals; the null pointers ask for defaults.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty");
    // SAFETY: both fds were just opened and are owned by nobody else.
    unsafe {
        Pty {
            _master: fs::File::from_raw_fd(master),
            slave: fs::File::from_raw_fd(slave),
        }
    }
}

/// The same command as `c`, runnable with a terminal on stdin.
pub(crate) fn std_command(c: &assert_cmd::Command) -> std::process::Command {
    let mut out = std::process::Command::new(c.get_program());
    out.args(c.get_args()).env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            out.env(k, v);
        }
    }
    if let Some(d) = c.get_current_dir() {
        out.current_dir(d);
    }
    out
}

pub(crate) fn spawn_on_tty(c: &assert_cmd::Command) -> (Child, Pty) {
    let t = pty();
    let mut std = std_command(c);
    std.stdin(Stdio::from(t.slave.try_clone().expect("dup")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, like a job in a shell, so a test can signal the group.
        .process_group(0);
    (std.spawn().expect("spawn"), t)
}

pub(crate) fn run_on_tty(c: &assert_cmd::Command) -> Output {
    let (child, _t) = spawn_on_tty(c);
    child.wait_with_output().expect("wait")
}

fn wait_for_event(s: &Sandbox, event: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(e) = events(s).into_iter().find(|e| e["event"] == event) {
            return e;
        }
        assert!(Instant::now() < until, "fake codex never logged `{event}`");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: i64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

const SHOW_LOGIN: &str = r#"let l = codex_login(#{device_auth: true});
`${l.email} ${l.plan} ${l.account_id} ${l.expires_ms} ${type_of(l.refresh_token)}`"#;

#[test]
fn codex_login_signs_in_inside_a_private_throwaway_home_and_deletes_it() {
    let s = sandbox();
    let before = snapshot(&s.codex());
    let mut c = cmd(&s);
    // Credentials in clawshift's environment must not reach the login.
    for v in [
        "CODEX_API_KEY",
        "OPENAI_API_KEY",
        "CODEX_ACCESS_TOKEN",
        "CODEX_REFRESH_TOKEN_URL_OVERRIDE",
        "CODEX_REVOKE_TOKEN_URL_OVERRIDE",
    ] {
        c.env(v, "sk-proj-FAKE-should-not-pass");
    }
    c.args(["eval", SHOW_LOGIN]);
    let out = run_on_tty(&c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "alice@example.com plus acct-alice 1796472000000 string\n"
    );
    // Codex's device-code text is shown on stderr, and no token anywhere.
    let err = stderr(&out);
    assert!(err.contains("Enter this one-time code"), "{err}");
    assert!(err.contains("Successfully logged in"), "{err}");
    assert_no_token(&stdout(&out));
    assert_no_token(&err);

    let ev = events(&s);
    let login = &ev[0];
    assert_eq!(login["event"], "login");
    assert_eq!(
        login["argv"],
        serde_json::json!([
            "login",
            "--device-auth",
            "-c",
            "cli_auth_credentials_store=\"file\""
        ])
    );
    let home = login["codex_home"].as_str().expect("home").to_string();
    let tmp = s.root().join("tmp");
    assert!(
        Path::new(&home).parent() == Some(tmp.as_path()),
        "{home} is not directly in TMPDIR"
    );
    let name = Path::new(&home)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    assert!(name.starts_with("cslogin-"), "{name}");
    assert!(
        home.len() < tmp.display().to_string().len() + 30,
        "{home} is not short"
    );
    assert_eq!(login["mode"], "700");
    assert_eq!(
        login["entries"],
        serde_json::json!([]),
        "the home was not fresh"
    );
    assert_eq!(login["cwd"], home.as_str());
    assert!(
        login["env"]
            .as_object()
            .expect("env")
            .values()
            .all(|v| v == false),
        "{}",
        login["env"]
    );
    // The fake touched nothing outside its home, revoked nothing, never logged out.
    for e in &ev {
        assert!(e["event"] != "revoked" && e["event"] != "logout", "{e}");
        for p in e["wrote"].as_array().into_iter().flatten() {
            assert!(p.as_str().expect("path").starts_with(&home), "{p}");
        }
    }
    assert!(
        !Path::new(&home).exists(),
        "the temporary home was left behind"
    );
    assert_eq!(temp_entries(&s), Vec::<String>::new());
    assert_eq!(
        snapshot(&s.codex()),
        before,
        "the user's CODEX_HOME changed"
    );
}

#[test]
fn codex_login_without_device_auth_runs_the_browser_flow() {
    let s = sandbox();
    let mut c = cmd(&s);
    c.args(["eval", "codex_login().email"]);
    let out = run_on_tty(&c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "alice@example.com\n");
    assert!(stderr(&out).contains("Starting local login server"));
    assert_eq!(
        events(&s)[0]["argv"],
        serde_json::json!(["login", "-c", "cli_auth_credentials_store=\"file\""])
    );
}

#[test]
fn a_failed_login_says_why_and_leaves_nothing_behind() {
    let s = sandbox();
    let before = snapshot(&s.codex());
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_FAIL", "device code login is not enabled for this Codex server. Use the browser login or verify the server URL.")
        .args(["eval", SHOW_LOGIN]);
    let out = run_on_tty(&c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Error logging in: device code login is not enabled for this Codex server."),
        "{err}"
    );
    assert!(
        err.contains("error: codex_login: `codex login` failed (exit code 1); Codex's own message is above. Nothing was changed\n"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
    assert_clean(&s, &out, &before);
}

#[test]
fn a_login_that_writes_no_file_is_an_error() {
    let s = sandbox();
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_NO_FILE", "1").args(["eval", SHOW_LOGIN]);
    let out = run_on_tty(&c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: codex_login: `codex login` reported success but wrote no auth.json in its temporary home"),
        "{}",
        stderr(&out)
    );
    assert_eq!(temp_entries(&s), Vec::<String>::new());
}

#[test]
fn a_login_that_never_finishes_times_out_stops_codex_and_cleans_up() {
    let s = sandbox();
    let before = snapshot(&s.codex());
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_HANG", "1")
        .args(["eval", "codex_login(#{device_auth: true, timeout_secs: 2})"]);
    let started = Instant::now();
    let out = run_on_tty(&c);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: codex_login: no sign-in within 2s: stopped `codex login` and deleted its temporary home; nothing was changed. To allow more time, pass a larger `timeout_secs`\n"),
        "{}",
        stderr(&out)
    );
    let pid = events(&s)[0]["pid"].as_i64().expect("pid");
    assert!(!alive(pid), "codex is still running");
    assert_clean(&s, &out, &before);

    // The run's own --timeout caps the login, and the hint names it.
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_HANG", "1")
        .args(["--timeout", "2", "eval", "codex_login()"]);
    let out = run_on_tty(&c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "To allow more time, rerun with a longer `--timeout SECS` (e.g. `--timeout 900`)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(temp_entries(&s), Vec::<String>::new());
}

fn interrupt(signal: i32, whole_group: bool) -> (Output, Sandbox, Snapshot) {
    let s = sandbox();
    let before = snapshot(&s.codex());
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_HANG", "1").args(["eval", SHOW_LOGIN]);
    let (child, _t) = spawn_on_tty(&c);
    let waiting = wait_for_event(&s, "waiting");
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: plain kill(2)/killpg(2) of our own child or its group.
    unsafe {
        if whole_group {
            libc::killpg(pid, signal);
        } else {
            libc::kill(pid, signal);
        }
    }
    let out = child.wait_with_output().expect("wait");
    let codex_pid = waiting["pid"].as_i64().expect("pid");
    assert!(!alive(codex_pid), "codex is still running");
    (out, s, before)
}

#[test]
fn ctrl_c_during_the_login_stops_codex_deletes_the_home_and_exits_130() {
    // Ctrl-C at a terminal signals the whole foreground job: clawshift and Codex.
    let (out, s, before) = interrupt(libc::SIGINT, true);
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: codex_login: cancelled by Ctrl-C (SIGINT): stopped `codex login` and deleted its temporary home; nothing was changed\n"),
        "{}",
        stderr(&out)
    );
    assert_clean(&s, &out, &before);
}

#[test]
fn sigterm_to_clawshift_alone_also_stops_codex_and_cleans_up() {
    let (out, s, before) = interrupt(libc::SIGTERM, false);
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cancelled by SIGTERM"),
        "{}",
        stderr(&out)
    );
    assert_clean(&s, &out, &before);
}

#[test]
fn codex_login_refuses_without_a_terminal_and_never_starts_codex() {
    let s = sandbox();
    let out = cmd(&s)
        .args(["eval", "codex_login()"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: codex_login: stdin is not a terminal: `codex login` needs you at a terminal to open its sign-in link or read its device code. Run this from a terminal, or import an auth.json you already have with `from_auth_json` (`--from-auth-json FILE`)\n"
    ), "{}", stderr(&out));
    assert!(events(&s).is_empty());
    assert_eq!(temp_entries(&s), Vec::<String>::new());
}

#[test]
fn a_missing_codex_binary_names_clawshift_codex_bin_and_how_to_install() {
    let s = sandbox();
    fs::remove_file(s.bin().join("codex")).expect("rm");
    let mut c = cmd(&s);
    c.env("PATH", s.bin()).args(["eval", "codex_login()"]);
    let out = run_on_tty(&c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: codex_login: cannot find the Codex CLI: there is no `codex` on PATH and CLAWSHIFT_CODEX_BIN is not set. Install Codex with `npm install -g @openai/codex` (needs Node.js), or set CLAWSHIFT_CODEX_BIN=/path/to/codex."
    ), "{}", stderr(&out));
    let mut c = cmd(&s);
    c.env("CLAWSHIFT_CODEX_BIN", s.root().join("nope/codex"))
        .args(["eval", "codex_login()"]);
    let out = run_on_tty(&c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("(CLAWSHIFT_CODEX_BIN): No such file or directory"),
        "{err}"
    );
    assert_eq!(temp_entries(&s), Vec::<String>::new());
}

#[test]
fn codex_bin_from_the_environment_wins_over_path() {
    let s = sandbox();
    let elsewhere = s.root().join("elsewhere/codex");
    fs::create_dir_all(elsewhere.parent().expect("parent")).expect("mkdir");
    fs::rename(s.bin().join("codex"), &elsewhere).expect("move");
    let mut c = cmd(&s);
    c.env("CLAWSHIFT_CODEX_BIN", &elsewhere)
        .args(["eval", "codex_login().account_id"]);
    let out = run_on_tty(&c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "acct-alice\n");
}

#[test]
fn homes_left_by_killed_runs_are_swept_and_others_are_kept() {
    let s = sandbox();
    // A pid that surely is gone: a child we started and reaped.
    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let gone_pid = gone.id();
    gone.wait().expect("wait");
    let stale = s.root().join(format!("tmp/cslogin-{gone_pid}-abcdef"));
    let live = s
        .root()
        .join(format!("tmp/cslogin-{}-abcdef", std::process::id()));
    let other = s.root().join("tmp/someone-else");
    for d in [&stale, &live, &other] {
        fs::create_dir_all(d).expect("mkdir");
        fs::write(d.join("auth.json"), "{}").expect("write");
    }
    let mut c = cmd(&s);
    c.args(["eval", "codex_login().email"]);
    let out = run_on_tty(&c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stale.exists(), "the stale home was kept");
    assert!(live.exists() && other.exists());
}

#[test]
fn from_auth_json_imports_a_file_without_a_terminal() {
    let s = sandbox();
    let file = s.root().join("alice-auth.json");
    // Make a real-looking file with the fake itself, in a home of its own.
    let home = s.root().join("elsewhere");
    fs::create_dir_all(&home).expect("mkdir");
    let status = std::process::Command::new(s.bin().join("codex"))
        .args(["login", "--device-auth"])
        .env("CODEX_HOME", &home)
        .env("FAKE_CODEX_EMAIL", "bob@example.com")
        .env("FAKE_CODEX_ACCOUNT", "acct-bob")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("fake codex");
    assert!(status.success());
    fs::copy(home.join("auth.json"), &file).expect("copy");
    let out = cmd(&s)
        .args([
            "eval",
            &format!(
                r#"let l = codex_login(#{{from_auth_json: "{}"}}); `${{l.email}} ${{l.account_id}} ${{l.plan}}`"#,
                file.display()
            ),
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "bob@example.com acct-bob plus\n");
    assert_eq!(stderr(&out), "");
    assert!(events(&s).is_empty(), "codex ran for an import");
}

#[test]
fn importing_the_live_codex_login_warns_loudly() {
    let s = sandbox();
    let before = snapshot(&s.codex());
    let live = s.codex().join("auth.json");
    let out = cmd(&s)
        .args([
            "eval",
            &format!(
                r#"codex_login(#{{from_auth_json: "{}"}}).email"#,
                live.display()
            ),
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "me@example.com\n");
    assert!(
        stderr(&out).starts_with(&format!(
            "warning: `{}` is your live Codex login ({}). Importing it gives its refresh token two holders",
            live.display(),
            live.display()
        )),
        "{}",
        stderr(&out)
    );
    assert_no_token(&stderr(&out));
    assert_eq!(snapshot(&s.codex()), before);
}

#[test]
fn codex_login_rejects_unknown_options_and_non_chatgpt_files() {
    let s = sandbox();
    let out = cmd(&s)
        .args(["eval", "codex_login(#{device: true})"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: codex_login: unknown option `device`; the options are device_auth, timeout_secs, from_auth_json\n"
    ));
    let key = s.write(
        "key.json",
        r#"{"auth_mode": "apikey", "OPENAI_API_KEY": "sk-proj-FAKE"}"#,
    );
    let out = cmd(&s)
        .args([
            "eval",
            &format!(r#"codex_login(#{{from_auth_json: "{}"}})"#, key.display()),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(&format!(
        "error: codex_login: `{}` is not a ChatGPT login: its `auth_mode` is `apikey`; only ChatGPT (OAuth) logins can become OpenClaw profiles\n",
        key.display()
    )), "{}", stderr(&out));
    assert!(!stderr(&out).contains("sk-proj"));
}

#[test]
fn the_temp_root_permissions_do_not_leak_into_the_home() {
    // A umask of 0 must not make the temporary home world-readable.
    let s = sandbox();
    let mut c = cmd(&s);
    c.args(["eval", "codex_login().email"]);
    let mut std = std_command(&c);
    let t = pty();
    // SAFETY: umask is async-signal-safe and only affects the child.
    unsafe {
        std.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let out = std
        .stdin(Stdio::from(t.slave.try_clone().expect("dup")))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(events(&s)[0]["mode"], "700");
}

// ---------------------------------------------------------------------------------
// `clawshift add-profile` against OpenClaw states of every layout

pub(crate) const LAYOUTS: &[&str] = &["legacy-json", "split-json", "sqlite", "agent-sqlite"];
/// 2026-12-05T12:00:00Z, the fake Codex's default `exp`: 10 days after the test clock.
const FAKE_EXPIRES_MS: i64 = 1_796_472_000_000;

pub(crate) fn provider_of(layout: &str) -> &'static str {
    if layout.ends_with("json") {
        "openai-codex"
    } else {
        "openai"
    }
}

pub(crate) fn fake_jwt(claims: Value) -> String {
    use base64::Engine as _;
    let b = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        b(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b(&claims),
        b(&Value::String("fake-signature".into()))
    )
}

/// One stored OAuth profile, as OpenClaw keeps it.
pub(crate) fn stored(provider: &str, account: &str, email: &str, refresh: &str) -> Value {
    serde_json::json!({
        "type": "oauth",
        "provider": provider,
        "access": fake_jwt(serde_json::json!({
            "exp": 1_796_000_000,
            "https://api.openai.com/auth": {"chatgpt_account_id": account, "chatgpt_plan_type": "team"},
            "https://api.openai.com/profile": {"email": email},
        })),
        "refresh": refresh,
        "expires": 1_796_000_000_000_i64,
        "accountId": account,
        "email": email,
    })
}

/// An OpenClaw state of `layout` for agent `main` holding `<provider>:work` and an
/// Anthropic token. With `reachable`, a Codex model is a fallback; without, only Claude.
pub(crate) fn openclaw_state(s: &Sandbox, layout: &str, reachable: bool) {
    let p = provider_of(layout);
    let work = format!("{p}:work");
    let profiles = serde_json::json!({
        work.clone(): stored(p, "acct-work", "work@example.com", "rt_FAKE_work"),
        "anthropic:me": {"type": "token", "provider": "anthropic", "token": "sk-ant-FAKE-token"},
    });
    let order = serde_json::json!({ p: [work.clone()], "anthropic": ["anthropic:me"] });
    let fallbacks = if reachable {
        serde_json::json!([format!("{p}/gpt-5.5")])
    } else {
        serde_json::json!([])
    };
    let config = serde_json::json!({
        "agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-7", "fallbacks": fallbacks}}},
        "auth": {
            "profiles": {work.clone(): {"provider": p, "mode": "oauth"}, "anthropic:me": {"provider": "anthropic", "mode": "token"}},
            "order": order.clone(),
        },
    });
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("json") + "\n";
    s.write("openclaw/openclaw.json", &pretty(&config));
    let agent = "openclaw/agents/main/agent";
    match layout {
        "legacy-json" => {
            s.write(
                &format!("{agent}/auth-profiles.json"),
                &pretty(&serde_json::json!({"version": 1, "profiles": profiles, "order": order})),
            );
        }
        "split-json" => {
            s.write(
                &format!("{agent}/auth-profiles.json"),
                &pretty(&serde_json::json!({"version": 1, "profiles": profiles})),
            );
            s.write(
                &format!("{agent}/auth-state.json"),
                &pretty(&serde_json::json!({"version": 1, "order": order})),
            );
        }
        "sqlite" => {
            let db = s.root().join("openclaw/state/openclaw.sqlite");
            fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
            fs::create_dir_all(s.root().join(agent)).expect("mkdir");
            let c = rusqlite::Connection::open(&db).expect("db");
            c.execute_batch(
                "CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;",
            )
            .expect("schema");
            for (k, v) in [
                (
                    "auth.sharedStore",
                    serde_json::json!({"location": "state-db"}),
                ),
                (
                    "authProfiles.store",
                    serde_json::json!({"version": 1, "profiles": profiles}),
                ),
                (
                    "authProfiles.state",
                    serde_json::json!({"version": 1, "order": order}),
                ),
            ] {
                c.execute(
                    "INSERT INTO config_machine_state VALUES (?1, ?2, 1795600000000)",
                    rusqlite::params![k, v.to_string()],
                )
                .expect("row");
            }
        }
        "agent-sqlite" => {
            let db = s.root().join(format!("{agent}/openclaw-agent.sqlite"));
            fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
            let c = rusqlite::Connection::open(&db).expect("db");
            c.execute_batch(
                "CREATE TABLE auth_profile_store (store_key TEXT NOT NULL PRIMARY KEY, store_json TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;
                 CREATE TABLE auth_profile_state (state_key TEXT NOT NULL PRIMARY KEY, state_json TEXT NOT NULL, updated_at INTEGER NOT NULL) STRICT;",
            )
            .expect("schema");
            c.execute(
                "INSERT INTO auth_profile_store VALUES ('primary', ?1, 1795600000000)",
                [serde_json::json!({"version": 1, "profiles": profiles}).to_string()],
            )
            .expect("row");
            c.execute(
                "INSERT INTO auth_profile_state VALUES ('primary', ?1, 1795600000000)",
                [serde_json::json!({"version": 1, "order": order}).to_string()],
            )
            .expect("row");
        }
        other => panic!("unknown layout {other}"),
    }
}

pub(crate) fn layout_sandbox(layout: &str, reachable: bool) -> Sandbox {
    let s = sandbox();
    openclaw_state(&s, layout, reachable);
    s
}

/// The agent's stored profiles, whatever the layout.
pub(crate) fn stored_profiles(s: &Sandbox, layout: &str) -> serde_json::Map<String, Value> {
    let agent = s.root().join("openclaw/agents/main/agent");
    let doc: Value = match layout {
        "legacy-json" | "split-json" => serde_json::from_str(
            &fs::read_to_string(agent.join("auth-profiles.json")).expect("store"),
        )
        .expect("json"),
        "sqlite" => {
            let c = rusqlite::Connection::open(s.root().join("openclaw/state/openclaw.sqlite"))
                .expect("db");
            let t: String = c
                .query_row(
                    "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.store'",
                    [],
                    |r| r.get(0),
                )
                .expect("row");
            serde_json::from_str(&t).expect("json")
        }
        _ => {
            let c = rusqlite::Connection::open(agent.join("openclaw-agent.sqlite")).expect("db");
            let t: String = c
                .query_row(
                    "SELECT store_json FROM auth_profile_store WHERE store_key = 'primary'",
                    [],
                    |r| r.get(0),
                )
                .expect("row");
            serde_json::from_str(&t).expect("json")
        }
    };
    doc["profiles"].as_object().cloned().expect("profiles")
}

/// `clawshift --yes add-profile <args>` on a terminal, with the fake Codex's knobs.
fn add_profile(s: &Sandbox, args: &[&str], knobs: &[(&str, &str)]) -> Output {
    let mut c = cmd(s);
    c.args(["--yes", "add-profile"]).args(args);
    for (k, v) in knobs {
        c.env(k, v);
    }
    run_on_tty(&c)
}

fn bob() -> Vec<(&'static str, &'static str)> {
    vec![
        ("FAKE_CODEX_EMAIL", "bob@example.com"),
        ("FAKE_CODEX_ACCOUNT", "acct-bob"),
        ("FAKE_CODEX_PLAN", "pro"),
    ]
}

fn everything(s: &Sandbox) -> Snapshot {
    let mut all = snapshot(&s.openclaw());
    all.extend(snapshot(&s.codex()));
    all.extend(snapshot(&s.home()));
    all
}

/// Output, journal and backups hold no token, and the user's Codex home and the temp
/// root are as they were.
fn assert_clean(s: &Sandbox, out: &Output, codex_before: &Snapshot) {
    assert_no_token(&stdout(out));
    assert_no_token(&stderr(out));
    let journal = fs::read_to_string(s.home().join("journal.jsonl")).unwrap_or_default();
    assert_no_token(&journal);
    assert!(!journal.contains("sk-ant"), "{journal}");
    assert_eq!(
        temp_entries(s),
        Vec::<String>::new(),
        "a temporary home was left"
    );
    assert_eq!(
        &snapshot(&s.codex()),
        codex_before,
        "the user's CODEX_HOME changed"
    );
    for e in events(s) {
        assert!(e["event"] != "revoked" && e["event"] != "logout", "{e}");
    }
}

#[test]
fn add_profile_adds_a_new_account_in_every_layout() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, true);
        let p = provider_of(layout);
        let codex_before = snapshot(&s.codex());
        let out = add_profile(&s, &["alice"], &[]);
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!(
                "added {p}:alice (alice@example.com, plus, expires in 10d) — order: {p}:work, {p}:alice\n"
            ),
            "{layout}"
        );
        let profiles = stored_profiles(&s, layout);
        let alice = &profiles[&format!("{p}:alice")];
        assert_eq!(alice["type"], "oauth", "{layout}");
        assert_eq!(alice["provider"], p, "{layout}");
        assert_eq!(alice["expires"], FAKE_EXPIRES_MS, "{layout}");
        assert_eq!(alice["accountId"], "acct-alice", "{layout}");
        assert_eq!(alice["email"], "alice@example.com", "{layout}");
        assert_eq!(alice["refresh"], "rt_FAKE_acct-alice", "{layout}");
        // The other profiles are untouched.
        assert_eq!(profiles[&format!("{p}:work")]["refresh"], "rt_FAKE_work");
        assert_eq!(profiles["anthropic:me"]["token"], "sk-ant-FAKE-token");
        let config: Value =
            serde_json::from_str(&s.read("openclaw/openclaw.json")).expect("config");
        assert_eq!(
            config["auth"]["profiles"][format!("{p}:alice")],
            serde_json::json!({"provider": p, "mode": "oauth"}),
            "{layout}"
        );
        assert_eq!(
            config["auth"]["order"][p],
            serde_json::json!([format!("{p}:work"), format!("{p}:alice")]),
            "{layout}"
        );
        // Backups first, private.
        let backups: Vec<PathBuf> = fs::read_dir(s.home().join("backups"))
            .expect("backups")
            .map(|e| e.expect("entry").path())
            .collect();
        assert!(
            backups.iter().any(|b| b
                .file_name()
                .expect("name")
                .to_string_lossy()
                .starts_with("openclaw.json.bak-")),
            "{layout}: {backups:?}"
        );
        for b in &backups {
            assert_eq!(mode(b) & 0o777, 0o600, "{}", b.display());
        }
        // The plan went to stderr, with the login's own output.
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "clawshift add-profile alice (agent main, OpenClaw layout {layout}) will:"
            )),
            "{err}"
        );
        assert_clean(&s, &out, &codex_before);
    }
}

#[test]
fn re_running_for_the_same_account_updates_in_place_and_keeps_the_position() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, true);
        let p = provider_of(layout);
        let codex_before = snapshot(&s.codex());
        assert!(add_profile(&s, &["alice"], &[]).status.success());
        assert!(add_profile(&s, &["bob"], &bob()).status.success());
        let out = add_profile(
            &s,
            &["alice", "--device-auth"],
            &[
                ("FAKE_CODEX_REFRESH", "rt_FAKE_alice_second_login"),
                ("FAKE_CODEX_EXP", "1796471940"),
            ],
        );
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert_eq!(
            stdout(&out),
            format!(
                "updated {p}:alice (alice@example.com, plus, expires in 9d 23h) — order: {p}:work, {p}:alice, {p}:bob\n"
            ),
            "{layout}"
        );
        let profiles = stored_profiles(&s, layout);
        assert_eq!(
            profiles[&format!("{p}:alice")]["refresh"],
            "rt_FAKE_alice_second_login"
        );
        assert_eq!(
            profiles[&format!("{p}:alice")]["expires"],
            1_796_471_940_000_i64
        );
        assert_clean(&s, &out, &codex_before);
    }
}

/// Runs a refused add-profile and checks that nothing at all changed.
fn refused(s: &Sandbox, args: &[&str], knobs: &[(&str, &str)]) -> String {
    let before = everything(s);
    let codex_before = snapshot(&s.codex());
    let out = add_profile(s, args, knobs);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(everything(s), before, "something changed on disk");
    assert_clean(s, &out, &codex_before);
    stderr(&out)
}

#[test]
fn the_same_account_under_another_name_is_refused_unless_forced() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, true);
        let p = provider_of(layout);
        let err = refused(
            &s,
            &["work2"],
            &[
                ("FAKE_CODEX_ACCOUNT", "acct-work"),
                ("FAKE_CODEX_EMAIL", "work@example.com"),
            ],
        );
        assert!(
            err.contains(&format!(
                "error: account acct-work (work@example.com) is already profile `{p}:work`; two names for one account share one usage limit, so switching between them gains nothing. nothing was changed. Rerun with the name `work` to refresh it, or --force to add it under a second name anyway\n"
            )),
            "{layout}: {err}"
        );
        let out = add_profile(
            &s,
            &["work2", "--force"],
            &[
                ("FAKE_CODEX_ACCOUNT", "acct-work"),
                ("FAKE_CODEX_EMAIL", "work@example.com"),
            ],
        );
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert!(stdout(&out).starts_with(&format!("added {p}:work2 (work@example.com")));
    }
}

#[test]
fn a_refresh_token_held_by_another_profile_is_refused_even_with_force() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, true);
        let p = provider_of(layout);
        let err = refused(
            &s,
            &["carol", "--force"],
            &[
                ("FAKE_CODEX_REFRESH", "rt_FAKE_work"),
                ("FAKE_CODEX_ACCOUNT", "acct-carol"),
            ],
        );
        assert!(
            err.contains(&format!(
                "error: this refresh token is already stored as profile `{p}:work` ("
            )),
            "{layout}: {err}"
        );
        assert!(err.contains("--force does not override this"), "{err}");
    }
}

#[test]
fn a_refresh_token_held_by_another_agent_is_refused() {
    let s = layout_sandbox("split-json", true);
    // Agent `ops` keeps its own store with a profile holding the token the login returns.
    let ops = serde_json::json!({"version": 1, "profiles": {
        "openai-codex:shared": stored("openai-codex", "acct-shared", "shared@example.com", "rt_FAKE_shared")
    }});
    s.write(
        "openclaw/agents/ops/agent/auth-profiles.json",
        &serde_json::to_string_pretty(&ops).expect("json"),
    );
    let err = refused(
        &s,
        &["dave"],
        &[
            ("FAKE_CODEX_REFRESH", "rt_FAKE_shared"),
            ("FAKE_CODEX_ACCOUNT", "acct-dave"),
        ],
    );
    assert!(
        err.contains("error: this refresh token is already stored as profile `openai-codex:shared` (agent `ops`, "),
        "{err}"
    );
}

#[test]
fn the_live_codex_login_is_never_imported_not_even_with_force() {
    let s = layout_sandbox("sqlite", true);
    let live = s.codex().join("auth.json");
    let err = refused(
        &s,
        &[
            "me",
            "--force",
            "--from-auth-json",
            &live.display().to_string(),
        ],
        &[],
    );
    assert!(err.contains("warning: `"), "{err}");
    assert!(
        err.contains(&format!(
            "error: this refresh token belongs to your live Codex login ({}); storing it in OpenClaw too would give it two holders",
            live.display()
        )),
        "{err}"
    );
    assert!(err.contains("--force does not override this. Sign in a separate session instead: `clawshift add-profile me` without --from-auth-json"), "{err}");
    // A copy of the live file is caught by the token itself.
    let copy = s.root().join("copy.json");
    fs::copy(&live, &copy).expect("copy");
    let err = refused(
        &s,
        &["me", "--from-auth-json", &copy.display().to_string()],
        &[],
    );
    assert!(err.contains("belongs to your live Codex login"), "{err}");
    assert!(!err.contains("warning: `"), "{err}");
}

#[test]
fn a_jwt_without_exp_or_account_claim_changes_nothing_and_says_why() {
    let s = layout_sandbox("legacy-json", true);
    let err = refused(&s, &["alice"], &[("FAKE_CODEX_OMIT", "exp")]);
    assert!(
        err.contains("error: the access token has no `exp` claim, so OpenClaw could not tell when it expires; the login's tokens were discarded and nothing was changed. Sign in again\n"),
        "{err}"
    );
    let err = refused(&s, &["alice"], &[("FAKE_CODEX_OMIT", "account")]);
    assert!(
        err.contains("error: the access token has no ChatGPT account id (claim `https://api.openai.com/auth`.chatgpt_account_id); the login's tokens were discarded and nothing was changed. Is this a ChatGPT (not API key) login?\n"),
        "{err}"
    );
}

#[test]
fn a_failed_or_timed_out_login_changes_nothing() {
    let s = layout_sandbox("agent-sqlite", true);
    let err = refused(&s, &["alice"], &[("FAKE_CODEX_FAIL", "Login cancelled")]);
    assert!(err.contains("Error logging in: Login cancelled\n"), "{err}");
    assert!(
        err.contains("error: codex_login: `codex login` failed (exit code 1)"),
        "{err}"
    );
    let err = refused(
        &s,
        &["--timeout", "2", "alice"],
        &[("FAKE_CODEX_HANG", "1")],
    );
    assert!(
        err.contains("error: codex_login: no sign-in within"),
        "{err}"
    );
}

#[test]
fn a_cancelled_prompt_changes_nothing_and_never_starts_codex() {
    let s = layout_sandbox("sqlite", true);
    let before = everything(&s);
    // No terminal and no --yes: the prompt cannot be asked.
    let out = cmd(&s)
        .args(["add-profile", "alice"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("error: confirm: cannot ask \"Continue?\": stdin is not a terminal; rerun with --yes to answer yes\n"),
        "{}",
        stderr(&out)
    );
    // At a terminal, answering no.
    let mut c = cmd(&s);
    c.args(["add-profile", "alice"]);
    let (child, t) = spawn_on_tty(&c);
    {
        use std::io::Write as _;
        let mut master = t._master.try_clone().expect("dup");
        master.write_all(b"n\n").expect("answer");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: cancelled; nothing was changed\n"),
        "{}",
        stderr(&out)
    );
    assert!(events(&s).is_empty(), "codex ran");
    assert_eq!(everything(&s), before);
}

#[test]
fn bad_names_and_arguments_are_usage_errors_before_anything_runs() {
    let s = layout_sandbox("sqlite", true);
    let before = everything(&s);
    for (name, why) in [
        ("a b", "contains a space"),
        ("../x", "contains `/`"),
        ("a..b", "contains `..`"),
        ("x;rm", "contains `;`"),
        ("$(id)", "contains `$`"),
        (".hidden", "starts with `.`"),
        ("codex-cli", "`codex-cli` is the profile OpenClaw syncs"),
    ] {
        let out = cmd(&s)
            .args(["--yes", "add-profile", "--", name])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{name}: {}", stderr(&out));
    }
    let long = "a".repeat(65);
    let out = cmd(&s)
        .args(["--yes", "add-profile", &long])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .starts_with("error: the profile name is 65 characters long; keep it to 64 or fewer\n")
    );
    let out = cmd(&s)
        .args(["--yes", "run", "add-profile", "alice", "--bogus"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: unknown option `--bogus`"),
        "{}",
        stderr(&out)
    );
    // Names with `@` and dots are fine (OpenClaw uses email ids itself).
    let out = add_profile(&s, &["me@example.com"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("added openai:me@example.com ("));
    assert!(events(&s).len() >= 2);
    let _ = before;
}

#[test]
fn a_different_account_under_an_existing_name_is_refused_unless_forced() {
    let s = layout_sandbox("split-json", true);
    let err = refused(
        &s,
        &["work"],
        &[
            ("FAKE_CODEX_ACCOUNT", "acct-other"),
            ("FAKE_CODEX_EMAIL", "other@example.com"),
        ],
    );
    assert!(
        err.contains("error: profile `openai-codex:work` is account acct-work (work@example.com), but you signed in as acct-other (other@example.com); nothing was changed. Use another name for this account, or --force to replace openai-codex:work's account\n"),
        "{err}"
    );
    let out = add_profile(
        &s,
        &["work", "--force"],
        &[
            ("FAKE_CODEX_ACCOUNT", "acct-other"),
            ("FAKE_CODEX_EMAIL", "other@example.com"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("updated openai-codex:work (other@example.com"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn without_a_reachable_codex_model_a_fallback_is_added_and_said() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, false);
        let p = provider_of(layout);
        let out = add_profile(&s, &["alice"], &[]);
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!(
                "note: openclaw.json reached no {p} model; added {p}/gpt-5.5 to the fallbacks (agents.defaults.model.fallbacks)"
            )),
            "{layout}: {}",
            stderr(&out)
        );
        let config: Value =
            serde_json::from_str(&s.read("openclaw/openclaw.json")).expect("config");
        assert_eq!(
            config["agents"]["defaults"]["model"]["fallbacks"],
            serde_json::json!([format!("{p}/gpt-5.5")]),
            "{layout}"
        );
        assert_eq!(
            config["agents"]["defaults"]["model"]["primary"],
            "anthropic/claude-opus-4-7"
        );
        if !layout.ends_with("json") {
            assert_eq!(
                config["agents"]["defaults"]["models"]["openai/gpt-5.5"],
                serde_json::json!({"agentRuntime": {"id": "codex"}}),
                "{layout}"
            );
        }
        // A second profile needs nothing more.
        let out = add_profile(&s, &["bob"], &bob());
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("note: openclaw.json reached no"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn dry_run_imports_shows_and_changes_nothing() {
    let s = layout_sandbox("legacy-json", false);
    let file = s.root().join("alice.json");
    let home = s.root().join("elsewhere");
    fs::create_dir_all(&home).expect("mkdir");
    let ok = std::process::Command::new(s.bin().join("codex"))
        .args(["login", "--device-auth"])
        .env("CODEX_HOME", &home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("fake codex");
    assert!(ok.success());
    fs::copy(home.join("auth.json"), &file).expect("copy");
    let before = everything(&s);
    let out = cmd(&s)
        .args([
            "--dry-run",
            "--yes",
            "add-profile",
            "alice",
            "--from-auth-json",
        ])
        .arg(&file)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.ends_with("dry-run: would add openai-codex:alice; nothing was changed\n"),
        "{text}"
    );
    assert_no_token(&text);
    assert_eq!(everything(&s), before);
    // Without a file, a dry run does not even sign in.
    let out = cmd(&s)
        .args(["--dry-run", "--yes", "add-profile", "alice"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "dry-run: would sign in with `codex login` and add openai-codex:alice; nothing was changed\n"
    );
    assert!(events(&s).is_empty());
}

#[test]
fn an_ejected_add_profile_script_wins() {
    let s = layout_sandbox("sqlite", true);
    s.write(
        "clawshift/scripts/add-profile.rhai",
        "print(`mine: ${ARGS}`);\n",
    );
    s.cmd()
        .args(["add-profile", "alice", "--device-auth", "--force"])
        .assert()
        .success()
        .stdout("mine: [\"alice\", \"--device-auth\", \"--force\"]\n");
}

#[test]
fn a_signal_the_caller_ignores_stays_ignored_during_the_login() {
    // `nohup clawshift add-profile …` ignores SIGHUP; the login must not start honouring it.
    let s = sandbox();
    let mut c = cmd(&s);
    c.env("FAKE_CODEX_DELAY", "2")
        .args(["eval", "codex_login().email"]);
    let mut std = std_command(&c);
    let t = pty();
    // SAFETY: signal(2) in the child before exec; async-signal-safe.
    unsafe {
        std.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = std
        .stdin(Stdio::from(t.slave.try_clone().expect("dup")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_event(&s, "login");
    // SAFETY: kill(2) of our own child.
    unsafe {
        libc::kill(i32::try_from(child.id()).expect("pid"), libc::SIGHUP);
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "alice@example.com\n");
    assert_eq!(temp_entries(&s), Vec::<String>::new());
}

#[test]
fn add_profile_works_on_the_recorded_openclaw_fixtures_and_keeps_a_middle_position() {
    for (fixture, p) in [
        ("legacy", "openai-codex"),
        ("split", "openai-codex"),
        ("sqlite", "openai"),
        ("agent-sqlite", "openai"),
    ] {
        let s = sandbox();
        crate::openclaw::layout(&s, fixture);
        let codex_before = snapshot(&s.codex());
        let out = add_profile(
            &s,
            &["dave"],
            &[
                ("FAKE_CODEX_ACCOUNT", "acct-dave"),
                ("FAKE_CODEX_EMAIL", "dave@example.com"),
            ],
        );
        assert!(out.status.success(), "{fixture}: {}", stderr(&out));
        let added = stdout(&out);
        assert!(
            added.starts_with(&format!(
                "added {p}:dave (dave@example.com, plus, expires in 10d) — order: "
            )),
            "{fixture}: {added}"
        );
        assert!(
            added.ends_with(&format!(", {p}:dave\n")),
            "{fixture}: {added}"
        );
        // bob again, same account, fresh tokens: updated where it stands.
        let out = add_profile(
            &s,
            &["bob"],
            &[
                ("FAKE_CODEX_ACCOUNT", "acct-bob-0001"),
                ("FAKE_CODEX_EMAIL", "bob@example.com"),
                ("FAKE_CODEX_REFRESH", "rt_FAKE_bob_second_login"),
            ],
        );
        assert!(out.status.success(), "{fixture}: {}", stderr(&out));
        let updated = stdout(&out);
        let tail = |line: &str| {
            line.split(" — order: ")
                .nth(1)
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            updated.starts_with(&format!("updated {p}:bob (bob@example.com")),
            "{fixture}: {updated}"
        );
        assert_eq!(tail(&updated), tail(&added), "{fixture}: the order moved");
        assert!(
            tail(&updated).contains(&format!("{p}:bob, ")),
            "{fixture}: {updated}"
        );
        assert_clean(&s, &out, &codex_before);
    }
}

#[test]
fn the_fake_codex_replays_what_0_169_was_seen_doing() {
    let s = sandbox();
    let codex = |home: &Path, args: &[&str]| {
        std::process::Command::new(s.bin().join("codex"))
            .args(args)
            .env("CODEX_HOME", home)
            .env("FAKE_CODEX_LOG", s.root().join("codex.log"))
            .output()
            .expect("fake codex")
    };
    let missing = s.root().join("no-such-home");
    let out = codex(&missing, &["login", "--device-auth"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "Error loading configuration: CODEX_HOME points to \"{}\", but that path does not exist\n",
            missing.display()
        )
    );
    let home = s.root().join("h");
    fs::create_dir_all(&home).expect("mkdir");
    let out = codex(&home, &["login", "status"]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(1), "Not logged in\n".into())
    );
    let out = codex(
        &home,
        &[
            "login",
            "--device-auth",
            "-c",
            "cli_auth_credentials_store=\"file\"",
        ],
    );
    assert!(out.status.success());
    assert!(stdout(&out).contains("\u{1b}[94mFAKE-C0DE1\u{1b}[0m"));
    assert_eq!(stderr(&out), "Successfully logged in\n");
    let file = fs::read_to_string(home.join("auth.json")).expect("auth.json");
    assert!(file.starts_with("{\n  \"auth_mode\": \"chatgpt\",\n  \"OPENAI_API_KEY\": null,\n  \"tokens\": {\n    \"id_token\": \"eyJ"));
    assert!(file.ends_with('}'), "a trailing newline");
    assert_eq!(mode(&home.join("auth.json")) & 0o777, 0o600);
    let out = codex(&home, &["login", "status"]);
    assert_eq!(
        (out.status.code(), stderr(&out)),
        (Some(0), "Logged in using ChatGPT\n".into())
    );
    // An unknown credentials store is refused before anything; logout "revokes" and
    // deletes, as 0.169 does, and the log says so.
    let out = codex(
        &home,
        &["login", "-c", "cli_auth_credentials_store=\"bogus\""],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = codex(&home, &["logout"]);
    assert_eq!(stderr(&out), "Successfully logged out\n");
    assert!(!home.join("auth.json").exists());
    let ev: Vec<String> = events(&s)
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ev, ["login", "done", "logout", "revoked", "done"]);
}

/// The bytes of every OpenClaw file, and every stored profile, whatever the layout.
fn openclaw_content(s: &Sandbox, layout: &str) -> (Vec<(PathBuf, Vec<u8>)>, Value) {
    let files = snapshot(&s.openclaw())
        .into_iter()
        .filter(|(p, ..)| !p.to_string_lossy().ends_with(".sqlite"))
        .map(|(p, bytes, ..)| (p, bytes))
        .collect();
    (files, Value::Object(stored_profiles(s, layout)))
}

#[test]
fn undo_after_add_profile_restores_every_file_and_row_in_every_layout() {
    for layout in LAYOUTS {
        let s = layout_sandbox(layout, false);
        let before = openclaw_content(&s, layout);
        let out = add_profile(&s, &["alice"], &[]);
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert_ne!(openclaw_content(&s, layout), before, "{layout}");

        let out = cmd(&s).arg("history").output().expect("history");
        assert!(
            stdout(&out).contains("--yes add-profile alice"),
            "{layout}: {}",
            stdout(&out)
        );

        let out = cmd(&s).arg("undo").output().expect("undo");
        assert!(out.status.success(), "{layout}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("undid run "),
            "{layout}: {}",
            stdout(&out)
        );
        assert_eq!(openclaw_content(&s, layout), before, "{layout}");
        assert_no_token(&stdout(&out));

        // The undo is journaled too; a second `undo` walks further back instead of
        // undoing the undo, and here there is nothing further back.
        let out = cmd(&s).arg("undo").output().expect("undo again");
        assert_eq!(out.status.code(), Some(1), "{layout}");
        assert!(
            stderr(&out).contains("nothing to undo"),
            "{layout}: {}",
            stderr(&out)
        );
        assert_eq!(openclaw_content(&s, layout), before, "{layout}");
    }
}

#[test]
fn undo_refuses_when_a_file_changed_since_and_changes_nothing() {
    let s = layout_sandbox("legacy-json", true);
    let out = add_profile(&s, &["alice"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let store = s
        .root()
        .join("openclaw/agents/main/agent/auth-profiles.json");
    let mut text = fs::read_to_string(&store).expect("store");
    text.push(' ');
    fs::write(&store, &text).expect("edit");
    let out = cmd(&s).arg("undo").output().expect("undo");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("changed after run") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&store).expect("store"), text);
}
