//! Backups: a copy of a file (or of a SQLite row's value) in clawshift's backups
//! directory, named `<name>.bak-<unix-seconds>-<pid>` (the original skill's
//! `<name>.bak-<unix-seconds>` made unique to the run; `-2`, `-3`, … for a second copy
//! in one run), mode 0600, with bounded retention.
//!
//! Concurrent runs (one per agent, say) back up files of the same name in the same
//! second, so a backup is created with no-clobber semantics: it never replaces another
//! run's copy. Retention is counted per source (the file's full path, or the row), from
//! the journal, so one agent's runs never prune another's backups, and a backup no
//! journal entry names (one being made by a concurrent run right now) is never pruned.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::journal;

/// How many backups of one source are kept; older ones are deleted after a new one is
/// made, so `undo` can go back this many changes of each file or row.
pub const KEEP_PER_SOURCE: usize = 20;

/// What a backup is a copy of, as the journal names it: a path, plus the row for a
/// SQLite value.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub path: &'a str,
    pub row: Option<&'a str>,
}

/// Copies `path` into the backups dir and returns where the copy is.
pub fn backup_file(host: &Host, path: &Path) -> Result<PathBuf, Error> {
    let meta = fs::metadata(path)
        .map_err(|e| Error::Failure(format!("backup: cannot read `{}`: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(Error::Failure(format!(
            "backup: `{}` is a directory; back up the files inside it one by one",
            path.display()
        )));
    }
    let bytes = files::read_optional(path)
        .map_err(|e| Error::Failure(format!("backup: {e}")))?
        .ok_or_else(|| Error::Failure(format!("backup: `{}` does not exist", path.display())))?;
    let (_, name) = files::dir_and_name(path);
    let name = if name.is_empty() { "file".into() } else { name };
    let shown = path.display().to_string();
    save_bytes(
        host,
        &name,
        Source {
            path: &shown,
            row: None,
        },
        &bytes,
    )
}

/// Stores `bytes` as a new backup named after `name`. The copy is written to a temp
/// file first and linked into place only under a name nobody holds, so an interrupted
/// backup never leaves a half-written `.bak-` file and a concurrent run's copy is never
/// overwritten.
pub fn save_bytes(host: &Host, name: &str, source: Source, bytes: &[u8]) -> Result<PathBuf, Error> {
    crate::journal::ready(host, &format!("back up `{name}`"))?;
    let dir = host.backups_dir();
    files::private_dir(&host.state_dir)?;
    files::private_dir(&dir)?;
    // The process id makes the name this run's own: a name freed by pruning is never
    // taken again by a later run in the same second (or under a pinned clock), where a
    // prune still going by the old journal entry would delete the new copy.
    let stamp = format!("{}-{}", host.now().timestamp(), std::process::id());
    let mut n = 1;
    let target = loop {
        let target = match n {
            1 => dir.join(format!("{name}.bak-{stamp}")),
            _ => dir.join(format!("{name}.bak-{stamp}-{n}")),
        };
        if files::create_new(&target, bytes, 0o600)? {
            break target;
        }
        n += 1;
    };
    prune(host, &dir, source);
    Ok(target)
}

/// Deletes the backups of `source` older than the newest `KEEP_PER_SOURCE - 1` the
/// journal records (the backup just made is not journaled yet and makes it
/// `KEEP_PER_SOURCE`). Failing to prune is not worth failing the run over.
fn prune(host: &Host, dir: &Path, source: Source) {
    let Ok(entries) = journal::read(host) else {
        return;
    };
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for e in entries.iter().rev() {
        let c = &e.change;
        if c.path != source.path || c.row.as_deref() != source.row {
            continue;
        }
        let Some(b) = c.backup.as_deref() else {
            continue;
        };
        let path = Path::new(b);
        // Only files clawshift itself put in its backups dir are ever deleted.
        if path.parent() != Some(dir) || !seen.insert(b) {
            continue;
        }
        if seen.len() < KEEP_PER_SOURCE {
            continue;
        }
        // Older than the newest kept: delete. Pruning always goes down to the oldest,
        // so a backup already gone means every older one is gone too.
        if fs::remove_file(path).is_err() {
            break;
        }
    }
}
