//! `tiergate regimes diff`: what changed at each step of the timelines, as reports (snapshots).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tiergate_wire::regimes::{diff_markdown, regimes_diff, timelines};
use tiergate_wire::Env;

/// The report with each pack's sha256 replaced: a snapshot describes the change, not the packs' bytes.
fn report(env: &Env, a: &str, b: &str, timeline: &str) -> String {
    let d = regimes_diff(env, a, b, timeline).expect("a diff");
    let mut md = diff_markdown(&d);
    for p in env.regimes.packs.iter() {
        md = md.replace(&p.sha256, "(sha256)");
    }
    md
}

#[test]
fn each_step_of_the_timelines() {
    let env = Env::builtin().unwrap();
    insta::assert_snapshot!("codified_2023_11_to_2024_04", report(&env, "2024-04-03", "2024-04-04", "codified"));
    insta::assert_snapshot!("codified_2024_12_to_framework", report(&env, "2025-01-12", "2025-01-13", "codified"));
    insta::assert_snapshot!("codified_91_fr_1684", report(&env, "2026-01-14", "2026-01-15", "codified"));
    insta::assert_snapshot!("enforced_2025_05_13", report(&env, "2025-05-12", "2025-05-13", "enforced"));
    insta::assert_snapshot!("enforced_uae_2026_07_10", report(&env, "2026-07-09", "2026-07-10", "enforced"));
    insta::assert_snapshot!(
        "packs_codified_against_enforced",
        report(&env, "ai-diffusion-2026-01", "enforced-2026-01", "codified")
    );
}

#[test]
fn a_diff_of_a_pack_with_itself_is_empty() {
    let env = Env::builtin().unwrap();
    for p in env.regimes.packs.iter() {
        let d = regimes_diff(&env, &p.id, &p.id, "codified").unwrap();
        assert_eq!(d.count, 0, "{}", p.id);
    }
    // The same pack on two dates differs only by its dated groups.
    let d = regimes_diff(&env, "2026-02-02", "2026-02-03", "codified").unwrap();
    assert!(d.count > 0);
    assert!(d.changes["regime"].as_array().unwrap().is_empty());
    assert!(d.changes["thresholds"].as_array().unwrap().is_empty());
}

#[test]
fn bad_sides_name_the_field() {
    let env = Env::builtin().unwrap();
    let e = regimes_diff(&env, "2020-01-01", "2025-01-13", "codified").err().unwrap();
    assert_eq!((e.code, e.field.as_deref()), ("date_before_effective", Some("a")));
    let e = regimes_diff(&env, "2025-01-13", "ai-diffusion-2099", "codified").err().unwrap();
    assert_eq!((e.code, e.field.as_deref()), ("invalid_value", Some("b")));
    assert!(e.message.contains("us-ac-2023-11"), "{}", e.message);
    let e = regimes_diff(&env, "2025-01-13", "2025-01-14", "hoped").err().unwrap();
    assert_eq!(e.field.as_deref(), Some("timeline"));
}

#[test]
fn the_period_in_force_on_a_date() {
    let env = Env::builtin().unwrap();
    let list = timelines(&env, None, Some(time::macros::date!(2025 - 06 - 01))).unwrap();
    let packs: Vec<(&str, &str)> = list.iter().map(|t| (t.name, t.periods[0].pack)).collect();
    assert_eq!(packs, [("codified", "ai-diffusion-2025"), ("enforced", "enforced-2025-05")]);
    assert!(list.iter().all(|t| t.periods.len() == 1));
    assert!(timelines(&env, Some("hoped"), None).is_err());
}
