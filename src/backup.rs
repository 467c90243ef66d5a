//! Backups: a copy of a file (or of a SQLite row's value) in clawshift's backups
//! directory, named `<name>.bak-<unix-seconds>` as the original skill named them, mode
//! 0600, with bounded retention.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files;
use crate::host::Host;

/// How many backups of one name are kept; older ones are deleted after a new one is made.
pub const KEEP_PER_NAME: usize = 20;

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
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "file".into());
    save_bytes(host, &name, &bytes)
}

/// Stores `bytes` as a new backup named after `name`. The copy is written to a temp
/// file first, so an interrupted backup never leaves a half-written `.bak-` file.
pub fn save_bytes(host: &Host, name: &str, bytes: &[u8]) -> Result<PathBuf, Error> {
    crate::journal::ready(host, &format!("back up `{name}`"))?;
    let dir = host.backups_dir();
    files::private_dir(&host.state_dir)?;
    files::private_dir(&dir)?;
    let stamp = host.now().timestamp();
    let mut target = dir.join(format!("{name}.bak-{stamp}"));
    let mut n = 2;
    while target.exists() {
        target = dir.join(format!("{name}.bak-{stamp}-{n}"));
        n += 1;
    }
    files::atomic_write(&target, bytes, 0o600)?;
    prune(&dir, name);
    Ok(target)
}

/// Keeps the newest `KEEP_PER_NAME` backups of `name`. Failing to prune is not worth
/// failing the run over, so errors are ignored.
fn prune(dir: &Path, name: &str) {
    let prefix = format!("{name}.bak-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| {
            let m = e.metadata().ok()?.modified().ok()?;
            Some((m, e.file_name().to_string_lossy().to_string(), e.path()))
        })
        .collect();
    found.sort();
    if found.len() > KEEP_PER_NAME {
        for (_, _, p) in &found[..found.len() - KEEP_PER_NAME] {
            let _ = fs::remove_file(p);
        }
    }
}
