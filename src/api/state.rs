//! `state::load(name)`, `state::save(name, map)`, `state::path(name)`: small JSON files
//! in clawshift's state dir that let a script remember things between runs. The stock
//! switch script keeps `switch-state.json` this way.
//!
//! These are clawshift's own bookkeeping, rewritten every ten minutes from cron, so they
//! are written atomically (0600). A quiet run's save is not backed up or journaled (the
//! journal would fill with `lastCheckedAt` updates and `undo` would revert them instead
//! of the switch); a save in a run that has already changed a file or row (a switch) is
//! journaled and backed up with that change, so `undo` of the run puts the state back
//! too. A corrupt file is moved aside, never deleted.

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Dynamic, Engine, FuncRegistration, INT, ImmutableString, Map, Module};

use super::json::MapKey;
use super::{RhaiResult, def, doc_line, fail};
use crate::files;
use crate::host::Host;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let mut m = Module::new();
    let h = host.clone();
    def(
        "load",
        &["name: String", "Dynamic"],
        "Reads `<state dir>/<name>.json` and returns its map, or `()` when there is none yet.\n\
         A file that is not a JSON object, or whose time fields (`at` and keys ending in `At`, milliseconds since 1970) are not integers between 1970 and 2100, is moved aside to `<name>.json.corrupt-<unix-seconds>` with a warning on stderr and treated as absent (under `--dry-run` it is left in place). A past-event time in the future (`at`, `last…At`) is read as now, with a warning. A `profileStatuses` map (the switch state's record of every profile) is read as one shared `ProfileStatuses`: passing the state to a function does not copy it.\n\
         Errors: `name` is not letters, digits, `-`, `_` or `.`; the file cannot be read.\n\
         Example: `let s = state::load(\"switch-state\") ?? #{};`",
    )
    .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
        load(&h, name)
    });
    let h = host.clone();
    def(
        "save",
        &["name: String", "value: Map", "()"],
        "Writes `value` as `<state dir>/<name>.json` (indented JSON, mode 0600, atomically: a crash leaves the old file or the new one). Nothing is written when the content is unchanged. Once the run has changed a file or row (e.g. `set_model`), the save is backed up and journaled with it, so `clawshift undo` of that run restores it.\n\
         Under `--dry-run` prints `dry-run: would save <path>` (on stderr when the command prints JSON) and writes nothing.\n\
         Errors: a bad `name`; a value JSON cannot hold (a function pointer); the state dir cannot be written.\n\
         Example: `state::save(\"switch-state\", #{lastCheckedAt: now()});`",
    )
    .set_into_module(&mut m, move |name: &str, value: Map| -> RhaiResult<()> {
        save(&h, name, value)
    });
    let h = host.clone();
    def(
        "path",
        &["name: String", "String"],
        "The file `state::load(name)` reads and `state::save(name, …)` writes: `<state dir>/<name>.json`.\n\
         Errors: a bad `name`.\n\
         Example: `print(state::path(\"switch-state\"));`",
    )
    .set_into_module(&mut m, move |name: &str| -> RhaiResult<String> {
        Ok(path(&h, "state::path", name)?.display().to_string())
    });
    engine.register_static_module("state", m.into());
    statuses(engine);
}

/// A switch state's `profileStatuses` (every profile at the last switch, by id) held as
/// one shared value. A script hands its state to the policy's functions several times
/// a run and each call copies what it is given: with a thousand profiles, copying their
/// statuses cost more than the rest of a quiet run. `state::load` and `next_state` make
/// it; scripts read it by id or copy it whole with `to_map()`; JSON shows it as the map.
///
/// The entries are held by id, sorted as a script map sorts its keys, and each one a
/// switch recorded as five fields rather than a map of five: a thousand maps were a
/// tenth of a 1,000-profile switch's memory, built, written and read back every run.
#[derive(Clone)]
pub struct ProfileStatuses(Rc<Vec<(MapKey, Entry)>>);

/// One profile's entry in [`ProfileStatuses`].
#[derive(Clone)]
pub enum Entry {
    /// `#{usable, kind, reason, until, model}` as a switch records it (each of the last
    /// four a string or an integer, else `()`).
    Recorded {
        usable: bool,
        kind: Option<ImmutableString>,
        reason: Option<ImmutableString>,
        until: Option<INT>,
        model: Option<ImmutableString>,
    },
    /// Anything else a state file held there, as it was.
    Other(Dynamic),
}

/// The members of a recorded entry, in the order a script map keeps them.
pub const RECORDED: [&str; 5] = ["kind", "model", "reason", "until", "usable"];

/// A recorded entry's fields, borrowed: `usable`, `kind`, `reason`, `until`, `model`.
pub type Parts<'a> = (
    &'a bool,
    &'a Option<ImmutableString>,
    &'a Option<ImmutableString>,
    &'a Option<INT>,
    &'a Option<ImmutableString>,
);

impl Entry {
    /// A recorded entry's fields; any other, the value it holds.
    pub fn parts(&self) -> Result<Parts<'_>, &Dynamic> {
        match self {
            Entry::Recorded {
                usable,
                kind,
                reason,
                until,
                model,
            } => Ok((usable, kind, reason, until, model)),
            Entry::Other(d) => Err(d),
        }
    }

    /// The entry as a script value: a recorded one as its map of [`RECORDED`] members.
    pub fn to_dynamic(&self) -> Dynamic {
        let (usable, kind, reason, until, model) = match self.parts() {
            Ok(parts) => parts,
            Err(d) => return d.clone(),
        };
        let text = |t: &Option<ImmutableString>| t.clone().map_or(Dynamic::UNIT, Dynamic::from);
        let values = [
            text(kind),
            text(model),
            text(reason),
            until.map_or(Dynamic::UNIT, Dynamic::from_int),
            Dynamic::from_bool(*usable),
        ];
        Dynamic::from_map(RECORDED.into_iter().map(Into::into).zip(values).collect())
    }

    /// The members of an entry read from a state file, by their place in [`RECORDED`],
    /// as a recorded entry when it is exactly one: all five, each of its kind.
    pub fn from_slots(slots: &[Option<Dynamic>; 5]) -> Option<Entry> {
        let text = |v: &Dynamic| -> Option<Option<ImmutableString>> {
            if v.is_unit() {
                Some(None)
            } else {
                v.read_lock::<ImmutableString>().map(|s| Some(s.clone()))
            }
        };
        let [
            Some(kind),
            Some(model),
            Some(reason),
            Some(until),
            Some(usable),
        ] = slots
        else {
            return None;
        };
        Some(Entry::Recorded {
            usable: usable.as_bool().ok()?,
            kind: text(kind)?,
            reason: text(reason)?,
            until: if until.is_unit() {
                None
            } else {
                Some(until.as_int().ok()?)
            },
            model: text(model)?,
        })
    }
}

impl ProfileStatuses {
    /// Entries by id; a repeated id keeps its last entry, as a map would.
    pub fn new(mut entries: Vec<(MapKey, Entry)>) -> ProfileStatuses {
        // Stable, so that of a repeated id the last stays last; then only it is kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        ProfileStatuses(Rc::new(entries))
    }

    pub fn entries(&self) -> &[(MapKey, Entry)] {
        &self.0
    }

    /// The entries with their ids, for a walk that may change the kept values in place;
    /// `None` once the statuses are shared.
    fn entries_mut(&mut self) -> Option<&mut Vec<(MapKey, Entry)>> {
        Rc::get_mut(&mut self.0)
    }

    fn get(&self, id: &str) -> Option<&Entry> {
        let at = self.0.binary_search_by(|(k, _)| k.as_str().cmp(id)).ok()?;
        Some(&self.0[at].1)
    }

    /// The statuses as the plain map they stand for.
    pub fn to_map(&self) -> Map {
        self.0
            .iter()
            .map(|(id, e)| (id.clone(), e.to_dynamic()))
            .collect()
    }
}

fn statuses(engine: &mut Engine) {
    type P = ProfileStatuses;
    engine.register_type_with_name::<P>("ProfileStatuses");
    let reg = FuncRegistration::new_index_getter().with_params_info([
        "statuses: ProfileStatuses",
        "id: String",
        "Dynamic",
    ]);
    doc_line(reg, "One profile's entry, `#{usable, kind, reason, until, model}`, or `()` when the id has none. Example: `state.profileStatuses[\"openai:work\"].usable`.")
        .register_into_engine(engine, |p: &mut P, id: &str| -> Dynamic {
            p.get(id).map_or(Dynamic::UNIT, Entry::to_dynamic)
        });
    def(
        "len",
        &["statuses: ProfileStatuses", "INT"],
        "How many profiles it holds.",
    )
    .with_volatility(false)
    .register_into_engine(engine, |p: &mut P| -> INT { p.0.len() as INT });
    def(
        "keys",
        &["statuses: ProfileStatuses", "Array"],
        "The profile ids, sorted.",
    )
    .with_volatility(false)
    .register_into_engine(engine, |p: &mut P| -> rhai::Array {
        p.0.iter()
            .map(|(k, _)| Dynamic::from(k.to_string()))
            .collect()
    });
    def(
        "contains",
        &["statuses: ProfileStatuses", "id: String", "bool"],
        "Whether it holds an entry for `id`.",
    )
    .with_volatility(false)
    .register_into_engine(engine, |p: &mut P, id: &str| -> bool {
        p.get(id).is_some()
    });
    def("to_map", &["statuses: ProfileStatuses", "Map"],
        "A copy as a plain map, for anything else a map does. Example: `for e in state.profileStatuses.to_map().values() { ... }`.")
        .with_volatility(false)
        .register_into_engine(engine, |p: &mut P| -> Map {
            p.to_map()
        });
}

fn path(host: &Host, func: &str, name: &str) -> RhaiResult<PathBuf> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return fail(format!(
            "{func}: `{name}` is not a valid state name; use letters, digits, `-`, `_` and `.` (e.g. \"switch-state\")"
        ));
    }
    Ok(host.state_dir.join(format!("{name}.json")))
}

fn load(host: &Host, name: &str) -> RhaiResult<Dynamic> {
    let p = path(host, "state::load", name)?;
    let Some(bytes) = files::read_optional(&p).map_err(|e| format!("state::load: {e}"))? else {
        return Ok(Dynamic::UNIT);
    };
    let problem = match super::json::parse_state(&bytes) {
        Ok(mut v) if v.is_map() => match check_times(&mut v, host.now_ms()) {
            Ok(clamped) => {
                for field in clamped {
                    eprintln!(
                        "warning: state file `{}`: `{field}` is in the future (the clock was wrong when it was saved); reading it as now",
                        p.display()
                    );
                }
                return Ok(v);
            }
            Err(problem) => problem,
        },
        Ok(_) => "it is not a JSON object".to_string(),
        Err(e) => format!("it is not valid JSON ({e})"),
    };
    if host.dry_run {
        eprintln!(
            "warning: ignoring state file `{}`: {problem}; dry run, so it stays where it is",
            p.display()
        );
        return Ok(Dynamic::UNIT);
    }
    host.check_deadline(&format!("move `{}` aside", p.display()))
        .map_err(|e| format!("state::load: {e}"))?;
    let stamp = host.now().timestamp();
    let mut aside = PathBuf::from(format!("{}.corrupt-{stamp}", p.display()));
    let mut n = 2;
    while aside.exists() {
        aside = PathBuf::from(format!("{}.corrupt-{stamp}-{n}", p.display()));
        n += 1;
    }
    std::fs::rename(&p, &aside).map_err(|e| {
        format!(
            "state::load: `{}` is corrupt ({problem}) and cannot be moved aside: {e}; remove it by hand",
            p.display()
        )
    })?;
    eprintln!(
        "warning: state file `{}` was corrupt: {problem}; moved it to `{}` and starting afresh",
        p.display(),
        aside.display()
    );
    Ok(Dynamic::UNIT)
}

/// The latest time a state file may hold: 2100-01-01. A later one, a negative one or a
/// fraction is a damaged file (or one written by something else), and trusting it
/// would hold the agent on a route for years or make every later switch fail.
const MAX_TIME_MS: i64 = 4_102_444_800_000;

/// Checks every time field (`at` and keys ending in `At`, in milliseconds) of a state
/// file: each must be an integer from 1970 to 2100. A past event (`at`, `last…At`) later
/// than `now` is clamped to `now`; the clamped fields are returned by their path.
fn check_times(v: &mut Dynamic, now: i64) -> Result<Vec<String>, String> {
    let mut clamped = Vec::new();
    if let Ok(mut map) = v.as_map_mut() {
        walk_times(&mut map, &mut String::new(), now, &mut clamped)?;
    }
    Ok(clamped)
}

/// [`check_times`] in `map`, found at the dotted `path`. A field's path is only spelled
/// out for a nested map or a time: a thousand profiles' statuses hold five thousand
/// keys, none of them a time.
fn walk_times(
    map: &mut Map,
    path: &mut String,
    now: i64,
    clamped: &mut Vec<String>,
) -> Result<(), String> {
    for (key, value) in map.iter_mut() {
        let time = key == "at" || key.ends_with("At");
        if !time && !value.is_map() && !value.is::<ProfileStatuses>() {
            continue;
        }
        let len = path.len();
        if len > 0 {
            path.push('.');
        }
        path.push_str(key);
        if let Ok(mut inner) = value.as_map_mut() {
            walk_times(&mut inner, path, now, clamped)?;
        } else if let Some(mut statuses) = value.write_lock::<ProfileStatuses>() {
            // A recorded entry holds no time field; any other is walked as a map.
            for (id, entry) in statuses.entries_mut().into_iter().flatten() {
                if let Entry::Other(d) = entry
                    && let Ok(mut inner) = d.as_map_mut()
                {
                    let at = path.len();
                    path.push('.');
                    path.push_str(id);
                    walk_times(&mut inner, path, now, clamped)?;
                    path.truncate(at);
                }
            }
        } else {
            let Some(ms) = value
                .as_int()
                .ok()
                .filter(|ms| (0..=MAX_TIME_MS).contains(ms))
            else {
                let shown = super::json::to_value(value)
                    .map_or_else(|_| value.to_string(), |v| v.to_string());
                return Err(format!(
                    "`{path}` is {shown}, not a time in milliseconds between 1970 and 2100"
                ));
            };
            let past_event = key == "at" || (key.starts_with("last") && key.ends_with("At"));
            if past_event && ms > now {
                *value = Dynamic::from_int(now);
                clamped.push(path.clone());
            }
        }
        path.truncate(len);
    }
    Ok(())
}

/// Holds the state last saved until the next save drops it: a switch's state with a
/// thousand profiles' statuses is a thousand maps, whose freeing took 1.4 M of a
/// 1,000-profile switch's 37.6 M instructions, and a run saves once and then exits. A
/// script that saves in a loop (`simulate`) still frees each state, one save later.
fn keep_until_next_save(value: Dynamic) {
    thread_local! {
        static LAST: std::mem::ManuallyDrop<std::cell::RefCell<Dynamic>> =
            const { std::mem::ManuallyDrop::new(std::cell::RefCell::new(Dynamic::UNIT)) };
    }
    let before = LAST.with(|l| l.replace(value));
    drop(before);
}

fn save(host: &Host, name: &str, value: Map) -> RhaiResult<()> {
    let p = path(host, "state::save", name)?;
    host.check_deadline(&format!("save `{}`", p.display()))
        .map_err(|e| e.to_string())?;
    // State files are not credential stores: a token a script saved is masked.
    let value = Dynamic::from_map(value);
    let text = super::json::to_masked_text(&value, true);
    keep_until_next_save(value);
    let mut text = text.map_err(|e| format!("state::save: {e}"))?;
    text.push('\n');
    let before = files::read_optional(&p).map_err(|e| format!("state::save: {e}"))?;
    if before.as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    if host.dry_run {
        host.dry_note(&format!("dry-run: would save {}", p.display()))
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    files::private_dir(&host.state_dir).map_err(|e| format!("state::save: {e}"))?;
    if host.journaled.get() {
        files::write_file(host, &p, text.as_bytes(), 0o600)
            .map_err(|e| format!("state::save: {e}"))?;
    } else {
        files::atomic_write(&p, text.as_bytes(), 0o600).map_err(|e| format!("state::save: {e}"))?;
    }
    Ok(())
}
