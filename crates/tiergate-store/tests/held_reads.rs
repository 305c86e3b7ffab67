//! Reads a reader connection keeps open between determinations (`SharedLedger::drawn_with_key`): whatever
//! commits in between — through the same ledger, another connection or another process — the answer must be
//! the one a read of its own gives at that moment; and a kept read must not hold SQLite's WAL back once
//! released.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::Command;

use common::{fresh_urls, ledger, meta, D};
use proptest::prelude::*;
use tiergate_store::{Ledger, Reservation, SharedLedger};
use time::{Date, Duration};

const POOLS: [&str; 2] = ["country:SG", "lpp:Held Holdings:2025"];

type Drawn = (Vec<u64>, Option<Reservation>);

/// What a read of its own says, on a connection opened for it.
fn fresh(url: &str, key: &str, date: Date) -> Drawn {
    ledger(url).drawn_with_key(&POOLS, Some(key), date).unwrap()
}

fn shared(url: &str) -> SharedLedger {
    SharedLedger::new(ledger(url)).with_readers(url, 1).unwrap()
}

#[test]
fn a_kept_read_sees_every_commit_at_once() {
    for (backend, url) in fresh_urls("held-commits") {
        let s = shared(&url);
        let other = &mut ledger(&url);
        let m = meta("alice");
        let read = |key: &str| s.drawn_with_key(&POOLS, Some(key), D).unwrap();
        assert_eq!(read("po-1"), (vec![0, 0], None), "{backend}");
        // Twice without a commit in between: the kept transaction answers.
        assert_eq!(read("po-1"), (vec![0, 0], None), "{backend}");

        // Through the shared ledger's writer.
        let r1 = s.reserve("country:SG", 100, "po-1", D, None, &m).unwrap();
        let (drawn, own) = read("po-1");
        assert_eq!(drawn, vec![100, 0], "{backend}: the writer's commit");
        assert_eq!(own.map(|r| r.id), r1.id, "{backend}: the request's own reservation");

        // Through another connection of this process.
        other.reserve("lpp:Held Holdings:2025", 7, "po-2", D, None, &m).unwrap();
        assert_eq!(read("po-3").0, vec![100, 7], "{backend}: another connection's commit");

        // A settlement changes no totals of a pool but the state of the reservation.
        let id = r1.id.unwrap();
        other.post(&id, D, &m).unwrap();
        assert_eq!(read("po-1").1.map(|r| r.state), Some(tiergate_store::State::Posted), "{backend}");
        let r4 = other.reserve("country:SG", 5, "po-4", D, None, &m).unwrap();
        other.void(&r4.id.unwrap(), D, &m).unwrap();
        assert_eq!(read("po-4"), fresh(&url, "po-4", D), "{backend}");

        // Through another process.
        child_reserve(&url, "country:SG", 11, "po-child");
        let (drawn, own) = read("po-child");
        assert_eq!(drawn, vec![111, 7], "{backend}: another process's commit");
        assert_eq!(own.map(|r| r.tpp), Some(11), "{backend}");
        assert_eq!(read("po-child"), fresh(&url, "po-child", D), "{backend}");
    }
}

/// Runs this test binary again as a child that reserves on `url` (see [`child_writer`]) and waits for it.
fn child_reserve(url: &str, pool: &str, tpp: u64, key: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("TIERGATE_HELD_CHILD", format!("{url}\t{pool}\t{tpp}\t{key}"))
        .status()
        .unwrap();
    assert!(status.success(), "the child writer failed");
}

/// Does nothing in a test run; the child process of [`child_reserve`] when `TIERGATE_HELD_CHILD` is set.
#[test]
fn child_writer() {
    let Ok(job) = std::env::var("TIERGATE_HELD_CHILD") else { return };
    let [url, pool, tpp, key] = job.split('\t').collect::<Vec<_>>()[..] else { panic!("bad job `{job}`") };
    let r = ledger(url).reserve(pool, tpp.parse().unwrap(), key, D, None, &meta("child")).unwrap();
    assert_eq!(r.status, tiergate_store::ReserveStatus::Reserved);
}

#[test]
fn released_reads_let_the_wal_be_checkpointed() {
    let (_, url) = fresh_urls("held-wal").into_iter().next().unwrap();
    let path = url.strip_prefix("sqlite://").unwrap().to_owned();
    let s = shared(&url);
    s.reserve("country:SG", 1, "po-1", D, None, &meta("alice")).unwrap();
    s.drawn_with_key(&POOLS, Some("po-2"), D).unwrap();
    // A commit after the kept read began: its pages cannot be checkpointed past the kept snapshot.
    ledger(&url).reserve("country:SG", 1, "po-3", D, None, &meta("alice")).unwrap();
    let checkpoint = || -> (i64, i64, i64) {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap()
    };
    assert_eq!(checkpoint().0, 1, "a kept read holds the WAL: the checkpoint reports busy");
    s.release_reads();
    assert_eq!(checkpoint(), (0, 0, 0), "released: the WAL is checkpointed and truncated");
    // The next kept read starts over and still sees everything.
    assert_eq!(s.drawn_with_key(&POOLS, Some("po-3"), D).unwrap(), fresh(&url, "po-3", D));
}

#[test]
fn other_reads_on_a_reader_end_the_kept_transaction_first() {
    let (_, url) = fresh_urls("held-other").into_iter().next().unwrap();
    let s = shared(&url);
    s.drawn_with_key(&POOLS, Some("po-1"), D).unwrap();
    // `verify` reads in a transaction of its own, which SQLite refuses to begin inside another.
    let report = s.read(|l| l.verify()).unwrap();
    assert!(report.ok && report.entries == 0, "{report:?}");
}

#[test]
fn without_readers_nothing_is_kept_on_the_writer() {
    for (backend, url) in fresh_urls("held-no-readers") {
        let s = SharedLedger::new(ledger(&url));
        assert_eq!(s.drawn_with_key(&POOLS, Some("po-1"), D).unwrap(), (vec![0, 0], None), "{backend}");
        // `determine --db --record` reads, then reserves on the same (only) connection.
        let r = s.reserve("country:SG", 3, "po-1", D, None, &meta("alice")).unwrap();
        assert_eq!(r.status, tiergate_store::ReserveStatus::Reserved, "{backend}");
        assert_eq!(s.drawn_with_key(&POOLS, Some("po-1"), D).unwrap().0, vec![3, 0], "{backend}");
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Reserve through the shared ledger's writer (`false`) or another connection (`true`).
    Reserve {
        pool: usize,
        tpp: u64,
        key: u8,
        expires_in: Option<u8>,
        other: bool,
    },
    Post {
        key: u8,
    },
    Void {
        key: u8,
    },
    /// A kept read as of `days` after the start, for `key`.
    Read {
        key: u8,
        days: u8,
    },
    Release,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 1u64..1000, 0u8..12, prop::option::of(0u8..6), any::<bool>())
            .prop_map(|(pool, tpp, key, expires_in, other)| Op::Reserve { pool, tpp, key, expires_in, other }),
        1 => (0u8..12).prop_map(|key| Op::Post { key }),
        1 => (0u8..12).prop_map(|key| Op::Void { key }),
        5 => (0u8..12, 0u8..8).prop_map(|(key, days)| Op::Read { key, days }),
        1 => Just(Op::Release),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever the interleaving of commits, dates and releases, a kept read answers as a read of its own.
    #[test]
    fn kept_reads_answer_as_fresh_ones(ops in prop::collection::vec(op(), 1..60)) {
        let (_, url) = fresh_urls("held-model").into_iter().next().unwrap();
        let s = shared(&url);
        let mut other = ledger(&url);
        let m = meta("prop");
        let key = |k: u8| format!("po-{k}");
        let id_of = |l: &mut Ledger, k: u8| l.drawn_with_key(&[], Some(&key(k)), D).unwrap().1.map(|r| r.id);
        for op in ops {
            match op {
                Op::Reserve { pool, tpp, key: k, expires_in, other: by_other } => {
                    let expires = expires_in.map(|d| D + Duration::days(i64::from(d)));
                    let r = if by_other {
                        other.reserve(POOLS[pool], tpp, &key(k), D, expires, &m)
                    } else {
                        s.reserve(POOLS[pool], tpp, &key(k), D, expires, &m)
                    };
                    r.unwrap();
                }
                Op::Post { key: k } | Op::Void { key: k } => {
                    if let Some(id) = id_of(&mut other, k) {
                        // Settling what is no longer pending is refused; the point is the commits that succeed.
                        let _ = if matches!(op, Op::Post { .. }) { other.post(&id, D, &m) } else { other.void(&id, D, &m) };
                    }
                }
                Op::Read { key: k, days } => {
                    let date = D + Duration::days(i64::from(days));
                    let kept = s.drawn_with_key(&POOLS, Some(&key(k)), date).unwrap();
                    prop_assert_eq!(kept, fresh(&url, &key(k), date));
                }
                Op::Release => s.release_reads(),
            }
        }
    }
}
