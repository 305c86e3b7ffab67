//! The Affiliates rule (90 FR 47201, September 2025): an entity owned 50 % or more, directly or indirectly,
//! individually or in the aggregate, by listed parties carries their listing. Whether the rule applies on a date
//! is pack data (`[parties.affiliates]`: in force from 2025-09-29, suspended from 2025-11-10 to 2026-11-09, and
//! after that as the pack says), and so are the threshold and the lists it covers.
//!
//! The caller fills the ownership tree from its party registry and screens every owner's name; this module adds
//! the shares of owners that are listed, or that are themselves affiliates (ownership counts whole through each
//! level, not multiplied), and says how.

use time::Date;

use crate::parties::{HitLevel, ListedParty, PartyRole};
use crate::registry::Share;

/// How deep ownership is followed: a chain longer than this is cut, and the answer says so.
pub const MAX_DEPTH: usize = 8;

/// An owner of a named party, as the caller's registry records it, with what screening found for its name and
/// its own owners.
#[derive(Clone, Debug, PartialEq)]
pub struct Owner {
    pub name: String,
    pub share: Share,
    /// Screening hits for the owner's name, with the role of the party it (in the end) owns.
    pub hits: Vec<ListedParty>,
    pub owners: Vec<Owner>,
    /// Owners of this owner the registry records were not followed (deeper than [`MAX_DEPTH`], or past the
    /// caller's limit on the work of one request).
    pub cut: bool,
}

/// The recorded owners of one named party of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct Ownership {
    pub role: PartyRole,
    /// The party's registered name.
    pub party: String,
    pub owners: Vec<Owner>,
    /// Some recorded owners were left out (past the caller's limit on the work of one request).
    pub cut: bool,
}

/// What the rule says on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    InForce,
    Suspended,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InForce => "in_force",
            Status::Suspended => "suspended",
        }
    }
}

/// A stretch of time with one status, from `from` to the day before the next period's `from`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub status: Status,
    /// Whether the sources confirm the status (a reimposition "absent a future extension" that nobody has
    /// reported on is not confirmed, and the answer says so).
    pub confirmed: bool,
    pub citation: String,
}

/// A list the rule covers, optionally only some of its programs (SDN parties under 15 CFR 744.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Covered {
    pub list: String,
    pub programs: Vec<String>,
}

/// `[parties.affiliates]` of a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffiliatesRule {
    pub threshold: Share,
    pub lists: Vec<Covered>,
    /// Periods in date order; before the first the rule does not exist.
    pub periods: Vec<Period>,
    /// Cited when the rule is not in force on a date (before it, or while suspended) for what ownership still
    /// means: a red flag to resolve.
    pub citation: String,
}

impl AffiliatesRule {
    /// The period `date` falls in; `None` before the rule.
    pub fn period_on(&self, date: Date) -> Option<&Period> {
        self.periods.iter().rev().find(|p| p.from <= date)
    }

    /// The period after `period`, if any (its start ends `period`).
    pub fn next_after(&self, period: &Period) -> Option<&Period> {
        self.periods.iter().find(|p| p.from > period.from)
    }

    /// Whether a confirmed listing of this hit makes an owner a listed party for the rule.
    pub fn covers(&self, hit: &ListedParty) -> bool {
        hit.level == HitLevel::Match && self.lists.iter().any(|c| hit.is_on(&c.list, &c.programs))
    }
}

/// The aggregate share of a party held by listed parties and their affiliates, with the listings it comes from
/// and the path in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Affiliation<'a> {
    pub share: Share,
    /// The listed owners' hits, at any depth, that count.
    pub listings: Vec<&'a ListedParty>,
    /// `30 % by "A" (Entity List entry 12 "A"), 30 % by "B" (itself 100 % owned by listed parties: ...)`.
    pub path: String,
    /// Owners screened as possible (not confirmed) matches of a covered list: a person must clear them.
    pub unresolved: Vec<&'a Owner>,
    /// Some recorded owners were not followed: a chain longer than [`MAX_DEPTH`], or more owners than the caller
    /// screens for one request.
    pub cut: bool,
}

/// Adds up what listed parties hold of a party.
pub fn affiliation<'a>(ownership: &'a Ownership, rule: &AffiliatesRule) -> Affiliation<'a> {
    let mut a = aggregate(&ownership.owners, rule, 0);
    a.cut |= ownership.cut;
    a
}

fn aggregate<'a>(owners: &'a [Owner], rule: &AffiliatesRule, depth: usize) -> Affiliation<'a> {
    let mut out = Affiliation {
        share: Share::ZERO,
        listings: Vec::new(),
        path: String::new(),
        unresolved: Vec::new(),
        cut: false,
    };
    let mut parts = Vec::new();
    for owner in owners {
        let direct: Vec<&ListedParty> = owner.hits.iter().filter(|h| rule.covers(h)).collect();
        out.cut |= owner.cut;
        if !direct.is_empty() {
            out.share = out.share.saturating_add(owner.share);
            // The best entry in full, the others counted (the listings themselves are all returned).
            let more = match direct.len() {
                1 => String::new(),
                2 => " and 1 other entry".to_owned(),
                n => format!(" and {} other entries", n - 1),
            };
            if let Some(best) = direct.first() {
                parts.push(format!(
                    "{} by \"{}\" ({} entry {} \"{}\"{more})",
                    owner.share,
                    owner.name,
                    best.list,
                    best.entry_id,
                    best.name.trim()
                ));
            }
            out.listings.extend(direct);
            continue;
        }
        if owner.hits.iter().any(|h| h.level == HitLevel::Review && rule.lists.iter().any(|c| c.list == h.list)) {
            out.unresolved.push(owner);
        }
        if depth + 1 >= MAX_DEPTH {
            out.cut |= !owner.owners.is_empty();
            continue;
        }
        let inner = aggregate(&owner.owners, rule, depth + 1);
        out.cut |= inner.cut;
        out.unresolved.extend(inner.unresolved.iter().copied());
        if inner.share >= rule.threshold && !inner.listings.is_empty() {
            out.share = out.share.saturating_add(owner.share);
            parts.push(format!(
                "{} by \"{}\" (itself {} owned by listed parties: {})",
                owner.share, owner.name, inner.share, inner.path
            ));
            out.listings.extend(inner.listings);
        }
    }
    out.path = parts.join(", ");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> AffiliatesRule {
        AffiliatesRule {
            threshold: Share::from_percent(50.0).unwrap(),
            lists: vec![
                Covered { list: "EL".into(), programs: vec![] },
                Covered { list: "SDN".into(), programs: vec!["NPWMD".into()] },
            ],
            periods: Vec::new(),
            citation: String::new(),
        }
    }

    fn listed(list: &str, programs: &[&str], level: HitLevel) -> ListedParty {
        ListedParty {
            role: PartyRole::Consignee,
            query: "q".into(),
            entry_id: "1".into(),
            list: list.into(),
            source: "Entity List".into(),
            name: "Listed".into(),
            matched_name: "Listed".into(),
            why: None,
            countries: Vec::new(),
            addresses: Vec::new(),
            score: 1.0,
            level,
            programs: programs.iter().map(|p| (*p).to_owned()).collect(),
            license_requirement: None,
            license_policy: None,
            federal_register_notice: None,
            judgement: None,
        }
    }

    fn owner(name: &str, percent: f64, hits: Vec<ListedParty>, owners: Vec<Owner>) -> Owner {
        Owner { name: name.into(), share: Share::from_percent(percent).unwrap(), hits, owners, cut: false }
    }

    fn of(owners: Vec<Owner>) -> Ownership {
        Ownership { role: PartyRole::Consignee, party: "P".into(), owners, cut: false }
    }

    #[test]
    fn shares_of_listed_owners_add_up() {
        let owners = vec![
            owner("A", 30.0, vec![listed("EL", &[], HitLevel::Match)], vec![]),
            owner("B", 20.0, vec![listed("SDN", &["NPWMD"], HitLevel::Match)], vec![]),
            owner("C", 50.0, vec![], vec![]),
        ];
        let owned = of(owners);
        let a = affiliation(&owned, &rule());
        assert_eq!(a.share, Share::from_percent(50.0).unwrap());
        assert_eq!(a.listings.len(), 2);
        assert!(a.path.contains("30 % by \"A\""), "{}", a.path);
    }

    #[test]
    fn an_uncovered_program_or_an_unconfirmed_hit_does_not_count() {
        let owners = vec![
            owner("A", 60.0, vec![listed("SDN", &["IRAN"], HitLevel::Match)], vec![]),
            owner("B", 40.0, vec![listed("EL", &[], HitLevel::Review)], vec![]),
        ];
        let owned = of(owners);
        let a = affiliation(&owned, &rule());
        assert_eq!(a.share, Share::ZERO);
        assert_eq!(a.unresolved.len(), 1, "the possible match is for a person to clear");
    }

    #[test]
    fn an_affiliate_counts_whole_at_the_next_level() {
        // L (listed) holds 50 % of M; M holds 40 % of the party and a listed N 10 %: 50 % in the aggregate.
        let m = owner(
            "M",
            40.0,
            vec![],
            vec![owner("L", 50.0, vec![listed("EL", &[], HitLevel::Match)], vec![]), owner("X", 50.0, vec![], vec![])],
        );
        let owned = of(vec![m, owner("N", 10.0, vec![listed("EL", &[], HitLevel::Match)], vec![])]);
        let a = affiliation(&owned, &rule());
        assert_eq!(a.share, Share::from_percent(50.0).unwrap());
        assert!(a.path.contains("itself 50 % owned by listed parties"), "{}", a.path);
        // Below the threshold one level down, nothing carries up.
        let m = owner("M", 90.0, vec![], vec![owner("L", 49.999, vec![listed("EL", &[], HitLevel::Match)], vec![])]);
        assert_eq!(affiliation(&of(vec![m]), &rule()).share, Share::ZERO);
    }
}
