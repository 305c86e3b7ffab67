//! A scenario's changes applied to a base pack's merged TOML: the edits a move makes to the country groups (and
//! their dated changes), and a value replaced under `[set]`. The result is validated as a pack by the caller.

use toml::value::Datetime;
use toml::Value;

/// Where a country goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Tier(u8),
    AddTo(String),
    RemoveFrom(String),
    /// Supp. No. 5(b) assurances.
    Assured,
}

/// A change that cannot be made to a pack at all (it has no such group, no such key): not an error while
/// another pack of the base takes it.
#[derive(Clone, Debug)]
pub struct NotApplicable(pub String);

/// Sections `[set]` may not touch: what a pack is, its groups (moved with `[[move]]`), its texts.
const FIXED_SECTIONS: &[&str] = &[
    "schema",
    "pack",
    "extends",
    "dates",
    "status",
    "groups",
    "group_changes",
    "treated_as",
    "dependencies",
    "united_states",
    "obligations",
    "not_assessed",
];
/// Keys `[set]` may not touch anywhere: what cites or explains a value rather than the value.
const FIXED_LEAVES: &[&str] = &["citation", "quote", "text", "title", "reading", "options", "confidence", "otherwise"];

/// Moves `country` to `target` in `table`, from `from` on (throughout when `None`); returns the edits made, in
/// words (none when the country is already there). `label` cites the change in the dated group changes it writes.
pub fn apply_move(
    table: &mut toml::Table,
    country: &str,
    target: &Target,
    from: Option<&Datetime>,
    label: &str,
) -> Result<Vec<String>, NotApplicable> {
    let tier_groups = |tier: &str| -> Vec<String> {
        let groups = table.get("tiers").and_then(|t| t.get(tier)).and_then(|t| t.get("groups"));
        groups
            .and_then(Value::as_array)
            .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    };
    let (tier1, tier3, assured) = (tier_groups("tier1"), tier_groups("tier3"), tier_groups("assurances"));
    // (group, wanted membership) pairs.
    let mut wants: Vec<(String, bool)> = Vec::new();
    match target {
        Target::Tier(1) => {
            let first = tier1.first().ok_or_else(|| NotApplicable("has no Tier 1 group".into()))?;
            wants.push((first.clone(), true));
            wants.extend(tier3.iter().map(|g| (g.clone(), false)));
        }
        Target::Tier(2) => {
            wants.extend(tier1.iter().chain(&tier3).map(|g| (g.clone(), false)));
        }
        Target::Tier(_) => {
            let first = tier3.first().ok_or_else(|| NotApplicable("has no Tier 3 group".into()))?;
            wants.push((first.clone(), true));
            wants.extend(tier1.iter().map(|g| (g.clone(), false)));
        }
        Target::AddTo(g) => wants.push((g.clone(), true)),
        Target::RemoveFrom(g) => wants.push((g.clone(), false)),
        Target::Assured => {
            let first =
                assured.first().ok_or_else(|| NotApplicable("has no Supp. No. 5(b) assurances group".into()))?;
            wants.push((first.clone(), true));
        }
    }
    for (group, _) in &wants {
        if members(table, group).is_none() {
            return Err(NotApplicable(format!("has no country group `{group}`")));
        }
    }
    let mut edits = Vec::new();
    for (group, want) in wants {
        edits.extend(ensure(table, &group, country, want, from, label));
    }
    Ok(edits)
}

fn members<'t>(table: &'t mut toml::Table, group: &str) -> Option<&'t mut Vec<Value>> {
    table.get_mut("groups")?.get_mut(group)?.get_mut("members")?.as_array_mut()
}

fn date_key(d: &Datetime) -> String {
    d.to_string()
}

/// Makes `country` a member of `group` (or not), throughout or from `from` on: the base members for a change
/// throughout, a dated group change otherwise; the base's own dated changes of the country in that group from
/// then on are dropped, so they cannot undo it.
fn ensure(
    table: &mut toml::Table,
    group: &str,
    country: &str,
    want: bool,
    from: Option<&Datetime>,
    label: &str,
) -> Vec<String> {
    let verb = if want { "add" } else { "remove" };
    let mut edits = Vec::new();
    let from_key = from.map(date_key);
    // Drop the base's changes of this country in this group on or after `from` (all of them when throughout).
    if let Some(Value::Array(changes)) = table.get_mut("group_changes") {
        for change in changes.iter_mut() {
            let Some(ch) = change.as_table_mut() else { continue };
            if ch.get("group").and_then(Value::as_str) != Some(group) {
                continue;
            }
            let date = ch.get("date").and_then(Value::as_datetime).map(date_key).unwrap_or_default();
            if from_key.as_ref().is_some_and(|f| date < *f) {
                continue;
            }
            for side in ["add", "remove"] {
                if let Some(Value::Array(list)) = ch.get_mut(side) {
                    let before = list.len();
                    list.retain(|v| v.as_str() != Some(country));
                    if list.len() != before {
                        edits.push(format!("drops the base's change of {date} ({side} {country} in `{group}`)"));
                    }
                }
            }
        }
        changes.retain(|c| {
            let empty = |side: &str| c.get(side).and_then(Value::as_array).is_none_or(Vec::is_empty);
            !(empty("add") && empty("remove"))
        });
    }
    match &from_key {
        None => {
            let Some(list) = members(table, group) else { return edits };
            let has = list.iter().any(|v| v.as_str() == Some(country));
            if has != want {
                if want {
                    list.push(Value::String(country.to_owned()));
                } else {
                    list.retain(|v| v.as_str() != Some(country));
                }
                edits.push(format!("{verb}s {country} {} `{group}`", if want { "to" } else { "from" }));
            }
        }
        Some(f) => {
            if member_on(table, group, country, f) != want {
                let mut change = toml::Table::new();
                change.insert("date".into(), Value::Datetime(*from.unwrap_or(&Datetime::from(DAY0))));
                change.insert("group".into(), Value::String(group.to_owned()));
                change.insert(verb.into(), Value::Array(vec![Value::String(country.to_owned())]));
                change.insert("citation".into(), Value::String(label.to_owned()));
                let changes = table.entry("group_changes").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = changes {
                    a.push(Value::Table(change));
                }
                edits.push(format!("{verb}s {country} {} `{group}` from {f}", if want { "to" } else { "from" }));
            }
        }
    }
    edits
}

const DAY0: toml::value::Date = toml::value::Date { year: 1900, month: 1, day: 1 };

/// Whether `country` is in `group` on `date` (`YYYY-MM-DD`), by the members and the dated changes up to it.
fn member_on(table: &mut toml::Table, group: &str, country: &str, date: &str) -> bool {
    let mut has = members(table, group).is_some_and(|l| l.iter().any(|v| v.as_str() == Some(country)));
    let mut changes: Vec<(String, bool)> = Vec::new();
    if let Some(Value::Array(all)) = table.get("group_changes") {
        for ch in all.iter().filter_map(Value::as_table) {
            if ch.get("group").and_then(Value::as_str) != Some(group) {
                continue;
            }
            let d = ch.get("date").and_then(Value::as_datetime).map(date_key).unwrap_or_default();
            if d.as_str() > date {
                continue;
            }
            for (side, joins) in [("add", true), ("remove", false)] {
                if ch.get(side).and_then(Value::as_array).is_some_and(|l| l.iter().any(|v| v.as_str() == Some(country)))
                {
                    changes.push((d.clone(), joins));
                }
            }
        }
    }
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, joins) in changes {
        has = joins;
    }
    has
}

/// Why a `[set]` key was refused.
#[derive(Clone, Debug)]
pub enum SetError {
    /// This pack has no such key (another of the base's packs may).
    Missing(String),
    /// The key or the value is wrong whatever the pack.
    Invalid(String),
}

/// Replaces the value at dotted `key` (`section.name`, or its `value` where the key holds a cited value) with
/// `value`; returns the value replaced, and the value written.
pub fn apply_set(table: &mut toml::Table, key: &str, value: &Value) -> Result<(Value, Value), SetError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(SetError::Invalid("is not a dotted key of the pack (like `lpp.annual_limit_tpp`)".into()));
    }
    if let Some(first) = parts.first().filter(|p| FIXED_SECTIONS.contains(p)) {
        return Err(SetError::Invalid(format!(
            "`[{first}]` cannot be set by a scenario: move countries with `[[move]]`, give assurances with `[[assure]]`"
        )));
    }
    if let Some(last) = parts.last().filter(|p| FIXED_LEAVES.contains(p)) {
        return Err(SetError::Invalid(format!("`{last}` says what a value rests on; a scenario sets values")));
    }
    let mut here: &mut toml::Table = table;
    let (last, path) = parts.split_last().ok_or_else(|| SetError::Invalid("is empty".into()))?;
    for (i, part) in path.iter().enumerate() {
        let known = keys(here);
        let so_far = parts.get(..=i).unwrap_or_default().join(".");
        here = match here.get_mut(*part) {
            Some(Value::Table(t)) => t,
            Some(_) => return Err(SetError::Invalid(format!("`{so_far}` is a value, not a section"))),
            None => return Err(SetError::Missing(format!("has no `{so_far}` (there: {known})"))),
        };
    }
    let known = keys(here);
    let slot = here.get_mut(*last).ok_or_else(|| SetError::Missing(format!("has no `{key}` (there: {known})")))?;
    let (slot, options) = match slot {
        Value::Table(t) if t.contains_key("value") => {
            let options: Option<Vec<String>> = t
                .get("options")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect());
            (t.get_mut("value").ok_or_else(|| SetError::Invalid("has no value".into()))?, options)
        }
        Value::Table(t) => {
            return Err(SetError::Invalid(format!("is a section; set one of its keys: {}", keys(t))));
        }
        other => (other, None),
    };
    let new = typed(slot, value)?;
    if let (Some(options), Value::String(s)) = (&options, &new) {
        if !options.contains(s) {
            return Err(SetError::Invalid(format!("`{s}` is not one of {}", options.join(", "))));
        }
    }
    let old = std::mem::replace(slot, new.clone());
    Ok((old, new))
}

fn keys(t: &toml::Table) -> String {
    let mut k: Vec<&str> = t.keys().map(String::as_str).filter(|k| !FIXED_LEAVES.contains(k)).collect();
    k.sort_unstable();
    k.join(", ")
}

/// `value` as the type of the value it replaces (an integer for a number with a fraction).
fn typed(old: &Value, value: &Value) -> Result<Value, SetError> {
    let wrong =
        |what: &str| SetError::Invalid(format!("must be {what}, like the value it replaces ({old}); got {value}"));
    match (old, value) {
        (Value::Integer(_), Value::Integer(_))
        | (Value::Float(_), Value::Float(_))
        | (Value::String(_), Value::String(_))
        | (Value::Boolean(_), Value::Boolean(_))
        | (Value::Datetime(_), Value::Datetime(_))
        | (Value::Array(_), Value::Array(_)) => Ok(value.clone()),
        #[allow(clippy::cast_precision_loss)]
        (Value::Float(_), Value::Integer(i)) => Ok(Value::Float(*i as f64)),
        (Value::Integer(_), _) => Err(wrong("a whole number")),
        (Value::Float(_), _) => Err(wrong("a number")),
        (Value::String(_), _) => Err(wrong("text")),
        (Value::Boolean(_), _) => Err(wrong("true or false")),
        (Value::Datetime(_), _) => Err(wrong("a date")),
        (Value::Array(_), _) => Err(wrong("a list")),
        (Value::Table(_), _) => Err(wrong("a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> toml::Table {
        toml::from_str(
            r#"
[tiers]
tier1 = { groups = ["t1"] }
tier3 = { groups = ["d5", "mo"] }
assurances = { groups = ["as"] }
[groups.t1]
members = ["FR"]
[groups.d5]
members = ["CN", "KH"]
[groups.mo]
members = ["MO"]
[groups.as]
members = []
[[group_changes]]
date = 2026-02-03
group = "d5"
remove = ["KH"]
citation = "x"
[lpp]
annual_limit_tpp = { value = 26900000, citation = "c" }
[readings]
allocation_test = { value = "after_request", options = ["after_request", "before_request"], text = "t" }
"#,
        )
        .unwrap()
    }

    fn members_of(t: &mut toml::Table, g: &str) -> Vec<String> {
        members(t, g).unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn a_move_to_tier_1_leaves_tier_3() {
        let mut t = table();
        let edits = apply_move(&mut t, "CN", &Target::Tier(1), None, "s").unwrap();
        assert_eq!(members_of(&mut t, "t1"), ["FR", "CN"]);
        assert_eq!(members_of(&mut t, "d5"), ["KH"]);
        assert_eq!(edits.len(), 2, "{edits:?}");
        // Already there: nothing to do.
        assert!(apply_move(&mut t, "CN", &Target::Tier(1), None, "s").unwrap().is_empty());
    }

    #[test]
    fn a_move_throughout_drops_the_base_changes_that_would_undo_it() {
        let mut t = table();
        apply_move(&mut t, "KH", &Target::Tier(3), None, "s").unwrap();
        assert!(t.get("group_changes").unwrap().as_array().unwrap().is_empty());
        assert_eq!(members_of(&mut t, "d5"), ["CN", "KH"]);
    }

    #[test]
    fn a_dated_move_writes_a_group_change() {
        let mut t = table();
        let from: Datetime = "2026-03-01".parse().unwrap();
        let edits = apply_move(&mut t, "PL", &Target::Tier(1), Some(&from), "scenario x").unwrap();
        assert_eq!(edits, ["adds PL to `t1` from 2026-03-01"]);
        let changes = t.get("group_changes").unwrap().as_array().unwrap();
        assert_eq!(changes.len(), 2);
        // KH leaves D:5 on 2026-02-03 in the base: a move to tier 2 from 2026-03-01 changes nothing.
        assert!(apply_move(&mut t, "KH", &Target::Tier(2), Some(&from), "s").unwrap().is_empty());
    }

    #[test]
    fn a_missing_group_is_not_applicable() {
        let mut t = table();
        assert!(apply_move(&mut t, "AE", &Target::AddTo("A:5".into()), None, "s").is_err());
    }

    #[test]
    fn set_replaces_cited_values_and_checks_types_and_options() {
        let mut t = table();
        let (old, new) = apply_set(&mut t, "lpp.annual_limit_tpp", &Value::Integer(13_450_000)).unwrap();
        assert_eq!((old.as_integer(), new.as_integer()), (Some(26_900_000), Some(13_450_000)));
        assert!(matches!(
            apply_set(&mut t, "lpp.annual_limit_tpp", &Value::String("x".into())),
            Err(SetError::Invalid(_))
        ));
        assert!(matches!(apply_set(&mut t, "lpp.nope", &Value::Integer(1)), Err(SetError::Missing(_))));
        assert!(matches!(apply_set(&mut t, "lpp", &Value::Integer(1)), Err(SetError::Invalid(_))));
        assert!(matches!(apply_set(&mut t, "groups.t1.members", &Value::Array(vec![])), Err(SetError::Invalid(_))));
        assert!(matches!(
            apply_set(&mut t, "lpp.annual_limit_tpp.citation", &Value::Integer(1)),
            Err(SetError::Invalid(_))
        ));
        let reading = Value::String("sometimes".into());
        assert!(matches!(apply_set(&mut t, "readings.allocation_test", &reading), Err(SetError::Invalid(_))));
        apply_set(&mut t, "readings.allocation_test", &Value::String("before_request".into())).unwrap();
    }
}
