//! OpenClaw's on-disk state in every 2026 layout: detection, reading the effective auth
//! store, and writing it safely (JSON lock protocol or one SQLite transaction).
//!
//! | layout | credentials | order / lastGood / usageStats | Codex provider |
//! |---|---|---|---|
//! | `legacy-json` (≤ 2026.4.21) | `agents/<id>/agent/auth-profiles.json` | same file | `openai-codex` |
//! | `split-json` (2026.4.22 – 2026.5.x) | `auth-profiles.json` | `auth-state.json` | `openai-codex` |
//! | `sqlite` (2026.8+) | `state/openclaw.sqlite` rows, agent-local overrides in `openclaw-agent.sqlite` | same | `openai` |
//! | `agent-sqlite` (2026.6 – 2026.7) | `agents/<id>/agent/openclaw-agent.sqlite` | same | `openai` |
//!
//! The decisions behind this module are in `docs/openclaw.md`.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod gateway;
pub mod lock;
pub mod ops;
pub mod sqlite;
pub mod status;
pub mod store;

use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::files;
use crate::host::Host;
use crate::journal::{self, Change};

pub use ops::{merge_profile, set_model};
pub use sqlite::restore_row;

/// A state dir that does not exist is a typo or a different home, not a new OpenClaw:
/// acting on it would show an empty status and create a second OpenClaw beside the
/// real one. `add-profile --create` starts one on purpose.
pub fn check_state_dir(host: &Host) -> Result<(), Error> {
    let dir = &host.openclaw_state_dir;
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::Failure(format!(
            "OpenClaw state dir `{}` (from {}) is not a directory. Fix: point --openclaw-dir or OPENCLAW_STATE_DIR at OpenClaw's state dir",
            dir.display(),
            host.openclaw_dir_origin
        ))),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Failure(format!(
            "cannot read OpenClaw state dir `{}` (from {}): {e}",
            dir.display(),
            host.openclaw_dir_origin
        ))),
        Err(_) if host.create_openclaw_dir => Ok(()),
        Err(_) => Err(Error::Failure(format!(
            "OpenClaw state dir `{}` (from {}) does not exist. Fix: set OpenClaw up with `openclaw onboard`, point --openclaw-dir or OPENCLAW_STATE_DIR at the state dir it uses, or run `clawshift add-profile NAME --create` to start a new OpenClaw state there on purpose",
            dir.display(),
            host.openclaw_dir_origin
        ))),
    }
}

/// The one auth-store version clawshift understands (OpenClaw's `AUTH_STORE_VERSION`).
pub const STORE_VERSION: i64 = 1;
pub const STORE_FILE: &str = "auth-profiles.json";
pub const STATE_FILE: &str = "auth-state.json";
pub const AGENT_DB: &str = "openclaw-agent.sqlite";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    LegacyJson,
    SplitJson,
    Sqlite,
    AgentSqlite,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::LegacyJson => "legacy-json",
            Layout::SplitJson => "split-json",
            Layout::Sqlite => "sqlite",
            Layout::AgentSqlite => "agent-sqlite",
        }
    }

    /// The provider id OpenClaw uses for Codex (ChatGPT OAuth) in this layout.
    pub fn codex_provider(self) -> &'static str {
        match self {
            Layout::LegacyJson | Layout::SplitJson => "openai-codex",
            Layout::Sqlite | Layout::AgentSqlite => "openai",
        }
    }

    pub fn is_json(self) -> bool {
        matches!(self, Layout::LegacyJson | Layout::SplitJson)
    }
}

/// Where the state of one agent lives and which layout it uses.
#[derive(Debug, Clone)]
pub struct Detected {
    pub layout: Layout,
    pub agent: String,
    pub state_dir: PathBuf,
    pub config: PathBuf,
    pub agent_dir: PathBuf,
    /// The main agent's dir: sub-agents in the JSON eras inherit its store.
    pub main_agent_dir: PathBuf,
    pub json_store: PathBuf,
    pub json_state: PathBuf,
    pub shared_db: PathBuf,
    pub agent_db: PathBuf,
    /// Nothing exists yet: the layout was chosen from the installed OpenClaw version.
    pub fresh: bool,
    /// Installed OpenClaw version, when it was asked.
    pub version: Option<String>,
    /// The shared database exists without an `auth.sharedStore` row and no agent store
    /// holds profiles yet: the first write adds the row (as OpenClaw's doctor does).
    pub add_shared_row: bool,
    /// A state OpenClaw itself refuses to run with (the 2026.9 migration blocker):
    /// reported by status, and every write is refused.
    pub blocker: Option<String>,
}

impl Detected {
    /// The files or databases that hold credentials and runtime state.
    pub fn store_path(&self) -> &Path {
        match self.layout {
            Layout::LegacyJson | Layout::SplitJson => &self.json_store,
            Layout::Sqlite => &self.shared_db,
            Layout::AgentSqlite => &self.agent_db,
        }
    }

    pub fn state_path(&self) -> &Path {
        match self.layout {
            Layout::LegacyJson => &self.json_store,
            Layout::SplitJson => &self.json_state,
            Layout::Sqlite => &self.shared_db,
            Layout::AgentSqlite => &self.agent_db,
        }
    }

    /// The path of `agents/<agent>/sessions/sessions.json` (JSON eras only).
    pub fn sessions_json(&self) -> PathBuf {
        self.state_dir
            .join("agents")
            .join(&self.agent)
            .join("sessions/sessions.json")
    }
}

/// The agent dir OpenClaw uses for `agent`: `OPENCLAW_AGENT_DIR` for the default agent,
/// else `<state>/agents/<agent>/agent`.
pub fn agent_dir(host: &Host, agent: &str) -> PathBuf {
    match (&host.openclaw_agent_dir_override, agent) {
        (Some(dir), "main") => dir.clone(),
        _ => host
            .openclaw_state_dir
            .join("agents")
            .join(agent)
            .join("agent"),
    }
}

/// `2026.9.6` from `OpenClaw 2026.9.6 (eb377ac)`.
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let core = word.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// The layout a given OpenClaw release writes.
pub fn layout_for_version(v: (u32, u32, u32)) -> Layout {
    if v <= (2026, 4, 21) {
        Layout::LegacyJson
    } else if v < (2026, 6, 0) {
        Layout::SplitJson
    } else if v < (2026, 8, 0) {
        Layout::AgentSqlite
    } else {
        Layout::Sqlite
    }
}

fn blocker_text(file: &Path, why: &str) -> String {
    format!(
        "`{}` is a legacy auth store {why}; OpenClaw 2026.9 refuses to run while it exists (AUTH_PROFILE_MIGRATION_REQUIRED). Fix: run `openclaw doctor --fix`, which imports it into SQLite and renames it",
        file.display()
    )
}

/// OpenClaw's state database (2026.6+), shared by its agents.
pub fn shared_db(host: &Host) -> PathBuf {
    host.openclaw_state_dir.join("state/openclaw.sqlite")
}

/// Before a command builds anything: when the shared auth store holds hundreds of
/// profiles, the heap is set up for the megabytes a run makes of it
/// ([`crate::memory::expect_large_heap`]), and the store is read and parsed on another
/// thread while this one builds the engine ([`sqlite::read_ahead`]). Its length is
/// asked of SQLite, which need not read the row; the connection is the one the run goes
/// on to use. Any error is left for the reading to report.
pub fn expect_store_size(host: &Host) {
    let db = shared_db(host);
    let Some(t) = sqlite::table(sqlite::SHARED_TABLE) else {
        return;
    };
    let large = db.is_file()
        && sqlite::open(&db).is_ok_and(|conn| {
            sqlite::value_len(&conn, t, sqlite::STORE_KEY)
                .is_some_and(|n| n >= crate::memory::LARGE_INPUT)
        });
    if large {
        crate::memory::expect_large_heap();
        sqlite::read_ahead(
            &db,
            &[
                (sqlite::SHARED_TABLE, sqlite::SHARED_STORE_KEY, false),
                (sqlite::SHARED_TABLE, sqlite::STORE_KEY, true),
                (sqlite::SHARED_TABLE, sqlite::STATE_KEY, true),
            ],
        );
    }
}

/// Finds the layout for the host's agent. Asks `openclaw --version` only when the files
/// cannot tell (an empty state dir, or a JSON store without `auth-state.json`).
pub fn detect(host: &Host) -> Result<Detected, Error> {
    check_state_dir(host)?;
    let state_dir = host.openclaw_state_dir.clone();
    let agent = host.agent.clone();
    let agent_dir = agent_dir(host, &agent);
    let main_agent_dir = self::agent_dir(host, "main");
    let mut d = Detected {
        layout: Layout::Sqlite,
        config: host.openclaw_config_path.clone(),
        json_store: agent_dir.join(STORE_FILE),
        json_state: agent_dir.join(STATE_FILE),
        shared_db: shared_db(host),
        agent_db: agent_dir.join(AGENT_DB),
        state_dir,
        agent,
        agent_dir,
        main_agent_dir,
        fresh: false,
        version: None,
        add_shared_row: false,
        blocker: None,
    };
    let json_here = d.json_store.exists() || d.main_agent_dir.join(STORE_FILE).exists();
    if d.shared_db.exists() || d.agent_db.exists() {
        d.layout = Layout::AgentSqlite;
        if d.shared_db.exists() {
            let conn = sqlite::open(&d.shared_db)?;
            if let Some(text) = sqlite::read_row(
                &conn,
                &d.shared_db,
                sqlite::SHARED_TABLE,
                sqlite::SHARED_STORE_KEY,
            )? {
                let v: Value = serde_json::from_str(&text).map_err(|e| {
                    Error::Failure(format!(
                        "SQLite database `{}`: row {}/{} is not JSON ({e}); run `openclaw doctor --fix`",
                        d.shared_db.display(),
                        sqlite::SHARED_TABLE,
                        sqlite::SHARED_STORE_KEY
                    ))
                })?;
                match v.get("location").and_then(Value::as_str) {
                    Some("state-db") => d.layout = Layout::Sqlite,
                    _ => {
                        return Err(Error::Failure(format!(
                            "SQLite database `{}`: row {}/{} names an unknown shared auth store location ({text}); run `openclaw doctor --fix`",
                            d.shared_db.display(),
                            sqlite::SHARED_TABLE,
                            sqlite::SHARED_STORE_KEY
                        )));
                    }
                }
            } else if !agent_store_has_profiles(&d)? {
                // A state database without auth rows (OpenClaw created it for its
                // config): 2026.8+ keeps credentials there once the row exists.
                let older = installed_version(host, &mut d).is_some_and(|v| v < (2026, 8, 0));
                if !older {
                    d.layout = Layout::Sqlite;
                    d.add_shared_row = true;
                }
            }
        }
        if d.json_store.exists() {
            d.blocker = Some(blocker_text(
                &d.json_store,
                &format!("next to the SQLite store `{}`", d.store_path().display()),
            ));
        }
    } else if d.json_state.exists() || d.main_agent_dir.join(STATE_FILE).exists() {
        // A sub-agent without a store of its own yet has the main agent's layout.
        d.layout = Layout::SplitJson;
    } else if json_here {
        d.layout = Layout::LegacyJson;
        if let Some(v) = installed_version(host, &mut d) {
            match layout_for_version(v) {
                Layout::SplitJson => d.layout = Layout::SplitJson,
                Layout::LegacyJson => {}
                _ => {
                    let file = if d.json_store.exists() {
                        d.json_store.clone()
                    } else {
                        d.main_agent_dir.join(STORE_FILE)
                    };
                    d.blocker = Some(blocker_text(
                        &file,
                        &format!(
                            "and the installed OpenClaw {} keeps credentials in SQLite",
                            d.version.clone().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    } else {
        d.fresh = true;
        d.layout = match installed_version(host, &mut d) {
            Some(v) => layout_for_version(v),
            None => Layout::Sqlite,
        };
    }
    Ok(d)
}

fn agent_store_has_profiles(d: &Detected) -> Result<bool, Error> {
    if !d.agent_db.exists() {
        return Ok(false);
    }
    let conn = sqlite::open(&d.agent_db)?;
    let Some(text) = sqlite::read_row(
        &conn,
        &d.agent_db,
        sqlite::AGENT_STORE_TABLE,
        sqlite::AGENT_ROW,
    )?
    else {
        return Ok(false);
    };
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(v.get("profiles")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty()))
}

fn installed_version(host: &Host, d: &mut Detected) -> Option<(u32, u32, u32)> {
    let bin = host.openclaw_bin()?;
    let out = cli::run(
        host,
        &bin,
        &["--version"],
        std::time::Duration::from_secs(10),
    )
    .ok()?;
    if out.code != Some(0) {
        return None;
    }
    let v = parse_version(&out.stdout)?;
    d.version = Some(format!("{}.{}.{}", v.0, v.1, v.2));
    Some(v)
}

// ---------------------------------------------------------------------------------
// Store documents

/// Where a store document lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Loc {
    File(PathBuf),
    Row {
        db: PathBuf,
        table: &'static str,
        key: String,
    },
}

impl Loc {
    pub fn describe(&self) -> String {
        match self {
            Loc::File(p) => format!("`{}`", p.display()),
            Loc::Row { db, table, key } => format!("`{}` row {table}/{key}", db.display()),
        }
    }

    /// The location string other modules show (a path, or `path#table/key`).
    pub fn location(&self) -> String {
        match self {
            Loc::File(p) => p.display().to_string(),
            Loc::Row { db, table, key } => format!("{}#{table}/{key}", db.display()),
        }
    }
}

/// One JSON document of a store: a file or a row. `store_target`/`state_target` mark
/// where new credentials / new runtime state go.
#[derive(Debug, Clone)]
pub struct Doc {
    pub loc: Loc,
    pub before: Option<String>,
    pub value: Map<String, Value>,
    pub original: Map<String, Value>,
    pub holds_profiles: bool,
    pub holds_state: bool,
    pub store_target: bool,
    pub state_target: bool,
    /// The agent this document belongs to (`None`: the shared store).
    pub agent: Option<String>,
    /// Read under this run's lock, so it may be written. A sub-agent's run in the JSON
    /// eras holds only its own store's lock: the main store it inherits is read, never
    /// written (OpenClaw writes a sub-agent's changes to the sub-agent's own store too).
    pub writable: bool,
}

pub const STATE_KEYS: [&str; 3] = ["order", "lastGood", "usageStats"];

/// What a document is read for. Readers (status, custody) keep neither the text nor a
/// copy of the value: with a thousand profiles those copies cost more than the parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Read only: `before` is `None`, `original` empty, no target; never pass to
    /// `changed()`.
    Read,
    /// Read under a lock to change: `before` and `original` as read; `target` when new
    /// entries go to this document.
    Update { target: bool },
}

impl Purpose {
    fn new(update: bool, target: bool) -> Purpose {
        if update {
            Purpose::Update { target }
        } else {
            Purpose::Read
        }
    }

    fn target(self) -> bool {
        matches!(self, Purpose::Update { target: true })
    }
}

/// Parses one store document, checking it is an object of a known version.
pub fn parse_doc(text: &str, loc: &Loc) -> Result<Map<String, Value>, Error> {
    let v: Value = serde_json::from_str(text).map_err(|e| not_json(loc, e))?;
    // Every token read is masked wherever this run prints or writes it.
    crate::redact::learn_text(text, &v);
    let Value::Object(map) = v else {
        return Err(not_object(loc));
    };
    check_doc(&map, map.get("profiles").is_none_or(Value::is_object), loc)?;
    Ok(map)
}

/// [`parse_doc`] for a document read only to read it: its profiles typed, not as JSON.
/// Parsed already when the text was read ahead ([`expect_store_size`]).
fn read_doc(text: &sqlite::Text, loc: &Loc) -> Result<store::ReadDoc, Error> {
    let doc = sqlite::take_parsed(text)
        .unwrap_or_else(|| store::parse(text))
        .map_err(|e| not_json(loc, e))?
        .ok_or_else(|| not_object(loc))?;
    check_doc(&doc.rest, !matches!(doc.profiles, Some(None)), loc)?;
    if matches!(doc.usage, Some(None)) {
        return Err(not_a_section(loc, "usageStats"));
    }
    Ok(doc)
}

fn not_json(loc: &Loc, e: serde_json::Error) -> Error {
    Error::Failure(format!(
        "{} is not valid JSON ({e}); OpenClaw cannot read it either. Restore it from a backup (`clawshift history`, `clawshift undo`) or fix it by hand",
        loc.describe()
    ))
}

fn not_object(loc: &Loc) -> Error {
    Error::Failure(format!(
        "{} must hold a JSON object; restore it from a backup",
        loc.describe()
    ))
}

/// Checks a document's version and that its sections are objects; `profiles_ok`:
/// `profiles` is absent or an object.
fn check_doc(map: &Map<String, Value>, profiles_ok: bool, loc: &Loc) -> Result<(), Error> {
    match map.get("version") {
        None => {}
        Some(v) if v.as_i64() == Some(STORE_VERSION) => {}
        Some(v) => {
            return Err(Error::Failure(format!(
                "{} has auth store version {v}; clawshift understands version {STORE_VERSION} only (written by a newer OpenClaw?). Upgrade clawshift; nothing was changed",
                loc.describe()
            )));
        }
    }
    for key in ["profiles", "order", "lastGood", "usageStats"] {
        let ok = if key == "profiles" {
            profiles_ok
        } else {
            map.get(key).is_none_or(Value::is_object)
        };
        if !ok {
            return Err(not_a_section(loc, key));
        }
    }
    Ok(())
}

fn not_a_section(loc: &Loc, key: &str) -> Error {
    Error::Failure(format!(
        "{}: `{key}` must be an object; fix the store by hand or restore it from a backup",
        loc.describe()
    ))
}

fn empty_doc(with_profiles: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("version".into(), Value::from(STORE_VERSION));
    if with_profiles {
        m.insert("profiles".into(), Value::Object(Map::new()));
    }
    m
}

fn file_source(
    path: &Path,
    profiles: bool,
    state: bool,
    agent: &str,
    purpose: Purpose,
) -> Result<Source, Error> {
    Ok(Source {
        text: file_text(path)?.map(Rc::new),
        loc: Loc::File(path.to_path_buf()),
        profiles,
        state,
        agent: Some(agent.to_string()),
        purpose,
    })
}

/// A store file's text, `None` when it does not exist.
fn file_text(path: &Path) -> Result<Option<String>, Error> {
    let Some(b) = files::read_limited(path)? else {
        return Ok(None);
    };
    String::from_utf8(b).map(Some).map_err(|_| {
        Error::Failure(format!(
            "{} is not UTF-8 text; OpenClaw cannot read it either. Restore it from a backup (`clawshift history`, `clawshift undo`) or fix it by hand",
            Loc::File(path.to_path_buf()).describe()
        ))
    })
}

/// A store document as read, before it is parsed: a reader that finds the same texts
/// as a moment ago reuses that parse (a switch reads the store for the status and
/// again for `set_model`).
struct Source {
    loc: Loc,
    /// `None` when the file or row does not exist yet.
    text: Option<sqlite::Text>,
    profiles: bool,
    state: bool,
    agent: Option<String>,
    purpose: Purpose,
}

impl Source {
    /// The document, keeping what its purpose needs.
    fn parse(self) -> Result<Doc, Error> {
        let Source {
            loc,
            text,
            profiles,
            state,
            agent,
            purpose,
        } = self;
        let value = match &text {
            Some(t) => parse_doc(t, &loc)?,
            None => empty_doc(profiles),
        };
        let (before, original) = keep(purpose, text.map(Rc::unwrap_or_clone), &value);
        Ok(Doc {
            loc,
            before,
            original,
            value,
            holds_profiles: profiles,
            holds_state: state,
            store_target: purpose.target() && profiles,
            state_target: purpose.target() && state,
            agent,
            writable: purpose != Purpose::Read,
        })
    }

    /// The document for reading only, and whether it holds profiles and state.
    fn read(&self) -> Result<(store::ReadDoc, bool, bool), Error> {
        let doc = match &self.text {
            Some(t) => read_doc(t, &self.loc)?,
            None => store::ReadDoc {
                profiles: self.profiles.then(|| Some(store::Profiles::default())),
                usage: None,
                rest: empty_doc(false),
            },
        };
        Ok((doc, self.profiles, self.state))
    }
}

fn parse_all(sources: Vec<Source>) -> Result<Docs, Error> {
    Ok(Docs {
        docs: sources
            .into_iter()
            .map(Source::parse)
            .collect::<Result<_, _>>()?,
    })
}

/// The text and the copy of the value a document keeps for `purpose`.
fn keep(
    purpose: Purpose,
    before: Option<String>,
    value: &Map<String, Value>,
) -> (Option<String>, Map<String, Value>) {
    match purpose {
        Purpose::Read => (None, Map::new()),
        Purpose::Update { .. } => (before, value.clone()),
    }
}

fn row_source(
    conn: &rusqlite::Connection,
    db: &Path,
    table: &'static str,
    key: &str,
    profiles: bool,
    agent: Option<&str>,
    purpose: Purpose,
) -> Result<Source, Error> {
    Ok(Source {
        text: sqlite::read_row(conn, db, table, key)?,
        loc: Loc::Row {
            db: db.to_path_buf(),
            table,
            key: key.to_string(),
        },
        // A row holds either the credentials or the runtime state, never both.
        profiles,
        state: !profiles,
        agent: agent.map(str::to_string),
        purpose,
    })
}

/// The documents of one agent's effective store, lowest priority first: later
/// documents win per key (an agent's own store over the main/shared one).
#[derive(Debug, Clone)]
pub struct Docs {
    pub docs: Vec<Doc>,
}

/// The merged view of a store, for reading: profiles typed as [`store::Cred`]s.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub profiles: store::Profiles,
    pub order: Map<String, Value>,
    pub last_good: Map<String, Value>,
    pub usage: store::UsageStats,
}

impl Auth {
    /// The merged view of documents read for reading (lowest priority first), taking
    /// the values out of them instead of copying them.
    fn merge(docs: Vec<(store::ReadDoc, bool, bool)>) -> Auth {
        let mut a = Auth::default();
        for (mut d, holds_profiles, holds_state) in docs {
            // The first document's maps are taken whole, not copied entry by entry
            // into new ones: a thousand profiles are a quarter of a megabyte.
            if holds_profiles && let Some(Some(profiles)) = d.profiles {
                if a.profiles.is_empty() {
                    a.profiles = profiles;
                } else {
                    a.profiles.extend(profiles);
                }
            }
            if holds_state || holds_profiles {
                for (dst, key) in [(&mut a.order, "order"), (&mut a.last_good, "lastGood")] {
                    if let Some(Value::Object(m)) = d.rest.remove(key) {
                        dst.extend(m);
                    }
                }
                if let Some(Some(usage)) = d.usage {
                    if a.usage.is_empty() {
                        a.usage = usage;
                    } else {
                        a.usage.extend(usage);
                    }
                }
            }
        }
        a
    }

    /// Each profile's id and the provider it names.
    pub fn providers(&self) -> Vec<(&str, Option<&str>)> {
        self.profiles
            .iter()
            .map(|(id, c)| (id.as_str(), c.provider.as_str()))
            .collect()
    }
}

/// The merged view of documents read to be changed, as JSON.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub profiles: Map<String, Value>,
    pub order: Map<String, Value>,
}

impl Merged {
    /// Each profile's id and the provider it names.
    pub fn providers(&self) -> Vec<(&str, Option<&str>)> {
        self.profiles
            .iter()
            .map(|(id, c)| (id.as_str(), c.get("provider").and_then(Value::as_str)))
            .collect()
    }
}

impl Docs {
    pub fn effective(&self) -> Merged {
        let mut a = Merged::default();
        for d in &self.docs {
            let merge = |dst: &mut Map<String, Value>, key: &str| {
                if let Some(Value::Object(m)) = d.value.get(key) {
                    for (k, v) in m {
                        dst.insert(k.clone(), v.clone());
                    }
                }
            };
            if d.holds_profiles {
                merge(&mut a.profiles, "profiles");
            }
            if d.holds_state || d.holds_profiles {
                merge(&mut a.order, "order");
            }
        }
        a
    }

    /// The index of the document an edit of `section[key]` goes to: the one the
    /// effective value comes from, else the target for new entries.
    fn target(&self, section: &str, key: &str) -> usize {
        let is_profiles = section == "profiles";
        let holds = |d: &Doc| {
            d.writable
                && if is_profiles {
                    d.holds_profiles
                } else {
                    d.holds_state || d.holds_profiles
                }
        };
        if let Some(i) = self
            .docs
            .iter()
            .rposition(|d| holds(d) && d.value.get(section).and_then(|s| s.get(key)).is_some())
        {
            // A split store's legacy keys in auth-profiles.json move to auth-state.json
            // only when OpenClaw moves them; edit them where they are.
            return i;
        }
        self.docs
            .iter()
            .rposition(|d| {
                if is_profiles {
                    d.store_target
                } else {
                    d.state_target
                }
            })
            .unwrap_or(self.docs.len().saturating_sub(1))
    }

    /// Sets `section[key] = value` in the right document, keeping key order.
    pub fn set(&mut self, section: &str, key: &str, value: Value) {
        let i = self.target(section, key);
        let doc = &mut self.docs[i].value;
        let sec = doc
            .entry(section.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !sec.is_object() {
            *sec = Value::Object(Map::new());
        }
        if let Value::Object(m) = sec {
            m.insert(key.to_string(), value);
        }
    }

    pub fn location_of(&self, section: &str, key: &str) -> Loc {
        self.docs[self.target(section, key)].loc.clone()
    }

    pub fn changed(&self) -> impl Iterator<Item = &Doc> {
        self.docs
            .iter()
            .filter(|d| d.writable && d.value != d.original)
    }
}

/// Serialises a document like OpenClaw: files as 2-space JSON plus a newline, rows as
/// compact JSON.
pub fn render(doc: &Doc) -> String {
    match doc.loc {
        Loc::File(_) => config::pretty(&Value::Object(doc.value.clone())),
        Loc::Row { .. } => serde_json::to_string(&doc.value).unwrap_or_default(),
    }
}

/// Reads the detected agent's store and merges its documents (no locks: readers need
/// none). The merged view is shared: a second read in the same run that finds the
/// same texts returns it without parsing them again.
pub fn read_auth(d: &Detected) -> Result<Rc<Auth>, Error> {
    type Texts = Vec<(Loc, Option<sqlite::Text>)>;
    type Last = Option<(Texts, Rc<Auth>)>;
    thread_local! {
        // Never dropped: freeing a thousand profiles' tree at exit is wasted time.
        static LAST: std::mem::ManuallyDrop<std::cell::RefCell<Last>> = Default::default();
    }
    let sources = read_sources(d)?;
    // The texts are compared whole, not by a hash: a view of other credentials must
    // never stand in for these.
    let hit = LAST.with(|l| {
        l.borrow().as_ref().and_then(|(texts, auth)| {
            let same = texts.len() == sources.len()
                && texts
                    .iter()
                    .zip(&sources)
                    .all(|((loc, text), s)| *loc == s.loc && *text == s.text);
            same.then(|| auth.clone())
        })
    });
    if let Some(auth) = hit {
        return Ok(auth);
    }
    let docs = sources.iter().map(Source::read).collect::<Result<_, _>>()?;
    let auth = Rc::new(Auth::merge(docs));
    let texts: Texts = sources.into_iter().map(|s| (s.loc, s.text)).collect();
    LAST.with(|l| *l.borrow_mut() = Some((texts, auth.clone())));
    Ok(auth)
}

/// The databases of a SQLite layout that exist: the shared state DB (in `sqlite` only)
/// and the agent's own.
type Dbs = (
    Option<Rc<rusqlite::Connection>>,
    Option<Rc<rusqlite::Connection>>,
);
fn open_dbs(d: &Detected) -> Result<Dbs, Error> {
    let shared = if d.layout == Layout::Sqlite && d.shared_db.exists() {
        Some(sqlite::open(&d.shared_db)?)
    } else {
        None
    };
    let agent = if d.agent_db.exists() {
        Some(sqlite::open(&d.agent_db)?)
    } else {
        None
    };
    Ok((shared, agent))
}

/// The documents of the detected agent's store as read, for reading only.
fn read_sources(d: &Detected) -> Result<Vec<Source>, Error> {
    match d.layout {
        Layout::LegacyJson | Layout::SplitJson => json_sources(d, false),
        Layout::Sqlite | Layout::AgentSqlite => {
            let (shared, agent) = open_dbs(d)?;
            sqlite_sources(d, shared.as_deref(), agent.as_deref(), false)
        }
    }
}

/// The documents of a JSON store; `update`: read to change them.
fn json_sources(d: &Detected, update: bool) -> Result<Vec<Source>, Error> {
    let mut out = Vec::new();
    let split = d.layout == Layout::SplitJson;
    let mut add_dir = |dir: &Path, agent: &str, own: bool| -> Result<(), Error> {
        let purpose = Purpose::new(update && own, own);
        out.push(file_source(
            &dir.join(STORE_FILE),
            true,
            !split,
            agent,
            purpose,
        )?);
        if split {
            out.push(file_source(
                &dir.join(STATE_FILE),
                false,
                true,
                agent,
                purpose,
            )?);
        }
        Ok(())
    };
    if d.agent_dir != d.main_agent_dir {
        // A sub-agent sees the main store merged under its own (its keys win).
        add_dir(&d.main_agent_dir, "main", false)?;
    }
    add_dir(&d.agent_dir, &d.agent, true)?;
    Ok(out)
}

/// The documents of a SQLite store; `update`: read to change them.
fn sqlite_sources(
    d: &Detected,
    shared: Option<&rusqlite::Connection>,
    agent: Option<&rusqlite::Connection>,
    update: bool,
) -> Result<Vec<Source>, Error> {
    let mut out = Vec::new();
    let shared_target = d.layout == Layout::Sqlite;
    if let Some(c) = shared {
        let purpose = Purpose::new(update, true);
        for (key, profiles) in [(sqlite::STORE_KEY, true), (sqlite::STATE_KEY, false)] {
            out.push(row_source(
                c,
                &d.shared_db,
                sqlite::SHARED_TABLE,
                key,
                profiles,
                None,
                purpose,
            )?);
        }
    }
    if let Some(c) = agent {
        let purpose = Purpose::new(update, !shared_target);
        for (table, profiles) in [
            (sqlite::AGENT_STORE_TABLE, true),
            (sqlite::AGENT_STATE_TABLE, false),
        ] {
            out.push(row_source(
                c,
                &d.agent_db,
                table,
                sqlite::AGENT_ROW,
                profiles,
                Some(&d.agent),
                purpose,
            )?);
        }
    }
    Ok(out)
}

/// Reads, changes and writes the detected store: under OpenClaw's lock for JSON files,
/// in one `BEGIN IMMEDIATE` transaction per database for SQLite. `f` sees the
/// documents as they are under the lock and edits them; only changed documents are
/// written (backed up and journaled first; shown, not written, under `--dry-run`).
/// Returns `f`'s result and the locations written.
pub fn update<R>(
    host: &Host,
    d: &Detected,
    f: impl FnOnce(&mut Docs) -> Result<R, Error>,
) -> Result<(R, Vec<Loc>), Error> {
    if let Some(b) = &d.blocker {
        return Err(Error::Failure(format!("{b}; nothing was written")));
    }
    match d.layout {
        Layout::LegacyJson | Layout::SplitJson => {
            if !d.agent_dir.exists() && !host.dry_run {
                files::private_dir(&d.agent_dir)?;
            }
            let _lock = if host.dry_run {
                None
            } else {
                Some(lock::acquire(host, &d.json_store)?)
            };
            let mut docs = parse_all(json_sources(d, true)?)?;
            let r = f(&mut docs)?;
            // Refuse before the first write, not between two: a split store whose
            // `auth-state.json` is a link must not end with `auth-profiles.json` changed.
            for doc in docs.changed() {
                if let Loc::File(path) = &doc.loc {
                    files::refuse_symlink(path)?;
                }
            }
            let mut written = Vec::new();
            for doc in docs.changed() {
                let Loc::File(path) = &doc.loc else { continue };
                files::write_file(host, path, render(doc).as_bytes(), 0o600)?;
                written.push(doc.loc.clone());
            }
            if !written.is_empty() {
                crate::testhook::point("json-store-written");
            }
            Ok((r, written))
        }
        Layout::Sqlite | Layout::AgentSqlite => update_sqlite(host, d, f),
    }
}

fn update_sqlite<R>(
    host: &Host,
    d: &Detected,
    f: impl FnOnce(&mut Docs) -> Result<R, Error>,
) -> Result<(R, Vec<Loc>), Error> {
    if d.layout == Layout::AgentSqlite && !d.agent_db.exists() {
        return Err(Error::Failure(format!(
            "the OpenClaw agent database `{}` does not exist yet, and clawshift does not create OpenClaw {}'s per-agent schema. Fix: run `openclaw models status` once so OpenClaw creates it, then rerun",
            d.agent_db.display(),
            d.version.as_deref().unwrap_or("2026.6/2026.7")
        )));
    }
    let creating = d.layout == Layout::Sqlite && !d.shared_db.exists();
    if creating && !host.dry_run {
        sqlite::create_shared(host, &d.shared_db)?;
    }
    let (shared, agent) = open_dbs(d)?;
    for (c, p) in shared
        .iter()
        .map(|c| (c, d.shared_db.as_path()))
        .chain(agent.iter().map(|c| (c, d.agent_db.as_path())))
    {
        // SQLite opens a write-protected file read-only without a word; find out now,
        // before anything is backed up or journaled.
        if !host.dry_run && c.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(Error::Failure(format!(
                "SQLite database `{}` is read-only (the file, its directory or the filesystem). Fix: make it writable for your user and rerun; nothing was changed",
                p.display()
            )));
        }
    }
    let conns: Vec<(&rusqlite::Connection, &Path)> = shared
        .as_deref()
        .map(|c| (c, d.shared_db.as_path()))
        .into_iter()
        .chain(agent.as_deref().map(|c| (c, d.agent_db.as_path())))
        .collect();
    let mut begun: Vec<(&rusqlite::Connection, &Path)> = Vec::new();
    let rollback = |begun: &[(&rusqlite::Connection, &Path)]| {
        for (c, _) in begun {
            let _ = c.execute_batch("ROLLBACK");
        }
    };
    for (c, p) in &conns {
        if let Err(e) = sqlite::begin_immediate(host, c, p) {
            rollback(&begun);
            return Err(e);
        }
        begun.push((c, p));
        crate::testhook::point("sqlite-begun");
    }
    let result = (|| {
        if d.add_shared_row
            && let Some(conn) = shared.as_ref()
            && sqlite::read_row(
                conn,
                &d.shared_db,
                sqlite::SHARED_TABLE,
                sqlite::SHARED_STORE_KEY,
            )?
            .is_none()
        {
            let value = r#"{"location":"state-db"}"#;
            let name = sqlite::row_name(sqlite::SHARED_TABLE, sqlite::SHARED_STORE_KEY);
            if host.dry_run {
                host.dry_note(&format!(
                    "dry-run: would add {}#{name} = {value}",
                    d.shared_db.display()
                ))?;
            } else {
                journal::append(
                    host,
                    &Change {
                        kind: "row".into(),
                        path: d.shared_db.display().to_string(),
                        row: Some(name),
                        backup: None,
                        before: None,
                        after: Some(files::sha256_hex(value.as_bytes())),
                        undoes: host.undoing.borrow().clone(),
                    },
                )?;
                sqlite::write_row(
                    conn,
                    &d.shared_db,
                    sqlite::SHARED_TABLE,
                    sqlite::SHARED_STORE_KEY,
                    Some(value),
                    host.now_ms(),
                )?;
                crate::testhook::point("sqlite-row-written");
            }
        }
        let mut docs = if creating && host.dry_run {
            // Nothing exists yet: show the rows as they would be created.
            let mut docs = Docs { docs: Vec::new() };
            for (key, profiles) in [(sqlite::STORE_KEY, true), (sqlite::STATE_KEY, false)] {
                let value = empty_doc(profiles);
                docs.docs.push(Doc {
                    loc: Loc::Row {
                        db: d.shared_db.clone(),
                        table: sqlite::SHARED_TABLE,
                        key: key.into(),
                    },
                    before: None,
                    original: value.clone(),
                    value,
                    holds_profiles: profiles,
                    holds_state: !profiles,
                    store_target: profiles,
                    state_target: !profiles,
                    agent: None,
                    writable: true,
                });
            }
            docs
        } else {
            parse_all(sqlite_sources(
                d,
                shared.as_deref(),
                agent.as_deref(),
                true,
            )?)?
        };
        let r = f(&mut docs)?;
        let mut written = Vec::new();
        for doc in docs.changed() {
            let Loc::Row { db, table, key } = &doc.loc else {
                continue;
            };
            let text = render(doc);
            let name = format!("{}#{}", db.display(), sqlite::row_name(table, key));
            if host.dry_run {
                let pretty_before = doc
                    .before
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .map(|v| config::pretty(&v));
                files::show_diff(
                    host,
                    &name,
                    pretty_before.as_deref().map(str::as_bytes),
                    config::pretty(&Value::Object(doc.value.clone())).as_bytes(),
                )?;
                continue;
            }
            let db_shown = db.display().to_string();
            let row = sqlite::row_name(table, key);
            let backup = match &doc.before {
                Some(b) => Some(crate::backup::save_bytes(
                    host,
                    &format!("{}.{table}.{key}", files::dir_and_name(db).1),
                    crate::backup::Source {
                        path: &db_shown,
                        row: Some(&row),
                    },
                    b.as_bytes(),
                )?),
                None => None,
            };
            journal::append(
                host,
                &Change {
                    kind: "row".into(),
                    path: db_shown,
                    row: Some(row),
                    backup: backup.map(|p| p.display().to_string()),
                    before: doc
                        .before
                        .as_deref()
                        .map(|b| files::sha256_hex(b.as_bytes())),
                    after: Some(files::sha256_hex(text.as_bytes())),
                    undoes: host.undoing.borrow().clone(),
                },
            )?;
            let conn = if *db == d.shared_db {
                shared.as_ref()
            } else {
                agent.as_ref()
            };
            let Some(conn) = conn else { continue };
            sqlite::write_row(conn, db, table, key, Some(&text), host.now_ms())?;
            crate::testhook::point("sqlite-row-written");
            written.push(doc.loc.clone());
        }
        Ok((r, written))
    })();
    match result {
        Ok(v) => {
            for (c, p) in &begun {
                c.execute_batch("COMMIT")
                    .map_err(|e| sqlite::db_error(p, e))?;
                crate::testhook::point("sqlite-committed");
            }
            Ok(v)
        }
        Err(e) => {
            rollback(&begun);
            Err(e)
        }
    }
}

// ---------------------------------------------------------------------------------
// Every stored profile, for refresh-token custody checks

/// One credential as stored somewhere in OpenClaw's state.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    /// The agent whose store holds it; `None` for the shared store (`state/openclaw.sqlite`).
    pub agent: Option<String>,
    /// A file path, or `<db path>#<table>/<key>` for a SQLite row.
    pub location: String,
    pub id: String,
    pub provider: String,
    pub refresh: Option<String>,
    pub account_id: Option<String>,
    pub email: Option<String>,
}

/// Every agent under `<state>/agents/` (plus `main`, whose dir may be overridden) with
/// its agent dir, sorted by id.
pub fn all_agent_dirs(host: &Host) -> Vec<(String, PathBuf)> {
    let mut agents: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(host.openclaw_state_dir.join("agents")) {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            if crate::host::valid_agent_id(&name) {
                agents.push((name.clone(), agent_dir(host, &name)));
            }
        }
    }
    if !agents.iter().any(|(a, _)| a == "main") {
        agents.push(("main".into(), agent_dir(host, "main")));
    }
    agents.sort();
    agents
}

/// Every profile in every agent's store and in the shared store, whatever the layout.
/// Files that do not parse are errors (naming the file), so a custody check never
/// silently skips a holder.
pub fn all_stored_profiles(host: &Host) -> Result<Vec<StoredProfile>, Error> {
    let mut out = Vec::new();
    for (agent, loc, text) in store_texts(host)? {
        let doc = parse_doc(&text, &loc)?;
        let Some(Value::Object(profiles)) = doc.get("profiles") else {
            continue;
        };
        for (id, p) in profiles {
            let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
            out.push(StoredProfile {
                agent: agent.clone(),
                location: loc.location(),
                id: id.clone(),
                provider: s("provider").unwrap_or_default(),
                refresh: s("refresh"),
                account_id: s("accountId"),
                email: s("email"),
            });
        }
    }
    Ok(out)
}

/// Learns the secrets of every store, skipping the texts this run has already read
/// (parsing a store of a thousand accounts again would cost more than the run did).
pub fn learn_stores(host: &Host) -> Result<(), Error> {
    for (_, loc, text) in store_texts(host)? {
        if !crate::redact::knows_text(&text) {
            read_doc(&text, &loc)?;
        }
    }
    Ok(())
}

/// The text of every credential document: the shared store's row, then each agent's
/// file and row, with the agent it belongs to (`None`: shared).
fn store_texts(host: &Host) -> Result<Vec<(Option<String>, Loc, sqlite::Text)>, Error> {
    let row =
        |db: &Path, table: &'static str, key: &str| -> Result<Option<(Loc, sqlite::Text)>, Error> {
            let text = sqlite::read_row(&*sqlite::open(db)?, db, table, key)?;
            let loc = Loc::Row {
                db: db.to_path_buf(),
                table,
                key: key.to_string(),
            };
            Ok(text.map(|t| (loc, t)))
        };
    let mut out = Vec::new();
    let shared = shared_db(host);
    if shared.exists()
        && let Some((loc, text)) = row(&shared, sqlite::SHARED_TABLE, sqlite::STORE_KEY)?
    {
        out.push((None, loc, text));
    }
    for (agent, dir) in all_agent_dirs(host) {
        let f = dir.join(STORE_FILE);
        if let Some(text) = file_text(&f)? {
            out.push((Some(agent.clone()), Loc::File(f), Rc::new(text)));
        }
        let db = dir.join(AGENT_DB);
        if db.exists()
            && let Some((loc, text)) = row(&db, sqlite::AGENT_STORE_TABLE, sqlite::AGENT_ROW)?
        {
            out.push((Some(agent), loc, text));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------
// Credentials of the agent's profiles, for reading their usage

/// The credentials of the detected agent's effective store (agent-local entries over
/// the shared ones), by profile id: what OpenClaw itself would use for this agent.
/// Read without a lock, like every reader; the values hold tokens, so callers must
/// never show them.
pub fn stored_credentials(host: &Host) -> Result<Map<String, Value>, Error> {
    let d = detect(host)?;
    // The whole credentials, as JSON: the usage client needs members the typed view
    // skips.
    Ok(parse_all(read_sources(&d)?)?.effective().profiles)
}
