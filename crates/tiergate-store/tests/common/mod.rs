//! Test support for the ledger tests: a ledger on a fresh database, the built-in pack, a fixed clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, LazyLock};

use tiergate_core::{builtin, Pack};
use tiergate_store::{Ledger, Meta};
use time::macros::{date, datetime};

#[allow(unused_imports)]
pub use tiergate_store::testing::{admin_url, fresh_urls};

pub static PACK: LazyLock<Arc<Pack>> =
    LazyLock::new(|| Arc::new(builtin::pack(builtin::countries().unwrap()).unwrap()));

pub fn ledger(url: &str) -> Ledger {
    Ledger::open(url, Arc::clone(&PACK)).unwrap()
}

pub fn meta(actor: &str) -> Meta {
    Meta { actor: actor.to_owned(), reason: None, at: datetime!(2025-06-01 12:00 UTC) }
}

pub const D: time::Date = date!(2025 - 06 - 01);

/// A copy of the database at `url`, with its audit key, and `sql` applied to the copy.
pub fn copy_and_run(backend: &str, url: &str, sql: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let copy = if backend == "sqlite" {
        let path = url.strip_prefix("sqlite://").unwrap();
        let copy = format!("{path}.copy{n}");
        let c = rusqlite::Connection::open(path).unwrap();
        c.execute("VACUUM INTO ?1", [&copy]).unwrap();
        format!("sqlite://{copy}")
    } else {
        let (base, db) = url.rsplit_once('/').unwrap();
        let name = format!("{db}_copy{n}");
        let mut admin = postgres::Client::connect(&admin_url(), postgres::NoTls).unwrap();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {db}")).unwrap();
        format!("{base}/{name}")
    };
    use tiergate_store::audit_key::key_path;
    std::fs::copy(key_path(url).unwrap(), key_path(&copy).unwrap()).unwrap();
    run(backend, &copy, sql);
    copy
}

/// Runs `sql` on the database at `url` directly, as someone with write access to it would.
pub fn run(backend: &str, url: &str, sql: &str) {
    if backend == "sqlite" {
        rusqlite::Connection::open(url.strip_prefix("sqlite://").unwrap()).unwrap().execute_batch(sql).unwrap();
    } else {
        postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap();
    }
}

pub fn meta_at(actor: &str, at: time::OffsetDateTime) -> Meta {
    Meta { actor: actor.to_owned(), reason: None, at }
}

/// Registers a VEU with id `id`, as `tiergate veu register` would before its pool can be reserved.
pub fn register_veu(l: &mut Ledger, id: &str) {
    let veu =
        tiergate_store::StoredVeu { id: id.into(), body: "{}".into(), actor: "test".into(), at: "2025-01-01".into() };
    l.add_veu(&veu).unwrap();
}
