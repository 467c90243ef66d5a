//! Ctrl-C, `kill` and a closed terminal while `codex login` runs: the signal is noted
//! instead of ending the process, so the login can stop Codex and delete its temporary
//! home first. Outside a login every signal keeps its default action (the process ends),
//! exactly as if no handler had been installed.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::flag;

/// True outside a login: the handlers then run the signal's default action.
static DEFAULT_ACTION: AtomicBool = AtomicBool::new(true);
/// The last signal caught during a login, 0 for none.
static CAUGHT: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// While alive, SIGINT, SIGTERM and SIGHUP are recorded rather than fatal.
pub struct Deferred(());

impl Deferred {
    pub fn start() -> Result<Deferred, String> {
        INSTALLED
            .get_or_init(|| {
                for sig in [SIGINT, SIGTERM, SIGHUP] {
                    // A signal the caller ignores (`nohup` ignores SIGHUP; a shell's
                    // background job, SIGINT) stays ignored, during the login too.
                    if ignored(sig) {
                        continue;
                    }
                    // Order matters: the default action must be checked first.
                    flag::register_conditional_default(sig, &DEFAULT_ACTION)
                        .and_then(|_| flag::register_usize(sig, &CAUGHT, sig as usize))
                        .map_err(|e| format!("cannot install a signal handler: {e}"))?;
                }
                Ok(())
            })
            .clone()?;
        CAUGHT.store(0, Ordering::SeqCst);
        DEFAULT_ACTION.store(false, Ordering::SeqCst);
        Ok(Deferred(()))
    }

    /// The signal that arrived since `start`, if any.
    pub fn caught(&self) -> Option<i32> {
        match CAUGHT.load(Ordering::SeqCst) {
            0 => None,
            n => i32::try_from(n).ok(),
        }
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFAULT_ACTION.store(true, Ordering::SeqCst);
    }
}

fn ignored(sig: i32) -> bool {
    // SAFETY: with a null new action, sigaction only reads the current disposition
    // into the zeroed struct it is given.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// `Ctrl-C (SIGINT)`, `SIGTERM`, … for messages.
pub fn describe(sig: i32) -> &'static str {
    match sig {
        SIGINT => "Ctrl-C (SIGINT)",
        SIGTERM => "SIGTERM",
        SIGHUP => "a closed terminal (SIGHUP)",
        _ => "a signal",
    }
}
