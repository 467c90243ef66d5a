//! `openclaw.json`: JSON5 with `$include` (reference/openclaw.md §3).
//!
//! Reading resolves `$include` the way OpenClaw's `includes.ts` does: a string or an
//! array of paths relative to the including file, deep-merged in order (objects merge,
//! arrays concatenate, later scalars win), sibling keys merged over the included
//! content, at most 10 levels, cycles an error, `__proto__`/`prototype`/`constructor`
//! ignored.
//!
//! Writing changes only the keys clawshift owns and keeps the rest of the file as the
//! user wrote it: the edit is made on a concrete syntax tree (dprint's `jsonc-parser`),
//! so comments, quoting style, trailing commas and key order survive. The edited text is
//! parsed again and compared with the intended value; only if that check fails (syntax
//! the CST cannot round-trip) is the file re-serialised as 2-space JSON, like OpenClaw's
//! own config writes, with a warning (the old file is in the backups). A key clawshift
//! must change that comes from an `$include`d file is refused, naming that file.

use std::path::{Path, PathBuf};

use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::files;
use crate::host::Host;

pub const MAX_INCLUDE_DEPTH: usize = 10;
const INCLUDE: &str = "$include";
const IGNORED_KEYS: [&str; 3] = ["__proto__", "prototype", "constructor"];

/// How deeply objects and arrays may nest in a JSON5 file (serde_json's own limit for
/// JSON). The parsers recurse, so without a limit a hostile file could overflow the stack.
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of `{`/`[` in JSON5 text, outside strings and comments.
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                while let Some(d) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            '{' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Parses JSON5 text, naming the file in the error.
pub fn parse_json5(text: &str, path: &Path) -> Result<Value, Error> {
    let depth = nesting_depth(text);
    if depth > MAX_NESTING {
        return Err(Error::Failure(format!(
            "`{}` nests objects/arrays {depth} levels deep, more than the {MAX_NESTING} clawshift reads; it is not a config file OpenClaw wrote. Fix the file or restore it from a backup",
            path.display()
        )));
    }
    let v = json5::from_str::<Value>(text).map_err(|e| {
        Error::Failure(format!(
            "`{}` is not valid JSON5: {e}. Fix the syntax (OpenClaw will not start with it either) or restore it from a backup",
            path.display()
        ))
    })?;
    // API keys, bot tokens and gateway secrets are masked wherever this run prints.
    crate::redact::learn_config(&v);
    Ok(v)
}

fn read_json5(path: &Path) -> Result<Value, Error> {
    let bytes = files::read_limited(path)?.ok_or_else(|| {
        Error::Failure(format!(
            "cannot read `{}`: it does not exist",
            path.display()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| {
            Error::Failure(format!(
                "`{}` is not UTF-8 text. Fix the file (OpenClaw will not start with it either) or restore it from a backup",
                path.display()
            ))
        })?;
    parse_json5(&text, path)
}

/// The whole config with every `$include` resolved; `{}` when the file does not exist.
pub fn load(path: &Path) -> Result<Value, Error> {
    if !path.exists() {
        return Ok(Value::Object(Map::new()));
    }
    let raw = read_json5(path)?;
    if !raw.is_object() {
        return Err(Error::Failure(format!(
            "`{}` must hold a JSON object at the top level",
            path.display()
        )));
    }
    let mut stack = vec![canonical(path)];
    resolve(raw, path, &mut stack)
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn include_paths(v: &Value, file: &Path) -> Result<Vec<PathBuf>, Error> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let list: Vec<&str> = match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().ok_or_else(|| {
                    Error::Failure(format!(
                        "`{}`: `$include` entries must be path strings",
                        file.display()
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(Error::Failure(format!(
                "`{}`: `$include` must be a path string or an array of them",
                file.display()
            )));
        }
    };
    Ok(list.into_iter().map(|s| dir.join(s)).collect())
}

/// Resolves `$include` in `v` (read from `file`); `stack` holds the files being
/// included, for cycle and depth checks.
fn resolve(v: Value, file: &Path, stack: &mut Vec<PathBuf>) -> Result<Value, Error> {
    match v {
        Value::Object(map) => {
            let mut base = Value::Object(Map::new());
            if let Some(inc) = map.get(INCLUDE) {
                for p in include_paths(inc, file)? {
                    let included = load_included(&p, file, stack)?;
                    deep_merge(&mut base, included);
                }
            }
            let mut own = Map::new();
            for (k, v) in map {
                if k == INCLUDE || IGNORED_KEYS.contains(&k.as_str()) {
                    continue;
                }
                own.insert(k, resolve(v, file, stack)?);
            }
            deep_merge(&mut base, Value::Object(own));
            Ok(base)
        }
        Value::Array(items) => Ok(Value::Array(
            items
                .into_iter()
                .map(|i| resolve(i, file, stack))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other),
    }
}

fn load_included(p: &Path, from: &Path, stack: &mut Vec<PathBuf>) -> Result<Value, Error> {
    let c = canonical(p);
    if stack.contains(&c) {
        return Err(Error::Failure(format!(
            "`$include` cycle: `{}` includes `{}`, which is already being included; remove one of the includes",
            from.display(),
            p.display()
        )));
    }
    if stack.len() > MAX_INCLUDE_DEPTH {
        return Err(Error::Failure(format!(
            "`$include` nested deeper than {MAX_INCLUDE_DEPTH} levels at `{}`",
            p.display()
        )));
    }
    if !p.exists() {
        return Err(Error::Failure(format!(
            "`{}` includes `{}`, which does not exist",
            from.display(),
            p.display()
        )));
    }
    let raw = read_json5(p)?;
    stack.push(c);
    let out = resolve(raw, p, stack);
    stack.pop();
    out
}

/// OpenClaw's merge: objects merge recursively, arrays concatenate, later scalars win.
pub fn deep_merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(b), Value::Array(o)) => b.extend(o),
        (b, o) => *b = o,
    }
}

/// Walks a path of object keys.
pub fn get_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

/// One change clawshift makes to the config: set the value at `path` (objects along the
/// way are created).
#[derive(Debug, Clone)]
pub struct Set {
    pub path: Vec<String>,
    pub value: Value,
}

impl Set {
    pub fn new(path: &[&str], value: Value) -> Set {
        Set {
            path: path.iter().map(|s| s.to_string()).collect(),
            value,
        }
    }
}

/// If an `$include`d file defines (part of) `path`, the file that does.
fn include_owner(
    raw: &Value,
    file: &Path,
    path: &[String],
    depth: usize,
) -> Result<Option<PathBuf>, Error> {
    let Some(obj) = raw.as_object() else {
        // A scalar where an object is needed: it is this file's value.
        return Ok(None);
    };
    if depth > MAX_INCLUDE_DEPTH {
        return Ok(None);
    }
    if let Some(inc) = obj.get(INCLUDE) {
        for p in include_paths(inc, file)? {
            if !p.exists() {
                continue;
            }
            let included = read_json5(&p)?;
            if let Some(owner) = defines(&included, &p, path, depth + 1)? {
                return Ok(Some(owner));
            }
        }
    }
    match (
        path.split_first(),
        obj.get(path.first().map(String::as_str).unwrap_or("")),
    ) {
        (Some((_, rest)), Some(child)) if !rest.is_empty() => {
            include_owner(child, file, rest, depth)
        }
        _ => Ok(None),
    }
}

/// Whether `raw` (the content of `file`) defines `path` or a scalar on the way to it;
/// returns the file (possibly a nested include) that does.
fn defines(
    raw: &Value,
    file: &Path,
    path: &[String],
    depth: usize,
) -> Result<Option<PathBuf>, Error> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Some(file.to_path_buf()));
    };
    let Some(obj) = raw.as_object() else {
        return Ok(Some(file.to_path_buf()));
    };
    if let Some(inc) = obj.get(INCLUDE)
        && depth <= MAX_INCLUDE_DEPTH
    {
        for p in include_paths(inc, file)? {
            if p.exists()
                && let Some(owner) = defines(&read_json5(&p)?, &p, path, depth + 1)?
            {
                return Ok(Some(owner));
            }
        }
    }
    match obj.get(first) {
        None => Ok(None),
        Some(child) if rest.is_empty() => {
            let _ = child;
            Ok(Some(file.to_path_buf()))
        }
        Some(child) => defines(child, file, rest, depth),
    }
}

/// Applies `sets` to the config file at `path`, writing through `files::write_file`
/// (backup, journal, atomic, mode kept at 0600). Returns whether anything changed.
pub fn apply(host: &Host, path: &Path, sets: &[Set]) -> Result<files::Outcome, Error> {
    files::refuse_symlink(path)?;
    let before = files::read_limited(path)?;
    let text = match &before {
        Some(b) => String::from_utf8(b.clone())
            .map_err(|_| Error::Failure(format!("`{}` is not UTF-8 text", path.display())))?,
        None => String::new(),
    };
    let raw = if text.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        parse_json5(&text, path)?
    };
    if !raw.is_object() {
        return Err(Error::Failure(format!(
            "`{}` must hold a JSON object at the top level",
            path.display()
        )));
    }
    // Refuse keys that come from an included file: the edit would not take effect the
    // way the user expects (arrays concatenate, objects merge).
    let mut wanted = raw.clone();
    for s in sets {
        if let Some(owner) = include_owner(&raw, path, &s.path, 0)? {
            return Err(Error::Failure(format!(
                "`{}` is set in `{}` (included from `{}` via `$include`); clawshift edits only the main config file. Move that key into `{}` or change it by hand",
                s.path.join("."),
                owner.display(),
                path.display(),
                path.display()
            )));
        }
        set_value(&mut wanted, &s.path, s.value.clone(), path)?;
    }
    if wanted == raw {
        return Ok(files::Outcome::Unchanged);
    }
    let new_text = if text.trim().is_empty() {
        pretty(&wanted)
    } else {
        match edit_cst(&text, sets) {
            Some(t) if json5::from_str::<Value>(&t).ok().as_ref() == Some(&wanted) => t,
            _ => {
                let plain = serde_json::from_str::<Value>(&text).is_ok();
                if !plain {
                    eprintln!(
                        "warning: `{}` uses JSON5 syntax clawshift cannot edit in place; rewriting it as plain JSON (comments are lost; the old file is in the backups)",
                        path.display()
                    );
                }
                pretty(&wanted)
            }
        }
    };
    let mode = existing_mode(path).unwrap_or(0o600);
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        files::private_dir(dir)?;
    }
    files::write_file(host, path, new_text.as_bytes(), mode)
}

fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

/// 2-space JSON plus a newline, as OpenClaw writes its files.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn set_value(root: &mut Value, path: &[String], value: Value, file: &Path) -> Result<(), Error> {
    let mut cur = root;
    for (i, k) in path.iter().enumerate() {
        let obj = match cur {
            Value::Object(o) => o,
            _ => {
                return Err(Error::Failure(format!(
                    "`{}`: `{}` is not an object, so clawshift cannot set `{}`; fix the file by hand",
                    file.display(),
                    path[..i].join("."),
                    path.join(".")
                )));
            }
        };
        if i + 1 == path.len() {
            obj.insert(k.clone(), value);
            return Ok(());
        }
        cur = obj
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

fn to_input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(to_input).collect()),
        Value::Object(o) => {
            CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), to_input(v))).collect())
        }
    }
}

/// Makes the edits on the CST; `None` when the text cannot be parsed that way. Values
/// are patched, not replaced: new keys and array elements are appended in the file's
/// own style, so an edit touches as few lines as possible.
fn edit_cst(text: &str, sets: &[Set]) -> Option<String> {
    let root = CstRootNode::parse(text, &jsonc_parser::ParseOptions::default()).ok()?;
    let obj = root.object_value()?;
    for s in sets {
        let (last, parents) = s.path.split_last()?;
        let mut cur: CstObject = obj.clone();
        for k in parents {
            cur = cur.object_value_or_set(k);
        }
        match cur.get(last) {
            Some(prop) => patch_prop(&prop, &s.value),
            None => {
                cur.append(last, to_input(&s.value));
            }
        }
    }
    Some(root.to_string())
}

fn patch_prop(prop: &jsonc_parser::cst::CstObjectProp, want: &Value) {
    let Some(node) = prop.value() else {
        prop.set_value(to_input(want));
        return;
    };
    let current = json5::from_str::<Value>(&node.to_string()).ok();
    if current.as_ref() == Some(want) {
        return;
    }
    match (current, want, node.as_object(), node.as_array()) {
        (Some(Value::Object(old)), Value::Object(new), Some(obj), _)
            if old.keys().all(|k| new.contains_key(k)) =>
        {
            for (k, v) in new {
                match obj.get(k) {
                    Some(p) => patch_prop(&p, v),
                    None => {
                        obj.append(k, to_input(v));
                    }
                }
            }
        }
        (Some(Value::Array(old)), Value::Array(new), _, Some(arr))
            if new.len() >= old.len() && new[..old.len()] == old[..] =>
        {
            for v in &new[old.len()..] {
                arr.append(to_input(v));
            }
        }
        _ => prop.set_value(to_input(want)),
    }
}
