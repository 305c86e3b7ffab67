//! The ledger through the `tiergate` binary, with many processes at once, on SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tiergate_store::testing::fresh_urls;

fn tiergate(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("tiergate runs")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The acceptance race: 8 processes x 20 reservations of 10,000,000 TPP on country:SG grant exactly 79;
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
                                (
                                    json(&out)["status"].as_str().unwrap_or("none").to_owned(),
                                    out.status.code(),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let reserved = statuses
            .iter()
            .filter(|(s, c)| s == "reserved" && *c == Some(0))
            .count();
        let rejected = statuses
            .iter()
            .filter(|(s, c)| s == "rejected" && *c == Some(1))
            .count();
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
        assert_eq!(
            (again_json["status"].as_str(), again.status.code()),
            (Some("exists"), Some(0)),
            "{backend}"
        );
        let balance = |db: &str| {
            json(&tiergate(
                db,
                &[
                    "ledger",
                    "balance",
                    "--pool",
                    "country:SG",
                    "--date",
                    "2025-06-01",
                ],
            ))
        };
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
        assert_eq!(
            json(&tiergate(
                &db,
                &["ledger", "void", &pending_id, "--date", "2025-06-02"]
            ))["state"],
            "voided"
        );
        let b = balance(&db);
        assert_eq!(
            (b["pending_tpp"].as_u64(), b["available_tpp"].as_u64()),
            (Some(770_000_000), Some(10_000_000)),
            "{backend}"
        );
        let verify = tiergate(&db, &["ledger", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{backend}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
        assert_eq!(
            json(&verify)["entries"],
            81,
            "{backend}: 79 reserves, a post and a void"
        );
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
        for round in 0..6 {
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
                // xorshift: a delay of 0 to 24 ms, then SIGKILL whatever has not finished.
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                std::thread::sleep(Duration::from_millis(seed % 25));
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
        }
        assert!(
            killed > 0,
            "{backend}: no process was killed; the test proves nothing"
        );
        assert!(
            !acknowledged.is_empty(),
            "{backend}: no process finished; the test proves nothing"
        );
        let verify = tiergate(&db, &["ledger", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{backend}: {}",
            String::from_utf8_lossy(&verify.stdout)
        );
        let list = String::from_utf8_lossy(
            &tiergate(
                &db,
                &["ledger", "list", "--pool", "lpp:Kill Test Holdings:2025"],
            )
            .stdout,
        )
        .into_owned();
        for (key, id) in &acknowledged {
            assert!(
                list.contains(&format!("\"id\":\"{id}\",\"key\":\"{key}\"")),
                "{backend}: acknowledged {id} ({key}) is lost"
            );
        }
        eprintln!(
            "{backend}: {killed} of 72 processes killed, {} acknowledged, verify ok",
            acknowledged.len()
        );
    }
}
