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

/// Masks anything in a command line that looks like a token (a run of 24 or more
/// base64url/JWT characters, or a shorter `rt_…`/`eyJ…`/`sk-…` one), so the journal can record what ran without holding a
/// secret someone pasted into `clawshift eval`.
pub fn command_line(args: &[String]) -> String {
    mask_runs(&args.join(" "), |run| run.len() >= 24 || looks_secret(run))
}

/// Replaces each run of token characters (base64url, JWT dots, `=`/`+`) for which
/// `secret` holds by its fingerprint; everything else is kept as it is.
fn mask_runs(text: &str, secret: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if secret(run) {
            out.push_str(&format!("<redacted {}>", fingerprint(run)));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=' | '+') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A run of token characters that is a secret by its look: a JWT (`eyJ…`), a refresh
/// token (`rt_…`) or an API key (`sk-…`) of 12 characters or more, or any run of 32 or
/// more with both letters and digits.
fn looks_secret(run: &str) -> bool {
    run.len() >= 12 && (run.starts_with("eyJ") || run.starts_with("rt_") || run.starts_with("sk-"))
        || run.len() >= 32
            && run.chars().any(|c| c.is_ascii_digit())
            && run.chars().any(|c| c.is_ascii_alphabetic())
}

/// Masks what looks like a token in a line of script source shown in an error (a
/// snippet given to `clawshift eval` from cron may hold one): JWTs (`eyJ…`), refresh
/// tokens (`rt_…`), API keys (`sk-…`), and any other run of 32 or more base64url
/// characters with both letters and digits. Identifiers stay readable.
pub fn source_line(line: &str) -> String {
    mask_runs(line, looks_secret)
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_lines_lose_tokens_but_keep_code() {
        let line = r#"merge_profile("openai:alice", #{access: "eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTYzODA1Nzl9.c2ln", refresh: "rt_FAKE_f6dfd77f9ada260e451d1422"})"#;
        let shown = super::source_line(line);
        assert!(
            !shown.contains("eyJhbGci") && !shown.contains("rt_FAKE"),
            "{shown}"
        );
        assert!(
            shown.starts_with(r#"merge_profile("openai:alice", #{access: "<redacted sha256:"#),
            "{shown}"
        );
        let code =
            "let st = models_status(); profiles::codex_model_reachable(st, \"openai/gpt-5.5\")";
        assert_eq!(super::source_line(code), code);
    }

    use super::*;

    #[test]
    fn command_line_masks_tokens_but_keeps_names_and_paths() {
        let args = vec![
            "eval".to_string(),
            r#"merge_profile("openai:alice", #{access: "eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTYzODA1Nzl9.c2ln", refresh: "rt_FAKE_f6dfd77f9ada260e451d1422"})"#.to_string(),
        ];
        let line = command_line(&args);
        assert!(!line.contains("eyJhbGciOiJub25lIn0"), "{line}");
        assert!(!line.contains("rt_FAKE_f6dfd77f9ada260e451d1422"), "{line}");
        assert!(
            line.starts_with(r#"eval merge_profile("openai:alice", #{access: "<redacted sha256:"#),
            "{line}"
        );
        assert_eq!(
            command_line(&[
                "add-profile".into(),
                "alice".into(),
                "--from-auth-json".into(),
                "/tmp/a/auth.json".into()
            ]),
            "add-profile alice --from-auth-json /tmp/a/auth.json"
        );
    }
}
