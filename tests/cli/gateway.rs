//! The native gateway client against a fake gateway: a loopback WebSocket server in a
//! thread that replays exchanges recorded from the real OpenClaw 2026.9.6 gateway
//! (tests/fixtures/gateway/*.jsonl, one frame per line: `{"dir":"in"|"out","frame":…}`,
//! then `{"close":code,"reason":…}`), and records every frame clawshift sends.

use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::Message;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

use crate::openclaw::{cmd, layout};
use crate::support::*;

const TOKEN: &str = "test-token-not-secret-0123456789";

fn fixture(name: &str) -> Vec<Value> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gateway")
        .join(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("fixture line"))
        .collect()
}

/// One connection's script: the first fixture whole, the later ones without their
/// handshake (challenge, connect, hello-ok) and, but for the last, their close.
fn script(names: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut lines = fixture(n);
        if i > 0 {
            lines.drain(..3);
        }
        if i + 1 < names.len() {
            lines.retain(|l| l.get("close").is_none());
        }
        out.extend(lines);
    }
    out
}

/// Serves one script per connection, in order. Returns the port and the frames
/// clawshift sent (each connection's, in order).
fn fake_gateway(conns: Vec<Vec<Value>>) -> (u16, Arc<Mutex<Vec<Value>>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    std::thread::spawn(move || {
        for lines in conns {
            let Ok((tcp, _)) = l.accept() else { return };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
            let Ok(mut ws) = tungstenite::accept(tcp) else {
                continue;
            };
            let mut ids: Vec<(Value, String)> = Vec::new();
            for line in &lines {
                if let Some(code) = line.get("close").and_then(Value::as_u64) {
                    let reason = line["reason"].as_str().unwrap_or("").to_string();
                    let _ = ws.close(Some(CloseFrame {
                        code: CloseCode::from(code as u16),
                        reason: reason.into(),
                    }));
                    let _ = ws.flush();
                    break;
                }
                let frame = &line["frame"];
                if line["dir"] == "in" {
                    let mut f = frame.clone();
                    // Answers go to the id clawshift used for the matching request.
                    // Recorded fixtures reuse ids, so the latest request wins.
                    if f["type"] == "res"
                        && let Some((_, id)) = ids.iter().rev().find(|(rec, _)| *rec == f["id"])
                    {
                        f["id"] = json!(id);
                    }
                    if ws.send(Message::text(f.to_string())).is_err() {
                        break;
                    }
                } else {
                    match ws.read() {
                        Ok(Message::Text(t)) => {
                            let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                            ids.push((
                                frame["id"].clone(),
                                v["id"].as_str().unwrap_or("").to_string(),
                            ));
                            log.lock().unwrap().push(v);
                        }
                        _ => break,
                    }
                }
            }
            // Whatever clawshift sends after the script is recorded too.
            while let Ok(m) = ws.read() {
                if let Message::Text(t) = m {
                    log.lock()
                        .unwrap()
                        .push(serde_json::from_str(t.as_str()).unwrap_or(Value::Null));
                }
            }
        }
    });
    (port, sent)
}

/// One connection read the main session, then patched it to `model` (a route).
fn assert_one_patch(sent: &Arc<Mutex<Vec<Value>>>, model: &str) {
    assert_eq!(
        methods(sent),
        [
            "connect",
            "sessions.describe",
            "chat.metadata",
            "sessions.patch"
        ]
    );
    assert_eq!(
        sent.lock().unwrap()[3]["params"],
        json!({"key": "agent:main:main", "model": model})
    );
}

fn methods(sent: &Arc<Mutex<Vec<Value>>>) -> Vec<String> {
    sent.lock()
        .unwrap()
        .iter()
        .map(|f| f["method"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn report(port: u16, token: &str, expr: &str) -> Value {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let out = cmd(&s)
        .env("OPENCLAW_GATEWAY_PORT", port.to_string())
        .env("OPENCLAW_GATEWAY_TOKEN", token)
        .args(["--timeout", "20", "eval", expr])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("report")
}

/// Waits for the server thread to record what the client sent before it closed.
fn settle() {
    std::thread::sleep(Duration::from_millis(100));
}

#[test]
fn set_model_sends_no_patch_when_the_session_already_has_the_route() {
    let (port, sent) = fake_gateway(vec![script(&["read.jsonl"])]);
    let r = report(
        port,
        TOKEN,
        r#"set_model("anthropic/claude-opus-4-7", "anthropic:me")"#,
    );
    settle();
    assert_eq!(
        methods(&sent),
        ["connect", "sessions.describe", "chat.metadata"]
    );
    assert_eq!(
        r["skipped"].as_array().unwrap().last().unwrap(),
        "main session: already anthropic/claude-opus-4-7@anthropic:me"
    );
    // The connect request carries the token the environment gave, as a backend client.
    let connect = sent.lock().unwrap()[0].clone();
    assert_eq!(connect["params"]["auth"], json!({"token": TOKEN}));
    assert_eq!(connect["params"]["client"]["mode"], "backend");
    assert_eq!(connect["params"]["minProtocol"], 4);
}

#[test]
fn set_model_patches_the_session_when_its_route_differs() {
    let (port, sent) = fake_gateway(vec![script(&["read.jsonl", "patch.jsonl"])]);
    let r = report(port, TOKEN, r#"set_model("openai/gpt-5.5")"#);
    settle();
    assert_one_patch(&sent, "openai/gpt-5.5");
    assert_eq!(
        r["applied"],
        json!([
            "main session: agent:main:main patched to openai/gpt-5.5 (sessions.patch; was anthropic/claude-opus-4-7@anthropic:me)"
        ])
    );
}

#[test]
fn a_refused_token_is_an_exact_skipped_line_and_nothing_is_patched() {
    let (port, sent) = fake_gateway(vec![script(&["wrong-token.jsonl"])]);
    let r = report(
        port,
        "wrong-token-not-secret",
        r#"set_model("openai/gpt-5.5")"#,
    );
    settle();
    assert_eq!(methods(&sent), ["connect"]);
    assert_eq!(
        r["skipped"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap(),
        format!(
            "main session: the gateway on 127.0.0.1:{port} refused the token (unauthorized: gateway token mismatch (provide gateway auth token)) (new sessions use the default model)"
        )
    );
    assert_eq!(r["changed"], false);
}

#[test]
fn a_gateway_with_a_newer_protocol_is_skipped_with_both_versions_named() {
    // The recorded refusal is a 2026.9.6 gateway refusing a client that asked for 5;
    // a newer gateway refuses a version-4 client the same way, naming its own version.
    let mut lines = script(&["newer-protocol.jsonl"]);
    lines[2]["frame"]["error"]["details"]["expectedProtocol"] = json!(5);
    let (port, _) = fake_gateway(vec![lines]);
    let r = report(port, TOKEN, r#"set_model("openai/gpt-5.5")"#);
    assert_eq!(
        r["skipped"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap(),
        format!(
            "main session: the gateway on 127.0.0.1:{port} speaks protocol 5; clawshift speaks 4 (new sessions use the default model)"
        )
    );
}

#[test]
fn a_silent_gateway_is_skipped_within_the_timeout() {
    // Accepts the connection, then never says a word.
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let started = Instant::now();
    let out = cmd(&s)
        .env("OPENCLAW_GATEWAY_PORT", port.to_string())
        .env("OPENCLAW_GATEWAY_TOKEN", TOKEN)
        .args(["--timeout", "2", "eval", r#"set_model("openai/gpt-5.5")"#])
        .output()
        .expect("run");
    let took = started.elapsed();
    drop(l);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&stdout(&out)).expect("report");
    assert_eq!(
        r["skipped"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .as_str()
            .unwrap(),
        format!(
            "main session: the gateway on 127.0.0.1:{port} did not answer in time (new sessions use the default model)"
        )
    );
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[test]
fn the_gateway_token_is_never_printed() {
    let (port, _) = fake_gateway(vec![script(&["wrong-token.jsonl"])]);
    let s = Sandbox::new();
    layout(&s, "sqlite");
    s.write(
        "openclaw/openclaw.json",
        r#"{ gateway: { auth: { mode: "token", token: "wrong-token-not-secret" } }, agents: { defaults: { model: { primary: "openai/gpt-5.5" } } } }"#,
    );
    let out = cmd(&s)
        .env("OPENCLAW_GATEWAY_PORT", port.to_string())
        .args([
            "--timeout",
            "20",
            "eval",
            r#"set_model("anthropic/claude-opus-4-7")"#,
        ])
        .output()
        .expect("run");
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("wrong-token-not-secret"), "{all}");
    assert!(all.contains("refused the token"), "{all}");
}

/// The recorded read, with the session's pin (anthropic:me) given `source` instead.
fn read_with_pin_source(source: &str) -> Vec<Value> {
    let mut lines = script(&["read.jsonl"]);
    let sel = &mut lines[6]["frame"]["payload"]["accountSelection"];
    assert_eq!(sel["authProfileId"], "anthropic:me", "the recorded pin");
    sel["source"] = json!(source);
    lines
}

#[test]
fn an_automatic_pin_is_not_taken_for_the_account_the_agent_is_on() {
    // OpenClaw pins the account it rotated to for a turn (source `auto`, e.g. past an
    // account in cooldown) and goes back to its order's first once that one recovers:
    // the route is the order's, not the pin's.
    let (port, _) = fake_gateway(vec![read_with_pin_source("auto")]);
    let r = report(
        port,
        TOKEN,
        "let s = models_status(); #{profile: s.current_profile}",
    );
    assert_eq!(r, json!({"profile": null}));
    // A pin someone chose is the route.
    let (port, _) = fake_gateway(vec![read_with_pin_source("user")]);
    let r = report(
        port,
        TOKEN,
        "let s = models_status(); #{profile: s.current_profile}",
    );
    assert_eq!(r, json!({"profile": "anthropic:me"}));
}

#[test]
fn set_model_turns_an_automatic_pin_into_the_chosen_one() {
    let mut lines = read_with_pin_source("auto");
    lines.pop();
    let mut patch = script(&["patch.jsonl"]);
    patch.drain(..3);
    lines.extend(patch);
    let (port, sent) = fake_gateway(vec![lines]);
    let r = report(
        port,
        TOKEN,
        r#"set_model("anthropic/claude-opus-4-7", "anthropic:me")"#,
    );
    settle();
    assert_one_patch(&sent, "anthropic/claude-opus-4-7@anthropic:me");
    assert_eq!(
        r["applied"].as_array().unwrap().last().unwrap(),
        "main session: agent:main:main patched to anthropic/claude-opus-4-7@anthropic:me (sessions.patch; was anthropic/claude-opus-4-7)"
    );
}
