//! Screening a request's named parties with a [`Screener`], into the core's [`Screening`] (which the engine then
//! applies as the pack's `[parties]` rules say).

use std::collections::HashSet;

use tiergate_core::affiliates::{Owner, Ownership, MAX_DEPTH};
use tiergate_core::parties::{HitLevel, ListedParty, PartyRole, Screening};
use tiergate_core::registry::{Holding, Registry};
use tiergate_core::{Pack, Request};
use tiergate_screen::MatchKind;
use tiergate_screen::{Decision, Screener};
use time::Date;

/// The lists a caller holds: the screener built from them and a description of each version, for the record.
pub struct Lists {
    pub screener: Screener,
    /// One line per list version screened against (`csl v3: 14,160 entries, sha256 1a2b…, imported …`).
    pub versions: Vec<String>,
    /// Each current list's dates, for staleness.
    pub ages: Vec<ListAge>,
}

/// When a list was imported, and its own date when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListAge {
    pub list: String,
    pub imported: Date,
    /// The list's own date and how it is known (`given` at import, or its `newest_entry`).
    pub dated: Option<(Date, String)>,
}

impl Lists {
    /// The lists older than the configured number of days on `date`, described with their age. A list's age is
    /// counted from its own date when known, else from its import; a list imported after `date` is not stale.
    pub fn stale_on(&self, date: Date) -> Vec<String> {
        let limit = i64::from(self.screener.index().config().lists.stale_after_days);
        self.ages
            .iter()
            .filter(|a| a.imported <= date)
            .filter_map(|a| {
                let (from, text) = match &a.dated {
                    Some((d, how)) => {
                        let how = if how == "given" { "as given at import" } else { "its newest entry" };
                        (*d, format!("{} list is dated {d} ({how}; imported {})", a.list, a.imported))
                    }
                    None => (a.imported, format!("{} list was imported on {}", a.list, a.imported)),
                };
                let days = (date - from).whole_days();
                (days > limit).then(|| format!("{text}, {days} days before {date} (more than {limit})"))
            })
            .collect()
    }
}

/// Screens the consignee and its ultimate parent (when named, and when not the same name) at the screener's
/// review threshold, each with its headquarters as the country hint. `None` for `lists` means the caller holds
/// no imported list: the answer then says that nothing was screened.
pub fn screen_parties(lists: Option<&Lists>, req: &Request, pack: &Pack) -> Screening {
    let Some(lists) = lists else { return Screening::default() };
    let c = &req.consignee;
    let mut named: Vec<(PartyRole, &str, &str)> = Vec::with_capacity(2);
    if let Some(name) = c.name.as_deref().filter(|n| !n.trim().is_empty()) {
        named.push((PartyRole::Consignee, name, pack.countries.code(c.headquarters)));
    }
    if let Some(parent) = c.ultimate_parent.as_deref().filter(|n| !n.trim().is_empty()) {
        let same = named.first().is_some_and(|(_, n, _)| n.trim().eq_ignore_ascii_case(parent.trim()));
        if !same {
            named.push((PartyRole::UltimateParent, parent, pack.countries.code(c.ultimate_parent_headquarters)));
        }
    }
    let mut screening = screen_names(lists, &named);
    screening.stale = lists.stale_on(req.date);
    screening
}

/// Screens names, each with its role and a country hint, against the lists, judgements applied.
pub fn screen_names(lists: &Lists, named: &[(PartyRole, &str, &str)]) -> Screening {
    let mut hits = Vec::new();
    for &(role, name, country) in named {
        hits.extend(hits_for(lists, role, name, Some(country)));
    }
    Screening {
        lists: lists.versions.clone(),
        screened: named.iter().map(|(role, name, _)| (*role, (*name).to_owned())).collect(),
        hits,
        stale: Vec::new(),
        ownership: Vec::new(),
    }
}

/// The most owners screened for one request: the ownership of a registry with many shared holdings is followed
/// along every path, and this bounds the work (what is left out is reported as cut).
pub const MAX_OWNERS_SCREENED: usize = 256;

/// The recorded owners of each named party the registry identified, every owner's name screened (with the role
/// of the party it owns), and owners that are registered parties followed to their own owners: along every path,
/// up to [`MAX_DEPTH`] levels, never around a cycle, and at most [`MAX_OWNERS_SCREENED`] owners in all.
pub fn ownership(lists: &Lists, registry: &Registry, req: &Request, pack: &Pack) -> Vec<Ownership> {
    let mut out = Vec::new();
    let mut walk = Walk { lists, registry, pack, path: HashSet::new(), budget: MAX_OWNERS_SCREENED };
    for i in &req.consignee.identified {
        let Some(r) = registry.resolve(&i.party).filter(|r| !r.party.owners.is_empty()) else { continue };
        walk.path = HashSet::from([r.party.key.clone()]);
        let (owners, cut) = walk.owners_of(&r.party.owners, i.role, 1);
        out.push(Ownership { role: i.role, party: r.party.name.clone(), owners, cut });
    }
    out
}

struct Walk<'a> {
    lists: &'a Lists,
    registry: &'a Registry,
    pack: &'a Pack,
    /// The parties on the path from the named party down to here: a holding reached along two paths is followed
    /// along both; one that owns itself through others is not followed around again.
    path: HashSet<String>,
    /// Owners that may still be screened.
    budget: usize,
}

impl Walk<'_> {
    /// The owners screened, and whether some were left out because the budget ran out.
    fn owners_of(&mut self, holdings: &[Holding], role: PartyRole, depth: usize) -> (Vec<Owner>, bool) {
        let mut out = Vec::with_capacity(holdings.len());
        for h in holdings {
            if self.budget == 0 {
                return (out, true);
            }
            self.budget -= 1;
            let registered = self.registry.resolve(&h.owner).map(|r| r.party);
            let country = registered.and_then(|p| p.headquarters).map(|c| self.pack.countries.code(c));
            let hits = hits_for(self.lists, role, &h.owner, country);
            let (owners, cut) = match registered {
                Some(p) if p.owners.is_empty() => (Vec::new(), false),
                Some(p) if depth < MAX_DEPTH && self.path.insert(p.key.clone()) => {
                    let followed = self.owners_of(&p.owners, role, depth + 1);
                    self.path.remove(&p.key);
                    followed
                }
                // Deeper than followed, or around a cycle (a cycle adds nothing that was not counted).
                Some(_) => (Vec::new(), depth >= MAX_DEPTH),
                None => (Vec::new(), false),
            };
            out.push(Owner { name: h.owner.clone(), share: h.share, hits, owners, cut });
        }
        (out, false)
    }
}

/// One name's hits at the review threshold, as the core's listings.
fn hits_for(lists: &Lists, role: PartyRole, name: &str, country: Option<&str>) -> Vec<ListedParty> {
    let threshold = lists.screener.index().config().thresholds.review;
    let out = lists.screener.screen(None, name, country, threshold);
    out.hits
        .into_iter()
        .map(|h| ListedParty {
            role,
            why: why(&h.features.kind, name, &h.matched_name),
            query: name.to_owned(),
            level: match h.decision {
                Decision::Match => HitLevel::Match,
                Decision::Review => HitLevel::Review,
                Decision::Clear => HitLevel::Cleared,
            },
            judgement: h.judgement.map(|j| {
                let note = j.note.map(|n| format!(": {n}")).unwrap_or_default();
                format!("{} by {} at {}{note}", j.verdict, j.actor, j.at)
            }),
            entry_id: h.entry_id,
            list: h.list,
            source: h.source,
            name: h.name,
            matched_name: h.matched_name,
            countries: h.countries,
            addresses: h.addresses,
            score: h.score,
            programs: h.programs,
            license_requirement: h.license_requirement,
            license_policy: h.license_policy,
            federal_register_notice: h.federal_register_notice,
        })
        .collect()
}

/// How a hit's names matched, in words a reason can quote; `None` for words paired as they are.
fn why(kind: &MatchKind, query: &str, matched: &str) -> Option<String> {
    let (query, matched) = (query.trim(), matched.trim());
    match kind {
        MatchKind::Words | MatchKind::SameLetters => None,
        MatchKind::Containment => Some(format!("the listed name \"{matched}\" is whole in \"{query}\"")),
        MatchKind::DistinctivePart => {
            Some(format!("\"{query}\" is a distinctive part of the listed name \"{matched}\""))
        }
        MatchKind::PersonOptionalWords => Some(format!(
            "\"{query}\" is the listed name \"{matched}\" with a middle name or patronymic missing on one side"
        )),
    }
}
