//! Everything that fits clawshift into a user's setup rather than into OpenClaw's state:
//! the OpenClaw skill (`skill install|remove|show`), shell completions and the man page
//! (generated from the clap definitions, so they cannot drift), `uninstall`, and running
//! a command once per OpenClaw agent (`--all-agents`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use clap::CommandFactory;
use serde_json::Value;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::files;
use crate::host::{Host, HostOptions, Streams};

/// The skill, as shipped in the repository's `skill/` dir.
pub const SKILL_MD: &str = include_str!("../skill/SKILL.md");
/// The skill's name: its dir name under a skills root, and its front matter `name`.
pub const SKILL_NAME: &str = "clawshift";

/// The ids of every agent OpenClaw knows: the keys of `agents.entries` (2026.9 and
/// later), the ids in `agents.list` (earlier releases), the dirs under `<state>/agents/`,
/// and `main`. Sorted, without repeats.
pub fn known_agents(host: &Host) -> Result<Vec<String>, Error> {
    let mut ids: Vec<String> = crate::openclaw::all_agent_dirs(host)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let config = crate::openclaw::config::load(&host.openclaw_config_path)?;
    if let Some(entries) = config.pointer("/agents/entries").and_then(Value::as_object) {
        ids.extend(entries.keys().cloned());
    }
    if let Some(list) = config.pointer("/agents/list").and_then(Value::as_array) {
        ids.extend(
            list.iter()
                .filter_map(|a| a.get("id").and_then(Value::as_str))
                .map(str::to_string),
        );
    }
    ids.retain(|id| crate::host::valid_agent_id(id));
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The workspace OpenClaw gives `agent`: its configured `workspace`, else (for `main`)
/// `agents.defaults.workspace`, else `<state>/workspace` for `main` and
/// `<state>/workspace-<id>` for the others (as `openclaw skills list --agent` reports).
pub fn agent_workspace(host: &Host, agent: &str) -> Result<PathBuf, Error> {
    let config = crate::openclaw::config::load(&host.openclaw_config_path)?;
    let from_entries = config
        .pointer(&format!("/agents/entries/{agent}/workspace"))
        .and_then(Value::as_str);
    let from_list = config
        .pointer("/agents/list")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter()
                .find(|a| a.get("id").and_then(Value::as_str) == Some(agent))
        })
        .and_then(|a| a.get("workspace"))
        .and_then(Value::as_str);
    let from_defaults = config
        .pointer("/agents/defaults/workspace")
        .and_then(Value::as_str)
        .filter(|_| agent == "main");
    Ok(match from_entries.or(from_list).or(from_defaults) {
        Some(dir) => match dir.strip_prefix("~/") {
            Some(rest) => host.home.join(rest),
            None => PathBuf::from(dir),
        },
        None if agent == "main" => host.openclaw_state_dir.join("workspace"),
        None => host.openclaw_state_dir.join(format!("workspace-{agent}")),
    })
}

/// Where `skill install` puts the skill dir: the agent's workspace `skills/` when
/// `--agent` was given, else OpenClaw's shared managed dir `<state>/skills`.
fn skill_dir(host: &Host, agent_given: bool) -> Result<PathBuf, Error> {
    let root = if agent_given {
        agent_workspace(host, &host.agent)?.join("skills")
    } else {
        host.openclaw_state_dir.join("skills")
    };
    Ok(root.join(SKILL_NAME))
}

pub fn skill_install(host: &Rc<Host>, agent_given: bool) -> Result<ExitCode, Error> {
    if agent_given && !known_agents(host)?.contains(&host.agent) {
        return Err(Error::Usage(format!(
            "OpenClaw knows no agent `{}` (in `{}` or under `{}`); `openclaw agents list` shows them",
            host.agent,
            host.openclaw_config_path.display(),
            host.openclaw_state_dir.join("agents").display()
        )));
    }
    let dir = skill_dir(host, agent_given)?;
    let file = dir.join("SKILL.md");
    if files::read_optional(&file)?.as_deref() == Some(SKILL_MD.as_bytes()) {
        host.println(&format!("skill already installed: {}", dir.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    if host.dry_run {
        host.println(&format!(
            "dry-run: would install the skill in {}",
            dir.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::Failure(format!(
            "cannot create `{}`: {e}{}",
            dir.display(),
            files::io_hint(&e)
        ))
    })?;
    files::write_file(host, &file, SKILL_MD.as_bytes(), 0o644)?;
    host.println(&format!("installed the skill in {}", dir.display()))?;
    let scope = if agent_given {
        format!("openclaw skills info {SKILL_NAME} --agent {}", host.agent)
    } else {
        format!("openclaw skills info {SKILL_NAME}")
    };
    host.println(&format!(
        "OpenClaw picks it up in new sessions; check with `{scope}`"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// True when `SKILL.md` at `file` is a clawshift skill (any version of it): its front
/// matter names it `clawshift`. Anything else in that dir is someone else's, left alone.
fn is_our_skill(file: &Path) -> Result<bool, Error> {
    let Some(bytes) = files::read_optional(file)? else {
        return Ok(false);
    };
    let text = String::from_utf8_lossy(&bytes);
    let Some(front) = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split("\n---").next())
    else {
        return Ok(false);
    };
    Ok(front
        .lines()
        .any(|l| l.trim() == format!("name: {SKILL_NAME}")))
}

pub fn skill_remove(host: &Rc<Host>, agent_given: bool) -> Result<ExitCode, Error> {
    let dir = skill_dir(host, agent_given)?;
    let file = dir.join("SKILL.md");
    if !file.exists() {
        host.println(&format!("no skill to remove in {}", dir.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !is_our_skill(&file)? {
        return Err(Error::Failure(format!(
            "`{}` is not clawshift's skill (its front matter does not say `name: {SKILL_NAME}`); leaving it alone",
            file.display()
        )));
    }
    if host.dry_run {
        host.println(&format!(
            "dry-run: would remove the skill in {}",
            dir.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    files::remove_file(host, &file)?;
    // The dir goes too when the skill was all it held; anything else keeps it.
    let _ = std::fs::remove_dir(&dir);
    host.println(&format!("removed the skill from {}", dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn completions(host: &Rc<Host>, shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clawshift", &mut out);
    print_bytes(host, &out)
}

pub fn man(host: &Rc<Host>, out_dir: Option<&Path>) -> Result<ExitCode, Error> {
    let Some(dir) = out_dir else {
        let mut out = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut out)
            .map_err(|e| Error::Failure(format!("cannot render the man page: {e}")))?;
        return print_bytes(host, &out);
    };
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    man_pages(cmd, &mut pages);
    if !host.dry_run {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Failure(format!(
                "cannot create `{}`: {e}{}",
                dir.display(),
                files::io_hint(&e)
            ))
        })?;
    }
    for page in pages {
        let path = dir.join(page.get_filename());
        if host.dry_run {
            host.println(&format!("dry-run: would write {}", path.display()))?;
            continue;
        }
        let mut out = Vec::new();
        page.render(&mut out)
            .map_err(|e| Error::Failure(format!("cannot render the man page: {e}")))?;
        files::atomic_write(&path, &out, 0o644)?;
        host.println(&format!("wrote {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The page of `cmd`, then those of its subcommands (named `clawshift-<sub>` by clap once
/// the command is built), depth first.
fn man_pages(cmd: clap::Command, pages: &mut Vec<clap_mangen::Man>) {
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    pages.push(clap_mangen::Man::new(cmd));
    for sub in subs {
        man_pages(sub, pages);
    }
}

fn print_bytes(host: &Host, bytes: &[u8]) -> Result<ExitCode, Error> {
    let text = String::from_utf8_lossy(bytes);
    host.println(text.trim_end_matches('\n'))?;
    Ok(ExitCode::SUCCESS)
}

/// One thing `uninstall` removes.
enum Item {
    Crontab(String),
    OpenclawJob(String, String),
    Skill(PathBuf),
    Dir(PathBuf, &'static str),
}

/// Refuses to delete a clawshift dir that holds, or is, OpenClaw's or Codex's state or the
/// home dir itself (a `CLAWSHIFT_HOME` pointed at the wrong place).
fn check_own_dir(host: &Host, dir: &Path) -> Result<(), Error> {
    for (other, what) in [
        (&host.openclaw_state_dir, "OpenClaw's state dir"),
        (&host.codex_home, "Codex's home"),
        (&host.home, "your home dir"),
    ] {
        if other.starts_with(dir) {
            return Err(Error::Failure(format!(
                "clawshift's dir `{}` holds {what} `{}`; not removing it (check CLAWSHIFT_HOME / XDG_*_HOME)",
                dir.display(),
                other.display()
            )));
        }
    }
    Ok(())
}

/// What `uninstall` would remove, and a note when it could not find out whether an
/// OpenClaw cron job is among it.
fn uninstall_items(host: &Host) -> Result<(Vec<Item>, Option<String>), Error> {
    let mut items: Vec<Item> = crate::cron::crontab_ours(host)?
        .into_iter()
        .map(Item::Crontab)
        .collect();
    let note = match crate::cron::openclaw_ours(host) {
        None => Some("`openclaw` is not on PATH, so OpenClaw cron jobs were not checked; if you scheduled through OpenClaw, run `clawshift cron remove --via openclaw` where it is.".to_string()),
        Some(Err(e)) => Some(format!("OpenClaw cron jobs were not checked ({e}); if you scheduled through OpenClaw, run `clawshift cron remove --via openclaw` once it works.")),
        Some(Ok(jobs)) => {
            items.extend(jobs.into_iter().map(|(id, cmd)| Item::OpenclawJob(id, cmd)));
            None
        }
    };
    let mut skill_dirs = vec![host.openclaw_state_dir.join("skills").join(SKILL_NAME)];
    for agent in known_agents(host)? {
        skill_dirs.push(
            agent_workspace(host, &agent)?
                .join("skills")
                .join(SKILL_NAME),
        );
    }
    skill_dirs.dedup();
    for dir in skill_dirs {
        if is_our_skill(&dir.join("SKILL.md"))? {
            items.push(Item::Skill(dir));
        }
    }
    let mut dirs = vec![(&host.config_dir, "scripts and config")];
    if host.state_dir != host.config_dir {
        dirs.push((&host.state_dir, "state, journal and backups"));
    } else {
        dirs[0].1 = "scripts, config, state, journal and backups";
    }
    for (dir, what) in dirs {
        if dir.exists() {
            check_own_dir(host, dir)?;
            items.push(Item::Dir(dir.clone(), what));
        }
    }
    Ok((items, note))
}

fn describe(item: &Item) -> String {
    match item {
        Item::Crontab(line) => format!("crontab entry: {line}"),
        Item::OpenclawJob(id, cmd) => format!("OpenClaw cron job {id}: {cmd}"),
        Item::Skill(dir) => format!("skill: {}", dir.display()),
        Item::Dir(dir, what) => format!("dir: {} ({what})", dir.display()),
    }
}

pub fn uninstall(host: &Rc<Host>) -> Result<ExitCode, Error> {
    let (items, note) = uninstall_items(host)?;
    let keep =
        "OpenClaw's and Codex's files are left alone: the profiles you added stay in OpenClaw.";
    if items.is_empty() {
        host.println("nothing to remove: no cron entry, skill or clawshift dir found")?;
        if let Some(note) = &note {
            host.println(note)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let verb = if host.dry_run {
        "dry-run: would remove"
    } else {
        "will remove"
    };
    for item in &items {
        host.println(&format!("{verb} {}", describe(item)))?;
    }
    host.println(keep)?;
    if let Some(note) = &note {
        host.println(note)?;
    }
    if host.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    if !confirm(host, "Remove all of the above?")? {
        host.println("nothing removed")?;
        return Ok(ExitCode::from(1));
    }
    for item in &items {
        match item {
            Item::Crontab(_) => {
                crate::cron::run(
                    host,
                    crate::cron::Action::Remove,
                    "10m",
                    crate::cron::Via::Crontab,
                    false,
                )?;
            }
            Item::OpenclawJob(id, _) => {
                crate::cron::openclaw_rm(host, id)?;
                host.println(&format!("removed {}", describe(item)))?;
            }
            Item::Skill(dir) => {
                // No backup: the backups dir is about to go, and the skill is the
                // binary's own text, which `skill install` writes again.
                std::fs::remove_file(dir.join("SKILL.md")).map_err(|e| {
                    Error::Failure(format!("cannot delete `{}`: {e}", dir.display()))
                })?;
                let _ = std::fs::remove_dir(dir);
                host.println(&format!("removed {}", describe(item)))?;
            }
            Item::Dir(dir, _) => {
                std::fs::remove_dir_all(dir).map_err(|e| {
                    Error::Failure(format!(
                        "cannot delete `{}`: {e}{}",
                        dir.display(),
                        files::io_hint(&e)
                    ))
                })?;
                host.println(&format!("removed {}", describe(item)))?;
            }
        }
    }
    host.println("to remove the binary too: cargo uninstall clawshift")?;
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; `--yes` answers for the user, and without a terminal the
/// answer must come from `--yes`.
fn confirm(host: &Host, prompt: &str) -> Result<bool, Error> {
    use std::io::{BufRead, Write};
    if host.yes {
        return Ok(true);
    }
    if !host.stdin_is_tty {
        return Err(Error::Usage(format!(
            "cannot ask \"{prompt}\": stdin is not a terminal; rerun with --yes to answer yes"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt} [y/N] ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::Failure(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Runs `command` once per agent OpenClaw knows, each with a host of its own (so its own
/// agent dir, store lock and switch state file). Text output gets a `== agent ID` header
/// per agent (switch stays silent and names the agent in its notice instead); `--json`
/// output becomes one object keyed by agent id. A failing agent is reported, naming it,
/// and the others still run; the exit code is the worst one.
pub fn for_each_agent(
    host: &Rc<Host>,
    opts: HostOptions,
    command: Command,
) -> Result<ExitCode, Error> {
    let json = matches!(
        command,
        Command::Status { json: true, .. } | Command::Doctor { json: true, .. }
    );
    let is_switch = matches!(command, Command::Switch { .. });
    let mut worst: u8 = 0;
    let mut collected = serde_json::Map::new();
    for agent in known_agents(host)? {
        let streams = Streams {
            stdin: host.stdin_is_tty,
            stdout: host.stdout_is_tty,
            stderr: host.stderr_is_tty,
            capture: json,
        };
        let agent_opts = HostOptions {
            agent: Some(agent.clone()),
            ..opts.clone()
        };
        let h = Rc::new(Host::from_parts(
            host.vars().clone(),
            host.home.clone(),
            agent_opts,
            streams,
        )?);
        if !json && !is_switch {
            host.println(&format!("== agent {agent}"))?;
        }
        let result = match &command {
            Command::Switch {
                explain,
                json,
                replay,
                ..
            } => {
                let mut args = crate::commands::switch_args(*explain, *json, replay.as_deref());
                args.push("--name-agent".into());
                crate::commands::run_switch(&h, &args)
            }
            other => crate::commands::dispatch(&h, other.clone(), true),
        };
        openclaw_close();
        match result {
            Ok(code) => {
                if code != ExitCode::SUCCESS {
                    worst = worst.max(1);
                }
            }
            Err(Error::BrokenPipe) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                eprint!("agent {agent}: {}", crate::report::render(&e, None));
                worst = worst.max(e.exit_code());
            }
        }
        if json {
            let text = h.captured();
            let value = serde_json::from_str(&text).unwrap_or(Value::Null);
            collected.insert(agent, value);
        }
    }
    if json {
        let text = serde_json::to_string_pretty(&Value::Object(collected))
            .map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
    }
    Ok(ExitCode::from(worst))
}

/// Each agent's databases are its own; close them before the next agent opens its own.
fn openclaw_close() {
    crate::openclaw::sqlite::close_all();
}
