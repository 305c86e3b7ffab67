//! An exposure as answers: one JSON object per group (JSON Lines, CSV), or one document with the groups, the
//! concentration per tier and period (top 10 countries and the Herfindahl–Hirschman index), and how the input
//! was read.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::engine::{Dim, Group};
use crate::input::ReadReport;

/// A group as its JSON object: the dimensions grouped by, in their order, then the figures.
pub struct GroupOut<'a> {
    pub group: &'a Group,
    pub by: &'a [Dim],
}

impl Serialize for GroupOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let g = self.group;
        let mut m = s.serialize_map(Some(self.by.len() + 4))?;
        for d in self.by {
            match d {
                Dim::Period => m.serialize_entry("period", &g.period)?,
                Dim::Tier => m.serialize_entry("tier", &g.tier)?,
                Dim::Country => m.serialize_entry("country", &g.country)?,
                Dim::Product => m.serialize_entry("product", &g.product)?,
            }
        }
        m.serialize_entry("value_usd", &g.value_usd)?;
        m.serialize_entry("share", &g.share)?;
        m.serialize_entry("flows", &g.flows)?;
        m.serialize_entry("counterparties", &g.counterparties)?;
        m.end()
    }
}

/// A group as a JSON value (for a document that holds many).
pub fn group_json(g: &Group, by: &[Dim]) -> Value {
    serde_json::to_value(GroupOut { group: g, by }).unwrap_or(Value::Null)
}

/// The CSV columns of a group, for `by`.
pub fn csv_header(by: &[Dim]) -> Vec<&'static str> {
    by.iter().map(|d| d.name()).chain(["value_usd", "share", "flows", "counterparties"]).collect()
}

pub fn csv_row(g: &Group, by: &[Dim]) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    by.iter()
        .map(|d| match d {
            Dim::Period => o(&g.period),
            Dim::Tier => g.tier.map(|t| t.to_string()).unwrap_or_default(),
            Dim::Country => o(&g.country),
            Dim::Product => o(&g.product),
        })
        .chain([g.value_usd.to_string(), g.share.to_string(), g.flows.to_string(), g.counterparties.to_string()])
        .collect()
}

/// One country's part of its tier's value in a period.
#[derive(Clone, Debug, Serialize)]
pub struct Top {
    pub country: String,
    pub value_usd: f64,
    /// Of the tier's value in the period.
    pub share: f64,
}

/// Concentration within one tier in one period.
#[derive(Clone, Debug, Serialize)]
pub struct Concentration {
    pub period: Option<String>,
    pub tier: Option<i64>,
    pub value_usd: f64,
    pub countries: usize,
    /// The ten countries with the most value, most first.
    pub top: Vec<Top>,
    /// The Herfindahl–Hirschman index of the countries' shares of the tier's value: the sum of the squared shares,
    /// from near 0 (spread) to 1 (one country).
    pub hhi: f64,
}

/// A period and a tier.
type Cell = (Option<String>, Option<i64>);

/// Concentration per tier and period, from groups by period, tier and country.
pub fn concentration(by_country: &[Group]) -> Vec<Concentration> {
    let mut cells: BTreeMap<Cell, Vec<(String, f64)>> = BTreeMap::new();
    for g in by_country {
        cells.entry((g.period.clone(), g.tier)).or_default().push((g.country.clone().unwrap_or_default(), g.value_usd));
    }
    cells
        .into_iter()
        .map(|((period, tier), mut countries)| {
            let total: f64 = countries.iter().map(|(_, v)| v).sum();
            countries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let share = |v: f64| if total > 0.0 { v / total } else { 0.0 };
            Concentration {
                period,
                tier,
                value_usd: total,
                countries: countries.len(),
                top: countries
                    .iter()
                    .take(10)
                    .map(|(c, v)| Top { country: c.clone(), value_usd: *v, share: share(*v) })
                    .collect(),
                hhi: countries.iter().map(|(_, v)| share(*v).powi(2)).sum(),
            }
        })
        .collect()
}

/// The whole answer of `--format json`.
#[derive(Serialize)]
pub struct ExposureOut<'a> {
    /// The regime (or scenario) the tiers come from, its pack and sha256, and the date.
    pub regime: &'a str,
    pub pack: &'a str,
    pub sha256: &'a str,
    pub date: String,
    pub by: Vec<&'static str>,
    pub input: &'a ReadReport,
    pub groups: Vec<GroupOut<'a>>,
    pub concentration: Vec<Concentration>,
}
