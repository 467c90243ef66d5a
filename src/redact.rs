//! Masking of secrets in anything clawshift shows or writes: a secret is replaced by its
//! fingerprint (`<redacted sha256:…>`), so output can say which one is meant without
//! revealing it.
//!
//! Secrets are found two ways:
//! - by **key**: a string at a secret-bearing path of a store, `auth.json` or
//!   `openclaw.json` ([`is_secret_path`]). The patterns are OpenClaw 2026.9.6's own
//!   (`SENSITIVE_PATTERNS` and `SENSITIVE_KEY_WHITELIST_SUFFIXES` in
//!   `dist/sensitive-paths-*.mjs`, from `src/config/sensitive-paths.ts`, used by
//!   `redactConfigSnapshot` in `dist/redact-snapshot-*.mjs` to put
//!   `__OPENCLAW_REDACTED__` in its UI/API output), plus the credential fields
//!   `access`, `refresh`, `key` of stores, `auth.json` and credential maps, everything
//!   under `env` and under `gateway.auth` but its `mode` (OpenClaw marks those through
//!   its schema hints rather than by name). Profile ids in a path are ignored.
//!   tests/fixtures/openclaw-real/sensitive-paths-2026.9.6.tsv records OpenClaw's own
//!   verdict for every config path its schema labels; tests/cli/secrets.rs holds this
//!   module to it, and tests/compat/run.sh checks the record against the installed
//!   OpenClaw.
//! - by **value**: every secret read by key in this run (the readers of stores, config
//!   and `auth.json` call [`learn_json`]/[`learn_config`]) goes into a process-wide
//!   registry, and [`mask`] replaces each of them wherever it appears, whatever its shape
//!   (letters only, digits only, opaque, JWT). Every renderer applies it: stdout
//!   (`Host::println`: diffs, status, history, `eval` results, script `print`), stderr
//!   (error reports, script `debug` and `eprint`), the journal's command line, notices
//!   and state files. Where one of these may run before any store was read (an error,
//!   script output, a journal line, `history`), [`learn_from_run`] reads the run's
//!   stores, config and `auth.json` first.
//!
//! Values shorter than [`MIN_LEARNED`] are masked by key only: a short value such as
//! `gateway.auth.mode: "token"` would otherwise blank ordinary words everywhere.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::jwt::fingerprint;

/// The shortest value the registry learns.
pub const MIN_LEARNED: usize = 8;

/// Every secret value read in this process, indexed for [`mask`].
static KNOWN: Mutex<Option<Registry>> = Mutex::new(None);

/// The known values, bucketed by their last [`MIN_LEARNED`] bytes. Masking a text is then
/// one pass over it, whatever the number of secrets (a store with a thousand accounts
/// holds two thousand tokens), and learning a value costs one insert: no automaton is
/// rebuilt, which with thousands of JWTs took longer than the rest of a run. The end
/// is the key because tokens share their beginnings (every JWT starts `eyJhbGciOi`)
/// but not their ends (signatures, account ids).
#[derive(Default)]
struct Registry {
    /// Each value once. The tables below name a value by its place here: an `Arc`
    /// cloned into each of them was a locked increment apiece, each waiting for the
    /// copy of the value just written.
    kept: Vec<Arc<str>>,
    /// Each value's place, found by one hash of it (a token is a kilobyte) and never
    /// hashed again when the table grows.
    values: hashbrown::HashTable<(u64, usize)>,
    hasher: foldhash::quality::RandomState,
    /// Each value by its tail ([`tail`]), found by the tail's hash ([`tail_hash`]). One
    /// entry per value rather than a list per tail: tokens that end alike (unsigned
    /// test JWTs) are entries under one hash, and real ones rarely end alike.
    by_tail: hashbrown::HashTable<(u64, usize)>,
    /// How far a scan may move on past a position, by the hash of the four bytes
    /// before it (Wu–Manber): how close before a value's end those bytes stand in any
    /// of the values' last [`MIN_LEARNED`] bytes, else [`MAX_SHIFT`]. A zero means a
    /// value may end here; most positions of a text are passed over five at a time.
    shift: Vec<u8>,
}

/// The longest move of a scan: a block of four bytes that ends nowhere in a value's
/// last [`MIN_LEARNED`] bytes lets no value end in the next five positions.
const MAX_SHIFT: u8 = (MIN_LEARNED - 4 + 1) as u8;

impl Registry {
    /// Learns `value`; returns the registry's copy, which a reader may keep instead of
    /// a copy of its own.
    fn insert(&mut self, value: &str) -> Arc<str> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(value);
        let kept = &self.kept;
        if let Some(&(_, at)) = self.values.find(hash, |&(_, at)| *kept[at] == *value) {
            return kept[at].clone();
        }
        let at = self.kept.len();
        self.values.insert_unique(hash, (hash, at), |&(h, _)| h);
        let b = value.as_bytes();
        let t = tail(b);
        self.by_tail
            .insert_unique(tail_hash(t), (t, at), |&(t, _)| tail_hash(t));
        if self.shift.is_empty() {
            self.shift = vec![MAX_SHIFT; 1 << 16];
        }
        // The block ending `to_end` bytes before the value's end.
        for to_end in 0..MAX_SHIFT {
            let slot = &mut self.shift[block_hash(&b[..b.len() - usize::from(to_end)])];
            *slot = (*slot).min(to_end);
        }
        let value: Arc<str> = value.into();
        self.kept.push(value.clone());
        value
    }

    /// One step of a scan at `end` of `b`: what ends there goes to `found`, and `end`
    /// moves on as far as no value can end before.
    #[inline(always)]
    fn step(&self, b: &[u8], end: &mut usize, found: &mut Vec<(usize, usize)>) {
        // Never past a value's end: the block before it is in its last bytes.
        let skip = usize::from(self.shift[block_hash(&b[..*end])]);
        if skip == 0 {
            self.ending_at(b, *end, found);
        }
        *end += skip.max(1);
    }

    /// Adds to `found` every known value that ends at `end` of `b`.
    fn ending_at(&self, b: &[u8], end: usize, found: &mut Vec<(usize, usize)>) {
        let t = tail(&b[..end]);
        for &(_, at) in self.by_tail.iter_hash(tail_hash(t)).filter(|e| e.0 == t) {
            let v = &self.kept[at];
            if let Some(start) = end.checked_sub(v.len())
                && &b[start..end] == v.as_bytes()
            {
                found.push((start, end));
            }
        }
    }

    fn reserve(&mut self, additional: usize) {
        self.kept.reserve(additional);
        self.values.reserve(additional, |&(h, _)| h);
        self.by_tail.reserve(additional, |&(t, _)| tail_hash(t));
    }

    /// Every occurrence of a known value in `text`, as byte ranges: the leftmost first,
    /// and at one position the longest, none overlapping (a value that contains
    /// another is masked whole).
    fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let b = text.as_bytes();
        if self.shift.is_empty() {
            return Vec::new();
        }
        let mut found = Vec::new();
        if b.len() < MIN_LEARNED {
            return found;
        }
        // Each step of a scan waits for the one before: where it reads next depends on
        // the shift it just looked up. So the text is scanned as [`LANES`] parts at
        // once, each lane for the values that end in its part, one step of each in
        // turn: the lanes' lookups overlap. With one lane, masking a 1,000-profile
        // switch state was ~6% of the switch; with eight the switch takes ~5% less.
        let part = (b.len() - MIN_LEARNED) / LANES + 1;
        let mut ends: [usize; LANES] = std::array::from_fn(|i| MIN_LEARNED + i * part);
        let limits: [usize; LANES] =
            std::array::from_fn(|i| (MIN_LEARNED + (i + 1) * part).min(b.len() + 1));
        while ends.iter().zip(&limits).all(|(end, limit)| end < limit) {
            for end in &mut ends {
                self.step(b, end, &mut found);
            }
        }
        for (end, limit) in ends.iter_mut().zip(limits) {
            while *end < limit {
                self.step(b, end, &mut found);
            }
        }
        found.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (start, end) in found {
            if out.last().is_none_or(|&(_, last_end)| start >= last_end) {
                out.push((start, end));
            }
        }
        out
    }
}

/// How many parts of a text [`Registry::find`] scans at once.
const LANES: usize = 8;

/// The hash of the last four bytes of `b`, an index into the shift table.
#[inline(always)]
fn block_hash(b: &[u8]) -> usize {
    let mut t = [0u8; 4];
    t.copy_from_slice(&b[b.len() - 4..]);
    (u32::from_le_bytes(t).wrapping_mul(0x9E37_79B1) >> 16) as usize
}

/// The last [`MIN_LEARNED`] bytes of `b` as one number.
fn tail(b: &[u8]) -> u64 {
    let mut t = [0u8; 8];
    t.copy_from_slice(&b[b.len() - MIN_LEARNED..]);
    u64::from_le_bytes(t)
}

/// A tail's hash: its bytes are already well-mixed bytes of tokens, and one
/// multiplication spreads them (SipHash per position of every masked text was a tenth
/// of a run); the product's two halves folded, so the low bits hashbrown places by and
/// the high bits it compares are both mixed.
fn tail_hash(t: u64) -> u64 {
    let m = u128::from(t) * 0x9E37_79B9_7F4A_7C15;
    (m as u64) ^ ((m >> 64) as u64)
}

/// OpenClaw's `SENSITIVE_PATTERNS` (src/config/sensitive-paths.ts), as a test on the
/// lower-cased dotted path: `/token$/`, `/password/`, `/secret/`, `/api.?key/`,
/// `/encrypt.?key/`, `/private.?key/`, `/serviceaccount(?:ref)?$/`.
fn openclaw_sensitive(lower: &str) -> bool {
    // `prefix` then at most one character, then `key`.
    let sep_key = |prefix: &str| {
        lower.match_indices(prefix).any(|(i, _)| {
            let rest = &lower[i + prefix.len()..];
            let after_one = rest.char_indices().nth(1).map_or("", |(j, _)| &rest[j..]);
            rest.starts_with("key") || after_one.starts_with("key")
        })
    };
    lower.ends_with("token")
        || lower.contains("password")
        || lower.contains("secret")
        || sep_key("api")
        || sep_key("encrypt")
        || sep_key("private")
        || lower.ends_with("serviceaccount")
        || lower.ends_with("serviceaccountref")
}

/// OpenClaw's `SENSITIVE_KEY_WHITELIST_SUFFIXES`: names that match a pattern but hold no
/// secret (`maxTokens`, `passwordFile`, …).
const WHITELIST_SUFFIXES: &[&str] = &[
    "maxtokens",
    "maxoutputtokens",
    "maxinputtokens",
    "maxcompletiontokens",
    "contexttokens",
    "totaltokens",
    "tokencount",
    "tokenlimit",
    "tokenbudget",
    "passwordfile",
];

/// Store and `auth.json` credential fields that OpenClaw's name patterns miss.
const CREDENTIAL_KEYS: &[&str] = &["access", "refresh", "key"];

/// Settings under `gateway.auth` that name a mode rather than hold a secret.
const GATEWAY_AUTH_PLAIN: &[&str] = &["mode", "allowtailscale", "identityscopes"];

/// Whether a string at this dotted path (`channels.telegram.botToken`,
/// `profiles.openai:alice.access`, `env.OPENAI_API_KEY`) is a secret.
pub fn is_secret_path(path: &str) -> bool {
    // Profile ids (`provider:name`) are names a user chose: `openai-codex:secretary`
    // must not make its `email` a secret.
    let lower = path
        .to_ascii_lowercase()
        .split('.')
        .filter(|seg| !seg.contains(':'))
        .collect::<Vec<_>>()
        .join(".");
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    if lower.starts_with("env.") || lower.contains("localservice.env.") {
        return true;
    }
    if let Some(rest) = lower.strip_prefix("gateway.auth.") {
        return !GATEWAY_AUTH_PLAIN.contains(&rest);
    }
    // `access`/`refresh`/`key` are credentials in a store (`profiles.<id>.…`), in
    // `auth.json` (`tokens.…`) and in a credential map a script passes (a bare key);
    // in `openclaw.json` a `key` is often a plain setting.
    let store_like =
        !lower.contains('.') || lower.starts_with("profiles.") || lower.starts_with("tokens.");
    if store_like && CREDENTIAL_KEYS.contains(&last) {
        return true;
    }
    !WHITELIST_SUFFIXES.iter().any(|s| lower.ends_with(s)) && openclaw_sensitive(&lower)
}

/// Whether a bare key (a Rhai map key or JSON member name in a line of source) names a
/// secret.
pub fn is_secret_key(key: &str) -> bool {
    is_secret_path(key)
}

/// OpenClaw leaves `${VAR}` references in place: they name a variable, not a secret.
fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.starts_with("${") && t.ends_with('}') && !t[2..].contains('}')
}

/// Adds one secret value to the registry (values shorter than [`MIN_LEARNED`] and
/// `${VAR}` references are not learned).
pub fn learn(value: &str) {
    learn_as(value, true);
}

/// [`learn`]; `may_escape` is false for a value written in JSON without escapes: JSON
/// escapes every quote, backslash and control character in a string, so such a value
/// has none, and the scan of two thousand tokens for them is saved.
/// Returns the registry's copy of `value`, `None` when it is not learned.
fn learn_as(value: &str, may_escape: bool) -> Option<Arc<str>> {
    if value.len() < MIN_LEARNED
        || value.chars().nth(MIN_LEARNED - 1).is_none()
        || is_placeholder(value)
    {
        return None;
    }
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let known = known.get_or_insert_with(Registry::default);
    let kept = known.insert(value);
    // Written into JSON, a value with quotes, backslashes or control characters looks
    // different.
    if may_escape && value.bytes().any(|c| c == b'"' || c == b'\\' || c < 0x20) {
        let escaped = Value::String(value.to_string()).to_string();
        known.insert(&escaped[1..escaped.len() - 1]);
    }
    Some(kept)
}

/// The dotted path of a member being read, as [`is_secret_path`] reads it (lower case,
/// without profile ids), and whether it is secret, judged once per path: a store's
/// thousand profiles share a handful of paths.
#[derive(Default)]
pub struct SecretPaths {
    path: String,
    seen: foldhash::HashMap<String, bool>,
}

impl SecretPaths {
    /// Enters member `key`; returns what [`SecretPaths::leave`] goes back to.
    pub fn enter(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if key.contains('.') {
            for seg in key.split('.').filter(|seg| !seg.contains(':')) {
                self.push(seg);
            }
        } else if !key.contains(':') {
            // One segment; a profile id (`provider:name`) adds none.
            self.push(key);
        }
        len
    }

    pub fn leave(&mut self, len: usize) {
        self.path.truncate(len);
    }

    fn push(&mut self, seg: &str) {
        if !self.path.is_empty() {
            self.path.push('.');
        }
        let at = self.path.len();
        self.path.push_str(seg);
        self.path[at..].make_ascii_lowercase();
    }

    /// Whether a string here is a secret.
    pub fn is_secret(&mut self) -> bool {
        if let Some(&secret) = self.seen.get(self.path.as_str()) {
            return secret;
        }
        let secret = is_secret_path(&self.path);
        self.seen.insert(self.path.clone(), secret);
        secret
    }
}

/// Calls `found(path, value)` for each string at a secret path of `v`.
fn walk(v: &Value, found: &mut dyn FnMut(&str, &str)) {
    walk_at(v, &mut SecretPaths::default(), found)
}

/// [`walk`] for `v` at the current path of `paths`.
fn walk_at(v: &Value, paths: &mut SecretPaths, found: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if matches!(v, Value::Object(_) | Value::Array(_) | Value::String(_)) {
                    let len = paths.enter(k);
                    walk_at(v, paths, found);
                    paths.leave(len);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk_at(v, paths, found)),
        Value::String(s) if paths.is_secret() => found(&paths.path, s),
        _ => {}
    }
}

/// Learning the secrets of one document while a typed reader reads it, as
/// [`learn_text`] learns them from its parsed value: `None` when its text was learned
/// before.
pub struct Learning {
    pub paths: SecretPaths,
    /// Where a secret goes: the registry (which hands back its copy), or a test's list.
    sink: fn(&str, bool) -> Option<Arc<str>>,
    /// [`Learning::member_is_secret`]'s verdicts, for the members of objects at `memo_path`.
    memo: Vec<Option<bool>>,
    memo_path: String,
}

impl Learning {
    /// Starts learning the document with this text, once per distinct text.
    pub fn begin(text: &str) -> Option<Learning> {
        if !first_time(text) {
            return None;
        }
        // Room for the secrets such a text holds (a store has two tokens in ~450 bytes
        // per profile), so that the tables do not grow a dozen times while it is read.
        let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get_or_insert_with(Registry::default)
            .reserve(text.len() / 200);
        Some(Learning::with_sink(learn_as))
    }

    /// Learning a document into `sink` (value, may it need escaping).
    pub fn with_sink(sink: fn(&str, bool) -> Option<Arc<str>>) -> Learning {
        Learning {
            paths: SecretPaths::default(),
            sink,
            memo: Vec::new(),
            memo_path: String::new(),
        }
    }

    /// Whether a string in member `key` of an object at the current path is secret,
    /// for a reader that knows the member as its `index`th: judged once per path, as a
    /// store's thousand profiles repeat the same members at the same path.
    pub fn member_is_secret(&mut self, index: usize, key: &str) -> bool {
        if self.memo_path != self.paths.path {
            self.memo_path.clone_from(&self.paths.path);
            self.memo.clear();
        }
        if let Some(Some(secret)) = self.memo.get(index) {
            return *secret;
        }
        let len = self.paths.enter(key);
        let secret = self.paths.is_secret();
        self.paths.leave(len);
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(secret);
        secret
    }

    /// Learns `value`, a string found secret; the registry's copy of it, if it keeps one.
    /// `escaped`: it was written with escapes, so it may hold characters JSON escapes
    /// (a string the parser hands over borrowed from the text holds none).
    pub fn secret(&self, value: &str, escaped: bool) -> Option<Arc<str>> {
        (self.sink)(value, escaped)
    }

    /// Learns `value`, a string at the current path, if that path is secret.
    pub fn string(&mut self, value: &str, escaped: bool) {
        if self.paths.is_secret() {
            (self.sink)(value, escaped);
        }
    }

    /// Learns the strings of `v`, a value at the current path (written with escapes or
    /// not: that is not known any more).
    pub fn value(&mut self, v: &Value) {
        let sink = self.sink;
        walk_at(v, &mut self.paths, &mut |_, s| {
            sink(s, true);
        });
    }
}

/// Hashes of the documents learned so far, so a text read twice is walked once.
static LEARNED_TEXTS: Mutex<Option<HashSet<u64>>> = Mutex::new(None);

fn text_hash(text: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::default().hash_one(text)
}

/// Whether a document with exactly this text was learned in this run.
pub fn knows_text(text: &str) -> bool {
    let learned = LEARNED_TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    learned
        .as_ref()
        .is_some_and(|l| l.contains(&text_hash(text)))
}

/// [`learn_json`] for the document `v` parsed from `text`, once per distinct text.
pub fn learn_text(text: &str, v: &Value) {
    if let Some(mut l) = Learning::begin(text) {
        l.value(v);
    }
}

/// Records that the document with this text is learned; false when it was before.
fn first_time(text: &str) -> bool {
    LEARNED_TEXTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert(text_hash(text))
}

/// The strings [`learn_json`] learns from `v`, in the order it finds them.
#[cfg(test)]
pub fn secrets_of(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(v, &mut |_, s| out.push(s.to_string()));
    out
}

/// Learns every secret (by key) in a store document, an `auth.json` or a credential map.
pub fn learn_json(v: &Value) {
    walk(v, &mut |_, s| learn(s));
}

/// Learns every secret (by key) in `openclaw.json`; the same rules as [`learn_json`],
/// except that an `env` value that is a path (`/…`, `~/…`) is masked by key only: it is
/// a setting such as a state dir, and masking it by value would blank the paths that
/// `status` and errors name.
pub fn learn_config(v: &Value) {
    walk(v, &mut |path, s| {
        let env = path.starts_with("env.");
        if !(env && (s.starts_with('/') || s.starts_with("~/"))) {
            learn(s)
        }
    });
}

/// Reads this run's stores (every agent's and the shared one), `openclaw.json` and
/// Codex's `auth.json`, best-effort, only to learn their secrets: an error rendered
/// before any of them was read (a typo in `eval`, a failing script) still masks a token
/// the user pasted, whatever it looks like. Anything unreadable is skipped.
pub fn learn_from_run(host: &crate::host::Host) {
    let _ = crate::openclaw::learn_stores(host);
    let _ = crate::openclaw::config::load(&host.openclaw_config_path);
    if let Ok(Some(bytes)) = crate::files::read_limited(&host.codex_home.join("auth.json")) {
        let _ = crate::codex::auth::parse(&bytes, &host.codex_home.join("auth.json"));
    }
}

static LEARNED_FROM_RUN: std::sync::Once = std::sync::Once::new();

/// [`learn_from_run`] once per process: for script output (`print`, `debug`), which a
/// snippet may produce without reading any store.
pub fn learn_from_run_once(host: &crate::host::Host) {
    LEARNED_FROM_RUN.call_once(|| learn_from_run(host));
}

fn marker(secret: &str) -> String {
    format!("<redacted {}>", fingerprint(secret))
}

/// Replaces every value in the registry found in `text` by its fingerprint.
pub fn mask(text: &str) -> String {
    masked(text.to_string())
}

/// [`mask`] for a text of one's own, handed back as it is when it holds no secret: a
/// state file of a thousand profiles is not copied to be checked.
pub fn masked(text: String) -> String {
    let found = match KNOWN.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        Some(known) if text.len() >= MIN_LEARNED => known.find(&text),
        _ => Vec::new(),
    };
    if found.is_empty() {
        return text;
    }
    with_markers(&text, found)
}

/// `text` with each of `ranges` (in order, none overlapping) replaced by its marker.
fn with_markers(text: &str, ranges: Vec<(usize, usize)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in ranges {
        out.push_str(&text[last..start]);
        out.push_str(&marker(&text[start..end]));
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Replaces every secret value in a JSON value (by key) with `<redacted sha256:…>`.
pub fn redact_value(v: &mut Value) {
    fn go(v: &mut Value, path: &str) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    go(v, &p);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| go(v, path)),
            Value::String(s) if is_secret_path(path) && !is_placeholder(s) => {
                *s = marker(s);
            }
            _ => {}
        }
    }
    go(v, "")
}

/// Redacts a document about to be shown (a `--dry-run` diff side): JSON is masked by key
/// and pretty-printed, so a one-line row diffs line by line; JSON5 (a hand-written
/// `openclaw.json`) keeps its own text, with each secret (by key) replaced where it
/// stands in quotes, as OpenClaw's `replaceSensitiveValuesInRaw` does; anything else
/// is masked by value only.
pub fn redact(text: &str) -> String {
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        redact_value(&mut v);
        let mut out = serde_json::to_string_pretty(&v).unwrap_or_default();
        out.push('\n');
        return mask(&out);
    }
    let Ok(v) = json5::from_str::<Value>(text) else {
        return mask(text);
    };
    let mut secrets = Vec::new();
    walk(&v, &mut |_, s| {
        if !is_placeholder(s) {
            secrets.push(s.to_string())
        }
    });
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut out = text.to_string();
    for s in &secrets {
        for q in ['"', '\''] {
            out = out.replace(&format!("{q}{s}{q}"), &format!("{q}{}{q}", marker(s)));
        }
    }
    mask(&out)
}

/// A piece of a line of source: a string literal (its content's byte range), a word,
/// or one punctuation character.
enum Piece {
    Literal(usize, usize),
    Word(usize, usize),
    Punct(char),
}

fn pieces(line: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut it = line.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if matches!(c, '"' | '\'' | '`') {
            let start = i + 1;
            let mut end = line.len();
            let mut escaped = false;
            for (j, d) in it.by_ref() {
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    end = j;
                    break;
                }
            }
            out.push(Piece::Literal(start, end));
        } else if c.is_alphanumeric() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if d.is_alphanumeric() || d == '_' || d == '-' {
                    end = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push(Piece::Word(i, end));
        } else if !c.is_whitespace() {
            out.push(Piece::Punct(c));
        }
    }
    out
}

/// Masks every string literal that is the value of a secret key, whatever the value
/// looks like: `#{access: "…"}`, `"botToken": "…"`, `let refresh = "…"`.
fn keyed_literals(line: &str) -> String {
    let ps = pieces(line);
    let mut ranges = Vec::new();
    for (n, p) in ps.iter().enumerate() {
        let Piece::Literal(s, e) = *p else { continue };
        if n < 2 || !matches!(ps[n - 1], Piece::Punct(':' | '=')) {
            continue;
        }
        let key = match ps[n - 2] {
            Piece::Word(a, b) | Piece::Literal(a, b) => &line[a..b],
            Piece::Punct(_) => continue,
        };
        if is_secret_key(key) && !is_placeholder(&line[s..e]) {
            ranges.push((s, e));
        }
    }
    with_markers(line, ranges)
}

/// Masks the secrets in a command line, so the journal can record what ran without
/// holding a secret someone pasted into `clawshift eval`: every known value, every
/// literal given to a secret key, and anything that looks like a token (a run of 24 or
/// more base64url/JWT characters, or a shorter `rt_…`/`eyJ…`/`sk-…` one).
pub fn command_line(args: &[String]) -> String {
    let text = keyed_literals(&mask(&args.join(" ")));
    mask_runs(&text, |run| run.len() >= 24 || looks_secret(run))
}

/// Replaces each run of token characters (base64url, JWT dots, `=`/`+`) for which
/// `secret` holds by its fingerprint; everything else is kept as it is.
fn mask_runs(text: &str, secret: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if secret(run) {
            out.push_str(&marker(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '=' | '+') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A run of token characters that is a secret by its look: a JWT (`eyJ…`), a refresh
/// token (`rt_…`) or an API key (`sk-…`) of 12 characters or more, or any run of 32 or
/// more with both letters and digits.
fn looks_secret(run: &str) -> bool {
    run.len() >= 12 && (run.starts_with("eyJ") || run.starts_with("rt_") || run.starts_with("sk-"))
        || run.len() >= 32
            && run.chars().any(|c| c.is_ascii_digit())
            && run.chars().any(|c| c.is_ascii_alphabetic())
}

/// Masks the secrets in a line of script source shown in an error (a snippet given to
/// `clawshift eval` from cron may hold one): every known value, every literal given to
/// a secret key (`#{refresh: "…"}`), JWTs (`eyJ…`), refresh tokens (`rt_…`), API keys
/// (`sk-…`), and any other run of 32 or more base64url characters with both letters and
/// digits. Identifiers stay readable.
pub fn source_line(line: &str) -> String {
    mask_runs(&keyed_literals(&mask(line)), looks_secret)
}

#[cfg(test)]
mod tests {
    /// A store token that JSON writes with escapes is masked both as read and as
    /// written; one from text without a backslash is masked as it is.
    #[test]
    fn a_stored_token_with_a_quote_is_masked_as_read_and_as_written() {
        let text = r#"{"profiles":{"openai:a":{"access":"quo\"ted-token-4711","refresh":"plain-token-4712"}}}"#;
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        super::learn_text(text, &v);
        let plain = r#"{"refresh":"plain-token-4713"}"#;
        let plain_value: serde_json::Value = serde_json::from_str(plain).expect("json");
        super::learn_text(plain, &plain_value);
        let shown = super::mask(
            r#"read quo"ted-token-4711, written quo\"ted-token-4711, plain-token-4713"#,
        );
        assert_eq!(
            shown,
            format!(
                "read {}, written {}, {}",
                super::marker("quo\"ted-token-4711"),
                super::marker("quo\\\"ted-token-4711"),
                super::marker("plain-token-4713")
            )
        );
    }

    proptest::proptest! {
        /// The scan that passes over positions finds what trying every position finds:
        /// values from a three-letter alphabet end alike and inside one another.
        #[test]
        fn masking_finds_every_value_a_scan_of_every_position_finds(
            values in proptest::collection::vec("[abc]{8,12}", 1..6),
            pieces in proptest::collection::vec((0usize..6, "[abc ]{0,6}"), 0..12),
        ) {
            let mut r = super::Registry::default();
            for v in &values {
                r.insert(v);
            }
            let text: String = pieces
                .iter()
                .map(|(i, noise)| format!("{}{noise}", values.get(*i).map_or("", String::as_str)))
                .collect();
            let b = text.as_bytes();
            let mut every: Vec<(usize, usize)> = Vec::new();
            for start in 0..b.len() {
                let longest = values
                    .iter()
                    .filter(|v| b[start..].starts_with(v.as_bytes()))
                    .map(|v| start + v.len())
                    .max();
                if let Some(end) = longest
                    && every.last().is_none_or(|&(_, last)| start >= last)
                {
                    every.push((start, end));
                }
            }
            proptest::prop_assert_eq!(r.find(&text), every);
        }
    }

    #[test]
    fn masking_takes_the_leftmost_longest_value_among_many_sharing_a_start() {
        let mut r = super::Registry::default();
        // Tokens that share their first bytes, one inside another, one ending in a
        // multi-byte character.
        for v in [
            "eyJhbGciOi.one-payload",
            "eyJhbGciOi.two-payload",
            "two-payload",
            "eyJhbGciOi.two-payload.sig",
            "pässwörd-überall",
        ] {
            r.insert(v);
        }
        let text =
            "a eyJhbGciOi.two-payload.sig b eyJhbGciOi.one-payload c two-payload! pässwörd-überall";
        let shown: Vec<&str> = r.find(text).iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            shown,
            [
                "eyJhbGciOi.two-payload.sig",
                "eyJhbGciOi.one-payload",
                "two-payload",
                "pässwörd-überall"
            ]
        );
        assert!(r.find("eyJhbGciOi.three-payload").is_empty());
    }

    #[test]
    fn source_lines_lose_tokens_but_keep_code() {
        let line = r#"merge_profile("openai:alice", #{access: "eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTYzODA1Nzl9.c2ln", refresh: "rt_FAKE_f6dfd77f9ada260e451d1422"})"#;
        let shown = super::source_line(line);
        assert!(
            !shown.contains("eyJhbGci") && !shown.contains("rt_FAKE"),
            "{shown}"
        );
        assert!(
            shown.starts_with(r#"merge_profile("openai:alice", #{access: "<redacted sha256:"#),
            "{shown}"
        );
        let code =
            "let st = models_status(); profiles::codex_model_reachable(st, \"openai/gpt-5.5\")";
        assert_eq!(super::source_line(code), code);
    }

    use super::*;

    #[test]
    fn command_line_masks_tokens_but_keeps_names_and_paths() {
        let args = vec![
            "eval".to_string(),
            r#"merge_profile("openai:alice", #{access: "eyJhbGciOiJub25lIn0.eyJleHAiOjE3OTYzODA1Nzl9.c2ln", refresh: "rt_FAKE_f6dfd77f9ada260e451d1422"})"#.to_string(),
        ];
        let line = command_line(&args);
        assert!(!line.contains("eyJhbGciOiJub25lIn0"), "{line}");
        assert!(!line.contains("rt_FAKE_f6dfd77f9ada260e451d1422"), "{line}");
        assert!(
            line.starts_with(r#"eval merge_profile("openai:alice", #{access: "<redacted sha256:"#),
            "{line}"
        );
        assert_eq!(
            command_line(&[
                "add-profile".into(),
                "alice".into(),
                "--from-auth-json".into(),
                "/tmp/a/auth.json".into()
            ]),
            "add-profile alice --from-auth-json /tmp/a/auth.json"
        );
    }

    #[test]
    fn secret_paths_follow_openclaw_patterns_and_whitelist() {
        for p in [
            "env.OPENAI_API_KEY",
            "env.vars.ANYTHING",
            "channels.telegram.botToken",
            "gateway.auth.token",
            "gateway.auth.password",
            "models.providers.groq.apiKey",
            "models.providers.x.api_key",
            "tools.web.secretRef",
            "profiles.openai-codex:alice.access",
            "profiles.openai-codex:alice.refresh",
            "profiles.openai:key.key",
            "tokens.id_token",
            "plugins.x.privateKey",
            "auth.gcp.serviceAccount",
        ] {
            assert!(is_secret_path(p), "{p}");
        }
        for p in [
            "gateway.auth.mode",
            "agents.defaults.models.x.maxTokens",
            "agents.defaults.contextTokens",
            "channels.x.passwordFile",
            "profiles.openai-codex:alice.email",
            "profiles.openai-codex:alice.accountId",
            "agents.defaults.model.primary",
            "tokens.account_id",
            "profiles.openai-codex:secretary-token.email",
            "profiles.openai-codex:my-password.provider",
            "hooks.mappings.key",
        ] {
            assert!(!is_secret_path(p), "{p}");
        }
    }

    #[test]
    fn json5_text_keeps_its_form_and_loses_its_secrets() {
        let text = "// mine\n{ env: { K: 'kkkkkkkk1' }, gateway: { auth: { mode: 'token', token: \"shortish\" } }, x: 'kkkkkkkk1-not' }\n";
        let shown = redact(text);
        assert!(
            !shown.contains("'kkkkkkkk1'") && !shown.contains("shortish"),
            "{shown}"
        );
        assert!(
            shown.starts_with("// mine\n{ env: { K: '<redacted sha256:"),
            "{shown}"
        );
        assert!(shown.contains("mode: 'token'"), "{shown}");
        assert!(shown.contains("x: 'kkkkkkkk1-not'"), "{shown}");
    }
}
