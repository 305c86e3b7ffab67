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
                Dim::Tier => {
                    m.serialize_entry("tier", &g.tier)?;
                    // Only a regime without tiers gives one; then it says what the license requirement is.
                    if let Some(c) = &g.category {
                        m.serialize_entry("category", c)?;
                    }
                }
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

/// The CSV columns of groups by `by`; `category` after `tier` when `categories` (a regime without tiers).
pub fn csv_header(by: &[Dim], categories: bool) -> Vec<&'static str> {
    by.iter()
        .flat_map(|d| match d {
            Dim::Tier if categories => vec!["tier", "category"],
            d => vec![d.name()],
        })
        .chain(["value_usd", "share", "flows", "counterparties"])
        .collect()
}

pub fn csv_row(g: &Group, by: &[Dim], categories: bool) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    by.iter()
        .flat_map(|d| match d {
            Dim::Period => vec![o(&g.period)],
            Dim::Tier if categories => vec![g.tier.map(|t| t.to_string()).unwrap_or_default(), o(&g.category)],
            Dim::Tier => vec![g.tier.map(|t| t.to_string()).unwrap_or_default()],
            Dim::Country => vec![o(&g.country)],
            Dim::Product => vec![o(&g.product)],
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
    /// The license category, under a regime without tiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub value_usd: f64,
    pub countries: usize,
    /// The ten countries with the most value, most first.
    pub top: Vec<Top>,
    /// The Herfindahl–Hirschman index of the countries' shares of the tier's value: the sum of the squared shares,
    /// from near 0 (spread) to 1 (one country).
    pub hhi: f64,
}

/// A period, a tier and a category.
type Cell = (Option<String>, Option<i64>, Option<String>);

/// Concentration per tier and period, from groups by period, tier and country.
pub fn concentration(by_country: &[Group]) -> Vec<Concentration> {
    let mut cells: BTreeMap<Cell, Vec<(String, f64)>> = BTreeMap::new();
    for g in by_country {
        cells
            .entry((g.period.clone(), g.tier, g.category.clone()))
            .or_default()
            .push((g.country.clone().unwrap_or_default(), g.value_usd));
    }
    cells
        .into_iter()
        .map(|((period, tier, category), mut countries)| {
            let total: f64 = countries.iter().map(|(_, v)| v).sum();
            countries.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let share = |v: f64| if total > 0.0 { v / total } else { 0.0 };
            Concentration {
                period,
                tier,
                category,
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
    /// The counterparties the flows name, screened against a ledger's lists and party registry; absent where not
    /// asked for (`jsonl`, `csv`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<&'a crate::screening::Screening>,
}

impl<'a> ExposureOut<'a> {
    /// The answer of `computed`, grouped by `by`, with the tiers of `pack` (and its sha256) under `regime` on
    /// `date`: what the CLI and the API both write.
    pub fn of(
        regime: &'a str,
        pack: &'a str,
        sha256: &'a str,
        date: time::Date,
        by: &'a [Dim],
        computed: &'a crate::Computed,
    ) -> ExposureOut<'a> {
        ExposureOut {
            regime,
            pack,
            sha256,
            date: date.to_string(),
            by: by.iter().map(|d| d.name()).collect(),
            input: &computed.input,
            groups: computed.groups.iter().map(|g| GroupOut { group: g, by }).collect(),
            concentration: concentration(&computed.by_country),
            counterparties: &computed.counterparties,
            screening: computed.screening.as_ref(),
        }
    }
}

/// The share-by-tier chart's file name beside the report.
pub const SHARE_CHART: &str = "share-by-tier.svg";
/// The map's file name beside the report.
pub const VALUE_MAP: &str = "value-by-country.svg";

/// Each tier's colour on the map (the dashboard's): Tier 1, 2, 3, and no tier; under a regime without tiers, its
/// categories take the colours of the tiers they resemble.
const TIER_COLOURS: [(Option<i64>, &str, &str); 4] = [
    (Some(1), "#0072b2", "Tier 1"),
    (Some(2), "#e69f00", "Tier 2"),
    (Some(3), "#882255", "Tier 3"),
    (None, "#777777", "no tier"),
];
const CATEGORY_COLOURS: [(&str, &str); 3] = [
    ("no license", "#0072b2"),
    ("license: D:1/D:4", "#e69f00"),
    ("license, presumption of denial: Macau/D:5", "#882255"),
];

/// The choropleth of value by importing country over every period, coloured by tier and shaded by value
/// (logarithmic: the largest full, a thousandth of it faint), from groups by period, tier and country. Returns the
/// SVG and the countries with value the map has no shape for.
pub fn value_map(by_country: &[Group], title: &str) -> Result<(String, Vec<String>), String> {
    use std::collections::HashMap;
    use tiergate_wire::worldmap::{Choropleth, Fill};
    let mut totals: BTreeMap<String, (Option<i64>, Option<String>, f64)> = BTreeMap::new();
    for g in by_country {
        if let Some(c) = &g.country {
            let e = totals.entry(c.clone()).or_insert((g.tier, g.category.clone(), 0.0));
            e.2 += g.value_usd;
        }
    }
    let categories = totals.values().any(|(_, c, _)| c.is_some());
    let max = totals.values().map(|(_, _, v)| *v).fold(0.0_f64, f64::max).max(1.0);
    let fills: HashMap<String, Fill> = totals
        .iter()
        .map(|(code, (tier, category, value))| {
            let (colour, name) = match category {
                Some(c) => (CATEGORY_COLOURS.iter().find(|(n, _)| n == c).map_or("#777777", |(_, k)| *k), c.as_str()),
                None => {
                    TIER_COLOURS.iter().find(|(t, _, _)| t == tier).map_or(("#777777", "no tier"), |(_, c, n)| (*c, *n))
                }
            };
            let opacity = (1.0 + (value.max(1.0) / max).log10() / 3.0).clamp(0.15, 1.0);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let usd = tiergate_core::units::group_digits(value.round().max(0.0) as u64);
            (code.clone(), Fill { colour: colour.to_owned(), opacity, title: format!("{name}, USD {usd}") })
        })
        .collect();
    let legend: Vec<(&str, &str)> = if categories {
        CATEGORY_COLOURS.iter().map(|(n, c)| (*c, *n)).chain([("#777777", "no tier")]).collect()
    } else {
        TIER_COLOURS.iter().map(|(_, c, n)| (*c, *n)).collect()
    };
    let (svg, mut missing) = Choropleth {
        title,
        fills: &fills,
        legend: &legend,
        note:
            "Colour: the importing country's tier; depth: its value over every period (logarithmic, the largest full).",
    }
    .svg()?;
    // Areas (`area:NAME`, `BACI:CODE`, `COMTRADE:CODE`) are no country: no map would have them.
    missing.retain(|c| !c.contains(':'));
    Ok((svg, missing))
}

/// A tier's name in a report: `Tier N`, or the license category under a regime without tiers, or `no tier`.
fn tier_name(t: Option<i64>, category: Option<&str>) -> String {
    match (t, category) {
        (Some(t), _) => format!("Tier {t}"),
        (None, Some(c)) => c.to_owned(),
        (None, None) => "no tier".to_owned(),
    }
}

/// A column of the share table: a tier, or a category.
type Column = (Option<i64>, Option<String>);

/// Each period's columns with their (share, value).
type ShareCells = BTreeMap<(String, Column), (f64, f64)>;

/// The order of the columns: Tier 1 to 3, then the categories from no license to denial, then no tier.
fn column_rank(c: &Column) -> (i64, i64) {
    match c {
        (Some(t), _) => (0, *t),
        (None, Some(c)) if c == "no license" => (1, 0),
        (None, Some(c)) if c.starts_with("license:") => (1, 1),
        (None, Some(_)) => (1, 2),
        (None, None) => (2, 0),
    }
}

/// Shares by tier per period, from groups by period and tier: (periods, tier columns, share per period and tier).
fn share_table(by_tier: &[Group]) -> (Vec<String>, Vec<Column>, ShareCells) {
    let mut periods: Vec<String> = Vec::new();
    let mut tiers: Vec<Column> = Vec::new();
    let mut cells = BTreeMap::new();
    for g in by_tier {
        let p = g.period.clone().unwrap_or_default();
        if !periods.contains(&p) {
            periods.push(p.clone());
        }
        let column = (g.tier, g.category.clone());
        if !tiers.contains(&column) {
            tiers.push(column.clone());
        }
        cells.insert((p, column), (g.share, g.value_usd));
    }
    periods.sort();
    tiers.sort_by_key(column_rank);
    (periods, tiers, cells)
}

/// The chart of each period's value by tier, as shares.
pub fn share_chart(by_tier: &[Group], title: &str) -> String {
    let (periods, tiers, cells) = share_table(by_tier);
    let names: Vec<String> = tiers.iter().map(|(t, c)| tier_name(*t, c.as_deref())).collect();
    let series: Vec<&str> = names.iter().map(String::as_str).collect();
    let rows = periods
        .iter()
        .map(|p| (p.clone(), tiers.iter().map(|t| cells.get(&(p.clone(), t.clone())).map_or(0.0, |c| c.0)).collect()))
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
pub fn markdown(out: &ExposureOut<'_>, by_tier: &[Group], flows: &str, not_on_map: &[String]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "# Exposure by country tier: {flows}\n");
    let _ = writeln!(
        s,
        "The tiers of `{}` (regime `{}`, sha256 `{}`) on {}, for every period; values in USD; each share is of its period's total value.\n",
        out.pack, out.regime, out.sha256, out.date
    );
    let _ = writeln!(s, "Input: {} ({} rows, {} not read).\n", out.input.format, out.input.rows, out.input.bad_rows);
    let _ = writeln!(s, "## Where the value goes\n\n![Value by importing country, coloured by tier]({VALUE_MAP})\n");
    if !not_on_map.is_empty() {
        let _ = writeln!(s, "Not on the map (no shape at 1:110m), but counted: {}.\n", not_on_map.join(", "));
    }
    let _ = writeln!(s, "## Share of value by tier\n\n![Share of value by tier, per period]({SHARE_CHART})\n");
    let (periods, tiers, cells) = share_table(by_tier);
    let _ = writeln!(
        s,
        "| period | {} | total value |",
        tiers.iter().map(|(t, c)| tier_name(*t, c.as_deref())).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(s, "|---|{}---:|", "---:|".repeat(tiers.len()));
    for p in &periods {
        let total: f64 = tiers.iter().filter_map(|t| cells.get(&(p.clone(), t.clone()))).map(|c| c.1).sum();
        let shares: Vec<String> = tiers
            .iter()
            .map(|t| {
                cells.get(&(p.clone(), t.clone())).map_or_else(|| "—".to_owned(), |c| format!("{:.1} %", c.0 * 100.0))
            })
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
            tier_name(c.tier, c.category.as_deref()),
            c.countries,
            c.hhi,
            top.join(", ")
        );
    }
    if !out.counterparties.is_empty() {
        let _ = writeln!(s, "\n## Counterparties with the most value\n");
        let _ = writeln!(
            s,
            "Named customers where the flows name them, else the importing countries; over every period.\n"
        );
        let _ = writeln!(
            s,
            "| counterparty | parent | country | tier | value (USD) | share |\n|---|---|---|---|---:|---:|"
        );
        for c in out.counterparties.iter().take(20) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let usd = tiergate_core::units::group_digits(c.value_usd.round().max(0.0) as u64);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {usd} | {:.1} % |",
                md_cell(c.customer.as_deref().unwrap_or("(no customer named)")),
                md_cell(c.customer_parent.as_deref().unwrap_or("")),
                c.country.as_deref().unwrap_or(""),
                tier_name(c.tier, c.category.as_deref()),
                c.share * 100.0
            );
        }
    }
    if let Some(screening) = out.screening {
        screening_section(&mut s, screening);
    }
    if !out.input.bad.is_empty() {
        let _ = writeln!(s, "\n## Rows not read\n");
        for b in &out.input.bad {
            let _ = writeln!(s, "- line {}: {}", b.line, b.problem);
        }
    }
    s
}

/// The report's section on the screened counterparties: what was screened, and each flagged one with its reasons
/// and the lines of its evidence.
fn screening_section(s: &mut String, screening: &crate::screening::Screening) {
    use std::fmt::Write as _;
    let _ = writeln!(s, "\n## Screened counterparties\n");
    for n in &screening.notes {
        let _ = writeln!(s, "{}{}.\n", n.get(..1).unwrap_or_default().to_uppercase(), n.get(1..).unwrap_or_default());
    }
    if screening.names == 0 {
        return;
    }
    let _ = writeln!(
        s,
        "{} of {} distinct names screened{}; the party registry holds {} parties.\n",
        screening.names_screened,
        screening.names,
        if screening.screened { format!(" against {}", screening.lists.join("; ")) } else { String::new() },
        screening.registry_parties.unwrap_or(0)
    );
    for w in &screening.warnings {
        let _ = writeln!(s, "Warning: the {w}.\n");
    }
    if screening.flagged.is_empty() {
        let _ = writeln!(s, "No counterparty is flagged.");
        return;
    }
    let _ = writeln!(
        s,
        "| name | role | country | value (USD) | flows | why | evidence |\n|---|---|---|---:|---:|---|---|"
    );
    for f in screening.flagged.iter().take(FLAGGED_IN_REPORT) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let usd = tiergate_core::units::group_digits(f.value_usd.round().max(0.0) as u64);
        let lines: Vec<String> = f.evidence.iter().filter_map(|e| e.line).map(|l| l.to_string()).collect();
        let evidence = if lines.is_empty() {
            format!("{} flows", f.evidence.len())
        } else {
            format!("line{} {}", if lines.len() > 1 { "s" } else { "" }, lines.join(", "))
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {usd} | {} | {} | {evidence} |",
            md_cell(&f.name),
            f.role.name(),
            f.country.as_deref().unwrap_or(""),
            f.flows,
            md_cell(&f.reasons.join("; "))
        );
    }
    if screening.flagged.len() > FLAGGED_IN_REPORT {
        let _ = writeln!(
            s,
            "\n{} more flagged counterparties, with less value, are in `exposure.json` (`screening.flagged`).",
            screening.flagged.len() - FLAGGED_IN_REPORT
        );
    }
}

/// Text from the flows in a Markdown table cell: it may not break the table (a bar, a line break).
fn md_cell(t: &str) -> String {
    t.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Flagged counterparties the report lists (the JSON has them all).
const FLAGGED_IN_REPORT: usize = 50;

/// A figure beside the report: its file name and its SVG.
pub type Figure = (&'static str, String);

/// The Markdown report with its two figures: (`report.md`'s text, the map and the share chart).
pub fn rendered(
    out: &ExposureOut<'_>,
    by_country: &[Group],
    by_tier: &[Group],
    flows: &str,
) -> Result<(String, [Figure; 2]), String> {
    let map_title = format!("Value by importing country, coloured by tier ({} on {})", out.pack, out.date);
    let (map, not_on_map) = value_map(by_country, &map_title)?;
    let chart_title = format!("Share of value by country tier, per period ({} on {})", out.pack, out.date);
    let chart = share_chart(by_tier, &chart_title);
    Ok((markdown(out, by_tier, flows, &not_on_map), [(VALUE_MAP, map), (SHARE_CHART, chart)]))
}
