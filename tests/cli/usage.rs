//! Issue #9: `usage()` against a fake ChatGPT usage endpoint on 127.0.0.1 (recorded
//! answer shapes, errors, slow answers), the forecast and the switch's usage mode over
//! recorded usage series with a fixed clock, `status` with cached usage, and no token in
//! any output or cache file.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;
use crate::switch::{agent_setting, seed, state_json};

/// 2026-11-25T12:00:00Z, the sandbox's clock, in seconds.
const T0: i64 = 1_795_608_000;

// ---------------------------------------------------------------------------------
// A fake ChatGPT backend on 127.0.0.1

#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

fn ok(body: String) -> Reply {
    Reply {
        status: 200,
        body,
        delay: Duration::ZERO,
    }
}

fn status(code: u16) -> Reply {
    Reply {
        status: code,
        body: r#"{"detail": "nope"}"#.into(),
        delay: Duration::ZERO,
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    path: String,
    authorization: String,
    account: String,
}

#[derive(Default)]
struct Shared {
    /// By `ChatGPT-Account-Id`; `*` answers any account.
    replies: Mutex<HashMap<String, Reply>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    stop: AtomicBool,
}

/// Serves `GET …/wham/usage` from canned replies; stops when dropped (or after two
/// minutes at most), and so does every answer still waiting out its delay.
struct Fake {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Fake {
    fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        let accept = thread::spawn(move || {
            let started = Instant::now();
            while !sh.stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let sh = sh.clone();
                        thread::spawn(move || serve(stream, &sh));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Fake {
            port,
            shared,
            accept: Some(accept),
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/backend-api", self.port)
    }

    fn reply(&self, account: &str, r: Reply) {
        self.shared
            .replies
            .lock()
            .expect("lock")
            .insert(account.into(), r);
    }

    fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("lock").clone()
    }

    fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(mut stream: TcpStream, sh: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let header = |name: &str| {
        head.split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let seen = Seen {
        path: head.split(' ').nth(1).unwrap_or_default().to_string(),
        authorization: header("authorization"),
        account: header("chatgpt-account-id"),
    };
    let reply = {
        let replies = sh.replies.lock().expect("lock");
        replies
            .get(&seen.account)
            .or_else(|| replies.get("*"))
            .cloned()
            .unwrap_or_else(|| status(404))
    };
    sh.seen.lock().expect("lock").push(seen);
    let n = sh.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    sh.max_in_flight.fetch_max(n, Ordering::SeqCst);
    let until = Instant::now() + reply.delay;
    while Instant::now() < until && !sh.stop.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(10));
    }
    let text = format!(
        "HTTP/1.1 {} Fake\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        reply.status,
        reply.body.len(),
        reply.body
    );
    let _ = stream.write_all(text.as_bytes());
    sh.in_flight.fetch_sub(1, Ordering::SeqCst);
}

/// A `/wham/usage` answer in the recorded shape (codex.md §5), sent at `now_s`:
/// each window as (used percent, when it resets in unix seconds).
fn answer(now_s: i64, five: Option<(i64, i64)>, week: Option<(i64, i64)>) -> String {
    let w = |x: Option<(i64, i64)>, secs: i64| {
        x.map_or(Value::Null, |(used, reset_at)| {
            json!({
                "used_percent": used,
                "limit_window_seconds": secs,
                "reset_after_seconds": reset_at - now_s,
                "reset_at": reset_at,
            })
        })
    };
    let full = [five, week].iter().flatten().any(|(u, _)| *u >= 100);
    json!({
        "plan_type": "plus",
        "rate_limit": {
            "allowed": !full,
            "limit_reached": full,
            "primary_window": w(five, 18_000),
            "secondary_window": w(week, 604_800),
        },
        "credits": {
            "has_credits": false,
            "unlimited": false,
            "balance": "0",
            "approx_local_messages": [0, 0],
            "approx_cloud_messages": [0, 0],
        },
        "additional_rate_limits": [],
        "rate_limit_reached_type": if full { json!("primary") } else { Value::Null },
        "spend_control": null,
        "rate_limit_reset_credits": {"available_count": 0},
    })
    .to_string()
}

const H: i64 = 3600;
const D: i64 = 86_400;

/// `clawshift` at `now` (RFC 3339) talking to the fake.
fn at(s: &Sandbox, fake: &Fake, now: &str) -> assert_cmd::Command {
    let mut c = s.cmd();
    c.env("CLAWSHIFT_NOW", now)
        .env("CLAWSHIFT_CHATGPT_BASE_URL", fake.base());
    c
}

/// Runs a command that must succeed with an empty stderr; returns stdout.
fn run(mut c: assert_cmd::Command) -> String {
    let out = c.output().expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    assert_no_token(&text);
    text
}

/// No access or refresh token of the fixtures anywhere in `text`.
fn assert_no_token(text: &str) {
    for t in ["FAKE-access", "rt_FAKE", "sk-ant-oat01"] {
        assert!(!text.contains(t), "a token leaked: {text}");
    }
}

fn cache(s: &Sandbox) -> Value {
    let text = s.read("clawshift/usage-cache.json");
    assert_no_token(&text);
    serde_json::from_str(&text).expect("cache json")
}

fn eval_json(s: &Sandbox, fake: &Fake, now: &str, code: &str) -> Value {
    let mut c = at(s, fake, now);
    c.args(["eval", code]);
    serde_json::from_str(&run(c)).expect("json")
}

// ---------------------------------------------------------------------------------
// usage()

#[test]
fn usage_reads_both_windows_with_the_profiles_own_token_and_account() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    // primary/secondary swapped on purpose: windows are told apart by their length.
    let body = answer(T0, Some((40, T0 + 2 * H)), Some((12, T0 + 3 * D)))
        .replace("primary_window", "tmp_window")
        .replace("secondary_window", "primary_window")
        .replace("tmp_window", "secondary_window");
    fake.reply("acct-work", ok(body));
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["eval", r#"usage("openai:work")"#]);
    assert_eq!(
        run(c),
        r#"{
  "account_id": "acct-work",
  "age_ms": 0,
  "at": 1795608000000,
  "five_hour": {
    "burn_per_hour": null,
    "exhausts_at": null,
    "exhausts_in_ms": null,
    "limit_window_seconds": 18000,
    "reset_at": 1795615200000,
    "resets_in_ms": 7200000,
    "used_percent": 40
  },
  "id": "openai:work",
  "known": true,
  "last_error": null,
  "limit_reached": false,
  "notes": [],
  "plan": "plus",
  "reason": null,
  "source": "live",
  "weekly": {
    "burn_per_hour": null,
    "exhausts_at": null,
    "exhausts_in_ms": null,
    "limit_window_seconds": 604800,
    "reset_at": 1795867200000,
    "resets_in_ms": 259200000,
    "used_percent": 12
  }
}
"#
    );
    assert_eq!(
        fake.seen(),
        [Seen {
            path: "/backend-api/wham/usage".into(),
            authorization: "Bearer FAKE-access-work".into(),
            account: "acct-work".into(),
        }]
    );
    let p = s.home().join("usage-cache.json");
    assert_eq!(mode(&p), 0o600);
    assert_eq!(
        cache(&s),
        json!({
            "version": 1,
            "profiles": {"openai:work": {
                "account_id": "acct-work",
                "readings": [{
                    "at": 1795608000000_i64,
                    "five_hour": {"used_percent": 40.0, "limit_window_seconds": 18000, "reset_at": 1795615200000_i64},
                    "weekly": {"used_percent": 12.0, "limit_window_seconds": 604800, "reset_at": 1795867200000_i64},
                    "limit_reached": false,
                    "plan": "plus",
                }],
            }},
        })
    );
}

#[test]
fn a_second_reading_gives_the_burn_rate_and_when_the_window_runs_out() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    // A recorded series: 40 % at 12:00, 50 % at 12:10 (60 points an hour), the 5-hour
    // window resetting at 14:00.
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((40, T0 + 2 * H)), Some((12, T0 + 3 * D)))),
    );
    eval_json(&s, &fake, "2026-11-25T12:00:00Z", r#"usage("openai:work")"#);
    fake.reply(
        "acct-work",
        ok(answer(
            T0 + 600,
            Some((50, T0 + 2 * H)),
            Some((12, T0 + 3 * D)),
        )),
    );
    let u = eval_json(&s, &fake, "2026-11-25T12:10:00Z", r#"usage("openai:work")"#);
    assert_eq!(u["five_hour"]["burn_per_hour"], 60);
    // 50 points left at 60 an hour: 50 minutes, at 13:00, before the 14:00 reset.
    assert_eq!(u["five_hour"]["exhausts_at"], 1795611600000_i64);
    assert_eq!(u["five_hour"]["exhausts_in_ms"], 3_000_000);
    // The weekly window did not move: no burn, no exhaustion.
    assert_eq!(u["weekly"]["burn_per_hour"], 0);
    assert_eq!(u["weekly"]["exhausts_at"], Value::Null);
    // A second read within `max_age_secs` comes from the cache.
    let mut c = at(&s, &fake, "2026-11-25T12:10:00Z");
    c.args([
        "eval",
        r#"usage(["openai:work"], #{max_age_secs: 60})["openai:work"].source"#,
    ]);
    assert_eq!(run(c), "cache\n");
    assert_eq!(fake.seen().len(), 2, "the cached reading was reused");
    // Under --dry-run the endpoint is still read, but the cache is left as it was.
    let before = s.read("clawshift/usage-cache.json");
    fake.reply(
        "acct-work",
        ok(answer(
            T0 + 1200,
            Some((55, T0 + 2 * H)),
            Some((12, T0 + 3 * D)),
        )),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:20:00Z");
    c.args([
        "--dry-run",
        "eval",
        r#"usage("openai:work").five_hour.burn_per_hour"#,
    ]);
    assert_eq!(run(c), "30\n");
    assert_eq!(s.read("clawshift/usage-cache.json"), before);
}

#[test]
fn failures_make_usage_unknown_with_the_reason() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    let skewed = answer(T0, Some((40, T0 + 2 * H)), None).replace(
        &format!("\"reset_at\":{}", T0 + 2 * H),
        &format!("\"reset_at\":{}", T0 + 2 * H - 1800),
    );
    let table: Vec<(Reply, String)> = vec![
        (status(401), "HTTP 401 Unauthorized: the access token was refused (expired or revoked); OpenClaw refreshes it on its next use, clawshift never does".into()),
        (status(403), "HTTP 403 Forbidden: this account may not read its usage (plan or workspace)".into()),
        (status(429), "HTTP 429 Too Many Requests: the usage endpoint is rate limiting; asked again on the next run".into()),
        (status(502), "HTTP 502: the usage endpoint is failing; asked again on the next run".into()),
        (ok("<html>maintenance</html>".into()), "the answer is not valid JSON (expected value at line 1 column 1)".into()),
        (ok(r#"{"plan_type": "plus", "rate_limit": {"primary_window": {"used_percent": 4"#.into()), "the answer is not valid JSON (EOF while parsing an object at line 1 column 73)".into()),
        (ok(r#"{"plan_type": "plus"}"#.into()), "the answer has no `rate_limit`".into()),
        (ok(answer(T0, None, None)), "the answer has neither a 5-hour (18000 s) nor a weekly (604800 s) window".into()),
        (ok(r#"{"rate_limit": {"primary_window": {"limit_window_seconds": 18000, "reset_after_seconds": 60}}}"#.into()), "`rate_limit.primary_window` has no numeric `used_percent`".into()),
        (ok(skewed), "clock skew: this machine's clock (2026-11-25T12:00:00Z) is 30m ahead of the usage server's (its 5h window resets at 2026-11-25T13:30:00Z by the server's time, in 2h by the answer's countdown); set the clock right (e.g. NTP)".into()),
    ];
    for (reply, reason) in table {
        fake.reply("acct-work", reply);
        let u = eval_json(&s, &fake, "2026-11-25T12:00:00Z", r#"usage("openai:work")"#);
        assert_eq!(u["known"], false, "{reason}");
        assert_eq!(u["reason"], reason.as_str());
        assert_eq!(u["five_hour"], Value::Null);
        assert_eq!(
            cache(&s)["profiles"]["openai:work"]["last_error"]["reason"],
            reason.as_str()
        );
    }
    // A missing window is not a failure: the other one is there, with a note.
    fake.reply("acct-work", ok(answer(T0, None, Some((12, T0 + 3 * D)))));
    let u = eval_json(&s, &fake, "2026-11-25T12:00:00Z", r#"usage("openai:work")"#);
    assert_eq!(u["known"], true);
    assert_eq!(u["five_hour"], Value::Null);
    assert_eq!(u["weekly"]["used_percent"], 12);
    assert_eq!(u["notes"], json!(["no 5-hour window in the answer"]));
}

#[test]
fn an_endpoint_that_is_down_or_not_https_is_unknown_and_nothing_hangs() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let out = s
        .cmd()
        .env(
            "CLAWSHIFT_CHATGPT_BASE_URL",
            format!("http://127.0.0.1:{port}/backend-api"),
        )
        .args(["eval", r#"usage("openai:work").reason"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!(
            "cannot connect to http://127.0.0.1:{port}/backend-api/wham/usage"
        )) || stdout(&out).starts_with(&format!(
            "cannot reach http://127.0.0.1:{port}/backend-api/wham/usage"
        )),
        "{}",
        stdout(&out)
    );
    // Plain http anywhere but this machine would carry the token in the clear.
    let out = s
        .cmd()
        .env(
            "CLAWSHIFT_CHATGPT_BASE_URL",
            "http://usage.example.com/backend-api",
        )
        .args(["eval", r#"usage("openai:work").reason"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "CLAWSHIFT_CHATGPT_BASE_URL `http://usage.example.com/backend-api` is neither https nor http to this machine (127.0.0.1, localhost); an account's token is never sent in the clear\n"
    );
}

#[test]
fn a_slow_endpoint_is_cut_off_by_the_timeout() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    fake.reply(
        "*",
        Reply {
            status: 200,
            body: answer(T0, Some((1, T0 + H)), None),
            delay: Duration::from_secs(30),
        },
    );
    let started = Instant::now();
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args([
        "eval",
        r#"let all = usage(["openai:work", "openai:alice", "openai:bob"], #{timeout_secs: 1}); all.values().map(|u| u.reason)"#,
    ]);
    let url = format!("{}/wham/usage", fake.base());
    assert_eq!(
        run(c),
        format!(
            "[\n  \"no answer from {url} within 1s\",\n  \"no answer from {url} within 1s\",\n  \"no answer from {url} within 1s\"\n]\n"
        )
    );
    // Bounded: the three ran side by side and were cut at one second, not thirty.
    assert!(started.elapsed() < Duration::from_secs(15));
}

/// A legacy-JSON OpenClaw state with `n` Codex accounts `openai-codex:a0`… and their
/// fake tokens `FAKE-access-a0`…, all valid for a day.
fn many_accounts(s: &Sandbox, n: usize) {
    let mut profiles = serde_json::Map::new();
    for i in 0..n {
        profiles.insert(
            format!("openai-codex:a{i}"),
            json!({
                "type": "oauth", "provider": "openai-codex",
                "access": format!("FAKE-access-a{i}"), "refresh": format!("rt_FAKE_a{i}"),
                "expires": (T0 + D) * 1000, "accountId": format!("acct-a{i}"),
            }),
        );
    }
    s.write(
        "openclaw/agents/main/agent/auth-profiles.json",
        &json!({"version": 1, "profiles": profiles}).to_string(),
    );
    s.write(
        "openclaw/openclaw.json",
        r#"{"agents": {"defaults": {"model": {"primary": "openai-codex/gpt-5.5"}}}}"#,
    );
}

#[test]
fn requests_run_at_most_four_at_a_time() {
    let s = Sandbox::new();
    many_accounts(&s, 6);
    let fake = Fake::start();
    fake.reply(
        "*",
        Reply {
            status: 200,
            body: answer(T0, Some((5, T0 + H)), Some((1, T0 + D))),
            delay: Duration::from_millis(400),
        },
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args([
        "eval",
        r#"let all = usage(models_status().providers["openai-codex"].order); all.values().filter(|u| u.known).len()"#,
    ]);
    assert_eq!(run(c), "6\n");
    assert_eq!(fake.seen().len(), 6);
    // Never more than four; at least two overlap (on a loaded machine a fourth worker
    // may start after the first answers, so exactly four is not guaranteed).
    let most = fake.max_in_flight();
    assert!((2..=4).contains(&most), "{most} requests in flight at once");
}

#[test]
fn an_expired_token_or_another_provider_is_never_sent() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    fake.reply("*", ok(answer(T0, Some((1, T0 + H)), None)));
    // Eleven days on, every access token (valid ten days) has expired.
    let mut c = at(&s, &fake, "2026-12-06T12:00:00Z");
    c.args([
        "eval",
        r#"let all = usage(["openai:work", "anthropic:me", "openai:nobody"]); all.values().map(|u| u.reason)"#,
    ]);
    assert_eq!(
        run(c),
        "[\n  \"`anthropic:me` is not a ChatGPT (openai / openai-codex) profile; its token is never sent to ChatGPT\",\n  \"no profile `openai:nobody` in the auth store\",\n  \"the access token expired 1d ago; clawshift never refreshes tokens (OpenClaw refreshes it on its next use)\"\n]\n"
    );
    assert_eq!(fake.seen(), []);
    // Nothing was refreshed: the store is as it was.
    let mut c = at(&s, &fake, "2026-12-06T12:00:00Z");
    c.args(["eval", r#"models_status().profiles["openai:work"].expires"#]);
    assert_eq!(run(c), "1796472000000\n");
}

#[test]
fn nothing_calls_the_network_unless_a_policy_asks_for_usage() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    fake.reply("*", ok(answer(T0, Some((1, T0 + H)), None)));
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("switch");
    run(c);
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["switch", "--explain"]);
    run(c);
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("status");
    let text = run(c);
    assert!(!text.contains("USAGE"), "{text}");
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args([
        "eval",
        r#"usage(["openai:work"], #{network: false})["openai:work"].reason"#,
    ]);
    assert_eq!(
        run(c),
        "nothing cached for `openai:work`: usage() has not read it yet\n"
    );
    assert_eq!(fake.seen(), []);
    assert!(!s.home().join("usage-cache.json").exists());
}

#[test]
fn usage_rejects_unknown_options() {
    let s = Sandbox::new();
    let out = s
        .cmd()
        .args(["eval", r#"usage(["openai:work"], #{timeout: 3})"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(
            "error: usage: unknown option `timeout`; use network, max_age_secs or timeout_secs\n"
        ),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------
// status

#[test]
fn status_shows_cached_usage_per_profile() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("status");
    let before = run(c);
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((40, T0 + 2 * H)), Some((12, T0 + 3 * D)))),
    );
    fake.reply("acct-alice", ok(answer(T0, Some((95, T0 + 600)), None)));
    fake.reply("acct-bob", status(401));
    eval_json(
        &s,
        &fake,
        "2026-11-25T12:00:00Z",
        r#"usage(["openai:work", "openai:alice", "openai:bob"])"#,
    );
    let mut c = at(&s, &fake, "2026-11-25T12:30:00Z");
    c.arg("status");
    let after = run(c);
    let root = s.root().display().to_string();
    assert_eq!(
        after.replace(&root, "[ROOT]"),
        "Layout        sqlite (agent main)\n\
         State dir     [ROOT]/openclaw\n\
         Config        [ROOT]/openclaw/openclaw.json\n\
         Auth store    [ROOT]/openclaw/state/openclaw.sqlite\n\
         Agent store   [ROOT]/openclaw/agents/main/agent/openclaw-agent.sqlite\n\
         Default model anthropic/claude-opus-4-7\n\
         Fallbacks     anthropic/claude-opus-4-7\n\
         Current model anthropic/claude-opus-4-7 (default model)\n\
         \n\
         anthropic: order from store\n\
         \x20 #  PROFILE       ACCOUNT  EMAIL  STATE     UNTIL                       EXPIRES\n\
         \x20 1  anthropic:me  -        -      cooldown  2026-11-25T12:41:00Z (11m)  -\n\
         \n\
         openai: order from store\n\
         \x20 #  PROFILE       ACCOUNT     EMAIL              STATE  UNTIL  EXPIRES    USAGE\n\
         \x20 1  openai:work   acct-work   work@example.com   ok     -      in 9d 23h  5h 40%, weekly 12% (30m ago)\n\
         \x20 2  openai:alice  acct-alice  alice@example.com  ok     -      in 9d 23h  5h reset (30m ago)\n\
         \x20 3  openai:bob    acct-bob    bob@example.com    ok     -      in 9d 23h  unknown: HTTP 401 Unauthorized: the access token was refused (expired or revoked)\n"
    );
    // Without the cache the report is what it always was.
    std::fs::remove_file(s.home().join("usage-cache.json")).expect("rm");
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("status");
    assert_eq!(run(c), before);
    // --json carries the readings too.
    eval_json(&s, &fake, "2026-11-25T12:00:00Z", r#"usage("openai:work")"#);
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["status", "--json"]);
    let v: Value = serde_json::from_str(&run(c)).expect("json");
    assert_eq!(v["usage"]["openai:work"]["five_hour"]["used_percent"], 40);
    assert_eq!(v["usage"]["openai:work"]["source"], "cache");
}

// ---------------------------------------------------------------------------------
// The switch in usage mode

/// Ejects the stock switch and turns usage mode on, with `priority` as PRIORITY.
fn usage_mode(s: &Sandbox, priority: &str) {
    s.cmd()
        .args(["scripts", "eject", "switch"])
        .assert()
        .success();
    let path = s.home().join("scripts/switch.rhai");
    let text = std::fs::read_to_string(&path).expect("ejected");
    let edited = text
        .replace("const USAGE_MODE = false;", "const USAGE_MODE = true;")
        .replace(
            "const PRIORITY = [\"opus\", \"codex\"];",
            &format!("const PRIORITY = {priority};"),
        );
    assert_eq!(edited.matches("USAGE_MODE = true").count(), 1);
    std::fs::write(&path, edited).expect("edit");
}

#[test]
fn usage_mode_leaves_a_full_account_for_the_one_that_resets_soonest() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    usage_mode(&s, r#"["opus", "codex"]"#);
    let fake = Fake::start();
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((95, T0 + 2 * H)), Some((50, T0 + 3 * D)))),
    );
    fake.reply(
        "acct-alice",
        ok(answer(T0, Some((10, T0 + 4 * H)), Some((30, T0 + 5 * D)))),
    );
    fake.reply(
        "acct-bob",
        ok(answer(T0, Some((20, T0 + H)), Some((60, T0 + D)))),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["switch", "--explain"]);
    assert_eq!(
        run(c),
        "inputs:\n\
         \x20 now          2026-11-25T12:00:00Z\n\
         \x20 layout       sqlite (native)\n\
         \x20 current      anthropic/claude-opus-4-7@anthropic:me (default)\n\
         \x20 default      anthropic/claude-opus-4-7\n\
         \x20 fallbacks    anthropic/claude-opus-4-7\n\
         \x20 priority     opus, codex\n\
         \x20 last switch  none recorded\n\
         usage:\n\
         \x20 openai:alice  5h 10% (resets in 4h), weekly 30% (resets in 5d)\n\
         \x20 openai:bob    5h 20% (resets in 1h), weekly 60% (resets in 1d)\n\
         \x20 openai:work   5h 95% (resets in 2h), weekly 50% (resets in 3d)\n\
         candidates:\n\
         \x20 1. anthropic/claude-opus-4-7    rejected  cooldown         anthropic:me cooling down for 41m (current)\n\
         \x20 2. openai/gpt-5.5@openai:work   accepted  usage-high       openai:work 5h window at 95% (leaving at 90%); resets in 2h\n\
         \x20 3. openai/gpt-5.5@openai:alice  accepted  usable           openai:alice usable: 5h 10%, weekly 30%\n\
         * 4. openai/gpt-5.5@openai:bob    accepted  usable           openai:bob usable: 5h 20%, weekly 60%\n\
         decision: switch anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:bob: anthropic:me cooling down for 41m; openai:bob usable: 5h 20%, weekly 60%; resets soonest of the accounts with room (2026-11-26T12:00:00Z)\n\
         written: default model: set openai/gpt-5.5 (was anthropic/claude-opus-4-7)\n\
         written: order openai: openai:bob, openai:work, openai:alice (written directly (locked))\n\
         switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:bob: anthropic:me cooling down for 41m; openai:bob usable: 5h 20%, weekly 60%; resets soonest of the accounts with room (2026-11-26T12:00:00Z)\n"
    );
    assert_eq!(
        agent_setting(&s, "openai"),
        (
            "openai/gpt-5.5".to_string(),
            vec![
                "openai:bob".into(),
                "openai:work".into(),
                "openai:alice".into()
            ]
        )
    );
    assert_eq!(fake.seen().len(), 3);
    let state = state_json(&s);
    assert_eq!(state.get("usageLeft"), None, "work was never in use");
    assert_no_token(&s.read("clawshift/switch-state.json"));
}

#[test]
fn usage_mode_leaves_before_the_forecast_runs_out_and_returns_after_the_reset() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    usage_mode(&s, r#"["codex"]"#);
    let fake = Fake::start();
    // The recorded series: (time, work's 5h and weekly %, bob's 5h and weekly %). work's
    // 5-hour window resets at 15:00; bob's weekly one resets before alice's.
    let step = |t: i64, work: (i64, i64), bob: (i64, i64)| {
        let five = if t < T0 + 3 * H {
            T0 + 3 * H
        } else {
            T0 + 8 * H
        };
        fake.reply(
            "acct-work",
            ok(answer(t, Some((work.0, five)), Some((work.1, T0 + 3 * D)))),
        );
        fake.reply(
            "acct-alice",
            ok(answer(t, Some((5, T0 + 4 * H)), Some((20, T0 + 4 * D)))),
        );
        fake.reply(
            "acct-bob",
            ok(answer(
                t,
                Some((bob.0, T0 + 4 * H)),
                Some((bob.1, T0 + 2 * D)),
            )),
        );
    };
    // 12:00: work has room; the agent moves to it from Opus (not in the list).
    step(T0, (50, 10), (5, 20));
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("switch");
    assert_eq!(
        run(c),
        "switched anthropic/claude-opus-4-7@anthropic:me → openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7@anthropic:me is not in the priority list; openai:work usable: 5h 50%, weekly 10%\n"
    );
    // 12:10: 75 % (150 points an hour): it runs out at 12:20, by the next run. Leave
    // now, for bob, whose weekly window resets before alice's.
    step(T0 + 600, (75, 11), (5, 20));
    let mut c = at(&s, &fake, "2026-11-25T12:10:00Z");
    c.arg("switch");
    assert_eq!(
        run(c),
        "switched openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:bob: openai:work 5h window at 75%, +150%/h: runs out in 10m, before the next run; openai:bob usable: 5h 5%, weekly 20%; resets soonest of the accounts with room (2026-11-27T12:00:00Z)\n"
    );
    assert_eq!(
        state_json(&s)["usageLeft"],
        json!({"openai:work": {"at": 1795608600000_i64, "window": "5h", "resetAt": 1795618800000_i64, "percent": 75}})
    );
    // 12:20: work stopped burning (the agent left it) and looks fine by its figures, but
    // it waits for its 5-hour window to reset: no flapping back.
    step(T0 + 1200, (75, 11), (6, 20));
    let mut c = at(&s, &fake, "2026-11-25T12:20:00Z");
    c.args(["switch", "--explain"]);
    let text = run(c);
    assert!(
        text.contains("  openai:work   left for its 5h window; back after 2026-11-25T15:00:00Z\n"),
        "{text}"
    );
    assert!(
        text.contains("  1. openai/gpt-5.5@openai:work   accepted  usage-wait       openai:work was left for its 5h window; back after it resets in 2h 40m (now 5h 75%, weekly 11%)\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "decision: stay openai/gpt-5.5@openai:bob: openai:bob usable: 5h 6%, weekly 20%\n"
        ),
        "{text}"
    );
    // 15:01: the window has reset; back to the preferred account, once.
    step(T0 + 3 * H + 60, (0, 11), (30, 25));
    let mut c = at(&s, &fake, "2026-11-25T15:01:00Z");
    c.arg("switch");
    assert_eq!(
        run(c),
        "switched openai/gpt-5.5@openai:bob → openai/gpt-5.5@openai:work: openai:work usable: 5h 0%, weekly 11%; preferred over openai/gpt-5.5@openai:bob\n"
    );
    assert_eq!(state_json(&s).get("usageLeft"), None);
    step(T0 + 3 * H + 660, (3, 11), (30, 25));
    let mut c = at(&s, &fake, "2026-11-25T15:11:00Z");
    c.arg("switch");
    assert_eq!(run(c), "");
    assert_no_token(&s.read("clawshift/switch-state.json"));
    cache(&s);
}

#[test]
fn usage_mode_blocks_an_account_at_its_limit_until_the_reset() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    usage_mode(&s, r#"["codex"]"#);
    let fake = Fake::start();
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((100, T0 + 2 * H)), Some((70, T0 + 3 * D)))),
    );
    fake.reply(
        "acct-alice",
        ok(answer(T0, Some((60, T0 + H)), Some((100, T0 + 2 * D)))),
    );
    fake.reply(
        "acct-bob",
        ok(answer(T0, Some((97, T0 + 3 * H)), Some((50, T0 + 4 * D)))),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["switch", "--json"]);
    let v: Value = serde_json::from_str(&run(c)).expect("json");
    let rules: Vec<&str> = v["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["rule"].as_str().expect("rule"))
        .collect();
    assert_eq!(rules, ["usage-limit", "usage-limit", "usage-high"]);
    assert_eq!(v["candidates"][0]["ends_at"], 1795615200000_i64);
    // bob is nearly full but still has some room: better than nothing.
    assert_eq!(v["to"], "openai/gpt-5.5@openai:bob");
    assert_eq!(
        v["why"],
        "no account with room; the most room: openai:bob 5h window at 97% (leaving at 90%); resets in 3h"
    );
    assert_eq!(v["usage"]["openai:work"]["five_hour"]["used_percent"], 100);
    // Two nearly full accounts: no flapping for a few points of room...
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((93, T0 + 2 * H)), Some((70, T0 + 3 * D)))),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["--dry-run", "switch"]);
    assert_eq!(run(c), "");
    // ...but a move for more than five.
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((91, T0 + 2 * H)), Some((70, T0 + 3 * D)))),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["--dry-run", "switch"]);
    assert!(
        run(c).contains("dry-run: would notify: switched openai/gpt-5.5@openai:bob → openai/gpt-5.5@openai:work: openai:bob 5h window at 97% (leaving at 90%); resets in 3h; no account with room; the most room: openai:work 5h window at 91% (leaving at 90%); resets in 2h\n")
    );
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((100, T0 + 2 * H)), Some((70, T0 + 3 * D)))),
    );
    // Everything at its limit: the account whose limit resets first.
    fake.reply(
        "acct-bob",
        ok(answer(T0, Some((100, T0 + 3 * H)), Some((50, T0 + 4 * D)))),
    );
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["--dry-run", "switch"]);
    let text = run(c);
    assert!(
        text.contains("dry-run: would notify: switched openai/gpt-5.5@openai:bob → openai/gpt-5.5@openai:work: openai:bob out of its 5h limit (100%) for 3h; nothing usable; shortest wait: openai:work out of its 5h limit (100%) for 2h\n"),
        "{text}"
    );
}

#[test]
fn usage_mode_falls_back_to_openclaw_cooldowns_when_usage_is_unknown() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    usage_mode(&s, r#"["opus", "codex"]"#);
    let fake = Fake::start();
    fake.reply("acct-work", status(401));
    fake.reply("acct-alice", ok("{\"rate_limit\": {".into()));
    fake.reply("acct-bob", status(429));
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.args(["switch", "--explain"]);
    let text = run(c);
    assert!(
        text.contains(
            "usage:\n\
             \x20 openai:alice  unknown: the answer is not valid JSON (EOF while parsing an object at line 1 column 16)\n\
             \x20 openai:bob    unknown: HTTP 429 Too Many Requests: the usage endpoint is rate limiting; asked again on the next run\n\
             \x20 openai:work   unknown: HTTP 401 Unauthorized: the access token was refused (expired or revoked); OpenClaw refreshes it on its next use, clawshift never does\n\
             candidates:\n"
        ),
        "{text}"
    );
    // The same decision as with usage mode off.
    assert!(
        text.ends_with(
            "switched anthropic/claude-opus-4-7 → openai/gpt-5.5@openai:work: anthropic:me cooling down for 41m; openai:work usable (usage unknown)\n"
        ),
        "{text}"
    );
}

#[test]
fn usage_mode_replays_recorded_usage_with_each_snapshots_clock() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    usage_mode(&s, r#"["codex"]"#);
    let fake = Fake::start();
    // Record: a status and the readings at 12:00 and at 12:10, as a cron job would.
    let record = |now: &str| {
        let mut c = at(&s, &fake, now);
        c.args([
            "eval",
            r#"let st = models_status().to_map(); st.usage = usage(st.providers.openai.order); st"#,
        ]);
        run(c)
    };
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((60, T0 + 3 * H)), Some((10, T0 + 3 * D)))),
    );
    fake.reply(
        "acct-alice",
        ok(answer(T0, Some((5, T0 + 4 * H)), Some((20, T0 + 4 * D)))),
    );
    fake.reply(
        "acct-bob",
        ok(answer(T0, Some((5, T0 + 4 * H)), Some((20, T0 + 5 * D)))),
    );
    s.write("snaps/01.json", &record("2026-11-25T12:00:00Z"));
    let t = T0 + 600;
    fake.reply(
        "acct-work",
        ok(answer(t, Some((92, T0 + 3 * H)), Some((12, T0 + 3 * D)))),
    );
    fake.reply(
        "acct-alice",
        ok(answer(t, Some((5, T0 + 4 * H)), Some((20, T0 + 4 * D)))),
    );
    fake.reply(
        "acct-bob",
        ok(answer(t, Some((5, T0 + 4 * H)), Some((20, T0 + 5 * D)))),
    );
    s.write("snaps/02.json", &record("2026-11-25T12:10:00Z"));
    let seen = fake.seen().len();
    drop(fake);
    // Replayed without any network, at the recorded times.
    let out = s
        .cmd()
        .args(["switch", "--replay", "snaps"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "2026-11-25T12:00:00Z  01.json  switch anthropic/claude-opus-4-7@anthropic:me → openai/gpt-5.5@openai:work: anthropic/claude-opus-4-7@anthropic:me is not in the priority list; openai:work usable: 5h 60%, weekly 10%\n\
         2026-11-25T12:10:00Z  02.json  switch openai/gpt-5.5@openai:work → openai/gpt-5.5@openai:alice: openai:work 5h window at 92% (leaving at 90%); resets in 2h 50m; openai:alice usable: 5h 5%, weekly 20%; resets soonest of the accounts with room (2026-11-29T12:00:00Z)\n"
    );
    assert_eq!(seen, 6);
}

#[test]
fn a_damaged_cache_is_ignored_with_a_warning_and_rewritten() {
    let s = Sandbox::new();
    seed(&s, "opus-cooling");
    let fake = Fake::start();
    let p = s.write(
        "clawshift/usage-cache.json",
        "{\"version\": 1, \"profiles\": [",
    );
    // status reads the cache only, and says nothing about a damaged one.
    let mut c = at(&s, &fake, "2026-11-25T12:00:00Z");
    c.arg("status");
    assert!(!run(c).contains("USAGE"));
    fake.reply(
        "acct-work",
        ok(answer(T0, Some((40, T0 + 2 * H)), Some((12, T0 + 3 * D)))),
    );
    let out = at(&s, &fake, "2026-11-25T12:00:00Z")
        .args(["eval", r#"usage("openai:work").known"#])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "true\n");
    assert_eq!(
        stderr(&out),
        format!(
            "warning: usage: ignoring the usage cache `{}`: invalid type: sequence, expected a map at line 1 column 27; it is rewritten on the next reading\n",
            p.display()
        )
    );
    assert_eq!(
        cache(&s)["profiles"]["openai:work"]["readings"][0]["five_hour"]["used_percent"],
        40.0
    );
    assert_eq!(mode(&p), 0o600);
}
