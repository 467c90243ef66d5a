//! `clawshift simulate`: a closed-loop, deterministic simulation of an OpenClaw
//! installation over days, to try a switch policy before cron runs it.
//!
//! The sandbox is a private temporary directory holding a real OpenClaw 2026.9 state
//! (`openclaw.json`, and `state/openclaw.sqlite` with the `authProfiles.store` and
//! `authProfiles.state` rows) and clawshift's own home. Every `--every` simulated
//! minutes the current switch script (the user's ejected copy wins, as for `switch`)
//! runs in-process with `--json`, through the same engine and primitives, on a host
//! whose clock is the simulated time and whose directories are the sandbox's. Between
//! runs the code here plays OpenClaw 2026.9.6: it reads where the agent is routed (the
//! default model, its fallbacks, each provider's auth order), lets the agent work in
//! bursts, charges the account that served each minute against its 5-hour and weekly
//! windows, and writes OpenClaw's own `usageStats` bookkeeping (cooldown ladder, usage
//! blocks, billing and auth disables, refresh fences) into the state row. Each rule
//! cites its source in docs/simulate.md.
//!
//! The same options and seed give byte-identical output: the clock starts at a fixed
//! time, randomness comes from a seeded SplitMix64 (whose sequence, unlike a crate's
//! default generator, can never change under us), and nothing is read from the real
//! clock or the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::host::{Host, HostOptions, Streams};
use crate::jwt::{AUTH_CLAIM, PROFILE_CLAIM, unsigned};
use crate::openclaw::sqlite;
use crate::timefmt::{human_duration, iso};
use crate::{engine, files, scripts};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Every simulation starts at 2026-11-02T00:00:00Z (a Monday), so its output depends
/// on its inputs only.
pub const START: i64 = 1_793_577_600_000;
/// A ChatGPT access token lives ten days; OpenClaw refreshes it within five minutes of
/// `expires` (`DEFAULT_OAUTH_REFRESH_MARGIN_MS`).
const TOKEN_LIFETIME: i64 = 10 * DAY;
const REFRESH_MARGIN: i64 = 5 * MINUTE;
const FIVE_HOURS: i64 = 5 * HOUR;
const WEEK: i64 = 7 * DAY;
const FENCE: &str = "openclaw-oauth-refresh-fence:v1:";
const CODEX_MODEL: &str = "openai/gpt-5.5";
const OPUS_MODEL: &str = "anthropic/claude-opus-4-7";
/// Names for `--accounts N`.
const NAMES: [&str; 10] = [
    "work", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
];

/// What `clawshift simulate` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    pub days: u32,
    pub every: u32,
    pub seed: u64,
    /// Simulate this many Codex accounts instead of the user's OpenClaw's.
    pub accounts: Option<u32>,
    /// With `accounts`: also a Claude account and Opus.
    pub claude: bool,
    pub usage_mode: bool,
    pub events: Vec<String>,
    pub json: bool,
    pub trace: bool,
}

/// SplitMix64: a fixed sequence for a seed, forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo).max(0) as u64 + 1;
        lo + (self.next() % span) as i64
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------
// The accounts as the providers see them

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A ChatGPT sign-in (OpenClaw `openai` OAuth profile).
    Codex,
    /// A Claude subscription token (OpenClaw `anthropic` token profile).
    Claude,
}

/// One usage window: it opens with the first request after the last one reset, and
/// resets `len` later.
#[derive(Debug, Clone)]
struct Quota {
    len: i64,
    per_minute: f64,
    used: f64,
    reset_at: Option<i64>,
}

impl Quota {
    /// A window that a full-intensity agent fills in `minutes` of work.
    fn new(len: i64, minutes: f64) -> Quota {
        Quota {
            len,
            per_minute: 100.0 / minutes,
            used: 0.0,
            reset_at: None,
        }
    }

    fn roll(&mut self, now: i64) {
        if self.reset_at.is_some_and(|r| r <= now) {
            self.used = 0.0;
            self.reset_at = None;
        }
    }

    fn full(&self) -> bool {
        self.used >= 100.0
    }

    fn spend(&mut self, now: i64, intensity: f64) {
        if self.reset_at.is_none() {
            self.reset_at = Some(now + self.len);
        }
        self.used = (self.used + self.per_minute * intensity).min(100.0);
    }

    /// The window as the ChatGPT usage endpoint shows it.
    fn wham(&self, now: i64) -> Value {
        let reset = self.reset_at.unwrap_or(now + self.len);
        json!({
            "used_percent": self.used.floor() as i64,
            "limit_window_seconds": self.len / 1000,
            "reset_after_seconds": (reset - now) / 1000,
            "reset_at": reset / 1000,
        })
    }
}

struct Account {
    kind: Kind,
    plan: String,
    account_id: String,
    email: String,
    five: Quota,
    week: Quota,
    /// Event `revoke`: from then on a refresh fails.
    refresh_revoked_at: Option<i64>,
    /// Event `billing`: the provider answers 402 in this span.
    billing: Option<(i64, i64)>,
    /// Event `opus-cooldown`: the provider answers 429 in this span.
    overload: Option<(i64, i64)>,
    tokens: u32,
}

impl Account {
    /// When the account's exhausted windows reset, if any is exhausted.
    fn exhausted(&mut self, now: i64) -> Option<i64> {
        self.five.roll(now);
        self.week.roll(now);
        [&self.five, &self.week]
            .iter()
            .filter(|q| q.full())
            .filter_map(|q| q.reset_at)
            .max()
    }

    fn in_span(span: Option<(i64, i64)>, now: i64) -> bool {
        span.is_some_and(|(a, b)| a <= now && now < b)
    }

    fn wham(&mut self, now: i64) -> Vec<u8> {
        let reached = self.exhausted(now).is_some();
        json!({
            "plan_type": self.plan,
            "rate_limit": {
                "allowed": !reached,
                "limit_reached": reached,
                "primary_window": self.five.wham(now),
                "secondary_window": self.week.wham(now),
            },
        })
        .to_string()
        .into_bytes()
    }
}

// ---------------------------------------------------------------------------------
// The installation to simulate

struct Setup {
    /// Where the accounts and models came from, for the scorecard.
    source: String,
    /// `(profile id, kind, plan)`.
    accounts: Vec<(String, Kind, String)>,
    /// `agents.defaults` of the sandbox's `openclaw.json`.
    defaults: Value,
    order: Map<String, Value>,
}

fn from_flags(n: u32, claude: bool) -> Setup {
    let mut accounts: Vec<(String, Kind, String)> = (0..n as usize)
        .map(|i| {
            let name = NAMES
                .get(i)
                .map_or_else(|| format!("acct{}", i + 1), |n| n.to_string());
            (format!("openai:{name}"), Kind::Codex, "plus".to_string())
        })
        .collect();
    let codex: Vec<Value> = accounts.iter().map(|(id, _, _)| json!(id)).collect();
    let mut order = Map::new();
    order.insert("openai".into(), Value::Array(codex));
    let mut models = json!({CODEX_MODEL: {"alias": "codex"}});
    let mut model = json!({"primary": CODEX_MODEL});
    if claude {
        accounts.push(("anthropic:me".into(), Kind::Claude, "max".into()));
        order.insert("anthropic".into(), json!(["anthropic:me"]));
        models[OPUS_MODEL] = json!({"alias": "opus"});
        model["fallbacks"] = json!([OPUS_MODEL]);
    }
    Setup {
        source: format!(
            "--accounts {n} {}",
            if claude { "--claude" } else { "--no-claude" }
        ),
        accounts,
        defaults: json!({"model": model, "models": models}),
        order,
    }
}

/// The accounts, models and order of the user's OpenClaw, without a single credential:
/// only profile ids, providers and plans are taken.
fn from_user(host: &Host) -> Result<Setup, Error> {
    let hint = "pass --accounts N (and --claude or --no-claude) to simulate without it";
    let d = crate::openclaw::detect(host)
        .map_err(|e| Error::Failure(format!("simulate: cannot read your OpenClaw: {e}; {hint}")))?;
    let auth = crate::openclaw::read_auth(&d)
        .map_err(|e| Error::Failure(format!("simulate: cannot read your OpenClaw: {e}; {hint}")))?;
    let cfg = crate::openclaw::config::load(&d.config)?;
    let mut accounts = Vec::new();
    for (id, cred) in &auth.profiles {
        let provider = cred.provider_or_id(id);
        let typ = cred.ty.as_str().unwrap_or("");
        match (provider, typ) {
            ("openai" | "openai-codex", "oauth") => {
                let plan = cred
                    .access
                    .as_str()
                    .and_then(|a| crate::jwt::decode(a).ok())
                    .and_then(|j| j.plan)
                    .unwrap_or_else(|| "plus".into());
                let name = id.split_once(':').map_or(id.as_str(), |(_, n)| n);
                accounts.push((format!("openai:{name}"), Kind::Codex, plan));
            }
            ("anthropic", _) => accounts.push((id.clone(), Kind::Claude, "max".into())),
            _ => {}
        }
    }
    if accounts.is_empty() {
        return Err(Error::Failure(format!(
            "simulate: your OpenClaw (`{}`) has no ChatGPT or Claude account to simulate; {hint}",
            d.state_dir.display()
        )));
    }
    let rename = |id: &str| match id.strip_prefix("openai-codex:") {
        Some(name) => format!("openai:{name}"),
        None => id.to_string(),
    };
    let known: Vec<&str> = accounts.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut order = Map::new();
    let cfg_order = crate::openclaw::config::get_path(&cfg, &["auth", "order"]);
    for (provider, list) in auth
        .order
        .iter()
        .chain(cfg_order.and_then(Value::as_object).into_iter().flatten())
    {
        let provider = if provider == "openai-codex" {
            "openai"
        } else {
            provider
        };
        if order.contains_key(provider) {
            continue;
        }
        let ids: Vec<Value> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(rename)
            .filter(|id| known.contains(&id.as_str()))
            .map(Value::from)
            .collect();
        if !ids.is_empty() {
            order.insert(provider.to_string(), Value::Array(ids));
        }
    }
    let mut defaults = json!({});
    let rename_model = |m: &str| match m.strip_prefix("openai-codex/") {
        Some(rest) => format!("openai/{rest}"),
        None => m.to_string(),
    };
    let (primary, fallbacks, _) = crate::openclaw::status::models_from_config(&cfg);
    let primary = primary.as_str().map(rename_model);
    defaults["model"] = json!({
        "primary": primary.unwrap_or_else(|| CODEX_MODEL.to_string()),
        "fallbacks": fallbacks.iter().map(|m| rename_model(m)).collect::<Vec<_>>(),
    });
    let mut models = Map::new();
    if let Some(Value::Object(m)) =
        crate::openclaw::config::get_path(&cfg, &["agents", "defaults", "models"])
    {
        for (r, spec) in m {
            // Only the alias matters to routing; other settings may name files or keys.
            let alias = spec.get("alias").cloned();
            models.insert(
                rename_model(r),
                alias.map_or_else(|| json!({}), |a| json!({"alias": a})),
            );
        }
    }
    defaults["models"] = Value::Object(models);
    Ok(Setup {
        source: format!("your OpenClaw at {}", d.state_dir.display()),
        accounts,
        defaults,
        order,
    })
}

// ---------------------------------------------------------------------------------
// OpenClaw's bookkeeping (usage-failure-state, usage-state, profiles: 2026.9.6)

fn num(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// `calculateCappedExponentialBackoffMs`.
fn capped_backoff(count: i64, base: i64, max: i64) -> i64 {
    let n = count.max(1);
    let max_exp = ((max as f64 / base as f64).log2().ceil()) as i64;
    let raw = base.saturating_mul(1i64 << (n - 1).min(max_exp).min(40));
    raw.min(max)
}

/// `calculateAuthProfileCooldownMs`: the regular ladder.
fn regular_backoff(error_count: i64) -> i64 {
    match error_count.max(1) {
        1 => 30_000,
        2 => 60_000,
        _ => 300_000,
    }
}

fn model_scoped(reason: &str) -> bool {
    matches!(reason, "rate_limit" | "timeout" | "model_not_found")
}

const COOLDOWN_FIELDS: [&str; 4] = [
    "cooldownUntil",
    "cooldownReason",
    "cooldownClassification",
    "cooldownModel",
];
const DISABLED_FIELDS: [&str; 2] = ["disabledUntil", "disabledReason"];
const BLOCKED_FIELDS: [&str; 5] = [
    "blockedUntil",
    "blockedReason",
    "blockedSource",
    "blockedModel",
    "blockedScope",
];

/// `computeNextProfileUsageStats` and, with `wham_block`, `applyWhamCooldownResult` for
/// an exhausted usage window.
fn next_failure_stats(
    existing: &Map<String, Value>,
    reason: &str,
    model_id: Option<&str>,
    now: i64,
    wham_block: Option<i64>,
) -> Map<String, Value> {
    let blocked_until = num(existing.get("blockedUntil")).unwrap_or(0);
    let mut s = existing.clone();
    let block_active = existing.get("blockedReason").and_then(Value::as_str)
        == Some("subscription_limit")
        && blocked_until > now;
    if !(reason == "rate_limit" && block_active) {
        let window_expired =
            num(existing.get("lastFailureAt")).is_some_and(|last| last > 0 && now - last > DAY);
        let unusable_until = ["cooldownUntil", "disabledUntil", "blockedUntil"]
            .iter()
            .filter_map(|k| num(existing.get(*k)))
            .max();
        let previous_expired = unusable_until.is_some_and(|u| now >= u);
        let reset = window_expired || previous_expired;
        let error_count = if reset {
            0
        } else {
            num(existing.get("errorCount")).unwrap_or(0)
        } + 1;
        let old_counts = existing
            .get("failureCounts")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut counts = Map::new();
        if reset {
            if let Some(rl) = old_counts.get("rate_limit") {
                counts.insert("rate_limit".into(), rl.clone());
            }
        } else {
            counts = old_counts;
        }
        let n = num(counts.get(reason)).unwrap_or(0) + 1;
        counts.insert(reason.into(), n.into());
        s.remove("cooldownClassification");
        s.insert("errorCount".into(), error_count.into());
        s.insert("failureCounts".into(), Value::Object(counts.clone()));
        s.insert("lastFailureAt".into(), now.into());
        let keep = |key: &str, recomputed: i64| -> i64 {
            num(existing.get(key))
                .filter(|u| *u > now)
                .unwrap_or(recomputed)
        };
        if reason == "billing" || reason == "auth_permanent" {
            let cap = if reason == "billing" { DAY } else { HOUR };
            let until = keep("disabledUntil", now + capped_backoff(n, 10 * MINUTE, cap));
            s.insert("disabledUntil".into(), until.into());
            s.insert("disabledReason".into(), reason.into());
        } else {
            let backoff = if reason == "rate_limit" {
                capped_backoff(num(counts.get("rate_limit")).unwrap_or(1), 30_000, DAY)
            } else {
                regular_backoff(error_count)
            };
            s.insert(
                "cooldownUntil".into(),
                keep("cooldownUntil", now + backoff).into(),
            );
            s.insert("cooldownReason".into(), reason.into());
            let active = num(existing.get("cooldownUntil")).is_some_and(|u| u > now);
            let old_model = existing.get("cooldownModel").and_then(Value::as_str);
            let scoped = if active {
                match (old_model, model_id) {
                    (Some(old), Some(m)) if old != m => None,
                    (Some(_), None) if model_scoped(reason) => None,
                    _ if !model_scoped(reason) => None,
                    (old, _) => old,
                }
            } else if model_scoped(reason) {
                model_id
            } else {
                None
            };
            match scoped {
                Some(m) => {
                    s.insert("cooldownModel".into(), m.into());
                }
                None => {
                    s.remove("cooldownModel");
                }
            }
        }
    }
    if let Some(until) = wham_block {
        s.insert("lastProbeAt".into(), now.into());
        let active = if blocked_until > now {
            blocked_until
        } else {
            0
        };
        s.insert("blockedUntil".into(), until.max(active).into());
        s.insert("blockedReason".into(), "subscription_limit".into());
        s.insert("blockedSource".into(), "wham".into());
        for k in COOLDOWN_FIELDS.iter().chain(&BLOCKED_FIELDS[3..]) {
            s.remove(*k);
        }
    }
    s
}

/// A request's outcome for one route.
enum Outcome {
    Served,
    Failed,
}

/// The simulated OpenClaw: its documents as on disk, and the providers' truth.
struct OpenClaw {
    conn: Connection,
    db: PathBuf,
    config_path: PathBuf,
    store: Value,
    state: Value,
    config: Value,
    written: (String, String),
    accounts: BTreeMap<String, Account>,
    trace: Vec<String>,
    tracing: bool,
}

impl OpenClaw {
    fn note(&mut self, now: i64, line: String) {
        if self.tracing {
            self.trace.push(format!("{}  openclaw: {line}", iso(now)));
        }
    }

    fn stats(&self, id: &str) -> Map<String, Value> {
        self.state
            .get("usageStats")
            .and_then(|u| u.get(id))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    fn set_stats(&mut self, id: &str, s: Map<String, Value>) {
        if !self.state["usageStats"].is_object() {
            self.state["usageStats"] = json!({});
        }
        self.state["usageStats"][id] = Value::Object(s);
    }

    fn cred(&self, id: &str) -> Option<&Value> {
        self.store.get("profiles").and_then(|p| p.get(id))
    }

    /// `clearExpiredCooldowns`: windows that have passed go, with the aggregate
    /// counter; the rate-limit count stays until a success.
    fn clear_expired(&mut self, now: i64) {
        let ids: Vec<String> = self
            .state
            .get("usageStats")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            let mut s = self.stats(&id);
            let mut changed = false;
            for (until, fields) in [
                ("cooldownUntil", &COOLDOWN_FIELDS[..]),
                ("disabledUntil", &DISABLED_FIELDS[..]),
                ("blockedUntil", &BLOCKED_FIELDS[..]),
            ] {
                if num(s.get(until)).is_some_and(|u| u <= now) {
                    for f in fields {
                        s.remove(*f);
                    }
                    changed = true;
                }
            }
            if changed {
                s.insert("errorCount".into(), 0.into());
                let rl = s
                    .get("failureCounts")
                    .and_then(|c| c.get("rate_limit"))
                    .cloned();
                match rl {
                    Some(rl) => {
                        s.insert("failureCounts".into(), json!({"rate_limit": rl}));
                    }
                    None => {
                        s.remove("failureCounts");
                    }
                }
                self.set_stats(&id, s);
            }
        }
    }

    fn mark_failure(
        &mut self,
        id: &str,
        reason: &str,
        model_id: Option<&str>,
        now: i64,
        wham: Option<i64>,
    ) {
        let s = next_failure_stats(&self.stats(id), reason, model_id, now, wham);
        let what = if let Some(u) = num(s.get("blockedUntil")).filter(|_| wham.is_some()) {
            format!("blocked until {} (subscription_limit)", iso(u))
        } else if let Some(u) = num(s.get("disabledUntil")).filter(|u| *u > now) {
            format!("disabled for {} ({reason})", human_duration(u - now))
        } else {
            let u = num(s.get("cooldownUntil")).unwrap_or(now);
            let scoped = s
                .get("cooldownModel")
                .and_then(Value::as_str)
                .map_or(String::new(), |m| format!(", {m}"));
            format!(
                "cooling down for {} ({reason}{scoped})",
                human_duration(u - now)
            )
        };
        self.set_stats(id, s);
        self.note(now, format!("{id} {what}"));
    }

    /// `markAuthProfileSuccess`: every failure field goes, `lastUsed` and `lastGood`.
    fn mark_success(&mut self, id: &str, provider: &str, now: i64) {
        let mut s = self.stats(id);
        for f in COOLDOWN_FIELDS
            .iter()
            .chain(&DISABLED_FIELDS)
            .chain(&BLOCKED_FIELDS)
            .chain(&["failureCounts"])
        {
            s.remove(*f);
        }
        s.insert("errorCount".into(), 0.into());
        s.insert("lastProbeAt".into(), now.into());
        s.insert("lastUsed".into(), now.into());
        self.set_stats(id, s);
        if !self.state["lastGood"].is_object() {
            self.state["lastGood"] = json!({});
        }
        self.state["lastGood"][provider] = id.into();
    }

    /// Why OpenClaw would skip profile `id` for `model_id` now, if it would.
    fn unusable(&self, id: &str, model_id: &str, now: i64) -> Option<&'static str> {
        let cred = self.cred(id)?;
        if text(cred, "access").is_some_and(|a| a.starts_with(FENCE)) {
            return Some("fence");
        }
        let s = self.stats(id);
        if num(s.get("disabledUntil")).is_some_and(|u| u > now) {
            return Some("disabled");
        }
        let blocked_model = s.get("blockedModel").and_then(Value::as_str);
        if num(s.get("blockedUntil")).is_some_and(|u| u > now)
            && blocked_model.is_none_or(|m| m == model_id)
        {
            return Some("blocked");
        }
        let cooldown_model = s.get("cooldownModel").and_then(Value::as_str);
        if num(s.get("cooldownUntil")).is_some_and(|u| u > now)
            && cooldown_model.is_none_or(|m| m == model_id)
        {
            return Some("cooldown");
        }
        None
    }

    fn resolve(&self, model: &str) -> Option<String> {
        if model.contains('/') {
            return Some(model.to_string());
        }
        let models = self
            .config
            .pointer("/agents/defaults/models")?
            .as_object()?;
        models
            .iter()
            .find(|(_, spec)| spec.get("alias").and_then(Value::as_str) == Some(model))
            .map(|(r, _)| r.clone())
    }

    /// The models a request tries: the default, then its fallbacks (aliases resolved,
    /// unresolvable ones skipped, each once).
    fn chain(&self) -> Vec<String> {
        let model = self.config.pointer("/agents/defaults/model");
        let (primary, fallbacks): (Option<&str>, Vec<&str>) = match model {
            Some(Value::String(p)) => (Some(p), Vec::new()),
            Some(m) => (
                m.get("primary").and_then(Value::as_str),
                m.get("fallbacks")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        let mut out: Vec<String> = Vec::new();
        for m in primary.into_iter().chain(fallbacks) {
            if let Some(r) = self.resolve(m).filter(|r| !out.contains(r)) {
                out.push(r);
            }
        }
        out
    }

    /// Every model the agent has: the chain and the configured models.
    fn agent_models(&self) -> Vec<String> {
        let mut out = self.chain();
        if let Some(m) = self
            .config
            .pointer("/agents/defaults/models")
            .and_then(Value::as_object)
        {
            for r in m.keys() {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// `provider`'s profiles in the order OpenClaw tries them: the stored order, else
    /// the config's, else the store's; profiles whose token has expired last.
    fn order(&self, provider: &str, now: i64) -> Vec<String> {
        let of_provider = |id: &str| {
            self.cred(id)
                .and_then(|c| text(c, "provider"))
                .is_some_and(|p| p == provider)
        };
        let listed = self
            .state
            .pointer(&format!("/order/{provider}"))
            .or_else(|| self.config.pointer(&format!("/auth/order/{provider}")))
            .and_then(Value::as_array);
        let ids: Vec<String> = match listed {
            Some(list) => list
                .iter()
                .filter_map(Value::as_str)
                .filter(|id| of_provider(id))
                .map(str::to_string)
                .collect(),
            None => self
                .store
                .get("profiles")
                .and_then(Value::as_object)
                .map(|p| p.keys().filter(|id| of_provider(id)).cloned().collect())
                .unwrap_or_default(),
        };
        let expired = |id: &String| {
            self.cred(id)
                .and_then(|c| num(c.get("expires")))
                .is_some_and(|e| e <= now)
        };
        let (mut fresh, old): (Vec<String>, Vec<String>) =
            ids.into_iter().partition(|id| !expired(id));
        fresh.extend(old);
        fresh
    }

    /// Whether the provider would serve `id` now (OpenClaw's bookkeeping aside).
    fn can_serve(&mut self, id: &str, now: i64) -> bool {
        let needs_refresh = self
            .cred(id)
            .and_then(|c| num(c.get("expires")))
            .is_some_and(|e| e - now < REFRESH_MARGIN);
        let Some(a) = self.accounts.get_mut(id) else {
            return false;
        };
        let refresh_fails = needs_refresh && a.refresh_revoked_at.is_some_and(|r| r <= now);
        let refused = Account::in_span(a.billing, now) || Account::in_span(a.overload, now);
        !refresh_fails && !refused && a.exhausted(now).is_none()
    }

    /// A route some request could be served by now, from the models in `models`.
    fn usable_route(&mut self, models: &[String], now: i64) -> Option<String> {
        for model in models {
            let (provider, model_id) = model.split_once('/')?;
            for id in self.order(provider, now) {
                if self.unusable(&id, model_id, now).is_none() && self.can_serve(&id, now) {
                    return Some(format!("{model}@{id}"));
                }
            }
        }
        None
    }

    /// A new token pair, as a refresh gives.
    fn refresh(&mut self, id: &str, now: i64) {
        let Some(a) = self.accounts.get_mut(id) else {
            return;
        };
        a.tokens += 1;
        let (tokens, name) = (a.tokens, id.replace(':', "_"));
        let access = access_token(a, now + TOKEN_LIFETIME);
        let cred = &mut self.store["profiles"][id];
        cred["access"] = access.into();
        cred["refresh"] = format!("rt_SIM_{name}_{tokens}").into();
        cred["expires"] = (now + TOKEN_LIFETIME).into();
        self.note(now, format!("{id} token refreshed (expires in 10d)"));
    }

    /// A failed refresh: the credential becomes a terminal failed fence.
    fn fence(&mut self, id: &str, now: i64) {
        let digest = |s: &str| {
            Sha256::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let cred = &mut self.store["profiles"][id];
        let claim = format!("sim-{}", now / 1000);
        let access = digest(cred["access"].as_str().unwrap_or(""));
        let refresh = digest(cred["refresh"].as_str().unwrap_or(""));
        cred["access"] = format!("{FENCE}{claim}:failed:access:{access}").into();
        cred["refresh"] = format!("{FENCE}{claim}:failed:refresh:{refresh}").into();
        cred["expires"] = 1.into();
        self.note(
            now,
            format!("{id} refresh failed: refresh_token_reused; re-login needed"),
        );
    }

    /// One attempt on one route; records what OpenClaw records.
    fn attempt(&mut self, model: &str, id: &str, now: i64, intensity: f64) -> Outcome {
        let (provider, model_id) = model.split_once('/').unwrap_or((model, model));
        let oauth = self.cred(id).and_then(|c| text(c, "type")) == Some("oauth");
        let expires = self.cred(id).and_then(|c| num(c.get("expires")));
        let Some(a) = self.accounts.get_mut(id) else {
            return Outcome::Failed;
        };
        if oauth && expires.is_some_and(|e| e - now < REFRESH_MARGIN) {
            if a.refresh_revoked_at.is_some_and(|r| r <= now) {
                self.fence(id, now);
                self.mark_failure(id, "auth_permanent", Some(model_id), now, None);
                return Outcome::Failed;
            }
            self.refresh(id, now);
        }
        let Some(a) = self.accounts.get_mut(id) else {
            return Outcome::Failed;
        };
        if Account::in_span(a.billing, now) {
            self.mark_failure(id, "billing", Some(model_id), now, None);
            return Outcome::Failed;
        }
        if Account::in_span(a.overload, now) {
            self.mark_failure(id, "rate_limit", Some(model_id), now, None);
            return Outcome::Failed;
        }
        if let Some(reset) = a.exhausted(now) {
            // An OpenAI OAuth account with a live token is probed on WHAM, which turns
            // an exhausted window into a block until its reset.
            let wham = (a.kind == Kind::Codex).then_some(reset);
            self.mark_failure(id, "rate_limit", Some(model_id), now, wham);
            return Outcome::Failed;
        }
        a.five.spend(now, intensity);
        a.week.spend(now, intensity);
        self.mark_success(id, provider, now);
        Outcome::Served
    }

    /// One minute of work: OpenClaw's failover over the chain. Returns the route that
    /// served it.
    fn request(&mut self, now: i64, intensity: f64) -> Option<String> {
        self.clear_expired(now);
        for model in self.chain() {
            let Some((provider, model_id)) = model.split_once('/') else {
                continue;
            };
            for id in self.order(provider, now) {
                if self.unusable(&id, model_id, now).is_some() {
                    continue;
                }
                if let Outcome::Served = self.attempt(&model, &id, now, intensity) {
                    return Some(format!("{model}@{id}"));
                }
            }
        }
        None
    }

    /// Writes the documents that changed into the sandbox's database.
    fn save(&mut self, now: i64) -> Result<(), Error> {
        let store = self.store.to_string();
        let state = self.state.to_string();
        for (key, new, old) in [
            (sqlite::STORE_KEY, &store, &self.written.0),
            (sqlite::STATE_KEY, &state, &self.written.1),
        ] {
            if new != old {
                self.conn
                    .execute(
                        "UPDATE config_machine_state SET value_json = ?1, updated_at_ms = ?2 WHERE state_key = ?3",
                        params![new, now, key],
                    )
                    .map_err(|e| sqlite::db_error(&self.db, e))?;
            }
        }
        self.written = (store, state);
        Ok(())
    }

    /// Reads back what the switch wrote.
    fn load(&mut self) -> Result<(), Error> {
        let read = |key: &str| -> Result<String, Error> {
            self.conn
                .query_row(
                    "SELECT value_json FROM config_machine_state WHERE state_key = ?1",
                    params![key],
                    |r| r.get(0),
                )
                .map_err(|e| sqlite::db_error(&self.db, e))
        };
        let (store, state) = (read(sqlite::STORE_KEY)?, read(sqlite::STATE_KEY)?);
        let parse = |t: &str| {
            serde_json::from_str::<Value>(t).map_err(|e| {
                Error::Failure(format!(
                    "simulate: a sandbox row is not JSON after a switch: {e}"
                ))
            })
        };
        self.store = parse(&store)?;
        self.state = parse(&state)?;
        self.written = (store, state);
        self.config = crate::openclaw::config::load(&self.config_path)?;
        Ok(())
    }
}

fn access_token(a: &Account, expires: i64) -> String {
    let claims = json!({
        "exp": expires / 1000,
        AUTH_CLAIM: {"chatgpt_account_id": a.account_id, "chatgpt_plan_type": a.plan},
        PROFILE_CLAIM: {"email": a.email},
    });
    unsigned(claims.as_object().unwrap_or(&Map::new()))
}

// ---------------------------------------------------------------------------------
// The run

/// The agent's work: intensity per minute (0 when idle). Bursts of 20 minutes to 2.5
/// hours with breaks of 5 to 90 minutes from 07:00 to 23:00, and now and then a night
/// burst.
fn schedule(rng: &mut Rng, minutes: usize) -> Vec<f64> {
    let mut work = vec![0.0; minutes];
    let mut m = rng.range(0, 60) as usize;
    while m < minutes {
        let hour = (m / 60) % 24;
        if !(7..23).contains(&hour) && rng.unit() > 0.1 {
            let to_seven = ((24 + 7 - hour) % 24) * 60 - m % 60;
            m += to_seven + rng.range(0, 90) as usize;
            continue;
        }
        let len = rng.range(20, 150) as usize;
        let intensity = 0.5 + rng.unit();
        for w in work.iter_mut().skip(m).take(len) {
            *w = intensity;
        }
        m += len + rng.range(5, 90) as usize;
    }
    work
}

#[derive(Default)]
struct Score {
    working: u64,
    served: u64,
    stuck: u64,
    unserved: u64,
    waiting: Option<u64>,
    switches: u64,
    notices: u64,
    runs: u64,
    failed_runs: u64,
    first_failure: Option<String>,
    routes: BTreeMap<String, u64>,
    stuck_examples: Vec<String>,
}

pub fn run(host: &Host, opts: &Options) -> Result<ExitCode, Error> {
    let events = parse_events(&opts.events)?;
    let setup = match opts.accounts {
        Some(n) => from_flags(n, opts.claude),
        None => from_user(host)?,
    };
    let script = scripts::resolve(host, "switch")?;
    let mut text = script.text.clone();
    if opts.usage_mode {
        text = usage_mode_on(&text, &script.source)?;
    }
    // In memory when the machine has /dev/shm: a switch syncs every file it writes,
    // thousands of times a simulated month, and a sandbox need not survive a crash.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm
    } else {
        host.tmp_dir.as_path()
    };
    let sandbox = tempfile::Builder::new()
        .prefix("clawshift-simulate-")
        .tempdir_in(base)
        .map_err(|e| {
            Error::Failure(format!(
                "simulate: cannot create a sandbox in `{}`: {e}",
                base.display()
            ))
        })?;
    let root = sandbox.path().to_path_buf();
    let result = simulate(host, opts, &events, &setup, &script.source, &text, &root);
    // The sandbox goes whatever happened; a failure to remove it is only worth a word.
    if let Err(e) = sandbox.close() {
        eprintln!("warning: simulate: cannot remove the sandbox: {e}");
    }
    result
}

fn parse_events(list: &[String]) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for e in list.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if !["billing", "revoke", "opus-cooldown"].contains(&e) {
            return Err(Error::Usage(format!(
                "--events: unknown event `{e}`; use billing, revoke or opus-cooldown"
            )));
        }
        if !out.iter().any(|x| x == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

/// The script as if it said `const USAGE_MODE = true;`.
fn usage_mode_on(text: &str, source: &str) -> Result<String, Error> {
    const OFF: &str = "const USAGE_MODE = false;";
    const ON: &str = "const USAGE_MODE = true;";
    if text.contains(OFF) {
        Ok(text.replacen(OFF, ON, 1))
    } else if text.contains(ON) {
        Ok(text.to_string())
    } else {
        Err(Error::Usage(format!(
            "--usage-mode: the switch script `{source}` has no line `{OFF}` to turn on; set usage mode in the script itself and drop --usage-mode"
        )))
    }
}

fn write_private(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        files::private_dir(dir)?;
    }
    files::atomic_write(path, text.as_bytes(), 0o600)
}

fn sandbox_host(host: &Host, root: &Path) -> Result<Host, Error> {
    let dir = |rel: &str| root.join(rel).display().to_string();
    let mut vars = BTreeMap::new();
    for (k, rel) in [
        ("HOME", "home"),
        ("CLAWSHIFT_HOME", "clawshift"),
        ("OPENCLAW_STATE_DIR", "openclaw"),
        ("CODEX_HOME", "codex"),
        // No programs: no OpenClaw, no Codex, no gateway is ever asked.
        ("PATH", "bin"),
        ("TMPDIR", "home"),
    ] {
        vars.insert(k.to_string(), dir(rel));
    }
    vars.insert("CLAWSHIFT_NOW".into(), iso(START));
    let opts = HostOptions {
        timeout: Some(host.timeout),
        command: "simulate".into(),
        ..HostOptions::default()
    };
    let streams = Streams {
        capture: true,
        ..Streams::default()
    };
    Host::from_parts(vars, root.join("home"), opts, streams)
}

fn simulate(
    host: &Host,
    opts: &Options,
    events: &[String],
    setup: &Setup,
    source: &str,
    text: &str,
    root: &Path,
) -> Result<ExitCode, Error> {
    for d in ["home", "codex", "bin", "clawshift", "openclaw/state"] {
        files::private_dir(&root.join(d))?;
    }
    // The user's modules, for a copy of the switch script that imports them.
    if let Ok(entries) = std::fs::read_dir(host.user_lib_dir()) {
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "rhai"))
        {
            if let (Some(name), Some(bytes)) = (p.file_name(), files::read_optional(p)?) {
                write_private(
                    &root.join("clawshift/lib").join(name),
                    &String::from_utf8_lossy(&bytes),
                )?;
            }
        }
    }
    let notices = root.join("notices.log");
    let config = json!({"notify": {"command": format!(
        "while IFS= read -r line; do printf '%s\\n' \"$line\" >> '{}'; done",
        notices.display()
    )}});
    write_private(&root.join("clawshift/config.json"), &config.to_string())?;

    let mut rng = Rng(opts.seed);
    let total = i64::from(opts.days) * DAY;
    let minutes = (total / MINUTE) as usize;
    let work = schedule(&mut rng, minutes);

    // The accounts, their windows, tokens and events.
    let mut accounts = BTreeMap::new();
    let mut profiles = Map::new();
    let mut auth_profiles = Map::new();
    for (id, kind, plan) in &setup.accounts {
        let jitter = 0.8 + 0.4 * rng.unit();
        let scale = match plan.as_str() {
            "pro" => 6.0,
            _ => 1.0,
        } * jitter;
        let (five, week) = match kind {
            Kind::Codex => (150.0, 1200.0),
            Kind::Claude => (200.0, 1800.0),
        };
        let name = id.split_once(':').map_or(id.as_str(), |(_, n)| n);
        let a = Account {
            kind: *kind,
            plan: plan.clone(),
            account_id: format!("acct-sim-{name}"),
            email: format!("{name}@example.com"),
            five: Quota::new(FIVE_HOURS, five * scale),
            week: Quota::new(WEEK, week * scale),
            refresh_revoked_at: None,
            billing: None,
            overload: None,
            tokens: 1,
        };
        let cred = match kind {
            Kind::Codex => {
                let expires = START + rng.range(DAY / MINUTE, TOKEN_LIFETIME / MINUTE) * MINUTE;
                json!({
                    "type": "oauth", "provider": "openai",
                    "access": access_token(&a, expires),
                    "refresh": format!("rt_SIM_{}_1", id.replace(':', "_")),
                    "expires": expires,
                    "accountId": a.account_id, "email": a.email,
                })
            }
            Kind::Claude => json!({
                "type": "token", "provider": "anthropic",
                "token": format!("sk-ant-oat01-SIM-{name}"),
            }),
        };
        let provider = if *kind == Kind::Codex {
            "openai"
        } else {
            "anthropic"
        };
        let mode = if *kind == Kind::Codex {
            "oauth"
        } else {
            "token"
        };
        auth_profiles.insert(id.clone(), json!({"provider": provider, "mode": mode}));
        profiles.insert(id.clone(), cred);
        accounts.insert(id.clone(), a);
    }
    let codex: Vec<String> = setup
        .accounts
        .iter()
        .filter(|(_, k, _)| *k == Kind::Codex)
        .map(|(id, _, _)| id.clone())
        .collect();
    let claude: Vec<String> = setup
        .accounts
        .iter()
        .filter(|(_, k, _)| *k == Kind::Claude)
        .map(|(id, _, _)| id.clone())
        .collect();
    let mut event_lines = Vec::new();
    for e in events {
        let at = START + rng.range(DAY / MINUTE / 4, total / MINUTE / 2) * MINUTE;
        let target = match e.as_str() {
            "billing" => codex.first(),
            "revoke" => codex.first(),
            _ => claude.first(),
        };
        let Some(id) = target.cloned() else {
            event_lines.push(format!("{e}: no account to apply it to, skipped"));
            continue;
        };
        let Some(a) = accounts.get_mut(&id) else {
            continue;
        };
        match e.as_str() {
            "billing" => {
                a.billing = Some((at, at + 6 * HOUR));
                event_lines.push(format!(
                    "billing: {id} refused for billing {} for 6h",
                    iso(at)
                ));
            }
            "revoke" => {
                a.refresh_revoked_at = Some(at);
                event_lines.push(format!(
                    "revoke: {id}'s refresh token revoked {} (fails at its next refresh)",
                    iso(at)
                ));
            }
            _ => {
                a.overload = Some((at, at + 3 * HOUR));
                event_lines.push(format!(
                    "opus-cooldown: {id} rate limited {} for 3h",
                    iso(at)
                ));
            }
        }
    }

    // The sandbox's OpenClaw 2026.9 state.
    let mut auth = json!({"profiles": auth_profiles});
    auth["order"] = Value::Object(setup.order.clone());
    let openclaw_json = json!({
        "agents": {"defaults": setup.defaults},
        "auth": auth,
        "meta": {"lastTouchedVersion": "2026.9.6"},
    });
    let config_path = root.join("openclaw/openclaw.json");
    write_private(
        &config_path,
        &(crate::openclaw::config::pretty(&openclaw_json) + "\n"),
    )?;
    let sim_host = Rc::new(sandbox_host(host, root)?);
    let db = root.join("openclaw/state/openclaw.sqlite");
    sqlite::create_shared(&sim_host, &db)?;
    let conn = Connection::open(&db).map_err(|e| sqlite::db_error(&db, e))?;
    let store = json!({"version": 1, "profiles": profiles});
    let state = json!({"version": 1, "order": setup.order});
    for (key, value) in [(sqlite::STORE_KEY, &store), (sqlite::STATE_KEY, &state)] {
        conn.execute(
            "INSERT INTO config_machine_state VALUES (?1, ?2, ?3)",
            params![key, value.to_string(), START],
        )
        .map_err(|e| sqlite::db_error(&db, e))?;
    }
    let mut oc = OpenClaw {
        conn,
        db,
        config_path,
        store,
        state,
        config: openclaw_json,
        written: (String::new(), String::new()),
        accounts,
        trace: Vec::new(),
        tracing: opts.trace,
    };
    oc.load()?;

    // The script, compiled once.
    let engine = engine::build_engine(&sim_host)?;
    let args = vec!["--json".to_string()];
    let ast = {
        let scope = engine::scope(&sim_host, &args);
        engine::compile(&engine, &scope, source, text).map_err(|e| Error::Script(Box::new(e)))?
    };

    let mut score = Score::default();
    let mut ranking: Option<Vec<(String, Option<String>)>> = None;
    let mut last_action = String::new();
    let every = i64::from(opts.every) * MINUTE;
    for (m, intensity) in work.iter().enumerate() {
        let now = START + m as i64 * MINUTE;
        if (now - START) % every == 0 {
            oc.save(now)?;
            sim_host.set_now(now);
            if opts.usage_mode {
                let answers = oc
                    .accounts
                    .values_mut()
                    .filter(|a| a.kind == Kind::Codex)
                    .map(|a| (a.account_id.clone(), a.wham(now)))
                    .collect();
                sim_host.set_simulated_usage(Some(answers));
            }
            let mut scope = engine::scope(&sim_host, &args);
            let result = engine::run(&engine, &mut scope, &ast, &sim_host);
            sqlite::close_all();
            let out = sim_host.take_captured();
            score.runs += 1;
            match result {
                Ok(_) => {
                    let decision = out.lines().rev().find_map(|l| {
                        serde_json::from_str::<Value>(l)
                            .ok()
                            .filter(Value::is_object)
                    });
                    match decision {
                        Some(d) => {
                            if d.get("change").and_then(Value::as_bool) == Some(true) {
                                score.switches += 1;
                            }
                            last_action = text_of(&d, "action");
                            if let Some(c) = d.get("candidates").and_then(Value::as_array) {
                                ranking = Some(
                                    c.iter()
                                        .map(|c| {
                                            (
                                                text_of(c, "model"),
                                                c.get("profile")
                                                    .and_then(Value::as_str)
                                                    .map(str::to_string),
                                            )
                                        })
                                        .collect(),
                                );
                            }
                            if opts.trace {
                                oc.trace
                                    .push(format!("{}  {}", iso(now), decision_line(&d)));
                            }
                        }
                        None => {
                            score.failed_runs += 1;
                            score.first_failure.get_or_insert_with(|| {
                                format!("{}: the script printed no decision JSON", iso(now))
                            });
                        }
                    }
                }
                Err(e) => {
                    score.failed_runs += 1;
                    let msg = e.to_string();
                    if opts.trace {
                        oc.trace.push(format!("{}  switch failed: {msg}", iso(now)));
                    }
                    score
                        .first_failure
                        .get_or_insert_with(|| format!("{}: {msg}", iso(now)));
                }
            }
            oc.load()?;
        }
        if *intensity <= 0.0 {
            continue;
        }
        score.working += 1;
        match oc.request(now, *intensity) {
            Some(route) => {
                score.served += 1;
                if let Some(rank) = &ranking {
                    let w = score.waiting.get_or_insert(0);
                    if last_action != "hold" && better_usable(&mut oc, rank, &route, now) {
                        *w += 1;
                    }
                } else {
                    score.waiting = None;
                }
                *score.routes.entry(route).or_default() += 1;
            }
            None => {
                let models = oc.agent_models();
                match oc.usable_route(&models, now) {
                    Some(r) => {
                        score.stuck += 1;
                        let chain = oc.chain().join(", ");
                        let line = format!(
                            "{}  stuck: no route of the chain [{chain}] served; {r} was usable",
                            iso(now)
                        );
                        if score.stuck_examples.len() < 3 {
                            score.stuck_examples.push(line.clone());
                        }
                        if opts.trace {
                            oc.trace.push(line);
                        }
                    }
                    None => {
                        score.unserved += 1;
                        oc.note(now, "no account could serve the agent".into());
                    }
                }
            }
        }
    }
    score.notices = files::read_text_lossy(&notices)
        .map(|t| t.lines().count() as u64)
        .unwrap_or(0);
    report(host, opts, setup, source, &event_lines, &score, &oc.trace)
}

fn text_of(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

/// `switch A → B: why`, `stay B: why`, `hold B: why`.
fn decision_line(d: &Value) -> String {
    let (action, to, why) = (text_of(d, "action"), text_of(d, "to"), text_of(d, "why"));
    if d.get("change").and_then(Value::as_bool) == Some(true) {
        let from = d.get("from").and_then(Value::as_str).unwrap_or("(none)");
        format!("switch {from} → {to}: {why}")
    } else {
        format!("{action} {to}: {why}")
    }
}

/// True when a route the policy ranks above `route` could serve now.
fn better_usable(
    oc: &mut OpenClaw,
    ranking: &[(String, Option<String>)],
    route: &str,
    now: i64,
) -> bool {
    let Some((model, profile)) = route.split_once('@') else {
        return false;
    };
    let at = ranking
        .iter()
        .position(|(m, p)| m == model && p.as_deref().is_none_or(|p| p == profile));
    let Some(at) = at else {
        return false;
    };
    for (m, p) in &ranking[..at] {
        let Some((provider, model_id)) = m.split_once('/') else {
            continue;
        };
        let ids = match p {
            Some(p) => vec![p.clone()],
            None => oc.order(provider, now),
        };
        for id in ids {
            if oc.unusable(&id, model_id, now).is_none() && oc.can_serve(&id, now) {
                return true;
            }
        }
    }
    false
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "0.0%".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

fn report(
    host: &Host,
    opts: &Options,
    setup: &Setup,
    source: &str,
    events: &[String],
    s: &Score,
    trace: &[String],
) -> Result<ExitCode, Error> {
    let mut routes: Vec<(&String, &u64)> = s.routes.iter().collect();
    routes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let accounts: Vec<String> = setup
        .accounts
        .iter()
        .map(|(id, kind, plan)| match kind {
            Kind::Codex => format!("{id} ({plan})"),
            Kind::Claude => format!("{id} (claude)"),
        })
        .collect();
    if opts.json {
        let mut v = json!({
            "days": opts.days, "every_minutes": opts.every, "seed": opts.seed,
            "policy": source, "usage_mode": opts.usage_mode, "from": setup.source,
            "accounts": accounts, "events": events,
            "working_minutes": s.working, "served_minutes": s.served,
            "stuck_minutes": s.stuck, "unserved_minutes": s.unserved,
            "preferred_waiting_minutes": s.waiting,
            "switches": s.switches, "notices": s.notices,
            "runs": s.runs, "failed_runs": s.failed_runs, "first_failure": s.first_failure,
            "routes": routes.iter().map(|(r, m)| json!({"route": r, "minutes": m})).collect::<Vec<_>>(),
        });
        if opts.trace {
            v["trace"] = json!(trace);
        }
        let text = serde_json::to_string_pretty(&v).map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    for line in trace {
        host.println(line)?;
    }
    if !trace.is_empty() {
        host.println("")?;
    }
    let mode = if opts.usage_mode {
        "on"
    } else {
        "as the script says"
    };
    host.println(&format!(
        "clawshift simulate: {} days, switch every {} min, seed {}",
        opts.days, opts.every, opts.seed
    ))?;
    host.println(&format!("policy      {source} (usage mode: {mode})"))?;
    host.println(&format!(
        "accounts    {} (from {})",
        accounts.join(", "),
        setup.source
    ))?;
    host.println(&format!(
        "events      {}",
        if events.is_empty() {
            "none".to_string()
        } else {
            events.join("; ")
        }
    ))?;
    host.println("")?;
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "working minutes",
            s.working.to_string(),
            "the agent asked for a model",
        ),
        (
            "stuck minutes",
            s.stuck.to_string(),
            "no route of the chain served while some account could",
        ),
        (
            "unserved minutes",
            s.unserved.to_string(),
            "no account could serve at all",
        ),
        (
            "waiting minutes",
            s.waiting.map_or("n/a".into(), |w| w.to_string()),
            "on a route while one the policy ranks higher was usable, not holding",
        ),
        (
            "switches",
            s.switches.to_string(),
            "decisions that changed the model or account",
        ),
        ("notices", s.notices.to_string(), "sent through notify"),
        (
            "failed runs",
            format!("{} of {}", s.failed_runs, s.runs),
            "switch runs that failed",
        ),
    ];
    for (label, value, what) in rows {
        host.println(&format!("{label:<17} {value:>10}   {what}"))?;
    }
    if let Some(f) = &s.first_failure {
        host.println(&format!("first failure     {f}"))?;
    }
    for line in &s.stuck_examples {
        host.println(&format!("  {line}"))?;
    }
    host.println("")?;
    host.println("time per route (working minutes served):")?;
    let width = routes.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
    for (r, m) in &routes {
        host.println(&format!("  {r:<width$} {m:>7}  {:>6}", pct(**m, s.working)))?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(s: &Map<String, Value>, reason: &str, now: i64) -> Map<String, Value> {
        next_failure_stats(s, reason, Some("claude-opus-4-7"), now, None)
    }

    #[test]
    fn the_rate_limit_ladder_doubles_from_30_seconds_and_keeps_an_active_window() {
        let mut s = Map::new();
        let mut now = START;
        let mut seen = Vec::new();
        for _ in 0..14 {
            s = fail(&s, "rate_limit", now);
            let until = num(s.get("cooldownUntil")).expect("cooldown");
            seen.push(until - now);
            now = until;
        }
        assert_eq!(&seen[..4], &[30_000, 60_000, 120_000, 240_000]);
        assert_eq!(seen[12], DAY);
        assert_eq!(seen[13], DAY);
        assert_eq!(s["cooldownModel"], "claude-opus-4-7");
        // A failure inside the active window keeps it.
        let again = fail(&s, "rate_limit", now - 1000);
        assert_eq!(again["cooldownUntil"], s["cooldownUntil"]);
    }

    #[test]
    fn billing_disables_for_ten_minutes_and_a_wham_block_replaces_the_cooldown() {
        let s = fail(&Map::new(), "billing", START);
        assert_eq!(num(s.get("disabledUntil")), Some(START + 10 * MINUTE));
        assert_eq!(s["disabledReason"], "billing");
        let b = next_failure_stats(
            &Map::new(),
            "rate_limit",
            Some("gpt-5.5"),
            START,
            Some(START + HOUR),
        );
        assert_eq!(num(b.get("blockedUntil")), Some(START + HOUR));
        assert_eq!(b["blockedReason"], "subscription_limit");
        assert_eq!(b["blockedSource"], "wham");
        assert!(b.get("cooldownUntil").is_none() && b.get("cooldownModel").is_none());
        let p = fail(&Map::new(), "auth_permanent", START);
        assert_eq!(num(p.get("disabledUntil")), Some(START + 10 * MINUTE));
    }
}
