//! Kill points for the crash-safety tests. When `Host` finds
//! `__CLAWSHIFT_TEST_PAUSE_AT=<n>` in the environment, the n-th call to [`point`] prints
//! `paused at <name>` on stderr and sleeps, so a test can SIGKILL the process exactly
//! there and check that every file is the before or the after version. With
//! `__CLAWSHIFT_TEST_RESUME_FILE=<path>` as well, the paused process goes on once that
//! file exists, so a test can run something else at exactly that point (concurrency
//! tests). Without the variables, `point` is a counter bump.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static PAUSE_AT: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);
static RESUME: OnceLock<PathBuf> = OnceLock::new();

/// Arms the hook; called once by `Host` with the parsed variables.
pub fn arm(n: u64, resume: Option<PathBuf>) {
    PAUSE_AT.store(n, Ordering::SeqCst);
    if let Some(p) = resume {
        let _ = RESUME.set(p);
    }
}

/// A point where a crash must leave everything consistent.
pub fn point(name: &str) {
    let n = SEEN.fetch_add(1, Ordering::SeqCst) + 1;
    if PAUSE_AT.load(Ordering::SeqCst) == n {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "paused at {name}");
        let _ = err.flush();
        match RESUME.get() {
            Some(file) => {
                while !file.exists() {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            None => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
        }
    }
}
