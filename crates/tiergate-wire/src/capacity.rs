//! Allocation pressure (`tiergate scenario capacity`): compute installed or planned per country, read from Epoch
//! AI's GPU cluster data or a user's CSV, set against each Tier 2 country's allocation under a base regime and a
//! scenario.
//!
//! Epoch's rows are converted to TPP through the catalog: the primary (and secondary) chip type times its
//! quantity where the catalog names the chip, else the row's H100 equivalents times the catalog's H100 SXM.
//! Rows that cannot be used (no country, decommissioned, a possible duplicate, superseded by a later row,
//! unlikely to be built, no chips) are counted by reason in the answer, never dropped silently. A user's CSV is
//! `country,tpp` or `country,item,quantity`, with an optional `status` (`existing` or `planned`): every row must
//! be good.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use time::Date;

use tiergate_core::scenario::capacity::{capacity, Installed, Row, Standing};
use tiergate_core::{Country, Pack};

use crate::chart::{self, BarChart};
use crate::rows::{catalog_quantity, open_csv, read_rows, CsvFileError};
use crate::scenario::group;
use crate::Env;

/// The catalog item Epoch's H100 equivalents are counted in.
pub const H100: &str = "nvidia-h100-sxm";
/// Most TPP one row may count (10^18: far above any cluster).
const MAX_ROW_TPP: f64 = 1e18;

/// Compute by country, and how the input was read.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct SourceOut {
    /// `epoch` (Epoch AI's GPU clusters) or `csv` (a user's file).
    pub kind: &'static str,
    pub rows: u64,
    pub used: u64,
    /// Rows not used, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Rows used, by how their TPP was found (`chips`, `h100_equivalents`, `tpp`, `item`).
    pub by_method: BTreeMap<&'static str, u64>,
}

pub struct Compute {
    pub by_country: Vec<(Country, Installed)>,
    pub source: SourceOut,
}

/// Reads compute by country: Epoch's cluster file (detected by its header) or a user's CSV.
pub fn read_compute(env: &Env, text: &str) -> Result<Compute, CsvFileError> {
    let first = text.lines().next().unwrap_or_default().to_ascii_lowercase();
    if first.contains("chip type (primary)") && first.contains("h100 equivalents") {
        read_epoch(env, text)
    } else {
        read_user(env, text)
    }
}

fn read_epoch(env: &Env, text: &str) -> Result<Compute, CsvFileError> {
    let (mut reader, names) = open_csv(text.as_bytes())?;
    let col = |n: &str| {
        names.iter().position(|h| h == n).ok_or_else(|| CsvFileError::File(format!("the header has no `{n}` column")))
    };
    let (country, status, certainty, h100e) =
        (col("country")?, col("status")?, col("certainty")?, col("h100 equivalents")?);
    let (chip1, qty1, chip2, qty2) = (
        col("chip type (primary)")?,
        col("chip quantity (primary)")?,
        col("chip type (secondary)")?,
        col("chip quantity (secondary)")?,
    );
    let (duplicate, superseded) = (col("possible duplicate")?, col("superseded by")?);
    let h100 = env
        .catalog
        .get(H100)
        .map(|a| a.tpp.as_f64())
        .ok_or_else(|| CsvFileError::File(format!("the catalog has no `{H100}`")))?;
    let mut source = SourceOut { kind: "epoch", ..SourceOut::default() };
    let mut by_country: Vec<(Country, Installed)> = Vec::new();
    let skip = |source: &mut SourceOut, why: String| *source.skipped.entry(why).or_default() += 1;
    for record in reader.records() {
        source.rows += 1;
        let Ok(r) = record else {
            skip(&mut source, "not CSV".into());
            continue;
        };
        let cell = |i: usize| r.get(i).unwrap_or_default();
        let planned = match cell(status) {
            "Existing" => false,
            "Planned" => true,
            "Decommissioned" => {
                skip(&mut source, "decommissioned".into());
                continue;
            }
            other => {
                skip(&mut source, format!("status `{other}` unknown"));
                continue;
            }
        };
        if cell(certainty) == "Unlikely" {
            skip(&mut source, "unlikely to be built (Epoch's certainty)".into());
            continue;
        }
        if cell(duplicate).eq_ignore_ascii_case("true") {
            skip(&mut source, "a possible duplicate of another row".into());
            continue;
        }
        if !cell(superseded).is_empty() {
            skip(&mut source, "superseded by a later row".into());
            continue;
        }
        let c = match cell(country) {
            "" => {
                skip(&mut source, "no country".into());
                continue;
            }
            name => match env.countries.resolve(name) {
                Some(c) => c,
                None => {
                    skip(&mut source, format!("country `{name}` not recognised"));
                    continue;
                }
            },
        };
        let chips = |chip: usize, qty: usize| -> Option<f64> {
            let a = env.catalog.iter().find(|a| a.name.eq_ignore_ascii_case(cell(chip)))?;
            let q: f64 = cell(qty).parse().ok().filter(|q: &f64| q.is_finite() && *q > 0.0)?;
            Some(a.tpp.as_f64() * q)
        };
        let (tpp, method) = match (chips(chip1, qty1), chips(chip2, qty2)) {
            (Some(a), b) => (a + b.unwrap_or(0.0), "chips"),
            (None, _) => match cell(h100e).parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0) {
                Some(e) => (e * h100, "h100_equivalents"),
                None => {
                    skip(&mut source, "no chips named in the catalog and no H100 equivalents".into());
                    continue;
                }
            },
        };
        if !(tpp > 0.0 && tpp < MAX_ROW_TPP) {
            skip(&mut source, "TPP out of range".into());
            continue;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let tpp = tpp.round() as u64;
        add(&mut by_country, c, tpp, planned);
        source.used += 1;
        *source.by_method.entry(method).or_default() += 1;
    }
    if source.used == 0 {
        return Err(CsvFileError::File("no row of the cluster file could be used".into()));
    }
    Ok(Compute { by_country, source })
}

fn add(by_country: &mut Vec<(Country, Installed)>, c: Country, tpp: u64, planned: bool) {
    let i = match by_country.iter().position(|(k, _)| *k == c) {
        Some(i) => i,
        None => {
            by_country.push((c, Installed::default()));
            by_country.len() - 1
        }
    };
    if let Some((_, sum)) = by_country.get_mut(i) {
        let slot = if planned { &mut sum.planned_tpp } else { &mut sum.existing_tpp };
        *slot = slot.saturating_add(tpp);
    }
}

#[derive(Clone, Copy)]
struct UserForm {
    country: usize,
    tpp: Option<usize>,
    item: Option<(usize, usize)>,
    status: Option<usize>,
}

fn read_user(env: &Env, text: &str) -> Result<Compute, CsvFileError> {
    let header = |names: &[String]| -> Result<UserForm, String> {
        let at = |n: &str| names.iter().position(|h| h == n);
        let country = at("country").ok_or("the header needs `country`, and `tpp` or `item,quantity`")?;
        let form = match (at("tpp"), at("item"), at("quantity")) {
            (Some(t), None, None) => UserForm { country, tpp: Some(t), item: None, status: at("status") },
            (None, Some(i), Some(q)) => UserForm { country, tpp: None, item: Some((i, q)), status: at("status") },
            _ => return Err("the header needs `country` with either `tpp` or `item,quantity`".into()),
        };
        let known = ["country", "tpp", "item", "quantity", "status"];
        if let Some(extra) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(format!("unknown column `{extra}` (columns: country, tpp or item and quantity, status)"));
        }
        Ok(form)
    };
    let row = |f: &UserForm, r: &csv::StringRecord| -> Result<(Country, u64, bool, &'static str), String> {
        let cell = |i: usize| r.get(i).unwrap_or_default();
        let c = env.countries.resolve(cell(f.country)).ok_or_else(|| env.countries.unknown(cell(f.country)))?;
        let (tpp, method) = match (f.tpp, f.item) {
            (Some(t), _) => {
                let v: u64 = cell(t)
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("`tpp` must be a whole number, not `{}`", cell(t)))?;
                (v, "tpp")
            }
            (None, Some((i, q))) => {
                let (a, q) = catalog_quantity(env, cell(i), cell(q))?;
                (a.tpp.checked_mul(q).map(|t| t.whole_ceil()).ok_or("the TPP overflows")?, "item")
            }
            (None, None) => return Err("no TPP".into()),
        };
        let planned = match f.status.map(cell) {
            None | Some("existing") => false,
            Some("planned") => true,
            Some(other) => return Err(format!("`status` must be existing or planned, not `{other}`")),
        };
        Ok((c, tpp, planned, method))
    };
    let rows = read_rows(text.as_bytes(), header, row, "computed", "the file has no row")?;
    let mut source = SourceOut { kind: "csv", ..SourceOut::default() };
    let mut by_country = Vec::new();
    for (_, (c, tpp, planned, method)) in rows {
        source.rows += 1;
        source.used += 1;
        *source.by_method.entry(method).or_default() += 1;
        add(&mut by_country, c, tpp, planned);
    }
    Ok(Compute { by_country, source })
}

/// A country's standing under one regime.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StandingOut {
    pub tier: Option<u8>,
    pub cap_tpp: Option<u64>,
    /// Installed and planned TPP over the cap.
    pub share: Option<f64>,
    /// The compute there reaches the cap.
    pub binds: bool,
}

impl From<Standing> for StandingOut {
    fn from(s: Standing) -> StandingOut {
        StandingOut { tier: s.tier.map(|t| t.number()), cap_tpp: s.cap_tpp, share: s.share, binds: s.binds }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountryCapacityOut {
    pub country: String,
    pub name: String,
    pub existing_tpp: u64,
    pub planned_tpp: u64,
    pub tpp: u64,
    pub base: StandingOut,
    pub scenario: Option<StandingOut>,
}

/// Every Tier 2 country (and every country with compute), most pressed first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CapacityOut {
    #[schema(value_type = String, format = Date)]
    pub date: String,
    /// The base regime and the pack answering on the date.
    pub base: String,
    pub base_pack: String,
    /// The scenario's pack, if one was given.
    pub scenario: Option<String>,
    pub source: SourceOut,
    /// Where the compute figures come from, with the credit their licence asks for.
    pub attribution: String,
    /// The countries whose caps the compute reaches, under the base and under the scenario.
    pub binding_base: Vec<String>,
    pub binding_scenario: Vec<String>,
    pub countries: Vec<CountryCapacityOut>,
}

/// Sets `compute` against each allocation under `base` and, if given, `scenario`, on `date`.
pub fn capacity_out(
    env: &Env,
    base_name: &str,
    base: &Pack,
    scenario: Option<&Pack>,
    compute: Compute,
    date: Date,
    attribution: &str,
) -> CapacityOut {
    let rows: Vec<Row> = capacity(&compute.by_country, base, scenario, date);
    let code = |c: Country| env.countries.code(c).to_owned();
    CapacityOut {
        date: date.to_string(),
        base: base_name.to_owned(),
        base_pack: base.id.clone(),
        scenario: scenario.map(|p| p.id.clone()),
        source: compute.source,
        attribution: attribution.to_owned(),
        binding_base: rows.iter().filter(|r| r.base.binds).map(|r| code(r.country)).collect(),
        binding_scenario: rows
            .iter()
            .filter(|r| r.scenario.is_some_and(|s| s.binds))
            .map(|r| code(r.country))
            .collect(),
        countries: rows
            .iter()
            .map(|r| CountryCapacityOut {
                country: code(r.country),
                name: env.countries.name(r.country).to_owned(),
                existing_tpp: r.installed.existing_tpp,
                planned_tpp: r.installed.planned_tpp,
                tpp: r.installed.total(),
                base: r.base.into(),
                scenario: r.scenario.map(Into::into),
            })
            .collect(),
    }
}

/// The chart's file name beside the report.
pub const CAPACITY_CHART: &str = "capacity.svg";
const MOST_ROWS: usize = 25;

/// Shares of each allocation taken by the compute there, for the countries with compute and a cap on a side.
pub fn capacity_chart(c: &CapacityOut) -> String {
    let rows: Vec<(String, Vec<f64>)> = c
        .countries
        .iter()
        .filter(|r| r.tpp > 0 && (r.base.cap_tpp.is_some() || r.scenario.as_ref().is_some_and(|s| s.cap_tpp.is_some())))
        .take(MOST_ROWS)
        .map(|r| {
            let mut v = vec![r.base.share.unwrap_or(f64::NAN)];
            if let Some(s) = &r.scenario {
                v.push(s.share.unwrap_or(f64::NAN));
            }
            (r.country.clone(), v)
        })
        .collect();
    let mut series = vec![c.base.as_str()];
    if let Some(s) = &c.scenario {
        series.push(s.as_str());
    }
    let title =
        format!("Share of each Tier 2 allocation the compute installed or planned there would take, {}", c.date);
    BarChart {
        title: &title,
        series: &series,
        rows,
        format: chart::percent,
        reference: Some((1.0, "allocation")),
        clip: Some(3.0),
        missing: "no allocation (not Tier 2)",
    }
    .svg()
}

/// The capacity as a Markdown report with the chart beside it.
pub fn capacity_markdown(c: &CapacityOut) -> String {
    let mut s = String::new();
    let scenario = c.scenario.as_deref().map(|p| format!(" and {p}")).unwrap_or_default();
    let _ = writeln!(s, "# Allocation pressure on {}: {} (`{}`){scenario}\n", c.date, c.base, c.base_pack);
    let _ = writeln!(
        s,
        "How much of each Tier 2 country's allocation the AI compute already installed or planned there would take,\nwere it all licensed under the allocation. {} of {} input rows used.\n",
        group(c.source.used),
        group(c.source.rows)
    );
    let _ = writeln!(s, "![Share of each allocation]({CAPACITY_CHART})\n");
    let binding = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    let _ = writeln!(s, "Caps reached under {}: {}.", c.base, binding(&c.binding_base));
    if let Some(p) = &c.scenario {
        let _ = writeln!(s, "Caps reached under {p}: {}.", binding(&c.binding_scenario));
    }
    let _ = writeln!(s, "\n| country | existing TPP | planned TPP | tier | cap | share | tier (scenario) | cap (scenario) | share (scenario) |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let opt = |v: Option<u64>| v.map_or_else(|| "—".to_owned(), group);
    let share = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), chart::percent);
    let tier = |v: Option<u8>| v.map_or_else(|| "—".to_owned(), |t| t.to_string());
    for r in c.countries.iter().filter(|r| r.tpp > 0).take(MOST_ROWS) {
        let (st, sc, ss) = match &r.scenario {
            Some(x) => (tier(x.tier), opt(x.cap_tpp), share(x.share)),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {} | {st} | {sc} | {ss} |",
            r.country,
            r.name,
            group(r.existing_tpp),
            group(r.planned_tpp),
            tier(r.base.tier),
            opt(r.base.cap_tpp),
            share(r.base.share)
        );
    }
    if !c.source.skipped.is_empty() {
        let _ = writeln!(s, "\n## Rows not used\n");
        for (why, n) in &c.source.skipped {
            let _ = writeln!(s, "- {why}: {}", group(*n));
        }
    }
    let _ = writeln!(s, "\n## Source\n\n{}", c.attribution);
    s
}
