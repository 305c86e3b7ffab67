//! Allocation pressure: how much of each Tier 2 country's allocation the compute already installed or planned
//! there would take, under a base pack and a scenario's, and which caps bind.

use time::Date;

use crate::country::Country;
use crate::determine::Tier;
use crate::pack::Pack;

/// Compute in one country, in TPP: installed and planned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Installed {
    pub existing_tpp: u64,
    pub planned_tpp: u64,
}

impl Installed {
    pub fn total(&self) -> u64 {
        self.existing_tpp.saturating_add(self.planned_tpp)
    }
}

/// A country's standing under one pack on the date asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standing {
    /// `None` under a regime without tiers.
    pub tier: Option<Tier>,
    /// The country's allocation (doubled with assurances where the pack says so); `None` outside Tier 2 or
    /// outside the allocation period.
    pub cap_tpp: Option<u64>,
    /// Installed and planned TPP over the cap.
    pub share: Option<f64>,
    /// The compute there already reaches the cap: licenses for more would be beyond the allocation.
    pub binds: bool,
}

/// One country's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub country: Country,
    pub installed: Installed,
    pub base: Standing,
    pub scenario: Option<Standing>,
}

/// The standing of `c`, with `tpp` installed and planned, under `pack` on `date`.
pub fn standing(pack: &Pack, c: Country, tpp: u64, date: Date) -> Standing {
    let snap = pack.at(date);
    let canonical = pack.canonical(c);
    let tier = pack.regime.tiers.then(|| {
        if snap.tier3.contains(canonical) {
            Tier::Three
        } else if snap.tier1.contains(canonical) {
            Tier::One
        } else {
            Tier::Two
        }
    });
    let cap = match tier {
        Some(Tier::Two) => pack.country_allocation(c, date),
        _ => None,
    };
    #[allow(clippy::cast_precision_loss)]
    let share = cap.filter(|c| *c > 0).map(|cap| tpp as f64 / cap as f64);
    Standing { tier, cap_tpp: cap, share, binds: cap.is_some_and(|cap| tpp >= cap) }
}

/// Every country that is Tier 2 under `base` or `scenario` on `date`, or that `installed` names, with its
/// standing under each: most pressed first (highest share under the scenario, else the base), then by code.
pub fn capacity(installed: &[(Country, Installed)], base: &Pack, scenario: Option<&Pack>, date: Date) -> Vec<Row> {
    let mut by_country: Vec<(Country, Installed)> = Vec::new();
    for (c, i) in installed {
        let c = base.canonical(*c);
        match by_country.iter_mut().find(|(k, _)| *k == c) {
            Some((_, sum)) => {
                sum.existing_tpp = sum.existing_tpp.saturating_add(i.existing_tpp);
                sum.planned_tpp = sum.planned_tpp.saturating_add(i.planned_tpp);
            }
            None => by_country.push((c, *i)),
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    for c in base.countries.iter() {
        if base.treated_as(c).is_some() || c == base.united_states.value {
            continue;
        }
        let installed = by_country.iter().find(|(k, _)| *k == c).map(|(_, i)| *i).unwrap_or_default();
        let b = standing(base, c, installed.total(), date);
        let s = scenario.map(|p| standing(p, c, installed.total(), date));
        let tier2 = b.tier == Some(Tier::Two) || s.is_some_and(|s| s.tier == Some(Tier::Two));
        if tier2 || installed.total() > 0 {
            rows.push(Row { country: c, installed, base: b, scenario: s });
        }
    }
    let key = |r: &Row| r.scenario.and_then(|s| s.share).or(r.base.share).unwrap_or(-1.0);
    rows.sort_by(|a, b| key(b).total_cmp(&key(a)).then_with(|| b.installed.total().cmp(&a.installed.total())));
    rows
}
