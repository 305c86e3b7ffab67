//! Someone with write access to the database rewrites the audit log and recomputes every hash after the change.
//! Without the audit key the keyed chain gives them away; with the key, a checkpoint kept elsewhere does. On
//! SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{copy_and_run, fresh_urls, ledger, meta, run, D};
use tiergate_store::audit_key::load_chain;
use tiergate_store::{chain_hash, AuditEntry, Chain, Checkpoint, GENESIS};

/// A ledger with two reservations of Singapore's allocation, the first posted, the second pending.
fn two_reservations(url: &str) -> Checkpoint {
    let mut l = ledger(url);
    let m = meta("frank");
    let a = l.reserve("country:SG", 100, "t-1", D, None, &m).unwrap().id.unwrap();
    l.reserve("country:SG", 200, "t-2", D, None, &m).unwrap();
    l.post(&a, D, &m).unwrap();
    let report = l.verify().unwrap();
    assert!(report.ok && report.keyed_from == Some(1), "{report:?}");
    l.checkpoint().unwrap()
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Replaces the whole log with `entries`, renumbered and chained with `hash`, and moves the head to its end.
fn rewrite(backend: &str, url: &str, mut entries: Vec<AuditEntry>, hash: &dyn Fn(&AuditEntry) -> String) {
    let mut sql = String::from("DELETE FROM audit;");
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
        e.prev_hash = prev.clone();
        e.hash = hash(e);
        prev = e.hash.clone();
        sql.push_str(&format!(
            "INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {});",
            e.seq,
            quoted(&e.at),
            quoted(&e.actor),
            quoted(&e.action),
            quoted(&e.reservation),
            quoted(&e.pool),
            e.tpp,
            e.reason.as_deref().map_or("NULL".to_owned(), quoted),
            quoted(&e.prev_hash),
            quoted(&e.hash)
        ));
    }
    sql.push_str(&format!("UPDATE ledger_head SET audit_seq = {}, audit_hash = {};", entries.len(), quoted(&prev)));
    run(backend, url, &sql);
}

fn entries(url: &str) -> Vec<AuditEntry> {
    ledger(url).audit(0, u64::MAX).unwrap()
}

/// The three rewrites an adversarial review made pass `ledger verify` with plain SHA-256 hashes: another actor
/// and reason; a pending reservation erased; a post undone.
fn forgeries(backend: &str, url: &str) -> Vec<(&'static str, String, Vec<AuditEntry>)> {
    let mut out = Vec::new();
    // 1. Another actor and reason on the first reservation.
    let copy = copy_and_run(backend, url, "");
    let mut log = entries(&copy);
    log[0].actor = "mallory".into();
    log[0].reason = Some("approved by the board".into());
    out.push(("actor and reason rewritten", copy, log));
    // 2. The pending reservation erased, with its pool's pending TPP.
    let copy = copy_and_run(
        backend,
        url,
        "DELETE FROM reservations WHERE key = 't-2'; UPDATE pools SET pending_tpp = pending_tpp - 200;",
    );
    let mut log = entries(&copy);
    log.retain(|e| !(e.action == "reserve" && e.tpp == 200));
    out.push(("pending reservation erased", copy, log));
    // 3. The post undone: the reservation pending again, the pool's TPP back to pending.
    let copy = copy_and_run(
        backend,
        url,
        "UPDATE reservations SET state = 'pending' WHERE key = 't-1';
         UPDATE pools SET pending_tpp = pending_tpp + 100, posted_tpp = posted_tpp - 100;",
    );
    let mut log = entries(&copy);
    log.retain(|e| e.action != "post");
    out.push(("post undone", copy, log));
    out
}

#[test]
fn rewrites_with_recomputed_plain_hashes_are_caught_by_the_key() {
    for (backend, url) in fresh_urls("forge-plain") {
        two_reservations(&url);
        for (what, copy, log) in forgeries(backend, &url) {
            rewrite(backend, &copy, log, &chain_hash);
            let report = ledger(&copy).verify().unwrap();
            assert!(!report.ok, "{backend}: {what} went unnoticed");
            assert!(
                report.problems.iter().any(|p| p.contains("its hash does not match its content")),
                "{backend}: {what}: {:?}",
                report.problems
            );
        }
    }
}

#[test]
fn rewrites_by_someone_holding_the_key_are_caught_by_a_checkpoint() {
    for (backend, url) in fresh_urls("forge-keyed") {
        let checkpoint = two_reservations(&url);
        assert_eq!(checkpoint.entries, 3, "{backend}");
        for (what, copy, log) in forgeries(backend, &url) {
            let chain: Chain = load_chain(&copy).unwrap();
            rewrite(backend, &copy, log, &|e| chain.hash(e));
            let mut l = ledger(&copy);
            // What the key alone cannot tell: a consistent log, rewritten by its key's holder.
            assert!(l.verify().unwrap().ok, "{backend}: {what}: a keyed rewrite should pass without a checkpoint");
            let report = l.verify_against(Some(&checkpoint)).unwrap();
            assert!(!report.ok, "{backend}: {what} went unnoticed with a checkpoint");
            assert!(
                report.problems.iter().any(|p| p.contains("does not extend checkpoint")),
                "{backend}: {what}: {:?}",
                report.problems
            );
        }
        // The untouched ledger extends its checkpoint, and a later one.
        let mut l = ledger(&url);
        let report = l.verify_against(Some(&checkpoint)).unwrap();
        assert!(report.ok && report.checkpoint == Some(checkpoint.text()), "{backend}: {report:?}");
    }
}

#[test]
fn the_last_post_undone_without_rehashing_is_caught_by_a_checkpoint() {
    for (backend, url) in fresh_urls("forge-tail") {
        let checkpoint = two_reservations(&url);
        let log = entries(&url);
        let last = &log[log.len() - 2];
        let copy = copy_and_run(
            backend,
            &url,
            &format!(
                "DELETE FROM audit WHERE seq = 3;
                 UPDATE ledger_head SET audit_seq = 2, audit_hash = {};
                 UPDATE reservations SET state = 'pending' WHERE key = 't-1';
                 UPDATE pools SET pending_tpp = pending_tpp + 100, posted_tpp = posted_tpp - 100;",
                quoted(&last.hash)
            ),
        );
        let mut l = ledger(&copy);
        let report = l.verify_against(Some(&checkpoint)).unwrap();
        assert!(!report.ok, "{backend}: the cut went unnoticed");
        assert!(report.problems.iter().any(|p| p.contains("fewer than the checkpoint's 3")), "{report:?}");
    }
}

#[test]
fn a_ledger_opens_only_with_its_own_key() {
    for (backend, url) in fresh_urls("key-file") {
        two_reservations(&url);
        let key = tiergate_store::audit_key::key_path(&url).unwrap();
        let text = std::fs::read_to_string(&key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "{backend}");
        }
        // Missing: refused, naming where it should be.
        std::fs::rename(&key, key.with_extension("away")).unwrap();
        let err = tiergate_store::Ledger::open(&url, std::sync::Arc::clone(&common::PACK)).err().unwrap();
        assert!(err.to_string().contains("is missing"), "{backend}: {err}");
        // Another ledger's key: refused.
        std::fs::write(&key, text.replace("ledger = \"", "ledger = \"0")).unwrap();
        let err = tiergate_store::Ledger::open(&url, std::sync::Arc::clone(&common::PACK)).err().unwrap();
        assert!(err.to_string().contains("belongs to ledger"), "{backend}: {err}");
        // Its own: fine.
        std::fs::rename(key.with_extension("away"), &key).unwrap();
        assert!(ledger(&url).verify().unwrap().ok, "{backend}");
    }
}

#[test]
fn checkpoints_parse_strictly() {
    let cp = Checkpoint::parse(&format!("{}:12", "A".repeat(64))).unwrap();
    assert_eq!((cp.entries, cp.hash.as_str()), (12, "a".repeat(64).as_str()));
    for bad in ["", "12", "abc:12", &format!("{}:x", "a".repeat(64)), &format!("{}:-1", "a".repeat(64))] {
        assert!(Checkpoint::parse(bad).is_err(), "{bad}");
    }
}
