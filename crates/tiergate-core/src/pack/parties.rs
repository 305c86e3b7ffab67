//! The `[parties]` section: what a listing does to a determination, and the Affiliates rule by date.

use super::raw::*;
use super::values::Builder;
use crate::affiliates::AffiliatesRule;
use crate::determine::ReviewPolicy;
use crate::parties::{fold, ListRule, PartyRole, PartyRules};
use crate::registry::Share;
use crate::DataError;

impl Builder<'_> {
    pub(super) fn parties(&self, raw: &RawParties) -> Result<PartyRules, DataError> {
        const POLICIES: [(&str, ReviewPolicy); 3] = [
            ("approval", ReviewPolicy::Approval),
            ("case_by_case", ReviewPolicy::CaseByCase),
            ("denial", ReviewPolicy::Denial),
        ];
        let mut entry_policies = Vec::with_capacity(raw.entry_policies.len());
        for (i, e) in raw.entry_policies.iter().enumerate() {
            let key = format!("parties.entry_policies[{i}]");
            let prefix = fold(&self.text(&format!("{key}.starts_with"), &e.starts_with)?);
            entry_policies.push((prefix, self.choice(&format!("{key}.policy"), &e.policy, &POLICIES)?));
        }
        let mut lists = Vec::with_capacity(raw.lists.len());
        for (i, l) in raw.lists.iter().enumerate() {
            let key = format!("parties.lists[{i}]");
            let list = self.text(&format!("{key}.list"), &l.list)?;
            if l.roles.is_empty() {
                return Err(self.err(&format!("{key}.roles"), "names no role (`consignee`, `ultimate_parent`)"));
            }
            let roles = l
                .roles
                .iter()
                .map(|r| {
                    PartyRole::parse(r).ok_or_else(|| {
                        self.err(&format!("{key}.roles"), format!("`{r}` is not `consignee` or `ultimate_parent`"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let policy = match l.policy.as_str() {
                "entry" => None,
                other => Some(self.choice(&format!("{key}.policy"), other, &POLICIES)?),
            };
            if policy.is_none() && entry_policies.is_empty() {
                return Err(self.err(
                    &format!("{key}.policy"),
                    "is `entry`, but `parties.entry_policies` gives no way to read an entry's policy",
                ));
            }
            lists.push(ListRule {
                list,
                programs: l.programs.clone(),
                roles,
                policy,
                citation: self.text(&format!("{key}.citation"), &l.citation)?,
            });
        }
        let affiliates = raw.affiliates.as_ref().map(|a| self.affiliates(a)).transpose()?;
        Ok(PartyRules {
            lists,
            affiliates,
            entry_policies,
            entry_policy_default: self.choice("parties.entry_policy_default", &raw.entry_policy_default, &POLICIES)?,
            review_citation: self.text("parties.review_citation", &raw.review_citation)?,
        })
    }
}

impl Builder<'_> {
    pub(super) fn affiliates(&self, raw: &RawAffiliates) -> Result<AffiliatesRule, DataError> {
        use crate::affiliates::{Covered, Period, Status};
        let threshold = Share::from_percent(raw.threshold_percent).filter(|s| *s > Share::ZERO).ok_or_else(|| {
            self.err(
                "parties.affiliates.threshold_percent",
                "must be a percentage above 0, at most 100, with at most three decimals",
            )
        })?;
        if raw.lists.is_empty() {
            return Err(self.err("parties.affiliates.lists", "names no list"));
        }
        let mut lists = Vec::with_capacity(raw.lists.len());
        for (i, c) in raw.lists.iter().enumerate() {
            lists.push(Covered {
                list: self.text(&format!("parties.affiliates.lists[{i}].list"), &c.list)?,
                programs: c.programs.clone(),
            });
        }
        let mut periods: Vec<Period> = Vec::with_capacity(raw.periods.len());
        for (i, p) in raw.periods.iter().enumerate() {
            let key = format!("parties.affiliates.periods[{i}]");
            let from = self.date(&format!("{key}.from"), &p.from)?;
            if periods.last().is_some_and(|last| last.from >= from) {
                return Err(self.err(&format!("{key}.from"), "must be after the previous period's `from`"));
            }
            let status = self.choice(
                &format!("{key}.status"),
                &p.status,
                &[("in_force", Status::InForce), ("suspended", Status::Suspended)],
            )?;
            periods.push(Period {
                from,
                status,
                confirmed: p.confirmed,
                citation: self.text(&format!("{key}.citation"), &p.citation)?,
            });
        }
        if periods.is_empty() {
            return Err(self.err("parties.affiliates.periods", "names no period: when is the rule in force?"));
        }
        Ok(AffiliatesRule {
            threshold,
            lists,
            periods,
            citation: self.text("parties.affiliates.citation", &raw.citation)?,
        })
    }
}
