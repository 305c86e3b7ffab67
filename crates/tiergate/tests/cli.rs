//! The `tiergate` binary, run as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::Write;

use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tiergate"))
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("tiergate runs")
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child =
        bin().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    child.wait_with_output().expect("wait")
}

fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn determine_example_order_book() {
    let out = run(&["determine", repo("examples/orders.jsonl").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answers = lines(&out);
    let ids: Vec<&str> = answers.iter().map(|a| a["id"].as_str().expect("id")).collect();
    assert_eq!(ids, (1001..=1010).map(|n| format!("po-{n}")).collect::<Vec<_>>());
    let auths: Vec<&str> = answers.iter().map(|a| a["authorization"].as_str().expect("authorization")).collect();
    assert_eq!(auths, ["LPP", "LICENSE", "AIA", "LICENSE", "ACA", "UVEU", "NVEU", "ACM", "AIA", "NLR"]);
}

#[test]
fn bad_records_give_error_lines_and_exit_2() {
    let out = run(&["determine", repo("examples/bad-orders.jsonl").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let answers = lines(&out);
    let codes: Vec<&str> = answers.iter().map(|a| a["error"]["code"].as_str().expect("error code")).collect();
    assert_eq!(
        codes,
        [
            "unknown_country",
            "unknown_item",
            "invalid_quantity",
            "date_before_effective",
            "unknown_field",
            "malformed_json"
        ]
    );
    assert_eq!(answers[0]["id"], "bad-1");
    assert_eq!(answers[4]["id"], "bad-5", "the id is echoed when the line is JSON");
    assert!(answers[5]["id"].is_null(), "a truncated line has no readable id");
    assert_eq!(answers[5]["error"]["line"], 6);
}

#[test]
fn one_bad_line_does_not_stop_the_rest() {
    let input = "{\"id\":\"a\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"MY\",\"consignee\":{\"headquarters\":\"MY\"}}\n\
                 not json\n\
                 \n\
                 {\"id\":\"c\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"DE\",\"consignee\":{\"headquarters\":\"DE\"}}\n";
    let out = run_stdin(&["determine", "-"], input);
    assert_eq!(out.status.code(), Some(2));
    let answers = lines(&out);
    assert_eq!(answers.len(), 3, "the blank line is skipped");
    assert_eq!(answers[0]["authorization"], "LPP");
    assert_eq!(answers[1]["error"]["code"], "malformed_json");
    assert_eq!(answers[1]["error"]["line"], 2);
    assert_eq!(answers[2]["authorization"], "AIA");
}

#[test]
fn reads_standard_input_without_a_path() {
    let input = "{\"date\":\"2025-06-01\",\"item\":\"nvidia-h20\",\"quantity\":1,\"destination\":\"CN\",\"consignee\":{\"headquarters\":\"CN\"}}\n";
    let out = run_stdin(&["determine"], input);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["authorization"], "NLR");
}

#[test]
fn an_empty_input_says_there_were_no_requests() {
    for (args, input) in
        [(&["determine"][..], ""), (&["determine"][..], "\n\n"), (&["determine", "--format", "table"][..], "")]
    {
        let out = run_stdin(args, input);
        assert!(out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr(&out).contains("no requests in standard input"), "{args:?}: {}", stderr(&out));
    }
    let out =
        run_stdin(&["determine"], r#"{"date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1,"destination":"DE"}"#);
    assert!(!stderr(&out).contains("no requests"), "{}", stderr(&out));
}

#[test]
fn csv_order_book() {
    let out = run(&["determine", repo("examples/orders.csv").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answers = lines(&out);
    let auths: Vec<&str> = answers.iter().map(|a| a["authorization"].as_str().expect("authorization")).collect();
    assert_eq!(auths, ["LPP", "LICENSE", "AIA", "LICENSE", "UVEU", "ACA"]);
    assert_eq!(answers[3]["tier"], 3, "ultimate parent headquartered in CN");
}

#[test]
fn csv_errors_name_the_column_and_line() {
    let input = "id,date,item,quantity,destination,consignee_headquarters,datacenter\n\
                 r1,2025-06-01,nvidia-h100-sxm,ten,MY,MY,\n\
                 r2,2025-06-01,nvidia-h100-sxm,1,MY,MY,\n";
    let out = run_stdin(&["determine", "--input-format", "csv"], input);
    assert_eq!(out.status.code(), Some(2));
    let answers = lines(&out);
    assert_eq!(answers[0]["error"]["field"], "quantity");
    assert_eq!(answers[0]["error"]["line"], 2);
    assert_eq!(answers[1]["authorization"], "LPP");
}

#[test]
fn csv_unknown_column_stops_with_a_message() {
    let out = run_stdin(&["determine", "--input-format", "csv"], "id,qty\nx,1\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("unknown column `qty`"), "{}", stderr(&out));
}

#[test]
fn table_format() {
    let out = run(&["determine", repo("examples/orders.jsonl").to_str().expect("utf-8"), "--format", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ID "), "{text}");
    assert_eq!(text.lines().count(), 11);
    assert!(text.lines().nth(2).is_some_and(|l| l.contains("country:AE")), "{text}");
    // The request beside its answer: item, quantity (digits grouped), destination; TPP grouped too.
    let header = text.lines().next().unwrap_or_default();
    for column in ["ID", "ITEM", "QUANTITY", "DEST", "TPP", "AUTHORIZATION", "RECORDED", "ALLOCATION"] {
        assert!(header.contains(column), "{column} in {header}");
    }
    let first = text.lines().nth(1).unwrap_or_default();
    assert!(
        first.starts_with("po-1001 ") && first.contains(" nvidia-h100-sxm ") && first.contains(" 1,000 MY "),
        "{first}"
    );
    assert!(first.contains(" 15,832,000 "), "{first}");
}

/// A long id is cut with `…` and the columns stay aligned; a recorded answer says what it reserved.
#[test]
fn table_format_truncates_long_ids_and_shows_what_was_recorded() {
    let dir = std::env::temp_dir().join(format!("tiergate-table-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = format!("sqlite://{}", dir.join("t.db").display());
    let long = "po-".to_owned() + &"7".repeat(40);
    let req = format!(
        "{{\"id\":\"{long}\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":2000,\"destination\":\"MY\",\"consignee\":{{\"name\":\"KL\",\"headquarters\":\"MY\"}}}}\n\
         {{\"id\":\"short\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"MY\",\"consignee\":{{\"name\":\"KL\",\"headquarters\":\"MY\"}}}}\n"
    );
    let out = run_stdin(&["--db", &db, "determine", "--record", "--format", "table"], &req);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with(&format!("{}… ", &long[..23])), "{text}");
    let at = |l: &str, word: &str| l.chars().collect::<String>().find(word).map(|b| l[..b].chars().count());
    assert_eq!(at(lines[1], "nvidia"), at(lines[2], "nvidia"), "aligned:\n{text}");
    assert_eq!(at(lines[0], "RECORDED"), at(lines[1], "reserved res-"), "the recorded column:\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_input_file_is_a_clear_error() {
    let out = run(&["determine", "/nonexistent/orders.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot open `/nonexistent/orders.jsonl`"), "{}", stderr(&out));
}

#[test]
fn bad_pack_is_rejected_with_the_key() {
    let dir = std::env::temp_dir().join(format!("tiergate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(repo("rules/ai-diffusion-2025.toml"))
        .expect("pack")
        .replace("value = \"after_shipment\"", "value = \"never\"");
    std::fs::write(&bad, text).expect("write");
    let out = run(&[
        "--pack",
        bad.to_str().expect("utf-8"),
        "determine",
        repo("examples/orders.jsonl").to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("key `readings.lpp_limit_test.value`"), "{}", stderr(&out));
    let out = run(&["pack", "validate", repo("rules/ai-diffusion-2025.toml").to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(lines(&out)[0]["valid"], true);
}

#[test]
fn a_pack_with_another_reading_changes_the_answer() {
    let dir = std::env::temp_dir().join(format!("tiergate-cli-r5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pack = dir.join("r5.toml");
    let text = std::fs::read_to_string(repo("rules/ai-diffusion-2025.toml"))
        .expect("pack")
        .replace("value = \"after_shipment\"", "value = \"before_shipment\"");
    std::fs::write(&pack, text).expect("write");
    let req = "{\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":500,\"destination\":\"MY\",\"consignee\":{\"headquarters\":\"MY\"},\"context\":{\"lpp_received_tpp\":20000000}}\n";
    let official = &lines(&run_stdin(&["determine"], req))[0];
    assert_eq!(official["authorization"], "LICENSE");
    let copy = &lines(&run_stdin(&["--pack", pack.to_str().expect("utf-8"), "determine"], req))[0];
    assert_eq!(copy["authorization"], "LPP");
    // The copy keeps the official id, but its checksum gives it away; the official one is the built-in text's.
    assert_eq!(copy["regime"]["pack"], official["regime"]["pack"]);
    assert_ne!(copy["regime"]["sha256"], official["regime"]["sha256"]);
    let builtin = std::fs::read(repo("rules/ai-diffusion-2025.toml")).expect("pack");
    let sha = sha2::Sha256::digest(&builtin).iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(official["regime"]["sha256"], sha.as_str());
    assert_eq!(official["regime"]["timeline"], "codified");
    assert_eq!(copy["regime"]["timeline"], serde_json::Value::Null, "a pinned pack is chosen by no timeline");
}

#[test]
fn classify_catalog_item_and_spec_sheet() {
    let out = run(&["classify", "nvidia-h100-sxm"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["eccn"], "3A090.a");
    assert_eq!(v["tpp_per_unit"], 15832);
    assert_eq!(v["performance_density"], 19.45);
    assert!(v["reasons"].as_array().is_some_and(|r| r.len() == 2));
    let out = run(&["classify", "--tpp", "3000", "--die-area", "1500", "--datacenter", "true", "--per-unit", "8"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["eccn"], "4A090.b");
    let out = run(&["classify", "--training-operations", "2e26", "--published", "false"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["eccn"], "4E091");
    // Whether the weights are published is required here as in a request: no silent default.
    let out = run(&["classify", "--training-operations", "2e26"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--published true|false is required"), "{}", stderr(&out));
    let out = run(&["classify", "--training-operations", "2e26", "--published", "false", "--base-operations", "1e26"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--base-published true|false is required"), "{}", stderr(&out));
    let out = run(&["classify", "nvidia-h9000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`nvidia-h9000` is not in the accelerator catalog"));
    let out = run(&["classify", "--tpp", "3000", "--datacenter", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("die_area_mm2"), "{}", stderr(&out));
}

#[test]
fn items_and_countries() {
    let out = run(&["items", "--format", "jsonl"]);
    let items = lines(&out);
    for id in [
        "nvidia-h100-sxm",
        "nvidia-h100-pcie",
        "nvidia-h200-sxm",
        "nvidia-h20",
        "nvidia-a100-sxm",
        "nvidia-b200",
        "nvidia-rtx-4090",
        "amd-mi300x",
        "amd-mi250x",
        "intel-gaudi-3",
        "huawei-ascend-910b",
        "google-tpu-v5p",
    ] {
        assert!(items.iter().any(|i| i["id"] == id), "items lists {id}");
    }
    let out = run(&["countries", "--format", "jsonl", "--date", "2026-03-01"]);
    let countries = lines(&out);
    assert_eq!(countries.len(), 250);
    let kh = countries.iter().find(|c| c["code"] == "KH").expect("KH");
    assert_eq!(kh["tier"], 2, "Cambodia left D:5 on 2026-02-03");
    let hk = countries.iter().find(|c| c["code"] == "HK").expect("HK");
    assert_eq!((hk["tier"].as_u64(), hk["treated_as"].as_str()), (Some(3), Some("CN")));
    // Supp. No. 5(a)'s 19 entries; dependencies the EAR reads as one of them (Puerto Rico as the United States,
    // 15 CFR 772.1) take its tier, those it lists as destinations of their own (French Guiana) do not.
    assert_eq!(countries.iter().filter(|c| c["tier"] == 1 && c["treated_as"].is_null()).count(), 19);
    let pr = countries.iter().find(|c| c["code"] == "PR").expect("PR");
    assert_eq!((pr["tier"].as_u64(), pr["treated_as"].as_str()), (Some(1), Some("US")));
    let gf = countries.iter().find(|c| c["code"] == "GF").expect("GF");
    assert_eq!((gf["tier"].as_u64(), gf["treated_as"].as_str()), (Some(2), None));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["determine", "--help"],
        vec!["classify", "--help"],
        vec!["items", "--help"],
        vec!["countries", "--help"],
        vec!["pack", "--help"],
        vec!["pack", "validate", "--help"],
        vec!["pack", "show", "--help"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"), "{args:?}");
    }
}

#[test]
fn regimes_compare_and_csv_output() {
    let orders = "{\"id\":\"my\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":10,\"destination\":\"MY\",\"consignee\":{\"headquarters\":\"MY\"}}\n\
                  {\"id\":\"sa\",\"date\":\"2024-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"SA\",\"consignee\":{\"headquarters\":\"SA\"}}\n\
                  {\"id\":\"old\",\"date\":\"2023-01-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"SA\",\"consignee\":{\"headquarters\":\"SA\"}}\n";
    let out = run_stdin(&["determine", "--compare", "enforced"], orders);
    assert_eq!(out.status.code(), Some(2), "the 2023-01-01 order is before every regime");
    let answers = lines(&out);
    assert_eq!(answers[0]["compare"][0]["pack"], "enforced-2025-05");
    assert!(answers[1].get("compare").is_none(), "both timelines agree in 2024");
    assert_eq!(answers[1]["regime"]["pack"], "us-ac-2024-04");
    assert_eq!(answers[2]["error"]["code"], "date_before_effective");

    let out = run_stdin(&["--regime", "enforced", "determine", "--format", "csv", "--compare", "codified"], orders);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rows.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["id", "date", "timeline", "pack"]);
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("a row")).collect();
    assert_eq!(records.len(), 3);
    let col = |r: &csv::StringRecord, name: &str| r[header.iter().position(|h| h == name).expect(name)].to_owned();
    assert_eq!(col(&records[0], "timeline"), "enforced");
    assert_eq!(col(&records[0], "authorization"), "NLR");
    assert_eq!(col(&records[0], "tier"), "");
    assert_eq!(col(&records[0], "compare_authorization"), "LPP");
    assert_eq!(col(&records[0], "compare_pack"), "ai-diffusion-2025");
    assert_eq!(col(&records[2], "error_code"), "date_before_effective");

    let out = run(&["--regime", "hoped", "determine", "-"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("neither a timeline"), "{}", stderr(&out));

    let out = run(&["regimes", "--date", "2026-03-01"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["timelines"][0]["periods"][0]["pack"], "ai-diffusion-2026-01");
    assert_eq!(v["timelines"][1]["periods"][0]["pack"], "enforced-2026-01");
    let out = run(&["regimes", "diff", "2025-05-12", "2025-05-13", "--timeline", "enforced"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["b"]["pack"], "enforced-2025-05");
    assert!(v["count"].as_u64().unwrap_or(0) > 10);

    let out = run(&["countries", "--regime", "enforced", "--date", "2025-06-01", "--format", "jsonl"]);
    let countries = lines(&out);
    let cat = |code: &str| countries.iter().find(|c| c["code"] == code).expect(code)["category"].clone();
    assert_eq!(cat("VN"), "license: D:1/D:4");
    assert_eq!(cat("IN"), "no license");
}

#[test]
fn a_table_never_prints_control_characters() {
    let req = "{\"id\":\"po\\u001b[31mred\\u0007\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"MY\",\"consignee\":{\"headquarters\":\"MY\"}}\n";
    let out = run_stdin(&["determine", "--format", "table"], req);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
    assert!(text.contains("po\\u{1b}[31mred\\u{7}"), "{text:?}");
}
