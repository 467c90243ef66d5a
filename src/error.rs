//! The crate's error type and the exit codes of design §3: 0 success, 1 a script,
//! primitive or environment failure, 2 a usage or compile error.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// Bad command-line usage or configuration: exit 2.
    Usage(String),
    /// A primitive, file or environment failure outside any script: exit 1.
    Failure(String),
    /// A compile or runtime error inside a script, with its location.
    Script(Box<ScriptError>),
    /// Stdout was closed by the reader; exit quietly.
    BrokenPipe,
}

/// A script error converted once from Rhai's error, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub message: String,
    /// Source name (a path, `<eval>`, or `std/<name>`), line and column (1-based).
    pub location: Option<Location>,
    /// The call chain, outermost first, when the error happened inside a function.
    pub notes: Vec<String>,
    pub exit_code: u8,
    pub compile: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub source: String,
    pub line: usize,
    pub column: usize,
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Failure(_) => 1,
            Error::Script(e) => e.exit_code,
            Error::BrokenPipe => 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Failure(m) => f.write_str(m),
            Error::Script(e) => f.write_str(&e.message),
            Error::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Failure(e.to_string())
    }
}
