//! The regimes as answers: each timeline's periods (`tiergate regimes`), and what changed between two packs or two
//! dates (`tiergate regimes diff`), as JSON and as Markdown.

use std::fmt::Write as _;

use serde::Serialize;
use time::macros::format_description;
use time::Date;

use tiergate_core::regimes::diff::{diff, Change, SECTIONS};
use tiergate_core::regimes::Timeline;
use tiergate_core::Pack;

use crate::{Env, WireError};

/// A timeline with its periods.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TimelineOut<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub periods: Vec<PeriodOut<'a>>,
}

/// One period: its dates, its pack and the instrument that opened it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PeriodOut<'a> {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    /// The last day; null for the period in force from `from` on.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    pub pack: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    pub title: &'a str,
    pub instrument: &'a str,
    /// `primary`, `secondary` or `unconfirmed`.
    pub confidence: &'static str,
    /// For a period that is not primary: what would change if it were otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<&'a str>,
    /// The packs this one is written over, farthest first.
    pub extends: &'a [String],
    pub changes: &'a [String],
}

/// Every timeline (or `only` one), each with every period (or only the one in force on `date`).
pub fn timelines<'a>(env: &'a Env, only: Option<&str>, date: Option<Date>) -> Result<Vec<TimelineOut<'a>>, WireError> {
    if let Some(name) = only {
        if env.regimes.timeline(name).is_none() {
            return Err(unknown_timeline(env, name, "timeline"));
        }
    }
    Ok(env
        .regimes
        .timelines
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.name))
        .map(|t| TimelineOut {
            name: &t.name,
            title: &t.title,
            periods: t
                .periods
                .iter()
                .filter(|p| date.is_none_or(|d| p.from <= d && p.to.is_none_or(|to| d <= to)))
                .map(|p| PeriodOut {
                    from: p.from.to_string(),
                    to: p.to.map(|d| d.to_string()),
                    pack: &p.pack.id,
                    version: &p.pack.version,
                    sha256: &p.pack.sha256,
                    title: &p.pack.title,
                    instrument: &p.instrument,
                    confidence: p.confidence.as_str(),
                    otherwise: p.otherwise.as_deref(),
                    extends: &p.pack.extends,
                    changes: &p.pack.changes,
                })
                .collect(),
        })
        .collect())
}

fn unknown_timeline(env: &Env, name: &str, field: &str) -> WireError {
    let names: Vec<&str> = env.regimes.timelines.iter().map(|t| t.name.as_str()).collect();
    WireError::new(
        "invalid_value",
        Some(field),
        format!("`{name}` is not a timeline (timelines: {})", names.join(", ")),
    )
}

/// One side of a diff: the pack and the date its groups are taken at.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SideOut<'a> {
    pub pack: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    /// The timeline that gave the pack for the date; null when a pack was named.
    pub timeline: Option<&'a str>,
}

/// One change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangeOut {
    pub key: String,
    /// The value before; null when A has no such fact.
    pub before: Option<String>,
    /// The value after; null when B has no such fact.
    pub after: Option<String>,
    pub citation: String,
}

/// What changed from A to B, by section.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DiffOut<'a> {
    pub a: SideOut<'a>,
    pub b: SideOut<'a>,
    /// Sections `regime`, `license_requirements`, `groups`, `thresholds`, `authorizations`, `review_policies`,
    /// each a list of changes (empty when nothing changed there).
    #[schema(value_type = Object)]
    pub changes: serde_json::Map<String, serde_json::Value>,
    /// The number of changes in all.
    pub count: usize,
}

/// `a` and `b` are each a pack id or a date (read on `timeline`).
pub fn regimes_diff<'a>(env: &'a Env, a: &str, b: &str, timeline: &str) -> Result<DiffOut<'a>, WireError> {
    let t = env.regimes.timeline(timeline).ok_or_else(|| unknown_timeline(env, timeline, "timeline"))?;
    let (pa, da, ta) = side(env, t, a, "a")?;
    let (pb, db, tb) = side(env, t, b, "b")?;
    let all = diff(pa, da, pb, db);
    let count = all.len();
    let mut changes = serde_json::Map::new();
    for section in SECTIONS {
        let list: Vec<ChangeOut> = all.iter().filter(|c| c.section == section).map(change_out).collect();
        changes.insert(section.to_owned(), serde_json::to_value(list).unwrap_or_default());
    }
    let side_out = |p: &'a Pack, d: Date, t: Option<&'a str>| SideOut {
        pack: &p.id,
        version: &p.version,
        sha256: &p.sha256,
        date: d.to_string(),
        timeline: t,
    };
    Ok(DiffOut { a: side_out(pa, da, ta), b: side_out(pb, db, tb), changes, count })
}

fn change_out(c: &Change) -> ChangeOut {
    ChangeOut { key: c.key.clone(), before: c.before.clone(), after: c.after.clone(), citation: c.citation.clone() }
}

/// A pack id (taken on its effective date) or a date (the pack `t` gives then, taken on that date).
fn side<'a>(
    env: &'a Env,
    t: &'a Timeline,
    s: &str,
    field: &str,
) -> Result<(&'a Pack, Date, Option<&'a str>), WireError> {
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        let p = t.period_on(d).map_err(|e| WireError::new(e.code(), Some(field), e.to_string()))?;
        return Ok((&p.pack, d, Some(&t.name)));
    }
    let p = env.regimes.pack(s).ok_or_else(|| {
        let ids: Vec<&str> = env.regimes.packs.iter().map(|p| p.id.as_str()).collect();
        WireError::new(
            "invalid_value",
            Some(field),
            format!("`{s}` is neither a date (YYYY-MM-DD) nor a built-in pack ({})", ids.join(", ")),
        )
    })?;
    Ok((p, p.effective.value, None))
}

/// The diff as a Markdown report: one table per section that changed.
pub fn diff_markdown(d: &DiffOut<'_>) -> String {
    let mut md = String::new();
    let side = |s: &SideOut<'_>| match s.timeline {
        Some(t) => format!("`{}` {} ({} timeline on {}; sha256 `{}`)", s.pack, s.version, t, s.date, s.sha256),
        None => format!("`{}` {} (groups as of {}; sha256 `{}`)", s.pack, s.version, s.date, s.sha256),
    };
    let _ = writeln!(md, "# What changed\n\n- **A**: {}\n- **B**: {}\n", side(&d.a), side(&d.b));
    if d.count == 0 {
        let _ = writeln!(md, "Nothing that an answer turns on differs.");
        return md;
    }
    for section in SECTIONS {
        let Some(list) = d.changes.get(section).and_then(|v| v.as_array()).filter(|l| !l.is_empty()) else {
            continue;
        };
        let _ = writeln!(md, "## {}\n\n| | A | B | citation |\n|---|---|---|---|", section.replace('_', " "));
        for c in list {
            let cell = |k: &str| c[k].as_str().map_or_else(|| "—".to_owned(), |s| s.replace('|', "\\|"));
            let _ = writeln!(md, "| {} | {} | {} | {} |", cell("key"), cell("before"), cell("after"), cell("citation"));
        }
        md.push('\n');
    }
    md
}
