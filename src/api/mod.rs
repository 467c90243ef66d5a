//! The script-visible functions, one file per concern. Each file exposes
//! `register(engine, host)`; `register_all` calls them in a fixed order.
//!
//! Every function is registered through [`def`] with its parameter names and a doc
//! comment, so `clawshift functions` and `docs/scripting.md` can list exactly what a
//! script can call.

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, FuncRegistration};

use crate::host::Host;

pub mod backup;
pub mod codex;
pub mod console;
pub mod custody;
pub mod fallback;
pub mod json;
pub mod jwt;
pub mod model;
pub mod notify;
pub mod openclaw;
pub mod replay;
pub mod state;
pub mod sys;
pub mod usage;

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

pub fn register_all(engine: &mut Engine, host: &Rc<Host>) {
    sys::register(engine, host);
    json::register(engine, host);
    jwt::register(engine, host);
    backup::register(engine, host);
    model::register(engine, host);
    openclaw::register(engine, host);
    codex::register(engine, host);
    console::register(engine, host);
    custody::register(engine, host);
    fallback::register(engine, host);
    state::register(engine, host);
    notify::register(engine, host);
    replay::register(engine, host);
    usage::register(engine, host);
}

/// Describes one function: `params` are `name: type` strings followed by the return
/// type; `doc` is plain text whose first line is the summary. The caller finishes with
/// `.register_into_engine(engine, f)` or `.set_into_module(module, f)`.
pub fn def(name: &str, params: &[&str], doc: &str) -> FuncRegistration {
    // Every primitive reads files, the clock or processes, so none may be folded into a
    // constant at compile time.
    let f = FuncRegistration::new(name)
        .with_params_info(params)
        .with_volatility(true);
    if !DOCS.get() {
        return f;
    }
    let comments: Vec<String> = doc
        .trim()
        .lines()
        .map(|l| format!("/// {l}").trim_end().to_string())
        .collect();
    f.with_comments([comments.join("\n")])
}

thread_local! {
    /// Whether [`def`] keeps each function's doc: only `clawshift functions` reads them
    /// (through [`with_docs`]), and formatting two hundred docs is a tenth of the
    /// engine's start-up in every other run.
    static DOCS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (which builds an engine) with every function's doc registered.
pub fn with_docs<T>(f: impl FnOnce() -> T) -> T {
    DOCS.set(true);
    let out = f();
    DOCS.set(false);
    out
}

/// Attaches `doc` (one `///` line) to `f` when docs are kept ([`with_docs`]).
pub fn doc_line(f: FuncRegistration, doc: &str) -> FuncRegistration {
    if DOCS.get() {
        f.with_comments([format!("/// {doc}")])
    } else {
        f
    }
}

/// Converts a message into a script error; Rhai fills in the call site.
pub fn fail<T>(msg: impl Into<String>) -> RhaiResult<T> {
    Err(msg.into().into())
}

/// Converts any serializable value into a script value.
pub fn to_dynamic<T: serde::Serialize>(what: &str, value: &T) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(value).map_err(|e| format!("{what}: cannot convert result: {e}").into())
}
