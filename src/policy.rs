//! The switch policy's building blocks, in Rust: the candidates a priority list names,
//! the judgement of one candidate against a [`Status`] at a time (with its account's
//! usage, in usage mode), and the [`Decision`] the rules reach, with its wording, its
//! `--explain` lines and the state to save. The rules themselves (which candidate wins,
//! the hold, the user's hooks) are the Rhai policy (`stdlib/policy.rhai`), which calls
//! these through `api::model`.
//!
//! Pure: no file, clock or environment. The saved switch state comes in as JSON.

use foldhash::HashSet;
use std::rc::Rc;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::model::{BlockKind, Profile, Route, Status, provider_of, same_model};
use crate::openclaw::status::{str_items, strings};
use crate::timefmt::{human_duration as human, iso};

/// One route a priority entry names: a model, and the one account to use for it when
/// the entry (or "codex") names one.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rank: usize,
    /// `model@profile`, or the model alone: written the first time it is asked for. A
    /// switch asks only for the keys of the candidates it judges, not of all thousand.
    key: std::cell::OnceCell<String>,
    // Shared by the candidates of one entry: "codex" makes one per account, and a
    // thousand accounts' candidates name the same model, provider and entry.
    pub model: Rc<str>,
    pub provider: Rc<str>,
    /// The profile's id, shared with the status's profile.
    pub profile: Option<Rc<str>>,
    pub entry: Rc<str>,
}

impl Candidate {
    /// `model@profile`, or the model alone: the route's key.
    pub fn key(&self) -> &str {
        self.key.get_or_init(|| {
            let mut key = String::with_capacity(
                self.model.len() + self.profile.as_ref().map_or(0, |p| p.len() + 1),
            );
            self.write_key(&mut key);
            key
        })
    }

    fn write_key(&self, out: &mut String) {
        out.push_str(&self.model);
        if let Some(p) = &self.profile {
            out.push('@');
            out.push_str(p);
        }
    }

    /// Whether its key is `key`, without writing its own.
    fn has_key(&self, key: &str) -> bool {
        match (key.strip_prefix(&*self.model), &self.profile) {
            (Some(""), None) => true,
            (Some(rest), Some(p)) => rest.strip_prefix('@') == Some(&**p),
            _ => false,
        }
    }
}

/// Equal when the routes and ranks are: whether a key has been written yet does not
/// count.
impl PartialEq for Candidate {
    fn eq(&self, other: &Candidate) -> bool {
        self.rank == other.rank
            && self.model == other.model
            && self.provider == other.provider
            && self.profile == other.profile
            && self.entry == other.entry
    }
}

impl Serialize for Candidate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut c = s.serialize_struct("Candidate", 6)?;
        c.serialize_field("rank", &self.rank)?;
        c.serialize_field("key", self.key())?;
        c.serialize_field("model", &self.model)?;
        c.serialize_field("provider", &self.provider)?;
        c.serialize_field("profile", &self.profile)?;
        c.serialize_field("entry", &self.entry)?;
        c.end()
    }
}

/// A candidate judged at a time: usable or not, by which rule, why, when its block
/// ends, and the account behind the verdict. In usage mode `health` also says whether
/// its account has room (`ok`, `low`, `blocked`) and `usage` holds the reading's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    #[serde(flatten)]
    pub candidate: Candidate,
    pub usable: bool,
    pub rule: String,
    pub why: String,
    pub ends_at: Option<i64>,
    pub via: Option<String>,
    #[serde(skip)]
    pub health: String,
    #[serde(skip)]
    pub usage: Option<Map<String, Value>>,
}

/// The candidates `priority` names for `status`, best first, each once, and notes on
/// the entries that named nothing. `state` is the saved switch state (for the account
/// order from before clawshift's last switch, and models seen before).
pub fn candidates(
    status: &Status,
    priority: &[String],
    state: &Value,
) -> Result<(Vec<Candidate>, Vec<String>), String> {
    let mut all: Vec<Candidate> = Vec::new();
    let mut notes = Vec::new();
    for entry in priority {
        let (list, note) = expand(status, entry, state)?;
        notes.extend(note);
        all.extend(list);
    }
    // Each key once, the first. The keys are written one at a time into one buffer to
    // be hashed, and compared with the candidates seen in place: none is kept.
    let hasher = foldhash::fast::RandomState::default();
    let mut seen = hashbrown::HashTable::<(u64, usize)>::with_capacity(all.len());
    let mut key = String::new();
    let mut first = Vec::with_capacity(all.len());
    for (i, c) in all.iter().enumerate() {
        key.clear();
        c.write_key(&mut key);
        let hash = std::hash::BuildHasher::hash_one(&hasher, key.as_str());
        let new = seen.find(hash, |&(_, j)| all[j].has_key(&key)).is_none();
        if new {
            seen.insert_unique(hash, (hash, i), |&(h, _)| h);
        }
        first.push(new);
    }
    drop(seen);
    let mut out: Vec<Candidate> = all
        .into_iter()
        .zip(first)
        .filter_map(|(c, first)| first.then_some(c))
        .collect();
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    Ok((out, notes))
}

/// Checks a priority list against a status without judging anything: unknown entries,
/// models the agent does not know, profiles that are not in the auth store. Each
/// problem names the entry.
pub fn validate(status: &Status, priority: &[String], state: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let known = agent_models(status, state);
    for entry in priority {
        if let Err(e) = expand(status, entry, state) {
            problems.push(e);
            continue;
        }
        if entry == "opus" || entry == "codex" {
            continue;
        }
        let (model, profile) = split_entry(entry);
        if !known.iter().any(|m| same_model(m, model)) {
            let hint = nearest(model, &known)
                .map(|m| format!("; did you mean {m}?"))
                .unwrap_or_default();
            problems.push(format!(
                "priority entry \"{entry}\": the agent does not know the model {model} (not its default model, a fallback, an alias or an allowed model){hint}"
            ));
        }
        if let Some(p) = profile
            && status.profile(p).is_none()
        {
            let ids: Vec<String> = status.profiles.iter().map(|p| p.id.to_string()).collect();
            let hint = nearest(p, &ids)
                .map(|m| format!("; did you mean {m}?"))
                .unwrap_or_default();
            problems.push(format!(
                "priority entry \"{entry}\": no profile {p} in the auth store{hint}"
            ));
        }
    }
    problems
}

/// The known name closest to `name` (edit distance at most a third of its length).
pub fn nearest(name: &str, known: &[String]) -> Option<String> {
    let lower = name.to_lowercase();
    known
        .iter()
        .map(|k| (distance(&lower, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= (name.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j]))
                .min(row[j] + 1)
                .min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `provider/model[@profile]` split at the first `@` after the `/` (profile ids may
/// hold emails).
fn split_entry(entry: &str) -> (&str, Option<&str>) {
    let slash = entry.find('/').unwrap_or(0);
    match entry[slash..].find('@') {
        Some(at) => (&entry[..slash + at], Some(&entry[slash + at + 1..])),
        None => (entry, None),
    }
}

/// Every model the agent knows, in a fixed order: default, fallbacks, alias targets
/// (by alias name), the allowlist, models with settings, then the models earlier runs
/// saw (`state.knownModels`, so a Codex model that is no longer the default is not
/// forgotten).
pub fn agent_models(status: &Status, state: &Value) -> Vec<String> {
    let mut aliases: Vec<&(String, String)> = status.aliases.iter().collect();
    aliases.sort();
    let remembered: Vec<String> = strings(state.get("knownModels"));
    let mut out: Vec<String> = Vec::new();
    let all = status
        .default_model
        .iter()
        .chain(&status.fallbacks)
        .chain(aliases.into_iter().map(|(_, m)| m))
        .chain(&status.allowed)
        .chain(&status.models)
        .chain(&remembered);
    for m in all {
        if !m.is_empty() && !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

/// What the candidates of one entry and model share.
struct Shared {
    entry: Rc<str>,
    model: Rc<str>,
    provider: Rc<str>,
}

impl Shared {
    fn new(entry: &str, model: &str) -> Shared {
        Shared {
            entry: entry.into(),
            model: model.into(),
            provider: provider_of(model).into(),
        }
    }

    fn candidate(&self, profile: Option<Rc<str>>) -> Candidate {
        Candidate {
            rank: 0,
            key: Default::default(),
            model: self.model.clone(),
            provider: self.provider.clone(),
            profile,
            entry: self.entry.clone(),
        }
    }
}

/// One priority entry's candidates, and a note when it names nothing.
fn expand(
    status: &Status,
    entry: &str,
    state: &Value,
) -> Result<(Vec<Candidate>, Option<String>), String> {
    if entry == "opus" {
        let out: Vec<Candidate> = agent_models(status, state)
            .iter()
            .filter(|m| m.contains("claude-opus"))
            .map(|m| Shared::new(entry, m).candidate(None))
            .collect();
        let note = out.is_empty().then(|| {
            "\"opus\": the agent has no Claude Opus model (default, fallbacks, aliases)".to_string()
        });
        return Ok((out, note));
    }
    if entry == "codex" {
        let cp = status.codex_provider.as_str();
        let Some(model) = agent_models(status, state)
            .into_iter()
            .find(|m| provider_of(m) == cp)
        else {
            return Ok((
                Vec::new(),
                Some(format!(
                    "\"codex\": the agent has no {cp}/ model (default, fallbacks, aliases)"
                )),
            ));
        };
        let profiles = status.profiles_of(cp);
        let ids: Vec<&str> = profiles.iter().map(|p| &*p.id).collect();
        let by_id: foldhash::HashMap<&str, &Rc<Profile>> =
            profiles.iter().map(|p| (&*p.id, p)).collect();
        let shared = Shared::new(entry, &model);
        let mut out: Vec<Candidate> = account_order(state, cp, ids)
            .into_iter()
            .filter(|id| {
                by_id.get(id).is_none_or(|p| {
                    matches!(
                        p.credential.as_deref(),
                        None | Some("oauth") | Some("token")
                    )
                })
            })
            .map(|id| {
                let id = by_id.get(id).map_or_else(|| id.into(), |p| p.id.clone());
                shared.candidate(Some(id))
            })
            .collect();
        if out.is_empty() {
            // Shown (and rejected) so --explain says why Codex is out.
            out.push(shared.candidate(None));
        }
        return Ok((out, None));
    }
    if entry.find('/').is_none_or(|i| i == 0) {
        let hint = nearest(entry, &["opus".to_string(), "codex".to_string()])
            .map(|m| format!("did you mean \"{m}\"? "))
            .unwrap_or_default();
        return Err(format!(
            "unknown priority entry \"{entry}\"; {hint}use \"opus\", \"codex\", \"provider/model\" or \"provider/model@profile\""
        ));
    }
    let (model, profile) = split_entry(entry);
    Ok((
        vec![Shared::new(entry, model).candidate(profile.map(Rc::from))],
        None,
    ))
}

/// The order in which "codex" prefers `provider`'s accounts, given their ids in
/// OpenClaw's order. OpenClaw's order is the preference, but `set_model(model,
/// profile)` moves the chosen account to its front; so while the order is still the
/// one clawshift left (`state.lastOrder`), the order from before (`state.accountOrder`)
/// counts. An order someone else changed becomes the new preference. Accounts added
/// since are appended, removed ones dropped.
pub fn account_order<'a>(
    state: &'a Value,
    provider: &str,
    now_order: Vec<&'a str>,
) -> Vec<&'a str> {
    let remembered = state.get("accountOrder").and_then(|o| o.get(provider));
    let last = state.get("lastOrder").and_then(|o| o.get(provider));
    let Some(remembered) = remembered.filter(|_| last.is_some_and(|l| holds(l, &now_order))) else {
        return now_order;
    };
    // The remembered order is OpenClaw's own (a run after a switch that left it alone):
    // nothing to merge, and a thousand ids are not hashed twice to find that out.
    if holds(remembered, &now_order) {
        return now_order;
    }
    let now_set: HashSet<&str> = now_order.iter().copied().collect();
    let mut out: Vec<&str> = str_items(remembered)
        .filter(|id| now_set.contains(id))
        .collect();
    let mut seen: HashSet<&str> = out.iter().copied().collect();
    for id in now_order {
        if seen.insert(id) {
            out.push(id);
        }
    }
    out
}

/// The rule that decides whether one profile can serve a model at a time.
#[derive(Clone, Copy)]
enum Rule {
    Disabled,
    Expired,
    /// Cooling down, but for another model only.
    OtherModel,
    Cooldown,
    Unusable,
    RefreshDue,
    Usable,
}

impl Rule {
    fn blocked(self) -> bool {
        matches!(
            self,
            Rule::Disabled | Rule::Expired | Rule::Cooldown | Rule::Unusable
        )
    }

    /// The name a verdict shows (`--explain`, `--json`).
    fn name(self) -> &'static str {
        match self {
            Rule::Disabled => "disabled",
            Rule::Expired => "expired",
            Rule::OtherModel => "other-model",
            Rule::Cooldown => "cooldown",
            Rule::Unusable => "unusable",
            Rule::RefreshDue => "refresh-due",
            Rule::Usable => "usable",
        }
    }
}

/// Which rule decides whether one profile can serve `model` at `now`.
fn rule_of(p: &Profile, model: Option<&str>, now: i64) -> Rule {
    let active = p.until.is_none_or(|e| e > now);
    match p.kind {
        Some(BlockKind::Disabled) if active => Rule::Disabled,
        Some(BlockKind::Expired) => Rule::Expired,
        Some(BlockKind::Cooldown) if active => match (&p.model, model) {
            (Some(scope), Some(model))
                if scope != model && format!("{}/{scope}", provider_of(model)) != model =>
            {
                Rule::OtherModel
            }
            _ => Rule::Cooldown,
        },
        None if !p.usable => Rule::Unusable,
        _ if p.state.as_deref() == Some("refresh-due") => Rule::RefreshDue,
        _ => Rule::Usable,
    }
}

/// Why one profile cannot serve `model` at `now`: `(blocked, rule, why, ends_at)`.
fn block_of(
    p: &Profile,
    model: Option<&str>,
    now: i64,
) -> (bool, &'static str, String, Option<i64>) {
    let id = &p.id;
    let ends = p.until;
    let left = || ends.map_or(String::new(), |e| format!(" for {}", human(e - now)));
    let rule = rule_of(p, model, now);
    let (why, ends) = match rule {
        Rule::Disabled => {
            let r = p
                .reason
                .as_ref()
                .map_or(String::new(), |r| format!(" ({r})"));
            (format!("{id} disabled{r}{}", left()), ends)
        }
        Rule::Expired => {
            let why = if p.reason.as_deref() == Some("refresh-failed") {
                " (OpenClaw's token refresh failed: sign in again)".to_string()
            } else {
                match p.expires {
                    Some(e) if e <= now => format!(" {} ago", human(now - e)),
                    _ => String::new(),
                }
            };
            (format!("{id} expired{why}"), None)
        }
        Rule::OtherModel => (
            format!(
                "{id} usable (its cooldown is for {} only)",
                p.model.as_deref().unwrap_or_default()
            ),
            None,
        ),
        Rule::Cooldown => (format!("{id} cooling down{}", left()), ends),
        Rule::Unusable => (format!("{id} unusable"), None),
        Rule::RefreshDue => (
            format!("{id} usable (refresh-due: OpenClaw refreshes its token on first use)"),
            None,
        ),
        Rule::Usable => (format!("{id} usable"), None),
    };
    (rule.blocked(), rule.name(), why, ends)
}

/// True when a block ending at `a` ends strictly before one ending at `b` (a block
/// without an end never does).
fn ends_before(a: Option<i64>, b: Option<i64>) -> bool {
    a.is_some() && (b.is_none() || a < b)
}

/// Judges one candidate at `now`. `via` is the account behind the verdict: the first
/// usable one, or the one whose block ends first.
pub fn judge(status: &Status, c: &Candidate, now: i64) -> Verdict {
    let verdict =
        |usable: bool, rule: &str, why: String, ends_at: Option<i64>, via: Option<String>| {
            Verdict {
                candidate: c.clone(),
                usable,
                rule: rule.to_string(),
                why,
                ends_at,
                via,
                health: if usable { "ok" } else { "blocked" }.to_string(),
                usage: None,
            }
        };
    let model = Some(&*c.model);
    if *c.entry != *"opus"
        && *c.entry != *"codex"
        && !status
            .known_models()
            .iter()
            .any(|m| same_model(m, &c.model))
    {
        return verdict(
            false,
            "unknown-model",
            format!(
                "the agent does not know {} (not its default, a fallback, an alias or an allowed model)",
                c.model
            ),
            None,
            None,
        );
    }
    if let Some(id) = &c.profile {
        let Some(p) = status.profile(id) else {
            return verdict(
                false,
                "unknown-profile",
                format!("{id} is not in the auth store"),
                None,
                None,
            );
        };
        let (blocked, rule, why, ends) = block_of(p, model, now);
        return verdict(!blocked, rule, why, ends, Some(id.to_string()));
    }
    let profiles = status.profiles_of(&c.provider);
    let mut soonest: Option<(&'static str, String, Option<i64>, &Rc<Profile>)> = None;
    for p in profiles {
        let (blocked, rule, why, ends) = block_of(p, model, now);
        if !blocked {
            return verdict(true, rule, why, None, Some(p.id.to_string()));
        }
        if soonest.as_ref().is_none_or(|s| ends_before(ends, s.2)) {
            soonest = Some((rule, why, ends, p));
        }
    }
    // Past the loop every profile was blocked and the one whose block ends first is
    // recorded; nothing is recorded only when the provider has no profile at all.
    let Some((rule, why, ends, p)) = soonest else {
        return verdict(
            false,
            "no-profile",
            format!("no {} profile in the auth store", c.provider),
            None,
            None,
        );
    };
    let why = if profiles.len() == 1 {
        why
    } else {
        format!("every {} profile blocked; soonest: {why}", c.provider)
    };
    verdict(false, rule, why, ends, Some(p.id.to_string()))
}

/// What the agent uses now, as the candidates name routes.
pub fn current(status: &Status) -> Option<Route> {
    status.current_route()
}

/// True when verdict `v` is the route `cur` (a candidate without a profile matches any
/// account of its model).
pub fn is_current(v: &Candidate, cur: Option<&Route>) -> bool {
    cur.is_some_and(|cur| {
        *v.model == *cur.model
            && (v.profile.is_none() || v.profile.as_deref() == cur.profile.as_deref())
    })
}

/// A usage reading's windows that are known and have not reset by `now`, 5-hour first,
/// each with its name (`5h`, `weekly`).
fn live_windows(u: &Value, now: i64) -> Vec<(&'static str, &Value)> {
    if u.get("known").and_then(Value::as_bool) != Some(true) {
        return Vec::new();
    }
    [("five_hour", "5h"), ("weekly", "weekly")]
        .into_iter()
        .filter_map(|(key, name)| {
            let w = u.get(key).filter(|w| w.is_object())?;
            (num(w, "reset_at")? > now).then_some((name, w))
        })
        .collect()
}

fn num(v: &Value, k: &str) -> Option<i64> {
    v.get(k)
        .and_then(|x| x.as_i64().or_else(|| x.as_f64().map(|f| f as i64)))
}

fn pct(w: &Value) -> f64 {
    w.get("used_percent").and_then(Value::as_f64).unwrap_or(0.0)
}

fn shown(x: &Value) -> String {
    match x {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => x.to_string(),
    }
}

fn from_now(t: i64, now: i64) -> String {
    if t <= now {
        "by now".into()
    } else {
        format!("in {}", human(t - now))
    }
}

/// What usage reading `u` means for switching at `now`: `#{health, rule, why, figures,
/// ends_at, window, used, resets_at}`; see `usage_health` in docs/scripting.md.
pub fn usage_health(u: &Value, leave: f64, next_run_at: i64, now: i64) -> Map<String, Value> {
    let id = u.get("id").and_then(Value::as_str).unwrap_or("?");
    let mut out = json!({"health": "unknown", "rule": "usage-unknown", "why": "", "figures": "", "ends_at": null, "window": null, "used": 0, "resets_at": null});
    let set = |out: &mut Value, k: &str, v: Value| {
        out[k] = v;
    };
    if u.get("known").and_then(Value::as_bool) != Some(true) {
        let reason = u
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("not read");
        set(
            &mut out,
            "why",
            format!("{id} usage unknown: {reason}").into(),
        );
        return into_map(out);
    }
    let ws = live_windows(u, now);
    let mut top: Option<(&str, &Value)> = None;
    let mut figures = Vec::new();
    for (name, w) in &ws {
        figures.push(format!("{name} {}%", shown(&w["used_percent"])));
        let better = top.is_none_or(|(_, t)| {
            pct(w) > pct(t) || (pct(w) == pct(t) && num(w, "reset_at") > num(t, "reset_at"))
        });
        if better {
            top = Some((name, w));
        }
        set(&mut out, "resets_at", w["reset_at"].clone());
    }
    let figures = if figures.is_empty() {
        "every window reset since the reading".to_string()
    } else {
        figures.join(", ")
    };
    set(&mut out, "figures", figures.clone().into());
    set(
        &mut out,
        "used",
        top.map_or(json!(0), |(_, w)| w["used_percent"].clone()),
    );
    set(&mut out, "health", "ok".into());
    set(&mut out, "rule", "usage-ok".into());
    set(&mut out, "why", format!("{id} {figures}").into());
    let Some((name, w)) = top else {
        return into_map(out);
    };
    let reset = num(w, "reset_at").unwrap_or(now);
    let used = shown(&w["used_percent"]);
    let mark = |out: &mut Value, health: &str, rule: &str, why: String, window: &str| {
        set(out, "health", health.into());
        set(out, "rule", rule.into());
        set(out, "window", window.into());
        set(out, "ends_at", reset.into());
        set(out, "why", why.into());
    };
    if pct(w) >= 100.0 || u.get("limit_reached").and_then(Value::as_bool) == Some(true) {
        let why = format!(
            "{id} out of its {name} limit ({used}%) for {}",
            human(reset - now)
        );
        mark(&mut out, "exhausted", "usage-limit", why, name);
        return into_map(out);
    }
    if pct(w) >= leave {
        let why = format!(
            "{id} {name} window at {used}% (leaving at {}%); resets in {}",
            if leave.fract() == 0.0 {
                format!("{}", leave as i64)
            } else {
                leave.to_string()
            },
            human(reset - now)
        );
        mark(&mut out, "low", "usage-high", why, name);
        return into_map(out);
    }
    for (name, w) in &ws {
        if let Some(at) = num(w, "exhausts_at").filter(|at| *at <= next_run_at) {
            let why = format!(
                "{id} {name} window at {}%, +{}%/h: runs out {}, before the next run",
                shown(&w["used_percent"]),
                shown(&w["burn_per_hour"]),
                from_now(at, now)
            );
            let reset = num(w, "reset_at").unwrap_or(now);
            set(&mut out, "health", "low".into());
            set(&mut out, "rule", "usage-forecast".into());
            set(&mut out, "window", (*name).into());
            set(&mut out, "ends_at", reset.into());
            set(&mut out, "why", why.into());
            break;
        }
    }
    into_map(out)
}

fn into_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// One line for usage reading `u` at `now`: `5h 40% (resets in 2h 10m, +12%/h, out in
/// 3h), weekly 12% (resets in 4d 2h)`, with `; cached 5m ago` when it came from the
/// cache, or `unknown: <reason>`.
pub fn usage_line(u: &Value, now: i64) -> String {
    if !u.is_object() {
        return "not read".into();
    }
    if u.get("known").and_then(Value::as_bool) != Some(true) {
        return format!(
            "unknown: {}",
            u.get("reason")
                .and_then(Value::as_str)
                .unwrap_or("not read")
        );
    }
    let mut parts = Vec::new();
    for (key, label) in [("five_hour", "5h"), ("weekly", "weekly")] {
        let Some(w) = u.get(key).filter(|w| w.is_object()) else {
            continue;
        };
        let reset = num(w, "reset_at").unwrap_or(0);
        if reset <= now {
            parts.push(format!("{label} reset since"));
            continue;
        }
        let mut extra = format!("resets in {}", human(reset - now));
        if !w["burn_per_hour"].is_null() {
            extra += &format!(", +{}%/h", shown(&w["burn_per_hour"]));
        }
        if let Some(at) = num(w, "exhausts_at").filter(|_| pct(w) < 100.0) {
            extra += &format!(", out {}", from_now(at, now));
        }
        parts.push(format!("{label} {}% ({extra})", shown(&w["used_percent"])));
    }
    let mut line = parts.join(", ");
    if u.get("limit_reached").and_then(Value::as_bool) == Some(true) {
        line += "; limit reached";
    }
    if u.get("source").and_then(Value::as_str) == Some("cache") {
        line += &format!("; cached {} ago", human(now - num(u, "at").unwrap_or(now)));
    }
    for n in u
        .get("notes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        line += &format!("; {}", shown(n));
    }
    line
}

impl Verdict {
    /// This verdict with its account's usage reading `u` (`None`: not read) taken
    /// into account; `wait` is the account's `state.usageLeft` entry, if any. An
    /// account at 100 % is blocked until its window resets; one at or above
    /// `leave_above`, or running out before `next_run_at`, is `low`.
    pub fn with_usage(
        mut self,
        u: Option<&Value>,
        wait: Option<&Value>,
        leave_above: f64,
        next_run_at: i64,
        now: i64,
    ) -> Verdict {
        let Some(u) = u else {
            return self;
        };
        let h = usage_health(u, leave_above, next_run_at, now);
        let get = |k: &str| h.get(k).cloned().unwrap_or(Value::Null);
        let health = get("health");
        let ends = h.get("ends_at").and_then(Value::as_i64);
        let why = get("why").as_str().unwrap_or_default().to_string();
        let rule = get("rule").as_str().unwrap_or_default().to_string();
        self.usage = Some(h.clone());
        match health.as_str() {
            Some("unknown") => self.why += " (usage unknown)",
            Some("exhausted") => {
                if self.usable {
                    self.usable = false;
                    self.health = "blocked".into();
                    (self.rule, self.why, self.ends_at) = (rule, why, ends);
                } else if self.ends_at.is_some() && ends > self.ends_at {
                    self.rule = rule;
                    self.why = format!("{}; {why}", self.why);
                    self.ends_at = ends;
                }
            }
            _ if !self.usable => {}
            Some("low") => {
                self.health = "low".into();
                (self.rule, self.why, self.ends_at) = (rule, why, ends);
            }
            _ => {
                let back = wait.and_then(|w| num(w, "resetAt")).filter(|b| *b > now);
                let figures = get("figures").as_str().unwrap_or_default().to_string();
                if let Some(back) = back {
                    let window = wait
                        .and_then(|w| w.get("window"))
                        .and_then(Value::as_str)
                        .unwrap_or("usage");
                    self.health = "low".into();
                    self.rule = "usage-wait".into();
                    self.ends_at = Some(back);
                    self.why = format!(
                        "{} was left for its {window} window; back after it resets in {} (now {figures})",
                        self.via.as_deref().unwrap_or("?"),
                        human(back - now)
                    );
                } else {
                    self.why = format!("{}: {figures}", self.why);
                }
            }
        }
        self
    }

    /// The reset time of the account's usage window, when a reading gave one.
    pub fn resets_at(&self) -> Option<i64> {
        self.usage.as_ref()?.get("resets_at")?.as_i64()
    }

    /// The highest window percentage of the account's reading (0 without one).
    pub fn used(&self) -> f64 {
        self.usage
            .as_ref()
            .and_then(|u| u.get("used"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    }
}

/// The decision a policy reached: the candidates it judged, which it chose, and the
/// words for it.
#[derive(Debug, Clone)]
pub struct Decision {
    pub now: i64,
    pub action: String,
    pub change: bool,
    pub from: Option<String>,
    pub to: String,
    pub model: String,
    pub profile: Option<String>,
    pub via: Option<String>,
    pub why: String,
    pub notice: Option<String>,
    pub notify: bool,
    pub current: Option<Route>,
    /// The current route's index in `candidates`, when it is one.
    pub current_index: Option<usize>,
    pub current_source: String,
    pub candidates: Vec<Verdict>,
    pub chosen: usize,
    pub held: Option<Verdict>,
    pub notes: Vec<String>,
    pub usage: Option<Map<String, Value>>,
    pub left: Option<Value>,
}

/// What the rules chose, for [`Decision::new`] to put into words.
pub struct Choice {
    pub now: i64,
    pub verdicts: Vec<Verdict>,
    pub chosen: usize,
    pub current: Option<usize>,
    pub best: Option<usize>,
    pub held: bool,
    pub hold_ms: i64,
    pub soonest: bool,
    pub notes: Vec<String>,
    pub usage: Option<Map<String, Value>>,
}

impl Decision {
    pub fn new(c: Choice, status: &Status, state: &Value) -> Decision {
        let cur = status.current_route();
        let v = &c.verdicts;
        let to = v[c.chosen].clone();
        let change = Some(c.chosen) != c.current;
        let from = match c.current {
            Some(i) => Some(v[i].candidate.key().to_string()),
            None => cur.as_ref().map(Route::key),
        };
        let held = (c.held && c.best.is_some()).then(|| v[c.best.unwrap_or(0)].clone());
        let action = if change {
            "switch"
        } else if held.is_some() {
            "hold"
        } else {
            "stay"
        };
        let cur_why = c.current.map(|i| v[i].why.clone());
        let mut why = match (c.best, &held) {
            (None, _) => {
                let mut why = if to.health == "low" {
                    format!("no account with room; the most room: {}", to.why)
                } else if to.ends_at.is_none() {
                    format!("nothing usable and no block ends by waiting; {}", to.why)
                } else {
                    format!("nothing usable; shortest wait: {}", to.why)
                };
                if let (true, Some(cw)) = (change, &cur_why) {
                    why = format!("{cw}; {why}");
                }
                why
            }
            (Some(_), Some(h)) => {
                let since = user_choice_since(state, v, c.current, c.now)
                    .or_else(|| state.get("lastSwitchAt").and_then(Value::as_i64))
                    .unwrap_or(c.now);
                format!(
                    "{} usable again; staying on {} for {} more ({} minimum after a switch)",
                    h.candidate.key(),
                    to.candidate.key(),
                    human(since + c.hold_ms - c.now),
                    human(c.hold_ms)
                )
            }
            _ if !change => to.why.clone(),
            _ => match c.current {
                None => {
                    let what = match &cur {
                        None => "the agent has no model set".to_string(),
                        Some(r) => format!("{} is not in the priority list", r.key()),
                    };
                    format!("{what}; {}", to.why)
                }
                Some(i) if v[i].health == "ok" => {
                    format!(
                        "{}; preferred over {}",
                        to.why,
                        from.clone().unwrap_or_default()
                    )
                }
                Some(i) => format!("{}; {}", v[i].why, to.why),
            },
        };
        if c.soonest
            && change
            && let Some(at) = to.resets_at()
        {
            why += &format!("; resets soonest of the accounts with room ({})", iso(at));
        }
        let notice = change.then(|| {
            format!(
                "switched {} → {}: {why}",
                from.clone().unwrap_or_else(|| "(none)".into()),
                to.candidate.key()
            )
        });
        let last = state.get("lastNotice");
        let already = change
            && last.and_then(|l| l.get("from")).and_then(Value::as_str) == from.as_deref()
            && last.and_then(|l| l.get("to")).and_then(Value::as_str) == Some(to.candidate.key())
            && state.get("lastEffectiveModel").and_then(Value::as_str) == Some(to.candidate.key());
        let left = match c.current {
            Some(i)
                if change
                    && matches!(
                        v[i].rule.as_str(),
                        "usage-high" | "usage-forecast" | "usage-limit"
                    ) =>
            {
                v[i].usage.as_ref().map(|u| {
                    json!({
                        "profile": v[i].via,
                        "window": u.get("window"),
                        "resetAt": u.get("ends_at"),
                        "percent": u.get("used"),
                    })
                })
            }
            _ => None,
        };
        Decision {
            now: c.now,
            action: action.into(),
            change,
            from,
            to: to.candidate.key().to_string(),
            model: to.candidate.model.to_string(),
            profile: to.candidate.profile.as_deref().map(str::to_string),
            via: to.via.clone(),
            why,
            notice,
            notify: change && !already,
            current: cur,
            current_index: c.current,
            current_source: status.current_source.clone(),
            candidates: c.verdicts,
            chosen: c.chosen,
            held,
            notes: c.notes,
            usage: c.usage,
            left,
        }
    }

    /// One line: `switch A → B: why`, `stay B: why`, `hold B: why`.
    pub fn summary(&self) -> String {
        if self.change {
            format!(
                "switch {} → {}: {}",
                self.from.as_deref().unwrap_or("(none)"),
                self.to,
                self.why
            )
        } else {
            format!("{} {}: {}", self.action, self.to, self.why)
        }
    }

    /// The decision as a plain JSON object for `--json` (`at` as RFC 3339, `now` in ms).
    pub fn to_json(&self) -> Value {
        let mut m = json!({
            "at": iso(self.now), "now": self.now, "action": self.action, "change": self.change,
            "from": self.from, "to": self.to, "model": self.model, "profile": self.profile,
            "via": self.via, "why": self.why, "notice": self.notice,
            "candidates": self.candidates, "notes": self.notes,
        });
        if let Some(u) = &self.usage {
            m["usage"] = Value::Object(u.clone());
            m["left"] = self.left.clone().unwrap_or(Value::Null);
        }
        m
    }

    /// The `--explain` lines: inputs, every candidate judged with its rule, the
    /// decision; in usage mode the accounts' usage before the candidates.
    pub fn explain(&self, priority: &[String], status: &Status, state: &Value) -> Vec<String> {
        let mut lines = vec!["inputs:".to_string()];
        let cur_key = self
            .current
            .as_ref()
            .map_or("(none)".to_string(), Route::key);
        lines.push(format!("  now          {}", iso(self.now)));
        lines.push(format!(
            "  layout       {} ({})",
            status.layout, status.source
        ));
        lines.push(format!(
            "  current      {cur_key} ({})",
            self.current_source
        ));
        lines.push(format!(
            "  default      {}",
            status.default_model.as_deref().unwrap_or("(none)")
        ));
        lines.push(format!(
            "  fallbacks    {}",
            if status.fallbacks.is_empty() {
                "(none)".to_string()
            } else {
                status.fallbacks.join(", ")
            }
        ));
        lines.push(format!("  priority     {}", priority.join(", ")));
        let last = match state.get("lastSwitchAt").and_then(Value::as_i64) {
            None => "none recorded".to_string(),
            Some(since) => format!(
                "{} ({} ago) to {}",
                iso(since),
                human(self.now - since),
                state
                    .get("lastEffectiveModel")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ),
        };
        lines.push(format!("  last switch  {last}"));
        for n in &self.notes {
            lines.push(format!("  note         {n}"));
        }
        if let Some(readings) = &self.usage {
            let width = readings.keys().map(String::len).max().unwrap_or(0);
            lines.push("usage:".into());
            if readings.is_empty() {
                lines.push("  (no Codex account to read)".into());
            }
            for (id, u) in readings {
                lines.push(format!("  {id:<width$}  {}", usage_line(u, self.now)));
            }
            for (id, w) in state
                .get("usageLeft")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(at) = num(w, "resetAt").filter(|at| *at > self.now) {
                    let window = w.get("window").and_then(Value::as_str).unwrap_or("usage");
                    lines.push(format!(
                        "  {id:<width$}  left for its {window} window; back after {}",
                        iso(at)
                    ));
                }
            }
        }
        lines.push("candidates:".into());
        let width = self
            .candidates
            .iter()
            .map(|v| v.candidate.key().len())
            .max()
            .unwrap_or(0);
        for (i, v) in self.candidates.iter().enumerate() {
            let mark = if i == self.chosen { "*" } else { " " };
            let verdict = if v.usable { "accepted" } else { "rejected" };
            let here = if is_current(&v.candidate, self.current.as_ref()) {
                " (current)"
            } else {
                ""
            };
            lines.push(format!(
                "{mark} {}. {:<width$}  {verdict:<8}  {:<15}  {}{here}",
                v.candidate.rank,
                v.candidate.key(),
                v.rule,
                v.why
            ));
        }
        lines.push(format!("decision: {}", self.summary()));
        lines
    }

    /// The state to save after this decision. A run that changes nothing only moves
    /// `lastCheckedAt`; a switch also records `lastEffectiveModel`, `lastSwitchAt`,
    /// `lastSwitch`, `profileStatuses`, `lastOrder` (the Codex order as `set_model`
    /// leaves it), and `lastNotice` when it is announced. `accountOrder` and
    /// `knownModels` change only when OpenClaw's order or the agent's models did;
    /// `usageLeft` keeps, per account left for its usage, the window until it resets.
    ///
    /// Returned as what changes: each top-level key set to a new value, removed, or
    /// set to [`profile_statuses`] (left to the caller to build, so that one holding
    /// the state as script values builds a thousand profiles' entries straight from the
    /// status, not through JSON maps), or an account order lent as its ids (two
    /// thousand at 1,000 profiles, copied once, into what the caller builds). Only the
    /// [`STATE_READS`] keys of `state` are read and every other key stays as it is, so
    /// a caller may convert only those keys, not the statuses saved before.
    pub fn state_changes<'a>(
        &'a self,
        state: &'a Value,
        status: &'a Status,
    ) -> Vec<(String, Change<'a>)> {
        let (Value::Object(next), statuses, orders) = self.next_state(state, status) else {
            return Vec::new();
        };
        let empty = Map::new();
        let read = state.as_object().unwrap_or(&empty);
        let mut out: Vec<(String, Change)> = read
            .keys()
            .filter(|k| !next.contains_key(*k) && !ORDERS.contains(&k.as_str()))
            .map(|k| (k.clone(), Change::Remove))
            .collect();
        out.extend(
            next.into_iter()
                .filter(|(k, v)| read.get(k) != Some(v))
                .map(|(k, v)| (k, Change::Set(v))),
        );
        out.extend(orders);
        if statuses {
            out.push(("profileStatuses".into(), Change::ProfileStatuses));
        }
        out
    }

    /// The next state but `profileStatuses` and the [`ORDERS`], whether the statuses
    /// are to be recorded anew, and the orders that change (they are never removed).
    fn next_state<'a>(
        &'a self,
        state: &'a Value,
        status: &'a Status,
    ) -> (Value, bool, Vec<(String, Change<'a>)>) {
        // The account orders (two thousand ids at 1,000 profiles) are not copied: they
        // are in the next state only when they change.
        let mut s: Map<String, Value> = match state {
            Value::Object(m) => m
                .iter()
                .filter(|(k, _)| !ORDERS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            _ => Map::new(),
        };
        let cp = status.codex_provider.as_str();
        let ids: Vec<&str> = status.profiles_of(cp).iter().map(|p| &*p.id).collect();
        let moved = self
            .profile
            .as_deref()
            .filter(|_| self.change && provider_of(&self.model) == cp);
        let mut after: Vec<&str> = moved.into_iter().collect();
        after.extend(ids.iter().filter(|id| Some(**id) != moved));
        let preferred = account_order(state, cp, ids);
        s.insert("version".into(), 1.into());
        s.insert("lastCheckedAt".into(), self.now.into());
        // A route set by hand is remembered with when it was first seen, so the hold
        // counts from then; clawshift's own switch ends it.
        let cur = self
            .current_index
            .map(|i| self.candidates[i].candidate.key());
        let mine = state.get("lastEffectiveModel").and_then(Value::as_str);
        let known = s
            .get("userChoice")
            .and_then(|c| c.get("route"))
            .and_then(Value::as_str)
            .is_some_and(|r| cur.is_some_and(|c| same_route(r, c)));
        if self.change {
            s.remove("userChoice");
        } else if !known && mine.is_some() && cur.is_some_and(|c| Some(c) != mine) {
            s.insert("userChoice".into(), json!({"route": cur, "at": self.now}));
        }
        let statuses =
            self.change || s.get("lastEffectiveModel").and_then(Value::as_str) != Some(&self.to);
        if statuses {
            s.insert("lastEffectiveModel".into(), self.to.clone().into());
        }
        if self.change {
            s.insert("lastSwitchAt".into(), self.now.into());
            s.insert(
                "lastSwitch".into(),
                json!({"at": self.now, "from": self.from, "to": self.to, "why": self.why}),
            );
        }
        if self.notify {
            s.insert(
                "lastNotice".into(),
                json!({"at": self.now, "from": self.from, "to": self.to, "text": self.notice}),
            );
        }
        let mut orders = Vec::new();
        let mut put = |key: &str, ids: Vec<&'a str>| {
            let saved = state.get(key).and_then(Value::as_object);
            // Compared in place: a thousand ids are copied only when they changed.
            if saved
                .and_then(|o| o.get(cp))
                .is_none_or(|now| !holds(now, &ids))
            {
                let others = saved
                    .into_iter()
                    .flatten()
                    .filter(|(p, _)| *p != cp)
                    .map(|(p, v)| (p.clone(), v.clone()))
                    .collect();
                let change = Change::Order {
                    others,
                    provider: cp,
                    ids,
                };
                orders.push((key.to_string(), change));
            }
        };
        put("accountOrder", preferred);
        put("lastOrder", after);
        let mut known = strings(s.get("knownModels"));
        let before = known.len();
        for m in agent_models(status, &Value::Null) {
            if !known.contains(&m) {
                known.push(m);
            }
        }
        if known.len() != before || s.get("knownModels").is_none() {
            s.insert("knownModels".into(), json!(known));
        }
        if self.usage.is_some() {
            let mut kept = Map::new();
            for (id, w) in s
                .get("usageLeft")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if num(w, "resetAt").is_some_and(|r| r > self.now) {
                    kept.insert(id.clone(), w.clone());
                }
            }
            if let Some(left) = &self.left
                && let (Some(id), Some(reset)) = (
                    left["profile"].as_str(),
                    left.get("resetAt").filter(|r| !r.is_null()),
                )
            {
                kept.insert(
                    id.to_string(),
                    json!({"at": self.now, "window": left["window"], "resetAt": reset, "percent": left["percent"]}),
                );
            }
            if kept.is_empty() {
                s.remove("usageLeft");
            } else {
                s.insert("usageLeft".into(), Value::Object(kept));
            }
        }
        (Value::Object(s), statuses, orders)
    }
}

/// The keys of a saved switch state that [`Decision::new`] and [`Decision::explain`]
/// read. A caller holding the state as script values converts only these: the rest
/// (a thousand profiles' statuses, the account orders) is never read there.
pub const DECISION_READS: [&str; 5] = [
    "lastEffectiveModel",
    "lastSwitchAt",
    "lastNotice",
    "userChoice",
    "usageLeft",
];

/// What [`Decision::state_changes`] does to one key of the state.
#[derive(Debug, PartialEq)]
pub enum Change<'a> {
    Set(Value),
    /// An account order: `{provider: ids}` beside the other providers' orders as saved.
    Order {
        others: Map<String, Value>,
        provider: &'a str,
        ids: Vec<&'a str>,
    },
    Remove,
    /// Set to this status's [`profile_statuses`].
    ProfileStatuses,
}

/// The account orders a switch state keeps: `accountOrder` (the order before clawshift's
/// switches) and `lastOrder` (the order it left).
const ORDERS: [&str; 2] = ["accountOrder", "lastOrder"];

/// The keys of a saved switch state that [`Decision::state_changes`] reads, and among
/// them those that [`candidates`] and [`validate`] read (`knownModels`, `accountOrder`,
/// `lastOrder`, through [`agent_models`] and [`account_order`]): a caller holding the
/// state as script values converts these once for all three, the account orders being
/// two thousand ids at 1,000 profiles.
pub const STATE_READS: [&str; 6] = [
    "lastEffectiveModel",
    "userChoice",
    "accountOrder",
    "lastOrder",
    "knownModels",
    "usageLeft",
];

/// When the route the agent is on was chosen by hand (it is not what clawshift last
/// set): from the recorded `userChoice`, or now when it is new. `None` when the current
/// route is clawshift's own.
fn user_choice_since(
    state: &Value,
    v: &[Verdict],
    current: Option<usize>,
    now: i64,
) -> Option<i64> {
    let key = v[current?].candidate.key();
    let choice = state.get("userChoice");
    if choice
        .and_then(|c| c.get("route"))
        .and_then(Value::as_str)
        .is_some_and(|r| same_route(r, key))
    {
        return choice.and_then(|c| num(c, "at")).or(Some(now));
    }
    let mine = state.get("lastEffectiveModel").and_then(Value::as_str)?;
    (mine != key).then_some(now)
}

/// True when a recorded route is candidate `key`'s: the same, or the candidate names
/// no account and the route is its model with one.
fn same_route(route: &str, key: &str) -> bool {
    route == key
        || route
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('@'))
}

/// One profile as a switch records it in the state's `profileStatuses`:
/// `{usable, kind, reason, until, model}`.
pub struct ProfileStatus<'a> {
    pub usable: bool,
    pub kind: Option<BlockKind>,
    pub reason: Option<&'a str>,
    pub until: Option<i64>,
    pub model: Option<&'a str>,
}

/// Whether `v` is an array whose strings are `list`, in order (anything else in it
/// skipped, as [`strings`] reads it), compared without copying either.
fn holds(v: &Value, list: &[&str]) -> bool {
    str_items(v).eq(list.iter().copied())
}

/// Per-profile status worth remembering, by profile id.
pub fn profile_statuses(
    status: &Status,
    now: i64,
) -> impl Iterator<Item = (&str, ProfileStatus<'_>)> {
    status.profiles.iter().map(move |p| {
        (
            &*p.id,
            ProfileStatus {
                usable: !rule_of(p, None, now).blocked(),
                kind: p.kind,
                reason: p.reason.as_deref(),
                until: p.until,
                model: p.model.as_deref(),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Shared, account_order, holds};

    #[test]
    fn a_candidate_equals_its_copy_whether_or_not_its_key_was_written() {
        let c = Shared::new("codex", "openai/gpt-5.5").candidate(Some("openai:a".into()));
        let copy = c.clone();
        assert_eq!(c.key(), "openai/gpt-5.5@openai:a");
        assert_eq!(c, copy);
        let other = Shared::new("codex", "openai/gpt-5.5").candidate(Some("openai:b".into()));
        assert_ne!(c, other);
    }

    #[test]
    fn a_saved_order_counts_as_unchanged_only_when_its_ids_are_the_same_in_the_same_order() {
        let ids = ["openai:a", "openai:b"];
        assert!(holds(&json!(["openai:a", "openai:b"]), &ids));
        assert!(!holds(&json!(["openai:b", "openai:a"]), &ids));
        assert!(!holds(&json!(["openai:a"]), &ids));
        assert!(!holds(&json!(["openai:a", "openai:b", "openai:c"]), &ids));
        // What is not a string is skipped, as the policy reads an order.
        assert!(holds(&json!(["openai:a", 7, "openai:b"]), &ids));
        assert!(holds(&json!("not an order"), &[]));
        assert!(!holds(&json!("not an order"), &ids));
    }

    #[test]
    fn the_remembered_account_order_counts_only_while_openclaw_keeps_the_order_clawshift_left() {
        let now = vec!["openai:a", "openai:b", "openai:c"];
        let state = json!({
            "accountOrder": {"openai": ["openai:c", "openai:gone", "openai:a"]},
            "lastOrder": {"openai": ["openai:a", "openai:b", "openai:c"]},
        });
        // Remembered ids still there first, in their order; then the others.
        assert_eq!(
            account_order(&state, "openai", now.clone()),
            ["openai:c", "openai:a", "openai:b"]
        );
        // OpenClaw's order moved since clawshift's last switch: the user's order wins.
        let moved = json!({
            "accountOrder": {"openai": ["openai:c", "openai:a"]},
            "lastOrder": {"openai": ["openai:b", "openai:a", "openai:c"]},
        });
        assert_eq!(account_order(&moved, "openai", now.clone()), now);
        assert_eq!(account_order(&json!({}), "openai", now.clone()), now);
        // Remembered as it is now (a quiet run): kept as it is.
        let same = json!({
            "accountOrder": {"openai": ["openai:a", "openai:b", "openai:c"]},
            "lastOrder": {"openai": ["openai:a", "openai:b", "openai:c"]},
        });
        assert_eq!(account_order(&same, "openai", now.clone()), now);
    }
}
