//! `models_status()`: one map describing the agent's models and auth profiles, read
//! natively from OpenClaw's files (milliseconds, no Node), or from
//! `openclaw models status --json` with `source: "openclaw"`. The shape is the contract
//! in docs/architecture.md.

use foldhash::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::store::{Cred, Usage};
use super::{Detected, Layout, cli, config, detect, read_auth};
use crate::error::Error;
use crate::host::Host;
use crate::model::{BlockKind, Identity, Profile, Provider, Status};

/// How long `openclaw models status --json` may take (1.4–5 s observed).
pub const OPENCLAW_STATUS_TIMEOUT: Duration = Duration::from_secs(30);

fn num(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn s(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

/// The model a cooldown is scoped to, as a full `provider/model` ref.
fn model_ref(provider: &str, m: Option<String>) -> Option<String> {
    match m {
        Some(m) if m.contains('/') => Some(m),
        Some(m) if !m.is_empty() => Some(format!("{provider}/{m}")),
        _ => None,
    }
}

/// A sentence naming a malformed field of a profile, for `status` and `doctor`.
pub fn malformed_text(id: &str, field: &str, what: &str) -> String {
    format!("profile `{id}`: `{field}` {what}; it is shown as unknown")
}

/// One profile's status at `now` (see the `<profile>` shape in docs/architecture.md).
///
/// An OAuth profile past `expires` that holds a refresh token is `refresh-due`, and
/// usable: OpenClaw refreshes it on first use (2026.9.6 `credential-state`: an OAuth
/// credential is eligible unless it is a refresh fence or has neither token). Only
/// what OpenClaw itself records makes a profile unusable: its cooldown, blocked and
/// disabled windows, and a refresh it recorded as failed.
pub fn profile_status(id: &str, cred: &Cred, usage: Option<&Usage>, now: i64) -> Profile {
    let provider = cred
        .provider
        .shared()
        .unwrap_or_else(|| id.split_once(':').map_or("", |(p, _)| p).into());
    let ty = cred.ty.shared().or_else(|| cred.mode.shared());
    let expires = cred.expires.millis();
    let fenced = cred.failed_fence();
    let access = cred.access.shared().filter(|_| !fenced);
    let identity = Identity::new(
        cred.email.shared(),
        cred.account_id.shared(),
        cred.plan.shared(),
        access,
    );
    let refreshable = ty.as_deref() == Some("oauth")
        && cred.refresh.as_str().is_some_and(|r| !r.trim().is_empty());

    let none = Usage::default();
    let u = usage.unwrap_or(&none);
    let active = |v: Option<&Value>| num(v).filter(|t| *t > now);
    let disabled = active(u.disabled_until.as_deref());
    let cooldown = active(u.cooldown_until.as_deref());
    let blocked = active(u.blocked_until.as_deref());
    let until = [disabled, cooldown, blocked].into_iter().flatten().max();
    let past = expires.is_some_and(|e| e <= now);
    let (kind, reason, model) = if disabled.is_some() {
        (
            Some(BlockKind::Disabled),
            s(u.disabled_reason.as_deref()),
            None,
        )
    } else if cooldown.is_some_and(|c| Some(c) >= blocked) {
        (
            Some(BlockKind::Cooldown),
            s(u.cooldown_reason.as_deref()),
            model_ref(&provider, s(u.cooldown_model.as_deref())),
        )
    } else if blocked.is_some() {
        (
            Some(BlockKind::Cooldown),
            s(u.blocked_reason.as_deref()),
            model_ref(&provider, s(u.blocked_model.as_deref())),
        )
    } else if fenced {
        (
            Some(BlockKind::Expired),
            Some("refresh-failed".to_string()),
            None,
        )
    } else if past && !refreshable {
        (Some(BlockKind::Expired), None, None)
    } else {
        (None, None, None)
    };
    let state = match kind {
        Some(k) => k.name(),
        None if past => "refresh-due",
        None => "usable",
    };
    let expires = if fenced { None } else { expires };
    Profile {
        id: id.into(),
        provider,
        credential: ty,
        identity,
        expires,
        expires_in_ms: expires.map(|e| e.saturating_sub(now)),
        usable: kind.is_none(),
        state: Some(state.into()),
        kind,
        reason,
        until: if kind.is_some() { until } else { None },
        remaining_ms: if kind.is_some() {
            until.map(|t| t.saturating_sub(now))
        } else {
            None
        },
        model,
        position: None,
    }
}

/// The strings of a JSON array (other items skipped), or none.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.map_or_else(Vec::new, |v| str_items(v).map(str::to_string).collect())
}

/// The strings of a JSON array (other items skipped), borrowed; none when it is not
/// an array.
pub fn str_items(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// Default model, fallbacks and aliases from the resolved config.
pub fn models_from_config(cfg: &Value) -> (Value, Vec<String>, Map<String, Value>) {
    let defaults = config::get_path(cfg, &["agents", "defaults"]);
    let model = defaults.and_then(|d| d.get("model"));
    let (primary, fallbacks) = match model {
        Some(Value::String(p)) => (Value::String(p.clone()), Vec::new()),
        Some(m @ Value::Object(_)) => (
            m.get("primary")
                .cloned()
                .filter(Value::is_string)
                .unwrap_or(Value::Null),
            strings(m.get("fallbacks")),
        ),
        _ => (Value::Null, Vec::new()),
    };
    (primary, fallbacks, aliases_from_config(cfg))
}

/// [`models_from_config`] for one agent, as OpenClaw resolves it
/// (`resolveAgentEffectiveModelPrimary`, `resolveAgentModelFallbacksOverride`): the
/// primary its own entry's `model` names (a string, or an object's `primary`), else
/// the default; its own fallbacks when its `model` lists them, none when it names a
/// primary without them, else the default's. `openclaw models status --agent ID`
/// reports the same (`modelConfig.defaultSource: "agent"`).
pub fn models_for_agent(cfg: &Value, agent: &str) -> (Value, Vec<String>, Map<String, Value>) {
    let (mut primary, mut fallbacks, aliases) = models_from_config(cfg);
    let own = agent_entry(cfg, agent).and_then(|(_, e)| e.get("model"));
    if let Some(p) = own_primary(own) {
        primary = Value::String(p.to_string());
    }
    if let Some(f) = own_fallbacks(own) {
        fallbacks = f;
    }
    (primary, fallbacks, aliases)
}

/// Where an agent's own settings are in the config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EntryPlace {
    /// `agents.entries.<id>` (OpenClaw 2026.6 on).
    Entries,
    /// `agents.list[i]`, the older roster OpenClaw still reads.
    List(usize),
}

/// The agent's own config entry, if it has one: `agents.entries.<id>`, else the
/// `agents.list` item with that `id`.
pub fn agent_entry<'a>(cfg: &'a Value, agent: &str) -> Option<(EntryPlace, &'a Value)> {
    if let Some(e) = config::get_path(cfg, &["agents", "entries", agent]) {
        return Some((EntryPlace::Entries, e));
    }
    let list = config::get_path(cfg, &["agents", "list"])?.as_array()?;
    let i = list
        .iter()
        .position(|a| a.get("id").and_then(Value::as_str) == Some(agent))?;
    Some((EntryPlace::List(i), &list[i]))
}

/// The primary an agent's own `model` names, trimmed; `None` when it names none (then
/// the agent runs the default model).
pub fn own_primary(model: Option<&Value>) -> Option<&str> {
    let p = match model? {
        Value::String(p) => p,
        Value::Object(m) => m.get("primary")?.as_str()?,
        _ => return None,
    };
    Some(p.trim()).filter(|p| !p.is_empty())
}

/// The fallbacks an agent's own `model` gives it: the list it has, none when it names a
/// primary without a `fallbacks` key; `None` when the agent takes the default's (no
/// `model`, or a `fallbacks` that is not a list), as OpenClaw's
/// `resolveSelectedModelFallbacksOverride`.
pub fn own_fallbacks(model: Option<&Value>) -> Option<Vec<String>> {
    match model.and_then(|m| m.get("fallbacks")) {
        Some(f) => f.is_array().then(|| strings(Some(f))),
        None => own_primary(model).map(|_| Vec::new()),
    }
}

/// Every alias of `agents.defaults.models`, alias to `provider/model`.
fn aliases_from_config(cfg: &Value) -> Map<String, Value> {
    let defaults = config::get_path(cfg, &["agents", "defaults"]);
    let mut aliases = Map::new();
    if let Some(Value::Object(models)) = defaults.and_then(|d| d.get("models")) {
        for (r, spec) in models {
            if let Some(a) = spec.get("alias").and_then(Value::as_str) {
                aliases.insert(a.to_string(), r.clone().into());
            }
        }
    }
    aliases
}

/// Every model with settings under `agents.defaults.models` (aliases, runtime, params).
pub fn configured_models(cfg: &Value) -> Vec<String> {
    match config::get_path(cfg, &["agents", "defaults", "models"]) {
        Some(Value::Object(models)) => models.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The allowlist as `openclaw models status` reports it: the keys of
/// `agents.defaults.models` in the JSON eras, `agents.defaults.modelPolicy.allow` from
/// 2026.6 on (where `models` only holds per-model settings).
pub fn allowed_from_config(cfg: &Value, layout: Layout) -> Vec<String> {
    if layout.is_json() {
        configured_models(cfg)
    } else {
        strings(config::get_path(
            cfg,
            &["agents", "defaults", "modelPolicy", "allow"],
        ))
    }
}

/// The effective order of each provider and where it came from.
pub fn orders(
    profiles: &[(&str, Option<&str>)],
    order: &Map<String, Value>,
    cfg: &Value,
) -> Vec<(String, Vec<String>, &'static str)> {
    let mut providers: Vec<String> = Vec::new();
    let mut add = |p: &str| {
        if !p.is_empty() && !providers.iter().any(|x| x == p) {
            providers.push(p.to_string());
        }
    };
    for (id, provider) in profiles {
        add(provider.unwrap_or_else(|| id.split(':').next().unwrap_or("")));
    }
    for p in order.keys() {
        add(p);
    }
    let cfg_order = config::get_path(cfg, &["auth", "order"]);
    providers
        .into_iter()
        .map(|p| {
            if let Some(o) = order.get(&p).filter(|o| o.is_array()) {
                let list = strings(Some(o));
                (p, list, "store")
            } else if let Some(o) = cfg_order.and_then(|c| c.get(&p)).filter(|o| o.is_array()) {
                (p.clone(), strings(Some(o)), "config")
            } else {
                let list = profiles
                    .iter()
                    .filter(|(_, provider)| *provider == Some(p.as_str()))
                    .map(|(id, _)| id.to_string())
                    .collect();
                (p, list, "profiles")
            }
        })
        .collect()
}

/// The main session's model and pinned profile from `sessions.json` (JSON eras).
fn session_current(d: &Detected) -> Result<(Option<String>, Option<String>), Error> {
    let path = d.sessions_json();
    let Some(bytes) = crate::files::read_limited(&path)? else {
        return Ok((None, None));
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Failure(format!(
            "`{}` is not valid JSON ({e}); OpenClaw rewrites it on its next session update, or restore it from a backup",
            path.display()
        ))
    })?;
    let key = format!("agent:{}:main", d.agent);
    let Some(entry) = v.get(&key) else {
        return Ok((None, None));
    };
    let model = match (
        s(entry.get("providerOverride")),
        s(entry.get("modelOverride")),
    ) {
        (Some(p), Some(m)) if m.contains('/') && m.starts_with(&format!("{p}/")) => Some(m),
        (Some(p), Some(m)) => Some(format!("{p}/{m}")),
        (None, Some(m)) if m.contains('/') => Some(m),
        _ => None,
    };
    let pinned = chosen_pin(
        entry.get("authProfileOverride").and_then(Value::as_str),
        entry
            .get("authProfileOverrideSource")
            .and_then(Value::as_str),
    );
    Ok((model, pinned))
}

/// The account a session is pinned to, if someone chose it (source `user`,
/// `user-link`, as `sessions.patch` and `/model …@profile` set it). An `auto` pin is
/// OpenClaw's own rotation for a turn, e.g. past an account in cooldown: OpenClaw drops
/// it for the first account of the provider's order once that one has recovered, so
/// the account the agent is on is that order's first, which is what a switch must
/// move. Taking the auto pin for the route made `switch` believe the agent had already
/// left the cooled account and stay silent, leaving it first in the order. Used for
/// `sessions.json` and for a gateway's `chat.metadata` alike.
pub fn chosen_pin(profile: Option<&str>, source: Option<&str>) -> Option<String> {
    profile
        .filter(|_| source != Some("auto"))
        .map(str::to_string)
}

fn paths(d: &Detected) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "state_dir": d.state_dir.display().to_string(),
        "config": d.config.display().to_string(),
        "agent_dir": d.agent_dir.display().to_string(),
        "store": d.store_path().display().to_string(),
        "state": d.state_path().display().to_string(),
        "agent_db": if d.layout.is_json() { Value::Null } else { d.agent_db.display().to_string().into() },
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    m
}

fn alias_list(aliases: Map<String, Value>) -> Vec<(String, String)> {
    aliases
        .into_iter()
        .filter_map(|(a, r)| Some((a, r.as_str()?.to_string())))
        .collect()
}

/// The native `models_status()`: OpenClaw's files read once, judged at the run's clock.
pub fn native(host: &Host) -> Result<Status, Error> {
    let d = detect(host)?;
    let auth = read_auth(&d)?;
    let cfg = config::load(&d.config)?;
    let now = host.now_ms();
    let (default_model, fallbacks, aliases) = models_for_agent(&cfg, &d.agent);
    let (cur_model, cur_profile) = if d.layout.is_json() {
        session_current(&d)?
    } else {
        // SQLite eras keep sessions in the agent database, which only the gateway
        // may touch: a running gateway is asked (one read, remembered for the rest of
        // the run); without one the current model is the default.
        match super::gateway::read_main(host, &cfg, &d.agent) {
            Ok(r) if r.overridden => (r.model, r.profile),
            Ok(r) => (None, r.profile),
            Err(_) => (None, None),
        }
    };
    let mut warnings: Vec<String> = d.blocker.iter().cloned().collect();
    // Each made in its shared place at once: a thousand profiles are a third of a
    // megabyte, not to be written once in a list and then moved.
    let mut profiles: Vec<Rc<Profile>> = Vec::with_capacity(auth.profiles.len());
    for (id, cred) in &auth.profiles {
        for (field, what) in cred.malformed() {
            warnings.push(malformed_text(id, field, &what));
        }
        profiles.push(Rc::new(profile_status(
            id,
            cred,
            auth.usage.get(id).map(|u| &**u),
            now,
        )));
    }
    let default_model = default_model.as_str().map(str::to_string);
    let (current, current_source) = match cur_model {
        Some(m) => (Some(m), "session"),
        None => (default_model.clone(), "default"),
    };
    let orders = orders(&auth.providers(), &auth.order, &cfg);
    let (providers, profiles) = link(orders, &auth.last_good, profiles);
    Ok(Status {
        source: "native".into(),
        layout: d.layout.name().into(),
        agent: d.agent.clone(),
        now,
        codex_provider: d.layout.codex_provider().into(),
        paths: paths(&d),
        default_model,
        fallbacks,
        aliases: alias_list(aliases),
        allowed: allowed_from_config(&cfg, d.layout),
        models: configured_models(&cfg),
        current,
        current_source: current_source.into(),
        current_profile: cur_profile,
        providers,
        profiles,
        warnings,
        usage: None,
        index: Default::default(),
    })
}

/// Numbers each profile by its place in its provider's order and shares it between the
/// provider's list and the status's: the providers in `orders`' order, each listing its
/// ordered profiles first, then those the order leaves out (store order).
fn link(
    orders: Vec<(String, Vec<String>, &'static str)>,
    last_good: &Map<String, Value>,
    mut profiles: Vec<Rc<Profile>>,
) -> (Vec<Provider>, Vec<Rc<Profile>>) {
    // Each provider's list as places in `profiles`, and each profile's place in its
    // order, found through one index that borrows the ids rather than copies them.
    let mut places: Vec<(usize, i64)> = Vec::new();
    let lists: Vec<Vec<usize>> = {
        let index: HashMap<&str, usize> = profiles
            .iter()
            .enumerate()
            .map(|(i, p)| (&*p.id, i))
            .collect();
        orders
            .iter()
            .map(|(p, order, _)| {
                let mut list = Vec::new();
                for (i, id) in order.iter().enumerate() {
                    if let Some(&x) = index.get(id.as_str()) {
                        places.push((x, i as i64 + 1));
                        list.push(x);
                    }
                }
                let ordered: HashSet<&str> = order.iter().map(String::as_str).collect();
                list.extend(profiles.iter().enumerate().filter_map(|(x, q)| {
                    (*q.provider == **p && !ordered.contains(&*q.id)).then_some(x)
                }));
                list
            })
            .collect()
    };
    // Not yet shared, so set in place.
    for (x, place) in places {
        Rc::make_mut(&mut profiles[x]).position = Some(place);
    }
    let providers = orders
        .into_iter()
        .zip(lists)
        .map(|((p, order, source), list)| {
            let list = list.into_iter().map(|x| profiles[x].clone()).collect();
            Provider {
                last_good: last_good
                    .get(&p)
                    .and_then(Value::as_str)
                    .map(str::to_string),
                id: p,
                order,
                order_source: Some(source.to_string()),
                profiles: list,
            }
        })
        .collect();
    (providers, profiles)
}

/// `models_status(#{source: "openclaw"})`: the same shape from
/// `openclaw models status --json`.
pub fn from_openclaw(host: &Host) -> Result<Status, Error> {
    let bin = host.openclaw_bin().ok_or_else(|| {
        Error::Failure(
            "`openclaw` was not found on PATH (or CLAWSHIFT_OPENCLAW_BIN); install OpenClaw or use models_status() for a native read".into(),
        )
    })?;
    // Always naming the agent: with several agents configured, 2026.9 refuses to guess
    // ("model inspection has no explicit owner"), even for main.
    let args = ["models", "status", "--json", "--agent", host.agent.as_str()];
    let out = cli::run(host, &bin, &args, OPENCLAW_STATUS_TIMEOUT)?;
    if out.timed_out {
        return Err(Error::Failure(format!(
            "`{}` did not finish within {}s; nothing was read",
            cli::shown(&args),
            OPENCLAW_STATUS_TIMEOUT.as_secs()
        )));
    }
    let v: Option<Value> = serde_json::from_str(out.stdout.trim()).ok();
    if out.code != Some(0)
        || v.as_ref()
            .is_some_and(|v| v.get("ok") == Some(&Value::Bool(false)))
    {
        return Err(Error::Failure(format!(
            "`{}` failed ({})",
            cli::shown(&args),
            cli::reason(&out)
        )));
    }
    let v = v.ok_or_else(|| {
        Error::Failure(format!(
            "`{}` printed something that is not JSON; is `{}` OpenClaw?",
            cli::shown(&args),
            bin.display()
        ))
    })?;
    let now = host.now_ms();
    // Order and lastGood are not in `models status`; take them from a native read when
    // the files allow it.
    let d = detect(host).ok();
    let native_auth = d.as_ref().and_then(|d| read_auth(d).ok());
    let cfg = d
        .as_ref()
        .and_then(|d| config::load(&d.config).ok())
        .unwrap_or(Value::Null);
    let auth = v.get("auth").cloned().unwrap_or(Value::Null);
    let store_path = s(auth.get("storePath")).unwrap_or_default();
    let layout = if store_path.ends_with("openclaw-agent.sqlite") {
        Layout::AgentSqlite.name()
    } else if store_path.ends_with(".sqlite") {
        Layout::Sqlite.name()
    } else {
        d.as_ref().map_or(Layout::LegacyJson, |d| d.layout).name()
    };
    let unusable: Vec<Value> = auth
        .get("unusableProfiles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut emails: Map<String, Value> = Map::new();
    for p in auth
        .get("providers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for label in strings(p.get("profiles").and_then(|x| x.get("labels"))) {
            if let Some((id, rest)) = label.split_once("=OAuth (")
                && let Some(email) = rest.split(')').next()
            {
                emails.insert(id.to_string(), email.into());
            }
        }
    }
    let mut profiles: Vec<Profile> = Vec::new();
    for h in auth
        .get("oauth")
        .and_then(|o| o.get("profiles"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = s(h.get("profileId")) else {
            continue;
        };
        let provider = s(h.get("provider")).unwrap_or_default();
        let expires = num(h.get("expiresAt"));
        let native = native_auth.as_ref().and_then(|a| a.profiles.get(&id));
        let nat = |f: fn(&Cred) -> &super::store::Field| native.and_then(|n| f(n).text());
        let un = unusable
            .iter()
            .find(|u| u.get("profileId").and_then(Value::as_str) == Some(id.as_str()));
        let status = s(h.get("status")).unwrap_or_default();
        // OpenClaw says `expired` both for a token it will refresh on first use (it
        // keeps `expiresAt`) and for a failed refresh (no `expiresAt`: the credential
        // became a failed fence).
        let (kind, reason, until, remaining) = match un {
            Some(u) => (
                match s(u.get("kind")).as_deref() {
                    Some("disabled") => Some(BlockKind::Disabled),
                    Some("expired") => Some(BlockKind::Expired),
                    _ => Some(BlockKind::Cooldown),
                },
                s(u.get("reason")),
                num(u.get("until")),
                num(u.get("remainingMs")),
            ),
            None if status == "expired" && expires.is_none() => (
                Some(BlockKind::Expired),
                Some("refresh-failed".to_string()),
                None,
                None,
            ),
            None => (None, None, None, None),
        };
        let state = match kind {
            Some(k) => k.name(),
            None if status == "expired" => "refresh-due",
            None => "usable",
        };
        let plan = native
            .and_then(|n| n.access.as_str())
            .and_then(crate::jwt::identity)
            .and_then(|(_, _, plan)| plan);
        let email = emails
            .get(&id)
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| nat(|n| &n.email));
        profiles.push(Profile {
            identity: Identity::new(
                email.map(Arc::from),
                nat(|n| &n.account_id).map(Arc::from),
                plan.map(Arc::from),
                None,
            ),
            id: id.into(),
            provider: provider.into(),
            credential: s(h.get("type")).map(Arc::from),
            expires,
            expires_in_ms: num(h.get("remainingMs")).or(expires.map(|e| e.saturating_sub(now))),
            usable: kind.is_none(),
            state: Some(state.into()),
            kind,
            reason,
            until,
            remaining_ms: remaining,
            model: None,
            position: None,
        });
    }
    let no_store = Map::new();
    let (order, last_good) = native_auth
        .as_deref()
        .map_or((&no_store, &no_store), |a| (&a.order, &a.last_good));
    let listed: Vec<(&str, Option<&str>)> = profiles
        .iter()
        .map(|p| (&*p.id, Some(&*p.provider)))
        .collect();
    let orders = orders(&listed, order, &cfg);
    let profiles = profiles.into_iter().map(Rc::new).collect();
    let (providers, profiles) = link(orders, last_good, profiles);
    let default_model = s(v.get("defaultModel"));
    let det = d.as_ref();
    let Value::Object(paths) = json!({
        "state_dir": host.openclaw_state_dir.display().to_string(),
        "config": opt(s(v.get("configPath"))),
        "agent_dir": opt(s(v.get("agentDir"))),
        "store": store_path.clone(),
        "state": det.map_or(Value::String(store_path), |d| d.state_path().display().to_string().into()),
        "agent_db": det.filter(|d| !d.layout.is_json()).map_or(Value::Null, |d| d.agent_db.display().to_string().into()),
    }) else {
        unreachable!("json! of an object literal is an object")
    };
    Ok(Status {
        source: "openclaw".into(),
        layout: layout.into(),
        agent: host.agent.clone(),
        now,
        codex_provider: if layout == "sqlite" || layout == "agent-sqlite" {
            "openai"
        } else {
            "openai-codex"
        }
        .into(),
        paths,
        default_model: default_model.clone(),
        fallbacks: strings(v.get("fallbacks")),
        aliases: alias_list(
            v.get("aliases")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        ),
        allowed: strings(v.get("allowed")),
        models: configured_models(&cfg),
        current: default_model,
        current_source: "default".into(),
        current_profile: None,
        providers,
        profiles,
        warnings: Vec::new(),
        usage: None,
        index: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::models_for_agent;

    /// OpenClaw 2026.9.6's `models status --agent ID --json` (`defaultModel`,
    /// `fallbacks`) for each shape of an agent's own `model`, checked against the real
    /// CLI when this was written.
    #[test]
    fn an_agents_model_is_its_own_entrys_else_the_default_as_openclaw_resolves_it() {
        let cfg = json!({"agents": {
            "defaults": {"model": {"primary": "openai/gpt-5.5", "fallbacks": ["anthropic/claude-opus-4-7"]}},
            "entries": {
                "main": {},
                "work": {"model": "anthropic/claude-opus-4-7"},
                "both": {"model": {"primary": "openai/gpt-5.4", "fallbacks": ["openai/gpt-5.5"]}},
                "chain": {"model": {"fallbacks": ["openai/gpt-5.4"]}},
                "blank": {"model": "  "}
            },
            "list": [{"id": "old", "model": {"primary": " anthropic/claude-opus-4-7 "}}, {"id": "work", "model": "ignored"}]
        }});
        let of = |agent: &str| {
            let (p, f, _) = models_for_agent(&cfg, agent);
            (p.as_str().unwrap_or("").to_string(), f)
        };
        let defaults = (
            "openai/gpt-5.5".to_string(),
            vec!["anthropic/claude-opus-4-7".to_string()],
        );
        assert_eq!(of("main"), defaults);
        assert_eq!(of("nobody"), defaults);
        assert_eq!(of("blank"), defaults);
        assert_eq!(of("work"), ("anthropic/claude-opus-4-7".into(), vec![]));
        assert_eq!(
            of("both"),
            ("openai/gpt-5.4".into(), vec!["openai/gpt-5.5".into()])
        );
        assert_eq!(
            of("chain"),
            ("openai/gpt-5.5".into(), vec!["openai/gpt-5.4".into()])
        );
        assert_eq!(of("old"), ("anthropic/claude-opus-4-7".into(), vec![]));
    }
}
