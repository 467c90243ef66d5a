//! Running the `openclaw` CLI: bounded by a timeout (and the run's deadline), stdin
//! closed, and `npm_config_offline=true` so its plugin auto-repair fails fast instead
//! of hanging for minutes on npm retries (reference/openclaw-real.md, finding 4).

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::host::Host;

#[derive(Debug, Clone)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

/// Runs `bin args...` with the host's environment plus `npm_config_offline=true`,
/// killing it after `limit` (or at the run's deadline, whichever comes first).
pub fn run(host: &Host, bin: &Path, args: &[&str], limit: Duration) -> Result<Output, Error> {
    host.check_deadline(&format!("run `{}`", bin.display()))?;
    let limit = limit.min(host.remaining().saturating_sub(Duration::from_millis(200)));
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .envs(host.vars())
        .env("npm_config_offline", "true")
        .env("OPENCLAW_STATE_DIR", &host.openclaw_state_dir)
        .env("OPENCLAW_CONFIG_PATH", &host.openclaw_config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Failure(format!("cannot run `{}`: {e}", bin.display())))?;
    let t_out = crate::child::reader(child.stdout.take());
    let t_err = crate::child::reader(child.stderr.take());
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() >= limit => {
                let _ = child.kill();
                timed_out = true;
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Error::Failure(format!(
                    "cannot wait for `{}`: {e}",
                    bin.display()
                )));
            }
        }
    };
    Ok(Output {
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        // Something the CLI left running may hold its pipes open: wait no longer than
        // the limit for them.
        stdout: crate::child::collect(&t_out, started + limit),
        stderr: crate::child::collect(&t_err, started + limit),
        timed_out,
    })
}

/// The command line as shown in messages.
pub fn shown(args: &[&str]) -> String {
    let mut s = String::from("openclaw");
    for a in args {
        if a.contains(' ') || a.contains('"') || a.is_empty() {
            s.push_str(&format!(" '{a}'"));
        } else {
            s.push(' ');
            s.push_str(a);
        }
    }
    s
}

/// The last meaningful line of a failed command's output, for a one-line reason.
pub fn reason(out: &Output) -> String {
    if out.timed_out {
        return "timed out".into();
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(out.stdout.trim())
        && let Some(m) = v
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(|m| m.as_str())
    {
        return m.lines().next().unwrap_or_default().to_string();
    }
    // OpenClaw marks the failure itself (`Error: …` on stderr, `❌ …` on stdout for
    // `message send`); around it, the same run can print unrelated warnings on stderr
    // (2026.9.6's plugin-repair notices, npm's log hints), so the marked line wins.
    let marked = |t: &str| {
        t.lines()
            .map(str::trim)
            .rfind(|l| l.starts_with("Error:") || l.starts_with('❌'))
            .map(str::to_string)
    };
    // A gateway refusal is `<what failed>` / `Fix: …` / `Config: …`: the line before the fix.
    let before_fix = |t: &str| {
        let lines: Vec<&str> = t.lines().map(str::trim).collect();
        let fix = lines.iter().rposition(|l| l.starts_with("Fix:"))?;
        lines[..fix]
            .iter()
            .rfind(|l| !l.is_empty())
            .map(|l| l.to_string())
    };
    let pick = |t: &str| {
        t.lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with('│') && !l.starts_with('├'))
            .map(str::to_string)
    };
    let text = marked(&out.stderr)
        .or_else(|| marked(&out.stdout))
        .or_else(|| before_fix(&out.stderr))
        .or_else(|| pick(&out.stderr))
        .or_else(|| pick(&out.stdout))
        .unwrap_or_else(|| "no output".into());
    format!(
        "exit {}: {text}",
        out.code.map_or("?".to_string(), |c| c.to_string())
    )
}

/// The gateway port OpenClaw uses: `OPENCLAW_GATEWAY_PORT`, then `gateway.port` in
/// the config, default 18789.
pub fn gateway_port(host: &Host, config: &serde_json::Value) -> u16 {
    host.var("OPENCLAW_GATEWAY_PORT")
        .and_then(|p| p.parse().ok())
        .or_else(|| {
            config
                .get("gateway")
                .and_then(|g| g.get("port"))
                .and_then(|p| p.as_u64())
                .and_then(|p| u16::try_from(p).ok())
        })
        .unwrap_or(18789)
}

/// True when something accepts connections on the loopback gateway port.
pub fn gateway_listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok()
}
