//! A Universal VEU's fleet against the geographic limits of Supp. No. 10 to part 748, paragraph 6 (RULE.md §5):
//! at most `outside_tier1_max_percent` of its AI compute outside Tier 1, at most `single_country_max_percent` in
//! any one non-Tier-1 country, and, headquartered in the United States, at most `outside_us_max_percent` outside
//! it; Tier 3 countries are excluded outright. The percentages come from the pack.
//!
//! All arithmetic is exact, on integers of thousandths of TPP widened to `i128`. A limit "at most p %" holds when
//! `100 · part ≤ p · total`. Adding `x` somewhere changes one rule's part by `x` or not at all (`d` = 1 or 0) and
//! the total by `x`, so every rule is a linear constraint `(100·d − p) · x ≤ p · total − 100 · part`: an upper
//! bound on `x` when `100·d > p`, a lower bound when `100·d < p`. Headroom is the largest whole `x` within every
//! bound; the home addition a plan needs is the smallest.

use std::collections::BTreeMap;

use time::Date;

use crate::country::Country;
use crate::pack::{Cited, Pack, Snapshot};
use crate::units::Tpp;

/// One site of a fleet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub site: String,
    pub country: Country,
    pub tpp: Tpp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FleetRule {
    OutsideTier1Max,
    SingleCountryMax,
    OutsideUsMax,
    /// Compute in a Tier 3 country: excluded whatever its share.
    Tier3Country,
}

impl FleetRule {
    pub fn as_str(self) -> &'static str {
        match self {
            FleetRule::OutsideTier1Max => "outside_tier1_max",
            FleetRule::SingleCountryMax => "single_country_max",
            FleetRule::OutsideUsMax => "outside_us_max",
            FleetRule::Tier3Country => "tier3_country",
        }
    }

    /// The rule in words, for explanations.
    pub fn words(self) -> &'static str {
        match self {
            FleetRule::OutsideTier1Max => "the limit on the share of compute outside Tier 1",
            FleetRule::SingleCountryMax => "the limit on the share of compute in any one country outside Tier 1",
            FleetRule::OutsideUsMax => "the limit on the share of compute outside the United States",
            FleetRule::Tier3Country => "the bar on any compute in a Tier 3 country",
        }
    }
}

/// What may be added in one country, and the rule that bounds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headroom {
    pub country: Country,
    /// Whole TPP that could be added there now with every rule holding after.
    pub tpp: u64,
    /// The rule that sets the bound (for 0: the one that allows nothing more); `None` when no rule bounds it.
    pub binding: Option<FleetRule>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Violation<'p> {
    pub rule: FleetRule,
    /// The country the rule is broken in (single-country and Tier 3 rules).
    pub country: Option<Country>,
    /// The limit as a fraction (0.07); 0 for Tier 3.
    pub limit: f64,
    /// The fleet's share the rule measures.
    pub value: f64,
    pub citation: &'p str,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("{0} is not a Tier 1 country on {1}: a Universal VEU must be headquartered in Supp. No. 5(a) (15 CFR 748.15(a)(2)(ii))")]
    HeadquartersNotTier1(String, Date),
    #[error("the fleet's TPP does not fit in 64 bits")]
    TooLarge,
}

/// A fleet's compliance with the UVEU limits on a date.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetCheck<'p> {
    pub total: Tpp,
    pub tier1: Tpp,
    /// In the headquarters country.
    pub home: Tpp,
    pub outside_tier1_share: f64,
    pub outside_home_share: f64,
    /// Every country of the fleet with its TPP and share, in country-code order.
    pub by_country: Vec<(Country, Tpp, f64)>,
    pub violations: Vec<Violation<'p>>,
    /// Whole TPP that could be added in each country now without breaking any rule, and the rule that binds (see
    /// [`check`]).
    pub headroom: Vec<Headroom>,
}

/// What a plan to add compute needs at home.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetPlan<'p> {
    /// No Tier 3 country among the fleet and the additions: some home addition makes the plan compliant.
    pub feasible: bool,
    /// The least whole TPP to add at home (the US for a US headquarters, else anywhere in Tier 1) for the
    /// percentage limits to hold after the additions.
    pub additional_home_tpp: u64,
    /// What remains broken after the additions and that home addition (empty when feasible).
    pub violations_after: Vec<Violation<'p>>,
}

/// A fleet's amounts by country, in thousandths of TPP.
#[derive(Clone, Debug, Default)]
struct Amounts(BTreeMap<Country, i128>);

impl Amounts {
    fn add(&mut self, c: Country, milli: i128) {
        *self.0.entry(c).or_default() += milli;
    }

    fn total(&self) -> i128 {
        self.0.values().sum()
    }
}

/// The limits as they apply to one headquarters on one date.
struct Limits<'p> {
    pack: &'p Pack,
    snap: &'p Snapshot,
    hq: Country,
    /// Headquartered in the United States: the outside-US limit applies.
    us_hq: bool,
}

impl<'p> Limits<'p> {
    fn new(pack: &'p Pack, hq: Country, date: Date) -> Result<Limits<'p>, FleetError> {
        let snap = pack.at(date);
        let hq = pack.canonical(hq);
        if !snap.tier1.contains(hq) {
            return Err(FleetError::HeadquartersNotTier1(pack.countries.code(hq).to_owned(), date));
        }
        Ok(Limits { pack, snap, hq, us_hq: hq == pack.uveu.united_states })
    }

    fn tier1(&self, c: Country) -> bool {
        self.snap.tier1.contains(c)
    }

    fn tier3(&self, c: Country) -> bool {
        self.snap.tier3.contains(c)
    }

    /// TPP outside Tier 1, in thousandths.
    fn outside_tier1(&self, a: &Amounts) -> i128 {
        a.0.iter().filter(|(c, _)| !self.tier1(**c)).map(|(_, v)| v).sum()
    }

    fn outside_home(&self, c: Country) -> bool {
        c != self.hq
    }

    /// `(rule, p, part)` of every percentage rule, with whether an addition in `at` counts in the part.
    fn constraints(&self, a: &Amounts, at: Option<Country>) -> Vec<(FleetRule, u64, i128, bool)> {
        let u = &self.pack.uveu;
        let total = a.total();
        let outside_t1 = self.outside_tier1(a);
        let mut out = vec![(
            FleetRule::OutsideTier1Max,
            u.outside_tier1_max_percent.value,
            outside_t1,
            at.is_some_and(|c| !self.tier1(c)),
        )];
        let mut countries: Vec<Country> = a.0.keys().copied().collect();
        countries.extend(at);
        countries.sort();
        countries.dedup();
        for c in countries.into_iter().filter(|c| !self.tier1(*c)) {
            let part = a.0.get(&c).copied().unwrap_or(0);
            out.push((FleetRule::SingleCountryMax, u.single_country_max_percent.value, part, at == Some(c)));
        }
        if self.us_hq {
            let home = a.0.get(&self.hq).copied().unwrap_or(0);
            out.push((
                FleetRule::OutsideUsMax,
                u.outside_us_max_percent.value,
                total - home,
                at.is_some_and(|c| self.outside_home(c)),
            ));
        }
        out
    }

    fn violations(&self, a: &Amounts) -> Vec<Violation<'p>> {
        let u = &self.pack.uveu;
        let total = a.total();
        let mut out = Vec::new();
        let share = |part: i128| share(part, total);
        let broken = |p: u64, part: i128| 100 * part > i128::from(p) * total;
        for (&c, &v) in &a.0 {
            if self.tier3(c) && v > 0 {
                out.push(Violation {
                    rule: FleetRule::Tier3Country,
                    country: Some(c),
                    limit: 0.0,
                    value: share(v),
                    citation: &self.pack.tier3_citation,
                });
            }
        }
        let over = |out: &mut Vec<Violation<'p>>, rule, country, p: &'p Cited<u64>, part: i128| {
            if broken(p.value, part) {
                let limit = p.value as f64 / 100.0;
                out.push(Violation { rule, country, limit, value: share(part), citation: &p.citation });
            }
        };
        let outside_t1 = self.outside_tier1(a);
        over(&mut out, FleetRule::OutsideTier1Max, None, &u.outside_tier1_max_percent, outside_t1);
        for (&c, &v) in a.0.iter().filter(|(c, _)| !self.tier1(**c)) {
            over(&mut out, FleetRule::SingleCountryMax, Some(c), &u.single_country_max_percent, v);
        }
        if self.us_hq {
            let outside = total - a.0.get(&self.hq).copied().unwrap_or(0);
            over(&mut out, FleetRule::OutsideUsMax, None, &u.outside_us_max_percent, outside);
        }
        out
    }

    /// The largest whole TPP that can be added in `c` with every rule holding after (or 0), and the rule that
    /// bounds it.
    fn headroom(&self, a: &Amounts, c: Country) -> Headroom {
        let none = |binding| Headroom { country: c, tpp: 0, binding: Some(binding) };
        if self.tier3(c) || a.0.iter().any(|(d, v)| self.tier3(*d) && *v > 0) {
            return none(FleetRule::Tier3Country);
        }
        let total = a.total();
        let (mut lo, mut hi) = (0_i128, i128::MAX);
        let (mut lo_rule, mut hi_rule) = (None, None);
        for (rule, p, part, counts) in self.constraints(a, Some(c)) {
            let p = i128::from(p);
            let k = if counts { 100 - p } else { -p };
            let r = p * total - 100 * part;
            // k · x ≤ r, x = 1000 · X.
            match k.cmp(&0) {
                std::cmp::Ordering::Greater => {
                    let bound = r.div_euclid(k * 1000);
                    if bound < hi {
                        (hi, hi_rule) = (bound, Some(rule));
                    }
                }
                std::cmp::Ordering::Less => {
                    let bound = ceil_div(-r, -k * 1000);
                    if bound > lo {
                        (lo, lo_rule) = (bound, Some(rule));
                    }
                }
                std::cmp::Ordering::Equal if r < 0 => return none(rule),
                std::cmp::Ordering::Equal => {}
            }
        }
        if lo > hi {
            // A rule already broken that no addition here mends (`lo_rule`), or one that allows nothing more.
            Headroom { country: c, tpp: 0, binding: lo_rule.or(hi_rule) }
        } else {
            Headroom { country: c, tpp: u64::try_from(hi).unwrap_or(u64::MAX), binding: hi_rule }
        }
    }

    /// The least whole TPP to add at home for every percentage rule to hold (`None`: no amount does).
    fn home_needed(&self, a: &Amounts) -> Option<u64> {
        let total = a.total();
        let mut need = 0_i128;
        for (_, p, part, _) in self.constraints(a, None) {
            let p = i128::from(p);
            // A home addition counts in no part: −p · x ≤ p · total − 100 · part.
            let r = p * total - 100 * part;
            if p == 0 {
                if r < 0 {
                    return None;
                }
                continue;
            }
            need = need.max(ceil_div(-r, p * 1000));
        }
        u64::try_from(need).ok()
    }
}

fn ceil_div(n: i128, d: i128) -> i128 {
    -((-n).div_euclid(d))
}

/// `part / total` rounded to six decimals, for reading only; 0 for an empty fleet.
fn share(part: i128, total: i128) -> f64 {
    if total > 0 {
        ((part as f64 / total as f64) * 1e6).round() / 1e6
    } else {
        0.0
    }
}

fn amounts(pack: &Pack, sites: &[Site]) -> Amounts {
    let mut a = Amounts::default();
    for s in sites {
        a.add(pack.canonical(s.country), i128::from(s.tpp.milli()));
    }
    a
}

/// Checks a fleet for a UVEU headquartered in `hq` on `date`. Headroom is given for every non-Tier-1 country of
/// the fleet and of `also`, and, for a US headquarters, for every Tier 1 country of the fleet or `also` other than
/// the US (where an addition counts against the outside-US limit). It is 0 where any addition would break a rule,
/// including everywhere when the fleet has compute in a Tier 3 country.
pub fn check<'p>(
    pack: &'p Pack,
    sites: &[Site],
    hq: Country,
    date: Date,
    also: &[Country],
) -> Result<FleetCheck<'p>, FleetError> {
    let limits = Limits::new(pack, hq, date)?;
    let a = amounts(pack, sites);
    let total = a.total();
    let to_tpp = |milli: i128| u64::try_from(milli).map(Tpp::from_milli).map_err(|_| FleetError::TooLarge);
    let share = |part: i128| share(part, total);
    let tier1 = total - limits.outside_tier1(&a);
    let home = a.0.get(&limits.hq).copied().unwrap_or(0);
    let mut by_country = Vec::with_capacity(a.0.len());
    for (&c, &v) in &a.0 {
        by_country.push((c, to_tpp(v)?, share(v)));
    }
    by_country.sort_by(|x, y| pack.countries.code(x.0).cmp(pack.countries.code(y.0)));
    let mut wanted: Vec<Country> = a.0.keys().copied().chain(also.iter().map(|c| pack.canonical(*c))).collect();
    wanted.retain(|c| !limits.tier1(*c) || (limits.us_hq && *c != limits.hq));
    wanted.sort_by(|x, y| pack.countries.code(*x).cmp(pack.countries.code(*y)));
    wanted.dedup();
    let headroom = wanted.into_iter().map(|c| limits.headroom(&a, c)).collect();
    Ok(FleetCheck {
        total: to_tpp(total)?,
        tier1: to_tpp(tier1)?,
        home: to_tpp(home)?,
        outside_tier1_share: share(total - tier1),
        outside_home_share: share(total - home),
        by_country,
        violations: limits.violations(&a),
        headroom,
    })
}

/// Plans `additions` for a UVEU headquartered in `hq`: the least home addition that keeps every percentage limit.
pub fn plan<'p>(
    pack: &'p Pack,
    sites: &[Site],
    hq: Country,
    date: Date,
    additions: &[(Country, Tpp)],
) -> Result<FleetPlan<'p>, FleetError> {
    let limits = Limits::new(pack, hq, date)?;
    let mut a = amounts(pack, sites);
    for (c, t) in additions {
        a.add(pack.canonical(*c), i128::from(t.milli()));
    }
    let tier3 = a.0.iter().any(|(c, v)| limits.tier3(*c) && *v > 0);
    let needed = limits.home_needed(&a);
    let home = needed.unwrap_or(0);
    a.add(limits.hq, i128::from(home) * 1000);
    let violations_after = limits.violations(&a);
    Ok(FleetPlan { feasible: !tier3 && needed.is_some(), additional_home_tpp: home, violations_after })
}

/// Whether the fleet breaks no rule (for tests and callers that need only the verdict).
pub fn compliant(pack: &Pack, sites: &[Site], hq: Country, date: Date) -> Result<bool, FleetError> {
    let limits = Limits::new(pack, hq, date)?;
    Ok(limits.violations(&amounts(pack, sites)).is_empty())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;
    use crate::builtin;

    static PACK: std::sync::LazyLock<Pack> =
        std::sync::LazyLock::new(|| builtin::pack(builtin::countries().unwrap()).unwrap());

    fn pack() -> Pack {
        PACK.clone()
    }

    fn c(pack: &Pack, code: &str) -> Country {
        pack.countries.resolve(code).unwrap()
    }

    fn fleet(pack: &Pack, sites: &[(&str, u64)]) -> Vec<Site> {
        sites
            .iter()
            .enumerate()
            .map(|(i, (code, tpp))| Site {
                site: format!("s{i}"),
                country: c(pack, code),
                tpp: Tpp::from_whole(*tpp).unwrap(),
            })
            .collect()
    }

    const DAY: Date = date!(2025 - 06 - 01);

    #[test]
    fn a_us_fleet_at_the_limits_is_compliant_and_one_more_tpp_is_not() {
        let p = pack();
        // 100 units: 50 US, 25 DE, 7 MY, 7 IN, 7 AE, 4 SG: outside Tier 1 exactly 25 %, each country at most 7 %,
        // outside the US exactly 50 %.
        let sites = fleet(&p, &[("US", 50), ("DE", 25), ("MY", 7), ("IN", 7), ("AE", 7), ("SG", 4)]);
        let r = check(&p, &sites, c(&p, "US"), DAY, &[]).unwrap();
        assert_eq!(r.violations, vec![]);
        assert_eq!((r.total.whole_ceil(), r.tier1.whole_ceil(), r.home.whole_ceil()), (100, 75, 50));
        assert_eq!((r.outside_tier1_share, r.outside_home_share), (0.25, 0.5));
        // Every limit is tight: no headroom anywhere, including DE (outside the US).
        assert!(r.headroom.iter().all(|h| h.tpp == 0 && h.binding.is_some()), "{:?}", r.headroom);
        let plus = fleet(&p, &[("US", 50), ("DE", 25), ("MY", 8), ("IN", 7), ("AE", 7), ("SG", 4)]);
        let rules: Vec<&str> =
            check(&p, &plus, c(&p, "US"), DAY, &[]).unwrap().violations.iter().map(|v| v.rule.as_str()).collect();
        assert_eq!(rules, ["outside_tier1_max", "single_country_max", "outside_us_max"]);
    }

    #[test]
    fn headroom_and_plan_on_a_worked_example() {
        let p = pack();
        // 1,000 TPP: 900 US, 100 MY. MY may grow while 100 + x <= 0.07 (1000 + x): x <= -30/0.93, none; outside
        // Tier 1 fine. IN: x <= 0.07 (1000 + x) -> x <= 75.26 -> 75, and 100 + x <= 0.25 (1000 + x) -> x <= 200.
        let sites = fleet(&p, &[("US", 900), ("MY", 100)]);
        let r = check(&p, &sites, c(&p, "US"), DAY, &[c(&p, "IN")]).unwrap();
        assert_eq!(r.violations.len(), 1, "MY is at 10 %: {:?}", r.violations);
        let head: Vec<(String, u64, Option<FleetRule>)> =
            r.headroom.iter().map(|h| (p.countries.code(h.country).to_owned(), h.tpp, h.binding)).collect();
        // MY is over its single-country limit, which no addition outside the US mends: that rule binds both.
        let single = Some(FleetRule::SingleCountryMax);
        assert_eq!(head, [("IN".to_owned(), 0, single), ("MY".to_owned(), 0, single)], "MY's violation blocks IN");
        // Home addition to bring MY to 7 %: 100 <= 0.07 (1000 + h) -> h >= 428.57 -> 429.
        let plan = plan(&p, &sites, c(&p, "US"), DAY, &[]).unwrap();
        assert_eq!((plan.feasible, plan.additional_home_tpp, plan.violations_after.len()), (true, 429, 0));
        let fixed = fleet(&p, &[("US", 1329), ("MY", 100)]);
        let r = check(&p, &fixed, c(&p, "US"), DAY, &[c(&p, "IN")]).unwrap();
        let head: Vec<(u64, Option<FleetRule>)> = r.headroom.iter().map(|h| (h.tpp, h.binding)).collect();
        // IN: x <= 0.07 (1429 + x) -> 93 x <= 10003 -> 107; MY: 100 + x <= 0.07 (1429 + x) -> 93 x <= 3 -> 0.
        assert_eq!(head, [(107, single), (0, single)]);
    }

    #[test]
    fn tier3_compute_is_a_violation_and_makes_plans_infeasible() {
        let p = pack();
        let sites = fleet(&p, &[("US", 1000), ("CN", 1)]);
        let r = check(&p, &sites, c(&p, "US"), DAY, &[]).unwrap();
        assert_eq!(r.violations[0].rule, FleetRule::Tier3Country);
        assert!(r.headroom.iter().all(|h| h.tpp == 0 && h.binding == Some(FleetRule::Tier3Country)));
        let plan =
            plan(&p, &fleet(&p, &[("US", 1000)]), c(&p, "US"), DAY, &[(c(&p, "MO"), Tpp::from_whole(1).unwrap())]);
        assert!(!plan.unwrap().feasible);
    }

    #[test]
    fn headquarters_outside_tier1_are_refused() {
        let p = pack();
        assert!(matches!(check(&p, &[], c(&p, "MY"), DAY, &[]), Err(FleetError::HeadquartersNotTier1(..))));
    }

    fn codes() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["US", "DE", "JP", "MY", "IN", "AE", "SG", "CN"])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Headroom is the largest addition that leaves the fleet compliant, found by trying every amount.
        #[test]
        fn headroom_matches_brute_force(
            sites in prop::collection::vec((codes(), 0u64..80), 1..6),
            hq in prop::sample::select(vec!["US", "DE"]),
            at in codes(),
        ) {
            let p = pack();
            let fleet = fleet(&p, &sites);
            let hq = c(&p, hq);
            let at = c(&p, at);
            let r = check(&p, &fleet, hq, DAY, &[at]).unwrap();
            let bound = 20 * sites.iter().map(|s| s.1).sum::<u64>() + 100;
            for Headroom { country, tpp: head, .. } in r.headroom {
                let ok = |x: u64| {
                    let mut more = fleet.clone();
                    more.push(Site { site: "new".into(), country, tpp: Tpp::from_whole(x).unwrap() });
                    compliant(&p, &more, hq, DAY).unwrap()
                };
                let best = (0..=bound).rev().find(|x| ok(*x)).unwrap_or(0);
                prop_assert!(head < bound, "a bounded search must not cut headroom short");
                prop_assert_eq!(head, best, "headroom in {}", p.countries.code(country));
            }
        }

        /// A plan's home addition is the least that makes the fleet and the additions compliant.
        #[test]
        fn plan_matches_brute_force(
            sites in prop::collection::vec((codes(), 0u64..80), 1..6),
            adds in prop::collection::vec((codes(), 1u64..40), 0..3),
            hq in prop::sample::select(vec!["US", "DE"]),
        ) {
            let p = pack();
            let mut all = fleet(&p, &sites);
            let hq = c(&p, hq);
            let additions: Vec<(Country, Tpp)> =
                adds.iter().map(|(k, t)| (c(&p, k), Tpp::from_whole(*t).unwrap())).collect();
            let r = plan(&p, &all, hq, DAY, &additions).unwrap();
            for (k, t) in &additions {
                all.push(Site { site: "add".into(), country: *k, tpp: *t });
            }
            let with_home = |h: u64| {
                let mut more = all.clone();
                more.push(Site { site: "home".into(), country: hq, tpp: Tpp::from_whole(h).unwrap() });
                compliant(&p, &more, hq, DAY).unwrap()
            };
            let bound = 40 * (sites.iter().map(|s| s.1).sum::<u64>() + adds.iter().map(|a| a.1).sum::<u64>()) + 100;
            match (0..=bound).find(|h| with_home(*h)) {
                Some(h) => {
                    prop_assert!(r.feasible);
                    prop_assert_eq!(r.additional_home_tpp, h);
                    prop_assert!(r.violations_after.is_empty());
                }
                None => prop_assert!(!r.feasible, "no home addition up to {} works, yet the plan is feasible", bound),
            }
        }
    }
}
