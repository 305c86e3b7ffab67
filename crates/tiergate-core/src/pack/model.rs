//! The validated pack's model: what the engine reads. Every value here has passed the builder's checks.

use time::Date;

use crate::country::{Country, CountrySet};
use crate::determine::Transaction;
use crate::units::{Bandwidth, Density, Tpp};

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
    /// Whether the .a-class requirement names destinations (`Snapshot::a_class_destinations`) rather than the
    /// whole world, as before 90 FR 4544 and in what BIS enforces after 2025-05-13.
    pub a_class_by_destination: bool,
    /// 744.23(a)(3) as it stood before 90 FR 4544: Macau/D:5-headquartered entities located elsewhere.
    pub a_class_headquarters: Option<Scope>,
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
    /// Destinations to which .b-class items need a license (D:1, D:4, D:5 less A:5, A:6; and any the text names
    /// outright, as the United Arab Emirates from 2026-07-10).
    pub b_class_destinations: CountrySet,
    /// Those of `b_class_destinations` the requirement names outright.
    pub b_class_named: CountrySet,
    /// Headquarters that bring a .b-class license requirement when located outside `b_class_located_outside`.
    pub b_class_headquarters: CountrySet,
    pub b_class_located_outside: CountrySet,
    /// Where ACA also authorizes in-country transfers, whoever the consignee (Macau, D:5).
    pub aca_transfers_within: CountrySet,
    /// Destinations to which .a-class items need a license, where the requirement names them (empty when it is
    /// worldwide: see [`Requirements::a_class_by_destination`]).
    pub a_class_destinations: CountrySet,
    /// Headquarters that bring an .a-class license requirement when located outside `a_class_located_outside`.
    pub a_class_headquarters: CountrySet,
    pub a_class_located_outside: CountrySet,
    /// Where the case-by-case band of 91 FR 1684 reaches (China and Macau), when the pack has one.
    pub china_review: CountrySet,
}

impl Snapshot {
    /// Whether the two give every set the engine asks about alike (the named groups themselves aside).
    pub fn same_effect(&self, o: &Snapshot) -> bool {
        self.tier1 == o.tier1
            && self.tier3 == o.tier3
            && self.assurances == o.assurances
            && self.b_class_destinations == o.b_class_destinations
            && self.b_class_named == o.b_class_named
            && self.b_class_headquarters == o.b_class_headquarters
            && self.b_class_located_outside == o.b_class_located_outside
            && self.aca_transfers_within == o.aca_transfers_within
            && self.a_class_destinations == o.a_class_destinations
            && self.a_class_headquarters == o.a_class_headquarters
            && self.a_class_located_outside == o.a_class_located_outside
            && self.china_review == o.china_review
    }
}

/// What a regime has of the framework's own mechanisms. The framework pack has them all; the regimes before
/// it, and what BIS enforces after 2025-05-13, have none.
#[derive(Clone, Debug)]
pub struct RegimeTraits {
    /// Tiers 1 to 3 (Supp. No. 5 to part 740); without them answers carry no tier and licenses are reviewed
    /// by license class (presumption of denial for Macau/D:5, of approval elsewhere).
    pub tiers: bool,
    /// Tier 2 country allocations (742.6(b)(10)(iii)(B)).
    pub allocations: bool,
    /// ECCN 4E091.
    pub model_weights: bool,
    pub citation: String,
}

impl RegimeTraits {
    pub fn all(&self) -> bool {
        self.tiers && self.allocations && self.model_weights
    }
}

/// 91 FR 1684 (2026-01-15): case-by-case review, instead of presumption of denial, for advanced computing
/// commodities below both numbers, exported from the United States to end users located in China or Macau.
#[derive(Clone, Debug)]
pub struct ChinaReview {
    pub tpp_below: Cited<Tpp>,
    pub dram_bandwidth_below: Cited<Bandwidth>,
    pub scope: Scope,
    pub destinations_citation: String,
    /// The certifications and the aggregate cap the review depends on: obligations of the answer.
    pub conditions: Vec<ObligationText>,
    /// Where the conditions rest on less than the rule's words: what would change if they were otherwise.
    pub doubt: Option<(Confidence, String)>,
}

/// A dated change to the groups that rests on less than the regulation's own words: answers it touches say so.
#[derive(Clone, Debug)]
pub struct UncertainChange {
    /// From when answers carry the doubt: the change's date, or earlier where it may have come earlier.
    pub from: Date,
    /// The date the pack applies the change.
    pub date: Date,
    pub countries: CountrySet,
    pub confidence: Confidence,
    /// What would change if it were otherwise.
    pub otherwise: String,
    pub citation: String,
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
    /// A regime without tiers: the presumption of approval for a license outside Macau/D:5 (empty with tiers).
    pub outside_denial_approval: String,
}

/// Supplement No. 10 to part 748 (data-centre VEU guidelines) and the items of Supp. No. 8 the framework revised:
/// what `tiergate veu readiness` records evidence against.
#[derive(Clone, Debug)]
pub struct VeuGuidelines {
    pub title: String,
    pub citation: String,
    /// Paragraphs whose certification is due by the pack's `dates.security_compliance` (14, 15 and 18).
    pub deferred_paragraphs: Vec<u32>,
    pub application_citation: String,
    pub requirements: Vec<Requirement>,
    pub application: Vec<Requirement>,
}

/// One requirement: a paragraph of Supp. No. 10, one duty of it (`14.b`), or an item of Supp. No. 8 (`B(6)`).
#[derive(Clone, Debug)]
pub struct Requirement {
    pub id: String,
    /// The paragraph of Supp. No. 10; none for an item of Supp. No. 8.
    pub paragraph: Option<u32>,
    pub section: Option<String>,
    pub heading: Option<String>,
    pub applies: Applies,
    pub text: String,
}

/// Whom a requirement binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    All,
    /// Universal VEUs.
    Uveu,
    /// UVEUs headquartered in a group of `veu.uveu_headquarters` (Supp. No. 10 ¶6: "Only for entities
    /// headquartered in countries listed in paragraph (a) to Supplement No. 5 ... with UVEU status").
    UveuTier1,
    /// UVEUs headquartered in the United States.
    UveuUs,
    /// National VEUs.
    Nveu,
}

impl Applies {
    pub const ALL: [Applies; 5] = [Applies::All, Applies::Uveu, Applies::UveuTier1, Applies::UveuUs, Applies::Nveu];

    pub fn as_str(self) -> &'static str {
        match self {
            Applies::All => "all",
            Applies::Uveu => "uveu",
            Applies::UveuTier1 => "uveu_tier1",
            Applies::UveuUs => "uveu_us",
            Applies::Nveu => "nveu",
        }
    }

    /// In words, for reports.
    pub fn words(self) -> &'static str {
        match self {
            Applies::All => "every VEU",
            Applies::Uveu => "Universal VEUs",
            Applies::UveuTier1 => "Universal VEUs headquartered in Supp. No. 5(a)",
            Applies::UveuUs => "Universal VEUs headquartered in the United States",
            Applies::Nveu => "National VEUs",
        }
    }
}
