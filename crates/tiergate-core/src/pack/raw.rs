//! A pack's raw shape, as written in TOML: serde structs that only parse. Every value is checked, and turned into
//! the model of `model.rs`, by the builder (`values.rs`, `assemble.rs`, `parties.rs`).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPack {
    pub(super) schema: u32,
    pub(super) pack: RawMeta,
    /// What the regime has of the framework's mechanisms (absent: all of them).
    #[serde(default)]
    pub(super) regime: Option<RawRegime>,
    pub(super) dates: RawDates,
    #[serde(default)]
    pub(super) status: Vec<RawStatus>,
    pub(super) groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    pub(super) group_changes: Vec<RawChange>,
    #[serde(default)]
    pub(super) treated_as: BTreeMap<String, RawTreatedAs>,
    #[serde(default)]
    pub(super) dependencies: BTreeMap<String, RawDependency>,
    pub(super) united_states: RawUnitedStates,
    pub(super) tiers: RawTiers,
    pub(super) license_requirement: RawLicenseRequirement,
    pub(super) scope: BTreeMap<String, RawScope>,
    pub(super) aca_transfers_within: RawGroupRef,
    pub(super) classification: RawClassification,
    pub(super) model_weights: RawModelWeights,
    pub(super) aia: RawAia,
    pub(super) aca: RawAca,
    pub(super) acm: RawAcm,
    pub(super) veu: RawVeu,
    pub(super) lpp: RawLpp,
    pub(super) license_policy: RawLicensePolicy,
    pub(super) allocation: RawAllocation,
    pub(super) nveu: RawNveu,
    pub(super) uveu: RawUveu,
    pub(super) readings: RawReadings,
    pub(super) obligations: BTreeMap<String, RawObligation>,
    pub(super) parties: RawParties,
    pub(super) kyc: RawKyc,
    pub(super) license: RawLicense,
    #[serde(default)]
    pub(super) not_assessed: Vec<RawNotAssessed>,
    /// The case-by-case band of 91 FR 1684 for exports from the United States to China and Macau.
    #[serde(default)]
    pub(super) china_review: Option<RawChinaReview>,
    /// Supp. No. 10 to part 748 and the Supp. No. 8 items a data-centre VEU request gives.
    #[serde(default)]
    pub(super) veu_guidelines: Option<RawVeuGuidelines>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVeuGuidelines {
    pub(super) title: String,
    pub(super) citation: String,
    #[serde(default)]
    pub(super) deferred_paragraphs: Vec<u32>,
    pub(super) application_citation: String,
    pub(super) requirements: Vec<RawRequirement>,
    #[serde(default)]
    pub(super) application: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequirement {
    pub(super) id: String,
    #[serde(default)]
    pub(super) paragraph: Option<u32>,
    #[serde(default)]
    pub(super) section: Option<String>,
    #[serde(default)]
    pub(super) heading: Option<String>,
    pub(super) applies: String,
    pub(super) text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRegime {
    #[serde(default = "yes")]
    pub(super) tiers: bool,
    #[serde(default = "yes")]
    pub(super) allocations: bool,
    #[serde(default = "yes")]
    pub(super) model_weights: bool,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChinaReview {
    pub(super) destinations: RawGroupRef,
    pub(super) tpp_below: Num<f64>,
    pub(super) dram_bandwidth_below_gbps: Num<f64>,
    pub(super) transactions: Vec<String>,
    pub(super) quote: String,
    pub(super) citation: String,
    /// How sure the conditions are (default primary); anything less needs `otherwise`.
    #[serde(default)]
    pub(super) confidence: Option<String>,
    #[serde(default)]
    pub(super) otherwise: Option<String>,
    pub(super) conditions: Vec<RawObligation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLicense {
    pub(super) validity_months: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotAssessed {
    pub(super) applies_to: String,
    pub(super) text: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) id: String,
    pub(super) version: String,
    pub(super) title: String,
    pub(super) citation: String,
    /// What this regime changes, in a few lines (shown by `tiergate regimes`).
    #[serde(default)]
    pub(super) changes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDate {
    pub(super) date: toml::value::Datetime,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDates {
    pub(super) effective: RawDate,
    pub(super) compliance: RawDate,
    pub(super) security_compliance: RawDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatus {
    pub(super) from: toml::value::Datetime,
    pub(super) text: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    /// The group in a few words, for sentences ("Country Group D:5"): its key is for packs, not readers.
    pub(super) label: String,
    pub(super) title: String,
    pub(super) citation: String,
    pub(super) members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChange {
    pub(super) date: toml::value::Datetime,
    pub(super) group: String,
    #[serde(default)]
    pub(super) add: Vec<String>,
    #[serde(default)]
    pub(super) remove: Vec<String>,
    pub(super) citation: String,
    /// How sure the change and its date are (default primary); anything less needs `otherwise`.
    #[serde(default)]
    pub(super) confidence: Option<String>,
    /// What an answer would be if the change were otherwise (another date, another content).
    #[serde(default)]
    pub(super) otherwise: Option<String>,
    /// From when answers carry the doubt (default `date`): earlier where the change may have come earlier.
    #[serde(default)]
    pub(super) noted_from: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTreatedAs {
    #[serde(rename = "as")]
    pub(super) as_: String,
    pub(super) confidence: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDependency {
    pub(super) of: String,
    pub(super) confidence: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUnitedStates {
    pub(super) country: String,
    pub(super) citation: String,
}

/// The transactions a text covers, in its own words.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    pub(super) transactions: Vec<String>,
    pub(super) quote: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroupRef {
    pub(super) groups: Vec<String>,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTiers {
    pub(super) tier1: RawGroupRef,
    pub(super) tier2: RawCitation,
    pub(super) tier3: RawGroupRef,
    pub(super) assurances: RawGroupRef,
    /// Whether an entity headquartered (or whose ultimate parent is) in a tier 3 group is tier 3 wherever it is.
    pub(super) tier3_headquarters: Num<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCitation {
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBDestinations {
    pub(super) groups: Vec<String>,
    pub(super) except: Vec<String>,
    /// Groups whose members the text names outright, whatever `except` says ("the United Arab Emirates or ...").
    #[serde(default)]
    pub(super) named: Vec<String>,
    pub(super) transactions: Vec<String>,
    pub(super) quote: String,
    pub(super) citation: String,
}

/// The .a-class license requirement: worldwide (no `groups`), or to destinations in `groups` less `except`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAClass {
    #[serde(default)]
    pub(super) groups: Option<Vec<String>>,
    #[serde(default)]
    pub(super) except: Vec<String>,
    pub(super) transactions: Vec<String>,
    pub(super) quote: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBHeadquarters {
    pub(super) groups: Vec<String>,
    pub(super) located_outside: Vec<String>,
    pub(super) located_outside_except: Vec<String>,
    pub(super) transactions: Vec<String>,
    pub(super) quote: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLicenseRequirement {
    pub(super) a_class: RawAClass,
    /// 744.23(a)(3) as it stood before 90 FR 4544: .a-class items for Macau/D:5-headquartered entities located
    /// outside the .a destinations. Absent where the .a requirement is worldwide.
    #[serde(default)]
    pub(super) a_class_headquarters: Option<RawBHeadquarters>,
    pub(super) model_weights: RawScope,
    pub(super) b_class_destinations: RawBDestinations,
    pub(super) b_class_headquarters: RawBHeadquarters,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Num<T> {
    pub(super) value: T,
    pub(super) citation: String,
    #[serde(default)]
    pub(super) reading: Option<String>,
    /// The value under the other reading, for a number that is one.
    #[serde(default)]
    pub(super) other: Option<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassification {
    pub(super) a_tpp: Num<f64>,
    pub(super) a_pd_min_tpp: Num<f64>,
    pub(super) a_pd: Num<f64>,
    pub(super) b1_tpp: Num<f64>,
    pub(super) b1_pd: Num<f64>,
    pub(super) b2_tpp: Num<f64>,
    pub(super) b2_pd: Num<f64>,
    pub(super) non_datacenter_tpp: Num<f64>,
    pub(super) computer: RawCitation,
    pub(super) tpp_definition: RawCitation,
    pub(super) h100_tpp: Num<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModelWeights {
    pub(super) training_operations: Num<f64>,
    pub(super) most_capable_published_operations: Num<f64>,
    pub(super) published: RawCitation,
    pub(super) derived_additional_operations: Num<f64>,
    pub(super) derived_additional_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAia {
    pub(super) citation: String,
    pub(super) model_weights_citation: String,
    pub(super) certification_report_tpp: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAca {
    /// Whether ACA exists apart from NAC (89 FR 23876, 2024-04-04); before, NAC covered every destination.
    #[serde(default = "yes")]
    pub(super) split: bool,
    pub(super) citation: String,
    pub(super) nac_citation: String,
    pub(super) nac_notice_days: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAcm {
    pub(super) citation: String,
    pub(super) exclusion_citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVeu {
    pub(super) uveu_citation: String,
    pub(super) nveu_citation: String,
    pub(super) uveu_headquarters: RawGroupRef,
    pub(super) nveu_excluded: RawGroupRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLpp {
    pub(super) citation: String,
    pub(super) exclusion_citation: String,
    pub(super) annual_limit_tpp: Num<u64>,
    pub(super) pre_shipment_notice_tpp: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLicensePolicy {
    pub(super) tier3_denial: String,
    pub(super) tier1_approval: String,
    pub(super) within_allocation: String,
    pub(super) beyond_allocation: String,
    pub(super) b_class: String,
    pub(super) b_class_denial: String,
    pub(super) model_weights_denial: String,
    pub(super) case_by_case: String,
    /// A regime without tiers: the presumption of approval for a license outside Macau/D:5.
    #[serde(default)]
    pub(super) outside_denial_approval: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPeriod {
    pub(super) from: toml::value::Datetime,
    pub(super) to: toml::value::Datetime,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllocation {
    pub(super) country_tpp: Num<u64>,
    pub(super) period: RawPeriod,
    pub(super) assurance_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuarter {
    pub(super) quarter: String,
    pub(super) tpp: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNveu {
    pub(super) citation: String,
    pub(super) schedule: Vec<RawQuarter>,
    pub(super) after_schedule: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUveu {
    pub(super) outside_tier1_max_percent: Num<u64>,
    pub(super) single_country_max_percent: Num<u64>,
    pub(super) outside_us_max_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReading<T> {
    pub(super) reading: String,
    pub(super) value: T,
    #[serde(default)]
    pub(super) options: Vec<String>,
    pub(super) text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReadings {
    pub(super) before_effective_date: RawReading<String>,
    pub(super) before_compliance_date: RawReading<String>,
    pub(super) authorization_order: RawReading<Vec<String>>,
    pub(super) lpp_limit_test: RawReading<String>,
    pub(super) allocation_test: RawReading<String>,
    pub(super) allocation_pool: RawReading<String>,
    pub(super) reporting_threshold: RawReading<String>,
    pub(super) nac_for_tier3: RawReading<bool>,
    pub(super) supp5a_headquarters_in_tier2: RawReading<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKyc {
    pub(super) red_flag_28: RawObligation,
    pub(super) tier3_headquarters: RawObligation,
    pub(super) fine_tuning_percent: Num<u64>,
    pub(super) inference_citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawObligation {
    pub(super) text: String,
    pub(super) citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParties {
    pub(super) review_citation: String,
    pub(super) entry_policy_default: String,
    pub(super) entry_policies: Vec<RawEntryPolicy>,
    pub(super) lists: Vec<RawListRule>,
    #[serde(default)]
    pub(super) affiliates: Option<RawAffiliates>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAffiliates {
    pub(super) threshold_percent: f64,
    pub(super) lists: Vec<RawCovered>,
    pub(super) citation: String,
    pub(super) periods: Vec<RawAffiliatesPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCovered {
    pub(super) list: String,
    #[serde(default)]
    pub(super) programs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAffiliatesPeriod {
    pub(super) from: toml::value::Datetime,
    pub(super) status: String,
    #[serde(default = "yes")]
    pub(super) confirmed: bool,
    pub(super) citation: String,
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEntryPolicy {
    pub(super) starts_with: String,
    pub(super) policy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawListRule {
    pub(super) list: String,
    #[serde(default)]
    pub(super) programs: Vec<String>,
    pub(super) roles: Vec<String>,
    /// `entry` (read the entry's own policy) or a review policy.
    pub(super) policy: String,
    pub(super) citation: String,
}

// ---------------------------------------------------------------------------------------------
// Validated pack.
