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
    AllocationPool, AllocationTest, BeforeCompliance, BeforeEffective, LppLimitTest, Pack, Snapshot, Step,
};
use crate::parties::{HitLevel, ListedParty, Screening};
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndUse {
    #[default]
    Deployment,
    Development,
    Production,
    Storage,
}

impl EndUse {
    pub fn as_str(self) -> &'static str {
        match self {
            EndUse::Deployment => "deployment",
            EndUse::Development => "development",
            EndUse::Production => "production",
            EndUse::Storage => "storage",
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
}

/// Balances the engine cannot know by itself: filled by the caller, from a ledger or from the request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// TPP the ultimate consignee received under LPP this calendar year, before this shipment.
    pub lpp_received_tpp: u64,
    /// TPP already licensed against the allocation this request would draw on.
    pub country_licensed_tpp: u64,
    /// The NVEU's installed base before this shipment.
    pub nveu_installed_tpp: u64,
    /// The ultimate consignee's cumulative AIA receipts before this shipment.
    pub aia_received_tpp: u64,
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
    let mut e = Eval::new(req, pack, classification);
    for s in &pack.status {
        if req.date >= s.from {
            notes.push(Reason { text: s.text.as_str().into(), citation: &s.citation });
        }
    }
    let before_compliance = req.date >= pack.effective.value && req.date < pack.compliance.value;
    if before_compliance {
        notes.push(Reason {
            text: format!(
                "compliance with this rule is required from {}; before then it is not yet required",
                pack.compliance.value
            )
            .into(),
            citation: &pack.compliance.citation,
        });
    }
    let listing = e.screened(&mut notes);
    let mut outcome = None;
    if before_compliance
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
    let steps = pack
        .readings
        .authorization_order
        .iter()
        .filter(|s| listing.is_none() || matches!(s, Step::Nlr | Step::License));
    for step in steps {
        if outcome.is_some() {
            break;
        }
        outcome = match step {
            Step::Nlr => e.nlr(),
            Step::Aia => e.aia(),
            Step::Aca => e.aca(),
            Step::Acm => e.acm(),
            Step::Veu => e.veu(),
            Step::Lpp => e.lpp(),
            Step::License => Some(e.license()),
        };
    }
    // The pack's order always ends with LICENSE, which always answers; this is only a fallback.
    let outcome = outcome.unwrap_or(Outcome {
        authorization: Authorization::License,
        review_policy: Some(ReviewPolicy::CaseByCase),
        allocation: None,
    });
    let outcome = match listing {
        Some(l) => e.listed_license(outcome, l),
        None => outcome,
    };
    let relies_on_security = matches!(outcome.authorization, Authorization::Uveu | Authorization::Nveu)
        || (outcome.authorization == Authorization::Aia && e.classification.control == Control::ModelWeights);
    if relies_on_security && req.date < pack.security_compliance.value {
        notes.push(Reason {
            text: format!(
                "the security requirements of Supp. No. 10 to part 748, paragraphs 14, 15 and 18, must be met by {}",
                pack.security_compliance.value
            )
            .into(),
            citation: &pack.security_compliance.citation,
        });
    }
    Ok(Determination {
        date: req.date,
        tier: e.tier,
        authorization: outcome.authorization,
        review_policy: outcome.review_policy,
        allocation: outcome.allocation,
        obligations: e.obligations,
        reasons: e.reasons,
        notes,
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
}

impl<'r, 'p> Eval<'r, 'p> {
    fn new(req: &'r Request, pack: &'p Pack, mut classification: Classification<'p>) -> Eval<'r, 'p> {
        let snap = pack.at(req.date);
        let mut reasons = std::mem::take(&mut classification.reasons);
        for (role, c) in [
            ("destination", req.destination),
            ("consignee headquarters", req.consignee.headquarters),
            ("ultimate parent headquarters", req.consignee.ultimate_parent_headquarters),
        ] {
            if let Some((to, citation)) = pack.treated_as(c) {
                reasons.push(Reason {
                    text: format!("{role} {} is treated as {}", code(pack, c), code(pack, to)).into(),
                    citation,
                });
            }
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
    fn screened(&mut self, notes: &mut Vec<Reason<'p>>) -> Option<Listing<'p>> {
        let rules = &self.pack.parties;
        let screening = self.req.screening.as_ref()?;
        let review = rules.review_citation.as_str();
        if screening.lists.is_empty() {
            notes.push(Reason {
                text: "no restricted-party list is imported into this ledger: the parties were not screened (`tiergate lists import`)".into(),
                citation: review,
            });
            return None;
        }
        if screening.screened.is_empty() {
            notes.push(Reason {
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
                HitLevel::Review => notes.push(Reason {
                    text: format!("{who} resembles {entry}{more}, below the match threshold: a person must clear this before the export goes ahead").into(),
                    citation: review,
                }),
                HitLevel::Match => {
                    let judged = best.judgement.as_deref().map(|j| format!(", judged a true match ({j})")).unwrap_or_default();
                    let Some(rule) = rules.rule_for(best) else {
                        notes.push(Reason {
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

    /// §4.1: not controlled for this destination.
    fn nlr(&mut self) -> Option<Outcome> {
        let p = self.pack;
        match self.classification.control {
            Control::None => {
                let citation = self.reasons.last().map_or(p.a_class_citation.as_str(), |r| r.citation);
                self.because(citation, "the item is not controlled by this rule: no license required");
                Outcome::plain(Authorization::Nlr)
            }
            Control::ModelWeights => {
                self.because(
                    &p.model_weights_license_citation,
                    "4E091 model weights need a license to every destination",
                );
                None
            }
            Control::Hardware { class: ControlClass::A, .. } => {
                self.because(&p.a_class_citation, ".a-class items need a license to every destination");
                None
            }
            Control::Hardware { class: ControlClass::B, .. } => {
                let d = code(p, self.dest);
                if self.snap.b_class_destinations.contains(self.dest) {
                    self.because(
                        &p.b_class_destinations_citation,
                        format!(".b-class items need a license to {d}: it is in D:1, D:4 or D:5 and not in A:5 or A:6"),
                    );
                    None
                } else if (self.snap.b_class_headquarters.contains(self.hq)
                    || self.snap.b_class_headquarters.contains(self.parent))
                    && !self.snap.b_class_located_outside.contains(self.dest)
                {
                    self.because(&p.b_class_headquarters_citation, format!(".b-class items need a license for a consignee headquartered (or whose ultimate parent is) in Macau/D:5 and located in {d}, outside D:1, D:4 and D:5"));
                    None
                } else {
                    self.because(&p.b_class_destinations_citation, format!(".b-class items need a license only to D:1, D:4 or D:5 destinations not in A:5 or A:6, or for Macau/D:5-headquartered consignees located outside those groups; {d} and this consignee are neither: no license required"));
                    Outcome::plain(Authorization::Nlr)
                }
            }
        }
    }

    /// §4.2: License Exception AIA.
    fn aia(&mut self) -> Option<Outcome> {
        let p = self.pack;
        if self.is_weights() {
            let c = &self.req.consignee;
            let why_not = if !self.in_tier1(self.hq) {
                Some(format!("the consignee is headquartered in {}, outside Supp. No. 5(a)", code(p, self.hq)))
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
                        "AIA: the consignee is headquartered in {} (Supp. No. 5(a)), located outside Macau/D:5, and stores the weights in a compliant facility",
                        code(p, self.hq)
                    ));
                    for o in ["aia_furnish_eccn", "aia_certification", "aia_shipment_notice", "aia_records"] {
                        self.oblige(o);
                    }
                    Outcome::plain(Authorization::Aia)
                }
            };
        }
        match self.hardware() {
            Some((ControlClass::A, _)) => {}
            _ => {
                self.because(&p.aia_citation, "AIA covers only .a-class items and 4E091");
                return None;
            }
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
                "AIA not available: the consignee (headquarters {}) or its ultimate parent (headquarters {}) is headquartered outside Supp. No. 5(a)",
                code(p, self.hq),
                code(p, self.parent)
            ));
            return None;
        }
        self.because(&p.aia_citation, format!(
            "AIA: destination {} and the headquarters of the consignee and its ultimate parent are all in Supp. No. 5(a)",
            code(p, self.dest)
        ));
        for o in ["aia_furnish_eccn", "aia_certification", "aia_shipment_notice"] {
            self.oblige(o);
        }
        let before = Tpp::from_whole(self.req.context.aia_received_tpp).unwrap_or(Tpp::ZERO);
        let after = before.checked_add(self.tpp_total()).unwrap_or(before);
        let threshold = p.aia_certification_report_tpp.value;
        let rt = p.readings.reporting_threshold;
        if !rt.is_met(before, threshold) && rt.is_met(after, threshold) {
            self.oblige("aia_certification_report");
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
        if self.dest_t3 || self.hq_t3 {
            if p.readings.nac_for_tier3 {
                self.because(&p.nac_citation, format!(
                    "NAC: .b-class or non-data-centre items to a Macau/D:5 destination or consignee, with notification {} days ahead (reading R9)",
                    p.nac_notice_days.value
                ));
                self.oblige("nac_notification");
                return Outcome::plain(Authorization::Nac);
            }
            self.because(&p.nac_citation, "ACA excludes Macau/D:5 destinations and consignees, and NAC is not available to them under reading R9 (false)");
            return None;
        }
        self.because(
            &p.aca_citation,
            format!(
            "ACA: .b-class or non-data-centre items to {}, outside Macau/D:5, for a consignee not headquartered there",
            code(p, self.dest)
        ),
        );
        Outcome::plain(Authorization::Aca)
    }

    /// §4.4: License Exception ACM.
    fn acm(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let why_not = if self.is_weights() {
            Some("ACM does not cover 4E091".to_owned())
        } else if self.dest_t3 || self.hq_t3 {
            Some("ACM not available for Macau/D:5 destinations or Macau/D:5-headquartered consignees".to_owned())
        } else if !self.req.consignee.private_sector {
            Some("ACM not available: the consignee is not a private-sector end user".to_owned())
        } else if self.req.end_use == EndUse::Deployment {
            Some("ACM covers development, production or storage, not deployment".to_owned())
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
            format!("ACM: a private-sector consignee, end use {}, outside Macau/D:5", self.req.end_use.as_str()),
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
                let why_not = if !self.in_tier1(self.hq) {
                    Some(format!("the consignee is headquartered in {}, outside Supp. No. 5(a)", code(p, self.hq)))
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
                        "UVEU: the consignee is headquartered in {} (Supp. No. 5(a)) and {} is not Macau/D:5",
                        code(p, self.hq),
                        code(p, self.dest)
                    ),
                );
                for o in ["veu_security", "veu_reports", "uveu_transfer_notice"] {
                    self.oblige(o);
                }
                Outcome::plain(Authorization::Uveu)
            }
            VeuClaim::National { country, id } => {
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
                let installed = self.req.context.nveu_installed_tpp;
                let draw = self.tpp_total().whole_ceil();
                let after = installed.saturating_add(draw);
                if after > cap {
                    self.because(&p.nveu.citation, format!(
                        "the consignee's NVEU does not apply: installed {} TPP plus this shipment's {} would be {}, above the cumulative cap of {} for {quarter}",
                        g(installed), g(draw), g(after), g(cap)
                    ));
                    return None;
                }
                self.because(&p.nveu.citation, format!(
                    "NVEU for {}: installed {} TPP plus this shipment's {} is {}, within the cumulative cap of {} for {quarter}",
                    code(p, country), g(installed), g(draw), g(after), g(cap)
                ));
                self.oblige("veu_security");
                self.oblige("veu_reports");
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

    /// §4.6: License Exception LPP.
    fn lpp(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let why_not = match self.hardware() {
            _ if self.is_weights() => Some("LPP does not cover 4E091".to_owned()),
            Some((ControlClass::A, _)) => None,
            _ => Some("LPP covers only .a-class items".to_owned()),
        }
        .or_else(|| {
            (self.req.transaction == Transaction::Transfer)
                .then(|| "LPP covers exports and reexports, not in-country transfers".to_owned())
        });
        if let Some(w) = why_not {
            self.because(&p.lpp_citation, w);
            return None;
        }
        if self.dest_t3 || self.hq_t3 {
            self.because(
                &p.lpp_exclusion_citation,
                "LPP not available for Macau/D:5 destinations or ultimate consignees headquartered there",
            );
            return None;
        }
        let limit = p.lpp_annual_limit_tpp.value;
        let before = Tpp::from_whole(self.req.context.lpp_received_tpp).unwrap_or(Tpp::from_milli(u64::MAX));
        let shipment = self.tpp_total();
        let after = before.checked_add(shipment).unwrap_or(Tpp::from_milli(u64::MAX));
        let fits = match p.readings.lpp_limit_test {
            LppLimitTest::AfterShipment => after <= limit,
            LppLimitTest::BeforeShipment => before < limit,
        };
        if !fits {
            let reading = match p.readings.lpp_limit_test {
                LppLimitTest::AfterShipment => "no partial use (reading R5)",
                LppLimitTest::BeforeShipment => {
                    "the limit was already reached before this shipment (reading R5: before_shipment)"
                }
            };
            self.because(&p.lpp_annual_limit_tpp.citation, format!(
                "LPP not available: the ultimate consignee received {before} TPP under LPP this year; with this shipment's {shipment} that is {after}, over the limit of {limit}: {reading}"
            ));
            return None;
        }
        self.because(&p.lpp_citation, format!(
            "LPP: an export or reexport of .a-class items; the ultimate consignee's LPP receipts this year, {before} TPP, plus this shipment's {shipment} make {after}, within {limit}"
        ));
        self.oblige("lpp_certification");
        self.oblige("lpp_shipment_report");
        let rt = p.readings.reporting_threshold;
        if rt.is_met(shipment, p.lpp_pre_shipment_notice_tpp.value) {
            self.oblige("lpp_pre_shipment_notice");
        }
        if rt.is_met(after, limit) {
            self.oblige("lpp_limit_reached");
        }
        self.oblige("lpp_records");
        Outcome::plain(Authorization::Lpp)
    }

    /// §4.7: a license, with its review policy.
    fn license(&mut self) -> Outcome {
        let p = self.pack;
        if let Some((ControlClass::A, _)) = self.hardware() {
            self.oblige("license_purchase_order");
            self.oblige("license_tpp_per_country");
        }
        if self.tier == Tier::Three {
            self.because(&p.policy.tier3_denial, "license required; presumption of denial for Macau/D:5 destinations and Macau/D:5-headquartered entities");
            return license(ReviewPolicy::Denial, None);
        }
        if self.is_weights() {
            if !self.in_tier1(self.hq) || !self.in_tier1(self.parent) {
                self.because(&p.policy.model_weights_denial, format!(
                    "license required; presumption of denial for 4E091 to an end user headquartered (or whose ultimate parent is) outside Supp. No. 5(a): {} / {}",
                    code(p, self.hq),
                    code(p, self.parent)
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
        let licensed = self.req.context.country_licensed_tpp;
        let draw = self.tpp_total().whole_ceil();
        let after = licensed.saturating_add(draw);
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
        if within {
            self.because(&p.policy.within_allocation, format!(
                "license required; presumption of approval: {cc} has {} TPP licensed, plus this request's {} makes {} of its {} allocation{doubled}",
                g(licensed), g(draw), g(after), g(cap)
            ));
            let remaining = cap.saturating_sub(after);
            license(
                ReviewPolicy::Approval,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
        } else {
            let remaining = cap.saturating_sub(licensed);
            self.because(&p.policy.beyond_allocation, format!(
                "license required; presumption of denial: {cc} has {} TPP licensed, and this request's {} would make {}, over its {} allocation{doubled}; {} TPP remain, so a request of at most that much is within it (reading R6)",
                g(licensed), g(draw), g(after), g(cap), g(remaining)
            ));
            license(
                ReviewPolicy::Denial,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
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
    /// The pool and amount this answer draws (RULE.md §5): an approvable Tier 2 license its country pool, an
    /// NVEU shipment its NVEU pool, an LPP shipment the ultimate consignee's LPP pool for the year. Denied
    /// licenses and every other answer draw nothing. `None` for LPP when the request names no consignee.
    pub fn draws(&self, req: &Request) -> Option<Draw> {
        match (self.authorization, self.review_policy, &self.allocation) {
            (Authorization::License, Some(ReviewPolicy::Approval), Some(a)) | (Authorization::Nveu, _, Some(a)) => {
                Some(Draw { pool: a.pool.clone(), tpp: a.tpp })
            }
            (Authorization::Lpp, _, _) => {
                let consignee = ultimate_consignee(&req.consignee)?;
                Some(Draw {
                    pool: format!("lpp:{consignee}:{}", req.date.year()),
                    tpp: self.classification.tpp_total?.whole_ceil(),
                })
            }
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
    format!("{} entry {} \"{}\" (score {:.3}{notice})", describe_list(hit), hit.entry_id, hit.name.trim(), hit.score)
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

fn license(policy: ReviewPolicy, allocation: Option<AllocationEffect>) -> Outcome {
    Outcome { authorization: Authorization::License, review_policy: Some(policy), allocation }
}

fn code(pack: &Pack, c: Country) -> &str {
    pack.countries.code(c)
}
