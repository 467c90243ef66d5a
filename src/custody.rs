//! Token custody: who already holds a refresh token or a ChatGPT account. Refresh
//! tokens are single-use (each refresh returns a new one and kills the old), so a token
//! with two holders ends with one of them logged out (`refresh_token_reused`). The
//! places looked at are every agent's OpenClaw auth store and the user's live Codex
//! login (`<CODEX_HOME>/auth.json`, read only).

use serde::Serialize;

use crate::codex::auth;
use crate::error::Error;
use crate::files;
use crate::host::Host;

/// One place that holds a credential. Never carries the token itself.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Holder {
    /// `openclaw` (a stored profile) or `codex` (the live Codex login).
    pub kind: &'static str,
    /// The OpenClaw agent whose store holds it; `None` for OpenClaw's shared store
    /// (`state/openclaw.sqlite`) and for Codex.
    pub agent: Option<String>,
    /// The file (or database) it was found in.
    pub location: String,
    /// The OpenClaw profile id; `None` for Codex.
    pub id: Option<String>,
    pub provider: Option<String>,
    pub account_id: Option<String>,
    pub email: Option<String>,
}

/// What to look for: a refresh token, an account id, or both (a holder matching either
/// is returned once).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    pub refresh_token: Option<&'a str>,
    pub account_id: Option<&'a str>,
}

pub fn holders(host: &Host, q: Query) -> Result<Vec<Holder>, Error> {
    let wanted_token = |t: Option<&str>| q.refresh_token.is_some() && t == q.refresh_token;
    let wanted_account = |a: Option<&str>| q.account_id.is_some() && a == q.account_id;
    let mut out = Vec::new();
    for p in crate::openclaw::all_stored_profiles(host)? {
        if wanted_token(p.refresh.as_deref()) || wanted_account(p.account_id.as_deref()) {
            out.push(Holder {
                kind: "openclaw",
                agent: p.agent,
                location: p.location,
                id: Some(p.id),
                provider: Some(p.provider),
                account_id: p.account_id,
                email: p.email,
            });
        }
    }
    if let Some(live) = live_codex(host)?
        && (wanted_token(live.refresh_token.as_deref())
            || wanted_account(live.account_id.as_deref()))
    {
        out.push(Holder {
            kind: "codex",
            agent: None,
            location: live.path.display().to_string(),
            id: None,
            provider: None,
            email: live.email,
            account_id: live.account_id,
        });
    }
    Ok(out)
}

/// What the user's live Codex login holds (never shown: the token is for comparing).
pub struct LiveCodex {
    pub path: std::path::PathBuf,
    pub refresh_token: Option<String>,
    pub account_id: Option<String>,
    pub email: Option<String>,
}

/// Reads `<CODEX_HOME>/auth.json`, `None` when there is none. Read only, without
/// Codex's lock: Codex replaces the file by rename, so a plain read is consistent, and
/// taking the lock would create files in the user's home. A file that does not parse
/// as a login still yields its refresh token when it has one.
pub fn live_codex(host: &Host) -> Result<Option<LiveCodex>, Error> {
    let path = host.codex_home.join("auth.json");
    let Some(bytes) = files::read_limited(&path)? else {
        return Ok(None);
    };
    let login = auth::parse(&bytes, &path).ok();
    Ok(Some(LiveCodex {
        refresh_token: login
            .as_ref()
            .map(|l| l.refresh_token.clone())
            .or_else(|| auth::refresh_token_of(&bytes)),
        account_id: login.as_ref().and_then(|l| l.account_id.clone()),
        email: login.and_then(|l| l.email),
        path,
    }))
}
