//! `tiergate exposure` through the binary: shares and counts against an independent computation on the BACI
//! sample, BACI's code mapping, bad rows, and a scenario that moves one country moving exactly its share.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use common::{lines, tiergate_stdin};
use serde_json::Value;

fn run(args: &[&str]) -> std::process::Output {
    tiergate_stdin(None, args, "")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample() -> String {
    repo().join("tests/data/baci-sample/ExampleTradeData.csv").display().to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tiergate-exposure-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The tier of every country on a date, as `tiergate countries` gives it.
fn tiers(date: &str) -> HashMap<String, Option<u64>> {
    lines(&run(&["countries", "--date", date, "--format", "jsonl"]))
        .into_iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["tier"].as_u64()))
        .collect()
}

/// BACI's codes, read here from the table: alpha-2 where given; Namibia by its alpha-3; 490 is Taiwan and releases
/// from 202301 code Italy 380.
fn baci_codes() -> HashMap<i64, String> {
    let mut codes: HashMap<i64, String> = HashMap::new();
    for r in csv::Reader::from_path(repo().join("data/trade/baci-country-codes.csv")).unwrap().records() {
        let r = r.unwrap();
        let iso = match (&r[3], &r[4]) {
            (a2, _) if a2.len() == 2 => a2.to_owned(),
            (_, "NAM") => "NA".to_owned(),
            _ => continue,
        };
        codes.insert(r[0].parse().unwrap(), iso);
    }
    codes.insert(490, "TW".into());
    codes.insert(380, "IT".into());
    codes
}

/// The BACI sample summed here by the key of each row's importer: (value, rows) per key, the total value, and
/// the value of the four product families.
fn independent_sums<K: Ord + Clone>(key_of: &HashMap<String, K>) -> (BTreeMap<Option<K>, (f64, u64)>, f64, f64) {
    let codes = baci_codes();
    let mut by_key: BTreeMap<Option<K>, (f64, u64)> = BTreeMap::new();
    let (mut total, mut chips) = (0.0, 0.0);
    for r in csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(sample()).unwrap().records() {
        let r = r.unwrap();
        let v: f64 = r[4].parse::<f64>().unwrap() * 1000.0;
        let key = codes.get(&r[2].parse::<i64>().unwrap()).and_then(|c| key_of.get(c).cloned());
        let e = by_key.entry(key).or_default();
        e.0 += v;
        e.1 += 1;
        total += v;
        if ["8470", "8471", "8541", "8542"].iter().any(|p| r[3].starts_with(p)) {
            chips += v;
        }
    }
    (by_key, total, chips)
}

#[test]
fn shares_by_tier_match_an_independent_sum_over_the_baci_sample() {
    let date = "2026-06-01";
    let tier_of: HashMap<String, u64> =
        tiers(date).into_iter().filter_map(|(code, tier)| tier.map(|t| (code, t))).collect();
    let (by_tier, total, chips) = independent_sums(&tier_of);
    let out = run(&["exposure", &sample(), "--date", date, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), by_tier.len());
    for g in &got {
        assert!(g.get("category").is_none(), "a regime with tiers gives no category: {g}");
        let (value, flows) = by_tier[&g["tier"].as_u64()];
        assert_eq!(g["period"], "2021");
        assert_eq!(g["flows"].as_u64(), Some(flows), "{g}");
        assert!((g["value_usd"].as_f64().unwrap() - value).abs() < 1e-6 * value.max(1.0), "{g} vs {value}");
        assert!((g["share"].as_f64().unwrap() - value / total).abs() < 1e-12, "{g}");
    }
    // The four product families only: their total is the sum of the groups.
    let out = run(&["exposure", &sample(), "--date", date, "--products", "8470,8471,8541,8542", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sum: f64 = doc["groups"].as_array().unwrap().iter().map(|g| g["value_usd"].as_f64().unwrap()).sum();
    assert!((sum - chips).abs() < 1e-6 * chips, "{sum} vs {chips}");
    assert_eq!(doc["pack"], "ai-diffusion-2026-01");
    assert_eq!(doc["input"]["rows"], 71_192);
    // Concentration: each tier's top countries' shares sum to at most 1, its HHI within (0, 1].
    for c in doc["concentration"].as_array().unwrap() {
        let hhi = c["hhi"].as_f64().unwrap();
        assert!(hhi > 0.0 && hhi <= 1.0 + 1e-12, "{c}");
        let top: f64 = c["top"].as_array().unwrap().iter().map(|t| t["share"].as_f64().unwrap()).sum();
        assert!(top <= 1.0 + 1e-9, "{c}");
    }
}

#[test]
fn under_a_regime_without_tiers_the_license_categories_take_their_place() {
    let date = "2026-06-01";
    let category_of: HashMap<String, String> =
        lines(&run(&["--regime", "enforced", "countries", "--date", date, "--format", "jsonl"]))
            .into_iter()
            .map(|c| (c["code"].as_str().unwrap().to_owned(), c["category"].as_str().unwrap().to_owned()))
            .collect();
    assert!(category_of.values().any(|c| c.starts_with("license, presumption of denial")));
    let (by_category, total, _) = independent_sums(&category_of);
    let out = run(&["--regime", "enforced", "exposure", &sample(), "--date", date, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let got = lines(&out);
    assert_eq!(got.len(), by_category.len(), "{got:?}");
    for g in &got {
        assert!(g["tier"].is_null(), "{g}");
        let key = g.get("category").and_then(Value::as_str).map(str::to_owned);
        let (value, flows) = by_category[&key];
        assert_eq!(g["flows"].as_u64(), Some(flows), "{g}");
        assert!((g["share"].as_f64().unwrap() - value / total).abs() < 1e-12, "{g}");
    }
    // CSV carries the category beside the tier; the report names the categories.
    let out = run(&["--regime", "enforced", "exposure", &sample(), "--date", date, "--format", "csv"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("period,tier,category,value_usd,share,flows,counterparties\n"), "{text}");
    let dir = scratch("enforced");
    let out = run(&[
        "--regime",
        "enforced",
        "exposure",
        &sample(),
        "--date",
        date,
        "--format",
        "markdown",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        report.contains("| period | no license | license: D:1/D:4 | license, presumption of denial: Macau/D:5 |"),
        "{report}"
    );
    let map = std::fs::read_to_string(dir.join("value-by-country.svg")).unwrap();
    assert!(
        map.contains("<title>China: license, presumption of denial: Macau/D:5, USD "),
        "the map says China's category"
    );
}

#[test]
fn bad_rows_are_counted_listed_by_line_and_left_out() {
    let dir = scratch("bad");
    let path = dir.join("flows.csv");
    std::fs::write(
        &path,
        "period,exporter,importer,product,value_usd,customer\n2024,US,MY,854231,100,A\n2024,US,XX,854231,5,B\n2024,US,DE,854231,-1,C\n2024,US,DE,,7,D\n2024,US,CN,854232,50,E\n2024,US,area:Others,854232,25,F\n",
    )
    .unwrap();
    let out = run(&["exposure", path.to_str().unwrap(), "--date", "2026-06-01", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in ["line 3", "line 4", "line 5"] {
        assert!(err.contains(line), "{err}");
    }
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["input"]["rows"].as_u64(), doc["input"]["bad_rows"].as_u64()), (Some(6), Some(3)));
    let total: f64 = doc["groups"].as_array().unwrap().iter().map(|g| g["value_usd"].as_f64().unwrap()).sum();
    assert_eq!(total, 175.0);
    // An area that is no country counts in the total, with no tier.
    let untiered = doc["groups"].as_array().unwrap().iter().find(|g| g["tier"].is_null()).unwrap();
    assert_eq!((untiered["value_usd"].as_f64(), untiered["share"].as_f64()), (Some(25.0), Some(25.0 / 175.0)));
    // A header that is no known format, and bad options, are errors naming them.
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let out = run(&["exposure", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither BACI"));
    for (flag, value, words) in [
        ("--by", "tier,colour", "--by"),
        ("--products", "84'; DROP", "--products"),
        ("--exporter", "Atlantis", "--exporter"),
    ] {
        let out = run(&["exposure", &sample(), flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(words),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_scenario_that_moves_one_country_moves_exactly_its_share() {
    let dir = scratch("scenario");
    let flows = dir.join("flows.csv");
    std::fs::write(
        &flows,
        "period,exporter,importer,product,value_usd,customer\n2025,US,PL,854231,300,Warsaw\n2025,US,MY,854231,500,KL\n2025,US,FR,854231,200,Paris\n2026,US,PL,854231,100,Warsaw\n2026,US,MY,854231,100,KL\n",
    )
    .unwrap();
    let scenario = dir.join("s.toml");
    let out =
        run(&["scenario", "new", "pl", "--base", "codified", "--move", "PL:1", "--out", scenario.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let shares = |extra: &[&str]| -> BTreeMap<(String, Option<u64>), f64> {
        let out =
            run(&[extra, &["exposure", flows.to_str().unwrap(), "--date", "2026-06-01", "--format", "jsonl"]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        lines(&out)
            .into_iter()
            .map(|g| ((g["period"].as_str().unwrap().to_owned(), g["tier"].as_u64()), g["share"].as_f64().unwrap()))
            .collect()
    };
    let base = shares(&[]);
    let moved = shares(&["--scenario", scenario.to_str().unwrap()]);
    let k = |p: &str, t: u64| (p.to_owned(), Some(t));
    assert_eq!((base[&k("2025", 1)], base[&k("2025", 2)]), (0.2, 0.8));
    assert_eq!((moved[&k("2025", 1)], moved[&k("2025", 2)]), (0.5, 0.5), "Poland's 0.3 moves from Tier 2 to Tier 1");
    assert_eq!((base[&k("2026", 2)], moved[&k("2026", 1)], moved[&k("2026", 2)]), (1.0, 0.5, 0.5));
    // By country: counterparties are the customers named.
    let out = run(&["exposure", flows.to_str().unwrap(), "--date", "2026-06-01", "--by", "tier", "--format", "csv"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(text.lines().next(), Some("tier,value_usd,share,flows,counterparties"));
    assert!(text.lines().any(|l| l.starts_with("2,1000,")), "{text}");
}

#[test]
fn markdown_writes_a_report_with_its_chart() {
    let dir = scratch("report");
    let out =
        run(&["exposure", &sample(), "--date", "2026-06-01", "--format", "markdown", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(report.contains("](share-by-tier.svg)") && report.contains("| 2021 |"), "{report}");
    let svg = std::fs::read_to_string(dir.join("share-by-tier.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Tier 1"));
    // The choropleth: importers filled by tier, the rest blank; small places without a shape listed.
    assert!(report.contains("](value-by-country.svg)"), "{report}");
    let map = std::fs::read_to_string(dir.join("value-by-country.svg")).unwrap();
    assert!(
        map.contains(r##"fill="#882255""##) && map.contains("<title>China: Tier 3, USD "),
        "China in Tier 3's colour"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("exposure.json")).unwrap()).unwrap();
    assert_eq!(doc["input"]["rows"], 71_192);
    let no_out = run(&["exposure", &sample(), "--format", "markdown"]);
    assert_eq!(no_out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_out.stderr).contains("--out"));
}

#[test]
fn un_comtrade_rows_are_turned_round_by_their_flow_and_totals_are_not_counted() {
    let file = repo().join("tests/data/comtrade/flows.csv");
    let out =
        run(&["exposure", file.to_str().unwrap(), "--date", "2026-06-01", "--by", "tier,country", "--format", "jsonl"]);
    // The World row and the re-export are not read: counted, named by line, exit 2.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 of 6 rows"), "{err}");
    assert!(err.contains("line 5: `partnerCode` 0 is World"), "{err}");
    assert!(err.contains("line 6: `flowCode` `RX`"), "{err}");
    let got: Vec<(Option<u64>, String, f64)> = lines(&out)
        .iter()
        .map(|g| (g["tier"].as_u64(), g["country"].as_str().unwrap().to_owned(), g["value_usd"].as_f64().unwrap()))
        .collect();
    // Exports go to the partner (490 is Taiwan); the import from China counts against its importer, the US, at
    // its CIF value; 899 "Areas, nes" has no tier.
    assert_eq!(
        got,
        vec![
            (Some(1), "TW".to_owned(), 3_000_000.0),
            (Some(1), "US".to_owned(), 2_000_000.0),
            (Some(2), "MY".to_owned(), 4_000_000.0),
            (None, "COMTRADE:899".to_owned(), 1_000_000.0),
        ]
    );
}

/// Flows naming a listed customer, a listed parent, a parent the registry places in China, a customer whose
/// registered parent is that one, and parties that are neither (hard negatives: one registered in Germany).
const NAMED_FLOWS: &str = "period,exporter,importer,product,value_usd,supplier,customer,customer_parent
2024,US,CN,854231,5000000,Acme Chips Inc,Semiconductor Manufacturing International (Beijing) Corporation,
2024,US,MY,847150,2000000,Acme Chips Inc,Penang Server Works Sdn Bhd,Lotus Bay Holdings
2024,US,MY,847150,1000000,Acme Chips Inc,Penang Server Works Sdn Bhd,Lotus Bay Holdings
2024,US,SG,854232,3000000,Acme Chips Inc,Straits Compute Pte Ltd,
2024,US,IN,854231,700000,Acme Chips Inc,Ganges Data Centres Ltd,\"HUAWEI TECHNOLOGIES CO., LTD.\"
2025,US,DE,847130,800000,Acme Chips Inc,Rhein Rechenzentrum GmbH,
";

fn flagged_by_name(doc: &Value) -> BTreeMap<String, Value> {
    doc["screening"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (format!("{}/{}", f["role"].as_str().unwrap(), f["name"].as_str().unwrap()), f.clone()))
        .collect()
}

#[test]
fn counterparties_are_screened_against_the_ledgers_lists_and_registry_with_their_evidence() {
    let dir = scratch("screening");
    let flows = dir.join("flows.csv");
    std::fs::write(&flows, NAMED_FLOWS).unwrap();
    let flows = flows.to_str().unwrap();
    let args = ["exposure", flows, "--date", "2026-06-01", "--format", "json"];

    // Without a ledger, the answer says nothing was screened.
    let out = run(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["screening"]["screened"], false);
    assert!(doc["screening"]["registry_parties"].is_null());
    assert!(doc["screening"]["notes"][0].as_str().unwrap().contains("no ledger"), "{}", doc["screening"]);
    assert_eq!((doc["screening"]["names"].as_u64(), doc["screening"]["names_screened"].as_u64()), (Some(8), Some(0)));
    assert!(doc["screening"]["flagged"].as_array().unwrap().is_empty());

    let db = format!("sqlite://{}", dir.join("ledger.db").display());
    let db = Some(db.as_str());
    let ok = |args: &[&str]| {
        let out = tiergate_stdin(db, args, "");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    // A ledger with a registry but no list: only the registry flags.
    ok(&["parties", "add", "Lotus Bay Holdings", "--headquarters", "CN"]);
    ok(&[
        "parties",
        "add",
        "Straits Compute Pte. Ltd.",
        "--ultimate-parent",
        "Lotus Bay Holdings",
        "--headquarters",
        "SG",
    ]);
    ok(&["parties", "add", "Rhein Rechenzentrum GmbH", "--headquarters", "DE"]);
    let doc: Value = serde_json::from_slice(&ok(&args).stdout).unwrap();
    let s = &doc["screening"];
    assert_eq!((s["screened"].as_bool(), s["registry_parties"].as_u64()), (Some(false), Some(3)));
    assert!(s["notes"][0].as_str().unwrap().contains("no restricted-party list"), "{s}");
    // Names: 1 supplier, 5 customers, 2 parents.
    assert_eq!((s["names"].as_u64(), s["names_screened"].as_u64()), (Some(8), Some(8)));
    let flagged = flagged_by_name(&doc);
    assert_eq!(
        flagged.keys().collect::<Vec<_>>(),
        ["customer/Straits Compute Pte Ltd", "customer_parent/Lotus Bay Holdings"],
        "{s}"
    );
    let lotus = &flagged["customer_parent/Lotus Bay Holdings"];
    assert_eq!(lotus["flags"], serde_json::json!(["headquartered_in_tier3"]));
    assert_eq!((lotus["value_usd"].as_f64(), lotus["flows"].as_i64()), (Some(3_000_000.0), Some(2)));
    // Its evidence: both flows naming it, most value first, with their CSV lines.
    let lines: Vec<i64> = lotus["evidence"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(lotus["evidence"][0]["customer"], "Penang Server Works Sdn Bhd");
    let straits = &flagged["customer/Straits Compute Pte Ltd"];
    assert_eq!(straits["flags"], serde_json::json!(["parent_headquartered_in_tier3"]));
    assert_eq!(straits["party"]["ultimate_parent_headquarters"], "CN");
    assert!(straits["reasons"][0].as_str().unwrap().contains("Lotus Bay Holdings"), "{straits}");

    // With the 2022 Consolidated Screening List imported, the listed customer and parent are flagged too.
    ok(&[
        "lists",
        "import",
        &repo().join("tests/data/us-screening-lists/consolidated_2022-05.csv").display().to_string(),
    ]);
    let doc: Value = serde_json::from_slice(&ok(&args).stdout).unwrap();
    let s = &doc["screening"];
    assert_eq!(s["screened"], true);
    assert!(s["lists"][0].as_str().unwrap().starts_with("csl v1"), "{s}");
    let flagged = flagged_by_name(&doc);
    assert_eq!(
        flagged.keys().collect::<Vec<_>>(),
        [
            "customer/Semiconductor Manufacturing International (Beijing) Corporation",
            "customer/Straits Compute Pte Ltd",
            "customer_parent/HUAWEI TECHNOLOGIES CO., LTD.",
            "customer_parent/Lotus Bay Holdings",
        ],
        "{s}"
    );
    let smic = &flagged["customer/Semiconductor Manufacturing International (Beijing) Corporation"];
    assert_eq!((smic["flags"][0].as_str(), smic["decision"].as_str()), (Some("listed"), Some("match")));
    assert!(smic["hits"].as_array().unwrap().iter().any(|h| h["list"] == "EL"), "{smic}");
    assert_eq!(smic["evidence"][0]["line"], 2);
    let huawei = &flagged["customer_parent/HUAWEI TECHNOLOGIES CO., LTD."];
    assert_eq!((huawei["evidence"][0]["line"].as_i64(), huawei["country"].as_str()), (Some(6), None));
    // Most value first.
    let values: Vec<f64> = s["flagged"].as_array().unwrap().iter().map(|f| f["value_usd"].as_f64().unwrap()).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

    // A hit judged a false positive for this name no longer flags it.
    let entries: Vec<&str> = smic["hits"].as_array().unwrap().iter().map(|h| h["entry_id"].as_str().unwrap()).collect();
    for e in entries {
        ok(&[
            "screen",
            "judge",
            e,
            "--query",
            "Semiconductor Manufacturing International (Beijing) Corporation",
            "--verdict",
            "false_positive",
        ]);
    }
    let doc: Value = serde_json::from_slice(&ok(&args).stdout).unwrap();
    assert!(
        !flagged_by_name(&doc).contains_key("customer/Semiconductor Manufacturing International (Beijing) Corporation")
    );

    // The report lists them; JSON Lines carry no screening; BACI flows name no counterparty.
    let report = dir.join("report");
    let report_arg = report.to_str().unwrap();
    ok(&["exposure", flows, "--date", "2026-06-01", "--format", "markdown", "--out", report_arg]);
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("## Screened counterparties") && md.contains("| Lotus Bay Holdings | customer_parent |"),
        "{md}"
    );
    let out = ok(&["exposure", flows, "--date", "2026-06-01", "--format", "jsonl"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("screening"));
    let doc: Value = serde_json::from_slice(&ok(&["exposure", &sample(), "--format", "json"]).stdout).unwrap();
    assert_eq!(doc["screening"]["names"], 0);
    assert!(doc["screening"]["notes"].to_string().contains("no counterparty to screen"), "{}", doc["screening"]);
}
