//! `tiergate scenario` through the binary: writing and showing a scenario, answers under it that name their own
//! pack, a diff whose counts match two independent `determine` runs over generated order books, and capacity on
//! a hand-computed fixture.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{lines, tiergate_stdin};
use serde_json::Value;

fn run(args: &[&str]) -> Output {
    tiergate_stdin(None, args, "")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tiergate-scenario-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_scenario(dir: &Path, args: &[&str]) -> PathBuf {
    let path = dir.join("s.toml");
    let out = run(&[&["scenario", "new"], args, &["--out", path.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    path
}

const ALLIES: &[&str] = &[
    "allies",
    "--base",
    "codified",
    "--move",
    "PL:1",
    "--move",
    "IL:1",
    "--assure",
    "IN",
    "--set",
    "lpp.annual_limit_tpp=13_450_000",
    "--set",
    "uveu.single_country_max_percent=10",
    "--move",
    "VN:3@2026-03-01",
];

#[test]
fn new_writes_a_file_that_show_reads_and_refuses_what_changes_nothing() {
    let dir = scratch("new");
    let path = write_scenario(&dir, ALLIES);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[[move]]") && text.contains("from = 2026-03-01"), "{text}");
    let show = run(&["scenario", "show", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let v: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["pack"], "scenario:allies");
    let lpp = v["changes"].as_array().unwrap().iter().find(|c| c["key"] == "set.\"lpp.annual_limit_tpp\"").unwrap();
    let framework = lpp["under"].as_array().unwrap().iter().find(|u| u["pack"] == "ai-diffusion-2025").unwrap();
    assert_eq!((&framework["replaces"], &framework["effect"]), (&Value::from("26900000"), &Value::from("changed")));
    // An existing file is not overwritten.
    let again = run(&[&["scenario", "new"], ALLIES, &["--out", path.to_str().unwrap()]].concat());
    assert_eq!(again.status.code(), Some(2));
    // A change that changes nothing names its flag and its key.
    for (args, words) in [
        (&["x", "--base", "codified", "--move", "FR:1"][..], "--move FR:1 (`move[0]`): changes nothing"),
        (&["x", "--base", "codified", "--set", "lpp.annual_limit_tpp=26900000"][..], "--set lpp.annual_limit_tpp"),
        (&["x", "--base", "codified", "--set", "lpp.nothing=1"][..], "is not a key of any pack"),
        (&["x", "--base", "nowhere", "--move", "PL:1"][..], "--base (`scenario.base`)"),
        (&["x", "--base", "codified", "--move", "PL:9"][..], "a tier is 1, 2 or 3"),
        (&["x", "--base", "codified", "--move", "PL"][..], "write CC:TIER"),
        (&["x", "--base", "codified"][..], "changes nothing"),
    ] {
        let out = run(&[&["scenario", "new"], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn answers_under_a_scenario_name_its_pack_never_the_official_one() {
    let dir = scratch("answers");
    let path = write_scenario(&dir, ALLIES);
    let order = r#"{"id":"o1","date":"2026-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"PL","consignee":{"name":"X","headquarters":"PL"}}"#;
    let official = tiergate_stdin(None, &["determine"], order);
    let under = tiergate_stdin(None, &["--scenario", path.to_str().unwrap(), "determine"], order);
    assert_eq!(under.status.code(), Some(0), "{}", stderr(&under));
    let (o, s) = (&lines(&official)[0], &lines(&under)[0]);
    assert_eq!(s["regime"]["timeline"], Value::Null);
    assert_eq!(s["regime"]["pack"], "scenario:allies");
    assert_eq!(s["pack"], "scenario:allies");
    assert_eq!(s["regime"]["version"], "1");
    assert_ne!(s["regime"]["sha256"], o["regime"]["sha256"]);
    assert_eq!((o["tier"].as_u64(), s["tier"].as_u64()), (Some(2), Some(1)));
    assert_eq!(s["authorization"], "AIA");
    let notes: Vec<&str> = s["notes"].as_array().unwrap().iter().filter_map(|n| n["text"].as_str()).collect();
    assert!(notes.iter().any(|n| n.starts_with("hypothetical")), "{notes:?}");
    // Never recorded; refused with the commands it has no meaning for.
    let record = tiergate_stdin(
        Some("sqlite:///nonexistent/x.db"),
        &["--scenario", path.to_str().unwrap(), "determine", "--record"],
        order,
    );
    assert_eq!(record.status.code(), Some(2));
    assert!(stderr(&record).contains("never recorded"), "{}", stderr(&record));
    let ledger = run(&["--scenario", path.to_str().unwrap(), "regimes"]);
    assert_eq!(ledger.status.code(), Some(2));
    let both =
        tiergate_stdin(None, &["--regime", "enforced", "--scenario", path.to_str().unwrap(), "determine"], order);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("not both"), "{}", stderr(&both));
    // The countries under it.
    let countries =
        run(&["--scenario", path.to_str().unwrap(), "countries", "--date", "2026-06-01", "--format", "jsonl"]);
    let pl = lines(&countries).into_iter().find(|c| c["code"] == "PL").unwrap();
    assert_eq!(pl["tier"], 1, "{pl}");
}

#[test]
fn the_headquarters_rule_can_be_dropped() {
    let dir = scratch("headquarters");
    let path = write_scenario(&dir, &["no-hq", "--base", "codified", "--set", "tiers.tier3_headquarters=false"]);
    // A Chinese-headquartered consignee in Malaysia: Tier 3 under the rule, Malaysia's Tier 2 without it.
    let order = r#"{"id":"o1","date":"2026-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"MY","consignee":{"name":"X","headquarters":"CN"}}"#;
    let official = &lines(&tiergate_stdin(None, &["determine"], order))[0];
    let under = &lines(&tiergate_stdin(None, &["--scenario", path.to_str().unwrap(), "determine"], order))[0];
    assert_eq!(
        (official["tier"].as_u64(), official["review_policy"].as_str()),
        (Some(3), Some("denial")),
        "{official}"
    );
    assert_eq!(under["tier"].as_u64(), Some(2), "{under}");
    let reasons = under["reasons"].to_string();
    assert!(reasons.contains("does not apply the headquarters rule"), "{reasons}");
    // LPP still excludes a Macau/D:5-headquartered consignee by its own text: the answer is not LPP.
    assert_ne!(under["authorization"], "LPP", "{under}");
}

/// A deterministic order book over many destinations, items, dates and consignees, with a few bad orders.
fn order_book(seed: u64, n: usize) -> String {
    let mut x = seed;
    let mut next = move |m: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let dests = [
        "PL", "IL", "IN", "VN", "MY", "AE", "SA", "SG", "BR", "MX", "FR", "DE", "JP", "CN", "MO", "HK", "RU", "KH",
        "TH", "ID", "TR", "EG", "CH", "GF",
    ];
    let items =
        ["nvidia-h100-sxm", "nvidia-b200", "nvidia-a100", "amd-mi300x", "nvidia-h20", "nvidia-l40", "google-tpu-v5e"];
    let dates = ["2024-06-01", "2025-03-01", "2025-06-01", "2026-02-15", "2026-03-05", "2026-09-01", "2027-05-01"];
    let mut out = String::new();
    for i in 0..n {
        let dest = dests[next(dests.len() as u64) as usize];
        let hq = if next(4) == 0 { dests[next(dests.len() as u64) as usize] } else { dest };
        let item = if next(50) == 0 { "no-such-chip" } else { items[next(items.len() as u64) as usize] };
        let quantity = [1, 8, 100, 1000, 5000][next(5) as usize];
        let date = dates[next(dates.len() as u64) as usize];
        out.push_str(&format!(
            r#"{{"id":"o{i}","date":"{date}","item":"{item}","quantity":{quantity},"destination":"{dest}","consignee":{{"name":"C{i}","headquarters":"{hq}"}}}}"#
        ));
        out.push('\n');
    }
    out
}

/// What an answer line says that the diff compares.
fn key(v: &Value) -> (Value, Value, Value, Value, Value) {
    (
        v["tier"].clone(),
        v["authorization"].clone(),
        v["license_required"].clone(),
        v["review_policy"].clone(),
        v["allocation"]["pool"].clone(),
    )
}

#[test]
fn diff_counts_match_two_independent_determine_runs() {
    let dir = scratch("diff");
    let path = write_scenario(&dir, ALLIES);
    for seed in [1, 2, 3] {
        let book = order_book(seed, 400);
        let orders = dir.join(format!("orders-{seed}.jsonl"));
        std::fs::write(&orders, &book).unwrap();
        let before = lines(&tiergate_stdin(None, &["determine", orders.to_str().unwrap()], ""));
        let after = lines(&tiergate_stdin(
            None,
            &["--scenario", path.to_str().unwrap(), "determine", orders.to_str().unwrap()],
            "",
        ));
        assert_eq!((before.len(), after.len()), (400, 400));
        let (mut changed, mut errors) = (0u64, 0u64);
        let mut by_change: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_dest: BTreeMap<String, u64> = BTreeMap::new();
        for ((b, a), line) in before.iter().zip(&after).zip(book.lines()) {
            if b.get("error").is_some() || a.get("error").is_some() {
                errors += 1;
                continue;
            }
            if key(b) != key(a) {
                changed += 1;
                let label = |x: &Value, y: &Value| {
                    let auth = x["authorization"].as_str().unwrap().to_owned();
                    if x["authorization"] != y["authorization"] {
                        auth
                    } else if x["review_policy"] != y["review_policy"] {
                        format!("{auth}({})", x["review_policy"].as_str().unwrap_or("none"))
                    } else if x["tier"] != y["tier"] {
                        format!("{auth}(tier {})", x["tier"].as_u64().map_or("none".to_owned(), |t| t.to_string()))
                    } else {
                        format!("{auth}({})", x["allocation"]["pool"].as_str().unwrap_or("no pool"))
                    }
                };
                *by_change.entry(format!("{}->{}", label(b, a), label(a, b))).or_default() += 1;
                let order: Value = serde_json::from_str(line).unwrap();
                *by_dest.entry(order["destination"].as_str().unwrap().to_owned()).or_default() += 1;
            }
        }
        let diff = run(&["scenario", "diff", path.to_str().unwrap(), orders.to_str().unwrap()]);
        assert_eq!(diff.status.code(), Some(if errors > 0 { 2 } else { 0 }), "{}", stderr(&diff));
        let d: Value = serde_json::from_slice(&diff.stdout).unwrap();
        assert_eq!(d["orders"], 400, "seed {seed}");
        assert_eq!(d["changed"], changed, "seed {seed}");
        assert_eq!(d["errors"], errors, "seed {seed}");
        assert!(changed > 20, "seed {seed}: the scenario changes too little to test ({changed})");
        let got: BTreeMap<String, u64> = serde_json::from_value(d["by_change"].clone()).unwrap();
        assert_eq!(got, by_change, "seed {seed}");
        for (dest, n) in &by_dest {
            assert_eq!(d["by_destination"][dest]["changed"], *n, "seed {seed} {dest}");
        }
        // The JSON Lines listing has every changed and every failed order, once.
        let listed =
            lines(&run(&["scenario", "diff", path.to_str().unwrap(), orders.to_str().unwrap(), "--format", "jsonl"]));
        assert_eq!(listed.len() as u64, changed + errors, "seed {seed}");
        let csv = run(&["scenario", "diff", path.to_str().unwrap(), orders.to_str().unwrap(), "--format", "csv"]);
        assert_eq!(stdout(&csv).lines().count() as u64, changed + errors + 1, "seed {seed}");
    }
}

#[test]
fn diff_writes_a_markdown_report_with_charts() {
    let dir = scratch("report");
    let path = write_scenario(&dir, ALLIES);
    let orders = dir.join("orders.jsonl");
    std::fs::write(&orders, order_book(7, 200)).unwrap();
    let out = dir.join("report");
    let md = run(&[
        "scenario",
        "diff",
        path.to_str().unwrap(),
        orders.to_str().unwrap(),
        "--format",
        "markdown",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(matches!(md.status.code(), Some(0 | 2)), "{}", stderr(&md));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("](changed-by-destination.svg)") && report.contains("](allocation-use.svg)"));
    assert!(report.contains("Hypothetical"));
    for chart in ["changed-by-destination.svg", "allocation-use.svg"] {
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<rect"), "{chart}");
    }
    let no_out = run(&["scenario", "diff", path.to_str().unwrap(), orders.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(no_out.status.code(), Some(2));
    assert!(stderr(&no_out).contains("--out"));
}

/// Caps on 2026-06-01 under the codified text: 790,000,000 TPP per Tier 2 country, twice that with assurances.
#[test]
fn capacity_on_a_hand_computed_fixture() {
    let dir = scratch("capacity");
    let path = write_scenario(&dir, ALLIES);
    let fixture = dir.join("compute.csv");
    // MY: half its cap. IN: twice its cap, exactly its cap once assured. PL: an eighth, then Tier 1 (no cap).
    // FR: Tier 1 throughout. SG: planned compute beyond its cap.
    std::fs::write(
        &fixture,
        "country,tpp,status\nMY,395000000,existing\nIN,1000000000,existing\nIN,580000000,planned\nPL,98750000,existing\nFR,5,existing\nSG,800000000,planned\n",
    )
    .unwrap();
    let out = run(&[
        "--scenario",
        path.to_str().unwrap(),
        "scenario",
        "capacity",
        "--clusters",
        fixture.to_str().unwrap(),
        "--date",
        "2026-06-01",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["base"], "codified");
    assert_eq!(v["base_pack"], "ai-diffusion-2026-01");
    assert_eq!(v["scenario"], "scenario:allies");
    let row = |c: &str| v["countries"].as_array().unwrap().iter().find(|r| r["country"] == c).unwrap().clone();
    let my = row("MY");
    assert_eq!((my["tpp"].as_u64(), my["base"]["cap_tpp"].as_u64()), (Some(395_000_000), Some(790_000_000)));
    assert_eq!(my["base"]["share"], 0.5);
    assert_eq!(my["base"]["binds"], false);
    let india = row("IN");
    assert_eq!(
        (india["existing_tpp"].as_u64(), india["planned_tpp"].as_u64()),
        (Some(1_000_000_000), Some(580_000_000))
    );
    assert_eq!(india["base"]["share"], 2.0);
    assert_eq!(india["scenario"]["cap_tpp"], 1_580_000_000_u64);
    assert_eq!(india["scenario"]["share"], 1.0);
    assert_eq!(india["scenario"]["binds"], true);
    let pl = row("PL");
    assert_eq!(pl["base"]["share"], 0.125);
    assert_eq!((pl["scenario"]["tier"].as_u64(), &pl["scenario"]["cap_tpp"]), (Some(1), &Value::Null));
    assert_eq!(row("FR")["base"]["tier"], 1);
    assert_eq!(v["binding_base"], serde_json::json!(["SG", "IN"]));
    assert_eq!(v["binding_scenario"], serde_json::json!(["SG", "IN"]));
    // Every Tier 2 country is listed, with or without compute.
    assert!(v["countries"].as_array().unwrap().len() > 100);
    // item,quantity: 1000 H100 SXM at 15,832 TPP each.
    std::fs::write(&fixture, "country,item,quantity\nMY,nvidia-h100-sxm,1000\n").unwrap();
    let out = run(&["scenario", "capacity", "--clusters", fixture.to_str().unwrap(), "--date", "2026-06-01"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let my = v["countries"].as_array().unwrap().iter().find(|r| r["country"] == "MY").unwrap();
    assert_eq!(my["tpp"], 15_832_000);
    // Bad rows are all reported with their lines; nothing is computed.
    std::fs::write(&fixture, "country,tpp\nXX,1\nMY,lots\n").unwrap();
    let bad = run(&["scenario", "capacity", "--clusters", fixture.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("line 2") && stderr(&bad).contains("line 3"), "{}", stderr(&bad));
}

#[test]
fn capacity_from_the_built_in_cluster_data_says_what_it_left_out() {
    let out = run(&["scenario", "capacity", "--date", "2026-06-01"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["source"];
    assert_eq!(s["kind"], "epoch");
    assert_eq!(s["rows"], 786);
    let skipped: u64 = s["skipped"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(s["used"].as_u64().unwrap() + skipped, 786);
    let used_by_method: u64 = s["by_method"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(used_by_method, s["used"].as_u64().unwrap());
}
