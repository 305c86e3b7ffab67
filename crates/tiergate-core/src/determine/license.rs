//! RULE.md §4.7: a license, its review policy, and the country allocation it draws on.

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.7: a license, with its review policy.
    pub(super) fn license(&mut self) -> Outcome {
        let p = self.pack;
        // The framework added these three (Supp. No. 2 to part 748, (c)(3) and (c)(4); 750.7(g) as revised).
        if let (Some((ControlClass::A, _)), true) = (self.hardware(), p.regime.tiers) {
            self.oblige("license_purchase_order");
            self.oblige("license_tpp_per_country");
            self.oblige("license_validity");
        }
        if self.tier == Tier::Three {
            if let Some(band) = self.china_band() {
                return band;
            }
            if let Some((ControlClass::B, _)) = self.hardware() {
                self.because(&p.policy.b_class_denial, format!("license required; presumption of denial for .b-class items to or within Macau/D:5 or to an entity {} (Macau/D:5)", self.headquarters()));
            } else {
                self.because(&p.policy.tier3_denial, "license required; presumption of denial for Macau/D:5 destinations and Macau/D:5-headquartered entities");
            }
            return license(ReviewPolicy::Denial, None);
        }
        if !p.regime.tiers {
            self.because(&p.policy.outside_denial_approval, format!(
                "license required; presumption of approval: neither the destination {} nor the consignee's headquarters is Macau or in Country Group D:5, and this regime sets no allocation",
                code(p, self.dest)
            ));
            return license(ReviewPolicy::Approval, None);
        }
        if self.is_weights() {
            if !self.in_tier1(self.hq) || !self.in_tier1(self.parent) {
                self.because(&p.policy.model_weights_denial, format!(
                    "license required; presumption of denial for 4E091 to an end user headquartered, or with an ultimate parent headquartered, outside Supp. No. 5(a): the consignee is {}",
                    self.headquarters()
                ));
                return license(ReviewPolicy::Denial, None);
            }
            self.because(&p.policy.case_by_case, "license required; the rule sets no review presumption for 4E091 to a Supp. No. 5(a)-headquartered end user that cannot use AIA");
            return license(ReviewPolicy::CaseByCase, None);
        }
        if self.tier == Tier::One {
            self.because(
                &p.policy.tier1_approval,
                format!(
                    "license required; presumption of approval for Supp. No. 5(a) destination {}",
                    code(p, self.dest)
                ),
            );
            return license(ReviewPolicy::Approval, None);
        }
        if let Some((ControlClass::B, _)) = self.hardware() {
            self.because(
                &p.policy.b_class,
                "license required; presumption of approval for .b-class items outside Macau/D:5",
            );
            return license(ReviewPolicy::Approval, None);
        }
        if self.hq_pair_in_tier1() {
            match p.readings.supp5a_headquarters_in_tier2 {
                Supp5aHeadquarters::Approval => {
                    self.because(&p.policy.tier1_approval, format!(
                        "license required; presumption of approval for an entity {}, in Supp. No. 5(a), outside any allocation (reading R10: approval; under allocation, the request would be judged against {}'s allocation)",
                        self.headquarters(),
                        code(p, self.dest)
                    ));
                    return license(ReviewPolicy::Approval, None);
                }
                Supp5aHeadquarters::Allocation => {
                    self.because(&p.policy.within_allocation, format!(
                        "the consignee is {}, in Supp. No. 5(a), which 742.6(b)(10)(iii)(A)(2) presumes approval for; the destination {} is Tier 2, which (B) judges against its allocation: the allocation governs (reading R10: allocation; under approval, the license would be presumed approved outside any allocation)",
                        self.headquarters(),
                        code(p, self.dest)
                    ));
                }
            }
        }
        self.allocation()
    }

    /// §4.7 and §5: a Tier 2 license for .a-class items, judged against a country allocation.
    pub(super) fn allocation(&mut self) -> Outcome {
        let p = self.pack;
        let pool_country = allocation_country(self.req, p);
        match p.readings.allocation_pool {
            AllocationPool::Destination => {}
            AllocationPool::Headquarters => {
                if self.in_tier1(self.hq) {
                    self.because(&p.policy.tier1_approval, format!(
                        "license required; presumption of approval for an entity headquartered in Supp. No. 5(a) ({}) (reading R7: headquarters)",
                        code(p, self.hq)
                    ));
                    return license(ReviewPolicy::Approval, None);
                }
            }
        }
        let cc = code(p, pool_country);
        let Some(cap) = p.country_allocation(pool_country, self.req.date) else {
            self.because(&p.allocation.period_citation, format!(
                "license required; the rule sets no country allocation for {} (allocations cover {} to {}), so no presumption applies",
                self.req.date, p.allocation.period_from, p.allocation.period_to
            ));
            return license(ReviewPolicy::CaseByCase, None);
        };
        let balance = self.req.context.country_licensed;
        let licensed = balance.amount();
        let draw = self.tpp_total().whole_ceil();
        let after = licensed.saturating_add(draw);
        let known = balance.describe(&format!("the TPP licensed against {cc}'s allocation"));
        if balance.is_unknown() {
            self.notes.push(Reason {
                text: format!("no licensed total was given for {cc}'s allocation; this answer assumes none has been licensed. BIS publishes whether allocations have been met (bis.gov/advanced-compute-resources); check before relying on it").into(),
                citation: &p.allocation.country_tpp.citation,
            });
        }
        let within = match p.readings.allocation_test {
            AllocationTest::AfterRequest => after <= cap,
            AllocationTest::BeforeRequest => licensed < cap,
        };
        let doubled = if self.snap.assurances.contains(pool_country) {
            format!(" (raised to {} % under Supp. No. 5(b) assurances)", p.allocation.assurance_percent.value)
        } else {
            String::new()
        };
        let pool = format!("country:{cc}");
        let r7 = self.r7_other(pool_country);
        if within {
            self.because(&p.policy.within_allocation, format!(
                "license required; presumption of approval: {known}; with this request's {} TPP that is {}, within its {} allocation{doubled}{}{r7}",
                g(draw), g(after), g(cap), r6_other(p.readings.allocation_test, true)
            ));
            let remaining = cap.saturating_sub(after);
            license(
                ReviewPolicy::Approval,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
        } else {
            let remaining = cap.saturating_sub(licensed);
            self.because(&p.policy.beyond_allocation, format!(
                "license required; presumption of denial: {known}; with this request's {} TPP that would be {}, over its {} allocation{doubled}; {} TPP remain, so a request of at most that much is within it{}{r7}",
                g(draw), g(after), g(cap), g(remaining), r6_other(p.readings.allocation_test, false)
            ));
            license(
                ReviewPolicy::Denial,
                Some(AllocationEffect { pool, tpp: draw, remaining_tpp: remaining, cap_tpp: cap }),
            )
        }
    }
}
