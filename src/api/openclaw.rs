//! `models_status`, `merge_profile`, `set_model`: the script's view of OpenClaw's state.
//! The work is in `crate::openclaw`; this file converts values and errors.

use std::rc::Rc;

use rhai::{Dynamic, Engine, Map};

use super::{RhaiResult, def};
use crate::error::Error;
use crate::host::Host;
use crate::openclaw;

fn err(name: &str, e: Error) -> Box<rhai::EvalAltResult> {
    let m = e.to_string();
    if m.starts_with(&format!("{name}: ")) {
        m.into()
    } else {
        format!("{name}: {m}").into()
    }
}

fn to_dyn(name: &str, v: &serde_json::Value) -> RhaiResult<Dynamic> {
    super::to_dynamic(name, v)
}

fn status(host: &Host, opts: &Map) -> RhaiResult<Dynamic> {
    for k in opts.keys() {
        if k.as_str() != "source" {
            return Err(format!(
                "models_status: unknown option `{k}`; the only option is `source`"
            )
            .into());
        }
    }
    let source = match opts.get("source") {
        None => "native".to_string(),
        Some(v) => v
            .clone()
            .into_string()
            .map_err(|_| "models_status: `source` must be \"native\" or \"openclaw\"")?,
    };
    let v = match source.as_str() {
        "native" => openclaw::status::native(host),
        "openclaw" => openclaw::status::from_openclaw(host),
        other => {
            return Err(format!(
                "models_status: unknown source `{other}`; use \"native\" (default) or \"openclaw\""
            )
            .into());
        }
    }
    .map_err(|e| err("models_status", e))?;
    Ok(Dynamic::from(Rc::new(v)))
}

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "models_status",
        &["Map"],
        "The agent's models and auth profiles, read natively from OpenClaw's files in milliseconds (no Node).\n\
         Returns `#{source, layout, agent, now, codex_provider, paths, default_model, fallbacks, aliases, current, current_source, current_profile, providers, profiles, warnings}`; \
         each profile has `usable`, `kind` (cooldown/disabled/expired), `reason`, `until`, `remaining_ms`, `model` (cooldown scope), `expires`, `position`, `account_id`, `email`. Times are ms since the epoch.\n\
         `warnings` holds the 2026.9 migration blocker and one sentence per stored profile field of the wrong type (`expires` a string, `email` a number), naming profile and field; that field reads as `()`.\n\
         In the JSON layouts `current` is the main session's model from sessions.json. In the SQLite layouts the sessions live in the agent database, which only the gateway may touch: a running gateway is asked (one `sessions.describe` + `chat.metadata` read over its WebSocket, remembered for the rest of the run), and `current` is the session's own model (`current_source: \"session\"`) when it has one; with no gateway, or a session on the default, it is the default model (`current_source: \"default\"`).\n\
         Errors: a store or config that does not parse, an unknown store version, an unreadable database (each named with its fix).\n\
         Example: `let st = models_status(); print(st.current); for p in st.providers.openai.profiles { print(`${p.id} ${p.usable}`); }`",
    )
    .register_into_engine(engine, move || -> RhaiResult<Dynamic> {
        status(&h, &Map::new())
    });
    let h = host.clone();
    def(
        "models_status",
        &["options: Map", "Map"],
        "`models_status(#{source: \"openclaw\"})`: the same map built from `openclaw models status --json` (1-5 s, bounded; run with npm_config_offline=true).\n\
         Order and lastGood are not in OpenClaw's output and are taken from the files when they can be read.\n\
         Errors: `openclaw` is not installed, fails, times out, or prints something that is not JSON; an unknown option or source.\n\
         Example: `let st = models_status(#{source: \"openclaw\"}); print(st.default_model);`",
    )
    .register_into_engine(engine, move |opts: Map| -> RhaiResult<Dynamic> {
        status(&h, &opts)
    });

    let h = host.clone();
    def(
        "merge_profile",
        &["id: String", "credential: Map", "Map"],
        "Upserts one Codex OAuth profile into the agent's live OpenClaw auth store (whatever its layout), appends it to the provider's order, and declares it in openclaw.json (`auth.profiles.<id> = {provider, mode: \"oauth\"}`, `auth.order.<provider>`).\n\
         `credential`: `access`, `refresh`, `expires` (ms; default: the access token's `exp`), `accountId` (default: from the token), `email`, optional `provider` and OpenClaw's extra OAuth fields; `codex_login()`'s map is accepted as is.\n\
         Locked (OpenClaw's JSON lock, or one SQLite transaction), backed up, journaled, atomic; unknown fields kept; never creates auth-profiles.json in a SQLite layout. Returns `#{id, action: \"added\"|\"updated\"|\"unchanged\", layout}`.\n\
         Errors: a missing/invalid field, an id of another provider, a refresh token already stored under another id, a locked store, the 2026.9 migration blocker, a key set in an `$include`d config file.\n\
         Example: `let r = merge_profile(\"openai:alice\", codex_login(#{})); print(r.action);`",
    )
    .register_into_engine(engine, move |id: &str, credential: Map| -> RhaiResult<Map> {
        let cred = super::json::to_value(&Dynamic::from_map(credential))
            .map_err(|e| format!("merge_profile: {e}"))?;
        let serde_json::Value::Object(cred) = cred else {
            return Err("merge_profile: the credential must be a map".into());
        };
        let v = openclaw::merge_profile(&h, id, &cred).map_err(|e| err("merge_profile", e))?;
        to_dyn("merge_profile", &v)?
            .try_cast::<Map>()
            .ok_or_else(|| "merge_profile: internal error".into())
    });

    let h = host.clone();
    def(
        "set_model",
        &["model: String", "Map"],
        "Makes `model` (`provider/model` or an alias) the agent's model: in openclaw.json the agent's own `model` (`agents.entries.<id>.model`, or its `agents.list` item's) when that names one, as OpenClaw's `setAgentEffectiveModelPrimary` writes it, else `agents.defaults.model.primary`, which every agent without a model of its own runs; and the main session through a running gateway: clawshift's own WebSocket client reads the session first and sends `sessions.patch` only when its model or pinned account differs (no Node start-up; docs/openclaw.md, \"The gateway protocol clawshift speaks\").\n\
         Idempotent: nothing is written when it already holds. Returns `#{changed, applied: [..], skipped: [..]}` (one line per step, saying what was done or why not).\n\
         Errors: a model that is neither `provider/model` nor an alias, a config key set in an `$include`d file, the 2026.9 migration blocker. A gateway that is absent, does not answer in time, refuses the token, speaks another protocol or refuses the patch (2026.9.6 keeps a session off `openai/*` without the `@openclaw/codex` plugin) is a `skipped` line naming the reason, not an error.\n\
         Example: `set_model(\"anthropic/claude-opus-4-7\")`",
    )
    .register_into_engine(engine, move |model: &str| -> RhaiResult<Map> {
        let v = openclaw::set_model(&h, model, None, None).map_err(|e| err("set_model", e))?;
        to_dyn("set_model", &v)?
            .try_cast::<Map>()
            .ok_or_else(|| "set_model: internal error".into())
    });
    let h = host.clone();
    def(
        "set_model",
        &["model: String", "profile_id: String", "Map"],
        "As `set_model(model)`, and also puts `profile_id` first in its provider's order and pins it on the main session (`model@profile`). The order goes through a running gateway's `models.authOrderSet` (the gateway is then the one writer); without a gateway through `openclaw models auth order set` when OpenClaw is installed, else a locked direct write. The `applied` line says which way was taken.\n\
         After writing, the order is read back; a change a running gateway overwrote is reported in `skipped`.\n\
         Errors: as `set_model(model)`, plus an unknown profile or one of another provider than the model.\n\
         Example: `let r = set_model(\"openai/gpt-5.5\", \"openai:bob\"); if r.changed { print(r.applied); }`",
    )
    .register_into_engine(engine, move |model: &str, profile_id: &str| -> RhaiResult<Map> {
        let v = openclaw::set_model(&h, model, Some(profile_id), None)
            .map_err(|e| err("set_model", e))?;
        to_dyn("set_model", &v)?
            .try_cast::<Map>()
            .ok_or_else(|| "set_model: internal error".into())
    });
    let h = host.clone();
    def(
        "set_model",
        &["model: String", "profile_id: Dynamic", "options: Map", "Map"],
        "As `set_model(model, profile_id)` (`profile_id` may be `()`), with `options.fallbacks`: the models OpenClaw's own failover should try after `model`, best first (the switch policy passes its candidates' models). The fallbacks become those models but `model`, each once, then the fallbacks already configured that they do not name.\n\
         Errors: as `set_model(model, profile_id)`, plus an unknown option or a fallbacks list that is not strings.\n\
         Example: `set_model(\"anthropic/claude-opus-4-7\", (), #{fallbacks: [\"anthropic/claude-opus-4-7\", \"openai/gpt-5.5\"]})`",
    )
    .register_into_engine(engine, move |model: &str, profile: Dynamic, opts: Map| -> RhaiResult<Map> {
        let profile = if profile.is_unit() {
            None
        } else {
            Some(profile.into_string().map_err(|t| format!("set_model: profile_id must be a string or (), not {t}"))?)
        };
        for k in opts.keys() {
            if k.as_str() != "fallbacks" {
                return Err(format!("set_model: unknown option `{k}`; the only option is `fallbacks`").into());
            }
        }
        let chain: Option<Vec<String>> = match opts.get("fallbacks") {
            None => None,
            Some(v) => Some(
                v.clone()
                    .into_typed_array::<rhai::ImmutableString>()
                    .map_err(|_| "set_model: `fallbacks` must be an array of \"provider/model\" strings")?
                    .into_iter()
                    .map(|s| s.to_string())
                    .collect(),
            ),
        };
        let v = openclaw::set_model(&h, model, profile.as_deref(), chain.as_deref())
            .map_err(|e| err("set_model", e))?;
        to_dyn("set_model", &v)?
            .try_cast::<Map>()
            .ok_or_else(|| "set_model: internal error".into())
    });
}
