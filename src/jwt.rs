//! Reading the claims of a Codex/ChatGPT JWT without checking its
//! signature (Codex does not check it either; the token is only ever shown to the server
//! that issued it). The token itself never appears in an error.

use std::borrow::Cow;

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
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // The header only has to be a JSON object, as `decode` requires.
    let header = part_bytes(header, "header").ok()?;
    let mut de = serde_json::Deserializer::from_slice(&header);
    serde::Deserializer::deserialize_map(&mut de, serde::de::IgnoredAny).ok()?;
    de.end().ok()?;
    let payload = part_bytes(payload, "payload").ok()?;
    let mut de = serde_json::Deserializer::from_slice(&payload);
    let c = serde::Deserializer::deserialize_map(&mut de, Claims::default()).ok()?;
    de.end().ok()?;
    exp(c.exp.as_ref()).ok()?;
    Some((c.auth.account_id, c.email.or(c.profile.email), c.auth.plan))
}

/// The claims [`identity`] reads, filled in as the payload is read: every other member
/// is skipped unparsed, and a repeated name keeps its last value, as in a parsed
/// `Value`. A member of the wrong type reads as absent, as `str_at` reads it.
#[derive(Default)]
struct Claims {
    exp: Option<Value>,
    email: Option<String>,
    auth: Claim,
    profile: Claim,
}

/// The strings `identity` takes from the auth or profile claim.
#[derive(Default)]
struct Claim {
    account_id: Option<String>,
    plan: Option<String>,
    email: Option<String>,
}

/// A member's string value, `None` for any other JSON value.
#[derive(Default)]
struct Text(Option<String>);

/// The visits of the JSON values a visitor does not read: each reads as absent (its
/// type's default), skipping what it holds.
macro_rules! others_absent {
    ($t:ty) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok(<$t>::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<$t, E> {
            Ok(<$t>::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<$t, E> {
            Ok(<$t>::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<$t, E> {
            Ok(<$t>::default())
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok(<$t>::default())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, s: A) -> Result<$t, A::Error> {
            serde::de::IgnoredAny.visit_seq(s).map(|_| <$t>::default())
        }
    };
}

impl<'de> serde::de::Visitor<'de> for Claims {
    type Value = Claims;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut m: A) -> Result<Claims, A::Error> {
        while let Some(key) = m.next_key::<Key>()? {
            match &*key.0 {
                "exp" => self.exp = Some(m.next_value()?),
                "email" => self.email = m.next_value::<Text>()?.0,
                AUTH_CLAIM => self.auth = m.next_value()?,
                PROFILE_CLAIM => self.profile = m.next_value()?,
                _ => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(self)
    }
}

impl<'de> serde::Deserialize<'de> for Claim {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Claim, D::Error> {
        d.deserialize_any(Claim::default())
    }
}

impl<'de> serde::de::Visitor<'de> for Claim {
    type Value = Claim;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut m: A) -> Result<Claim, A::Error> {
        while let Some(key) = m.next_key::<Key>()? {
            let slot = match &*key.0 {
                "chatgpt_account_id" => &mut self.account_id,
                "chatgpt_plan_type" => &mut self.plan,
                "email" => &mut self.email,
                _ => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            *slot = m.next_value::<Text>()?.0;
        }
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Claim, E> {
        Ok(Claim::default())
    }
    others_absent!(Claim);
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<Text, A::Error> {
                serde::de::IgnoredAny.visit_map(m).map(|_| Text(None))
            }
            others_absent!(Text);
        }
        d.deserialize_any(V)
    }
}

/// A member name, borrowed unless it holds escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

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
            // Repeated names keep the last value; escaped names are the same names;
            // a claim of the wrong shape reads as absent.
            format!(
                "{h}.{}.s",
                part(r#"{"email":"a@example.com","email":"b@example.com"}"#)
            ),
            format!(
                "{h}.{}.s",
                part(r#"{"em\u0061il":"e@example.com","exp":1.5e9}"#)
            ),
            format!(
                "{h}.{}.s",
                part(
                    r#"{"https://api.openai.com/auth":["acct"],"https://api.openai.com/profile":"p"}"#
                )
            ),
            format!(
                "{h}.{}.s",
                part(
                    r#"{"https://api.openai.com/auth":{"chatgpt_account_id":{"id":1},"chatgpt_plan_type":"pro","x":[{"y":null}]},"email":false}"#
                )
            ),
            format!("{}.{}.s", part(r#"{"alg":"none"} x"#), part("{}")),
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
