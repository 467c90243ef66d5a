//! OpenClaw state in every layout (issue #4): detection, models_status, merge_profile,
//! set_model, locks, bad input, concurrency, the fake `openclaw` CLI, `status`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

pub(crate) const NOW_MS: i64 = 1_795_608_000_000;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openclaw")
}

/// Builds a SQLite database from a schema file and `rows/<table>/<key>.json` files.
fn build_db(db: &Path, schema: &str, rows: &Path) {
    fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.execute_batch(&fs::read_to_string(fixtures().join(schema)).expect("schema"))
        .expect("schema sql");
    for table in fs::read_dir(rows).expect("rows dir") {
        let table = table.expect("entry");
        let tname = table.file_name().to_string_lossy().to_string();
        let (kcol, vcol, tcol) = match tname.as_str() {
            "config_machine_state" => ("state_key", "value_json", "updated_at_ms"),
            "auth_profile_store" => ("store_key", "store_json", "updated_at"),
            _ => ("state_key", "state_json", "updated_at"),
        };
        for row in fs::read_dir(table.path()).expect("table dir") {
            let row = row.expect("row");
            let key = row
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".json")
                .to_string();
            let v: Value =
                serde_json::from_str(&fs::read_to_string(row.path()).expect("row")).expect("json");
            conn.execute(
                &format!("INSERT INTO {tname} ({kcol}, {vcol}, {tcol}) VALUES (?1, ?2, ?3)"),
                rusqlite::params![key, v.to_string(), NOW_MS - 60_000],
            )
            .expect("insert");
        }
    }
}

/// Lays out the fixture state of one layout in the sandbox's OpenClaw dir.
pub(crate) fn layout(s: &Sandbox, name: &str) {
    let src = fixtures().join(name);
    for e in fs::read_dir(&src).expect("fixture") {
        let e = e.expect("entry");
        let n = e.file_name().to_string_lossy().to_string();
        if n == "rows" {
            continue;
        }
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &s.openclaw().join(&n));
        } else {
            fs::copy(e.path(), s.openclaw().join(&n)).expect("copy");
        }
    }
    let rows = src.join("rows");
    if rows.join("state").exists() {
        build_db(
            &s.openclaw().join("state/openclaw.sqlite"),
            "schema-state.sql",
            &rows.join("state"),
        );
    }
    if rows.join("agent").exists() {
        build_db(&agent_db(s), "schema-agent.sql", &rows.join("agent"));
    }
}

pub(crate) fn agent_dir(s: &Sandbox) -> PathBuf {
    s.openclaw().join("agents/main/agent")
}
pub(crate) fn agent_db(s: &Sandbox) -> PathBuf {
    agent_dir(s).join("openclaw-agent.sqlite")
}
pub(crate) fn shared_db(s: &Sandbox) -> PathBuf {
    s.openclaw().join("state/openclaw.sqlite")
}
pub(crate) fn store_json(s: &Sandbox) -> PathBuf {
    agent_dir(s).join("auth-profiles.json")
}

pub(crate) fn fake_openclaw(s: &Sandbox) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bin/openclaw");
    s.install_bin("openclaw", &fs::read_to_string(src).expect("fake openclaw"));
}

/// A port nothing listens on (bound, then released).
pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `clawshift` with no gateway reachable and the fake `openclaw` (if installed) logging.
pub(crate) fn cmd(s: &Sandbox) -> assert_cmd::Command {
    let mut c = s.cmd();
    c.env("OPENCLAW_GATEWAY_PORT", free_port().to_string())
        .env("FAKE_OPENCLAW_LOG", s.root().join("openclaw.log"))
        .env("FAKE_OPENCLAW_RECORDED", fixtures().join("recorded"));
    c
}

/// The same environment as `cmd`, as a `std::process::Command` (to run many at once).
pub(crate) fn std_cmd(s: &Sandbox) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("clawshift"));
    c.env_clear()
        .env("HOME", s.root().join("home"))
        .env("PATH", format!("{}:/usr/bin:/bin", s.bin().display()))
        .env("CLAWSHIFT_HOME", s.home())
        .env("CLAWSHIFT_NOW", NOW)
        .env("OPENCLAW_STATE_DIR", s.openclaw())
        .env("CODEX_HOME", s.codex())
        .env("OPENCLAW_GATEWAY_PORT", free_port().to_string())
        .current_dir(s.root());
    c
}

pub(crate) fn b64(v: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

/// An unsigned JWT like the fixtures'.
pub(crate) fn jwt(name: &str, exp_ms: i64) -> String {
    format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&json!({
            "exp": exp_ms / 1000,
            "https://api.openai.com/auth": {"chatgpt_account_id": format!("acct-{name}-0001"), "chatgpt_plan_type": "pro"},
            "https://api.openai.com/profile": {"email": format!("{name}@example.com")}
        }))
    )
}

/// A Rhai map literal for a credential.
pub(crate) fn cred(name: &str) -> String {
    format!(
        r#"#{{access: "{}", refresh: "rt_FAKE_{name}_new"}}"#,
        jwt(name, NOW_MS + 5 * 86_400_000)
    )
}

pub(crate) fn eval(s: &Sandbox, snippet: &str) -> std::process::Output {
    cmd(s).args(["eval", snippet]).output().expect("run")
}

pub(crate) fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

pub(crate) fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).expect("read")).expect("json")
}

pub(crate) fn row(db: &Path, table: &str, key: &str) -> Option<Value> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let (kcol, vcol) = match table {
        "config_machine_state" => ("state_key", "value_json"),
        "auth_profile_store" => ("store_key", "store_json"),
        _ => ("state_key", "state_json"),
    };
    conn.query_row(
        &format!("SELECT {vcol} FROM {table} WHERE {kcol} = ?1"),
        [key],
        |r| r.get::<_, String>(0),
    )
    .ok()
    .map(|t| serde_json::from_str(&t).expect("row json"))
}

/// Every file under `dir` (but clawshift's own flock files) with a hash of its bytes and
/// its mtime: equal snapshots = nothing changed.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("clawshift/locks") {
                    stack.push(p);
                }
            } else {
                let m = fs::metadata(&p).expect("meta");
                let hash = clawshift::files::sha256_hex(&fs::read(&p).unwrap_or_default());
                out.insert(p.clone(), (hash, m.modified().expect("mtime")));
            }
        }
    }
    out
}

const SUMMARY: &str = r#"
let st = models_status();
let out = [`${st.layout} ${st.codex_provider} default=${st.default_model} current=${st.current} (${st.current_source}, ${st.current_profile}) fallbacks=${st.fallbacks} aliases=${st.aliases}`];
for name in st.providers.keys() {
    let p = st.providers[name];
    out.push(`${name}: ${p.order} from ${p.order_source}, last good ${p.last_good}`);
    for x in p.profiles {
        out.push(`  ${x.position} ${x.id} ${x["type"]} ${x.account_id} ${x.email} ${x.plan} usable=${x.usable} kind=${x.kind} reason=${x.reason} until=${x["until"]} remaining=${x.remaining_ms} model=${x.model} expires=${x.expires} in=${x.expires_in_ms}`);
    }
}
out.reduce(|sum, l| sum + l + "\n", "")
"#;

#[test]
fn a_session_pin_openclaw_chose_itself_is_not_the_current_account() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let sessions = s.openclaw().join("agents/main/sessions/sessions.json");
    let current = "let st = models_status(); `${st.current} ${st.current_profile}`";
    assert_eq!(
        ok(eval(&s, current)),
        "anthropic/claude-opus-4-7 anthropic:me\n"
    );
    let text = fs::read_to_string(&sessions).expect("sessions");
    let auto = text.replace(
        r#""authProfileOverrideSource": "user""#,
        r#""authProfileOverrideSource": "auto""#,
    );
    assert_ne!(auto, text);
    fs::write(&sessions, auto).expect("write");
    assert_eq!(ok(eval(&s, current)), "anthropic/claude-opus-4-7 \n");
}

#[test]
fn each_layout_is_detected_from_the_files() {
    for (fixture, name) in [
        ("legacy", "legacy-json"),
        ("split", "split-json"),
        ("sqlite", "sqlite"),
        ("agent-sqlite", "agent-sqlite"),
    ] {
        let s = Sandbox::new();
        layout(&s, fixture);
        assert_eq!(ok(eval(&s, "models_status().layout")), format!("{name}\n"));
    }
}

#[test]
fn a_native_read_starts_no_openclaw_when_the_files_tell_the_layout() {
    // OpenClaw is installed (and logs every start), yet neither models_status() nor
    // `status` runs it: only an empty state dir or a JSON store without auth-state.json
    // needs `openclaw --version`, and only `source: "openclaw"` needs more.
    for (fixture, name) in [
        ("split", "split-json"),
        ("sqlite", "sqlite"),
        ("agent-sqlite", "agent-sqlite"),
    ] {
        let s = Sandbox::new();
        layout(&s, fixture);
        fake_openclaw(&s);
        let out = cmd(&s)
            .args(["eval", "models_status().layout"])
            .output()
            .expect("run");
        assert_eq!(ok(out), format!("{name}\n"));
        ok(cmd(&s).args(["status", "--json"]).output().expect("run"));
        assert!(
            !s.root().join("openclaw.log").exists(),
            "{fixture}: openclaw was started: {}",
            fs::read_to_string(s.root().join("openclaw.log")).unwrap_or_default()
        );
    }
}

#[test]
fn an_empty_state_dir_takes_the_layout_of_the_installed_openclaw() {
    for (version, name) in [
        (Some("2026.4.21"), "legacy-json"),
        (Some("2026.5.28"), "split-json"),
        (Some("2026.7.2"), "agent-sqlite"),
        (Some("2026.9.6"), "sqlite"),
        (None, "sqlite"),
    ] {
        let s = Sandbox::new();
        if version.is_some() {
            fake_openclaw(&s);
        }
        let out = cmd(&s)
            .env("FAKE_OPENCLAW_VERSION", version.unwrap_or(""))
            .args(["eval", "models_status().layout"])
            .output()
            .expect("run");
        assert_eq!(ok(out), format!("{name}\n"), "{version:?}");
    }
}

#[test]
fn models_status_reads_the_legacy_store_and_the_main_session() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    assert_eq!(
        ok(eval(&s, SUMMARY)),
        "legacy-json openai-codex default=openai-codex/gpt-5.5 current=anthropic/claude-opus-4-7 (session, anthropic:me) fallbacks=[\"anthropic/claude-opus-4-7\"] aliases=#{\"codex\": \"openai-codex/gpt-5.5\", \"opus\": \"anthropic/claude-opus-4-7\"}\n\
         anthropic: [\"anthropic:me\"] from store, last good \n  \
         1 anthropic:me token    usable=true kind= reason= until= remaining= model= expires= in=\n\
         openai-codex: [\"openai-codex:alice\", \"openai-codex:bob\", \"openai-codex:carol\"] from store, last good openai-codex:alice\n  \
         1 openai-codex:alice oauth acct-alice-0001 alice@example.com plus usable=false kind=cooldown reason=rate_limit until=1795611420000 remaining=3420000 model=openai-codex/gpt-5.5 expires=1796472000000 in=864000000\n  \
         2 openai-codex:bob oauth acct-bob-0001 bob@example.com plus usable=false kind=disabled reason=billing until=1795615200000 remaining=7200000 model= expires=1796472000000 in=864000000\n  \
         3 openai-codex:carol oauth acct-carol-0001 carol@example.com plus usable=true kind= reason= until= remaining= model= expires=1795604400000 in=-3600000\n\n"
    );
}

#[test]
fn models_status_in_sqlite_lets_the_agent_local_order_win_and_never_reads_sessions() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let out = ok(eval(&s, SUMMARY));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "sqlite openai default=openai/gpt-5.5 current=openai/gpt-5.5 (default, ) fallbacks=[\"anthropic/claude-opus-4-7\"] aliases=#{\"codex\": \"openai/gpt-5.5\", \"opus\": \"anthropic/claude-opus-4-7\"}"
    );
    assert_eq!(
        lines[3],
        "openai: [\"openai:bob\", \"openai:alice\", \"openai:carol\"] from store, last good openai:alice"
    );
    assert!(
        lines[4].starts_with("  1 openai:bob oauth acct-bob-0001"),
        "{out}"
    );
    assert!(lines[5].contains("kind=cooldown reason=rate_limit until=1795611420000 remaining=3420000 model=openai/gpt-5.5"), "{out}");
}

const ANTHROPIC_TABLE: &str = "anthropic: order from store
  #  PROFILE       ACCOUNT  EMAIL  STATE  UNTIL  EXPIRES
  1  anthropic:me  -        -      ok     -      -
";

const CODEX_TABLE: &str = "openai-codex: order from store, last good openai-codex:alice
  #  PROFILE             ACCOUNT          EMAIL              STATE                                            UNTIL                       EXPIRES
  1  openai-codex:alice  acct-alice-0001  alice@example.com  cooldown:rate_limit (openai-codex/gpt-5.5 only)  2026-11-25T12:57:00Z (57m)  in 10d
  2  openai-codex:bob    acct-bob-0001    bob@example.com    disabled:billing                                 2026-11-25T14:00:00Z (2h)   in 10d
  3  openai-codex:carol  acct-carol-0001  carol@example.com  refresh-due                                      -                           1h ago
";

const OPENAI_TABLE: &str = "openai: order from store, last good openai:alice
  #  PROFILE       ACCOUNT          EMAIL              STATE                                      UNTIL                       EXPIRES
  1  openai:alice  acct-alice-0001  alice@example.com  cooldown:rate_limit (openai/gpt-5.5 only)  2026-11-25T12:57:00Z (57m)  in 10d
  2  openai:bob    acct-bob-0001    bob@example.com    disabled:billing                           2026-11-25T14:00:00Z (2h)   in 10d
  3  openai:carol  acct-carol-0001  carol@example.com  refresh-due                                -                           1h ago
";

#[test]
fn status_prints_a_table_for_each_layout() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let oc = s.openclaw();
    let out = ok(cmd(&s).arg("status").output().expect("run"));
    assert_eq!(
        out,
        format!(
            "Layout        sqlite (agent main)\n\
             State dir     {oc}\n\
             Config        {oc}/openclaw.json\n\
             Auth store    {oc}/state/openclaw.sqlite\n\
             Agent store   {oc}/agents/main/agent/openclaw-agent.sqlite\n\
             Default model openai/gpt-5.5\n\
             Fallbacks     anthropic/claude-opus-4-7\n\
             Current model openai/gpt-5.5 (default model)\n\
             \n\
             anthropic: order from store\n  \
             #  PROFILE       ACCOUNT  EMAIL  STATE  UNTIL  EXPIRES\n  \
             1  anthropic:me  -        -      ok     -      -\n\
             \n\
             openai: order from store, last good openai:alice\n  \
             #  PROFILE       ACCOUNT          EMAIL              STATE                                      UNTIL                       EXPIRES\n  \
             1  openai:bob    acct-bob-0001    bob@example.com    disabled:billing                           2026-11-25T14:00:00Z (2h)   in 10d\n  \
             2  openai:alice  acct-alice-0001  alice@example.com  cooldown:rate_limit (openai/gpt-5.5 only)  2026-11-25T12:57:00Z (57m)  in 10d\n  \
             3  openai:carol  acct-carol-0001  carol@example.com  refresh-due                                -                           1h ago\n",
            oc = oc.display()
        )
    );
    for (fixture, head) in [
        (
            "legacy",
            "Layout        legacy-json (agent main)\n\
             State dir     $S\n\
             Config        $S/openclaw.json\n\
             Auth store    $S/agents/main/agent/auth-profiles.json\n\
             Default model openai-codex/gpt-5.5\n\
             Fallbacks     anthropic/claude-opus-4-7\n\
             Current model anthropic/claude-opus-4-7 (main session), profile anthropic:me\n",
        ),
        (
            "split",
            "Layout        split-json (agent main)\n\
             State dir     $S\n\
             Config        $S/openclaw.json\n\
             Auth store    $S/agents/main/agent/auth-profiles.json\n\
             Auth state    $S/agents/main/agent/auth-state.json\n\
             Default model openai-codex/gpt-5.5\n\
             Fallbacks     anthropic/claude-opus-4-7\n\
             Current model openai-codex/gpt-5.5 (default model)\n",
        ),
        (
            "agent-sqlite",
            "Layout        agent-sqlite (agent main)\n\
             State dir     $S\n\
             Config        $S/openclaw.json\n\
             Auth store    $S/agents/main/agent/openclaw-agent.sqlite\n\
             Default model openai/gpt-5.5\n\
             Fallbacks     anthropic/claude-opus-4-7\n\
             Current model openai/gpt-5.5 (default model)\n",
        ),
    ] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let out = ok(cmd(&s).arg("status").output().expect("run"));
        let table = if fixture == "agent-sqlite" {
            OPENAI_TABLE
        } else {
            CODEX_TABLE
        };
        let want = format!("{head}\n{ANTHROPIC_TABLE}\n{table}")
            .replace("$S", &s.openclaw().display().to_string());
        assert_eq!(out, want, "{fixture}");
    }
    let s = Sandbox::new();
    layout(&s, "legacy");
    let json: Value = serde_json::from_str(&ok(cmd(&s)
        .args(["status", "--json"])
        .output()
        .expect("run")))
    .expect("json");
    assert_eq!(json["layout"], "legacy-json");
    assert_eq!(json["current_source"], "session");
}

#[test]
fn merge_profile_adds_updates_and_leaves_unchanged_keeping_unknown_fields() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let before = read_json(&store_json(&s));
    let cfg_before = fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg");
    let snippet = format!(
        r#"merge_profile("openai-codex:dave", {}).action"#,
        cred("dave")
    );
    assert_eq!(ok(eval(&s, &snippet)), "added\n");
    assert_eq!(ok(eval(&s, &snippet)), "unchanged\n");
    // The whole map comes back too.
    assert_eq!(
        ok(eval(
            &s,
            &format!(
                r#"let r = merge_profile("openai-codex:dave", {}); `${{r.id}} ${{r.action}} ${{r.layout}}`"#,
                cred("dave")
            )
        )),
        "openai-codex:dave unchanged legacy-json\n"
    );
    let after = read_json(&store_json(&s));
    let mut expected = before.clone();
    expected["profiles"]["openai-codex:dave"] = json!({
        "type": "oauth", "provider": "openai-codex",
        "access": jwt("dave", NOW_MS + 5 * 86_400_000),
        "refresh": "rt_FAKE_dave_new", "expires": 1_796_040_000_000i64,
        "accountId": "acct-dave-0001", "email": "dave@example.com"
    });
    expected["order"]["openai-codex"]
        .as_array_mut()
        .expect("order")
        .push("openai-codex:dave".into());
    assert_eq!(after, expected);
    // 2-space JSON with a trailing newline, key order kept, mode 0600.
    let text = fs::read_to_string(store_json(&s)).expect("read");
    assert_eq!(
        text,
        format!(
            "{}\n",
            serde_json::to_string_pretty(&expected).expect("pretty")
        )
    );
    assert_eq!(mode(&store_json(&s)), 0o600);
    assert_eq!(after["x-unknown-top"], json!({"kept": true}));
    // openclaw.json declares it; everything else is untouched.
    let cfg: Value = read_json(&s.openclaw().join("openclaw.json"));
    assert_eq!(
        cfg["auth"]["profiles"]["openai-codex:dave"],
        json!({"provider": "openai-codex", "mode": "oauth"})
    );
    assert_eq!(
        cfg["auth"]["order"]["openai-codex"],
        json!([
            "openai-codex:alice",
            "openai-codex:bob",
            "openai-codex:carol",
            "openai-codex:dave"
        ])
    );
    assert_eq!(cfg["meta"], json!({"lastTouchedVersion": "2026.9.6"}));
    let cfg_text = fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg");
    let changed: Vec<_> = similar::TextDiff::from_lines(&cfg_before, &cfg_text)
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| format!("{}{}", c.tag(), c.value()))
        .collect();
    assert_eq!(
        changed.concat(),
        "+      },\n+      \"openai-codex:dave\": {\n+        \"provider\": \"openai-codex\",\n+        \"mode\": \"oauth\"\n-        \"openai-codex:carol\"\n+        \"openai-codex:carol\",\n+        \"openai-codex:dave\"\n"
    );
    // An update keeps the existing profile's extra fields.
    let upd = format!(
        r#"merge_profile("openai-codex:alice", #{{access: "{}", refresh: "rt_FAKE_alice_2", email: "alice@example.com"}}).action"#,
        jwt("alice", NOW_MS + 9 * 86_400_000)
    );
    assert_eq!(ok(eval(&s, &upd)), "updated\n");
    let alice = &read_json(&store_json(&s))["profiles"]["openai-codex:alice"];
    assert_eq!(alice["displayName"], "Alice (work)");
    assert_eq!(alice["refresh"], "rt_FAKE_alice_2");
    assert_eq!(alice["expires"], 1_796_385_600_000i64);
    // Every write was backed up and journaled, without tokens.
    let journal = fs::read_to_string(s.home().join("journal.jsonl")).expect("journal");
    assert_eq!(journal.lines().count(), 3, "{journal}");
    for f in fs::read_dir(s.home().join("backups")).expect("backups") {
        assert_eq!(mode(&f.expect("entry").path()), 0o600);
    }
}

#[test]
fn merge_profile_validates_the_credential_with_clear_errors() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let snap = snapshot(s.root());
    for (snippet, msg) in [
        (
            r#"merge_profile("openai:x", #{refresh: "rt_FAKE_x"})"#.to_string(),
            "error: merge_profile: `access` (the access token) is missing\n",
        ),
        (
            format!(r#"merge_profile("openai-codex:x", {})"#, cred("x")),
            "error: merge_profile: profile id `openai-codex:x` must start with the provider `openai:` (e.g. `openai:alice`)\n",
        ),
        (
            format!(
                r#"merge_profile("openai:x", #{{access: "{}", refresh: "r", expires: 1796040000}})"#,
                jwt("x", NOW_MS)
            ),
            "error: merge_profile: `expires` = 1796040000 looks like seconds; OpenClaw stores milliseconds (multiply by 1000)\n",
        ),
        (
            format!(
                r#"merge_profile("openai:x", #{{access: "{}", refresh: "r", colour: "red"}})"#,
                jwt("x", NOW_MS)
            ),
            "error: merge_profile: unknown credential field(s) `colour`; OpenClaw rejects unknown keys.",
        ),
        (
            format!(
                r#"merge_profile("openai:x", #{{access: "{}", refresh: "rt_FAKE_bob_0123456789abcdef"}})"#,
                jwt("x", NOW_MS)
            ),
            "error: merge_profile: the refresh token is already stored as profile `openai:bob`",
        ),
        (
            format!(
                r#"merge_profile("anthropic:me", #{{provider: "anthropic", access: "{}", refresh: "r"}})"#,
                jwt("x", NOW_MS)
            ),
            "error: merge_profile: profile `anthropic:me` exists with type `token`",
        ),
    ] {
        let out = eval(&s, &snippet);
        assert_eq!(out.status.code(), Some(1), "{snippet}");
        assert!(stderr(&out).starts_with(msg), "{snippet}\n{}", stderr(&out));
        assert!(
            !stderr(&out)
                .lines()
                .next()
                .unwrap_or("")
                .contains("rt_FAKE")
        );
    }
    assert_eq!(snapshot(s.root()), snap, "nothing changed");
}

#[test]
fn merge_profile_in_sqlite_writes_rows_in_a_transaction_and_never_creates_json() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let before = row(&shared_db(&s), "config_machine_state", "authProfiles.store").expect("row");
    // Tokens come in through the environment, so the command line (journaled) has none.
    let out = cmd(&s)
        .env("T_ACCESS", jwt("dave", NOW_MS + 5 * 86_400_000))
        .env("T_REFRESH", "rt_FAKE_dave_new")
        .args(["eval", r#"merge_profile("openai:dave", #{access: env("T_ACCESS"), refresh: env("T_REFRESH")}).action"#])
        .output()
        .expect("run");
    assert_eq!(ok(out), "added\n");
    assert!(!store_json(&s).exists());
    let store = row(&shared_db(&s), "config_machine_state", "authProfiles.store").expect("row");
    assert_eq!(
        store["profiles"]["openai:dave"]["accountId"],
        "acct-dave-0001"
    );
    assert_eq!(
        store["profiles"]["openai:dave"]["chatgptPlanType"],
        Value::Null
    );
    let mut kept = store.clone();
    kept["profiles"]
        .as_object_mut()
        .expect("obj")
        .remove("openai:dave");
    assert_eq!(kept, before);
    // The agent-local order is the effective one, so the new id goes there.
    let local = row(&agent_db(&s), "auth_profile_state", "primary").expect("row");
    assert_eq!(
        local["order"]["openai"],
        json!(["openai:bob", "openai:alice", "openai:carol", "openai:dave"])
    );
    let shared_state =
        row(&shared_db(&s), "config_machine_state", "authProfiles.state").expect("row");
    assert_eq!(
        shared_state["order"]["openai"],
        json!(["openai:alice", "openai:bob", "openai:carol"])
    );
    let journal = fs::read_to_string(s.home().join("journal.jsonl")).expect("journal");
    let entries: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).expect("entry"))
        .collect();
    let rows: Vec<String> = entries
        .iter()
        .filter(|e| e["kind"] == "row")
        .map(|e| e["row"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        rows,
        [
            "config_machine_state/authProfiles.store",
            "auth_profile_state/primary"
        ]
    );
    for e in entries.iter().filter(|e| e["kind"] == "row") {
        let b = PathBuf::from(e["backup"].as_str().expect("backup"));
        assert_eq!(mode(&b), 0o600);
    }
    assert!(!journal.contains("rt_FAKE"));
}

#[test]
fn merge_profile_in_the_split_layout_keeps_credentials_and_order_apart() {
    let s = Sandbox::new();
    layout(&s, "split");
    assert_eq!(
        ok(eval(
            &s,
            &format!(
                r#"merge_profile("openai-codex:dave", {}).action"#,
                cred("dave")
            )
        )),
        "added\n"
    );
    let store = read_json(&store_json(&s));
    assert!(store.get("order").is_none());
    assert_eq!(
        store["profiles"]["openai-codex:dave"]["email"],
        "dave@example.com"
    );
    let st = read_json(&agent_dir(&s).join("auth-state.json"));
    assert_eq!(st["order"]["openai-codex"][3], "openai-codex:dave");
    assert_eq!(mode(&agent_dir(&s).join("auth-state.json")), 0o600);
}

#[test]
fn merge_profile_on_an_empty_state_creates_the_sqlite_store_openclaw_accepts() {
    let s = Sandbox::new();
    assert_eq!(
        ok(eval(
            &s,
            &format!(r#"merge_profile("openai:dave", {}).layout"#, cred("dave"))
        )),
        "sqlite\n"
    );
    assert!(!store_json(&s).exists());
    assert_eq!(
        row(&shared_db(&s), "config_machine_state", "auth.sharedStore"),
        Some(json!({"location": "state-db"}))
    );
    assert_eq!(
        row(&shared_db(&s), "config_machine_state", "authProfiles.state"),
        Some(json!({"version": 1, "order": {"openai": ["openai:dave"]}}))
    );
    assert_eq!(mode(&shared_db(&s)), 0o600);
    assert_eq!(
        fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg"),
        "{\n  \"auth\": {\n    \"profiles\": {\n      \"openai:dave\": {\n        \"provider\": \"openai\",\n        \"mode\": \"oauth\"\n      }\n    },\n    \"order\": {\n      \"openai\": [\n        \"openai:dave\"\n      ]\n    }\n  }\n}\n"
    );
}

#[test]
fn a_state_database_without_auth_rows_gets_the_shared_store_on_first_write() {
    // What `openclaw config set` leaves in a fresh 2026.9 state dir.
    let s = Sandbox::new();
    let db = shared_db(&s);
    fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch(&fs::read_to_string(fixtures().join("schema-state.sql")).expect("schema"))
        .expect("schema");
    conn.execute(
        "INSERT INTO config_machine_state VALUES ('config.lastTouchedAt', '\"2026-11-25T11:27:39.216Z\"', 1)",
        [],
    )
    .expect("insert");
    drop(conn);
    assert_eq!(ok(eval(&s, "models_status().layout")), "sqlite\n");
    assert_eq!(
        ok(eval(
            &s,
            &format!(r#"merge_profile("openai:dave", {}).action"#, cred("dave"))
        )),
        "added\n"
    );
    assert_eq!(
        row(&db, "config_machine_state", "auth.sharedStore"),
        Some(json!({"location": "state-db"}))
    );
    assert_eq!(
        row(&db, "config_machine_state", "authProfiles.store").expect("row")["profiles"]["openai:dave"]
            ["accountId"],
        "acct-dave-0001"
    );
    assert!(!agent_db(&s).exists());
    assert!(!store_json(&s).exists());
}

#[test]
fn set_model_is_idempotent_and_a_second_run_writes_nothing() {
    for fixture in ["legacy", "sqlite"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let (model, profile) = if fixture == "legacy" {
            ("openai-codex/gpt-5.4", "openai-codex:bob")
        } else {
            ("openai/gpt-5.4", "openai:alice")
        };
        let snippet = format!(r#"set_model("{model}", "{profile}")"#);
        let first: Value = serde_json::from_str(&ok(eval(&s, &snippet))).expect("json");
        assert_eq!(first["changed"], true, "{first}");
        let snap = snapshot(s.root());
        let second: Value = serde_json::from_str(&ok(eval(&s, &snippet))).expect("json");
        assert_eq!(second["changed"], false, "{second}");
        assert_eq!(second["applied"], json!([]));
        assert_eq!(
            snapshot(s.root()),
            snap,
            "{fixture}: the second run changed a file"
        );
        let st = ok(eval(
            &s,
            &format!(
                r#"let p = models_status().providers; `${{p["{}"].order[0]}}`"#,
                model.split('/').next().unwrap_or("")
            ),
        ));
        assert_eq!(st, format!("{profile}\n"));
        let cfg = read_json(&s.openclaw().join("openclaw.json"));
        assert_eq!(cfg["agents"]["defaults"]["model"]["primary"], model);
        // The old primary stays reachable through OpenClaw's own failover.
        let old = model.replace("gpt-5.4", "gpt-5.5");
        assert_eq!(
            cfg["agents"]["defaults"]["model"]["fallbacks"],
            json!([old, "anthropic/claude-opus-4-7"])
        );
    }
}

#[test]
fn set_model_reports_each_step_and_skips_the_session_without_a_gateway() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    // The gateway client needs no `openclaw` installed: only a listening gateway.
    let port = free_port();
    let out = ok(cmd(&s)
        .env("OPENCLAW_GATEWAY_PORT", port.to_string())
        .args(["eval", r#"set_model("codex", "openai-codex:bob")"#])
        .output()
        .expect("run"));
    assert_eq!(
        out,
        format!(
            "{{\n  \"applied\": [\n    \"order openai-codex: openai-codex:bob, openai-codex:alice, openai-codex:carol (written directly (locked))\"\n  ],\n  \"changed\": true,\n  \"skipped\": [\n    \"default model: already openai-codex/gpt-5.5\",\n    \"fallbacks: already anthropic/claude-opus-4-7\",\n    \"main session: no gateway is listening on 127.0.0.1:{port} (new sessions use the default model)\"\n  ]\n}}\n"
        )
    );
    let out = eval(&s, r#"set_model("gpt-5.5")"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: set_model: `gpt-5.5` is neither `provider/model`"));
    let out = eval(&s, r#"set_model("openai-codex/gpt-5.5", "anthropic:me")"#);
    assert!(stderr(&out).starts_with(
        "error: set_model: profile `anthropic:me` belongs to provider `anthropic`, but `openai-codex/gpt-5.5` is served by `openai-codex`\n"
    ));
}

#[test]
fn set_model_falls_back_to_the_openclaw_cli_when_the_gateway_port_stays_silent() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    fake_openclaw(&s);
    // Something accepts connections on the gateway port but never answers: the
    // order goes through the CLI, the session is skipped, and the wait is bounded by
    // --timeout and paid once.
    let gw = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = gw.local_addr().expect("addr").port();
    let started = std::time::Instant::now();
    let out = ok(cmd(&s)
        .env("OPENCLAW_GATEWAY_PORT", port.to_string())
        .args([
            "--timeout",
            "8",
            "eval",
            r#"set_model("openai/gpt-5.5", "openai:carol")"#,
        ])
        .output()
        .expect("run"));
    assert_eq!(
        out,
        format!(
            "{{\n  \"applied\": [\n    \"order openai: openai:carol, openai:bob, openai:alice (through `openclaw models auth order set --provider openai`)\"\n  ],\n  \"changed\": true,\n  \"skipped\": [\n    \"default model: already openai/gpt-5.5\",\n    \"fallbacks: already anthropic/claude-opus-4-7\",\n    \"main session: the gateway on 127.0.0.1:{port} did not answer in time (new sessions use the default model)\"\n  ]\n}}\n"
        )
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let log: Vec<Value> = fs::read_to_string(s.root().join("openclaw.log"))
        .expect("log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        log,
        [
            json!({"argv": ["models", "auth", "order", "set", "--provider", "openai", "--agent", "main", "openai:carol", "openai:bob", "openai:alice"], "npm_config_offline": "true"}),
        ]
    );
    assert_eq!(
        row(&agent_db(&s), "auth_profile_state", "primary").expect("row")["order"]["openai"],
        json!(["openai:carol", "openai:bob", "openai:alice"])
    );
}

#[test]
fn models_status_from_openclaw_maps_its_json_to_the_same_shape() {
    let s = Sandbox::new();
    fake_openclaw(&s);
    // The real 2026.9.6 output (recorded B2), not the fake's answer from the state.
    let out = ok(cmd(&s)
        .env(
            "FAKE_OPENCLAW_STATUS",
            fixtures().join("recorded/B2-status-json.stdout"),
        )
        .args(["eval", r#"let st = models_status(#{source: "openclaw"});
            let a = st.profiles["openai:alice"]; let b = st.profiles["openai:bob"];
            `${st.source} ${st.layout} ${st.default_model} ${st.fallbacks} ${st.providers.openai.order}
${a.usable} ${a.kind} ${a.reason} ${a["until"]} ${a.remaining_ms} ${a.email} ${a.expires}
${b.usable} ${b.kind} ${b.reason} ${b["until"]} ${b.remaining_ms}
${st.profiles["anthropic:me"].usable} ${st.profiles["anthropic:me"]["type"]}`"#])
        .output()
        .expect("run"));
    assert_eq!(
        out,
        "openclaw sqlite openai/gpt-5.5 [\"anthropic/claude-opus-4-7\"] [\"openai:alice\", \"openai:bob\"]\n\
         false cooldown  1795520179815 3422962 alice@example.com 1796380579000\n\
         false disabled billing 1795523779815 7022962\n\
         true token\n"
    );
    let log = fs::read_to_string(s.root().join("openclaw.log")).expect("log");
    assert!(
        log.contains(r#"{"argv": ["models", "status", "--json", "--agent", "main"], "npm_config_offline": "true"}"#),
        "{log}"
    );
}

#[test]
fn models_status_from_openclaw_reports_its_failure() {
    let s = Sandbox::new();
    fake_openclaw(&s);
    let out = cmd(&s)
        .env(
            "FAKE_OPENCLAW_STATUS",
            fixtures().join("recorded/A2-legacy-status-json.stdout"),
        )
        .env("FAKE_OPENCLAW_STATUS_RC", "1")
        .args(["eval", r#"models_status(#{source: "openclaw"})"#])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(
        "error: models_status: `openclaw models status --json --agent main` failed (Auth profile store ~/.openclaw/agents/main/agent/openclaw-agent.sqlite requires legacy credential migration;"
    ), "{}", stderr(&out));
    let out = cmd(&s)
        .env("FAKE_OPENCLAW_SLEEP", "5")
        .args([
            "--timeout",
            "2",
            "eval",
            r#"models_status(#{source: "openclaw"})"#,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did not finish within"),
        "{}",
        stderr(&out)
    );
}

pub(crate) fn write_lock(s: &Sandbox, pid: u32, created_ms: i64) -> PathBuf {
    let created = chrono::DateTime::from_timestamp_millis(created_ms)
        .expect("time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let p = agent_dir(s).join("auth-profiles.json.lock");
    fs::write(
        &p,
        format!("{{\n  \"pid\": {pid},\n  \"createdAt\": \"{created}\"\n}}"),
    )
    .expect("lock");
    p
}

#[test]
fn a_lock_held_by_a_live_process_waits_then_fails_naming_it_and_writes_nothing() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    // Lock times are wall-clock times, whatever CLAWSHIFT_NOW says.
    let lock = write_lock(
        &s,
        std::process::id(),
        chrono::Utc::now().timestamp_millis(),
    );
    let snap = snapshot(s.root());
    let started = std::time::Instant::now();
    let out = cmd(&s)
        .args([
            "--timeout",
            "3",
            "eval",
            &format!(r#"merge_profile("openai-codex:dave", {})"#, cred("dave")),
        ])
        .output()
        .expect("run");
    let waited = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        waited.as_millis() >= 500,
        "it waited for the holder ({waited:?})"
    );
    assert!(waited.as_secs() < 15);
    assert!(stderr(&out).starts_with(&format!(
        "error: merge_profile: the OpenClaw auth store is locked: `{}` is held by process {}; nothing was written.",
        lock.display(),
        std::process::id()
    )), "{}", stderr(&out));
    assert_eq!(snapshot(s.root()), snap);
}

#[test]
fn a_stale_lock_is_taken_over_and_released() {
    for stale in ["dead pid", "older than 30 s"] {
        let s = Sandbox::new();
        layout(&s, "legacy");
        let pid = if stale == "dead pid" {
            let mut c = std::process::Command::new("true").spawn().expect("spawn");
            let pid = c.id();
            c.wait().expect("wait");
            write_lock(&s, pid, chrono::Utc::now().timestamp_millis());
            pid
        } else {
            write_lock(
                &s,
                std::process::id(),
                chrono::Utc::now().timestamp_millis() - 31_000,
            );
            std::process::id()
        };
        let _ = pid;
        assert_eq!(
            ok(eval(
                &s,
                &format!(
                    r#"merge_profile("openai-codex:dave", {}).action"#,
                    cred("dave")
                )
            )),
            "added\n",
            "{stale}"
        );
        assert!(!agent_dir(&s).join("auth-profiles.json.lock").exists());
    }
}

#[test]
fn a_directory_at_the_lock_path_counts_as_held() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let lock = agent_dir(&s).join("auth-profiles.json.lock");
    fs::create_dir(&lock).expect("mkdir");
    let out = cmd(&s)
        .args([
            "--timeout",
            "2",
            "eval",
            &format!(r#"merge_profile("openai-codex:dave", {})"#, cred("dave")),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&format!(
        "`{}` is held by a directory (an older OpenClaw's proper-lockfile lock); nothing was written.",
        lock.display()
    )), "{}", stderr(&out));
    assert!(lock.is_dir());
}

/// Breaks a fixture and returns the start of the expected error.
type Breaker = Box<dyn Fn(&Sandbox) -> String>;

#[test]
fn bad_input_gets_a_clear_error_naming_the_file_and_changes_nothing() {
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "legacy",
            Box::new(|s: &Sandbox| {
                fs::write(store_json(s), "{\"version\": 1, \"profiles\": {").expect("w");
                format!(
                    "error: models_status: `{}` is not valid JSON (EOF while parsing an object at line 1 column 28)",
                    store_json(s).display()
                )
            }),
        ),
        (
            "legacy",
            Box::new(|s: &Sandbox| {
                fs::write(store_json(s), "{\"version\": 2, \"profiles\": {}}").expect("w");
                format!(
                    "error: models_status: `{}` has auth store version 2; clawshift understands version 1 only",
                    store_json(s).display()
                )
            }),
        ),
        (
            "legacy",
            Box::new(|s: &Sandbox| {
                let p = s.openclaw().join("openclaw.json");
                fs::write(&p, "{ agents: { defaults: { model: 'x' }, }").expect("w");
                format!("error: models_status: `{}` is not valid JSON5", p.display())
            }),
        ),
        (
            "sqlite",
            Box::new(|s: &Sandbox| {
                let p = shared_db(s);
                let bytes = fs::read(&p).expect("r");
                fs::write(&p, &bytes[..bytes.len() / 3]).expect("w");
                format!("error: models_status: SQLite database `{}`:", p.display())
            }),
        ),
        (
            "sqlite",
            Box::new(|s: &Sandbox| {
                let conn = rusqlite::Connection::open(shared_db(s)).expect("open");
                conn.execute("UPDATE config_machine_state SET value_json = 'not json' WHERE state_key = 'authProfiles.store'", []).expect("u");
                format!(
                    "error: models_status: `{}` row config_machine_state/authProfiles.store is not valid JSON",
                    shared_db(s).display()
                )
            }),
        ),
        (
            "sqlite",
            Box::new(|s: &Sandbox| {
                let conn = rusqlite::Connection::open(agent_db(s)).expect("open");
                conn.execute(
                    "UPDATE auth_profile_state SET state_json = '{\"version\":7}'",
                    [],
                )
                .expect("u");
                format!(
                    "error: models_status: `{}` row auth_profile_state/primary has auth store version 7",
                    agent_db(s).display()
                )
            }),
        ),
    ];
    for (fixture, breaker) in cases {
        let s = Sandbox::new();
        layout(&s, fixture);
        let expected = breaker(&s);
        let snap = snapshot(s.root());
        for snippet in [
            "models_status()".to_string(),
            format!(
                r#"merge_profile("{}:dave", {})"#,
                if fixture == "legacy" {
                    "openai-codex"
                } else {
                    "openai"
                },
                cred("dave")
            ),
        ] {
            let out = eval(&s, &snippet);
            assert_eq!(out.status.code(), Some(1), "{snippet}");
            let err = stderr(&out);
            let expected = if snippet.starts_with("merge") {
                expected.replace("models_status:", "merge_profile:")
            } else {
                expected.clone()
            };
            assert!(
                err.starts_with(&expected),
                "{snippet}\nwant: {expected}\ngot:  {err}"
            );
        }
        assert_eq!(snapshot(s.root()), snap, "{expected}");
    }
}

#[test]
fn a_legacy_store_next_to_sqlite_is_reported_with_the_doctor_fix_and_never_written() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    fs::write(store_json(&s), "{\"version\":1,\"profiles\":{}}\n").expect("w");
    let snap = snapshot(s.root());
    let out = eval(
        &s,
        &format!(r#"merge_profile("openai:dave", {})"#, cred("dave")),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(&format!(
        "error: merge_profile: `{}` is a legacy auth store next to the SQLite store `{}`; OpenClaw 2026.9 refuses to run while it exists (AUTH_PROFILE_MIGRATION_REQUIRED). Fix: run `openclaw doctor --fix`, which imports it into SQLite and renames it; nothing was written\n",
        store_json(&s).display(),
        shared_db(&s).display()
    )), "{}", stderr(&out));
    let out = eval(&s, r#"set_model("anthropic/claude-opus-4-7")"#);
    assert!(stderr(&out).contains("openclaw doctor --fix"));
    let status = ok(cmd(&s).arg("status").output().expect("run"));
    assert!(status.contains("\nwarning: `"), "{status}");
    assert!(
        status.contains("Fix: run `openclaw doctor --fix`"),
        "{status}"
    );
    assert_eq!(snapshot(s.root()), snap);
}

#[test]
fn twenty_concurrent_merges_all_land() {
    for fixture in ["legacy", "sqlite"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let provider = if fixture == "legacy" {
            "openai-codex"
        } else {
            "openai"
        };
        let children: Vec<_> = (0..20)
            .map(|i| {
                let mut c = std_cmd(&s);
                c.args([
                    "--timeout",
                    "50",
                    "eval",
                    &format!(
                        r#"merge_profile("{provider}:u{i}", {}).action"#,
                        cred(&format!("u{i}"))
                    ),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert_eq!(ok(out), "added\n");
        }
        let st: Value = serde_json::from_str(&ok(eval(&s, "models_status()"))).expect("json");
        let order: Vec<String> = st["providers"][provider]["order"]
            .as_array()
            .expect("order")
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        for i in 0..20 {
            let id = format!("{provider}:u{i}");
            assert!(st["profiles"].get(&id).is_some(), "{fixture}: {id} missing");
            assert!(order.contains(&id), "{fixture}: {id} not in order");
        }
        assert_eq!(order.len(), 23);
        let cfg = read_json(&s.openclaw().join("openclaw.json"));
        assert_eq!(
            cfg["auth"]["order"][provider]
                .as_array()
                .expect("order")
                .len(),
            23
        );
        assert_eq!(
            cfg["auth"]["profiles"].as_object().expect("profiles").len(),
            24
        );
        assert!(!agent_dir(&s).join("auth-profiles.json.lock").exists());
    }
}

#[test]
fn openclaw_json_includes_are_read_and_keys_they_own_are_not_written() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    s.write(
        "openclaw/models.json5",
        "// shared models\n{ agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-7', fallbacks: ['openai/gpt-5.5'] } } } }\n",
    );
    s.write(
        "openclaw/openclaw.json",
        "{\n  // main file\n  \"$include\": \"./models.json5\",\n  \"auth\": {},\n}\n",
    );
    assert_eq!(
        ok(eval(
            &s,
            "let st = models_status(); `${st.default_model} ${st.fallbacks}`"
        )),
        "anthropic/claude-opus-4-7 [\"openai/gpt-5.5\"]\n"
    );
    let snap = snapshot(s.root());
    let out = eval(&s, r#"set_model("openai/gpt-5.5")"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with(&format!(
        "error: set_model: `agents.defaults.model.primary` is set in `{}` (included from `{}` via `$include`)",
        s.openclaw().join("./models.json5").display(),
        s.openclaw().join("openclaw.json").display()
    )), "{}", stderr(&out));
    assert_eq!(snapshot(s.root()), snap);
    // Keys the include does not own are written in the main file, comments kept.
    ok(eval(
        &s,
        &format!(r#"merge_profile("openai:dave", {})"#, cred("dave")),
    ));
    let text = fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg");
    assert!(
        text.starts_with("{\n  // main file\n  \"$include\": \"./models.json5\",\n"),
        "{text}"
    );
    let cfg: Value = json5::from_str(&text).expect("json5");
    assert_eq!(cfg["auth"]["profiles"]["openai:dave"]["mode"], "oauth");
    // A cycle is an error naming both files.
    s.write("openclaw/models.json5", "{ $include: './openclaw.json' }");
    let out = eval(&s, "models_status()");
    assert!(
        stderr(&out).contains("`$include` cycle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_json5_config_keeps_its_comments_when_edited() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    s.write(
        "openclaw/openclaw.json",
        "// my config\n{\n  /* gateway */\n  gateway: { port: 18789, },\n  agents: {\n    defaults: {\n      model: 'openai/gpt-5.5', // plain string\n    },\n  },\n}\n",
    );
    ok(eval(&s, r#"set_model("anthropic/claude-opus-4-7")"#));
    assert_eq!(
        fs::read_to_string(s.openclaw().join("openclaw.json")).expect("cfg"),
        "// my config\n{\n  /* gateway */\n  gateway: { port: 18789, },\n  agents: {\n    defaults: {\n      model: {\n        \"primary\": \"anthropic/claude-opus-4-7\",\n        \"fallbacks\": [\"openai/gpt-5.5\"]\n      }, // plain string\n    },\n  },\n}\n"
    );
}

#[test]
fn dry_run_shows_redacted_diffs_and_changes_nothing() {
    for fixture in ["legacy", "sqlite"] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let provider = if fixture == "legacy" {
            "openai-codex"
        } else {
            "openai"
        };
        let snap = snapshot(s.root());
        let out = ok(cmd(&s)
            .args([
                "--dry-run",
                "eval",
                &format!(
                    r#"merge_profile("{provider}:dave", {}).action"#,
                    cred("dave")
                ),
            ])
            .output()
            .expect("run"));
        assert!(out.ends_with("added\n"), "{out}");
        assert!(out.contains("dry-run: would change"), "{out}");
        assert!(
            out.contains("+      \"refresh\": \"<redacted sha256:"),
            "{out}"
        );
        assert!(!out.contains("rt_FAKE"), "{out}");
        assert!(!out.contains("eyJ"), "{out}");
        if fixture == "sqlite" {
            assert!(
                out.contains(&format!(
                    "dry-run: would change {}#config_machine_state/authProfiles.store",
                    shared_db(&s).display()
                )),
                "{out}"
            );
        }
        assert!(out.contains("openclaw.json"), "{out}");
        assert_eq!(snapshot(s.root()), snap, "{fixture}");
    }
}

#[test]
fn restore_row_puts_a_row_back_byte_for_byte() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    let db = shared_db(&s);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let get = |k: &str| -> Option<String> {
        conn.query_row(
            "SELECT value_json FROM config_machine_state WHERE state_key = ?1",
            [k],
            |r| r.get(0),
        )
        .ok()
    };
    let original = get("authProfiles.state").expect("row");
    ok(eval(
        &s,
        &format!(r#"merge_profile("openai:dave", {})"#, cred("dave")),
    ));
    let host = clawshift::host::Host::for_test(s.root(), NOW);
    let host = {
        // for_test puts the state dir at <root>/openclaw, like the sandbox.
        assert_eq!(host.openclaw_state_dir, s.openclaw());
        host
    };
    clawshift::openclaw::restore_row(
        &conn,
        &db,
        "config_machine_state/authProfiles.state",
        Some(original.as_bytes()),
        host.now_ms(),
    )
    .expect("restore");
    assert_eq!(
        get("authProfiles.state").as_deref(),
        Some(original.as_str())
    );
    clawshift::openclaw::restore_row(&conn, &db, "config_machine_state/x.new", None, 0)
        .expect("delete");
    let err = clawshift::openclaw::restore_row(&conn, &db, "sessions/x", None, 0)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with("`sessions/x`: clawshift restores only the tables it writes"),
        "{err}"
    );
}

#[test]
fn all_stored_profiles_lists_every_holder_of_a_refresh_token() {
    let s = Sandbox::new();
    layout(&s, "sqlite");
    // A sub-agent with its own JSON store left behind.
    s.write(
        "openclaw/agents/work/agent/auth-profiles.json",
        "{\"version\":1,\"profiles\":{\"openai:w\":{\"type\":\"oauth\",\"provider\":\"openai\",\"refresh\":\"rt_FAKE_w\",\"accountId\":\"acct-w\"}}}",
    );
    let host = clawshift::host::Host::for_test(s.root(), NOW);
    let all = clawshift::openclaw::all_stored_profiles(&host).expect("profiles");
    let summary: Vec<String> = all
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                p.agent.as_deref().unwrap_or("<shared>"),
                p.id,
                p.refresh.as_deref().unwrap_or("-"),
                p.location
                    .replace(&s.openclaw().display().to_string(), "$S")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "<shared> anthropic:me - $S/state/openclaw.sqlite#config_machine_state/authProfiles.store",
            "<shared> openai:alice rt_FAKE_alice_0123456789abcdef $S/state/openclaw.sqlite#config_machine_state/authProfiles.store",
            "<shared> openai:bob rt_FAKE_bob_0123456789abcdef $S/state/openclaw.sqlite#config_machine_state/authProfiles.store",
            "<shared> openai:carol rt_FAKE_carol_0123456789abcdef $S/state/openclaw.sqlite#config_machine_state/authProfiles.store",
            "work openai:w rt_FAKE_w $S/agents/work/agent/auth-profiles.json",
        ]
    );
}

/// Bug fix: OpenClaw 2026.4.21 already keeps the order in `auth-state.json`, so its
/// `models auth order set` turns a legacy store into the split one (recorded in
/// openclaw-real/after-order-set-2026.4.21-legacy). clawshift read the order back from
/// the legacy file only and reported the applied change as skipped.
#[test]
fn set_model_through_openclaw_4_21_reports_the_order_it_split_out_as_applied() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    fake_openclaw(&s);
    let out = ok(cmd(&s)
        .env("FAKE_OPENCLAW_VERSION", "2026.4.21")
        .args([
            "eval",
            r#"set_model("openai-codex/gpt-5.5", "openai-codex:bob")"#,
        ])
        .output()
        .expect("run"));
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        report["applied"],
        json!([
            "order openai-codex: openai-codex:bob, openai-codex:alice, openai-codex:carol (through `openclaw models auth order set --provider openai-codex`)"
        ]),
        "{out}"
    );
    assert_eq!(report["changed"], json!(true));
    let state = agent_dir(&s).join("auth-state.json");
    assert_eq!(
        read_json(&state)["order"]["openai-codex"],
        json!([
            "openai-codex:bob",
            "openai-codex:alice",
            "openai-codex:carol"
        ])
    );
    assert_eq!(mode(&state), 0o600);
    let store = read_json(&agent_dir(&s).join("auth-profiles.json"));
    assert_eq!(
        store.as_object().expect("store").keys().collect::<Vec<_>>(),
        ["version", "profiles"]
    );
    // And the order OpenClaw now uses is what clawshift reports.
    assert_eq!(
        ok(eval(
            &s,
            r#"models_status().providers["openai-codex"].order[0]"#
        )),
        "openai-codex:bob\n"
    );
}

/// `set_model` reuses the status's reading of the store only while the store's texts
/// are the same: an account added in between (here by the same script; in life by
/// OpenClaw or another clawshift) is seen.
#[test]
fn set_model_reads_a_store_changed_since_the_status_afresh() {
    for (fixture, provider) in [("legacy", "openai-codex"), ("sqlite", "openai")] {
        let s = Sandbox::new();
        layout(&s, fixture);
        let snippet = format!(
            r#"let before = models_status().profiles.len();
               merge_profile("{provider}:dave", {cred});
               let r = set_model("{provider}/gpt-5.4", "{provider}:dave");
               `${{before}} ${{models_status().profiles.len()}} ${{r.changed}}`"#,
            cred = cred("dave")
        );
        let out = ok(eval(&s, &snippet));
        let n: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(n.len(), 3, "{fixture}: {out}");
        assert_eq!(
            n[1].parse::<usize>().ok(),
            n[0].parse::<usize>().ok().map(|b| b + 1),
            "{fixture}: {out}"
        );
        assert_eq!(n[2], "true", "{fixture}: {out}");
    }
}

/// A profile the store keeps without its account id, email or plan shows them from
/// its access token wherever they are shown: script getters, `status --json` and the
/// `status` table. What the store says wins over the token.
#[test]
fn a_profile_shows_from_its_token_what_the_store_leaves_out() {
    let s = Sandbox::new();
    layout(&s, "legacy");
    let path = s.openclaw().join("agents/main/agent/auth-profiles.json");
    let mut store: Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("store")).expect("json");
    let exp = 1796472000000_i64;
    store["profiles"]["openai-codex:dave"] = json!({
        "type": "oauth", "provider": "openai-codex", "access": jwt("dave", exp),
        "refresh": "rt_FAKE_dave_0123456789", "expires": exp
    });
    store["profiles"]["openai-codex:alice"]["access"] = json!(jwt("token-alice", exp));
    fs::write(&path, serde_json::to_string_pretty(&store).expect("text")).expect("write");

    let shown = r#"
        let st = models_status();
        let out = "";
        for x in st.providers["openai-codex"].profiles {
            if x.id in ["openai-codex:alice", "openai-codex:dave"] {
                out += `${x.id} ${x.account_id} ${x.email} ${x.plan}` + "\n";
            }
        }
        out
    "#;
    assert_eq!(
        ok(eval(&s, shown)),
        "openai-codex:alice acct-alice-0001 alice@example.com pro\n\
         openai-codex:dave acct-dave-0001 dave@example.com pro\n\n"
    );
    let json: Value = serde_json::from_str(&ok(cmd(&s)
        .args(["status", "--json"])
        .output()
        .expect("run")))
    .expect("status json");
    let dave = &json["profiles"]["openai-codex:dave"];
    assert_eq!(
        (&dave["account_id"], &dave["email"], &dave["plan"]),
        (
            &json!("acct-dave-0001"),
            &json!("dave@example.com"),
            &json!("pro")
        )
    );
    let table = ok(cmd(&s).arg("status").output().expect("run"));
    let row = table
        .lines()
        .find(|l| l.contains("openai-codex:dave"))
        .expect("dave's row");
    assert!(
        row.contains("acct-dave-0001") && row.contains("dave@example.com"),
        "{table}"
    );
}
