//! `merge_profile` and `set_model`: the two mutating operations on OpenClaw's state.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Detected, Docs, Layout, cli, config, detect, gateway, read_auth, status, update};
use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::model::same_model;

/// Extra OAuth fields OpenClaw's SQLite-era credential schema accepts (its zod schema
/// rejects unknown keys, so clawshift refuses them up front).
pub const ALLOWED_EXTRAS: &[&str] = &[
    "idToken",
    "clientId",
    "redirectUri",
    "authorizationScope",
    "grantedScope",
    "enterpriseUrl",
    "projectId",
    "chatgptPlanType",
    "subscriptionType",
    "rateLimitTier",
    "tokenEndpoint",
    "deviceAuthorizationEndpoint",
    "issuer",
    "authFlow",
    "displayName",
    "copyToAgents",
];

/// How long `openclaw models auth order set` may take (6–8 s observed offline).
pub const ORDER_SET_TIMEOUT: Duration = Duration::from_secs(45);

/// Serialises edits of `openclaw.json` with OpenClaw's own config writers (and other
/// clawshift runs): OpenClaw 2026.9's `openclaw.json.lock`, taken before the file is
/// read for the edit. See `lock::acquire_config` and docs/openclaw.md.
pub fn config_lock(host: &Host) -> Result<Option<super::lock::JsonLock>, Error> {
    if host.dry_run {
        return Ok(None);
    }
    let config = &host.openclaw_config_path;
    if let Some(dir) = config.parent().filter(|d| !d.exists()) {
        files::private_dir(dir)?;
    }
    let lock = super::lock::acquire_config(host, config)?;
    crate::testhook::point("config-locked");
    Ok(Some(lock))
}

fn cred_str(cred: &Map<String, Value>, keys: &[&str]) -> Result<Option<String>, String> {
    for k in keys {
        match cred.get(*k) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(format!("`{k}` is empty"));
            }
            Some(Value::String(s)) => return Ok(Some(s.clone())),
            Some(_) => return Err(format!("`{k}` must be a string")),
        }
    }
    Ok(None)
}

/// Builds the OpenClaw OAuth credential from what a script passed: OpenClaw's names
/// (`access`, `refresh`, `expires`, `accountId`, `email`) or `codex_login()`'s
/// (`access_token`, `refresh_token`, `expires_ms`, `account_id`, `id_token`, `plan`).
pub fn build_credential(
    id: &str,
    cred: &Map<String, Value>,
    layout: Layout,
) -> Result<(String, Map<String, Value>), String> {
    // A token a script passes is masked in whatever this run prints or journals.
    crate::redact::learn_json(&Value::Object(cred.clone()));
    const KNOWN: &[&str] = &[
        "type",
        "provider",
        "access",
        "access_token",
        "refresh",
        "refresh_token",
        "expires",
        "expires_ms",
        "accountId",
        "account_id",
        "email",
        "id_token",
        "plan",
    ];
    let unknown: Vec<&str> = cred
        .keys()
        .map(String::as_str)
        .filter(|k| !KNOWN.contains(k) && !ALLOWED_EXTRAS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown credential field(s) {}; OpenClaw rejects unknown keys. Allowed: access, refresh, expires, accountId, email, and {}",
            unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            ALLOWED_EXTRAS.join(", ")
        ));
    }
    if let Some(t) = cred_str(cred, &["type"])?
        && t != "oauth"
    {
        return Err(format!(
            "`type` is `{t}`; merge_profile stores OAuth profiles only"
        ));
    }
    let provider = cred_str(cred, &["provider"])?.unwrap_or_else(|| layout.codex_provider().into());
    let Some((prefix, name)) = id.split_once(':') else {
        return Err(format!(
            "profile id `{id}` must be `<provider>:<name>`, e.g. `{}:alice`",
            layout.codex_provider()
        ));
    };
    if let Some(bad) = bad_profile_name(name) {
        return Err(format!(
            "profile id `{}` {bad}; use letters, digits, `-`, `_`, `.`, `+` and `@` after `{provider}:` (e.g. `{provider}:alice` or `{provider}:me@example.com`)",
            id.escape_debug()
        ));
    }
    if name.is_empty() || prefix != provider {
        return Err(format!(
            "profile id `{id}` must start with the provider `{provider}:` (e.g. `{provider}:alice`)"
        ));
    }
    if !layout.is_json() && provider == "openai-codex" {
        return Err(format!(
            "this OpenClaw ({}) names the Codex provider `openai`; use the id `openai:{name}`",
            layout.name()
        ));
    }
    let access = cred_str(cred, &["access", "access_token"])?
        .ok_or("`access` (the access token) is missing")?;
    let refresh = cred_str(cred, &["refresh", "refresh_token"])?
        .ok_or("`refresh` (the refresh token) is missing")?;
    let jwt = crate::jwt::decode(&access).ok();
    let expires = match cred.get("expires").or_else(|| cred.get("expires_ms")) {
        None | Some(Value::Null) => jwt
            .as_ref()
            .and_then(|j| j.exp)
            .map(|s| s * 1000)
            .ok_or("`expires` is missing and the access token has no `exp` claim")?,
        Some(v) => v
            .as_i64()
            .filter(|n| *n > 0)
            .ok_or("`expires` must be a positive integer (milliseconds since the epoch)")?,
    };
    if expires < 100_000_000_000 {
        return Err(format!(
            "`expires` = {expires} looks like seconds; OpenClaw stores milliseconds (multiply by 1000)"
        ));
    }
    let account_id = cred_str(cred, &["accountId", "account_id"])?
        .or_else(|| jwt.as_ref().and_then(|j| j.account_id.clone()))
        .ok_or("`accountId` is missing and the access token carries no ChatGPT account id")?;
    let email = cred_str(cred, &["email"])?.or_else(|| jwt.as_ref().and_then(|j| j.email.clone()));
    let mut out = Map::new();
    out.insert("type".into(), "oauth".into());
    out.insert("provider".into(), provider.clone().into());
    out.insert("access".into(), access.into());
    out.insert("refresh".into(), refresh.into());
    out.insert("expires".into(), expires.into());
    out.insert("accountId".into(), account_id.into());
    if let Some(e) = email {
        out.insert("email".into(), e.into());
    }
    if let Some(t) = cred_str(cred, &["id_token"])? {
        out.insert("idToken".into(), t.into());
    }
    if let Some(p) = cred_str(cred, &["plan"])? {
        out.insert("chatgptPlanType".into(), p.into());
    }
    for k in ALLOWED_EXTRAS {
        if let Some(v) = cred.get(*k).filter(|v| !v.is_null()) {
            out.insert((*k).into(), v.clone());
        }
    }
    Ok((provider, out))
}

/// Why the name part of a profile id is unusable, if it is. Ids end up in argv
/// (`openclaw models auth order set`), in `model@profile` refs (OpenClaw splits at the
/// first `@` after the last `/`, so a `/` would break them) and in messages; keep them to
/// characters that are safe in all three.
pub fn bad_profile_name(name: &str) -> Option<String> {
    if name.chars().count() > 128 {
        return Some("is longer than 128 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '@')))
    {
        let what = match c {
            ' ' => "a space".to_string(),
            c if c.is_control() || c.is_whitespace() => format!("the character {:?}", c),
            c => format!("`{c}`"),
        };
        return Some(format!("contains {what}"));
    }
    if name.contains("..") {
        return Some("contains `..`".into());
    }
    if name.starts_with(['-', '.']) {
        return Some("starts with `-` or `.`".into());
    }
    None
}

/// Upserts one OAuth profile, appends it to its provider's order, and declares it in
/// `openclaw.json`. Returns `#{id, action, layout}`.
pub fn merge_profile(host: &Host, id: &str, cred: &Map<String, Value>) -> Result<Value, Error> {
    let fail = |m: String| Error::Failure(format!("merge_profile: {m}"));
    let d = detect(host)?;
    if let Some(b) = &d.blocker {
        return Err(fail(format!("{b}; nothing was written")));
    }
    let (provider, new) = build_credential(id, cred, d.layout).map_err(fail)?;
    let cfg = config::load(&d.config)?;
    let (action, _) = update(host, &d, |docs: &mut Docs| {
        let auth = docs.effective();
        let refresh = new.get("refresh");
        if let Some((other, _)) = auth
            .profiles
            .iter()
            .find(|(k, p)| k.as_str() != id && p.get("refresh") == refresh)
        {
            return Err(fail(format!(
                "the refresh token is already stored as profile `{other}` in {}; refresh tokens are single-use, and two holders end in `refresh_token_reused`. Log in again for a fresh token, or remove `{other}`",
                docs.location_of("profiles", other).describe()
            )));
        }
        let action = match auth.profiles.get(id) {
            None => {
                docs.set("profiles", id, Value::Object(new.clone()));
                "added"
            }
            Some(Value::Object(old)) => {
                let ty = old.get("type").and_then(Value::as_str).unwrap_or("?");
                if ty != "oauth" {
                    return Err(fail(format!(
                        "profile `{id}` exists with type `{ty}`; refusing to replace it with an OAuth profile. Pick another id or remove it first"
                    )));
                }
                // Keep the old object's key order and unknown fields.
                let mut merged = old.clone();
                for (k, v) in &new {
                    merged.insert(k.clone(), v.clone());
                }
                if &merged == old {
                    "unchanged"
                } else {
                    docs.set("profiles", id, Value::Object(merged));
                    "updated"
                }
            }
            Some(_) => {
                return Err(fail(format!(
                    "profile `{id}` in {} is not an object; fix the store by hand",
                    docs.location_of("profiles", id).describe()
                )));
            }
        };
        let auth = docs.effective();
        let (_, order, _) = status::orders(&auth.providers(), &auth.order, &cfg)
            .into_iter()
            .find(|(p, _, _)| *p == provider)
            .unwrap_or((provider.clone(), Vec::new(), "profiles"));
        let stored = auth.order.get(&provider).is_some();
        if !stored || !order.iter().any(|x| x == id) {
            let mut list = order;
            if !list.iter().any(|x| x == id) {
                list.push(id.to_string());
            }
            docs.set("order", &provider, json!(list));
        }
        Ok(action)
    })?;
    declare_in_config(host, &d, id, &provider)?;
    Ok(json!({"id": id, "action": action, "layout": d.layout.name()}))
}

fn declare_in_config(host: &Host, d: &Detected, id: &str, provider: &str) -> Result<(), Error> {
    let _guard = config_lock(host)?;
    let raw = config::load(&d.config)?;
    let mut entry = config::get_path(&raw, &["auth", "profiles", id])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    entry.insert("provider".into(), provider.into());
    entry.insert("mode".into(), "oauth".into());
    let mut order: Vec<Value> = config::get_path(&raw, &["auth", "order", provider])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if order.is_empty() {
        // Start from the store's order so the config lists every profile it routes to.
        if let Some(Value::Array(stored)) = read_auth(d)?.order.get(provider) {
            order = stored.clone();
        }
    }
    if !order.iter().any(|v| v.as_str() == Some(id)) {
        order.push(id.into());
    }
    config::apply(
        host,
        &d.config,
        &[
            config::Set::new(&["auth", "profiles", id], Value::Object(entry)),
            config::Set::new(&["auth", "order", provider], Value::Array(order)),
        ],
    )?;
    Ok(())
}

/// Makes `model` (and `profile`, when given) what the agent uses: the default model
/// and a fallback chain OpenClaw's own failover can still walk, the provider order with
/// `profile` first, and the main session through a running gateway. `chain` is the
/// switch policy's candidate models, best first: the fallbacks become those models but
/// the primary, in that order, then the fallbacks the user had that the chain does not
/// name. Without a chain, the fallbacks keep their order, lose the new primary and gain
/// the old one in front, so nothing that was reachable stops being so. A model the
/// agent does not know is refused. Returns `#{changed, applied, skipped}`.
pub fn set_model(
    host: &Host,
    model: &str,
    profile: Option<&str>,
    chain: Option<&[String]>,
) -> Result<Value, Error> {
    let fail = |m: String| Error::Failure(format!("set_model: {m}"));
    let d = detect(host)?;
    if let Some(b) = &d.blocker {
        return Err(fail(format!("{b}; nothing was written")));
    }
    let cfg = config::load(&d.config)?;
    let (_, _, aliases) = status::models_from_config(&cfg);
    let model = match aliases.get(model).and_then(Value::as_str) {
        Some(r) if !model.contains('/') => r.to_string(),
        _ => model.to_string(),
    };
    let Some((mprov, _)) = model
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
    else {
        return Err(fail(format!(
            "`{model}` is neither `provider/model` (e.g. `{}/gpt-5.5`) nor an alias in agents.defaults.models",
            d.layout.codex_provider()
        )));
    };
    let auth = read_auth(&d)?;
    let known = super::catalog::known_models(&cfg, &auth, d.layout);
    if !known.iter().any(|k| same_model(k, &model)) {
        let hint = crate::policy::nearest(&model, &known)
            .map(|m| format!("did you mean {m}? "))
            .unwrap_or_default();
        return Err(fail(format!(
            "the agent does not know the model `{model}`: it is not the default model, a fallback, an alias, an allowed or configured model, nor in OpenClaw's catalog for a provider the agent has accounts for. {hint}Fix: check the spelling, or add it under agents.defaults.models in `{}`; nothing was written",
            d.config.display()
        )));
    }
    if let Some(p) = profile {
        let Some(cred) = auth.profiles.get(p) else {
            let ids: Vec<String> = auth.profiles.keys().cloned().collect();
            let hint = crate::policy::nearest(p, &ids)
                .map(|m| format!(" (did you mean {m}?)"))
                .unwrap_or_default();
            return Err(fail(format!(
                "no profile `{p}` in the OpenClaw auth store `{}`{hint}; known: {}",
                d.store_path().display(),
                ids.join(", ")
            )));
        };
        let pprov = cred.provider.as_str().unwrap_or("");
        if pprov != mprov {
            return Err(fail(format!(
                "profile `{p}` belongs to provider `{pprov}`, but `{model}` is served by `{mprov}`"
            )));
        }
    }
    let mut applied: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    let would = if host.dry_run { "would set" } else { "set" };

    // 1. The agent's model and fallback chain, decided from the config as it is under
    // OpenClaw's config lock: its own entry's `model` when that names one (where
    // OpenClaw's `setAgentEffectiveModelPrimary` writes it), else the default model
    // that every agent without one runs (where `openclaw models set` writes).
    {
        let _guard = config_lock(host)?;
        let cfg = config::load(&d.config)?;
        let (current, fallbacks, _) = status::models_for_agent(&cfg, &d.agent);
        let current = current.as_str().map(str::to_string);
        let wanted = fallback_chain(&model, current.as_deref(), &fallbacks, chain);
        let raw_root = root_config(&d)?;
        let own_model = status::agent_entry(&cfg, &d.agent).and_then(|(_, e)| e.get("model"));
        let own = status::own_primary(own_model).is_some();
        // An agent whose own `model` lists fallbacks but names no model runs the default
        // model with its own fallbacks: the model goes to the default, the fallbacks to
        // the agent, where it reads them.
        let own_chain = !own && status::own_fallbacks(own_model).is_some();
        let what = if own {
            format!("agent {}'s model", d.agent)
        } else {
            "default model".to_string()
        };
        let chain_what = if own || own_chain {
            format!("agent {}'s fallbacks", d.agent)
        } else {
            "fallbacks".to_string()
        };
        if current.as_deref() == Some(model.as_str()) {
            skipped.push(format!("{what}: already {model}"));
        } else {
            applied.push(format!(
                "{what}: {would} {model} (was {})",
                current.as_deref().unwrap_or("unset")
            ));
        }
        if wanted == fallbacks {
            skipped.push(format!("{chain_what}: already {}", shown_list(&fallbacks)));
        } else {
            applied.push(format!(
                "{chain_what}: {would} {} (was {})",
                shown_list(&wanted),
                shown_list(&fallbacks)
            ));
        }
        let mut sets = Vec::new();
        if current.as_deref() != Some(model.as_str()) || wanted != fallbacks {
            let defaults = ["agents", "defaults", "model"];
            sets = if own {
                agent_model_sets(&d, &raw_root, Some(&model), &wanted)?
            } else if own_chain {
                let mut sets = model_sets(&raw_root, &defaults, Some(&model), None);
                sets.extend(agent_model_sets(&d, &raw_root, None, &wanted)?);
                sets
            } else {
                model_sets(&raw_root, &defaults, Some(&model), Some(&wanted))
            };
            config::apply(host, &d.config, &sets)?;
        }
        if !host.dry_run && !sets.is_empty() {
            let cfg = config::load(&d.config)?;
            let (now, _, _) = status::models_for_agent(&cfg, &d.agent);
            if now.as_str() != Some(model.as_str()) {
                skipped.push(format!(
                    "{what}: written, but `{}` now says {} (a running gateway may have rewritten it)",
                    d.config.display(),
                    now.as_str().unwrap_or("nothing")
                ));
            }
        }
    }

    // 2. The provider order, with the profile first.
    if let Some(p) = profile {
        set_order_first(host, &d, &cfg, mprov, p, &mut applied, &mut skipped)?;
    }

    // 3. The main session, through a running gateway.
    set_session(host, &d, &cfg, &model, profile, &mut applied, &mut skipped)?;

    let changed = !applied.is_empty();
    Ok(json!({"changed": changed, "applied": applied, "skipped": skipped}))
}

/// The writes that set the `primary` and `fallbacks` given of the `model` at `at` in
/// the main config file `raw_root`: a plain string stays one when only its model
/// changes and becomes `{primary, fallbacks}` when fallbacks are set; an object keeps
/// its other keys.
fn model_sets(
    raw_root: &Value,
    at: &[&str],
    primary: Option<&str>,
    fallbacks: Option<&[String]>,
) -> Vec<config::Set> {
    match (config::get_path(raw_root, at), fallbacks) {
        (Some(Value::String(old)), Some(fallbacks)) => vec![config::Set::new(
            at,
            json!({"primary": primary.unwrap_or(old), "fallbacks": fallbacks}),
        )],
        (Some(Value::String(_)), None) => primary
            .map(|p| config::Set::new(at, p.into()))
            .into_iter()
            .collect(),
        _ => {
            let mut sets = Vec::new();
            if let Some(p) = primary {
                sets.push(config::Set::new(&[at, &["primary"]].concat(), p.into()));
            }
            if let Some(f) = fallbacks {
                sets.push(config::Set::new(&[at, &["fallbacks"]].concat(), json!(f)));
            }
            sets
        }
    }
}

/// [`model_sets`] for the agent's own entry: `agents.entries.<id>.model`, or the
/// `model` of its `agents.list` item (the list is written back whole, every other item
/// as it was); the model only when `primary` is given.
fn agent_model_sets(
    d: &Detected,
    raw_root: &Value,
    primary: Option<&str>,
    fallbacks: &[String],
) -> Result<Vec<config::Set>, Error> {
    match status::agent_entry(raw_root, &d.agent) {
        Some((status::EntryPlace::Entries, _)) => Ok(model_sets(
            raw_root,
            &["agents", "entries", &d.agent, "model"],
            primary,
            Some(fallbacks),
        )),
        Some((status::EntryPlace::List(i), _)) => {
            let mut list = config::get_path(raw_root, &["agents", "list"])
                .cloned()
                .unwrap_or_default();
            let mut model = match list[i].get("model") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            if let Some(p) = primary {
                model.insert("primary".into(), p.into());
            }
            model.insert("fallbacks".into(), json!(fallbacks));
            list[i]["model"] = Value::Object(model);
            Ok(vec![config::Set::new(&["agents", "list"], list)])
        }
        None => Err(Error::Failure(format!(
            "set_model: agent `{}`'s own model is set in a file that `{}` includes (`$include`); clawshift edits only the main config file. Change it there by hand; nothing was written",
            d.agent,
            d.config.display()
        ))),
    }
}

/// `a, b` or `none`.
fn shown_list(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// The fallbacks to leave behind `model` (see [`set_model`]): never the primary, never
/// twice, every model of `chain` in its order, then the user's other fallbacks.
pub fn fallback_chain(
    model: &str,
    old_primary: Option<&str>,
    fallbacks: &[String],
    chain: Option<&[String]>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |m: &str| {
        if !same_model(m, model) && !out.iter().any(|x| same_model(x, m)) {
            out.push(m.to_string());
        }
    };
    match chain {
        Some(chain) => {
            for m in chain {
                add(m);
            }
            for m in fallbacks {
                add(m);
            }
        }
        None => {
            if let Some(p) = old_primary {
                add(p);
            }
            for m in fallbacks {
                add(m);
            }
        }
    }
    out
}

/// The main config file without `$include` resolution (to keep the model's shape).
fn root_config(d: &Detected) -> Result<Value, Error> {
    match files::read_limited(&d.config)? {
        Some(b) if !String::from_utf8_lossy(&b).trim().is_empty() => {
            config::parse_json5(&String::from_utf8_lossy(&b), &d.config)
        }
        _ => Ok(Value::Object(Map::new())),
    }
}

fn effective_order(d: &Detected, cfg: &Value, provider: &str) -> Result<Vec<String>, Error> {
    let auth = read_auth(d)?;
    Ok(order_of(&auth.providers(), &auth.order, cfg, provider))
}

/// `provider`'s order as status reads it, from a store's profiles (id and the provider
/// each names) and its `order`.
fn order_of(
    profiles: &[(&str, Option<&str>)],
    order: &Map<String, Value>,
    cfg: &Value,
    provider: &str,
) -> Vec<String> {
    status::orders(profiles, order, cfg)
        .into_iter()
        .find(|(p, _, _)| p == provider)
        .map(|(_, o, _)| o)
        .unwrap_or_default()
}

/// The ids of the profiles that name `provider`, from a store's (id, provider) list.
fn profiles_of(profiles: &[(&str, Option<&str>)], provider: &str) -> Vec<String> {
    profiles
        .iter()
        .filter(|(_, p)| *p == Some(provider))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// After `openclaw models auth order set` wrote the list clawshift read before it
/// started (seconds earlier), puts back at the end of the order every profile of the
/// provider that another writer added in between and that the CLI's write dropped.
/// Runs under the store's lock (or transaction), re-reading the store there. Returns
/// the ids appended, if any.
fn restore_newcomers(
    host: &Host,
    d: &Detected,
    cfg: &Value,
    provider: &str,
    known: &[String],
) -> Result<Option<String>, Error> {
    let (added, _) = update(host, d, |docs| {
        let auth = docs.effective();
        let listed = auth.providers();
        let mut order = order_of(&listed, &auth.order, cfg, provider);
        let added: Vec<String> = profiles_of(&listed, provider)
            .into_iter()
            .filter(|id| !known.contains(id) && !order.contains(id))
            .collect();
        if !added.is_empty() {
            order.extend(added.iter().cloned());
            docs.set("order", provider, json!(order));
        }
        Ok(added)
    })?;
    Ok((!added.is_empty()).then(|| added.join(", ")))
}

/// The store as `openclaw models auth order set` left it. OpenClaw 2026.4.21 already
/// keeps the order in `auth-state.json` (merged over the legacy `auth-profiles.json`), so
/// its `order set` turns a legacy store into the split one (recorded in
/// openclaw-real/after-order-set-2026.4.21-legacy): reading or appending the order must
/// then go where OpenClaw put it, not to the layout detected before the call.
fn layout_after_cli(d: &Detected) -> Detected {
    let mut after = d.clone();
    if after.layout == Layout::LegacyJson && after.json_state.exists() {
        after.layout = Layout::SplitJson;
    }
    after
}

fn set_order_first(
    host: &Host,
    d: &Detected,
    cfg: &Value,
    provider: &str,
    profile: &str,
    applied: &mut Vec<String>,
    skipped: &mut Vec<String>,
) -> Result<(), Error> {
    let auth = read_auth(d)?;
    let listed = auth.providers();
    let order = order_of(&listed, &auth.order, cfg, provider);
    // The provider's profiles as this run saw them: one that appears later was added
    // by another writer while `openclaw models auth order set` started up, and the
    // list handed to it cannot name it.
    let known: Vec<String> = profiles_of(&listed, provider);
    crate::testhook::point("order-read");
    if order.first().map(String::as_str) == Some(profile) {
        skipped.push(format!("order {provider}: {profile} is already first"));
        return Ok(());
    }
    let mut wanted = vec![profile.to_string()];
    wanted.extend(order.iter().filter(|x| x.as_str() != profile).cloned());
    let shown_ids = wanted.clone();
    let ids: Vec<&str> = shown_ids.iter().map(String::as_str).collect();
    // The agent is always named: with several agents configured, 2026.9 refuses to
    // guess which one is meant, even for main.
    let mut args = vec![
        "models",
        "auth",
        "order",
        "set",
        "--provider",
        provider,
        "--agent",
        d.agent.as_str(),
    ];
    args.extend(ids.iter().copied());
    let mut how = "written directly (locked)".to_string();
    let mut done = false;
    // A running gateway is the one writer of the order when it offers
    // `models.authOrderSet`: it saves and republishes the order in one step.
    if !host.dry_run {
        match order_through_gateway(host, d, cfg, provider, &wanted) {
            Ok(ids) => {
                wanted = ids;
                how = "through the gateway's models.authOrderSet".to_string();
                done = true;
            }
            Err(Some(why)) => how = format!("written directly (locked) because {why}"),
            Err(None) => {}
        }
    }
    if !done && let Some(bin) = host.openclaw_bin() {
        if host.dry_run {
            host.dry_note(&format!("dry-run: would run {}", cli::shown(&args)))?;
            applied.push(format!("order {provider}: would set {}", wanted.join(", ")));
            return Ok(());
        }
        let out = cli::run(host, &bin, &args, ORDER_SET_TIMEOUT)?;
        if out.code == Some(0) {
            how = format!("through `{}`", cli::shown(&args[..6]));
            done = true;
            if let Some(added) =
                restore_newcomers(host, &layout_after_cli(d), cfg, provider, &known)?
            {
                how = format!("{how}; then appended {added}, added meanwhile, under the lock");
            }
        } else {
            how = format!(
                "written directly because `{}` failed ({})",
                cli::shown(&args[..6]),
                cli::reason(&out)
            );
        }
    }
    if !done {
        // Recompute under the lock from the store as it is now: a profile another
        // writer appended since the read above must not be dropped.
        let (locked, _) = update(host, d, |docs| {
            let auth = docs.effective();
            let order = order_of(&auth.providers(), &auth.order, cfg, provider);
            let mut wanted = vec![profile.to_string()];
            wanted.extend(order.into_iter().filter(|x| x.as_str() != profile));
            docs.set("order", provider, json!(wanted));
            Ok(wanted)
        })?;
        wanted = locked;
        if host.dry_run {
            applied.push(format!("order {provider}: would set {}", wanted.join(", ")));
            return Ok(());
        }
    }
    let now = effective_order(&layout_after_cli(d), cfg, provider)?;
    if now.first().map(String::as_str) == Some(profile) {
        applied.push(format!("order {provider}: {} ({how})", wanted.join(", ")));
    } else {
        skipped.push(format!(
            "order {provider}: {how}, but it now reads {} (a running gateway may have overwritten it)",
            if now.is_empty() { "empty".to_string() } else { now.join(", ") }
        ));
    }
    Ok(())
}

/// Puts `wanted` first through the gateway's `models.authOrderSet`, naming every
/// profile of the provider the gateway knows (it refuses a partial list). `Err(None)`
/// when no gateway answers; `Err(Some(reason))` when one answered but refused.
fn order_through_gateway(
    host: &Host,
    d: &Detected,
    cfg: &Value,
    provider: &str,
    wanted: &[String],
) -> Result<Vec<String>, Option<String>> {
    let mut g = gateway::open(host, cfg).map_err(|_| None)?;
    let agent = (d.agent != "main").then(|| json!(d.agent));
    let mut status_params = json!({});
    if let Some(a) = &agent {
        status_params["agentId"] = a.clone();
    }
    let st = g
        .call("models.authStatus", status_params)
        .map_err(Some)?
        .map_err(|e| Some(format!("the gateway refused models.authStatus ({e})")))?;
    let known: Vec<String> = st
        .get("providers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("provider").and_then(Value::as_str) == Some(provider))
        .flat_map(|p| {
            p.get("profiles")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| {
            p.get("profileId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect();
    let mut ids: Vec<String> = wanted
        .iter()
        .filter(|w| known.contains(w))
        .cloned()
        .collect();
    if ids.first() != wanted.first() {
        return Err(Some(format!(
            "the gateway does not know {}",
            wanted.first().map_or("the profile", String::as_str)
        )));
    }
    ids.extend(known.iter().filter(|k| !wanted.contains(k)).cloned());
    let mut params = json!({"provider": provider, "profileIds": ids});
    if let Some(a) = agent {
        params["agentId"] = a;
    }
    let r = g
        .call("models.authOrderSet", params)
        .map_err(Some)?
        .map_err(|e| Some(format!("the gateway refused models.authOrderSet ({e})")));
    g.close();
    r.map(|_| ids)
}

fn set_session(
    host: &Host,
    d: &Detected,
    cfg: &Value,
    model: &str,
    profile: Option<&str>,
    applied: &mut Vec<String>,
    skipped: &mut Vec<String>,
) -> Result<(), Error> {
    let key = gateway::main_key(&d.agent);
    let target = match profile {
        Some(p) => format!("{model}@{p}"),
        None => model.to_string(),
    };
    let already = |model_now: Option<&str>, profile_now: Option<&str>| {
        model_now == Some(model) && (profile.is_none() || profile_now == profile)
    };
    if d.layout.is_json() {
        let st = status::native(host)?;
        let same_model = st.current_source == "session" && st.current.as_deref() == Some(model);
        if same_model && already(st.current.as_deref(), st.current_profile.as_deref()) {
            skipped.push(format!("main session: already {target}"));
            return Ok(());
        }
    }
    let port = cli::gateway_port(host, cfg);
    // Read before patching: this run's earlier reading (status, switch) when it has
    // one, so that a run that changes nothing sends nothing more.
    let mut conn = None;
    let route = match gateway::remembered(port, &key) {
        Some(r) => r,
        None => {
            let read = gateway::open(host, cfg).and_then(|mut g| {
                let r = g.read_session(&key)?;
                Ok((g, r))
            });
            match read {
                Ok((g, r)) => {
                    gateway::remember(port, &key, &r);
                    conn = Some(g);
                    r
                }
                Err(why) => {
                    skipped.push(format!(
                        "main session: {why} (new sessions use the default model)"
                    ));
                    return Ok(());
                }
            }
        }
    };
    if already(route.model.as_deref(), route.profile.as_deref()) {
        skipped.push(format!("main session: already {target}"));
        return Ok(());
    }
    if host.dry_run {
        host.dry_note(&format!(
            "dry-run: would send sessions.patch {{\"key\":\"{key}\",\"model\":\"{target}\"}} to the gateway on 127.0.0.1:{port}"
        ))?;
        applied.push(format!("main session: would patch {key} to {target}"));
        return Ok(());
    }
    let mut g = match conn {
        Some(g) => g,
        None => match gateway::open(host, cfg) {
            Ok(g) => g,
            Err(why) => {
                skipped.push(format!(
                    "main session: {why} (new sessions use the default model)"
                ));
                return Ok(());
            }
        },
    };
    let was = match (&route.model, &route.profile) {
        (Some(m), Some(p)) => format!("{m}@{p}"),
        (Some(m), None) => m.clone(),
        (None, _) => "no session yet".to_string(),
    };
    match g.call("sessions.patch", json!({"key": key, "model": target})) {
        Ok(Ok(_)) => {
            gateway::remember(
                port,
                &key,
                &gateway::SessionRoute {
                    model: Some(model.to_string()),
                    overridden: true,
                    // Changing the provider clears the session's pinned account.
                    profile: profile.map(str::to_string).or_else(|| {
                        let prov = |m: &str| m.split('/').next().map(str::to_string);
                        route
                            .model
                            .as_deref()
                            .and_then(prov)
                            .filter(|p| prov(model).as_ref() == Some(p))
                            .and(route.profile.clone())
                    }),
                },
            );
            applied.push(format!(
                "main session: {key} patched to {target} (sessions.patch; was {was})"
            ));
        }
        Ok(Err(msg)) => skipped.push(format!(
            "main session: the gateway refused sessions.patch ({msg})"
        )),
        Err(why) => skipped.push(format!("main session: sessions.patch failed ({why})")),
    }
    g.close();
    Ok(())
}
