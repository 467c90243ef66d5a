//! `token_holders(refresh_token)` and `account_holders(account_id)`: who already holds a
//! credential, so a script can refuse to give a refresh token a second holder (see
//! `crate::custody`).

use std::rc::Rc;

use rhai::{Array, Engine};

use super::{RhaiResult, def, to_dynamic};
use crate::custody::{self, Query};
use crate::host::Host;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "token_holders",
        &["refresh_token: String", "Array"],
        "Every place that already holds this refresh token: `[#{kind, agent, location, id, provider, account_id, email}]`, empty when none.\n\
         `kind` is `\"openclaw\"` for a profile in any agent's OpenClaw auth store (with its `agent` and profile `id`) or `\"codex\"` for your live Codex login (`<CODEX_HOME>/auth.json`, read only; `agent`/`id` are `()`). A refresh token is single-use: two holders end with one logged out (`refresh_token_reused`).\n\
         Errors: an OpenClaw store cannot be read. The token is never shown.\n\
         Example: `for h in token_holders(login.refresh_token) { print(`${h.kind} ${h.id ?? h.location}`); }`",
    )
    .register_into_engine(engine, move |token: &str| -> RhaiResult<Array> {
        find(&h, "token_holders", Query { refresh_token: Some(token), account_id: None })
    });
    let h = host.clone();
    def(
        "account_holders",
        &["account_id: String", "Array"],
        "Every place that holds a login of this ChatGPT account (`chatgpt_account_id`), same shape as `token_holders`.\n\
         Useful to refuse one account under two profile names: both would share one usage limit.\n\
         Errors: an OpenClaw store cannot be read.\n\
         Example: `let others = account_holders(acct).filter(|h| h.kind == \"openclaw\" && h.id != id);`",
    )
    .register_into_engine(engine, move |account: &str| -> RhaiResult<Array> {
        find(&h, "account_holders", Query { refresh_token: None, account_id: Some(account) })
    });
}

fn find(host: &Host, name: &str, q: Query) -> RhaiResult<Array> {
    let found = custody::holders(host, q).map_err(|e| format!("{name}: {e}"))?;
    found
        .iter()
        .map(|h| to_dynamic(name, h))
        .collect::<RhaiResult<Array>>()
}
