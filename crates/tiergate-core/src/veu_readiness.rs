//! A data centre's readiness for VEU status (Supp. No. 10 to part 748): evidence recorded against each
//! requirement of the pack's `[veu_guidelines]`, and where that leaves a VEU or an applicant on a date.
//!
//! Evidence is recorded, never edited: a requirement's standing is its latest evidence (`planned`, `in_progress`,
//! `met`, `not_applicable`), or `missing` when none was recorded. A requirement binds according to its `applies`
//! (a UVEU's geographic limits bind no NVEU). Paragraphs the rule deferred (14, 15 and 18) are due by the pack's
//! `dates.security_compliance`; once that date has passed, one not met is `overdue`. The rest are certified with
//! the application. Ready means every requirement that binds is met or shown not to apply.

use time::Date;

use crate::pack::{Applies, Pack, Requirement, VeuGuidelines};
use crate::veu::{Registration, VeuKind};

/// What evidence says about a requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvidenceStatus {
    Planned,
    InProgress,
    Met,
    /// The requirement does not apply to this data centre: the note says why.
    NotApplicable,
}

impl EvidenceStatus {
    pub const ALL: [EvidenceStatus; 4] =
        [EvidenceStatus::Planned, EvidenceStatus::InProgress, EvidenceStatus::Met, EvidenceStatus::NotApplicable];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceStatus::Planned => "planned",
            EvidenceStatus::InProgress => "in_progress",
            EvidenceStatus::Met => "met",
            EvidenceStatus::NotApplicable => "not_applicable",
        }
    }

    pub fn parse(s: &str) -> Option<EvidenceStatus> {
        EvidenceStatus::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// One piece of evidence against one requirement, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub requirement: String,
    pub status: EvidenceStatus,
    /// Where the evidence is: a document, a ticket, an attestation's reference.
    pub document: Option<String>,
    /// Who answers for the requirement.
    pub owner: Option<String>,
    /// The evidence's own date (an attestation's, a plan's).
    pub dated: Option<Date>,
    pub note: Option<String>,
    pub actor: String,
    pub at: String,
}

/// Why evidence cannot be recorded: the field and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct EvidenceError {
    pub field: &'static str,
    pub problem: String,
}

fn bad(field: &'static str, problem: impl Into<String>) -> EvidenceError {
    EvidenceError { field, problem: problem.into() }
}

/// The guidelines of `pack`, or an error saying the regime has none.
pub fn guidelines(pack: &Pack) -> Result<&VeuGuidelines, EvidenceError> {
    pack.veu_guidelines.as_ref().ok_or_else(|| {
        bad(
            "pack",
            format!(
                "{} ({}) has no data-centre VEU guidelines (Supp. No. 10 to part 748 came with 90 FR 4544)",
                pack.id, pack.citation
            ),
        )
    })
}

/// Checks evidence before it is recorded, as of `today`: a known requirement that binds this VEU, a document for
/// `met`, a note for `not_applicable`, no date after today.
pub fn check_evidence(pack: &Pack, reg: &Registration, e: &Evidence, today: Date) -> Result<(), EvidenceError> {
    let g = guidelines(pack)?;
    let r = g.requirements.iter().chain(&g.application).find(|r| r.id == e.requirement).ok_or_else(|| {
        let ids: Vec<&str> = g.requirements.iter().chain(&g.application).map(|r| r.id.as_str()).collect();
        bad(
            "requirement",
            format!("`{}` is not a requirement of {} (known: {})", e.requirement, g.title, ids.join(", ")),
        )
    })?;
    if !binds(pack, r.applies, reg, today) {
        return Err(bad(
            "requirement",
            format!("`{}` binds {}, not this {}", r.id, r.applies.words(), reg.kind.as_str().to_uppercase()),
        ));
    }
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    if e.status == EvidenceStatus::Met && !filled(&e.document) {
        return Err(bad("document", "evidence that a requirement is met names its document"));
    }
    if e.status == EvidenceStatus::NotApplicable && !filled(&e.note) {
        return Err(bad("note", "a requirement shown not to apply says why in the note"));
    }
    if let Some(d) = e.dated {
        if d > today {
            return Err(bad("dated", format!("{d} is after today ({today})")));
        }
    }
    Ok(())
}

/// Whether a requirement binds a VEU on `date`.
pub fn binds(pack: &Pack, applies: Applies, reg: &Registration, date: Date) -> bool {
    match applies {
        Applies::All => true,
        Applies::Uveu => reg.kind == VeuKind::Universal,
        Applies::UveuTier1 => {
            reg.kind == VeuKind::Universal
                && pack.in_groups(reg.headquarters, date, &pack.veu_eligibility.uveu_headquarters.value)
        }
        Applies::UveuUs => reg.kind == VeuKind::Universal && reg.headquarters == pack.united_states.value,
        Applies::Nveu => reg.kind == VeuKind::National,
    }
}

/// A requirement's standing on the date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Missing,
    Planned,
    InProgress,
    Met,
    NotApplicable,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Missing => "missing",
            Standing::Planned => "planned",
            Standing::InProgress => "in_progress",
            Standing::Met => "met",
            Standing::NotApplicable => "not_applicable",
        }
    }

    fn done(self) -> bool {
        matches!(self, Standing::Met | Standing::NotApplicable)
    }
}

/// One requirement in a readiness: its standing, its latest evidence, and when its certification is due.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    pub requirement: &'a Requirement,
    pub standing: Standing,
    pub evidence: Option<&'a Evidence>,
    /// How many pieces of evidence were recorded for it (the latest counts).
    pub recorded: usize,
    /// The deferred certification date (paragraphs 14, 15 and 18); none: with the application.
    pub due: Option<Date>,
    /// Due, passed on the date, and not done.
    pub overdue: bool,
}

/// Where a VEU or applicant stands on a date.
#[derive(Clone, Debug)]
pub struct Readiness<'a> {
    pub date: Date,
    pub guidelines: &'a VeuGuidelines,
    /// The requirements of Supp. No. 10 that bind it, in the pack's order.
    pub requirements: Vec<Line<'a>>,
    /// The Supp. No. 8 items its request gives.
    pub application: Vec<Line<'a>>,
    /// Requirements that do not bind it (a UVEU's limits for an NVEU), by id.
    pub not_binding: Vec<&'a str>,
    pub ready: bool,
}

impl Readiness<'_> {
    /// How many lines stand so, over both lists.
    pub fn count(&self, s: Standing) -> usize {
        self.requirements.iter().chain(&self.application).filter(|l| l.standing == s).count()
    }

    pub fn overdue(&self) -> usize {
        self.requirements.iter().filter(|l| l.overdue).count()
    }
}

/// The readiness of `reg` on `date` from its evidence (in the order recorded).
pub fn readiness<'a>(
    pack: &'a Pack,
    reg: &Registration,
    evidence: &'a [Evidence],
    date: Date,
) -> Result<Readiness<'a>, EvidenceError> {
    let g = guidelines(pack)?;
    let deferred = pack.security_compliance.value;
    let mut not_binding = Vec::new();
    let mut lines = |list: &'a [Requirement]| -> Vec<Line<'a>> {
        list.iter()
            .filter(|r| {
                let b = binds(pack, r.applies, reg, date);
                if !b {
                    not_binding.push(r.id.as_str());
                }
                b
            })
            .map(|r| {
                let mut mine = evidence.iter().filter(|e| e.requirement == r.id);
                let recorded = mine.clone().count();
                let latest = mine.next_back();
                let standing = match latest.map(|e| e.status) {
                    None => Standing::Missing,
                    Some(EvidenceStatus::Planned) => Standing::Planned,
                    Some(EvidenceStatus::InProgress) => Standing::InProgress,
                    Some(EvidenceStatus::Met) => Standing::Met,
                    Some(EvidenceStatus::NotApplicable) => Standing::NotApplicable,
                };
                let due = r.paragraph.filter(|p| g.deferred_paragraphs.contains(p)).map(|_| deferred);
                let overdue = due.is_some_and(|d| date > d) && !standing.done();
                Line { requirement: r, standing, evidence: latest, recorded, due, overdue }
            })
            .collect()
    };
    let requirements = lines(&g.requirements);
    let application = lines(&g.application);
    let ready = requirements.iter().chain(&application).all(|l| l.standing.done());
    Ok(Readiness { date, guidelines: g, requirements, application, not_binding, ready })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::sync::Arc;

    use time::macros::date;

    use super::*;
    use crate::builtin;
    use crate::country::Country;

    static PACK: std::sync::LazyLock<Pack> =
        std::sync::LazyLock::new(|| builtin::pack(builtin::countries().unwrap()).unwrap());

    fn c(code: &str) -> Country {
        PACK.countries.resolve(code).unwrap()
    }

    fn reg(kind: VeuKind, hq: &str) -> Registration {
        Registration {
            id: "dc".into(),
            kind,
            name: "DC".into(),
            headquarters: c(hq),
            ultimate_parent_headquarters: None,
            country: (kind == VeuKind::National).then(|| c("MY")),
        }
    }

    fn ev(requirement: &str, status: EvidenceStatus) -> Evidence {
        Evidence {
            requirement: requirement.into(),
            status,
            document: Some("doc".into()),
            owner: None,
            dated: None,
            note: Some("why".into()),
            actor: "t".into(),
            at: "2025-06-01T00:00:00Z".into(),
        }
    }

    fn ids<'a>(lines: &'a [Line<'a>]) -> Vec<&'a str> {
        lines.iter().map(|l| l.requirement.id.as_str()).collect()
    }

    /// The framework's pack holds every paragraph of Supp. No. 10 from 1 to 18, with 14, 15 and 18 deferred to
    /// the pack's security compliance date (2026-01-15); a regime before 90 FR 4544 has no guidelines.
    #[test]
    fn the_pack_holds_paragraphs_1_to_18() {
        let g = guidelines(&PACK).unwrap();
        let mut paragraphs: Vec<u32> = g.requirements.iter().filter_map(|r| r.paragraph).collect();
        paragraphs.dedup();
        assert_eq!(paragraphs, (1..=18).collect::<Vec<_>>());
        assert_eq!(g.deferred_paragraphs, [14, 15, 18]);
        assert_eq!(PACK.security_compliance.value, date!(2026 - 01 - 15));
        assert_eq!(ids_of(&g.application), ["B(2)", "B(6)", "B(9)", "B(10)", "B(11)"]);
        let regimes = builtin::regimes(&builtin::countries().unwrap()).unwrap();
        let before = regimes.pack("us-ac-2023-11").map(Arc::clone).unwrap();
        let e = guidelines(&before).unwrap_err();
        assert_eq!(e.field, "pack");
        assert!(e.problem.contains("no data-centre VEU guidelines"), "{e}");
    }

    fn ids_of(list: &[Requirement]) -> Vec<&str> {
        list.iter().map(|r| r.id.as_str()).collect()
    }

    /// Paragraphs 5 and 6 bind UVEUs only, 6.b a US-headquartered one; B(6) and B(11) of Supp. No. 8 NVEUs only.
    #[test]
    fn what_binds_depends_on_kind_and_headquarters() {
        let d = date!(2025 - 06 - 01);
        let nveu = readiness(&PACK, &reg(VeuKind::National, "MY"), &[], d).unwrap();
        assert_eq!(nveu.not_binding, ["5", "6.a", "6.b"]);
        assert!(ids(&nveu.application).contains(&"B(11)"));
        let us = readiness(&PACK, &reg(VeuKind::Universal, "US"), &[], d).unwrap();
        assert_eq!(us.not_binding, ["B(6)", "B(11)"]);
        let de = readiness(&PACK, &reg(VeuKind::Universal, "DE"), &[], d).unwrap();
        assert_eq!(de.not_binding, ["6.b", "B(6)", "B(11)"]);
        // A UVEU eligible through its parent, headquartered itself outside Supp. No. 5(a): paragraph 6's shares
        // are "only for entities headquartered in" Supp. No. 5(a).
        let mut sg = reg(VeuKind::Universal, "SG");
        sg.ultimate_parent_headquarters = Some(c("US"));
        let sg = readiness(&PACK, &sg, &[], d).unwrap();
        assert_eq!(sg.not_binding, ["6.a", "6.b", "B(6)", "B(11)"]);
    }

    /// Nothing recorded: every requirement missing, none overdue before 2026-01-15, the deferred ones overdue
    /// after it; the latest evidence counts; ready when every binding line is met or shown not to apply.
    #[test]
    fn standing_due_dates_and_readiness() {
        let r = reg(VeuKind::National, "MY");
        let before = readiness(&PACK, &r, &[], date!(2026 - 01 - 15)).unwrap();
        assert!(!before.ready);
        assert_eq!(before.count(Standing::Missing), before.requirements.len() + before.application.len());
        assert_eq!(before.overdue(), 0, "due on the day, not overdue");
        let after = readiness(&PACK, &r, &[], date!(2026 - 01 - 16)).unwrap();
        let overdue: Vec<&str> =
            after.requirements.iter().filter(|l| l.overdue).map(|l| l.requirement.id.as_str()).collect();
        assert_eq!(
            overdue,
            [
                "14", "14.a", "14.b", "14.c", "14.d", "14.e", "14.f.i", "14.f.ii", "14.f.iii", "15.a", "15.b",
                "15.c.i", "15.c.ii", "15.c.iii", "18.a", "18.b", "18.c"
            ]
        );
        assert!(after.requirements.iter().all(|l| l.due.is_some() == overdue.contains(&l.requirement.id.as_str())));

        // Latest wins: met, then found wanting.
        let evidence = [ev("14.b", EvidenceStatus::Met), ev("14.b", EvidenceStatus::InProgress)];
        let r14 = readiness(&PACK, &r, &evidence, date!(2026 - 02 - 01)).unwrap();
        let line = r14.requirements.iter().find(|l| l.requirement.id == "14.b").unwrap();
        assert_eq!((line.standing, line.recorded, line.overdue), (Standing::InProgress, 2, true));

        let all: Vec<Evidence> = before
            .requirements
            .iter()
            .chain(&before.application)
            .map(|l| {
                ev(
                    &l.requirement.id,
                    if l.requirement.id == "B(6)" { EvidenceStatus::NotApplicable } else { EvidenceStatus::Met },
                )
            })
            .collect();
        let done = readiness(&PACK, &r, &all, date!(2026 - 02 - 01)).unwrap();
        assert!(done.ready);
        assert_eq!((done.overdue(), done.count(Standing::NotApplicable)), (0, 1));
        let short = readiness(&PACK, &r, &all[1..], date!(2026 - 02 - 01)).unwrap();
        assert!(!short.ready, "one requirement without evidence");
    }

    /// Evidence is refused with the field at fault.
    #[test]
    fn evidence_is_checked_before_it_is_recorded() {
        let today = date!(2025 - 06 - 01);
        let nveu = reg(VeuKind::National, "MY");
        let field = |e: Evidence, r: &Registration| check_evidence(&PACK, r, &e, today).err().map(|e| e.field);
        assert_eq!(field(ev("14.b", EvidenceStatus::Met), &nveu), None);
        assert_eq!(field(ev("99", EvidenceStatus::Met), &nveu), Some("requirement"));
        assert_eq!(field(ev("6.a", EvidenceStatus::Met), &nveu), Some("requirement"), "binds UVEUs only");
        assert_eq!(field(Evidence { document: None, ..ev("1", EvidenceStatus::Met) }, &nveu), Some("document"));
        assert_eq!(
            field(Evidence { document: Some("  ".into()), ..ev("1", EvidenceStatus::Met) }, &nveu),
            Some("document")
        );
        assert_eq!(field(Evidence { note: None, ..ev("1", EvidenceStatus::NotApplicable) }, &nveu), Some("note"));
        assert_eq!(field(Evidence { document: None, ..ev("1", EvidenceStatus::Planned) }, &nveu), None);
        assert_eq!(
            field(Evidence { dated: Some(date!(2025 - 06 - 02)), ..ev("1", EvidenceStatus::Met) }, &nveu),
            Some("dated")
        );
    }
}
