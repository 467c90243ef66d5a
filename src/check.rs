//! What `clawshift check` looks at beyond syntax: every module a script imports must be
//! found and compile; a script that sets `PRIORITY` (the switch script) must name only
//! routes the agent has, checked against the current status; and a policy module must
//! define its hooks with the parameters the switch script calls them with.

use std::rc::Rc;

use rhai::{Array, Engine, Position};

use crate::error::{Location, ScriptError};
use crate::host::Host;
use crate::scripts::Script;

/// The hooks a policy module must define, with their parameter counts.
const HOOKS: &[(&str, usize, &str)] = &[
    ("candidates", 3, "(priority, status, state)"),
    ("veto", 3, "(v, status, now)"),
    ("score", 3, "(v, status, now)"),
    ("decide", 4, "(priority, status, state, opts)"),
];

/// The problems of a script that compiles, each with the place to fix it.
pub fn meaning(host: &Host, engine: &Engine, script: &Script) -> Vec<ScriptError> {
    let mut out = Vec::new();
    for (line, col, name) in imports(&script.text) {
        let at = Location {
            source: script.source.clone(),
            line,
            column: col,
        };
        let pos = Position::new(line as u16, col as u16);
        match engine
            .module_resolver()
            .resolve(engine, Some(&script.source), &name, pos)
        {
            Ok(_) if name == "policy" => out.extend(hooks(engine, &at, host)),
            Ok(_) => {}
            Err(e) => out.push(problem(
                format!("module \"{name}\" cannot be loaded: {}", flatten(&e)),
                at,
                2,
            )),
        }
    }
    if let Some((line, text)) = priority(&script.text) {
        out.extend(check_priority(host, engine, script, line, &text));
    }
    out
}

fn problem(message: String, at: Location, exit_code: u8) -> ScriptError {
    ScriptError {
        message,
        location: Some(at),
        notes: Vec::new(),
        exit_code,
        compile: false,
    }
}

/// Rhai's nested "error in module" chain as one line.
fn flatten(e: &rhai::EvalAltResult) -> String {
    match e {
        rhai::EvalAltResult::ErrorInModule(m, inner, pos) => {
            let at = pos.line().map_or(String::new(), |l| format!(" (line {l})"));
            format!("{m}{at}: {}", flatten(inner))
        }
        other => other.to_string(),
    }
}

/// `import "name"` statements: (line, column of the name, name), 1-based.
fn imports(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if let Some(rest) = t.strip_prefix("import ")
            && let Some(q) = rest.trim_start().strip_prefix('"')
            && let Some(end) = q.find('"')
        {
            let col = line.find('"').unwrap_or(0) + 1;
            out.push((i + 1, col, q[..end].to_string()));
        }
    }
    out
}

/// The hooks of a policy module with the wrong number of parameters, or missing.
fn hooks(engine: &Engine, at: &Location, host: &Host) -> Vec<ScriptError> {
    let mut out = Vec::new();
    let source = crate::scripts::lib_path(host, "policy");
    let (where_, text) = if source.exists() {
        (
            format!("`{}`", source.display()),
            crate::scripts::read_script(&source).unwrap_or_default(),
        )
    } else {
        (
            "the built-in policy".to_string(),
            crate::scripts::lib("policy")
                .unwrap_or_default()
                .to_string(),
        )
    };
    // It resolved, so it compiles.
    let Ok(ast) = engine.compile(&text) else {
        return out;
    };
    for (name, arity, params) in HOOKS {
        let found: Vec<usize> = ast
            .iter_functions()
            .filter(|f| f.name == *name)
            .map(|f| f.params.len())
            .collect();
        if !found.contains(arity) {
            let what = match found.first() {
                None => "is missing".to_string(),
                Some(n) => format!("takes {n} parameter(s)"),
            };
            out.push(problem(
                format!(
                    "policy hook `{name}` in {where_} {what}; the switch script calls `{name}{params}`"
                ),
                at.clone(),
                2,
            ));
        }
    }
    out
}

/// The line of `const PRIORITY = [...]` and the list's text (up to its `]`).
fn priority(text: &str) -> Option<(usize, String)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let assigned = t
            .strip_prefix("const PRIORITY")
            .map(str::trim_start)
            .is_some_and(|r| r.starts_with('='));
        if assigned {
            let all: String = text.lines().skip(i).collect::<Vec<_>>().join("\n");
            let start = all.find('[')?;
            let end = all.find(']')?;
            return Some((i + 1, all[start..=end].to_string()));
        }
    }
    None
}

/// Evaluates the PRIORITY list and validates it against the agent's current status.
fn check_priority(
    host: &Host,
    engine: &Engine,
    script: &Script,
    line: usize,
    list: &str,
) -> Vec<ScriptError> {
    let at = |needle: &str| {
        // The entry's own place in the file, for the caret.
        let (l, c) = script
            .text
            .lines()
            .enumerate()
            .skip(line - 1)
            .find_map(|(i, t)| t.find(needle).map(|c| (i + 1, c + 1)))
            .unwrap_or((line, 1));
        Location {
            source: script.source.clone(),
            line: l,
            column: c,
        }
    };
    let Ok(entries) = engine.eval_expression::<Array>(list) else {
        return Vec::new();
    };
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    let status = match crate::openclaw::status::native(host) {
        Ok(s) => Rc::new(s),
        Err(e) => {
            return vec![problem(
                format!("PRIORITY could not be checked against OpenClaw: {e}"),
                at("PRIORITY"),
                1,
            )];
        }
    };
    let state = serde_json::Value::Null;
    crate::policy::validate(&status, &entries, &state)
        .into_iter()
        .map(|p| {
            let entry = p.split('"').nth(1).unwrap_or("PRIORITY").to_string();
            problem(p, at(&format!("\"{entry}\"")), 1)
        })
        .collect()
}
