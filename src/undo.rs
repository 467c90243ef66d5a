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
    // finishes the job. All or nothing: every file, row and backup is checked first,
    // then the stores are locked (OpenClaw's lock for JSON stores, one `BEGIN
    // IMMEDIATE` per database) and checked again, and only then is anything restored.
    let todo = touched(&changes);
    let plan = check(host, &target.run, &todo, force)?;
    crate::testhook::point("undo-checked");
    let guards = Guards::take(host, &todo)?;
    let result = (|| {
        let again = check(host, &target.run, &todo, force)?;
        if again.iter().map(|s| &s.now).ne(plan.iter().map(|s| &s.now)) {
            return Err(Error::Failure(format!(
                "a file or row of run {} changed while undo was checking it (OpenClaw is writing); nothing was restored. Rerun `clawshift undo`",
                target.run
            )));
        }
        restore(host, &target.run, &todo, &again, &guards)
    })();
    guards.finish(result.is_ok())?;
    result?;
    if !host.dry_run {
        for t in todo.iter().filter(|t| t.row.is_none()) {
            user_choice(host, Path::new(t.path))?;
        }
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
    let verb = if host.dry_run { "would undo" } else { "undid" };
    host.println(&format!("{verb} run {} ({})", target.run, target.command))?;
    Ok(ExitCode::SUCCESS)
}

/// After undoing a switch: the route the restored switch state names is now the
/// user's choice, so the next `switch` holds it (for the policy's minimum hold) instead
/// of making the undone change again at once.
fn user_choice(host: &Host, path: &Path) -> Result<(), Error> {
    let (dir, name) = files::dir_and_name(path);
    if dir != host.state_dir || !name.starts_with("switch-state") || !name.ends_with(".json") {
        return Ok(());
    }
    let mut state = match files::read_optional(path)? {
        Some(bytes) => match serde_json::from_slice(&bytes) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Ok(()),
        },
        // The undone run was the first: there is no state to go back to, only the route
        // the agent is on again.
        None => {
            let mut m = serde_json::Map::new();
            m.insert("version".into(), 1.into());
            m
        }
    };
    let route = match state.get("lastEffectiveModel") {
        Some(r) => r.clone(),
        None => match crate::openclaw::status::native(host)?.current_route() {
            Some(r) => r.key().into(),
            None => return Ok(()),
        },
    };
    state.insert(
        "userChoice".into(),
        serde_json::json!({"route": route, "at": host.now_ms()}),
    );
    let mut text =
        serde_json::to_string_pretty(&state).map_err(|e| Error::Failure(format!("undo: {e}")))?;
    text.push('\n');
    files::write_file(host, path, text.as_bytes(), 0o600)?;
    Ok(())
}

/// What undo will do to one file or row: its hash now, and the bytes to put back
/// (`None`: remove it), unless it already holds them.
struct Step {
    now: Option<String>,
    restore: Option<Option<Vec<u8>>>,
}

/// Checks every file and row of a run (and reads every backup) without changing
/// anything: a file must hold what the run left, or already what it had before (the
/// change never landed because the run was killed, or an earlier undo restored it).
///
/// clawshift's own state files (`<state dir>/<name>.json`, saved by `state::save`) are
/// the exception: every later check rewrites `lastCheckedAt` in them, so requiring them
/// untouched would refuse every undo of a switch. They go back with the run they belong
/// to.
fn check(host: &Host, run: &str, todo: &[Touched], force: bool) -> Result<Vec<Step>, Error> {
    let mut steps = Vec::new();
    for t in todo {
        let force = force || (t.row.is_none() && is_state_file(host, Path::new(t.path)));
        let now = current(t.path, t.row)?.as_deref().map(sha256_hex);
        let what = || match t.row {
            Some(row) => format!("row {row} of `{}`", t.path),
            None => format!("`{}`", t.path),
        };
        if now != t.last.after && now != t.first.before && !force {
            return Err(Error::Failure(format!(
                "{} changed after run {run} (by OpenClaw or another run); undo would lose that change. Rerun with --force to restore it anyway; nothing was restored",
                what()
            )));
        }
        let restore = if now == t.first.before {
            None
        } else {
            match (&t.first.backup, &t.first.before) {
                (Some(b), _) => Some(Some(read_backup(b, t.first)?)),
                (None, None) => Some(None),
                (None, Some(_)) => {
                    return Err(Error::Failure(format!(
                        "the journal has no backup of {} from before run {run}; it cannot be restored, so nothing was restored",
                        what()
                    )));
                }
            }
        };
        steps.push(Step { now, restore });
    }
    Ok(steps)
}

/// A file `state::save` writes: a `*.json` directly in clawshift's state dir, other than
/// the user's `config.json`.
fn is_state_file(host: &Host, path: &Path) -> bool {
    path.parent() == Some(host.state_dir.as_path())
        && path.extension().is_some_and(|e| e == "json")
        && path.file_name().is_some_and(|n| n != "config.json")
}

/// The locks an undo holds while it restores: OpenClaw's lock of every JSON store it
/// touches, OpenClaw's `openclaw.json.lock` when it restores the config, and an open
/// `BEGIN IMMEDIATE` transaction on every database.
struct Guards {
    _json: Vec<crate::openclaw::lock::JsonLock>,
    _config: Option<crate::openclaw::lock::JsonLock>,
    dbs: Vec<(String, std::rc::Rc<rusqlite::Connection>)>,
}

impl Guards {
    fn take(host: &Host, todo: &[Touched]) -> Result<Guards, Error> {
        let mut g = Guards {
            _json: Vec::new(),
            _config: None,
            dbs: Vec::new(),
        };
        if host.dry_run {
            return Ok(g);
        }
        let mut stores: BTreeSet<std::path::PathBuf> = BTreeSet::new();
        for t in todo {
            let path = Path::new(t.path);
            if t.row.is_some() {
                if !g.dbs.iter().any(|(p, _)| p == t.path) {
                    g.dbs.push((t.path.to_string(), sqlite::open(path)?));
                }
                continue;
            }
            let (dir, name) = files::dir_and_name(path);
            if name == crate::openclaw::STORE_FILE || name == crate::openclaw::STATE_FILE {
                // OpenClaw guards both files of a split store with the one lock on
                // `auth-profiles.json`, as `openclaw::update` does.
                stores.insert(dir.join(crate::openclaw::STORE_FILE));
            } else if path == host.openclaw_config_path && g._config.is_none() {
                g._config = crate::openclaw::ops::config_lock(host)?;
            }
        }
        for store in &stores {
            g._json.push(crate::openclaw::lock::acquire(host, store)?);
        }
        for (begun, (p, c)) in g.dbs.iter().enumerate() {
            if let Err(e) = sqlite::begin_immediate(host, c, Path::new(p)) {
                for (_, c) in &g.dbs[..begun] {
                    let _ = c.execute_batch("ROLLBACK");
                }
                return Err(e);
            }
            crate::testhook::point("sqlite-begun");
        }
        Ok(g)
    }

    fn conn(&self, path: &str) -> Option<&rusqlite::Connection> {
        self.dbs
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, c)| c.as_ref())
    }

    /// Commits every transaction after a complete restore, or rolls them all back.
    fn finish(&self, ok: bool) -> Result<(), Error> {
        for (p, c) in &self.dbs {
            if ok {
                c.execute_batch("COMMIT")
                    .map_err(|e| sqlite::db_error(Path::new(p), e))?;
                crate::testhook::point("sqlite-committed");
            } else {
                let _ = c.execute_batch("ROLLBACK");
            }
        }
        Ok(())
    }
}

/// Restores every file and row of the plan, newest first.
fn restore(
    host: &Host,
    run: &str,
    todo: &[Touched],
    plan: &[Step],
    guards: &Guards,
) -> Result<(), Error> {
    *host.undoing.borrow_mut() = Some(run.to_string());
    let would = if host.dry_run {
        "would restore"
    } else {
        "restored"
    };
    for (t, step) in todo.iter().zip(plan).rev() {
        let shown = match t.row {
            Some(row) => format!("{}#{row}", t.path),
            None => t.path.to_string(),
        };
        let Some(bytes) = &step.restore else {
            host.println(&format!("unchanged {shown} (already as before the run)"))?;
            continue;
        };
        match t.row {
            Some(row) => restore_row(host, t, row, bytes.as_deref(), guards)?,
            None => {
                let path = Path::new(t.path);
                match bytes {
                    Some(bytes) => {
                        let mode = std::fs::metadata(path)
                            .map(|m| m.permissions().mode() & 0o777)
                            .unwrap_or(0o600);
                        files::write_file(host, path, bytes, mode)?;
                    }
                    None => {
                        files::remove_file(host, path)?;
                    }
                }
            }
        }
        host.println(&format!("{would} {shown}"))?;
    }
    Ok(())
}

/// The bytes a file or row holds now (`None` when absent).
fn current(path: &str, row: Option<&str>) -> Result<Option<Vec<u8>>, Error> {
    match row {
        None => files::read_optional(Path::new(path)),
        Some(row) => {
            let (table, key) = row.split_once('/').unwrap_or((row, ""));
            let conn = sqlite::open(Path::new(path))?;
            Ok(
                sqlite::read_row(&conn, Path::new(path), table, key)?
                    .map(|t| t.as_bytes().to_vec()),
            )
        }
    }
}

fn read_backup(b: &str, c: &journal::Change) -> Result<Vec<u8>, Error> {
    let bytes = files::read_optional(Path::new(b))?.ok_or_else(|| {
        Error::Failure(format!(
            "cannot read backup `{b}`: it does not exist (only the newest {} backups of each file are kept); nothing was restored",
            crate::backup::KEEP_PER_SOURCE
        ))
    })?;
    if c.before.as_deref() != Some(&sha256_hex(&bytes)) {
        return Err(Error::Failure(format!(
            "backup `{b}` does not match the journal; refusing to restore it, so nothing was restored"
        )));
    }
    Ok(bytes)
}

/// Puts a SQLite row back as it was before the run, inside the undo's transaction,
/// backing up and journaling the value it replaces like any other change.
fn restore_row(
    host: &Host,
    t: &Touched,
    row: &str,
    before: Option<&[u8]>,
    guards: &Guards,
) -> Result<(), Error> {
    let now = current(t.path, Some(row))?;
    if host.dry_run {
        return files::show_diff(
            host,
            &format!("{}#{row}", t.path),
            now.as_deref(),
            before.unwrap_or_default(),
        );
    }
    let saved = match &now {
        Some(bytes) => Some(crate::backup::save_bytes(
            host,
            &format!("{}.{}", short(t.path), row.replace('/', ".")),
            crate::backup::Source {
                path: t.path,
                row: Some(row),
            },
            bytes,
        )?),
        None => None,
    };
    journal::append(
        host,
        &journal::Change {
            kind: "row".into(),
            path: t.path.to_string(),
            row: Some(row.to_string()),
            backup: saved.map(|p| p.display().to_string()),
            before: now.as_deref().map(sha256_hex),
            after: before.map(sha256_hex),
            undoes: host.undoing.borrow().clone(),
        },
    )?;
    let conn = guards
        .conn(t.path)
        .ok_or_else(|| Error::Failure(format!("undo: `{}` was not opened for writing", t.path)))?;
    sqlite::restore_row(conn, Path::new(t.path), row, before, host.now_ms())
}
