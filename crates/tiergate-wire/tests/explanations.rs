//! Snapshots of whole answers: what a compliance officer reads, reasons and citations included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! A change to any reason text, citation or order shows up here for review (`cargo insta review`).

use std::sync::LazyLock;

use proptest::prelude::*;
use tiergate_wire::{determine_line, Env};

static ENV: LazyLock<Env> = LazyLock::new(|| Env::builtin().expect("built-in data"));

/// The answer, with the pack's checksum checked and then written as a placeholder: a snapshot describes the
/// explanation, and would otherwise change with every edit of the pack.
fn answer(env: &Env, line: &str) -> serde_json::Value {
    let mut out = Vec::new();
    determine_line(env, line, None, &mut out);
    let mut v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON object");
    if let Some(regime) = v.get_mut("regime") {
        let pack = env.regimes.pack(regime["pack"].as_str().expect("a pack id")).expect("a built-in pack");
        assert_eq!(regime["sha256"], pack.sha256.as_str(), "the answer names the checksum of the pack as loaded");
        assert_eq!(pack.sha256.len(), 64);
        regime["sha256"] = serde_json::json!("(the pack's sha256)");
    }
    v
}

#[test]
fn explanations() {
    let env = Env::builtin().expect("built-in data");
    let cases = [
        (
            "lpp_malaysia",
            r#"{"id":"po-1","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"MY","consignee":{"name":"Example DC Sdn Bhd","headquarters":"MY"}}"#,
        ),
        (
            "license_denied_over_allocation",
            r#"{"id":"po-2","date":"2025-06-01","item":"nvidia-b200","quantity":20000,"destination":"AE","consignee":{"headquarters":"AE"},"context":{"country_licensed_tpp":120000000}}"#,
        ),
        (
            "tier3_by_parent",
            r#"{"id":"po-3","date":"2025-03-01","item":{"catalog":"nvidia-h100-sxm","per_unit":8},"quantity":4,"destination":"SG","consignee":{"headquarters":"SG","ultimate_parent_headquarters":"CN"}}"#,
        ),
        (
            "nveu_india",
            r#"{"id":"po-4","date":"2025-09-15","item":"amd-mi300x","quantity":30000,"destination":"IN","consignee":{"headquarters":"IN","veu":{"kind":"nveu","country":"IN","id":"in-dc-1"}},"context":{"nveu_installed_tpp":400000000}}"#,
        ),
        (
            "model_weights_case_by_case",
            r#"{"id":"po-5","date":"2026-03-01","item":{"model_weights":{"training_operations":3e26,"published":false}},"destination":"SA","consignee":{"headquarters":"GB"}}"#,
        ),
        (
            "nac_china_gaming_gpu",
            r#"{"id":"po-6","date":"2025-06-01","item":"nvidia-rtx-4090","quantity":100,"destination":"CN","consignee":{"headquarters":"CN"}}"#,
        ),
    ];
    for (name, line) in cases {
        insta::assert_json_snapshot!(name, answer(&env, line));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// No input line makes the parser panic; every line gets exactly one JSON object back.
    #[test]
    fn any_line_gets_one_json_answer(line in "\\PC{0,200}") {
        let mut out = Vec::new();
        determine_line(&ENV, &line, Some(1), &mut out);
        prop_assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    }

    /// Requests with plausible shapes but arbitrary values never panic either.
    #[test]
    fn arbitrary_values_never_panic(
        date in "(19|20|99)[0-9]{2}-[01][0-9]-[0-3][0-9]",
        item in prop_oneof![
            Just("\"nvidia-h100-sxm\"".to_owned()),
            any::<f64>().prop_map(|t| format!("{{\"tpp\":{t},\"die_area_mm2\":{},\"datacenter\":true}}", t / 3.0)),
            (any::<i64>(), "[a-z0-9-]{0,20}").prop_map(|(n, id)| format!("{{\"catalog\":\"{id}\",\"per_unit\":{n}}}")),
            (any::<f64>(), any::<f64>()).prop_map(|(a, b)| format!("{{\"model_weights\":{{\"training_operations\":{a},\"published\":false,\"derived_from\":{{\"training_operations\":{b},\"published\":true}}}}}}")),
        ],
        quantity in any::<i64>(),
        dest in "[A-Z]{2}",
        hq in "[A-Z]{2}",
        ctx in any::<(u64, u64, u64)>(),
    ) {
        let line = format!(
            "{{\"date\":\"{date}\",\"item\":{item},\"quantity\":{quantity},\"destination\":\"{dest}\",\"consignee\":{{\"headquarters\":\"{hq}\",\"veu\":{{\"kind\":\"nveu\",\"country\":\"{dest}\"}}}},\"context\":{{\"lpp_received_tpp\":{},\"country_licensed_tpp\":{},\"nveu_installed_tpp\":{}}}}}",
            ctx.0, ctx.1, ctx.2
        );
        let mut out = Vec::new();
        determine_line(&ENV, &line, Some(1), &mut out);
        prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    }
}

/// The batch encoder writes exactly what serializing the shared `DeterminationOut` type writes.
#[test]
fn fast_encoder_matches_serde() {
    let env = &*ENV;
    let corpus =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/orders.jsonl")).expect("examples");
    let extra = [
        r#"{"id":"C:\\orders\\po-1","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1,"destination":"MY","consignee":{"headquarters":"MY"}}"#,
        r#"{"id":"tab\there","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1,"destination":"MY","consignee":{"headquarters":"MY"}}"#,
        r#"{"id":"quote \" and \\ and \u0001 and é","date":"2025-06-01","item":{"model_weights":{"training_operations":1.2345e26,"published":false}},"destination":"AE","consignee":{"headquarters":"US","storage_compliant":true}}"#,
        r#"{"date":"2025-06-01","item":{"tpp":4799.999,"die_area_mm2":1000.5,"datacenter":true,"per_unit":3},"quantity":7,"destination":"MY","consignee":{"name":"Ünïcode \"Co\"","headquarters":"MY","veu":{"kind":"nveu","country":"MY","id":"pool \"x\""}}}"#,
    ];
    let mut checked = 0;
    for line in corpus.lines().chain(extra) {
        let Ok((id, req)) = tiergate_wire::parse_request(line, env) else {
            continue;
        };
        let d = env.determine(&req).expect("determined");
        let regime = env.answering(req.date).expect("a regime").1;
        let mut fast = Vec::new();
        tiergate_wire::write_determination(&mut fast, id.as_deref(), &regime, &d, None);
        let mut slow =
            serde_json::to_vec(&tiergate_wire::DeterminationOut::new(id.as_deref(), regime, &d)).expect("serde");
        slow.push(b'\n');
        assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&slow));
        checked += 1;
    }
    assert_eq!(checked, 14);
}

proptest! {
    /// The same over generated requests of every shape.
    #[test]
    fn fast_encoder_matches_serde_on_generated_requests(
        item in prop_oneof![Just("\"nvidia-h100-sxm\""), Just("\"nvidia-l40\""), Just("\"nvidia-rtx-4090\""), Just("{\"model_weights\":{\"training_operations\":3e26,\"published\":false}}"), Just("{\"catalog\":\"amd-mi300x\",\"per_unit\":8}")],
        quantity in 1u64..100_000,
        dest in prop::sample::select(vec!["MY", "CN", "DE", "IN", "HK", "VN", "AE"]),
        hq in prop::sample::select(vec!["MY", "CN", "US", "IN"]),
        veu in prop::sample::select(vec!["null", "{\"kind\":\"uveu\"}", "{\"kind\":\"nveu\",\"country\":\"IN\"}"]),
        licensed in 0u64..800_000_000,
        month in 1u32..=12,
    ) {
            let env = &*ENV;
        let line = format!("{{\"id\":\"p\",\"date\":\"2025-{month:02}-15\",\"item\":{item},\"quantity\":{quantity},\"destination\":\"{dest}\",\"consignee\":{{\"headquarters\":\"{hq}\",\"veu\":{veu}}},\"context\":{{\"country_licensed_tpp\":{licensed}}}}}");
        let (id, req) = tiergate_wire::parse_request(&line, env).expect("valid request");
        let d = env.determine(&req).expect("determined");
        let regime = env.answering(req.date).expect("a regime").1;
        let mut fast = Vec::new();
        tiergate_wire::write_determination(&mut fast, id.as_deref(), &regime, &d, None);
        let mut slow = serde_json::to_vec(&tiergate_wire::DeterminationOut::new(id.as_deref(), regime, &d)).expect("serde");
        slow.push(b'\n');
        prop_assert_eq!(fast, slow);
    }
}
