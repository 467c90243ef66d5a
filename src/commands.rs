//! The subcommands. Workflows (`add-profile`, `switch`) are scripts; the commands here
//! find, check and run scripts, and describe the API.

use std::process::ExitCode;
use std::rc::Rc;

use rhai::Dynamic;
use serde::Serialize;

use crate::cli::{Command, ScriptsCommand, SkillCommand};
use crate::engine;
use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::scripts::{self, Origin};

/// Runs one command for the host's agent; `agent_given` is whether `--agent` was on the
/// command line (the skill goes to that agent's workspace only then).
pub fn dispatch(host: &Rc<Host>, command: Command, agent_given: bool) -> Result<ExitCode, Error> {
    match command {
        Command::Run { script, args } if script == "switch" => run_switch(host, &args),
        Command::Run { script, args } => run_script(host, &script, &args),
        Command::Eval { snippet } => eval(host, &snippet),
        Command::Check { paths } => check(host, &paths),
        Command::Functions { json } => functions(host, json),
        Command::History { json } => {
            // An entry journaled by an older clawshift may hold a token of any shape:
            // knowing this run's tokens masks it.
            crate::redact::learn_from_run(host);
            crate::undo::history(host, json)
        }
        Command::Undo { id, force } => crate::undo::undo(host, id.as_deref(), force),
        Command::Scripts(ScriptsCommand::List) => scripts_list(host),
        Command::Scripts(ScriptsCommand::Eject { names, force }) => eject(host, &names, force),
        Command::Status { json, .. } => crate::status::run(host, json),
        Command::Doctor { json, .. } => crate::doctor::run(host, json),
        Command::AddProfile {
            name,
            device_auth,
            from_auth_json,
            force,
            ..
        } => {
            let mut args = vec![name];
            if device_auth {
                args.push("--device-auth".into());
            }
            if let Some(file) = from_auth_json {
                args.push("--from-auth-json".into());
                args.push(file.display().to_string());
            }
            if force {
                args.push("--force".into());
            }
            run_script(host, "add-profile", &args)
        }
        Command::Switch {
            explain,
            json,
            replay,
            ..
        } => run_switch(host, &switch_args(explain, json, replay.as_deref())),
        Command::Cron {
            action,
            every,
            via,
            all_agents,
        } => crate::cron::run(host, action, &every, via, all_agents),
        Command::Skill(SkillCommand::Install) => crate::install::skill_install(host, agent_given),
        Command::Skill(SkillCommand::Remove) => crate::install::skill_remove(host, agent_given),
        Command::Skill(SkillCommand::Show) => {
            host.println(crate::install::SKILL_MD.trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => crate::install::completions(host, shell),
        Command::Man { out_dir } => crate::install::man(host, out_dir.as_deref()),
        Command::Uninstall => crate::install::uninstall(host),
        Command::Demo => crate::demo::run(host),
        Command::Simulate {
            days,
            every,
            seed,
            accounts,
            claude: _,
            no_claude,
            usage_mode,
            events,
            json,
            trace,
        } => crate::simulate::run(
            host,
            &crate::simulate::Options {
                days,
                every,
                seed,
                accounts,
                claude: !no_claude,
                usage_mode,
                events,
                json,
                trace,
            },
        ),
    }
}

/// `clawshift switch` flags, handed to the switch script as ARGS in a fixed order.
pub(crate) fn switch_args(
    explain: bool,
    json: bool,
    replay: Option<&std::path::Path>,
) -> Vec<String> {
    let mut args = Vec::new();
    if explain {
        args.push("--explain".to_string());
    }
    if json {
        args.push("--json".to_string());
    }
    if let Some(dir) = replay {
        args.push("--replay".to_string());
        args.push(dir.display().to_string());
    }
    args
}

/// Runs the `switch` script for the host's agent, one run at a time: two runs at once
/// (cron and a person, two cron entries) would both see the same change to make and
/// both announce it. The second waits for the first, then finds nothing to do. Notices
/// a sink failed to take earlier are sent first. `--replay` and `--dry-run` change
/// nothing, so they neither wait nor deliver.
pub fn run_switch(host: &Rc<Host>, args: &[String]) -> Result<ExitCode, Error> {
    if args.iter().any(|a| a == "--replay") {
        return run_script(host, "switch", args);
    }
    let _lock = if host.dry_run {
        None
    } else {
        let lock = switch_lock(host)?;
        crate::testhook::point("switch-locked");
        crate::api::notify::deliver_pending(host);
        Some(lock)
    };
    crate::openclaw::expect_store_size(host);
    run_script(host, "switch", args)
}

/// Takes `<state dir>/locks/switch-<agent>.lock` (a kernel `flock`, released when the
/// process ends, however it ends), waiting up to the run's deadline.
fn switch_lock(host: &Host) -> Result<std::fs::File, Error> {
    let dir = host.state_dir.join("locks");
    files::private_dir(&dir)?;
    let path = dir.join(format!("switch-{}.lock", host.agent));
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| {
                Error::Failure(format!(
                    "cannot open the switch lock `{}`: {e}{}",
                    path.display(),
                    files::io_hint(&e)
                ))
            })?
    };
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::Failure(format!(
                    "cannot lock `{}`: {e}",
                    path.display()
                )));
            }
        }
        if host.past_deadline() {
            return Err(Error::Failure(format!(
                "{}: another `clawshift switch` for agent {} still holds `{}`; nothing was changed. Fix: let it finish (or rerun with a larger `--timeout SECS`)",
                host.timeout_message(),
                host.agent,
                path.display()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(50).min(host.remaining()));
    }
}

/// Runs a script by name or path with `args` as `ARGS`.
pub fn run_script(host: &Rc<Host>, name: &str, args: &[String]) -> Result<ExitCode, Error> {
    let script = scripts::resolve(host, name)?;
    let engine = engine::build_engine(host)?;
    let mut scope = engine::scope(host, args);
    let ast = engine::compile(&engine, &scope, &script.source, &script.text)
        .map_err(|e| Error::Script(Box::new(e)))?;
    let _ = engine::run(&engine, &mut scope, &ast, host)?;
    exiting(engine, scope, ast);
    Ok(ExitCode::SUCCESS)
}

/// The command is done and the process exits next: dropping the engine (its registry of
/// ~900 functions), the script and every value left in its scope would free, one
/// allocation at a time, memory the exit frees at once (3% of a switch on 100 profiles).
fn exiting(engine: rhai::Engine, scope: rhai::Scope, ast: rhai::AST) {
    std::mem::forget((engine, scope, ast));
}

fn eval(host: &Rc<Host>, snippet: &str) -> Result<ExitCode, Error> {
    let engine = engine::build_engine(host)?;
    let mut scope = engine::scope(host, &[]);
    let ast = engine::compile(&engine, &scope, "<eval>", snippet)
        .map_err(|e| Error::Script(Box::new(e)))?;
    let value = engine::run(&engine, &mut scope, &ast, host)?;
    if !value.is_unit() {
        // The result may quote a token the snippet never read from a store.
        crate::redact::learn_from_run_once(host);
        host.println(&display_value(&value)?)?;
    }
    exiting(engine, scope, ast);
    Ok(ExitCode::SUCCESS)
}

/// Strings print as themselves; maps, arrays and the domain values (a `Status`, a
/// `Decision`, …) as indented JSON; the rest as Rhai shows them.
pub fn display_value(value: &Dynamic) -> Result<String, Error> {
    if let Some(v) = crate::api::model::custom_value(value) {
        serde_json::to_string_pretty(&v).map_err(|e| Error::Failure(e.to_string()))
    } else if value.is_map() || value.is_array() {
        let v = crate::api::json::to_value(value).map_err(|e| Error::Failure(e.to_string()))?;
        serde_json::to_string_pretty(&v).map_err(|e| Error::Failure(e.to_string()))
    } else {
        Ok(value.to_string())
    }
}

fn check(host: &Rc<Host>, paths: &[String]) -> Result<ExitCode, Error> {
    let engine = engine::build_engine(host)?;
    let scope = engine::scope(host, &[]);
    let targets: Vec<String> = if paths.is_empty() {
        names(host)
    } else {
        paths.to_vec()
    };
    let mut failed = None;
    for target in &targets {
        let script = scripts::resolve(host, target)?;
        let problems = match engine::compile(&engine, &scope, &script.source, &script.text) {
            Ok(_) => crate::check::meaning(host, &engine, &script),
            Err(e) => vec![e],
        };
        if problems.is_empty() {
            host.println(&format!("ok      {}", script.source))?;
        }
        for e in problems {
            crate::redact::learn_from_run(host);
            eprint!("{}", crate::report::render_script(&e, None));
            failed.get_or_insert(e.exit_code);
        }
    }
    Ok(failed.map_or(ExitCode::SUCCESS, ExitCode::from))
}

/// Every script name a user can run: stock names plus their own `scripts/*.rhai`.
fn names(host: &Host) -> Vec<String> {
    let mut names: Vec<String> = scripts::STOCK.iter().map(|(n, _)| n.to_string()).collect();
    if let Ok(entries) = std::fs::read_dir(host.user_scripts_dir()) {
        for e in entries.filter_map(Result::ok) {
            let file = e.file_name().to_string_lossy().to_string();
            if let Some(stem) = file.strip_suffix(".rhai") {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[derive(Serialize)]
struct FnDoc {
    name: String,
    signature: String,
    doc: String,
}

/// The documented functions, from Rhai's own metadata so the list cannot drift from
/// what is registered.
pub fn function_docs(host: &Rc<Host>) -> Result<Vec<(String, String, String)>, Error> {
    let engine = crate::api::with_docs(|| engine::build_engine(host))?;
    let json = engine
        .gen_fn_metadata_to_json(false)
        .map_err(|e| Error::Failure(format!("cannot list functions: {e}")))?;
    let meta: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| Error::Failure(e.to_string()))?;
    let mut out = Vec::new();
    let mut add = |ns: &str, f: &serde_json::Value| {
        let Some(comments) = f.get("docComments").and_then(|c| c.as_array()) else {
            return;
        };
        let doc: String = comments
            .iter()
            .filter_map(|c| c.as_str())
            .flat_map(|c| c.lines())
            .map(|l| l.trim_start_matches("///").trim())
            .collect::<Vec<_>>()
            .join("\n");
        let name = f.get("name").and_then(|n| n.as_str()).unwrap_or_default();
        let params: Vec<String> = f
            .get("params")
            .and_then(|p| p.as_array())
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let n = p.get("name").and_then(|n| n.as_str()).unwrap_or("_");
                        match p.get("type").and_then(|t| t.as_str()) {
                            Some(t) => format!("{n}: {t}"),
                            None => n.to_string(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ret = f.get("returnType").and_then(|r| r.as_str()).unwrap_or("()");
        // Getters and indexers read as what a script writes: `Status.layout`, `Profile[field]`.
        let of = |i: usize| -> (String, String) {
            let p = params.get(i).cloned().unwrap_or_default();
            match p.split_once(": ") {
                Some((n, t)) => (n.to_string(), t.to_string()),
                None => (p, String::new()),
            }
        };
        if let Some(prop) = name.strip_prefix("get$") {
            let full = format!("{}.{prop}", of(0).1);
            out.push((full.clone(), format!("{full} -> {ret}"), doc));
            return;
        }
        if name == "index$get$" {
            let (key, ty) = of(1);
            let full = format!("{}[{key}]", of(0).1);
            out.push((
                full.clone(),
                format!("{}[{key}: {ty}] -> {ret}", of(0).1),
                doc,
            ));
            return;
        }
        let full = if ns.is_empty() {
            name.to_string()
        } else {
            format!("{ns}::{name}")
        };
        out.push((
            full.clone(),
            format!("{full}({}) -> {ret}", params.join(", ")),
            doc,
        ));
    };
    for f in meta
        .get("functions")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
    {
        add("", f);
    }
    if let Some(modules) = meta.get("modules").and_then(|m| m.as_object()) {
        for (ns, m) in modules {
            if ns.starts_with("std/") {
                continue;
            }
            for f in m
                .get("functions")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
            {
                add(ns, f);
            }
        }
    }
    // Stdlib and lib modules are script-visible too, through `import "std/<name>"` and
    // `import "<name>"`.
    let modules = scripts::STDLIB
        .iter()
        .map(|(m, t)| (format!("std/{m}"), *m, *t))
        .chain(scripts::LIB.iter().map(|(m, _, t)| (m.to_string(), *m, *t)));
    for (import, module, text) in modules {
        let ast = engine
            .compile(text)
            .map_err(|e| Error::Failure(format!("std/{module}: {e}")))?;
        for f in ast.iter_functions() {
            if f.access == rhai::FnAccess::Private || f.comments.is_empty() {
                continue;
            }
            // Source comments wrap at the editor's width; rejoin them into the one-line
            // paragraphs the Rust docs use, keeping `Errors:` and `Example:` apart.
            let doc = f
                .comments
                .iter()
                .flat_map(|c| c.lines())
                .map(|l| l.trim().trim_start_matches("///").trim())
                .collect::<Vec<_>>()
                .join(" ")
                .replace(" Errors:", "\nErrors:")
                .replace(" Example:", "\nExample:");
            let name = format!("{module}::{}", f.name);
            let sig = format!("{name}({})  // import \"{import}\"", f.params.join(", "));
            out.push((name, sig, doc));
        }
    }
    out.sort();
    Ok(out)
}

fn functions(host: &Rc<Host>, json: bool) -> Result<ExitCode, Error> {
    let docs = function_docs(host)?;
    if json {
        let list: Vec<FnDoc> = docs
            .into_iter()
            .map(|(name, signature, doc)| FnDoc {
                name,
                signature,
                doc,
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&list).map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
    } else {
        for (_, signature, doc) in docs {
            let summary = doc.lines().next().unwrap_or_default();
            host.println(&format!("{signature}\n    {summary}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn scripts_list(host: &Rc<Host>) -> Result<ExitCode, Error> {
    for name in names(host) {
        let script = scripts::resolve(host, &name)?;
        let from = match (&script.origin, scripts::stock(&name).is_some()) {
            (Origin::User(p), true) => format!("{} (your copy; overrides built-in)", p.display()),
            (Origin::User(p), false) => format!("{} (your script)", p.display()),
            _ => "built-in".to_string(),
        };
        host.println(&format!("{name:<14} {from}"))?;
    }
    for (name, _, _) in scripts::LIB {
        let path = scripts::lib_path(host, name);
        let from = if path.exists() {
            format!("{} (your copy; overrides built-in)", path.display())
        } else {
            "built-in".to_string()
        };
        host.println(&format!("{:<14} {from}", format!("lib/{name}")))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn eject(host: &Rc<Host>, names: &[String], force: bool) -> Result<ExitCode, Error> {
    let wanted: Vec<String> = if names.is_empty() {
        scripts::STOCK.iter().map(|(n, _)| n.to_string()).collect()
    } else {
        names.to_vec()
    };
    let mut files: Vec<(String, &str, std::path::PathBuf)> = Vec::new();
    for name in &wanted {
        let Some(text) = scripts::stock(name) else {
            return Err(Error::Usage(format!(
                "no built-in script named `{name}`; `clawshift scripts list` shows them"
            )));
        };
        files.push((name.clone(), text, scripts::user_path(host, name)));
        // A script's rules come with it: `switch` brings `lib/policy.rhai`.
        for (module, owner, text) in scripts::LIB {
            if owner == name {
                files.push((
                    format!("lib/{module}"),
                    text,
                    scripts::lib_path(host, module),
                ));
            }
        }
    }
    for (name, text, target) in &files {
        let (name, text, target) = (name, *text, target.clone());
        let current = files::read_optional(&target)?;
        match current {
            Some(bytes) if bytes == text.as_bytes() => {
                host.println(&format!("unchanged {}", target.display()))?;
            }
            Some(_) if !force => {
                return Err(Error::Failure(format!(
                    "`{}` exists and differs from the built-in copy; keeping your edits (use --force to overwrite it; the old file is backed up)",
                    target.display()
                )));
            }
            _ => {
                // cron runs these scripts: a directory or file others can write would
                // let them run code as this user, whatever the umask.
                if let Some(dir) = target.parent() {
                    files::private_dir(dir)?;
                }
                files::write_file(host, &target, text.as_bytes(), 0o600)?;
                host.println(&format!("ejected {name} -> {}", target.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
