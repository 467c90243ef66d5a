//! `usage(profile_id)`, `usage(profile_ids)`, `usage(profile_ids, opts)`: the ChatGPT
//! usage windows of Codex accounts, for policies that switch before the wall. The
//! work is in `crate::usage`; this file converts values and options.

use std::rc::Rc;
use std::time::Duration;

use rhai::{Array, Dynamic, Engine, Map};

use super::{RhaiResult, def, fail};
use crate::host::Host;
use crate::usage::{self, MAX_TIMEOUT_SECS, Options};

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "usage",
        &["profile_id: String", "Map"],
        "The ChatGPT usage of one Codex account, read with the account's own access token: `#{id, known, reason, source, at, age_ms, account_id, plan, limit_reached, five_hour, weekly, notes, last_error}`.\n\
         `five_hour` and `weekly` (told apart by `limit_window_seconds`, 18000 and 604800; `()` when the answer has no such window) are `#{used_percent, limit_window_seconds, reset_at, resets_in_ms, burn_per_hour, exhausts_at, exhausts_in_ms}`, times in ms. `burn_per_hour` (percentage points) comes from the last two readings at least a minute apart in the same window; `exhausts_at` is when that rate reaches 100 % before the reset, else `()`.\n\
         The request is `GET <base>/wham/usage` with `Authorization: Bearer` and `ChatGPT-Account-Id`; `CLAWSHIFT_CHATGPT_BASE_URL` sets the base (default `https://chatgpt.com/backend-api`; https, or http to this machine only). Each reading is kept in `<state dir>/usage-cache.json` (0600, no token; not under `--dry-run`).\n\
         `known` is false, with the `reason`, when there are no figures: an expired access token (clawshift never refreshes one), a profile that is not a ChatGPT sign-in, the endpoint down or slower than 5 s, an answer of 401/403/429 or one that is malformed or has no window, clock skew. The token is never shown.\n\
         Errors: none for one account's sake, so a policy can always fall back to OpenClaw's cooldowns.\n\
         Example: `let u = usage(\"openai:work\"); if u.known && u.five_hour != () { print(`5h: ${u.five_hour.used_percent}%`); } else { print(u.reason); }`",
    )
    .register_into_engine(engine, move |id: &str| -> RhaiResult<Map> {
        let all = read(&h, &[id.to_string()], &Options::default());
        Ok(all
            .into_iter()
            .next()
            .and_then(|(_, v)| v.try_cast::<Map>())
            .unwrap_or_default())
    });
    let h = host.clone();
    def(
        "usage",
        &["profile_ids: Array", "Map"],
        "As `usage(profile_id)` for several accounts at once: a map from id to reading. At most 4 requests run at a time, each within 5 s and all within the run's `--timeout`.\n\
         Errors: an id that is not a string.\n\
         Example: `let all = usage([\"openai:work\", \"openai:alice\"]); for id in all.keys() { print(`${id}: ${all[id].known}`); }`",
    )
    .register_into_engine(engine, move |ids: Array| -> RhaiResult<Map> {
        Ok(by_id(read(&h, &strings(&ids)?, &Options::default())))
    });
    let h = host.clone();
    def(
        "usage",
        &["profile_ids: Array", "opts: Map", "Map"],
        "As `usage(profile_ids)`, with options: `network` (false: the cache only, no request), `max_age_secs` (reuse a cached reading at most this old instead of asking; default 0), `timeout_secs` (each request's deadline, 1 to 30; default 5).\n\
         Errors: an id that is not a string; an unknown option or a value out of range.\n\
         Example: `let cached = usage([\"openai:work\"], #{network: false});`",
    )
    .register_into_engine(engine, move |ids: Array, opts: Map| -> RhaiResult<Map> {
        let o = options(&opts)?;
        Ok(by_id(read(&h, &strings(&ids)?, &o)))
    });
}

fn strings(ids: &Array) -> RhaiResult<Vec<String>> {
    ids.iter()
        .map(|d| {
            d.clone().into_string().map_err(|t| {
                format!("usage: profile ids must be strings such as \"openai:work\", not {t}")
                    .into()
            })
        })
        .collect()
}

fn options(opts: &Map) -> RhaiResult<Options> {
    let mut o = Options::default();
    for (k, v) in opts {
        match k.as_str() {
            "network" => {
                o.network = v
                    .as_bool()
                    .map_err(|_| "usage: `network` must be true or false")?;
            }
            "max_age_secs" => match v.as_int() {
                Ok(n) if n >= 0 => o.max_age_ms = n.saturating_mul(1000),
                _ => {
                    return fail(
                        "usage: `max_age_secs` must be a whole number of seconds, 0 or more",
                    );
                }
            },
            "timeout_secs" => match v.as_int() {
                Ok(n) if (1..=MAX_TIMEOUT_SECS).contains(&n) => {
                    o.timeout = Duration::from_secs(n.unsigned_abs());
                }
                _ => {
                    return fail(format!(
                        "usage: `timeout_secs` must be a whole number from 1 to {MAX_TIMEOUT_SECS}"
                    ));
                }
            },
            other => {
                return fail(format!(
                    "usage: unknown option `{other}`; use network, max_age_secs or timeout_secs"
                ));
            }
        }
    }
    Ok(o)
}

fn read(host: &Host, ids: &[String], opts: &Options) -> Vec<(String, Dynamic)> {
    usage::read(host, ids, opts)
        .into_iter()
        .map(|(id, v)| (id, super::json::into_dynamic(v)))
        .collect()
}

fn by_id(list: Vec<(String, Dynamic)>) -> Map {
    list.into_iter().map(|(id, v)| (id.into(), v)).collect()
}
