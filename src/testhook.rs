//! Kill points for the crash-safety tests. When `Host` finds
//! `__CLAWSHIFT_TEST_PAUSE_AT=<n>` in the environment, the n-th call to [`point`] prints
//! `paused at <name>` on stderr and sleeps, so a test can SIGKILL the process exactly
//! there and check that every file is the before or the after version. With
//! `__CLAWSHIFT_TEST_RESUME_FILE=<path>` as well, the paused process goes on once that
//! file exists, so a test can run something else at exactly that point (concurrency
//! tests).
//!
//! The hook exists only with the cargo feature `testhooks`, which the test builds turn on
//! (the package is its own dev-dependency with that feature). A release binary has
//! neither the variables nor the pause: `point` is an empty function there, so a stray
//! variable in a user's environment can never make a real run hang.

#[cfg(feature = "testhooks")]
mod armed {
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static PAUSE_AT: AtomicU64 = AtomicU64::new(0);
    static SEEN: AtomicU64 = AtomicU64::new(0);
    static RESUME: OnceLock<PathBuf> = OnceLock::new();

    /// Arms the hook from the variables, read through `Host`'s getter.
    pub fn arm_from(get: &dyn Fn(&str) -> Option<String>) {
        let Some(n) = get("__CLAWSHIFT_TEST_PAUSE_AT").and_then(|v| v.parse().ok()) else {
            return;
        };
        PAUSE_AT.store(n, Ordering::SeqCst);
        if let Some(p) = get("__CLAWSHIFT_TEST_RESUME_FILE") {
            let _ = RESUME.set(PathBuf::from(p));
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
}

#[cfg(feature = "testhooks")]
pub use armed::{arm_from, point};

/// Without the feature there is nothing to arm.
#[cfg(not(feature = "testhooks"))]
pub fn arm_from(_get: &dyn Fn(&str) -> Option<String>) {}

/// Without the feature a kill point is nothing.
#[cfg(not(feature = "testhooks"))]
#[inline(always)]
pub fn point(_name: &str) {}
