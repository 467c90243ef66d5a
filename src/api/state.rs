//! `state::load(name)`, `state::save(name, map)`, `state::path(name)`: small JSON files
//! in clawshift's state dir that let a script remember things between runs. The stock
//! switch script keeps `switch-state.json` this way.
//!
//! These are clawshift's own bookkeeping, rewritten every ten minutes from cron, so they
//! are written atomically (0600) but not backed up or journaled: the backups dir and the
//! journal are for the user's files. A corrupt file is moved aside, never deleted.

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Dynamic, Engine, Map, Module};

use super::{RhaiResult, def, fail};
use crate::files;
use crate::host::Host;

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let mut m = Module::new();
    let h = host.clone();
    def(
        "load",
        &["name: String", "Dynamic"],
        "Reads `<state dir>/<name>.json` and returns its map, or `()` when there is none yet.\n\
         A file that is not a JSON object is moved aside to `<name>.json.corrupt-<unix-seconds>` with a warning on stderr and treated as absent (under `--dry-run` it is left in place).\n\
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
        "Writes `value` as `<state dir>/<name>.json` (indented JSON, mode 0600, atomically: a crash leaves the old file or the new one). Nothing is written when the content is unchanged.\n\
         Under `--dry-run` prints `dry-run: would save <path>` and writes nothing.\n\
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
    let problem = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.is_object() => return super::json::from_value(&v),
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

fn save(host: &Host, name: &str, value: Map) -> RhaiResult<()> {
    let p = path(host, "state::save", name)?;
    host.check_deadline(&format!("save `{}`", p.display()))
        .map_err(|e| e.to_string())?;
    let v = super::json::to_value(&Dynamic::from_map(value))
        .map_err(|e| format!("state::save: {e}"))?;
    // State files are not credential stores: a token a script saved is masked.
    let mut text = crate::redact::mask(
        &serde_json::to_string_pretty(&v).map_err(|e| format!("state::save: {e}"))?,
    );
    text.push('\n');
    let before = files::read_optional(&p).map_err(|e| format!("state::save: {e}"))?;
    if before.as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    if host.dry_run {
        host.println(&format!("dry-run: would save {}", p.display()))
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    files::private_dir(&host.state_dir).map_err(|e| format!("state::save: {e}"))?;
    files::atomic_write(&p, text.as_bytes(), 0o600).map_err(|e| format!("state::save: {e}"))?;
    Ok(())
}
