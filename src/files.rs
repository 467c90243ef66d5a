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

/// Reads a file of at most [`MAX_PARSE_BYTES`], or `None` when it does not exist.
/// Other errors name the file. See [`read_bounded`].
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    read_bounded(path, MAX_PARSE_BYTES)
}

/// The one way clawshift reads a file. Only a regular file is read: it is opened
/// non-blocking (so a FIFO in its place cannot hang the open) and checked on the open
/// handle (`fstat`, so it cannot be swapped between the check and the read), and at most
/// `limit` bytes are read, so `/dev/zero`, a FIFO, a device or a file growing under us
/// fails at once with an error naming it and the fix. `None` when it does not exist.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Error> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        Error::Failure(format!(
            "cannot read `{}`: {e}{}",
            path.display(),
            io_hint(&e)
        ))
    };
    let file = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    };
    let meta = file.metadata().map_err(cannot)?;
    if let Some(e) = not_regular(path, &meta) {
        return Err(e);
    }
    let too_big = |len: u64| too_big(path, len, limit);
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    // The file may grow after `fstat`: read one byte past the limit to notice.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(Some(bytes))
}

/// The refusal for anything but a regular file (a FIFO, a device, a directory, a
/// socket), naming it and the fix; `None` for a regular file.
fn not_regular(path: &Path, meta: &fs::Metadata) -> Option<Error> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    let what = if kind.is_file() || kind.is_symlink() {
        return None;
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Some(Error::Failure(format!(
        "`{}` is {what}, not a regular file; clawshift reads and writes only regular files (this one could hang it or never end). Fix: replace it with the real file (or remove it, or point clawshift at the right path); nothing was changed",
        path.display()
    )))
}

fn too_big(path: &Path, len: u64, limit: u64) -> Error {
    Error::Failure(format!(
        "`{}` is {:.1} MB, more than the {} MB clawshift reads (OpenClaw's files are a few KB); it is not the right file or it is corrupt. Fix: restore it from a backup (`clawshift history`, `clawshift undo`) or move it away; nothing was changed",
        path.display(),
        len as f64 / 1_048_576.0,
        limit / 1_048_576
    ))
}

/// For a file another library opens and reads itself (a Rhai module): refuses one that
/// is not a regular file or is over [`MAX_PARSE_BYTES`]; a missing one is left to it.
pub fn check_file(path: &Path) -> Result<(), Error> {
    match fs::metadata(path) {
        Ok(m) => match not_regular(path, &m) {
            Some(e) => Err(e),
            None if m.len() > MAX_PARSE_BYTES => Err(too_big(path, m.len(), MAX_PARSE_BYTES)),
            None => Ok(()),
        },
        Err(_) => Ok(()),
    }
}

/// Refuses a path that exists and is not a regular file (following symlinks), before
/// anything is opened or written: the journal is checked this way before a
/// change is backed up, so a FIFO in its place stops the run with nothing changed.
pub fn check_regular(path: &Path) -> Result<(), Error> {
    match fs::metadata(path) {
        Ok(m) => not_regular(path, &m).map_or(Ok(()), Err),
        Err(_) => Ok(()),
    }
}

/// Like [`read_optional`], as text (bytes that are not UTF-8 replaced); `None` when the
/// file cannot be read. For files whose content is only a hint (a lock's owner, a
/// source line for an error message), where a failure to read is not worth an error.
pub fn read_text_lossy(path: &Path) -> Option<String> {
    read_optional(path)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Replaces `path` with `bytes` (mode `mode`), backing up and journaling first. Writes
/// nothing when the bytes are already there; under `--dry-run` prints a diff instead.
pub fn write_file(host: &Host, path: &Path, bytes: &[u8], mode: u32) -> Result<Outcome, Error> {
    journal::ready(host, &format!("write `{}`", path.display()))?;
    refuse_symlink(path)?;
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

/// Files are replaced by rename, which would turn a symlink into a regular file and leave
/// its target stale: refuse, naming the link and its target (OpenClaw does not support
/// writing through a symlinked `openclaw.json` either).
pub fn refuse_symlink(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            Err(Error::Failure(format!(
                "`{}` is a symlink (to `{target}`); clawshift replaces files atomically and would turn the link into a copy. Fix: replace the link with the file it points to (or point OPENCLAW_STATE_DIR / OPENCLAW_CONFIG_PATH at the real location); nothing was written",
                path.display()
            )))
        }
        _ => Ok(()),
    }
}

/// The largest file clawshift parses (stores, config, auth.json). OpenClaw's files are a
/// few KB (about 2 KB per profile); anything this big is the wrong file or corrupt, and
/// parsing it would only burn memory.
pub const MAX_PARSE_BYTES: u64 = 16 * 1024 * 1024;

/// The same as [`read_optional`]: every read refuses a file larger than
/// [`MAX_PARSE_BYTES`] before reading it, naming the file and its size.
pub fn read_limited(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    read_optional(path)
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
    host.dry_note(&format!("dry-run: would {what} {name}"))?;
    let diff = similar::TextDiff::from_lines(&old, &new);
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (now)"), &format!("{name} (after)"))
        .to_string();
    for line in text.lines() {
        host.dry_note(line)?;
    }
    Ok(())
}

/// The directory a file lives in (`.` for a bare name) and its file name, for creating a
/// sibling temp file next to it.
pub fn dir_and_name(path: &Path) -> (&Path, String) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    (dir, name)
}

/// Writes a file atomically with the given mode. The temp file is created with that
/// mode from the start, so a secret is never readable by others, whatever the umask.
pub fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let tmp = synced_temp(path, bytes, mode)?;
    crate::testhook::point("temp-written");
    tmp.persist(path).map_err(|e| write_error(path, e.error))?;
    crate::testhook::point("renamed");
    sync_dir(path);
    Ok(())
}

/// Creates `path` with `bytes` (mode `mode`) only if nothing is there yet: written to a
/// temp file, then linked into place, so the name appears complete or not at all.
/// Returns `false` when the name is taken (by another run, say).
pub fn create_new(path: &Path, bytes: &[u8], mode: u32) -> Result<bool, Error> {
    let tmp = synced_temp(path, bytes, mode)?;
    match tmp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(write_error(path, e.error)),
    }
    sync_dir(path);
    Ok(true)
}

fn write_error(path: &Path, e: std::io::Error) -> Error {
    Error::Failure(format!(
        "cannot write `{}`: {e}{}",
        path.display(),
        io_hint(&e)
    ))
}

/// A temp file next to `path` holding `bytes`, fsynced, with exactly mode `mode` from
/// the start (the builder's mode is filtered by the umask, so it is set again), so a
/// secret is never readable by others whatever the umask.
fn synced_temp(path: &Path, bytes: &[u8], mode: u32) -> Result<tempfile::NamedTempFile, Error> {
    let (dir, name) = dir_and_name(path);
    let ctx = |e| write_error(path, e);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(ctx)?;
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(ctx)?;
    tmp.write_all(bytes).map_err(ctx)?;
    tmp.as_file().sync_all().map_err(ctx)?;
    Ok(tmp)
}

/// Makes a rename or link in `path`'s directory durable.
fn sync_dir(path: &Path) {
    if let Ok(d) = fs::File::open(dir_and_name(path).0) {
        let _ = d.sync_all();
    }
}

/// The fix for the I/O errors a user can do something about (a full disk, a read-only
/// mount, missing permissions), as a sentence to append to the error; empty otherwise.
pub fn io_hint(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind as K;
    // `kind()` survives the path context `tempfile` wraps its errors in; the raw errno
    // does not.
    match (e.kind(), e.raw_os_error()) {
        (K::StorageFull | K::QuotaExceeded, _) | (_, Some(libc::ENOSPC | libc::EDQUOT)) => {
            ". Fix: free some space on that filesystem and rerun; nothing was changed"
        }
        (K::ReadOnlyFilesystem, _) | (_, Some(libc::EROFS)) => {
            ". Fix: the filesystem is mounted read-only; remount it read-write (or point clawshift elsewhere) and rerun; nothing was changed"
        }
        (K::PermissionDenied, _) | (_, Some(libc::EACCES | libc::EPERM)) => {
            ". Fix: make the directory writable for your user and rerun; nothing was changed"
        }
        _ => "",
    }
}

/// Creates a directory (and parents) that only the owner can enter.
pub fn private_dir(path: &Path) -> Result<(), Error> {
    let ctx = |e: std::io::Error| {
        Error::Failure(format!(
            "cannot create directory `{}`: {e}{}",
            path.display(),
            io_hint(&e)
        ))
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
    // O_NOFOLLOW: the journal is appended in place, so a planted link would redirect it.
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        // O_NONBLOCK: a FIFO in its place fails the open (ENXIO) or the check below
        // rather than hang.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ENXIO) {
                // A FIFO with no reader.
                check_regular(path).err().unwrap_or_else(|| {
                    Error::Failure(format!("cannot append to `{}`: {e}", path.display()))
                })
            } else if e.raw_os_error() == Some(libc::ELOOP) {
                Error::Failure(format!(
                    "`{}` is a symlink; clawshift appends to its journal only in place. Fix: replace the link with a regular file (or remove it); nothing was changed",
                    path.display()
                ))
            } else {
                Error::Failure(format!(
                    "cannot append to `{}`: {e}{}",
                    path.display(),
                    io_hint(&e)
                ))
            }
        })?;
    if let Some(e) = f.metadata().ok().and_then(|m| not_regular(path, &m)) {
        return Err(e);
    }
    let mut buf = line.as_bytes().to_vec();
    buf.push(b'\n');
    f.write_all(&buf).and_then(|_| f.sync_data()).map_err(|e| {
        Error::Failure(format!(
            "cannot append to `{}`: {e}{}",
            path.display(),
            io_hint(&e)
        ))
    })
}

/// Deletes a file the way `write_file` changes one: backed up and journaled first.
/// Used by `undo` to remove a file that a run created.
pub fn remove_file(host: &Host, path: &Path) -> Result<Outcome, Error> {
    journal::ready(host, &format!("delete `{}`", path.display()))?;
    refuse_symlink(path)?;
    let Some(before) = read_optional(path)? else {
        return Ok(Outcome::Unchanged);
    };
    if host.dry_run {
        host.dry_note(&format!("dry-run: would delete {}", path.display()))?;
        return Ok(Outcome::WouldWrite);
    }
    record(host, path, Some(&before), None)?;
    fs::remove_file(path)
        .map_err(|e| Error::Failure(format!("cannot delete `{}`: {e}", path.display())))?;
    crate::testhook::point("removed");
    Ok(Outcome::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_naming_it_and_its_size() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("big.json");
        fs::write(&p, vec![b'x'; 3 * 1024 * 1024]).expect("write");
        let e = read_bounded(&p, 2 * 1024 * 1024).expect_err("too big");
        assert!(
            e.to_string().starts_with(&format!(
                "`{}` is 3.0 MB, more than the 2 MB clawshift reads",
                p.display()
            )),
            "{e}"
        );
        assert_eq!(
            read_bounded(&p, 3 * 1024 * 1024)
                .expect("fits")
                .map(|b| b.len()),
            Some(3 * 1024 * 1024)
        );
    }

    #[test]
    fn a_missing_file_is_none_and_a_directory_or_device_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        assert_eq!(
            read_optional(&dir.path().join("nope")).expect("missing"),
            None
        );
        for (p, what) in [
            (dir.path(), "is a directory, not a regular file"),
            (
                Path::new("/dev/zero"),
                "is a character device, not a regular file",
            ),
            (
                Path::new("/dev/null"),
                "is a character device, not a regular file",
            ),
        ] {
            let e = read_optional(p).expect_err("refused");
            assert!(
                e.to_string()
                    .starts_with(&format!("`{}` {what}", p.display())),
                "{e}"
            );
        }
    }
}
