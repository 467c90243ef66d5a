//! Property tests (proptest) for the parsers that read what users and OpenClaw wrote:
//! `decode_jwt`, the auth-store document parser and the JSON5 config parser never panic
//! on any input, and round-trip what clawshift itself writes. 256 cases per property by
//! default; `PROPTEST_CASES=5000` for a longer run.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use clawshift::jwt;
use clawshift::openclaw::{self, Loc, config};

/// Arbitrary JSON values: strings (with unicode and escapes), integers, bools, nulls,
/// arrays and objects, a few levels deep. No floats: JSON5 and JSON agree on integers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Tokens of the shapes the shape rules miss and catch: letters only, digits only,
/// 19-character opaque, any base64url run, and JWT-shaped.
fn any_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{8,40}",
        "[0-9]{8,40}",
        "[A-Za-z0-9_-]{19}",
        "[A-Za-z0-9_-]{8,64}",
        "[A-Za-z0-9_-]{8,30}\\.[A-Za-z0-9_-]{8,60}\\.[A-Za-z0-9_-]{0,30}",
    ]
}

fn loc() -> Loc {
    Loc::File(PathBuf::from("/x/auth-profiles.json"))
}

proptest! {
    #[test]
    fn decode_jwt_never_panics_on_any_text(text in ".{0,200}") {
        let _ = jwt::decode(&text);
    }

    #[test]
    fn decode_jwt_never_panics_on_three_base64_parts(
        a in prop::collection::vec(any::<u8>(), 0..64),
        b in prop::collection::vec(any::<u8>(), 0..256),
        pad in any::<bool>(),
    ) {
        use base64::Engine as _;
        let enc = |bytes: &[u8]| if pad {
            base64::engine::general_purpose::URL_SAFE.encode(bytes)
        } else {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        let token = format!("{}.{}.sig", enc(&a), enc(&b));
        if let Err(e) = jwt::decode(&token) {
            // Errors name the part, never the token.
            prop_assert!(!e.contains(&token));
        }
    }

    #[test]
    fn decode_jwt_round_trips_the_claims_it_is_given(
        claims in prop::collection::btree_map("[a-z_]{1,10}", json_value(), 0..8),
        exp in 1i64..253_402_300_799,
        account in "[a-zA-Z0-9-]{1,20}",
    ) {
        let mut m: Map<String, Value> = claims.into_iter().collect();
        m.insert("exp".into(), json!(exp));
        m.insert(jwt::AUTH_CLAIM.into(), json!({"chatgpt_account_id": account}));
        let token = jwt::unsigned(&m);
        let got = jwt::decode(&token).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&got.claims, &Value::Object(m));
        prop_assert_eq!(got.exp, Some(exp));
        prop_assert_eq!(got.account_id.as_deref(), Some(account.as_str()));
    }

    #[test]
    fn the_store_parser_never_panics_on_any_text(text in ".{0,300}") {
        let _ = openclaw::parse_doc(&text, &loc());
    }

    #[test]
    fn the_store_parser_never_panics_on_any_json(v in json_value()) {
        let _ = openclaw::parse_doc(&v.to_string(), &loc());
    }

    #[test]
    fn a_store_clawshift_writes_parses_back_the_same(
        profiles in prop::collection::btree_map("[a-z-]{1,8}:[a-z0-9@.]{1,12}", json_value(), 0..6),
        extra in prop::collection::btree_map("[a-zA-Z]{1,8}", json_value(), 0..4),
    ) {
        let mut doc = Map::new();
        doc.insert("version".into(), json!(1));
        for (k, v) in extra {
            if !["version", "profiles", "order", "lastGood", "usageStats"].contains(&k.as_str()) {
                doc.insert(k, v);
            }
        }
        doc.insert("profiles".into(), Value::Object(profiles.into_iter().collect()));
        // As written to a file (2-space JSON) and to a row (compact JSON).
        for text in [config::pretty(&Value::Object(doc.clone())), Value::Object(doc.clone()).to_string()] {
            let back = openclaw::parse_doc(&text, &loc()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &doc);
        }
    }

    #[test]
    fn the_json5_parser_never_panics_on_any_text(text in ".{0,300}") {
        let _ = config::parse_json5(&text, std::path::Path::new("/x/openclaw.json"));
    }

    #[test]
    fn the_json5_parser_never_panics_on_json5_like_text(
        text in r#"[{}\[\]:,'"/*a-z0-9 \n.+-]{0,200}"#
    ) {
        let _ = config::parse_json5(&text, std::path::Path::new("/x/openclaw.json"));
        let _ = config::nesting_depth(&text);
    }

    #[test]
    fn json5_reads_back_what_clawshift_writes(v in json_value()) {
        let obj = json!({"agents": {"defaults": {"model": v}}});
        let back = config::parse_json5(&config::pretty(&obj), std::path::Path::new("/x/openclaw.json"))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, obj);
    }

    #[test]
    fn nesting_depth_counts_brackets_outside_strings(depth in 0usize..300, quoted in 0usize..50) {
        let text = format!("{}\"{}\"{}", "[".repeat(depth), "[".repeat(quoted), "]".repeat(depth));
        prop_assert_eq!(config::nesting_depth(&text), depth);
    }

    #[test]
    fn source_lines_shown_in_errors_never_hold_a_token(
        before in "[a-z(\" ]{0,20}",
        secret in "[A-Za-z0-9_-]{20,60}",
    ) {
        for token in [format!("rt_{secret}"), format!("eyJ{secret}.eyJ{secret}.{secret}")] {
            let shown = clawshift::redact::source_line(&format!("{before}\"{token}\")"));
            prop_assert!(!shown.contains(&token), "{}", shown);
        }
    }

    #[test]
    fn a_secret_read_in_this_run_is_masked_everywhere_whatever_its_shape(
        token in any_token(),
        before in "[a-z(\" ]{0,20}",
    ) {
        // As a store read would: by key, into the registry.
        clawshift::redact::learn_json(&json!({"profiles": {"openai-codex:x": {"refresh": token}}}));
        let line = format!("{before}\"{token}\")");
        let doc = json!({"note": format!("see {token}")}).to_string();
        for shown in [
            clawshift::redact::mask(&line),
            clawshift::redact::source_line(&line),
            clawshift::redact::command_line(&["eval".to_string(), line.clone()]),
            clawshift::redact::redact(&doc),
        ] {
            prop_assert!(!shown.contains(&token), "{}", shown);
            prop_assert!(shown.contains("<redacted sha256:"), "{}", shown);
        }
    }

    #[test]
    fn a_secret_under_a_secret_key_is_masked_without_being_known(
        token in any_token(),
        config_key in prop::sample::select(vec!["botToken", "apiKey", "api_key", "token", "password", "clientSecret", "privateKey"]),
        store_key in prop::sample::select(vec!["access", "refresh", "key", "token"]),
    ) {
        // Never learned: found by its key alone, in JSON5 (a key OpenClaw's patterns
        // name, and anything under `env`), a store's JSON and a line of Rhai.
        let env_value: String = token.chars().rev().collect();
        let json5 = format!("// mine\n{{ channels: {{ telegram: {{ {config_key}: '{token}', }}, }}, env: {{ ANY_VAR: \"{env_value}\" }}, }}\n");
        let shown = clawshift::redact::redact(&json5);
        prop_assert!(!shown.contains(&format!("'{token}'")), "{}", shown);
        prop_assert!(!shown.contains(&format!("\"{env_value}\"")), "{}", shown);
        prop_assert!(shown.starts_with("// mine\n"), "{}", shown);
        let json = json!({"version": 1, "profiles": {"openai-codex:x": {store_key: token}}, "gateway": {"auth": {"token": env_value}}}).to_string();
        let shown = clawshift::redact::redact(&json);
        prop_assert!(!shown.contains(&token) && !shown.contains(&env_value), "{}", shown);
        for key in [config_key, store_key] {
            let rhai = format!("merge_profile(\"openai-codex:x\", #{{{key}: \"{token}\"}})");
            let shown = clawshift::redact::source_line(&rhai);
            prop_assert!(!shown.contains(&token), "{}", shown);
            prop_assert!(shown.starts_with(&format!("merge_profile(\"openai-codex:x\", #{{{key}: \"<redacted sha256:")), "{}", shown);
        }
    }
}
