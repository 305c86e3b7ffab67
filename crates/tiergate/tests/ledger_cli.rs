//! The ledger through the `tiergate` binary, with many processes at once, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use serde_json::json;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{lines, tiergate_stdin};
use tiergate_store::testing::fresh_urls;

fn tiergate(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiergate")).arg("--db").arg(db).args(args).output().expect("tiergate runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The issue's acceptance race: 8 processes x 20 reservations of 10,000,000 TPP on country:SG grant exactly 79;
/// a replayed key returns `exists`; post and void move the balance; verify passes.
#[test]
fn eight_processes_race_for_one_pool() {
    for (backend, db) in fresh_urls("cli-race") {
        let statuses: Vec<(String, Option<i32>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|w| {
                    let db = db.clone();
                    s.spawn(move || {
                        (0..20)
                            .map(|i| {
                                let key = format!("w{w}-{i}");
                                let out = tiergate(
                                    &db,
                                    &[
                                        "ledger",
                                        "reserve",
                                        "--pool",
                                        "country:SG",
                                        "--tpp",
                                        "10000000",
                                        "--key",
                                        &key,
                                        "--date",
                                        "2025-06-01",
                                    ],
                                );
                                (json(&out)["status"].as_str().unwrap_or("none").to_owned(), out.status.code())
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        let reserved = statuses.iter().filter(|(s, c)| s == "reserved" && *c == Some(0)).count();
        let rejected = statuses.iter().filter(|(s, c)| s == "rejected" && *c == Some(1)).count();
        assert_eq!((reserved, rejected), (79, 81), "{backend}: {statuses:?}");

        let again = tiergate(
            &db,
            &[
                "ledger",
                "reserve",
                "--pool",
                "country:SG",
                "--tpp",
                "10000000",
                "--key",
                "w0-0",
                "--date",
                "2025-06-01",
            ],
        );
        let again_json = json(&again);
        assert_eq!((again_json["status"].as_str(), again.status.code()), (Some("exists"), Some(0)), "{backend}");
        let balance =
            |db: &str| json(&tiergate(db, &["ledger", "balance", "--pool", "country:SG", "--date", "2025-06-01"]));
        assert_eq!(balance(&db)["pending_tpp"], 790_000_000, "{backend}");
        let id = again_json["id"].as_str().unwrap().to_owned();
        let posted = tiergate(&db, &["ledger", "post", &id, "--date", "2025-06-02"]);
        assert_eq!(json(&posted)["state"], "posted", "{backend}");
        let b = balance(&db);
        assert_eq!(
            (b["posted_tpp"].as_u64(), b["pending_tpp"].as_u64()),
            (Some(10_000_000), Some(780_000_000)),
            "{backend}"
        );
        let list = tiergate(&db, &["ledger", "list", "--pool", "country:SG"]);
        let pending_id = String::from_utf8_lossy(&list.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["state"] == "pending")
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .unwrap();
        assert_eq!(json(&tiergate(&db, &["ledger", "void", &pending_id, "--date", "2025-06-02"]))["state"], "voided");
        let b = balance(&db);
        assert_eq!(
            (b["pending_tpp"].as_u64(), b["available_tpp"].as_u64()),
            (Some(770_000_000), Some(10_000_000)),
            "{backend}"
        );
        let verify = tiergate(&db, &["ledger", "verify"]);
        assert_eq!(verify.status.code(), Some(0), "{backend}: {}", String::from_utf8_lossy(&verify.stdout));
        assert_eq!(json(&verify)["entries"], 81, "{backend}: 79 reserves, a post and a void");

        // A checkpoint kept elsewhere: the log extends it; a made-up one, or a malformed one, is refused.
        let cp = json(&tiergate(&db, &["ledger", "checkpoint"]));
        assert_eq!(cp["entries"], 81, "{backend}");
        let text = cp["checkpoint"].as_str().unwrap().to_owned();
        assert_eq!(text, format!("{}:81", cp["hash"].as_str().unwrap()), "{backend}");
        let ok = tiergate(&db, &["ledger", "verify", "--checkpoint", &text]);
        assert_eq!((ok.status.code(), json(&ok)["checkpoint"].as_str()), (Some(0), Some(text.as_str())), "{backend}");
        let forged = format!("{}:81", "0".repeat(64));
        let bad = tiergate(&db, &["ledger", "verify", "--checkpoint", &forged]);
        assert_eq!(bad.status.code(), Some(1), "{backend}");
        assert!(json(&bad)["problems"][0].as_str().unwrap().contains("does not extend checkpoint"), "{backend}");
        let malformed = tiergate(&db, &["ledger", "verify", "--checkpoint", "81"]);
        assert_eq!(malformed.status.code(), Some(2), "{backend}");
    }
}

/// Processes killed with SIGKILL at random moments lose no reservation they acknowledged (printed) and leave
/// nothing half-written.
#[test]
fn sigkill_loses_nothing_acknowledged() {
    for (backend, db) in fresh_urls("cli-kill") {
        // Create the schema first, so that kills land on reservations rather than all on migrations.
        assert_eq!(tiergate(&db, &["ledger", "verify"]).status.code(), Some(0));
        let mut acknowledged = Vec::new();
        let mut killed = 0;
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        // The kill window adapts to the machine: it doubles after a round in which every process was killed and
        // halves after one in which none was, so that both outcomes occur however fast or slow the backend is (a
        // fixed 25 ms window killed every PostgreSQL process on a busy 2-core CI runner). At least 6 rounds, at
        // most 16.
        let mut window_ms: u64 = 25;
        let mut round = 0;
        while round < 6 || (round < 16 && (killed == 0 || acknowledged.is_empty())) {
            let (killed_before, acknowledged_before) = (killed, acknowledged.len());
            let children: Vec<_> = (0..12)
                .map(|i| {
                    let key = format!("k{round}-{i}");
                    let child = Command::new(env!("CARGO_BIN_EXE_tiergate"))
                        .args([
                            "--db",
                            &db,
                            "ledger",
                            "reserve",
                            "--pool",
                            "lpp:Kill Test Holdings:2025",
                            "--tpp",
                            "1000",
                            "--key",
                            &key,
                            "--date",
                            "2025-06-01",
                        ])
                        .stdout(Stdio::piped())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap();
                    (key, child)
                })
                .collect();
            for (key, mut child) in children {
                // xorshift: a delay within the window, then SIGKILL whatever has not finished.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                std::thread::sleep(Duration::from_millis(seed % window_ms));
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap(); // SIGKILL on Unix
                    killed += 1;
                }
                let out = child.wait_with_output().unwrap();
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
                    if v["status"] == "reserved" {
                        acknowledged.push((key, v["id"].as_str().unwrap().to_owned()));
                    }
                }
            }
            if acknowledged.len() == acknowledged_before {
                window_ms *= 2;
            } else if killed == killed_before {
                window_ms = (window_ms / 2).max(1);
            }
            round += 1;
        }
        assert!(killed > 0, "{backend}: no process was killed; the test proves nothing");
        assert!(!acknowledged.is_empty(), "{backend}: no process finished; the test proves nothing");
        let verify = tiergate(&db, &["ledger", "verify"]);
        assert_eq!(verify.status.code(), Some(0), "{backend}: {}", String::from_utf8_lossy(&verify.stdout));
        let list = String::from_utf8_lossy(
            &tiergate(&db, &["ledger", "list", "--pool", "lpp:Kill Test Holdings:2025"]).stdout,
        )
        .into_owned();
        for (key, id) in &acknowledged {
            assert!(
                list.contains(&format!("\"id\":\"{id}\",\"key\":\"{key}\"")),
                "{backend}: acknowledged {id} ({key}) is lost"
            );
        }
        eprintln!(
            "{backend}: {killed} of {} processes killed in {round} rounds, {} acknowledged, verify ok",
            round * 12,
            acknowledged.len()
        );
    }
}

fn determine(db: &str, args: &[&str], input: &str) -> (Vec<serde_json::Value>, Option<i32>) {
    let out = tiergate_stdin(Some(db), &[&["determine"], args].concat(), input);
    (lines(&out), out.status.code())
}

/// `determine --db` reads balances from the ledger; `--record` reserves what each answer draws, and a re-run
/// answers the same and counts nothing twice.
#[test]
fn determine_records_into_the_ledger_once() {
    let orders = [
        r#"{"id":"a1","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":20000,"destination":"SG","consignee":{"name":"Lion City","headquarters":"SG"}}"#,
        r#"{"id":"a2","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":30000,"destination":"SG","consignee":{"name":"Lion City","headquarters":"SG"}}"#,
        r#"{"id":"a3","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"SG","consignee":{"name":"Other Co","ultimate_parent":"Lion City","headquarters":"SG"}}"#,
        r#"{"id":"a4","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"SG","consignee":{"name":"Lion City","headquarters":"SG"}}"#,
        r#"{"id":"a5","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10000,"destination":"IN","consignee":{"name":"India DC","headquarters":"IN","veu":{"kind":"nveu","country":"IN","id":"in-1"}}}"#,
        // The registry bears out a5's claim, not this one's: no VEU, and LPP is too small, so a license.
        r#"{"id":"a6","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10000,"destination":"IN","consignee":{"name":"Not Registered","headquarters":"IN","veu":{"kind":"nveu","country":"IN","id":"in-2"}}}"#,
    ]
    .join("\n");
    for (backend, db) in fresh_urls("cli-record") {
        let add = Command::new(env!("CARGO_BIN_EXE_tiergate"))
            .args(["--db", &db, "veu", "add", "--kind", "nveu", "--id", "in-1", "--name", "India DC"])
            .args(["--headquarters", "IN", "--country", "IN", "--date", "2025-06-01"])
            .output()
            .unwrap();
        assert!(add.status.success(), "{backend}: {}", String::from_utf8_lossy(&add.stderr));
        let (first, code) = determine(&db, &["--record"], &orders);
        assert_eq!(code, Some(0), "{backend}: {first:?}");
        let summary = |answers: &[serde_json::Value]| -> Vec<(String, String, String)> {
            answers
                .iter()
                .map(|a| {
                    (
                        a["authorization"].as_str().unwrap().to_owned(),
                        a["review_policy"].to_string(),
                        a["recorded"]["status"].to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(
            summary(&first),
            [
                ("LICENSE".into(), "\"approval\"".into(), "\"reserved\"".into()),
                // 316,640,000 + 474,960,000 exceeds 790,000,000: denied, nothing recorded.
                ("LICENSE".into(), "\"denial\"".into(), "null".into()),
                ("LPP".into(), "null".into(), "\"reserved\"".into()),
                // Lion City's LPP pool holds a3's 15,832,000 (its ultimate parent): 15,832,000 more exceeds 26,900,000.
                ("LICENSE".into(), "\"approval\"".into(), "\"reserved\"".into()),
                ("NVEU".into(), "null".into(), "\"reserved\"".into()),
                ("LICENSE".into(), "\"approval\"".into(), "\"reserved\"".into()),
            ],
            "{backend}"
        );
        let reasons = first[5]["reasons"].to_string();
        assert!(reasons.contains("no VEU with id `in-2` is registered"), "{backend}: {reasons}");
        assert_eq!(first[1]["allocation"]["remaining_tpp"], 473_360_000, "{backend}: the denial states the headroom");
        assert_eq!(first[3]["classification"]["tpp_total"], 15_832_000);
        assert_eq!(first[4]["recorded"]["pool"], "nveu:in-1");

        let (second, code) = determine(&db, &["--record"], &orders);
        assert_eq!(code, Some(0), "{backend}");
        let statuses: Vec<String> = second.iter().map(|a| a["recorded"]["status"].to_string()).collect();
        assert_eq!(
            statuses,
            ["\"exists\"", "null", "\"exists\"", "\"exists\"", "\"exists\"", "\"exists\""],
            "{backend}"
        );
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a["authorization"], b["authorization"], "{backend}: a re-run answers the same");
        }
        let balance = json(&tiergate(&db, &["ledger", "balance", "--pool", "country:SG", "--date", "2025-06-01"]));
        assert_eq!(balance["pending_tpp"], 316_640_000 + 15_832_000, "{backend}: counted once");
        let lpp = json(&tiergate(&db, &["ledger", "balance", "--pool", "lpp:Lion City:2025", "--date", "2025-06-01"]));
        assert_eq!(lpp["pending_tpp"], 15_832_000, "{backend}");
        // 750.7(g): a license for .a-class items is valid for a year, and its reservation expires with it; an LPP
        // reservation has no such expiry.
        let expiry = |pool: &str| -> Vec<serde_json::Value> {
            lines(&tiergate(&db, &["ledger", "list", "--pool", pool])).iter().map(|r| r["expires"].clone()).collect()
        };
        assert_eq!(expiry("country:SG"), ["2026-05-31", "2026-05-31"], "{backend}");
        assert_eq!(expiry("lpp:Lion City:2025"), [serde_json::Value::Null], "{backend}");
        // With a ledger every balance is told as posted and pending.
        // A re-run leaves its own reservation out: a1 sees a4's, a4 sees a1's.
        assert!(second[0]["reasons"].to_string().contains("in the ledger (0 posted, 15,832,000 pending)"), "{backend}");
        let r3 = second[3]["reasons"].to_string();
        assert!(r3.contains("(0 posted, 316,640,000 pending)"), "{backend}: {r3}");

        // Without --record the ledger only informs: 2,000 H100 (31,664,000 TPP, over the LPP limit) against SG's
        // pool, which holds 332,472,000.
        let (informed, code) = determine(
            &db,
            &[],
            r#"{"date":"2025-06-01","item":"nvidia-h100-sxm","quantity":2000,"destination":"SG","consignee":{"name":"Lion City","headquarters":"SG"}}"#,
        );
        assert_eq!(
            (code, informed[0]["allocation"]["remaining_tpp"].as_u64()),
            (Some(0), Some(425_864_000)),
            "{backend}"
        );
        assert!(informed[0].get("recorded").is_none());

        // Every recorded determination is kept whole, once (the first run's): shown by id, listed with filters.
        let shown = json(&tiergate(&db, &["determinations", "show", "a1"]));
        assert_eq!(
            (&shown["authorization"], &shown["destination"], &shown["pack"], &shown["actor"].is_string()),
            (&json!("LICENSE"), &json!("SG"), &json!("ai-diffusion-2025"), &true),
            "{backend}"
        );
        assert_eq!(shown["answer"]["recorded"]["status"], "reserved", "{backend}");
        assert_eq!(shown["answer"]["reasons"], first[0]["reasons"], "{backend}: the answer as given");
        assert_eq!(shown["request"]["quantity"], 20000, "{backend}");
        assert_eq!(shown["sha256"].as_str().map(str::len), Some(64), "{backend}");
        let ids = |out: &std::process::Output| -> Vec<String> {
            lines(out).iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(ids(&tiergate(&db, &["determinations", "list", "--destination", "India"])), ["a5", "a6"]);
        let licenses = tiergate(&db, &["determinations", "list", "--authorization", "license", "--limit", "2"]);
        assert_eq!(ids(&licenses), ["a1", "a2"], "{backend}");
        let last = lines(&licenses)[1]["seq"].as_u64().unwrap().to_string();
        let next = tiergate(&db, &["determinations", "list", "--authorization", "LICENSE", "--after", &last]);
        assert_eq!(ids(&next), ["a4", "a6"], "{backend}: the next page");
        assert_eq!(tiergate(&db, &["determinations", "show", "nope"]).status.code(), Some(2), "{backend}");
        // The memo filed for it: the summary first, the pack's sha256, who recorded it, its audit entry.
        let memo = tiergate(&db, &["determinations", "memo", "a1"]);
        let md = String::from_utf8_lossy(&memo.stdout);
        assert!(md.starts_with("# Export determination a1\n"), "{backend}: {md}");
        let lead = md.lines().nth(2).unwrap_or_default();
        assert!(lead.starts_with("**A license is required") && lead.ends_with(".**"), "{backend}: {lead}");
        for want in [shown["sha256"].as_str().unwrap(), "| Audit entry | #", "| Determined and recorded by |"] {
            assert!(md.contains(want), "{backend}: no `{want}` in {md}");
        }
        let html =
            String::from_utf8_lossy(&tiergate(&db, &["determinations", "memo", "a1", "--format", "html"]).stdout)
                .into_owned();
        assert!(html.starts_with("<!doctype html>") && html.contains("@media print"), "{backend}");
        assert_eq!(tiergate(&db, &["determinations", "memo", "nope"]).status.code(), Some(2), "{backend}");
        if backend == "sqlite" {
            // PDF: the HTML printed by the headless Chromium the tests install.
            let pdf = std::env::temp_dir().join(format!("tiergate-memo-{}.pdf", std::process::id()));
            let out =
                tiergate(&db, &["determinations", "memo", "a1", "--format", "pdf", "--out", pdf.to_str().unwrap()]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let bytes = std::fs::read(&pdf).unwrap();
            assert!(bytes.starts_with(b"%PDF") && bytes.len() > 5_000, "{} bytes", bytes.len());
            let _ = std::fs::remove_file(&pdf);
        }
        // Each is a case: notes and status moves, each audited, in the order the case allows.
        let ok = |args: &[&str]| -> serde_json::Value {
            let out = tiergate(&db, args);
            assert!(out.status.success(), "{backend}: {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            json(&out)
        };
        let c = ok(&["determinations", "note", "a1", "end user visited", "--actor", "carol"]);
        assert_eq!((c["status"].as_str(), c["notes"][0]["text"].as_str()), (Some("draft"), Some("end user visited")));
        let refused = tiergate(&db, &["determinations", "status", "a1", "shipped"]);
        assert_eq!(refused.status.code(), Some(1), "{backend}: a draft does not ship (refused, as a movement is)");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("may become approved or withdrawn"), "{backend}");
        let c =
            ok(&["determinations", "status", "a1", "Approved", "--note", "license D123 issued", "--actor", "carol"]);
        assert_eq!((c["status"].as_str(), c["notes"][1]["status"].as_str()), (Some("approved"), Some("approved")));
        ok(&["determinations", "status", "a1", "shipped"]);
        assert_eq!(tiergate(&db, &["determinations", "status", "a1", "withdrawn"]).status.code(), Some(1), "{backend}");
        ok(&["determinations", "status", "a5", "withdrawn", "--note", "customer cancelled"]);
        assert_eq!(tiergate(&db, &["determinations", "note", "nope", "x"]).status.code(), Some(2), "{backend}");
        assert_eq!(tiergate(&db, &["determinations", "note", "a2", "  "]).status.code(), Some(2), "{backend}");
        assert_eq!(json(&tiergate(&db, &["determinations", "show", "a1"]))["notes"].as_array().map(Vec::len), Some(3));
        // Found by status, id and party (a consignee or its ultimate parent; LIKE's wildcards taken literally).
        let found = |args: &[&str]| ids(&tiergate(&db, &[&["determinations", "list"][..], args].concat()));
        assert_eq!(found(&["--status", "shipped"]), ["a1"], "{backend}");
        assert_eq!(found(&["--status", "draft"]), ["a2", "a3", "a4", "a6"], "{backend}");
        assert_eq!(found(&["--party", "LION"]), ["a1", "a2", "a3", "a4"], "{backend}");
        assert_eq!(found(&["--party", "india dc", "--status", "withdrawn"]), ["a5"], "{backend}");
        assert_eq!(found(&["--id", "a5"]), ["a5"], "{backend}");
        assert!(found(&["--party", "%"]).is_empty() && found(&["--id", "_1"]).is_empty(), "{backend}");
        let memo = String::from_utf8_lossy(&tiergate(&db, &["determinations", "memo", "a1"]).stdout).into_owned();
        assert!(memo.contains("Status: shipped.") && memo.contains("by carol, moved to approved: license D123 issued"));
        let audit = lines(&tiergate(&db, &["ledger", "audit"]));
        let moves: Vec<&str> =
            audit.iter().filter(|e| e["pool"] == "determination:a1").filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(moves, ["determination", "case-note", "case-status", "case-status"], "{backend}");
        // `--pool` gives one record's entries only, paged by `--after`.
        let about = lines(&tiergate(&db, &["ledger", "audit", "--pool", "determination:a1"]));
        let about_moves: Vec<&str> = about.iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(about_moves, moves, "{backend}");
        let after = about[1]["seq"].as_u64().unwrap().to_string();
        let rest = lines(&tiergate(&db, &["ledger", "audit", "--pool", "determination:a1", "--after", &after]));
        assert_eq!(rest.len(), 2, "{backend}: the two status moves after the note");
        // An id that keys another reservation (a3's LPP receipt) is refused, not answered against a balance that
        // leaves that reservation out.
        let (clash, code) = determine(
            &db,
            &[],
            r#"{"id":"a3","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":5,"destination":"SG","consignee":{"name":"Lion City","headquarters":"SG"}}"#,
        );
        assert_eq!(code, Some(2), "{backend}");
        assert_eq!(
            (clash[0]["error"]["code"].as_str(), clash[0]["error"]["field"].as_str()),
            (Some("idempotency_conflict"), Some("id")),
            "{backend}: {clash:?}"
        );

        // Bad combinations are per-record errors.
        let (errs, code) = determine(&db, &["--record"], "{\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"SG\",\"consignee\":{\"name\":\"x\",\"headquarters\":\"SG\"}}\n{\"id\":\"c\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"SG\",\"consignee\":{\"name\":\"x\",\"headquarters\":\"SG\"},\"context\":{\"lpp_received_tpp\":0}}\n{\"id\":\"d\",\"date\":\"2025-06-01\",\"item\":\"nvidia-h100-sxm\",\"quantity\":1,\"destination\":\"SG\",\"consignee\":{\"headquarters\":\"SG\"}}");
        assert_eq!(code, Some(2));
        let fields: Vec<&str> = errs.iter().map(|e| e["error"]["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["id", "context", "consignee.name"], "{backend}");
        assert_eq!(tiergate(&db, &["ledger", "verify"]).status.code(), Some(0), "{backend}");
    }
}

#[test]
fn record_needs_a_ledger() {
    let out = Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .args(["determine", "--record"])
        .env_remove("TIERGATE_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--record needs a ledger"));
}

/// Spellings of one ultimate consignee share one LPP pool: ten spellings do not get ten times 26,900,000 TPP a
/// year (issue 14). 1,000 H100 are 15,832,000 TPP; the second spelling's 1,000 more would pass the limit.
#[test]
fn spellings_of_one_consignee_share_one_lpp_pool() {
    let spellings = ["KL Compute", "KL COMPUTE SDN. BHD.", "kl compute", "ＫＬ Ｃｏｍｐｕｔｅ", "KL\u{200B} Compute "];
    let orders: Vec<String> = spellings
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({"id": format!("s{i}"), "date": "2025-06-01", "item": "nvidia-h100-sxm",
                "quantity": 1000, "destination": "MY", "consignee": {"name": name, "headquarters": "MY"}})
            .to_string()
        })
        .collect();
    for (backend, db) in fresh_urls("cli-spellings") {
        let (answers, code) = determine(&db, &["--record"], &orders.join("\n"));
        assert_eq!(code, Some(0), "{backend}: {answers:?}");
        let auths: Vec<&str> = answers.iter().map(|a| a["authorization"].as_str().unwrap()).collect();
        assert_eq!(auths, ["LPP", "LICENSE", "LICENSE", "LICENSE", "LICENSE"], "{backend}");
        assert_eq!(answers[0]["recorded"]["pool"], "lpp:kl compute:2025", "{backend}");
        let lpp = json(&tiergate(
            &db,
            &["ledger", "balance", "--pool", "lpp:KL Compute Sdn Bhd:2025", "--date", "2025-06-01"],
        ));
        assert_eq!(lpp["pending_tpp"], 15_832_000, "{backend}");
        // A name with no letter or digit names no party.
        let (errs, code) = determine(
            &db,
            &[],
            r#"{"date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1,"destination":"MY","consignee":{"name":"\u200b ..","headquarters":"MY"}}"#,
        );
        assert_eq!((code, errs[0]["error"]["field"].as_str()), (Some(2), Some("consignee.name")), "{backend}");
    }
}

/// `tiergate parties`: an officer declares that differently named companies are one ultimate consignee; `determine
/// --db --record` then counts them against one LPP pool, says which party a name resolved to, and a merge brings
/// receipts recorded before it along. Every change is audited and `ledger verify` replays it (issue 14).
#[test]
fn the_registry_makes_several_names_one_ultimate_consignee() {
    let order = |id: &str, name: &str| {
        serde_json::json!({"id": id, "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 1000,
            "destination": "MY", "consignee": {"name": name, "headquarters": "MY"}})
        .to_string()
    };
    for (backend, db) in fresh_urls("cli-registry") {
        let added = tiergate(&db, &["parties", "add", "KL Compute", "--alias", "Borneo DC", "--headquarters", "MY"]);
        assert_eq!(added.status.code(), Some(0), "{backend}: {}", String::from_utf8_lossy(&added.stderr));
        let (first, code) = determine(&db, &["--record"], &order("p1", "Sabah Cloud"));
        assert_eq!((code, first[0]["recorded"]["pool"].as_str()), (Some(0), Some("lpp:sabah cloud:2025")), "{backend}");
        let merged = json(&tiergate(&db, &["parties", "alias", "borneo dc", "Sabah Cloud Sdn Bhd"]));
        assert_eq!(merged["moved_reservations"], 1, "{backend}: the alias brings Sabah Cloud's receipts: {merged}");
        let (second, _) = determine(&db, &["--record"], &order("p2", "BORNEO DC"));
        assert_eq!(second[0]["authorization"], "LICENSE", "{backend}: the second 1,000 pass 26,900,000: {:?}", second);
        let said = second[0]["reasons"].as_array().unwrap().iter().any(|r| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.contains("the consignee \"BORNEO DC\" is the registered party \"KL Compute\""))
        });
        assert!(said, "{backend}: {:?}", second[0]["reasons"]);
        // Refusals: a taken name (exit 1), an unknown party and a name with no letter (exit 2).
        assert_eq!(tiergate(&db, &["parties", "add", "kl compute ltd"]).status.code(), Some(1), "{backend}");
        assert_eq!(tiergate(&db, &["parties", "merge", "Nobody", "KL Compute"]).status.code(), Some(2), "{backend}");
        assert_eq!(tiergate(&db, &["parties", "add", " ..."]).status.code(), Some(2), "{backend}");
        assert_eq!(
            tiergate(&db, &["parties", "owner", "KL Compute", "Acme", "120"]).status.code(),
            Some(2),
            "{backend}"
        );
        let listed = lines(&tiergate(&db, &["parties", "list"]));
        assert_eq!(listed.len(), 1, "{backend}");
        let audit = lines(&tiergate(&db, &["ledger", "audit"]));
        let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
        assert!(actions.contains(&"party-add") && actions.contains(&"party-alias"), "{backend}: {actions:?}");
        let verify = json(&tiergate(&db, &["ledger", "verify"]));
        assert_eq!(verify["ok"], true, "{backend}: {verify}");
    }
}
