//! `tiergate serve` as a user runs it: the real binary on a free port, spoken to over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::process::Command;

use common::Server;

use serde_json::{json, Value};
use tiergate_store::testing::fresh_urls;

fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let req = ureq::request(method, url).set("Authorization", &format!("Bearer {token}"));
    let resp = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    match resp {
        Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("{method} {url}: {e}"),
    }
}

fn token(db: &str, name: &str, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .args(["--db", db, "token", "create", "--name", name, "--role", role])
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["token"].as_str().unwrap().to_owned()
}

#[test]
fn serve_end_to_end_on_sqlite() {
    let (_, db) = fresh_urls("serve-e2e").into_iter().next().unwrap();
    let server = Server::start(&db);
    let admin = server.admin.clone().expect("a new database gets an admin token");
    let (s, v) = call("GET", &format!("{}/v1/countries/MY", server.url), &admin, None);
    assert_eq!((s, v["tier"].as_u64()), (200, Some(2)));
    assert_eq!(call("GET", &format!("{}/v1/countries/MY", server.url), "tg_nope", None).0, 401);
    let officer = token(&db, "erp", "officer");
    let order = json!({"id": "po-9", "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 20000, "destination": "SG", "consignee": {"name": "Lion City", "headquarters": "SG"}});
    let (s, v) = call("POST", &format!("{}/v1/determinations?record=true", server.url), &officer, Some(order));
    assert_eq!((s, v["recorded"]["status"].as_str()), (200, Some("reserved")), "{v}");
    let (_, list) = call("GET", &format!("{}/v1/reservations?pool=country:SG", server.url), &officer, None);
    assert_eq!(list["reservations"][0]["actor"], "erp");
    assert_eq!(server.stop(), Some(0), "SIGTERM stops the server cleanly");
    // A second start on the same database makes no new admin token.
    let again = Server::start(&db);
    assert!(again.admin.is_none());
    assert_eq!(call("GET", &format!("{}/v1/audit/verify", again.url), &admin, None).1["ok"], true);
    assert_eq!(again.stop(), Some(0));
}

/// Two instances on one PostgreSQL database: 8 clients x 20 reservations of 10,000,000 TPP on country:SG,
/// alternating between the instances, grant exactly 79.
#[test]
fn two_instances_on_one_postgres_never_oversubscribe() {
    let Some((_, db)) = fresh_urls("serve-two").into_iter().find(|(b, _)| *b == "postgres") else {
        eprintln!("skipping: no PostgreSQL");
        return;
    };
    let a = Server::start(&db);
    let b = Server::start(&db);
    let token = a.admin.clone().or(b.admin.clone()).expect("one of the two made the admin token");
    let urls = [a.url.clone(), b.url.clone()];
    let granted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|c| {
                let (urls, token) = (&urls, &token);
                s.spawn(move || {
                    (0..20)
                        .filter(|i| {
                            let body = json!({"pool": "country:SG", "tpp": 10_000_000u64, "key": format!("c{c}-{i}"), "date": "2025-06-01"});
                            let (status, _) = call("POST", &format!("{}/v1/reservations", urls[(c + i) % 2]), token, Some(body));
                            assert!(status == 201 || status == 409, "{status}");
                            status == 201
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(granted, 79);
    let (_, balance) = call("GET", &format!("{}/v1/pools/country:SG?date=2025-06-01", b.url), &token, None);
    assert_eq!(balance["pending_tpp"], 790_000_000);
    assert_eq!(call("GET", &format!("{}/v1/audit/verify", a.url), &token, None).1["ok"], true);
    assert_eq!(a.stop(), Some(0));
    assert_eq!(b.stop(), Some(0));
}

/// A database password never reaches the terminal, whichever command fails to open it.
#[test]
fn a_database_password_is_never_printed() {
    let secret = "n0t-for-logs";
    for args in [
        vec!["serve", "--bind", "127.0.0.1:0"],
        vec!["ledger", "balance", "--pool", "country:MY"],
        vec!["determine", "-"],
        vec!["lists", "versions"],
    ] {
        for db in [
            format!("postgres://app:{secret}@127.0.0.1:1/ledger"),
            format!("postgres://app@127.0.0.1:1/ledger?password={secret}"),
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_tiergate"))
                .arg("--db")
                .arg(&db)
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_ne!(out.status.code(), Some(0), "{args:?} {db}: {printed}");
            assert!(!printed.contains(secret), "{args:?} printed the password: {printed}");
            assert!(printed.contains("***") || printed.contains("cannot"), "{args:?}: {printed}");
        }
    }
}
