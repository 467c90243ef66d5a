//! `json::parse`, `json::stringify`, `json::pretty`: JSON text to and from script values,
//! through Rhai's serde support (null becomes `()`).

use std::rc::Rc;

use rhai::{Dynamic, Engine, Module};
use serde_json::Value;

use super::{RhaiResult, def};
use crate::host::Host;

pub fn register(engine: &mut Engine, _host: &Rc<Host>) {
    let mut m = Module::new();
    def(
        "parse",
        &["text: &str", "Dynamic"],
        "Parses JSON text into a script value (objects become maps, null becomes `()`).\n\
         Errors: the text is not valid JSON; the message gives line and column.\n\
         Example: `let v = json::parse(\"{\\\"a\\\": 1}\"); print(v.a);`",
    )
    .set_into_module(&mut m, |text: &str| -> RhaiResult<Dynamic> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("json::parse: invalid JSON: {e}"))?;
        from_value(&v)
    });
    def(
        "stringify",
        &["value: Dynamic", "String"],
        "Serializes a script value as compact JSON (`()` becomes null).\n\
         Errors: the value holds something JSON cannot represent, such as a function pointer.\n\
         Example: `print(json::stringify(#{a: [1, 2]}));  // {\"a\":[1,2]}`",
    )
    .set_into_module(&mut m, |value: Dynamic| -> RhaiResult<String> {
        let v = to_value(&value)?;
        Ok(v.to_string())
    });
    def(
        "pretty",
        &["value: Dynamic", "String"],
        "Serializes a script value as JSON indented by two spaces, as OpenClaw writes its files.\n\
         Errors: as `json::stringify`.\n\
         Example: `print(json::pretty(models_status()));`",
    )
    .set_into_module(&mut m, |value: Dynamic| -> RhaiResult<String> {
        let v = to_value(&value)?;
        serde_json::to_string_pretty(&v).map_err(|e| format!("json::pretty: {e}").into())
    });
    engine.register_static_module("json", m.into());
}

pub fn from_value(v: &Value) -> RhaiResult<Dynamic> {
    rhai::serde::to_dynamic(v)
}

pub fn to_value(d: &Dynamic) -> RhaiResult<Value> {
    rhai::serde::from_dynamic::<Value>(&d.flatten_clone())
        .map_err(|e| format!("cannot convert to JSON: {e}").into())
}
