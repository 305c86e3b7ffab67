//! Restricted-party screening through the `tiergate` binary: list import, the `screen` contract, judgements,
//! and the evaluation set's targets, against the real lists in tests/data/us-screening-lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{lines, tiergate_stdin};
use serde_json::Value;
use tiergate_store::testing::fresh_urls;

fn lists_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/us-screening-lists")
}

fn list(file: &str) -> String {
    lists_dir().join(file).display().to_string()
}

fn tiergate(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiergate")).arg("--db").arg(db).args(args).output().expect("tiergate runs")
}

fn import_all(db: &str) {
    for (file, entries) in
        [("consolidated_2022-05.csv", 14_160), ("sdn_2024-05-03.csv", 14_965), ("dpl_2022-09.txt", 581)]
    {
        let out = tiergate(db, &["lists", "import", &list(file)]);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(lines(&out)[0]["entries"], entries, "{file}");
    }
}

#[test]
fn lists_import_as_versions_and_reimport_replaces_the_current_one() {
    for (backend, db) in fresh_urls("lists-import") {
        import_all(&db);
        let again = tiergate(&db, &["lists", "import", &list("dpl_2022-09.txt"), "--format", "dpl"]);
        assert_eq!(lines(&again)[0]["version"], 4, "{backend}");
        let versions = lines(&tiergate(&db, &["lists", "versions"]));
        let summary: Vec<(u64, &str, bool)> = versions
            .iter()
            .map(|v| (v["version"].as_u64().unwrap(), v["list"].as_str().unwrap(), v["current"].as_bool().unwrap()))
            .collect();
        assert_eq!(summary, vec![(4, "dpl", true), (3, "dpl", false), (2, "sdn", true), (1, "csl", true)], "{backend}");
        assert_eq!(
            versions[0]["sha256"], "9bac1eb5401d4ee8eb46a7aba97df2c899d7bdc850c813cb4fa0c0a77a66449b",
            "{backend}: the checksum of SOURCE.md"
        );
        // Each version's own date: the newest entry's (the CSL's start dates), none for the SDN (its rows carry
        // no date), or as given; a date after today is refused.
        let dates: Vec<(&str, Option<&str>, Option<&str>)> = versions
            .iter()
            .map(|v| (v["list"].as_str().unwrap(), v["list_date"].as_str(), v["list_date_from"].as_str()))
            .collect();
        assert_eq!(dates[2], ("sdn", None, None), "{backend}");
        assert_eq!(dates[3], ("csl", Some("2022-04-21"), Some("newest_entry")), "{backend}");
        let dated = tiergate(&db, &["lists", "import", &list("dpl_2022-09.txt"), "--dated", "2022-09-30"]);
        assert_eq!(
            (lines(&dated)[0]["list_date"].as_str(), lines(&dated)[0]["list_date_from"].as_str()),
            (Some("2022-09-30"), Some("given"))
        );
        let future = tiergate(&db, &["lists", "import", &list("dpl_2022-09.txt"), "--dated", "2999-01-01"]);
        assert_eq!(future.status.code(), Some(2), "{backend}");
        // A list dated long before today is flagged in every screening, whenever it was imported.
        let warned = &lines(&tiergate(&db, &["screen", "Acme"]))[0]["warnings"];
        assert!(
            warned
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().starts_with("csl list is dated 2022-04-21 (its newest entry")),
            "{backend}: {warned}"
        );
        // The old DPL version's entries are gone, not doubled: one DPL hit per listed person, from the file.
        let out = tiergate(&db, &["screen", "AARON ABRAHAM VILLA"]);
        let hits = &lines(&out)[0]["hits"];
        let from_file = hits.as_array().unwrap().iter().filter(|h| h["entry_id"].as_str().unwrap().starts_with("dpl-"));
        assert_eq!(from_file.count(), 1, "{backend}: {hits}");
    }
}

#[test]
fn bad_rows_are_reported_and_wrong_files_refused() {
    let dir = tempfile_dir("bad-rows");
    let csl = std::fs::read_to_string(lists_dir().join("consolidated_format_sample_2025-06.csv")).unwrap();
    let mut rows: Vec<&str> = csl.lines().collect();
    let good = rows.len() - 1;
    rows.insert(3, "broken,row,with,too,few,fields");
    let path = dir.join("bad.csv");
    std::fs::write(&path, rows.join("\n")).unwrap();
    let db = format!("sqlite://{}", dir.join("bad.db").display());
    let out = tiergate(&db, &["lists", "import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines(&out)[0]["entries"], good);
    assert_eq!(lines(&out)[0]["skipped"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.csv:4: skipped: 6 fields where the header has 29"), "{stderr}");

    // A file of another format: refused whole, nothing imported.
    let out = tiergate(&db, &["lists", "import", &list("dpl_2022-09.txt"), "--format", "sdn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an OFAC sdn.csv file"));
    let toml = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/screening.toml");
    let out = tiergate(&db, &["lists", "import", toml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot tell the format"));
    assert_eq!(lines(&tiergate(&db, &["lists", "versions"])).len(), 1);
}

#[test]
fn screen_follows_the_contract_and_honours_judgements() {
    for (backend, db) in fresh_urls("screen") {
        let out = tiergate(&db, &["screen", "Anyone"]);
        assert_eq!(out.status.code(), Some(2), "{backend}: screening before any import");
        assert!(String::from_utf8_lossy(&out.stderr).contains("tiergate lists import"));
        import_all(&db);

        // An Entity List party, misspelt and with another legal form.
        let out = tiergate(&db, &["screen", "Semiconductor Manufacturing Internatonal Corporation", "--country", "CN"]);
        assert!(out.status.success());
        let answer = &lines(&out)[0];
        assert_eq!(answer["decision"], "match", "{backend}: {answer}");
        let hit = answer["hits"].as_array().unwrap().iter().find(|h| h["list"] == "EL").expect("an Entity List hit");
        for field in
            ["entry_id", "list", "name", "matched_name", "score", "features", "license_requirement", "license_policy"]
        {
            assert!(hit.get(field).is_some(), "{backend}: `{field}` missing from {hit}");
        }
        assert_eq!(hit["features"]["typos"], 1);
        assert!(hit["features"]["country"].as_f64().unwrap() > 0.0);
        assert!(hit["license_requirement"].as_str().unwrap().contains("EAR"));
        // The entry's countries and addresses as listed; one hit per entry, its other names folded in.
        assert!(hit["countries"].as_array().unwrap().contains(&Value::from("CN")), "{backend}: {hit}");
        assert!(hit["addresses"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().ends_with("CN")), "{hit}");
        let ids: Vec<&str> =
            answer["hits"].as_array().unwrap().iter().map(|h| h["entry_id"].as_str().unwrap()).collect();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ids.len(), "{backend}: one hit per entry");

        // Batch: in order, a bad line answered with its line number, exit 2; CSV the same columns.
        let input = "{\"id\":\"a\",\"name\":\"BANCO NACIONAL DE CUBA\"}\n{\"id\":\"b\",\"name\":\"Google DeepMind\"}\nnot json\n{\"id\":\"d\",\"name\":\"Rosneft\",\"country\":\"Russia\"}\n";
        let out = tiergate_stdin(Some(&db), &["screen", "--batch", "-"], input);
        assert_eq!(out.status.code(), Some(2));
        let answers = lines(&out);
        let ids: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
        assert_eq!(ids, [&Value::from("a"), &Value::from("b"), &Value::Null, &Value::from("d")]);
        assert_eq!(answers[0]["decision"], "match");
        assert_eq!(answers[1]["decision"], "clear");
        assert_eq!(answers[1]["hits"], Value::Array(vec![]));
        assert_eq!(answers[2]["error"]["line"], 3);
        let dir = tempfile_dir(&format!("batch-{backend}"));
        let csv = dir.join("q.csv");
        std::fs::write(&csv, "id,name,country\nx,Rosneft,RU\ny,Anthropic,\n").unwrap();
        let out = tiergate(&db, &["screen", "--batch", csv.to_str().unwrap(), "--threshold", "0.99"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let answers = lines(&out);
        assert_eq!((answers[0]["id"].as_str(), answers[1]["decision"].as_str()), (Some("x"), Some("clear")));
        assert!(answers[0]["hits"].as_array().unwrap().iter().all(|h| h["score"].as_f64().unwrap() >= 0.99));

        // Judgements: a false positive stops counting for that query (in any spelling), shown with who and why.
        let out = tiergate(&db, &["screen", "Rosneft"]);
        let hits = lines(&out)[0]["hits"].clone();
        let exact: Vec<&str> = hits
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["score"] == 1.0)
            .map(|h| h["entry_id"].as_str().unwrap())
            .collect();
        assert!(!exact.is_empty());
        for id in &exact {
            let out = tiergate(
                &db,
                &[
                    "screen",
                    "judge",
                    id,
                    "--query",
                    "ROSNEFT",
                    "--verdict",
                    "false_positive",
                    "--note",
                    "test",
                    "--actor",
                    "ana",
                ],
            );
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let answer = &lines(&tiergate(&db, &["screen", "rosneft"]))[0];
        let judged =
            answer["hits"].as_array().unwrap().iter().filter(|h| h["judgement"]["verdict"] == "false_positive");
        assert_eq!(judged.count(), exact.len(), "{backend}: {answer}");
        // The other Rosneft entries still hold "Rosneft" as a distinctive part of their names: a review, no
        // longer a match.
        assert_eq!(answer["decision"], "review", "{backend}: only judged hits reach the match level");
        assert!(answer["hits"].as_array().unwrap().iter().any(|h| h["features"]["kind"] == "distinctive_part"));
        // A true match overrides: a low score becomes a match.
        let out = tiergate(&db, &["screen", "judge", exact[0], "--query", "Rosneft", "--verdict", "true_match"]);
        assert!(out.status.success());
        assert_eq!(lines(&tiergate(&db, &["screen", "Rosneft"]))[0]["decision"], "match");
        // Unknown entries and verdicts are refused.
        let out = tiergate(&db, &["screen", "judge", "no-such-entry", "--query", "x", "--verdict", "true_match"]);
        assert_eq!(out.status.code(), Some(2));
    }
}

/// The goals on the committed evaluation set (eval/screening/scorecard.py prints the full scorecard): recall >= 0.99
/// on the kinds of issue 5 (case and punctuation, legal form, typo, word order, alias, diacritics), >= 0.95 on the
/// kinds of issue 14 together (extended, truncated, abbreviated, transliterated, combined), and false positives
/// <= 0.02 on each kind of negative (organisation names, hard negatives), at the default threshold.
#[test]
fn evaluation_set_meets_the_goals() {
    let dir = tempfile_dir("eval");
    let db = format!("sqlite://{}", dir.join("eval.db").display());
    import_all(&db);
    let set = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../eval/screening/set.jsonl"))
        .unwrap();
    let rows: Vec<Value> = set.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let input: String =
        rows.iter().map(|r| serde_json::json!({"id": r["id"], "name": r["name"]}).to_string() + "\n").collect();
    let out = tiergate_stdin(Some(&db), &["screen", "--batch", "-"], &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answers = lines(&out);
    assert_eq!(answers.len(), rows.len());
    const OLD: [&str; 6] = ["case_punct", "legal_form", "typo", "word_order", "alias", "diacritics"];
    const NEW: [&str; 5] = ["extended", "truncated", "abbreviated", "transliterated", "combined"];
    // (hits wanted or flagged, queries) per group: old kinds, new kinds, and each kind of negative.
    let mut tally: std::collections::BTreeMap<String, (usize, usize)> = std::collections::BTreeMap::new();
    for (row, answer) in rows.iter().zip(&answers) {
        assert_eq!(row["id"], answer["id"]);
        let hits = answer["hits"].as_array().unwrap();
        let kind = row["transformation"].as_str().unwrap();
        let (group, good) = if row["expect"].is_null() {
            (kind.to_owned(), !hits.is_empty())
        } else {
            let want = &row["expect"];
            let found = hits.iter().any(|h| h["list"] == want["list"] && h["entry_id"] == want["entry_id"]);
            let group = if OLD.contains(&kind) {
                "old kinds"
            } else {
                assert!(NEW.contains(&kind), "unknown kind {kind}");
                "new kinds"
            };
            (group.to_owned(), found)
        };
        let t = tally.entry(group).or_default();
        t.0 += usize::from(good);
        t.1 += 1;
    }
    let rate = |g: &str| tally.get(g).map_or(0.0, |&(a, n)| a as f64 / n as f64);
    for (group, &(_, n)) in &tally {
        assert!(n >= 200, "the set shrank: {group} has {n} queries");
    }
    assert!(rate("old kinds") >= 0.99, "recall on the old kinds {:.3} (want >= 0.99)", rate("old kinds"));
    assert!(rate("new kinds") >= 0.95, "recall on the new kinds {:.3} (want >= 0.95)", rate("new kinds"));
    for negative in ["negative", "hard_negative"] {
        assert!(rate(negative) <= 0.02, "false positives on {negative} {:.3} (want <= 0.02)", rate(negative));
    }
}

fn tempfile_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tiergate-screen-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `determine --db` screens the consignee against the imported lists: nothing is screened before an import (and
/// the answer says so), an Entity List match then makes the answer a LICENSE that draws nothing when recorded,
/// and a false-positive judgement gives the exception back.
#[test]
fn determine_screens_parties_against_the_imported_lists() {
    let request = r#"{"id":"po-anz","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10,"destination":"PK","consignee":{"name":"ANZ Importers and Exporters","headquarters":"PK"}}"#;
    let entry = "4f97e92b4e9669c0835c2af6bd8c9b7f6cca142c";
    for (backend, db) in fresh_urls("determine-screen") {
        let before = lines(&tiergate_stdin(Some(&db), &["determine"], request));
        assert_eq!(before[0]["authorization"], "LPP", "{backend}");
        assert_eq!(before[0]["screening"]["lists"], serde_json::json!([]), "{backend}");
        let notes = before[0]["notes"].to_string();
        assert!(notes.contains("no restricted-party list is imported"), "{backend}: {notes}");

        let out = tiergate(&db, &["lists", "import", &list("consolidated_2022-05.csv")]);
        assert!(out.status.success(), "{backend}: {}", String::from_utf8_lossy(&out.stderr));
        let recorded = tiergate_stdin(Some(&db), &["determine", "--record"], request);
        assert!(recorded.status.success(), "{backend}: {}", String::from_utf8_lossy(&recorded.stderr));
        let listed = &lines(&recorded)[0];
        assert_eq!(listed["authorization"], "LICENSE", "{backend}: {listed}");
        assert_eq!(listed["review_policy"], "case_by_case", "{backend}");
        assert_eq!(listed["recorded"], Value::Null, "{backend}: a case-by-case license draws nothing");
        assert!(listed["screening"]["lists"][0].as_str().unwrap().starts_with("csl v1: 14,160 entries"), "{backend}");
        assert_eq!(listed["screening"]["hits"][0]["entry_id"], entry, "{backend}");
        assert_eq!(listed["screening"]["hits"][0]["decision"], "match", "{backend}");
        if backend == "sqlite" {
            let mut shown = listed.clone();
            shown["screening"]["lists"] = serde_json::json!(["(the imported list version)"]);
            assert_eq!(shown["regime"]["sha256"].as_str().map(str::len), Some(64), "{backend}");
            shown["regime"]["sha256"] = serde_json::json!("(the pack's sha256)");
            insta::assert_json_snapshot!("determine_entity_list_consignee", shown);
        }

        let judged = tiergate(
            &db,
            &["screen", "judge", entry, "--query", "ANZ importers & exporters", "--verdict", "false_positive"],
        );
        assert!(judged.status.success(), "{backend}: {}", String::from_utf8_lossy(&judged.stderr));
        let cleared = &lines(&tiergate_stdin(Some(&db), &["determine", "--record"], request))[0];
        assert_eq!(cleared["authorization"], "LPP", "{backend}: {cleared}");
        assert_eq!(cleared["screening"]["hits"][0]["decision"], "cleared", "{backend}");
        assert_eq!(cleared["recorded"]["status"], "reserved", "{backend}: {cleared}");
    }
}
