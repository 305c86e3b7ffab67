//! `tiergate fleet check|plan` through the binary: the contract's fields, exit codes and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::tiergate_stdin;
use serde_json::{json, Value};

fn fleet(args: &[&str], csv: &str) -> (Option<i32>, Value, String) {
    let out = tiergate_stdin(None, &[&["fleet"], args].concat(), csv);
    let value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), value, String::from_utf8_lossy(&out.stderr).into_owned())
}

const FLEET: &str = "site,country,tpp\nAshburn,US,900000000\nJohor,MY,100000000\n";

#[test]
fn check_reports_shares_violations_and_headroom() {
    let (code, v, _) = fleet(&["check", "-", "--headquarters", "US", "--date", "2025-06-01", "--country", "IN"], FLEET);
    assert_eq!(code, Some(1), "MY holds 10 %, over 7 %");
    assert_eq!(
        v,
        json!({
            "total_tpp": 1_000_000_000_u64, "tier1_tpp": 900_000_000, "home_tpp": 900_000_000,
            "shares": {"outside_tier1": 0.1, "outside_home": 0.1, "by_country": {"MY": 0.1, "US": 0.9}},
            "violations": [{"rule": "single_country_max",
                            "text": "the limit on the share of compute in any one country outside Tier 1",
                            "country": "MY", "limit": 0.07, "value": 0.1,
                            "citation": "Supp. No. 10 to part 748, paragraph 6"}],
            "headroom_tpp": {"IN": 0, "MY": 0},
            // Each 0 says which limit allows nothing more: MY's share is over 7 %, and no addition outside the US
            // brings it back.
            "headroom_limits": {
                "IN": {"rule": "single_country_max", "text": "the limit on the share of compute in any one country outside Tier 1"},
                "MY": {"rule": "single_country_max", "text": "the limit on the share of compute in any one country outside Tier 1"}
            }
        })
    );

    // 1,000,000 H100s' worth at home and 60,000 in India: compliant, with headroom by the 7 % rule.
    let items = "site,country,item,quantity\nVirginia,US,nvidia-h100-sxm,1000000\nMumbai,IN,nvidia-h100-sxm,60000\n";
    let (code, v, err) = fleet(&["check", "-", "--headquarters", "US", "--date", "2025-06-01"], items);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v["total_tpp"], 15_832_u64 * 1_060_000);
    assert_eq!(v["violations"], json!([]));
    // IN: 100 (949,920,000 + x) <= 7 (16,781,920,000 + x) -> 93 x <= 22,481,440,000 -> x <= 241,735,913.
    assert_eq!(v["headroom_tpp"]["IN"], 241_735_913);
    assert_eq!(v["headroom_limits"]["IN"]["rule"], "single_country_max");
}

#[test]
fn plan_gives_the_least_home_addition() {
    let (code, v, _) =
        fleet(&["plan", "-", "--headquarters", "US", "--date", "2025-06-01", "--add", "IN:50000000"], FLEET);
    assert_eq!(code, Some(0));
    // MY's 100,000,000 <= 0.07 (1,050,000,000 + h) -> h >= 378,571,428.6 -> 378,571,429.
    assert_eq!(v, json!({"feasible": true, "additional_home_tpp_needed": 378_571_429, "violations_after": []}));
    let (_, v, _) = fleet(&["plan", "-", "--headquarters", "US", "--add", "CN:1"], FLEET);
    assert_eq!(v["feasible"], false);
    assert_eq!(v["violations_after"][0]["rule"], "tier3_country");
}

#[test]
fn bad_input_is_refused_with_every_reason() {
    let bad = "site,country,item,quantity\nA,US,nvidia-h100-sxm,10\nB,Atlantis,nvidia-h100-sxm,1\nC,DE,nope,2\n";
    let (code, v, err) = fleet(&["check", "-", "--headquarters", "US"], bad);
    assert_eq!((code, v), (Some(2), Value::Null));
    assert!(err.contains("line 3: `Atlantis` is not a country") && err.contains("line 4: `nope`"), "{err}");
    let (code, _, err) = fleet(&["check", "-", "--headquarters", "MY"], FLEET);
    assert_eq!(code, Some(2));
    assert!(err.contains("not a Tier 1 country"), "{err}");
    let (code, _, err) = fleet(&["check", "-", "--headquarters", "US"], "name,tpp\nA,1\n");
    assert_eq!(code, Some(2));
    assert!(err.contains("site,country,tpp"), "{err}");
    let (code, _, err) = fleet(&["plan", "-", "--headquarters", "US", "--add", "MY50"], FLEET);
    assert_eq!(code, Some(2));
    assert!(err.contains("COUNTRY:TPP"), "{err}");
}
