//! Scenarios: what-if regimes written over a real one.
//!
//! A scenario file (`file.rs`) names a base — a timeline or a built-in pack — and its changes: countries moved
//! between tiers or into and out of country groups, Supp. No. 5(b) assurances, values replaced under `[set]`.
//! Loading it applies the changes to each pack of the base (`overlay.rs`), validates the result as a pack, and
//! yields packs of their own id, `scenario:NAME`, whose sha256 covers the scenario's text and the base pack's
//! sha256: an answer under a scenario can never pass for the official pack. Every answer carries a note saying
//! the regime is hypothetical.
//!
//! Each change is tried alone against each pack of the base first: a change that changes nothing under any of
//! them (a country already in the tier, a value already set, a section the regime does not have) is an error
//! naming its key, and `tiergate scenario show` lists what each replaces.

pub mod capacity;
mod file;
mod overlay;

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::Date;

pub use file::{check_name, Assure, Header, Move, ScenarioFile, MAX_BYTES, MAX_CHANGES, SCHEMA};
pub use overlay::Target;
use overlay::{apply_move, apply_set, NotApplicable, SetError};

use crate::country::{Countries, Country};
use crate::pack::{build_table, Library, Pack};
use crate::regimes::{Period, Regimes, Timeline};
use crate::DataError;

/// A scenario, loaded and built over its base.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The name in the file.
    pub name: String,
    /// `scenario:NAME`: the id of every pack it yields.
    pub id: String,
    pub version: String,
    pub title: String,
    /// The base's name: a timeline or a pack id.
    pub base: String,
    /// The file's text, as loaded (what its packs' sha256 covers).
    pub text: String,
    pub file: ScenarioFile,
    /// Over a timeline: its periods, each answered by its pack with the scenario's changes.
    pub timeline: Option<Timeline>,
    /// The pack for what no request dates: the last period's, or the only one.
    pub pack: Arc<Pack>,
    /// Each change with what it replaces under each pack of the base.
    pub changes: Vec<ChangeView>,
}

/// One change of a scenario, and what it does under each pack of the base.
#[derive(Clone, Debug)]
pub struct ChangeView {
    /// Where it is in the file: `move[0]`, `assure[1]`, `set."lpp.annual_limit_tpp"`.
    pub key: String,
    /// The change in words.
    pub change: String,
    pub under: Vec<Under>,
}

/// A change under one pack of the base.
#[derive(Clone, Debug)]
pub struct Under {
    pub pack: String,
    /// What the pack had: the country's tier or membership, the value replaced.
    pub replaces: Option<String>,
    pub effect: Effect,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The change applies; the edits it makes.
    Changed(Vec<String>),
    /// The pack already says so, or the change touches nothing the pack's answers use.
    NoEffect(String),
    /// The pack has no such group, key or mechanism.
    NotApplicable(String),
}

impl Effect {
    pub fn as_str(&self) -> &'static str {
        match self {
            Effect::Changed(_) => "changed",
            Effect::NoEffect(_) => "no_effect",
            Effect::NotApplicable(_) => "not_applicable",
        }
    }
}

/// A change resolved against the country table.
#[derive(Clone, Debug)]
enum Kind {
    Move { country: Country, code: String, target: Target, from: Option<toml::value::Datetime> },
    Set { key: String, value: toml::Value },
}

#[derive(Clone, Debug)]
struct Resolved {
    key: String,
    kind: Kind,
}

impl Scenario {
    /// Loads a scenario file (`source` names it in errors) over the built-in packs and timelines.
    pub fn load(
        text: &str,
        source: &str,
        library: &Library,
        regimes: &Regimes,
        countries: &Arc<Countries>,
    ) -> Result<Scenario, DataError> {
        let file = ScenarioFile::parse(text, source)?;
        let err = |key: &str, problem: String| DataError::new(source, key, problem);
        let base = file.scenario.base.clone();
        let timeline = regimes.timeline(&base);
        let pack_ids: Vec<String> = match timeline {
            Some(t) => {
                let mut ids: Vec<String> = Vec::new();
                for p in &t.periods {
                    if !ids.contains(&p.pack.id) {
                        ids.push(p.pack.id.clone());
                    }
                }
                ids
            }
            None if regimes.pack(&base).is_some() => vec![base.clone()],
            None => {
                let timelines: Vec<&str> = regimes.timelines.iter().map(|t| t.name.as_str()).collect();
                let packs: Vec<&str> = regimes.packs.iter().map(|p| p.id.as_str()).collect();
                return Err(err(
                    "scenario.base",
                    format!(
                        "`{base}` is neither a timeline ({}) nor a built-in pack ({}); a scenario is not written over another scenario",
                        timelines.join(", "),
                        packs.join(", ")
                    ),
                ));
            }
        };
        let changes = resolve(&file, countries, source)?;
        let name = file.scenario.name.clone();
        let id = format!("scenario:{name}");
        let label = format!("scenario `{name}` (hypothetical)");
        let mut views: Vec<ChangeView> =
            changes.iter().map(|c| ChangeView { key: c.key.clone(), change: describe(c), under: Vec::new() }).collect();
        let mut built: HashMap<String, Arc<Pack>> = HashMap::new();
        for pack_id in &pack_ids {
            let base_pack =
                regimes.pack(pack_id).ok_or_else(|| err("scenario.base", format!("no pack `{pack_id}`")))?;
            let merged = library.merged(pack_id)?;
            for (c, view) in changes.iter().zip(views.iter_mut()) {
                let under = try_alone(c, &merged.table, base_pack, source, countries, &label)?;
                view.under.push(under);
            }
            let mut table = merged.table.clone();
            let applied: Vec<&ChangeView> = views
                .iter()
                .filter(|v| v.under.last().is_some_and(|u| matches!(u.effect, Effect::Changed(_))))
                .collect();
            for c in &changes {
                if applied.iter().any(|v| v.key == c.key) {
                    apply(c, &mut table, &label).map_err(|e| err(&c.key, format!("under `{pack_id}`: {e}")))?;
                }
            }
            let mut hasher = Sha256::new();
            hasher.update(text.as_bytes());
            hasher.update(b"\n");
            hasher.update(base_pack.sha256.as_bytes());
            let sha256 = format!("{:x}", hasher.finalize());
            decorate(&mut table, &file, &id, pack_id, &sha256, &applied);
            let mut pack = build_table(&table, source, countries).map_err(|e| {
                err(
                    "",
                    format!(
                        "the changes together make an invalid pack over `{pack_id}`: key `{}`: {}",
                        e.key(),
                        e.problem()
                    ),
                )
            })?;
            pack.id = id.clone();
            pack.sha256 = sha256;
            pack.extends = merged.extends;
            built.insert(pack_id.clone(), Arc::new(pack));
        }
        for v in &views {
            if !v.under.iter().any(|u| matches!(u.effect, Effect::Changed(_))) {
                let why: Vec<String> = v
                    .under
                    .iter()
                    .map(|u| match &u.effect {
                        Effect::NoEffect(w) | Effect::NotApplicable(w) => format!("`{}` {w}", u.pack),
                        Effect::Changed(_) => String::new(),
                    })
                    .collect();
                if v.key.starts_with("set.") && v.under.iter().all(|u| u.replaces.is_none()) {
                    return Err(err(&v.key, format!("is not a key of any pack of `{base}`: {}", why.join("; "))));
                }
                return Err(err(&v.key, format!("changes nothing under `{base}`: {}", why.join("; "))));
            }
        }
        let get = |pack_id: &str| {
            built.get(pack_id).cloned().ok_or_else(|| err("scenario.base", format!("no pack `{pack_id}`")))
        };
        let (timeline, pack) = match timeline {
            Some(t) => {
                let periods = t
                    .periods
                    .iter()
                    .map(|p| Ok(Period { pack: get(&p.pack.id)?, ..p.clone() }))
                    .collect::<Result<Vec<_>, DataError>>()?;
                let last = periods
                    .last()
                    .map(|p| Arc::clone(&p.pack))
                    .ok_or_else(|| err("scenario.base", "the timeline has no period".into()))?;
                (
                    Some(Timeline { name: t.name.clone(), title: format!("{} (scenario {name})", t.title), periods }),
                    last,
                )
            }
            None => (None, get(&base)?),
        };
        Ok(Scenario {
            title: pack.title.clone(),
            version: file.scenario.version.clone(),
            name,
            id,
            base,
            text: text.to_owned(),
            file,
            timeline,
            pack,
            changes: views,
        })
    }

    /// The pack answering on `date`: the timeline's period's, or the only one; `None` before the timeline.
    pub fn pack_on(&self, date: Date) -> Option<&Arc<Pack>> {
        match &self.timeline {
            Some(t) => t.at(date).map(|p| &p.pack),
            None => Some(&self.pack),
        }
    }
}

/// Checks each change's shape and resolves its country.
fn resolve(file: &ScenarioFile, countries: &Countries, source: &str) -> Result<Vec<Resolved>, DataError> {
    let err = |key: &str, problem: String| DataError::new(source, key, problem);
    let country = |key: &str, text: &str| -> Result<(Country, String), DataError> {
        let c = countries
            .by_code(text)
            .or_else(|| countries.resolve(text))
            .ok_or_else(|| err(&format!("{key}.country"), countries.unknown(text)))?;
        Ok((c, countries.code(c).to_owned()))
    };
    let date = |key: &str, d: &Option<toml::value::Datetime>| -> Result<Option<toml::value::Datetime>, DataError> {
        match d {
            Some(d) if d.date.is_none() || d.time.is_some() || d.offset.is_some() => {
                Err(err(&format!("{key}.from"), format!("`{d}` is not a date (YYYY-MM-DD)")))
            }
            other => Ok(*other),
        }
    };
    let mut out: Vec<Resolved> = Vec::new();
    let mut seen: Vec<(String, String, String)> = Vec::new();
    let mut once = |key: &str, code: &str, what: &str| -> Result<(), DataError> {
        if let Some((k, _, _)) = seen.iter().find(|(_, c, w)| c == code && w == what) {
            return Err(err(key, format!("{code} is already changed this way by `{k}`")));
        }
        seen.push((key.to_owned(), code.to_owned(), what.to_owned()));
        Ok(())
    };
    for (i, m) in file.moves.iter().enumerate() {
        let key = format!("move[{i}]");
        let (c, code) = country(&key, &m.country)?;
        let target = match (m.tier, &m.add_to, &m.remove_from) {
            (Some(t @ 1..=3), None, None) => Target::Tier(u8::try_from(t).unwrap_or(2)),
            (Some(t), None, None) => return Err(err(&format!("{key}.tier"), format!("is {t}; a tier is 1, 2 or 3"))),
            (None, Some(g), None) => Target::AddTo(g.clone()),
            (None, None, Some(g)) => Target::RemoveFrom(g.clone()),
            _ => return Err(err(&key, "give exactly one of `tier`, `add_to`, `remove_from`".into())),
        };
        let what = match &target {
            Target::Tier(_) => "tier".to_owned(),
            Target::AddTo(g) | Target::RemoveFrom(g) => format!("group {g}"),
            Target::Assured => "assurances".to_owned(),
        };
        once(&key, &code, &what)?;
        out.push(Resolved {
            key: key.clone(),
            kind: Kind::Move { country: c, code, target, from: date(&key, &m.from)? },
        });
    }
    for (i, a) in file.assure.iter().enumerate() {
        let key = format!("assure[{i}]");
        let (c, code) = country(&key, &a.country)?;
        once(&key, &code, "assurances")?;
        out.push(Resolved {
            key: key.clone(),
            kind: Kind::Move { country: c, code, target: Target::Assured, from: date(&key, &a.from)? },
        });
    }
    for (k, v) in &file.set {
        out.push(Resolved { key: format!("set.\"{k}\""), kind: Kind::Set { key: k.clone(), value: v.clone() } });
    }
    Ok(out)
}

fn describe(c: &Resolved) -> String {
    match &c.kind {
        Kind::Move { code, target, from, .. } => {
            let when = from.map(|f| format!(" from {f}")).unwrap_or_default();
            match target {
                Target::Tier(t) => format!("{code} to Tier {t}{when}"),
                Target::AddTo(g) => format!("{code} into Country Group {g}{when}"),
                Target::RemoveFrom(g) => format!("{code} out of Country Group {g}{when}"),
                Target::Assured => format!("{code} gives Supp. No. 5(b) assurances{when}"),
            }
        }
        Kind::Set { key, value } => format!("{key} = {value}"),
    }
}

fn apply(c: &Resolved, table: &mut toml::Table, label: &str) -> Result<Vec<String>, String> {
    match &c.kind {
        Kind::Move { code, target, from, .. } => {
            apply_move(table, code, target, from.as_ref(), label).map_err(|NotApplicable(w)| w)
        }
        Kind::Set { key, value } => match apply_set(table, key, value) {
            Ok((old, new)) => Ok(if old == new { Vec::new() } else { vec![format!("{key}: {old} → {new}")] }),
            Err(SetError::Missing(w) | SetError::Invalid(w)) => Err(w),
        },
    }
}

/// Change `c` made alone to the pack `base` (merged table `table`): what it replaces, and whether it changes
/// anything the pack's answers use. A change that is wrong whatever the pack is an error naming its key.
fn try_alone(
    c: &Resolved,
    table: &toml::Table,
    base: &Pack,
    source: &str,
    countries: &Arc<Countries>,
    label: &str,
) -> Result<Under, DataError> {
    let err = |key: &str, problem: String| DataError::new(source, key, problem);
    let mut t = table.clone();
    let under = |replaces: Option<String>, effect: Effect| Under { pack: base.id.clone(), replaces, effect };
    match &c.kind {
        Kind::Move { country, code, target, from } => {
            let ck = format!("{}.country", c.key);
            if *country == base.united_states.value {
                return Err(err(&ck, format!("{code} is the United States, which is no destination under the EAR")));
            }
            if let Some((to, _)) = base.treated_as(*country) {
                let to = base.countries.code(to);
                return Err(err(&ck, format!("`{}` treats {code} as {to}: move {to} instead", base.id)));
            }
            let replaces = Some(standing(base, *country, target));
            let edits = match apply_move(&mut t, code, target, from.as_ref(), label) {
                Err(NotApplicable(why)) => return Ok(under(replaces, Effect::NotApplicable(why))),
                Ok(e) if e.is_empty() => {
                    let why = format!("already has {code} so ({})", replaces.as_deref().unwrap_or_default());
                    return Ok(under(replaces, Effect::NoEffect(why)));
                }
                Ok(e) => e,
            };
            let built = build_table(&t, source, countries)
                .map_err(|e| err(&c.key, format!("under `{}`: key `{}`: {}", base.id, e.key(), e.problem())))?;
            let effect = match target {
                Target::AddTo(_) | Target::RemoveFrom(_) => Effect::Changed(edits),
                Target::Assured if !base.regime.allocations => {
                    Effect::NotApplicable("has no Tier 2 allocations for assurances to raise".into())
                }
                Target::Assured if !assurance_counts(base, &built, *country) => Effect::NoEffect(format!(
                    "has {code} outside Tier 2 whenever the assurance would apply: it raises no allocation"
                )),
                _ if same_effect(base, &built) => Effect::NoEffect(if base.regime.tiers {
                    "changes no set the answers use".into()
                } else {
                    "has no tiers, and the move changes no other set the answers use".into()
                }),
                _ => Effect::Changed(edits),
            };
            Ok(under(replaces, effect))
        }
        Kind::Set { key, value } => {
            let (old, new) = match apply_set(&mut t, key, value) {
                Err(SetError::Invalid(w)) => return Err(err(&c.key, w)),
                Err(SetError::Missing(w)) => return Ok(under(None, Effect::NotApplicable(w))),
                Ok(v) => v,
            };
            let replaces = Some(old.to_string());
            if old == new {
                return Ok(under(replaces, Effect::NoEffect(format!("already has {key} = {old}"))));
            }
            build_table(&t, source, countries)
                .map_err(|e| err(&c.key, format!("under `{}`: key `{}`: {}", base.id, e.key(), e.problem())))?;
            if let Some(why) = idle_section(key, base, table) {
                return Ok(under(replaces, Effect::NotApplicable(why)));
            }
            Ok(under(replaces, Effect::Changed(vec![format!("{key}: {old} → {new}")])))
        }
    }
}

/// Why a key's section does nothing under `base` (a mechanism the regime does not have), if it does nothing.
fn idle_section(key: &str, base: &Pack, table: &toml::Table) -> Option<String> {
    let section = key.split('.').next().unwrap_or_default();
    let order: Vec<&str> = table
        .get("readings")
        .and_then(|r| r.get("authorization_order"))
        .and_then(|o| o.get("value"))
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_str).collect())
        .unwrap_or_default();
    let step = |s: &str| (!order.contains(&s)).then(|| format!("tries no {s} (readings.authorization_order)"));
    match section {
        "allocation" if !base.regime.allocations => Some("has no Tier 2 allocations".into()),
        "model_weights" if !base.regime.model_weights => Some("has no ECCN 4E091".into()),
        "tiers" if !base.regime.tiers => Some("has no tiers".into()),
        "aia" => step("AIA"),
        "lpp" => step("LPP"),
        "acm" => step("ACM"),
        "uveu" | "nveu" | "veu" => step("VEU"),
        _ => None,
    }
}

/// Every date a snapshot of either pack starts, and one before them all.
fn dates(a: &Pack, b: &Pack) -> Vec<Date> {
    let mut d: Vec<Date> = std::iter::once(Date::MIN).chain(a.change_dates()).chain(b.change_dates()).collect();
    d.sort_unstable();
    d.dedup();
    d
}

fn same_effect(a: &Pack, b: &Pack) -> bool {
    dates(a, b).into_iter().all(|d| a.at(d).same_effect(b.at(d)))
}

/// Whether an assurance for `c` in `after` raises its allocation on some date: it is assured there and not
/// before, and in Tier 2.
fn assurance_counts(before: &Pack, after: &Pack, c: Country) -> bool {
    dates(before, after).into_iter().any(|d| {
        let (a, b) = (before.at(d), after.at(d));
        b.assurances.contains(c) && !a.assurances.contains(c) && !b.tier1.contains(c) && !b.tier3.contains(c)
    })
}

/// Where `c` stands in `pack` as far as `target` is concerned: its tier, or its membership of the group, and
/// when that changes.
fn standing(pack: &Pack, c: Country, target: &Target) -> String {
    let at = |d: Date| -> String {
        let s = pack.at(d);
        match target {
            Target::Tier(_) if !pack.regime.tiers => {
                if s.tier3.contains(c) { "Macau/D:5 (no tiers)" } else { "no tiers" }.to_owned()
            }
            Target::Tier(_) => {
                let t = if s.tier3.contains(c) {
                    3
                } else if s.tier1.contains(c) {
                    1
                } else {
                    2
                };
                format!("Tier {t}")
            }
            Target::Assured => if s.assurances.contains(c) { "assured" } else { "not assured" }.to_owned(),
            Target::AddTo(g) | Target::RemoveFrom(g) => {
                let member = pack
                    .group_names
                    .iter()
                    .position(|n| n == g)
                    .and_then(|i| s.groups.get(i))
                    .is_some_and(|set| set.contains(c));
                if member {
                    format!("in {g}")
                } else {
                    format!("not in {g}")
                }
            }
        }
    };
    let mut parts: Vec<String> = vec![at(Date::MIN)];
    for d in pack.change_dates() {
        let now = at(d);
        if parts.last().is_none_or(|p| !p.ends_with(&now)) {
            parts.push(format!("from {d}: {now}"));
        }
    }
    parts.join("; ")
}

/// Most changes the note on every answer lists by name.
const NOTE_CHANGES: usize = 8;

/// Makes the merged table the scenario's pack: its own id (replaced after validation by `scenario:NAME`), version,
/// title and citation, the changes it makes, and a note every answer carries.
fn decorate(table: &mut toml::Table, file: &ScenarioFile, id: &str, base: &str, sha256: &str, applied: &[&ChangeView]) {
    use toml::Value;
    let name = &file.scenario.name;
    let title =
        file.scenario.title.clone().unwrap_or_else(|| format!("Scenario {name} written over {}", file.scenario.base));
    let changes: Vec<String> = applied.iter().map(|v| v.change.clone()).collect();
    if let Some(Value::Table(pack)) = table.get_mut("pack") {
        pack.insert("id".into(), Value::String(format!("scenario-{name}")));
        pack.insert("version".into(), Value::String(file.scenario.version.clone()));
        pack.insert("title".into(), Value::String(title));
        pack.insert(
            "citation".into(),
            Value::String(format!("Tiergate scenario `{name}` written over `{base}`: hypothetical, not a regulation")),
        );
        pack.insert("changes".into(), Value::Array(changes.iter().cloned().map(Value::String).collect()));
    }
    let mut note = toml::Table::new();
    note.insert("from".into(), Value::Datetime(toml::value::Date { year: 1900, month: 1, day: 1 }.into()));
    note.insert(
        "text".into(),
        Value::String(format!(
            "hypothetical: this answer is under {id} (version {}), written over `{base}` with {}; it is not the regulation",
            file.scenario.version,
            match changes.len() {
                0 => "none of its changes applying".to_owned(),
                n if n <= NOTE_CHANGES => changes.join("; "),
                n => format!(
                    "{}; and {} more (`tiergate scenario show`)",
                    changes.get(..NOTE_CHANGES).unwrap_or_default().join("; "),
                    n - NOTE_CHANGES
                ),
            }
        )),
    );
    note.insert("citation".into(), Value::String(format!("{id}, sha256 {sha256}")));
    match table.get_mut("status") {
        Some(Value::Array(a)) => a.push(Value::Table(note)),
        _ => {
            table.insert("status".into(), Value::Array(vec![Value::Table(note)]));
        }
    }
}
