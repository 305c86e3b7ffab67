//! Data Center Validated End Users (RULE.md §5): who may be registered, and the semi-annual report over a
//! VEU's facility log (Supp. No. 10 to part 748, paragraph 10; 15 CFR 748.15(f)).
//!
//! A facility log is a list of events per facility and chip type. Chips are `received` into a facility's stock,
//! `installed` from stock into service, and leave service when `transferred` (to another facility or country) or
//! `retired` (attrition: loss, damage, failure, resale). Neither stock nor installed chips may go below zero at
//! any date: a log that says otherwise is refused, with the event that breaks it. The installed base of a
//! facility is its installed chips times each chip's TPP.

use std::collections::BTreeMap;

use time::{Date, Month};

use crate::country::Country;
use crate::determine::{Consignee, VeuClaim};
use crate::fleet::{self, Site};
use crate::pack::{Cited, Pack};
use crate::units::{group_digits, Tpp};
use crate::Reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VeuKind {
    Universal,
    National,
}

impl VeuKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VeuKind::Universal => "uveu",
            VeuKind::National => "nveu",
        }
    }

    pub fn parse(s: &str) -> Option<VeuKind> {
        match s {
            "uveu" => Some(VeuKind::Universal),
            "nveu" => Some(VeuKind::National),
            _ => None,
        }
    }
}

/// A VEU as registered: one authorization. An NVEU is for one country; a UVEU for none in particular.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub id: String,
    pub kind: VeuKind,
    pub name: String,
    pub headquarters: Country,
    /// Where its ultimate parent is headquartered, when another country than `headquarters`.
    pub ultimate_parent_headquarters: Option<Country>,
    pub country: Option<Country>,
}

impl Registration {
    /// The ledger pool an NVEU's installed base counts against (`nveu:ID`); a UVEU has none.
    pub fn pool(&self) -> Option<String> {
        (self.kind == VeuKind::National).then(|| format!("nveu:{}", self.id))
    }
}

/// Whether a registration may be made as of a date, and why, each statement cited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility<'p> {
    pub eligible: bool,
    pub reasons: Vec<Reason<'p>>,
}

/// Checks a registration against the pack's eligibility groups as of `date`.
pub fn eligibility<'p>(pack: &'p Pack, reg: &Registration, date: Date) -> Eligibility<'p> {
    let e = &pack.veu_eligibility;
    let code = |c: Country| pack.countries.code(c);
    let mut reasons = Vec::new();
    let mut because = |ok: bool, rule: &'p Cited<Vec<usize>>, text: String| {
        reasons.push(Reason { text: text.into(), citation: &rule.citation });
        ok
    };
    let eligible = match reg.kind {
        VeuKind::Universal => {
            // 748.15(b)(2)(i): "headquartered in, or have their ultimate parent company headquartered in".
            let parent = reg.ultimate_parent_headquarters.unwrap_or(reg.headquarters);
            let hq_ok = pack.in_groups(reg.headquarters, date, &e.uveu_headquarters.value)
                || pack.in_groups(parent, date, &e.uveu_headquarters.value);
            let hq = because(
                hq_ok,
                &e.uveu_headquarters,
                format!(
                    "a UVEU must be headquartered, or have its ultimate parent headquartered, in {}: it is headquartered in {}, its ultimate parent in {}, {} of them there",
                    group_list(pack, &e.uveu_headquarters.value),
                    code(reg.headquarters),
                    code(parent),
                    if hq_ok { "at least one" } else { "neither" }
                ),
            );
            let one_country = match reg.country {
                Some(c) => because(
                    false,
                    &e.uveu_headquarters,
                    format!("a UVEU is not for one country (given {}): register an NVEU for that", code(c)),
                ),
                None => true,
            };
            hq && one_country
        }
        VeuKind::National => {
            let excluded = |c: Country| pack.in_groups(c, date, &e.nveu_excluded.value);
            let groups = group_list(pack, &e.nveu_excluded.value);
            let parent = reg.ultimate_parent_headquarters.unwrap_or(reg.headquarters);
            let hq_ok = !excluded(reg.headquarters) && !excluded(parent);
            let hq = because(
                hq_ok,
                &e.nveu_excluded,
                format!(
                    "an NVEU may not be headquartered, nor have its ultimate parent headquartered, in {groups}: it is headquartered in {}, its ultimate parent in {}, {} of them there",
                    code(reg.headquarters),
                    code(parent),
                    if hq_ok { "neither" } else { "at least one" }
                ),
            );
            let country = match reg.country {
                None => because(
                    false,
                    &e.nveu_excluded,
                    "an NVEU is country-specific: name the country it is for".to_owned(),
                ),
                Some(c) => {
                    let ok = !excluded(c);
                    because(
                        ok,
                        &e.nveu_excluded,
                        format!(
                            "an NVEU's country may not be in {groups}: {} {}",
                            code(c),
                            if ok { "is not" } else { "is" }
                        ),
                    )
                }
            };
            hq && country
        }
    };
    Eligibility { eligible, reasons }
}

fn group_list(pack: &Pack, groups: &[usize]) -> String {
    let names: Vec<&str> = groups.iter().filter_map(|g| pack.group_labels.get(*g)).map(String::as_str).collect();
    names.join(" or ")
}

/// Checks a request's VEU claim against the registry (`determine --db`, the API): the claim stands only for a
/// registered VEU of the claimed kind, found by its id or else by the consignee's (or its parent's) name, that is
/// registered to that consignee with its headquarters and, for an NVEU, for the claimed country. Any other claim
/// becomes [`VeuClaim::Unverified`] with the reason, so the answer says why no VEU was relied on.
pub fn verify_claim(pack: &Pack, registry: &[Registration], claim: &VeuClaim, consignee: &Consignee) -> VeuClaim {
    let (kind, id, country) = match claim {
        VeuClaim::Universal { id } => (VeuKind::Universal, id.as_deref(), None),
        VeuClaim::National { country, id } => (VeuKind::National, id.as_deref(), Some(pack.canonical(*country))),
        VeuClaim::Unverified { .. } => return claim.clone(),
    };
    let code = |c: Country| pack.countries.code(c);
    let names: Vec<String> = [consignee.name.as_deref(), consignee.ultimate_parent.as_deref()]
        .into_iter()
        .flatten()
        .map(same_name)
        .collect();
    let named = |r: &Registration| names.contains(&same_name(&r.name));
    let unverified = |why: String| VeuClaim::Unverified { kind, why };
    let found = match id {
        Some(id) => match registry.iter().find(|r| r.id == id) {
            None => return unverified(format!("no VEU with id `{id}` is registered (tiergate veu add)")),
            Some(r) if r.kind != kind => {
                return unverified(format!("`{id}` is registered as {}", r.kind.as_str().to_uppercase()))
            }
            Some(r) if !named(r) => {
                return unverified(format!(
                    "`{id}` is registered to `{}`, which is neither the consignee nor its ultimate parent",
                    r.name
                ))
            }
            Some(r) => r,
        },
        None => {
            let mut matches = registry.iter().filter(|r| {
                r.kind == kind && named(r) && (country.is_none() || r.country.map(|c| pack.canonical(c)) == country)
            });
            match (matches.next(), matches.next()) {
                (Some(r), None) => r,
                (None, _) => {
                    return unverified(format!(
                        "no {} is registered under the consignee's name{} (tiergate veu add)",
                        kind.as_str().to_uppercase(),
                        country.map(|c| format!(" for {}", code(c))).unwrap_or_default()
                    ))
                }
                (Some(_), Some(_)) => {
                    return unverified(format!(
                        "several {}s are registered under the consignee's name: give `consignee.veu.id`",
                        kind.as_str().to_uppercase()
                    ))
                }
            }
        }
    };
    if pack.canonical(found.headquarters) != pack.canonical(consignee.headquarters)
        && pack.canonical(found.headquarters) != pack.canonical(consignee.ultimate_parent_headquarters)
    {
        return unverified(format!(
            "`{}` is registered as headquartered in {}, the request says {}",
            found.id,
            code(found.headquarters),
            code(consignee.headquarters)
        ));
    }
    match kind {
        VeuKind::Universal => VeuClaim::Universal { id: Some(found.id.clone()) },
        VeuKind::National => {
            let Some(registered) = found.country else {
                return unverified(format!("`{}` is registered without a country", found.id));
            };
            if Some(pack.canonical(registered)) != country {
                return unverified(format!(
                    "`{}` is registered for {}, the request claims an NVEU for {}",
                    found.id,
                    code(registered),
                    country.map_or("no country", code)
                ));
            }
            VeuClaim::National { country: registered, id: Some(found.id.clone()) }
        }
    }
}

/// Names compared without case and with runs of spaces as one.
fn same_name(s: &str) -> String {
    s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// What is wrong with an event's facility for this VEU, if anything: an NVEU's facilities are in its country; no
/// VEU's may be in a country of the pack's `nveu_excluded` groups (Macau/D:5) on the event's date.
pub fn facility_problem(pack: &Pack, reg: &Registration, e: &Event) -> Option<String> {
    let code = |c: Country| pack.countries.code(c);
    match reg.country {
        Some(c) if pack.canonical(c) != pack.canonical(e.country) => Some(format!(
            "facility `{}` is in {}, but NVEU `{}` is authorized for {} only",
            e.facility,
            code(e.country),
            reg.id,
            code(c)
        )),
        _ if pack.in_groups(e.country, e.date, &pack.veu_eligibility.nveu_excluded.value) => Some(format!(
            "facility `{}` is in {}: a VEU's data centres may not be in Macau/D:5",
            e.facility,
            code(e.country)
        )),
        _ => None,
    }
}

/// The headroom of an NVEU on a date: its cumulative cap for the quarter and what it has installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NveuStanding {
    /// `2026Q3`.
    pub quarter: String,
    pub cap_tpp: u64,
    /// Posted and pending reservations of its pool.
    pub installed_tpp: u64,
    pub headroom_tpp: u64,
}

/// The standing of an NVEU whose pool has drawn `installed_tpp`, as of `date`; `None` when the schedule sets no
/// cap for that date.
pub fn nveu_standing(pack: &Pack, installed_tpp: u64, date: Date) -> Option<NveuStanding> {
    let (quarter, cap) = pack.nveu.cap(date)?;
    Some(NveuStanding {
        quarter: quarter.to_string(),
        cap_tpp: cap,
        installed_tpp,
        headroom_tpp: cap.saturating_sub(installed_tpp),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Received,
    Installed,
    Transferred,
    Retired,
}

impl EventKind {
    pub const ALL: [EventKind; 4] =
        [EventKind::Received, EventKind::Installed, EventKind::Transferred, EventKind::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Received => "received",
            EventKind::Installed => "installed",
            EventKind::Transferred => "transferred",
            EventKind::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a facility log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub date: Date,
    pub kind: EventKind,
    pub facility: String,
    pub country: Country,
    /// A catalog id.
    pub item: String,
    pub quantity: u64,
    /// The item's TPP per unit.
    pub unit_tpp: Tpp,
    /// The ledger reservation a receipt was authorized by, if any.
    pub reservation: Option<String>,
}

/// A log that cannot be: which event (its index in the list given) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {index}: {problem}")]
pub struct LogError {
    pub index: usize,
    pub problem: String,
}

/// Quantities of one chip type at one facility.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub installed: u64,
    pub transferred: u64,
    pub retired: u64,
}

impl Counts {
    fn add(&mut self, kind: EventKind, q: u64) -> Option<()> {
        let slot = match kind {
            EventKind::Received => &mut self.received,
            EventKind::Installed => &mut self.installed,
            EventKind::Transferred => &mut self.transferred,
            EventKind::Retired => &mut self.retired,
        };
        *slot = slot.checked_add(q)?;
        Some(())
    }
}

/// Chips on hand at a facility: in stock (received, not installed) and in service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OnHand {
    pub stock: u64,
    pub in_service: u64,
}

type Key = (String, String);

/// Replays a log in date order (events of one date in the order given) and checks that no facility ever
/// installs more than it holds in stock or removes more than it has in service, and that a facility stays in
/// one country. Returns the chips on hand per (facility, item) after the last event dated on or before `until`.
pub fn replay(events: &[Event], until: Option<Date>) -> Result<BTreeMap<Key, OnHand>, LogError> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|i| events.get(*i).map(|e| e.date));
    let mut on_hand: BTreeMap<Key, OnHand> = BTreeMap::new();
    let mut countries: BTreeMap<&str, Country> = BTreeMap::new();
    for i in order {
        let Some(e) = events.get(i) else { continue };
        if let Some(c) = countries.insert(&e.facility, e.country) {
            if c != e.country {
                return Err(LogError {
                    index: i,
                    problem: format!("facility `{}` is logged in two countries", e.facility),
                });
            }
        }
        if until.is_some_and(|u| e.date > u) {
            continue;
        }
        let h = on_hand.entry((e.facility.clone(), e.item.clone())).or_default();
        let short = |what: &str, have: u64| LogError {
            index: i,
            problem: format!(
                "{} {} × {} at `{}` on {}, but only {have} {what} then",
                e.kind.as_str(),
                e.quantity,
                e.item,
                e.facility,
                e.date
            ),
        };
        let too_many = || LogError { index: i, problem: "the quantity overflows".into() };
        match e.kind {
            EventKind::Received => h.stock = h.stock.checked_add(e.quantity).ok_or_else(too_many)?,
            EventKind::Installed => {
                h.stock = h
                    .stock
                    .checked_sub(e.quantity)
                    .ok_or_else(|| short("in stock (received, not installed)", h.stock))?;
                h.in_service = h.in_service.checked_add(e.quantity).ok_or_else(too_many)?;
            }
            EventKind::Transferred | EventKind::Retired => {
                h.in_service = h.in_service.checked_sub(e.quantity).ok_or_else(|| short("in service", h.in_service))?;
            }
        }
    }
    Ok(on_hand)
}

/// A calendar half-year: the reporting period of 15 CFR 748.15(f).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    /// 1 or 2.
    pub half: u8,
}

impl Period {
    /// `2025H1` or `2025H2`.
    pub fn parse(s: &str) -> Option<Period> {
        let (y, h) = s.split_once(['H', 'h'])?;
        let year: i32 = y.parse().ok().filter(|y| (2000..=9999).contains(y))?;
        let half: u8 = h.parse().ok().filter(|h| *h == 1 || *h == 2)?;
        Some(Period { year, half })
    }

    pub fn label(self) -> String {
        format!("{}H{}", self.year, self.half)
    }

    pub fn from(self) -> Date {
        let month = if self.half == 1 { Month::January } else { Month::July };
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }

    pub fn to(self) -> Date {
        let (month, day) = if self.half == 1 { (Month::June, 30) } else { (Month::December, 31) };
        Date::from_calendar_date(self.year, month, day).unwrap_or(Date::MAX)
    }

    pub fn contains(self, d: Date) -> bool {
        self.from() <= d && d <= self.to()
    }
}

/// A posted reservation of an NVEU's pool: TPP the ledger counts as shipped to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    pub id: String,
    pub tpp: u64,
    pub date: Date,
}

/// One chip type at one facility: what moved during the period and what is installed at its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemLine {
    pub item: String,
    pub unit_tpp: Tpp,
    pub moved: Counts,
    pub in_stock: u64,
    pub in_service: u64,
}

impl ItemLine {
    pub fn tpp(&self, quantity: u64) -> Tpp {
        self.unit_tpp.checked_mul(quantity).unwrap_or(Tpp::from_milli(u64::MAX))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityLine {
    pub facility: String,
    pub country: Country,
    pub items: Vec<ItemLine>,
}

impl FacilityLine {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for line in &self.items {
            t.add(line);
        }
        t
    }
}

/// TPP moved in the period and installed at its end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub received: Tpp,
    pub installed: Tpp,
    pub transferred: Tpp,
    pub retired: Tpp,
    pub installed_base: Tpp,
}

impl Totals {
    fn add(&mut self, line: &ItemLine) {
        let sum = |a: Tpp, q: u64| a.checked_add(line.tpp(q)).unwrap_or(a);
        self.received = sum(self.received, line.moved.received);
        self.installed = sum(self.installed, line.moved.installed);
        self.transferred = sum(self.transferred, line.moved.transferred);
        self.retired = sum(self.retired, line.moved.retired);
        self.installed_base = sum(self.installed_base, line.in_service);
    }
}

/// What the ledger says of an NVEU in the period, beside what its log says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerLine {
    pub pool: String,
    /// Posted in the period.
    pub posted_in_period_tpp: u64,
    /// Posted up to the period's end.
    pub posted_to_date_tpp: u64,
    /// The cumulative cap for the last quarter of the period.
    pub cap: Option<NveuStanding>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report<'p> {
    pub veu: Registration,
    pub period: Period,
    pub facilities: Vec<FacilityLine>,
    /// Installed base at the period's end per country, largest first.
    pub by_country: Vec<(Country, Tpp)>,
    pub totals: Totals,
    pub ledger: Option<LedgerLine>,
    /// Disagreements a person must explain before filing: receipts not matched by posted reservations, an
    /// installed base above the NVEU cap.
    pub checks: Vec<String>,
    pub citations: Vec<Reason<'p>>,
}

/// Builds the report of `reg` for `period` from its facility log and, for an NVEU, the posted reservations of its
/// pool.
pub fn report<'p>(
    pack: &'p Pack,
    reg: &Registration,
    period: Period,
    events: &[Event],
    posted: &[Posted],
) -> Result<Report<'p>, LogError> {
    let on_hand = replay(events, Some(period.to()))?;
    let mut moved: BTreeMap<Key, Counts> = BTreeMap::new();
    let mut units: BTreeMap<&str, Tpp> = BTreeMap::new();
    let mut country_of: BTreeMap<&str, Country> = BTreeMap::new();
    let mut receipts: BTreeMap<&str, Tpp> = BTreeMap::new();
    let mut received_unmatched = Tpp::ZERO;
    for (i, e) in events.iter().enumerate() {
        units.insert(&e.item, e.unit_tpp);
        country_of.insert(&e.facility, e.country);
        if !period.contains(e.date) {
            continue;
        }
        let c = moved.entry((e.facility.clone(), e.item.clone())).or_default();
        c.add(e.kind, e.quantity).ok_or_else(|| LogError { index: i, problem: "the quantity overflows".into() })?;
        if e.kind == EventKind::Received {
            let tpp = e.unit_tpp.checked_mul(e.quantity).unwrap_or(Tpp::ZERO);
            match &e.reservation {
                Some(r) => {
                    let slot = receipts.entry(r).or_default();
                    *slot = slot.checked_add(tpp).unwrap_or(*slot);
                }
                None => received_unmatched = received_unmatched.checked_add(tpp).unwrap_or(received_unmatched),
            }
        }
    }
    let mut keys: Vec<&Key> = moved.keys().chain(on_hand.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut facilities: Vec<FacilityLine> = Vec::new();
    let mut totals = Totals::default();
    let mut by_country: BTreeMap<Country, Tpp> = BTreeMap::new();
    for (facility, item) in keys {
        let held = on_hand.get(&(facility.clone(), item.clone())).copied().unwrap_or_default();
        let line = ItemLine {
            item: item.clone(),
            unit_tpp: units.get(item.as_str()).copied().unwrap_or(Tpp::ZERO),
            moved: moved.get(&(facility.clone(), item.clone())).copied().unwrap_or_default(),
            in_stock: held.stock,
            in_service: held.in_service,
        };
        if line.moved == Counts::default() && held == OnHand::default() {
            continue;
        }
        totals.add(&line);
        let Some(country) = country_of.get(facility.as_str()).copied() else { continue };
        let base = by_country.entry(country).or_default();
        *base = base.checked_add(line.tpp(line.in_service)).unwrap_or(*base);
        match facilities.last_mut() {
            Some(f) if f.facility == *facility => f.items.push(line),
            _ => facilities.push(FacilityLine { facility: facility.clone(), country, items: vec![line] }),
        }
    }
    let mut by_country: Vec<(Country, Tpp)> = by_country.into_iter().collect();
    by_country.sort_by(|a, b| b.1.cmp(&a.1).then(pack.countries.code(a.0).cmp(pack.countries.code(b.0))));

    let mut checks = Vec::new();
    let ledger = reg.pool().map(|pool| {
        let in_period: u64 = posted.iter().filter(|p| period.contains(p.date)).map(|p| p.tpp).sum();
        let to_date: u64 = posted.iter().filter(|p| p.date <= period.to()).map(|p| p.tpp).sum();
        for (r, tpp) in &receipts {
            match posted.iter().find(|p| p.id == *r) {
                None => checks.push(format!(
                    "receipts of {} TPP name reservation `{r}`, which is not a posted reservation of {pool}",
                    group_digits(tpp.whole_ceil())
                )),
                Some(p) if p.tpp != tpp.whole_ceil() => checks.push(format!(
                    "receipts naming reservation `{r}` come to {} TPP; the reservation posted {} TPP",
                    tpp.whole_ceil(),
                    group_digits(p.tpp)
                )),
                Some(_) => {}
            }
        }
        if received_unmatched > Tpp::ZERO {
            checks.push(format!(
                "receipts of {} TPP in the period name no ledger reservation",
                group_digits(received_unmatched.whole_ceil())
            ));
        }
        let cap = nveu_standing(pack, to_date, period.to());
        if let Some(c) = &cap {
            if totals.installed_base.whole_ceil() > c.cap_tpp {
                checks.push(format!(
                    "the installed base of {} TPP is above the cumulative cap of {} TPP for {}",
                    group_digits(totals.installed_base.whole_ceil()),
                    group_digits(c.cap_tpp),
                    c.quarter
                ));
            }
        }
        LedgerLine { pool, posted_in_period_tpp: in_period, posted_to_date_tpp: to_date, cap }
    });
    if reg.kind == VeuKind::Universal && totals.installed_base > Tpp::ZERO {
        let sites: Vec<Site> = facilities
            .iter()
            .map(|f| Site { site: f.facility.clone(), country: f.country, tpp: f.totals().installed_base })
            .collect();
        match fleet::check(pack, &sites, reg.headquarters, period.to(), &[]) {
            Ok(c) => checks.extend(c.violations.iter().map(|v| {
                let place = v.country.map(|c| format!(" ({})", pack.countries.name(c))).unwrap_or_default();
                format!(
                    "the installed base at the period's end breaks {}{place}: {:.2} % against a limit of {:.2} % ({})",
                    v.rule.words(),
                    v.value * 100.0,
                    v.limit * 100.0,
                    v.citation
                )
            })),
            Err(e) => checks.push(format!("the installed base cannot be checked against the UVEU limits: {e}")),
        }
    }
    let mut citations = Vec::new();
    if let Some(o) = pack.obligation("veu_reports") {
        citations.push(Reason { text: o.text.as_str().into(), citation: &o.citation });
    }
    let kind_citation = match reg.kind {
        VeuKind::Universal => &pack.uveu_citation,
        VeuKind::National => &pack.nveu_citation,
    };
    citations.push(Reason {
        text: format!("{} authorization", reg.kind.as_str().to_uppercase()).into(),
        citation: kind_citation,
    });
    Ok(Report { veu: reg.clone(), period, facilities, by_country, totals, ledger, checks, citations })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use proptest::prelude::*;
    use time::macros::date;

    use super::*;
    use crate::builtin;

    static PACK: std::sync::LazyLock<Pack> =
        std::sync::LazyLock::new(|| builtin::pack(builtin::countries().unwrap()).unwrap());

    fn c(code: &str) -> Country {
        PACK.countries.resolve(code).unwrap()
    }

    /// An H100 counted as 15,832 TPP.
    fn ev(date: Date, kind: EventKind, facility: &str, country: &str, quantity: u64) -> Event {
        Event {
            date,
            kind,
            facility: facility.into(),
            country: c(country),
            item: "h100".into(),
            quantity,
            unit_tpp: Tpp::from_whole(15_832).unwrap(),
            reservation: None,
        }
    }

    fn nveu() -> Registration {
        Registration {
            id: "g".into(),
            kind: VeuKind::National,
            name: "G".into(),
            ultimate_parent_headquarters: None,
            headquarters: c("AE"),
            country: Some(c("AE")),
        }
    }

    #[test]
    fn periods() {
        let p = Period::parse("2025H2").unwrap();
        assert_eq!((p.from(), p.to()), (date!(2025 - 07 - 01), date!(2025 - 12 - 31)));
        assert_eq!(Period::parse("2026h1").unwrap().to(), date!(2026 - 06 - 30));
        for bad in ["2025H3", "2025", "H1", "2025-H1", "99999H1"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn replay_refuses_installing_more_than_received_and_removing_more_than_installed() {
        use EventKind::*;
        let d = date!(2025 - 03 - 01);
        let ok = [ev(d, Received, "A", "AE", 10), ev(d, Installed, "A", "AE", 10), ev(d, Retired, "A", "AE", 10)];
        assert_eq!(replay(&ok, None).unwrap()[&("A".into(), "h100".into())], OnHand { stock: 0, in_service: 0 });
        let e = replay(&[ev(d, Received, "A", "AE", 5), ev(d, Installed, "A", "AE", 6)], None).unwrap_err();
        assert_eq!(e.index, 1);
        // Order is by date: a removal dated before the installation is refused even if listed after it.
        let later = date!(2025 - 04 - 01);
        let e = replay(
            &[ev(d, Received, "A", "AE", 5), ev(later, Installed, "A", "AE", 5), ev(d, Transferred, "A", "AE", 1)],
            None,
        )
        .unwrap_err();
        assert_eq!(e.index, 2);
        let e = replay(&[ev(d, Received, "A", "AE", 5), ev(d, Received, "A", "SA", 5)], None).unwrap_err();
        assert!(e.problem.contains("two countries"), "{e}");
    }

    /// Hand-computed: 1,000 received and 900 installed in H1, 12 retired, 100 installed in H2; the ledger posted
    /// 1,000 × 15,832 = 15,832,000 in H1.
    #[test]
    fn a_report_by_hand() {
        use EventKind::*;
        let mut events = vec![
            ev(date!(2025 - 05 - 12), Received, "Abu Dhabi 1", "AE", 1000),
            ev(date!(2025 - 05 - 20), Installed, "Abu Dhabi 1", "AE", 900),
            ev(date!(2025 - 06 - 20), Retired, "Abu Dhabi 1", "AE", 12),
            ev(date!(2025 - 08 - 01), Installed, "Abu Dhabi 1", "AE", 100),
        ];
        events[0].reservation = Some("res-1".into());
        let posted = [Posted { id: "res-1".into(), tpp: 15_832_000, date: date!(2025 - 05 - 10) }];
        let r = report(&PACK, &nveu(), Period::parse("2025H1").unwrap(), &events, &posted).unwrap();
        let whole = |t: Tpp| t.milli() / 1000;
        assert_eq!(whole(r.totals.received), 15_832_000);
        assert_eq!(whole(r.totals.installed), 900 * 15_832);
        assert_eq!(whole(r.totals.retired), 12 * 15_832);
        assert_eq!(whole(r.totals.installed_base), 888 * 15_832);
        assert_eq!(r.facilities[0].items[0].in_stock, 100);
        assert_eq!(r.by_country, vec![(c("AE"), Tpp::from_whole(888 * 15_832).unwrap())]);
        let l = r.ledger.as_ref().unwrap();
        assert_eq!((l.posted_in_period_tpp, l.cap.as_ref().unwrap().cap_tpp), (15_832_000, 949_500_000));
        assert!(r.checks.is_empty(), "{:?}", r.checks);

        let h2 = report(&PACK, &nveu(), Period::parse("2025H2").unwrap(), &events, &posted).unwrap();
        assert_eq!(whole(h2.totals.received), 0);
        assert_eq!(whole(h2.totals.installed_base), 988 * 15_832);

        // A receipt naming no posted reservation, and one with none at all, are flagged.
        events[0].reservation = Some("res-9".into());
        events.push(ev(date!(2025 - 06 - 01), Received, "Abu Dhabi 1", "AE", 1));
        let r = report(&PACK, &nveu(), Period::parse("2025H1").unwrap(), &events, &posted).unwrap();
        assert_eq!(r.checks.len(), 2, "{:?}", r.checks);
    }

    #[test]
    fn a_uveu_report_checks_the_installed_base_against_the_limits() {
        use EventKind::*;
        let d = date!(2025 - 03 - 01);
        let events = [
            ev(d, Received, "Iowa", "US", 90),
            ev(d, Installed, "Iowa", "US", 90),
            ev(d, Received, "Johor", "MY", 10),
            ev(d, Installed, "Johor", "MY", 10),
        ];
        let reg = Registration {
            id: "u".into(),
            kind: VeuKind::Universal,
            name: "U".into(),
            ultimate_parent_headquarters: None,
            headquarters: c("US"),
            country: None,
        };
        let r = report(&PACK, &reg, Period::parse("2025H1").unwrap(), &events, &[]).unwrap();
        assert!(r.ledger.is_none());
        assert_eq!(r.checks.len(), 1, "{:?}", r.checks);
        assert!(r.checks[0].contains("any one country outside Tier 1 (Malaysia)"), "{:?}", r.checks);
    }

    proptest! {
        /// Whatever the events, an accepted log never holds a negative count, and the installed base at a
        /// period's end is the cumulative installed minus removed up to it.
        #[test]
        fn accepted_logs_add_up(moves in proptest::collection::vec((0u8..4, 1u64..20, 0u8..2, 0i64..365), 0..30)) {
            let events: Vec<Event> = moves.iter().map(|(k, q, f, day)| {
                let kind = EventKind::ALL[usize::from(*k)];
                ev(date!(2025 - 01 - 01) + time::Duration::days(*day), kind, if *f == 0 { "A" } else { "B" }, "AE", *q)
            }).collect();
            if let Ok(held) = replay(&events, None) {
                let period = Period::parse("2025H2").unwrap();
                let r = report(&PACK, &nveu(), period, &events, &[]).unwrap();
                let mut base: i128 = 0;
                for e in events.iter().filter(|e| e.date <= period.to()) {
                    base += match e.kind {
                        EventKind::Installed => i128::from(e.quantity),
                        EventKind::Transferred | EventKind::Retired => -i128::from(e.quantity),
                        EventKind::Received => 0,
                    };
                }
                prop_assert!(base >= 0);
                prop_assert_eq!(i128::from(r.totals.installed_base.milli()), base * 15_832_000);
                let in_service: u64 = held.values().map(|h| h.in_service).sum();
                prop_assert_eq!(u128::from(in_service) * 15_832_000, u128::from(r.totals.installed_base.milli()));
            }
        }
    }
}
