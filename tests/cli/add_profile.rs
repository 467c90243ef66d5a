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
fn sandbox() -> Sandbox {
    let s = Sandbox::new();
    s.install_bin("codex", FAKE_CODEX);
    fs::create_dir_all(s.root().join("tmp")).expect("tmp");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/codex-home"),
        &s.codex(),
    );
    s
}

fn cmd(s: &Sandbox) -> assert_cmd::Command {
    let mut c = s.cmd();
    c.env("TMPDIR", s.root().join("tmp"))
        .env("FAKE_CODEX_LOG", s.root().join("codex.log"));
    c
}

/// Every event the fake Codex logged.
fn events(s: &Sandbox) -> Vec<Value> {
    fs::read_to_string(s.root().join("codex.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("log line"))
        .collect()
}

/// Path, bytes, mode and mtime (s, ns) of every file under a directory.
type Snapshot = Vec<(PathBuf, Vec<u8>, u32, i64, i64)>;

fn snapshot(dir: &Path) -> Snapshot {
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
fn temp_entries(s: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(s.root().join("tmp"))
        .expect("tmp")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Nothing that looks like a token: JWTs start `eyJ`, the fake refresh tokens `rt_FAKE`.
fn assert_no_token(text: &str) {
    assert!(!text.contains("eyJ"), "a JWT leaked: {text}");
    assert!(!text.contains("rt_FAKE"), "a refresh token leaked: {text}");
}

struct Pty {
    _master: fs::File,
    slave: fs::File,
}

fn pty() -> Pty {
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
fn std_command(c: &assert_cmd::Command) -> std::process::Command {
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

fn spawn_on_tty(c: &assert_cmd::Command) -> (Child, Pty) {
    let t = pty();
    let mut std = std_command(c);
    std.stdin(Stdio::from(t.slave.try_clone().expect("dup")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, like a job in a shell, so a test can signal the group.
        .process_group(0);
    (std.spawn().expect("spawn"), t)
}

fn run_on_tty(c: &assert_cmd::Command) -> Output {
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
    assert_eq!(temp_entries(&s), Vec::<String>::new());
    assert_eq!(snapshot(&s.codex()), before);
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
    assert_eq!(temp_entries(&s), Vec::<String>::new());
    assert_eq!(snapshot(&s.codex()), before);

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
    assert_eq!(temp_entries(&s), Vec::<String>::new());
    assert_eq!(snapshot(&s.codex()), before);
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
    assert_eq!(temp_entries(&s), Vec::<String>::new());
    assert_eq!(snapshot(&s.codex()), before);
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
