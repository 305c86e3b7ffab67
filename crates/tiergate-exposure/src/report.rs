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
    /// The counterparties with the most value (at most 100): named customers, or importing countries where the
    /// flows name none.
    pub counterparties: &'a [crate::engine::Counterparty],
}

/// The share-by-tier chart's file name beside the report.
pub const SHARE_CHART: &str = "share-by-tier.svg";

/// A tier's name in a report.
fn tier_name(t: Option<i64>) -> String {
    t.map_or_else(|| "no tier".to_owned(), |t| format!("Tier {t}"))
}

/// Each period's tiers with their (share, value).
type ShareCells = BTreeMap<(String, Option<i64>), (f64, f64)>;

/// Shares by tier per period, from groups by period and tier: (periods, tier columns, share per period and tier).
fn share_table(by_tier: &[Group]) -> (Vec<String>, Vec<Option<i64>>, ShareCells) {
    let mut periods: Vec<String> = Vec::new();
    let mut tiers: Vec<Option<i64>> = Vec::new();
    let mut cells = BTreeMap::new();
    for g in by_tier {
        let p = g.period.clone().unwrap_or_default();
        if !periods.contains(&p) {
            periods.push(p.clone());
        }
        if !tiers.contains(&g.tier) {
            tiers.push(g.tier);
        }
        cells.insert((p, g.tier), (g.share, g.value_usd));
    }
    periods.sort();
    tiers.sort_by_key(|t| t.unwrap_or(i64::MAX));
    (periods, tiers, cells)
}

/// The chart of each period's value by tier, as shares.
pub fn share_chart(by_tier: &[Group], title: &str) -> String {
    let (periods, tiers, cells) = share_table(by_tier);
    let names: Vec<String> = tiers.iter().map(|t| tier_name(*t)).collect();
    let series: Vec<&str> = names.iter().map(String::as_str).collect();
    let rows = periods
        .iter()
        .map(|p| (p.clone(), tiers.iter().map(|t| cells.get(&(p.clone(), *t)).map_or(0.0, |c| c.0)).collect()))
        .collect();
    tiergate_wire::chart::BarChart {
        title,
        series: &series,
        rows,
        format: tiergate_wire::chart::percent,
        reference: None,
        clip: None,
        missing: "",
    }
    .svg()
}

/// The exposure as a Markdown report: shares by tier per period (the chart beside it), concentration, and what
/// was read.
pub fn markdown(out: &ExposureOut<'_>, by_tier: &[Group], flows: &str) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Exposure by country tier: {flows}\n");
    let _ = writeln!(
        s,
        "The tiers of `{}` (regime `{}`, sha256 `{}`) on {}, for every period; values in USD; each share is of its period's total value.\n",
        out.pack, out.regime, out.sha256, out.date
    );
    let _ = writeln!(s, "Input: {} ({} rows, {} not read).\n", out.input.format, out.input.rows, out.input.bad_rows);
    let _ = writeln!(s, "## Share of value by tier\n\n![Share of value by tier, per period]({SHARE_CHART})\n");
    let (periods, tiers, cells) = share_table(by_tier);
    let _ = writeln!(
        s,
        "| period | {} | total value |",
        tiers.iter().map(|t| tier_name(*t)).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(tiers.len()));
    for p in &periods {
        let total: f64 = tiers.iter().filter_map(|t| cells.get(&(p.clone(), *t))).map(|c| c.1).sum();
        let shares: Vec<String> = tiers
            .iter()
            .map(|t| cells.get(&(p.clone(), *t)).map_or_else(|| "—".to_owned(), |c| format!("{:.1} %", c.0 * 100.0)))
            .collect();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let total = tiergate_core::units::group_digits(total.round().max(0.0) as u64);
        let _ = writeln!(s, "| {p} | {} | {total} |", shares.join(" | "));
    }
    let _ = writeln!(s, "\n## Concentration\n");
    let _ = writeln!(s, "| period | tier | countries | HHI | largest |\n|---|---|---:|---:|---|");
    for c in &out.concentration {
        let top: Vec<String> =
            c.top.iter().take(3).map(|t| format!("{} {:.1} %", t.country, t.share * 100.0)).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.3} | {} |",
            c.period.as_deref().unwrap_or("—"),
            tier_name(c.tier),
            c.countries,
            c.hhi,
            top.join(", ")
        );
    }
    if !out.input.bad.is_empty() {
        let _ = writeln!(s, "\n## Rows not read\n");
        for b in &out.input.bad {
            let _ = writeln!(s, "- line {}: {}", b.line, b.problem);
        }
    }
    s
}
