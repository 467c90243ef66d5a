//! `codex_login(opts)` / `codex_login()`: sign one more ChatGPT account in through the
//! Codex CLI in a throw-away home (see `crate::codex::login`), or import an existing
//! `auth.json`, and hand the tokens to the script.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use rhai::{Dynamic, Engine, EvalAltResult, Map, Position};

use super::{RhaiResult, def, to_dynamic};
use crate::codex::{self, LoginError, LoginOptions};
use crate::host::Host;

const DOC: &str = "Signs one ChatGPT account in with `codex login` without touching your Codex home, and returns `#{id_token, access_token, refresh_token, account_id, email, plan, expires_ms}`.\n\
The login runs with CODEX_HOME set to a fresh private (0700) temporary directory and `-c cli_auth_credentials_store=\"file\"`, your terminal shows Codex's link or device code, and the directory is deleted afterwards (never `codex logout`, which would revoke the token). `email`, `plan`, `account_id` and `expires_ms` (access-token `exp` in ms) are `()` when the tokens do not say.\n\
`opts`: `device_auth` (bool: `codex login --device-auth`), `timeout_secs` (default 900, never past the run's `--timeout`), `from_auth_json` (path: read that auth.json instead of logging in; a loud warning when it is your live Codex login).\n\
Errors: stdin is not a terminal (without `from_auth_json`); no Codex CLI (names CLAWSHIFT_CODEX_BIN and how to install it); the login failed, timed out, or was cancelled (Ctrl-C exits 130, SIGTERM 143); the file is not a ChatGPT auth.json. Tokens are never shown.\n\
Example: `let login = codex_login(#{device_auth: true}); print(login.email);`";

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def("codex_login", &["opts: Map", "Map"], DOC).register_into_engine(
        engine,
        move |opts: Map| -> RhaiResult<Dynamic> {
            let opts = options(&opts)?;
            run(&h, &opts)
        },
    );
    let h = host.clone();
    def(
        "codex_login",
        &["Map"],
        "Same as `codex_login(#{})`: a browser sign-in with the default timeout.\n\
         Example: `let login = codex_login();`",
    )
    .register_into_engine(engine, move || -> RhaiResult<Dynamic> {
        run(&h, &LoginOptions::default())
    });
}

fn run(host: &Host, opts: &LoginOptions) -> RhaiResult<Dynamic> {
    match codex::login(host, opts) {
        Ok(login) => to_dynamic("codex_login", &login),
        Err(e) => Err(login_error(e)),
    }
}

/// An interrupted login carries its exit code (130 for Ctrl-C) the way a script's
/// `throw #{message, exit}` does.
fn login_error(e: LoginError) -> Box<EvalAltResult> {
    let message = format!("codex_login: {}", e.message);
    if e.exit == 1 {
        return message.into();
    }
    let mut m = Map::new();
    m.insert("message".into(), message.into());
    m.insert("exit".into(), Dynamic::from(i64::from(e.exit)));
    Box::new(EvalAltResult::ErrorRuntime(m.into(), Position::NONE))
}

fn options(map: &Map) -> RhaiResult<LoginOptions> {
    let mut opts = LoginOptions::default();
    for (key, value) in map {
        let bad = |want: &str| -> RhaiResult<LoginOptions> {
            Err(format!(
                "codex_login: option `{key}` must be {want}, not {}",
                value.type_name()
            )
            .into())
        };
        match key.as_str() {
            "device_auth" => match value.as_bool() {
                Ok(b) => opts.device_auth = b,
                Err(_) => return bad("true or false"),
            },
            "timeout_secs" => match value.as_int() {
                Ok(n) if n > 0 => opts.timeout = Some(Duration::from_secs(n.unsigned_abs())),
                _ => return bad("a positive number of seconds"),
            },
            "from_auth_json" => {
                if value.is_unit() {
                    continue;
                }
                match value.clone().into_string() {
                    Ok(s) if !s.is_empty() => opts.from_auth_json = Some(PathBuf::from(s)),
                    _ => return bad("the path of an auth.json"),
                }
            }
            other => {
                return Err(format!(
                    "codex_login: unknown option `{other}`; the options are device_auth, timeout_secs, from_auth_json"
                )
                .into());
            }
        }
    }
    Ok(opts)
}
