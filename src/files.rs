//! Safe file writes: every change goes through [`write_file`], which backs the old
//! bytes up, records the change in the journal, then replaces the file atomically
//! (temp file in the same directory, fsync, rename, fsync of the directory). A crash at
//! any point leaves the old file or the new one, never a mix.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use sha2::Digest;

use crate::backup;
use crate::error::Error;
use crate::host::Host;
use crate::journal::{self, Change};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Unchanged,
    Written,
    /// `--dry-run`: the change was shown, not made.
    WouldWrite,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a file, or `None` when it does not exist. Other errors name the file.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Failure(format!(
            "cannot read `{}`: {e}",
            path.display()
        ))),
    }
}

/// Replaces `path` with `bytes` (mode `mode`), backing up and journaling first. Writes
/// nothing when the bytes are already there; under `--dry-run` prints a diff instead.
pub fn write_file(host: &Host, path: &Path, bytes: &[u8], mode: u32) -> Result<Outcome, Error> {
    let before = read_optional(path)?;
    if before.as_deref() == Some(bytes) {
        return Ok(Outcome::Unchanged);
    }
    if host.dry_run {
        show_diff(host, &path.display().to_string(), before.as_deref(), bytes)?;
        return Ok(Outcome::WouldWrite);
    }
    record(host, path, before.as_deref(), Some(bytes))?;
    atomic_write(path, bytes, mode)?;
    Ok(Outcome::Written)
}

/// Backs up the current bytes (when there are any) and journals the change, before the
/// file is touched: the order that lets `undo` restore it after a crash at any point.
fn record(
    host: &Host,
    path: &Path,
    before: Option<&[u8]>,
    after: Option<&[u8]>,
) -> Result<(), Error> {
    let backup = match before {
        Some(_) => Some(backup::backup_file(host, path)?),
        None => None,
    };
    crate::testhook::point("backed-up");
    journal::append(
        host,
        &Change {
            kind: "write".into(),
            path: path.display().to_string(),
            row: None,
            backup: backup.map(|p| p.display().to_string()),
            before: before.map(sha256_hex),
            after: after.map(sha256_hex),
            undoes: host.undoing.borrow().clone(),
        },
    )
}

/// Prints a unified diff of a file or row under `--dry-run`. Token values are masked
/// so a dry run never shows a secret.
pub fn show_diff(
    host: &Host,
    name: &str,
    before: Option<&[u8]>,
    after: &[u8],
) -> Result<(), Error> {
    let old = before.map(String::from_utf8_lossy).unwrap_or_default();
    let new = String::from_utf8_lossy(after);
    let (old, new) = (crate::redact::redact(&old), crate::redact::redact(&new));
    let what = if before.is_some() { "change" } else { "create" };
    host.println(&format!("dry-run: would {what} {name}"))?;
    let diff = similar::TextDiff::from_lines(&old, &new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (now)"), &format!("{name} (after)"))
        .to_string();
    for line in text.lines() {
        host.println(line)?;
    }
    Ok(())
}

/// Writes a file atomically with the given mode. The temp file is created with that
/// mode from the start, so a secret is never readable by others, whatever the umask.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let ctx = |e: std::io::Error| Error::Failure(format!("cannot write `{}`: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(ctx)?;
    // The builder's mode is filtered by the umask; set it exactly.
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(ctx)?;
    tmp.write_all(bytes).map_err(ctx)?;
    tmp.as_file().sync_all().map_err(ctx)?;
    crate::testhook::point("temp-written");
    tmp.persist(path).map_err(|e| ctx(e.error))?;
    crate::testhook::point("renamed");
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates a directory (and parents) that only the owner can enter.
pub fn private_dir(path: &Path) -> Result<(), Error> {
    let ctx = |e: std::io::Error| {
        Error::Failure(format!("cannot create directory `{}`: {e}", path.display()))
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(ctx)?;
    let meta = fs::symlink_metadata(path).map_err(ctx)?;
    if meta.file_type().is_symlink() {
        return Err(Error::Failure(format!(
            "`{}` is a symlink; clawshift keeps credentials only in real directories it owns. Remove the link and rerun.",
            path.display()
        )));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(ctx)?;
    }
    Ok(())
}

/// Appends one line to a file created 0600, with O_APPEND so concurrent writers
/// never interleave inside a line.
pub fn append_line(path: &Path, line: &str) -> Result<(), Error> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::Failure(format!("cannot append to `{}`: {e}", path.display())))?;
    let mut buf = line.as_bytes().to_vec();
    buf.push(b'\n');
    f.write_all(&buf)
        .and_then(|_| f.sync_data())
        .map_err(|e| Error::Failure(format!("cannot append to `{}`: {e}", path.display())))
}

/// Deletes a file the way `write_file` changes one: backed up and journaled first.
/// Used by `undo` to remove a file that a run created.
pub fn remove_file(host: &Host, path: &Path) -> Result<Outcome, Error> {
    let Some(before) = read_optional(path)? else {
        return Ok(Outcome::Unchanged);
    };
    if host.dry_run {
        host.println(&format!("dry-run: would delete {}", path.display()))?;
        return Ok(Outcome::WouldWrite);
    }
    record(host, path, Some(&before), None)?;
    fs::remove_file(path)
        .map_err(|e| Error::Failure(format!("cannot delete `{}`: {e}", path.display())))?;
    Ok(Outcome::Written)
}
