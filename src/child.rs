//! Running an external program with a deadline: `notify`'s command, `crontab`, the
//! demo's steps (OpenClaw itself goes through `openclaw::cli::run`). A child that outlives its deadline is killed with its
//! whole process group (a `sh -c` wrapper must not leave its children behind), so a
//! hung notifier cannot pile up cron runs.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::host::Host;

/// What a bounded run produced.
#[derive(Debug)]
pub struct Output {
    /// `None` when the child was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// `exit 3`, `killed after 30s`, `killed by signal 9`: for messages.
    pub fn describe(&self, timeout: Duration) -> String {
        match self.status {
            None => format!("killed after {}s", timeout.as_secs()),
            Some(s) => match s.code() {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".to_string(),
            },
        }
    }

    /// The first non-empty line of stderr (else stdout), to explain a failure briefly.
    pub fn first_error_line(&self) -> String {
        self.stderr
            .lines()
            .chain(self.stdout.lines())
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string()
    }
}

/// Runs `program args…` with the environment clawshift started with, feeding `stdin`,
/// and kills it (and its process group) once `timeout` has passed.
pub fn run(
    host: &Host,
    program: &Path,
    args: &[String],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<Output, Error> {
    host.check_deadline(&format!("run `{}`", program.display()))?;
    let timeout = timeout.min(host.remaining());
    let env: Vec<(&str, &str)> = host
        .vars()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    bounded(program, args, &env, stdin, timeout)
}

/// As [`run`], but the child sees only `env`, nothing of clawshift's environment (the
/// demo uses it so no variable can point a child outside its sandbox).
pub fn run_isolated(
    program: &Path,
    args: &[String],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<Output, Error> {
    bounded(program, args, env, stdin, timeout)
}

/// Runs with exactly `env`, nothing inherited.
fn bounded(
    program: &Path,
    args: &[String],
    env: &[(&str, &str)],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<Output, Error> {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::Failure(format!("cannot run `{}`: {e}", program.display())))?;
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => {
            let bytes = bytes.to_vec();
            // A child that never reads its stdin must not block us: write from a thread.
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let out_reader = reader(child.stdout.take());
    let err_reader = reader(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if started.elapsed() >= timeout => {
                // The group id is the child's pid (process_group(0) above).
                if let Ok(pid) = i32::try_from(child.id()) {
                    // SAFETY: kill(2) with a negative pid signals that process group only.
                    unsafe {
                        libc::kill(-pid, libc::SIGKILL);
                    }
                }
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Error::Failure(format!(
                    "cannot wait for `{}`: {e}",
                    program.display()
                )));
            }
        }
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    // A grandchild left running in the background may hold the pipes open: wait for
    // the output only until the deadline (and briefly after a kill).
    let until = started + timeout.max(Duration::from_millis(200));
    Ok(Output {
        status,
        stdout: collect(&out_reader, until),
        stderr: collect(&err_reader, until),
    })
}

/// A child's pipe being read on a thread: what has arrived so far, and a signal when
/// the pipe has ended.
pub struct Reader {
    text: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

/// Reads a child's pipe to its end on a thread; [`collect`] takes the text.
pub fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> Reader {
    let (tx, done) = mpsc::channel();
    let text = Arc::new(Mutex::new(Vec::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        if let Some(mut p) = pipe {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = p.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = sink.lock() {
                    t.extend_from_slice(&chunk[..n]);
                }
            }
        }
        let _ = tx.send(());
    });
    Reader { text, done }
}

/// The text a [`reader`] read, waiting for the pipe's end at most until `until` (at
/// least 100 ms more, for the pipe to drain after a kill): a pipe still held open by
/// something the child left in the background gives what arrived so far rather than a
/// wait past the deadline.
pub fn collect(r: &Reader, until: Instant) -> String {
    let wait = until
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    let _ = r.done.recv_timeout(wait);
    let bytes = r.text.lock().map(|t| t.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_past_its_deadline_is_killed_with_its_group() {
        let started = Instant::now();
        let out = run_isolated(
            Path::new("/bin/sh"),
            &["-c".into(), "sleep 30; echo late".into()],
            &[],
            None,
            Duration::from_millis(200),
        )
        .unwrap_or_else(|e| panic!("run: {e}"));
        assert!(out.status.is_none());
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(out.stdout, "");
    }

    #[test]
    fn output_is_not_awaited_past_the_deadline_when_a_grandchild_holds_the_pipe() {
        let started = Instant::now();
        let out = run_isolated(
            Path::new("/bin/sh"),
            &["-c".into(), "sleep 8 & echo early".into()],
            &[],
            None,
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("run: {e}"));
        assert!(out.success());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(out.stdout, "early\n");
    }

    #[test]
    fn stdin_is_fed_and_output_captured() {
        let out = run_isolated(
            Path::new("/bin/sh"),
            &["-c".into(), "cat; echo err >&2; test \"$X\" = 1".into()],
            &[("X", "1")],
            Some(b"hello\n"),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("run: {e}"));
        assert!(out.success());
        assert_eq!(out.stdout, "hello\n");
        assert_eq!(out.stderr, "err\n");
    }
}
