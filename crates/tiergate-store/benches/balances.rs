//! A determination's ledger read: `cargo bench -p tiergate-store --bench balances`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//!
//! The read every `POST /v1/determinations` makes (two pools' totals and the reservation with the request's
//! key, a key not seen before), on an SQLite ledger holding 2,000 reservations over 200 pools:
//! - `fresh`: a read transaction of its own, as `Ledger::drawn_with_key` and the CLI do;
//! - `held`: on a reader that keeps its transaction open while nothing commits, as the server does
//!   (`SharedLedger::drawn_with_key`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use tiergate_core::{builtin, Pack};
use tiergate_store::{Ledger, Meta, SharedLedger};
use time::macros::{date, datetime};

fn main() {
    divan::main();
}

const DATE: time::Date = date!(2025 - 06 - 01);
const POOLS: [&str; 2] = ["lpp:consignee-7:2025", "country:MY"];

static PACK: LazyLock<Arc<Pack>> = LazyLock::new(|| Arc::new(builtin::pack(builtin::countries().unwrap()).unwrap()));

fn meta() -> Meta {
    Meta { actor: "bench".to_owned(), reason: None, at: datetime!(2025-06-01 12:00 UTC) }
}

/// A ledger on a new SQLite file with 2,000 reservations, shared with one reader connection.
static LEDGER: LazyLock<SharedLedger> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("tiergate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("balances.db").display());
    let mut ledger = Ledger::open(&url, Arc::clone(&PACK)).unwrap();
    for i in 0..2000 {
        let pool = if i % 10 == 0 { "country:MY".to_owned() } else { format!("lpp:consignee-{}:2025", i % 200) };
        ledger.reserve(&pool, 1000, &format!("seed-{i}"), DATE, None, &meta()).unwrap();
    }
    SharedLedger::new(ledger).with_readers(&url, 1).unwrap()
});

/// A key no reservation has: most determinations carry a new request id.
fn new_key() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("po-{}", N.fetch_add(1, Ordering::Relaxed))
}

#[divan::bench(sample_count = 2000)]
fn fresh(b: divan::Bencher) {
    let ledger = &*LEDGER;
    b.with_inputs(new_key)
        .bench_local_values(|key| ledger.read(|l| l.drawn_with_key(&POOLS, Some(&key), DATE)).unwrap());
}

#[divan::bench(sample_count = 2000)]
fn held(b: divan::Bencher) {
    let ledger = &*LEDGER;
    b.with_inputs(new_key).bench_local_values(|key| ledger.drawn_with_key(&POOLS, Some(&key), DATE).unwrap());
}
