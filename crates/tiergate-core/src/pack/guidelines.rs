//! Supplement No. 10 to part 748 as a pack holds it (`[veu_guidelines]`): the requirements a data-centre VEU
//! certifies, and the items of Supp. No. 8 its request gives. Checked here; read by `crate::veu_readiness`.

use std::collections::HashSet;

use super::model::{Applies, Requirement, VeuGuidelines};
use super::raw::{RawRequirement, RawVeuGuidelines};
use super::values::Builder;
use crate::DataError;

impl Builder<'_> {
    /// The guidelines, or none when the pack lists no requirement (a regime before 90 FR 4544 empties the list).
    pub(super) fn veu_guidelines(&self, raw: Option<&RawVeuGuidelines>) -> Result<Option<VeuGuidelines>, DataError> {
        let Some(g) = raw.filter(|g| !g.requirements.is_empty()) else { return Ok(None) };
        let mut seen = HashSet::new();
        let mut list = |key: &str, items: &[RawRequirement], paragraphs: bool| -> Result<Vec<Requirement>, DataError> {
            items
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let key = format!("veu_guidelines.{key}[{i}]");
                    let id = self.text(&format!("{key}.id"), &r.id)?;
                    if id.len() > 16 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "().".contains(c)) {
                        return Err(
                            self.err(&format!("{key}.id"), format!("`{id}` is not a short id such as 14.b or B(6)"))
                        );
                    }
                    if !seen.insert(id.clone()) {
                        return Err(self.err(&format!("{key}.id"), format!("`{id}` is listed twice")));
                    }
                    let paragraph = match (paragraphs, r.paragraph) {
                        (true, Some(p)) if (1..=99).contains(&p) => Some(p),
                        (true, _) => {
                            return Err(self.err(&format!("{key}.paragraph"), "must be a paragraph number, 1 to 99"))
                        }
                        (false, Some(_)) => {
                            return Err(
                                self.err(&format!("{key}.paragraph"), "is for requirements of Supp. No. 10 only")
                            )
                        }
                        (false, None) => None,
                    };
                    let applies =
                        self.choice(&format!("{key}.applies"), &r.applies, &Applies::ALL.map(|a| (a.as_str(), a)))?;
                    Ok(Requirement {
                        id,
                        paragraph,
                        section: r.section.as_deref().map(|s| self.text(&format!("{key}.section"), s)).transpose()?,
                        heading: r.heading.as_deref().map(|s| self.text(&format!("{key}.heading"), s)).transpose()?,
                        applies,
                        text: self.text(&format!("{key}.text"), &r.text)?,
                    })
                })
                .collect()
        };
        let requirements = list("requirements", &g.requirements, true)?;
        let application = list("application", &g.application, false)?;
        for p in &g.deferred_paragraphs {
            if !requirements.iter().any(|r| r.paragraph == Some(*p)) {
                return Err(self.err("veu_guidelines.deferred_paragraphs", format!("paragraph {p} has no requirement")));
            }
        }
        Ok(Some(VeuGuidelines {
            title: self.text("veu_guidelines.title", &g.title)?,
            citation: self.text("veu_guidelines.citation", &g.citation)?,
            deferred_paragraphs: g.deferred_paragraphs.clone(),
            application_citation: self.text("veu_guidelines.application_citation", &g.application_citation)?,
            requirements,
            application,
        }))
    }
}
