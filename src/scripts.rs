//! The embedded stock scripts and stdlib, and how a script name resolves: the user's
//! copy in `<CLAWSHIFT_HOME>/scripts/` wins over the built-in one.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::host::Host;

/// Stock workflows, runnable by name and ejectable for editing.
pub const STOCK: &[(&str, &str)] = &[
    ("add-profile", include_str!("../scripts/add-profile.rhai")),
    ("switch", include_str!("../scripts/switch.rhai")),
];

/// Modules imported as `std/<name>`; compiled into the binary so no file can shadow them.
pub const STDLIB: &[(&str, &str)] = &[("profiles", include_str!("../stdlib/profiles.rhai"))];

/// Modules imported by their bare name whose built-in copy a file of the same name in
/// the user's lib dir replaces, and the stock script that ejects it with itself.
pub const LIB: &[(&str, &str, &str)] =
    &[("policy", "switch", include_str!("../stdlib/policy.rhai"))];

pub fn lib(name: &str) -> Option<&'static str> {
    LIB.iter().find(|(n, _, _)| *n == name).map(|(_, _, t)| *t)
}

pub fn lib_path(host: &Host, name: &str) -> PathBuf {
    host.user_lib_dir().join(format!("{name}.rhai"))
}

/// Where a script came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A file the user named on the command line.
    Path(PathBuf),
    /// `<CLAWSHIFT_HOME>/scripts/<name>.rhai`.
    User(PathBuf),
    /// The copy built into the binary.
    Stock,
}

pub struct Script {
    /// The name shown in error locations: a path, or `builtin:<name>.rhai`.
    pub source: String,
    pub text: String,
    pub origin: Origin,
}

/// A built-in script's text as it is compiled to run: its comment lines blank. Rhai's
/// tokenizer spends about as much on a comment as on code, and a third of the stock
/// scripts' lines are comments (the docs `scripts eject` hands over). Lines and columns
/// stay where they were, so an error's location and the line it shows are the same;
/// a test compiles every built-in text both ways and compares the programs.
pub fn runnable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("//") {
            out.push_str(if line.ends_with('\n') { "\n" } else { "" });
        } else {
            out.push_str(line);
        }
    }
    out
}

pub fn stock(name: &str) -> Option<&'static str> {
    STOCK.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub fn stdlib(name: &str) -> Option<&'static str> {
    STDLIB.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Resolves `run <name|path>`.
pub fn resolve(host: &Host, name: &str) -> Result<Script, Error> {
    if name.contains('/') || name.ends_with(".rhai") {
        let path = PathBuf::from(name);
        let text = read_script(&path)?;
        return Ok(Script {
            source: name.to_string(),
            text,
            origin: Origin::Path(path),
        });
    }
    let user = user_path(host, name);
    if user.exists() {
        return Ok(Script {
            source: user.display().to_string(),
            text: read_script(&user)?,
            origin: Origin::User(user),
        });
    }
    match stock(name) {
        Some(text) => Ok(Script {
            source: format!("builtin:{name}.rhai"),
            text: runnable(text),
            origin: Origin::Stock,
        }),
        None => {
            let known: Vec<&str> = STOCK.iter().map(|(n, _)| *n).collect();
            Err(Error::Usage(format!(
                "no script named `{name}`: looked for `{}` and the built-in scripts ({}); pass a path to run a file",
                user.display(),
                known.join(", ")
            )))
        }
    }
}

pub fn user_path(host: &Host, name: &str) -> PathBuf {
    host.user_scripts_dir().join(format!("{name}.rhai"))
}

pub fn read_script(path: &Path) -> Result<String, Error> {
    let bytes = crate::files::read_optional(path)
        .map_err(|e| Error::Usage(format!("script: {e}")))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "cannot read script `{}`: it does not exist",
                path.display()
            ))
        })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("script `{}` is not valid UTF-8", path.display())))
}

/// The text of a source named in an error location, for showing the offending line.
pub fn source_text(source: &str, eval_text: Option<&str>) -> Option<String> {
    if let Some(name) = source.strip_prefix("std/") {
        return stdlib(name).map(str::to_string);
    }
    if let Some(name) = source
        .strip_prefix("builtin:")
        .and_then(|n| n.strip_suffix(".rhai"))
    {
        return stock(name).or_else(|| lib(name)).map(str::to_string);
    }
    if source == "<eval>" {
        return eval_text.map(str::to_string);
    }
    crate::files::read_text_lossy(Path::new(source))
}

#[cfg(test)]
mod tests {
    /// What Rhai makes of `text`, but the module docs (`//!` lines, which only
    /// `scripts eject` and the docs read).
    fn program(text: &str) -> String {
        let mut engine = rhai::Engine::new_raw();
        engine.set_max_expr_depths(0, 0);
        let ast = engine.compile(text).unwrap_or_else(|e| panic!("{e}"));
        format!("{ast:?}").replacen(&format!("doc: {:?}", ast.doc()), "", 1)
    }

    #[test]
    fn every_built_in_script_runs_the_same_program_without_its_comment_lines() {
        let texts = super::STOCK
            .iter()
            .chain(super::STDLIB)
            .copied()
            .chain(super::LIB.iter().map(|(name, _, text)| (*name, *text)));
        for (name, text) in texts {
            let runnable = super::runnable(text);
            assert_eq!(
                program(&runnable),
                program(text),
                "{name}: blanking its comment lines changed the program"
            );
            assert_eq!(runnable.lines().count(), text.lines().count(), "{name}");
            assert!(runnable.len() < text.len(), "{name}: no comment blanked");
        }
    }
}
