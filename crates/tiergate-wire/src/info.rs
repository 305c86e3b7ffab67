//! The shapes of the reference answers: catalog items, countries, classifications. The CLI prints them one
//! per line; the HTTP API serves the same types.

use serde::{Deserialize, Serialize};
use tiergate_core::classify::{classify, ClassifyError};
use tiergate_core::units::{Area, Tpp};
use tiergate_core::{Accelerator, Classification, Country, Item, Pack};
use time::Date;

use crate::request::{item_from_wire, ItemWire};
use crate::{ClassificationOut, Env, ReasonOut, TppOut, WireError};

/// One accelerator of the catalog with its classification.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemOut<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub manufacturer: &'a str,
    pub datacenter: bool,
    pub released: Option<&'a str>,
    /// Dense throughput per precision, TOPS, per IC.
    #[schema(value_type = std::collections::BTreeMap<String, f64>)]
    pub dense_tops: serde_json::Map<String, serde_json::Value>,
    /// TPP per IC.
    #[schema(value_type = f64)]
    pub tpp: TppOut,
    #[schema(value_type = String)]
    pub tpp_precision: &'static str,
    /// ICs in one unit: 1 for an IC, 2 for a two-GPU superchip (a 4A090-class assembly).
    pub ics_per_unit: u64,
    /// The IC row an assembly is made of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assembly_of: Option<&'a str>,
    /// TPP of one unit (the IC's TPP times `ics_per_unit`).
    #[schema(value_type = f64)]
    pub tpp_per_unit: TppOut,
    pub die_area_mm2: Option<f64>,
    pub performance_density: Option<f64>,
    /// The ECCN; null when the part is not controlled by this rule or could not be classified (`unclassified`).
    #[schema(value_type = Option<String>)]
    pub eccn: Option<&'static str>,
    /// Why the part could not be classified: its TPP calls for a performance density and no source gives its
    /// die area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unclassified: Option<String>,
    /// H100-equivalents of one unit.
    pub h100_equivalents: f64,
    /// `HBM3e`, `GDDR6`, ...; `none` for on-die SRAM only; `unknown` where no source says.
    pub memory_type: &'a str,
    pub memory_gb: Option<f64>,
    /// Total DRAM bandwidth of one unit, GB/s.
    pub dram_bandwidth_gbps: Option<f64>,
    /// `primary` (the vendor's own figures), `secondary` (a compilation or a third party quoting the vendor) or
    /// `unconfirmed` (sources disagree or the figure is inferred; the source says how).
    pub confidence: &'static str,
    /// Epoch AI's own TPP figure, for comparison.
    #[schema(value_type = Option<f64>)]
    pub epoch_tpp: Option<TppOut>,
    /// Where the throughput, die area and memory figures come from, in that order.
    pub sources: Vec<&'a str>,
}

impl<'a> ItemOut<'a> {
    pub fn new(a: &'a Accelerator, env: &Env) -> Result<ItemOut<'a>, WireError> {
        let mut unclassified = None;
        let c = match classify(&Item::Catalog { id: a.id.clone(), per_unit: None }, 1, &env.pack, &env.catalog) {
            Ok(c) => Some(c),
            Err(e @ ClassifyError::CatalogDieAreaUnknown { .. }) => {
                unclassified = Some(e.to_string());
                None
            }
            Err(e) => return Err(WireError::new(e.code(), Some(e.field()), e.to_string())),
        };
        let unit = a.tpp.checked_mul(a.ics_per_unit()).unwrap_or(a.tpp);
        Ok(ItemOut {
            id: &a.id,
            name: &a.name,
            manufacturer: &a.manufacturer,
            datacenter: a.datacenter,
            released: a.released.as_deref(),
            dense_tops: a
                .dense_tops
                .iter()
                .map(|(p, m)| (p.as_str().to_owned(), serde_json::json!(Tpp::from_milli(*m).as_f64())))
                .collect(),
            tpp: TppOut(a.tpp),
            tpp_precision: a.tpp_precision.as_str(),
            ics_per_unit: a.ics_per_unit(),
            assembly_of: a.assembly.as_ref().map(|x| x.of.as_str()),
            tpp_per_unit: TppOut(unit),
            die_area_mm2: a.die_area.map(Area::as_f64),
            performance_density: c.as_ref().and_then(|c| c.performance_density),
            eccn: c.as_ref().and_then(|c| c.eccn).map(|e| e.as_str()),
            unclassified,
            h100_equivalents: unit.ratio_2dp(env.pack.thresholds.h100_tpp.value),
            memory_type: &a.memory.kind,
            memory_gb: a.memory.capacity_gb,
            dram_bandwidth_gbps: a.memory.dram_bandwidth_gbps,
            confidence: a.confidence.as_str(),
            epoch_tpp: a.epoch_tpp.map(TppOut),
            sources: std::iter::once(a.throughput_source.as_str())
                .chain(a.die_area_source.as_deref())
                .chain(std::iter::once(a.memory.source.as_str()))
                .collect(),
        })
    }
}

/// A country with its tier (as a destination), its category and groups on a date, under the pack in force then.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CountryOut<'a> {
    pub code: &'a str,
    pub name: &'a str,
    /// 1, 2 or 3; null under a regime without tiers (before 90 FR 4544, or what BIS enforces after 2025-05-13).
    pub tier: Option<u8>,
    /// What the regime makes of an .a-class export there, headquarters aside: `tier 1`, `tier 2`, `tier 3`, or
    /// without tiers `license, presumption of denial: Macau/D:5`, `license: D:1/D:4`, `no license`.
    pub category: &'static str,
    pub groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treated_as: Option<&'a str>,
}

impl<'a> CountryOut<'a> {
    /// `c` on `date` under `pack` (the pack the environment's regime answers with on that date).
    pub fn new(c: Country, env: &'a Env, pack: &'a Pack, date: Date) -> CountryOut<'a> {
        let category = category(pack, c, date);
        CountryOut {
            code: env.countries.code(c),
            name: env.countries.name(c),
            tier: pack.regime.tiers.then(|| destination_tier(pack, c, date)),
            category,
            groups: pack.groups_of(c, date),
            treated_as: pack.treated_as(c).map(|(to, _)| env.countries.code(to)),
        }
    }
}

/// One country with why it is in its tier: the tier's citation, each group's title and citation, and the
/// allocation a Tier 2 country has on the date (`GET /v1/countries/{code}`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct CountryDetailOut<'a> {
    #[serde(flatten)]
    pub country: CountryOut<'a>,
    pub reasons: Vec<ReasonOut<'a>>,
    /// The Tier 2 allocation on the date, whole TPP; absent outside Tier 2 or the allocation period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_tpp: Option<u64>,
}

impl<'a> CountryDetailOut<'a> {
    pub fn new(c: Country, env: &'a Env, pack: &'a Pack, date: Date) -> CountryDetailOut<'a> {
        let country = CountryOut::new(c, env, pack, date);
        let (text, citation) = match (country.tier, country.category) {
            (Some(1), _) => ("Tier 1: a Supp. No. 5(a) destination", pack.tier1_citation.as_str()),
            (Some(3), _) => ("Tier 3: Macau or Country Group D:5", pack.tier3_citation.as_str()),
            (Some(_), _) => ("Tier 2: neither Supp. No. 5(a) nor Macau/D:5", pack.tier2_citation.as_str()),
            (None, DENIAL) => {
                ("Macau or Country Group D:5: a license, presumption of denial", pack.tier3_citation.as_str())
            }
            (None, LICENSE) => {
                ("a license for .a-class items, presumption of approval", pack.requirements.a_class.citation.as_str())
            }
            (None, _) => (
                "no license for .a-class items unless the consignee is headquartered in Macau/D:5",
                pack.requirements.a_class.citation.as_str(),
            ),
        };
        let mut reasons = vec![ReasonOut { text, citation }];
        if let Some((_, cit)) = pack.treated_as(c) {
            reasons.push(ReasonOut { text: "treated as another country for every group", citation: cit });
        }
        for g in &country.groups {
            if let Some(t) = pack.group_names.iter().position(|n| n == g).and_then(|i| pack.group_titles.get(i)) {
                reasons.push(ReasonOut { text: &t.value, citation: &t.citation });
            }
        }
        let allocation_tpp = (country.tier == Some(2)).then(|| pack.country_allocation(c, date)).flatten();
        CountryDetailOut { country, reasons, allocation_tpp }
    }
}

/// The tier of a destination on a date, headquarters aside.
pub fn destination_tier(pack: &Pack, c: Country, date: Date) -> u8 {
    let snap = pack.at(date);
    let c = pack.canonical(c);
    if snap.tier3.contains(c) {
        3
    } else if snap.tier1.contains(c) {
        1
    } else {
        2
    }
}

const DENIAL: &str = "license, presumption of denial: Macau/D:5";
const LICENSE: &str = "license: D:1/D:4";

/// What `pack` makes of an .a-class export to `c` on `date`, headquarters aside.
pub fn category(pack: &Pack, c: Country, date: Date) -> &'static str {
    if pack.regime.tiers {
        return match destination_tier(pack, c, date) {
            1 => "tier 1",
            3 => "tier 3",
            _ => "tier 2",
        };
    }
    let snap = pack.at(date);
    let c = pack.canonical(c);
    if snap.tier3.contains(c) {
        DENIAL
    } else if !pack.requirements.a_class_by_destination || snap.a_class_destinations.contains(c) {
        LICENSE
    } else {
        "no license"
    }
}

/// A classification with its reasons.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClassifyOut<'a> {
    /// The item as asked.
    #[schema(value_type = Object)]
    pub item: serde_json::Value,
    #[serde(flatten)]
    pub classification: ClassificationOut,
    pub reasons: Vec<ReasonOut<'a>>,
    /// The catalog row, when the item names one: its figures, memory, sources and confidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<ItemOut<'a>>,
}

impl<'a> ClassifyOut<'a> {
    pub fn new(
        label: serde_json::Value,
        item: &Item,
        c: &'a Classification<'_>,
        env: &'a Env,
    ) -> Result<ClassifyOut<'a>, WireError> {
        let catalog = match item {
            Item::Catalog { id, .. } => env.catalog.get(id).map(|a| ItemOut::new(a, env)).transpose()?,
            _ => None,
        };
        Ok(ClassifyOut {
            item: label,
            classification: ClassificationOut::new(c),
            reasons: c.reasons.iter().map(|r| ReasonOut { text: &r.text, citation: r.citation }).collect(),
            catalog,
        })
    }
}

/// `POST /v1/classify`: an item as a determination request names it, and a quantity (default 1).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub item: ItemWire,
    #[serde(default)]
    pub quantity: Option<i64>,
}

impl ClassifyRequest {
    /// Validates the request into an item and a quantity.
    pub fn validate(self) -> Result<(Item, u64), WireError> {
        let quantity = match self.quantity {
            None => 1,
            Some(q) if (1..=crate::request::MAX_QUANTITY).contains(&q) => q.unsigned_abs(),
            Some(q) => {
                return Err(WireError::new(
                    "invalid_quantity",
                    Some("quantity"),
                    format!("`quantity` must be between 1 and {}, not {q}", crate::request::MAX_QUANTITY),
                ))
            }
        };
        Ok((item_from_wire(self.item)?, quantity))
    }
}
