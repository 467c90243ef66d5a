//! The ChatGPT usage windows of Codex accounts: read from the endpoint Codex itself
//! uses (`GET <base>/wham/usage` with the account's own access token), cached in the
//! state dir with their time, and turned into a forecast (burn rate, time to
//! exhaustion). Only `usage()` in a script ever calls the network; `status` reads the
//! cache.
//!
//! Rules this module keeps:
//! - A token is sent only to the ChatGPT base URL (https, or http to loopback for
//!   tests), only for an `openai`/`openai-codex` profile, and never refreshed: an
//!   expired access token makes the profile's usage "unknown", with the reason.
//! - Nothing here panics or hangs on bad input: every failure (endpoint down, 401,
//!   403, 429, malformed JSON, a missing window, clock skew, a slow answer) becomes
//!   "unknown" with a reason; requests run at most `MAX_PARALLEL` at a time, each
//!   within its timeout and all within the run's remaining time.
//! - The cache (`<state dir>/usage-cache.json`, 0600, atomic) holds figures, times,
//!   account ids and reasons, never a token.
//!
//! Windows are told apart by `limit_window_seconds` (18000 = 5 hours, 604800 = a
//! week), not by `primary`/`secondary`: a 2026 change briefly left only the weekly one.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::timefmt::{human_duration, iso};

pub const BASE_URL_VAR: &str = "CLAWSHIFT_CHATGPT_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api";
pub const CACHE_FILE: &str = "usage-cache.json";
pub const FIVE_HOUR_SECS: i64 = 18_000;
pub const WEEKLY_SECS: i64 = 604_800;
/// Each request's deadline unless the script asks for another (1 to `MAX_TIMEOUT_SECS`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_TIMEOUT_SECS: i64 = 30;
/// Requests in flight at once.
pub const MAX_PARALLEL: usize = 4;
/// Readings kept per profile: two hours at the stock ten-minute interval.
const KEEP_READINGS: usize = 12;
/// How far the server's reset time may disagree with this machine's clock, and how
/// far a window's reset time may move while still being the same window.
const SKEW_MS: i64 = 5 * 60_000;
/// Two readings closer than this give no burn rate (too noisy).
const MIN_SPAN_MS: i64 = 60_000;
const MAX_BODY: u64 = 1 << 20;

/// Which window: told by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FiveHour,
    Weekly,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::FiveHour => "five_hour",
            Kind::Weekly => "weekly",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::FiveHour => "5h",
            Kind::Weekly => "weekly",
        }
    }

    fn of(r: &Reading, k: Kind) -> Option<&Window> {
        match k {
            Kind::FiveHour => r.five_hour.as_ref(),
            Kind::Weekly => r.weekly.as_ref(),
        }
    }
}

/// One window as read: percent used, its length, and when it resets (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub used_percent: f64,
    pub limit_window_seconds: i64,
    pub reset_at: i64,
}

/// One successful reading of an account's usage, at `at` (ms, this machine's clock).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub five_hour: Option<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly: Option<Window>,
    #[serde(default)]
    pub limit_reached: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub at: i64,
    pub reason: String,
}

/// What the cache remembers of one profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Oldest first.
    #[serde(default)]
    pub readings: Vec<Reading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Failure>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cache {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub profiles: BTreeMap<String, Entry>,
}

/// How `read` may get the figures.
#[derive(Debug, Clone)]
pub struct Options {
    /// Call the endpoint (otherwise: the cache only).
    pub network: bool,
    /// Reuse a cached reading at most this old instead of calling (0: always call).
    pub max_age_ms: i64,
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            network: true,
            max_age_ms: 0,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

// ---------------------------------------------------------------------------------
// Parsing the answer

/// Parses the endpoint's answer, read at `at` (ms). Any problem that leaves no usable
/// window is an error (a reason for "unknown"); a missing or unknown window is a note.
pub fn parse(body: &[u8], at: i64) -> Result<Reading, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not valid JSON ({e})"))?;
    let Value::Object(obj) = v else {
        return Err("the answer is not a JSON object".into());
    };
    let rl = match obj.get("rate_limit") {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => return Err("the answer has no `rate_limit`".into()),
        Some(_) => return Err("`rate_limit` in the answer is not an object".into()),
    };
    let mut r = Reading {
        at,
        five_hour: None,
        weekly: None,
        limit_reached: rl.get("limit_reached").and_then(Value::as_bool) == Some(true)
            || rl.get("allowed").and_then(Value::as_bool) == Some(false),
        plan: obj
            .get("plan_type")
            .and_then(Value::as_str)
            .map(str::to_string),
        notes: Vec::new(),
    };
    for key in ["primary_window", "secondary_window"] {
        let w = match rl.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(w)) => window(key, w, at)?,
            Some(_) => return Err(format!("`rate_limit.{key}` is not an object")),
        };
        let slot = match w.limit_window_seconds {
            FIVE_HOUR_SECS => &mut r.five_hour,
            WEEKLY_SECS => &mut r.weekly,
            other => {
                r.notes.push(format!(
                    "ignored `{key}`: a window of {other} s is neither 5 hours nor a week"
                ));
                continue;
            }
        };
        // Two windows of one length: the fuller one is the one that binds.
        if slot
            .as_ref()
            .is_none_or(|old| old.used_percent < w.used_percent)
        {
            *slot = Some(w);
        }
    }
    match (&r.five_hour, &r.weekly) {
        (None, None) => {
            return Err(
                "the answer has neither a 5-hour (18000 s) nor a weekly (604800 s) window".into(),
            );
        }
        (None, Some(_)) => r.notes.push("no 5-hour window in the answer".into()),
        (Some(_), None) => r.notes.push("no weekly window in the answer".into()),
        _ => {}
    }
    Ok(r)
}

fn window(key: &str, w: &Map<String, Value>, at: i64) -> Result<Window, String> {
    let n = |k: &str| w.get(k).and_then(Value::as_f64).filter(|x| x.is_finite());
    let used = n("used_percent")
        .ok_or_else(|| format!("`rate_limit.{key}` has no numeric `used_percent`"))?;
    if !(0.0..=1000.0).contains(&used) {
        return Err(format!(
            "`rate_limit.{key}.used_percent` is {used}, not a percentage"
        ));
    }
    let secs = n("limit_window_seconds")
        .filter(|s| *s >= 1.0 && *s <= 1e9)
        .ok_or_else(|| format!("`rate_limit.{key}` has no valid `limit_window_seconds`"))?
        as i64;
    let label = match secs {
        FIVE_HOUR_SECS => "5h".to_string(),
        WEEKLY_SECS => "weekly".to_string(),
        s => format!("{s} s"),
    };
    let reset_at = n("reset_at")
        .filter(|s| (0.0..1e11).contains(s))
        .map(|s| (s * 1000.0) as i64);
    let by_countdown = n("reset_after_seconds")
        .filter(|s| (0.0..1e9).contains(s))
        .map(|s| at + (s * 1000.0) as i64);
    let reset = match (reset_at, by_countdown) {
        (Some(r), Some(c)) => {
            if (r - c).abs() > SKEW_MS {
                let side = if c > r { "ahead of" } else { "behind" };
                return Err(format!(
                    "clock skew: this machine's clock ({}) is {} {side} the usage server's (its {label} window resets at {} by the server's time, in {} by the answer's countdown); set the clock right (e.g. NTP)",
                    iso(at),
                    human_duration((r - c).abs()),
                    iso(r),
                    human_duration(c - at)
                ));
            }
            r
        }
        (Some(r), None) => {
            if r < at - SKEW_MS {
                return Err(format!(
                    "clock skew or a stale answer: the {label} window's reset time {} is {} before this machine's clock ({})",
                    iso(r),
                    human_duration(at - r),
                    iso(at)
                ));
            }
            if r > at + secs * 1000 + SKEW_MS {
                return Err(format!(
                    "clock skew: the {label} window's reset time {} is more than one window ({}) after this machine's clock ({})",
                    iso(r),
                    human_duration(secs * 1000),
                    iso(at)
                ));
            }
            r
        }
        (None, Some(c)) => c,
        (None, None) => {
            return Err(format!(
                "`rate_limit.{key}` has neither `reset_at` nor `reset_after_seconds`"
            ));
        }
    };
    Ok(Window {
        used_percent: used,
        limit_window_seconds: secs,
        reset_at: reset,
    })
}

// ---------------------------------------------------------------------------------
// Forecast

/// The burn rate of one window and when it runs out at that rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// Percentage points per hour, between the latest reading and the newest earlier
    /// one at least a minute older in the same window; `None` without such a pair.
    pub burn_per_hour: Option<f64>,
    /// When the window reaches 100 % at that rate; `None` when it is not burning or
    /// resets first. A window already at 100 % ran out at its reading.
    pub exhausts_at: Option<i64>,
}

/// Forecasts window `kind` of the last reading in `series` (oldest first).
pub fn forecast(series: &[Reading], kind: Kind) -> Forecast {
    let mut with = series
        .iter()
        .rev()
        .filter_map(|r| Some((r.at, Kind::of(r, kind)?)));
    let Some((at, latest)) = with.next() else {
        return Forecast {
            burn_per_hour: None,
            exhausts_at: None,
        };
    };
    let mut rate = None;
    for (t, w) in with {
        let same_window = (w.reset_at - latest.reset_at).abs() <= SKEW_MS
            && w.used_percent <= latest.used_percent;
        if !same_window || t > at {
            // The window reset in between (or the clock went back): no rate.
            break;
        }
        if at - t >= MIN_SPAN_MS {
            rate = Some((latest.used_percent - w.used_percent) * 3_600_000.0 / (at - t) as f64);
            break;
        }
    }
    let exhausts_at = if latest.used_percent >= 100.0 {
        Some(at)
    } else {
        rate.filter(|r| *r > 0.0).and_then(|r| {
            let t = at + ((100.0 - latest.used_percent) / r * 3_600_000.0) as i64;
            (t < latest.reset_at).then_some(t)
        })
    };
    Forecast {
        burn_per_hour: rate.map(|r| (r * 10.0).round() / 10.0),
        exhausts_at,
    }
}

// ---------------------------------------------------------------------------------
// Values handed to scripts and to `status`

/// A number as JSON: whole numbers as integers, so `40` reads as `40`, not `40.0`.
fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn window_value(series: &[Reading], r: &Reading, kind: Kind, now: i64) -> Value {
    let Some(w) = Kind::of(r, kind) else {
        return Value::Null;
    };
    let f = forecast(series, kind);
    json!({
        "used_percent": num(w.used_percent),
        "limit_window_seconds": w.limit_window_seconds,
        "reset_at": w.reset_at,
        "resets_in_ms": w.reset_at - now,
        "burn_per_hour": f.burn_per_hour.map_or(Value::Null, num),
        "exhausts_at": f.exhausts_at,
        "exhausts_in_ms": f.exhausts_at.map(|t| t - now),
    })
}

/// The script's view of a reading: `series` ends with `r`.
fn known_value(
    id: &str,
    entry: &Entry,
    series: &[Reading],
    r: &Reading,
    source: &str,
    now: i64,
) -> Value {
    let last_error = entry
        .last_error
        .as_ref()
        .filter(|e| e.at > r.at)
        .map_or(Value::Null, |e| json!({"at": e.at, "reason": e.reason}));
    json!({
        "id": id,
        "known": true,
        "reason": null,
        "source": source,
        "at": r.at,
        "age_ms": now - r.at,
        "account_id": entry.account_id,
        "plan": r.plan,
        "limit_reached": r.limit_reached,
        "five_hour": window_value(series, r, Kind::FiveHour, now),
        "weekly": window_value(series, r, Kind::Weekly, now),
        "notes": r.notes,
        "last_error": last_error,
    })
}

fn unknown_value(id: &str, reason: &str) -> Value {
    json!({
        "id": id,
        "known": false,
        "reason": reason,
        "source": null,
        "at": null,
        "age_ms": null,
        "account_id": null,
        "plan": null,
        "limit_reached": null,
        "five_hour": null,
        "weekly": null,
        "notes": [],
        "last_error": null,
    })
}

/// The newest reading of an entry that is not in the future (a clock set back makes
/// later readings meaningless), with the series up to it.
fn latest(entry: &Entry, now: i64) -> Option<(&[Reading], &Reading)> {
    let n = entry.readings.iter().rposition(|r| r.at <= now)?;
    let series = &entry.readings[..=n];
    Some((series, &series[n]))
}

// ---------------------------------------------------------------------------------
// The cache

fn cache_path(host: &Host) -> std::path::PathBuf {
    host.state_dir.join(CACHE_FILE)
}

/// The cache as read, with a warning when it could not be used.
pub struct Loaded {
    pub cache: Cache,
    pub warning: Option<String>,
    /// False when the file could not be read at all (a FIFO, a device, too big,
    /// unreadable): it is then left alone rather than replaced.
    pub writable: bool,
}

/// Reads the cache; a missing file is empty. A damaged one is ignored (it is only a
/// cache: the next write replaces it) and `warning` says why. One that cannot be read
/// (not a regular file, too big) is ignored and left as it is.
pub fn load_cache(host: &Host) -> Loaded {
    let p = cache_path(host);
    let (cache, warning, writable) = match files::read_optional(&p) {
        Ok(None) => (Cache::default(), None, true),
        Ok(Some(bytes)) => match serde_json::from_slice::<Cache>(&bytes) {
            Ok(c) => (c, None, true),
            Err(e) => (
                Cache::default(),
                Some(format!(
                    "ignoring the usage cache `{}`: {e}; it is rewritten on the next reading",
                    p.display()
                )),
                true,
            ),
        },
        Err(e) => (
            Cache::default(),
            Some(format!("{e}; the usage cache is not used or updated")),
            false,
        ),
    };
    Loaded {
        cache,
        warning,
        writable,
    }
}

fn save_cache(host: &Host, cache: &Cache) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(cache)
        .map_err(|e| Error::Failure(format!("cannot serialize the usage cache: {e}")))?;
    text.push('\n');
    host.check_deadline("update the usage cache")?;
    files::private_dir(&host.state_dir)?;
    files::atomic_write(&cache_path(host), text.as_bytes(), 0o600)
}

/// Every profile the cache knows, as `usage()` would return it from the cache alone
/// (for `status`). No network, no credentials.
pub fn cached(host: &Host) -> BTreeMap<String, Value> {
    let now = host.now_ms();
    let loaded = load_cache(host);
    if !loaded.writable
        && let Some(w) = &loaded.warning
    {
        eprintln!("warning: usage: {w}");
    }
    loaded
        .cache
        .profiles
        .iter()
        .map(|(id, e)| (id.clone(), from_cache(id, e, now)))
        .collect()
}

fn from_cache(id: &str, e: &Entry, now: i64) -> Value {
    match latest(e, now) {
        Some((series, r)) => known_value(id, e, series, r, "cache", now),
        None => match &e.last_error {
            Some(f) => unknown_value(id, &f.reason),
            None => unknown_value(
                id,
                &format!("nothing cached for `{id}`: usage() has not read it yet"),
            ),
        },
    }
}

// ---------------------------------------------------------------------------------
// Reading: credentials, the endpoint, the requests

/// `<base>/wham/usage`, or `<base>/api/codex/usage` for a base without
/// `/backend-api` (as Codex does). Refuses anything that would send a token in the
/// clear: https, or plain http to this machine only.
pub fn endpoint(base: &str) -> Result<String, String> {
    let base = base.trim().trim_end_matches('/');
    let lower = base.to_ascii_lowercase();
    let ok = if let Some(rest) = lower.strip_prefix("https://") {
        !rest.is_empty()
    } else if let Some(rest) = lower.strip_prefix("http://") {
        let hostport = rest.split('/').next().unwrap_or_default();
        let host = if let Some(v6) = hostport.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            hostport.split(':').next().unwrap_or_default()
        };
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    } else {
        false
    };
    if !ok {
        return Err(format!(
            "{BASE_URL_VAR} `{base}` is neither https nor http to this machine (127.0.0.1, localhost); an account's token is never sent in the clear"
        ));
    }
    Ok(if base.contains("/backend-api") {
        format!("{base}/wham/usage")
    } else {
        format!("{base}/api/codex/usage")
    })
}

fn text(cred: &Value, k: &str) -> Option<String> {
    cred.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn millis(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// True for the providers whose OAuth profiles are ChatGPT sign-ins: the only
/// profiles whose token may go to the ChatGPT endpoint.
fn is_chatgpt(id: &str, cred: &Value) -> bool {
    let provider = text(cred, "provider")
        .unwrap_or_else(|| id.split(':').next().unwrap_or_default().to_string());
    provider == "openai" || provider == "openai-codex"
}

/// The access token and account id to read a ChatGPT profile's usage with, or why
/// there are none.
fn credentials_for(id: &str, cred: &Value, now: i64) -> Result<(String, String), String> {
    let Some(access) = text(cred, "access") else {
        return Err(format!(
            "`{id}` has no OAuth access token (it is not a ChatGPT sign-in), so its usage cannot be read"
        ));
    };
    let jwt = crate::jwt::decode(&access).ok();
    let expires =
        millis(cred.get("expires")).or_else(|| jwt.as_ref()?.exp.map(|s| s.saturating_mul(1000)));
    if let Some(e) = expires.filter(|e| *e <= now) {
        return Err(format!(
            "the access token expired {} ago; clawshift never refreshes tokens (OpenClaw refreshes it on its next use)",
            human_duration(now - e)
        ));
    }
    let account = text(cred, "accountId")
        .or_else(|| jwt.as_ref()?.account_id.clone())
        .ok_or_else(|| {
            format!("`{id}` has no ChatGPT account id (`accountId`, or in its token)")
        })?;
    Ok((access, account))
}

/// What one request gave: the body of a 2xx answer, or why there is none.
type Answer = Result<Vec<u8>, String>;

struct Job {
    slot: usize,
    url: String,
    access: String,
    account_id: String,
}

fn status_reason(code: u16) -> String {
    match code {
        401 => "HTTP 401 Unauthorized: the access token was refused (expired or revoked); OpenClaw refreshes it on its next use, clawshift never does".into(),
        403 => "HTTP 403 Forbidden: this account may not read its usage (plan or workspace)".into(),
        429 => "HTTP 429 Too Many Requests: the usage endpoint is rate limiting; asked again on the next run".into(),
        300..=399 => format!("HTTP {code}: the usage endpoint redirected; clawshift does not follow redirects with a token"),
        500..=599 => format!("HTTP {code}: the usage endpoint is failing; asked again on the next run"),
        _ => format!("HTTP {code} from the usage endpoint"),
    }
}

fn error_reason(e: ureq::Error, url: &str, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!(
            "no answer from {url} within {}",
            human_duration(timeout.as_millis() as i64)
        ),
        ureq::Error::HostNotFound => format!("cannot resolve the host of {url}"),
        ureq::Error::ConnectionFailed => format!("cannot connect to {url}"),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => format!(
                "no answer from {url} within {}",
                human_duration(timeout.as_millis() as i64)
            ),
            _ => format!("cannot reach {url}: {io}"),
        },
        ureq::Error::BodyExceedsLimit(_) => {
            format!(
                "the answer from {url} is larger than {} KiB",
                MAX_BODY / 1024
            )
        }
        other => format!("request to {url} failed: {other}"),
    }
}

fn get(agent: &ureq::Agent, job: &Job, timeout: Duration) -> Answer {
    // No error text names the token, but a reason must never be able to carry it.
    send(agent, job, timeout).map_err(|e| e.replace(&job.access, "<token>"))
}

fn send(agent: &ureq::Agent, job: &Job, timeout: Duration) -> Answer {
    let mut resp = agent
        .get(&job.url)
        .header("Authorization", &format!("Bearer {}", job.access))
        .header("ChatGPT-Account-Id", &job.account_id)
        .header("Accept", "application/json")
        .config()
        .timeout_global(Some(timeout))
        .build()
        .call()
        .map_err(|e| error_reason(e, &job.url, timeout))?;
    let code = resp.status().as_u16();
    if !(200..300).contains(&code) {
        return Err(status_reason(code));
    }
    resp.body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| error_reason(e, &job.url, timeout))
}

/// Runs the jobs at most `MAX_PARALLEL` at a time, each within `timeout` and all
/// within `budget`; a job that would start after the budget is spent is not sent.
fn run_jobs(
    jobs: Vec<Job>,
    slots: usize,
    timeout: Duration,
    budget: Duration,
    proxy: Option<ureq::Proxy>,
) -> Vec<Option<Answer>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .user_agent(format!("clawshift/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let deadline = Instant::now() + budget;
    let workers = jobs.len().min(MAX_PARALLEL);
    let queue = Mutex::new(VecDeque::from(jobs));
    let results: Mutex<Vec<Option<Answer>>> = Mutex::new(vec![None; slots]);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let job = match queue.lock() {
                        Ok(mut q) => q.pop_front(),
                        Err(p) => p.into_inner().pop_front(),
                    };
                    let Some(job) = job else { break };
                    let left = deadline.saturating_duration_since(Instant::now());
                    let r = if left < Duration::from_millis(200) {
                        Err("not asked: the run's time budget (--timeout) was used up".into())
                    } else {
                        get(&agent, &job, timeout.min(left))
                    };
                    match results.lock() {
                        Ok(mut v) => v[job.slot] = Some(r),
                        Err(p) => p.into_inner()[job.slot] = Some(r),
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// The proxy for https requests, as curl reads it (through `Host`); none for
/// loopback test servers.
fn proxy(host: &Host, url: &str) -> Option<ureq::Proxy> {
    if !url.to_ascii_lowercase().starts_with("https://") {
        return None;
    }
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|k| host.var(k).filter(|v| !v.is_empty()))
        .and_then(|p| ureq::Proxy::new(p).ok())
}

/// Reads the usage of `ids` (each once, in order): from the cache when a young enough
/// reading is there or `network` is off, else from the endpoint. Returns one value
/// per id (`known: false` with a `reason` when there are no figures). Updates the
/// cache unless `--dry-run`. Never fails for one profile's sake.
pub fn read(host: &Host, ids: &[String], opts: &Options) -> Vec<(String, Value)> {
    let now = host.now_ms();
    let Loaded {
        mut cache,
        warning,
        writable,
    } = load_cache(host);
    if let Some(w) = warning {
        eprintln!("warning: usage: {w}");
    }
    let before = cache.clone();
    let mut ids_once: Vec<String> = Vec::new();
    for id in ids {
        if !ids_once.contains(id) {
            ids_once.push(id.clone());
        }
    }
    let mut out: Vec<(String, Option<Value>)> =
        ids_once.iter().map(|id| (id.clone(), None)).collect();

    let base = host
        .var(BASE_URL_VAR)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_BASE_URL)
        .to_string();
    let creds = if opts.network {
        Some(crate::openclaw::stored_credentials(host).map_err(|e| e.to_string()))
    } else {
        None
    };
    let mut jobs = Vec::new();
    let mut accounts: Vec<Option<String>> = vec![None; out.len()];
    for (slot, (id, value)) in out.iter_mut().enumerate() {
        let entry = cache.profiles.get(id.as_str());
        let fresh = entry.and_then(|e| {
            latest(e, now)
                .filter(|(_, r)| opts.max_age_ms > 0 && now - r.at <= opts.max_age_ms)
                .map(|(s, r)| known_value(id, e, s, r, "cache", now))
        });
        let creds = match &creds {
            None => {
                *value = Some(match entry {
                    Some(e) => from_cache(id, e, now),
                    None => unknown_value(
                        id,
                        &format!("nothing cached for `{id}`: usage() has not read it yet"),
                    ),
                });
                continue;
            }
            Some(Err(e)) => {
                *value = Some(unknown_value(
                    id,
                    &format!("cannot read the auth store: {e}"),
                ));
                continue;
            }
            Some(Ok(c)) => c,
        };
        let Some(cred) = creds.get(id.as_str()) else {
            *value = Some(unknown_value(
                id,
                &format!("no profile `{id}` in the auth store"),
            ));
            continue;
        };
        if !is_chatgpt(id, cred) {
            *value = Some(unknown_value(
                id,
                &format!(
                    "`{id}` is not a ChatGPT (openai / openai-codex) profile; its token is never sent to ChatGPT"
                ),
            ));
            continue;
        }
        let prepared = credentials_for(id, cred, now)
            .and_then(|(access, account)| Ok((access, account, endpoint(&base)?)));
        match prepared {
            Err(reason) => {
                let e = cache.profiles.entry(id.clone()).or_default();
                e.last_error = Some(Failure {
                    at: now,
                    reason: reason.clone(),
                });
                *value = Some(unknown_value(id, &reason));
            }
            Ok((access, account, url)) => {
                let same_account = entry.is_none_or(|e| e.account_id.as_deref() == Some(&account));
                if let Some(v) = fresh.filter(|_| same_account) {
                    *value = Some(v);
                    continue;
                }
                accounts[slot] = Some(account.clone());
                jobs.push(Job {
                    slot,
                    url,
                    access,
                    account_id: account,
                });
            }
        }
    }

    if !jobs.is_empty() {
        let p = proxy(host, &jobs[0].url);
        let budget = host.remaining().saturating_sub(Duration::from_millis(500));
        // `clawshift simulate` answers for the endpoint; everything after the request
        // (parsing, the cache, the forecast) is the same.
        let simulated = jobs
            .first()
            .is_some_and(|j| host.simulated_usage(&j.account_id).is_some())
            .then(|| {
                let mut v: Vec<Option<Answer>> = vec![None; out.len()];
                for j in &jobs {
                    v[j.slot] = host.simulated_usage(&j.account_id);
                }
                v
            });
        let results = match simulated {
            Some(v) => v,
            None => run_jobs(jobs, out.len(), opts.timeout, budget, p),
        };
        for (slot, result) in results.into_iter().enumerate() {
            let Some(result) = result else { continue };
            let (id, value) = &mut out[slot];
            let entry = cache.profiles.entry(id.clone()).or_default();
            match result.and_then(|body| parse(&body, now)) {
                Ok(reading) => {
                    if entry.account_id != accounts[slot] {
                        // Another account behind the same name: its history says nothing.
                        entry.readings.clear();
                        entry.account_id = accounts[slot].clone();
                    }
                    entry.readings.retain(|r| r.at < now);
                    entry.readings.push(reading);
                    let excess = entry.readings.len().saturating_sub(KEEP_READINGS);
                    entry.readings.drain(..excess);
                    entry.last_error = None;
                    let series = &entry.readings[..];
                    if let Some(r) = series.last() {
                        *value = Some(known_value(id, entry, series, r, "live", now));
                    }
                }
                Err(reason) => {
                    entry.last_error = Some(Failure {
                        at: now,
                        reason: reason.clone(),
                    });
                    *value = Some(unknown_value(id, &reason));
                }
            }
        }
    }

    if cache != before && !host.dry_run && writable {
        cache.version = 1;
        if let Err(e) = save_cache(host, &cache) {
            eprintln!("warning: usage: {e}");
        }
    }
    out.into_iter()
        .map(|(id, v)| {
            let v = v.unwrap_or_else(|| unknown_value(&id, "not read"));
            (id, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: i64 = 1_795_608_000_000; // 2026-11-25T12:00:00Z

    fn answer(five: Option<(f64, i64)>, week: Option<(f64, i64)>) -> Vec<u8> {
        let w = |x: Option<(f64, i64)>, secs: i64| match x {
            Some((used, after)) => json!({
                "used_percent": used,
                "limit_window_seconds": secs,
                "reset_after_seconds": after,
                "reset_at": AT / 1000 + after,
            }),
            None => Value::Null,
        };
        json!({
            "plan_type": "plus",
            "rate_limit": {
                "allowed": true,
                "limit_reached": false,
                "primary_window": w(five, FIVE_HOUR_SECS),
                "secondary_window": w(week, WEEKLY_SECS),
            }
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn windows_are_told_apart_by_length_not_position() {
        let body = json!({"rate_limit": {
            "primary_window": {"used_percent": 7, "limit_window_seconds": WEEKLY_SECS, "reset_after_seconds": 3600},
            "secondary_window": {"used_percent": 40, "limit_window_seconds": FIVE_HOUR_SECS, "reset_after_seconds": 600},
        }})
        .to_string();
        let r = parse(body.as_bytes(), AT).expect("parses");
        assert_eq!(r.weekly.as_ref().map(|w| w.used_percent), Some(7.0));
        assert_eq!(r.five_hour.as_ref().map(|w| w.reset_at), Some(AT + 600_000));
        assert!(r.notes.is_empty());
    }

    #[test]
    fn a_missing_window_is_a_note_and_no_window_is_an_error() {
        let r = parse(&answer(None, Some((12.0, 3600))), AT).expect("parses");
        assert_eq!(r.notes, ["no 5-hour window in the answer"]);
        assert_eq!(
            parse(&answer(None, None), AT),
            Err("the answer has neither a 5-hour (18000 s) nor a weekly (604800 s) window".into())
        );
        assert_eq!(
            parse(
                b"{\"rate_limit\": {\"primary_window\": {\"used_percent\": 5}",
                AT
            ),
            Err(
                "the answer is not valid JSON (EOF while parsing an object at line 1 column 53)"
                    .into()
            )
        );
    }

    #[test]
    fn reset_times_that_disagree_with_the_clock_are_skew() {
        let body = json!({"rate_limit": {"primary_window": {
            "used_percent": 7, "limit_window_seconds": FIVE_HOUR_SECS,
            "reset_after_seconds": 3600, "reset_at": AT / 1000 + 3600 - 1200,
        }}})
        .to_string();
        let e = parse(body.as_bytes(), AT).expect_err("skew");
        assert!(e.starts_with("clock skew: this machine's clock (2026-11-25T12:00:00Z) is 20m ahead of the usage server's"), "{e}");
    }

    fn reading(at_min: i64, used: f64) -> Reading {
        Reading {
            at: AT + at_min * 60_000,
            five_hour: Some(Window {
                used_percent: used,
                limit_window_seconds: FIVE_HOUR_SECS,
                reset_at: AT + 3 * 3_600_000,
            }),
            weekly: None,
            limit_reached: false,
            plan: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn forecast_uses_the_last_two_readings_of_the_same_window() {
        let series = [reading(0, 10.0), reading(10, 50.0), reading(20, 60.0)];
        let f = forecast(&series, Kind::FiveHour);
        assert_eq!(f.burn_per_hour, Some(60.0));
        assert_eq!(f.exhausts_at, Some(AT + 60 * 60_000));
        // Not burning: no exhaustion; one reading: no rate.
        let f = forecast(&[reading(0, 60.0), reading(10, 60.0)], Kind::FiveHour);
        assert_eq!((f.burn_per_hour, f.exhausts_at), (Some(0.0), None));
        let f = forecast(&[reading(0, 60.0)], Kind::FiveHour);
        assert_eq!((f.burn_per_hour, f.exhausts_at), (None, None));
        // Would run out only after the reset: no exhaustion.
        let f = forecast(&[reading(0, 10.0), reading(60, 20.0)], Kind::FiveHour);
        assert_eq!((f.burn_per_hour, f.exhausts_at), (Some(10.0), None));
        // A reset in between (usage fell): no rate.
        let f = forecast(&[reading(0, 80.0), reading(10, 5.0)], Kind::FiveHour);
        assert_eq!(f.burn_per_hour, None);
    }

    #[test]
    fn only_https_or_loopback_gets_a_token() {
        assert_eq!(
            endpoint("https://chatgpt.com/backend-api/").as_deref(),
            Ok("https://chatgpt.com/backend-api/wham/usage")
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8080").as_deref(),
            Ok("http://127.0.0.1:8080/api/codex/usage")
        );
        assert!(endpoint("http://[::1]:9/backend-api").is_ok());
        assert!(endpoint("http://example.com/backend-api").is_err());
        assert!(endpoint("http://127.0.0.1.example.com/").is_err());
        assert!(endpoint("ftp://x").is_err());
    }
}
