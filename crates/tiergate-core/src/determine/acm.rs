//! RULE.md §4.4: License Exception ACM (15 CFR 740.28).

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.4: License Exception ACM.
    pub(super) fn acm(&mut self) -> Option<Outcome> {
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
}
