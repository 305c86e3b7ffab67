//! The engine's reading of screening hits, with hits made up to reach cases the real lists do not offer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use tiergate_core::determine::{Authorization, ReviewPolicy};
use tiergate_core::parties::{HitLevel, ListedParty, PartyRole, Screening};
use tiergate_wire::{parse_request, Env};

fn hit(entry_id: &str, list: &str, programs: &[&str], level: HitLevel) -> ListedParty {
    ListedParty {
        role: PartyRole::Consignee,
        query: "Example Trading".into(),
        entry_id: entry_id.into(),
        list: list.into(),
        source: String::new(),
        name: "EXAMPLE TRADING".into(),
        matched_name: String::new(),
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

fn answer(hits: Vec<ListedParty>) -> (Authorization, Option<ReviewPolicy>, Vec<String>, Vec<String>) {
    let env = Env::builtin().unwrap();
    let line = r#"{"date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10,"destination":"MY","consignee":{"name":"Example Trading","headquarters":"MY"}}"#;
    let (_, mut req) = parse_request(line, &env).unwrap();
    req.screening = Some(Screening {
        lists: vec!["sdn v1".into()],
        screened: vec![(PartyRole::Consignee, "Example Trading".into())],
        hits,
        stale: Vec::new(),
        ownership: Vec::new(),
    });
    let d = env.determine(&req).unwrap();
    let text = |rs: &[tiergate_core::Reason<'_>]| rs.iter().map(|r| format!("{} [{}]", r.text, r.citation)).collect();
    (d.authorization, d.review_policy, text(&d.reasons), text(&d.notes))
}

/// On one list some programs carry a license requirement and others do not: an SDN match under SDGT counts even
/// when a better-ranked SDN match of the same name is under a program the pack leaves to a person.
#[test]
fn a_licensing_program_counts_behind_a_non_licensing_one() {
    let (auth, policy, reasons, notes) =
        answer(vec![hit("1", "SDN", &["IRAN"], HitLevel::Match), hit("2", "SDN", &["SDGT"], HitLevel::Match)]);
    assert_eq!((auth, policy), (Authorization::License, Some(ReviewPolicy::Denial)));
    assert!(reasons.iter().any(|r| r.contains("entry 2") && r.contains("15 CFR 744.12")), "{reasons:#?}");
    assert!(notes.iter().any(|n| n.contains("entry 1") && n.contains("attaches no license requirement")), "{notes:#?}");
}

/// A review-level hit on a licensing list changes nothing but adds a note; a cleared one only a reason.
#[test]
fn review_and_cleared_hits_do_not_license() {
    let (auth, _, reasons, notes) =
        answer(vec![hit("3", "EL", &[], HitLevel::Review), hit("4", "DPL", &[], HitLevel::Cleared)]);
    assert_eq!(auth, Authorization::Lpp);
    assert!(notes.iter().any(|n| n.contains("entry 3") && n.contains("a person must clear")), "{notes:#?}");
    assert!(reasons.iter().any(|r| r.contains("entry 4") && r.contains("judged a false positive")), "{reasons:#?}");
}

/// A list imported more than `stale_after_days` (data/screening.toml: 30) before the request's date is flagged
/// in the answer's notes; one imported within it, or after the date, is not.
#[test]
fn stale_lists_are_flagged_on_the_requests_date() {
    use tiergate_screen::{Config, Index, Screener};
    use tiergate_wire::parties::{screen_parties, ListAge, Lists};
    use time::macros::date;
    let env = Env::builtin().unwrap();
    let lists = Lists {
        screener: Screener::new(Index::build(Config::builtin().unwrap(), Vec::new())),
        versions: vec!["csl v1".into(), "sdn v1".into()],
        ages: vec![
            ListAge { list: "csl".into(), imported: date!(2025 - 04 - 01), dated: None },
            ListAge { list: "sdn".into(), imported: date!(2025 - 05 - 20), dated: None },
            // Imported recently, but its newest entry is old: counted from the list's own date.
            ListAge {
                list: "dpl".into(),
                imported: date!(2025 - 05 - 30),
                dated: Some((date!(2025 - 01 - 10), "newest_entry".into())),
            },
        ],
    };
    let line = r#"{"date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10,"destination":"MY","consignee":{"name":"Example Trading","headquarters":"MY"}}"#;
    let (_, mut req) = parse_request(line, &env).unwrap();
    let screening = screen_parties(Some(&lists), &req, &env.pack);
    assert_eq!(
        screening.stale,
        [
            "csl list was imported on 2025-04-01, 61 days before 2025-06-01 (more than 30)",
            "dpl list is dated 2025-01-10 (its newest entry; imported 2025-05-30), 142 days before 2025-06-01 (more than 30)"
        ]
    );
    req.screening = Some(screening);
    let d = env.determine(&req).unwrap();
    assert!(d
        .notes
        .iter()
        .any(|n| n.text.contains("the csl list was imported on 2025-04-01") && n.text.contains("re-import it")));
    assert!(lists.stale_on(date!(2025 - 03 - 01)).is_empty(), "imported after the date: not stale");
}
