//! The reservation state machine as a table: each row is an operation on the ledger and what it must answer,
//! with the pool's balance after it. Run on SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{fresh_urls, ledger};
use time::macros::date;
use time::Date;

/// An operation. Reservations are named by key; post and void refer to a key's reservation.
#[derive(Debug)]
enum Op {
    Reserve { tpp: u64, key: &'static str, date: Date, expires: Option<Date> },
    Post { key: &'static str, date: Date },
    Void { key: &'static str, date: Date },
}

/// Expected answer: the reserve status and code, or `ok` / the error code of a post or void.
type Want = &'static str;

const D1: Date = date!(2025 - 06 - 01);
const D2: Date = date!(2025 - 06 - 02);
const D3: Date = date!(2025 - 06 - 03);

/// (operation, expected answer, pending and posted TPP of country:MY after it, as of the row's date)
fn table() -> Vec<(Op, Want, (u64, u64))> {
    use Op::*;
    vec![
        (Reserve { tpp: 500_000_000, key: "a", date: D1, expires: None }, "reserved", (500_000_000, 0)),
        (Reserve { tpp: 500_000_000, key: "a", date: D1, expires: None }, "exists", (500_000_000, 0)),
        (
            Reserve { tpp: 400_000_000, key: "a", date: D1, expires: None },
            "rejected:idempotency_conflict",
            (500_000_000, 0),
        ),
        (
            Reserve { tpp: 290_000_001, key: "b", date: D1, expires: None },
            "rejected:exceeds_allocation",
            (500_000_000, 0),
        ),
        (Reserve { tpp: 290_000_000, key: "b", date: D1, expires: Some(D2) }, "reserved", (790_000_000, 0)),
        (Reserve { tpp: 1, key: "c", date: D1, expires: None }, "rejected:exceeds_allocation", (790_000_000, 0)),
        (Post { key: "a", date: D1 }, "ok", (290_000_000, 500_000_000)),
        (Post { key: "a", date: D1 }, "ok", (290_000_000, 500_000_000)),
        (Void { key: "a", date: D1 }, "not_pending", (290_000_000, 500_000_000)),
        // b holds through its expiry date, then stops counting and can no longer be posted.
        (
            Reserve { tpp: 1, key: "c", date: D2, expires: None },
            "rejected:exceeds_allocation",
            (290_000_000, 500_000_000),
        ),
        (Post { key: "b", date: D3 }, "not_pending", (0, 500_000_000)),
        (Void { key: "b", date: D3 }, "not_pending", (0, 500_000_000)),
        (Reserve { tpp: 290_000_000, key: "c", date: D3, expires: None }, "reserved", (290_000_000, 500_000_000)),
        (Void { key: "c", date: D3 }, "ok", (0, 500_000_000)),
        (Void { key: "c", date: D3 }, "ok", (0, 500_000_000)),
        (Post { key: "c", date: D3 }, "not_pending", (0, 500_000_000)),
        (Reserve { tpp: 290_000_000, key: "d", date: D3, expires: None }, "reserved", (290_000_000, 500_000_000)),
    ]
}

#[test]
fn state_machine_table() {
    for (backend, url) in fresh_urls("table") {
        let mut l = ledger(&url);
        // The server's clock is each row's date: expiry follows the clock.
        let clock = |date: time::Date| common::meta_at("table", date.midnight().assume_utc());
        let mut ids = std::collections::HashMap::new();
        for (row, (op, want, (pending, posted))) in table().into_iter().enumerate() {
            let (got, date) = match &op {
                Op::Reserve { tpp, key, date, expires } => {
                    let r = l.reserve("country:MY", *tpp, key, *date, *expires, &clock(*date)).unwrap();
                    if let Some(id) = &r.id {
                        ids.entry(*key).or_insert_with(|| id.clone());
                    }
                    let status = serde_json::to_value(r.status).unwrap().as_str().unwrap().to_owned();
                    (r.code.map_or(status.clone(), |c| format!("{status}:{c}")), *date)
                }
                Op::Post { key, date } | Op::Void { key, date } => {
                    let id = &ids[key];
                    let m = clock(*date);
                    let r = if matches!(op, Op::Post { .. }) { l.post(id, *date, &m) } else { l.void(id, *date, &m) };
                    (r.map_or_else(|e| e.code().to_owned(), |_| "ok".to_owned()), *date)
                }
            };
            assert_eq!(got, want, "{backend}, row {row}: {op:?}");
            let b = l.balance("country:MY", date).unwrap();
            assert_eq!((b.pending_tpp, b.posted_tpp), (pending, posted), "{backend}, row {row}: balance after {op:?}");
        }
        let report = l.verify().unwrap();
        assert!(report.ok, "{backend}: {:?}", report.problems);
        assert_eq!(
            report.entries, 7,
            "{backend}: reserve a, reserve b, post a, expire b, reserve c, void c, reserve d"
        );
    }
}
