//! 91 FR 1684 (effective 2026-01-15): case-by-case review, instead of the presumption of denial, for advanced
//! computing commodities below both of the pack's numbers (TPP and total DRAM bandwidth), exported from the United
//! States to end users located in China or Macau, subject to certifications and an aggregate cap that the answer
//! carries as obligations. Everything else bound for Macau/D:5 keeps the presumption of denial.

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// The case-by-case band, when the pack has one and the request falls in it; `None` otherwise, with a reason
    /// or a note saying why it did not apply where it could have.
    pub(super) fn china_band(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let band = p.china_review.as_ref()?;
        self.hardware()?;
        if !self.snap.china_review.contains(self.dest) {
            return None;
        }
        let d = code(p, self.dest);
        if !band.scope.covers(self.req.transaction) {
            self.because(&band.scope.citation, format!(
                "the case-by-case review of 91 FR 1684 covers the {} only (\"{}\"), not {}: the presumption of denial stands",
                band.scope.names(),
                band.scope.quote,
                self.req.transaction.with_article()
            ));
            return None;
        }
        let tpp = self.classification.ic_tpp?;
        let tpp_limit = band.tpp_below.value;
        let bw_limit = band.dram_bandwidth_below.value;
        if tpp >= tpp_limit {
            self.because(&band.tpp_below.citation, format!(
                "the IC's TPP {tpp} is not below {tpp_limit}, so the case-by-case review of 91 FR 1684 for {d} does not reach it: the presumption of denial stands"
            ));
            return None;
        }
        let Some(bw) = self.classification.dram_bandwidth else {
            self.notes.push(Reason {
                text: format!(
                    "the IC's TPP {tpp} is below {tpp_limit}, but no total DRAM bandwidth was given: with one below {bw_limit} GB/s (`dram_bandwidth_gbps`), an export from the United States to an end user located in {d} would be reviewed case by case rather than presumed denied"
                )
                .into(),
                citation: &band.dram_bandwidth_below.citation,
            });
            return None;
        };
        if bw >= bw_limit {
            self.because(&band.dram_bandwidth_below.citation, format!(
                "the IC's total DRAM bandwidth {bw} GB/s is not below {bw_limit} GB/s, so the case-by-case review of 91 FR 1684 for {d} does not reach it: the presumption of denial stands"
            ));
            return None;
        }
        self.because(&band.destinations_citation, format!(
            "license required; case-by-case review: {} to an end user located in {d} of a commodity whose IC has TPP {tpp} (below {tpp_limit}) and total DRAM bandwidth {bw} GB/s (below {bw_limit} GB/s), subject to the conditions below",
            self.req.transaction.with_article()
        ));
        if let Some(n) = self.classification.ics_per_unit.filter(|n| *n > 1) {
            self.notes.push(Reason {
                text: format!(
                    "the band was tested on each IC's TPP and DRAM bandwidth; read on the unit's aggregate ({n} ICs), the unit would be outside it and the presumption of denial would stand"
                )
                .into(),
                citation: &band.tpp_below.citation,
            });
        }
        for c in &band.conditions {
            self.obligations.push(Reason { text: c.text.as_str().into(), citation: &c.citation });
        }
        if let Some((confidence, otherwise)) = &band.doubt {
            self.notes.push(Reason {
                text: format!("the conditions of this review rest on {} sources: {otherwise}", confidence.as_str())
                    .into(),
                citation: &band.scope.citation,
            });
        }
        Some(license(ReviewPolicy::CaseByCase, None))
    }
}
