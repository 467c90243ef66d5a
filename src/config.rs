//! `<CLAWSHIFT_HOME>/config.json` (or `~/.config/clawshift/config.json`): settings that
//! are not part of a script. Today only `notify` lives here; unknown top-level keys are
//! ignored so other sections can be added without breaking older binaries, but a typo
//! inside a known section is an error that names the key.
//!
//! ```json
//! {
//!   "notify": {
//!     "command": ["ntfy", "publish", "my-topic"],
//!     "openclaw": { "channel": "telegram", "target": "@mychat" },
//!     "timeout_secs": 20
//!   }
//! }
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use crate::error::Error;
use crate::files;
use crate::host::Host;

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub notify: NotifyConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// Run for every notice, with the text on stdin.
    pub command: Option<CommandSpec>,
    /// Send every notice to a chat through `openclaw message send`.
    pub openclaw: Option<ChannelConfig>,
    /// Deadline for each of the above (default 30 s).
    pub timeout_secs: Option<u64>,
}

/// A string runs through `sh -c`; an array is an exact argv, no shell involved.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum CommandSpec {
    Shell(String),
    Argv(Vec<String>),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// `openclaw message send --channel`, e.g. `telegram`.
    pub channel: String,
    /// `openclaw message send --target`, e.g. `@mychat`.
    pub target: String,
}

pub fn path(host: &Host) -> PathBuf {
    host.config_dir.join("config.json")
}

/// Reads the config; a missing file is the default (no command, no channel).
pub fn load(host: &Host) -> Result<Config, Error> {
    let p = path(host);
    let Some(bytes) = files::read_optional(&p)? else {
        return Ok(Config::default());
    };
    let cfg: Config = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Failure(format!(
            "`{}` is not valid: {e}; fix it (the keys are described in docs/scripting.md under notify) or move it away",
            p.display()
        ))
    })?;
    if let Some(CommandSpec::Argv(argv)) = &cfg.notify.command
        && argv.is_empty()
    {
        return Err(Error::Failure(format!(
            "`{}`: notify.command is an empty list; give the program and its arguments, e.g. [\"ntfy\", \"publish\", \"topic\"]",
            p.display()
        )));
    }
    Ok(cfg)
}
