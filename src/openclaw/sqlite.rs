//! OpenClaw's SQLite auth stores (2026.6+):
//!
//! - shared: `state/openclaw.sqlite`, table `config_machine_state(state_key, value_json,
//!   updated_at_ms)`, rows `authProfiles.store` `{version, profiles}`,
//!   `authProfiles.state` `{version, order, lastGood, usageStats}` and
//!   `auth.sharedStore` `{"location":"state-db"}`;
//! - agent-local: `agents/<id>/agent/openclaw-agent.sqlite`, tables
//!   `auth_profile_store(store_key, store_json, updated_at)` and
//!   `auth_profile_state(state_key, state_json, updated_at)`, one row keyed `primary`.
//!
//! Writes happen in one `BEGIN IMMEDIATE` transaction with a 5 s busy timeout, like
//! OpenClaw's own writers; every changed row is backed up and journaled before COMMIT.

use std::cell::RefCell;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::store;
use crate::error::Error;
use crate::files;
use crate::host::Host;

pub const SHARED_TABLE: &str = "config_machine_state";
pub const STORE_KEY: &str = "authProfiles.store";
pub const STATE_KEY: &str = "authProfiles.state";
pub const SHARED_STORE_KEY: &str = "auth.sharedStore";
pub const AGENT_STORE_TABLE: &str = "auth_profile_store";
pub const AGENT_STATE_TABLE: &str = "auth_profile_state";
pub const AGENT_ROW: &str = "primary";
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// The columns of one of the key/value tables clawshift touches.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub key: &'static str,
    pub value: &'static str,
    pub time: &'static str,
}

pub fn table(name: &str) -> Option<Table> {
    match name {
        SHARED_TABLE => Some(Table {
            name: SHARED_TABLE,
            key: "state_key",
            value: "value_json",
            time: "updated_at_ms",
        }),
        AGENT_STORE_TABLE => Some(Table {
            name: AGENT_STORE_TABLE,
            key: "store_key",
            value: "store_json",
            time: "updated_at",
        }),
        AGENT_STATE_TABLE => Some(Table {
            name: AGENT_STATE_TABLE,
            key: "state_key",
            value: "state_json",
            time: "updated_at",
        }),
        _ => None,
    }
}

pub fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    let text = e.to_string();
    let fix = if text.contains("not a database") || text.contains("malformed") {
        "it is truncated or corrupt; restore it from a backup, or run `openclaw doctor`"
    } else if text.contains("locked") || text.contains("busy") {
        "another process (a running OpenClaw gateway?) held it for more than 5 s; rerun, or stop the gateway first"
    } else if text.contains("no such column") || text.contains("no such table") {
        "its schema is not one clawshift knows (written by a newer OpenClaw?); upgrade clawshift, or run `openclaw doctor`"
    } else if text.contains("disk is full") || text.contains("disk I/O") {
        "free some space on that filesystem and rerun"
    } else if text.contains("readonly") || text.contains("read-only") {
        "it (or its directory) is read-only; make it writable for your user and rerun"
    } else {
        "check that the file is OpenClaw's and readable"
    };
    Error::Failure(format!(
        "SQLite database `{}`: {text}; {fix}; nothing was changed",
        path.display()
    ))
}

/// A connection `open` keeps for the rest of the command.
struct Kept {
    path: PathBuf,
    /// The file it opened.
    file: FileId,
    conn: Rc<Connection>,
    /// The rows read through it, each with the database's version when it was read.
    rows: Vec<KeptRow>,
}

/// A row's text as read, shared by everyone who reads it while it is unchanged.
pub type Text = Rc<String>;

struct KeptRow {
    table: &'static str,
    key: String,
    version: Version,
    text: Option<Text>,
    /// The document parsed from the text when it was read ahead ([`read_ahead`]), until
    /// [`take_parsed`] takes it.
    parsed: Option<Parsed>,
}

/// A store document as parsed from a row's text.
pub type Parsed = serde_json::Result<Option<store::ReadDoc>>;

/// What changes whenever the database does: SQLite's `data_version` (bumped by every
/// commit of another connection, OpenClaw's included) and this connection's own count
/// of changed rows.
type Version = (i64, u64);

fn version(conn: &Connection, path: &Path) -> Result<Version, Error> {
    let data = conn
        .prepare_cached("PRAGMA data_version")
        .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
        .map_err(|e| db_error(path, e))?;
    Ok((data, conn.total_changes()))
}

thread_local! {
    static OPEN: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
    static AHEAD: RefCell<Option<Ahead>> = const { RefCell::new(None) };
}

/// Device, inode and change time: a file replaced in between may reuse the inode.
type FileId = (u64, u64, i64, i64);

/// A kept connection lent to a thread that reads rows ahead ([`read_ahead`]).
struct Ahead {
    path: PathBuf,
    file: FileId,
    /// The work, until the thread or this one takes it.
    job: Arc<Mutex<Option<Job>>>,
    /// The connection and the rows the thread read, sent as soon as they are read, with
    /// all but the largest document still to parse: this thread parses them while the
    /// other parses that one (waiting for the thread to end waited ~0.1 ms more, for
    /// glibc to give its stack back).
    read: std::sync::mpsc::Receiver<Read>,
    /// The largest document's row, parsed.
    largest: std::sync::mpsc::Receiver<ReadAhead>,
}

struct Job {
    conn: Connection,
    path: PathBuf,
    rows: &'static [(&'static str, &'static str, bool)],
}

/// The connection back, and the rows as read.
type Read = (Connection, Vec<ReadAhead>);

/// A row as read ahead: a [`KeptRow`] before its text is shared.
struct ReadAhead {
    table: &'static str,
    key: &'static str,
    version: Version,
    text: Option<String>,
    /// Whether the text is a store document to parse.
    parse: bool,
    parsed: Option<Parsed>,
}

impl ReadAhead {
    fn parse(&mut self) {
        if self.parse && self.parsed.is_none() {
            self.parsed = self.text.as_deref().map(store::parse);
        }
    }
}

impl Job {
    /// Reads the rows' texts, leaving them unparsed.
    fn read(self) -> Read {
        let Job { conn, path, rows } = self;
        let mut read = Vec::new();
        for &(name, key, parse) in rows {
            // An error is left for the run's own read to meet and report.
            let (Some(t), Ok(version)) = (table(name), version(&conn, &path)) else {
                break;
            };
            let Ok(text) = read_text(&conn, &path, t, key) else {
                break;
            };
            read.push(ReadAhead {
                table: t.name,
                key,
                version,
                text,
                parse,
                parsed: None,
            });
        }
        crate::testhook::point("store-read-ahead");
        (conn, read)
    }
}

/// Reads `rows` (table, key, and whether the text is a store document to parse) of the
/// database `open` kept for `path` on another core, while this one goes on building
/// the engine and compiling the scripts: at 1,000 profiles, reading and parsing the
/// store is ~45% of a switch. The next [`open`] of the path keeps the connection again,
/// with the rows as read and the version each was read at: [`read_row`] hands one out
/// only while the database is still at that version, so a commit OpenClaw makes in
/// between is read, never missed. The thread hands the connection and the rows back as
/// soon as it has read them and parses the largest document; this one parses the others
/// meanwhile (the state row, 1,000 profiles' usage, is 0.15 ms it would otherwise wait
/// through). If the thread has not started by then, this one does it all. Meant for
/// rows of hundreds of kilobytes: the thread's heap is set up for them
/// ([`crate::memory::expect_large_thread_heap`]). Nothing happens when the connection
/// is in use or in a transaction, or the process may use a single core.
pub fn read_ahead(path: &Path, rows: &'static [(&'static str, &'static str, bool)]) {
    let Some((all, elsewhere)) = cpus() else {
        return;
    };
    let lent = OPEN.with_borrow_mut(|open| {
        let at = open.iter().position(|k| k.path == path)?;
        if Rc::strong_count(&open[at].conn) > 1 || !open[at].conn.is_autocommit() {
            return None;
        }
        let k = open.remove(at);
        Some((k.file, Rc::into_inner(k.conn)?))
    });
    let Some((file, conn)) = lent else {
        return;
    };
    let job = Arc::new(Mutex::new(Some(Job {
        conn,
        path: path.to_path_buf(),
        rows,
    })));
    let taken = job.clone();
    let (send_read, read) = std::sync::mpsc::sync_channel(1);
    let (send_largest, largest) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("read-ahead".into())
        .spawn(move || {
            let Some(job) = taken.lock().ok().and_then(|mut j| j.take()) else {
                return;
            };
            // SAFETY: `pthread_self` has no preconditions.
            set_cpus(unsafe { libc::pthread_self() }, &all);
            crate::memory::expect_large_thread_heap();
            let (conn, mut rows) = job.read();
            let at = (0..rows.len())
                .filter(|&i| rows[i].parse)
                .max_by_key(|&i| rows[i].text.as_ref().map_or(0, String::len));
            let mine = at.map(|i| rows.remove(i));
            let _ = send_read.send((conn, rows));
            if let Some(mut row) = mine {
                row.parse();
                let _ = send_largest.send(row);
            }
        });
    // Without a thread (the system refused one) the connection is dropped with the
    // closure, and the run opens another.
    if let Ok(thread) = thread {
        set_cpus(
            std::os::unix::thread::JoinHandleExt::as_pthread_t(&thread),
            &elsewhere,
        );
        AHEAD.set(Some(Ahead {
            path: path.to_path_buf(),
            file,
            job,
            read,
            largest,
        }));
    }
}

/// The cores this process may use, and those of them other than the one it runs on
/// now; `None` when there are no others.
fn cpus() -> Option<(libc::cpu_set_t, libc::cpu_set_t)> {
    // SAFETY: `cpu_set_t` is plain bits, valid zeroed; the call gets its true size.
    unsafe {
        let mut all: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of_val(&all), &mut all) != 0 {
            return None;
        }
        let mut others = all;
        if let Ok(here) = usize::try_from(libc::sched_getcpu()) {
            libc::CPU_CLR(here, &mut others);
        }
        (libc::CPU_COUNT(&others) > 0).then_some((all, others))
    }
}

/// Lets `thread` run only on `cpus`. A new thread is started on another core than the
/// one that made it: the scheduler tended to queue it behind its maker, where it waited
/// until that one blocked (needing what it reads), and half the runs gained nothing.
/// Once running, it may go anywhere again, so that a core taken by another process
/// cannot keep it from finishing.
fn set_cpus(thread: libc::pthread_t, cpus: &libc::cpu_set_t) {
    // SAFETY: callers pass a thread not yet joined; the set is the size passed.
    unsafe {
        libc::pthread_setaffinity_np(thread, std::mem::size_of_val(cpus), cpus);
    }
}

/// Waits for the rows read ahead of `path`, reading them here if the thread has not
/// begun, and keeps the connection and rows as [`open`] would have.
fn take_back(path: &Path) {
    let Some(ahead) = AHEAD.with_borrow_mut(|a| a.take_if(|a| a.path == path)) else {
        return;
    };
    let waiting = ahead.job.lock().ok().and_then(|mut j| j.take());
    let on_thread = waiting.is_none();
    let (conn, mut rows) = match waiting {
        Some(job) => job.read(),
        None => match ahead.read.recv() {
            Ok(read) => read,
            Err(_) => return,
        },
    };
    rows.iter_mut().for_each(ReadAhead::parse);
    if on_thread {
        // Without the thread's row (there was none, or the thread failed) the run
        // reads and parses that row itself.
        rows.extend(ahead.largest.recv().ok());
    }
    let rows = rows
        .into_iter()
        .map(|r| KeptRow {
            table: r.table,
            key: r.key.to_string(),
            version: r.version,
            text: r.text.map(Rc::new),
            parsed: r.parsed,
        })
        .collect();
    OPEN.with_borrow_mut(|open| {
        open.retain(|k| k.path != ahead.path);
        open.push(Kept {
            path: ahead.path,
            file: ahead.file,
            conn: Rc::new(conn),
            rows,
        });
    });
}

/// The document parsed from `text` when it was read ahead ([`read_ahead`]), once:
/// `None` when the text was read otherwise, or its document was taken before.
pub fn take_parsed(text: &Text) -> Option<Parsed> {
    OPEN.with_borrow_mut(|open| {
        open.iter_mut()
            .flat_map(|k| k.rows.iter_mut())
            .find(|r| r.text.as_ref().is_some_and(|t| Rc::ptr_eq(t, text)))
            .and_then(|r| r.parsed.take())
    })
}

/// Opens an existing database (never creates one) with OpenClaw's busy timeout, once
/// per command: opening costs more than the reads (SQLite parses the whole schema,
/// ~330 entries in OpenClaw 2026.9's state database, and in WAL mode creates the -wal
/// and -shm files that closing removes), and a switch used to open the same database
/// four times. The connection is reused while the path names the same, unchanged file
/// (device, inode, change time: a file replaced in between may reuse the inode) and no
/// transaction is left open on it; `close_all` closes them.
pub fn open(path: &Path) -> Result<Rc<Connection>, Error> {
    take_back(path);
    let id = std::fs::metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.ctime(), m.ctime_nsec()));
    let kept = OPEN.with_borrow(|open| {
        open.iter()
            .find(|k| k.path == path && Some(k.file) == id && k.conn.is_autocommit())
            .map(|k| k.conn.clone())
    });
    if let Some(conn) = kept {
        return Ok(conn);
    }
    let conn = Rc::new(connect(path)?);
    if let Some(file) = id {
        OPEN.with_borrow_mut(|open| {
            open.retain(|k| k.path != path);
            open.push(Kept {
                path: path.to_path_buf(),
                file,
                conn: conn.clone(),
                rows: Vec::new(),
            });
        });
    }
    Ok(conn)
}

/// Closes the connections `open` kept (those still in use close when dropped). Called
/// when a command ends.
pub fn close_all() {
    if let Some(ahead) = AHEAD.take() {
        // Rows no longer wanted are not read; a thread that has begun is waited for, so
        // that its connection is closed as well (in WAL mode, closing the last one
        // removes the -wal and -shm files).
        let untaken = ahead.job.lock().ok().and_then(|mut j| j.take());
        if untaken.is_none() {
            let _ = ahead.read.recv();
        }
    }
    drop(OPEN.take());
}

fn connect(path: &Path) -> Result<Connection, Error> {
    // SQLite would open a FIFO and wait on it forever.
    files::check_regular(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| db_error(path, e))?;
    // Reading the schema catches a truncated file at once, with the file named.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| db_error(path, e))?;
    Ok(conn)
}

/// Starts a write transaction, waiting for another writer at most OpenClaw's busy
/// timeout and never past the run's deadline.
pub fn begin_immediate(host: &Host, conn: &Connection, path: &Path) -> Result<(), Error> {
    conn.busy_timeout(BUSY_TIMEOUT.min(host.remaining()))
        .map_err(|e| db_error(path, e))?;
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| db_error(path, e))
}

/// SQLite's error for a statement naming a table the schema lacks.
fn no_such_table(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(_, Some(m)) if m.starts_with("no such table"))
}

fn has_table(conn: &Connection, path: &Path, name: &str) -> Result<bool, Error> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(|e| db_error(path, e))
}

/// One row's text, `None` when the row or its table is absent. A connection `open`
/// keeps remembers what it read: the same row asked for again while the database is
/// unchanged (a switch reads the store for its status, again to change it, and again
/// to learn its secrets) is handed out without SQLite reading its pages once more.
pub fn read_row(
    conn: &Connection,
    path: &Path,
    table_name: &str,
    key: &str,
) -> Result<Option<Text>, Error> {
    let t = table(table_name)
        .ok_or_else(|| Error::Failure(format!("unknown OpenClaw table `{table_name}`")))?;
    let kept = |open: &[Kept]| open.iter().position(|k| std::ptr::eq(&*k.conn, conn));
    let Some(at) = OPEN.with_borrow(|open| kept(open)) else {
        return Ok(read_text(conn, path, t, key)?.map(Rc::new));
    };
    let version = version(conn, path)?;
    let hit = OPEN.with_borrow(|open| {
        open[at]
            .rows
            .iter()
            .find(|r| r.table == t.name && r.key == key && r.version == version)
            .map(|r| r.text.clone())
    });
    if let Some(text) = hit {
        return Ok(text);
    }
    let text = read_text(conn, path, t, key)?.map(Rc::new);
    // What a transaction reads may yet be rolled back, and a rollback changes neither
    // number of the version.
    if !conn.is_autocommit() {
        return Ok(text);
    }
    OPEN.with_borrow_mut(|open| {
        let rows = &mut open[at].rows;
        rows.retain(|r| !(r.table == t.name && r.key == key));
        rows.push(KeptRow {
            table: t.name,
            key: key.to_string(),
            version,
            text: text.clone(),
            parsed: None,
        });
    });
    Ok(text)
}

/// Reads one row's text out of SQLite.
fn read_text(conn: &Connection, path: &Path, t: Table, key: &str) -> Result<Option<String>, Error> {
    let sql = format!("SELECT {} FROM {} WHERE {} = ?1", t.value, t.name, t.key);
    // Preparing looks the table up in the parsed schema; asking sqlite_master first (as
    // write_row does) scans all of OpenClaw's ~330 schema rows for every read.
    let mut stmt = match conn.prepare(&sql) {
        Ok(stmt) => stmt,
        Err(e) if no_such_table(&e) && !has_table(conn, path, t.name)? => return Ok(None),
        Err(e) => return Err(db_error(path, e)),
    };
    let value = stmt
        .query_row([key], |r| r.get::<_, rusqlite::types::Value>(0))
        .optional()
        .map_err(|e| db_error(path, e))?;
    drop(stmt);
    // The connection outlives the read (see `open`); the row's pages need not. Failing
    // to free them only costs memory.
    let _ = conn.release_memory();
    value
        .map(|v| match v {
            rusqlite::types::Value::Text(s) => Ok(s),
            rusqlite::types::Value::Blob(b) => String::from_utf8(b).map_err(|_| {
                Error::Failure(format!(
                    "SQLite database `{}`: row {}/{key} is not UTF-8 text",
                    path.display(),
                    t.name
                ))
            }),
            _ => Err(Error::Failure(format!(
                "SQLite database `{}`: row {}/{key} does not hold JSON text",
                path.display(),
                t.name
            ))),
        })
        .transpose()
}

/// The length in bytes of one row's value, which SQLite tells without reading it; `None`
/// when the row or the table is not there, or the database cannot say.
pub fn value_len(conn: &Connection, t: Table, key: &str) -> Option<i64> {
    let sql = format!(
        "SELECT octet_length({}) FROM {} WHERE {} = ?1",
        t.value, t.name, t.key
    );
    conn.prepare(&sql)
        .and_then(|mut s| s.query_row([key], |r| r.get(0)))
        .ok()
}

/// Sets (or with `None` deletes) one row. The table must exist.
pub fn write_row(
    conn: &Connection,
    path: &Path,
    table_name: &str,
    key: &str,
    value: Option<&str>,
    now_ms: i64,
) -> Result<(), Error> {
    let t = table(table_name)
        .ok_or_else(|| Error::Failure(format!("unknown OpenClaw table `{table_name}`")))?;
    if !has_table(conn, path, t.name)? {
        return Err(Error::Failure(format!(
            "SQLite database `{}` has no table `{}`; it was not created by a compatible OpenClaw. Run any `openclaw models` command once so OpenClaw creates its schema, then rerun",
            path.display(),
            t.name
        )));
    }
    let r = match value {
        Some(v) => conn.execute(
            &format!(
                "INSERT INTO {n} ({k}, {v}, {t}) VALUES (?1, ?2, ?3) \
                 ON CONFLICT({k}) DO UPDATE SET {v} = excluded.{v}, {t} = excluded.{t}",
                n = t.name,
                k = t.key,
                v = t.value,
                t = t.time
            ),
            params![key, v, now_ms],
        ),
        None => conn.execute(
            &format!("DELETE FROM {} WHERE {} = ?1", t.name, t.key),
            params![key],
        ),
    };
    r.map(|_| ()).map_err(|e| db_error(path, e))
}

/// Creates a fresh shared state database the way OpenClaw 2026.9 accepts it: the
/// `config_machine_state` table and the `auth.sharedStore` row. OpenClaw adds the rest
/// of its schema itself the next time it opens the file. The database is built in a
/// private (0600) temp file next to it and renamed into place, so a crash leaves no
/// database or the whole one, never an empty file that OpenClaw and clawshift would
/// read differently.
pub fn create_shared(host: &Host, path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _) = files::dir_and_name(path);
    if !dir.exists() {
        files::private_dir(dir)?;
    }
    let ctx = |e: std::io::Error| {
        Error::Failure(format!(
            "cannot create the SQLite database `{}`: {e}",
            path.display()
        ))
    };
    let tmp = tempfile::Builder::new()
        .prefix(".openclaw.sqlite.")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(ctx)?;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600)).map_err(ctx)?;
    {
        let conn = Connection::open_with_flags(tmp.path(), OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| db_error(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| db_error(path, e))?;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS {SHARED_TABLE} (
               state_key TEXT NOT NULL PRIMARY KEY,
               value_json TEXT NOT NULL,
               updated_at_ms INTEGER NOT NULL
             ) STRICT;
             INSERT OR IGNORE INTO {SHARED_TABLE} (state_key, value_json, updated_at_ms)
               VALUES ('{SHARED_STORE_KEY}', '{{\"location\":\"state-db\"}}', {now});
             COMMIT;",
            now = host.now_ms()
        ))
        .map_err(|e| db_error(path, e))?;
    }
    tmp.as_file().sync_all().map_err(ctx)?;
    // Never replace a database another process created meanwhile: use theirs.
    match tmp.persist_noclobber(path) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(ctx(e.error)),
    }
    crate::testhook::point("sqlite-created");
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// `table/key` as journaled.
pub fn row_name(table: &str, key: &str) -> String {
    format!("{table}/{key}")
}

/// Puts one row back (`None`: deletes it) on `conn`, inside the caller's transaction:
/// `undo` checks every row and file first and restores them all in one go. Only the
/// tables clawshift writes can be restored.
pub fn restore_row(
    conn: &Connection,
    db: &Path,
    row: &str,
    bytes: Option<&[u8]>,
    now_ms: i64,
) -> Result<(), Error> {
    let (t, key) = row
        .split_once('/')
        .ok_or_else(|| Error::Failure(format!("`{row}` is not a `<table>/<key>` row name")))?;
    table(t).ok_or_else(|| {
        Error::Failure(format!(
            "`{row}`: clawshift restores only the tables it writes ({SHARED_TABLE}, {AGENT_STORE_TABLE}, {AGENT_STATE_TABLE})"
        ))
    })?;
    let text = match bytes {
        Some(b) => Some(String::from_utf8(b.to_vec()).map_err(|_| {
            Error::Failure(format!("the saved value of row {row} is not UTF-8 text"))
        })?),
        None => None,
    };
    write_row(conn, db, t, key, text.as_deref(), now_ms)?;
    crate::testhook::point("sqlite-row-written");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(path: &Path, value: &str) {
        let conn = Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(&format!(
            "CREATE TABLE {SHARED_TABLE} (state_key TEXT PRIMARY KEY, value_json TEXT, updated_at_ms INTEGER);
             INSERT INTO {SHARED_TABLE} VALUES ('{STORE_KEY}', '{value}', 0);"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    }

    fn read(path: &Path) -> Option<String> {
        let conn = open(path).unwrap_or_else(|e| panic!("{e}"));
        read_row(&conn, path, SHARED_TABLE, STORE_KEY)
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|t| t.to_string())
    }

    #[test]
    fn a_row_read_again_is_shared_until_another_writer_or_this_one_changes_the_database() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("openclaw.sqlite");
        make(&db, "1");
        let conn = open(&db).unwrap_or_else(|e| panic!("{e}"));
        let row = || {
            read_row(&conn, &db, SHARED_TABLE, STORE_KEY)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("the row is there"))
        };
        let first = row();
        assert!(Rc::ptr_eq(&first, &row()), "read twice, copied once");
        // OpenClaw commits through its own connection.
        Connection::open(&db)
            .and_then(|c| c.execute(&format!("UPDATE {SHARED_TABLE} SET value_json = '2'"), []))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(row().as_str(), "2");
        // This connection writes inside a transaction and reads its own write.
        conn.execute_batch("BEGIN IMMEDIATE")
            .unwrap_or_else(|e| panic!("{e}"));
        write_row(&conn, &db, SHARED_TABLE, STORE_KEY, Some("3"), 0)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(row().as_str(), "3");
        conn.execute_batch("ROLLBACK")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(row().as_str(), "2");
        close_all();
    }

    #[test]
    fn open_reuses_one_connection_per_file_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("openclaw.sqlite");
        make(&db, "1");
        let a = open(&db).unwrap_or_else(|e| panic!("{e}"));
        let b = open(&db).unwrap_or_else(|e| panic!("{e}"));
        assert!(Rc::ptr_eq(&a, &b));
        // Another writer's change is seen through the kept connection.
        Connection::open(&db)
            .and_then(|c| c.execute(&format!("UPDATE {SHARED_TABLE} SET value_json = '2'"), []))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(&db).as_deref(), Some("2"));
        // A transaction left open is never handed out again.
        a.execute_batch("BEGIN IMMEDIATE")
            .unwrap_or_else(|e| panic!("{e}"));
        let c = open(&db).unwrap_or_else(|e| panic!("{e}"));
        assert!(!Rc::ptr_eq(&a, &c));
        a.execute_batch("ROLLBACK")
            .unwrap_or_else(|e| panic!("{e}"));
        // A file replaced at the same path is opened anew.
        drop((a, b, c));
        std::fs::remove_file(&db).unwrap_or_else(|e| panic!("{e}"));
        make(&db, "3");
        assert_eq!(read(&db).as_deref(), Some("3"));
        let d = open(&db).unwrap_or_else(|e| panic!("{e}"));
        close_all();
        let e = open(&db).unwrap_or_else(|e| panic!("{e}"));
        assert!(!Rc::ptr_eq(&d, &e));
        close_all();
    }

    #[test]
    fn a_row_read_ahead_comes_parsed_once_and_is_read_again_after_another_writer() {
        const ROWS: &[(&str, &str, bool)] = &[
            (SHARED_TABLE, STORE_KEY, true),
            (SHARED_TABLE, STATE_KEY, true),
        ];
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = dir.path().join("openclaw.sqlite");
        make(&db, r#"{"version":1,"profiles":{"a":{"provider":"x"}}}"#);
        // The state row is the smaller document: this thread parses it.
        Connection::open(&db)
            .and_then(|c| {
                c.execute(
                    &format!("INSERT INTO {SHARED_TABLE} VALUES ('{STATE_KEY}', '{{}}', 0)"),
                    [],
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
        // Reads ahead and waits for the thread to begin, so that the thread's part is
        // the one tested (had it not begun, this thread would do it all, as a test
        // run on one core does).
        let ahead = |db: &Path| {
            drop(open(db).unwrap_or_else(|e| panic!("{e}")));
            read_ahead(db, ROWS);
            let waiting = || {
                AHEAD.with_borrow(|a| {
                    a.as_ref()
                        .is_some_and(|a| a.job.lock().is_ok_and(|j| j.is_some()))
                })
            };
            while waiting() {
                std::thread::sleep(Duration::from_millis(1));
            }
            AHEAD.with_borrow(Option::is_some)
        };
        let row = |db: &Path| {
            let conn = open(db).unwrap_or_else(|e| panic!("{e}"));
            read_row(&conn, db, SHARED_TABLE, STORE_KEY)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("the row is there"))
        };
        if !ahead(&db) {
            // One core: nothing is read ahead.
            assert!(cpus().is_none());
            return;
        }
        let text = row(&db);
        let parsed = take_parsed(&text).and_then(Result::ok).flatten();
        let profiles = parsed.and_then(|d| d.profiles).flatten();
        assert_eq!(
            profiles.map(|p| p.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["a".to_string()])
        );
        assert!(take_parsed(&text).is_none(), "taken twice");
        let conn = open(&db).unwrap_or_else(|e| panic!("{e}"));
        let state = read_row(&conn, &db, SHARED_TABLE, STATE_KEY)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the state row is there"));
        drop(conn);
        assert!(matches!(take_parsed(&state), Some(Ok(Some(_)))));

        // The thread has read (its connection came back) before OpenClaw commits; the
        // row is read again, and parsed where it is read.
        assert!(ahead(&db));
        take_back(&db);
        Connection::open(&db)
            .and_then(|c| c.execute_batch("PRAGMA journal_mode = WAL"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ahead(&db));
        take_back(&db);
        Connection::open(&db)
            .and_then(|c| c.execute(&format!("UPDATE {SHARED_TABLE} SET value_json = '2'"), []))
            .unwrap_or_else(|e| panic!("{e}"));
        let text = row(&db);
        assert_eq!(text.as_str(), "2");
        assert!(take_parsed(&text).is_none());
        close_all();
    }
}
