//! Fleet files (`site,country,tpp` or `site,country,item,quantity`) into the core's sites, and the answer shapes
//! of `tiergate fleet check` and `fleet plan`.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;
use tiergate_core::fleet::{FleetCheck, FleetPlan, Site, Violation};
use tiergate_core::{Pack, Tpp};

use crate::response::TppOut;
use crate::rows::{catalog_quantity, read_rows, CsvFileError};
use crate::Env;

/// Reads a fleet CSV. The header names the form: `site,country,tpp` (TPP as given, decimals allowed) or
/// `site,country,item,quantity` (a catalog item's TPP per unit times the quantity). Every row must be good: a
/// compliance answer computed over part of a fleet would be wrong, so bad rows are all reported and none is used.
pub fn read_fleet(env: &Env, input: impl Read) -> Result<Vec<Site>, CsvFileError> {
    let header = |names: &[String]| match names.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["site", "country", "tpp"] => Ok(false),
        ["site", "country", "item", "quantity"] => Ok(true),
        other => Err(format!(
            "the header is `{}`; a fleet file has the columns `site,country,tpp` or `site,country,item,quantity`",
            other.join(",")
        )),
    };
    let rows =
        read_rows(input, header, |by_items, r| site(env, r, *by_items), "computed", "the fleet file has no sites")?;
    Ok(rows.into_iter().map(|(_, s)| s).collect())
}

fn site(env: &Env, row: &csv::StringRecord, by_items: bool) -> Result<Site, String> {
    let field = |i: usize| row.get(i).unwrap_or_default();
    let name = field(0);
    if name.is_empty() {
        return Err("`site` is empty".into());
    }
    let country = env.countries.resolve(field(1)).ok_or_else(|| env.countries.unknown(field(1)))?;
    let tpp = if by_items {
        let (item, quantity) = catalog_quantity(env, field(2), field(3))?;
        item.tpp.checked_mul(quantity).ok_or("the site's TPP is too large")?
    } else {
        field(2)
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t >= 0.0)
            .and_then(Tpp::from_decimal)
            .ok_or_else(|| format!("`tpp` must be a number of 0 or more, not `{}`", field(2)))?
    };
    Ok(Site { site: name.to_owned(), country, tpp })
}

#[derive(Serialize)]
pub struct ViolationOut<'a> {
    /// `outside_tier1_max`, `single_country_max`, `outside_us_max` or `tier3_country`.
    pub rule: &'static str,
    /// The rule in words.
    pub text: &'static str,
    pub country: Option<&'a str>,
    pub limit: f64,
    pub value: f64,
    pub citation: &'a str,
}

impl<'a> ViolationOut<'a> {
    pub fn new(pack: &'a Pack, v: &'a Violation<'a>) -> ViolationOut<'a> {
        ViolationOut {
            rule: v.rule.as_str(),
            text: v.rule.words(),
            country: v.country.map(|c| pack.countries.code(c)),
            limit: v.limit,
            value: v.value,
            citation: v.citation,
        }
    }
}

#[derive(Serialize)]
pub struct SharesOut<'a> {
    pub outside_tier1: f64,
    pub outside_home: f64,
    pub by_country: BTreeMap<&'a str, f64>,
}

/// `tiergate fleet check`'s answer, in the field order.
#[derive(Serialize)]
pub struct FleetCheckOut<'a> {
    pub total_tpp: TppOut,
    pub tier1_tpp: TppOut,
    pub home_tpp: TppOut,
    pub shares: SharesOut<'a>,
    pub violations: Vec<ViolationOut<'a>>,
    pub headroom_tpp: BTreeMap<&'a str, u64>,
    /// For each country of `headroom_tpp`, the rule that bounds what may be added there (for 0, the one that
    /// allows nothing more), by its key and in words; a country no rule bounds is absent.
    pub headroom_limits: BTreeMap<&'a str, LimitOut>,
}

/// A fleet rule, by its key and in words.
#[derive(Serialize)]
pub struct LimitOut {
    /// `outside_tier1_max`, `single_country_max`, `outside_us_max` or `tier3_country`.
    pub rule: &'static str,
    pub text: &'static str,
}

impl<'a> FleetCheckOut<'a> {
    pub fn new(pack: &'a Pack, r: &'a FleetCheck<'a>) -> FleetCheckOut<'a> {
        let code = |c| pack.countries.code(c);
        FleetCheckOut {
            total_tpp: TppOut(r.total),
            tier1_tpp: TppOut(r.tier1),
            home_tpp: TppOut(r.home),
            shares: SharesOut {
                outside_tier1: r.outside_tier1_share,
                outside_home: r.outside_home_share,
                by_country: r.by_country.iter().map(|(c, _, s)| (code(*c), *s)).collect(),
            },
            violations: r.violations.iter().map(|v| ViolationOut::new(pack, v)).collect(),
            headroom_tpp: r.headroom.iter().map(|h| (code(h.country), h.tpp)).collect(),
            headroom_limits: r
                .headroom
                .iter()
                .filter_map(|h| h.binding.map(|b| (code(h.country), LimitOut { rule: b.as_str(), text: b.words() })))
                .collect(),
        }
    }
}

/// `tiergate fleet plan`'s answer.
#[derive(Serialize)]
pub struct FleetPlanOut<'a> {
    pub feasible: bool,
    pub additional_home_tpp_needed: u64,
    pub violations_after: Vec<ViolationOut<'a>>,
}

impl<'a> FleetPlanOut<'a> {
    pub fn new(pack: &'a Pack, p: &'a FleetPlan<'a>) -> FleetPlanOut<'a> {
        FleetPlanOut {
            feasible: p.feasible,
            additional_home_tpp_needed: p.additional_home_tpp,
            violations_after: p.violations_after.iter().map(|v| ViolationOut::new(pack, v)).collect(),
        }
    }
}
