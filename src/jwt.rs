//! Reading the claims of a Codex/ChatGPT JWT without checking its
//! signature (Codex does not check it either; the token is only ever shown to the server
//! that issued it). The token itself never appears in an error.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

pub const AUTH_CLAIM: &str = "https://api.openai.com/auth";
pub const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// A decoded JWT plus the fields clawshift needs, pulled from where Codex puts them.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Jwt {
    pub header: Value,
    pub claims: Value,
    /// `exp` in seconds since the Unix epoch.
    pub exp: Option<i64>,
    pub account_id: Option<String>,
    pub email: Option<String>,
    pub plan: Option<String>,
}

pub fn decode(token: &str) -> Result<Jwt, String> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(format!(
            "not a JWT: expected 3 dot-separated parts (header.payload.signature), found {} ({} characters)",
            parts.len(),
            token.len()
        ));
    }
    let header = decode_part(parts[0], "header")?;
    let claims = decode_part(parts[1], "payload")?;
    let auth = claims.get(AUTH_CLAIM);
    Ok(Jwt {
        exp: exp(claims.get("exp"))?,
        account_id: str_at(auth, "chatgpt_account_id"),
        email: str_at(Some(&claims), "email")
            .or_else(|| str_at(claims.get(PROFILE_CLAIM), "email")),
        plan: str_at(auth, "chatgpt_plan_type"),
        header,
        claims,
    })
}

/// The string at `key` of an object claim.
fn str_at(v: Option<&Value>, key: &str) -> Option<String> {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `exp` in seconds, `None` when absent; an error when it is not a plausible time.
fn exp(v: Option<&Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .filter(|s| *s > 0 && *s < 253_402_300_800)
            .map(Some)
            .ok_or_else(|| "payload claim `exp` is not a valid time in seconds".to_string()),
    }
}

/// Whom a token names: [`Jwt`]'s `account_id`, `email` and `plan`, read without
/// building the tree of every claim (a status of a thousand accounts reads a thousand
/// tokens). `None` wherever [`decode`] fails.
pub fn identity(token: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: Option<Value>,
        email: Option<Value>,
        #[serde(rename = "https://api.openai.com/auth")]
        auth: Option<Value>,
        #[serde(rename = "https://api.openai.com/profile")]
        profile: Option<Value>,
    }
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // The header only has to be a JSON object, as `decode` requires.
    type Header = std::collections::BTreeMap<String, serde::de::IgnoredAny>;
    serde_json::from_slice::<Header>(&part_bytes(header, "header").ok()?).ok()?;
    let payload = part_bytes(payload, "payload").ok()?;
    // A struct also reads from a JSON array; `decode` wants an object.
    if payload.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let c: Claims = serde_json::from_slice(&payload).ok()?;
    exp(c.exp.as_ref()).ok()?;
    Some((
        str_at(c.auth.as_ref(), "chatgpt_account_id"),
        c.email
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| str_at(c.profile.as_ref(), "email")),
        str_at(c.auth.as_ref(), "chatgpt_plan_type"),
    ))
}

fn part_bytes(part: &str, name: &str) -> Result<Vec<u8>, String> {
    if part.is_empty() {
        return Err(format!("the {name} part is empty"));
    }
    let unpadded = part.trim_end_matches('=');
    // Standard base64 is rewritten to base64url only when it is that (a copy per part
    // was a third of decoding a thousand profiles' tokens).
    let cleaned: std::borrow::Cow<str> = if unpadded.bytes().any(|b| b == b'+' || b == b'/') {
        unpadded
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect::<String>()
            .into()
    } else {
        unpadded.into()
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cleaned.as_bytes())
        .map_err(|_| format!("the {name} part is not valid base64url"))
}

fn decode_part(part: &str, name: &str) -> Result<Value, String> {
    let bytes = part_bytes(part, name)?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|_| format!("the {name} part is not valid JSON"))?;
    match value {
        Value::Object(_) => Ok(value),
        _ => Err(format!("the {name} part is not a JSON object")),
    }
}

/// A short, non-reversible fingerprint for showing which token is meant: the first
/// 12 hex digits of its SHA-256.
pub fn fingerprint(token: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Builds an unsigned JWT (`alg: none`) from claims. Used by the demo's simulated login
/// and by tests; never by anything that talks to a server.
pub fn unsigned(claims: &Map<String, Value>) -> String {
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let header = serde_json::json!({"alg": "none", "typ": "JWT"});
    format!(
        "{}.{}.sig",
        b64(&header),
        b64(&Value::Object(claims.clone()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let claims = serde_json::json!({
            "exp": 1796380579,
            AUTH_CLAIM: {"chatgpt_account_id": "acct-1", "chatgpt_plan_type": "plus"},
            PROFILE_CLAIM: {"email": "a@example.com"}
        });
        unsigned(claims.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn decode_reads_the_openai_claims() {
        let jwt = decode(&sample()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(jwt.exp, Some(1796380579));
        assert_eq!(jwt.account_id.as_deref(), Some("acct-1"));
        assert_eq!(jwt.email.as_deref(), Some("a@example.com"));
        assert_eq!(jwt.plan.as_deref(), Some("plus"));
    }

    #[test]
    fn identity_names_the_same_account_as_decode_and_fails_where_it_fails() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
        let part = |s: &str| B64.encode(s);
        let h = part(r#"{"alg":"none"}"#);
        let tokens = [
            sample(),
            format!("{h}.{}.", part(r#"{"email":"top@example.com","exp":null}"#)),
            format!(
                "{h}.{}.s",
                part(r#"{"email":7,"https://api.openai.com/profile":{"email":"p@example.com"}}"#)
            ),
            format!("{}.{}.s", part("[1]"), part("{}")),
            format!("{h}.{}.s", part(r#"[1796380579, "x@example.com", {}, {}]"#)),
            format!("{h}.{}.s", part(r#"{"exp":"soon"}"#)),
            format!("{h}.{}.s", part(r#"{"exp":-5}"#)),
            format!("{h}.{}", part("{}")),
            format!("{h}.{}.s.t", part("{}")),
            format!("{h}.!!.s"),
            format!("{h}.{}.s", part("{")),
        ];
        for t in &tokens {
            let expected = decode(t).ok().map(|j| (j.account_id, j.email, j.plan));
            assert_eq!(identity(t), expected, "{t}");
        }
        assert!(identity(&tokens[0]).is_some() && identity(&tokens[4]).is_none());
    }

    #[test]
    fn decode_accepts_padding() {
        let t = sample();
        let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
        while !parts[1].len().is_multiple_of(4) {
            parts[1].push('=');
        }
        assert!(decode(&parts.join(".")).is_ok());
    }

    #[test]
    fn decode_accepts_standard_base64_characters() {
        // `?>` and `~` encode to `/` and `+` in standard base64, `_` and `-` in base64url.
        let claims = serde_json::json!({"exp": 1796380579, "email": "?>?>~~@example.com"});
        let url = unsigned(claims.as_object().unwrap_or(&Map::new()));
        assert!(url.contains(['-', '_']), "{url}");
        let standard = url.replace('-', "+").replace('_', "/");
        let a = decode(&url).unwrap_or_else(|e| panic!("{e}"));
        let b = decode(&standard).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, b);
        assert_eq!(b.email.as_deref(), Some("?>?>~~@example.com"));
    }

    #[test]
    fn decode_names_the_broken_part_and_never_echoes_the_token() {
        let secret = "eyJhbGciOiJub25lIn0.bm90IGpzb24.sig";
        let err = decode(secret).err().unwrap_or_default();
        assert_eq!(err, "the payload part is not valid JSON");
        let err = decode("abc.def").err().unwrap_or_default();
        assert!(err.starts_with("not a JWT: expected 3"), "{err}");
        assert!(!err.contains("abc"));
        let err = decode("!!!.e30.x").err().unwrap_or_default();
        assert_eq!(err, "the header part is not valid base64url");
    }
}
