//! clawshift: keeps an OpenClaw agent on a working model when its OpenAI Codex accounts
//! hit usage limits. The binary is a thin shell around [`main`].

pub mod api;
pub mod backup;
pub mod check;
pub mod child;
pub mod cli;
pub mod codex;
pub mod commands;
pub mod config;
pub mod cron;
pub mod custody;
pub mod demo;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod files;
pub mod host;
pub mod install;
pub mod journal;
pub mod jwt;
pub mod memory;
pub mod model;
pub mod openclaw;
pub mod policy;
pub mod redact;
pub mod report;
pub mod scripts;
pub mod simulate;
pub mod status;
pub mod testhook;
pub mod timefmt;
pub mod undo;
pub mod usage;

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: memory::Counting = memory::Counting;
use std::time::Duration;

use crate::error::Error;
use crate::host::{Host, HostOptions};

/// Runs one command line and turns the outcome into an exit code, printing any error.
pub fn main(cli: cli::Cli) -> ExitCode {
    let eval_text = match &cli.command {
        cli::Command::Eval { snippet } => Some(snippet.clone()),
        _ => None,
    };
    match run(cli) {
        Ok(code) => code,
        Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", report::render(&e, eval_text.as_deref()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// True when the command's stdout is one JSON document: its `--json` flag, or `--json`
/// among a script's arguments (`run switch --json`).
fn prints_json(command: &cli::Command) -> bool {
    use cli::Command as C;
    match command {
        C::Run { args, .. } => args.iter().any(|a| a == "--json"),
        C::Functions { json }
        | C::History { json }
        | C::Status { json, .. }
        | C::Switch { json, .. }
        | C::Doctor { json, .. } => *json,
        _ => false,
    }
}

pub fn run(cli: cli::Cli) -> Result<ExitCode, Error> {
    if let (true, Some(agent)) = (cli.command.wants_all_agents(), &cli.agent) {
        return Err(Error::Usage(format!(
            "--all-agents and --agent {agent} ask for different agents; give one of them"
        )));
    }
    let opts = HostOptions {
        dry_run: cli.dry_run,
        yes: cli.yes,
        agent: cli.agent.clone(),
        openclaw_dir: cli.openclaw_dir.clone(),
        create_openclaw_dir: matches!(cli.command, cli::Command::AddProfile { create: true, .. }),
        json_output: prints_json(&cli.command),
        timeout: Some(Duration::from_secs(cli.timeout_secs().max(1))),
        command: redact::command_line(&std::env::args().skip(1).collect::<Vec<_>>()),
    };
    let host = std::rc::Rc::new(Host::from_env(opts.clone())?);
    let result = if cli.command.all_agents() {
        install::for_each_agent(&host, opts, cli.command)
    } else {
        commands::dispatch(&host, cli.command, cli.agent.is_some())
    };
    if result.is_err() {
        redact::learn_from_run(&host);
    }
    openclaw::sqlite::close_all();
    result
}
