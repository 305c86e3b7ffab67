//! The evaluator's own tools: the facts of a request worked out once, and how reasons, obligations and
//! notes are gathered while authorizations are tried.

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    pub(super) fn new(
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
        // The headquarters rule makes such an entity Tier 3 wherever it is; the exceptions' own exclusions of
        // Macau/D:5-headquartered entities (ACA, ACM, LPP) stand apart from it and read `hq_t3` themselves.
        let tier = if dest_t3 || (hq_t3 && pack.tier3_headquarters.value) {
            Tier::Three
        } else if snap.tier1.contains(dest) {
            Tier::One
        } else {
            Tier::Two
        };
        let d = code(pack, dest);
        let (text, citation) = match tier {
            _ if !pack.regime.tiers => match (dest_t3, hq_t3) {
                (true, _) => (format!("destination {d} is Macau or in Country Group D:5"), &pack.tier3_citation),
                (false, true) => (
                    format!(
                        "the consignee is headquartered in {}, its ultimate parent in {}: a Macau/D:5 headquarters",
                        code(pack, hq),
                        code(pack, parent)
                    ),
                    &pack.tier3_citation,
                ),
                (false, false) => (
                    format!("destination {d} is not Macau or in Country Group D:5, nor is the consignee headquartered there (this regime has no tiers)"),
                    &pack.tier2_citation,
                ),
            },
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
        if pack.regime.tiers && hq_t3 && !dest_t3 && !pack.tier3_headquarters.value {
            reasons.push(Reason {
                text: format!(
                    "the consignee is headquartered in {}, its ultimate parent in {}: a Macau/D:5 headquarters, but this pack does not apply the headquarters rule (tiers.tier3_headquarters is false), so the destination's tier stands",
                    code(pack, hq),
                    code(pack, parent)
                )
                .into(),
                citation: &pack.tier3_headquarters.citation,
            });
        }
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

    /// A note for each dated group change that rests on less than the regulation's words and touches this
    /// request's destination or headquarters on or after its date.
    pub(super) fn uncertain_changes(&mut self) {
        let p = self.pack;
        // Changes made together share their doubt: say it once.
        let mut said: Vec<&str> = Vec::new();
        for ch in &p.uncertain_changes {
            let touched = [self.dest, self.hq, self.parent].into_iter().any(|c| ch.countries.contains(c));
            if self.req.date >= ch.from && touched && !said.contains(&ch.otherwise.as_str()) {
                said.push(&ch.otherwise);
                self.notes.push(Reason {
                    text: format!(
                        "a change of the country groups dated {} here rests on {} sources only; if it were otherwise, {}",
                        ch.date,
                        ch.confidence.as_str(),
                        ch.otherwise
                    )
                    .into(),
                    citation: &ch.citation,
                });
            }
        }
    }

    /// Reading R8 decides a duty only where an amount sits exactly on its threshold, the one case in which
    /// `due` answers differently under the two readings: the answer then names the reading.
    pub(super) fn r8(&mut self, due: impl Fn(ReportingThreshold) -> bool, duty: &str, citation: &'p str) {
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
    pub(super) fn try_step(&mut self, step: Step) -> Option<Outcome> {
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

    pub(super) fn because(&mut self, citation: &'p str, text: impl Into<std::borrow::Cow<'p, str>>) {
        let text = text.into();
        self.reasons.push(Reason { text, citation });
    }

    pub(super) fn oblige(&mut self, id: &str) {
        if let Some(o) = self.pack.obligation(id) {
            self.obligations.push(Reason { text: o.text.as_str().into(), citation: &o.citation });
        }
    }

    pub(super) fn tpp_total(&self) -> Tpp {
        self.classification.tpp_total.unwrap_or(Tpp::ZERO)
    }

    pub(super) fn hardware(&self) -> Option<(ControlClass, bool)> {
        match self.classification.control {
            Control::Hardware { class, datacenter } => Some((class, datacenter)),
            _ => None,
        }
    }

    pub(super) fn is_weights(&self) -> bool {
        self.classification.control == Control::ModelWeights
    }

    pub(super) fn in_tier1(&self, c: Country) -> bool {
        self.snap.tier1.contains(c)
    }

    /// Whether `scope` covers this request's transaction; if not, says so in the text's own words.
    pub(super) fn covers(&mut self, name: &str, scope: &'p Scope) -> bool {
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
    pub(super) fn requirement_covers(&mut self, which: &str, req: &'p Scope) -> bool {
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
    pub(super) fn hq_pair_in_tier1(&self) -> bool {
        self.in_tier1(self.hq) || self.in_tier1(self.parent)
    }

    /// `headquartered in XX, its ultimate parent in YY`.
    pub(super) fn headquarters(&self) -> String {
        let p = self.pack;
        if self.hq == self.parent {
            format!("headquartered in {} (as is its ultimate parent)", code(p, self.hq))
        } else {
            format!("headquartered in {}, its ultimate parent in {}", code(p, self.hq), code(p, self.parent))
        }
    }
}
