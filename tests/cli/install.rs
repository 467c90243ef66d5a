//! Fitting clawshift into a user's setup: the OpenClaw skill, completions, the man page,
//! `uninstall`, and `--all-agents`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{Sandbox, mode, stderr, stdout, walk};

const SKILL: &str = include_str!("../../skill/SKILL.md");

/// Every file under `dir` with its bytes, to see that a command changed nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walk(dir)
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect()
}

/// The YAML front matter of SKILL.md, and its `metadata` block parsed as OpenClaw does
/// (JSON5).
fn front_matter() -> (String, serde_json::Value) {
    let rest = SKILL.strip_prefix("---\n").expect("front matter opens");
    let (front, _) = rest.split_once("\n---\n").expect("front matter closes");
    let meta = front
        .split_once("metadata:")
        .expect("metadata key")
        .1
        .to_string();
    let meta: serde_json::Value = json5::from_str(&meta).expect("metadata is JSON5");
    (front.to_string(), meta)
}

#[test]
fn the_skill_declares_the_clawshift_binary_and_says_what_never_to_do() {
    let (front, meta) = front_matter();
    assert!(front.lines().any(|l| l == "name: clawshift"), "{front}");
    assert!(front.lines().any(|l| l.starts_with("description: ")));
    assert_eq!(
        meta["openclaw"]["requires"]["bins"],
        serde_json::json!(["clawshift"])
    );
    for needed in [
        "clawshift status --json",
        "clawshift switch --explain --dry-run",
        "clawshift switch ",
        "codex logout",
        "Never print",
        "by hand",
    ] {
        assert!(SKILL.contains(needed), "SKILL.md lacks `{needed}`");
    }
    // Nothing secret: no token-shaped strings, no home paths.
    for bad in ["eyJ", "sk-", "/root/", "/home/"] {
        assert!(!SKILL.contains(bad), "SKILL.md contains `{bad}`");
    }
}

#[test]
fn skill_show_prints_the_shipped_skill() {
    let s = Sandbox::new();
    s.cmd()
        .args(["skill", "show"])
        .assert()
        .success()
        .stdout(format!("{}\n", SKILL.trim_end()));
}

#[test]
fn skill_install_puts_it_in_openclaws_managed_dir_once() {
    let s = Sandbox::new();
    let dir = s.openclaw().join("skills/clawshift");
    s.cmd()
        .args(["--dry-run", "skill", "install"])
        .assert()
        .success()
        .stdout(format!(
            "dry-run: would install the skill in {}\n",
            dir.display()
        ));
    assert!(!s.openclaw().join("skills").exists());
    s.cmd()
        .args(["skill", "install"])
        .assert()
        .success()
        .stdout(format!(
            "installed the skill in {}\nOpenClaw picks it up in new sessions; check with `openclaw skills info clawshift`\n",
            dir.display()
        ));
    assert_eq!(s.read("openclaw/skills/clawshift/SKILL.md"), SKILL);
    assert_eq!(mode(&dir.join("SKILL.md")), 0o644);
    assert_eq!(walk(&dir), vec![dir.join("SKILL.md")]);
    let journal = s.read("clawshift/journal.jsonl");
    s.cmd()
        .args(["skill", "install"])
        .assert()
        .success()
        .stdout(format!("skill already installed: {}\n", dir.display()));
    assert_eq!(
        s.read("clawshift/journal.jsonl"),
        journal,
        "a no-op journals nothing"
    );
}

#[test]
fn skill_install_replaces_an_older_version_and_backs_it_up() {
    let s = Sandbox::new();
    let old = "---\nname: clawshift\ndescription: old\n---\nold text\n";
    s.write("openclaw/skills/clawshift/SKILL.md", old);
    s.cmd().args(["skill", "install"]).assert().success();
    assert_eq!(s.read("openclaw/skills/clawshift/SKILL.md"), SKILL);
    let backups: Vec<String> = walk(&s.home().join("backups"))
        .iter()
        .filter(|p| p.is_file())
        .map(|p| std::fs::read_to_string(p).expect("backup"))
        .collect();
    assert_eq!(backups, vec![old.to_string()]);
}

#[test]
fn skill_install_for_an_agent_goes_to_that_agents_workspace() {
    let s = Sandbox::new();
    s.write(
        "openclaw/openclaw.json",
        r#"{ agents: { ownership: "explicit", entries: { main: {}, work: {}, ops: { workspace: "~/ops-ws" } } } }"#,
    );
    s.cmd()
        .args(["--agent", "work", "skill", "install"])
        .assert()
        .success();
    assert_eq!(
        s.read("openclaw/workspace-work/skills/clawshift/SKILL.md"),
        SKILL
    );
    s.cmd()
        .args(["--agent", "ops", "skill", "install"])
        .assert()
        .success();
    assert_eq!(s.read("home/ops-ws/skills/clawshift/SKILL.md"), SKILL);
    s.cmd()
        .args(["--agent", "main", "skill", "install"])
        .assert()
        .success();
    assert_eq!(
        s.read("openclaw/workspace/skills/clawshift/SKILL.md"),
        SKILL
    );
    assert!(!s.openclaw().join("skills").exists(), "not the shared dir");
}

#[test]
fn skill_install_for_an_unknown_agent_names_it_and_writes_nothing() {
    let s = Sandbox::new();
    let before = snapshot(s.root());
    let out = s
        .cmd()
        .args(["--agent", "nope", "skill", "install"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "error: OpenClaw knows no agent `nope` (in `{}` or under `{}`); `openclaw agents list` shows them\n",
            s.openclaw().join("openclaw.json").display(),
            s.openclaw().join("agents").display()
        )
    );
    assert_eq!(snapshot(s.root()), before);
}

#[test]
fn skill_remove_undoes_install_and_leaves_a_foreign_skill_alone() {
    let s = Sandbox::new();
    let dir = s.openclaw().join("skills/clawshift");
    s.cmd().args(["skill", "install"]).assert().success();
    s.cmd()
        .args(["skill", "remove"])
        .assert()
        .success()
        .stdout(format!("removed the skill from {}\n", dir.display()));
    assert!(!dir.exists());
    assert!(
        s.openclaw().join("skills").exists(),
        "the skills root stays"
    );
    s.cmd()
        .args(["skill", "remove"])
        .assert()
        .success()
        .stdout(format!("no skill to remove in {}\n", dir.display()));

    let foreign = "---\nname: something-else\n---\nmine\n";
    s.write("openclaw/skills/clawshift/SKILL.md", foreign);
    let out = s.cmd().args(["skill", "remove"]).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: `{}` is not clawshift's skill (its front matter does not say `name: clawshift`); leaving it alone\n",
            dir.join("SKILL.md").display()
        )
    );
    assert_eq!(s.read("openclaw/skills/clawshift/SKILL.md"), foreign);
}

#[test]
fn bash_completions_load_and_know_every_subcommand() {
    let s = Sandbox::new();
    let out = s.cmd().args(["completions", "bash"]).output().expect("run");
    assert!(out.status.success());
    let script = s.write("clawshift.bash", &stdout(&out));
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(check.status.success(), "{}", stderr(&check));
    // Sourced, it registers the completion function for `clawshift`.
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". {} && complete -p clawshift", script.display()))
        .output()
        .expect("bash");
    assert_eq!(
        stdout(&loaded),
        "complete -o bashdefault -o default -o nosort -F _clawshift clawshift\n"
    );
    let text = stdout(&out);
    for word in [
        "add-profile",
        "switch",
        "skill",
        "completions",
        "uninstall",
        "--all-agents",
    ] {
        assert!(text.contains(word), "bash completions lack `{word}`");
    }
}

#[test]
fn completions_exist_for_zsh_fish_and_powershell() {
    let s = Sandbox::new();
    for (shell, first) in [
        ("zsh", "#compdef clawshift"),
        (
            "fish",
            "# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.",
        ),
        ("powershell", ""),
    ] {
        let out = s.cmd().args(["completions", shell]).output().expect("run");
        assert!(out.status.success(), "{shell}");
        let text = stdout(&out);
        assert_eq!(text.lines().next(), Some(first), "{shell}");
        assert!(text.contains("uninstall"), "{shell}");
    }
    let out = s.cmd().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_man_page_has_its_sections_and_renders() {
    let s = Sandbox::new();
    let out = s.cmd().arg("man").output().expect("run");
    assert!(out.status.success());
    let roff = stdout(&out);
    assert!(roff.starts_with(".ie \\n(.g .ds Aq \\(aq\n"), "{roff}");
    assert!(roff.contains("\n.TH clawshift 1  \"clawshift "), "{roff}");
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "VERSION",
    ] {
        assert!(roff.contains(&format!("\n.SH {section}\n")), "no {section}");
    }
    let page = s.write("clawshift.1", &roff);
    // groff renders it (warnings on) when it is installed; the sections above are the
    // check where it is not.
    if let Ok(r) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(&page)
        .env("LANG", "C.UTF-8")
        .output()
    {
        assert!(r.status.success(), "{}", stderr(&r));
        assert_eq!(stderr(&r), "", "groff warnings");
        let text = stdout(&r);
        assert!(text.contains("clawshift-uninstall"), "{text}");
        assert!(
            text.contains("--all-agents") || text.contains("status"),
            "{text}"
        );
    }
}

#[test]
fn man_out_dir_writes_a_page_per_command_that_groff_renders() {
    let s = Sandbox::new();
    let dir = s.root().join("man1");
    s.cmd()
        .args(["--dry-run", "man", "--out-dir"])
        .arg(&dir)
        .assert()
        .success();
    assert!(!dir.exists(), "--dry-run writes nothing");
    let out = s
        .cmd()
        .args(["man", "--out-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut written: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            l.strip_prefix(&format!("wrote {}/", dir.display()))
                .expect("wrote line")
                .to_string()
        })
        .collect();
    written.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    on_disk.sort();
    assert_eq!(written, on_disk);
    for page in [
        "clawshift.1",
        "clawshift-switch.1",
        "clawshift-skill-install.1",
        "clawshift-uninstall.1",
        "clawshift-completions.1",
    ] {
        assert!(on_disk.contains(&page.to_string()), "{page} missing");
    }
    assert_eq!(on_disk.len(), 24);
    for page in &on_disk {
        assert_eq!(mode(&dir.join(page)), 0o644, "{page}");
    }
    if let Ok(r) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .arg(dir.join("clawshift-switch.1"))
        .output()
    {
        assert!(r.status.success());
        assert_eq!(stderr(&r), "");
        let text = stdout(&r).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("Every agent OpenClaw knows, one after the other"),
            "{text}"
        );
    }
}

const FAKE_CRONTAB: &str = r#"#!/bin/sh
f="$(dirname "$0")/../crontab.txt"
case "$1" in
  -l) if [ -f "$f" ]; then cat "$f"; else echo "no crontab for tester" >&2; exit 1; fi ;;
  -) cat > "$f" ;;
  *) echo "fake crontab: unexpected $*" >&2; exit 2 ;;
esac
"#;

const NO_OPENCLAW: &str = "`openclaw` is not on PATH, so OpenClaw cron jobs were not checked; if you scheduled through OpenClaw, run `clawshift cron remove --via openclaw` where it is.";

/// A sandbox as a user leaves it: a crontab with their own line and clawshift's, the
/// skill installed, clawshift's dir with state, and OpenClaw's and Codex's own files.
fn installed() -> (Sandbox, String) {
    let s = Sandbox::new();
    s.install_bin("crontab", FAKE_CRONTAB);
    s.write("crontab.txt", "0 3 * * * /usr/bin/backup # nightly\n");
    s.cmd().args(["cron", "install"]).assert().success();
    s.cmd().args(["skill", "install"]).assert().success();
    s.write("clawshift/switch-state.json", "{}\n");
    s.write("openclaw/openclaw.json", "{}\n");
    s.write("codex/auth.json", "{\"tokens\":{}}\n");
    let line = s
        .read("crontab.txt")
        .lines()
        .find(|l| l.ends_with("# clawshift-switch"))
        .expect("cron line")
        .to_string();
    (s, line)
}

#[test]
fn uninstall_dry_run_lists_cron_skill_and_dirs_and_touches_nothing() {
    let (s, line) = installed();
    let before = snapshot(s.root());
    s.cmd()
        .args(["uninstall", "--dry-run"])
        .assert()
        .success()
        .stdout(format!(
            "dry-run: would remove crontab entry: {line}\n\
             dry-run: would remove skill: {}\n\
             dry-run: would remove dir: {} (scripts, config, state, journal and backups)\n\
             OpenClaw's and Codex's files are left alone: the profiles you added stay in OpenClaw.\n\
             {NO_OPENCLAW}\n",
            s.openclaw().join("skills/clawshift").display(),
            s.home().display()
        ));
    assert_eq!(snapshot(s.root()), before);
}

#[test]
fn uninstall_asks_first_and_without_a_terminal_needs_yes() {
    let (s, _) = installed();
    let before = snapshot(s.root());
    let out = s.cmd().arg("uninstall").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: cannot ask \"Remove all of the above?\": stdin is not a terminal; rerun with --yes to answer yes\n"
    );
    assert_eq!(snapshot(s.root()), before);
}

#[test]
fn uninstall_yes_removes_only_what_clawshift_added() {
    let (s, line) = installed();
    let out = s.cmd().args(["uninstall", "--yes"]).output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "will remove crontab entry: {line}\n\
             will remove skill: {skill}\n\
             will remove dir: {home} (scripts, config, state, journal and backups)\n\
             OpenClaw's and Codex's files are left alone: the profiles you added stay in OpenClaw.\n\
             {NO_OPENCLAW}\n\
             removed from your crontab: {line}\n\
             removed skill: {skill}\n\
             removed dir: {home} (scripts, config, state, journal and backups)\n\
             to remove the binary too: cargo uninstall clawshift\n",
            skill = s.openclaw().join("skills/clawshift").display(),
            home = s.home().display()
        )
    );
    assert_eq!(
        s.read("crontab.txt"),
        "0 3 * * * /usr/bin/backup # nightly\n"
    );
    assert!(!s.home().exists());
    assert!(!s.openclaw().join("skills/clawshift").exists());
    assert_eq!(s.read("openclaw/openclaw.json"), "{}\n");
    assert_eq!(s.read("codex/auth.json"), "{\"tokens\":{}}\n");
    s.cmd()
        .args(["uninstall", "--yes"])
        .assert()
        .success()
        .stdout(format!(
            "nothing to remove: no cron entry, skill or clawshift dir found\n{NO_OPENCLAW}\n"
        ));
}

#[test]
fn uninstall_removes_the_openclaw_cron_job_through_openclaw() {
    let s = Sandbox::new();
    s.install_bin("openclaw", crate::switch::FAKE_OPENCLAW_CRON);
    s.cmd()
        .args(["cron", "install", "--via", "openclaw"])
        .assert()
        .success();
    let command = format!(
        "PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch",
        s.bin().display(),
        s.root().join("home").display(),
        s.home().display(),
        s.openclaw().display(),
        s.codex().display(),
        assert_cmd::cargo::cargo_bin("clawshift").display()
    );
    s.cmd()
        .args(["uninstall", "--dry-run"])
        .assert()
        .success()
        .stdout(format!(
            "dry-run: would remove OpenClaw cron job job-1: {command}\n\
             dry-run: would remove dir: {} (scripts, config, state, journal and backups)\n\
             OpenClaw's and Codex's files are left alone: the profiles you added stay in OpenClaw.\n",
            s.home().display()
        ));
    assert!(s.root().join("job.json").exists());
    s.cmd().args(["uninstall", "--yes"]).assert().success();
    assert!(!s.root().join("job.json").exists());
    assert!(
        s.read("calls.txt")
            .ends_with("cron rm job-1 offline=true\n")
    );
}

#[test]
fn uninstall_says_when_it_could_not_ask_openclaw_for_cron_jobs() {
    let s = Sandbox::new();
    s.install_bin(
        "openclaw",
        "#!/bin/sh\necho 'gateway closed (1006)' >&2\nexit 1\n",
    );
    let out = s
        .cmd()
        .args(["uninstall", "--dry-run"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let last = text.lines().last().expect("a line");
    assert!(
        last.starts_with("OpenClaw cron jobs were not checked (`openclaw cron list` failed"),
        "{text}"
    );
    assert!(
        last.ends_with("if you scheduled through OpenClaw, run `clawshift cron remove --via openclaw` once it works."),
        "{text}"
    );
}

#[test]
fn uninstall_refuses_a_clawshift_dir_that_holds_openclaws_state() {
    let s = Sandbox::new();
    let before = snapshot(s.root());
    let out = s
        .cmd()
        .env("CLAWSHIFT_HOME", s.root())
        .args(["uninstall", "--yes"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: clawshift's dir `{}` holds OpenClaw's state dir `{}`; not removing it (check CLAWSHIFT_HOME / XDG_*_HOME)\n",
            s.root().display(),
            s.openclaw().display()
        )
    );
    assert_eq!(snapshot(s.root()), before);
}

/// Two agents, main and work, each with its own store, in the 2026.4 JSON layout with
/// Opus cooling down.
fn two_agents() -> Sandbox {
    let s = Sandbox::new();
    crate::switch::seed(&s, "legacy-opus-cooling");
    let main = s.openclaw().join("agents/main/agent/auth-profiles.json");
    let work = s.openclaw().join("agents/work/agent");
    std::fs::create_dir_all(&work).expect("mkdir");
    std::fs::copy(&main, work.join("auth-profiles.json")).expect("copy");
    s
}

#[test]
fn status_all_agents_shows_each_agent_under_its_name() {
    let s = two_agents();
    let out = s
        .cmd()
        .args(["status", "--all-agents"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(headers, vec!["== agent main", "== agent work"]);
    assert!(text.contains(&format!(
        "Auth store    {}",
        s.openclaw().join("agents/work/agent/auth-profiles.json").display()
    )));

    let out = s
        .cmd()
        .args(["status", "--json", "--all-agents"])
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, vec!["main", "work"]);
    assert_eq!(v["work"]["agent"], "work");
    assert_eq!(v["main"]["agent"], "main");
}

/// `switch --all-agents`, which must succeed with nothing on stderr; its stdout.
fn switch_all_agents(s: &Sandbox) -> String {
    let out = s
        .cmd()
        .args(["switch", "--all-agents"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    stdout(&out)
}

#[test]
fn switch_all_agents_names_the_agent_and_keeps_a_state_file_each() {
    let s = two_agents();
    assert_eq!(
        switch_all_agents(&s),
        "agent main: switched anthropic/claude-opus-4-7 → openai-codex/gpt-5.5@openai-codex:work: anthropic:me cooling down for 41m; openai-codex:work usable\n"
    );
    for f in ["switch-state.json", "switch-state-work.json"] {
        let st: serde_json::Value =
            serde_json::from_str(&s.read(&format!("clawshift/{f}"))).expect("state");
        assert_eq!(st["lastCheckedAt"], 1795608000000_i64, "{f}");
        assert_eq!(mode(&s.home().join(f)), 0o600, "{f}");
    }
    // A second run changes nothing and says nothing, for either agent.
    assert_eq!(switch_all_agents(&s), "");
}

/// The sandbox's openclaw.json after `edit` (written back only when it changed).
fn edit_config(s: &Sandbox, edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    let before: serde_json::Value =
        serde_json::from_str(&s.read("openclaw/openclaw.json")).expect("config");
    let mut cfg = before.clone();
    edit(&mut cfg);
    if cfg != before {
        let text = serde_json::to_string_pretty(&cfg).expect("json");
        std::fs::write(s.openclaw().join("openclaw.json"), text).expect("write");
    }
    cfg
}

/// What `clawshift --agent work eval SNIPPET` prints; it must succeed.
fn as_work(s: &Sandbox, snippet: &str) -> String {
    let out = s
        .cmd()
        .args(["--agent", "work", "eval", snippet])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// `work` runs a model of its own (`agents.entries.work.model`), which OpenClaw uses for
/// it instead of the default: the switch judges and moves that model, and leaves the
/// default to main.
#[test]
fn an_agent_with_a_model_of_its_own_is_switched_there_and_the_default_left_to_main() {
    let s = two_agents();
    edit_config(&s, |cfg| {
        cfg["agents"]["entries"] =
            serde_json::json!({"work": {"model": "anthropic/claude-opus-4-7"}});
    });
    let out = s
        .cmd()
        .args(["--agent", "work", "status", "--json"])
        .output()
        .expect("run");
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status");
    assert_eq!(
        (&st["default_model"], &st["fallbacks"]),
        (
            &serde_json::json!("anthropic/claude-opus-4-7"),
            &serde_json::json!([])
        )
    );
    assert_eq!(
        switch_all_agents(&s),
        "agent main: switched anthropic/claude-opus-4-7 → openai-codex/gpt-5.5@openai-codex:work: anthropic:me cooling down for 41m; openai-codex:work usable\n\
         agent work: switched anthropic/claude-opus-4-7 → openai-codex/gpt-5.5@openai-codex:work: anthropic:me cooling down for 41m; openai-codex:work usable\n"
    );
    let cfg = edit_config(&s, |_| {});
    let chain = serde_json::json!({"primary": "openai-codex/gpt-5.5", "fallbacks": ["anthropic/claude-opus-4-7"]});
    assert_eq!(cfg["agents"]["defaults"]["model"], chain);
    assert_eq!(cfg["agents"]["entries"]["work"]["model"], chain);
    assert_eq!(switch_all_agents(&s), "");
}

/// The older roster, `agents.list`: the agent's own item gets the model, every other
/// item and the default stay as they were.
#[test]
fn an_agent_listed_in_the_older_roster_is_set_in_its_own_item() {
    let s = two_agents();
    let cfg = edit_config(&s, |cfg| {
        cfg["agents"]["list"] = serde_json::json!([
            {"id": "main", "name": "Main"},
            {"id": "work", "model": {"primary": "anthropic/claude-opus-4-7", "note": "kept"}}
        ]);
    });
    let before = cfg["agents"]["defaults"]["model"].clone();
    assert_eq!(
        as_work(
            &s,
            r#"set_model("openai-codex/gpt-5.5", (), #{fallbacks: []}).applied"#
        ),
        "[\n  \"agent work's model: set openai-codex/gpt-5.5 (was anthropic/claude-opus-4-7)\"\n]\n"
    );
    let cfg = edit_config(&s, |_| {});
    assert_eq!(
        cfg["agents"]["list"],
        serde_json::json!([
            {"id": "main", "name": "Main"},
            {"id": "work", "model": {"primary": "openai-codex/gpt-5.5", "note": "kept", "fallbacks": []}}
        ])
    );
    assert_eq!(cfg["agents"]["defaults"]["model"], before);
}

/// An agent whose own `model` lists fallbacks but names no model runs the default model
/// with its own fallbacks (`models status --agent` says `fallbacksSource: "agent"`): the
/// model is set in the default, the fallbacks where the agent reads them.
#[test]
fn an_agent_with_fallbacks_of_its_own_gets_them_and_the_default_gets_the_model() {
    let s = two_agents();
    let cfg = edit_config(&s, |cfg| {
        cfg["agents"]["entries"] = serde_json::json!({"work": {"model": {"fallbacks": []}}});
    });
    let default_fallbacks = cfg["agents"]["defaults"]["model"]["fallbacks"].clone();
    assert_eq!(
        as_work(&s, r#"set_model("openai-codex/gpt-5.5").applied"#),
        "[\n  \"default model: set openai-codex/gpt-5.5 (was anthropic/claude-opus-4-7)\",\n  \"agent work's fallbacks: set anthropic/claude-opus-4-7 (was none)\"\n]\n"
    );
    let cfg = edit_config(&s, |_| {});
    assert_eq!(
        cfg["agents"]["defaults"]["model"]["primary"],
        "openai-codex/gpt-5.5"
    );
    assert_eq!(
        cfg["agents"]["defaults"]["model"]["fallbacks"],
        default_fallbacks
    );
    assert_eq!(
        cfg["agents"]["entries"]["work"]["model"],
        serde_json::json!({"fallbacks": ["anthropic/claude-opus-4-7"]})
    );
}

#[test]
fn a_broken_agent_is_named_and_the_others_still_run() {
    let s = two_agents();
    let store = s.openclaw().join("agents/work/agent/auth-profiles.json");
    std::fs::write(&store, "{broken").expect("write");
    let out = s
        .cmd()
        .args(["status", "--all-agents"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "agent work: error: `{}` is not valid JSON (key must be a string at line 1 column 2); OpenClaw cannot read it either. Restore it from a backup (`clawshift history`, `clawshift undo`) or fix it by hand\n",
            store.display()
        )
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("== agent main\nLayout        legacy-json (agent main)\n"),
        "{text}"
    );
    assert!(text.ends_with("== agent work\n"), "{text}");
    // switch moves main and leaves work's broken store as it was.
    let out = s
        .cmd()
        .args(["switch", "--all-agents"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("agent main: switched "),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).starts_with("agent work: error: models_status: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&store).expect("read"), "{broken");
}

#[test]
fn all_agents_and_agent_together_are_a_usage_error() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["--agent", "work", "status", "--all-agents"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --all-agents and --agent work ask for different agents; give one of them\n"
    );
}

#[test]
fn doctor_all_agents_runs_per_agent_and_fails_when_one_has_an_error() {
    let s = two_agents();
    // The work agent's store is readable by others: an error for that agent.
    let work = s.openclaw().join("agents/work/agent/auth-profiles.json");
    let main = s.openclaw().join("agents/main/agent/auth-profiles.json");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&main, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = s
        .cmd()
        .args(["doctor", "--json", "--all-agents"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let errors = |agent: &str| -> Vec<String> {
        v[agent]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| f["message"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Each agent's run looks at its own store; the mode error is found for work.
    for agent in ["main", "work"] {
        let layout = v[agent]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["check"] == "layout")
            .expect("layout finding");
        assert_eq!(
            layout["message"],
            format!(
                "layout legacy-json (agent {agent}): auth store `{}`",
                s.openclaw()
                    .join(format!("agents/{agent}/agent/auth-profiles.json"))
                    .display()
            )
        );
    }
    assert!(errors("work").contains(&format!(
        "`{}` holds tokens but is readable by others (mode 644)",
        work.display()
    )));
    let out = s
        .cmd()
        .args(["doctor", "--all-agents"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(headers, vec!["== agent main", "== agent work"]);
}

#[test]
fn cron_all_agents_schedules_one_switch_for_every_agent() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["cron", "print", "--all-agents"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "*/10 * * * * PATH={}:/usr/bin:/bin HOME={} CLAWSHIFT_HOME={} OPENCLAW_STATE_DIR={} CODEX_HOME={} {} switch --all-agents # clawshift-switch\n",
            s.bin().display(),
            s.root().join("home").display(),
            s.home().display(),
            s.openclaw().display(),
            s.codex().display(),
            assert_cmd::cargo::cargo_bin("clawshift").display()
        )
    );
}

/// `rust-version` from Cargo.toml, as (major, minor).
fn rust_version() -> (u32, u32) {
    let toml = include_str!("../../Cargo.toml");
    let line = toml
        .lines()
        .find(|l| l.starts_with("rust-version = "))
        .expect("Cargo.toml states rust-version");
    let v = line.trim_start_matches("rust-version = ").trim_matches('"');
    let (major, minor) = v.split_once('.').expect("major.minor");
    (major.parse().expect("major"), minor.parse().expect("minor"))
}

#[test]
fn the_stated_rust_version_is_one_this_toolchain_meets_and_the_readme_says_it() {
    let (major, minor) = rust_version();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .expect("rustc");
    // `rustc 1.95.0 (59807616e 2026-04-14)`
    let text = stdout(&out);
    let ver = text.split_whitespace().nth(1).expect("version word");
    let mut parts = ver.split('.').map(|p| p.parse::<u32>().expect("number"));
    let have = (parts.next().expect("major"), parts.next().expect("minor"));
    assert!(
        have >= (major, minor),
        "{text} is older than {major}.{minor}"
    );
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("You need Rust {major}.{minor} or later")),
        "README does not state Rust {major}.{minor}"
    );
}

#[test]
fn the_readme_first_screen_says_what_it_does_and_the_two_commands_to_try() {
    let readme = include_str!("../../README.md");
    let first: Vec<&str> = readme.lines().take(5).collect();
    assert_eq!(first[0], "# clawshift");
    assert_eq!(first[1], "");
    let pitch = first[2..5].join("\n");
    assert!(pitch.contains("OpenClaw"), "{pitch}");
    assert!(pitch.contains("usage limit"), "{pitch}");
    assert!(pitch.contains("`cargo install --path .`"), "{pitch}");
    assert!(pitch.contains("`clawshift demo`"), "{pitch}");
    assert_eq!(readme.lines().nth(5), Some(""), "three lines, then a break");
}
