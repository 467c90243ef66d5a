//! A store document read for reading only (status, `set_model`, doctor): its profiles
//! become typed credentials as the text is parsed, never a tree of JSON values, and
//! their secrets are learned on the way. With a thousand profiles, building and walking
//! that tree was most of a switch. Documents read to be changed stay JSON values
//! (`Docs`), so that a write keeps every member as it was.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserializer as _;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::redact::Learning;

/// A member of a stored credential as it is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Field {
    #[default]
    Absent,
    /// Shared with the registry of secrets when it is one: a store's two thousand
    /// tokens are held once, not once there and once here.
    Text(Arc<str>),
    Number(Number),
    /// Any other JSON value, by what it is (`null`, `a boolean`, `an array`, `an object`).
    Other(&'static str),
}

impl Field {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Field::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }

    /// The text itself, shared rather than copied.
    pub fn shared(&self) -> Option<Arc<str>> {
        match self {
            Field::Text(t) => Some(t.clone()),
            _ => None,
        }
    }

    /// A time in milliseconds: a number, or a string holding one.
    pub fn millis(&self) -> Option<i64> {
        match self {
            Field::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Field::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    /// What the value is, for a sentence: `None` when the member is absent.
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            Field::Absent => None,
            Field::Text(_) => Some("a string"),
            Field::Number(_) => Some("a number"),
            Field::Other(kind) => Some(kind),
        }
    }
}

/// The members of a stored profile that clawshift reads; any other is skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cred {
    pub ty: Field,
    pub mode: Field,
    pub provider: Field,
    pub access: Field,
    pub refresh: Field,
    pub expires: Field,
    pub account_id: Field,
    pub email: Field,
    pub plan: Field,
}

/// Marks a credential OpenClaw rewrote after a refresh failed (`createFailedOAuthRefreshFence`
/// in 2026.9: `access`/`refresh` become `openclaw-oauth-refresh-fence:v1:<claim>:failed:…`
/// and `expires` 1): never usable again until a new sign-in.
const REFRESH_FENCE: &str = "openclaw-oauth-refresh-fence:v1:";

impl Cred {
    /// The provider it names, else the one its id starts with.
    pub fn provider_or_id<'a>(&'a self, id: &'a str) -> &'a str {
        self.provider
            .as_str()
            .unwrap_or_else(|| id.split(':').next().unwrap_or(""))
    }

    /// The fields that have the wrong type, each as (field, what is wrong): `expires`
    /// must be a number (ms since the epoch), the text fields strings. Status shows
    /// such a field as unknown; this says why, so neither `status` nor `doctor` is
    /// silent about it. Secret fields are named, never quoted.
    pub fn malformed(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match &self.expires {
            Field::Absent | Field::Number(_) => {}
            Field::Text(text) => {
                let shown: String = text.chars().take(40).collect();
                let ell = if text.chars().count() > 40 { "…" } else { "" };
                out.push((
                    "expires",
                    format!(
                        "is a string (\"{shown}{ell}\"), not a number of milliseconds since the epoch"
                    ),
                ));
            }
            Field::Other(kind) => out.push((
                "expires",
                format!("is {kind}, not a number of milliseconds since the epoch"),
            )),
        }
        for (field, v) in [
            ("type", &self.ty),
            ("provider", &self.provider),
            ("access", &self.access),
            ("refresh", &self.refresh),
            ("accountId", &self.account_id),
            ("email", &self.email),
        ] {
            if let Some(kind) = v.kind().filter(|_| v.as_str().is_none()) {
                out.push((field, format!("is {kind}, not a string")));
            }
        }
        out
    }

    /// Whether OpenClaw rewrote this credential after a refresh failed.
    pub fn failed_fence(&self) -> bool {
        [&self.access, &self.refresh].iter().any(|v| {
            v.as_str()
                .is_some_and(|t| t.starts_with(REFRESH_FENCE) && t.contains(":failed:"))
        })
    }
}

/// Profiles by id, in the order they are written.
pub type Profiles = indexmap::IndexMap<String, Cred, foldhash::fast::RandomState>;

/// A document as read: its profiles (`None` when it has none, `Some(None)` when
/// `profiles` is not an object) and every other top-level member as JSON.
pub struct ReadDoc {
    pub profiles: Option<Option<Profiles>>,
    /// `usageStats`: `None` when absent, `Some(None)` when it is not an object.
    pub usage: Option<Option<UsageStats>>,
    pub rest: Map<String, Value>,
}

/// Each profile's `usageStats` entry, by profile id. Boxed: an entry is eight members
/// wide, and a table sized for a thousand ids would hold that width for every slot.
pub type UsageStats = foldhash::HashMap<String, Box<Usage>>;

/// The members of a profile's `usageStats` entry that status reads (OpenClaw's
/// disabled, cooldown and blocked windows), each as written; the others (error counts,
/// failure counts, last use) are read only for their secrets. A store with a thousand
/// profiles' entries is not built as a thousand JSON maps. Each member is boxed: most
/// are absent, and a JSON value is 72 bytes wide.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Usage {
    pub disabled_until: Option<Box<Value>>,
    pub disabled_reason: Option<Box<Value>>,
    pub cooldown_until: Option<Box<Value>>,
    pub cooldown_reason: Option<Box<Value>>,
    pub cooldown_model: Option<Box<Value>>,
    pub blocked_until: Option<Box<Value>>,
    pub blocked_reason: Option<Box<Value>>,
    pub blocked_model: Option<Box<Value>>,
}

/// Parses a document's text, learning its secrets unless its text was learned before.
/// `None` when it is not a JSON object.
pub fn parse(text: &str) -> serde_json::Result<Option<ReadDoc>> {
    parse_learning(text, Learning::begin(text))
}

fn parse_learning(
    text: &str,
    mut learning: Option<Learning>,
) -> serde_json::Result<Option<ReadDoc>> {
    let mut de = serde_json::Deserializer::from_str(text);
    // Room for as many profiles as the text holds at 400 bytes each, about what an OAuth
    // profile's members and two tokens take (a real ChatGPT token alone takes more): a
    // table grown step by step copies a thousand profiles several times over. Not more:
    // a large store's run is on huge pages (`memory::expect_large_heap`), where room
    // never used still costs its share of a 2 MB page. Room for one per 128 bytes had
    // made a 1,000-profile switch fault in three huge pages instead of two.
    let room = text.len() / 400;
    let doc = de.deserialize_any(DocVisitor(learning.as_mut(), room))?;
    de.end()?;
    Ok(doc)
}

/// A member name, borrowed unless it holds escapes.
#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// Reads the value of member `key` with `read`, the path entered for it meanwhile.
fn member<'de, A: MapAccess<'de>, T>(
    m: &mut A,
    learning: &mut Option<&mut Learning>,
    key: &str,
    read: impl FnOnce(&mut A, Option<&mut Learning>) -> Result<T, A::Error>,
) -> Result<T, A::Error> {
    let Some(l) = learning.as_deref_mut() else {
        return read(m, None);
    };
    let len = l.paths.enter(key);
    let out = read(m, Some(&mut *l));
    l.paths.leave(len);
    out
}

/// Reads member `key`'s value as JSON, its strings learned under the member's path.
fn json_member<'de, A: MapAccess<'de>>(
    m: &mut A,
    learning: &mut Option<&mut Learning>,
    key: &str,
) -> Result<Value, A::Error> {
    member(m, learning, key, |m, l| {
        let v: Value = m.next_value()?;
        if let Some(l) = l {
            l.value(&v);
        }
        Ok(v)
    })
}

/// Reads an object of entries by profile id: each value with `read`, under its id's
/// path, handed to `keep` with its id.
fn by_id<'de, A: MapAccess<'de>, T>(
    mut m: A,
    learning: &mut Option<&mut Learning>,
    mut read: impl FnMut(&mut A, Option<&mut Learning>) -> Result<T, A::Error>,
    mut keep: impl FnMut(String, T),
) -> Result<(), A::Error> {
    while let Some(key) = m.next_key::<Key>()? {
        let value = member(&mut m, learning, &key.0, &mut read)?;
        keep(key.0.into_owned(), value);
    }
    Ok(())
}

/// A seed that reads any JSON value with its own visitor.
macro_rules! any_value_seed {
    ($seed:ident, $value:ty) => {
        impl<'de> DeserializeSeed<'de> for $seed<'_> {
            type Value = $value;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<$value, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

/// Visits a value only to learn its strings.
struct Learn<'l>(Option<&'l mut Learning>);

any_value_seed!(Learn, ());

/// The visits of scalar values that hold no string to learn.
macro_rules! scalars_are {
    ($t:ty, $bool:expr, $num:expr, $null:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$t, E> {
            Ok($bool)
        }
        fn visit_i64<E>(self, n: i64) -> Result<$t, E> {
            Ok(($num)(Number::from(n)))
        }
        fn visit_u64<E>(self, n: u64) -> Result<$t, E> {
            Ok(($num)(Number::from(n)))
        }
        fn visit_f64<E>(self, f: f64) -> Result<$t, E> {
            Ok(Number::from_f64(f).map_or($null, $num))
        }
        fn visit_unit<E>(self) -> Result<$t, E> {
            Ok($null)
        }
    };
}

impl Learn<'_> {
    /// `escaped`: the string was written with escapes (see [`Learning::secret`]).
    fn string(self, s: &str, escaped: bool) {
        if let Some(l) = self.0 {
            l.string(s, escaped);
        }
    }
}

impl<'de> Visitor<'de> for Learn<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        self.string(s, false);
        Ok(())
    }
    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        self.string(s, true);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<Key>()? {
            member(&mut m, &mut self.0, &key.0, |m, l| {
                m.next_value_seed(Learn(l))
            })?;
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(Learn(self.0.as_deref_mut()))?.is_some() {}
        Ok(())
    }
    scalars_are!((), (), |_| (), ());
}

/// The visits of every value but an object, for a reader that takes any of them as
/// `$none` once their strings are learned.
macro_rules! not_an_object {
    ($t:ty, $none:expr) => {
        fn visit_borrowed_str<E>(self, s: &'de str) -> Result<$t, E> {
            Learn(self.0).string(s, false);
            Ok($none)
        }
        fn visit_str<E>(self, s: &str) -> Result<$t, E> {
            Learn(self.0).string(s, true);
            Ok($none)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<$t, A::Error> {
            Learn(self.0).visit_seq(s)?;
            Ok($none)
        }
        scalars_are!($t, $none, |_| $none, $none);
    };
}

/// Reads member `key` of a credential, the `index`th it knows.
struct FieldSeed<'l, 'k> {
    learning: Option<&'l mut Learning>,
    key: &'k str,
    index: usize,
    /// The text the same member of the profile before held, shared when this one
    /// holds the same: a thousand profiles say `"type": "oauth"` and `"provider":
    /// "openai"`, and are not a thousand copies of each.
    before: &'l mut Option<Arc<str>>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Field;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_any(self)
    }
}

impl FieldSeed<'_, '_> {
    /// The member's text, learned if it is secret (`escaped`: see [`Learning::secret`]).
    fn text(self, s: &str, escaped: bool) -> Field {
        if let Some(l) = self.learning
            && l.member_is_secret(self.index, self.key)
            && let Some(kept) = l.secret(s, escaped)
        {
            return Field::Text(kept);
        }
        // Only the members that profiles share are compared with the one before: keeping
        // each account's own `email` and `accountId` there for the next profile cost a
        // locked increment apiece, waiting for the copy just written.
        if !SHARED_MEMBERS.contains(&self.index) {
            return Field::Text(s.into());
        }
        let text = match self.before.take() {
            Some(b) if *b == *s => b,
            _ => s.into(),
        };
        *self.before = Some(text.clone());
        Field::Text(text)
    }

    /// Learns what `visit` finds inside the member (an object or an array).
    fn inside<T>(self, visit: impl FnOnce(Learn) -> T) -> T {
        let Some(l) = self.learning else {
            return visit(Learn(None));
        };
        let len = l.paths.enter(self.key);
        let out = visit(Learn(Some(&mut *l)));
        l.paths.leave(len);
        out
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_, '_> {
    type Value = Field;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Field, E> {
        Ok(self.text(s, false))
    }
    fn visit_str<E>(self, s: &str) -> Result<Field, E> {
        Ok(self.text(s, true))
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Field, A::Error> {
        self.inside(|l| l.visit_map(m))?;
        Ok(Field::Other("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Field, A::Error> {
        self.inside(|l| l.visit_seq(s))?;
        Ok(Field::Other("an array"))
    }
    scalars_are!(
        Field,
        Field::Other("a boolean"),
        Field::Number,
        Field::Other("null")
    );
}

/// Reads one profile; a profile that is not an object reads as one with no members.
/// The second part holds, per member, the text of the profile read before.
struct CredSeed<'l>(Option<&'l mut Learning>, &'l mut [Option<Arc<str>>; FIELDS]);

/// How many members a credential reads into [`Field`]s.
const FIELDS: usize = 9;

/// The members (by their index in [`CredSeed`]'s match) that most profiles hold the same
/// text in: `type`, `mode`, `provider`, `chatgptPlanType`.
const SHARED_MEMBERS: [usize; 4] = [0, 1, 2, 8];

any_value_seed!(CredSeed, Cred);

impl<'de> Visitor<'de> for CredSeed<'_> {
    type Value = Cred;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<Cred, A::Error> {
        let mut c = Cred::default();
        while let Some(key) = m.next_key::<Key>()? {
            let (slot, index) = match &*key.0 {
                "type" => (&mut c.ty, 0),
                "mode" => (&mut c.mode, 1),
                "provider" => (&mut c.provider, 2),
                "access" => (&mut c.access, 3),
                "refresh" => (&mut c.refresh, 4),
                "expires" => (&mut c.expires, 5),
                "accountId" => (&mut c.account_id, 6),
                "email" => (&mut c.email, 7),
                "chatgptPlanType" => (&mut c.plan, 8),
                _ => {
                    member(&mut m, &mut self.0, &key.0, |m, l| {
                        m.next_value_seed(Learn(l))
                    })?;
                    continue;
                }
            };
            *slot = m.next_value_seed(FieldSeed {
                learning: self.0.as_deref_mut(),
                key: &key.0,
                index,
                before: &mut self.1[index],
            })?;
        }
        Ok(c)
    }
    not_an_object!(Cred, Cred::default());
}

/// Reads `profiles`: `None` when it is not an object.
/// The second part is how many profiles to make room for at once.
struct ProfilesSeed<'l>(Option<&'l mut Learning>, usize);

any_value_seed!(ProfilesSeed, Option<Profiles>);

impl<'de> Visitor<'de> for ProfilesSeed<'_> {
    type Value = Option<Profiles>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, m: A) -> Result<Option<Profiles>, A::Error> {
        let mut out = Profiles::with_capacity_and_hasher(self.1, Default::default());
        let mut before = Default::default();
        by_id(
            m,
            &mut self.0,
            |m, l| m.next_value_seed(CredSeed(l, &mut before)),
            |id, cred| {
                out.insert(id, cred);
            },
        )?;
        Ok(Some(out))
    }
    not_an_object!(Option<Profiles>, None);
}

/// Reads one `usageStats` entry; one that is not an object reads as one with no members.
struct UsageSeed<'l>(Option<&'l mut Learning>);

any_value_seed!(UsageSeed, Usage);

impl<'de> Visitor<'de> for UsageSeed<'_> {
    type Value = Usage;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<Usage, A::Error> {
        let mut u = Usage::default();
        while let Some(key) = m.next_key::<Key>()? {
            let slot = match &*key.0 {
                "disabledUntil" => &mut u.disabled_until,
                "disabledReason" => &mut u.disabled_reason,
                "cooldownUntil" => &mut u.cooldown_until,
                "cooldownReason" => &mut u.cooldown_reason,
                "cooldownModel" => &mut u.cooldown_model,
                "blockedUntil" => &mut u.blocked_until,
                "blockedReason" => &mut u.blocked_reason,
                "blockedModel" => &mut u.blocked_model,
                _ => {
                    member(&mut m, &mut self.0, &key.0, |m, l| {
                        m.next_value_seed(Learn(l))
                    })?;
                    continue;
                }
            };
            *slot = Some(Box::new(json_member(&mut m, &mut self.0, &key.0)?));
        }
        Ok(u)
    }
    not_an_object!(Usage, Usage::default());
}

/// Reads `usageStats`: `None` when it is not an object.
struct UsageStatsSeed<'l>(Option<&'l mut Learning>);

any_value_seed!(UsageStatsSeed, Option<UsageStats>);

impl<'de> Visitor<'de> for UsageStatsSeed<'_> {
    type Value = Option<UsageStats>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, m: A) -> Result<Option<UsageStats>, A::Error> {
        let mut out = UsageStats::default();
        by_id(
            m,
            &mut self.0,
            |m, l| m.next_value_seed(UsageSeed(l)),
            |id, usage| {
                out.insert(id, Box::new(usage));
            },
        )?;
        Ok(Some(out))
    }
    not_an_object!(Option<UsageStats>, None);
}

/// Reads a whole document: `None` when it is not an object. The second part is how
/// many profiles to make room for.
struct DocVisitor<'l>(Option<&'l mut Learning>, usize);

impl<'de> Visitor<'de> for DocVisitor<'_> {
    type Value = Option<ReadDoc>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut m: A) -> Result<Option<ReadDoc>, A::Error> {
        let mut doc = ReadDoc {
            profiles: None,
            usage: None,
            rest: Map::new(),
        };
        while let Some(key) = m.next_key::<Key>()? {
            if key.0 == "profiles" {
                doc.profiles = Some(member(&mut m, &mut self.0, &key.0, |m, l| {
                    m.next_value_seed(ProfilesSeed(l, self.1))
                })?);
                continue;
            }
            if key.0 == "usageStats" {
                doc.usage = Some(member(&mut m, &mut self.0, &key.0, |m, l| {
                    m.next_value_seed(UsageStatsSeed(l))
                })?);
                continue;
            }
            let v = json_member(&mut m, &mut self.0, &key.0)?;
            doc.rest.insert(key.0.into_owned(), v);
        }
        Ok(Some(doc))
    }
    not_an_object!(Option<ReadDoc>, None);
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::redact::Learning;

    thread_local! {
        static LEARNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    fn record(value: &str, _: bool) -> Option<std::sync::Arc<str>> {
        LEARNED.with(|l| l.borrow_mut().push(value.to_string()));
        None
    }

    /// Member names and profile ids that make paths secret or not: credential fields,
    /// `usageStats` members, OpenClaw's patterns, ids with and without a colon, dotted
    /// names.
    const NAMES: [&str; 17] = [
        "access",
        "refresh",
        "key",
        "token",
        "apiKey",
        "password",
        "email",
        "provider",
        "openai:a",
        "default",
        "myToken",
        "a.b",
        "x.y:z",
        "env",
        "cooldownReason",
        "disabledUntil",
        "blockedModel",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            "[a-z\"\\\\]{0,12}".prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::from),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::vec((0..NAMES.len(), inner), 0..5).prop_map(|m| {
                    Value::Object(
                        m.into_iter()
                            .map(|(k, v)| (NAMES[k].to_string(), v))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        /// The typed reader learns exactly the strings the walk over the parsed
        /// document learns, wherever they are and whatever shape the profiles have.
        #[test]
        fn the_typed_reader_learns_what_the_walk_of_the_document_learns(
            profiles in proptest::collection::vec((0..NAMES.len(), value()), 0..4),
            usage in proptest::collection::vec((0..NAMES.len(), value()), 0..4),
            other in value(),
            top in 0..NAMES.len(),
            profiles_shape in 0..3,
            usage_shape in 0..3,
        ) {
            let by_id = |entries: Vec<(usize, Value)>, shape| match shape {
                0 => Value::Object(entries.into_iter().map(|(k, v)| (NAMES[k].to_string(), v)).collect()),
                1 => Value::Array(entries.into_iter().map(|(_, v)| v).collect()),
                _ => Value::from("a string"),
            };
            let doc = json!({
                "version": 1,
                "profiles": by_id(profiles, profiles_shape),
                "usageStats": by_id(usage, usage_shape),
                NAMES[top]: other,
            });
            let (typed, walked) = typed_and_walked(&doc);
            prop_assert_eq!(typed, walked);
        }
    }

    /// What the typed reader and the walk over the parsed document learn from `doc`.
    fn typed_and_walked(doc: &Value) -> (Vec<String>, Vec<String>) {
        let text = doc.to_string();
        LEARNED.with(|l| l.borrow_mut().clear());
        let read = super::parse_learning(&text, Some(Learning::with_sink(record)));
        assert!(matches!(read, Ok(Some(_))));
        let mut typed = LEARNED.with(|l| l.take());
        let mut walked = crate::redact::secrets_of(doc);
        typed.sort();
        walked.sort();
        (typed, walked)
    }

    /// The reader hears from the parser whether a string was written with escapes: a
    /// token with a quote is masked both as read and as JSON writes it, and one without
    /// escapes in a text that has them elsewhere is masked as it is.
    #[test]
    fn a_stored_token_written_with_escapes_is_masked_as_read_and_as_written() {
        let text = r#"{"profiles":{"openai:a":{"type":"oauth","access":"esc\"aped-token-4811","refresh":"uni\u0063ode-token-4812","key":"plain-token-4813"}}}"#;
        let read = super::parse(text);
        assert!(matches!(read, Ok(Some(_))));
        let shown = crate::redact::mask(
            r#"esc"aped-token-4811 esc\"aped-token-4811 unicode-token-4812 plain-token-4813"#,
        );
        assert!(
            !shown.contains("token-48"),
            "a stored token was shown: {shown}"
        );
        assert_eq!(shown.matches("<redacted sha256:").count(), 4, "{shown}");
    }

    #[test]
    fn a_profile_id_that_is_a_secret_name_makes_its_members_secret_and_no_others() {
        // `password` has no colon, so it is a segment of its members' paths
        // (`profiles.password.email`), which OpenClaw's patterns make secret.
        let doc = json!({"profiles": {
            "openai:a": {"email": "a@example.com", "provider": "openai"},
            "password": {"email": "p@example.com", "provider": "openai"},
            "openai:b": {"email": "b@example.com", "provider": "openai"},
        }});
        let (typed, walked) = typed_and_walked(&doc);
        assert_eq!(typed, ["openai", "p@example.com"]);
        assert_eq!(typed, walked);
    }
}
