//! `tiergate veu` and `tiergate kyc check` through the binary, on SQLite and PostgreSQL: registration and its
//! refusals, the registry's check of a request's VEU claim, the facility log, and the report in all four forms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{lines, tiergate_stdin};
use serde_json::Value;
use tiergate_store::testing::fresh_urls;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const ORDER: &str = r#"{"id":"o1","date":"2025-05-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"AE","consignee":{"name":"g42","headquarters":"AE","veu":{"kind":"nveu","country":"AE"}}}"#;

const LOG: &str = "date,event,facility,country,item,quantity,reservation
2025-05-12,received,Abu Dhabi 1,AE,nvidia-h100-sxm,1000,res-1
2025-05-20,installed,Abu Dhabi 1,AE,nvidia-h100-sxm,900,
2025-06-20,retired,Abu Dhabi 1,AE,nvidia-h100-sxm,12,
2025-08-01,installed,Abu Dhabi 1,AE,nvidia-h100-sxm,100,
";

#[test]
fn register_ship_log_and_report() {
    for (backend, db) in fresh_urls("cli-veu") {
        let add =
            |args: &[&str]| tiergate_stdin(Some(&db), &[&["veu", "add", "--date", "2025-03-01"], args].concat(), "");
        let ok = add(&["--kind", "nveu", "--id", "g42-ae", "--name", "G42", "--headquarters", "AE", "--country", "AE"]);
        assert_eq!(ok.status.code(), Some(0), "{backend}: {}", stderr(&ok));
        assert_eq!(lines(&ok)[0]["registered"], true);
        // Ineligible (exit 1, nothing stored), a taken id and a bad id (exit 2).
        let cn = add(&["--kind", "nveu", "--id", "cn", "--name", "X", "--headquarters", "CN", "--country", "AE"]);
        assert_eq!((cn.status.code(), &lines(&cn)[0]["registered"]), (Some(1), &Value::Bool(false)), "{backend}");
        let again = add(&["--kind", "uveu", "--id", "g42-ae", "--name", "Y", "--headquarters", "US"]);
        assert_eq!(again.status.code(), Some(2), "{backend}");
        assert!(stderr(&again).contains("already registered"), "{backend}: {}", stderr(&again));
        let bad = add(&["--kind", "uveu", "--id", "a b", "--name", "Y", "--headquarters", "US"]);
        assert_eq!(bad.status.code(), Some(2), "{backend}");
        let list = lines(&tiergate_stdin(Some(&db), &["veu", "list"], ""));
        assert_eq!(list.len(), 1, "{backend}: {list:?}");

        // The claim is borne out by name (case aside): NVEU, reserved on nveu:g42-ae; then posted.
        let d = tiergate_stdin(Some(&db), &["determine", "--record"], ORDER);
        let answer = &lines(&d)[0];
        assert_eq!(
            (answer["authorization"].as_str(), answer["recorded"]["pool"].as_str()),
            (Some("NVEU"), Some("nveu:g42-ae")),
            "{backend}: {answer}"
        );
        let id = answer["recorded"]["id"].as_str().unwrap().to_owned();
        assert_eq!(
            tiergate_stdin(Some(&db), &["ledger", "post", &id, "--date", "2025-05-10"], "").status.code(),
            Some(0)
        );

        // Show: Q2 2025's cap of 949,500,000 less 15,832,000 installed.
        let show = &lines(&tiergate_stdin(Some(&db), &["veu", "show", "g42-ae", "--date", "2025-05-15"], ""))[0];
        assert_eq!(show["nveu"]["cap_tpp"], 949_500_000, "{backend}: {show}");
        assert_eq!(show["nveu"]["installed_tpp"], 15_832_000);
        assert_eq!(show["nveu"]["headroom_tpp"], 949_500_000 - 15_832_000);
        assert_eq!(show["nveu"]["quarter"], "2025Q2");

        // Bad logs store nothing: rows with their line numbers, a facility outside the NVEU's country, and a
        // removal of more chips than the facility has in service.
        let rows = tiergate_stdin(Some(&db), &["veu", "log", "g42-ae", "-"], "date,event,facility,country,item,quantity\n2025-06-01,received,Riyadh,SA,nvidia-h100-sxm,5\n2025-13-01,received,A,AE,nvidia-h100-sxm,5\n2025-06-01,received,A,AE,no-such-chip,0\n");
        let err = stderr(&rows);
        assert_eq!(rows.status.code(), Some(2), "{backend}");
        for needle in ["3 bad row(s)", "line 2: facility `Riyadh` is in SA", "line 3: `date`", "line 4:"] {
            assert!(err.contains(needle), "{backend}: {needle} in {err}");
        }
        let over = tiergate_stdin(
            Some(&db),
            &["veu", "log", "g42-ae", "-"],
            "date,event,facility,country,item,quantity\n2025-06-01,retired,A,AE,nvidia-h100-sxm,1\n",
        );
        assert!(stderr(&over).contains("line 2: retired 1"), "{backend}: {}", stderr(&over));
        let logged = tiergate_stdin(Some(&db), &["veu", "log", "g42-ae", "-"], &LOG.replace("res-1", &id));
        assert_eq!(lines(&logged)[0]["events"], 4, "{backend}: {}", stderr(&logged));

        // The report, hand-computed: 888 in service × 15,832; the receipt matches the posted reservation.
        let r = &lines(&tiergate_stdin(Some(&db), &["veu", "report", "g42-ae", "--period", "2025H1"], ""))[0];
        assert_eq!(r["totals"]["installed_base_tpp"], 888 * 15_832, "{backend}: {r}");
        assert_eq!(r["totals"]["retired_tpp"], 12 * 15_832);
        assert_eq!(r["facilities"][0]["items"][0]["in_stock"], 100);
        assert_eq!(r["ledger"]["posted_in_period_tpp"], 15_832_000);
        assert_eq!(r["checks"], serde_json::json!([]), "{backend}");
        let dir = tempdir(&format!("veu-report-{backend}"));
        let out = tiergate_stdin(
            Some(&db),
            &["veu", "report", "g42-ae", "--period", "2025H1", "--out", dir.to_str().unwrap()],
            "",
        );
        assert_eq!(lines(&out)[0]["files"].as_array().unwrap().len(), 4);
        let svg = std::fs::read_to_string(dir.join("g42-ae-2025H1.svg")).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("AE: 14,058,816 TPP"), "{backend}: {svg}");
        let md = std::fs::read_to_string(dir.join("g42-ae-2025H1.md")).unwrap();
        assert!(md.contains("![Installed base by country](g42-ae-2025H1.svg)") && md.contains("| 888 |"), "{md}");
        let csv = std::fs::read_to_string(dir.join("g42-ae-2025H1.csv")).unwrap();
        assert_eq!(
            csv.lines().nth(1),
            Some("g42-ae,2025H1,Abu Dhabi 1,AE,nvidia-h100-sxm,15832,1000,900,0,12,100,888,14058816")
        );
        let bad_period = tiergate_stdin(Some(&db), &["veu", "report", "g42-ae", "--period", "2025Q1"], "");
        assert_eq!(bad_period.status.code(), Some(2));
        let missing = tiergate_stdin(Some(&db), &["veu", "report", "nope", "--period", "2025H1"], "");
        assert!(stderr(&missing).contains("no VEU with id `nope`"), "{}", stderr(&missing));
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// With lists imported, a denied person is refused and a clean name allowed; without, nothing is screened.
#[test]
fn kyc_screens_customers_against_the_imported_lists() {
    let dpl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/us-screening-lists/dpl_2022-09.txt");
    let customers = concat!(
        r#"{"id":"p","name":"Aaron Abraham Villa","headquarters":"US","service":"iaas","purpose":"inference"}"#,
        "\n",
        r#"{"id":"q","name":"Quiet Valley Robotics","headquarters":"US","service":"iaas","purpose":"inference"}"#,
        "\n",
    );
    for (backend, db) in fresh_urls("cli-kyc") {
        let before = lines(&tiergate_stdin(Some(&db), &["kyc", "check", "--date", "2025-06-01"], customers));
        assert_eq!(before[0]["decision"], "allow", "{backend}: nothing imported, nothing screened");
        let import = tiergate_stdin(Some(&db), &["lists", "import", dpl.to_str().unwrap()], "");
        assert_eq!(import.status.code(), Some(0), "{backend}: {}", stderr(&import));
        let after = lines(&tiergate_stdin(Some(&db), &["kyc", "check", "--date", "2025-06-01"], customers));
        assert_eq!(after[0]["decision"], "refuse", "{backend}: {}", after[0]);
        assert_eq!(after[0]["red_flags"][0]["code"], "listed_party");
        assert!(after[0]["red_flags"][0]["citation"].as_str().unwrap().contains("736.2(b)(4)"), "{}", after[0]);
        assert_eq!(after[1]["decision"], "allow", "{backend}: {}", after[1]);
        assert!(after[1]["reasons"].to_string().contains("no hit"), "{}", after[1]);
    }
}

/// Readiness through the binary: an applicant, evidence against Supp. No. 10 (refusals name the flag), and the
/// report as JSON, Markdown and PDF; exit 1 while not ready, 0 once every binding requirement is met or shown
/// not to apply.
#[test]
fn readiness_is_recorded_and_reported() {
    for (backend, db) in fresh_urls("cli-readiness") {
        let run = |args: &[&str]| tiergate_stdin(Some(&db), args, "");
        // KL DC, recorded as an applicant first and registered at the end.
        let add_kl_dc = |applicant: bool| {
            let mut args = vec!["veu", "add", "--kind", "nveu", "--id", "kl-dc", "--name", "KL DC"];
            args.extend(["--headquarters", "MY", "--country", "MY", "--date", "2025-03-01"]);
            if applicant {
                args.push("--applicant");
            }
            run(&args)
        };
        let add = add_kl_dc(true);
        assert_eq!(add.status.code(), Some(0), "{backend}: {}", stderr(&add));
        assert_eq!(
            (&lines(&add)[0]["registered"], &lines(&add)[0]["applicant"]),
            (&Value::Bool(false), &Value::Bool(true))
        );
        let bad = run(&["veu", "evidence", "kl-dc", "--requirement", "6.a", "--status", "met", "--document", "x"]);
        assert_eq!(bad.status.code(), Some(2), "{backend}");
        assert!(stderr(&bad).contains("--requirement: `6.a` binds Universal VEUs"), "{backend}: {}", stderr(&bad));
        let bad = run(&["veu", "evidence", "kl-dc", "--requirement", "1", "--status", "met"]);
        assert!(stderr(&bad).contains("--document:"), "{backend}: {}", stderr(&bad));

        // Every binding requirement met (B(6) shown not to apply): ready, exit 0.
        let report = |date: &str, format: &str| run(&["veu", "readiness", "kl-dc", "--date", date, "--format", format]);
        let before = report("2026-02-01", "json");
        assert_eq!(before.status.code(), Some(1), "{backend}: not ready");
        let before = &lines(&before)[0];
        let ids: Vec<String> = before["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .chain(before["application"].as_array().unwrap())
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 39, "{backend}: 36 requirements less 5, 6.a, 6.b, and 5 items of Supp. No. 8");
        for id in &ids {
            let out = if id == "B(6)" {
                run(&[
                    "veu",
                    "evidence",
                    "kl-dc",
                    "--requirement",
                    id,
                    "--status",
                    "not_applicable",
                    "--note",
                    "customers under NDA",
                ])
            } else {
                run(&[
                    "veu",
                    "evidence",
                    "kl-dc",
                    "--requirement",
                    id,
                    "--status",
                    "met",
                    "--document",
                    &format!("doc {id}"),
                    "--owner",
                    "CISO",
                ])
            };
            assert_eq!(out.status.code(), Some(0), "{backend}: {id}: {}", stderr(&out));
        }
        let ready = report("2026-02-01", "markdown");
        assert_eq!(ready.status.code(), Some(0), "{backend}: {}", stderr(&ready));
        let md = String::from_utf8_lossy(&ready.stdout);
        assert!(md.contains("**Ready: all 39 requirements that bind it are met or shown not to apply.**"), "{md}");
        assert!(!md.contains("What is missing"), "{md}");
        // Found wanting later: the latest evidence counts.
        run(&["veu", "evidence", "kl-dc", "--requirement", "18.c", "--status", "in_progress"]);
        assert_eq!(report("2026-02-01", "json").status.code(), Some(1), "{backend}");
        let unknown = run(&["veu", "readiness", "nope"]);
        assert!(stderr(&unknown).contains("no VEU with id `nope`"), "{backend}: {}", stderr(&unknown));
        // Registered later under the same id: listed once, as registered, its evidence kept.
        let registered = add_kl_dc(false);
        assert_eq!(registered.status.code(), Some(0), "{backend}: {}", stderr(&registered));
        let listed = lines(&run(&["veu", "list"]));
        assert_eq!(listed.len(), 1, "{backend}: {listed:?}");
        assert_eq!((&listed[0]["id"], &listed[0]["applicant"]), (&Value::from("kl-dc"), &Value::Bool(false)));
        let kept = &lines(&report("2026-02-01", "json"))[0];
        assert_eq!(
            (kept["applicant"].as_bool(), kept["counts"]["met"].as_u64(), kept["counts"]["in_progress"].as_u64()),
            (Some(false), Some(37), Some(1)),
            "{backend}: {kept}"
        );
    }
}

/// The readiness report prints to PDF with the browser that prints memos.
#[test]
fn readiness_prints_to_pdf() {
    if std::env::var_os("TIERGATE_CHROMIUM").is_none() && !Path::new("/usr/bin/chromium").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI is set but no Chromium is installed");
        eprintln!("skipping: no Chromium");
        return;
    }
    let (_, db) = fresh_urls("cli-readiness-pdf").into_iter().next().unwrap();
    let run = |args: &[&str]| tiergate_stdin(Some(&db), args, "");
    run(&["veu", "add", "--applicant", "--kind", "uveu", "--id", "ash", "--name", "Ash", "--headquarters", "US"]);
    let pdf = run(&["veu", "readiness", "ash", "--format", "pdf"]);
    assert_eq!(pdf.status.code(), Some(1), "not ready: {}", stderr(&pdf));
    assert!(pdf.stdout.starts_with(b"%PDF") && pdf.stdout.len() > 5_000, "{} bytes", pdf.stdout.len());
}

/// An issued half-year is closed: `veu issue` records the report as filed, a back-dated event in it is refused
/// with its line, an event after it is logged, and the same half-year cannot be issued twice.
#[test]
fn issued_reports_close_their_half_year() {
    for (backend, db) in fresh_urls("cli-veu-issue") {
        let run = |args: &[&str], input: &str| tiergate_stdin(Some(&db), args, input);
        let add = run(
            &[
                "veu",
                "add",
                "--kind",
                "uveu",
                "--id",
                "ash",
                "--name",
                "Ash",
                "--headquarters",
                "US",
                "--date",
                "2025-03-01",
            ],
            "",
        );
        assert_eq!(add.status.code(), Some(0), "{backend}: {}", stderr(&add));
        assert_eq!(
            run(&["veu", "log", "ash", "-"], LOG.replace(",res-1", ",").as_str()).status.code(),
            Some(0),
            "{backend}"
        );
        let issued = run(&["veu", "issue", "ash", "--period", "2025H1"], "");
        assert_eq!(issued.status.code(), Some(0), "{backend}: {}", stderr(&issued));
        assert_eq!(lines(&issued)[0]["period"], "2025H1");
        let again = run(&["veu", "issue", "ash", "--period", "2025H1"], "");
        assert_eq!(again.status.code(), Some(2), "{backend}");
        assert!(stderr(&again).contains("the 2025H1 report of `ash` was issued on"), "{backend}: {}", stderr(&again));
        let late = run(
            &["veu", "log", "ash", "-"],
            "date,event,facility,country,item,quantity\n2025-06-30,retired,Abu Dhabi 1,AE,nvidia-h100-sxm,1\n",
        );
        assert_eq!(late.status.code(), Some(2), "{backend}");
        assert!(
            stderr(&late).contains("line 2: dated 2025-06-30, in 2025H1, whose report was issued"),
            "{backend}: {}",
            stderr(&late)
        );
        let timely = run(
            &["veu", "log", "ash", "-"],
            "date,event,facility,country,item,quantity\n2025-07-01,retired,Abu Dhabi 1,AE,nvidia-h100-sxm,1\n",
        );
        assert_eq!(timely.status.code(), Some(0), "{backend}: {}", stderr(&timely));
    }
}
