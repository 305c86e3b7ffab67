//! Reservations per second with N concurrent clients, and the floor of the same database.
//!
//!     cargo run --release -p tiergate-store --example ledger_bench -- ledger URL CLIENTS PER_CLIENT
//!     cargo run --release -p tiergate-store --example ledger_bench -- floor  URL CLIENTS PER_CLIENT
//!
//! `shared`: the same, but all clients share one connection through `SharedLedger`, which commits concurrent
//! reservations together (group commit).
//! `ledger`: each client is a thread with its own connection, reserving 1 TPP at a time with a fresh key in
//! its own pool (`lpp:bench-<client>:2025`), so no reservation is refused. `floor`: each client runs the same
//! number of single-row insert-and-update transactions (`INSERT INTO floor_log ...; UPDATE floor_counter SET
//! n = n + 1 WHERE id = 1`) with the same durability as the ledger (SQLite: WAL, synchronous=FULL, BEGIN
//! IMMEDIATE; PostgreSQL: default fsync and synchronous_commit); bench/ledger.sh also measures the PostgreSQL
//! floor with pgbench. Prints one JSON line: mode, backend, clients, operations, seconds, per_second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use tiergate_core::builtin;
use tiergate_store::{Ledger, Meta, ReserveStatus, SharedLedger};
use time::macros::date;
use time::OffsetDateTime;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, url, clients, per_client] = &args[..] else {
        panic!("usage: ledger_bench ledger|shared|floor URL CLIENTS PER_CLIENT");
    };
    let clients: usize = clients.parse().unwrap();
    let per_client: usize = per_client.parse().unwrap();
    let pack = Arc::new(builtin::pack(builtin::countries().unwrap()).unwrap());
    let backend = if url.starts_with("sqlite://") { "sqlite" } else { "postgres" };
    if mode == "floor" {
        floor_setup(url);
    } else {
        Ledger::open(url, Arc::clone(&pack)).unwrap(); // migrate before the clock starts
    }
    let run_id = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let shared = (mode == "shared").then(|| SharedLedger::new(Ledger::open(url, Arc::clone(&pack)).unwrap()));
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in 0..clients {
            let (pack, url, shared) = (Arc::clone(&pack), url.clone(), shared.as_ref());
            s.spawn(move || {
                if let Some(shared) = shared {
                    let pool = format!("lpp:bench-{c}:2025");
                    for i in 0..per_client {
                        let meta = Meta { actor: format!("bench-{c}"), reason: None, at: OffsetDateTime::now_utc() };
                        let r = shared
                            .reserve(&pool, 1, &format!("{run_id}-{c}-{i}"), date!(2025 - 06 - 01), None, &meta)
                            .unwrap();
                        assert_eq!(r.status, ReserveStatus::Reserved);
                    }
                } else if mode == "floor" {
                    floor_client(&url, c, per_client);
                } else {
                    let mut l = Ledger::open(&url, pack).unwrap();
                    let pool = format!("lpp:bench-{c}:2025");
                    for i in 0..per_client {
                        let meta = Meta { actor: format!("bench-{c}"), reason: None, at: OffsetDateTime::now_utc() };
                        let r = l
                            .reserve(&pool, 1, &format!("{run_id}-{c}-{i}"), date!(2025 - 06 - 01), None, &meta)
                            .unwrap();
                        assert_eq!(r.status, ReserveStatus::Reserved);
                    }
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let ops = clients * per_client;
    let commits = shared.as_ref().map_or(ops as u64, |s| s.commits().0);
    println!(
        "{{\"mode\":\"{mode}\",\"backend\":\"{backend}\",\"clients\":{clients},\"operations\":{ops},\"commits\":{commits},\"seconds\":{seconds:.3},\"per_second\":{:.0}}}",
        ops as f64 / seconds
    );
}

fn floor_setup(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let c = rusqlite::Connection::open(path).unwrap();
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).unwrap();
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS floor_log (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, n INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS floor_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
             INSERT OR IGNORE INTO floor_counter VALUES (1, 0);",
        )
        .unwrap();
    } else {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS floor_log (id BIGSERIAL PRIMARY KEY, client INTEGER NOT NULL, n INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS floor_counter (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
             INSERT INTO floor_counter VALUES (1, 0) ON CONFLICT DO NOTHING;",
        )
        .unwrap();
    }
}

fn floor_client(url: &str, client: usize, n: usize) {
    let client = client as i64;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut c = rusqlite::Connection::open(path).unwrap();
        c.busy_timeout(std::time::Duration::from_secs(60)).unwrap();
        c.execute_batch("PRAGMA synchronous = FULL").unwrap();
        for i in 0..n as i64 {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).unwrap();
            tx.prepare_cached("INSERT INTO floor_log (client, n) VALUES (?1, ?2)")
                .unwrap()
                .execute([client, i])
                .unwrap();
            tx.prepare_cached("UPDATE floor_counter SET n = n + 1 WHERE id = 1").unwrap().execute([]).unwrap();
            tx.commit().unwrap();
        }
    } else {
        let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let insert = c.prepare("INSERT INTO floor_log (client, n) VALUES ($1, $2)").unwrap();
        let update = c.prepare("UPDATE floor_counter SET n = n + 1 WHERE id = 1").unwrap();
        for i in 0..n as i64 {
            let mut tx = c.transaction().unwrap();
            tx.execute(&insert, &[&(client as i32), &(i as i32)]).unwrap();
            tx.execute(&update, &[]).unwrap();
            tx.commit().unwrap();
        }
    }
}
