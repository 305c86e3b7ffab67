//! The determination engine: `determine(request, pack, catalog) -> Determination`, pure.
//!
//! It follows docs/RULE.md: classify the item (§3), find the effective tier (§2), then try the authorizations
//! in the pack's order (§4, reading R4) and stop at the first that applies. Every step that is tried leaves a
//! reason with its citation, so the answer says both why it is what it is and why the earlier ones were not.
//!
//! Here: the request and answer types and `determine` itself. The evaluator's tools are in `eval.rs`; named parties
//! (registry, screening, ownership) in `listed.rs`; each authorization step in a file of its own (`nlr.rs`,
//! `aia.rs`, `aca.rs`, `acm.rs`, `veu.rs`, `lpp.rs`, `license.rs`).

mod aca;
mod acm;
mod aia;
mod china;
mod eval;
mod license;
mod listed;
mod lpp;
mod nlr;
mod summary;
mod veu;

use time::Date;

use crate::catalog::Catalog;
use crate::classify::{classify, Classification, ClassifyError, Control, ControlClass, Item};
use crate::country::Country;
use crate::pack::{
    AllocationPool, AllocationTest, AppliesTo, BeforeCompliance, BeforeEffective, Confidence, LppLimitTest, Pack,
    ReportingThreshold, Scope, Snapshot, Step, Supp5aHeadquarters,
};
use crate::parties::{HitLevel, ListedParty, PartyRole, Screening};
use crate::pool::PoolId;
use crate::units::{group_digits as g, Tpp};
use crate::Reason;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transaction {
    #[default]
    Export,
    Reexport,
    /// In-country transfer.
    Transfer,
}

impl Transaction {
    /// `an export`, `a reexport`, `a transfer (in-country)`.
    pub fn with_article(self) -> &'static str {
        match self {
            Transaction::Export => "an export",
            Transaction::Reexport => "a reexport",
            Transaction::Transfer => "a transfer (in-country)",
        }
    }
}

/// What the consignee will do with the items. "development" and "production" are the EAR's defined terms
/// (15 CFR 772.1) for the items themselves, as License Exception ACM uses them (15 CFR 740.28): designing or
/// making chips, boards or computers — not developing AI models, which is `training`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndUse {
    /// Operating the items: running workloads, inference, cloud service other than training.
    #[default]
    Deployment,
    /// Training AI models on the items (including for others as IaaS).
    Training,
    /// "Development" of the items themselves (design, prototypes, testing before serial production).
    Development,
    /// "Production" of the items themselves (manufacturing, integration, assembly, inspection).
    Production,
    /// Storage in a warehouse or similar facility before export, reexport or transfer to the end user.
    Storage,
}

impl EndUse {
    pub fn as_str(self) -> &'static str {
        match self {
            EndUse::Deployment => "deployment",
            EndUse::Training => "training",
            EndUse::Development => "development",
            EndUse::Production => "production",
            EndUse::Storage => "storage",
        }
    }

    /// What the end use means, for help texts and forms.
    pub fn meaning(self) -> &'static str {
        match self {
            EndUse::Deployment => "operating the items: workloads, inference, cloud services other than training",
            EndUse::Training => "training AI models on the items, for oneself or as IaaS for others",
            EndUse::Development => "developing the items themselves (design, prototypes, testing; 15 CFR 772.1 \"development\"), not AI models",
            EndUse::Production => "producing the items themselves (manufacturing, integration, assembly; 15 CFR 772.1 \"production\")",
            EndUse::Storage => "storing the items in a warehouse before their export, reexport or transfer to the end user",
        }
    }
}

/// The VEU authorization a consignee holds, as the request states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VeuClaim {
    /// A Universal VEU; `id` names its registration, if the request gives one.
    Universal { id: Option<String> },
    /// A National VEU for one country; `id` names its allocation pool.
    National { country: Country, id: Option<String> },
    /// A claim the caller's VEU registry does not bear out (`determine --db`, the API): not relied on, and the
    /// answer says why.
    Unverified { kind: crate::veu::VeuKind, why: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consignee {
    pub name: Option<String>,
    /// The ultimate parent's name: the "ultimate consignee" whose LPP receipts are counted (15 CFR 740.29(h)).
    pub ultimate_parent: Option<String>,
    pub headquarters: Country,
    pub ultimate_parent_headquarters: Country,
    /// Not wholly owned or otherwise controlled by a non-US government (15 CFR 740.28).
    pub private_sector: bool,
    pub veu: Option<VeuClaim>,
    /// Stores model weights in a facility meeting Supp. No. 10 to part 748 ¶¶14, 15, 18.
    pub storage_compliant: bool,
    /// What the caller's party registry made of the named parties (empty without a registry).
    pub identified: Vec<crate::registry::Identified>,
}

/// A balance the engine needs and cannot know by itself. Unknown is not zero: an answer that had to assume
/// zero says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Balance {
    /// Neither the request nor a ledger gave it: the answer assumes 0 TPP and says so.
    #[default]
    Unknown,
    /// As the request states it.
    Stated(u64),
    /// From a ledger: posted (licensed or shipped) and pending (reserved, not yet posted, not expired) TPP.
    Ledger { posted: u64, pending: u64 },
}

impl Balance {
    /// The TPP counted: what was stated, posted plus pending, or 0 when unknown.
    pub fn amount(self) -> u64 {
        match self {
            Balance::Unknown => 0,
            Balance::Stated(n) => n,
            Balance::Ledger { posted, pending } => posted.saturating_add(pending),
        }
    }

    pub fn is_unknown(self) -> bool {
        self == Balance::Unknown
    }

    /// A clause that says what is known of `what`: `what: not given, so none is assumed (0 TPP)`,
    /// `what: 1,000 TPP, as the request states`, `what: 1,500 TPP in the ledger (1,000 posted, 500 pending)`.
    pub fn describe(self, what: &str) -> String {
        match self {
            Balance::Unknown => format!("{what}: not given, so none is assumed (0 TPP)"),
            Balance::Stated(n) => format!("{what}: {} TPP, as the request states", g(n)),
            Balance::Ledger { posted, pending } => format!(
                "{what}: {} TPP in the ledger ({} posted, {} pending)",
                g(posted.saturating_add(pending)),
                g(posted),
                g(pending)
            ),
        }
    }
}

/// Balances the engine cannot know by itself: filled by the caller, from a ledger or from the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// TPP the ultimate consignee received under LPP this calendar year, before this shipment.
    pub lpp_received: Balance,
    /// TPP already licensed against the allocation this request would draw on.
    pub country_licensed: Balance,
    /// The NVEU's installed base before this shipment.
    pub nveu_installed: Balance,
    /// The ultimate consignee's cumulative AIA receipts before this shipment.
    pub aia_received: Balance,
}

/// A validated request.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub date: Date,
    pub item: Item,
    /// At least 1.
    pub quantity: u64,
    pub transaction: Transaction,
    pub destination: Country,
    pub end_use: EndUse,
    pub consignee: Consignee,
    pub context: Context,
    /// What the caller's screening of the named parties found; `None` when the caller did not screen.
    pub screening: Option<Screening>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    One = 1,
    Two = 2,
    Three = 3,
}

impl Tier {
    pub fn number(self) -> u8 {
        self as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Authorization {
    Nlr,
    Aia,
    Aca,
    Nac,
    Acm,
    Uveu,
    Nveu,
    Lpp,
    License,
}

impl Authorization {
    pub const ALL: [Authorization; 9] = [
        Authorization::Nlr,
        Authorization::Aia,
        Authorization::Aca,
        Authorization::Nac,
        Authorization::Acm,
        Authorization::Uveu,
        Authorization::Nveu,
        Authorization::Lpp,
        Authorization::License,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Authorization::Nlr => "NLR",
            Authorization::Aia => "AIA",
            Authorization::Aca => "ACA",
            Authorization::Nac => "NAC",
            Authorization::Acm => "ACM",
            Authorization::Uveu => "UVEU",
            Authorization::Nveu => "NVEU",
            Authorization::Lpp => "LPP",
            Authorization::License => "LICENSE",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewPolicy {
    Approval,
    Denial,
    CaseByCase,
}

impl ReviewPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewPolicy::Approval => "approval",
            ReviewPolicy::Denial => "denial",
            ReviewPolicy::CaseByCase => "case_by_case",
        }
    }
}

/// The allocation a determination draws on. Amounts are whole TPP (fractions rounded up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationEffect {
    /// `country:XX` or `nveu:ID`.
    pub pool: String,
    /// What this request draws.
    pub tpp: u64,
    /// What the pool has left after this request if it is granted; for a denial, what it has left now.
    pub remaining_tpp: u64,
    pub cap_tpp: u64,
}

#[derive(Clone, Debug)]
pub struct Determination<'p> {
    /// The pack that answered.
    pub pack: &'p Pack,
    pub date: Date,
    pub classification: Classification<'p>,
    /// The effective tier; `None` under a regime without tiers (before 90 FR 4544, or what BIS enforces after
    /// 2025-05-13).
    pub tier: Option<Tier>,
    pub authorization: Authorization,
    pub review_policy: Option<ReviewPolicy>,
    pub allocation: Option<AllocationEffect>,
    pub obligations: Vec<Reason<'p>>,
    pub reasons: Vec<Reason<'p>>,
    pub notes: Vec<Reason<'p>>,
    /// The request's screening, as it was taken into account.
    pub screening: Option<Screening>,
    /// The answer in one sentence for a non-specialist, before the reasons.
    pub summary: String,
}

impl Determination<'_> {
    /// Only a LICENSE answer requires a license.
    pub fn license_required(&self) -> bool {
        self.authorization == Authorization::License
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DetermineError {
    #[error("{date} is before {effective}, the date this rule pack took effect (reading R1)")]
    BeforeEffective { date: Date, effective: Date },
    #[error("{date} is before {start}, the first day the {timeline} timeline answers for")]
    BeforeTimeline { date: Date, start: Date, timeline: String },
    #[error(transparent)]
    Classify(#[from] ClassifyError),
}

impl DetermineError {
    pub fn code(&self) -> &'static str {
        match self {
            DetermineError::BeforeEffective { .. } | DetermineError::BeforeTimeline { .. } => "date_before_effective",
            DetermineError::Classify(e) => e.code(),
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            DetermineError::BeforeEffective { .. } | DetermineError::BeforeTimeline { .. } => "date",
            DetermineError::Classify(e) => e.field(),
        }
    }
}

struct Outcome {
    authorization: Authorization,
    review_policy: Option<ReviewPolicy>,
    allocation: Option<AllocationEffect>,
}

impl Outcome {
    fn plain(authorization: Authorization) -> Option<Outcome> {
        Some(Outcome { authorization, review_policy: None, allocation: None })
    }
}

/// Determines one request. Pure: everything it needs is in its arguments.
pub fn determine<'p>(req: &Request, pack: &'p Pack, catalog: &'p Catalog) -> Result<Determination<'p>, DetermineError> {
    let mut notes = Vec::new();
    if req.date < pack.effective.value {
        match pack.readings.before_effective_date {
            BeforeEffective::Error => {
                return Err(DetermineError::BeforeEffective { date: req.date, effective: pack.effective.value })
            }
            BeforeEffective::Determine => notes.push(Reason {
                text: format!(
                    "{} is before {}, when this rule took effect; answered as if it were in force (reading R1: determine)",
                    req.date, pack.effective.value
                ).into(),
                citation: &pack.effective.citation,
            }),
        }
    }
    let classification = classify(&req.item, req.quantity, pack, catalog)?;
    let mut e = Eval::new(req, pack, classification, notes);
    for s in &pack.status {
        if req.date >= s.from {
            e.notes.push(Reason { text: s.text.as_str().into(), citation: &s.citation });
        }
    }
    let before_compliance = req.date >= pack.effective.value && req.date < pack.compliance.value;
    if before_compliance {
        e.notes.push(Reason {
            text: format!(
                "compliance with this rule is required from {}; before then it is not yet required",
                pack.compliance.value
            )
            .into(),
            citation: &pack.compliance.citation,
        });
    }
    e.identity();
    let listing = e.screened();
    let mut outcome = None;
    let domestic = e.dest == pack.united_states.value;
    if domestic {
        e.because(&pack.united_states.citation, format!(
            "the destination {} is in the United States, which under the EAR includes its territories and possessions: a shipment there is no export, reexport or transfer (in-country), so this rule requires no license",
            code(pack, req.destination)
        ));
        if e.is_weights() {
            e.notes.push(Reason {
                text: "releasing 4E091 weights to a foreign person in the United States is a deemed export, which this request does not describe; it was not assessed".into(),
                citation: &e.pack.requirements.model_weights.citation,
            });
        }
        outcome = Outcome::plain(Authorization::Nlr);
    }
    if outcome.is_none()
        && before_compliance
        && pack.readings.before_compliance_date == BeforeCompliance::NotRequired
        && e.classification.control != Control::None
    {
        e.reasons.push(Reason {
            text: format!("dated before the compliance date {}: no license is required under this rule yet (reading R2: not_required)", pack.compliance.value).into(),
            citation: &pack.compliance.citation,
        });
        outcome = Outcome::plain(Authorization::Nlr);
    }
    let not_yet_required = !domestic && outcome.is_some();
    // A listed party rules out every license exception and VEU authorization: only whether the framework
    // itself needs a license (NLR) and, if it does, its license policy remain to be found.
    let mut steps = pack
        .readings
        .authorization_order
        .iter()
        .filter(|s| listing.is_none() || matches!(s, Step::Nlr | Step::License));
    while outcome.is_none() {
        let Some(step) = steps.next() else { break };
        outcome = e.try_step(*step);
    }
    // Reading R4: another authorization later in the order may also apply. Tried on the side and told in a
    // note; what it gathered while trying is dropped.
    if let Some(first) = outcome.as_ref().map(|o| o.authorization).filter(|a| *a != Authorization::Nlr) {
        let also: Vec<Authorization> = steps
            .filter(|s| **s != Step::License)
            .filter_map(|s| {
                let mark = (e.reasons.len(), e.obligations.len(), e.notes.len());
                let other = e.try_step(*s).map(|o| o.authorization);
                e.reasons.truncate(mark.0);
                e.obligations.truncate(mark.1);
                e.notes.truncate(mark.2);
                other
            })
            .collect();
        if let Some(next) = also.first() {
            let order: Vec<&str> = pack.readings.authorization_order.iter().map(|s| s.as_str()).collect();
            let names: Vec<&str> = also.iter().map(|a| a.as_str()).collect();
            e.notes.push(Reason {
                text: format!(
                    "{} would also authorize this; the answer is {} because authorizations are tried in the order {} (reading R4); under another order the answer could be {}, and the exporter may rely on any that applies",
                    names.join(" and "),
                    first.as_str(),
                    order.join(", "),
                    next.as_str(),
                )
                .into(),
                citation: citation_of(pack, *next),
            });
        }
    }
    // The pack's order always ends with LICENSE, which always answers; this is only a fallback.
    let outcome = outcome.unwrap_or(Outcome {
        authorization: Authorization::License,
        review_policy: Some(ReviewPolicy::CaseByCase),
        allocation: None,
    });
    let listed = listing.as_ref().filter(|_| !domestic).map(|l| l.cause.clone());
    let outcome = match listing {
        Some(l) if !domestic => e.listed_license(outcome, l),
        _ => outcome,
    };
    let relies_on_security = matches!(outcome.authorization, Authorization::Uveu | Authorization::Nveu)
        || (outcome.authorization == Authorization::Aia && e.classification.control == Control::ModelWeights);
    if relies_on_security && req.date < pack.security_compliance.value {
        e.notes.push(Reason {
            text: format!(
                "the security requirements of Supp. No. 10 to part 748, paragraphs 14, 15 and 18, must be met by {}",
                pack.security_compliance.value
            )
            .into(),
            citation: &pack.security_compliance.citation,
        });
    }
    let touched = match e.classification.control {
        Control::Hardware { .. } => Some(AppliesTo::Hardware),
        Control::ModelWeights => Some(AppliesTo::Weights),
        Control::None => None,
    };
    if let Some(kind) = touched.filter(|_| !domestic) {
        for n in pack.not_assessed.iter().filter(|n| n.applies_to == kind || n.applies_to == AppliesTo::All) {
            e.notes.push(Reason { text: n.text.as_str().into(), citation: &n.citation });
        }
    }
    e.uncertain_changes();
    let summary = e.summary(&outcome, &summary::Facts { listed: listed.as_deref(), domestic, not_yet_required });
    Ok(Determination {
        pack,
        date: req.date,
        tier: pack.regime.tiers.then_some(e.tier),
        authorization: outcome.authorization,
        review_policy: outcome.review_policy,
        allocation: outcome.allocation,
        obligations: e.obligations,
        reasons: e.reasons,
        notes: e.notes,
        classification: e.classification,
        screening: req.screening.clone(),
        summary,
    })
}

/// The facts of one request, worked out once, and the reasons gathered while trying authorizations.
struct Eval<'r, 'p> {
    req: &'r Request,
    pack: &'p Pack,
    snap: &'p Snapshot,
    classification: Classification<'p>,
    dest: Country,
    /// The consignee's headquarters.
    hq: Country,
    parent: Country,
    /// Destination in Macau/D:5.
    dest_t3: bool,
    /// Consignee or its ultimate parent headquartered in Macau/D:5.
    hq_t3: bool,
    tier: Tier,
    reasons: Vec<Reason<'p>>,
    obligations: Vec<Reason<'p>>,
    /// What the date implies, what was assumed and what was not assessed.
    notes: Vec<Reason<'p>>,
}

impl Eval<'_, '_> {
    /// Reading R7 matters when the destination and the consignee's headquarters differ: what the other reading
    /// would draw on, for the reason of an allocation answer (empty when they agree).
    fn r7_other(&self, pool: Country) -> String {
        let p = self.pack;
        let (dest, hq) = (p.canonical(self.req.destination), p.canonical(self.req.consignee.headquarters));
        if dest == hq {
            return String::new();
        }
        match p.readings.allocation_pool {
            AllocationPool::Destination if self.in_tier1(hq) => format!(
                " (reading R7: destination; under headquarters, an entity headquartered in {}, in Supp. No. 5(a), would be presumed approved outside any allocation)",
                code(p, hq)
            ),
            AllocationPool::Destination => format!(
                " (reading R7: destination; under headquarters, it would draw on {}'s allocation instead of {}'s)",
                code(p, hq),
                code(p, pool)
            ),
            AllocationPool::Headquarters => format!(
                " (reading R7: headquarters; under destination, it would draw on {}'s allocation instead of {}'s)",
                code(p, dest),
                code(p, pool)
            ),
        }
    }
}

/// The country whose allocation a Tier 2 license for `req` would draw on (reading R7): the destination, or the
/// consignee's headquarters; after treating a country as another where the rule does (Hong Kong as China).
pub fn allocation_country(req: &Request, pack: &Pack) -> Country {
    match pack.readings.allocation_pool {
        AllocationPool::Destination => pack.canonical(req.destination),
        AllocationPool::Headquarters => pack.canonical(req.consignee.headquarters),
    }
}

/// The id of an NVEU's pool (without the `nveu:` prefix): the id the request gives, else `NAME/CC`.
pub fn nveu_pool_id(consignee: &Consignee, id: Option<&str>, country_code: &str) -> String {
    match id {
        Some(id) => id.to_owned(),
        None => format!("{}/{country_code}", consignee.name.as_deref().unwrap_or("consignee")),
    }
}

/// The ultimate consignee whose LPP receipts a request counts against: the ultimate parent's name, else the
/// consignee's (15 CFR 740.29(h)).
pub fn ultimate_consignee(consignee: &Consignee) -> Option<&str> {
    consignee.ultimate_parent.as_deref().or(consignee.name.as_deref())
}

/// What a determination draws on a ledger if it goes ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draw {
    /// The pool id, canonical.
    pub pool: String,
    pub tpp: u64,
}

impl Determination<'_> {
    /// When a reservation recorded for this answer expires: a license for .a-class items is valid for the pack's
    /// `license.validity_months` from the request's date (15 CFR 750.7(g)), so its reservation expires the day
    /// before that anniversary. `None` for every other answer (no expiry).
    pub fn reservation_expiry(&self, pack: &Pack) -> Option<Date> {
        let a_class = matches!(self.classification.control, Control::Hardware { class: ControlClass::A, .. });
        if self.authorization != Authorization::License || !a_class {
            return None;
        }
        add_months(self.date, pack.license_validity_months.value)?.previous_day()
    }

    /// The pool and amount this answer draws (RULE.md §5): an approvable Tier 2 license its country pool, an
    /// NVEU shipment its NVEU pool, an LPP shipment the ultimate consignee's LPP pool for the year. Denied
    /// licenses and every other answer draw nothing. `None` for LPP when the request names no consignee.
    pub fn draws(&self, req: &Request, pack: &Pack) -> Option<Draw> {
        match (self.authorization, self.review_policy, &self.allocation) {
            (Authorization::License, Some(ReviewPolicy::Approval), Some(a)) | (Authorization::Nveu, _, Some(a)) => {
                Some(Draw { pool: a.pool.clone(), tpp: a.tpp })
            }
            (Authorization::Lpp, _, _) => Some(Draw {
                pool: PoolId::lpp_of_key(crate::registry::ultimate_consignee_key(&req.consignee)?, req.date)
                    .to_string_with(pack),
                tpp: self.classification.tpp_total?.whole_ceil(),
            }),
            _ => None,
        }
    }
}

/// The strictest listing of a request's parties that needs a license.
struct Listing<'p> {
    policy: ReviewPolicy,
    citation: &'p str,
    /// Why, for the summary: `the consignee "X" is on the Entity List (EL)`.
    cause: String,
}

/// `Entity List (EL) entry 1a2b "Name" (score 0.970; 84 FR 22961)`.
fn describe_entry(hit: &ListedParty) -> String {
    let notice = hit.federal_register_notice.as_deref().map(|n| format!("; {}", n.trim())).unwrap_or_default();
    let why = hit.why.as_deref().map(|w| format!("; {w}")).unwrap_or_default();
    format!(
        "{} entry {} \"{}\" (score {:.3}{notice}{why})",
        describe_list(hit),
        hit.entry_id,
        hit.name.trim(),
        hit.score
    )
}

/// ` and 3 more entries (id, id, id)`, at most ten ids; empty for none.
fn more_entries(others: &[&ListedParty]) -> String {
    const SHOWN: usize = 10;
    if others.is_empty() {
        return String::new();
    }
    let ids: Vec<&str> = others.iter().take(SHOWN).map(|h| h.entry_id.as_str()).collect();
    let rest = if others.len() > SHOWN { format!(" and {} more", others.len() - SHOWN) } else { String::new() };
    let n = others.len();
    format!(" and {n} more {} ({}{rest})", if n == 1 { "entry" } else { "entries" }, ids.join(", "))
}

/// `Entity List (EL)`: the list's full name up to its agency, or its code.
/// `the Entity List (EL)`, `the Specially Designated Nationals (SDN) list`.
fn the_list(hit: &ListedParty) -> String {
    let name = describe_list(hit);
    if name.contains("List") {
        format!("the {name}")
    } else {
        format!("the {name} list")
    }
}

fn describe_list(hit: &ListedParty) -> String {
    let name = hit.source.split(" - ").next().unwrap_or_default().trim();
    if name.is_empty() {
        hit.list.clone()
    } else {
        name.to_owned()
    }
}

/// `date` plus `months` calendar months, the day clamped to the month's length (31 January + 1 = 28 February).
fn add_months(date: Date, months: u64) -> Option<Date> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::try_from(months).ok()?;
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = time::Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    Date::from_calendar_date(year, month, date.day().min(month.length(year))).ok()
}

/// Names reading R6 where it decided the answer, and what the other reading would give.
fn r6_other(test: AllocationTest, within: bool) -> &'static str {
    match (test, within) {
        (AllocationTest::AfterRequest, true) => "",
        (AllocationTest::AfterRequest, false) => " (reading R6: after_request judges the whole request; under before_request it would be approvable while the allocation was not yet met)",
        (AllocationTest::BeforeRequest, true) => " (reading R6: before_request; under after_request the whole request must fit)",
        (AllocationTest::BeforeRequest, false) => " (reading R6: before_request: the allocation was already met)",
    }
}

fn license(policy: ReviewPolicy, allocation: Option<AllocationEffect>) -> Outcome {
    Outcome { authorization: Authorization::License, review_policy: Some(policy), allocation }
}

/// The section that grants an authorization.
fn citation_of(pack: &Pack, a: Authorization) -> &str {
    match a {
        Authorization::Aia => &pack.aia_citation,
        Authorization::Aca => &pack.aca_citation,
        Authorization::Nac => &pack.nac_citation,
        Authorization::Acm => &pack.acm_citation,
        Authorization::Uveu => &pack.uveu_citation,
        Authorization::Nveu => &pack.nveu_citation,
        Authorization::Lpp => &pack.lpp_citation,
        Authorization::Nlr | Authorization::License => &pack.tier2_citation,
    }
}

fn code(pack: &Pack, c: Country) -> &str {
    pack.countries.code(c)
}

#[cfg(test)]
mod tests {
    use super::add_months;
    use time::macros::date;

    #[test]
    fn months_are_calendar_months_clamped_to_the_month() {
        assert_eq!(add_months(date!(2025 - 06 - 01), 12), Some(date!(2026 - 06 - 01)));
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), Some(date!(2025 - 02 - 28)));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), Some(date!(2025 - 02 - 28)));
        assert_eq!(add_months(date!(2025 - 11 - 30), 3), Some(date!(2026 - 02 - 28)));
    }
}
