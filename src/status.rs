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

use crate::api::sys::{human_duration, iso};
use crate::error::Error;
use crate::host::Host;
use crate::openclaw;

pub fn run(host: &Host, json: bool) -> Result<ExitCode, Error> {
    let mut st = openclaw::status::native(host)?;
    let cached = crate::usage::cached(host);
    if !cached.is_empty()
        && let Value::Object(m) = &mut st
    {
        m.insert("usage".into(), Value::Object(cached.into_iter().collect()));
    }
    // Notices a sink has not taken yet: shown until the next run delivers them.
    let pending = crate::api::notify::pending(host);
    if !pending.is_empty()
        && let Value::Object(m) = &mut st
    {
        let list = serde_json::to_value(&pending).map_err(|e| Error::Failure(e.to_string()))?;
        m.insert("pending_notices".into(), list);
    }
    if json {
        let text = serde_json::to_string_pretty(&st).map_err(|e| Error::Failure(e.to_string()))?;
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

fn state_text(p: &Value) -> (String, String) {
    let Some(kind) = s(p, "kind") else {
        return ("ok".into(), "-".into());
    };
    let mut text = kind.to_string();
    if let Some(r) = s(p, "reason") {
        text.push(':');
        text.push_str(r);
    }
    if let Some(m) = s(p, "model") {
        text.push_str(&format!(" ({m} only)"));
    }
    let until = match (i(p, "until"), i(p, "remaining_ms")) {
        (Some(u), Some(r)) => format!("{} ({})", iso(u), human_duration(r)),
        _ => "-".into(),
    };
    (text, until)
}

fn expiry_text(p: &Value) -> String {
    match i(p, "expires_in_ms") {
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
pub fn render(st: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let paths = st.get("paths").cloned().unwrap_or(Value::Null);
    let field = |out: &mut Vec<String>, name: &str, value: String| {
        out.push(format!("{name:<14}{value}"));
    };
    field(
        &mut out,
        "Layout",
        format!(
            "{} (agent {})",
            s(st, "layout").unwrap_or("?"),
            s(st, "agent").unwrap_or("?")
        ),
    );
    field(
        &mut out,
        "State dir",
        s(&paths, "state_dir").unwrap_or("-").into(),
    );
    field(
        &mut out,
        "Config",
        s(&paths, "config").unwrap_or("-").into(),
    );
    let store = s(&paths, "store").unwrap_or("-");
    field(&mut out, "Auth store", store.into());
    if let Some(state) = s(&paths, "state").filter(|x| *x != store) {
        field(&mut out, "Auth state", state.into());
    }
    if let Some(db) = s(&paths, "agent_db").filter(|x| *x != store) {
        field(&mut out, "Agent store", db.into());
    }
    field(
        &mut out,
        "Default model",
        s(st, "default_model").unwrap_or("(not set)").into(),
    );
    let fallbacks: Vec<&str> = st
        .get("fallbacks")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    field(
        &mut out,
        "Fallbacks",
        if fallbacks.is_empty() {
            "-".into()
        } else {
            fallbacks.join(", ")
        },
    );
    let mut current = format!(
        "{} ({})",
        s(st, "current").unwrap_or("(not set)"),
        match s(st, "current_source") {
            Some("session") => "main session",
            _ => "default model",
        }
    );
    if let Some(p) = s(st, "current_profile") {
        current.push_str(&format!(", profile {p}"));
    }
    field(&mut out, "Current model", current);

    let usage = st.get("usage").and_then(Value::as_object);
    let now = i(st, "now").unwrap_or_default();
    let providers = st.get("providers").and_then(Value::as_object);
    for (name, prov) in providers.into_iter().flatten() {
        out.push(String::new());
        let mut head = format!(
            "{name}: order from {}",
            s(prov, "order_source").unwrap_or("?")
        );
        if let Some(g) = s(prov, "last_good") {
            head.push_str(&format!(", last good {g}"));
        }
        out.push(head);
        let profiles: Vec<&Value> = prov
            .get("profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        let usage_of = |p: &Value| usage.and_then(|u| u.get(s(p, "id")?));
        let with_usage = profiles.iter().any(|p| usage_of(p).is_some());
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
        for p in profiles {
            let (state, until) = state_text(p);
            let mut row = vec![
                i(p, "position").map_or("-".into(), |n| n.to_string()),
                s(p, "id").unwrap_or("?").into(),
                s(p, "account_id").unwrap_or("-").into(),
                s(p, "email").unwrap_or("-").into(),
                state,
                until,
                expiry_text(p),
            ];
            if with_usage {
                row.push(usage_of(p).map_or("-".into(), |u| usage_text(u, now)));
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
    if providers.is_none_or(|p| p.is_empty()) {
        out.push(String::new());
        out.push("No auth profiles yet: add one with `clawshift add-profile <name>`.".into());
    }
    for w in st
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        out.push(String::new());
        out.push(format!("warning: {w}"));
    }
    out
}
