//! What changed between two regimes: each pack reduced to a list of facts (a section, a key, a value shown as
//! text, and the citation behind it), taken on a date, and the facts compared key by key.
//!
//! Facts are what an answer can turn on: the regime's mechanisms, the license requirements and their
//! destinations, group membership, thresholds and limits, the authorizations tried and the review policies.
//! Citations are not compared (a renumbered paragraph is not a change of law) but shown beside each change.

use time::Date;

use crate::country::CountrySet;
use crate::pack::{Pack, Scope};

/// One fact of a pack on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// `regime`, `groups`, `license_requirements`, `thresholds`, `authorizations` or `review_policies`.
    pub section: &'static str,
    pub key: String,
    pub value: String,
    pub citation: String,
}

/// A fact that differs: absent on one side (`None`) or with another value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub section: &'static str,
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The citation on the side that has the fact (the later side's when both do).
    pub citation: String,
}

/// The sections, in the order a report lists them.
pub const SECTIONS: [&str; 6] =
    ["regime", "license_requirements", "groups", "thresholds", "authorizations", "review_policies"];

/// Every change from `a` on `date_a` to `b` on `date_b`, in section order, then in the order of `b`'s facts
/// (facts only `a` has last).
pub fn diff(a: &Pack, date_a: Date, b: &Pack, date_b: Date) -> Vec<Change> {
    let before = facts(a, date_a);
    let after = facts(b, date_b);
    let mut changes = Vec::new();
    for section in SECTIONS {
        for f in after.iter().filter(|f| f.section == section) {
            let old = before.iter().find(|o| o.section == section && o.key == f.key);
            if old.is_none_or(|o| o.value != f.value) {
                changes.push(Change {
                    section,
                    key: f.key.clone(),
                    before: old.map(|o| o.value.clone()),
                    after: Some(f.value.clone()),
                    citation: f.citation.clone(),
                });
            }
        }
        for o in before.iter().filter(|o| o.section == section) {
            if !after.iter().any(|f| f.section == section && f.key == o.key) {
                changes.push(Change {
                    section,
                    key: o.key.clone(),
                    before: Some(o.value.clone()),
                    after: None,
                    citation: o.citation.clone(),
                });
            }
        }
    }
    changes
}

/// The facts of `pack` on `date`.
pub fn facts(pack: &Pack, date: Date) -> Vec<Fact> {
    let mut out = Vec::new();
    let mut add = |section: &'static str, key: &str, value: String, citation: &str| {
        out.push(Fact { section, key: key.to_owned(), value, citation: citation.to_owned() });
    };
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let r = &pack.regime;
    add("regime", "tiers", yes(r.tiers), &r.citation);
    add("regime", "country_allocations", yes(r.allocations), &r.citation);
    add("regime", "eccn_4e091", yes(r.model_weights), &r.citation);
    add("regime", "aca_apart_from_nac", yes(pack.aca_split), &pack.aca_citation);

    let snap = pack.at(date);
    let codes = |set: &CountrySet| -> String {
        let mut v: Vec<&str> =
            pack.countries.iter().filter(|c| set.contains(*c)).map(|c| pack.countries.code(c)).collect();
        v.sort_unstable();
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(" ")
        }
    };
    let rq = &pack.requirements;
    let a_dest = if rq.a_class_by_destination { codes(&snap.a_class_destinations) } else { "worldwide".to_owned() };
    add("license_requirements", ".a-class destinations", a_dest, &rq.a_class.citation);
    add("license_requirements", ".a-class transactions", rq.a_class.names(), &rq.a_class.citation);
    if let Some(hq) = &rq.a_class_headquarters {
        add("license_requirements", ".a-class headquarters", codes(&snap.a_class_headquarters), &hq.citation);
    }
    add(
        "license_requirements",
        ".b-class destinations",
        codes(&snap.b_class_destinations),
        &rq.b_class_destinations.citation,
    );
    add(
        "license_requirements",
        ".b-class headquarters",
        codes(&snap.b_class_headquarters),
        &rq.b_class_headquarters.citation,
    );
    if r.model_weights {
        add("license_requirements", "4E091 transactions", rq.model_weights.names(), &rq.model_weights.citation);
    }

    for ((name, set), title) in pack.group_names.iter().zip(&snap.groups).zip(&pack.group_titles) {
        add("groups", name, codes(set), &title.citation);
    }
    if r.tiers {
        add("groups", "tier 1", codes(&snap.tier1), &pack.tier1_citation);
    }
    // Tier 3 with tiers, the presumption-of-denial class without: the same countries either way.
    add("groups", "Macau/D:5 (tier 3)", codes(&snap.tier3), &pack.tier3_citation);

    let th = &pack.thresholds;
    for (key, value, citation) in [
        ("3A090.a TPP", th.a_tpp.value.to_string(), &th.a_tpp.citation),
        ("3A090.a TPP with PD", th.a_pd_min_tpp.value.to_string(), &th.a_pd_min_tpp.citation),
        ("3A090.a PD", th.a_pd.value.to_string(), &th.a_pd.citation),
        ("3A090.b.1 TPP", th.b1_tpp.value.to_string(), &th.b1_tpp.citation),
        ("3A090.b.1 PD", th.b1_pd.value.to_string(), &th.b1_pd.citation),
        ("3A090.b.2 TPP", th.b2_tpp.value.to_string(), &th.b2_tpp.citation),
        ("3A090.b.2 PD", th.b2_pd.value.to_string(), &th.b2_pd.citation),
        ("non-data-centre TPP", th.non_datacenter_tpp.value.to_string(), &th.non_datacenter_tpp.citation),
    ] {
        add("thresholds", key, value, citation);
    }
    if r.allocations {
        let al = &pack.allocation;
        add("thresholds", "country allocation TPP", al.country_tpp.value.to_string(), &al.country_tpp.citation);
        add("thresholds", "allocation period", format!("{} to {}", al.period_from, al.period_to), &al.period_citation);
    }
    if r.tiers {
        add(
            "thresholds",
            "LPP annual limit TPP",
            pack.lpp_annual_limit_tpp.value.to_string(),
            &pack.lpp_annual_limit_tpp.citation,
        );
    }
    if r.model_weights {
        let mw = &pack.model_weights;
        let t = mw.threshold();
        add("thresholds", "4E091 training operations", crate::units::Ops(t.value).to_string(), &t.citation);
    }
    add("thresholds", "NAC notice days", pack.nac_notice_days.value.to_string(), &pack.nac_notice_days.citation);
    if let Some(c) = &pack.china_review {
        add("thresholds", "China review: TPP below", c.tpp_below.value.to_string(), &c.tpp_below.citation);
        add(
            "thresholds",
            "China review: DRAM bandwidth below (GB/s)",
            c.dram_bandwidth_below.value.to_string(),
            &c.dram_bandwidth_below.citation,
        );
    }

    let order: Vec<&str> = pack.readings.authorization_order.iter().map(|s| s.as_str()).collect();
    add("authorizations", "order", order.join(", "), "readings.authorization_order (reading R4)");
    let scope = |s: &Scope| s.names();
    let nac = if pack.aca_split {
        scope(&pack.scopes.nac)
    } else {
        format!("{}; also the destinations ACA later took", scope(&pack.scopes.nac))
    };
    add("authorizations", "NAC", nac, &pack.scopes.nac.citation);
    if pack.aca_split {
        add("authorizations", "ACA", scope(&pack.scopes.aca), &pack.scopes.aca.citation);
        add(
            "authorizations",
            "ACA transfers within",
            codes(&snap.aca_transfers_within),
            &pack.aca_transfers_within_citation,
        );
    }
    if r.tiers {
        for (name, s) in [
            ("AIA", &pack.scopes.aia),
            ("ACM", &pack.scopes.acm),
            ("LPP", &pack.scopes.lpp),
            ("UVEU", &pack.scopes.uveu),
            ("NVEU", &pack.scopes.nveu),
        ] {
            add("authorizations", name, scope(s), &s.citation);
        }
    }

    let p = &pack.policy;
    add("review_policies", "Macau/D:5 and their headquarters", "denial".to_owned(), &p.tier3_denial);
    if r.tiers {
        add("review_policies", "Tier 1 (Supp. No. 5(a))", "approval".to_owned(), &p.tier1_approval);
        if r.allocations {
            add(
                "review_policies",
                "Tier 2 .a-class",
                "approval within the allocation, denial beyond".to_owned(),
                &p.within_allocation,
            );
        }
    } else {
        add("review_policies", "outside Macau/D:5", "approval".to_owned(), &p.outside_denial_approval);
    }
    add("review_policies", ".b-class outside Macau/D:5", "approval".to_owned(), &p.b_class);
    if r.model_weights {
        add(
            "review_policies",
            "4E091 outside Supp. No. 5(a) headquarters",
            "denial".to_owned(),
            &p.model_weights_denial,
        );
    }
    if let Some(c) = &pack.china_review {
        add(
            "review_policies",
            "China/Macau below the band (exports from the US)",
            format!("case_by_case for the {} to {}", c.scope.names(), codes(&snap.china_review)),
            &c.destinations_citation,
        );
    }
    out
}
