//! The default pack's content, and the loader's rejection of bad packs with the key named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use tiergate_core::{builtin, Countries, Pack};
use time::macros::date;

fn countries() -> Arc<Countries> {
    builtin::countries().expect("countries")
}

fn load(text: &str) -> Result<Pack, String> {
    Pack::from_toml(text, "test.toml", countries()).map_err(|e| e.to_string())
}

/// Replaces exactly one occurrence of `from` in the default pack.
fn mutate(from: &str, to: &str) -> String {
    assert_eq!(builtin::PACK_TOML.matches(from).count(), 1, "`{from}` must occur once in the pack");
    builtin::PACK_TOML.replacen(from, to, 1)
}

fn rejects(text: &str, key: &str, problem: &str) {
    let err = load(text).expect_err("the pack must be rejected");
    assert!(err.starts_with("test.toml: "), "names the file: {err}");
    assert!(err.contains(key), "names the key `{key}`: {err}");
    assert!(err.contains(problem), "says `{problem}`: {err}");
}

#[test]
fn default_pack_content() {
    let c = countries();
    let p = load(builtin::PACK_TOML).expect("the default pack is valid");
    assert_eq!(p.id, "ai-diffusion-2025");
    assert_eq!(p.effective.value, date!(2025 - 01 - 13));
    assert_eq!(p.compliance.value, date!(2025 - 05 - 15));
    assert_eq!(p.security_compliance.value, date!(2026 - 01 - 15));
    let at = |d| p.at(d);
    let code = |s: &str| c.by_code(s).expect("code");
    let jan = at(date!(2025 - 01 - 15));
    assert_eq!(jan.tier1.len(), 19, "18 countries plus the United States");
    assert_eq!(jan.tier3.len(), 24, "23 in D:5 plus Macau");
    assert!(jan.tier3.contains(code("KH")));
    assert!(!at(date!(2026 - 02 - 03)).tier3.contains(code("KH")), "Cambodia leaves D:5 on 2026-02-03");
    assert!(at(date!(2026 - 02 - 02)).tier3.contains(code("KH")));
    assert!(jan.tier3.contains(code("MO")));
    assert_eq!(p.canonical(code("HK")), code("CN"));
    assert!(jan.assurances.is_empty(), "Supp. 5(b) names no country");
    assert!(!jan.b_class_destinations.contains(code("IL")), "IL is D:4 but A:6");
    assert!(jan.b_class_destinations.contains(code("SA")));
    assert_eq!(p.country_allocation(code("MY"), date!(2025 - 06 - 01)), Some(790_000_000));
    assert_eq!(p.country_allocation(code("MY"), date!(2028 - 01 - 01)), None);
    assert_eq!(p.lpp_annual_limit_tpp.value.whole_ceil(), 26_900_000);
    assert_eq!(p.nveu.cap(date!(2025 - 03 - 31)).map(|q| q.1), Some(633_000_000));
    assert_eq!(p.nveu.cap(date!(2026 - 04 - 01)).map(|q| q.1), Some(2_690_250_000));
    assert_eq!(p.nveu.cap(date!(2027 - 12 - 31)).map(|q| q.1), Some(5_064_000_000));
    let readings: Vec<&str> = p.readings.docs.iter().map(|r| r.reading.as_str()).collect();
    assert_eq!(readings, ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10"]);
    // 744.23(a)(3)(i)(A): a destination in D:4 but also A:6 counts as "other than" those groups.
    assert!(!jan.b_class_located_outside.contains(code("IL")));
    assert!(jan.b_class_located_outside.contains(code("SA")));
    assert!(jan.aca_transfers_within.contains(code("CN")) && jan.aca_transfers_within.contains(code("MO")));
    // 15 CFR 772.1: the United States includes its territories.
    assert_eq!(p.united_states.value, code("US"));
    for t in ["PR", "GU", "VI", "AS", "MP", "UM"] {
        assert_eq!(p.canonical(code(t)), code("US"), "{t}");
    }
    assert_eq!(p.dependency(code("GF")).map(|d| d.of), Some(code("FR")));
    assert!(!jan.tier1.contains(code("GF")), "French Guiana is not France's Supp. No. 5(a) entry");
    use tiergate_core::determine::Transaction::{Export, Reexport, Transfer};
    let s = &p.scopes;
    assert!(s.nac.covers(Export) && s.nac.covers(Reexport) && !s.nac.covers(Transfer), "740.8(a) NAC");
    assert!(s.aca.covers(Transfer) && s.aia.covers(Transfer) && s.acm.covers(Transfer));
    assert!(!s.lpp.covers(Transfer) && !s.uveu.covers(Transfer) && !s.nveu.covers(Transfer));
    assert_eq!(s.nac.names(), "export and reexport");
    assert_eq!(s.aca.names(), "export, reexport and transfer (in-country)");
}

#[test]
fn rejects_bad_scopes() {
    rejects(
        &mutate("NAC = { transactions = [\"export\", \"reexport\"]", "NAC = { transactions = [\"export\", \"import\"]"),
        "scope.NAC.transactions",
        "`import` is not one of",
    );
    rejects(&mutate("\nNVEU = { transactions", "\nXVEU = { transactions"), "scope.XVEU", "is not an authorization");
    rejects(
        &mutate("PR = { as = \"US\", confidence = \"primary\"", "PR = { as = \"US\", confidence = \"sure\""),
        "treated_as.PR.confidence",
        "`sure` is not one of",
    );
}

#[test]
fn rejects_unknown_country_code() {
    rejects(
        &mutate("\"AF\", \"BY\", \"MM\"", "\"AF\", \"QQ\", \"MM\""),
        "groups.\"D:5\".members",
        "`QQ` is not an ISO 3166-1 alpha-2",
    );
}

#[test]
fn rejects_empty_citation() {
    rejects(&mutate("citation = \"15 CFR 740.29(a)\"\n", "citation = \"  \"\n"), "lpp.citation", "must not be empty");
}

#[test]
fn rejects_unknown_reading_value() {
    rejects(
        &mutate("value = \"after_shipment\"", "value = \"sometimes\""),
        "readings.lpp_limit_test.value",
        "`after_shipment`, `before_shipment`",
    );
}

#[test]
fn rejects_order_not_starting_with_nlr() {
    rejects(
        &mutate("value = [\"NLR\", \"AIA\", \"ACA\"", "value = [\"AIA\", \"NLR\", \"ACA\""),
        "readings.authorization_order.value",
        "must start with NLR and end with LICENSE",
    );
}

#[test]
fn rejects_unknown_placeholder() {
    rejects(
        &mutate("{aca.nac_notice_days}", "{aca.notice}"),
        "obligations.nac_notification.text",
        "unknown placeholder `{aca.notice}`",
    );
}

#[test]
fn rejects_missing_key() {
    let text = mutate("pre_shipment_notice_tpp = { value = 3200000,", "pre_shipment_notice = { value = 3200000,");
    let err = load(&text).expect_err("rejected");
    assert!(err.contains("pre_shipment_notice"), "names the key: {err}");
}

#[test]
fn rejects_negative_or_fractional_amounts() {
    rejects(
        &mutate("country_tpp = { value = 790000000,", "country_tpp = { value = 0,"),
        "allocation.country_tpp",
        "must be positive",
    );
    let err = load(&mutate("annual_limit_tpp = { value = 26900000,", "annual_limit_tpp = { value = 26900000.5,"))
        .expect_err("rejected");
    assert!(err.contains("annual_limit_tpp") || err.contains("integer"), "{err}");
}

#[test]
fn rejects_inconsistent_thresholds() {
    rejects(
        &mutate("b1_tpp = { value = 2400,", "b1_tpp = { value = 4800,"),
        "classification.b1_tpp",
        "must be below classification.a_tpp",
    );
}

#[test]
fn rejects_country_in_two_tiers() {
    rejects(
        &mutate("\"TW\", \"GB\", \"US\",", "\"TW\", \"GB\", \"US\", \"CN\","),
        "tiers",
        "`CN` is in both tier 1 and tier 3",
    );
}

#[test]
fn rejects_decreasing_nveu_schedule() {
    rejects(
        &mutate("{ quarter = \"2025Q3\", tpp = 1266000000 }", "{ quarter = \"2025Q3\", tpp = 900000000 }"),
        "nveu.schedule[2].tpp",
        "cannot decrease",
    );
}

#[test]
fn rejects_unknown_group_reference() {
    rejects(
        &mutate("tier3 = { groups = [\"D:5\", \"macau\"]", "tier3 = { groups = [\"D:5\", \"macao\"]"),
        "tiers.tier3.groups",
        "unknown group `macao`",
    );
}

#[test]
fn rejects_other_schema_version() {
    rejects(&mutate("schema = 1", "schema = 2"), "schema", "this build reads schema 1");
}

#[test]
fn rejects_unknown_key() {
    let err = load(&mutate("[aia]\n", "[aia]\ncertification_threshold = 1\n")).expect_err("rejected");
    assert!(err.contains("certification_threshold"), "{err}");
}

#[test]
fn country_names_and_aliases_resolve() {
    let c = countries();
    let resolve = |s: &str| c.resolve(s).map(|x| c.code(x).to_owned());
    for (name, code) in [
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("Russia", "RU"),
        ("UAE", "AE"),
        ("Macao", "MO"),
        ("Macau", "MO"),
        ("Burma", "MM"),
        ("Myanmar", "MM"),
        ("germany", "DE"),
        ("my", "MY"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("United States of America", "US"),
        ("U.S.", "US"),
        ("Hong Kong", "HK"),
        ("Taiwan", "TW"),
        ("Turkey", "TR"),
        ("Viet Nam", "VN"),
        ("  Japan ", "JP"),
    ] {
        assert_eq!(resolve(name).as_deref(), Some(code), "`{name}`");
    }
    for unknown in ["Atlantis", "XX", "", "Korea"] {
        assert_eq!(resolve(unknown), None, "`{unknown}` must not resolve");
    }
    assert_eq!(c.len(), 250);
}

#[test]
fn pools_and_caps() {
    use tiergate_core::pool::PoolId;
    let p = load(builtin::PACK_TOML).expect("pack");
    let d = date!(2025 - 06 - 01);
    let cap = |s: &str, d| {
        PoolId::parse(s, &p).and_then(|id| id.cap(&p, d)).map(|c| c.tpp).map_err(|e| (e.code(), e.to_string()))
    };
    assert_eq!(cap("country:SG", d), Ok(790_000_000));
    assert_eq!(cap("lpp:Example Holdings:2025", d), Ok(26_900_000));
    assert_eq!(cap("nveu:in-dc-1", d), Ok(949_500_000));
    assert_eq!(cap("nveu:in-dc-1", date!(2027 - 01 - 01)), Ok(5_064_000_000));
    let err = cap("country:DE", d).expect_err("Tier 1");
    assert_eq!(err.0, "undefined_pool");
    assert!(err.1.contains("DE is Tier 1"), "{}", err.1);
    assert!(cap("country:CN", d).expect_err("Tier 3").1.contains("Tier 3"));
    assert!(cap("country:SG", date!(2028 - 01 - 01)).expect_err("period").1.contains("from 2025-01-01 to 2027-12-31"));
    assert_eq!(cap("country:sg", d).expect_err("exact codes").0, "invalid_pool");
    for bad in ["country", "bank:SG", "lpp:x", "lpp::2025", "lpp:x:twenty", "nveu:", "nveu: x"] {
        assert_eq!(cap(bad, d).expect_err(bad).0, "invalid_pool", "{bad}");
    }
    // The LPP consignee may itself contain colons: the year is after the last one. The consignee is named by its
    // party key, so every spelling of one party is one pool.
    assert_eq!(
        PoolId::parse("lpp:Acme: Cloud:2026", &p),
        Ok(PoolId::Lpp { consignee: "acme cloud".into(), year: 2026 })
    );
    for spelling in ["lpp:ACME CLOUD SDN. BHD.:2026", "lpp: acme cloud :2026", "lpp:Ａｃｍｅ Ｃｌｏｕｄ:2026"]
    {
        assert_eq!(PoolId::parse(spelling, &p).map(|id| id.to_string_with(&p)).as_deref(), Ok("lpp:acme cloud:2026"));
    }
    assert_eq!(cap("lpp:\u{200B}:2026", d).expect_err("no letter").0, "invalid_pool");
}

#[test]
fn rejects_bad_veu_guidelines() {
    rejects(
        &mutate("id = \"14.c\"\n", "id = \"14.b\"\n"),
        "veu_guidelines.requirements[21].id",
        "`14.b` is listed twice",
    );
    rejects(
        &mutate(
            "heading = \"Seizure of chips\"\napplies = \"all\"",
            "heading = \"Seizure of chips\"\napplies = \"nveus\"",
        ),
        "veu_guidelines.requirements[21].applies",
        "`nveus` is not one of",
    );
    rejects(
        &mutate("deferred_paragraphs = [14, 15, 18]", "deferred_paragraphs = [14, 15, 19]"),
        "veu_guidelines.deferred_paragraphs",
        "paragraph 19 has no requirement",
    );
    rejects(
        &mutate("id = \"B(2)\"\n", "id = \"B(2)\"\nparagraph = 2\n"),
        "veu_guidelines.application[0].paragraph",
        "Supp. No. 10 only",
    );
    rejects(&mutate("label = \"Macau\"", "label = \" \""), "groups.\"macau\".label", "must not be empty");
}
