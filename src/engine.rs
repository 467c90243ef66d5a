//! `build_engine(host)`: the one Rhai engine used by every command and every test.
//! Strict, with explicit limits and a wall-clock deadline, the primitives registered,
//! and the embedded stdlib served as `std/<name>` ahead of any file on disk (compiled on
//! first import, once per process).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use rhai::module_resolvers::{FileModuleResolver, ModuleResolversCollection};
use rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, Module, ModuleResolver, ParseError, Position, Scope,
};

use crate::error::{Error, Location, ScriptError};
use crate::host::Host;
use crate::scripts;

/// Limits that keep a mistaken script from hanging cron or eating the machine. They are
/// set explicitly so debug and release builds behave the same.
pub const MAX_OPERATIONS: u64 = 200_000_000;
pub const MAX_CALL_LEVELS: usize = 48;
pub const MAX_EXPR_DEPTH: usize = 64;
pub const MAX_FN_EXPR_DEPTH: usize = 48;
pub const MAX_STRING_SIZE: usize = 16 * 1024 * 1024;
pub const MAX_MODULES: usize = 64;
/// The most heap a run may hold. Rhai checks its size limits after most operations but
/// not all (`m[k] = v` grows a map unchecked), and clawshift sets no container count
/// limits (they make ordinary loops quadratic), so this is what stops a script that
/// keeps growing data before it fills the machine.
pub const MAX_MEMORY_BYTES: u64 = 512 * 1024 * 1024;

/// The value `on_progress` ends a run with when the deadline passes.
const TIMED_OUT: &str = "clawshift:timeout";
/// The value `on_progress` ends a run with when it holds too much memory.
const OUT_OF_MEMORY: &str = "clawshift:memory";

pub fn build_engine(host: &Rc<Host>) -> Result<Engine, Error> {
    let mut engine = Engine::new();
    engine
        .set_strict_variables(true)
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_FN_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING_SIZE)
        .set_max_modules(MAX_MODULES);
    // No array or map size caps: Rhai re-measures a whole container against them on
    // every `push` and `contains`, which makes ordinary loops quadratic, and the memory
    // limit below is the real protection. A missing map property reads as `()` (the
    // status's optional fields are `()` too), so no `try` is needed around a read.
    // Rhai interns short strings (identifiers, interpolation results) in a 256-entry
    // cache whose eviction scans the whole cache on every insert once it is full; with
    // a profile id or two in every interpolated string that is all the time.
    engine.set_max_strings_interned(0);
    // Every script is compiled once per run and its top level runs once, so folding
    // its constants costs more than it saves: the optimiser was an eighth of a
    // switch's instructions at 3 profiles. It never changes what a script does.
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    // `eval` would run code that `clawshift check` never saw.
    engine.disable_symbol("eval");

    let h = host.clone();
    engine.on_progress(move |ops| {
        // Once the deadline has been seen, every operation ends the run at once: Rhai's
        // `sort` and `dedup` take a failing comparator for "equal" and carry on, so the
        // termination has to hit again on the next operation, inside or after the call.
        if h.stdout_closed() || h.timed_out() || (ops.is_multiple_of(1024) && h.past_deadline()) {
            Some(TIMED_OUT.into())
        } else if crate::memory::in_use() > MAX_MEMORY_BYTES {
            Some(OUT_OF_MEMORY.into())
        } else {
            None
        }
    });

    let h = host.clone();
    engine.on_print(move |s| {
        crate::redact::learn_from_run_once(&h);
        // A closed stdout is reported when the run ends; nothing useful can be done here.
        let _ = h.println(s);
    });
    let h = host.clone();
    engine.on_debug(move |s, src, pos| {
        crate::redact::learn_from_run_once(&h);
        let at = match (src, pos.line()) {
            (Some(src), Some(line)) => format!("{src}:{line}: "),
            _ => String::new(),
        };
        eprintln!("{}", crate::redact::mask(&format!("{at}{s}")));
    });

    crate::api::register_all(&mut engine, host);

    // `std/<name>` is compiled when a script first imports it, then kept for the rest of
    // the process: most commands import none, `switch` only `policy`.
    let mut all = ModuleResolversCollection::new();
    all.push(Builtin::new(stdlib_module));
    all.push(UserLib(FileModuleResolver::new_with_path(
        host.user_lib_dir(),
    )));
    all.push(Builtin::new(lib_module));
    engine.set_module_resolver(all);
    Ok(engine)
}

/// User modules (`import "x"` loads `<lib>/x.rhai`) through Rhai's file resolver, once
/// the file is known to be a regular file of a sane size: Rhai opens and reads it
/// itself, and would wait forever on a FIFO or read `/dev/zero` until memory ran out.
struct UserLib(FileModuleResolver);

impl ModuleResolver for UserLib {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Rc<Module>, Box<EvalAltResult>> {
        crate::files::check_file(&self.0.get_file_path(path, None)).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                path.to_string(),
                Box::new(EvalAltResult::ErrorRuntime(
                    e.to_string().into(),
                    Position::NONE,
                )),
                pos,
            ))
        })?;
        self.0.resolve(engine, source, path, pos)
    }
}

/// Serves embedded modules, each compiled (with the primitives already registered) on
/// its first import and cached: the stdlib as `std/<name>`, ahead of any file on disk,
/// and the built-in copies of the modules a user may replace (`policy`), after the
/// user's lib dir.
struct Builtin {
    find: fn(&str) -> Option<(&'static str, String)>,
    cache: RefCell<BTreeMap<String, Rc<Module>>>,
}

impl Builtin {
    fn new(find: fn(&str) -> Option<(&'static str, String)>) -> Builtin {
        Builtin {
            find,
            cache: RefCell::default(),
        }
    }
}

/// `std/<name>` → the stdlib module and its source name.
fn stdlib_module(path: &str) -> Option<(&'static str, String)> {
    let text = path.strip_prefix("std/").and_then(scripts::stdlib)?;
    Some((text, path.to_string()))
}

/// `<name>` → the built-in copy of a replaceable module, named `builtin:<name>.rhai`.
fn lib_module(path: &str) -> Option<(&'static str, String)> {
    Some((scripts::lib(path)?, format!("builtin:{path}.rhai")))
}

impl ModuleResolver for Builtin {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Rc<Module>, Box<EvalAltResult>> {
        let Some((text, source)) = (self.find)(path) else {
            return Err(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos).into());
        };
        if let Some(m) = self.cache.borrow().get(path) {
            return Ok(m.clone());
        }
        // No borrow is held while compiling: a stdlib module may import another.
        let in_module = |e: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos))
        };
        let mut ast = engine
            .compile(scripts::runnable(text))
            .map_err(|e| in_module(e.into()))?;
        ast.set_source(source);
        let module: Rc<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(in_module)?
            .into();
        self.cache
            .borrow_mut()
            .insert(path.to_string(), module.clone());
        Ok(module)
    }
}

/// The constants every script sees. Compiling with the same scope lets strict mode
/// accept them.
pub fn scope(host: &Host, args: &[String]) -> Scope<'static> {
    let mut scope = Scope::new();
    let args: Array = args.iter().map(|a| Dynamic::from(a.clone())).collect();
    scope.push_constant("ARGS", args);
    scope.push_constant("DRY_RUN", host.dry_run);
    scope.push_constant("AGENT", host.agent.clone());
    scope.push_constant("VERSION", env!("CARGO_PKG_VERSION"));
    scope
}

/// Compiles a script, tagging it with its source name for error messages.
pub fn compile(
    engine: &Engine,
    scope: &Scope,
    source: &str,
    text: &str,
) -> Result<AST, ScriptError> {
    let text = strip_shebang(text);
    let mut ast = engine
        .compile_with_scope(scope, text)
        .map_err(|e| parse_error(&e, source))?;
    ast.set_source(source);
    Ok(ast)
}

fn strip_shebang(text: &str) -> &str {
    // Keep the line count intact so positions stay right: blank the `#!` line only.
    if text.starts_with("#!") {
        match text.find('\n') {
            Some(i) => &text[i..],
            None => "",
        }
    } else {
        text
    }
}

/// Runs a compiled script and returns its final value.
pub fn run(engine: &Engine, scope: &mut Scope, ast: &AST, host: &Host) -> Result<Dynamic, Error> {
    let source = ast.source().unwrap_or("<script>").to_string();
    let result = engine.eval_ast_with_scope::<Dynamic>(scope, ast);
    if host.stdout_closed() {
        return Err(Error::BrokenPipe);
    }
    match result {
        // The deadline passed but the script still finished (a callback's termination
        // was swallowed): the run failed all the same, and every change after the
        // deadline was refused.
        Ok(_) if host.timed_out() => Err(Error::Script(Box::new(timed_out(host, None)))),
        Ok(v) => Ok(v),
        Err(e) => {
            let mut err = convert(&e, &source, host);
            explain_call(engine, &mut err);
            if host.timed_out() && !err.message.contains(&host.timeout_message()) {
                return Err(Error::Script(Box::new(timed_out(host, err.location))));
            }
            Err(Error::Script(Box::new(err)))
        }
    }
}

fn timed_out(host: &Host, location: Option<Location>) -> ScriptError {
    ScriptError {
        message: format!("{}; the script was stopped", host.timeout_message()),
        location,
        notes: Vec::new(),
        exit_code: 1,
        compile: false,
    }
}

pub fn parse_error(e: &ParseError, source: &str) -> ScriptError {
    ScriptError {
        message: format!("syntax error: {}", e.err_type()),
        location: location(source, e.position()),
        notes: Vec::new(),
        exit_code: 2,
        compile: true,
    }
}

fn location(source: &str, pos: Position) -> Option<Location> {
    Some(Location {
        source: source.to_string(),
        line: pos.line()?,
        column: pos.position().unwrap_or(1),
    })
}

/// Converts Rhai's layered error into one `ScriptError`: the root cause with its own
/// location, and the chain of calls that led there as notes (outermost first).
pub fn convert(err: &EvalAltResult, top_source: &str, host: &Host) -> ScriptError {
    let mut notes = Vec::new();
    let mut source = top_source.to_string();
    let mut e = err;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(name, fn_source, inner, pos) => {
                if let Some(at) = location(&source, *pos) {
                    notes.push(format!(
                        "in call to `{name}` at {}:{}:{}",
                        at.source, at.line, at.column
                    ));
                }
                if !fn_source.is_empty() {
                    source = fn_source.clone();
                }
                e = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                if let Some(at) = location(&source, *pos) {
                    notes.push(format!(
                        "in module `{name}` imported at {}:{}:{}",
                        at.source, at.line, at.column
                    ));
                }
                source = name.clone();
                e = inner;
            }
            _ => break,
        }
    }
    let mut exit_code = 1;
    let mut compile = false;
    let message = match e {
        EvalAltResult::ErrorRuntime(value, _) => thrown_message(value, &mut exit_code),
        EvalAltResult::ErrorTerminated(token, _)
            if token.clone().into_string().ok().as_deref() == Some(OUT_OF_MEMORY) =>
        {
            format!(
                "memory limit exceeded ({} MB held); the script keeps growing data (an array, map or string in a loop?) and was stopped",
                MAX_MEMORY_BYTES / 1024 / 1024
            )
        }
        EvalAltResult::ErrorTerminated(..) => {
            format!("{}; the script was stopped", host.timeout_message())
        }
        EvalAltResult::ErrorTooManyOperations(..) => format!(
            "operation limit exceeded ({MAX_OPERATIONS} operations); the script looks stuck in a loop"
        ),
        EvalAltResult::ErrorStackOverflow(..) => format!(
            "call depth limit exceeded ({MAX_CALL_LEVELS} nested calls); look for runaway recursion"
        ),
        EvalAltResult::ErrorDataTooLarge(what, ..) => format!("size limit exceeded: {what}"),
        EvalAltResult::ErrorParsing(p, ..) => {
            exit_code = 2;
            compile = true;
            format!("syntax error: {p}")
        }
        other => {
            // Rhai appends ` (line N, position M)`; the location is shown separately.
            let text = other.to_string();
            match text.rfind(" (line ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            }
        }
    };
    ScriptError {
        message,
        location: location(&source, e.position()),
        notes,
        exit_code,
        compile,
    }
}

/// Rewrites Rhai's `Function not found: decode_jwt (())` as what the function expects
/// and what it was given, from the registered signatures: `decode_jwt expects (token:
/// String), but was given (())`.
fn explain_call(engine: &Engine, err: &mut ScriptError) {
    let Some(call) = err.message.strip_prefix("Function not found: ") else {
        return;
    };
    let (name, given) = match call.split_once(" (") {
        Some((n, g)) => (n.trim(), format!("({}", g)),
        None => (call.trim(), "()".to_string()),
    };
    // A method call on a value (`x.f(y)`) is the function with `x` first.
    let bare = name.rsplit("::").next().unwrap_or(name);
    let known: Vec<String> = engine
        .gen_fn_signatures(true)
        .into_iter()
        .filter(|sig| {
            sig.split_once('(')
                .is_some_and(|(n, _)| n.rsplit("::").next() == Some(bare))
        })
        .collect();
    if known.is_empty() {
        return;
    }
    let friendly = given
        .replace("&str | ImmutableString | String", "String")
        .replace("i64", "INT")
        .replace("f64", "FLOAT")
        .replace("rhai::", "");
    let expects: Vec<String> = known
        .iter()
        .map(|sig| {
            let args = sig.split_once('(').map_or("", |(_, a)| a);
            let args = args.rsplit_once(')').map_or(args, |(a, _)| a);
            format!("({args})")
        })
        .collect();
    err.message = format!(
        "{bare} expects {}, but was given {friendly}",
        expects.join(" or ")
    );
}

/// `throw "text"` exits 1; `throw #{message, exit}` exits with `exit`.
fn thrown_message(value: &Dynamic, exit_code: &mut u8) -> String {
    if let Some(map) = value.read_lock::<rhai::Map>() {
        if let Some(code) = map.get("exit").and_then(|v| v.as_int().ok()) {
            *exit_code = u8::try_from(code).unwrap_or(1);
        }
        return match map.get("message") {
            Some(m) => m.to_string(),
            None => value.to_string(),
        };
    }
    value.to_string()
}
