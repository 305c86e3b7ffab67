//! Timelines: which pack answers on which date.
//!
//! A timeline is a list of periods, each from a date to the day before the next one's, answered by one pack and
//! citing the instrument that opened it. Two timelines ship (`rules/timelines.toml`): `codified`, the CFR text in
//! force on each date, and `enforced`, what BIS enforces. A period whose fact rests on less than primary text
//! says so and what would change if it were otherwise; every answer in it carries that note.
//!
//! Invariant: on a timeline every date from its first period's start on maps to exactly one period, and that
//! period's pack is in force on the date (its effective date is not later than the period's start).

pub mod diff;

use std::sync::Arc;

use serde::Deserialize;
use time::Date;

use crate::catalog::Catalog;
use crate::country::Countries;
use crate::determine::{determine, Determination, DetermineError, Request};
use crate::pack::{Confidence, Library, Pack, Packs};
use crate::{DataError, Reason};

/// The timelines' file format this build reads.
pub const SCHEMA: u32 = 1;

/// One period of a timeline.
#[derive(Clone, Debug)]
pub struct Period {
    pub from: Date,
    /// The last day of the period, the day before the next one starts; `None` for the last period.
    pub to: Option<Date>,
    pub pack: Arc<Pack>,
    /// The instrument that opened the period, with its citation.
    pub instrument: String,
    pub confidence: Confidence,
    /// For a period that is not primary: what would change if it were otherwise.
    pub otherwise: Option<String>,
}

/// A named list of periods.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub name: String,
    pub title: String,
    pub periods: Vec<Period>,
}

impl Timeline {
    /// The period in force on `date`; `None` before the first.
    pub fn at(&self, date: Date) -> Option<&Period> {
        let i = self.periods.partition_point(|p| p.from <= date);
        i.checked_sub(1).and_then(|i| self.periods.get(i))
    }

    /// Determines `req` under the pack in force on its date; a period that rests on less than primary sources
    /// adds a note saying so and what would change if it were otherwise.
    pub fn determine<'t>(&'t self, req: &Request, catalog: &'t Catalog) -> Result<Determination<'t>, DetermineError> {
        let period = self.period_on(req.date)?;
        let mut d = determine(req, &period.pack, catalog)?;
        if let Some(otherwise) = &period.otherwise {
            d.notes.push(Reason {
                text: format!(
                    "the {} timeline's period from {} ({}) rests on {} sources: {otherwise}",
                    self.name,
                    period.from,
                    period.pack.id,
                    period.confidence.as_str()
                )
                .into(),
                citation: &period.instrument,
            });
        }
        Ok(d)
    }

    /// The period in force on `date`, or the error `date_before_effective` before the first.
    pub fn period_on(&self, date: Date) -> Result<&Period, DetermineError> {
        self.at(date).ok_or_else(|| DetermineError::BeforeTimeline {
            date,
            start: self.start().unwrap_or(date),
            timeline: self.name.clone(),
        })
    }

    /// The first day the timeline answers for.
    pub fn start(&self) -> Option<Date> {
        self.periods.first().map(|p| p.from)
    }
}

/// Every pack a build knows and the timelines over them.
#[derive(Clone, Debug)]
pub struct Regimes {
    pub packs: Packs,
    pub timelines: Vec<Timeline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimelines {
    schema: u32,
    timeline: std::collections::BTreeMap<String, RawTimeline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeline {
    title: String,
    periods: Vec<RawPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: toml::value::Datetime,
    pack: String,
    instrument: String,
    #[serde(default)]
    confidence: Option<String>,
    #[serde(default)]
    otherwise: Option<String>,
}

/// The timelines every build must have.
pub const TIMELINES: [&str; 2] = ["codified", "enforced"];

impl Regimes {
    /// Builds every pack of `library` and reads the timelines over them (`source` names the file in errors).
    pub fn load(
        library: &Library,
        timelines: &str,
        source: &str,
        countries: &Arc<Countries>,
    ) -> Result<Regimes, DataError> {
        let packs = Packs::build(library, countries)?;
        let raw: RawTimelines = crate::parse_toml(timelines, source)?;
        let err = |key: &str, problem: String| DataError::new(source, key, problem);
        if raw.schema != SCHEMA {
            return Err(err("schema", format!("is {}, this build reads schema {SCHEMA}", raw.schema)));
        }
        let mut out = Vec::new();
        for (name, t) in raw.timeline {
            let key = format!("timeline.{name}");
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                return Err(err(&key, "a timeline's name uses only lower-case letters and `-`".into()));
            }
            if packs.get(&name).is_some() {
                return Err(err(&key, format!("`{name}` is also a pack's id: a regime name must say which it is")));
            }
            if t.title.trim().is_empty() {
                return Err(err(&format!("{key}.title"), "is empty".into()));
            }
            if t.periods.is_empty() {
                return Err(err(&format!("{key}.periods"), "lists no period".into()));
            }
            let mut periods: Vec<Period> = Vec::new();
            for (i, p) in t.periods.iter().enumerate() {
                let pk = format!("{key}.periods[{i}]");
                let from =
                    date(&p.from).ok_or_else(|| err(&format!("{pk}.from"), format!("`{}` is not a date", p.from)))?;
                if let Some(prev) = periods.last() {
                    if from <= prev.from {
                        return Err(err(
                            &format!("{pk}.from"),
                            format!("{from} is not after the period before ({})", prev.from),
                        ));
                    }
                }
                let pack = packs.get(&p.pack).ok_or_else(|| {
                    let known: Vec<&str> = packs.iter().map(|p| p.id.as_str()).collect();
                    err(&format!("{pk}.pack"), format!("names unknown pack `{}` (known: {})", p.pack, known.join(", ")))
                })?;
                if pack.effective.value > from {
                    return Err(err(
                        &format!("{pk}.pack"),
                        format!(
                            "`{}` takes effect on {}, after the period starts ({from})",
                            pack.id, pack.effective.value
                        ),
                    ));
                }
                if p.instrument.trim().is_empty() {
                    return Err(err(&format!("{pk}.instrument"), "is empty".into()));
                }
                let confidence = match &p.confidence {
                    None => Confidence::Primary,
                    Some(c) => Confidence::parse(c).ok_or_else(|| {
                        err(&format!("{pk}.confidence"), format!("`{c}` is not one of primary, secondary, unconfirmed"))
                    })?,
                };
                match (confidence, &p.otherwise) {
                    (Confidence::Primary, Some(_)) => {
                        return Err(err(
                            &format!("{pk}.otherwise"),
                            "is only for a period marked secondary or unconfirmed".into(),
                        ))
                    }
                    (Confidence::Secondary | Confidence::Unconfirmed, None) => {
                        return Err(err(
                            &format!("{pk}.otherwise"),
                            "is required for a period that is not primary: say what would change if it were otherwise"
                                .into(),
                        ))
                    }
                    _ => {}
                }
                if let Some(prev) = periods.last_mut() {
                    prev.to = from.previous_day();
                }
                periods.push(Period {
                    from,
                    to: None,
                    pack: Arc::clone(pack),
                    instrument: p.instrument.clone(),
                    confidence,
                    otherwise: p.otherwise.clone(),
                });
            }
            out.push(Timeline { name, title: t.title, periods });
        }
        for name in TIMELINES {
            if !out.iter().any(|t| t.name == name) {
                return Err(err(&format!("timeline.{name}"), "is missing".into()));
            }
        }
        Ok(Regimes { packs, timelines: out })
    }

    pub fn timeline(&self, name: &str) -> Option<&Timeline> {
        self.timelines.iter().find(|t| t.name == name)
    }

    pub fn pack(&self, id: &str) -> Option<&Arc<Pack>> {
        self.packs.get(id)
    }
}

fn date(d: &toml::value::Datetime) -> Option<Date> {
    let day = d.date?;
    if d.time.is_some() || d.offset.is_some() {
        return None;
    }
    Date::from_calendar_date(i32::from(day.year), time::Month::try_from(day.month).ok()?, day.day).ok()
}
