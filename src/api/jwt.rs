//! `decode_jwt(token)`: read the claims of a Codex/ChatGPT JWT without checking its
//! signature. The decoding is `crate::jwt`; this file maps it to a script function.

use std::rc::Rc;

use rhai::{Dynamic, Engine};

use super::{RhaiResult, def, to_dynamic};
use crate::host::Host;
use crate::jwt::decode;

pub fn register(engine: &mut Engine, _host: &Rc<Host>) {
    def(
        "decode_jwt",
        &["token: String", "Map"],
        "Decodes a JWT without checking its signature: `#{header, claims, exp, account_id, email, plan}`.\n\
         `exp` is in seconds; `account_id`, `email` and `plan` come from the OpenAI auth/profile claims and are `()` when absent.\n\
         Errors: the token is not three dot-separated parts, a part is not base64url, or not a JSON object. The token is never echoed.\n\
         Example: `let t = decode_jwt(tokens.access_token); print(t.exp * 1000);`",
    )
    .register_into_engine(
        engine,
        |token: &str| -> RhaiResult<Dynamic> {
            let jwt = decode(token).map_err(|e| format!("decode_jwt: {e}"))?;
            to_dynamic("decode_jwt", &jwt)
        },
    );
}
