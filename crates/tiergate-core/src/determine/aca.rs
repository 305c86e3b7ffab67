//! RULE.md §4.3: License Exceptions ACA and NAC (15 CFR 740.8).

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.3: License Exceptions ACA and NAC.
    pub(super) fn aca(&mut self) -> Option<Outcome> {
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
        if !p.aca_split {
            // Before 89 FR 23876 (2024-04-04) NAC covered these destinations too, without notification.
            if !self.covers("NAC", &p.scopes.nac) {
                return None;
            }
            self.because(&p.nac_citation, format!(
                "NAC: {} of .b-class or non-data-centre items to or within {d}, outside Macau/D:5, for a consignee {}; notification is due only for Macau/D:5",
                self.req.transaction.with_article(),
                self.headquarters()
            ));
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
}
