//! RULE.md §4.5: Universal and National Validated End Users (15 CFR 748.15).

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.5: Data Center VEU, universal or national.
    pub(super) fn veu(&mut self) -> Option<Outcome> {
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
                if !self.covers("UVEU", &p.scopes.uveu) {
                    return None;
                }
                let why_not = if !self.hq_pair_in_tier1() {
                    Some(format!("the consignee is {}: a UVEU \"must be headquartered in, or have their ultimate parent company headquartered in\" Supp. No. 5(a)", self.headquarters()))
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
                        "UVEU: the consignee is {} (Supp. No. 5(a)) and {} is not Macau/D:5",
                        self.headquarters(),
                        code(p, self.dest)
                    ),
                );
                for o in ["veu_security", "veu_reports", "uveu_transfer_notice", "uveu_new_location_notice"] {
                    self.oblige(o);
                }
                self.veu_training_bar();
                Outcome::plain(Authorization::Uveu)
            }
            VeuClaim::National { country, id } => {
                if !self.covers("NVEU", &p.scopes.nveu) {
                    return None;
                }
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
                let installed = self.req.context.nveu_installed;
                let draw = self.tpp_total().whole_ceil();
                let after = installed.amount().saturating_add(draw);
                let base = installed.describe("the NVEU's installed base");
                if after > cap {
                    self.because(&p.nveu.citation, format!(
                        "the consignee's NVEU does not apply: {base}; with this shipment's {} TPP that is {}, above the cumulative cap of {} for {quarter}",
                        g(draw), g(after), g(cap)
                    ));
                    return None;
                }
                self.because(&p.nveu.citation, format!(
                    "NVEU for {}: {base}; with this shipment's {} TPP that is {}, within the cumulative cap of {} for {quarter}",
                    code(p, country), g(draw), g(after), g(cap)
                ));
                self.oblige("veu_security");
                self.oblige("veu_reports");
                self.veu_training_bar();
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

    /// Supp. No. 10 ¶7: a VEU may not train a 4E091 model outside Supp. No. 5(a) without authorization.
    pub(super) fn veu_training_bar(&mut self) {
        if self.req.end_use == EndUse::Training && !self.in_tier1(self.dest) {
            self.oblige("veu_training");
        }
    }
}
