//! Side-by-side benchmark (design §9, issue #8): whole-process wall time and peak memory
//! of clawshift against the real `openclaw models status --json` on the same state, for
//! 3, 100 and 1,000 Codex profiles, plus the in-process parts. Writes
//! `docs/performance.md`.
//!
//!   cargo bench --bench compare            # needs `cargo build --release` first
//!
//! The real OpenClaw is used when `tests/compat/install.sh` has installed it (its
//! `env.sh` in `$CLAWSHIFT_COMPAT_CACHE` or `~/.cache/clawshift-compat`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NOW_MS: i64 = 1_795_608_000_000; // 2026-11-25T12:00:00Z
const SIZES: &[usize] = &[3, 100, 1000];

struct Sample {
    wall: Duration,
    rss_kb: i64,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/clawshift");
    if !bin.exists() {
        eprintln!("build the release binary first: cargo build --release");
        std::process::exit(2);
    }
    let openclaw = find_openclaw();
    let work = tempfile::Builder::new()
        .prefix("clawshift-bench-")
        .tempdir()
        .expect("temp dir");
    let mut rows: Vec<(usize, String, Sample)> = Vec::new();
    let mut inproc: Vec<(usize, String, Duration)> = Vec::new();
    for &n in SIZES {
        let home = work.path().join(format!("n{n}"));
        build_state(&home.join(".openclaw"), n);
        let cs = |args: &[&str]| {
            let mut c = Command::new(&bin);
            c.env_clear()
                .env("HOME", &home)
                .env("PATH", "/usr/bin:/bin")
                .env("OPENCLAW_STATE_DIR", home.join(".openclaw"))
                .env("CLAWSHIFT_HOME", home.join("cs"))
                .env("CLAWSHIFT_NOW", "2026-11-25T12:00:00Z")
                .args(args);
            c
        };
        for (label, args) in [
            ("clawshift eval '1'", vec!["eval", "1"]),
            ("clawshift status --json", vec!["status", "--json"]),
            ("clawshift switch --dry-run", vec!["--dry-run", "switch"]),
        ] {
            rows.push((n, label.to_string(), measure(|| cs(&args), 20)));
        }
        if let Some((node, mjs)) = &openclaw {
            let mut oc = || {
                let mut c = Command::new(node);
                c.env_clear()
                    .env("HOME", &home)
                    .env("PATH", "/usr/bin:/bin")
                    .env("OPENCLAW_STATE_DIR", home.join(".openclaw"))
                    .env("TMPDIR", &home)
                    .env("TZ", "UTC")
                    .env("npm_config_offline", "true")
                    .arg(mjs)
                    .args(["models", "status", "--json"]);
                c
            };
            rows.push((
                n,
                "openclaw models status --json".into(),
                measure(&mut oc, 3),
            ));
        }
        inproc.extend(in_process(&home, n));
    }
    let report = render(&rows, &inproc, openclaw.is_some());
    print!("{report}");
    std::fs::write(root.join("docs/performance.md"), report).expect("write docs/performance.md");
}

/// Runs a command `runs` times after one warm-up; median wall time, peak RSS.
// The child is reaped by `wait4`, which also reports its peak RSS; `Child::wait` cannot.
#[allow(clippy::zombie_processes)]
fn measure(mut make: impl FnMut() -> Command, runs: usize) -> Sample {
    let mut walls = Vec::new();
    let mut rss = 0;
    for i in 0..=runs {
        let mut c = make();
        let start = Instant::now();
        let child = c
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut status = 0;
        // SAFETY: a zeroed rusage is a valid out-parameter for wait4.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child; the pointers are valid for the call.
        let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
        let wall = start.elapsed();
        assert!(pid > 0, "wait4 failed");
        if i == 0 {
            continue; // warm-up: page cache, Node's compile cache
        }
        walls.push(wall);
        rss = rss.max(usage.ru_maxrss);
    }
    walls.sort();
    Sample {
        wall: walls[walls.len() / 2],
        rss_kb: rss,
    }
}

/// The parts, in one process: engine set-up, `decode_jwt`, `models_status()`, the policy.
fn in_process(home: &Path, n: usize) -> Vec<(usize, String, Duration)> {
    let mut vars = BTreeMap::new();
    vars.insert("HOME".to_string(), home.display().to_string());
    vars.insert(
        "OPENCLAW_STATE_DIR".into(),
        home.join(".openclaw").display().to_string(),
    );
    vars.insert(
        "CLAWSHIFT_HOME".into(),
        home.join("cs").display().to_string(),
    );
    vars.insert("CLAWSHIFT_NOW".into(), "2026-11-25T12:00:00Z".into());
    let host = Rc::new(
        clawshift::host::Host::from_parts(
            vars,
            home.to_path_buf(),
            clawshift::host::HostOptions::default(),
            clawshift::host::Streams {
                capture: true,
                ..Default::default()
            },
        )
        .expect("host"),
    );
    let mut out = Vec::new();
    let t = Instant::now();
    let engine = clawshift::engine::build_engine(&host).expect("engine");
    out.push((
        n,
        "build_engine (stdlib compiled once)".to_string(),
        t.elapsed(),
    ));
    let scope = clawshift::engine::scope(&host, &[]);
    let time_snippet = |label: &str, code: &str, reps: u32| {
        let mut scope = scope.clone();
        let ast = clawshift::engine::compile(&engine, &scope, "<bench>", code).expect("compile");
        let t = Instant::now();
        for _ in 0..reps {
            let _ = clawshift::engine::run(&engine, &mut scope, &ast, &host).expect("run");
        }
        (n, label.to_string(), t.elapsed() / reps)
    };
    let token = clawshift::api::jwt::unsigned(
        json!({"exp": 1796380579, "https://api.openai.com/auth": {"chatgpt_account_id": "a"}})
            .as_object()
            .expect("object"),
    );
    out.push(time_snippet(
        "decode_jwt",
        &format!("decode_jwt(\"{token}\")"),
        200,
    ));
    out.push(time_snippet("models_status()", "models_status()", 20));
    out.push(time_snippet(
        "policy alone (std/policy decide on a snapshot)",
        "import \"std/policy\" as policy; let st = models_status(); let t = now(); for i in 0..20 { policy::decide([\"opus\", \"codex\"], st, #{}, #{now: t, min_hold_ms: 1800000}) }",
        1,
    ));
    let last = out.len() - 1;
    out[last].2 /= 20;
    out
}

fn render(
    rows: &[(usize, String, Sample)],
    inproc: &[(usize, String, Duration)],
    have_oc: bool,
) -> String {
    let mut s = String::new();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    writeln!(s, "# Performance\n").ok();
    writeln!(s, "Measured by `cargo build --release && cargo bench --bench compare` on this project's CI machine (2 cores), all in one run, on the same generated OpenClaw SQLite state for each size (a third of the Codex profiles cooling down, every tenth disabled). Whole processes: median wall time of 20 runs (3 for OpenClaw) after a warm-up, and peak RSS. Timings are never pass/fail conditions in `cargo test`.\n").ok();
    writeln!(s, "| profiles | command | wall (median) | peak RSS |").ok();
    writeln!(s, "|---:|---|---:|---:|").ok();
    for (n, label, x) in rows {
        writeln!(
            s,
            "| {n} | `{label}` | {} | {:.1} MB |",
            ms(x.wall),
            x.rss_kb as f64 / 1024.0
        )
        .ok();
    }
    if have_oc {
        writeln!(s, "\n## Ratios (same state, same machine, same run)\n").ok();
        writeln!(s, "| profiles | `openclaw models status --json` ÷ `clawshift switch --dry-run` (wall) | (peak RSS) |").ok();
        writeln!(s, "|---:|---:|---:|").ok();
        for &n in SIZES {
            let get = |l: &str| {
                rows.iter()
                    .find(|(m, label, _)| *m == n && label == l)
                    .map(|r| &r.2)
            };
            if let (Some(oc), Some(cs)) = (
                get("openclaw models status --json"),
                get("clawshift switch --dry-run"),
            ) {
                writeln!(
                    s,
                    "| {n} | {:.0}× | {:.0}× |",
                    oc.wall.as_secs_f64() / cs.wall.as_secs_f64(),
                    oc.rss_kb as f64 / cs.rss_kb as f64
                )
                .ok();
            }
        }
    } else {
        writeln!(s, "\nThe real OpenClaw was not installed for this run (`tests/compat/install.sh` installs it), so there are no ratios.").ok();
    }
    writeln!(s, "\n## Growth from 3 to 1,000 profiles\n").ok();
    for label in ["clawshift switch --dry-run", "clawshift status --json"] {
        let at = |n: usize| {
            rows.iter()
                .find(|(m, l, _)| *m == n && l == label)
                .map(|r| r.2.wall)
        };
        if let (Some(a), Some(b)) = (at(3), at(1000)) {
            writeln!(
                s,
                "- `{label}`: {} → {} ({:.1}× for 333× the profiles)",
                ms(a),
                ms(b),
                b.as_secs_f64() / a.as_secs_f64()
            )
            .ok();
        }
    }
    writeln!(s, "\n## In process\n").ok();
    writeln!(s, "| profiles | part | time per call |").ok();
    writeln!(s, "|---:|---|---:|").ok();
    for (n, label, d) in inproc {
        writeln!(s, "| {n} | {label} | {:.3} ms |", d.as_secs_f64() * 1000.0).ok();
    }
    s
}

fn find_openclaw() -> Option<(PathBuf, PathBuf)> {
    let cache = std::env::var("CLAWSHIFT_COMPAT_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/clawshift-compat")
        });
    let env = std::fs::read_to_string(cache.join("env.sh")).ok()?;
    let get = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| PathBuf::from(v.trim_matches('\'')))
    };
    Some((get("OC_NODE_BIN")?, get("OC_2026_9_6")?))
}

/// An OpenClaw 2026.9 state (SQLite) with `n` Codex profiles plus an Anthropic token.
fn build_state(state: &Path, n: usize) {
    std::fs::create_dir_all(state.join("state")).expect("mkdir");
    std::fs::create_dir_all(state.join("agents/main/agent")).expect("mkdir");
    let mut profiles = serde_json::Map::new();
    let mut usage = serde_json::Map::new();
    let mut order = Vec::new();
    profiles.insert(
        "anthropic:me".into(),
        json!({"type": "token", "provider": "anthropic", "token": "sk-ant-oat01-FAKE-bench"}),
    );
    for i in 0..n {
        let id = format!("openai:acct{i:04}");
        let access = clawshift::api::jwt::unsigned(
            json!({"exp": NOW_MS / 1000 + 864_000, "https://api.openai.com/auth": {"chatgpt_account_id": format!("acct-{i}"), "chatgpt_plan_type": "plus"}, "https://api.openai.com/profile": {"email": format!("u{i}@example.com")}})
                .as_object()
                .expect("object"),
        );
        profiles.insert(id.clone(), json!({"type": "oauth", "provider": "openai", "access": access, "refresh": format!("rt_FAKE_bench_{i}"), "expires": NOW_MS + 864_000_000, "accountId": format!("acct-{i}"), "email": format!("u{i}@example.com")}));
        if i % 3 == 0 {
            usage.insert(id.clone(), json!({"cooldownUntil": NOW_MS + 60_000 * (i as i64 + 1), "errorCount": 1, "failureCounts": {"rate_limit": 1}}));
        } else if i % 10 == 1 {
            usage.insert(id.clone(), json!({"disabledUntil": NOW_MS + 7_200_000, "disabledReason": "billing", "errorCount": 3}));
        }
        order.push(Value::String(id));
    }
    let store = json!({"version": 1, "profiles": profiles});
    let st = json!({"version": 1, "order": {"openai": order, "anthropic": ["anthropic:me"]}, "usageStats": usage});
    let db = rusqlite::Connection::open(state.join("state/openclaw.sqlite")).expect("db");
    db.execute_batch("CREATE TABLE config_machine_state (state_key TEXT NOT NULL PRIMARY KEY, value_json TEXT NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT;")
        .expect("schema");
    for (k, v) in [
        ("auth.sharedStore", json!({"location": "state-db"})),
        ("authProfiles.store", store),
        ("authProfiles.state", st),
    ] {
        db.execute(
            "INSERT INTO config_machine_state VALUES (?1, ?2, ?3)",
            rusqlite::params![k, v.to_string(), NOW_MS],
        )
        .expect("row");
    }
    let cfg = json!({"agents": {"defaults": {"model": {"primary": "openai/gpt-5.5", "fallbacks": ["anthropic/claude-opus-4-7"]}}}});
    std::fs::write(
        state.join("openclaw.json"),
        serde_json::to_string_pretty(&cfg).expect("json"),
    )
    .expect("config");
}
