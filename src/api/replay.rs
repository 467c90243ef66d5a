//! `replay::snapshots(dir)`: the recorded `models_status()` snapshots that
//! `clawshift switch --replay DIR` runs the policy over, each with the clock it was
//! taken at.
//!
//! A snapshot is one `*.json` file; files are taken in name order. Two shapes:
//!
//! - `{"at": "2026-11-25T12:00:00Z", "status": { …models_status() map… }}`; `at` may
//!   also be milliseconds since the epoch, and `note` may say what the step is about;
//! - a bare `models_status()` map, whose `now` field (ms) is the clock, as
//!   `clawshift eval 'models_status()' > snaps/$(date +%s).json` records it.

use std::path::Path;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, Map, Module};
use serde_json::Value;

use super::{RhaiResult, def};
use crate::host::Host;

pub fn register(engine: &mut Engine, _host: &Rc<Host>) {
    let mut m = Module::new();
    def(
        "snapshots",
        &["dir: String", "Array"],
        "Reads every `*.json` file in `dir`, in name order, as a recorded status snapshot: `[#{file, now, note, status}, …]`, `status` a `Status` like `models_status()`'s.\n\
         A file is either `{\"at\": <RFC 3339 or ms>, \"note\": \"…\", \"status\": {…}}` or a bare `models_status()` map whose `now` (ms) is the clock; `status.now` is set to the snapshot's clock.\n\
         Errors: `dir` is not a directory or holds no `*.json` file; a file is not valid JSON (file, line and column) or has no time.\n\
         Example: `for s in replay::snapshots(\"snaps\") { print(`${s.file}: ${s.status.current}`); }`",
    )
    .set_into_module(&mut m, |dir: &str| -> RhaiResult<Array> {
        snapshots(Path::new(dir)).map_err(|e| format!("replay::snapshots: {e}").into())
    });
    engine.register_static_module("replay", m.into());
}

fn snapshots(dir: &Path) -> Result<Array, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cannot read directory `{}`: {e}; give a directory of recorded status snapshots (*.json)",
            dir.display()
        )
    })?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "`{}` holds no *.json snapshot; record one with `clawshift eval 'models_status()' > {}/001.json`",
            dir.display(),
            dir.display()
        ));
    }
    let mut out = Array::new();
    for f in files {
        out.push(Dynamic::from_map(snapshot(&f)?));
    }
    Ok(out)
}

fn snapshot(file: &Path) -> Result<Map, String> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let bytes = crate::files::read_optional(file)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("cannot read `{}`: it does not exist", file.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", file.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not valid JSON: {e}", file.display()))?;
    let Value::Object(obj) = v else {
        return Err(format!("`{}` is not a JSON object", file.display()));
    };
    let (at, note, mut status) = match obj.get("status") {
        Some(Value::Object(status)) => (
            obj.get("at").cloned(),
            obj.get("note").cloned(),
            status.clone(),
        ),
        Some(_) => return Err(format!("`{}`: `status` is not an object", file.display())),
        None => (obj.get("now").cloned(), None, obj.clone()),
    };
    let now = match &at {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "`{}` has no usable time: give `at` as an RFC 3339 time (e.g. \"2026-11-25T12:00:00Z\") or milliseconds, or a status map with `now` in milliseconds",
            file.display()
        )
    })?;
    status.insert("now".into(), now.into());
    let mut m = Map::new();
    m.insert("file".into(), name.into());
    m.insert("now".into(), now.into());
    m.insert(
        "note".into(),
        match note {
            Some(Value::String(s)) => s.into(),
            _ => Dynamic::UNIT,
        },
    );
    let status = crate::model::Status::from_value(&Value::Object(status))
        .map_err(|e| format!("`{}`: {e}", file.display()))?;
    m.insert("status".into(), Dynamic::from(std::rc::Rc::new(status)));
    Ok(m)
}
