//! `clawshift status [--json]`: profiles, order, cooldowns, expiry, current and default
//! model, layout and paths. Plain text (no colour, no box drawing) so it reads the same
//! in a terminal, a pipe or a cron mail; `--json` prints `models_status()`. No token is
//! ever shown.
//!
//! When usage mode has cached usage readings (`<state dir>/usage-cache.json`), a USAGE
//! column shows them per profile and `--json` adds a `usage` map; with nothing cached
//! the output is exactly what it was. `status` itself never calls the network.

use std::process::ExitCode;

use serde_json::Value;

use crate::error::Error;
use crate::host::Host;
use crate::model::{Profile, Status};
use crate::openclaw;
use crate::timefmt::{human_duration, iso};

pub fn run(host: &Host, json: bool) -> Result<ExitCode, Error> {
    let mut st = openclaw::status::native(host)?;
    let cached = crate::usage::cached(host);
    if !cached.is_empty() {
        st.usage = Some(cached.into_iter().collect());
    }
    // Notices a sink has not taken yet: shown until the next run delivers them.
    let pending = crate::api::notify::pending(host);
    if json {
        let mut v = serde_json::to_value(&st).map_err(|e| Error::Failure(e.to_string()))?;
        if !pending.is_empty()
            && let Value::Object(m) = &mut v
        {
            let list = serde_json::to_value(&pending).map_err(|e| Error::Failure(e.to_string()))?;
            m.insert("pending_notices".into(), list);
        }
        let text = serde_json::to_string_pretty(&v).map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
    } else {
        for line in render(&st) {
            host.println(&line)?;
        }
        for n in &pending {
            host.println(&format!(
                "Pending notice {} for {}: {} (last try: {})",
                iso(n.at),
                n.sinks.join(", "),
                n.text,
                n.why
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn i(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(Value::as_i64)
}

fn state_text(p: &Profile) -> (String, String) {
    let mut text = match p.state() {
        "usable" => "ok",
        s => s,
    }
    .to_string();
    if let Some(r) = &p.reason {
        text.push(':');
        text.push_str(r);
    }
    if let Some(m) = &p.model {
        text.push_str(&format!(" ({m} only)"));
    }
    let until = match (p.until, p.remaining_ms) {
        (Some(u), Some(r)) => format!("{} ({})", iso(u), human_duration(r)),
        _ => "-".into(),
    };
    (text, until)
}

fn expiry_text(p: &Profile) -> String {
    match p.expires_in_ms {
        Some(ms) if ms > 0 => format!("in {}", human_duration(ms)),
        Some(ms) => format!("{} ago", human_duration(ms.saturating_neg())),
        None => "-".into(),
    }
}

/// A cached usage reading in a few words: `5h 40%, weekly 12% (12m ago)`, a window
/// that has reset since as `5h reset`, or `unknown: <why>`.
fn usage_text(u: &Value, now: i64) -> String {
    let first = |r: &str| r.split("; ").next().unwrap_or_default().to_string();
    if u.get("known").and_then(Value::as_bool) != Some(true) {
        return format!("unknown: {}", first(s(u, "reason").unwrap_or("not read")));
    }
    let mut parts = Vec::new();
    for (key, label) in [("five_hour", "5h"), ("weekly", "weekly")] {
        let Some(w) = u.get(key).filter(|w| w.is_object()) else {
            continue;
        };
        if i(w, "reset_at").is_some_and(|t| t <= now) {
            parts.push(format!("{label} reset"));
        } else {
            let used = w.get("used_percent").map_or("?".into(), Value::to_string);
            parts.push(format!("{label} {used}%"));
        }
    }
    let mut text = parts.join(", ");
    if let Some(at) = i(u, "at") {
        text.push_str(&format!(" ({} ago)", human_duration(now - at)));
    }
    if let Some(e) = u.get("last_error").and_then(|e| s(e, "reason")) {
        text.push_str(&format!("; last read failed: {}", first(e)));
    }
    text
}

/// The text report, one line per element.
pub fn render(st: &Status) -> Vec<String> {
    let mut out = Vec::new();
    let path = |k: &str| st.paths.get(k).and_then(Value::as_str);
    let field = |out: &mut Vec<String>, name: &str, value: String| {
        out.push(format!("{name:<14}{value}"));
    };
    field(
        &mut out,
        "Layout",
        format!("{} (agent {})", st.layout, st.agent),
    );
    field(
        &mut out,
        "State dir",
        path("state_dir").unwrap_or("-").into(),
    );
    field(&mut out, "Config", path("config").unwrap_or("-").into());
    let store = path("store").unwrap_or("-");
    field(&mut out, "Auth store", store.into());
    if let Some(state) = path("state").filter(|x| *x != store) {
        field(&mut out, "Auth state", state.into());
    }
    if let Some(db) = path("agent_db").filter(|x| *x != store) {
        field(&mut out, "Agent store", db.into());
    }
    field(
        &mut out,
        "Default model",
        st.default_model.as_deref().unwrap_or("(not set)").into(),
    );
    field(
        &mut out,
        "Fallbacks",
        if st.fallbacks.is_empty() {
            "-".into()
        } else {
            st.fallbacks.join(", ")
        },
    );
    let mut current = format!(
        "{} ({})",
        st.current.as_deref().unwrap_or("(not set)"),
        match st.current_source.as_str() {
            "session" => "main session",
            _ => "default model",
        }
    );
    if let Some(p) = &st.current_profile {
        current.push_str(&format!(", profile {p}"));
    }
    field(&mut out, "Current model", current);

    let usage = st.usage.as_ref();
    for prov in &st.providers {
        out.push(String::new());
        let mut head = format!(
            "{}: order from {}",
            prov.id,
            prov.order_source.as_deref().unwrap_or("?")
        );
        if let Some(g) = &prov.last_good {
            head.push_str(&format!(", last good {g}"));
        }
        out.push(head);
        let usage_of = |p: &Profile| usage.and_then(|u| u.get(&*p.id));
        let with_usage = prov.profiles.iter().any(|p| usage_of(p).is_some());
        let mut rows: Vec<Vec<String>> = vec![vec![
            "#".into(),
            "PROFILE".into(),
            "ACCOUNT".into(),
            "EMAIL".into(),
            "STATE".into(),
            "UNTIL".into(),
            "EXPIRES".into(),
        ]];
        if with_usage {
            rows[0].push("USAGE".into());
        }
        for p in &prov.profiles {
            let (state, until) = state_text(p);
            let mut row = vec![
                p.position.map_or("-".into(), |n| n.to_string()),
                p.id.to_string(),
                p.identity.account_id().unwrap_or("-").to_string(),
                p.identity.email().unwrap_or("-").to_string(),
                state,
                until,
                expiry_text(p),
            ];
            if with_usage {
                row.push(usage_of(p).map_or("-".into(), |u| usage_text(u, st.now)));
            }
            rows.push(row);
        }
        let mut widths = vec![0usize; rows[0].len()];
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r.iter()) {
                *w = (*w).max(c.chars().count());
            }
        }
        for r in &rows {
            let mut line = String::from("  ");
            for (k, (c, w)) in r.iter().zip(widths.iter()).enumerate() {
                if k + 1 == r.len() {
                    line.push_str(c);
                } else {
                    line.push_str(&format!("{c:<w$}  "));
                }
            }
            out.push(line.trim_end().to_string());
        }
    }
    if st.providers.is_empty() {
        out.push(String::new());
        out.push("No auth profiles yet: add one with `clawshift add-profile <name>`.".into());
    }
    for w in &st.warnings {
        out.push(String::new());
        out.push(format!("warning: {w}"));
    }
    out
}
