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
