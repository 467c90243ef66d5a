//! `backup(path)`: copy a file into clawshift's backups dir before a script changes it.

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Dynamic, Engine, Map};

use super::{RhaiResult, def};
use crate::host::Host;
use crate::journal::{self, Change};

pub fn register(engine: &mut Engine, host: &Rc<Host>) {
    let h = host.clone();
    def(
        "backup",
        &["path: String", "Map"],
        "Copies a file to the backups dir as `<name>.bak-<unix-seconds>-<pid>` (mode 0600), records it in the journal, and returns `#{path, backup}`.\n\
         A missing file returns `backup: ()`. The newest 20 backups of each name are kept. Under `--dry-run` nothing is copied.\n\
         Errors: the path is a directory or cannot be read.\n\
         Example: `let b = backup(\"/home/me/.openclaw/openclaw.json\"); print(b.backup);`",
    )
    .register_into_engine(
        engine,
        move |path: &str| -> RhaiResult<Map> { backup(&h, path) },
    );
}

fn backup(host: &Host, path: &str) -> RhaiResult<Map> {
    let p = PathBuf::from(path);
    let mut out = Map::new();
    out.insert("path".into(), path.into());
    if !p.exists() {
        out.insert("backup".into(), Dynamic::UNIT);
        return Ok(out);
    }
    if host.dry_run {
        host.dry_note(&format!("dry-run: would back up {path}"))
            .map_err(|e| e.to_string())?;
        out.insert("backup".into(), Dynamic::UNIT);
        return Ok(out);
    }
    let saved = crate::backup::backup_file(host, &p).map_err(|e| e.to_string())?;
    journal::append(
        host,
        &Change {
            kind: "backup".into(),
            path: path.to_string(),
            row: None,
            backup: Some(saved.display().to_string()),
            before: None,
            after: None,
            undoes: None,
        },
    )
    .map_err(|e| e.to_string())?;
    out.insert("backup".into(), saved.display().to_string().into());
    Ok(out)
}
