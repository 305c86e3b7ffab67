//! Identifiers are matched case-insensitively, and an unknown one gets the nearest matches in its error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tiergate_core::builtin;

#[test]
fn catalog_ids_match_case_insensitively_and_suggest_near_ones() {
    let catalog = builtin::catalog().unwrap();
    assert_eq!(catalog.get("NVIDIA-H100-SXM").map(|a| a.id.as_str()), Some("nvidia-h100-sxm"));
    assert_eq!(catalog.get(" nvidia-h100-sxm ").map(|a| a.id.as_str()), Some("nvidia-h100-sxm"));
    assert_eq!(catalog.suggest("nvidia-h100-sx").first().copied(), Some("nvidia-h100-sxm"));
    let mi300 = catalog.suggest("amd-mi300");
    assert!(
        mi300.len() >= 2 && mi300[..2].iter().all(|s| ["amd-mi300a", "amd-mi300x"].contains(s)),
        "prefixes first: {mi300:?}"
    );
    assert!(catalog.suggest("zzzz").is_empty(), "nothing near: no suggestion");
}

#[test]
fn countries_suggest_near_names_and_aliases() {
    let countries = builtin::countries().unwrap();
    assert_eq!(countries.suggest("Malaysa").first().map(String::as_str), Some("MY (Malaysia)"));
    assert_eq!(countries.suggest("germny").first().map(String::as_str), Some("DE (Germany)"));
    assert!(countries.suggest("Atlantisxyz").is_empty());
    let three = countries.suggest("Guinea-Bisau");
    assert!(three.len() <= 3 && three.first().is_some_and(|s| s.starts_with("GW")), "{three:?}");
}
