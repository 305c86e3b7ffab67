//! Named parties: which registered party each name is, what screening found, and what a listing or ownership
//! by listed parties (the Affiliates rule) does to the answer.

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// Reads the caller's screening into reasons and notes, and returns the strictest listing that needs a
    /// license, if any. Hits of one party on one list at one level are told together: the best in full, the
    /// others by entry id (the answer's `screening.hits` has them all).
    pub(super) fn screened(&mut self) -> Option<Listing<'p>> {
        let rules = &self.pack.parties;
        let review = rules.review_citation.as_str();
        let Some(screening) = self.req.screening.as_ref() else {
            self.notes.push(Reason {
                text: "the parties were not screened against restricted-party lists: screening needs a ledger holding imported lists (`tiergate determine --db`, the API); screen them before the export".into(),
                citation: review,
            });
            return None;
        };
        if screening.lists.is_empty() {
            self.notes.push(Reason {
                text: "no restricted-party list is imported into this ledger: the parties were not screened (`tiergate lists import`)".into(),
                citation: review,
            });
            return None;
        }
        for stale in &screening.stale {
            self.notes.push(Reason {
                text: format!("the {stale}: re-import it, and screen again, before relying on this screening").into(),
                citation: review,
            });
        }
        if screening.screened.is_empty() {
            self.notes.push(Reason {
                text: "the request names no party, so none was screened against the restricted-party lists".into(),
                citation: review,
            });
            return None;
        }
        if screening.hits.iter().all(|h| h.level == HitLevel::Cleared) {
            let names: Vec<String> =
                screening.screened.iter().map(|(role, name)| format!("{} \"{name}\"", role.label())).collect();
            self.because(
                review,
                format!("{} screened against {}: no listed party", names.join(" and "), screening.lists.join("; ")),
            );
        }
        // Groups in order of first appearance: (role, list, level, the pack's rule for it) → the hits. The rule is
        // part of the key because on one list (SDN) some programs need a license and others do not.
        let key = |h: &ListedParty| (h.role, h.list.clone(), h.level, rules.rule_for(h).map(|r| r.citation.as_str()));
        let mut groups: Vec<Vec<&ListedParty>> = Vec::new();
        for hit in &screening.hits {
            let same = |g: &&mut Vec<&ListedParty>| g.first().is_some_and(|f| key(f) == key(hit));
            match groups.iter_mut().find(same) {
                Some(g) if hit.level != HitLevel::Cleared => g.push(hit),
                _ => groups.push(vec![hit]),
            }
        }
        let mut listing: Option<Listing<'p>> = None;
        for group in groups {
            let Some((best, others)) = group.split_first() else { continue };
            let who = format!("{} \"{}\"", best.role.label(), best.query);
            let entry = describe_entry(best);
            let more = more_entries(others);
            match best.level {
                HitLevel::Cleared => self.because(
                    review,
                    format!("{who} resembles {entry}, judged a false positive ({}): not counted", best.judgement.as_deref().unwrap_or("no details")),
                ),
                HitLevel::Review => self.notes.push(Reason {
                    text: format!("{who} resembles {entry}{more}, below the match threshold: a person must clear this before the export goes ahead").into(),
                    citation: review,
                }),
                HitLevel::Match => {
                    let judged = best.judgement.as_deref().map(|j| format!(", judged a true match ({j})")).unwrap_or_default();
                    let Some(rule) = rules.rule_for(best) else {
                        self.notes.push(Reason {
                            text: format!("{who} matches {entry}{judged}{more}; this rule pack attaches no license requirement to that list, but a person must clear the match (other agencies' sanctions may forbid the transaction)").into(),
                            citation: review,
                        });
                        continue;
                    };
                    // Every entry of the group counts: each may state its own policy.
                    for hit in &group {
                        let policy = rule.policy.unwrap_or_else(|| rules.entry_policy(hit.license_policy.as_deref()).0);
                        if listing.as_ref().is_none_or(|l| policy.strictness() > l.policy.strictness()) {
                            let cause = format!("{who} is on {}", the_list(hit));
                            listing = Some(Listing { policy, citation: &rule.citation, cause });
                        }
                    }
                    let (policy, how) = match rule.policy {
                        Some(policy) => (policy, String::new()),
                        None => {
                            let (policy, stated) = rules.entry_policy(best.license_policy.as_deref());
                            let text = best.license_policy.as_deref().map_or_else(|| "no policy".to_owned(), |t| format!("\"{}\"", t.trim()));
                            let reading = if stated { "" } else { ", which Tiergate cannot read: a person must read the section it points to" };
                            (policy, format!("; the entry states {text}{reading}"))
                        }
                    };
                    let requirement = best.license_requirement.as_deref().map(|r| format!("; its license requirement: \"{}\"", r.trim())).unwrap_or_default();
                    self.because(&rule.citation, format!(
                        "{who} matches {entry}{judged}{more}: a license is required and no license exception or VEU authorization is available{requirement}{how}; review policy {}",
                        policy.as_str()
                    ));
                }
            }
        }
        for ownership in &screening.ownership {
            if let Some(owned) = self.owned(ownership) {
                if listing.as_ref().is_none_or(|l| owned.policy.strictness() > l.policy.strictness()) {
                    listing = Some(owned);
                }
            }
        }
        listing
    }

    /// Says which registered party each named party resolved to, and why (the caller's registry, issue 14).
    pub(super) fn identity(&mut self) {
        let c = &self.req.consignee;
        let citation = self.pack.lpp_annual_limit_tpp.citation.as_str();
        let counted = if c.ultimate_parent.is_some() { PartyRole::UltimateParent } else { PartyRole::Consignee };
        for i in &c.identified {
            let mut text = if let (true, Some(named)) = (i.supplied, &i.replaced_parent) {
                format!(
                    "the party registry records \"{}\" as the ultimate parent of the consignee; the request names \"{named}\": the registry's record applies (correct it with `tiergate parties set` if it is out of date), so \"{}\" is the ultimate consignee",
                    i.given, i.given
                )
            } else if i.supplied {
                format!(
                    "the party registry records \"{}\" as the ultimate parent of the consignee; the request names none, so it is the ultimate consignee",
                    i.given
                )
            } else if i.given.trim() == i.party {
                format!("{} \"{}\" is a registered party", i.role.label(), i.given.trim())
            } else if i.via == i.party {
                format!(
                    "{} \"{}\" is the registered party \"{}\" (the names are one party key)",
                    i.role.label(),
                    i.given.trim(),
                    i.party
                )
            } else {
                format!(
                    "{} \"{}\" is the registered party \"{}\" (by its recorded name \"{}\")",
                    i.role.label(),
                    i.given.trim(),
                    i.party,
                    i.via
                )
            };
            if i.role == counted {
                text.push_str(": its LPP receipts are counted as that party's");
            }
            if let Some(given) = i.replaced_headquarters {
                let recorded = match i.role {
                    PartyRole::Consignee => c.headquarters,
                    PartyRole::UltimateParent => c.ultimate_parent_headquarters,
                };
                text.push_str(&format!(
                    "; the registry records it as headquartered in {}, the request says {}: the registry's record applies (correct it with `tiergate parties set` if it is out of date)",
                    code(self.pack, recorded),
                    code(self.pack, given)
                ));
            }
            self.because(citation, text);
        }
    }

    /// Applies the Affiliates rule to one named party's recorded owners: a listing when listed parties hold the
    /// pack's threshold or more and the rule is in force on the request's date; notes otherwise.
    pub(super) fn owned(&mut self, ownership: &crate::affiliates::Ownership) -> Option<Listing<'p>> {
        use crate::affiliates::{affiliation, Status};
        let pack = self.pack;
        let rules = &pack.parties;
        let review = rules.review_citation.as_str();
        let who = format!("{} \"{}\"", ownership.role.label(), ownership.party);
        let rule = rules.affiliates.as_ref()?;
        let a = affiliation(ownership, rule);
        for owner in &a.unresolved {
            self.notes.push(Reason {
                text: format!(
                    "\"{}\", recorded as holding {} in the ownership of {who}, resembles a listed party below the match threshold: a person must clear it, since listed owners' shares add up under the Affiliates rule",
                    owner.name, owner.share
                )
                .into(),
                citation: &rule.citation,
            });
        }
        if a.cut {
            self.notes.push(Reason {
                text: format!(
                    "not every recorded owner of {who} was followed (more than {} levels up, or more owners than one request screens): the shares counted may be incomplete",
                    crate::affiliates::MAX_DEPTH
                )
                .into(),
                citation: &rule.citation,
            });
        }
        if a.listings.is_empty() {
            let owners: Vec<String> =
                ownership.owners.iter().map(|o| format!("\"{}\" ({})", o.name, o.share)).collect();
            self.because(
                review,
                format!("the recorded owners of {who} were screened: {}; none is a listed party", owners.join(", ")),
            );
            return None;
        }
        let held = format!("{who} is {} owned by listed parties ({})", a.share, a.path);
        if a.share < rule.threshold {
            self.because(
                &rule.citation,
                format!("{held}, less than {}: the Affiliates rule does not reach it", rule.threshold),
            );
            return None;
        }
        let Some(period) = rule.period_on(self.req.date) else {
            let from = rule.periods.first().map(|p| p.from.to_string()).unwrap_or_default();
            self.notes.push(Reason {
                text: format!("{held}; the Affiliates rule takes effect only on {from}: before it, ownership by listed parties is a red flag to resolve, not a license requirement").into(),
                citation: review,
            });
            return None;
        };
        let until = rule
            .next_after(period)
            .and_then(|n| n.from.previous_day())
            .map(|d| format!(" through {d}"))
            .unwrap_or_default();
        let unsure = if period.confirmed {
            String::new()
        } else {
            " (that the rule stands on this date is not confirmed by the sources this pack cites: check before relying on it)".to_owned()
        };
        if period.status == Status::Suspended {
            self.notes.push(Reason {
                text: format!("{held}; the Affiliates rule is suspended from {}{until}{unsure}: ownership alone requires no license on {}, but it remains a red flag to resolve", period.from, self.req.date).into(),
                citation: &period.citation,
            });
            return None;
        }
        // In force: the most restrictive owner's listing, under the pack's rule for its list.
        let mut listing: Option<Listing<'p>> = None;
        // Told per list and policy, with how many entries: (list, policy or none) → entries.
        let mut told: Vec<(String, Option<ReviewPolicy>, usize)> = Vec::new();
        for hit in &a.listings {
            let policy = rules
                .rule_for(hit)
                .map(|r| (r.policy.unwrap_or_else(|| rules.entry_policy(hit.license_policy.as_deref()).0), r));
            let key = (describe_list(hit), policy.map(|p| p.0));
            match told.iter_mut().find(|t| t.0 == key.0 && t.1 == key.1) {
                Some(t) => t.2 += 1,
                None => told.push((key.0, key.1, 1)),
            }
            if let Some((policy, _)) = policy {
                if listing.as_ref().is_none_or(|l| policy.strictness() > l.policy.strictness()) {
                    let cause = format!("{who} is {} owned by parties on {}", a.share, the_list(hit));
                    listing = Some(Listing { policy, citation: &period.citation, cause });
                }
            }
        }
        let told: Vec<String> = told
            .into_iter()
            .map(|(list, policy, n)| {
                let entries = if n == 1 { "1 entry".to_owned() } else { format!("{n} entries") };
                match policy {
                    Some(p) => format!("{list}, {entries}: review policy {}", p.as_str()),
                    None => format!("{list}, {entries}: this pack attaches no license requirement to that list"),
                }
            })
            .collect();
        match &listing {
            Some(l) => self.because(&period.citation, format!(
                "{held}, at least {}: under the Affiliates rule, in force from {}{until}{unsure}, it carries its owners' listings ({}): a license is required and no license exception or VEU authorization is available; review policy {}, the strictest of them",
                rule.threshold, period.from, told.join("; "), l.policy.as_str()
            )),
            None => self.notes.push(Reason {
                text: format!("{held}, at least {}: the Affiliates rule is in force{unsure}, but {}; a person must clear it", rule.threshold, told.join("; ")).into(),
                citation: &period.citation,
            }),
        }
        listing
    }

    /// A license because a party is listed: reviewed under the stricter of the listing's policy and the
    /// framework's own answer (which, for an item the framework does not control here, is no license at all).
    pub(super) fn listed_license(&mut self, framework: Outcome, listing: Listing<'p>) -> Outcome {
        match (framework.authorization, framework.review_policy) {
            (Authorization::License, Some(own)) if own.strictness() >= listing.policy.strictness() => {
                self.because(listing.citation, format!(
                    "the listing's review policy ({}) is no stricter than the framework's ({}): the license is reviewed under {}",
                    listing.policy.as_str(), own.as_str(), own.as_str()
                ));
                framework
            }
            (Authorization::License, own) => {
                self.because(listing.citation, format!(
                    "the listing's review policy ({}) is stricter than the framework's ({}): the license is reviewed under {}",
                    listing.policy.as_str(), own.map_or("none", ReviewPolicy::as_str), listing.policy.as_str()
                ));
                Outcome { review_policy: Some(listing.policy), ..framework }
            }
            _ => {
                self.obligations.clear();
                self.because(
                    listing.citation,
                    format!(
                    "this rule alone would need no license, but the listing does: license required, review policy {}",
                    listing.policy.as_str()
                ),
                );
                license(listing.policy, None)
            }
        }
    }
}
