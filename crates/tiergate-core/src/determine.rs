//! The determination engine: `determine(request, pack, catalog) -> Determination`, pure.
//!
//! It follows docs/RULE.md: classify the item (§3), find the effective tier (§2), then try the authorizations
//! in the pack's order (§4, reading R4) and stop at the first that applies. Every step that is tried leaves a
//! reason with its citation, so the answer says both why it is what it is and why the earlier ones were not.

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
    pub date: Date,
    pub classification: Classification<'p>,
    pub tier: Tier,
    pub authorization: Authorization,
    pub review_policy: Option<ReviewPolicy>,
    pub allocation: Option<AllocationEffect>,
    pub obligations: Vec<Reason<'p>>,
    pub reasons: Vec<Reason<'p>>,
    pub notes: Vec<Reason<'p>>,
    /// The request's screening, as it was taken into account.
    pub screening: Option<Screening>,
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
    #[error(transparent)]
    Classify(#[from] ClassifyError),
}

impl DetermineError {
    pub fn code(&self) -> &'static str {
        match self {
            DetermineError::BeforeEffective { .. } => "date_before_effective",
            DetermineError::Classify(e) => e.code(),
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            DetermineError::BeforeEffective { .. } => "date",
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
    Ok(Determination {
        date: req.date,
        tier: e.tier,
        authorization: outcome.authorization,
        review_policy: outcome.review_policy,
        allocation: outcome.allocation,
        obligations: e.obligations,
        reasons: e.reasons,
        notes: e.notes,
        classification: e.classification,
        screening: req.screening.clone(),
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

impl<'r, 'p> Eval<'r, 'p> {
    fn new(
        req: &'r Request,
        pack: &'p Pack,
        mut classification: Classification<'p>,
        notes: Vec<Reason<'p>>,
    ) -> Eval<'r, 'p> {
        let snap = pack.at(req.date);
        let mut reasons = std::mem::take(&mut classification.reasons);
        for (role, c) in [
            ("destination", req.destination),
            ("consignee headquarters", req.consignee.headquarters),
            ("ultimate parent headquarters", req.consignee.ultimate_parent_headquarters),
        ] {
            if let Some(t) = pack.treatment(c) {
                let unsure = match t.confidence {
                    Confidence::Primary => String::new(),
                    other => format!(" (a {} reading: check it with BIS before relying on it)", other.as_str()),
                };
                reasons.push(Reason {
                    text: format!("{role} {} is treated as {}{unsure}", code(pack, c), code(pack, t.to)).into(),
                    citation: &t.citation,
                });
            }
        }
        if let Some(dep) = pack.dependency(req.destination) {
            let unsure = match dep.confidence {
                Confidence::Primary => String::new(),
                other => format!(" (a {} reading: check it with BIS before relying on it)", other.as_str()),
            };
            reasons.push(Reason {
                text: format!(
                    "destination {} is a destination of its own under the EAR, not part of {}: {}'s listing in the country groups does not reach it{unsure}",
                    code(pack, req.destination),
                    code(pack, dep.of),
                    code(pack, dep.of)
                )
                .into(),
                citation: &dep.citation,
            });
        }
        let dest = pack.canonical(req.destination);
        let hq = pack.canonical(req.consignee.headquarters);
        let parent = pack.canonical(req.consignee.ultimate_parent_headquarters);
        let dest_t3 = snap.tier3.contains(dest);
        let hq_t3 = snap.tier3.contains(hq) || snap.tier3.contains(parent);
        let tier = if dest_t3 || hq_t3 {
            Tier::Three
        } else if snap.tier1.contains(dest) {
            Tier::One
        } else {
            Tier::Two
        };
        let d = code(pack, dest);
        let (text, citation) = match tier {
            Tier::Three if dest_t3 => (format!("destination {d} is Macau or in Country Group D:5: Tier 3"), &pack.tier3_citation),
            Tier::Three => (
                format!(
                    "the consignee is headquartered in {}, its ultimate parent in {}: a Macau/D:5 headquarters makes the transaction Tier 3 wherever it is located",
                    code(pack, hq),
                    code(pack, parent)
                ),
                &pack.tier3_citation,
            ),
            Tier::One => (format!("destination {d} is in Supp. No. 5(a) to part 740: Tier 1"), &pack.tier1_citation),
            Tier::Two => (format!("destination {d} is neither in Supp. No. 5(a) nor Macau/D:5: Tier 2"), &pack.tier2_citation),
        };
        reasons.push(Reason { text: text.into(), citation });
        Eval {
            req,
            pack,
            snap,
            classification,
            dest,
            hq,
            parent,
            dest_t3,
            hq_t3,
            tier,
            reasons,
            obligations: Vec::new(),
            notes,
        }
    }

    /// Reading R8 decides a duty only where an amount sits exactly on its threshold, the one case in which
    /// `due` answers differently under the two readings: the answer then names the reading.
    fn r8(&mut self, due: impl Fn(ReportingThreshold) -> bool, duty: &str, citation: &'p str) {
        let rt = self.pack.readings.reporting_threshold;
        let (now, other) = (due(rt), due(rt.other()));
        if now != other {
            let is = |d: bool| if d { "is due" } else { "is not due" };
            let would = |d: bool| if d { "would be due" } else { "would not be" };
            self.notes.push(Reason {
                text: format!(
                    "the amount sits exactly on the threshold: the {duty} {} under reading R8 ({}: a threshold written \"of X\" is met {}); under {} it {}",
                    is(now),
                    rt.as_str(),
                    if rt == ReportingThreshold::AtLeast { "at X" } else { "only above X" },
                    rt.other().as_str(),
                    would(other)
                )
                .into(),
                citation,
            });
        }
    }

    /// Tries one authorization of the pack's order; `Some` when it applies.
    fn try_step(&mut self, step: Step) -> Option<Outcome> {
        match step {
            Step::Nlr => self.nlr(),
            Step::Aia => self.aia(),
            Step::Aca => self.aca(),
            Step::Acm => self.acm(),
            Step::Veu => self.veu(),
            Step::Lpp => self.lpp(),
            Step::License => Some(self.license()),
        }
    }

    fn because(&mut self, citation: &'p str, text: impl Into<std::borrow::Cow<'p, str>>) {
        let text = text.into();
        self.reasons.push(Reason { text, citation });
    }

    fn oblige(&mut self, id: &str) {
        if let Some(o) = self.pack.obligation(id) {
            self.obligations.push(Reason { text: o.text.as_str().into(), citation: &o.citation });
        }
    }

    fn tpp_total(&self) -> Tpp {
        self.classification.tpp_total.unwrap_or(Tpp::ZERO)
    }

    fn hardware(&self) -> Option<(ControlClass, bool)> {
        match self.classification.control {
            Control::Hardware { class, datacenter } => Some((class, datacenter)),
            _ => None,
        }
    }

    fn is_weights(&self) -> bool {
        self.classification.control == Control::ModelWeights
    }

    fn in_tier1(&self, c: Country) -> bool {
        self.snap.tier1.contains(c)
    }

    /// Reads the caller's screening into reasons and notes, and returns the strictest listing that needs a
    /// license, if any. Hits of one party on one list at one level are told together: the best in full, the
    /// others by entry id (the answer's `screening.hits` has them all).
    fn screened(&mut self) -> Option<Listing<'p>> {
        let rules = &self.pack.parties;
        let review = rules.review_citation.as_str();
        let Some(screening) = self.req.screening.as_ref() else {
            self.notes.push(Reason {
                text: "the parties were not screened against restricted-party lists: screening needs a ledger holding imported lists (`tiergate determine --db`, the API); screen them before the export".into(),
                citation: review,
            });
            return None;
        };
        if screening.lists.is_empty() {
            self.notes.push(Reason {
                text: "no restricted-party list is imported into this ledger: the parties were not screened (`tiergate lists import`)".into(),
                citation: review,
            });
            return None;
        }
        for stale in &screening.stale {
            self.notes.push(Reason {
                text: format!("the {stale}: re-import it, and screen again, before relying on this screening").into(),
                citation: review,
            });
        }
        if screening.screened.is_empty() {
            self.notes.push(Reason {
                text: "the request names no party, so none was screened against the restricted-party lists".into(),
                citation: review,
            });
            return None;
        }
        if screening.hits.iter().all(|h| h.level == HitLevel::Cleared) {
            let names: Vec<String> =
                screening.screened.iter().map(|(role, name)| format!("{} \"{name}\"", role.label())).collect();
            self.because(
                review,
                format!("{} screened against {}: no listed party", names.join(" and "), screening.lists.join("; ")),
            );
        }
        // Groups in order of first appearance: (role, list, level, the pack's rule for it) → the hits. The rule is
        // part of the key because on one list (SDN) some programs need a license and others do not.
        let key = |h: &ListedParty| (h.role, h.list.clone(), h.level, rules.rule_for(h).map(|r| r.citation.as_str()));
        let mut groups: Vec<Vec<&ListedParty>> = Vec::new();
        for hit in &screening.hits {
            let same = |g: &&mut Vec<&ListedParty>| g.first().is_some_and(|f| key(f) == key(hit));
            match groups.iter_mut().find(same) {
                Some(g) if hit.level != HitLevel::Cleared => g.push(hit),
                _ => groups.push(vec![hit]),
            }
        }
        let mut listing: Option<Listing<'p>> = None;
        for group in groups {
            let Some((best, others)) = group.split_first() else { continue };
            let who = format!("{} \"{}\"", best.role.label(), best.query);
            let entry = describe_entry(best);
            let more = more_entries(others);
            match best.level {
                HitLevel::Cleared => self.because(
                    review,
                    format!("{who} resembles {entry}, judged a false positive ({}): not counted", best.judgement.as_deref().unwrap_or("no details")),
                ),
                HitLevel::Review => self.notes.push(Reason {
                    text: format!("{who} resembles {entry}{more}, below the match threshold: a person must clear this before the export goes ahead").into(),
                    citation: review,
                }),
                HitLevel::Match => {
                    let judged = best.judgement.as_deref().map(|j| format!(", judged a true match ({j})")).unwrap_or_default();
                    let Some(rule) = rules.rule_for(best) else {
                        self.notes.push(Reason {
                            text: format!("{who} matches {entry}{judged}{more}; this rule pack attaches no license requirement to that list, but a person must clear the match (other agencies' sanctions may forbid the transaction)").into(),
                            citation: review,
                        });
                        continue;
                    };
                    // Every entry of the group counts: each may state its own policy.
                    for hit in &group {
                        let policy = rule.policy.unwrap_or_else(|| rules.entry_policy(hit.license_policy.as_deref()).0);
                        if listing.as_ref().is_none_or(|l| policy.strictness() > l.policy.strictness()) {
                            listing = Some(Listing { policy, citation: &rule.citation });
                        }
                    }
                    let (policy, how) = match rule.policy {
                        Some(policy) => (policy, String::new()),
                        None => {
                            let (policy, stated) = rules.entry_policy(best.license_policy.as_deref());
                            let text = best.license_policy.as_deref().map_or_else(|| "no policy".to_owned(), |t| format!("\"{}\"", t.trim()));
                            let reading = if stated { "" } else { ", which Tiergate cannot read: a person must read the section it points to" };
                            (policy, format!("; the entry states {text}{reading}"))
                        }
                    };
                    let requirement = best.license_requirement.as_deref().map(|r| format!("; its license requirement: \"{}\"", r.trim())).unwrap_or_default();
                    self.because(&rule.citation, format!(
                        "{who} matches {entry}{judged}{more}: a license is required and no license exception or VEU authorization is available{requirement}{how}; review policy {}",
                        policy.as_str()
                    ));
                }
            }
        }
        for ownership in &screening.ownership {
            if let Some(owned) = self.owned(ownership) {
                if listing.as_ref().is_none_or(|l| owned.policy.strictness() > l.policy.strictness()) {
                    listing = Some(owned);
                }
            }
        }
        listing
    }

    /// Says which registered party each named party resolved to, and why (the caller's registry, issue 14).
    fn identity(&mut self) {
        let c = &self.req.consignee;
        let citation = self.pack.lpp_annual_limit_tpp.citation.as_str();
        let counted = if c.ultimate_parent.is_some() { PartyRole::UltimateParent } else { PartyRole::Consignee };
        for i in &c.identified {
            let mut text = if let (true, Some(named)) = (i.supplied, &i.replaced_parent) {
                format!(
                    "the party registry records \"{}\" as the ultimate parent of the consignee; the request names \"{named}\": the registry's record applies (correct it with `tiergate parties set` if it is out of date), so \"{}\" is the ultimate consignee",
                    i.given, i.given
                )
            } else if i.supplied {
                format!(
                    "the party registry records \"{}\" as the ultimate parent of the consignee; the request names none, so it is the ultimate consignee",
                    i.given
                )
            } else if i.given.trim() == i.party {
                format!("{} \"{}\" is a registered party", i.role.label(), i.given.trim())
            } else if i.via == i.party {
                format!(
                    "{} \"{}\" is the registered party \"{}\" (the names are one party key)",
                    i.role.label(),
                    i.given.trim(),
                    i.party
                )
            } else {
                format!(
                    "{} \"{}\" is the registered party \"{}\" (by its recorded name \"{}\")",
                    i.role.label(),
                    i.given.trim(),
                    i.party,
                    i.via
                )
            };
            if i.role == counted {
                text.push_str(": its LPP receipts are counted as that party's");
            }
            if let Some(given) = i.replaced_headquarters {
                let recorded = match i.role {
                    PartyRole::Consignee => c.headquarters,
                    PartyRole::UltimateParent => c.ultimate_parent_headquarters,
                };
                text.push_str(&format!(
                    "; the registry records it as headquartered in {}, the request says {}: the registry's record applies (correct it with `tiergate parties set` if it is out of date)",
                    code(self.pack, recorded),
                    code(self.pack, given)
                ));
            }
            self.because(citation, text);
        }
    }

    /// Applies the Affiliates rule to one named party's recorded owners: a listing when listed parties hold the
    /// pack's threshold or more and the rule is in force on the request's date; notes otherwise.
    fn owned(&mut self, ownership: &crate::affiliates::Ownership) -> Option<Listing<'p>> {
        use crate::affiliates::{affiliation, Status};
        let pack = self.pack;
        let rules = &pack.parties;
        let review = rules.review_citation.as_str();
        let who = format!("{} \"{}\"", ownership.role.label(), ownership.party);
        let rule = rules.affiliates.as_ref()?;
        let a = affiliation(ownership, rule);
        for owner in &a.unresolved {
            self.notes.push(Reason {
                text: format!(
                    "{who} is recorded as {} owned by \"{}\", which resembles a listed party below the match threshold: a person must clear it, since listed owners' shares add up under the Affiliates rule",
                    owner.share, owner.name
                )
                .into(),
                citation: &rule.citation,
            });
        }
        if a.cut {
            self.notes.push(Reason {
                text: format!(
                    "not every recorded owner of {who} was followed (more than {} levels up, or more owners than one request screens): the shares counted may be incomplete",
                    crate::affiliates::MAX_DEPTH
                )
                .into(),
                citation: &rule.citation,
            });
        }
        if a.listings.is_empty() {
            let owners: Vec<String> =
                ownership.owners.iter().map(|o| format!("\"{}\" ({})", o.name, o.share)).collect();
            self.because(
                review,
                format!("the recorded owners of {who} were screened: {}; none is a listed party", owners.join(", ")),
            );
            return None;
        }
        let held = format!("{who} is {} owned by listed parties ({})", a.share, a.path);
        if a.share < rule.threshold {
            self.because(
                &rule.citation,
                format!("{held}, less than {}: the Affiliates rule does not reach it", rule.threshold),
            );
            return None;
        }
        let Some(period) = rule.period_on(self.req.date) else {
            let from = rule.periods.first().map(|p| p.from.to_string()).unwrap_or_default();
            self.notes.push(Reason {
                text: format!("{held}; the Affiliates rule takes effect only on {from}: before it, ownership by listed parties is a red flag to resolve, not a license requirement").into(),
                citation: review,
            });
            return None;
        };
        let until = rule
            .next_after(period)
            .and_then(|n| n.from.previous_day())
            .map(|d| format!(" through {d}"))
            .unwrap_or_default();
        let unsure = if period.confirmed {
            String::new()
        } else {
            " (that the rule stands on this date is not confirmed by the sources this pack cites: check before relying on it)".to_owned()
        };
        if period.status == Status::Suspended {
            self.notes.push(Reason {
                text: format!("{held}; the Affiliates rule is suspended from {}{until}{unsure}: ownership alone requires no license on {}, but it remains a red flag to resolve", period.from, self.req.date).into(),
                citation: &period.citation,
            });
            return None;
        }
        // In force: the most restrictive owner's listing, under the pack's rule for its list.
        let mut listing: Option<Listing<'p>> = None;
        // Told per list and policy, with how many entries: (list, policy or none) → entries.
        let mut told: Vec<(String, Option<ReviewPolicy>, usize)> = Vec::new();
        for hit in &a.listings {
            let policy = rules
                .rule_for(hit)
                .map(|r| (r.policy.unwrap_or_else(|| rules.entry_policy(hit.license_policy.as_deref()).0), r));
            let key = (describe_list(hit), policy.map(|p| p.0));
            match told.iter_mut().find(|t| t.0 == key.0 && t.1 == key.1) {
                Some(t) => t.2 += 1,
                None => told.push((key.0, key.1, 1)),
            }
            if let Some((policy, _)) = policy {
                if listing.as_ref().is_none_or(|l| policy.strictness() > l.policy.strictness()) {
                    listing = Some(Listing { policy, citation: &period.citation });
                }
            }
        }
        let told: Vec<String> = told
            .into_iter()
            .map(|(list, policy, n)| {
                let entries = if n == 1 { "1 entry".to_owned() } else { format!("{n} entries") };
                match policy {
                    Some(p) => format!("{list}, {entries}: review policy {}", p.as_str()),
                    None => format!("{list}, {entries}: this pack attaches no license requirement to that list"),
                }
            })
            .collect();
        match &listing {
            Some(l) => self.because(&period.citation, format!(
                "{held}, at least {}: under the Affiliates rule, in force from {}{until}{unsure}, it carries its owners' listings ({}): a license is required and no license exception or VEU authorization is available; review policy {}, the strictest of them",
                rule.threshold, period.from, told.join("; "), l.policy.as_str()
            )),
            None => self.notes.push(Reason {
                text: format!("{held}, at least {}: the Affiliates rule is in force{unsure}, but {}; a person must clear it", rule.threshold, told.join("; ")).into(),
                citation: &period.citation,
            }),
        }
        listing
    }

    /// A license because a party is listed: reviewed under the stricter of the listing's policy and the
    /// framework's own answer (which, for an item the framework does not control here, is no license at all).
    fn listed_license(&mut self, framework: Outcome, listing: Listing<'p>) -> Outcome {
        match (framework.authorization, framework.review_policy) {
            (Authorization::License, Some(own)) if own.strictness() >= listing.policy.strictness() => {
                self.because(listing.citation, format!(
                    "the listing's review policy ({}) is no stricter than the framework's ({}): the license is reviewed under {}",
                    listing.policy.as_str(), own.as_str(), own.as_str()
                ));
                framework
            }
            (Authorization::License, own) => {
                self.because(listing.citation, format!(
                    "the listing's review policy ({}) is stricter than the framework's ({}): the license is reviewed under {}",
                    listing.policy.as_str(), own.map_or("none", ReviewPolicy::as_str), listing.policy.as_str()
                ));
                Outcome { review_policy: Some(listing.policy), ..framework }
            }
            _ => {
                self.obligations.clear();
                self.because(
                    listing.citation,
                    format!(
                    "this rule alone would need no license, but the listing does: license required, review policy {}",
                    listing.policy.as_str()
                ),
                );
                license(listing.policy, None)
            }
        }
    }

    /// Whether `scope` covers this request's transaction; if not, says so in the text's own words.
    fn covers(&mut self, name: &str, scope: &'p Scope) -> bool {
        if scope.covers(self.req.transaction) {
            return true;
        }
        self.because(
            &scope.citation,
            format!(
                "{name} does not authorize {}: its text covers the {} only (\"{}\")",
                self.req.transaction.with_article(),
                scope.names(),
                scope.quote
            ),
        );
        false
    }

    /// Whether license requirement `req` covers this request's transaction; if not, says that none is required.
    fn requirement_covers(&mut self, which: &str, req: &'p Scope) -> bool {
        let tx = self.req.transaction;
        if req.covers(tx) {
            return true;
        }
        self.because(
            &req.citation,
            format!(
                "{which} license requirement covers the {} only: no license required for {}",
                req.names(),
                tx.with_article()
            ),
        );
        false
    }

    /// The consignee or its ultimate parent is headquartered in Supp. No. 5(a) (either suffices).
    fn hq_pair_in_tier1(&self) -> bool {
        self.in_tier1(self.hq) || self.in_tier1(self.parent)
    }

    /// `headquartered in XX, its ultimate parent in YY`.
    fn headquarters(&self) -> String {
        let p = self.pack;
        if self.hq == self.parent {
            format!("headquartered in {} (as is its ultimate parent)", code(p, self.hq))
        } else {
            format!("headquartered in {}, its ultimate parent in {}", code(p, self.hq), code(p, self.parent))
        }
    }

    /// §4.1: not controlled for this destination.
    fn nlr(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let tx = self.req.transaction;
        match self.classification.control {
            Control::None => {
                let citation = self.reasons.last().map_or(p.requirements.a_class.citation.as_str(), |r| r.citation);
                self.because(citation, "the item is not controlled by this rule: no license required");
                Outcome::plain(Authorization::Nlr)
            }
            Control::ModelWeights => {
                let req = &p.requirements.model_weights;
                if !self.requirement_covers("the 4E091", req) {
                    return Outcome::plain(Authorization::Nlr);
                }
                self.because(
                    &p.requirements.model_weights.citation,
                    format!("4E091 model weights need a license for {} to every destination", tx.with_article()),
                );
                self.notes.push(Reason {
                    text: "deemed exports and reexports of 4E091 weights to permanent regular employees of an entity headquartered, or whose ultimate parent is headquartered, in Supp. No. 5(a) need no license; this request is not a deemed export, so that exemption was not assessed".into(),
                    citation: &req.citation,
                });
                None
            }
            Control::Hardware { class: ControlClass::A, .. } => {
                if !self.requirement_covers("the .a-class", &p.requirements.a_class) {
                    return Outcome::plain(Authorization::Nlr);
                }
                self.because(
                    &p.requirements.a_class.citation,
                    format!(".a-class items need a license for {} to or within every destination", tx.with_article()),
                );
                None
            }
            Control::Hardware { class: ControlClass::B, .. } => {
                let d = code(p, self.dest);
                let by_destination = p.requirements.b_class_destinations.covers(tx);
                let by_headquarters = p.requirements.b_class_headquarters.covers(tx);
                let hq_listed = self.snap.b_class_headquarters.contains(self.hq)
                    || self.snap.b_class_headquarters.contains(self.parent);
                if by_destination && self.snap.b_class_destinations.contains(self.dest) {
                    self.because(
                        &p.requirements.b_class_destinations.citation,
                        format!(".b-class items need a license for {} to or within {d}: it is in D:1, D:4 or D:5 and not in A:5 or A:6", tx.with_article()),
                    );
                    None
                } else if by_headquarters && hq_listed && !self.snap.b_class_located_outside.contains(self.dest) {
                    self.because(&p.requirements.b_class_headquarters.citation, format!(
                        ".b-class items need a license for a consignee {} (Macau/D:5), located in {d}, which is not among the D:1, D:4 and D:5 destinations outside A:5 and A:6",
                        self.headquarters()
                    ));
                    None
                } else {
                    self.because(&p.requirements.b_class_destinations.citation, format!(".b-class items need a license only to or within D:1, D:4 or D:5 destinations not in A:5 or A:6, or for a consignee headquartered (or whose ultimate parent is) in Macau/D:5 located elsewhere; {d} and this consignee are neither: no license required"));
                    Outcome::plain(Authorization::Nlr)
                }
            }
        }
    }

    /// §4.2: License Exception AIA.
    fn aia(&mut self) -> Option<Outcome> {
        let p = self.pack;
        if !self.is_weights() && !matches!(self.hardware(), Some((ControlClass::A, _))) {
            self.because(&p.aia_citation, "AIA covers only .a-class items and 4E091");
            return None;
        }
        if !self.covers("AIA", &p.scopes.aia) {
            return None;
        }
        if self.is_weights() {
            let c = &self.req.consignee;
            let why_not = if !self.hq_pair_in_tier1() {
                Some(format!("the consignee is {}: neither is in Supp. No. 5(a) (740.27(a)(3): \"entities headquartered, or whose ultimate parent company is headquartered, in the destinations listed in paragraph (a) of supplement no. 5\")", self.headquarters()))
            } else if self.dest_t3 {
                Some(format!("the consignee is located in {}, Macau/D:5", code(p, self.dest)))
            } else if !c.storage_compliant {
                Some("the weights are not stored in a facility meeting Supp. No. 10 to part 748, paragraphs 14, 15 and 18".to_owned())
            } else {
                None
            };
            return match why_not {
                Some(w) => {
                    self.because(&p.aia_model_weights_citation, format!("AIA not available for model weights: {w}"));
                    None
                }
                None => {
                    self.because(&p.aia_model_weights_citation, format!(
                        "AIA: the consignee is {}, at least one of them in Supp. No. 5(a); it is located outside Macau/D:5 and stores the weights in a compliant facility",
                        self.headquarters()
                    ));
                    self.because(&p.aia_model_weights_citation, "the requirements of 740.27(b) (furnishing the ECCN, the ultimate consignee's certification, the notice with each shipment) are written for the items of paragraphs (a)(1) and (a)(2)(i), not for 4E091 weights; records are kept");
                    self.oblige("aia_records");
                    Outcome::plain(Authorization::Aia)
                }
            };
        }
        if !self.in_tier1(self.dest) {
            self.because(
                &p.aia_citation,
                format!("AIA not available: destination {} is not in Supp. No. 5(a)", code(p, self.dest)),
            );
            return None;
        }
        if !self.in_tier1(self.hq) || !self.in_tier1(self.parent) {
            self.because(&p.aia_citation, format!(
                "AIA not available: the consignee is {}; AIA excludes an entity \"headquartered outside of, or [that] has an ultimate parent company headquartered outside of\" Supp. No. 5(a)",
                self.headquarters()
            ));
            return None;
        }
        self.because(&p.aia_citation, format!(
            "AIA: destination {} and the headquarters of the consignee and its ultimate parent are all in Supp. No. 5(a)",
            code(p, self.dest)
        ));
        if self.req.end_use == EndUse::Training {
            self.because(&p.aia_citation, "AIA \"cannot be used to provide items ... to entities headquartered outside of or located outside of\" Supp. No. 5(a) \"for training AI models specified in ECCN 4E091\"; this consignee is headquartered and located in Supp. No. 5(a), so training here is within AIA");
        }
        for o in ["aia_furnish_eccn", "aia_certification", "aia_shipment_notice"] {
            self.oblige(o);
        }
        if self.req.end_use == EndUse::Training {
            self.oblige("aia_training_bar");
        }
        let received = self.req.context.aia_received;
        let before = Tpp::from_whole(received.amount()).unwrap_or(Tpp::ZERO);
        let after = before.checked_add(self.tpp_total()).unwrap_or(before);
        let threshold = p.aia_certification_report_tpp.value;
        let rt = p.readings.reporting_threshold;
        let crosses = |rt: ReportingThreshold| !rt.is_met(before, threshold) && rt.is_met(after, threshold);
        if crosses(rt) {
            self.oblige("aia_certification_report");
        }
        self.r8(crosses, "AIA certification report", &p.aia_certification_report_tpp.citation);
        if received.is_unknown() {
            self.notes.push(Reason {
                text: format!("no cumulative AIA receipts were given for this ultimate consignee; this answer assumes none, so the AIA certification report (due once they reach {threshold} TPP) was judged on this shipment alone").into(),
                citation: &p.aia_certification_report_tpp.citation,
            });
        }
        self.oblige("aia_records");
        Outcome::plain(Authorization::Aia)
    }

    /// §4.3: License Exceptions ACA and NAC.
    fn aca(&mut self) -> Option<Outcome> {
        let p = self.pack;
        match self.hardware() {
            Some((ControlClass::B, _)) | Some((ControlClass::A, false)) => {}
            Some((ControlClass::A, true)) => {
                self.because(
                    &p.aca_citation,
                    "ACA and NAC exclude items designed or marketed for data centres that meet 3A090.a",
                );
                return None;
            }
            None => {
                self.because(&p.aca_citation, "ACA and NAC do not cover 4E091");
                return None;
            }
        }
        let d = code(p, self.dest);
        if self.req.transaction == Transaction::Transfer && self.snap.aca_transfers_within.contains(self.dest) {
            if !self.covers("ACA", &p.scopes.aca) {
                return None;
            }
            self.because(&p.aca_transfers_within_citation, format!(
                "ACA: an in-country transfer within {d} (Macau/D:5), which ACA authorizes \"as well as transfers (in-country) within Macau and destinations specified in Country Group D:5\", whoever the consignee"
            ));
            return Outcome::plain(Authorization::Aca);
        }
        if self.dest_t3 || self.hq_t3 {
            if !p.readings.nac_for_tier3 {
                self.because(&p.nac_citation, "ACA excludes Macau/D:5 destinations and consignees, and NAC is not available to them under reading R9 (false; the other reading, true, would offer NAC for an export or reexport)");
                return None;
            }
            // Whether NAC reaches this transaction is its scope's to say; ACA's transfers within Macau/D:5 were
            // tried above.
            if !self.covers("NAC", &p.scopes.nac) {
                if self.req.transaction == Transaction::Transfer {
                    self.because(&p.scopes.aca.citation, format!(
                        "ACA excludes a consignee {} (Macau/D:5) wherever located, and its in-country transfers within Macau/D:5 do not reach {d}",
                        self.headquarters()
                    ));
                }
                return None;
            }
            self.because(&p.nac_citation, format!(
                "NAC: {} of .b-class or non-data-centre items to a Macau/D:5 destination or to a consignee headquartered (or whose ultimate parent is) there, with notification {} days ahead (reading R9: true; under false, a license would be needed)",
                self.req.transaction.with_article(),
                p.nac_notice_days.value
            ));
            self.oblige("nac_notification");
            return Outcome::plain(Authorization::Nac);
        }
        if !self.covers("ACA", &p.scopes.aca) {
            return None;
        }
        self.because(
            &p.aca_citation,
            format!(
                "ACA: {} of .b-class or non-data-centre items to or within {d}, outside Macau/D:5, for a consignee {}",
                self.req.transaction.with_article(),
                self.headquarters()
            ),
        );
        Outcome::plain(Authorization::Aca)
    }

    /// §4.4: License Exception ACM.
    fn acm(&mut self) -> Option<Outcome> {
        let p = self.pack;
        if self.is_weights() {
            self.because(&p.acm_citation, "ACM does not cover 4E091");
            return None;
        }
        if !self.covers("ACM", &p.scopes.acm) {
            return None;
        }
        let why_not = if self.dest_t3 || self.hq_t3 {
            Some(format!(
                "ACM does not authorize {} to Macau/D:5 or to a consignee whose ultimate consignee (or its ultimate parent) is headquartered there: the consignee is {}",
                self.req.transaction.with_article(),
                self.headquarters()
            ))
        } else if !self.req.consignee.private_sector {
            Some("ACM not available: the consignee is not a private-sector end user".to_owned())
        } else if matches!(self.req.end_use, EndUse::Deployment | EndUse::Training) {
            Some(format!(
                "ACM covers the \"development\" or \"production\" of the items themselves, or their storage before onward shipment; end use {} ({}) is neither",
                self.req.end_use.as_str(),
                self.req.end_use.meaning()
            ))
        } else {
            None
        };
        if let Some(w) = why_not {
            let citation = if self.dest_t3 || self.hq_t3 { &p.acm_exclusion_citation } else { &p.acm_citation };
            self.because(citation, w);
            return None;
        }
        self.because(
            &p.acm_citation,
            format!(
                "ACM: a private-sector consignee, end use {} ({}), outside Macau/D:5; the items must be ultimately destined to customers outside Macau/D:5",
                self.req.end_use.as_str(),
                self.req.end_use.meaning()
            ),
        );
        self.oblige("acm_accounting");
        self.oblige("acm_records");
        Outcome::plain(Authorization::Acm)
    }

    /// §4.5: Data Center VEU, universal or national.
    fn veu(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let claim = self.req.consignee.veu.clone()?;
        if self.is_weights() {
            self.because(&p.uveu_citation, "a VEU authorization covers 3A090/4A090 items, not 4E091 model weights");
            return None;
        }
        match claim {
            VeuClaim::Unverified { kind, why } => {
                let citation = match kind {
                    crate::veu::VeuKind::Universal => &p.uveu_citation,
                    crate::veu::VeuKind::National => &p.nveu_citation,
                };
                self.because(
                    citation,
                    format!("the consignee's {} claim is not relied on: {why}", kind.as_str().to_uppercase()),
                );
                None
            }
            VeuClaim::Universal { .. } => {
                if !self.covers("UVEU", &p.scopes.uveu) {
                    return None;
                }
                let why_not = if !self.hq_pair_in_tier1() {
                    Some(format!("the consignee is {}: a UVEU \"must be headquartered in, or have their ultimate parent company headquartered in\" Supp. No. 5(a)", self.headquarters()))
                } else if self.tier == Tier::Three {
                    Some("the destination or a headquarters is Macau/D:5".to_owned())
                } else {
                    None
                };
                if let Some(w) = why_not {
                    self.because(&p.uveu_citation, format!("the consignee's UVEU does not apply: {w}"));
                    return None;
                }
                self.because(
                    &p.uveu_citation,
                    format!(
                        "UVEU: the consignee is {} (Supp. No. 5(a)) and {} is not Macau/D:5",
                        self.headquarters(),
                        code(p, self.dest)
                    ),
                );
                for o in ["veu_security", "veu_reports", "uveu_transfer_notice", "uveu_new_location_notice"] {
                    self.oblige(o);
                }
                self.veu_training_bar();
                Outcome::plain(Authorization::Uveu)
            }
            VeuClaim::National { country, id } => {
                if !self.covers("NVEU", &p.scopes.nveu) {
                    return None;
                }
                let nveu_country = p.canonical(country);
                if nveu_country != self.dest {
                    self.because(&p.nveu_citation, format!(
                        "the consignee's NVEU for {} does not apply: the destination is {}, and an NVEU is country-specific",
                        code(p, country),
                        code(p, self.req.destination)
                    ));
                    return None;
                }
                if self.tier == Tier::Three {
                    self.because(
                        &p.nveu_citation,
                        "the consignee's NVEU does not apply: the destination or a headquarters is Macau/D:5",
                    );
                    return None;
                }
                let Some((quarter, cap)) = p.nveu.cap(self.req.date) else {
                    self.because(
                        &p.nveu.citation,
                        format!("the consignee's NVEU does not apply: the schedule sets no cap for {}", self.req.date),
                    );
                    return None;
                };
                let installed = self.req.context.nveu_installed;
                let draw = self.tpp_total().whole_ceil();
                let after = installed.amount().saturating_add(draw);
                let base = installed.describe("the NVEU's installed base");
                if after > cap {
                    self.because(&p.nveu.citation, format!(
                        "the consignee's NVEU does not apply: {base}; with this shipment's {} TPP that is {}, above the cumulative cap of {} for {quarter}",
                        g(draw), g(after), g(cap)
                    ));
                    return None;
                }
                self.because(&p.nveu.citation, format!(
                    "NVEU for {}: {base}; with this shipment's {} TPP that is {}, within the cumulative cap of {} for {quarter}",
                    code(p, country), g(draw), g(after), g(cap)
                ));
                self.oblige("veu_security");
                self.oblige("veu_reports");
                self.veu_training_bar();
                let pool_id = nveu_pool_id(&self.req.consignee, id.as_deref(), code(p, country));
                Some(Outcome {
                    authorization: Authorization::Nveu,
                    review_policy: None,
                    allocation: Some(AllocationEffect {
                        pool: format!("nveu:{pool_id}"),
                        tpp: draw,
                        remaining_tpp: cap - after,
                        cap_tpp: cap,
                    }),
                })
            }
        }
    }

    /// Supp. No. 10 ¶7: a VEU may not train a 4E091 model outside Supp. No. 5(a) without authorization.
    fn veu_training_bar(&mut self) {
        if self.req.end_use == EndUse::Training && !self.in_tier1(self.dest) {
            self.oblige("veu_training");
        }
    }

    /// §4.6: License Exception LPP.
    fn lpp(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let why_not = match self.hardware() {
            _ if self.is_weights() => Some("LPP does not cover 4E091".to_owned()),
            Some((ControlClass::A, _)) => None,
            _ => Some("LPP covers only .a-class items".to_owned()),
        };
        if let Some(w) = why_not {
            self.because(&p.lpp_citation, w);
            return None;
        }
        if !self.covers("LPP", &p.scopes.lpp) {
            return None;
        }
        if self.dest_t3 || self.hq_t3 {
            self.because(
                &p.lpp_exclusion_citation,
                format!("LPP not available for Macau/D:5 destinations or an ultimate consignee headquartered (or whose ultimate parent is) there: the consignee is {}", self.headquarters()),
            );
            return None;
        }
        let limit = p.lpp_annual_limit_tpp.value;
        let received = self.req.context.lpp_received;
        let before = Tpp::from_whole(received.amount()).unwrap_or(Tpp::from_milli(u64::MAX));
        let shipment = self.tpp_total();
        let after = before.checked_add(shipment).unwrap_or(Tpp::from_milli(u64::MAX));
        let fits = match p.readings.lpp_limit_test {
            LppLimitTest::AfterShipment => after <= limit,
            LppLimitTest::BeforeShipment => before < limit,
        };
        let receipts = received.describe("the ultimate consignee's LPP receipts this calendar year");
        if !fits {
            let reading = match p.readings.lpp_limit_test {
                LppLimitTest::AfterShipment => "no partial use (reading R5: after_shipment; under before_shipment, LPP would apply while receipts before this shipment are below the limit)",
                LppLimitTest::BeforeShipment => {
                    "the limit was already reached before this shipment (reading R5: before_shipment)"
                }
            };
            self.because(&p.lpp_annual_limit_tpp.citation, format!(
                "LPP not available: {receipts}; with this shipment's {shipment} TPP that is {after}, over the limit of {limit}: {reading}"
            ));
            return None;
        }
        let partial = match p.readings.lpp_limit_test {
            LppLimitTest::BeforeShipment if after > limit => " (reading R5: before_shipment lets this shipment cross the limit; under after_shipment it could not use LPP)",
            _ => "",
        };
        self.because(&p.lpp_citation, format!(
            "LPP: {} of .a-class items; {receipts}; with this shipment's {shipment} TPP that is {after}, within {limit}{partial}",
            self.req.transaction.with_article()
        ));
        if received.is_unknown() {
            self.notes.push(Reason {
                text: "no LPP receipts were given for this ultimate consignee this year; this answer assumes none. Obtain the consignee's certification that it has not received the annual limit (740.29(f)) before relying on it".into(),
                citation: &p.lpp_annual_limit_tpp.citation,
            });
        }
        self.oblige("lpp_certification");
        self.oblige("lpp_shipment_report");
        let rt = p.readings.reporting_threshold;
        let notice = p.lpp_pre_shipment_notice_tpp.value;
        if rt.is_met(shipment, notice) {
            self.oblige("lpp_pre_shipment_notice");
        }
        self.r8(|rt| rt.is_met(shipment, notice), "LPP pre-shipment notice", &p.lpp_pre_shipment_notice_tpp.citation);
        if rt.is_met(after, limit) {
            self.oblige("lpp_limit_reached");
        }
        self.r8(|rt| rt.is_met(after, limit), "notice that the LPP limit is reached", &p.lpp_annual_limit_tpp.citation);
        self.oblige("lpp_records");
        Outcome::plain(Authorization::Lpp)
    }

    /// §4.7: a license, with its review policy.
    fn license(&mut self) -> Outcome {
        let p = self.pack;
        if let Some((ControlClass::A, _)) = self.hardware() {
            self.oblige("license_purchase_order");
            self.oblige("license_tpp_per_country");
            self.oblige("license_validity");
        }
        if self.tier == Tier::Three {
            if let Some((ControlClass::B, _)) = self.hardware() {
                self.because(&p.policy.b_class_denial, format!("license required; presumption of denial for .b-class items to or within Macau/D:5 or to an entity {} (Macau/D:5)", self.headquarters()));
            } else {
                self.because(&p.policy.tier3_denial, "license required; presumption of denial for Macau/D:5 destinations and Macau/D:5-headquartered entities");
            }
            return license(ReviewPolicy::Denial, None);
        }
        if self.is_weights() {
            if !self.in_tier1(self.hq) || !self.in_tier1(self.parent) {
                self.because(&p.policy.model_weights_denial, format!(
                    "license required; presumption of denial for 4E091 to an end user headquartered, or with an ultimate parent headquartered, outside Supp. No. 5(a): the consignee is {}",
                    self.headquarters()
                ));
                return license(ReviewPolicy::Denial, None);
            }
            self.because(&p.policy.case_by_case, "license required; the rule sets no review presumption for 4E091 to a Supp. No. 5(a)-headquartered end user that cannot use AIA");
            return license(ReviewPolicy::CaseByCase, None);
        }
        if self.tier == Tier::One {
            self.because(
                &p.policy.tier1_approval,
                format!(
                    "license required; presumption of approval for Supp. No. 5(a) destination {}",
                    code(p, self.dest)
                ),
            );
            return license(ReviewPolicy::Approval, None);
        }
        if let Some((ControlClass::B, _)) = self.hardware() {
            self.because(
                &p.policy.b_class,
                "license required; presumption of approval for .b-class items outside Macau/D:5",
            );
            return license(ReviewPolicy::Approval, None);
        }
        if self.hq_pair_in_tier1() {
            match p.readings.supp5a_headquarters_in_tier2 {
                Supp5aHeadquarters::Approval => {
                    self.because(&p.policy.tier1_approval, format!(
                        "license required; presumption of approval for an entity {}, in Supp. No. 5(a), outside any allocation (reading R10: approval; under allocation, the request would be judged against {}'s allocation)",
                        self.headquarters(),
                        code(p, self.dest)
                    ));
                    return license(ReviewPolicy::Approval, None);
                }
                Supp5aHeadquarters::Allocation => {
                    self.because(&p.policy.within_allocation, format!(
                        "the consignee is {}, in Supp. No. 5(a), which 742.6(b)(10)(iii)(A)(2) presumes approval for; the destination {} is Tier 2, which (B) judges against its allocation: the allocation governs (reading R10: allocation; under approval, the license would be presumed approved outside any allocation)",
                        self.headquarters(),
                        code(p, self.dest)
                    ));
                }
            }
        }
        self.allocation()
    }
    /// §4.7 and §5: a Tier 2 license for .a-class items, judged against a country allocation.
    fn allocation(&mut self) -> Outcome {
        let p = self.pack;
        let pool_country = allocation_country(self.req, p);
        match p.readings.allocation_pool {
            AllocationPool::Destination => {}
            AllocationPool::Headquarters => {
                if self.in_tier1(self.hq) {
                    self.because(&p.policy.tier1_approval, format!(
                        "license required; presumption of approval for an entity headquartered in Supp. No. 5(a) ({}) (reading R7: headquarters)",
                        code(p, self.hq)
                    ));
                    return license(ReviewPolicy::Approval, None);
                }
            }
        }
        let cc = code(p, pool_country);
        let Some(cap) = p.country_allocation(pool_country, self.req.date) else {
            self.because(&p.allocation.period_citation, format!(
                "license required; the rule sets no country allocation for {} (allocations cover {} to {}), so no presumption applies",
                self.req.date, p.allocation.period_from, p.allocation.period_to
            ));
            return license(ReviewPolicy::CaseByCase, None);
        };
        let balance = self.req.context.country_licensed;
        let licensed = balance.amount();
        let draw = self.tpp_total().whole_ceil();
        let after = licensed.saturating_add(draw);
        let known = balance.describe(&format!("the TPP licensed against {cc}'s allocation"));
        if balance.is_unknown() {
            self.notes.push(Reason {
                text: format!("no licensed total was given for {cc}'s allocation; this answer assumes none has been licensed. BIS publishes whether allocations have been met (bis.gov/advanced-compute-resources); check before relying on it").into(),
                citation: &p.allocation.country_tpp.citation,
            });
        }
        let within = match p.readings.allocation_test {
            AllocationTest::AfterRequest => after <= cap,
            AllocationTest::BeforeRequest => licensed < cap,
        };
        let doubled = if self.snap.assurances.contains(pool_country) {
            format!(" (raised to {} % under Supp. No. 5(b) assurances)", p.allocation.assurance_percent.value)
        } else {
            String::new()
        };
        let pool = format!("country:{cc}");
        let r7 = self.r7_other(pool_country);
        if within {
            self.because(&p.policy.within_allocation, format!(
                "license required; presumption of approval: {known}; with this request's {} TPP that is {}, within its {} allocation{doubled}{}{r7}",
                g(draw), g(after), g(cap), r6_other(p.readings.allocation_test, true)
            ));
            let remaining = cap.saturating_sub(after);
            license(
                ReviewPolicy::Approval,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
        } else {
            let remaining = cap.saturating_sub(licensed);
            self.because(&p.policy.beyond_allocation, format!(
                "license required; presumption of denial: {known}; with this request's {} TPP that would be {}, over its {} allocation{doubled}; {} TPP remain, so a request of at most that much is within it{}{r7}",
                g(draw), g(after), g(cap), g(remaining), r6_other(p.readings.allocation_test, false)
            ));
            license(
                ReviewPolicy::Denial,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
        }
    }
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
