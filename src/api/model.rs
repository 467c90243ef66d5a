//! The domain types as script values: `Status`, `Provider`, `Profile`, `Block`,
//! `Route`, `Candidate`, `Verdict` and `Decision`, each shared (an `Rc`, so passing one
//! to a function copies nothing) and read-only, with a getter per field and the
//! policy's operations as methods. A missing optional value reads as `()`.
//!
//! This is a thin mapping: the work is in `crate::model` and `crate::policy`.

use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, FuncRegistration, INT, Map};
use serde_json::Value;

use super::{RhaiResult, def};
use crate::host::Host;
use crate::model::{Block, BlockKind, Profile, Provider, Route, Status};
use crate::policy::{self, Candidate, Change, Choice, Decision, Verdict};

fn opt<T: Into<Dynamic>>(v: Option<T>) -> Dynamic {
    v.map_or(Dynamic::UNIT, Into::into)
}

fn strings(v: &[String]) -> Array {
    v.iter().map(|s| Dynamic::from(s.clone())).collect()
}

fn json(v: &Value) -> Dynamic {
    super::json::into_dynamic(v.clone())
}

fn to_json(d: &Dynamic, what: &str) -> RhaiResult<Value> {
    super::json::to_value(d).map_err(|e| format!("{what}: {e}").into())
}

/// The JSON of a domain value inside a script value, for `json::stringify` and
/// `eval`'s printing; `None` for anything else.
pub fn custom_value(d: &Dynamic) -> Option<Value> {
    macro_rules! try_as {
        ($($t:ty),*) => {$(
            if let Some(x) = d.read_lock::<$t>() {
                let x: &$t = &x;
                return serde_json::to_value(x).ok();
            }
        )*};
    }
    if let Some(x) = d.read_lock::<Rc<Status>>() {
        return serde_json::to_value(&**x).ok();
    }
    if let Some(x) = d.read_lock::<Rc<Profile>>() {
        return serde_json::to_value(&**x).ok();
    }
    if let Some(x) = d.read_lock::<C>() {
        return serde_json::to_value(&*x).ok();
    }
    try_as!(Provider, Block, Route, Verdict);
    if let Some(x) = d.read_lock::<Rc<Decision>>() {
        return Some(x.to_json());
    }
    if let Some(x) = d.read_lock::<super::state::ProfileStatuses>() {
        return super::json::to_value(&Dynamic::from_map(x.to_map())).ok();
    }
    None
}

/// Registers a documented getter `Type.prop`.
fn getter<T: Clone + 'static>(
    engine: &mut Engine,
    ty: &str,
    prop: &str,
    ret: &str,
    doc: &str,
    f: impl Fn(&mut T) -> Dynamic + 'static,
) {
    let var = ty.to_lowercase();
    let reg = FuncRegistration::new_getter(prop)
        .with_params_info([format!("{var}: {ty}"), ret.to_string()]);
    super::doc_line(reg, doc).register_into_engine(engine, f);
}

pub fn register(engine: &mut Engine, _host: &Rc<Host>) {
    engine
        .register_type_with_name::<Rc<Status>>("Status")
        .register_type_with_name::<Rc<Profile>>("Profile")
        .register_type_with_name::<Provider>("Provider")
        .register_type_with_name::<Block>("Block")
        .register_type_with_name::<Route>("Route")
        .register_type_with_name::<C>("Candidate")
        .register_type_with_name::<Verdict>("Verdict")
        .register_type_with_name::<Rc<Decision>>("Decision");
    status(engine);
    profile(engine);
    route(engine);
    verdicts(engine);
    decision(engine);
}

type S = Rc<Status>;
/// Not behind an `Rc`: a candidate's parts are shared already, and a thousand
/// candidates handed to a script are then one allocation each, not two.
type C = Candidate;

fn status(engine: &mut Engine) {
    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&S) -> Dynamic| {
        getter(e, "Status", prop, ret, doc, move |s: &mut S| f(s));
    };
    g(
        engine,
        "source",
        "String",
        "Where the status was read: `native` (OpenClaw's files) or `openclaw` (`openclaw models status --json`).",
        |s| s.source.clone().into(),
    );
    g(
        engine,
        "layout",
        "String",
        "OpenClaw's storage layout: `legacy-json`, `split-json`, `sqlite` or `agent-sqlite`.",
        |s| s.layout.clone().into(),
    );
    g(
        engine,
        "agent",
        "String",
        "The OpenClaw agent id (`main` unless `--agent` says otherwise).",
        |s| s.agent.clone().into(),
    );
    g(
        engine,
        "now",
        "INT",
        "The time the status was judged at (ms since the epoch).",
        |s| s.now.into(),
    );
    g(
        engine,
        "codex_provider",
        "String",
        "The provider id of the Codex (ChatGPT) accounts: `openai` since 2026.6, `openai-codex` before.",
        |s| s.codex_provider.clone().into(),
    );
    g(
        engine,
        "paths",
        "Map",
        "Where OpenClaw's state is: `#{state_dir, config, agent_dir, store, state, agent_db}`.",
        |s| json(&Value::Object(s.paths.clone())),
    );
    g(
        engine,
        "default_model",
        "Dynamic",
        "The agent's model: its own entry's `model` (`agents.entries.<id>.model`, or its `agents.list` item's) when that names one, else `agents.defaults.model.primary`; `()` when unset. `openclaw models status --agent <id>` reports the same.",
        |s| opt(s.default_model.clone()),
    );
    g(
        engine,
        "fallbacks",
        "Array",
        "The agent's fallbacks: those its own `model` lists, none when its own `model` names a model without listing any, else `agents.defaults.model.fallbacks`.",
        |s| strings(&s.fallbacks).into(),
    );
    g(
        engine,
        "aliases",
        "Map",
        "Model aliases: alias → `provider/model` (`agents.defaults.models.<ref>.alias`).",
        |s| {
            let m: Map = s
                .aliases
                .iter()
                .map(|(a, r)| (a.into(), r.clone().into()))
                .collect();
            m.into()
        },
    );
    g(
        engine,
        "allowed",
        "Array",
        "The model allowlist OpenClaw enforces.",
        |s| strings(&s.allowed).into(),
    );
    g(
        engine,
        "models",
        "Array",
        "The models with settings under `agents.defaults.models`.",
        |s| strings(&s.models).into(),
    );
    g(
        engine,
        "current",
        "Dynamic",
        "The model the agent uses now: the main session's in the JSON eras, else the default model.",
        |s| opt(s.current.clone()),
    );
    g(
        engine,
        "current_source",
        "String",
        "Where `current` comes from: `session`, `default` or `replay`.",
        |s| s.current_source.clone().into(),
    );
    g(
        engine,
        "current_profile",
        "Dynamic",
        "The account the main session is pinned to, or `()`.",
        |s| opt(s.current_profile.clone()),
    );
    g(
        engine,
        "warnings",
        "Array",
        "Problems found while reading (a migration blocker, a malformed profile field), as sentences.",
        |s| strings(&s.warnings).into(),
    );
    g(
        engine,
        "usage",
        "Dynamic",
        "Usage readings recorded with a replay snapshot (id → reading), or `()`.",
        |s| {
            s.usage
                .as_ref()
                .map_or(Dynamic::UNIT, |u| json(&Value::Object(u.clone())))
        },
    );
    g(
        engine,
        "providers",
        "Map",
        "Every provider by id: `Provider` values, each with its order and its profiles in that order.",
        |s| {
            let m: Map = s
                .providers
                .iter()
                .map(|p| ((&*p.id).into(), Dynamic::from(p.clone())))
                .collect();
            m.into()
        },
    );
    g(
        engine,
        "profiles",
        "Map",
        "Every auth profile by id, as `Profile` values.",
        |s| {
            let m: Map = s
                .profiles
                .iter()
                .map(|p| ((&*p.id).into(), Dynamic::from(p.clone())))
                .collect();
            m.into()
        },
    );

    def(
        "profiles",
        &["status: Status", "provider: String", "Array"],
        "The `Profile`s of `provider` in OpenClaw's order (those the order leaves out follow).\n\
         Example: `for p in models_status().profiles(\"openai\") { print(`${p.id} ${p.state}`); }`",
    )
    .with_volatility(false)
    .register_into_engine(engine, |s: &mut S, provider: &str| -> Array {
        s.profiles_of(provider)
            .iter()
            .map(|p| Dynamic::from(p.clone()))
            .collect()
    });
    def("profile", &["status: Status", "id: String", "Dynamic"],
        "The `Profile` with this id, or `()`.\n\
         Example: `let p = models_status().profile(\"openai:alice\"); if p != () { print(p.state); }`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, id: &str| -> Dynamic {
            s.profile(id).map_or(Dynamic::UNIT, |p| Dynamic::from(p.clone()))
        });
    def("route_chain", &["status: Status", "Array"],
        "The models OpenClaw's own failover tries, in order: the default model, then each fallback once (aliases resolved).\n\
         Example: `print(models_status().route_chain());`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S| -> Array { strings(&s.route_chain()) });
    def("current_route", &["status: Status", "Dynamic"],
        "What the agent uses now as a `Route`: the current model with the main session's account, else the first account of that provider's order; `()` with no model set.\n\
         Example: `print(models_status().current_route().key);`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S| -> Dynamic {
            opt(s.current_route().map(Dynamic::from))
        });
    def("known_models", &["status: Status", "Array"],
        "Every model the agent knows, without repeats: default, fallbacks, alias targets, the allowlist, models with settings.\n\
         Example: `if !models_status().known_models().contains(\"anthropic/claude-opus-4-7\") { print(\"no Opus\"); }`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S| -> Array { strings(&s.known_models()) });
    def("with_current", &["status: Status", "route: Route", "Status"],
        "This status as if the agent were on `route` (`current_source` becomes `replay`); the policy's replay takes each decision as applied this way.\n\
         Example: `let st = st.with_current(d.route);`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, r: Route| -> S { Rc::new(s.with_current(&r, "replay")) });
    def(
        "to_map",
        &["status: Status", "Map"],
        "The status as a plain map (the shape `status --json` prints), for code written for maps.\n\
         Example: `let m = models_status().to_map(); print(m.providers.keys());`",
    )
    .with_volatility(false)
    .register_into_engine(engine, |s: &mut S| -> RhaiResult<Dynamic> {
        let v = serde_json::to_value(&**s).map_err(|e| format!("to_map: {e}"))?;
        Ok(super::json::into_dynamic(v))
    });
    def("candidates", &["status: Status", "priority: Array", "state: Map", "Array"],
        "The `Candidate`s a priority list names for this status, best first, each once (see `PRIORITY` in the switch script): `\"opus\"`, `\"codex\"` (the Codex model once per account, in the order from before clawshift's last switch while OpenClaw's is the one it left), `\"provider/model\"` and `\"provider/model@profile\"`. `state` is the saved switch state (`#{}` on a first run).\n\
         Errors: an entry that is none of these.\n\
         Example: `for c in st.candidates([\"opus\", \"codex\"], #{}) { print(c.key); }`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, priority: Array, state: Map| -> RhaiResult<Array> {
            Ok(expand(s, &priority, &state)?.0.iter().cloned().map(Dynamic::from).collect())
        });
    def("candidate_notes", &["status: Status", "priority: Array", "state: Map", "Array"],
        "Why entries of a priority list name nothing for this status (e.g. `\"opus\": the agent has no Claude Opus model`), as sentences.\n\
         Example: `for n in st.candidate_notes(PRIORITY, state) { print(n); }`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, priority: Array, state: Map| -> RhaiResult<Array> {
            Ok(strings(&expand(s, &priority, &state)?.1))
        });
    def("candidate_models", &["status: Status", "priority: Array", "state: Map", "Array"],
        "The models of `candidates(priority, state)`, each once, best first: the fallback chain the switch script hands to `set_model`.\n\
         Example: `print(st.candidate_models([\"opus\", \"codex\"], #{}));`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, priority: Array, state: Map| -> RhaiResult<Array> {
            let mut models: Vec<String> = Vec::new();
            for c in &expand(s, &priority, &state)?.0 {
                if !models.iter().any(|m| **m == *c.model) {
                    models.push(c.model.to_string());
                }
            }
            Ok(strings(&models))
        });
    def("validate", &["status: Status", "priority: Array", "state: Map", "Array"],
        "Checks a priority list against this status without judging anything: unknown entries, models the agent does not know and profiles that are not in the auth store, each a sentence naming the entry (with the nearest known name). `clawshift check` runs it on the switch script's `PRIORITY`.\n\
         Example: `for p in models_status().validate([\"opsu\"], #{}) { print(p); }`")
        .with_volatility(false)
        .register_into_engine(engine, |s: &mut S, priority: Array, state: Map| -> RhaiResult<Array> {
            let (priority, state) = (entries(&priority)?, keys_as_json(&state, &policy::STATE_READS, "validate")?);
            Ok(strings(&policy::validate(s, &priority, &state)))
        });
}

fn entries(priority: &Array) -> RhaiResult<Vec<String>> {
    priority
        .iter()
        .map(|e| {
            e.clone().into_string().map_err(|t| {
                format!("priority entries are strings like \"opus\" or \"openai/gpt-5.5\", not {t}")
                    .into()
            })
        })
        .collect()
}

/// The candidates of `priority` for this status and their notes. `decide`, its notes
/// and the switch script's fallback chain all ask for the same list in one run, so the
/// last expansion is kept and handed out again while status, list and state agree.
fn expand(s: &S, priority: &Array, state: &Map) -> RhaiResult<Rc<Expansion>> {
    type Last = Option<(S, Vec<String>, Rc<Value>, Rc<Expansion>)>;
    thread_local! {
        // Never dropped at exit: it may hold the run's status, and freeing that tree
        // as the process ends is wasted time.
        static LAST: std::mem::ManuallyDrop<std::cell::RefCell<Last>> = Default::default();
    }
    let priority = entries(priority)?;
    let state = keys_as_json(state, &policy::STATE_READS, "candidates")?;
    let hit = LAST.with(|l| {
        l.borrow().as_ref().and_then(|(ls, lp, lst, e)| {
            let same_state = Rc::ptr_eq(lst, &state) || **lst == *state;
            (Rc::ptr_eq(ls, s) && *lp == priority && same_state).then(|| e.clone())
        })
    });
    if let Some(e) = hit {
        return Ok(e);
    }
    let (list, notes) =
        policy::candidates(s, &priority, &state).map_err(|e| format!("policy: {e}"))?;
    let e: Rc<Expansion> = Rc::new((list, notes));
    LAST.with(|l| *l.borrow_mut() = Some((s.clone(), priority, state, e.clone())));
    Ok(e)
}

type Expansion = (Vec<C>, Vec<String>);

/// The `keys` of a switch state as a JSON object: the policy reads only these, and a
/// state file with a thousand profiles' statuses is not converted for them. A run asks
/// for the same keys of the same state several times (the candidates, the decision,
/// the fallback chain, the next state), and with a thousand profiles the account
/// orders are two thousand ids: the last conversion is handed out again while the
/// state's values are the same, compared in place.
fn keys_as_json(state: &Map, keys: &'static [&'static str], what: &str) -> RhaiResult<Rc<Value>> {
    type Memo = Vec<(&'static [&'static str], Rc<Value>)>;
    thread_local! {
        // The last conversion of each set of keys; never dropped at exit, as the other
        // memos of a run.
        static LAST: std::mem::ManuallyDrop<std::cell::RefCell<Memo>> = Default::default();
    }
    let hit = LAST.with(|l| {
        let l = l.borrow();
        let (_, last) = l.iter().find(|(k, _)| *k == keys)?;
        let same = keys.iter().all(|k| match (state.get(*k), last.get(*k)) {
            (None, None) => true,
            (Some(d), Some(v)) => super::json::converts_to(d, v),
            _ => false,
        });
        same.then(|| last.clone())
    });
    if let Some(last) = hit {
        return Ok(last);
    }
    let mut out = serde_json::Map::new();
    for key in keys {
        if let Some(v) = state.get(*key) {
            out.insert(key.to_string(), to_json(v, what)?);
        }
    }
    let out = Rc::new(Value::Object(out));
    LAST.with(|l| {
        let mut l = l.borrow_mut();
        l.retain(|(k, _)| *k != keys);
        l.push((keys, out.clone()));
    });
    Ok(out)
}

type P = Rc<Profile>;

fn profile(engine: &mut Engine) {
    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&P) -> Dynamic| {
        getter(e, "Profile", prop, ret, doc, move |p: &mut P| f(p));
    };
    g(
        engine,
        "id",
        "String",
        "The profile id, e.g. `openai:alice`.",
        |p| (&*p.id).into(),
    );
    g(
        engine,
        "provider",
        "String",
        "The provider it signs in to, e.g. `openai`.",
        |p| (*p.provider).into(),
    );
    g(
        engine,
        "type",
        "Dynamic",
        "The credential type: `oauth`, `token` or `api_key`.",
        |p| opt(p.credential.as_deref()),
    );
    g(
        engine,
        "email",
        "Dynamic",
        "The account's email, from the store or the token, or `()`.",
        |p| opt(p.identity.email().map(str::to_string)),
    );
    g(
        engine,
        "account_id",
        "Dynamic",
        "The ChatGPT account id, or `()`.",
        |p| opt(p.identity.account_id().map(str::to_string)),
    );
    g(
        engine,
        "plan",
        "Dynamic",
        "The ChatGPT plan (`plus`, `pro`, …), or `()`.",
        |p| opt(p.identity.plan().map(str::to_string)),
    );
    g(
        engine,
        "expires",
        "Dynamic",
        "When the access token expires (ms), or `()`.",
        |p| opt(p.expires),
    );
    g(
        engine,
        "expires_in_ms",
        "Dynamic",
        "Time left on the access token (negative once past), or `()`.",
        |p| opt(p.expires_in_ms),
    );
    g(
        engine,
        "usable",
        "bool",
        "True when nothing OpenClaw recorded blocks it at the status's time (a cooldown scoped to one model counts).",
        |p| p.usable.into(),
    );
    g(
        engine,
        "state",
        "String",
        "`usable`, `refresh-due` (past `expires` with a refresh token: OpenClaw refreshes it on first use, so it is usable), `cooldown`, `disabled` or `expired`.",
        |p| p.state().to_string().into(),
    );
    g(
        engine,
        "kind",
        "Dynamic",
        "The block's kind (`cooldown`, `disabled`, `expired`), or `()`.",
        |p| opt(p.kind.map(|k| k.name().to_string())),
    );
    g(
        engine,
        "reason",
        "Dynamic",
        "OpenClaw's reason for the block (`rate_limit`, `billing`, `refresh-failed`, …), or `()`.",
        |p| opt(p.reason.clone()),
    );
    g(
        engine,
        "remaining_ms",
        "Dynamic",
        "Time until the block ends, or `()`.",
        |p| opt(p.remaining_ms),
    );
    g(
        engine,
        "model",
        "Dynamic",
        "The model a cooldown is scoped to (`provider/model`), or `()`.",
        |p| opt(p.model.clone()),
    );
    g(
        engine,
        "position",
        "Dynamic",
        "1-based place in its provider's order, or `()` when the order leaves it out.",
        |p| opt(p.position),
    );
    g(
        engine,
        "block",
        "Dynamic",
        "The recorded `Block` (`kind`, `reason`, `until`, `scope`), or `()`; see `block_for` for whether it blocks a model now.",
        |p| opt(p.block().map(Dynamic::from)),
    );
    let reg = FuncRegistration::new_index_getter().with_params_info([
        "profile: Profile",
        "field: String",
        "Dynamic",
    ]);
    super::doc_line(reg, "Any field by name, as `status --json` shows it: `p[\"until\"]` (`until` is a Rhai keyword), `()` for an unknown one.")
        .register_into_engine(engine, |p: &mut P, k: &str| -> Dynamic {
            serde_json::to_value(&**p)
                .ok()
                .and_then(|v| v.get(k).cloned())
                .map_or(Dynamic::UNIT, |v| json(&v))
        });
    def("usable_at", &["profile: Profile", "model: String", "now: INT", "bool"],
        "True when the profile can serve `model` at `now` (ms): no active cooldown for that model, not disabled, not expired.\n\
         Example: `if p.usable_at(\"openai/gpt-5.5\", now()) { print(p.id); }`")
        .with_volatility(false)
        .register_into_engine(engine, |p: &mut P, model: &str, now: INT| p.usable_at(Some(model), now));
    def("block_for", &["profile: Profile", "model: String", "now: INT", "Dynamic"],
        "The `Block` that stops the profile serving `model` at `now`, or `()` when none does (an ended block, or a cooldown scoped to another model, does not).\n\
         Example: `let b = p.block_for(\"openai/gpt-5.5\", now()); if b != () { print(b.kind); }`")
        .with_volatility(false)
        .register_into_engine(engine, |p: &mut P, model: &str, now: INT| opt(p.block_for(Some(model), now).map(Dynamic::from)));

    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&Provider) -> Dynamic| {
        getter(e, "Provider", prop, ret, doc, move |p: &mut Provider| f(p));
    };
    g(engine, "id", "String", "The provider id.", |p| {
        p.id.clone().into()
    });
    g(
        engine,
        "order",
        "Array",
        "The provider's account order as OpenClaw uses it.",
        |p| strings(&p.order).into(),
    );
    g(
        engine,
        "order_source",
        "Dynamic",
        "Where the order comes from: `store`, `config` or `profiles` (none set: every profile).",
        |p| opt(p.order_source.clone()),
    );
    g(
        engine,
        "last_good",
        "Dynamic",
        "The account OpenClaw last used successfully, or `()`.",
        |p| opt(p.last_good.clone()),
    );
    g(
        engine,
        "profiles",
        "Array",
        "The provider's `Profile`s in its order.",
        |p| {
            p.profiles
                .iter()
                .map(|x| Dynamic::from(x.clone()))
                .collect::<Array>()
                .into()
        },
    );

    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&Block) -> Dynamic| {
        getter(e, "Block", prop, ret, doc, move |b: &mut Block| f(b));
    };
    g(
        engine,
        "kind",
        "String",
        "`cooldown`, `disabled` or `expired`.",
        |b| b.kind.name().into(),
    );
    g(
        engine,
        "reason",
        "Dynamic",
        "OpenClaw's reason, or `()`.",
        |b| opt(b.reason.clone()),
    );
    g(
        engine,
        "ends",
        "Dynamic",
        "When the block ends (ms), or `()` when waiting will not end it.",
        |b| opt(b.until),
    );
    g(
        engine,
        "scope",
        "Dynamic",
        "The one model a cooldown blocks (`provider/model`), or `()` for every model.",
        |b| opt(b.scope.clone()),
    );
}

fn route(engine: &mut Engine) {
    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&Route) -> Dynamic| {
        getter(e, "Route", prop, ret, doc, move |r: &mut Route| f(r));
    };
    g(
        engine,
        "model",
        "String",
        "The model, `provider/model`.",
        |r| r.model.clone().into(),
    );
    g(
        engine,
        "profile",
        "Dynamic",
        "The account pinned to it, or `()`.",
        |r| opt(r.profile.clone()),
    );
    g(
        engine,
        "key",
        "String",
        "`model@profile`, or the model alone.",
        |r| r.key().into(),
    );

    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&Candidate) -> Dynamic| {
        getter(e, "Candidate", prop, ret, doc, move |c: &mut C| f(c));
    };
    g(
        engine,
        "rank",
        "INT",
        "1-based place in the candidate list.",
        |c| (c.rank as INT).into(),
    );
    g(
        engine,
        "key",
        "String",
        "`model@profile`, or the model alone.",
        |c| c.key().into(),
    );
    g(engine, "model", "String", "The candidate's model.", |c| {
        (*c.model).into()
    });
    g(engine, "provider", "String", "The model's provider.", |c| {
        (*c.provider).into()
    });
    g(
        engine,
        "profile",
        "Dynamic",
        "The one account the candidate names, or `()` for any account of the model.",
        |c| opt(c.profile.as_deref()),
    );
    g(
        engine,
        "entry",
        "String",
        "The priority entry that named it (`opus`, `codex`, …).",
        |c| (*c.entry).into(),
    );
    def("judge", &["candidate: Candidate", "status: Status", "now: INT", "Verdict"],
        "Judges the candidate against the status at `now` (ms): usable or not, by which rule, why, when its block ends, and the account behind the verdict.\n\
         Example: `let v = c.judge(status, now); print(`${v.key}: ${v.rule}`);`")
        .with_volatility(false)
        .register_into_engine(engine, |c: &mut C, s: S, now: INT| policy::judge(&s, c, now));
}

fn verdicts(engine: &mut Engine) {
    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&Verdict) -> Dynamic| {
        getter(e, "Verdict", prop, ret, doc, move |v: &mut Verdict| f(v));
    };
    g(
        engine,
        "candidate",
        "Candidate",
        "The `Candidate` judged.",
        |v| Dynamic::from(Rc::new(v.candidate.clone())),
    );
    g(engine, "key", "String", "The candidate's key.", |v| {
        v.candidate.key().into()
    });
    g(engine, "model", "String", "The candidate's model.", |v| {
        (*v.candidate.model).into()
    });
    g(
        engine,
        "profile",
        "Dynamic",
        "The account the candidate names, or `()`.",
        |v| opt(v.candidate.profile.as_deref()),
    );
    g(
        engine,
        "entry",
        "String",
        "The priority entry that named it.",
        |v| (*v.candidate.entry).into(),
    );
    g(
        engine,
        "route",
        "Route",
        "The `Route` to apply: the model with the account behind the verdict when the candidate names one.",
        |v| {
            Dynamic::from(Route {
                model: v.candidate.model.to_string(),
                profile: v.candidate.profile.as_deref().map(str::to_string),
            })
        },
    );
    g(
        engine,
        "usable",
        "bool",
        "True when the candidate can serve now.",
        |v| v.usable.into(),
    );
    g(
        engine,
        "rule",
        "String",
        "The rule behind the verdict: `usable`, `refresh-due`, `other-model`, `cooldown`, `disabled`, `expired`, `unusable`, `unknown-model`, `unknown-profile`, `no-profile`, `veto`, or a usage rule (`usage-high`, `usage-forecast`, `usage-limit`, `usage-wait`).",
        |v| v.rule.clone().into(),
    );
    g(
        engine,
        "why",
        "String",
        "The verdict in words, e.g. `openai:alice cooling down for 41m`.",
        |v| v.why.clone().into(),
    );
    g(
        engine,
        "ends_at",
        "Dynamic",
        "When the block ends (ms), or `()`.",
        |v| opt(v.ends_at),
    );
    g(
        engine,
        "via",
        "Dynamic",
        "The account behind the verdict (the first usable one, or the one whose block ends first), or `()`.",
        |v| opt(v.via.clone()),
    );
    g(
        engine,
        "health",
        "String",
        "`ok`, `low` (usage mode: its account has little room) or `blocked`.",
        |v| v.health.clone().into(),
    );
    g(
        engine,
        "resets_at",
        "Dynamic",
        "Usage mode: when its account's usage window resets (ms), or `()`.",
        |v| opt(v.resets_at()),
    );
    g(
        engine,
        "used",
        "FLOAT",
        "Usage mode: its account's highest window percentage (0 without a reading).",
        |v| v.used().into(),
    );
    def("with_usage", &["verdict: Verdict", "readings: Map", "state: Map", "opts: Map", "Verdict"],
        "The verdict with its account's usage reading taken into account (usage mode): `readings` is `usage()`'s map (id → reading); `state.usageLeft` holds the accounts left for their usage; `opts` holds `now`, `leave_above` (percent, default 90) and `next_run_ms` (default 10 minutes). An account at 100 % is blocked until its window resets; one at or above `leave_above`, or running out before the next run, is `low`; one left for its usage stays `low` until the window it was left for has reset.\n\
         Example: `let v = c.judge(status, now).with_usage(readings, state, opts);`")
        .with_volatility(false)
        .register_into_engine(engine, |v: &mut Verdict, readings: Map, state: Map, opts: Map| -> RhaiResult<Verdict> {
            let id = v.candidate.profile.as_deref().or(v.via.as_deref());
            let Some(id) = id else { return Ok(v.clone()) };
            let reading = readings.get(id).map(|r| to_json(r, "with_usage")).transpose()?;
            let wait = state.get("usageLeft").and_then(|w| w.read_lock::<Map>().and_then(|m| m.get(id).cloned()));
            let wait = wait.map(|w| to_json(&w, "with_usage")).transpose()?;
            let now = opts.get("now").and_then(|n| n.as_int().ok()).ok_or("with_usage: opts.now (ms) is required")?;
            let leave = opts.get("leave_above").and_then(|x| x.as_int().ok().map(|i| i as f64).or_else(|| x.as_float().ok())).unwrap_or(90.0);
            let next = now + opts.get("next_run_ms").and_then(|x| x.as_int().ok()).unwrap_or(600_000);
            Ok(v.clone().with_usage(reading.as_ref(), wait.as_ref(), leave, next, now))
        });
    def("vetoed", &["verdict: Verdict", "reason: String", "Verdict"],
        "The verdict turned into a rejection by the policy's `veto` hook: not usable, rule `veto`, `why` = `<key> vetoed: <reason>`.\n\
         Example: `v = v.vetoed(\"office hours\");`")
        .with_volatility(false)
        .register_into_engine(engine, |v: &mut Verdict, reason: &str| -> Verdict {
            let mut v = v.clone();
            v.usable = false;
            v.health = "blocked".into();
            v.rule = "veto".into();
            v.why = format!("{} vetoed: {reason}", v.candidate.key());
            v.ends_at = None;
            v
        });
    def("is_current", &["verdict: Verdict", "status: Status", "bool"],
        "True when the verdict's candidate is what the agent uses now (a candidate without a profile matches any account of its model).\n\
         Example: `if v.is_current(status) { print(\"here\"); }`")
        .with_volatility(false)
        .register_into_engine(engine, |v: &mut Verdict, s: S| policy::is_current(&v.candidate, s.current_route().as_ref()));
}

fn index(m: &Map, k: &str) -> Option<usize> {
    m.get(k)
        .and_then(|x| x.as_int().ok())
        .and_then(|i| usize::try_from(i).ok())
}

fn decision(engine: &mut Engine) {
    type D = Rc<Decision>;
    def("decision", &["choice: Map", "status: Status", "state: Map", "Decision"],
        "Puts what the policy chose into a `Decision`, with its wording: `choice` holds `now`, `verdicts` (every judged `Verdict`, best first), `chosen`, `current` and `best` (indexes into `verdicts`, or `()`), `held` (true when the hold kept the current route over `best`), `hold_ms`, `soonest` (usage mode: the choice is the account whose window resets soonest), `notes` and `usage` (the readings, or `()` outside usage mode).\n\
         Errors: `verdicts` empty or holding something else, an index out of range.\n\
         Example: `return decision(#{now: now, verdicts: vs, chosen: 0, current: (), best: 0, held: false, hold_ms: 0, soonest: false, notes: [], usage: ()}, status, state);`")
        .with_volatility(false)
        .register_into_engine(engine, |choice: Map, s: S, state: Map| -> RhaiResult<D> {
            let verdicts: Vec<Verdict> = choice
                .get("verdicts")
                .and_then(|v| v.read_lock::<Array>().map(|a| a.iter().map(|x| x.clone().try_cast::<Verdict>()).collect::<Option<Vec<_>>>()))
                .flatten()
                .filter(|v| !v.is_empty())
                .ok_or("decision: `verdicts` must be a non-empty array of Verdicts")?;
            let n = verdicts.len();
            let idx = |k: &str| -> RhaiResult<Option<usize>> {
                match index(&choice, k) {
                    Some(i) if i >= n => Err(format!("decision: `{k}` is {i}, but there are {n} verdicts").into()),
                    x => Ok(x),
                }
            };
            let chosen = idx("chosen")?.ok_or("decision: `chosen` is required")?;
            let usage = match choice.get("usage") {
                Some(u) if !u.is_unit() => match to_json(u, "decision")? {
                    Value::Object(m) => Some(m),
                    _ => None,
                },
                _ => None,
            };
            let c = Choice {
                now: choice.get("now").and_then(|x| x.as_int().ok()).ok_or("decision: `now` (ms) is required")?,
                chosen,
                current: idx("current")?,
                best: idx("best")?,
                held: choice.get("held").and_then(|x| x.as_bool().ok()).unwrap_or(false),
                hold_ms: choice.get("hold_ms").and_then(|x| x.as_int().ok()).unwrap_or(0),
                soonest: choice.get("soonest").and_then(|x| x.as_bool().ok()).unwrap_or(false),
                notes: choice.get("notes").and_then(|x| x.read_lock::<Array>().map(|a| a.iter().map(|n| n.to_string()).collect())).unwrap_or_default(),
                usage,
                verdicts,
            };
            let state = keys_as_json(&state, &policy::DECISION_READS, "decision")?;
            Ok(Rc::new(Decision::new(c, &s, &state)))
        });
    let g = |e: &mut Engine, prop: &str, ret: &str, doc: &str, f: fn(&D) -> Dynamic| {
        getter(e, "Decision", prop, ret, doc, move |d: &mut D| f(d));
    };
    g(engine, "now", "INT", "The time decided at (ms).", |d| {
        d.now.into()
    });
    g(
        engine,
        "action",
        "String",
        "`switch`, `stay` or `hold` (a better route is usable again but the hold has not passed).",
        |d| d.action.clone().into(),
    );
    g(
        engine,
        "change",
        "bool",
        "True when the route changes.",
        |d| d.change.into(),
    );
    g(
        engine,
        "from",
        "Dynamic",
        "The current route's key, or `()`.",
        |d| opt(d.from.clone()),
    );
    g(engine, "to", "String", "The chosen route's key.", |d| {
        d.to.clone().into()
    });
    g(engine, "model", "String", "The chosen model.", |d| {
        d.model.clone().into()
    });
    g(
        engine,
        "profile",
        "Dynamic",
        "The chosen account, or `()` for any account of the model.",
        |d| opt(d.profile.clone()),
    );
    g(
        engine,
        "route",
        "Route",
        "The chosen `Route` (model and account).",
        |d| {
            Dynamic::from(Route {
                model: d.model.clone(),
                profile: d.profile.clone(),
            })
        },
    );
    g(
        engine,
        "via",
        "Dynamic",
        "The account behind the chosen verdict, or `()`.",
        |d| opt(d.via.clone()),
    );
    g(engine, "why", "String", "Why, in words.", |d| {
        d.why.clone().into()
    });
    g(
        engine,
        "notice",
        "Dynamic",
        "`switched <from> → <to>: <why>` when the route changes, else `()`.",
        |d| opt(d.notice.clone()),
    );
    g(
        engine,
        "notify",
        "bool",
        "True when the notice should be sent (the same change was not announced already).",
        |d| d.notify.into(),
    );
    g(
        engine,
        "candidates",
        "Array",
        "Every judged `Verdict`, best first.",
        |d| {
            d.candidates
                .iter()
                .cloned()
                .map(Dynamic::from)
                .collect::<Array>()
                .into()
        },
    );
    g(
        engine,
        "chosen",
        "INT",
        "The chosen verdict's index in `candidates`.",
        |d| (d.chosen as INT).into(),
    );
    g(
        engine,
        "left",
        "Dynamic",
        "Usage mode: `#{profile, window, resetAt, percent}` of the account left for its usage, or `()`.",
        |d| d.left.as_ref().map_or(Dynamic::UNIT, json),
    );
    def(
        "summary",
        &["decision: Decision", "String"],
        "One line: `switch A → B: why`, `stay B: why` or `hold B: why`.\n\
         Example: `print(d.summary());`",
    )
    .with_volatility(false)
    .register_into_engine(engine, |d: &mut D| d.summary());
    def("to_json", &["decision: Decision", "Map"],
        "The decision as a plain map for `--json`: `#{at, now, action, change, from, to, model, profile, via, why, notice, candidates, notes}` (plus `usage` and `left` in usage mode).\n\
         Example: `print(json::stringify(d.to_json()));`")
        .with_volatility(false)
        .register_into_engine(engine, |d: &mut D| super::json::into_dynamic(d.to_json()));
    def("explain", &["decision: Decision", "priority: Array", "status: Status", "state: Map", "Array"],
        "The `--explain` lines: the inputs, the accounts' usage in usage mode, every candidate with its rule and verdict (`*` marks the choice), the decision.\n\
         Example: `for l in d.explain(PRIORITY, status, state) { print(l); }`")
        .with_volatility(false)
        .register_into_engine(engine, |d: &mut D, priority: Array, s: S, state: Map| -> RhaiResult<Array> {
            let (priority, state) = (entries(&priority)?, keys_as_json(&state, &policy::DECISION_READS, "explain")?);
            Ok(strings(&d.explain(&priority, &s, &state)))
        });
    def("next_state", &["decision: Decision", "state: Map", "status: Status", "Map"],
        "The switch state to save after this decision: `lastCheckedAt` always; on a switch `lastEffectiveModel`, `lastSwitchAt`, `lastSwitch`, `profileStatuses`, `lastOrder`; `lastNotice` when announced; `accountOrder` and `knownModels` when they changed; `usageLeft` in usage mode.\n\
         Example: `state::save(\"switch-state\", d.next_state(state, status));`")
        .with_volatility(false)
        .register_into_engine(engine, |d: &mut D, mut state: Map, s: S| -> RhaiResult<Dynamic> {
            let read = keys_as_json(&state, &policy::STATE_READS, "next_state")?;
            for (key, change) in d.state_changes(&read, &s) {
                match change {
                    Change::Set(v) => state.insert(key.into(), super::json::into_dynamic(v)),
                    Change::Order { others, provider, ids } => {
                        let mut order: Map = others
                            .into_iter()
                            .map(|(p, v)| (p.into(), super::json::into_dynamic(v)))
                            .collect();
                        let ids: Array = ids.into_iter().map(|id| rhai::ImmutableString::from(id).into()).collect();
                        order.insert(provider.into(), ids.into());
                        state.insert(key.into(), order.into())
                    }
                    Change::ProfileStatuses => state.insert(key.into(), profile_statuses(&s, d.now)),
                    Change::Remove => state.remove(key.as_str()),
                };
            }
            Ok(Dynamic::from_map(state))
        });
}

/// The state's `profileStatuses` as script values, built from the typed statuses: a
/// thousand entries `#{usable, kind, reason, until, model}`, held as one shared
/// [`ProfileStatuses`](super::state::ProfileStatuses).
fn profile_statuses(status: &Status, now: i64) -> Dynamic {
    use super::state::{Entry, ProfileStatuses};
    // The three kinds, each one string shared by every entry.
    let kinds = [BlockKind::Cooldown, BlockKind::Disabled, BlockKind::Expired]
        .map(|k| (k, rhai::ImmutableString::from(k.name())));
    // Reasons and models too are a few texts that many entries repeat (`rate_limit`,
    // `billing`): each is made once and shared, up to a handful of them.
    let mut seen: Vec<rhai::ImmutableString> = Vec::new();
    let mut shared = |text: &str| {
        if let Some(s) = seen.iter().find(|s| s.as_str() == text) {
            return s.clone();
        }
        let s = rhai::ImmutableString::from(text);
        if seen.len() < 16 {
            seen.push(s.clone());
        }
        s
    };
    let entries = policy::profile_statuses(status, now)
        .map(|(id, p)| {
            let entry = Entry::Recorded {
                usable: p.usable,
                kind: p
                    .kind
                    .and_then(|k| kinds.iter().find(|(of, _)| *of == k))
                    .map(|(_, name)| name.clone()),
                reason: p.reason.map(&mut shared),
                until: p.until,
                model: p.model.map(&mut shared),
            };
            (id.into(), entry)
        })
        .collect();
    Dynamic::from(ProfileStatuses::new(entries))
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use serde_json::{Value, json};

    use super::{Map, keys_as_json};

    const KEYS: &[&str] = &["accountOrder", "knownModels", "lastSwitchAt"];

    fn state(v: Value) -> Map {
        super::super::json::into_dynamic(v).cast::<Map>()
    }

    #[test]
    fn a_remembered_conversion_is_handed_out_only_while_the_state_holds_the_same_values() {
        let base = json!({"accountOrder": {"openai": ["openai:a", "openai:b"]},
                          "knownModels": ["openai/gpt-5.5"], "lastSwitchAt": 7, "other": 1});
        let first =
            keys_as_json(&state(base.clone()), KEYS, "test").unwrap_or_else(|e| panic!("{e}"));
        // The same values, and a key the policy does not read changed: the same conversion.
        let mut other = base.clone();
        other["other"] = json!(2);
        let again = keys_as_json(&state(other), KEYS, "test").unwrap_or_else(|e| panic!("{e}"));
        assert!(Rc::ptr_eq(&first, &again));
        // Any change in what it reads is converted anew.
        for change in [
            json!({"accountOrder": {"openai": ["openai:b", "openai:a"]}}),
            json!({"accountOrder": {"openai": ["openai:a"]}}),
            json!({"accountOrder": {"anthropic": ["openai:a", "openai:b"]}}),
            json!({"knownModels": ["openai/gpt-5.5", 1]}),
            json!({"lastSwitchAt": 7.0}),
            json!({"lastSwitchAt": "7"}),
            json!({"lastSwitchAt": null}),
        ] {
            let mut changed = base.clone();
            for (k, v) in change.as_object().into_iter().flatten() {
                changed[k] = v.clone();
            }
            let expected: serde_json::Map<String, Value> = KEYS
                .iter()
                .filter_map(|k| Some((k.to_string(), changed.get(*k)?.clone())))
                .collect();
            let got = keys_as_json(&state(changed), KEYS, "test").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(*got, Value::Object(expected), "after {change}");
        }
        let mut removed = base.clone();
        removed.as_object_mut().map(|o| o.remove("knownModels"));
        let got = keys_as_json(&state(removed), KEYS, "test").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got.get("knownModels"), None);
    }
}
