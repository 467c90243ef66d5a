//! Side-by-side benchmark (design §9, issue #8): whole-process wall time and peak memory
//! of clawshift against the real `openclaw models status --json` on the same state, for
//! 3, 100 and 1,000 Codex profiles, plus the in-process parts. Writes
//! `docs/performance.md`.
//!
//!   cargo bench --bench compare            # builds the release binary it measures
//!
//! The real OpenClaw is used when `tests/compat/install.sh` has installed it (its
//! `env.sh` in `$CLAWSHIFT_COMPAT_CACHE` or `~/.cache/clawshift-compat`).
//!
//! Peak RSS comes from `wait4`. A child started with `vfork` (as `Command::spawn` does)
//! is charged the parent's own peak RSS when it execs, so the runs are started by this
//! binary re-run as a small launcher (`__measure`), not by the bench process, whose
//! heap grows with the states it builds.

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
    /// Pages the run touched for the first time (minor faults), the median of the runs.
    /// Each costs the kernel a page to zero and map, ~1.5–2 µs on this machine, which
    /// the instruction counts of the CHANGES below do not see.
    faults: i64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE) {
        launcher(&args[2..]);
        return;
    }
    // `cargo bench` adds `--bench` after the arguments it passes on.
    if let Some(i) = args.iter().position(|a| a == "--states") {
        write_states(Path::new(args.get(i + 1).expect("--states DIR")));
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (bin, bound) = release_binary(root);
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
        // The floor: reading the same rows with the sqlite3 CLI, nothing judged. The
        // lower bound: that, parsed, with a Rhai engine compiling the switch script.
        let db = home.join(".openclaw/state/openclaw.sqlite");
        let sqlite3 = || {
            let mut c = Command::new("sqlite3");
            c.env_clear()
                .env("PATH", "/usr/bin:/bin")
                .arg(&db)
                .arg("SELECT value_json FROM config_machine_state WHERE state_key IN ('authProfiles.store', 'authProfiles.state');");
            c
        };
        let lower_bound = || {
            let mut c = Command::new(&bound);
            c.env_clear().arg(&db);
            c
        };
        let mut group: Vec<Labelled> =
            vec![(FLOOR, Box::new(sqlite3)), (BOUND, Box::new(lower_bound))];
        for (label, args) in [
            ("clawshift eval '1'", &["eval", "1"][..]),
            ("clawshift status --json", &["status", "--json"]),
            (SWITCH, &["--dry-run", "switch"]),
        ] {
            group.push((label, Box::new(move || cs(args))));
        }
        rows.extend(measure_together(&group, 20).map(|(l, s)| (n, l, s)));
        if let Some((node, mjs)) = &openclaw {
            rows.push((
                n,
                OPENCLAW.into(),
                measure(|| openclaw_status(node, mjs, &home), 3),
            ));
            // OpenClaw has now given the state database its whole schema and WAL mode, as
            // on any machine that runs it; reading that costs clawshift more.
            let after: Vec<Labelled> = vec![
                (AFTER_FLOOR, Box::new(sqlite3)),
                (AFTER_BOUND, Box::new(lower_bound)),
                (AFTER_STATUS, Box::new(|| cs(&["status", "--json"]))),
                (AFTER_SWITCH, Box::new(|| cs(&["--dry-run", "switch"]))),
            ];
            rows.extend(measure_together(&after, 20).map(|(l, s)| (n, l, s)));
        }
        // What cron runs every ten minutes once the agent is where it should be: one
        // real switch saves the state (a thousand profiles' statuses, the account
        // orders), then every run reads it, decides nothing changes and saves it back.
        let switched = cs(&["switch"]).output().expect("run clawshift switch");
        assert!(switched.status.success(), "clawshift switch: {switched:?}");
        let quiet: Vec<Labelled> = vec![
            (QUIET_FLOOR, Box::new(sqlite3)),
            (QUIET_SWITCH, Box::new(|| cs(&["--dry-run", "switch"]))),
        ];
        rows.extend(measure_together(&quiet, 20).map(|(l, s)| (n, l, s)));
        inproc.extend(in_process(&home, n));
    }
    let binary_bytes = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    let report = render(&rows, &inproc, openclaw.is_some(), binary_bytes);
    print!("{report}");
    std::fs::write(root.join("docs/performance.md"), report).expect("write docs/performance.md");
}

const MEASURE: &str = "__measure";
const SWITCH: &str = "clawshift switch --dry-run";
const AFTER_SWITCH: &str = "clawshift switch --dry-run, after OpenClaw ran";
const AFTER_STATUS: &str = "clawshift status --json, after OpenClaw ran";
const QUIET_SWITCH: &str =
    "clawshift switch --dry-run, a quiet run (the state a switch saved; nothing to change)";
const QUIET_FLOOR: &str = "the floor, after the switch";
const OPENCLAW: &str = "openclaw models status --json";
const FLOOR: &str = "sqlite3 reading the two auth rows (the floor)";
const AFTER_FLOOR: &str = "the floor, after OpenClaw ran";
const BOUND: &str =
    "lower bound: the floor's read, parsed, and Rhai compiling switch.rhai and its policy";
const AFTER_BOUND: &str = "the lower bound, after OpenClaw ran";

/// Runs a command `runs` times after one warm-up; median wall time, peak RSS. `make`
/// gives the command with its environment; a launcher process runs it (see the top).
/// How many turns the commands of one size take: each measures a share of its runs per
/// turn, so a slow spell of the shared machine slows each of them a little rather than
/// one of them a lot, and the ratios between them hold.
const ROUNDS: usize = 4;

/// A command to measure, by its label in the report.
type Labelled<'a> = (&'static str, Box<dyn Fn() -> Command + 'a>);

/// `runs` runs of each command, taken in turns ([`ROUNDS`]); by label.
fn measure_together<'a>(
    group: &'a [Labelled<'_>],
    runs: usize,
) -> impl Iterator<Item = (String, Sample)> + 'a {
    let mut all: Vec<Vec<Run>> = vec![Vec::new(); group.len()];
    for _ in 0..ROUNDS {
        for (i, (_, make)) in group.iter().enumerate() {
            all[i].extend(runs_of(make(), runs / ROUNDS));
        }
    }
    group
        .iter()
        .zip(all)
        .map(|((label, _), runs)| (label.to_string(), Sample::of(runs)))
}

fn measure(make: impl FnOnce() -> Command, runs: usize) -> Sample {
    Sample::of(runs_of(make(), runs))
}

impl Sample {
    /// The median wall time, the highest peak RSS and the median page faults of some runs.
    fn of(mut runs: Vec<Run>) -> Sample {
        runs.sort();
        let mut faults: Vec<i64> = runs.iter().map(|r| r.2).collect();
        faults.sort();
        Sample {
            wall: runs[runs.len() / 2].0,
            rss_kb: runs.iter().map(|r| r.1).max().unwrap_or(0),
            faults: faults[faults.len() / 2],
        }
    }
}

/// One run: wall time, peak RSS (KB), minor page faults.
type Run = (Duration, i64, i64);

/// Each run's wall time, peak RSS and page faults, after one run to warm up.
fn runs_of(c: Command, runs: usize) -> Vec<Run> {
    let mut l = Command::new(std::env::current_exe().expect("bench binary"));
    l.env_clear()
        .envs(c.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .arg(MEASURE)
        .arg(runs.to_string())
        .arg(c.get_program())
        .args(c.get_args());
    let out = l.stderr(Stdio::inherit()).output().expect("launcher");
    assert!(out.status.success(), "launcher failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let mut f = line.split(' ');
            let mut next = |what: &str| f.next().expect(what).parse::<u64>().expect(what);
            (
                Duration::from_nanos(next("ns")),
                next("kb") as i64,
                next("faults") as i64,
            )
        })
        .collect()
}

/// `__measure <runs> <program> [args...]`: runs the program (in this environment) once
/// to warm up, then `runs` times, printing `<wall ns> <peak RSS KB> <minor faults>` per run.
// The child is reaped by `wait4`, which also reports its peak RSS; `Child::wait` cannot.
#[allow(clippy::zombie_processes)]
fn launcher(args: &[String]) {
    let runs: usize = args[0].parse().expect("runs");
    for i in 0..=runs {
        let start = Instant::now();
        let child = Command::new(&args[1])
            .args(&args[2..])
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
        if i > 0 {
            // Run 0 warms up: page cache, Node's compile cache.
            println!(
                "{} {} {}",
                wall.as_nanos(),
                usage.ru_maxrss,
                usage.ru_minflt
            );
        }
    }
}

/// The parts, in one process (on the state as the last run left it): engine set-up,
/// `decode_jwt`, `models_status()`, compiling the policy on its first import, and the
/// policy on a snapshot.
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
    out.push((n, "build_engine".to_string(), t.elapsed()));
    let mut scope = clawshift::engine::scope(&host, &[]);
    // Variables later snippets use (a snippet's imports do not outlive it).
    let setup = |scope: &mut rhai::Scope<'static>, code: &str| {
        let ast = clawshift::engine::compile(&engine, scope, "<bench>", code).expect("compile");
        let _ = clawshift::engine::run(&engine, scope, &ast, &host).expect("setup");
    };
    setup(&mut scope, "let st = models_status(); let t = now();");
    let time_snippet = |scope: &rhai::Scope<'static>, label: &str, code: &str, reps: u32| {
        let mut scope = scope.clone();
        let ast = clawshift::engine::compile(&engine, &scope, "<bench>", code).expect("compile");
        let t = Instant::now();
        for _ in 0..reps {
            let _ = clawshift::engine::run(&engine, &mut scope, &ast, &host).expect("run");
        }
        (n, label.to_string(), t.elapsed() / reps)
    };
    let token = clawshift::jwt::unsigned(
        json!({"exp": 1796380579, "https://api.openai.com/auth": {"chatgpt_account_id": "a"}})
            .as_object()
            .expect("object"),
    );
    out.push(time_snippet(
        &scope,
        "decode_jwt",
        &format!("decode_jwt(\"{token}\")"),
        200,
    ));
    clawshift::openclaw::sqlite::close_all();
    out.push(time_snippet(
        &scope,
        "models_status(), first call (opens the database)",
        "models_status()",
        1,
    ));
    out.push(time_snippet(
        &scope,
        "models_status(), database open",
        "models_status()",
        20,
    ));
    out.push(time_snippet(
        &scope,
        "import \"policy\" (the first import compiles it)",
        "import \"policy\" as policy;",
        1,
    ));
    const DECIDE: &str = "policy::decide([\"opus\", \"codex\"], st, #{}, #{now: t, min_hold_ms: 1800000, all: false})";
    out.push(time_snippet(
        &scope,
        "policy::decide on a snapshot",
        &format!("import \"policy\" as policy; {DECIDE}"),
        20,
    ));
    setup(
        &mut scope,
        &format!("import \"policy\" as policy; let d = {DECIDE};"),
    );
    out.push(time_snippet(
        &scope,
        "d.next_state after it",
        "d.next_state(#{}, st)",
        20,
    ));
    out
}

fn render(
    rows: &[(usize, String, Sample)],
    inproc: &[(usize, String, Duration)],
    have_oc: bool,
    binary_bytes: u64,
) -> String {
    let mut s = String::new();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    writeln!(s, "# Performance\n").ok();
    writeln!(s, "Measured by `cargo bench --bench compare` (which builds the release binary as `cargo build --release` does) on this project's CI machine (2 cores), all in one run, on the same generated OpenClaw SQLite state for each size (a third of the Codex profiles cooling down, every tenth disabled). Whole processes: median wall time of 20 runs (3 for OpenClaw), taken in 4 turns of 5 that go round the commands of one size (each turn after a warm-up run), so that a slow spell of the shared machine slows all of them a little rather than one a lot; peak RSS (`wait4`, runs started from a small launcher process so that no run is charged the benchmark's own memory); and the median number of page faults (`wait4`'s minor faults: pages a run touched for the first time, each zeroed and mapped by the kernel, which instruction counts do not see). Each size is measured on the state as generated, then once more after OpenClaw itself has run on it: OpenClaw gives its state database its whole schema (~330 tables, indexes and triggers) and WAL mode, which every real installation has and which costs a reader more. Then one real `clawshift switch` saves the switch state, and the quiet run cron makes every ten minutes from then on is measured: it reads that state (every profile's status, the account orders), finds nothing to change and writes it back. Timings are never pass/fail conditions in `cargo test`.\n").ok();
    writeln!(
        s,
        "| profiles | command | wall (median) | peak RSS | page faults (median) |"
    )
    .ok();
    writeln!(s, "|---:|---|---:|---:|---:|").ok();
    for (n, label, x) in rows {
        writeln!(
            s,
            "| {n} | `{label}` | {} | {:.1} MB | {} |",
            ms(x.wall),
            x.rss_kb as f64 / 1024.0,
            x.faults
        )
        .ok();
    }
    if have_oc {
        writeln!(s, "\n## Ratios (same state, same machine, same run)\n").ok();
        writeln!(s, "| profiles | `openclaw models status --json` ÷ `clawshift switch --dry-run` (wall) | (peak RSS) | ÷ the same after OpenClaw ran (wall) | (peak RSS) |").ok();
        writeln!(s, "|---:|---:|---:|---:|---:|").ok();
        for &n in SIZES {
            let get = |l: &str| {
                rows.iter()
                    .find(|(m, label, _)| *m == n && label == l)
                    .map(|r| &r.2)
            };
            let ratio = |cs: Option<&Sample>, oc: &Sample| match cs {
                Some(cs) => (
                    format!("{:.0}×", oc.wall.as_secs_f64() / cs.wall.as_secs_f64()),
                    format!("{:.0}×", oc.rss_kb as f64 / cs.rss_kb as f64),
                ),
                None => ("-".into(), "-".into()),
            };
            if let Some(oc) = get(OPENCLAW) {
                let (w, r) = ratio(get(SWITCH), oc);
                let (wa, ra) = ratio(get(AFTER_SWITCH), oc);
                writeln!(s, "| {n} | {w} | {r} | {wa} | {ra} |").ok();
            }
        }
    } else {
        writeln!(s, "\nThe real OpenClaw was not installed for this run (`tests/compat/install.sh` installs it), so there are no ratios.").ok();
    }
    writeln!(s, "\n## The issue #13 targets in this run\n").ok();
    let wall = |n: usize, l: &str| {
        rows.iter()
            .find(|(m, label, _)| *m == n && label == l)
            .map(|r| r.2.wall.as_secs_f64())
    };
    let rss = |n: usize, l: &str| {
        rows.iter()
            .find(|(m, label, _)| *m == n && label == l)
            .map(|r| r.2.rss_kb as f64 / 1024.0)
    };
    let verdict = |ok: bool| if ok { "met" } else { "not met" };
    for (label, floor_label, bound_label) in [
        (SWITCH, FLOOR, BOUND),
        (AFTER_SWITCH, AFTER_FLOOR, AFTER_BOUND),
        (QUIET_SWITCH, QUIET_FLOOR, ""),
    ] {
        if let (Some(sw), Some(floor)) = (wall(1000, label), wall(1000, floor_label)) {
            let r = sw / floor;
            writeln!(
                s,
                "- `{label}` at 1,000 profiles ÷ the sqlite3 floor on the same state: {r:.1}× (within 2×: {})",
                verdict(r <= 2.0)
            )
            .ok();
            if let Some(bound) = wall(1000, bound_label) {
                writeln!(
                    s,
                    "  - the lower bound (no judging, learning, masking or writing) is already {:.1}× that floor; the switch is {:.1}× the lower bound",
                    bound / floor,
                    sw / bound
                )
                .ok();
            }
        }
        if let (Some(a), Some(b)) = (wall(100, label), wall(1000, label)) {
            let g = b / a;
            writeln!(
                s,
                "- `{label}` growth 100 → 1,000 profiles: {g:.1}× (at most 3×: {})",
                verdict(g <= 3.0)
            )
            .ok();
        }
        if let (Some(sw), Some(oc)) = (wall(100, label), wall(100, OPENCLAW)) {
            let r = oc / sw;
            writeln!(
                s,
                "- `{label}` at 100 profiles: {r:.0}× faster than `{OPENCLAW}` (at least 200×: {})",
                verdict(r >= 200.0)
            )
            .ok();
        }
        if let Some(m) = rss(100, label) {
            writeln!(
                s,
                "- `{label}` at 100 profiles: {m:.1} MB peak RSS (at most 8 MB: {})",
                verdict(m <= 8.0)
            )
            .ok();
        }
    }
    writeln!(s, "\n## The issue #8 targets in this run\n").ok();
    for label in [SWITCH, AFTER_SWITCH] {
        if let Some((_, _, x)) = rows.iter().find(|(m, l, _)| *m == 100 && l == label) {
            let wall_ms = x.wall.as_secs_f64() * 1000.0;
            let rss_mb = x.rss_kb as f64 / 1024.0;
            let verdict = |ok: bool| if ok { "met" } else { "not met" };
            writeln!(
                s,
                "- `{label}`, 100 profiles: {wall_ms:.1} ms (under 10 ms: {}), {rss_mb:.1} MB (under 10 MB: {})",
                verdict(wall_ms < 10.0),
                verdict(rss_mb < 10.0)
            )
            .ok();
        }
    }
    writeln!(
        s,
        "\nPeak RSS is mostly the executable itself: its pages are mapped as the run touches them, and the release binary measured here is {:.1} MB (see the breakdown below; the record below was measured on the `perf` branch before the usage client, ureq + rustls, was merged).",
        binary_bytes as f64 / 1_048_576.0
    )
    .ok();
    writeln!(s, "\n## Growth from 3 to 1,000 profiles\n").ok();
    for label in [
        SWITCH,
        AFTER_SWITCH,
        QUIET_SWITCH,
        "clawshift status --json",
        AFTER_STATUS,
    ] {
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
    s.push_str(CHANGES);
    s.push_str(LIVE_GATEWAY);
    s
}

/// Issue #15: a switch against the real gateway, measured by hand (the benchmark does
/// not start a gateway).
const LIVE_GATEWAY: &str = r#"
## A switch with the gateway running (issue #15)

Measured by `tests/compat/gateway.sh` against the real OpenClaw 2026.9.6 gateway
(offline, loopback, in its own network namespace) with the **release** build
(`CLAWSHIFT_COMPAT_BIN=target/release/clawshift`), wall time of the whole clawshift
process, in two runs on the shared 2-core machine while another live-gateway check ran
beside it:

| run | native client | the old way |
|---|---:|---:|
| `switch` that moves the agent to another model: default model, fallbacks and a `sessions.patch` of the main session | 80 ms, 91 ms | ~14 s (two Node start-ups, issue #15) |
| `switch` with nothing to change (one connection: handshake, `sessions.describe` + `chat.metadata`) | 98 ms; then 52, 60, 70, 50, 48, 41 ms | — |
| one `sessions.patch` alone | (in the rows above) | 2.0 s for `openclaw gateway call sessions.patch` |

The no-change run is at the 50 ms target only some of the time on this loaded machine:
nearly all of it is the gateway's own handshake and two reads. Against the gateway
alone (Node's WebSocket, same machine, debug-build day): the handshake takes 14–29 ms,
`sessions.describe` 2 ms, `chat.metadata` 6–10 ms, `models.authOrderSet` 150 ms (it
republishes the order).
"#;

/// Issue #8: what the measurements showed and what was changed. These figures were
/// measured once, while making the changes; the tables above are this run's.
const CHANGES: &str = r#"
## Reading the store on the second core (issue #13, eleventh pass)

**What changed.** A switch over a store of hundreds of profiles (the row is 256 KB or
more) reads the store rows on a second thread while the main thread builds the engine,
compiles `switch.rhai` and imports the policy (`sqlite::read_ahead`). The connection the
run already opened is lent to the thread. The next `open` of the database takes it back
together with the rows, each with the database version it was read at, so `read_row`
hands a row out only while the database is still at that version. A parsed document
goes with its row's text (`sqlite::take_parsed`).

- **The thread is started on the other core.** The eighth pass had tried opening the
  database on a second thread and found that the new thread did not run until the main
  thread blocked waiting for it. Timestamps showed that again for half the runs: the
  scheduler queued the thread behind its maker. The thread is now made to start on a
  core other than the main thread's (`pthread_setaffinity_np`). Once running, it may go
  anywhere again. In twelve timed runs, all twelve threads began within 0.17–0.27 ms.
- **Both threads parse.** The thread hands the connection and the rows back as soon as
  it has read them, then parses the store. The main thread, which reaches the point
  where it needs them first, parses the state row (1,000 profiles' usage) meanwhile
  instead of waiting: 0.92× the time of the version where the thread parsed both.
- **Neither thread waits for a thread that has not begun.** If the thread has not
  started by the time the main thread needs the rows, the main thread does it all.
  With a single core, nothing is read ahead.
- **The thread's heap is on huge pages too** (`memory::expect_large_thread_heap`). glibc
  gives the thread a heap of its own, and parsing the store there had faulted in ~400
  pages one at a time, which made the run 15% slower than before (636 page faults
  against 233). With huge pages it took 205; the final version, where both threads
  parse, takes 226–228 (`perf stat`, 20 runs).
- **What it costs.** The run executes 0.3–0.7 M more instructions. Most of them are in
  glibc's `malloc`, which takes its arena lock on every call once a process has a second
  thread. Peak memory of a quiet run at 1,000 profiles goes up by the thread's 2 MB
  page. Runs under 256 KB of store (100 profiles) start no thread.

Measured side by side with the commit before the pass (`79418b2`, built the same way),
as medians of 200–300 alternated runs with the sqlite3 floor between them:

| state | before | after | ratio |
|---|---:|---:|---:|
| 1,000 profiles, first switch | 2.02× the floor | 1.72× | 0.85× |
| 1,000 profiles, after OpenClaw ran | 1.53× | 1.36× | 0.89× |
| 1,000 profiles, quiet run | 1.66× | 1.55× | 0.94× |
| 100 profiles (no thread; the binary relinked) | 1.77× | 1.69× | 0.96× |

callgrind counts, both threads together: 24.0 → 24.3 M for a first switch at 1,000
profiles, 32.4 → 32.8 M after OpenClaw ran, 39.7 → 40.4 M for a quiet run; 6.7 M and
8.4 M at 3 and 100 profiles, as before.

**Where it stands.** In this run of the benchmark, a first switch at 1,000 profiles is
1.8× the sqlite3 floor (the table above). Two benchmark runs of the pass's first step,
where the thread parsed both rows, found 1.9× and 2.0×. The run-to-run spread is wide on
this VM: in some timed runs the thread took 7 ms instead of 1.5 ms.

**Tested.** A test pauses the switch right after the thread has read, lets an
OpenClaw-like writer commit, and checks that the decision follows the commit. It covers
WAL mode, where only the database version shows the commit, and the rollback journal,
where the changed file is opened again. It was red with the version check turned off.
A unit test checks that each document comes parsed once, from the thread or from the
main thread. It was red with the main thread's parse turned off.

## A static link that holds in every checkout, and cheaper candidates (issue #13, tenth pass)

What changed, each measured side by side with the commit before it (medians of 50–60
alternated runs of `switch --dry-run`, with the sqlite3 floor run between them):

- **The binary is a static PIE again, through the linker.** `.cargo/config.toml` makes
  `tools/cc-static.sh` the linker on x86_64 Linux. For the `clawshift` executable, when
  `cc` finds glibc's `libc.a`, it turns rustc's dynamic link line into a static one
  (`-static-pie`, the libraries from their archives, libgcc_s's unwinder from
  libgcc_eh); every other link goes to `cc` unchanged. Unlike the ninth pass's rustc
  wrapper, a linker is not hashed into the crates' metadata: a clone in another
  directory built the same binary (same build id) and found all of
  `link/hot-symbols.txt`. 0.90–0.91× the time of a 1,000-profile switch, 0.88× at 100.
- **Candidates cost one allocation each, not four.** A profile's id is an `Rc<str>` that
  the candidates naming it share; a candidate's key is written only when something asks
  for it (a switch asks for the few it judges), and duplicates are found by writing
  each key into one reused buffer; scripts get candidates without an `Rc` around them
  (Rhai boxes a custom value twice already). 24.6 → 24.0 M instructions at 1,000
  profiles, 0.97×.
- **`link/hot-symbols.txt` made for the static build**: 2,312 functions, glibc's among
  them now that it is linked in. 0.96× at 1,000 profiles; peak RSS at 100 profiles
  6.7 → 6.3 MB.

callgrind counts of `switch --dry-run` on the benchmark's states, after the ninth pass
(the static binary at `1f9bd45`) and after this one (`457e518`):

| state | ninth pass | tenth pass |
|---|---:|---:|
| 3 profiles | 6.8 M | 6.7 M |
| 100 profiles | 8.5 M | 8.4 M |
| 1,000 profiles, first switch | 24.6 M | 24.0 M |
| 1,000 profiles, after OpenClaw ran | 33.1 M | 32.4 M |
| 1,000 profiles, quiet run | 40.3 M | 39.7 M |

Page faults (`perf stat`, 20 runs): 200 for a first switch at 1,000 profiles, 281 after
OpenClaw ran and for a quiet run, 454 at 100 profiles.

**Measuring at ±3%.** Two byte-identical copies of the binary, run alternately, differ by
3–4%: the one the linker has just written runs slower than a `cp` of it (also when `lld`
writes it with `write` rather than through a mapping, `--no-mmap-output-file`), and after
`echo 3 > /proc/sys/vm/drop_caches` the two are the same again. How a freshly written file
sits in the page cache is worth as much as most single changes here, so each change above
was measured against a copy made the same way, and the benchmark measures the binary as
cargo leaves it, which is the slow case.

**Where it stands.** Alternated with the floor, a copied binary's first switch at 1,000
profiles is 1.87–1.95× the floor. Two benchmark runs of this code, which measure the
binary as built and run OpenClaw's 1.7 s, 330 MB reads between clawshift's, found 2.1×:
the 2× target is still not met there.

**Tried, not kept.**
- *Rhai's standard functions found lazily* (`Engine::new_raw` with
  `StandardPackage::new_lazy()`, rather than `Engine::new`'s registering all of them):
  6.7 → 10.1 M instructions at 3 profiles, 24.0 → 27.1 M at 1,000. Each first call of a
  function searches the packages' manifests, and a run makes many first calls.
- *mimalloc 0.1.52 under the heap counter*, on the static binary: 1.29× the time at 1,000
  profiles and 1.13× at 100, with about as many page faults (230).

## Linking, touching less, waiting less (issue #13, ninth pass)

**Where the time was.** A first switch at 1,000 profiles was 2.3× the sqlite3 floor, and
its instructions were no longer most of it: `perf record` over two hundred runs found the
dynamic loader (mapping libc, libm and libgcc_s, binding their symbols), two huge pages
being zeroed, a locked add per allocation, and a masking loop that waited on each of its
own lookups. About a tenth of every process on this VM, clawshift's and the floor's alike,
is glibc asking the CPU for its cache sizes (`cpuid`, which traps to the hypervisor);
nothing in clawshift can change that.

What changed, each measured side by side with the commit before it (medians of 40–60
alternated runs of `switch --dry-run` on the plain 1,000-profile state):

- **A static PIE, measured and reverted.** Linking glibc statically (`+crt-static`, given
  to the binary alone by a `build.rustc-workspace-wrapper` script, since a proc-macro
  cannot be built with it) made a 1,000-profile switch 0.93× as long and cut peak RSS
  at 100 profiles from 7.3 to 6.4 MB. But Cargo hashes the wrapper's absolute path into
  the crate's metadata, so every checkout named its functions differently and
  `link/hot-symbols.txt` matched only the tree it was made in (a clean clone found 1,767
  of 2,308). The ordering working for every build is worth more.
- **The profile table is sized for one profile per 400 bytes of store text**, not per 128:
  on huge pages, room never used still costs its share of a 2 MB page. 2.8 → 2.0 huge
  pages per run, same instructions. With no room reserved at all the table's growth cost
  0.9 M instructions.
- **The heap counter behind the scripts' memory limit is kept per thread** and passed on
  every 64 KB: a locked add per allocation waited for the core's pending stores (0.97×).
- **Masking scans a text as eight parts at once**, a step of each in turn: each step's
  next position depends on the shift it looked up, so one scan waited on every lookup.
  More instructions (0.7 → 0.9 M for the 195 KB state), 0.94–0.96× the switch.
- **The registry of secrets names each value by its place** in its tables instead of an
  `Arc` clone in each, a locked increment that waited for the token just copied (0.99×).
- **`opt-level = 3` for the whole release build**, not size outside Rhai and serde_json:
  0.91–0.94× at 1,000 profiles, 0.96× at 100, peak RSS at 100 profiles 5.2 → 6.2 MB. The
  fourth pass had rejected it (0.8 MB more, no clear gain) before its hot functions were
  packed. (Measured on the static binary, before it was reverted; the table above is
  the dynamic one: 7.3 MB at 100 profiles.)
- Smaller: a store's `email` and `accountId` are no longer kept to be compared with the
  next profile's (only the members profiles share are), and the next state's entries
  share their few reasons and models (78 K instructions).

callgrind counts of `switch --dry-run` on the benchmark's states, after the eighth pass
(`cf7e71e`) and after this one (the static binary at `1f9bd45`, before it was reverted):

| state | eighth pass | ninth pass |
|---|---:|---:|
| 3 profiles | 7.6 M | 6.8 M |
| 100 profiles | 9.5 M | 8.5 M |
| 1,000 profiles, first switch | 26.9 M | 24.6 M |
| 1,000 profiles, after OpenClaw ran | 35.7 M | 33.1 M |
| 1,000 profiles, quiet run | 43.7 M | 40.3 M |

Page faults at 1,000 profiles (`perf stat`, on the static binary): 217 for a first
switch, 298 after OpenClaw ran, 299 for a quiet run, each with two huge pages
(`thp_fault_alloc` in `/proc/vmstat`); 475 at 100 profiles. The dynamic binary's are in
the table above.

**Tried, not kept.**
- *sonic-rs 0.5.10* as the store's parser, behind the same serde visitors: 0.6 M more
  instructions at 1,000 profiles and no faster (built without AVX2, as a release build
  for any x86_64 must be).
- *mimalloc and jemalloc* again (preloaded): mimalloc ran 3.5 M fewer instructions, but
  took 741 page faults against glibc's 263 on huge pages, and a 100-profile switch peaked
  at 8.3 MB.
- *No huge pages*: 1,078 page faults and 1.18× the time at 1,000 profiles.

**What is left at 1,000 profiles** (24.6 M for a first switch): reading the store 10.8 M
(serde_json's scan ~5 M, learning two thousand secrets 1.7 M), glibc's allocator ~4 M
over 25,000 allocations (spread over all the rest), building the engine 1.5 M (Rhai's
~800 standard functions with their metadata) and compiling both scripts 2.9 M, writing
and masking the state 2.2 M, the candidates 1.5 M.

## Page faults, and work done for nothing (issue #13, eighth pass)

**Where the time was.** Sampling `perf record` over two hundred 1,000-profile switches
(`b2ec0b8`) put 45% of the process's time in the kernel, most of it page faults (the trap,
zeroing the page, charging it to the cgroup), 37% in clawshift's code and 13% in libc. Set
side by side, the session's first changes cut 21% of a first switch's instructions but
only 7% of its wall time. So this pass worked on both: what a run computes, and how many
pages it takes from the kernel to do it.

callgrind counts of `switch --dry-run` on the benchmark's own states (`cargo bench --bench
compare -- --states DIR`), before and after this pass:

| state | before (`b2ec0b8`) | after | page faults before → after (`perf stat`) |
|---|---:|---:|---:|
| 3 profiles | 8.2 M | 7.6 M | 440 → 440 |
| 100 profiles | 10.7 M | 9.5 M | 525 → 520 |
| 1,000 profiles, first switch | 33.9 M | 26.9 M | ~1,180 → ~250 |
| 1,000 profiles, after OpenClaw ran | 42.3 M | 35.7 M | ~1,300 → ~340 |
| 1,000 profiles, quiet run | 47.6 M | 43.7 M | ~1,420 → ~340 |

What changed, largest first:

- **Huge pages for a large store's run** (`memory::expect_large_heap`): before building
  anything, a switch asks SQLite the store row's length (`octet_length`, which does not
  read the row). From 256 KB (hundreds of profiles) the rest of the heap is marked
  `MADV_HUGEPAGE` and the heap goes on from the next 2 MB boundary, so the kernel hands
  out 2 MB per fault. Smaller stores stay on small pages: a huge page counts whole in
  resident memory (a 1,000-profile run peaks ~2 MB higher) and zeroing 2 MB costs more
  than a small heap's faults. The kernel honours it where THP is `madvise` or `always`.
  (An allocation held only to move the heap to the boundary must be kept visibly: an
  optimised build removes an allocation nothing reads, and did.) This reverses an
  earlier pass's "tried, not kept" (below), which marked the heap at start for every
  run: 355–769 faults at 1,000 profiles, and 100-profile runs paid for it. Its other
  objection stands: with `defrag=madvise` a huge-page fault
  may compact memory before it returns, on a machine short of free 2 MB blocks. Only a
  run over hundreds of profiles can meet that, and a switch is a background job every
  ten minutes, where such a stall weighs less than the ~2 ms every run saves.
- **Recording every profile's status formatted a sentence per profile to keep a
  boolean**: `rule_of` now judges which rule applies, apart from `block_of`'s sentence
  (2.2 M).
- **The state's profile statuses are written through member lines made once per depth**,
  with room reserved for them (3.4 M → 1.8 M for the writer); the writer asks a value
  for each type with `read_lock`, strings first, instead of `as_bool` and kin, which name
  the value's type when they say no.
- **The next state's account orders are lent to the script as ids** (`Change::Order`),
  not built as JSON strings to be converted to script strings (1.0 M).
- **Built-in scripts run with their comment lines blank** (`scripts::runnable`): lines
  and columns stay put, and a test compiles every built-in text both ways and compares the
  programs. This reverses the seventh pass's "not worth a second lexer": blanking whole
  comment lines needs none, and the test holds it to Rhai's own reading (0.6 M).
- **A quiet run's account order is OpenClaw's own**: `account_order` returns it at once
  instead of hashing a thousand ids twice to merge it with itself (0.8 M).
- **The store reader learns from the parser whether a string was written with escapes**
  (serde lends a string without them), instead of scanning the store's text for a
  backslash (0.5 M); `Cred::provider_or_id` lends the provider instead of copying it a
  thousand times (0.5 M); `converts_to` asks each value for the one type its JSON
  counterpart has.

**Tried, not kept.**
- *Opening the state database on a second thread* while the first compiles the scripts
  (SQLite parses OpenClaw's ~330-entry schema on opening, 8 M instructions): on this
  2-core VM the new thread did not start running until the main thread blocked waiting
  for it, so nothing overlapped and the run was 0.3–0.6 ms slower.
- *Huge pages for every run, from the start*: ~200 page faults at 1,000 profiles, but a
  100-profile run peaked at 8.0 MB (8.4 MB after OpenClaw ran; the target is 8 MB) and
  was slower (4.1 ms against 3.6).
- *mimalloc and jemalloc* (preloaded): 1,770 and 1,670 page faults against glibc's 1,390.
- *Packed relative relocations* (`-z pack-relative-relocs`): the relocation table shrank
  from 306 KB to 8 KB, page faults did not.
- *Checking a member name for `.` and `:` in one pass*: slower than two `contains`.

**What is left at 1,000 profiles** (26.9 M for a first switch): reading the store 10.6 M
(serde_json's scan of 450 KB is 5.5 M of it, learning two thousand secrets 1.6 M, their
paths 0.8 M), the engine and both scripts 4.6 M, writing and masking the state 2.5 M, the
candidates 1.6 M. After OpenClaw ran, SQLite's schema adds 8 M on opening and 0.9 M on
closing, as it does for the sqlite3 floor.

## What a run keeps, and how much memory it touches (issue #13, seventh pass)

callgrind counts of `switch --dry-run` at 1,000 profiles, on the plain generated state
(a first switch) and on it with a saved switch state (a quiet run), each row after the
one above:

| change | first switch | quiet run |
|---|---:|---:|
| before (`9e5f42e`) | 35.5 M | 48.4 M |
| `profileStatuses` holds each entry a switch recorded as its five fields (`state::Entry::Recorded`), read from the text and written to it directly, not as a map of five (a thousand maps were 456 KB); the policy's reads of a saved state are converted to JSON once a run while the state's values are the same, compared in place | 33.0 M | 44.2 M |
| a state's text is masked in one pass once written (0.65 M), where masking its eight thousand strings one by one as they were written (the fourth pass's choice) cost about as much around the calls, and the code holding the registry for it is gone; escapes checked eight bytes at a time; the saved orders neither cloned to be compared nor converted twice (`candidates` and `next_state` share one conversion); `usageStats` entries boxed | 32.5 M | 40.3 M |
| the merged auth view takes the first document's maps whole; a status's profiles are made in their shared place at once (a third of a megabyte not touched, 80 page faults fewer); the profile table sized for as many profiles as the text could hold (room never used is never touched); `usageStats` members boxed | 31.4 M | 39.3 M |
| the next switch state copies the saved account orders only when they change | 31.4 M | 38.1 M |

At 100 profiles a first switch went from 10.8 M to 10.5 M and a quiet run from 11.6 M
to 10.7 M; at 3 profiles both are unchanged (8.2 M and 7.6 M). Page faults under `perf
stat` (40 runs, through the same small shell wrapper): a first switch at 1,000
profiles 1,567 → 1,336, a quiet run about 1,597 → 1,405.

**Where the page faults are.** glibc here keeps every buffer below 4 MB on the heap and
gives nothing back (`memory::tune_heap`), so what a run touches is about its heap at its
highest, 4.1 MB at 1,000 profiles (valgrind's dhat): the two rows' text (508 KB; SQLite
gathers an overflow chain into a buffer of its own first, another 450 KB, which reading
the row as a blob did not avoid), the profiles (248 KB typed, 368 KB judged), the
registry's copies of two thousand tokens (342 KB), the state text written (188 KB), and
candidates, orders and tables of 50–120 KB each. An allocation that only reserves room
costs nothing until it is written.

**Tried, not kept.** A small SQLite page cache (`cache_size`), and reading the rows
through SQLite's blob interface: no fewer page faults. Stripping the scripts' comment
lines before compiling them saves 0.7 M (Rhai's tokenizer costs about 140 instructions a
byte, and half the scripts' bytes are comments), not worth a second lexer of Rhai's
syntax. Registering the secrets by their tail alone, without the table of whole values:
the benchmark's unsigned test tokens share one tail nine hundred times over, and every
insert would compare against them all.

**What is left at 1,000 profiles** (31.4 M): reading the store 12.6–13.1 M (serde_json's
scan of 450 KB, the typed credentials, learning two thousand secrets), the engine and
both scripts 5.3 M, writing and masking the state 3.6 M, and the candidates, orders and
decision around 6 M. A quiet run adds reading the saved state (its two thousand order
ids become script strings), one conversion of the orders to JSON and their comparison on
each later call, and writing them back.

## The quiet run (issue #13, sixth pass)

**What the benchmark did not measure.** Every switch row above used to start from no
switch state: the first run, which moves the agent and saves the state. What cron runs
every ten minutes afterwards is a quiet run: it reads the state a switch saved (at 1,000
profiles 188 KB: every profile's status, the account orders), finds nothing to change
and saves it back. At 1,000 profiles that run took 94.3 M instructions, 2.6 times the
first switch's 35.6 M, about 15 ms and 2,057 page faults (`perf stat`, 30 runs). The
benchmark now measures it (the `quiet run` rows). callgrind, `switch --dry-run` on the
state a switch saved, each row after the one above:

| change | 1,000 profiles |
|---|---:|
| before (`f929be2`) | 94.3 M |
| the policy's functions convert only the state keys they read (`DECISION_READS`, `CANDIDATE_READS`), not the whole state with its thousand statuses; the time check of a loaded state spells a field's path only when it reports it; a loaded state is converted without a copy | 71.5 M |
| a state file is read straight into script values by one JSON visitor (no JSON tree built, copied and freed; a map key needs no copy of its own) | 63.5 M |
| `profileStatuses` is one shared `ProfileStatuses` value: Rhai copies every argument, and the state was passed to the policy's functions nine times a run, each copy a thousand maps | 48.4 M |

At 3 profiles a quiet run is now 7.6 M instructions (a first switch 8.2 M), at 100
profiles 11.6 M (10.8 M). Measured the same way before and after on the plain generated
state with a saved switch state (not the benchmark's after-OpenClaw state): at 1,000
profiles `perf stat` (30 runs) went from 14.6 ms of CPU and 2,057 page faults to
9.1 ms and 1,585, and a small launcher's median of 21 runs from 19.0 ms and 12.7 MB
peak RSS to 9.8 ms and 10.3 MB; at 100 profiles from 6.1 ms and 6.9 MB to 3.8 ms and
6.4 MB. What a quiet run at 1,000 profiles still does beyond a first switch: reading
the 188 KB state into script values (7.5 M) and converting the two account orders of a
thousand ids to JSON for each policy function that reads them.

## Where the wall time goes, and what was changed (issue #13, fifth pass)

**Page faults.** The fourth pass (below) left a 1,000-profile switch at 43.4 M
instructions, yet its wall time stayed about three times the lower bound's, which runs
11.5 M. Under `perf stat` (30 runs each), the switch took 1,739 page faults, the lower
bound 593 and the sqlite3 floor 427. On this machine a page touched for the first time
costs 1.4–2.5 µs (a small C program touching 1,024 fresh pages one by one; asking the
kernel to populate them in one `madvise(MADV_POPULATE_WRITE)` call cost 1.8–2.0 µs a
page, so the cost is the kernel zeroing and mapping the page, not the trap). So about a
third of a 1,000-profile switch was the kernel handing it memory, which instruction
counts do not show; the table above now shows each command's page faults. valgrind's
massif put the heap at its peak, at the end of the run, at 5.7 MB: everything the run
builds lives until it exits.

**What was changed**, callgrind counts of `switch --dry-run`, each row after the one
above:

| change | 1,000 profiles |
|---|---:|
| before (`f28c709`) | 43.4 M |
| a profile's identity shares the store's strings (and its access token the registry's copy) instead of copying them; its state word is static | 42.4 M |
| the registry holds its values by tail in one table instead of a list per tail | 41.5 M |
| the candidates of one entry share their model, provider and entry | 40.6 M |
| a store text that the profile before held in the same member (`"type": "oauth"`, `"provider": "openai"`) is shared | 40.3 M |
| account orders compared and built from borrowed ids; copied only when they changed | 39.8 M |
| a profile's provider and type are the store's strings | 39.3 M |
| profile indexes hold places, not copies of the ids | 38.8 M |
| `usageStats` read as typed entries, not a JSON map per profile | 37.6 M |
| the state last saved is kept until the next save rather than freed at once (a run saves once and exits; `simulate` still frees each state, one save later) | 36.2 M |
| the registry sized for a store's secrets before it is read | 35.9 M |

At 3 profiles 8.3 M → 8.2 M; at 100 profiles 11.7 M → 10.9 M; at 100 after OpenClaw
ran 20.5 M → 19.7 M. `eval '1'` at 1,000 profiles 15.3 M → 13.3 M; `status --json` at
1,000 profiles ~105 M → 99.3 M. Page faults of a 1,000-profile switch: 1,739 → ~1,440
(the table above). Two bench runs on this code put the 1,000-profile switch at 3.7× and
4.1× the floor (8.9 and 10.4 ms), and after OpenClaw ran at 2.8× and 2.5× (12.4 and
10.9 ms); the fourth pass's final run had 4.6× and 2.7× (10.4 and 11.5 ms).

**Tried, not kept.**
- **Transparent huge pages for the heap** (`madvise(MADV_HUGEPAGE)` over the 8 MB the
  heap is grown by at start): a 1,000-profile switch took 355–769 page faults instead
  of 1,739 and 8.2–9.8 ms of CPU instead of 10.5 ms, but a 100-profile switch gained
  nothing, peak RSS then counts in 2 MB steps, and with this kernel's
  `defrag=madvise` a fault in such a region compacts memory synchronously when no huge
  page is free: a stall on a user's busy machine that 1–2 ms here do not pay for.
- **mimalloc 0.1.52 again**: 36.7 M instructions instead of 43.4 M at 1,000 profiles,
  but with its eager commit off 2,127 page faults and 15.4 ms of CPU (against 1,739 and
  10.5 ms), and with its defaults 16.2 MB peak RSS at 100 profiles.

**What is left at 1,000 profiles** (35.9 M, inclusive counts): reading the store
(13.1 M: serde_json's scanning of 450 KB, the typed credentials, and learning 2,000
secrets 1.9 M), writing and masking the 188 KB state (4.5 M), the engine and both
scripts (5.3 M, at every size), expanding "codex" into 1,000 candidates (1.6 M), the
account orders as script values (1.7 M), and glibc `malloc` throughout (5.3 M).

## What dominated, and what was changed (issue #13, fourth pass)

The third pass (below) left a 1,000-profile switch at 57.1 M instructions. callgrind
counts of `switch --dry-run`, each row after the one above:

| change | 1,000 profiles | 3 profiles |
|---|---:|---:|
| before | 57.1 M | 9.9 M |
| scripts compiled without Rhai's optimiser (each is compiled once per run and its top level runs once) | 56.0 M | 8.8 M |
| function docs formatted only for `clawshift functions` | | 8.3 M |
| a SQLite row read again while the database is unchanged (its `data_version` and the connection's change count) is shared, not read out of SQLite again: 154 `pread` calls instead of 399 | 53.9 M | |
| candidates handed to scripts shared (`Rc`), their keys built without `format!` | 50.7 M | |
| the state's JSON written straight from the script values, not through serde value by value | 49.0 M | |
| a store's known credential members judged secret or not once per path, a learned value hashed once | 46.3 M | |
| tokens held once (the typed store shares the registry's copy, found by one hash in a `hashbrown::HashTable`) | 45.8 M | |
| a state file's strings masked one by one as it is written, not the whole text scanned after | 45.6 M | |
| `profileStatuses` entries copied from one map with shared kind strings | 45.2 M | |
| each learned value's hash kept beside it, so the registry never rehashes as it grows | 44.8 M | |
| the next state's account orders moved into it, compared with the saved ones without copying either | 43.4 M | 8.3 M |

At 100 profiles 14.4 M → 11.7 M; at 100 after OpenClaw ran 23.2 M → 20.5 M, of which
8.0 M is SQLite parsing OpenClaw's schema (~330 entries) once. `eval '1'` at 1,000
profiles, which learns every store's secrets before it prints, went from 27.0 M to
15.3 M: it now reads the stores with the typed reader too.

Two changes show in wall time more than in instructions: the rows read once (the kernel
copying a 500 KB row out of the page cache three times was ~10% of a 1,000-profile
switch under `perf`), and glibc's heap grown 8 MB at a time with 500 KB buffers kept on
it (`memory::tune_heap`: 51 `brk` calls became 10, and a 1,000-profile switch ran ~6%
faster in the same minute).

**The lower bound.** `examples/lower_bound.rs` does only what no switch with a Rhai
policy can skip: start, read the two rows, parse them, start Rhai and compile
`switch.rhai` and its policy. Its rows in the table above, beside the floor's, say how
much of 2× the floor any such design has left for judging, learning secrets, masking
and writing the state.

**What is left at 1,000 profiles** (43.4 M; inclusive counts measured at 45.2 M): reading the store
(15.9 M, of which learning its 2,000 secrets 3.6 M), the engine and both scripts (5.2 M,
at every size), writing and masking the state (4.5 M), expanding "codex" into 1,000
candidates (2.9 M), the state's changes (1.9 M), and glibc `malloc` throughout (9.2 M
over 47 k calls).

## What dominated, and what was changed (issue #13, third pass)

The second pass (below) left a 1,000-profile switch at 97 M instructions. callgrind
counts of `switch --dry-run`, each row after the one above:

| change | 1,000 profiles | 100, after OpenClaw ran |
|---|---:|---:|
| before | 96.9 M | 27.2 M |
| the state's `profileStatuses` built as script values straight from the typed statuses (`Change::ProfileStatuses`), not a thousand JSON maps converted; a profile's store members read in one pass | 83.6 M | |
| masking moves over a text up to five positions at a time (a Wu–Manber shift table over the secrets' last eight bytes); a store text without a backslash skips the escape scan of its tokens | 77.4 M | |
| a profile's account, email and plan decoded from its token only when asked for (`model::Identity`): a switch asks for none | 65.0 M | |
| a store read only to be read becomes typed credentials (`openclaw::store`) as it is parsed, its secrets learned on the way, instead of a JSON tree built and then walked | 58.6 M | |
| the parsed texts kept rather than copied; candidates deduplicated in place; secret paths hashed with foldhash | 57.1 M | 23.2 M |

At 100 profiles without OpenClaw's schema: 18.3 M before, 14.4 M after; at 3 profiles
10.0 M and 9.9 M.

**The floor and what is fixed.** At 3 profiles a switch already takes about twice the
sqlite3 floor (the first rows of the table above): of its 9.9 M instructions, starting
the engine and compiling `switch.rhai` and the policy module take 6.8 M, before any
profile is read. So within 2× of the floor at 1,000 profiles would leave nothing for the
thousand profiles themselves; their work is now ~47 k instructions each.

**Tried, not kept.** mimalloc 0.1.52 (mimalloc v3): 14.3 MB peak RSS at 100 profiles with
transparent huge pages, 8.4 MB without them, and no faster at 1,000. The whole crate at
`opt-level = 3`: 10% fewer instructions, 0.8 MB more peak RSS at 100 profiles, no clear
gain in wall time. `base64` alone at `opt-level = 3`: no change under LTO. A branch-free
scan for characters to escape: slower than the short-circuiting one.

**What is left at 1,000 profiles** (57 M): reading the store (~20 M: the typed parse
~10 M, learning 2,000 secrets ~8 M), the engine and both scripts (~7 M, at every size),
expanding "codex" into 1,000 candidates (~6 M), writing the state text (~5.5 M), the
state's changes as script values (~4.5 M), and glibc malloc and free throughout.

## What dominated, and what was changed (issue #13, second pass)

The first pass (below) left a 1,000-profile switch at 173 M instructions and 23.4 ms,
9.0× the floor, and 9.6 MB peak RSS at 100 profiles. callgrind counts of
`switch --dry-run` on states generated like the benchmark's, each row after the one
above ("after OpenClaw ran": the state once OpenClaw has given it its whole schema):

| change | 1,000 profiles | 100, after OpenClaw ran |
|---|---:|---:|
| before | 173.2 M | 34.8 M |
| the store parsed once per run: `set_model` reuses the status's parse while the texts are the same | 146.8 M | 32.1 M |
| foldhash instead of SipHash for profile ids and store texts, one hash per learned secret | 137.2 M | 31.2 M |
| a priority list expanded once per status (decide, its notes and the fallback chain asked three times) | 130.2 M | 30.5 M |
| a token's identity read by a visitor that skips every other claim | 124.8 M | 30.0 M |
| `next_state` converts only the six state keys it reads; state files written from script values without a JSON tree; `candidate_models` instead of a script closure per candidate | 97.0 M | 27.2 M |

At 100 profiles without OpenClaw's schema: 26.0 M before, 18.4 M after.

**Peak RSS.** The kernel maps a binary's code 64 KB around each page a run touches, and
the 1.7 MB of functions a run executes were spread over 5.5 MB of code, so most of it
became resident. `build.rs` now hands `lld` (Rust's default linker on x86_64 Linux) an
ordering file, `link/hot-symbols.txt`, which `tools/hot-symbols.sh` writes from callgrind
runs of `switch`, `status` and `eval` at 100 and 1,000 profiles, before and after OpenClaw
ran. The functions land together (1,720 KB of code within 1,727 KB), and a switch at 100
profiles peaks at about 6.4 MB instead of 9.4 MB, and runs faster for touching fewer
pages. CI checks the order is current and reached the linker
(`tools/check-hot-symbols.sh`). The symbol names carry a hash of the build's profile
and features, which is why the benchmark builds its own `cargo build --release` binary:
the one `cargo bench` leaves in `target/release` has the test hooks on.

**Tried, not kept.** mimalloc (v2) as the allocator: a switch at 1,000 profiles took
11.0 ms instead of 17.0 ms, but peak RSS at 100 profiles rose to 12.2 MB (8.4 MB with its
eager arena commit off, and then 4.7 ms instead of 4.0 ms).

**What is left at 1,000 profiles** (97 M): building the store's JSON tree and learning
its secrets (~28 M), token identities (~12 M), the new state's profile statuses built and
converted to script values (~13 M), writing and masking the state text (~11 M), and
allocation throughout (glibc malloc and free are about a third of the run). Within 2×
the floor needs a reader that never builds the store's tree.

## What dominated, and what was changed (issue #13)

The typed model and the readable policy (issue #13) left a 1,000-profile switch at
55.6 ms, 23.8× the floor. `perf` on it showed the time in masking secrets, not in the
policy: the registry of every secret the run read (issue #12) was an Aho-Corasick
automaton over ~2,000 tokens, rebuilt whenever a value was learned (~20% of the run);
learning walked each store document building a path string and lower-casing it for
every value (~27%); the first script `print` re-read and re-parsed every store to learn
them again (~10%); and candidates and account orders were deduplicated with linear
searches over 1,000 `model@profile` keys sharing a long prefix (~14%, in `memcmp`).

- Secrets are indexed by their last 8 bytes (a hash map of buckets, behind a 64 Kbit
  filter on the last 4): learning a value is one insert, masking a text one pass over
  it with one bit test per position. The end is the key because tokens share their
  beginnings (`eyJhbGciOi…`) but not their signatures.
- The walk keeps one lower-cased path buffer, judges each distinct path once, and skips
  numbers and booleans; a document whose exact text was already learned is not walked
  again, and the re-read before printing skips texts this run has read.
- Candidate keys, account orders and profile lookups use hash sets and a lazily built
  index on `Status`.
- A token's identity (account, email, plan) is read into a small struct instead of the
  whole claim tree, and only when the store lacks one of them.
- Rhai is built with `only_i64`: scripts only ever see 64-bit integers, and the engine no
  longer registers arithmetic for eleven other integer types (~0.4 MB less peak RSS).

callgrind, `switch --dry-run` after these changes: 26.0 M instructions at 100 profiles,
173 M at 1,000 (the sqlite3 floor: 2.4 M and 2.6 M). What is left at 1,000: parsing the
store's JSON twice (the status, then `set_model` checking the model and account; ~38 M),
the switch state's two 1,000-id orders converted between Rhai and JSON (~40 M), token
identities (~18 M), learning secrets (~14 M). The floor itself only copies the rows to
stdout; a 2× target at 1,000 profiles would need a reader that never builds the store's
JSON tree, which this change does not attempt.

Peak RSS at 100 profiles (9.4-9.5 MB): 4.8 MB of the binary's 5.5 MB of code is mapped
(the kernel maps 64 KB around each page a run touches, and the code a run touches is
spread through the binary), 1.7 MB of libc and libm, 1.4 MB of heap. Linking without
PIE saved another 0.5 MB but gives up address-space randomisation for a program that
handles credentials, so it was not kept; laying out the binary's hot code together
(a linker symbol-ordering file) would be the next step.

## What dominated, and what was changed (issue #8)

Targets: `clawshift switch --dry-run` on 100 profiles under 10 ms and 10 MB, cost linear
in profiles, engine and stdlib set up once per process, no Node on a native read. Before:
11.6 ms / 12.5 MB at 100 profiles, 83 ms / 28.8 MB at 1,000, `eval '1'` 3.8 ms / 10.0 MB.
Instructions are callgrind counts of `switch --dry-run` (deterministic; wall time on this
shared machine moves by 5-10% from run to run), each row after the one above:

| change | 100 profiles | 1,000 profiles | 100, after OpenClaw ran | 1,000, after OpenClaw ran |
|---|---:|---:|---:|---:|
| before | 104.9 M | 856.0 M | 140.7 M | 887.4 M |
| stdlib compiled on first import, Rhai's string interner off | 97.2 M | 827.5 M | | |
| `models_status()` without copies, JSON to script values directly | 87.9 M | 706.1 M | | |
| `std/policy` reads profiles in place, no calls or closures per profile | 61.1 M | 442.3 M | | |
| release profile (fat LTO, panic=abort, opt-level s outside the hot crates) | 59.1 M | 429.4 M | | |
| JWT parts decoded in place | 58.4 M | 422.2 M | 96.2 M | 459.1 M |
| each SQLite database opened once per command | 58.4 M | 422.0 M | 68.5 M | 431.7 M |
| a read row's cached pages freed | 57.8 M | 421.8 M | 67.7 M | 431.0 M |
| rows read without scanning `sqlite_master` first | 57.5 M | 421.7 M | 66.5 M | 429.6 M |
| engine, script and scope not dropped at exit | 55.6 M | 411.1 M | 64.5 M | 419.7 M |
| clawshift itself built at opt-level `s` (for memory, below) | 58.1 M | 430.3 M | 67.1 M | 438.1 M |

- **Start-up.** 15 of the 18.7 M instructions of `eval '1'` compiled the embedded stdlib
  (32 KB of Rhai), which most commands never import. A module resolver now compiles
  `std/<name>` on its first import and keeps it for the process: `eval '1'` went from
  18.7 M to 3.6 M instructions (3.0 M with the later changes), 3.8 → 1.7 ms. Rhai's
  string interner (256 entries, a full scan on every insert once full; every
  interpolated string holding a profile id goes through it) is off.
- **`models_status()`** (1,000 profiles: 202 M instructions) copied every profile four or
  five times: each store document was cloned for change detection that readers never do,
  the merged view cloned it again, `json!` serialized providers and profiles into new
  copies, a quadratic `order.contains` checked each profile, and `rhai::serde` converted
  the result. Readers now take documents without copies, the map is assembled by moving
  its parts, and JSON becomes script values directly (same values as Rhai's serde, tested):
  109 M. A quarter of the rest was decoding access tokens, a third of that copying each
  base64 part to rewrite characters real tokens never contain: decoded in place.
- **The policy** spent about 50 µs per profile, nearly all Rhai overhead: `profiles_of`
  copied a provider's whole profile list (several times per run), every key read was a
  `field()` script call (six per `profile_block`), and each candidate went through two or
  three closures. In Rhai a call or closure costs ~0.5-1 µs, a copy of a profile ~0.4 µs,
  `len`/`keys`/`push` on a big container re-measure it. The per-profile paths now read
  profiles in place, read keys inline with `field()`'s semantics, and fill arrays by index
  (`pad`, then `truncate`): `decide` on 1,000 profiles 28.7 → 15.2 ms, `next_state`
  18.3 → 9.1 ms. Every public function returns the same values (a differential run over
  21 statuses, 5 states and 10 priority lists prints the same 8,437 lines).
- **SQLite on a real state.** Once OpenClaw has used its state database, the database
  holds OpenClaw's whole schema (~330 entries) in WAL mode, and opening it is the most
  expensive read there is: SQLite parses every schema entry on the first statement
  (8 M instructions) and creates the -wal/-shm files that closing removes. A switch
  opened it four times (`detect` and the store read, in `models_status()` and again in
  `set_model`). The generated states, which lack that schema, hid it: before these
  changes the switch at 100 profiles took 11.5 ms on the generated state and 17.8 ms
  (12.3 MB) once OpenClaw had run on it. Each database is now
  opened once per command (reused while the path names the same unchanged file, closed
  when the command ends): 13.6 → 9.3 ms at that step. Reads no longer scan the schema
  table to check that a table exists (preparing the `SELECT` finds it).
- **Peak RSS** was mostly the binary, not data: at 100 profiles a switch mapped 7.4 MB of
  the 10.9 MB executable (the kernel maps file pages 64 KB around each fault), 1.4 MB of
  libc and 2-3 MB of heap. Fat LTO with one codegen unit and `panic = "abort"` (8.0 MB
  binary, 10.4 MB RSS), then opt-level `s` except for rhai, serde_json and clawshift
  (7.2 MB binary): 9.6 MB, no slower. On a state OpenClaw has used that was still
  10.0 MB (SQLite keeps the parsed schema, 244 KB, and touches its parser), so clawshift
  itself is now built for size too (6.5 MB binary): 9.6 MB there, 9.3 MB on the
  generated state, for 4% more instructions. Everything at `s` gives 8.8 MB but 6-8%
  more time than that. The old figures for `eval '1'` at 100 and 1,000 profiles (10.0
  and 14.5 MB) were partly the benchmark's own peak RSS, which a `vfork`ed child is
  charged at exec; runs now start from a small launcher.
- **Exit.** Dropping the engine (~900 registered functions with their metadata), the
  script and its scope freed memory the exit frees anyway: 14% of `eval '1'`, 3% of a
  switch. `run` and `eval` now skip it once the script has finished.
- **What is left at 100 profiles** (after OpenClaw ran: 67 M instructions, ~9 ms,
  ~9.6 MB): the policy ~28 M, compiling `std/policy` 10 M (Rhai's parser; comments cost
  nothing, the tokens do), SQLite parsing OpenClaw's schema 8 M, the native read and its
  conversion ~10 M. Memory: ~5 MB of the binary's pages, 1.4 MB of libc, 2.4 MB of heap,
  of which ~0.5 MB is Rhai's function registry with the names and doc comments of ~800
  standard functions (the `metadata` feature, which `clawshift functions` needs;
  `StandardPackage::new_lazy()` leaves them out but made the switch 70% slower by
  looking functions up anew in every script function call) and ~0.3 MB the parsed
  schema. Every standard Rhai package is kept, since user scripts may call any of them.
- **No Node on a native read:** `detect()` asks `openclaw --version` only when the files
  cannot tell the layout (an empty state dir, or a JSON store without `auth-state.json`);
  a test runs `models_status()` and `status` with a logging fake `openclaw` installed on
  the split-JSON and both SQLite layouts and checks it never starts.
"#;

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

/// The binary `cargo build --release` makes, built into its own target dir: the one
/// `cargo bench` leaves in target/release carries the test hooks (the tests' dev-dependency
/// on this package turns them on) and other symbol names, so build.rs's function order
/// would not apply to it. Then the lower bound's (`examples/lower_bound.rs`), by a
/// `cargo build` of its own: an example brings in the dev-dependencies too.
fn release_binary(root: &Path) -> (PathBuf, PathBuf) {
    let dir = root.join("target/bench-release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for target in [["--bin", "clawshift"], ["--example", "lower_bound"]] {
        let built = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "--release"])
            .args(target)
            .arg("--target-dir")
            .arg(&dir)
            .status()
            .expect("run cargo build");
        assert!(built.success(), "cargo build --release failed");
    }
    (
        dir.join("release/clawshift"),
        dir.join("release/examples/lower_bound"),
    )
}

/// `cargo bench --bench compare -- --states DIR`: the benchmark's states without the
/// measuring, for `tools/hot-symbols.sh`: `DIR/n<size>` for each size, and
/// `DIR/n<size>-after` once OpenClaw has read it (when OpenClaw is installed).
fn write_states(dir: &Path) {
    let openclaw = find_openclaw();
    for &n in SIZES {
        for after in [false, true] {
            if after && openclaw.is_none() {
                continue;
            }
            let home = dir.join(format!("n{n}{}", if after { "-after" } else { "" }));
            build_state(&home.join(".openclaw"), n);
            if let (true, Some((node, mjs))) = (after, &openclaw) {
                let ran = openclaw_status(node, mjs, &home)
                    .output()
                    .expect("run openclaw");
                assert!(ran.status.success(), "openclaw models status failed");
            }
        }
    }
}

/// `openclaw models status --json` on the state under `home`, offline.
fn openclaw_status(node: &Path, mjs: &Path, home: &Path) -> Command {
    let mut c = Command::new(node);
    c.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("OPENCLAW_STATE_DIR", home.join(".openclaw"))
        .env("TMPDIR", home)
        .env("TZ", "UTC")
        .env("npm_config_offline", "true")
        .arg(mjs)
        .args(["models", "status", "--json"]);
    c
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
        let access = clawshift::jwt::unsigned(
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
