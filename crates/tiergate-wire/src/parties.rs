//! Screening a request's named parties with a [`Screener`], into the core's [`Screening`] (which the engine then
//! applies as the pack's `[parties]` rules say).

use tiergate_core::parties::{HitLevel, ListedParty, PartyRole, Screening};
use tiergate_core::{Pack, Request};
use tiergate_screen::MatchKind;
use tiergate_screen::{Decision, Screener};
use time::Date;

/// The lists a caller holds: the screener built from them and a description of each version, for the record.
pub struct Lists {
    pub screener: Screener,
    /// One line per list version screened against (`csl v3: 14,160 entries, sha256 1a2b…, imported …`).
    pub versions: Vec<String>,
    /// Each list's name and the date its current version was imported.
    pub imported: Vec<(String, Date)>,
}

impl Lists {
    /// The lists imported more than the configured number of days before `date`, described with their age.
    pub fn stale_on(&self, date: Date) -> Vec<String> {
        let limit = i64::from(self.screener.index().config().lists.stale_after_days);
        self.imported
            .iter()
            .filter_map(|(list, at)| {
                let days = (date - *at).whole_days();
                (days > limit)
                    .then(|| format!("{list} list was imported on {at}, {days} days before {date} (more than {limit})"))
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
    let threshold = lists.screener.index().config().thresholds.review;
    let mut hits = Vec::new();
    for &(role, name, country) in named {
        let out = lists.screener.screen(None, name, Some(country), threshold);
        hits.extend(out.hits.into_iter().map(|h| ListedParty {
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
        }));
    }
    Screening {
        lists: lists.versions.clone(),
        screened: named.iter().map(|(role, name, _)| (*role, (*name).to_owned())).collect(),
        hits,
        stale: Vec::new(),
    }
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
