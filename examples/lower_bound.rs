//! The least a switch with a Rhai policy can cost, for `benches/compare.rs`: start a
//! process, read the two auth rows from OpenClaw's state database, parse them as JSON
//! (keeping nothing), start a Rhai engine and compile `scripts/switch.rhai` and the
//! policy it imports. Nothing is judged, learned, masked or written. Whatever
//! `clawshift switch --dry-run` costs beyond this is its own work.
//!
//! Usage: `lower_bound <state dir>/state/openclaw.sqlite`

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(db) = std::env::args().nth(1) else {
        eprintln!("usage: lower_bound <openclaw.sqlite>");
        return ExitCode::from(2);
    };
    match run(&db) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lower_bound: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(db: &str) -> Result<(), Box<dyn std::error::Error>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut rows = conn.prepare(
        "SELECT value_json FROM config_machine_state WHERE state_key IN ('authProfiles.store', 'authProfiles.state')",
    )?;
    let texts = rows
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    for text in &texts {
        serde_json::from_str::<serde::de::IgnoredAny>(text)?;
    }
    let mut engine = rhai::Engine::new();
    let policy = engine.compile(include_str!("../stdlib/policy.rhai"))?;
    let policy = rhai::Module::eval_ast_as_new(rhai::Scope::new(), &policy, &engine)?;
    let mut modules = rhai::module_resolvers::StaticModuleResolver::new();
    modules.insert("policy", policy);
    engine.set_module_resolver(modules);
    engine.compile(include_str!("../scripts/switch.rhai"))?;
    Ok(())
}
