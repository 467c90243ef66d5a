//! `clawshift demo`: the whole flow in a throw-away sandbox. It needs neither OpenClaw
//! nor Codex: the sandbox holds an OpenClaw state in the current (2026.9, SQLite)
//! layout, three simulated ChatGPT logins (Codex `auth.json` files with unsigned JWTs)
//! imported through `add-profile --from-auth-json`, and a `config.json` whose notify
//! command appends to a log. Every step runs this very binary as a child whose whole
//! environment points into the sandbox, so nothing outside it is read or written.
//!
//! The sandbox is kept (its path is printed) so the files can be looked at afterwards.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};

use crate::child;
use crate::error::Error;
use crate::host::Host;
use crate::jwt::{AUTH_CLAIM, PROFILE_CLAIM, unsigned};

const STEP_TIMEOUT: Duration = Duration::from_secs(60);
const MINUTE: i64 = 60_000;

/// The simulated accounts: profile name, email, plan.
const ACCOUNTS: [(&str, &str, &str); 3] = [
    ("work", "work@example.com", "team"),
    ("alice", "alice@example.com", "plus"),
    ("bob", "bob@example.com", "plus"),
];

struct Demo {
    root: PathBuf,
    exe: PathBuf,
    /// The sandbox clock: `CLAWSHIFT_NOW` for the children.
    t0: i64,
}

pub fn run(host: &Host) -> Result<ExitCode, Error> {
    let fail =
        |what: &str, e: &dyn std::fmt::Display| Error::Failure(format!("demo: cannot {what}: {e}"));
    let root = tempfile::Builder::new()
        .prefix("clawshift-demo-")
        .tempdir_in(&host.tmp_dir)
        .map_err(|e| {
            fail(
                &format!("create a sandbox in `{}` (TMPDIR)", host.tmp_dir.display()),
                &e,
            )
        })?
        .keep();
    // Whole minutes keep the printed times and durations round.
    let t0 = host.now_ms() / MINUTE * MINUTE;
    let demo = Demo {
        root,
        exe: host.current_exe()?,
        t0,
    };
    let kept = demo.root.display().to_string();
    demo.play(host).map_err(|e| {
        Error::Failure(format!(
            "{e}\nthe demo sandbox is kept at {kept} for a look"
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

impl Demo {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> Result<(), Error> {
        let p = self.path(rel);
        if let Some(dir) = p.parent() {
            crate::files::private_dir(dir)?;
        }
        crate::files::atomic_write(&p, text.as_bytes(), 0o600)
    }

    fn play(&self, host: &Host) -> Result<(), Error> {
        for d in ["home", "codex", "bin", "clawshift", "openclaw/state"] {
            crate::files::private_dir(&self.path(d))?;
        }
        self.seed_openclaw(host)?;
        self.write_logins()?;
        let log = self.path("notifications.log");
        self.write(
            "clawshift/config.json",
            // Shell builtins only: the children's PATH holds no programs.
            &pretty(&json!({"notify": {"command": format!(
                "while IFS= read -r line; do printf '%s\\n' \"$line\" >> '{}'; done",
                log.display()
            )}}))?,
        )?;

        let say = |line: &str| host.println(line);
        say(&format!(
            "clawshift demo: a throw-away sandbox at {}",
            self.root.display()
        ))?;
        say(
            "# OpenClaw 2026.9 state (SQLite), Claude Opus as a fallback, no OpenClaw or Codex needed.",
        )?;
        say(
            "# Every command runs with HOME, CLAWSHIFT_HOME, OPENCLAW_STATE_DIR and CODEX_HOME inside it.",
        )?;
        for (name, _, _) in ACCOUNTS {
            let file = format!("logins/{name}.json");
            self.step(
                host,
                &format!("add-profile {name} --from-auth-json {file}"),
                &[
                    "--yes",
                    "add-profile",
                    name,
                    "--from-auth-json",
                    &self.path(&file).display().to_string(),
                ],
                self.t0,
            )?;
        }
        self.limit_accounts()?;
        say("")?;
        say("# OpenClaw records the limits itself; the demo plays its part: openai:work hit its")?;
        say("# usage limit (40m), openai:bob is disabled for billing (5h), Opus cools down (2h).")?;
        self.step(host, "status", &["status"], self.t0)?;
        self.step(host, "switch", &["switch"], self.t0)?;
        let ten = self.t0 + 10 * MINUTE;
        let quiet = self.step(host, "switch", &["switch"], ten)?;
        if quiet.is_empty() {
            say("# (ten minutes on, nothing changed: no output, as cron wants it)")?;
        }
        let later = self.t0 + 45 * MINUTE;
        say("")?;
        say(&format!(
            "# {} later: openai:work's limit is over, so the agent goes back to it.",
            crate::timefmt::human_duration(later - self.t0)
        ))?;
        self.step(host, "switch", &["switch"], later)?;
        say("")?;
        say(&format!("# Sent by notify.command ({}):", self.rel(&log)))?;
        let sent = crate::files::read_text_lossy(&log).unwrap_or_default();
        for line in sent.lines() {
            say(&format!("  {line}"))?;
        }
        say("")?;
        say(&format!(
            "# The sandbox stays for a look (openclaw/, clawshift/switch-state.json); remove it with: rm -rf {}",
            self.root.display()
        ))?;
        Ok(())
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.display().to_string())
    }

    /// Runs `clawshift <args>` in the sandbox at clock `now` and echoes its output.
    fn step(&self, host: &Host, shown: &str, args: &[&str], now: i64) -> Result<String, Error> {
        let at = crate::timefmt::iso(now);
        let prefix = if now == self.t0 {
            String::new()
        } else {
            format!("CLAWSHIFT_NOW={at} ")
        };
        host.println("")?;
        host.println(&format!("$ {prefix}clawshift {shown}"))?;
        let dir = |rel: &str| self.path(rel).display().to_string();
        let (home, clawshift, openclaw, codex, bin, tmp) = (
            dir("home"),
            dir("clawshift"),
            dir("openclaw"),
            dir("codex"),
            dir("bin"),
            dir("home"),
        );
        let env = [
            ("HOME", home.as_str()),
            ("CLAWSHIFT_HOME", clawshift.as_str()),
            ("OPENCLAW_STATE_DIR", openclaw.as_str()),
            ("CODEX_HOME", codex.as_str()),
            // An empty bin dir: no OpenClaw or Codex is found, so nothing outside runs.
            ("PATH", bin.as_str()),
            ("TMPDIR", tmp.as_str()),
            ("CLAWSHIFT_NOW", at.as_str()),
            ("LANG", "C.UTF-8"),
        ];
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = child::run_isolated(&self.exe, &args, &env, None, STEP_TIMEOUT)?;
        let text = out.stdout.replace(&format!("{}/", self.root.display()), "");
        for line in text.lines() {
            host.println(line)?;
        }
        // Warnings (a failed notification, a corrupt state file) are worth seeing.
        for line in out.stderr.lines().filter(|l| l.starts_with("warning:")) {
            eprintln!("{line}");
        }
        if !out.success() {
            return Err(Error::Failure(format!(
                "demo: `clawshift {shown}` failed ({}):\n{}",
                out.describe(STEP_TIMEOUT),
                out.stderr.trim_end()
            )));
        }
        Ok(text)
    }

    /// `openclaw.json` and a shared state database holding one Anthropic token profile,
    /// as OpenClaw 2026.9 leaves them.
    fn seed_openclaw(&self, host: &Host) -> Result<(), Error> {
        let opus = "anthropic/claude-opus-4-7";
        let codex = "openai/gpt-5.5";
        self.write(
            "openclaw/openclaw.json",
            &pretty(&json!({
                "agents": {"defaults": {
                    "model": {"primary": codex, "fallbacks": [opus]},
                    "models": {
                        codex: {"alias": "codex", "agentRuntime": {"id": "codex"}},
                        opus: {"alias": "opus"}
                    }
                }},
                "auth": {
                    "profiles": {"anthropic:me": {"provider": "anthropic", "mode": "token"}},
                    "order": {"anthropic": ["anthropic:me"]}
                }
            }))?,
        )?;
        let db = self.path("openclaw/state/openclaw.sqlite");
        // The table and the `auth.sharedStore` row, as clawshift creates a fresh store.
        crate::openclaw::sqlite::create_shared(host, &db)?;
        let conn = rusqlite::Connection::open(&db)
            .map_err(|e| crate::openclaw::sqlite::db_error(&db, e))?;
        let store = json!({"version": 1, "profiles": {"anthropic:me": {
            "type": "token", "provider": "anthropic",
            "token": "sk-ant-oat01-FAKE-demo-not-a-real-token"
        }}});
        let state = json!({"version": 1, "order": {"anthropic": ["anthropic:me"]}});
        for (key, value) in [("authProfiles.store", store), ("authProfiles.state", state)] {
            conn.execute(
                "INSERT INTO config_machine_state VALUES (?1, ?2, ?3)",
                rusqlite::params![key, value.to_string(), self.t0],
            )
            .map_err(|e| crate::openclaw::sqlite::db_error(&db, e))?;
        }
        Ok(())
    }

    /// One Codex `auth.json` per account, as `codex login` writes it, with unsigned
    /// tokens that expire in ten days.
    fn write_logins(&self) -> Result<(), Error> {
        let exp = (self.t0 + 10 * 24 * 60 * MINUTE) / 1000;
        for (name, email, plan) in ACCOUNTS {
            let account = format!("acct-demo-{name}");
            let auth = json!({"chatgpt_account_id": account, "chatgpt_plan_type": plan});
            let claims = |extra: Value| {
                let mut m = json!({"exp": exp, AUTH_CLAIM: auth})
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                if let Value::Object(x) = extra {
                    m.extend(x);
                }
                unsigned(&m)
            };
            let doc = json!({
                "auth_mode": "chatgpt",
                "OPENAI_API_KEY": null,
                "tokens": {
                    "id_token": claims(json!({"email": email})),
                    "access_token": claims(json!({PROFILE_CLAIM: {"email": email}})),
                    "refresh_token": format!("rt_FAKE_demo_{name}_not_a_real_token"),
                    "account_id": account,
                },
                "last_refresh": crate::timefmt::iso(self.t0),
            });
            self.write(&format!("logins/{name}.json"), &pretty(&doc)?)?;
        }
        Ok(())
    }

    /// What OpenClaw itself records when accounts hit limits: usage stats in the state row.
    fn limit_accounts(&self) -> Result<(), Error> {
        let db = self.path("openclaw/state/openclaw.sqlite");
        let err = |e| crate::openclaw::sqlite::db_error(&db, e);
        let conn = rusqlite::Connection::open(&db).map_err(err)?;
        let text: String = conn
            .query_row(
                "SELECT value_json FROM config_machine_state WHERE state_key = 'authProfiles.state'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let mut state: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Failure(format!("demo: the state row is not JSON: {e}")))?;
        let t0 = self.t0;
        state["usageStats"] = json!({
            "anthropic:me": {"cooldownUntil": t0 + 120 * MINUTE, "errorCount": 1,
                             "failureCounts": {"rate_limit": 1}, "lastFailureAt": t0},
            "openai:work": {"cooldownUntil": t0 + 40 * MINUTE, "errorCount": 1,
                            "failureCounts": {"rate_limit": 1}, "lastFailureAt": t0},
            "openai:bob": {"disabledUntil": t0 + 300 * MINUTE, "disabledReason": "billing",
                           "errorCount": 1, "failureCounts": {"billing": 1}, "lastFailureAt": t0},
        });
        conn.execute(
            "UPDATE config_machine_state SET value_json = ?1, updated_at_ms = ?2 WHERE state_key = 'authProfiles.state'",
            rusqlite::params![state.to_string(), t0],
        )
        .map_err(err)?;
        Ok(())
    }
}

fn pretty(v: &Value) -> Result<String, Error> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::Failure(format!("demo: {e}")))
}
