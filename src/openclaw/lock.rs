//! OpenClaw's JSON-store lock (reference/openclaw.md §2.8, the later JSON-era
//! `file-lock.ts`): a regular file `<file>.lock` created exclusively (mode 0600) that
//! holds `{"pid": <int>, "createdAt": "<ISO-8601>"}`. A lock whose pid is dead or that
//! is older than 30 s is stale: it is deleted and acquisition retried. A directory at
//! that path (the older proper-lockfile style) counts as held and is never removed.
//! Retries back off like OpenClaw's (100 ms × 2^n, at most 10 s, randomised ×1..2) and
//! stop at the run's deadline. [`JsonLock`] removes the file when dropped, on every path.
//!
//! Lock times are wall-clock times even when `CLAWSHIFT_NOW` pins the run's clock: the
//! lock is a protocol between live processes, and a pinned time in `createdAt` would
//! make OpenClaw (or another clawshift) take a live lock for stale, or wait on a dead one.
//! The lock file appears with its content already in it (written to a private temp file,
//! then hard-linked into place), so a crash can never leave an empty lock whose owner
//! nobody can tell.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::error::Error;
use crate::host::Host;

/// OpenClaw's `AUTH_STORE_LOCK_OPTIONS.stale`.
pub const STALE_MS: i64 = 30_000;
const MIN_DELAY_MS: u64 = 100;
const MAX_DELAY_MS: u64 = 10_000;
/// OpenClaw's `retries: 10`; clawshift also stops at the run's deadline.
const RETRIES: u32 = 10;

/// A held lock; dropping it deletes the lock file.
#[derive(Debug)]
pub struct JsonLock {
    path: PathBuf,
}

impl JsonLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JsonLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Who holds a lock, as read from the lock file.
#[derive(Debug)]
enum Holder {
    /// A directory: proper-lockfile style; always held.
    Directory,
    /// A lock file; `pid`/`created_ms` are `None` when unreadable (being written).
    File {
        pid: Option<i64>,
        created_ms: Option<i64>,
        modified_ms: Option<i64>,
    },
}

/// The lock path OpenClaw uses for `file`.
pub fn lock_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Which of OpenClaw's file locks: they share the file format but not the stale rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An auth store's lock (`file-lock.ts`): stale when its pid is dead or after 30 s.
    Store,
    /// `openclaw.json.lock` (2026.9's config writer, `fs-safe`'s sidecar lock): a lock
    /// naming a live pid is held however old it is; only a lock without a pid ages out.
    Config,
}

/// Takes the lock on `file` (the store, e.g. `auth-profiles.json`), waiting with
/// backoff while a live process holds it. Fails naming the lock and its holder.
pub fn acquire(host: &Host, file: &Path) -> Result<JsonLock, Error> {
    take(host, lock_path(file), Kind::Store)
}

/// Takes OpenClaw 2026.9's lock on its config file: `<dir>/openclaw.json.lock` in the
/// real directory of the config, the same `{pid, createdAt}` file its own config
/// writes create exclusively before they re-read, hash and replace the file. Holding
/// it, clawshift's edit of `openclaw.json` never interleaves with OpenClaw's.
pub fn acquire_config(host: &Host, config: &Path) -> Result<JsonLock, Error> {
    let (dir, name) = crate::files::dir_and_name(config);
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    take(host, dir.join(format!("{name}.lock")), Kind::Config)
}

fn take(host: &Host, path: PathBuf, kind: Kind) -> Result<JsonLock, Error> {
    let mut attempt: u32 = 0;
    loop {
        match try_create(host, &path) {
            Ok(()) => {
                crate::testhook::point("lock-acquired");
                return Ok(JsonLock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A directory is an older-style lock; anything else that is not a
                // regular file (a FIFO, a device) is no lock and would never go stale.
                if !fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                    crate::files::check_regular(&path)?;
                }
            }
            Err(e) => {
                return Err(Error::Failure(format!(
                    "cannot create the lock `{}`: {e}{}",
                    path.display(),
                    crate::files::io_hint(&e)
                )));
            }
        }
        let holder = read_holder(&path);
        if let Some(Holder::File {
            pid,
            created_ms,
            modified_ms,
        }) = &holder
            && is_stale(host, *pid, *created_ms, *modified_ms)
            && (kind == Kind::Store || pid.is_none_or(|p| !pid_alive(p)))
            && !reclaiming(&path)
        {
            // Stale: delete and retry at once. Another waiter may have won the race
            // to delete it; either way the next create decides.
            let _ = fs::remove_file(&path);
            continue;
        }
        let Some(holder) = holder else {
            // Vanished between the create and the read: retry at once.
            continue;
        };
        let delay = backoff(attempt);
        if attempt >= RETRIES || host.remaining() <= delay + Duration::from_millis(200) {
            return Err(held_error(&path, &holder, kind));
        }
        std::thread::sleep(delay);
        attempt += 1;
    }
}

fn try_create(host: &Host, path: &Path) -> std::io::Result<()> {
    let created = host
        .wall_clock()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let body = serde_json::to_string_pretty(&serde_json::json!({
        "pid": std::process::id(),
        "createdAt": created,
    }))
    .unwrap_or_default();
    let (dir, name) = crate::files::dir_and_name(path);
    // The content goes into a private temp file first; linking it into place is the
    // atomic "create if absent" (link fails with EEXIST like O_EXCL does).
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o600))?;
    tmp.write_all(body.as_bytes())?;
    tmp.as_file().sync_data()?;
    match fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            // A filesystem without hard links: fall back to O_EXCL and write in place.
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            if let Err(e) = f.write_all(body.as_bytes()).and_then(|_| f.sync_data()) {
                let _ = fs::remove_file(path);
                return Err(e);
            }
            Ok(())
        }
    }
}

fn read_holder(path: &Path) -> Option<Holder> {
    let meta = fs::symlink_metadata(path).ok()?;
    if meta.is_dir() {
        return Some(Holder::Directory);
    }
    let modified_ms = meta
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).timestamp_millis());
    let text = crate::files::read_text_lossy(path).unwrap_or_default();
    let v: Option<Value> = serde_json::from_str(&text).ok();
    let pid = v
        .as_ref()
        .and_then(|v| v.get("pid"))
        .and_then(Value::as_i64);
    let created_ms = v
        .as_ref()
        .and_then(|v| v.get("createdAt"))
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis());
    Some(Holder::File {
        pid,
        created_ms,
        modified_ms,
    })
}

/// OpenClaw's rule, on the wall clock: the pid is dead, or `createdAt` is more than
/// 30 s old, or (for a lock whose content cannot be read) its mtime is.
fn is_stale(
    host: &Host,
    pid: Option<i64>,
    created_ms: Option<i64>,
    modified_ms: Option<i64>,
) -> bool {
    if let Some(pid) = pid
        && !pid_alive(pid)
    {
        return true;
    }
    let now = host.wall_clock().timestamp_millis();
    match created_ms.or(if pid.is_none() { modified_ms } else { None }) {
        Some(t) => now.saturating_sub(t) > STALE_MS,
        None => false,
    }
}

/// What a lock file says about its holder, for `clawshift doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockState {
    /// A directory (proper-lockfile style): OpenClaw 2026.9 refuses to take it over.
    Directory,
    /// The holder is alive and the lock is fresh.
    Held { pid: Option<i64> },
    /// OpenClaw's rule says stale (dead pid or older than 30 s).
    Stale { pid: Option<i64>, dead: bool },
}

/// Inspects `<file>.lock` (the lock path itself); `None` when there is none.
pub fn inspect(host: &Host, lock: &Path) -> Option<LockState> {
    match read_holder(lock)? {
        Holder::Directory => Some(LockState::Directory),
        Holder::File {
            pid,
            created_ms,
            modified_ms,
        } => {
            if is_stale(host, pid, created_ms, modified_ms) {
                Some(LockState::Stale {
                    pid,
                    dead: pid.is_some_and(|p| !pid_alive(p)),
                })
            } else {
                Some(LockState::Held { pid })
            }
        }
    }
}

/// True when a process with this pid exists (even one we may not signal).
pub fn pid_alive(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn backoff(attempt: u32) -> Duration {
    let base = MIN_DELAY_MS
        .saturating_mul(1u64 << attempt.min(16))
        .min(MAX_DELAY_MS);
    // Randomise ×1..2 like OpenClaw, so waiting writers do not retry in lock-step.
    let r = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(attempt);
        h.finish() % 1000
    };
    Duration::from_millis(base + base * r / 1000)
}

/// OpenClaw's config lock reclaimer holds `<lock>.reclaim` (a directory) while it
/// removes a stale lock; leave the lock to it.
fn reclaiming(lock: &Path) -> bool {
    let mut s = lock.as_os_str().to_owned();
    s.push(".reclaim");
    Path::new(&s).exists()
}

fn held_error(path: &Path, holder: &Holder, kind: Kind) -> Error {
    let who = match holder {
        Holder::Directory => "a directory (an older OpenClaw's proper-lockfile lock)".to_string(),
        Holder::File { pid: Some(pid), .. } => format!("process {pid}"),
        Holder::File { pid: None, .. } => "an unknown process (the lock file has no pid)".into(),
    };
    let fix = match holder {
        Holder::Directory => {
            "if no OpenClaw process is running, remove that directory and rerun".to_string()
        }
        Holder::File { pid: Some(pid), .. } => format!(
            "wait for it to finish and rerun; if process {pid} is not OpenClaw, stop it or remove the lock file"
        ),
        Holder::File { pid: None, .. } => {
            "if no OpenClaw process is running, remove the lock file and rerun".to_string()
        }
    };
    let what = match kind {
        Kind::Store => "auth store",
        Kind::Config => "config",
    };
    Error::Failure(format!(
        "the OpenClaw {what} is locked: `{}` is held by {who}; nothing was written. Fix: {fix}",
        path.display()
    ))
}
