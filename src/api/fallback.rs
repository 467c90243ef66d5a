//! `add_fallback(model)`: make sure a model is reachable as the agent's default or one of
//! its fallbacks, so a newly added account has a model to serve. Only appends; never
//! reorders or removes what the user chose. Edits `openclaw.json` through
//! `crate::openclaw::config` (comment-preserving, `$include`-aware, backed up, journaled).

use std::rc::Rc;

use rhai::{Dynamic, Engine};
use serde_json::{Map, Value, json};

use super::{RhaiResult, def, to_dynamic};
use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::openclaw::{self, config, ops};

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "add_fallback",
        &["model: String", "Map"],
        "Makes `model` (`provider/model`) reachable: appends it to `agents.defaults.model.fallbacks` in openclaw.json unless it already is the default or a fallback. Returns `#{changed, fallbacks, applied: [..]}`.\n\
         A plain-string `agents.defaults.model` becomes `{primary, fallbacks}`. When `agents.defaults.models` lists models (the allowlist) the model is added there too, and in the SQLite layouts an `openai/…` model gets `agentRuntime.id = \"codex\"` there (so ChatGPT OAuth profiles serve it, as `openclaw doctor` does), unless it already has an entry. Backed up and journaled; `--dry-run` shows the diff.\n\
         Errors: not `provider/model`; the key is set in an `$include`d file; the 2026.9 migration blocker.\n\
         Example: `let r = add_fallback(\"openai/gpt-5.5\"); if r.changed { eprint(`added a fallback: ${r.fallbacks}`); }`",
    )
    .register_into_engine(engine, move |model: &str| -> RhaiResult<Dynamic> {
        let v = add_fallback(&h, model).map_err(|e| format!("add_fallback: {e}"))?;
        to_dynamic("add_fallback", &v)
    });
}

pub fn add_fallback(host: &Host, model: &str) -> Result<Value, Error> {
    let Some((provider, name)) = model.split_once('/') else {
        return Err(Error::Failure(format!(
            "`{model}` is not `provider/model` (e.g. `openai/gpt-5.5`)"
        )));
    };
    if provider.is_empty() || name.is_empty() {
        return Err(Error::Failure(format!(
            "`{model}` is not `provider/model` (e.g. `openai/gpt-5.5`)"
        )));
    }
    let d = openclaw::detect(host)?;
    if let Some(b) = &d.blocker {
        return Err(Error::Failure(format!("{b}; nothing was written")));
    }
    let _guard = ops::config_lock(host)?;
    // The effective config (with `$include`s) says what is reachable; the main file
    // alone says which shape to keep.
    let effective = config::load(&d.config)?;
    let root = match files::read_limited(&d.config)? {
        Some(b) if !String::from_utf8_lossy(&b).trim().is_empty() => {
            config::parse_json5(&String::from_utf8_lossy(&b), &d.config)?
        }
        _ => Value::Object(Map::new()),
    };
    let (primary, mut fallbacks, _) = openclaw::status::models_from_config(&effective);
    let mut applied = Vec::new();
    let mut sets = Vec::new();
    let would = if host.dry_run { "would add" } else { "added" };
    if primary.as_str() != Some(model) && !fallbacks.iter().any(|f| f == model) {
        fallbacks.push(model.to_string());
        let list = json!(fallbacks);
        match config::get_path(&root, &["agents", "defaults", "model"]) {
            Some(Value::String(p)) => sets.push(config::Set::new(
                &["agents", "defaults", "model"],
                json!({"primary": p, "fallbacks": list}),
            )),
            _ => sets.push(config::Set::new(
                &["agents", "defaults", "model", "fallbacks"],
                list,
            )),
        }
        applied.push(format!(
            "{would} {model} to agents.defaults.model.fallbacks"
        ));
    }
    let models =
        config::get_path(&effective, &["agents", "defaults", "models"]).and_then(Value::as_object);
    let listed = models.is_some_and(|m| m.contains_key(model));
    let codex_runtime = !d.layout.is_json() && provider == d.layout.codex_provider();
    if !listed && (codex_runtime || models.is_some_and(|m| !m.is_empty())) {
        let entry = if codex_runtime {
            json!({"agentRuntime": {"id": "codex"}})
        } else {
            json!({})
        };
        sets.push(config::Set::new(
            &["agents", "defaults", "models", model],
            entry,
        ));
        applied.push(format!(
            "{would} {model} to agents.defaults.models{}",
            if codex_runtime {
                " (agentRuntime codex)"
            } else {
                ""
            }
        ));
    }
    if !sets.is_empty() {
        config::apply(host, &d.config, &sets)?;
    }
    Ok(json!({
        "changed": !applied.is_empty(),
        "fallbacks": fallbacks,
        "applied": applied,
    }))
}
