//! Kill points for the crash-safety tests. When `Host` finds
//! `__CLAWSHIFT_TEST_PAUSE_AT=<n>` in the environment, the n-th call to [`point`] prints
//! `paused at <name>` on stderr and sleeps, so a test can SIGKILL the process exactly
//! there and check that every file is the before or the after version. Without the
//! variable, `point` is a counter bump.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

static PAUSE_AT: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);

/// Arms the hook; called once by `Host` with the parsed variable.
pub fn arm(n: u64) {
    PAUSE_AT.store(n, Ordering::SeqCst);
}

/// A point where a crash must leave everything consistent.
pub fn point(name: &str) {
    let n = SEEN.fetch_add(1, Ordering::SeqCst) + 1;
    if PAUSE_AT.load(Ordering::SeqCst) == n {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "paused at {name}");
        let _ = err.flush();
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
