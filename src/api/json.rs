//! `json::parse`, `json::stringify`, `json::pretty`: JSON text to and from script values,
//! converted the way Rhai's serde support converts them (null becomes `()`).

use std::rc::Rc;

use rhai::{Dynamic, Engine, Module};
use serde_json::Value;

use super::state::{Entry, ProfileStatuses, RECORDED};
use super::{RhaiResult, def};
use crate::host::Host;

pub fn register(engine: &mut Engine, _host: &Rc<Host>) {
    let mut m = Module::new();
    def(
        "parse",
        &["text: String", "Dynamic"],
        "Parses JSON text into a script value (objects become maps, null becomes `()`).\n\
         Errors: the text is not valid JSON; the message gives line and column.\n\
         Example: `let v = json::parse(\"{\\\"a\\\": 1}\"); print(v.a);`",
    )
    .set_into_module(&mut m, |text: &str| -> RhaiResult<Dynamic> {
        Ok(parse(text.as_bytes()).map_err(|e| format!("json::parse: invalid JSON: {e}"))?)
    });
    def(
        "stringify",
        &["value: Dynamic", "String"],
        "Serializes a script value as compact JSON (`()` becomes null).\n\
         Errors: the value holds something JSON cannot represent, such as a function pointer.\n\
         Example: `print(json::stringify(#{a: [1, 2]}));  // {\"a\":[1,2]}`",
    )
    .set_into_module(&mut m, |value: Dynamic| to_text(&value, false));
    def(
        "pretty",
        &["value: Dynamic", "String"],
        "Serializes a script value as JSON indented by two spaces, as OpenClaw writes its files.\n\
         Errors: as `json::stringify`.\n\
         Example: `print(json::pretty(models_status()));`",
    )
    .set_into_module(&mut m, |value: Dynamic| to_text(&value, true));
    engine.register_static_module("json", m.into());
}

/// JSON to a script value, as `rhai::serde::to_dynamic` makes it (null is `()`, an
/// integer beyond `i64` a float, objects maps), without going through serde: a status
/// with a thousand profiles converts in a third of the time.
pub fn into_dynamic(v: Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(s),
        Value::Array(items) => Dynamic::from_array(items.into_iter().map(into_dynamic).collect()),
        Value::Object(m) => Dynamic::from_map(
            m.into_iter()
                .map(|(k, v)| (k.into(), into_dynamic(v)))
                .collect(),
        ),
    }
}

/// JSON text straight to script values, as [`into_dynamic`] converts the parsed JSON,
/// without building the JSON tree first: a switch state with a thousand profiles'
/// statuses is six thousand values, each a map entry whose key needs no copy of its
/// own.
pub fn parse(text: &[u8]) -> serde_json::Result<Dynamic> {
    Ok(serde_json::from_slice::<Script>(text)?.0)
}

/// A switch state's text, as [`parse`] reads it but with its `profileStatuses` map read
/// straight into [`ProfileStatuses`]: a thousand entries of five fields, not a thousand
/// maps built to be converted.
pub fn parse_state(text: &[u8]) -> serde_json::Result<Dynamic> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde::Deserializer::deserialize_any(&mut de, StateVisitor)?;
    de.end()?;
    Ok(value)
}

/// The visits of every value but an object, as [`ScriptVisitor`] makes it, for a
/// visitor that reads only objects its own way.
macro_rules! others_as_script {
    ($t:ty, $wrap:expr) => {
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<$t, A::Error> {
            serde::de::Visitor::visit_seq(ScriptVisitor, seq).map($wrap)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<$t, E> {
            serde::de::Visitor::visit_unit(ScriptVisitor).map($wrap)
        }
        fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<$t, E> {
            serde::de::Visitor::visit_bool(ScriptVisitor, b).map($wrap)
        }
        fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<$t, E> {
            serde::de::Visitor::visit_i64(ScriptVisitor, i).map($wrap)
        }
        fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<$t, E> {
            serde::de::Visitor::visit_u64(ScriptVisitor, u).map($wrap)
        }
        fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<$t, E> {
            serde::de::Visitor::visit_f64(ScriptVisitor, f).map($wrap)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<$t, E> {
            serde::de::Visitor::visit_str(ScriptVisitor, s).map($wrap)
        }
        fn visit_string<E: serde::de::Error>(self, s: String) -> Result<$t, E> {
            serde::de::Visitor::visit_string(ScriptVisitor, s).map($wrap)
        }
    };
}

/// The top of a state file: any value, an object's `profileStatuses` read as statuses.
struct StateVisitor;

impl<'de> serde::de::Visitor<'de> for StateVisitor {
    type Value = Dynamic;
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Dynamic, A::Error> {
        let mut entries = Vec::new();
        while let Some(Key(k)) = map.next_key()? {
            let v = if k == "profileStatuses" {
                map.next_value_seed(StatusesSeed)?
            } else {
                map.next_value::<Script>()?.0
            };
            entries.push((k, v));
        }
        Ok(Dynamic::from_map(entries.into_iter().collect()))
    }
    others_as_script!(Dynamic, |s: Script| s.0);
}

/// `profileStatuses`: an object as [`ProfileStatuses`], anything else as it is.
struct StatusesSeed;

impl<'de> serde::de::DeserializeSeed<'de> for StatusesSeed {
    type Value = Dynamic;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Dynamic, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StatusesSeed {
    type Value = Dynamic;
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Dynamic, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(Key(k)) = map.next_key()? {
            entries.push((k, map.next_value_seed(EntrySeed)?));
        }
        Ok(Dynamic::from(ProfileStatuses::new(entries)))
    }
    others_as_script!(Dynamic, |s: Script| s.0);
}

/// One entry of `profileStatuses`: a recorded one when it is exactly one.
struct EntrySeed;

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed {
    type Value = Entry;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for EntrySeed {
    type Value = Entry;
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        // The members of a recorded entry go to their slots, any other to `extra`; only
        // an entry that is not a recorded one is then built as a map.
        let mut slots: [Option<Dynamic>; 5] = Default::default();
        let mut extra = Vec::new();
        while let Some(Key(k)) = map.next_key()? {
            let Script(v) = map.next_value()?;
            match RECORDED.iter().position(|r| *r == k) {
                Some(i) => slots[i] = Some(v),
                None => extra.push((k, v)),
            }
        }
        if extra.is_empty()
            && let Some(entry) = Entry::from_slots(&slots)
        {
            return Ok(entry);
        }
        let map = RECORDED
            .iter()
            .zip(slots)
            .filter_map(|(k, v)| Some(((*k).into(), v?)))
            .chain(extra)
            .collect();
        Ok(Entry::Other(Dynamic::from_map(map)))
    }
    others_as_script!(Entry, |s: Script| Entry::Other(s.0));
}

/// One script value read from JSON (see [`parse`]).
struct Script(Dynamic);

/// A map key read from JSON, kept inline when it is short (ids, field names).
struct Key(MapKey);

/// The key type of a script map, which Rhai does not export by name.
pub type MapKey = <<rhai::Map as IntoIterator>::Item as Pair>::First;

pub trait Pair {
    type First;
}

impl<A, B> Pair for (A, B) {
    type First = A;
}

impl<'de> serde::Deserialize<'de> for Script {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScriptVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl serde::de::Visitor<'_> for KeyVisitor {
    type Value = Key;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key, E> {
        Ok(Key(s.into()))
    }
}

struct ScriptVisitor;

impl<'de> serde::de::Visitor<'de> for ScriptVisitor {
    type Value = Script;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Script, E> {
        Ok(Script(Dynamic::UNIT))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Script, E> {
        Ok(Script(Dynamic::from_bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Script, E> {
        Ok(Script(Dynamic::from_int(i)))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Script, E> {
        Ok(Script(match i64::try_from(u) {
            Ok(i) => Dynamic::from_int(i),
            Err(_) => Dynamic::from_float(u as f64),
        }))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Script, E> {
        Ok(Script(Dynamic::from_float(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Script, E> {
        Ok(Script(Dynamic::from(rhai::ImmutableString::from(s))))
    }
    fn visit_string<E>(self, s: String) -> Result<Script, E> {
        Ok(Script(Dynamic::from(s)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Script, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Script(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Script(Dynamic::from_array(items)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Script, A::Error> {
        // Collected, then built in one go: a `BTreeMap` from a list sorts it once and
        // keeps the last of a repeated key, as inserting one by one would.
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((Key(k), Script(v))) = map.next_entry()? {
            entries.push((k, v));
        }
        Ok(Script(Dynamic::from_map(entries.into_iter().collect())))
    }
}

pub fn to_value(d: &Dynamic) -> RhaiResult<Value> {
    let flat;
    let d = if d.is_shared() {
        flat = d.flatten_clone();
        &flat
    } else {
        d
    };
    if let Some(v) = plain_value(d) {
        return Ok(v);
    }
    // Anything else (function pointers, blobs, timestamps, custom types, shared values
    // inside) goes through serde as before, which converts it or says why it cannot.
    rhai::serde::from_dynamic::<Value>(d).map_err(|e| format!("cannot convert to JSON: {e}").into())
}

/// `d` as JSON text (indented by two spaces when `pretty`), as `to_value` converts it.
/// A value made only of plain parts is written straight from the script value: a
/// switch state with a thousand profiles' statuses is neither built as a JSON tree nor
/// put through serde's machinery value by value first.
pub fn to_text(d: &Dynamic, pretty: bool) -> RhaiResult<String> {
    written(d, pretty, false)
}

/// [`to_text`] with every secret the run has read masked (`redact::mask`): the text is
/// scanned once it is written, in one pass whatever the number of secrets, which costs
/// less than masking its eight thousand strings one by one as they are written.
pub fn to_masked_text(d: &Dynamic, pretty: bool) -> RhaiResult<String> {
    written(d, pretty, true)
}

/// [`to_text`], `masked` or not. A value that is not plain goes through `to_value` and
/// serde once `write_plain` has given up on it.
fn written(d: &Dynamic, pretty: bool, masked: bool) -> RhaiResult<String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot convert to JSON: {e}");
    let mut out = Vec::new();
    let text = if write_plain(d, pretty, 0, &mut out) {
        String::from_utf8(out).map_err(|e| fail(&e))?
    } else {
        let v = to_value(d)?;
        if pretty {
            serde_json::to_string_pretty(&v)
        } else {
            serde_json::to_string(&v)
        }
        .map_err(|e| fail(&e))?
    };
    Ok(if masked {
        crate::redact::masked(text)
    } else {
        text
    })
}

/// Writes `d` into `out` as serde_json writes the same value (compact, or indented by
/// two spaces at `depth`); false, with `out` partly written, when `d` holds anything
/// but `()`, booleans, integers, floats, strings, characters, arrays, maps and
/// [`ProfileStatuses`].
fn write_plain(d: &Dynamic, pretty: bool, depth: usize, out: &mut Vec<u8>) -> bool {
    Plain { pretty, out }.value(d, depth)
}

/// Where [`write_plain`] writes, and how.
struct Plain<'a> {
    pretty: bool,
    out: &'a mut Vec<u8>,
}

impl Plain<'_> {
    fn value(&mut self, d: &Dynamic, depth: usize) -> bool {
        // Each type asked for by `read_lock`, which says no without naming the type the
        // value has (as `as_bool` and the like do): strings first, the most common.
        if d.is_shared() {
            false
        } else if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
            self.string(s.as_str())
        } else if d.is_unit() {
            self.null()
        } else if let Some(b) = d.read_lock::<bool>() {
            self.scalar(&*b)
        } else if let Some(i) = d.read_lock::<rhai::INT>() {
            self.scalar(&*i)
        } else if let Some(f) = d.read_lock::<rhai::FLOAT>() {
            // serde_json writes a NaN or an infinity as null, as `to_value` converts it.
            self.scalar(&*f)
        } else if let Some(c) = d.read_lock::<char>() {
            self.scalar(&*c)
        } else if let Some(a) = d.read_lock::<rhai::Array>() {
            self.out.push(b'[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.line(depth + 1);
                if !self.value(v, depth + 1) {
                    return false;
                }
            }
            if !a.is_empty() {
                self.line(depth);
            }
            self.out.push(b']');
            true
        } else if let Some(p) = d.read_lock::<ProfileStatuses>() {
            // An entry is written in under two hundred bytes: room for them all at once
            // rather than a state's text copied as it doubles.
            self.out.reserve(p.entries().len() * 192);
            let lines = EntryLines::new(self.pretty, depth + 1);
            let entries = p.entries().iter().map(|(id, e)| (id.as_str(), e));
            self.object(depth, entries, |w, e, depth| w.entry(e, depth, &lines))
        } else if let Some(m) = d.read_lock::<rhai::Map>() {
            let entries = m.iter().map(|(k, v)| (k.as_str(), v));
            self.object(depth, entries, |w, v, depth| w.value(v, depth))
        } else {
            false
        }
    }

    /// One entry of [`ProfileStatuses`]: a recorded one straight from its fields, as
    /// the map it stands for is written (members in [`RECORDED`] order, each `()` as
    /// null), through the member lines `lines` made for its depth: a state holds one
    /// per profile, and this was most of writing it.
    fn entry(&mut self, e: &Entry, depth: usize, lines: &EntryLines) -> bool {
        let (usable, kind, reason, until, model) = match e.parts() {
            Ok(parts) => parts,
            Err(d) => return self.value(d, depth),
        };
        let text = |w: &mut Self, t: &Option<rhai::ImmutableString>| match t {
            Some(t) => w.string(t),
            None => w.null(),
        };
        let [k, m, r, u, ok] = &lines.members;
        self.out.extend_from_slice(k);
        text(self, kind);
        self.out.extend_from_slice(m);
        text(self, model);
        self.out.extend_from_slice(r);
        text(self, reason);
        self.out.extend_from_slice(u);
        match until {
            Some(until) => self.scalar(until),
            None => self.null(),
        };
        self.out.extend_from_slice(ok);
        self.out
            .extend_from_slice(if *usable { b"true" } else { b"false" });
        self.out.extend_from_slice(&lines.end);
        true
    }

    /// A member's name on its own line at `depth`, up to its value.
    fn key(&mut self, k: &str, depth: usize) {
        self.line(depth);
        self.string(k);
        self.out
            .extend_from_slice(if self.pretty { b": " } else { b":" });
    }

    fn null(&mut self) -> bool {
        self.out.extend_from_slice(b"null");
        true
    }

    /// An object of `entries`, each value written by `write`.
    fn object<'k, V>(
        &mut self,
        depth: usize,
        entries: impl ExactSizeIterator<Item = (&'k str, V)>,
        mut write: impl FnMut(&mut Self, V, usize) -> bool,
    ) -> bool {
        let empty = entries.len() == 0;
        self.out.push(b'{');
        for (i, (k, v)) in entries.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.key(k, depth + 1);
            if !write(self, v, depth + 1) {
                return false;
            }
        }
        if !empty {
            self.line(depth);
        }
        self.out.push(b'}');
        true
    }

    /// Writing JSON into a `Vec` cannot fail: serde_json fails only on I/O and on map
    /// keys that are not strings.
    fn scalar<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> bool {
        serde_json::to_writer(&mut *self.out, v).is_ok()
    }

    /// Most strings (keys, ids, kinds) need no escape; serde_json writes the others.
    fn string(&mut self, s: &str) -> bool {
        if needs_escape(s.as_bytes()) {
            return self.scalar(s);
        }
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        true
    }

    fn line(&mut self, depth: usize) {
        const SPACES: &[u8; 64] = &[b' '; 64];
        if self.pretty {
            self.out.push(b'\n');
            let mut left = 2 * depth;
            while left > 0 {
                let n = left.min(SPACES.len());
                self.out.extend_from_slice(&SPACES[..n]);
                left -= n;
            }
        }
    }
}

/// What a recorded [`Entry`] at one depth is written with, but its values: the opening
/// brace with the first member's line and name, each other member's comma, line and
/// name, the closing line and brace.
struct EntryLines {
    members: [Vec<u8>; 5],
    end: Vec<u8>,
}

impl EntryLines {
    fn new(pretty: bool, depth: usize) -> EntryLines {
        let written = |write: &dyn Fn(&mut Plain)| {
            let mut out = Vec::new();
            write(&mut Plain {
                pretty,
                out: &mut out,
            });
            out
        };
        EntryLines {
            members: RECORDED.map(|k| {
                written(&|w| {
                    w.out.push(if k == RECORDED[0] { b'{' } else { b',' });
                    w.key(k, depth + 1);
                })
            }),
            end: written(&|w| {
                w.line(depth);
                w.out.push(b'}');
            }),
        }
    }
}

/// Whether JSON writes `s` with escapes: it holds a control character, a quote or a
/// backslash. Eight bytes at a time: a switch state's thousand ids and five thousand
/// status words are checked on every save.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Whether any byte of `x` is below `n` (at most 0x80), all eight at once.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH != 0;
    let zero = |x: u64| below(x, 1);
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let x = u64::from_le_bytes(bytes);
        if below(x, 0x20)
            || zero(x ^ (ONES * u64::from(b'"')))
            || zero(x ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// A script value made of `()`, booleans, integers, floats, strings, characters, arrays
/// and maps, as `rhai::serde::from_dynamic` converts it, without copying it first;
/// `None` for anything else.
fn plain_value(d: &Dynamic) -> Option<Value> {
    if d.is_shared() {
        None
    } else if let Some(v) = super::model::custom_value(d) {
        Some(v)
    } else if d.is_unit() {
        Some(Value::Null)
    } else if let Ok(b) = d.as_bool() {
        Some(Value::Bool(b))
    } else if let Ok(i) = d.as_int() {
        Some(Value::from(i))
    } else if let Ok(f) = d.as_float() {
        Some(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
    } else if let Some(s) = d.read_lock::<rhai::ImmutableString>() {
        Some(Value::String(s.to_string()))
    } else if let Ok(c) = d.as_char() {
        Some(Value::String(c.to_string()))
    } else if let Some(a) = d.read_lock::<rhai::Array>() {
        a.iter()
            .map(plain_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
    } else if let Some(m) = d.read_lock::<rhai::Map>() {
        m.iter()
            .map(|(k, v)| Some((k.to_string(), plain_value(v)?)))
            .collect::<Option<serde_json::Map<_, _>>>()
            .map(Value::Object)
    } else {
        None
    }
}

/// Whether `d` converts to `v` ([`to_value`]), judged without converting it, beside
/// [`plain_value`] so that the two keep to one conversion; false for anything but `()`,
/// booleans, integers, strings, arrays and maps, which a caller then converts.
pub fn converts_to(d: &Dynamic, v: &Value) -> bool {
    // Led by the JSON side, so that each value is asked for one type only: asking a
    // string whether it is a boolean names its type for the error, and two thousand
    // account ids were compared that way on every quiet run.
    if d.is_shared() {
        return false;
    }
    match v {
        Value::Null => d.is_unit(),
        Value::Bool(b) => d.read_lock::<bool>().is_some_and(|x| *x == *b),
        Value::Number(n) => d
            .read_lock::<rhai::INT>()
            .is_some_and(|i| n.as_i64() == Some(*i)),
        Value::String(s) => d
            .read_lock::<rhai::ImmutableString>()
            .is_some_and(|x| x.as_str() == s),
        Value::Array(items) => d.read_lock::<rhai::Array>().is_some_and(|a| {
            items.len() == a.len() && a.iter().zip(items).all(|(d, v)| converts_to(d, v))
        }),
        // A script map's keys are sorted, and so are those of the JSON object made of it.
        Value::Object(o) => d.read_lock::<rhai::Map>().is_some_and(|m| {
            o.len() == m.len()
                && m.iter()
                    .zip(o)
                    .all(|((dk, d), (k, v))| dk.as_str() == k && converts_to(d, v))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "null": null, "t": true, "f": false, "int": -42, "big": 18446744073709551615u64,
            "i64max": 9223372036854775807i64, "float": 1.5, "exp": 1e300, "s": "héllo \"x\"",
            "long": "a string longer than twenty-three bytes, kept whole",
            "arr": [1, "two", null, [3.25], {"k": "v"}], "obj": {"z": 1, "a": {"b": []}},
            "": "empty key", "until": 1795608000000i64, "none": {}, "zero": -0.0,
            "control": "tab\t nul\u{0} bell\u{7} line\nend \\ /", "small": 1e-7
        })
    }

    #[test]
    fn a_string_needs_escapes_exactly_when_json_writes_it_with_them() {
        // Every byte value at every place of an eight-byte block and the tail after it.
        for len in [1, 7, 8, 9, 16, 17] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    let escaped = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(needs_escape(&s), escaped, "byte {b:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape(b""));
        assert!(!needs_escape(
            "h\u{e9}llo w\u{f6}rld, caf\u{e9}s".as_bytes()
        ));
    }

    #[test]
    fn json_to_script_values_as_rhai_serde_does() {
        let v = sample();
        let ours = into_dynamic(v.clone());
        let serde = rhai::serde::to_dynamic(&v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{ours:?}"), format!("{serde:?}"));
        assert_eq!(ours.type_name(), serde.type_name());
        // Parsed straight from the text, escapes and a repeated key included.
        let mut text = serde_json::to_string(&v).unwrap_or_default();
        text.insert_str(1, r#""k\u00e9y\n": "v\"", "int": 7, "#);
        let parsed = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let via_tree = serde_json::from_str(&text).map(into_dynamic);
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", via_tree.unwrap_or_default())
        );
        assert!(format!("{parsed:?}").contains(r#""kéy\n": "v\"""#));
        let broken = br#"{"a": [1,"#;
        let bad = parse(broken).map(|_| ()).map_err(|e| e.to_string());
        let bad_tree = serde_json::from_slice::<Value>(broken).map(|_| ());
        assert_eq!(bad, bad_tree.map_err(|e| e.to_string()));
    }

    #[test]
    fn script_values_to_json_as_rhai_serde_does() {
        let mut d = into_dynamic(sample());
        if let Some(mut m) = d.write_lock::<rhai::Map>() {
            m.insert("c".into(), Dynamic::from_char('x'));
            m.insert("nan".into(), Dynamic::from_float(f64::NAN));
        }
        let serde = rhai::serde::from_dynamic::<Value>(&d).unwrap_or_else(|e| panic!("{e}"));
        let ours = to_value(&d).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours, serde);
        assert_eq!(ours.to_string(), serde.to_string());
        // A shared value: converted as a whole, but not inside a map (serde refuses).
        let shared = d.clone().into_shared();
        assert_eq!(to_value(&shared).unwrap_or_else(|e| panic!("{e}")), serde);
        if let Some(mut m) = d.write_lock::<rhai::Map>() {
            m.insert("shared".into(), Dynamic::from(7_i64).into_shared());
        }
        let old = rhai::serde::from_dynamic::<Value>(&d).map_err(|e| e.to_string());
        let new = to_value(&d).map_err(|e| e.to_string());
        assert!(old.is_err());
        assert_eq!(
            new,
            old.map_err(|e| format!("Runtime error: cannot convert to JSON: {e}"))
        );
        // Written straight from the script value, the text is the same.
        let mut plain = into_dynamic(sample());
        if let Some(mut m) = plain.write_lock::<rhai::Map>() {
            m.insert("c".into(), Dynamic::from_char('x'));
            m.insert("nan".into(), Dynamic::from_float(f64::NAN));
        }
        let mut out = Vec::new();
        assert!(write_plain(&plain, true, 0, &mut out) && !write_plain(&d, true, 0, &mut out));
        let via = to_value(&plain).unwrap_or_else(|e| panic!("{e}"));
        let text = |pretty| to_text(&plain, pretty).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text(false), via.to_string());
        assert_eq!(
            text(true),
            serde_json::to_string_pretty(&via).unwrap_or_default()
        );
        // What JSON cannot hold fails the same way as before.
        let f = Dynamic::from(rhai::FnPtr::new("f").unwrap_or_else(|e| panic!("{e}")));
        assert!(to_value(&f).is_err());
    }
}
