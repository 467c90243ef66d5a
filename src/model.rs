//! The domain model: what clawshift knows about an agent's routes and accounts, as plain
//! Rust types. `openclaw::status` builds a [`Status`] once per run from OpenClaw's files
//! (or from `openclaw models status --json`); `status`, `doctor`, `set_model` and the
//! policy read it through these types, `--json` prints it with serde, and `api::model`
//! hands it to scripts as a shared, read-only value with getters.
//!
//! Nothing here reads a file, the clock or the environment, and nothing imports from
//! `api/`: scripts see this layer, never the other way round.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a profile cannot be used now, as OpenClaw records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    /// `cooldownUntil` / `blockedUntil`: a rate or usage limit, an auth error, …; may
    /// be scoped to one model.
    Cooldown,
    /// `disabledUntil`: billing, or a refresh token OpenClaw found revoked.
    Disabled,
    /// Past `expires` with nothing to refresh it with, or a refresh OpenClaw recorded as
    /// failed: only a new sign-in helps.
    Expired,
}

impl BlockKind {
    pub fn name(self) -> &'static str {
        match self {
            BlockKind::Cooldown => "cooldown",
            BlockKind::Disabled => "disabled",
            BlockKind::Expired => "expired",
        }
    }
}

/// A profile's block: its kind, OpenClaw's reason, when it ends (ms; `None`: waiting
/// will not end it) and the model a cooldown is scoped to (`provider/model`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub kind: BlockKind,
    pub reason: Option<String>,
    pub until: Option<i64>,
    pub scope: Option<String>,
}

/// One auth profile of the agent, judged at the status's `now`. Serialized with the
/// keys of `models_status()`'s profile map (docs/architecture.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Profile {
    /// Shared with the candidates that name it.
    pub id: Rc<str>,
    /// Shared with the store's credential, as the type below: a thousand profiles of
    /// one provider do not hold a thousand copies of `openai` and `oauth`.
    #[serde(default)]
    pub provider: Arc<str>,
    /// The credential's type: `oauth`, `token` or `api_key`.
    #[serde(rename = "type", default)]
    pub credential: Option<Arc<str>>,
    /// `email`, `account_id` and `plan`.
    #[serde(flatten)]
    pub identity: Identity,
    /// When the access token expires (ms).
    #[serde(default)]
    pub expires: Option<i64>,
    #[serde(default)]
    pub expires_in_ms: Option<i64>,
    #[serde(default = "yes")]
    pub usable: bool,
    /// `usable`, `refresh-due` (past `expires` with a refresh token: OpenClaw
    /// refreshes it on first use), or the block's kind.
    /// One of a few words, so not a copy per profile when clawshift judged it.
    #[serde(default)]
    pub state: Option<Cow<'static, str>>,
    #[serde(default)]
    pub kind: Option<BlockKind>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub until: Option<i64>,
    #[serde(default)]
    pub remaining_ms: Option<i64>,
    /// The model a cooldown is scoped to.
    #[serde(default)]
    pub model: Option<String>,
    /// 1-based place in its provider's order, `None` when the order leaves it out.
    #[serde(default)]
    pub position: Option<i64>,
}

fn yes() -> bool {
    true
}

/// What a profile says about its account: the store's `email`, `account_id` and
/// `plan`, and for those it leaves out, the claims of its access token, decoded the
/// first time one of them is asked for. A switch asks for none, so it decodes none of
/// a thousand accounts' tokens.
#[derive(Clone, Default)]
pub struct Identity {
    // Shared with the store's typed credential (and a token with the registry of
    // secrets), not copied: a thousand profiles' values are held once.
    email: Option<Arc<str>>,
    account_id: Option<Arc<str>>,
    plan: Option<Arc<str>>,
    /// The access token, kept (in memory only) while the store leaves a value out.
    token: Option<Arc<str>>,
    /// The token's (account id, email, plan), once read.
    claims: std::cell::OnceCell<Option<Claims>>,
}

type Claims = (Option<String>, Option<String>, Option<String>);

impl Identity {
    /// The store's values, and the access token that fills in what they leave out.
    pub fn new(
        email: Option<Arc<str>>,
        account_id: Option<Arc<str>>,
        plan: Option<Arc<str>>,
        token: Option<Arc<str>>,
    ) -> Identity {
        let missing = email.is_none() || account_id.is_none() || plan.is_none();
        Identity {
            email,
            account_id,
            plan,
            token: token.filter(|_| missing),
            claims: std::cell::OnceCell::new(),
        }
    }

    fn claims(&self) -> Option<&Claims> {
        self.claims
            .get_or_init(|| self.token.as_deref().and_then(crate::jwt::identity))
            .as_ref()
    }

    pub fn email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .or_else(|| self.claims()?.1.as_deref())
    }

    pub fn account_id(&self) -> Option<&str> {
        self.account_id
            .as_deref()
            .or_else(|| self.claims()?.0.as_deref())
    }

    pub fn plan(&self) -> Option<&str> {
        self.plan.as_deref().or_else(|| self.claims()?.2.as_deref())
    }
}

/// The three values as `models_status()` shows them, by the keys of its profile map.
#[derive(Deserialize)]
struct Shown {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    plan: Option<String>,
}

/// By hand rather than derived: a derived `Serialize` with the identity flattened into
/// it writes the profile as a map of unknown length, which a JSON value then grows by
/// doubling (5.8 MB more at the peak of a thousand profiles' `status --json`).
impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut p = s.serialize_struct("Profile", 16)?;
        p.serialize_field("id", &self.id)?;
        p.serialize_field("provider", &self.provider)?;
        p.serialize_field("type", &self.credential)?;
        p.serialize_field("email", &self.identity.email())?;
        p.serialize_field("account_id", &self.identity.account_id())?;
        p.serialize_field("plan", &self.identity.plan())?;
        p.serialize_field("expires", &self.expires)?;
        p.serialize_field("expires_in_ms", &self.expires_in_ms)?;
        p.serialize_field("usable", &self.usable)?;
        p.serialize_field("state", &self.state)?;
        p.serialize_field("kind", &self.kind)?;
        p.serialize_field("reason", &self.reason)?;
        p.serialize_field("until", &self.until)?;
        p.serialize_field("remaining_ms", &self.remaining_ms)?;
        p.serialize_field("model", &self.model)?;
        p.serialize_field("position", &self.position)?;
        p.end()
    }
}

impl<'de> Deserialize<'de> for Identity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Identity, D::Error> {
        let v = Shown::deserialize(d)?;
        Ok(Identity::new(
            v.email.map(Arc::from),
            v.account_id.map(Arc::from),
            v.plan.map(Arc::from),
            None,
        ))
    }
}

/// Equal when they show the same values, whether or not a token was read.
impl PartialEq for Identity {
    fn eq(&self, other: &Identity) -> bool {
        (self.email(), self.account_id(), self.plan())
            == (other.email(), other.account_id(), other.plan())
    }
}

/// Never shows the token.
impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("email", &self.email())
            .field("account_id", &self.account_id())
            .field("plan", &self.plan())
            .finish()
    }
}

impl Profile {
    /// The block recorded for this profile, if any (whether or not it blocks a given
    /// model: see [`Profile::block_for`]).
    pub fn block(&self) -> Option<Block> {
        Some(Block {
            kind: self.kind?,
            reason: self.reason.clone(),
            until: self.until,
            scope: self.model.clone(),
        })
    }

    /// The state word `status` shows: `usable`, `refresh-due`, `cooldown`, ….
    pub fn state(&self) -> &str {
        match (&self.state, self.kind) {
            (Some(s), _) => s,
            (None, Some(k)) => k.name(),
            (None, None) => "usable",
        }
    }

    /// The block that stops this profile serving `model` at `now`, or `None` when it
    /// can: a block that has ended does not count, nor a cooldown scoped to another
    /// model. With `model` `None`, any active block counts.
    pub fn block_for(&self, model: Option<&str>, now: i64) -> Option<Block> {
        let b = self.block()?;
        if b.until.is_some_and(|u| u <= now) && b.kind != BlockKind::Expired {
            return None;
        }
        if b.kind == BlockKind::Cooldown
            && let (Some(scope), Some(model)) = (&b.scope, model)
            && !same_model(scope, model)
        {
            return None;
        }
        Some(b)
    }

    /// True when the profile can serve `model` at `now`.
    pub fn usable_at(&self, model: Option<&str>, now: i64) -> bool {
        self.block_for(model, now).is_none() && (self.kind.is_some() || self.usable)
    }
}

/// True when two model refs name the same model (`gpt-5.5` matches `openai/gpt-5.5`).
pub fn same_model(a: &str, b: &str) -> bool {
    let tail = |m: &str| m.split_once('/').map_or(m, |(_, t)| t).to_string();
    a == b || (!(a.contains('/') && b.contains('/')) && tail(a) == tail(b))
}

/// `openai` of `openai/gpt-5.5`, `""` without a `/`.
pub fn provider_of(model: &str) -> &str {
    model.split_once('/').map_or("", |(p, _)| p)
}

/// One provider's accounts in OpenClaw's order (those the order leaves out follow).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provider {
    #[serde(skip)]
    pub id: String,
    pub order: Vec<String>,
    /// `store`, `config` or `profiles` (no order anywhere: every profile, in store order).
    pub order_source: Option<String>,
    pub last_good: Option<String>,
    #[serde(serialize_with = "profile_list")]
    pub profiles: Vec<Rc<Profile>>,
}

fn profile_list<S: Serializer>(list: &[Rc<Profile>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(list.iter().map(|p| p.as_ref()))
}

/// A route: a model, and the account that serves it when one is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub model: String,
    pub profile: Option<String>,
}

impl Route {
    /// `model@profile`, or the model alone.
    pub fn key(&self) -> String {
        match &self.profile {
            Some(p) => format!("{}@{p}", self.model),
            None => self.model.clone(),
        }
    }
}

/// Everything `models_status()` reports. Serialized with the keys and order of the
/// documented map, so `status --json` and recorded snapshots keep their shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    pub source: String,
    pub layout: String,
    pub agent: String,
    pub now: i64,
    pub codex_provider: String,
    pub paths: Map<String, Value>,
    pub default_model: Option<String>,
    pub fallbacks: Vec<String>,
    /// Alias → model ref, as `agents.defaults.models.<ref>.alias` declares them.
    pub aliases: Vec<(String, String)>,
    pub allowed: Vec<String>,
    pub models: Vec<String>,
    pub current: Option<String>,
    pub current_source: String,
    pub current_profile: Option<String>,
    pub providers: Vec<Provider>,
    /// Every profile, by id in store order (the same values the providers list).
    pub profiles: Vec<Rc<Profile>>,
    pub warnings: Vec<String>,
    /// Usage readings recorded with a replay snapshot (`status.usage`), by account id.
    pub usage: Option<Map<String, Value>>,
    pub index: ProfileIndex,
}

/// Where each profile id sits in [`Status::profiles`], built on the first lookup: the
/// policy looks up a profile per candidate, which with a thousand accounts must not be
/// a walk through the list each time. It is a cache of `profiles`, so two statuses are
/// equal whatever their caches hold. It holds places, found by the id's hash and
/// compared with the profile there, so no id is copied for it.
#[derive(Debug, Clone, Default)]
pub struct ProfileIndex(std::cell::OnceCell<hashbrown::HashTable<usize>>);

impl PartialEq for ProfileIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Status {
    pub fn profile(&self, id: &str) -> Option<&Rc<Profile>> {
        use std::hash::BuildHasher;
        // Fixed seeds: the index is a cache of one run's status, never exposed.
        let hash = |id: &str| foldhash::fast::FixedState::with_seed(0).hash_one(id);
        let profiles = &self.profiles;
        let index = self.index.0.get_or_init(|| {
            let mut index: hashbrown::HashTable<usize> =
                hashbrown::HashTable::with_capacity(profiles.len());
            for (i, p) in profiles.iter().enumerate() {
                let h = hash(&p.id);
                // The first of two profiles with one id wins, as a map insert would.
                if index.find(h, |&j| profiles[j].id == p.id).is_none() {
                    index.insert_unique(h, i, |&j| hash(&profiles[j].id));
                }
            }
            index
        });
        index
            .find(hash(id), |&i| *profiles[i].id == *id)
            .map(|&i| &profiles[i])
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// `provider`'s profiles in OpenClaw's order.
    pub fn profiles_of(&self, provider: &str) -> &[Rc<Profile>] {
        self.provider(provider).map_or(&[], |p| &p.profiles)
    }

    /// What the agent uses now: the main session's model and pinned account, else the
    /// default model with the first account of its provider's order (the one OpenClaw
    /// tries first, which `set_model(model, profile)` puts there).
    pub fn current_route(&self) -> Option<Route> {
        let model = self
            .current
            .clone()
            .or_else(|| self.default_model.clone())?;
        let profile = self.current_profile.clone().or_else(|| {
            self.profiles_of(provider_of(&model))
                .first()
                .map(|p| p.id.to_string())
        });
        Some(Route { model, profile })
    }

    /// The chain OpenClaw's own failover walks: the primary, then each fallback once.
    pub fn route_chain(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.default_model.iter().chain(&self.fallbacks) {
            let m = self.resolve_alias(m).to_string();
            if !out.iter().any(|x| same_model(x, &m)) {
                out.push(m);
            }
        }
        out
    }

    /// The model an alias stands for, or `name` itself.
    pub fn resolve_alias<'a>(&'a self, name: &'a str) -> &'a str {
        if name.contains('/') {
            return name;
        }
        self.aliases
            .iter()
            .find(|(a, _)| a == name)
            .map_or(name, |(_, m)| m.as_str())
    }

    /// Every model the agent knows, in a fixed order without repeats: default,
    /// fallbacks, alias targets, the allowlist, models with settings.
    pub fn known_models(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .default_model
            .iter()
            .chain(&self.fallbacks)
            .chain(self.aliases.iter().map(|(_, m)| m))
            .chain(&self.allowed)
            .chain(&self.models);
        for m in all {
            if !m.is_empty() && !out.contains(m) {
                out.push(m.clone());
            }
        }
        out
    }

    /// This status as if the agent were on `route` (for replay: the previous decision
    /// is taken as applied).
    pub fn with_current(&self, route: &Route, source: &str) -> Status {
        let mut s = self.clone();
        s.current = Some(route.model.clone());
        s.current_profile = route.profile.clone();
        s.current_source = source.to_string();
        s
    }

    /// Reads a recorded `models_status()` map (a replay snapshot) back.
    pub fn from_value(v: &Value) -> Result<Status, String> {
        let obj = v.as_object().ok_or("a status must be a JSON object")?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let strings = |k: &str| -> Vec<String> {
            obj.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let parse = |v: &Value, what: &str| -> Result<Profile, String> {
            serde_json::from_value::<Profile>(v.clone()).map_err(|e| format!("profile {what}: {e}"))
        };
        let mut profiles: Vec<Rc<Profile>> = Vec::new();
        if let Some(Value::Object(m)) = obj.get("profiles") {
            for (id, p) in m {
                let mut p = p.clone();
                if let Value::Object(pm) = &mut p {
                    pm.entry("id").or_insert_with(|| id.clone().into());
                }
                profiles.push(Rc::new(parse(&p, id)?));
            }
        }
        let mut providers = Vec::new();
        if let Some(Value::Object(m)) = obj.get("providers") {
            for (id, p) in m {
                let mut list = Vec::new();
                for q in p
                    .get("profiles")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let q = Rc::new(parse(q, id)?);
                    match profiles.iter().find(|x| x.id == q.id) {
                        Some(known) => list.push(known.clone()),
                        None => {
                            profiles.push(q.clone());
                            list.push(q);
                        }
                    }
                }
                providers.push(Provider {
                    id: id.clone(),
                    order: p
                        .get("order")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    order_source: p
                        .get("order_source")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    last_good: p
                        .get("last_good")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    profiles: list,
                });
            }
        }
        Ok(Status {
            source: text("source").unwrap_or_else(|| "snapshot".into()),
            layout: text("layout").unwrap_or_default(),
            agent: text("agent").unwrap_or_else(|| "main".into()),
            now: obj.get("now").and_then(Value::as_i64).unwrap_or(0),
            codex_provider: text("codex_provider").unwrap_or_else(|| "openai".into()),
            paths: obj
                .get("paths")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            default_model: text("default_model"),
            fallbacks: strings("fallbacks"),
            aliases: obj
                .get("aliases")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(a, r)| Some((a.clone(), r.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            allowed: strings("allowed"),
            models: strings("models"),
            current: text("current"),
            current_source: text("current_source").unwrap_or_else(|| "default".into()),
            current_profile: text("current_profile"),
            providers,
            profiles,
            warnings: strings("warnings"),
            usage: obj.get("usage").and_then(Value::as_object).cloned(),
            index: ProfileIndex::default(),
        })
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct ById<'a, T>(&'a [T], fn(&T) -> &str);
        impl<T: Serialize> Serialize for ById<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for x in self.0 {
                    m.serialize_entry((self.1)(x), x)?;
                }
                m.end()
            }
        }
        struct Aliases<'a>(&'a [(String, String)]);
        impl Serialize for Aliases<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (a, r) in self.0 {
                    m.serialize_entry(a, r)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("source", &self.source)?;
        m.serialize_entry("layout", &self.layout)?;
        m.serialize_entry("agent", &self.agent)?;
        m.serialize_entry("now", &self.now)?;
        m.serialize_entry("codex_provider", &self.codex_provider)?;
        m.serialize_entry("paths", &self.paths)?;
        m.serialize_entry("default_model", &self.default_model)?;
        m.serialize_entry("fallbacks", &self.fallbacks)?;
        m.serialize_entry("aliases", &Aliases(&self.aliases))?;
        m.serialize_entry("allowed", &self.allowed)?;
        m.serialize_entry("models", &self.models)?;
        m.serialize_entry("current", &self.current)?;
        m.serialize_entry("current_source", &self.current_source)?;
        m.serialize_entry("current_profile", &self.current_profile)?;
        m.serialize_entry("providers", &ById(&self.providers, |p| &*p.id))?;
        let profiles: Vec<&Profile> = self.profiles.iter().map(Rc::as_ref).collect();
        m.serialize_entry("profiles", &ById(&profiles, |p| &*p.id))?;
        m.serialize_entry("warnings", &self.warnings)?;
        if let Some(u) = &self.usage {
            m.serialize_entry("usage", u)?;
        }
        m.end()
    }
}
