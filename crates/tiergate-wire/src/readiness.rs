//! VEU readiness on the wire: evidence as recorded and requested (`tiergate veu evidence`, `POST
//! /v1/veus/{id}/evidence`), and the readiness report (`tiergate veu readiness`, `GET /v1/veus/{id}/readiness`) as
//! JSON, Markdown, or HTML that prints well on paper.

use serde::{Deserialize, Serialize};
use tiergate_core::veu::Registration;
use tiergate_core::veu_readiness::{Evidence, EvidenceStatus, Line, Readiness, Standing};
use tiergate_core::Pack;

use crate::document::{self, Block};

/// The longest document reference, owner or note taken.
pub const MAX_TEXT: usize = 1000;

/// Evidence against one requirement, as a request gives it and as it is stored (with who and when beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    /// The requirement's id in the pack: `14.b`, `18.c`, `B(6)`.
    pub requirement: String,
    /// `planned`, `in_progress`, `met` (needs `document`) or `not_applicable` (needs `note`).
    pub status: String,
    /// Where the evidence is: a document, a ticket, an attestation's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Who answers for the requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The evidence's own date, `YYYY-MM-DD` (an attestation's, a plan's); not after today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl EvidenceBody {
    /// The evidence it gives, recorded by `actor` at `at`; a bad field is named.
    pub fn evidence(&self, actor: &str, at: &str) -> Result<Evidence, (&'static str, String)> {
        let status = EvidenceStatus::parse(&self.status).ok_or_else(|| {
            let names: Vec<&str> = EvidenceStatus::ALL.iter().map(|s| s.as_str()).collect();
            ("status", format!("`{}` is not one of {}", self.status, names.join(", ")))
        })?;
        let text = |field: &'static str, v: &Option<String>| -> Result<Option<String>, (&'static str, String)> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) if t.chars().count() > MAX_TEXT => {
                    Err((field, format!("is longer than {MAX_TEXT} characters")))
                }
                Some(t) if t.chars().any(|c| c.is_control() && c != '\n') => {
                    Err((field, "holds control characters".to_owned()))
                }
                Some(t) => Ok(Some(t.to_owned())),
            }
        };
        let dated = match self.dated.as_deref() {
            None => None,
            Some(d) => Some(
                tiergate_core::units::parse_date(d)
                    .ok_or_else(|| ("dated", format!("`{d}` is not a date in the form YYYY-MM-DD")))?,
            ),
        };
        Ok(Evidence {
            requirement: self.requirement.trim().to_owned(),
            status,
            document: text("document", &self.document)?,
            owner: text("owner", &self.owner)?,
            dated,
            note: text("note", &self.note)?,
            actor: actor.to_owned(),
            at: at.to_owned(),
        })
    }

    /// As stored: the checked evidence's fields.
    pub fn of(e: &Evidence) -> EvidenceBody {
        EvidenceBody {
            requirement: e.requirement.clone(),
            status: e.status.as_str().to_owned(),
            document: e.document.clone(),
            owner: e.owner.clone(),
            dated: e.dated.map(tiergate_core::units::date_text),
            note: e.note.clone(),
        }
    }

    /// A stored body read back, with who recorded it and when.
    pub fn read(body: &str, actor: &str, at: &str) -> Result<Evidence, String> {
        let b: EvidenceBody =
            serde_json::from_str(body).map_err(|e| format!("a stored piece of VEU evidence does not read: {e}"))?;
        b.evidence(actor, at).map_err(|(f, p)| format!("a stored piece of VEU evidence does not read: {f}: {p}"))
    }
}

/// Evidence as the report shows it.
#[derive(Serialize)]
pub struct EvidenceOut<'a> {
    pub status: &'static str,
    pub document: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub dated: Option<String>,
    pub note: Option<&'a str>,
    pub recorded_by: &'a str,
    pub recorded_at: &'a str,
}

/// One requirement in the report.
#[derive(Serialize)]
pub struct LineOut<'a> {
    pub id: &'a str,
    pub paragraph: Option<u32>,
    pub section: Option<&'a str>,
    pub heading: Option<&'a str>,
    pub text: &'a str,
    /// `missing`, `planned`, `in_progress`, `met` or `not_applicable`.
    pub standing: &'static str,
    /// The deferred certification date (paragraphs 14, 15 and 18); null: with the application.
    pub due: Option<String>,
    pub overdue: bool,
    /// Pieces of evidence recorded for it; the latest is `evidence`.
    pub recorded: usize,
    pub evidence: Option<EvidenceOut<'a>>,
}

impl<'a> LineOut<'a> {
    fn of(l: &Line<'a>) -> LineOut<'a> {
        let r = l.requirement;
        LineOut {
            id: &r.id,
            paragraph: r.paragraph,
            section: r.section.as_deref(),
            heading: r.heading.as_deref(),
            text: &r.text,
            standing: l.standing.as_str(),
            due: l.due.map(tiergate_core::units::date_text),
            overdue: l.overdue,
            recorded: l.recorded,
            evidence: l.evidence.map(|e| EvidenceOut {
                status: e.status.as_str(),
                document: e.document.as_deref(),
                owner: e.owner.as_deref(),
                dated: e.dated.map(tiergate_core::units::date_text),
                note: e.note.as_deref(),
                recorded_by: &e.actor,
                recorded_at: &e.at,
            }),
        }
    }
}

/// How many lines stand so.
#[derive(Serialize)]
pub struct CountsOut {
    pub missing: usize,
    pub planned: usize,
    pub in_progress: usize,
    pub met: usize,
    pub not_applicable: usize,
    /// Deferred requirements past their date and not done.
    pub overdue: usize,
}

/// The readiness report (`tiergate veu readiness --format json`).
#[derive(Serialize)]
pub struct ReadinessOut<'a> {
    pub id: &'a str,
    /// `uveu` or `nveu`.
    pub kind: &'static str,
    pub name: &'a str,
    pub headquarters: &'a str,
    pub country: Option<&'a str>,
    /// An applicant, not (yet) a registered VEU.
    pub applicant: bool,
    pub date: String,
    pub ready: bool,
    /// One sentence: where it stands.
    pub summary: String,
    pub counts: CountsOut,
    pub guidelines: &'a str,
    pub citation: &'a str,
    pub deferred_paragraphs: &'a [u32],
    pub deferred_until: String,
    pub deferred_citation: &'a str,
    pub requirements: Vec<LineOut<'a>>,
    pub application_citation: &'a str,
    /// The items of Supp. No. 8 its request gives.
    pub application: Vec<LineOut<'a>>,
    /// Requirements that do not bind it, by id.
    pub not_binding: &'a [&'a str],
    pub pack: &'a str,
    pub sha256: &'a str,
}

impl<'a> ReadinessOut<'a> {
    pub fn new(pack: &'a Pack, reg: &'a Registration, applicant: bool, r: &'a Readiness<'a>) -> ReadinessOut<'a> {
        let g = r.guidelines;
        let counts = CountsOut {
            missing: r.count(Standing::Missing),
            planned: r.count(Standing::Planned),
            in_progress: r.count(Standing::InProgress),
            met: r.count(Standing::Met),
            not_applicable: r.count(Standing::NotApplicable),
            overdue: r.overdue(),
        };
        let total = r.requirements.len() + r.application.len();
        let done = counts.met + counts.not_applicable;
        let summary = if r.ready {
            format!("Ready: all {total} requirements that bind it are met or shown not to apply.")
        } else {
            let overdue = match counts.overdue {
                0 => String::new(),
                n => format!(
                    "; {n} of paragraphs {} are overdue (due {})",
                    list(&g.deferred_paragraphs),
                    pack.security_compliance.value
                ),
            };
            format!(
                "Not ready: {done} of {total} requirements met or shown not to apply, {} under way (planned or in progress), {} with no evidence{overdue}.",
                counts.planned + counts.in_progress,
                counts.missing
            )
        };
        ReadinessOut {
            id: &reg.id,
            kind: reg.kind.as_str(),
            name: &reg.name,
            headquarters: pack.countries.code(reg.headquarters),
            country: reg.country.map(|c| pack.countries.code(c)),
            applicant,
            date: tiergate_core::units::date_text(r.date),
            ready: r.ready,
            summary,
            counts,
            guidelines: &g.title,
            citation: &g.citation,
            deferred_paragraphs: &g.deferred_paragraphs,
            deferred_until: tiergate_core::units::date_text(pack.security_compliance.value),
            deferred_citation: &pack.security_compliance.citation,
            requirements: r.requirements.iter().map(LineOut::of).collect(),
            application_citation: &g.application_citation,
            application: r.application.iter().map(LineOut::of).collect(),
            not_binding: &r.not_binding,
            pack: &pack.id,
            sha256: &pack.sha256,
        }
    }

    fn blocks(&self) -> Vec<Block> {
        let kind = if self.kind == "uveu" { "Universal" } else { "National" };
        let mut b = vec![
            Block::Title(format!("VEU readiness: {} ({})", self.name, self.id)),
            Block::Lead(self.summary.clone()),
        ];
        let mut facts = vec![
            ("Authorization".to_owned(), format!("{kind} VEU{}", if self.applicant { ", applicant" } else { "" })),
            ("Headquarters".to_owned(), self.headquarters.to_owned()),
        ];
        if let Some(c) = self.country {
            facts.push(("Country authorized".to_owned(), c.to_owned()));
        }
        facts.extend([
            ("As of".to_owned(), self.date.clone()),
            ("Guidelines".to_owned(), format!("{} ({})", self.guidelines, self.citation)),
            (
                "Deferred certification".to_owned(),
                format!(
                    "paragraphs {} by {} ({})",
                    list(self.deferred_paragraphs),
                    self.deferred_until,
                    self.deferred_citation
                ),
            ),
            ("Rule pack".to_owned(), format!("{} (sha256 {})", self.pack, self.sha256)),
        ]);
        b.push(Block::Facts(facts));
        let missing: Vec<String> = self
            .requirements
            .iter()
            .chain(&self.application)
            .filter(|l| l.standing != "met" && l.standing != "not_applicable")
            .map(|l| {
                let due = if l.overdue { " (overdue)" } else { "" };
                format!("{} {}: {}{due}", l.id, l.heading.unwrap_or(""), l.standing.replace('_', " "))
            })
            .collect();
        if !missing.is_empty() {
            b.push(Block::Heading("What is missing".into()));
            b.push(Block::Items(missing));
        }
        b.push(Block::Heading(format!("Supplement No. 10 to part 748 ({} requirements)", self.requirements.len())));
        b.push(table(&self.requirements));
        if !self.application.is_empty() {
            b.push(Block::Heading("Information for the request (Supplement No. 8 to part 748)".into()));
            b.push(Block::Para(format!("From {}.", self.application_citation)));
            b.push(table(&self.application));
        }
        if !self.not_binding.is_empty() {
            b.push(Block::Para(format!("Not binding on this {kind} VEU: {}.", self.not_binding.join(", "))));
        }
        b
    }

    pub fn markdown(&self) -> String {
        document::markdown(&self.blocks())
    }

    pub fn html(&self) -> String {
        document::html(&format!("VEU readiness: {}", self.id), &self.blocks())
    }
}

fn table(lines: &[LineOut<'_>]) -> Block {
    Block::Table {
        head: ["Requirement", "What it asks", "Standing", "Evidence", "Owner", "Dated", "Due"]
            .map(str::to_owned)
            .to_vec(),
        rows: lines
            .iter()
            .map(|l| {
                let e = l.evidence.as_ref();
                let evidence = e
                    .map(|e| {
                        let doc = e.document.unwrap_or("");
                        match e.note {
                            Some(n) if doc.is_empty() => n.to_owned(),
                            Some(n) => format!("{doc} ({n})"),
                            None => doc.to_owned(),
                        }
                    })
                    .unwrap_or_default();
                let heading = l.heading.map(|h| format!("{h}: ")).unwrap_or_default();
                let standing = if l.overdue { format!("{} (overdue)", l.standing) } else { l.standing.to_owned() };
                vec![
                    l.id.to_owned(),
                    format!("{heading}{}", l.text),
                    standing.replace('_', " "),
                    evidence,
                    e.and_then(|e| e.owner).unwrap_or("").to_owned(),
                    e.and_then(|e| e.dated.clone()).unwrap_or_default(),
                    l.due.clone().unwrap_or_else(|| "with the application".to_owned()),
                ]
            })
            .collect(),
    }
}

fn list(ps: &[u32]) -> String {
    let ps: Vec<String> = ps.iter().map(u32::to_string).collect();
    match ps.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => ps.join(""),
    }
}
