//! Masking of secrets in anything clawshift shows: a token is replaced by its
//! fingerprint, so output can say which token is meant without revealing it.

use serde_json::Value;

use crate::api::jwt::fingerprint;

/// Keys whose string values are credentials in OpenClaw stores and Codex `auth.json`.
const SECRET_KEYS: &[&str] = &[
    "access",
    "refresh",
    "token",
    "key",
    "id_token",
    "access_token",
    "refresh_token",
    "idToken",
    "OPENAI_API_KEY",
];

/// Replaces every secret value in a JSON value with `<redacted sha256:…>`.
pub fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if SECRET_KEYS.contains(&k.as_str()) => {
                        *s = format!("<redacted {}>", fingerprint(s));
                    }
                    _ => redact_value(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        _ => {}
    }
}

/// Redacts JSON text; text that is not JSON is returned unchanged (none of the
/// non-JSON files clawshift writes hold secrets).
pub fn redact(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut v) => {
            redact_value(&mut v);
            let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
            out.push('\n');
            out
        }
        Err(_) => text.to_string(),
    }
}
