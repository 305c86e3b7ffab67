//! RULE.md §4.2: License Exception AIA (15 CFR 740.27).

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.2: License Exception AIA.
    pub(super) fn aia(&mut self) -> Option<Outcome> {
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
}
