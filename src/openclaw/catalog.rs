//! The models OpenClaw knows for an agent, so `set_model` and the policy refuse a typo
//! before it reaches the agent: what the config names (the default model, fallbacks,
//! alias targets, `agents.defaults.models` keys, the allowlist) and the models of
//! OpenClaw's built-in catalog for the providers the agent has accounts for.
//!
//! The catalog is OpenClaw 2026.9.6's, from its plugin manifests
//! (`dist/extensions/openai/openclaw.plugin.json` and
//! `dist/extensions/anthropic/openclaw.plugin.json`); `openclaw models list` cannot print
//! it offline. Anthropic's 4.x models are reachable through its forward-compatible
//! resolution (`register.runtime`): the ones OpenClaw's docs and samples use are listed.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Auth, Layout, status};

const OPENAI: &[&str] = &[
    "gpt-6-astra",
    "gpt-6-sol",
    "gpt-6-luna",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-5.6-luna",
    "gpt-5.5",
    "gpt-5.5-pro",
    "gpt-5.4",
    "gpt-5.4-pro",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
];

const ANTHROPIC: &[&str] = &[
    "claude-opus-5-5",
    "claude-fable-5-1",
    "claude-fable-5",
    "claude-opus-5",
    "claude-sonnet-5",
    "claude-mythos-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
];

/// The catalog's model ids for a provider id (`openai`, `openai-codex`, `anthropic`).
fn catalog(provider: &str) -> &'static [&'static str] {
    match provider {
        "openai" | "openai-codex" => OPENAI,
        "anthropic" => ANTHROPIC,
        _ => &[],
    }
}

/// Every model the agent may be set to, as `provider/model` refs, config first.
pub fn known_models(cfg: &Value, auth: &Auth, layout: Layout) -> Vec<String> {
    let (primary, fallbacks, aliases) = status::models_from_config(cfg);
    let mut out: Vec<String> = Vec::new();
    let mut add = |m: &str| {
        if !m.is_empty() && !out.iter().any(|x| x == m) {
            out.push(m.to_string());
        }
    };
    if let Some(p) = primary.as_str() {
        add(p);
    }
    for m in &fallbacks {
        add(m);
    }
    for m in aliases.values().filter_map(Value::as_str) {
        add(m);
    }
    for m in status::configured_models(cfg)
        .iter()
        .chain(&status::allowed_from_config(cfg, layout))
    {
        add(m);
    }
    let mut providers: BTreeSet<&str> = auth
        .profiles
        .iter()
        .map(|(id, p)| p.provider_or_id(id))
        .collect();
    if let Some(Value::Object(m)) = super::config::get_path(cfg, &["models", "providers"]) {
        providers.extend(m.keys().map(String::as_str));
    }
    for p in &providers {
        for m in catalog(p) {
            add(&format!("{p}/{m}"));
        }
    }
    out
}
