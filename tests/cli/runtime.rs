//! The runtime of issue #3: eval/run, errors and exit codes, limits, backup, journal.

use crate::support::*;

#[test]
fn eval_prints_a_non_unit_result_and_maps_as_json() {
    let s = Sandbox::new();
    s.cmd()
        .args(["eval", "1 + 2"])
        .assert()
        .success()
        .stdout("3\n");
    s.cmd()
        .args(["eval", "#{b: [1, 2], a: ()}"])
        .assert()
        .success()
        .stdout("{\n  \"a\": null,\n  \"b\": [\n    1,\n    2\n  ]\n}\n");
    s.cmd()
        .args(["eval", "let x = 1;"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn scripts_see_args_dry_run_and_agent() {
    let s = Sandbox::new();
    let p = s.write("a.rhai", "print(`${ARGS} ${DRY_RUN} ${AGENT}`);\n");
    s.cmd()
        .args(["--dry-run", "--agent", "work", "run"])
        .arg(&p)
        .args(["x", "--flag"])
        .assert()
        .success()
        .stdout("[\"x\", \"--flag\"] true work\n");
}

#[test]
fn a_syntax_error_exits_2_with_file_line_column_and_caret() {
    let s = Sandbox::new();
    let p = s.write("bad.rhai", "let a = 1;\nlet b = (a + ;\n");
    let out = s.cmd().arg("run").arg(&p).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: syntax error: Unexpected ';'\n --> {}:2:14\n  |\n2 | let b = (a + ;\n  |              ^\n",
            p.display()
        )
    );
}

#[test]
fn a_runtime_error_exits_1_and_shows_the_call_chain() {
    let s = Sandbox::new();
    let p = s.write(
        "chain.rhai",
        "fn inner(x) {\n    x.nope.len()\n}\nfn outer() { inner(#{a: 1}) }\nouter();\n",
    );
    let out = s.cmd().arg("run").arg(&p).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // A missing property reads as `()`; calling `len` on it names what `len` takes.
    assert!(err.starts_with("error: len expects ("), "{err}");
    assert!(err.contains(", but was given (())\n"), "{err}");
    assert!(err.contains(&format!("--> {}:2:12", p.display())), "{err}");
    assert!(err.contains("    x.nope.len()\n  |            ^"), "{err}");
    assert!(
        err.contains(&format!("= in call to `outer` at {}:5:1", p.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("= in call to `inner` at {}:4:14", p.display())),
        "{err}"
    );
}

#[test]
fn a_thrown_map_sets_the_exit_code_and_a_string_exits_1() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["eval", r#"throw #{message: "no usable account", exit: 3}"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).starts_with("error: no usable account\n"));
    let out = s
        .cmd()
        .args(["eval", r#"throw "plain""#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: plain\n"));
}

#[test]
fn an_endless_loop_stops_at_the_timeout_with_exit_1() {
    let s = Sandbox::new();
    let started = std::time::Instant::now();
    let out = s
        .cmd()
        .args(["--timeout", "1", "eval", "loop {}"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed().as_secs() < 20);
    assert!(
        stderr(&out).starts_with(
            "error: timed out after 1s (limit set by --timeout); the script was stopped\n"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn runaway_recursion_hits_the_call_depth_limit() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["eval", "fn f(n) { f(n + 1) } f(1)"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: call depth limit exceeded"));
}

#[test]
fn decode_jwt_names_the_broken_part_without_echoing_the_token() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args([
            "eval",
            r#"decode_jwt("eyJhbGciOiJub25lIn0.bm90IGpzb24.c2ln")"#,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: decode_jwt: the payload part is not valid JSON\n"),
        "{err}"
    );
    assert!(
        !err.lines()
            .next()
            .unwrap_or_default()
            .contains("bm90IGpzb24")
    );
}

#[test]
fn decode_jwt_reads_codex_claims() {
    let s = Sandbox::new();
    // {"alg":"none"} . {"exp":1796380579,"https://api.openai.com/auth":{"chatgpt_account_id":"acct-1","chatgpt_plan_type":"plus"},"email":"a@example.com"}
    let token = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTYzODA1NzksImh0dHBzOi8vYXBpLm9wZW5haS5jb20vYXV0aCI6eyJjaGF0Z3B0X2FjY291bnRfaWQiOiJhY2N0LTEiLCJjaGF0Z3B0X3BsYW5fdHlwZSI6InBsdXMifSwiZW1haWwiOiJhQGV4YW1wbGUuY29tIn0.c2ln";
    s.cmd()
        .args(["eval", &format!(r#"let t = decode_jwt("{token}"); `${{t.exp}} ${{t.account_id}} ${{t.email}} ${{t.plan}}`"#)])
        .assert()
        .success()
        .stdout("1796380579 acct-1 a@example.com plus\n");
}

#[test]
fn backup_copies_with_mode_0600_and_journals_it() {
    let s = Sandbox::new();
    let f = s.write("openclaw/openclaw.json", "{\"a\": 1}\n");
    let out = s
        .cmd()
        .args(["eval", &format!(r#"backup("{}").backup"#, f.display())])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    // 2026-11-25T12:00:00Z, then the run's process id.
    let printed = stdout(&out);
    let expected = std::path::PathBuf::from(printed.trim_end());
    let prefix = s.home().join("backups/openclaw.json.bak-1795608000-");
    let pid = printed
        .trim_end()
        .strip_prefix(&*prefix.to_string_lossy())
        .unwrap_or_default();
    assert!(
        !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
        "{printed}"
    );
    assert_eq!(
        std::fs::read_to_string(&expected).expect("backup"),
        "{\"a\": 1}\n"
    );
    assert_eq!(mode(&expected), 0o600);
    assert_eq!(mode(&s.home().join("backups")), 0o700);
    let journal = std::fs::read_to_string(s.home().join("journal.jsonl")).expect("journal");
    assert!(journal.contains("\"kind\":\"backup\""), "{journal}");
    assert_eq!(mode(&s.home().join("journal.jsonl")), 0o600);
    // Another run in the same second gets a name of its own, and a second backup
    // within one run gets `-2`.
    let out = s
        .cmd()
        .args([
            "eval",
            &format!(
                r#"[backup("{f}").backup, backup("{f}").backup]"#,
                f = f.display()
            ),
        ])
        .output()
        .expect("run");
    let names: Vec<String> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(names.len(), 2, "{names:?}");
    assert_ne!(names[0], expected.display().to_string());
    assert_eq!(names[1], format!("{}-2", names[0]));
}

#[test]
fn backup_of_a_missing_file_returns_unit_and_of_a_directory_fails_cleanly() {
    let s = Sandbox::new();
    s.cmd()
        .args(["eval", r#"backup("/nonexistent/x.json").backup == ()"#])
        .assert()
        .success()
        .stdout("true\n");
    let out = s
        .cmd()
        .args(["eval", &format!(r#"backup("{}")"#, s.openclaw().display())])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is a directory; back up the files inside it one by one"));
    assert!(!s.home().join("backups").exists());
}

#[test]
fn confirm_refuses_without_a_terminal_and_yes_answers_it() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["eval", r#"confirm("Go?")"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: confirm: cannot ask \"Go?\": stdin is not a terminal; rerun with --yes to answer yes\n"
    ));
    s.cmd()
        .args(["--yes", "eval", r#"confirm("Go?")"#])
        .assert()
        .success()
        .stdout("true\n");
}

#[test]
fn now_follows_clawshift_now_and_a_bad_value_is_a_usage_error() {
    let s = Sandbox::new();
    s.cmd()
        .args(["eval", "now()"])
        .assert()
        .success()
        .stdout("1795608000000\n");
    let out = s
        .cmd()
        .env("CLAWSHIFT_NOW", "yesterday")
        .args(["eval", "now()"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: CLAWSHIFT_NOW=`yesterday` is not an RFC 3339 time"));
}

#[test]
fn a_closed_stdout_exits_quietly() {
    let s = Sandbox::new();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("clawshift"))
        .env_clear()
        .env("CLAWSHIFT_HOME", s.home())
        .args(["eval", "for i in 0..100000 { print(i) }"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_file_on_disk_cannot_shadow_the_stdlib() {
    let s = Sandbox::new();
    s.write("clawshift/lib/std/profiles.rhai", "fn join(a, b) { 42 }\n");
    s.write("clawshift/lib/mine.rhai", "fn answer() { 41 }\n");
    s.cmd()
        .args([
            "eval",
            r#"import "std/profiles" as p; import "mine" as m; `${p::join(["a", "b"], "+")} ${m::answer()}`"#,
        ])
        .assert()
        .success()
        .stdout("a+b 41\n");
}

#[test]
fn eject_keeps_an_edited_copy_unless_forced_and_list_shows_the_winner() {
    let s = Sandbox::new();
    s.cmd()
        .args(["scripts", "list"])
        .assert()
        .success()
        .stdout("add-profile    built-in\nswitch         built-in\nlib/policy     built-in\n");
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let user = s.home().join("scripts/switch.rhai");
    s.cmd()
        .args(["scripts", "list"])
        .assert()
        .success()
        .stdout(format!(
            "add-profile    built-in\nswitch         {} (your copy; overrides built-in)\nlib/policy     {} (your copy; overrides built-in)\n",
            user.display(),
            s.home().join("lib/policy.rhai").display()
        ));
    let edited = format!(
        "{}\n// mine\n",
        std::fs::read_to_string(&user).expect("copy")
    );
    std::fs::write(&user, &edited).expect("edit");
    let out = s
        .cmd()
        .args(["scripts", "eject", "switch"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("differs from the built-in copy; keeping your edits (use --force")
    );
    assert_eq!(std::fs::read_to_string(&user).expect("copy"), edited);
    s.cmd()
        .args(["scripts", "eject", "--force", "switch"])
        .assert()
        .success();
    assert_ne!(std::fs::read_to_string(&user).expect("copy"), edited);
    // The overwritten edit is in the backups, and `undo` brings it back.
    s.cmd().arg("undo").assert().success();
    assert_eq!(std::fs::read_to_string(&user).expect("copy"), edited);
}

#[test]
fn check_reports_a_broken_user_script_with_its_location_and_exit_2() {
    let s = Sandbox::new();
    s.write("clawshift/scripts/mine.rhai", "let a = 1;\nlet b = a +;\n");
    let out = s.cmd().arg("check").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("ok      builtin:switch.rhai\n"));
    let path = s.home().join("scripts/mine.rhai");
    assert!(
        stderr(&out).contains(&format!("--> {}:2:12", path.display())),
        "{}",
        stderr(&out)
    );
}
