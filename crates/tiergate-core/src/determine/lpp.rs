//! RULE.md §4.6: License Exception LPP (15 CFR 740.29).

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.6: License Exception LPP.
    pub(super) fn lpp(&mut self) -> Option<Outcome> {
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
}
