//! Reading a Codex `auth.json`: the tokens of a ChatGPT login plus what their claims say
//! (account, email, plan, expiry). Lenient like Codex: unknown keys are ignored, and
//! files from before 0.169 (no `auth_mode`, no `oauth_provenance`) read the same.

use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::jwt::{self, fingerprint};

/// One ChatGPT login. Token values never appear in `Debug` or in any error.
#[derive(Clone, Serialize, PartialEq)]
pub struct Login {
    pub id_token: Option<String>,
    pub access_token: String,
    pub refresh_token: String,
    /// `tokens.account_id`, else the `chatgpt_account_id` claim of the id or access token.
    pub account_id: Option<String>,
    /// From the id token (Codex's source), else the access token's profile claim.
    pub email: Option<String>,
    pub plan: Option<String>,
    /// The access token's `exp` in milliseconds (the expiry Codex and OpenClaw use).
    pub expires_ms: Option<i64>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("access_token", &fingerprint(&self.access_token))
            .field("refresh_token", &fingerprint(&self.refresh_token))
            .field("account_id", &self.account_id)
            .field("email", &self.email)
            .field("plan", &self.plan)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// Parses the bytes of an `auth.json`; `path` only names the file in errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Login, String> {
    let file = path.display();
    // serde_json's syntax errors give a position, never the text around it.
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("`{file}` is not valid JSON ({e})"))?;
    crate::redact::learn_json(&doc);
    let Some(top) = doc.as_object() else {
        return Err(format!("`{file}` is not a JSON object"));
    };
    let tokens = match top.get("tokens") {
        Some(Value::Object(t)) => t,
        _ => {
            let why = match top.get("auth_mode").and_then(Value::as_str) {
                Some(mode) if mode != "chatgpt" => format!("its `auth_mode` is `{mode}`"),
                _ if top.get("OPENAI_API_KEY").is_some_and(Value::is_string) => {
                    "it holds an API key".to_string()
                }
                _ => "it has no `tokens` object".to_string(),
            };
            return Err(format!(
                "`{file}` is not a ChatGPT login: {why}; only ChatGPT (OAuth) logins can become OpenClaw profiles"
            ));
        }
    };
    let text = |key: &str| -> Option<String> {
        tokens
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let required = |key: &str| {
        text(key).ok_or_else(|| format!("`{file}` has no `tokens.{key}`; sign in again with `codex login` to get a complete file"))
    };
    let access_token = required("access_token")?;
    let refresh_token = required("refresh_token")?;
    let id_token = text("id_token");
    // Claims are read best-effort here; the add-profile script insists on the ones it needs
    // and says which is missing.
    let id = id_token.as_deref().and_then(|t| jwt::decode(t).ok());
    let access = jwt::decode(&access_token).ok();
    let pick = |f: fn(&jwt::Jwt) -> Option<String>| {
        id.as_ref()
            .and_then(f)
            .or_else(|| access.as_ref().and_then(f))
    };
    Ok(Login {
        account_id: text("account_id").or_else(|| pick(|j| j.account_id.clone())),
        email: pick(|j| j.email.clone()),
        plan: pick(|j| j.plan.clone()),
        expires_ms: access.as_ref().and_then(|j| j.exp).map(|s| s * 1000),
        id_token,
        access_token,
        refresh_token,
    })
}

/// The refresh token in an `auth.json`, if it has one; `None` for anything unreadable.
/// Used to see who holds a token, where a broken file simply holds nothing.
pub fn refresh_token_of(bytes: &[u8]) -> Option<String> {
    let doc: Value = serde_json::from_slice(bytes).ok()?;
    doc.get("tokens")?
        .get("refresh_token")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(claims: Value) -> String {
        jwt::unsigned(&claims.as_object().cloned().unwrap_or_default())
    }

    fn file(tokens: Value) -> Vec<u8> {
        serde_json::to_vec_pretty(&json!({
            "auth_mode": "chatgpt", "OPENAI_API_KEY": null, "tokens": tokens,
            "last_refresh": "2026-11-24T10:36:16.693916117Z", "future_key": 1
        }))
        .unwrap_or_default()
    }

    #[test]
    fn reads_tokens_and_claims_leniently() {
        let id = token(json!({"email": "a@example.com",
            jwt::AUTH_CLAIM: {"chatgpt_plan_type": "plus", "chatgpt_account_id": "acct-1"}}));
        let access =
            token(json!({"exp": 1796380579, jwt::AUTH_CLAIM: {"chatgpt_account_id": "acct-1"}}));
        let bytes = file(
            json!({"id_token": id, "access_token": access, "refresh_token": "rt-1",
            "account_id": "acct-1", "oauth_provenance": {"issuer": "x"}, "login_owner_id": "y"}),
        );
        let login = parse(&bytes, Path::new("a.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(login.account_id.as_deref(), Some("acct-1"));
        assert_eq!(login.email.as_deref(), Some("a@example.com"));
        assert_eq!(login.plan.as_deref(), Some("plus"));
        assert_eq!(login.expires_ms, Some(1_796_380_579_000));
        assert_eq!(refresh_token_of(&bytes).as_deref(), Some("rt-1"));
        assert!(!format!("{login:?}").contains("rt-1"));
    }

    #[test]
    fn a_missing_account_id_falls_back_to_the_claims() {
        let access = token(json!({"exp": 1, jwt::AUTH_CLAIM: {"chatgpt_account_id": "acct-2"}}));
        let bytes = file(json!({"access_token": access, "refresh_token": "rt"}));
        let login = parse(&bytes, Path::new("a.json")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(login.account_id.as_deref(), Some("acct-2"));
        assert_eq!(login.id_token, None);
    }

    #[test]
    fn errors_name_the_file_and_the_missing_key_but_no_token() {
        let bytes = file(json!({"access_token": "secret-access"}));
        let err = parse(&bytes, Path::new("/x/auth.json"))
            .err()
            .unwrap_or_default();
        assert_eq!(
            err,
            "`/x/auth.json` has no `tokens.refresh_token`; sign in again with `codex login` to get a complete file"
        );
        let err = parse(
            br#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-secret"}"#,
            Path::new("k.json"),
        )
        .err()
        .unwrap_or_default();
        assert_eq!(
            err,
            "`k.json` is not a ChatGPT login: its `auth_mode` is `apikey`; only ChatGPT (OAuth) logins can become OpenClaw profiles"
        );
        let err = parse(
            b"{\"tokens\": {\"access_token\": \"secret",
            Path::new("t.json"),
        )
        .err()
        .unwrap_or_default();
        assert!(err.starts_with("`t.json` is not valid JSON ("), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}
