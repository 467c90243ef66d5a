//! The journal: an append-only JSON-lines file in the state dir. Every change is
//! recorded before it is made, with the backup that undoes it, so `history` can list
//! runs and `undo` can restore them byte for byte.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::files;
use crate::host::Host;

/// The journal grows by a few hundred bytes per change and is read whole by `history`
/// and `undo`; past this size it is not a journal clawshift wrote.
pub const MAX_JOURNAL_BYTES: u64 = 256 * 1024 * 1024;

/// One changed file or row. Hashes are SHA-256 of the bytes; no content is recorded,
/// so the journal never holds a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// `backup`, `write` (a file), `row` (a SQLite row) or `undo`.
    pub kind: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Set on the changes an `undo` makes: the run it reverts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub run: String,
    pub at: String,
    pub command: String,
    #[serde(flatten)]
    pub change: Change,
}

/// Refuses a change before any of it is made (its backup included): past the run's
/// deadline, or when the journal that must record it is not a regular file.
pub fn ready(host: &Host, what: &str) -> Result<(), Error> {
    host.check_deadline(what)?;
    files::check_regular(&host.journal_path())
}

pub fn append(host: &Host, change: &Change) -> Result<(), Error> {
    // Every change is journaled before it is made: past the deadline, none is.
    ready(host, &format!("change `{}`", change.path))?;
    files::private_dir(&host.state_dir)?;
    // A change may come from a snippet that read no store but quotes a token of one.
    crate::redact::learn_from_run_once(host);
    let entry = Entry {
        run: host.run_id.clone(),
        at: host
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        // The command line was masked by shape when the run started; by now the stores
        // it read are known, so their tokens are masked whatever they look like.
        command: crate::redact::command_line(std::slice::from_ref(&host.command)),
        change: change.clone(),
    };
    let line = serde_json::to_string(&entry)
        .map_err(|e| Error::Failure(format!("journal: cannot encode entry: {e}")))?;
    files::append_line(&host.journal_path(), &line)?;
    if change.kind == "write" || change.kind == "row" {
        host.journaled.set(true);
    }
    crate::testhook::point("journaled");
    Ok(())
}

/// Every entry, oldest first. A line that does not parse (a torn write from a crash on
/// a filesystem without atomic appends) is skipped rather than failing the read.
pub fn read(host: &Host) -> Result<Vec<Entry>, Error> {
    let Some(bytes) = files::read_bounded(&host.journal_path(), MAX_JOURNAL_BYTES)? else {
        return Ok(Vec::new());
    };
    Ok(String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}
