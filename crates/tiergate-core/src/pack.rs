//! Rule packs: the regulation as data, validated at load.
//!
//! A pack is TOML (`rules/*.toml`). [`Pack::from_toml`] reads it into raw serde structs, then checks every
//! value and builds the validated [`Pack`] the engine uses: country groups as bit sets (one snapshot per dated
//! change), thresholds in exact units, readings as enums, obligation texts with their numbers filled in.
//! A bad pack is rejected with a [`DataError`] naming the key and the problem.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use time::Date;

use crate::affiliates::AffiliatesRule;
use crate::country::{Countries, Country, CountrySet};
use crate::determine::{ReviewPolicy, Transaction};
use crate::parties::{fold, ListRule, PartyRole, PartyRules};
use crate::registry::Share;
use crate::units::{Density, Tpp};
use crate::DataError;

/// The schema version of the pack format this build reads.
pub const SCHEMA: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Raw shape, as written in TOML.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    schema: u32,
    pack: RawMeta,
    dates: RawDates,
    #[serde(default)]
    status: Vec<RawStatus>,
    groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    group_changes: Vec<RawChange>,
    #[serde(default)]
    treated_as: BTreeMap<String, RawTreatedAs>,
    #[serde(default)]
    dependencies: BTreeMap<String, RawDependency>,
    united_states: RawUnitedStates,
    tiers: RawTiers,
    license_requirement: RawLicenseRequirement,
    scope: BTreeMap<String, RawScope>,
    aca_transfers_within: RawGroupRef,
    classification: RawClassification,
    model_weights: RawModelWeights,
    aia: RawAia,
    aca: RawAca,
    acm: RawAcm,
    veu: RawVeu,
    lpp: RawLpp,
    license_policy: RawLicensePolicy,
    allocation: RawAllocation,
    nveu: RawNveu,
    uveu: RawUveu,
    readings: RawReadings,
    obligations: BTreeMap<String, RawObligation>,
    parties: RawParties,
    kyc: RawKyc,
    license: RawLicense,
    #[serde(default)]
    not_assessed: Vec<RawNotAssessed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicense {
    validity_months: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotAssessed {
    applies_to: String,
    text: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    version: String,
    title: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDate {
    date: toml::value::Datetime,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDates {
    effective: RawDate,
    compliance: RawDate,
    security_compliance: RawDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    from: toml::value::Datetime,
    text: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    title: String,
    citation: String,
    members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    date: toml::value::Datetime,
    group: String,
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTreatedAs {
    #[serde(rename = "as")]
    as_: String,
    confidence: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDependency {
    of: String,
    confidence: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnitedStates {
    country: String,
    citation: String,
}

/// The transactions a text covers, in its own words.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    transactions: Vec<String>,
    quote: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroupRef {
    groups: Vec<String>,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiers {
    tier1: RawGroupRef,
    tier2: RawCitation,
    tier3: RawGroupRef,
    assurances: RawGroupRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCitation {
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBDestinations {
    groups: Vec<String>,
    except: Vec<String>,
    transactions: Vec<String>,
    quote: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBHeadquarters {
    groups: Vec<String>,
    located_outside: Vec<String>,
    located_outside_except: Vec<String>,
    transactions: Vec<String>,
    quote: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicenseRequirement {
    a_class: RawScope,
    model_weights: RawScope,
    b_class_destinations: RawBDestinations,
    b_class_headquarters: RawBHeadquarters,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Num<T> {
    value: T,
    citation: String,
    #[serde(default)]
    reading: Option<String>,
    /// The value under the other reading, for a number that is one.
    #[serde(default)]
    other: Option<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassification {
    a_tpp: Num<f64>,
    a_pd_min_tpp: Num<f64>,
    a_pd: Num<f64>,
    b1_tpp: Num<f64>,
    b1_pd: Num<f64>,
    b2_tpp: Num<f64>,
    b2_pd: Num<f64>,
    non_datacenter_tpp: Num<f64>,
    computer: RawCitation,
    tpp_definition: RawCitation,
    h100_tpp: Num<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelWeights {
    training_operations: Num<f64>,
    most_capable_published_operations: Num<f64>,
    published: RawCitation,
    derived_additional_operations: Num<f64>,
    derived_additional_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAia {
    citation: String,
    model_weights_citation: String,
    certification_report_tpp: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAca {
    citation: String,
    nac_citation: String,
    nac_notice_days: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcm {
    citation: String,
    exclusion_citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVeu {
    uveu_citation: String,
    nveu_citation: String,
    uveu_headquarters: RawGroupRef,
    nveu_excluded: RawGroupRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLpp {
    citation: String,
    exclusion_citation: String,
    annual_limit_tpp: Num<u64>,
    pre_shipment_notice_tpp: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicensePolicy {
    tier3_denial: String,
    tier1_approval: String,
    within_allocation: String,
    beyond_allocation: String,
    b_class: String,
    b_class_denial: String,
    model_weights_denial: String,
    case_by_case: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    from: toml::value::Datetime,
    to: toml::value::Datetime,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllocation {
    country_tpp: Num<u64>,
    period: RawPeriod,
    assurance_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuarter {
    quarter: String,
    tpp: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNveu {
    citation: String,
    schedule: Vec<RawQuarter>,
    after_schedule: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUveu {
    outside_tier1_max_percent: Num<u64>,
    single_country_max_percent: Num<u64>,
    outside_us_max_percent: Num<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReading<T> {
    reading: String,
    value: T,
    #[serde(default)]
    options: Vec<String>,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReadings {
    before_effective_date: RawReading<String>,
    before_compliance_date: RawReading<String>,
    authorization_order: RawReading<Vec<String>>,
    lpp_limit_test: RawReading<String>,
    allocation_test: RawReading<String>,
    allocation_pool: RawReading<String>,
    reporting_threshold: RawReading<String>,
    nac_for_tier3: RawReading<bool>,
    supp5a_headquarters_in_tier2: RawReading<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKyc {
    red_flag_28: RawObligation,
    tier3_headquarters: RawObligation,
    fine_tuning_percent: Num<u64>,
    inference_citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObligation {
    text: String,
    citation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParties {
    review_citation: String,
    entry_policy_default: String,
    entry_policies: Vec<RawEntryPolicy>,
    lists: Vec<RawListRule>,
    #[serde(default)]
    affiliates: Option<RawAffiliates>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAffiliates {
    threshold_percent: f64,
    lists: Vec<RawCovered>,
    citation: String,
    periods: Vec<RawAffiliatesPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCovered {
    list: String,
    #[serde(default)]
    programs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAffiliatesPeriod {
    from: toml::value::Datetime,
    status: String,
    #[serde(default = "yes")]
    confirmed: bool,
    citation: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntryPolicy {
    starts_with: String,
    policy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawListRule {
    list: String,
    #[serde(default)]
    programs: Vec<String>,
    roles: Vec<String>,
    /// `entry` (read the entry's own policy) or a review policy.
    policy: String,
    citation: String,
}

// ---------------------------------------------------------------------------------------------
// Validated pack.

/// A statement of the rule with the citation that supports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cited<T> {
    pub value: T,
    pub citation: String,
}

/// How sure a reading of the text is: its own words (primary), a reading of them (secondary), or no text found
/// either way (unconfirmed). Answers that rest on less than primary say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    Primary,
    Secondary,
    Unconfirmed,
}

impl Confidence {
    pub const ALL: [Confidence; 3] = [Confidence::Primary, Confidence::Secondary, Confidence::Unconfirmed];

    pub fn parse(s: &str) -> Option<Confidence> {
        Confidence::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Primary => "primary",
            Confidence::Secondary => "secondary",
            Confidence::Unconfirmed => "unconfirmed",
        }
    }
}

/// A destination the EAR treats as another (Hong Kong as China, Puerto Rico as the United States).
#[derive(Clone, Debug)]
pub struct TreatedAs {
    pub to: Country,
    pub confidence: Confidence,
    pub citation: String,
}

/// A dependency of a country that the EAR lists as a destination of its own.
#[derive(Clone, Debug)]
pub struct Dependency {
    pub of: Country,
    pub confidence: Confidence,
    pub citation: String,
}

/// Which of export, reexport and transfer (in-country) a text covers, with its words.
#[derive(Clone, Debug)]
pub struct Scope {
    pub export: bool,
    pub reexport: bool,
    pub transfer: bool,
    pub quote: String,
    pub citation: String,
}

impl Scope {
    pub fn covers(&self, t: Transaction) -> bool {
        match t {
            Transaction::Export => self.export,
            Transaction::Reexport => self.reexport,
            Transaction::Transfer => self.transfer,
        }
    }

    /// `export and reexport`, `export, reexport and transfer (in-country)`.
    pub fn names(&self) -> String {
        let names: Vec<&str> =
            [(self.export, "export"), (self.reexport, "reexport"), (self.transfer, "transfer (in-country)")]
                .into_iter()
                .filter_map(|(on, n)| on.then_some(n))
                .collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
}

/// The transactions each authorization covers (docs/RULE.md §4.0).
#[derive(Clone, Debug)]
pub struct Scopes {
    pub aia: Scope,
    pub nac: Scope,
    pub aca: Scope,
    pub acm: Scope,
    pub lpp: Scope,
    pub uveu: Scope,
    pub nveu: Scope,
}

impl Scopes {
    pub const KEYS: [&'static str; 7] = ["AIA", "NAC", "ACA", "ACM", "LPP", "UVEU", "NVEU"];
}

/// The transactions each license requirement covers.
#[derive(Clone, Debug)]
pub struct Requirements {
    pub a_class: Scope,
    pub model_weights: Scope,
    pub b_class_destinations: Scope,
    pub b_class_headquarters: Scope,
}

/// What a provision Tiergate does not model touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppliesTo {
    Hardware,
    Weights,
    All,
}

/// A provision the engine does not model, told in a note on every answer it could touch.
#[derive(Clone, Debug)]
pub struct NotAssessed {
    pub applies_to: AppliesTo,
    pub text: String,
    pub citation: String,
}

/// A note that applies to every determination dated on or after `from`.
#[derive(Clone, Debug)]
pub struct StatusNote {
    pub from: Date,
    pub text: String,
    pub citation: String,
}

/// The country groups as they stand from a date on, with the sets the engine asks about precomputed.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub from: Option<Date>,
    /// Membership of every named group, in [`Pack::group_names`] order.
    pub groups: Vec<CountrySet>,
    pub tier1: CountrySet,
    pub tier3: CountrySet,
    pub assurances: CountrySet,
    /// Destinations to which .b-class items need a license (D:1, D:4, D:5 less A:5, A:6).
    pub b_class_destinations: CountrySet,
    /// Headquarters that bring a .b-class license requirement when located outside `b_class_located_outside`.
    pub b_class_headquarters: CountrySet,
    pub b_class_located_outside: CountrySet,
    /// Where ACA also authorizes in-country transfers, whoever the consignee (Macau, D:5).
    pub aca_transfers_within: CountrySet,
}

/// ECCN 3A090 parameters.
#[derive(Clone, Debug)]
pub struct Thresholds {
    pub a_tpp: Cited<Tpp>,
    pub a_pd_min_tpp: Cited<Tpp>,
    pub a_pd: Cited<Density>,
    pub b1_tpp: Cited<Tpp>,
    pub b1_pd: Cited<Density>,
    pub b2_tpp: Cited<Tpp>,
    pub b2_pd: Cited<Density>,
    pub non_datacenter_tpp: Cited<Tpp>,
    pub computer_citation: String,
    pub tpp_definition_citation: String,
    pub h100_tpp: Cited<Tpp>,
}

impl Thresholds {
    /// Below this TPP no IC is 3A090 whatever its density, so its die area is not needed.
    pub fn lowest_tpp(&self) -> Tpp {
        self.a_pd_min_tpp.value.min(self.b1_tpp.value).min(self.b2_tpp.value)
    }
}

/// ECCN 4E091 parameters.
#[derive(Clone, Debug)]
pub struct ModelWeightRules {
    pub training_operations: Cited<f64>,
    pub most_capable_published_operations: Cited<f64>,
    pub published_citation: String,
    pub derived_additional_operations: Cited<f64>,
    /// The additional operations under the other reading of R3 (a secondary source's 2 x 10^25).
    pub derived_additional_operations_other: f64,
    pub derived_additional_percent: Cited<u64>,
}

impl ModelWeightRules {
    /// The operations from which weights are controlled: 10^26, or more if a published model needs more.
    pub fn threshold(&self) -> &Cited<f64> {
        if self.most_capable_published_operations.value > self.training_operations.value {
            &self.most_capable_published_operations
        } else {
            &self.training_operations
        }
    }
}

/// One step of the authorization order (R4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Nlr,
    Aia,
    Aca,
    Acm,
    Veu,
    Lpp,
    License,
}

impl Step {
    pub const ALL: [Step; 7] = [Step::Nlr, Step::Aia, Step::Aca, Step::Acm, Step::Veu, Step::Lpp, Step::License];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Nlr => "NLR",
            Step::Aia => "AIA",
            Step::Aca => "ACA",
            Step::Acm => "ACM",
            Step::Veu => "VEU",
            Step::Lpp => "LPP",
            Step::License => "LICENSE",
        }
    }
}

/// R1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeforeEffective {
    Error,
    Determine,
}

/// R2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeforeCompliance {
    Note,
    NotRequired,
}

/// R5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LppLimitTest {
    AfterShipment,
    BeforeShipment,
}

/// R6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationTest {
    AfterRequest,
    BeforeRequest,
}

/// R7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationPool {
    Destination,
    Headquarters,
}

/// R10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supp5aHeadquarters {
    Allocation,
    Approval,
}

/// R8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportingThreshold {
    AtLeast,
    MoreThan,
}

impl ReportingThreshold {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportingThreshold::AtLeast => "at_least",
            ReportingThreshold::MoreThan => "more_than",
        }
    }

    /// The other reading.
    pub fn other(self) -> ReportingThreshold {
        match self {
            ReportingThreshold::AtLeast => ReportingThreshold::MoreThan,
            ReportingThreshold::MoreThan => ReportingThreshold::AtLeast,
        }
    }

    /// Whether `amount` meets a threshold written "of `threshold`".
    pub fn is_met(self, amount: Tpp, threshold: Tpp) -> bool {
        match self {
            ReportingThreshold::AtLeast => amount >= threshold,
            ReportingThreshold::MoreThan => amount > threshold,
        }
    }
}

/// A reading of ambiguous text: its number in RULE.md, the value in force and what it means.
#[derive(Clone, Debug)]
pub struct ReadingDoc {
    pub key: &'static str,
    pub reading: String,
    pub value: String,
    pub options: Vec<String>,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Readings {
    pub before_effective_date: BeforeEffective,
    pub before_compliance_date: BeforeCompliance,
    pub authorization_order: Vec<Step>,
    pub lpp_limit_test: LppLimitTest,
    pub allocation_test: AllocationTest,
    pub allocation_pool: AllocationPool,
    pub reporting_threshold: ReportingThreshold,
    pub nac_for_tier3: bool,
    pub supp5a_headquarters_in_tier2: Supp5aHeadquarters,
    pub docs: Vec<ReadingDoc>,
}

/// Quarter of a year, 1 to 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    pub quarter: u8,
}

impl Quarter {
    pub fn of(date: Date) -> Quarter {
        Quarter { year: date.year(), quarter: (u8::from(date.month()) - 1) / 3 + 1 }
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}Q{}", self.year, self.quarter)
    }
}

#[derive(Clone, Debug)]
pub struct NveuSchedule {
    pub citation: String,
    pub quarters: Vec<(Quarter, u64)>,
    pub hold_after: bool,
}

impl NveuSchedule {
    /// The cumulative cap in force in the quarter of `date`, if the schedule sets one.
    pub fn cap(&self, date: Date) -> Option<(Quarter, u64)> {
        let q = Quarter::of(date);
        let mut last = None;
        for (quarter, tpp) in &self.quarters {
            if *quarter == q {
                return Some((*quarter, *tpp));
            }
            if *quarter < q {
                last = Some((*quarter, *tpp));
            }
        }
        match (last, self.quarters.last()) {
            (Some(l), Some(end)) if self.hold_after && q > end.0 => Some(l),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AllocationRules {
    pub country_tpp: Cited<u64>,
    pub period_from: Date,
    pub period_to: Date,
    pub period_citation: String,
    pub assurance_percent: Cited<u64>,
}

#[derive(Clone, Debug)]
pub struct UveuRules {
    pub outside_tier1_max_percent: Cited<u64>,
    pub single_country_max_percent: Cited<u64>,
    pub outside_us_max_percent: Cited<u64>,
    /// The country whose UVEUs must keep `outside_us_max_percent` at home: the pack's `[united_states]`.
    pub united_states: Country,
}

/// Screening IaaS customers (`tiergate kyc check`).
#[derive(Clone, Debug)]
pub struct KycRules {
    /// Training a 4E091-level model for a customer headquartered (or whose parent is) outside Tier 1.
    pub red_flag_28: ObligationText,
    /// A customer headquartered (or whose parent is) in Macau/D:5.
    pub tier3_headquarters: ObligationText,
    /// Fine-tuning within this share of the base model's training operations is not training.
    pub fine_tuning_percent: Cited<u64>,
    pub inference_citation: String,
}

/// Who may be registered as a VEU (`tiergate veu add`): group indices into [`Snapshot::groups`].
#[derive(Clone, Debug)]
pub struct VeuEligibility {
    /// A UVEU's headquarters (or its ultimate parent's) must be in one of these groups.
    pub uveu_headquarters: Cited<Vec<usize>>,
    /// An NVEU's headquarters and its authorized country must be in none of these groups.
    pub nveu_excluded: Cited<Vec<usize>>,
}

/// An obligation's text (numbers filled in) and citation.
#[derive(Clone, Debug)]
pub struct ObligationText {
    pub text: String,
    pub citation: String,
}

/// Obligation ids the engine attaches; a pack must define each.
pub const OBLIGATIONS: &[&str] = &[
    "aia_furnish_eccn",
    "aia_certification",
    "aia_shipment_notice",
    "aia_certification_report",
    "aia_records",
    "nac_notification",
    "acm_accounting",
    "acm_records",
    "veu_security",
    "veu_reports",
    "uveu_transfer_notice",
    "lpp_certification",
    "lpp_shipment_report",
    "lpp_pre_shipment_notice",
    "lpp_limit_reached",
    "lpp_records",
    "license_purchase_order",
    "license_tpp_per_country",
    "license_validity",
    "aia_training_bar",
    "uveu_new_location_notice",
    "veu_training",
];

/// A validated rule pack.
#[derive(Clone, Debug)]
pub struct Pack {
    pub id: String,
    pub version: String,
    pub title: String,
    pub citation: String,
    pub countries: Arc<Countries>,
    pub effective: Cited<Date>,
    pub compliance: Cited<Date>,
    pub security_compliance: Cited<Date>,
    pub status: Vec<StatusNote>,
    pub group_names: Vec<String>,
    pub group_titles: Vec<Cited<String>>,
    snapshots: Vec<Snapshot>,
    treated_as: Vec<Option<TreatedAs>>,
    dependencies: Vec<Option<Dependency>>,
    /// The United States: no destination under the EAR (its territories are treated as it).
    pub united_states: Cited<Country>,
    pub scopes: Scopes,
    pub requirements: Requirements,
    pub aca_transfers_within_citation: String,
    pub tier1_citation: String,
    pub tier2_citation: String,
    pub tier3_citation: String,
    pub assurances_citation: String,
    pub thresholds: Thresholds,
    pub model_weights: ModelWeightRules,
    pub aia_citation: String,
    pub aia_model_weights_citation: String,
    pub aia_certification_report_tpp: Cited<Tpp>,
    pub aca_citation: String,
    pub nac_citation: String,
    pub nac_notice_days: Cited<u64>,
    pub acm_citation: String,
    pub acm_exclusion_citation: String,
    pub uveu_citation: String,
    pub nveu_citation: String,
    pub veu_eligibility: VeuEligibility,
    pub lpp_citation: String,
    pub lpp_exclusion_citation: String,
    pub lpp_annual_limit_tpp: Cited<Tpp>,
    pub lpp_pre_shipment_notice_tpp: Cited<Tpp>,
    pub policy: PolicyCitations,
    pub allocation: AllocationRules,
    pub nveu: NveuSchedule,
    pub uveu: UveuRules,
    pub readings: Readings,
    obligations: HashMap<String, ObligationText>,
    pub parties: PartyRules,
    pub kyc: KycRules,
    /// Months a license for .a-class items is valid (750.7(g)).
    pub license_validity_months: Cited<u64>,
    pub not_assessed: Vec<NotAssessed>,
}

#[derive(Clone, Debug)]
pub struct PolicyCitations {
    pub tier3_denial: String,
    pub tier1_approval: String,
    pub within_allocation: String,
    pub beyond_allocation: String,
    pub b_class: String,
    pub b_class_denial: String,
    pub model_weights_denial: String,
    pub case_by_case: String,
}

impl Pack {
    /// The groups in force on `date`.
    pub fn at(&self, date: Date) -> &Snapshot {
        let mut current = self.snapshots.first();
        for s in &self.snapshots {
            match s.from {
                Some(from) if from <= date => current = Some(s),
                Some(_) => break,
                None => {}
            }
        }
        // `from_toml` always builds the undated base snapshot first.
        #[allow(clippy::expect_used)]
        current.expect("a pack always has its base snapshot")
    }

    /// The country whose group memberships `c` takes (Hong Kong → China), with the citation for it.
    pub fn treated_as(&self, c: Country) -> Option<(Country, &str)> {
        self.treatment(c).map(|t| (t.to, t.citation.as_str()))
    }

    /// How the EAR treats `c` as another country, if it does.
    pub fn treatment(&self, c: Country) -> Option<&TreatedAs> {
        self.treated_as.get(c.index()).and_then(|t| t.as_ref())
    }

    /// `c` as a dependency the EAR lists as a destination of its own, if it is one.
    pub fn dependency(&self, c: Country) -> Option<&Dependency> {
        self.dependencies.get(c.index()).and_then(|t| t.as_ref())
    }

    /// `c`, or the country the rule treats it as.
    pub fn canonical(&self, c: Country) -> Country {
        self.treated_as(c).map_or(c, |(to, _)| to)
    }

    /// Names of the groups `c` belongs to on `date` (after treating it as another country where the rule does).
    pub fn groups_of(&self, c: Country, date: Date) -> Vec<&str> {
        let c = self.canonical(c);
        let snap = self.at(date);
        self.group_names.iter().zip(&snap.groups).filter(|(_, set)| set.contains(c)).map(|(n, _)| n.as_str()).collect()
    }

    /// Whether `c` (after treating it as another country where the rule does) is in any of `groups` on `date`.
    pub fn in_groups(&self, c: Country, date: Date, groups: &[usize]) -> bool {
        let c = self.canonical(c);
        let snap = self.at(date);
        groups.iter().any(|g| snap.groups.get(*g).is_some_and(|set| set.contains(c)))
    }

    pub fn obligation(&self, id: &str) -> Option<&ObligationText> {
        self.obligations.get(id)
    }

    /// The Tier 2 country allocation for `country` on `date`, if the pack sets one for that date.
    pub fn country_allocation(&self, country: Country, date: Date) -> Option<u64> {
        if date < self.allocation.period_from || date > self.allocation.period_to {
            return None;
        }
        let base = self.allocation.country_tpp.value;
        if self.at(date).assurances.contains(self.canonical(country)) {
            base.checked_mul(self.allocation.assurance_percent.value).map(|v| v / 100)
        } else {
            Some(base)
        }
    }

    /// Reads and validates a pack. `source` names it in error messages (a path, or `builtin`).
    pub fn from_toml(text: &str, source: &str, countries: Arc<Countries>) -> Result<Pack, DataError> {
        let raw: RawPack = crate::parse_toml(text, source)?;
        Builder { source, countries: &countries }.build(raw, Arc::clone(&countries))
    }
}

struct Builder<'a> {
    source: &'a str,
    countries: &'a Countries,
}

impl Builder<'_> {
    fn err(&self, key: &str, problem: impl Into<String>) -> DataError {
        DataError::new(self.source, key, problem.into())
    }

    fn text(&self, key: &str, value: &str) -> Result<String, DataError> {
        if value.trim().is_empty() {
            return Err(self.err(key, "must not be empty"));
        }
        Ok(value.to_owned())
    }

    fn date(&self, key: &str, d: &toml::value::Datetime) -> Result<Date, DataError> {
        match (d.date, d.time, d.offset) {
            (Some(date), None, None) => {
                let month = time::Month::try_from(date.month).map_err(|_| self.err(key, "month out of range"))?;
                Date::from_calendar_date(i32::from(date.year), month, date.day)
                    .map_err(|e| self.err(key, format!("not a calendar date: {e}")))
            }
            _ => Err(self.err(key, format!("`{d}` must be a plain date (YYYY-MM-DD)"))),
        }
    }

    fn country(&self, key: &str, code: &str) -> Result<Country, DataError> {
        self.countries
            .by_code(code)
            .ok_or_else(|| self.err(key, format!("`{code}` is not an ISO 3166-1 alpha-2 country code")))
    }

    fn confidence(&self, key: &str, value: &str) -> Result<Confidence, DataError> {
        self.choice(key, value, &Confidence::ALL.map(|c| (c.as_str(), c)))
    }

    fn scope(&self, key: &str, transactions: &[String], quote: &str, citation: &str) -> Result<Scope, DataError> {
        let mut s = Scope {
            export: false,
            reexport: false,
            transfer: false,
            quote: self.text(&format!("{key}.quote"), quote)?,
            citation: self.text(&format!("{key}.citation"), citation)?,
        };
        if transactions.is_empty() {
            return Err(self.err(&format!("{key}.transactions"), "names no transaction"));
        }
        for t in transactions {
            let slot = match t.as_str() {
                "export" => &mut s.export,
                "reexport" => &mut s.reexport,
                "transfer" => &mut s.transfer,
                other => {
                    return Err(self.err(
                        &format!("{key}.transactions"),
                        format!("`{other}` is not one of `export`, `reexport`, `transfer`"),
                    ))
                }
            };
            if *slot {
                return Err(self.err(&format!("{key}.transactions"), format!("`{t}` is listed twice")));
            }
            *slot = true;
        }
        Ok(s)
    }

    fn cited_date(&self, key: &str, d: &RawDate) -> Result<Cited<Date>, DataError> {
        Ok(Cited { value: self.date(key, &d.date)?, citation: self.text(&format!("{key}.citation"), &d.citation)? })
    }

    fn tpp(&self, key: &str, n: &Num<f64>) -> Result<Cited<Tpp>, DataError> {
        let value = Tpp::from_decimal(n.value)
            .filter(|t| t.milli() > 0)
            .ok_or_else(|| self.err(key, format!("{} is not a positive TPP with at most three decimals", n.value)))?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn whole_tpp(&self, key: &str, n: &Num<u64>) -> Result<Cited<Tpp>, DataError> {
        let value = Tpp::from_whole(n.value)
            .filter(|t| t.milli() > 0)
            .ok_or_else(|| self.err(key, format!("{} is not a positive TPP amount", n.value)))?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn density(&self, key: &str, n: &Num<f64>) -> Result<Cited<Density>, DataError> {
        let value = Density::from_decimal(n.value).filter(|_| n.value > 0.0).ok_or_else(|| {
            self.err(key, format!("{} is not a positive density with at most three decimals", n.value))
        })?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn positive(&self, key: &str, n: &Num<u64>) -> Result<Cited<u64>, DataError> {
        if n.value == 0 {
            return Err(self.err(key, "must be positive"));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn percent(&self, key: &str, n: &Num<u64>, max: u64) -> Result<Cited<u64>, DataError> {
        if n.value == 0 || n.value > max {
            return Err(self.err(key, format!("{} is not a percentage between 1 and {max}", n.value)));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn operations(&self, key: &str, n: &Num<f64>) -> Result<Cited<f64>, DataError> {
        if !n.value.is_finite() || n.value <= 0.0 {
            return Err(self.err(key, format!("{} is not a positive number of operations", n.value)));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    fn group_set(
        &self,
        key: &str,
        names: &[String],
        index: &HashMap<&str, usize>,
        sets: &[CountrySet],
    ) -> Result<CountrySet, DataError> {
        let mut out = CountrySet::default();
        for n in names {
            let i = index.get(n.as_str()).ok_or_else(|| self.err(key, format!("names unknown group `{n}`")))?;
            if let Some(s) = sets.get(*i) {
                out = out.union(s);
            }
        }
        Ok(out)
    }

    /// Group names as indices into the snapshots' groups, with their citation; at least one group.
    fn group_ref(
        &self,
        key: &str,
        r: &RawGroupRef,
        index: &HashMap<&str, usize>,
    ) -> Result<Cited<Vec<usize>>, DataError> {
        if r.groups.is_empty() {
            return Err(self.err(&format!("{key}.groups"), "names no group"));
        }
        let value = r
            .groups
            .iter()
            .map(|n| {
                index
                    .get(n.as_str())
                    .copied()
                    .ok_or_else(|| self.err(&format!("{key}.groups"), format!("names unknown group `{n}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &r.citation)? })
    }

    fn reading<T>(
        &self,
        key: &'static str,
        r: &RawReading<T>,
        expected: &str,
        value: String,
        docs: &mut Vec<ReadingDoc>,
    ) -> Result<(), DataError> {
        if r.reading != expected {
            return Err(
                self.err(&format!("readings.{key}.reading"), format!("is `{}`, expected `{expected}`", r.reading))
            );
        }
        self.text(&format!("readings.{key}.text"), &r.text)?;
        docs.push(ReadingDoc {
            key,
            reading: r.reading.clone(),
            value,
            options: r.options.clone(),
            text: r.text.clone(),
        });
        Ok(())
    }

    fn choice<E: Copy>(&self, key: &str, value: &str, options: &[(&str, E)]) -> Result<E, DataError> {
        options.iter().find(|(n, _)| *n == value).map(|(_, e)| *e).ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
            self.err(key, format!("`{value}` is not one of {}", names.join(", ")))
        })
    }

    #[allow(clippy::too_many_lines)]
    fn build(&self, raw: RawPack, countries: Arc<Countries>) -> Result<Pack, DataError> {
        if raw.schema != SCHEMA {
            return Err(self.err("schema", format!("is {}, this build reads schema {SCHEMA}", raw.schema)));
        }
        let id = self.text("pack.id", &raw.pack.id)?;
        if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(self.err("pack.id", format!("`{id}` must use only lower-case letters, digits and `-`")));
        }

        // Dates.
        let effective = self.cited_date("dates.effective", &raw.dates.effective)?;
        let compliance = self.cited_date("dates.compliance", &raw.dates.compliance)?;
        let security_compliance = self.cited_date("dates.security_compliance", &raw.dates.security_compliance)?;
        if compliance.value < effective.value {
            return Err(self.err("dates.compliance", "is before dates.effective"));
        }
        if security_compliance.value < effective.value {
            return Err(self.err("dates.security_compliance", "is before dates.effective"));
        }
        let mut status = Vec::new();
        for (i, s) in raw.status.iter().enumerate() {
            let key = format!("status[{i}]");
            status.push(StatusNote {
                from: self.date(&format!("{key}.from"), &s.from)?,
                text: self.text(&format!("{key}.text"), &s.text)?,
                citation: self.text(&format!("{key}.citation"), &s.citation)?,
            });
        }

        // Groups and their dated changes.
        let mut group_names = Vec::new();
        let mut group_titles = Vec::new();
        let mut base = Vec::new();
        for (name, g) in &raw.groups {
            let key = format!("groups.\"{name}\"");
            let mut set = CountrySet::default();
            for code in &g.members {
                let c = self.country(&format!("{key}.members"), code)?;
                if set.contains(c) {
                    return Err(self.err(&format!("{key}.members"), format!("`{code}` is listed twice")));
                }
                set.insert(c);
            }
            group_names.push(name.clone());
            group_titles.push(Cited {
                value: self.text(&format!("{key}.title"), &g.title)?,
                citation: self.text(&format!("{key}.citation"), &g.citation)?,
            });
            base.push(set);
        }
        let index: HashMap<&str, usize> = group_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut changes = Vec::new();
        for (i, ch) in raw.group_changes.iter().enumerate() {
            let key = format!("group_changes[{i}]");
            let date = self.date(&format!("{key}.date"), &ch.date)?;
            let g = *index
                .get(ch.group.as_str())
                .ok_or_else(|| self.err(&format!("{key}.group"), format!("names unknown group `{}`", ch.group)))?;
            let add = ch.add.iter().map(|c| self.country(&format!("{key}.add"), c)).collect::<Result<Vec<_>, _>>()?;
            let remove =
                ch.remove.iter().map(|c| self.country(&format!("{key}.remove"), c)).collect::<Result<Vec<_>, _>>()?;
            if add.is_empty() && remove.is_empty() {
                return Err(self.err(&key, "changes nothing: give `add` or `remove`"));
            }
            self.text(&format!("{key}.citation"), &ch.citation)?;
            changes.push((date, g, add, remove));
        }
        changes.sort_by_key(|c| c.0);

        // Tiers and the license-requirement sets, per snapshot.
        let derive = |from: Option<Date>, groups: Vec<CountrySet>| -> Result<Snapshot, DataError> {
            let lr = &raw.license_requirement;
            let tier1 = self.group_set("tiers.tier1.groups", &raw.tiers.tier1.groups, &index, &groups)?;
            let tier3 = self.group_set("tiers.tier3.groups", &raw.tiers.tier3.groups, &index, &groups)?;
            let assurances =
                self.group_set("tiers.assurances.groups", &raw.tiers.assurances.groups, &index, &groups)?;
            let b_dest = self.group_set(
                "license_requirement.b_class_destinations.groups",
                &lr.b_class_destinations.groups,
                &index,
                &groups,
            )?;
            let b_except = self.group_set(
                "license_requirement.b_class_destinations.except",
                &lr.b_class_destinations.except,
                &index,
                &groups,
            )?;
            let b_hq = self.group_set(
                "license_requirement.b_class_headquarters.groups",
                &lr.b_class_headquarters.groups,
                &index,
                &groups,
            )?;
            let b_out = self.group_set(
                "license_requirement.b_class_headquarters.located_outside",
                &lr.b_class_headquarters.located_outside,
                &index,
                &groups,
            )?;
            let b_out_except = self.group_set(
                "license_requirement.b_class_headquarters.located_outside_except",
                &lr.b_class_headquarters.located_outside_except,
                &index,
                &groups,
            )?;
            let aca_within =
                self.group_set("aca_transfers_within.groups", &raw.aca_transfers_within.groups, &index, &groups)?;
            Ok(Snapshot {
                from,
                groups,
                tier1,
                tier3,
                assurances,
                b_class_destinations: b_dest.minus(&b_except),
                b_class_headquarters: b_hq,
                b_class_located_outside: b_out.minus(&b_out_except),
                aca_transfers_within: aca_within,
            })
        };
        let veu_eligibility = VeuEligibility {
            uveu_headquarters: self.group_ref("veu.uveu_headquarters", &raw.veu.uveu_headquarters, &index)?,
            nveu_excluded: self.group_ref("veu.nveu_excluded", &raw.veu.nveu_excluded, &index)?,
        };
        let mut snapshots = vec![derive(None, base.clone())?];
        let mut current = base;
        for (date, g, add, remove) in &changes {
            if let Some(set) = current.get_mut(*g) {
                for c in add {
                    set.insert(*c);
                }
                for c in remove {
                    set.remove(*c);
                }
            }
            snapshots.push(derive(Some(*date), current.clone())?);
        }
        for (i, s) in snapshots.iter().enumerate() {
            if let Some(c) = self.countries.iter().find(|c| s.tier1.contains(*c) && s.tier3.contains(*c)) {
                let when = if i == 0 { "in the base groups".to_owned() } else { format!("from {:?}", s.from) };
                return Err(
                    self.err("tiers", format!("`{}` is in both tier 1 and tier 3 {when}", self.countries.code(c)))
                );
            }
        }

        let mut treated_as = vec![None; self.countries.len()];
        for (code, t) in &raw.treated_as {
            let key = format!("treated_as.{code}");
            let from = self.country(&key, code)?;
            let to = self.country(&format!("{key}.as"), &t.as_)?;
            if from == to {
                return Err(self.err(&key, "treats a country as itself"));
            }
            if raw.treated_as.contains_key(&t.as_) {
                return Err(self.err(&format!("{key}.as"), format!("`{}` is itself treated as another country", t.as_)));
            }
            let confidence = self.confidence(&format!("{key}.confidence"), &t.confidence)?;
            if let Some(slot) = treated_as.get_mut(from.index()) {
                *slot =
                    Some(TreatedAs { to, confidence, citation: self.text(&format!("{key}.citation"), &t.citation)? });
            }
        }
        let mut dependencies = vec![None; self.countries.len()];
        for (code, d) in &raw.dependencies {
            let key = format!("dependencies.{code}");
            let c = self.country(&key, code)?;
            let of = self.country(&format!("{key}.of"), &d.of)?;
            if c == of {
                return Err(self.err(&format!("{key}.of"), "names the dependency itself"));
            }
            if raw.treated_as.contains_key(code) {
                return Err(self.err(
                    &key,
                    "is also under treated_as: a dependency is either a destination of its own or read as another",
                ));
            }
            let confidence = self.confidence(&format!("{key}.confidence"), &d.confidence)?;
            if let Some(slot) = dependencies.get_mut(c.index()) {
                *slot =
                    Some(Dependency { of, confidence, citation: self.text(&format!("{key}.citation"), &d.citation)? });
            }
        }
        let united_states = Cited {
            value: self.country("united_states.country", &raw.united_states.country)?,
            citation: self.text("united_states.citation", &raw.united_states.citation)?,
        };
        if raw.treated_as.contains_key(&raw.united_states.country) {
            return Err(self.err("united_states.country", "is itself treated as another country"));
        }
        let mut scopes_raw: HashMap<&str, &RawScope> = HashMap::new();
        for (name, s) in &raw.scope {
            if !Scopes::KEYS.contains(&name.as_str()) {
                return Err(self.err(
                    &format!("scope.{name}"),
                    format!("is not an authorization (known: {})", Scopes::KEYS.join(", ")),
                ));
            }
            scopes_raw.insert(name.as_str(), s);
        }
        let scope_of = |name: &str| -> Result<Scope, DataError> {
            let s = scopes_raw.get(name).ok_or_else(|| self.err(&format!("scope.{name}"), "is missing"))?;
            self.scope(&format!("scope.{name}"), &s.transactions, &s.quote, &s.citation)
        };
        let scopes = Scopes {
            aia: scope_of("AIA")?,
            nac: scope_of("NAC")?,
            aca: scope_of("ACA")?,
            acm: scope_of("ACM")?,
            lpp: scope_of("LPP")?,
            uveu: scope_of("UVEU")?,
            nveu: scope_of("NVEU")?,
        };
        let lreq = &raw.license_requirement;
        let requirements = Requirements {
            a_class: self.scope(
                "license_requirement.a_class",
                &lreq.a_class.transactions,
                &lreq.a_class.quote,
                &lreq.a_class.citation,
            )?,
            model_weights: self.scope(
                "license_requirement.model_weights",
                &lreq.model_weights.transactions,
                &lreq.model_weights.quote,
                &lreq.model_weights.citation,
            )?,
            b_class_destinations: self.scope(
                "license_requirement.b_class_destinations",
                &lreq.b_class_destinations.transactions,
                &lreq.b_class_destinations.quote,
                &lreq.b_class_destinations.citation,
            )?,
            b_class_headquarters: self.scope(
                "license_requirement.b_class_headquarters",
                &lreq.b_class_headquarters.transactions,
                &lreq.b_class_headquarters.quote,
                &lreq.b_class_headquarters.citation,
            )?,
        };
        if raw.aca_transfers_within.groups.is_empty() {
            return Err(self.err("aca_transfers_within.groups", "names no group"));
        }
        let aca_transfers_within_citation =
            self.text("aca_transfers_within.citation", &raw.aca_transfers_within.citation)?;

        // Classification thresholds.
        let c = &raw.classification;
        let thresholds = Thresholds {
            a_tpp: self.tpp("classification.a_tpp", &c.a_tpp)?,
            a_pd_min_tpp: self.tpp("classification.a_pd_min_tpp", &c.a_pd_min_tpp)?,
            a_pd: self.density("classification.a_pd", &c.a_pd)?,
            b1_tpp: self.tpp("classification.b1_tpp", &c.b1_tpp)?,
            b1_pd: self.density("classification.b1_pd", &c.b1_pd)?,
            b2_tpp: self.tpp("classification.b2_tpp", &c.b2_tpp)?,
            b2_pd: self.density("classification.b2_pd", &c.b2_pd)?,
            non_datacenter_tpp: self.tpp("classification.non_datacenter_tpp", &c.non_datacenter_tpp)?,
            computer_citation: self.text("classification.computer.citation", &c.computer.citation)?,
            tpp_definition_citation: self.text("classification.tpp_definition.citation", &c.tpp_definition.citation)?,
            h100_tpp: self.tpp("classification.h100_tpp", &c.h100_tpp)?,
        };
        if thresholds.b1_tpp.value >= thresholds.a_tpp.value {
            return Err(self.err("classification.b1_tpp", "must be below classification.a_tpp"));
        }
        if thresholds.b1_pd.value >= thresholds.a_pd.value || thresholds.b2_pd.value >= thresholds.a_pd.value {
            return Err(self.err("classification.b1_pd", "the .b densities must be below classification.a_pd"));
        }

        let m = &raw.model_weights;
        let model_weights = ModelWeightRules {
            training_operations: self.operations("model_weights.training_operations", &m.training_operations)?,
            most_capable_published_operations: self
                .operations("model_weights.most_capable_published_operations", &m.most_capable_published_operations)?,
            published_citation: self.text("model_weights.published.citation", &m.published.citation)?,
            derived_additional_operations: self
                .operations("model_weights.derived_additional_operations", &m.derived_additional_operations)?,
            derived_additional_operations_other: match m.derived_additional_operations.other {
                Some(x) if x.is_finite() && x > 0.0 && x != m.derived_additional_operations.value => x,
                Some(x) => {
                    return Err(self.err(
                        "model_weights.derived_additional_operations.other",
                        format!("{x} is not a positive number of operations other than `value`"),
                    ))
                }
                None => {
                    return Err(self.err(
                        "model_weights.derived_additional_operations.other",
                        "is required: the value under the other reading of R3",
                    ))
                }
            },
            derived_additional_percent: self.percent(
                "model_weights.derived_additional_percent",
                &m.derived_additional_percent,
                100,
            )?,
        };
        if m.derived_additional_operations.reading.as_deref() != Some("R3") {
            return Err(self.err("model_weights.derived_additional_operations.reading", "must be `R3`"));
        }
        if m.training_operations.reading.is_some() {
            return Err(self.err("model_weights.training_operations.reading", "is not a reading"));
        }

        let allocation = AllocationRules {
            country_tpp: self.positive("allocation.country_tpp", &raw.allocation.country_tpp)?,
            period_from: self.date("allocation.period.from", &raw.allocation.period.from)?,
            period_to: self.date("allocation.period.to", &raw.allocation.period.to)?,
            period_citation: self.text("allocation.period.citation", &raw.allocation.period.citation)?,
            assurance_percent: self.percent("allocation.assurance_percent", &raw.allocation.assurance_percent, 1000)?,
        };
        if allocation.period_to < allocation.period_from {
            return Err(self.err("allocation.period.to", "is before allocation.period.from"));
        }
        if allocation.assurance_percent.value < 100 {
            return Err(
                self.err("allocation.assurance_percent", "must be at least 100 (it can only raise an allocation)")
            );
        }

        let mut quarters = Vec::new();
        for (i, q) in raw.nveu.schedule.iter().enumerate() {
            let key = format!("nveu.schedule[{i}]");
            let quarter = parse_quarter(&q.quarter).ok_or_else(|| {
                self.err(&format!("{key}.quarter"), format!("`{}` is not a quarter like `2025Q1`", q.quarter))
            })?;
            if let Some((prev_q, prev_tpp)) = quarters.last() {
                if quarter <= *prev_q {
                    return Err(self.err(&format!("{key}.quarter"), "quarters must be in increasing order"));
                }
                if q.tpp < *prev_tpp {
                    return Err(self.err(&format!("{key}.tpp"), "a cumulative schedule cannot decrease"));
                }
            }
            if q.tpp == 0 {
                return Err(self.err(&format!("{key}.tpp"), "must be positive"));
            }
            quarters.push((quarter, q.tpp));
        }
        if quarters.is_empty() {
            return Err(self.err("nveu.schedule", "must list at least one quarter"));
        }
        let nveu = NveuSchedule {
            citation: self.text("nveu.citation", &raw.nveu.citation)?,
            quarters,
            hold_after: self.choice(
                "nveu.after_schedule",
                &raw.nveu.after_schedule,
                &[("hold", true), ("none", false)],
            )?,
        };

        let uveu = UveuRules {
            outside_tier1_max_percent: self.percent(
                "uveu.outside_tier1_max_percent",
                &raw.uveu.outside_tier1_max_percent,
                100,
            )?,
            single_country_max_percent: self.percent(
                "uveu.single_country_max_percent",
                &raw.uveu.single_country_max_percent,
                100,
            )?,
            outside_us_max_percent: self.percent(
                "uveu.outside_us_max_percent",
                &raw.uveu.outside_us_max_percent,
                100,
            )?,
            united_states: united_states.value,
        };

        // Readings.
        let r = &raw.readings;
        let mut docs = Vec::new();
        let before_effective_date = self.choice(
            "readings.before_effective_date.value",
            &r.before_effective_date.value,
            &[("error", BeforeEffective::Error), ("determine", BeforeEffective::Determine)],
        )?;
        self.reading(
            "before_effective_date",
            &r.before_effective_date,
            "R1",
            r.before_effective_date.value.clone(),
            &mut docs,
        )?;
        let before_compliance_date = self.choice(
            "readings.before_compliance_date.value",
            &r.before_compliance_date.value,
            &[("note", BeforeCompliance::Note), ("not_required", BeforeCompliance::NotRequired)],
        )?;
        self.reading(
            "before_compliance_date",
            &r.before_compliance_date,
            "R2",
            r.before_compliance_date.value.clone(),
            &mut docs,
        )?;
        docs.push(ReadingDoc {
            key: "model_weights.derived_additional_operations",
            reading: "R3".into(),
            value: m.derived_additional_operations.value.to_string(),
            options: Vec::new(),
            text: "additional training operations above which a model derived from a published one is controlled (with the percentage of the base model's operations, whichever is higher)".into(),
        });
        let mut order = Vec::new();
        for name in &r.authorization_order.value {
            let step = Step::ALL.iter().copied().find(|s| s.as_str() == name).ok_or_else(|| {
                self.err(
                    "readings.authorization_order.value",
                    format!("`{name}` is not one of NLR, AIA, ACA, ACM, VEU, LPP, LICENSE"),
                )
            })?;
            if order.contains(&step) {
                return Err(self.err("readings.authorization_order.value", format!("`{name}` is listed twice")));
            }
            order.push(step);
        }
        if order.len() != Step::ALL.len() {
            return Err(self.err(
                "readings.authorization_order.value",
                "must list each of NLR, AIA, ACA, ACM, VEU, LPP, LICENSE once",
            ));
        }
        if order.first() != Some(&Step::Nlr) || order.last() != Some(&Step::License) {
            return Err(self.err("readings.authorization_order.value", "must start with NLR and end with LICENSE"));
        }
        self.reading(
            "authorization_order",
            &r.authorization_order,
            "R4",
            r.authorization_order.value.join(","),
            &mut docs,
        )?;
        let lpp_limit_test = self.choice(
            "readings.lpp_limit_test.value",
            &r.lpp_limit_test.value,
            &[("after_shipment", LppLimitTest::AfterShipment), ("before_shipment", LppLimitTest::BeforeShipment)],
        )?;
        self.reading("lpp_limit_test", &r.lpp_limit_test, "R5", r.lpp_limit_test.value.clone(), &mut docs)?;
        let allocation_test = self.choice(
            "readings.allocation_test.value",
            &r.allocation_test.value,
            &[("after_request", AllocationTest::AfterRequest), ("before_request", AllocationTest::BeforeRequest)],
        )?;
        self.reading("allocation_test", &r.allocation_test, "R6", r.allocation_test.value.clone(), &mut docs)?;
        let allocation_pool = self.choice(
            "readings.allocation_pool.value",
            &r.allocation_pool.value,
            &[("destination", AllocationPool::Destination), ("headquarters", AllocationPool::Headquarters)],
        )?;
        self.reading("allocation_pool", &r.allocation_pool, "R7", r.allocation_pool.value.clone(), &mut docs)?;
        let reporting_threshold = self.choice(
            "readings.reporting_threshold.value",
            &r.reporting_threshold.value,
            &[("at_least", ReportingThreshold::AtLeast), ("more_than", ReportingThreshold::MoreThan)],
        )?;
        self.reading(
            "reporting_threshold",
            &r.reporting_threshold,
            "R8",
            r.reporting_threshold.value.clone(),
            &mut docs,
        )?;
        self.reading("nac_for_tier3", &r.nac_for_tier3, "R9", r.nac_for_tier3.value.to_string(), &mut docs)?;
        let supp5a_headquarters_in_tier2 = self.choice(
            "readings.supp5a_headquarters_in_tier2.value",
            &r.supp5a_headquarters_in_tier2.value,
            &[("allocation", Supp5aHeadquarters::Allocation), ("approval", Supp5aHeadquarters::Approval)],
        )?;
        self.reading(
            "supp5a_headquarters_in_tier2",
            &r.supp5a_headquarters_in_tier2,
            "R10",
            r.supp5a_headquarters_in_tier2.value.clone(),
            &mut docs,
        )?;
        let readings = Readings {
            before_effective_date,
            before_compliance_date,
            authorization_order: order,
            lpp_limit_test,
            allocation_test,
            allocation_pool,
            reporting_threshold,
            nac_for_tier3: r.nac_for_tier3.value,
            supp5a_headquarters_in_tier2,
            docs,
        };

        let aia_certification_report_tpp =
            self.whole_tpp("aia.certification_report_tpp", &raw.aia.certification_report_tpp)?;
        let nac_notice_days = self.positive("aca.nac_notice_days", &raw.aca.nac_notice_days)?;
        let lpp_annual_limit_tpp = self.whole_tpp("lpp.annual_limit_tpp", &raw.lpp.annual_limit_tpp)?;
        let license_validity_months = self.positive("license.validity_months", &raw.license.validity_months)?;
        if license_validity_months.value > 120 {
            return Err(self.err("license.validity_months", "is more than ten years"));
        }
        let lpp_pre_shipment_notice_tpp =
            self.whole_tpp("lpp.pre_shipment_notice_tpp", &raw.lpp.pre_shipment_notice_tpp)?;

        let mut not_assessed = Vec::new();
        for (i, n) in raw.not_assessed.iter().enumerate() {
            let key = format!("not_assessed[{i}]");
            not_assessed.push(NotAssessed {
                applies_to: self.choice(
                    &format!("{key}.applies_to"),
                    &n.applies_to,
                    &[("hardware", AppliesTo::Hardware), ("weights", AppliesTo::Weights), ("all", AppliesTo::All)],
                )?,
                text: self.text(&format!("{key}.text"), &n.text)?,
                citation: self.text(&format!("{key}.citation"), &n.citation)?,
            });
        }

        // Obligations: every id the engine uses, placeholders filled from the numbers above.
        let placeholders: HashMap<&str, String> = [
            ("aia.certification_report_tpp", aia_certification_report_tpp.value.to_string()),
            ("aca.nac_notice_days", nac_notice_days.value.to_string()),
            ("lpp.annual_limit_tpp", lpp_annual_limit_tpp.value.to_string()),
            ("lpp.pre_shipment_notice_tpp", lpp_pre_shipment_notice_tpp.value.to_string()),
            ("license.validity_months", license_validity_months.value.to_string()),
        ]
        .into_iter()
        .collect();
        let mut obligations = HashMap::new();
        for (id, o) in &raw.obligations {
            let key = format!("obligations.{id}");
            if !OBLIGATIONS.contains(&id.as_str()) {
                return Err(self.err(
                    &key,
                    format!("is not an obligation the engine attaches (known: {})", OBLIGATIONS.join(", ")),
                ));
            }
            let text = fill(&self.text(&format!("{key}.text"), &o.text)?, &placeholders)
                .map_err(|p| self.err(&format!("{key}.text"), format!("unknown placeholder `{{{p}}}`")))?;
            obligations.insert(
                id.clone(),
                ObligationText { text, citation: self.text(&format!("{key}.citation"), &o.citation)? },
            );
        }
        if let Some(missing) = OBLIGATIONS.iter().find(|id| !obligations.contains_key(**id)) {
            return Err(self.err(&format!("obligations.{missing}"), "is missing"));
        }

        let parties = self.parties(&raw.parties)?;
        let kyc_text = |key: &str, o: &RawObligation| -> Result<ObligationText, DataError> {
            Ok(ObligationText {
                text: self.text(&format!("{key}.text"), &o.text)?,
                citation: self.text(&format!("{key}.citation"), &o.citation)?,
            })
        };
        let kyc = KycRules {
            red_flag_28: kyc_text("kyc.red_flag_28", &raw.kyc.red_flag_28)?,
            tier3_headquarters: kyc_text("kyc.tier3_headquarters", &raw.kyc.tier3_headquarters)?,
            fine_tuning_percent: self.percent("kyc.fine_tuning_percent", &raw.kyc.fine_tuning_percent, 100)?,
            inference_citation: self.text("kyc.inference_citation", &raw.kyc.inference_citation)?,
        };
        let lp = &raw.license_policy;
        Ok(Pack {
            id,
            version: self.text("pack.version", &raw.pack.version)?,
            title: self.text("pack.title", &raw.pack.title)?,
            citation: self.text("pack.citation", &raw.pack.citation)?,
            countries,
            effective,
            compliance,
            security_compliance,
            status,
            group_names,
            group_titles,
            snapshots,
            treated_as,
            dependencies,
            united_states,
            scopes,
            requirements,
            aca_transfers_within_citation,
            license_validity_months,
            not_assessed,
            tier1_citation: self.text("tiers.tier1.citation", &raw.tiers.tier1.citation)?,
            tier2_citation: self.text("tiers.tier2.citation", &raw.tiers.tier2.citation)?,
            tier3_citation: self.text("tiers.tier3.citation", &raw.tiers.tier3.citation)?,
            assurances_citation: self.text("tiers.assurances.citation", &raw.tiers.assurances.citation)?,
            thresholds,
            model_weights,
            aia_citation: self.text("aia.citation", &raw.aia.citation)?,
            aia_model_weights_citation: self.text("aia.model_weights_citation", &raw.aia.model_weights_citation)?,
            aia_certification_report_tpp,
            aca_citation: self.text("aca.citation", &raw.aca.citation)?,
            nac_citation: self.text("aca.nac_citation", &raw.aca.nac_citation)?,
            nac_notice_days,
            acm_citation: self.text("acm.citation", &raw.acm.citation)?,
            acm_exclusion_citation: self.text("acm.exclusion_citation", &raw.acm.exclusion_citation)?,
            uveu_citation: self.text("veu.uveu_citation", &raw.veu.uveu_citation)?,
            nveu_citation: self.text("veu.nveu_citation", &raw.veu.nveu_citation)?,
            veu_eligibility,
            lpp_citation: self.text("lpp.citation", &raw.lpp.citation)?,
            lpp_exclusion_citation: self.text("lpp.exclusion_citation", &raw.lpp.exclusion_citation)?,
            lpp_annual_limit_tpp,
            lpp_pre_shipment_notice_tpp,
            policy: PolicyCitations {
                tier3_denial: self.text("license_policy.tier3_denial", &lp.tier3_denial)?,
                tier1_approval: self.text("license_policy.tier1_approval", &lp.tier1_approval)?,
                within_allocation: self.text("license_policy.within_allocation", &lp.within_allocation)?,
                beyond_allocation: self.text("license_policy.beyond_allocation", &lp.beyond_allocation)?,
                b_class: self.text("license_policy.b_class", &lp.b_class)?,
                b_class_denial: self.text("license_policy.b_class_denial", &lp.b_class_denial)?,
                model_weights_denial: self.text("license_policy.model_weights_denial", &lp.model_weights_denial)?,
                case_by_case: self.text("license_policy.case_by_case", &lp.case_by_case)?,
            },
            allocation,
            nveu,
            uveu,
            readings,
            obligations,
            parties,
            kyc,
        })
    }

    fn parties(&self, raw: &RawParties) -> Result<PartyRules, DataError> {
        const POLICIES: [(&str, ReviewPolicy); 3] = [
            ("approval", ReviewPolicy::Approval),
            ("case_by_case", ReviewPolicy::CaseByCase),
            ("denial", ReviewPolicy::Denial),
        ];
        let mut entry_policies = Vec::with_capacity(raw.entry_policies.len());
        for (i, e) in raw.entry_policies.iter().enumerate() {
            let key = format!("parties.entry_policies[{i}]");
            let prefix = fold(&self.text(&format!("{key}.starts_with"), &e.starts_with)?);
            entry_policies.push((prefix, self.choice(&format!("{key}.policy"), &e.policy, &POLICIES)?));
        }
        let mut lists = Vec::with_capacity(raw.lists.len());
        for (i, l) in raw.lists.iter().enumerate() {
            let key = format!("parties.lists[{i}]");
            let list = self.text(&format!("{key}.list"), &l.list)?;
            if l.roles.is_empty() {
                return Err(self.err(&format!("{key}.roles"), "names no role (`consignee`, `ultimate_parent`)"));
            }
            let roles = l
                .roles
                .iter()
                .map(|r| {
                    PartyRole::parse(r).ok_or_else(|| {
                        self.err(&format!("{key}.roles"), format!("`{r}` is not `consignee` or `ultimate_parent`"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let policy = match l.policy.as_str() {
                "entry" => None,
                other => Some(self.choice(&format!("{key}.policy"), other, &POLICIES)?),
            };
            if policy.is_none() && entry_policies.is_empty() {
                return Err(self.err(
                    &format!("{key}.policy"),
                    "is `entry`, but `parties.entry_policies` gives no way to read an entry's policy",
                ));
            }
            lists.push(ListRule {
                list,
                programs: l.programs.clone(),
                roles,
                policy,
                citation: self.text(&format!("{key}.citation"), &l.citation)?,
            });
        }
        let affiliates = raw.affiliates.as_ref().map(|a| self.affiliates(a)).transpose()?;
        Ok(PartyRules {
            lists,
            affiliates,
            entry_policies,
            entry_policy_default: self.choice("parties.entry_policy_default", &raw.entry_policy_default, &POLICIES)?,
            review_citation: self.text("parties.review_citation", &raw.review_citation)?,
        })
    }
}

impl Builder<'_> {
    fn affiliates(&self, raw: &RawAffiliates) -> Result<AffiliatesRule, DataError> {
        use crate::affiliates::{Covered, Period, Status};
        let threshold = Share::from_percent(raw.threshold_percent).filter(|s| *s > Share::ZERO).ok_or_else(|| {
            self.err(
                "parties.affiliates.threshold_percent",
                "must be a percentage above 0, at most 100, with at most three decimals",
            )
        })?;
        if raw.lists.is_empty() {
            return Err(self.err("parties.affiliates.lists", "names no list"));
        }
        let mut lists = Vec::with_capacity(raw.lists.len());
        for (i, c) in raw.lists.iter().enumerate() {
            lists.push(Covered {
                list: self.text(&format!("parties.affiliates.lists[{i}].list"), &c.list)?,
                programs: c.programs.clone(),
            });
        }
        let mut periods: Vec<Period> = Vec::with_capacity(raw.periods.len());
        for (i, p) in raw.periods.iter().enumerate() {
            let key = format!("parties.affiliates.periods[{i}]");
            let from = self.date(&format!("{key}.from"), &p.from)?;
            if periods.last().is_some_and(|last| last.from >= from) {
                return Err(self.err(&format!("{key}.from"), "must be after the previous period's `from`"));
            }
            let status = self.choice(
                &format!("{key}.status"),
                &p.status,
                &[("in_force", Status::InForce), ("suspended", Status::Suspended)],
            )?;
            periods.push(Period {
                from,
                status,
                confirmed: p.confirmed,
                citation: self.text(&format!("{key}.citation"), &p.citation)?,
            });
        }
        if periods.is_empty() {
            return Err(self.err("parties.affiliates.periods", "names no period: when is the rule in force?"));
        }
        Ok(AffiliatesRule {
            threshold,
            lists,
            periods,
            citation: self.text("parties.affiliates.citation", &raw.citation)?,
        })
    }
}

fn parse_quarter(s: &str) -> Option<Quarter> {
    let (y, q) = s.split_once('Q')?;
    let year: i32 = y.parse().ok()?;
    let quarter: u8 = q.parse().ok()?;
    ((1..=4).contains(&quarter) && (1900..=9999).contains(&year)).then_some(Quarter { year, quarter })
}

/// Replaces `{key}` with its value; `Err(key)` names an unknown placeholder.
fn fill(text: &str, values: &HashMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 1..).unwrap_or_default();
        let end = after.find('}').ok_or_else(|| after.to_owned())?;
        let key = after.get(..end).unwrap_or_default();
        out.push_str(values.get(key).ok_or_else(|| key.to_owned())?);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}
