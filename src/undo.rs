//! `history` and `undo`: read the journal back. A run is every journal line with the
//! same run id; `undo` restores each file that run changed from its backup, newest
//! change first, after checking nobody has changed the file since.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::error::Error;
use crate::files::{self, sha256_hex};
use crate::host::Host;
use crate::journal::{self, Entry};
use crate::openclaw::sqlite;

#[derive(Debug, Serialize)]
pub struct Run {
    pub run: String,
    pub at: String,
    pub command: String,
    pub changes: Vec<journal::Change>,
}

/// Runs that changed something, oldest first.
pub fn runs(host: &Host) -> Result<Vec<Run>, Error> {
    let mut runs: Vec<Run> = Vec::new();
    for Entry {
        run,
        at,
        command,
        change,
    } in journal::read(host)?
    {
        match runs.iter_mut().find(|r| r.run == run) {
            Some(r) => r.changes.push(change),
            None => runs.push(Run {
                run,
                at,
                command,
                changes: vec![change],
            }),
        }
    }
    Ok(runs)
}

fn changed(run: &Run) -> impl Iterator<Item = &journal::Change> {
    run.changes
        .iter()
        .filter(|c| c.kind == "write" || c.kind == "row")
}

pub fn history(host: &Host, json: bool) -> Result<ExitCode, Error> {
    let runs = runs(host)?;
    if json {
        let text =
            serde_json::to_string_pretty(&runs).map_err(|e| Error::Failure(e.to_string()))?;
        host.println(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        host.println("no runs recorded yet")?;
    }
    for r in &runs {
        let targets: BTreeSet<String> = changed(r)
            .map(|c| match &c.row {
                Some(row) => format!("{}#{row}", short(&c.path)),
                None => short(&c.path),
            })
            .collect();
        let what = if targets.is_empty() {
            "backups only".to_string()
        } else {
            targets.into_iter().collect::<Vec<_>>().join(", ")
        };
        host.println(&format!("{}  {}  {}  {what}", r.run, r.at, r.command))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn short(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.to_string())
}

/// One file or row a run changed: its first change (whose `before` is what undo
/// restores) and its last (whose `after` is what the run left).
struct Touched<'a> {
    path: &'a str,
    row: Option<&'a str>,
    first: &'a journal::Change,
    last: &'a journal::Change,
}

/// The files and rows a run changed, in the order it first changed them.
fn touched<'a>(changes: &[&'a journal::Change]) -> Vec<Touched<'a>> {
    let mut out: Vec<Touched> = Vec::new();
    for c in changes {
        match out
            .iter_mut()
            .find(|t| t.path == c.path && t.row == c.row.as_deref())
        {
            Some(t) => t.last = c,
            None => out.push(Touched {
                path: &c.path,
                row: c.row.as_deref(),
                first: c,
                last: c,
            }),
        }
    }
    out
}

/// Runs an undo completed (it journals a `kind: "undo"` marker when it finishes). A run
/// whose undo was interrupted has no marker, so `undo` picks it again and finishes it.
fn completed_undos(runs: &[Run]) -> BTreeSet<&str> {
    runs.iter()
        .flat_map(|r| r.changes.iter())
        .filter(|c| c.kind == "undo")
        .filter_map(|c| c.undoes.as_deref())
        .collect()
}

pub fn undo(host: &Host, id: Option<&str>, force: bool) -> Result<ExitCode, Error> {
    let runs = runs(host)?;
    let undone = completed_undos(&runs);
    let target = match id {
        Some(id) => runs.iter().find(|r| r.run == id).ok_or_else(|| {
            Error::Usage(format!(
                "no run `{id}` in the journal; `clawshift history` lists them"
            ))
        })?,
        None => runs
            .iter()
            .rev()
            .find(|r| {
                // The default skips runs already undone and undo runs themselves, so
                // repeated `undo` walks back through history; `undo <id>` can redo.
                changed(r).next().is_some()
                    && !undone.contains(r.run.as_str())
                    && r.changes.iter().all(|c| c.undoes.is_none())
            })
            .ok_or_else(|| {
                Error::Failure("nothing to undo: the journal has no run that changed a file".into())
            })?,
    };
    let changes: Vec<&journal::Change> = changed(target).collect();
    if changes.is_empty() {
        return Err(Error::Failure(format!(
            "run {} changed no file; nothing to undo",
            target.run
        )));
    }
    // Each file or row goes straight back to what it was before the run's first change,
    // so an interrupted undo never leaves an in-between version, and rerunning it
    // finishes the job. Check everything first so a conflict leaves every file as it
    // was: a file must hold what the run left, or already what it had before (the
    // change never landed because the run was killed, or an earlier undo restored it).
    let todo = touched(&changes);
    let mut now_hashes = Vec::new();
    for t in &todo {
        let now = current(t.path, t.row)?.as_deref().map(sha256_hex);
        if now != t.last.after && now != t.first.before && !force {
            let what = match t.row {
                Some(row) => format!("row {row} of `{}`", t.path),
                None => format!("`{}`", t.path),
            };
            return Err(Error::Failure(format!(
                "{what} changed after run {} (by OpenClaw or another run); undo would lose that change. Rerun with --force to restore it anyway",
                target.run
            )));
        }
        now_hashes.push(now);
    }
    *host.undoing.borrow_mut() = Some(target.run.clone());
    for (t, now) in todo.iter().rev().zip(now_hashes.iter().rev()) {
        let shown = match t.row {
            Some(row) => format!("{}#{row}", t.path),
            None => t.path.to_string(),
        };
        if *now == t.first.before {
            host.println(&format!("unchanged {shown} (already as before the run)"))?;
            continue;
        }
        if let Some(row) = t.row {
            restore_row(host, t.first, row)?;
        } else {
            let path = Path::new(t.path);
            match (&t.first.backup, &t.first.before) {
                (Some(b), _) => {
                    let bytes = read_backup(b, t.first)?;
                    let mode = std::fs::metadata(path)
                        .map(|m| m.permissions().mode() & 0o777)
                        .unwrap_or(0o600);
                    files::write_file(host, path, &bytes, mode)?;
                }
                (None, None) => {
                    files::remove_file(host, path)?;
                }
                (None, Some(_)) => {
                    return Err(Error::Failure(format!(
                        "the journal has no backup of `{}` from before run {}; it cannot be restored",
                        t.path, target.run
                    )));
                }
            }
        }
        host.println(&format!("restored {shown}"))?;
    }
    if !host.dry_run {
        journal::append(
            host,
            &journal::Change {
                kind: "undo".into(),
                path: host.journal_path().display().to_string(),
                row: None,
                backup: None,
                before: None,
                after: None,
                undoes: Some(target.run.clone()),
            },
        )?;
    }
    host.println(&format!("undid run {} ({})", target.run, target.command))?;
    Ok(ExitCode::SUCCESS)
}

/// The bytes a file or row holds now (`None` when absent).
fn current(path: &str, row: Option<&str>) -> Result<Option<Vec<u8>>, Error> {
    match row {
        None => files::read_optional(Path::new(path)),
        Some(row) => {
            let (table, key) = row.split_once('/').unwrap_or((row, ""));
            let conn = sqlite::open(Path::new(path))?;
            Ok(sqlite::read_row(&conn, Path::new(path), table, key)?.map(String::into_bytes))
        }
    }
}

fn read_backup(b: &str, c: &journal::Change) -> Result<Vec<u8>, Error> {
    let bytes = files::read_optional(Path::new(b))?.ok_or_else(|| {
        Error::Failure(format!(
            "cannot read backup `{b}`: it does not exist (only the newest {} backups of each name are kept)",
            crate::backup::KEEP_PER_NAME
        ))
    })?;
    if c.before.as_deref() != Some(&sha256_hex(&bytes)) {
        return Err(Error::Failure(format!(
            "backup `{b}` does not match the journal; refusing to restore it"
        )));
    }
    Ok(bytes)
}

/// Puts a SQLite row back as it was before the run, backing up and journaling the
/// value it replaces like any other change.
fn restore_row(host: &Host, c: &journal::Change, row: &str) -> Result<(), Error> {
    let db = Path::new(&c.path);
    let before = match &c.backup {
        Some(b) => Some(read_backup(b, c)?),
        None => None,
    };
    let now = current(&c.path, Some(row))?;
    if host.dry_run {
        return files::show_diff(
            host,
            &format!("{}#{row}", c.path),
            now.as_deref(),
            before.as_deref().unwrap_or_default(),
        );
    }
    let saved = match &now {
        Some(bytes) => Some(crate::backup::save_bytes(
            host,
            &format!("{}.{}", short(&c.path), row.replace('/', ".")),
            bytes,
        )?),
        None => None,
    };
    journal::append(
        host,
        &journal::Change {
            kind: "row".into(),
            path: c.path.clone(),
            row: Some(row.to_string()),
            backup: saved.map(|p| p.display().to_string()),
            before: now.as_deref().map(sha256_hex),
            after: before.as_deref().map(sha256_hex),
            undoes: host.undoing.borrow().clone(),
        },
    )?;
    sqlite::restore_row(host, db, row, before.as_deref())
}
