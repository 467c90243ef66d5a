//! A small synchronous client of the OpenClaw gateway's WebSocket protocol (version 4,
//! as OpenClaw 2026.9.6 speaks it), so that reading and patching the main session costs
//! a few milliseconds instead of a Node start-up per `openclaw gateway call`.
//!
//! The subset, its fields and the recorded exchanges it is pinned to are described in
//! docs/openclaw.md ("The gateway protocol clawshift speaks") and kept as fixtures under
//! tests/fixtures/gateway/. The client only ever connects to 127.0.0.1: a remote gateway
//! would need TLS and device pairing, which this client does not do.
//!
//! Every failure is a one-line reason meant for a `skipped` entry, never an error: a
//! gateway that is absent, slow, refuses the token or speaks another protocol must not
//! stop a switch that the files alone can still carry out.

use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// The protocol version clawshift speaks (OpenClaw's `PROTOCOL_VERSION`).
pub const PROTOCOL: u64 = 4;

/// The longest a gateway exchange may take even when the run has more time: a gateway
/// that has not answered by then is treated as not answering.
pub const LIMIT: Duration = Duration::from_secs(5);

/// The token a local client presents, resolved as OpenClaw's `resolveGatewayAuthToken`
/// does: `gateway.auth.token` in openclaw.json when it is a plain string, else the
/// `OPENCLAW_GATEWAY_TOKEN` environment variable (passed in by the caller, since only
/// Host reads the environment).
pub fn token(cfg: &Value, env_token: Option<&str>) -> Option<String> {
    let configured = cfg
        .get("gateway")
        .and_then(|g| g.get("auth"))
        .and_then(|a| a.get("token"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty());
    configured
        .or(env_token.map(str::trim).filter(|t| !t.is_empty()))
        .map(str::to_string)
}

/// The main session's route as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    /// `provider/model` the session runs on (its override, else the default); `None`
    /// when the session does not exist yet.
    pub model: Option<String>,
    /// True when the model is the session's own override rather than the default.
    pub overridden: bool,
    /// The auth profile the session is pinned to.
    pub profile: Option<String>,
}

/// The last session reading of this run, so that `switch` (which reads the current
/// route) and `set_model` (which reads before it patches) cost one read, not two.
static LAST_READING: Mutex<Option<(u16, String, SessionRoute)>> = Mutex::new(None);

pub fn remember(port: u16, key: &str, route: &SessionRoute) {
    if let Ok(mut g) = LAST_READING.lock() {
        *g = Some((port, key.to_string(), route.clone()));
    }
}

pub fn remembered(port: u16, key: &str) -> Option<SessionRoute> {
    let g = LAST_READING.lock().ok()?;
    match g.as_ref() {
        Some((p, k, r)) if *p == port && k == key => Some(r.clone()),
        _ => None,
    }
}

pub struct Gateway {
    ws: WebSocket<TcpStream>,
    deadline: Instant,
    next_id: u64,
    port: u16,
}

impl Gateway {
    /// Opens a connection to the gateway on 127.0.0.1:`port` and completes the
    /// handshake (challenge, `connect` as a backend operator with the token, `hello-ok`)
    /// within `limit`; every later read and write shares that deadline.
    pub fn connect(port: u16, token: Option<&str>, limit: Duration) -> Result<Gateway, String> {
        let deadline = Instant::now() + limit;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let tcp = TcpStream::connect_timeout(&addr, limit.max(Duration::from_millis(1))).map_err(
            |e| match e.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    format!("the gateway on {addr} did not accept a connection in time")
                }
                _ => format!("no gateway is listening on {addr}"),
            },
        )?;
        let _ = tcp.set_nodelay(true);
        let mut g = Gateway::bounded(tcp, deadline, port)?;
        g.handshake(token)?;
        Ok(g)
    }

    fn bounded(tcp: TcpStream, deadline: Instant, port: u16) -> Result<Gateway, String> {
        let left = remaining(deadline).ok_or_else(|| slow(port))?;
        tcp.set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        let url = format!("ws://127.0.0.1:{port}/");
        let (ws, _) = tungstenite::client::client(url.as_str(), tcp).map_err(|e| match e {
            tungstenite::HandshakeError::Failure(tungstenite::Error::Io(io)) if timed_out(&io) => {
                slow(port)
            }
            tungstenite::HandshakeError::Interrupted(_) => slow(port),
            other => format!("127.0.0.1:{port} is not an OpenClaw gateway ({other})"),
        })?;
        Ok(Gateway {
            ws,
            deadline,
            next_id: 1,
            port,
        })
    }

    fn handshake(&mut self, token: Option<&str>) -> Result<(), String> {
        loop {
            let m = self.read()?;
            if m.get("type").and_then(Value::as_str) == Some("event")
                && m.get("event").and_then(Value::as_str) == Some("connect.challenge")
            {
                break;
            }
        }
        let mut params = json!({
            "minProtocol": PROTOCOL,
            "maxProtocol": PROTOCOL,
            "client": {
                "id": "gateway-client",
                "displayName": "clawshift",
                "version": env!("CARGO_PKG_VERSION"),
                "platform": std::env::consts::OS,
                "mode": "backend",
            },
            "role": "operator",
            "scopes": ["operator.admin"],
        });
        if let Some(t) = token {
            params["auth"] = json!({ "token": t });
        }
        let id = self.send("connect", params)?;
        let res = self.response(&id)?;
        if res.get("ok").and_then(Value::as_bool) != Some(true) {
            let err = res.get("error").cloned().unwrap_or(Value::Null);
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            let code = err
                .get("details")
                .and_then(|d| d.get("code"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let port = self.port;
            return Err(if code == "PROTOCOL_MISMATCH" {
                let theirs = err
                    .get("details")
                    .and_then(|d| d.get("expectedProtocol"))
                    .map_or("another".to_string(), Value::to_string);
                format!(
                    "the gateway on 127.0.0.1:{port} speaks protocol {theirs}; clawshift speaks {PROTOCOL}"
                )
            } else if code.starts_with("AUTH_") || message.starts_with("unauthorized") {
                format!("the gateway on 127.0.0.1:{port} refused the token ({message})")
            } else {
                format!("the gateway on 127.0.0.1:{port} refused the connection ({message})")
            });
        }
        let proto = res
            .get("payload")
            .and_then(|p| p.get("protocol"))
            .and_then(Value::as_u64);
        if proto != Some(PROTOCOL) {
            return Err(format!(
                "the gateway on 127.0.0.1:{} speaks protocol {}; clawshift speaks {PROTOCOL}",
                self.port,
                proto.map_or("unknown".to_string(), |p| p.to_string())
            ));
        }
        Ok(())
    }

    /// Sends several requests at once and waits for all their answers: one round trip.
    /// Each answer is its payload, or the gateway's error message.
    pub fn calls(&mut self, reqs: &[(&str, Value)]) -> Result<Vec<Result<Value, String>>, String> {
        let mut ids = Vec::with_capacity(reqs.len());
        for (method, params) in reqs {
            ids.push(self.send(method, params.clone())?);
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            let res = self.response(id)?;
            out.push(if res.get("ok").and_then(Value::as_bool) == Some(true) {
                Ok(res.get("payload").cloned().unwrap_or(Value::Null))
            } else {
                Err(res
                    .get("error")
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("no reason given")
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string())
            });
        }
        Ok(out)
    }

    pub fn call(&mut self, method: &str, params: Value) -> Result<Result<Value, String>, String> {
        let mut r = self.calls(&[(method, params)])?;
        Ok(r.remove(0))
    }

    /// The session's model and pinned profile: `sessions.describe` for the model and
    /// `chat.metadata` for the account (the session rows do not carry the auth-profile
    /// override), sent together.
    /// Only a pin someone chose counts (`status::chosen_pin`).
    pub fn read_session(&mut self, key: &str) -> Result<SessionRoute, String> {
        let mut r = self.calls(&[
            ("sessions.describe", json!({ "key": key })),
            ("chat.metadata", json!({ "sessionKey": key })),
        ])?;
        let meta = r.pop().unwrap_or(Ok(Value::Null));
        let described = r
            .pop()
            .unwrap_or(Ok(Value::Null))
            .map_err(|e| format!("sessions.describe failed ({e})"))?;
        let Some(session) = described.get("session").filter(|s| s.is_object()) else {
            return Ok(SessionRoute {
                model: None,
                overridden: false,
                profile: None,
            });
        };
        let meta = meta.map_err(|e| format!("chat.metadata failed ({e})"))?;
        let provider = session.get("modelProvider").and_then(Value::as_str);
        let model = session.get("model").and_then(Value::as_str);
        Ok(SessionRoute {
            model: match (provider, model) {
                (Some(p), Some(m)) => Some(format!("{p}/{m}")),
                (None, Some(m)) => Some(m.to_string()),
                _ => None,
            },
            overridden: session.get("modelOverrideSource").is_some(),
            profile: meta.get("accountSelection").and_then(|a| {
                super::status::chosen_pin(
                    a.get("authProfileId").and_then(Value::as_str),
                    a.get("source").and_then(Value::as_str),
                )
            }),
        })
    }

    /// Closes politely without waiting for the gateway's reply to the close.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }

    fn send(&mut self, method: &str, params: Value) -> Result<String, String> {
        let id = self.next_id.to_string();
        self.next_id += 1;
        let frame = json!({"type": "req", "id": id, "method": method, "params": params});
        self.arm()?;
        self.ws
            .send(Message::text(frame.to_string()))
            .map_err(|e| self.io_reason(e))?;
        Ok(id)
    }

    fn response(&mut self, id: &str) -> Result<Value, String> {
        loop {
            let m = self.read()?;
            if m.get("type").and_then(Value::as_str) == Some("res")
                && m.get("id").and_then(Value::as_str) == Some(id)
            {
                return Ok(m);
            }
        }
    }

    /// The next JSON frame; events the gateway broadcasts (ticks, health) come back too
    /// and are skipped by the callers.
    fn read(&mut self) -> Result<Value, String> {
        loop {
            self.arm()?;
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    return serde_json::from_str(t.as_str()).map_err(|e| {
                        format!(
                            "the gateway on 127.0.0.1:{} sent a frame that is not JSON ({e})",
                            self.port
                        )
                    });
                }
                Ok(Message::Close(c)) => {
                    let why = c.map(|c| c.reason.to_string()).unwrap_or_default();
                    return Err(format!(
                        "the gateway on 127.0.0.1:{} closed the connection{}",
                        self.port,
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(" ({why})")
                        }
                    ));
                }
                Ok(_) => {}
                Err(e) => return Err(self.io_reason(e)),
            }
        }
    }

    /// Sets the socket's timeouts to what is left before the deadline.
    fn arm(&mut self) -> Result<(), String> {
        let left = remaining(self.deadline).ok_or_else(|| slow(self.port))?;
        let s = self.ws.get_mut();
        s.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
        s.set_write_timeout(Some(left)).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn io_reason(&self, e: tungstenite::Error) -> String {
        match e {
            tungstenite::Error::Io(io) if timed_out(&io) => slow(self.port),
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                format!(
                    "the gateway on 127.0.0.1:{} closed the connection",
                    self.port
                )
            }
            other => format!(
                "talking to the gateway on 127.0.0.1:{} failed ({other})",
                self.port
            ),
        }
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn slow(port: u16) -> String {
    format!("the gateway on 127.0.0.1:{port} did not answer in time")
}

/// Connects to the gateway this OpenClaw would use (its port as `gateway_port` finds
/// it, its token as [`token`] resolves it), bounded by [`LIMIT`] and the run's deadline.
/// The token joins the redaction registry before it is ever sent.
pub fn open(host: &crate::host::Host, cfg: &Value) -> Result<Gateway, String> {
    let port = super::cli::gateway_port(host, cfg);
    let token = token(cfg, host.var("OPENCLAW_GATEWAY_TOKEN"));
    if let Some(t) = &token {
        crate::redact::learn(t);
    }
    // A gateway that failed once in this run is not asked again: a silent one would
    // otherwise cost the wait once per operation.
    if let Ok(g) = FAILED.lock()
        && let Some((p, why)) = g.as_ref()
        && *p == port
    {
        return Err(why.clone());
    }
    let limit = LIMIT.min(host.remaining().saturating_sub(Duration::from_millis(200)));
    let r = Gateway::connect(port, token.as_deref(), limit);
    if let (Err(why), Ok(mut g)) = (&r, FAILED.lock()) {
        *g = Some((port, why.clone()));
    }
    r
}

static FAILED: Mutex<Option<(u16, String)>> = Mutex::new(None);

/// The agent's main session as the running gateway reports it: this run's earlier
/// reading when there is one, else one connection with one (pipelined) read.
pub fn read_main(
    host: &crate::host::Host,
    cfg: &Value,
    agent: &str,
) -> Result<SessionRoute, String> {
    let port = super::cli::gateway_port(host, cfg);
    let key = main_key(agent);
    if let Some(r) = remembered(port, &key) {
        return Ok(r);
    }
    let mut g = open(host, cfg)?;
    let r = g.read_session(&key)?;
    g.close();
    remember(port, &key, &r);
    Ok(r)
}

/// The key of an agent's main session.
pub fn main_key(agent: &str) -> String {
    format!("agent:{agent}:main")
}

impl Gateway {
    pub fn port(&self) -> u16 {
        self.port
    }
}
