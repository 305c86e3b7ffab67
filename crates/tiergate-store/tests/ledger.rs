//! The ledger's behaviour, table by table, on SQLite and PostgreSQL alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{fresh_urls, ledger, meta, meta_at, D};
use tiergate_store::{LedgerError, ReserveStatus, State};
use time::macros::{date, datetime};

#[test]
fn reserve_post_void_and_balances() {
    for (backend, url) in fresh_urls("basic") {
        let mut l = ledger(&url);
        let m = meta("alice");
        let r1 = l.reserve("country:SG", 300_000_000, "po-1", D, None, &m).unwrap();
        assert_eq!((r1.status, r1.available_tpp, r1.code), (ReserveStatus::Reserved, 490_000_000, None), "{backend}");
        let id1 = r1.id.clone().unwrap();
        // The same key and body again: the existing reservation, nothing counted twice.
        let again = l.reserve("country:SG", 300_000_000, "po-1", D, None, &m).unwrap();
        assert_eq!(
            (again.status, again.id.as_deref(), again.available_tpp),
            (ReserveStatus::Exists, Some(id1.as_str()), 490_000_000),
            "{backend}"
        );
        // The same key with another body: a conflict.
        let conflict = l.reserve("country:SG", 1, "po-1", D, None, &m).unwrap();
        assert_eq!(
            (conflict.status, conflict.code),
            (ReserveStatus::Rejected, Some("idempotency_conflict")),
            "{backend}"
        );
        // Over the cap: rejected with the headroom.
        let r2 = l.reserve("country:SG", 500_000_000, "po-2", D, None, &m).unwrap();
        assert_eq!(
            (r2.status, r2.id, r2.available_tpp, r2.code),
            (ReserveStatus::Rejected, None, 490_000_000, Some("exceeds_allocation")),
            "{backend}"
        );
        let r3 = l.reserve("country:SG", 490_000_000, "po-3", D, None, &m).unwrap();
        assert_eq!(
            (r3.status, r3.available_tpp),
            (ReserveStatus::Reserved, 0),
            "{backend}: exactly the cap is grantable"
        );
        let b = l.balance("country:SG", D).unwrap();
        assert_eq!(
            (b.cap_tpp, b.posted_tpp, b.pending_tpp, b.available_tpp),
            (790_000_000, 0, 790_000_000, 0),
            "{backend}"
        );

        let posted = l.post(&id1, D, &m).unwrap();
        assert_eq!(posted.state, State::Posted);
        assert_eq!(l.post(&id1, D, &m).unwrap().state, State::Posted, "{backend}: posting twice is a no-op");
        let voided = l.void(r3.id.as_deref().unwrap(), D, &m).unwrap();
        assert_eq!(voided.state, State::Voided);
        let b = l.balance("country:SG", D).unwrap();
        assert_eq!((b.posted_tpp, b.pending_tpp, b.available_tpp), (300_000_000, 0, 490_000_000), "{backend}");
        assert!(matches!(l.void(&id1, D, &m), Err(LedgerError::NotPending { state: "posted", .. })), "{backend}");
        assert!(
            matches!(l.post(r3.id.as_deref().unwrap(), D, &m), Err(LedgerError::NotPending { state: "voided", .. })),
            "{backend}"
        );
        assert!(matches!(l.post("res-999", D, &m), Err(LedgerError::NotFound(_))), "{backend}");

        let list = l.list("country:SG").unwrap();
        assert_eq!(
            list.iter().map(|r| (r.key.as_str(), r.state)).collect::<Vec<_>>(),
            [("po-1", State::Posted), ("po-3", State::Voided)],
            "{backend}"
        );
        assert_eq!(list[0].actor, "alice");
        let report = l.verify().unwrap();
        assert!(report.ok, "{backend}: {:?}", report.problems);
        assert_eq!(report.entries, 4, "{backend}: reserve, reserve, post, void");
        let audit = l.audit(0, 100).unwrap();
        assert_eq!(audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["reserve", "reserve", "post", "void"]);
        assert_eq!(audit[1].prev_hash, audit[0].hash);
    }
}

#[test]
fn pools_the_rule_does_not_define_are_errors() {
    for (backend, url) in fresh_urls("undefined") {
        let mut l = ledger(&url);
        let m = meta("bob");
        for (pool, says) in [
            ("country:DE", "DE is Tier 1"),
            ("country:CN", "Tier 3"),
            ("country:Singapore", "not a country code"),
            ("bank:SG", "is not a pool"),
        ] {
            let err = l.reserve(pool, 1, pool, D, None, &m).expect_err(pool);
            assert!(err.is_bad_input(), "{backend} {pool}");
            assert!(err.to_string().contains(says), "{backend} {pool}: {err}");
        }
        assert!(l
            .reserve("country:SG", 1, "k", date!(2028 - 01 - 01), None, &m)
            .unwrap_err()
            .to_string()
            .contains("2027-12-31"));
        assert!(l.reserve("country:SG", 0, "k", D, None, &m).unwrap_err().is_bad_input());
        assert!(l.verify().unwrap().ok);
    }
}

#[test]
fn lpp_and_nveu_pools_take_their_caps_from_the_pack() {
    for (backend, url) in fresh_urls("caps") {
        let mut l = ledger(&url);
        let m = meta("carol");
        assert_eq!(l.balance("lpp:Example Holdings:2025", D).unwrap().cap_tpp, 26_900_000, "{backend}");
        let r = l.reserve("lpp:Example Holdings:2025", 26_900_001, "lpp-1", D, None, &m).unwrap();
        assert_eq!(r.code, Some("exceeds_allocation"));
        // An LPP pool is one calendar year's: a reservation dated in another year is refused.
        let other_year = l.reserve("lpp:Example Holdings:2025", 1, "lpp-2", date!(2026 - 01 - 02), None, &m);
        assert!(
            matches!(&other_year, Err(LedgerError::BadInput(m)) if m.contains("draws on 2026's")),
            "{other_year:?}"
        );
        // An NVEU pool needs its VEU registered.
        let unknown = l.reserve("nveu:in-dc-1", 1, "n-0", D, None, &m).unwrap_err();
        assert!(unknown.to_string().contains("no VEU with id `in-dc-1` is registered"), "{backend}: {unknown}");
        common::register_veu(&mut l, "in-dc-1");
        // An NVEU's cap grows with the quarter: 633,000,000 in 2025 Q1, 949,500,000 in Q2.
        let q1 = date!(2025 - 03 - 31);
        assert_eq!(
            l.reserve("nveu:in-dc-1", 600_000_000, "n-1", q1, None, &m).unwrap().status,
            ReserveStatus::Reserved
        );
        assert_eq!(
            l.reserve("nveu:in-dc-1", 100_000_000, "n-2", q1, None, &m).unwrap().code,
            Some("exceeds_allocation")
        );
        assert_eq!(
            l.reserve("nveu:in-dc-1", 100_000_000, "n-3", date!(2025 - 04 - 01), None, &m).unwrap().status,
            ReserveStatus::Reserved,
            "{backend}"
        );
        assert!(l.verify().unwrap().ok);
    }
}

#[test]
fn reservations_expire() {
    for (backend, url) in fresh_urls("expiry") {
        let mut l = ledger(&url);
        let m = meta("dave");
        let r = l.reserve("country:MY", 700_000_000, "e-1", D, Some(date!(2025 - 06 - 10)), &m).unwrap();
        let id = r.id.unwrap();
        // Valid through its expiry date, gone the day after.
        assert_eq!(l.balance("country:MY", date!(2025 - 06 - 10)).unwrap().pending_tpp, 700_000_000, "{backend}");
        assert_eq!(l.balance("country:MY", date!(2025 - 06 - 11)).unwrap().pending_tpp, 0, "{backend}");
        // A client's date alone expires nothing: dated 2031 while the server's clock says 2025-06-01, a
        // reservation is refused rather than taking the room of one that still holds today.
        let far = l.reserve("country:MY", 700_000_000, "e-far", date!(2025 - 12 - 31), None, &m).unwrap();
        assert_eq!(far.code, Some("exceeds_allocation"), "{backend}");
        assert_eq!(l.get(&id).unwrap().unwrap().state, State::Pending, "{backend}: still pending today");
        // Once the server's day is past the expiry, a new reservation expires the overdue one and may use its room.
        let later = date!(2025 - 06 - 11);
        let m = meta_at("dave", datetime!(2025-06-11 09:00 UTC));
        assert_eq!(
            l.reserve("country:MY", 700_000_000, "e-2", later, None, &m).unwrap().status,
            ReserveStatus::Reserved,
            "{backend}"
        );
        assert_eq!(l.get(&id).unwrap().unwrap().state, State::Expired);
        assert!(matches!(l.post(&id, later, &m), Err(LedgerError::NotPending { state: "expired", .. })));
        assert!(
            l.reserve("country:MY", 1, "e-3", D, Some(date!(2025 - 05 - 01)), &m).unwrap_err().is_bad_input(),
            "expires before date"
        );
        let audit = l.audit(0, 10).unwrap();
        assert_eq!(
            audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["reserve", "expire", "reserve"],
            "{backend}"
        );
        assert!(l.verify().unwrap().ok, "{backend}");
    }
}

#[test]
fn posting_an_overdue_reservation_expires_it() {
    for (backend, url) in fresh_urls("overdue") {
        let mut l = ledger(&url);
        let m = meta("erin");
        let id = l.reserve("country:MY", 5, "o-1", D, Some(D), &m).unwrap().id.unwrap();
        // Posted "as of" a later day while the server's clock still says D: it holds.
        let r = l.void(&id, date!(2031 - 01 - 01), &m);
        assert!(matches!(&r, Ok(r) if r.state == State::Voided), "{backend}: {r:?}");
        let id = l.reserve("country:MY", 5, "o-2", D, Some(D), &m).unwrap().id.unwrap();
        let m = meta_at("erin", datetime!(2025-06-02 09:00 UTC));
        assert!(
            matches!(l.post(&id, date!(2025 - 06 - 02), &m), Err(LedgerError::NotPending { state: "expired", .. })),
            "{backend}"
        );
        assert_eq!(l.get(&id).unwrap().unwrap().state, State::Expired);
        assert!(l.verify().unwrap().ok);
    }
}

/// Tampering with any stored row is caught by verify.
#[test]
fn verify_fails_loudly_on_tampering() {
    for (backend, url) in fresh_urls("tamper") {
        {
            let mut l = ledger(&url);
            let m = meta("frank");
            l.reserve("country:SG", 100, "t-1", D, None, &m).unwrap();
            l.reserve("country:SG", 200, "t-2", D, None, &m).unwrap();
            assert!(l.verify().unwrap().ok);
        } // closed: PostgreSQL copies a database only when no one is connected to it
        for (sql, says) in [
            ("UPDATE audit SET tpp = 150 WHERE seq = 1", "hash does not match"),
            ("UPDATE pools SET pending_tpp = 999", "pool country:SG stores pending 999"),
            ("UPDATE reservations SET state = 'posted' WHERE key = 't-2'", "stored as posted"),
            ("DELETE FROM audit WHERE seq = 2", "no audit entry"),
        ] {
            let tampered = common::copy_and_run(backend, &url, sql);
            let report = ledger(&tampered).verify().unwrap();
            assert!(!report.ok, "{backend}: `{sql}` went unnoticed");
            assert!(report.problems.iter().any(|p| p.contains(says)), "{backend}: `{sql}`: {:?}", report.problems);
        }
    }
}

/// 8 threads x 20 reservations of 10,000,000 TPP on country:SG (cap 790,000,000): exactly 79 are granted.
#[test]
fn concurrent_threads_never_oversubscribe() {
    for (backend, url) in fresh_urls("threads") {
        ledger(&url); // migrate once before the race (the race among first opens is tested in the CLI tests)
        let granted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let url = url.clone();
                    s.spawn(move || {
                        let mut l = ledger(&url);
                        let m = meta(&format!("thread-{t}"));
                        (0..20)
                            .filter(|i| {
                                l.reserve("country:SG", 10_000_000, &format!("t{t}-{i}"), D, None, &m).unwrap().status
                                    == ReserveStatus::Reserved
                            })
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 79, "{backend}");
        let mut l = ledger(&url);
        let b = l.balance("country:SG", D).unwrap();
        assert_eq!((b.pending_tpp, b.available_tpp), (790_000_000, 0), "{backend}");
        let report = l.verify().unwrap();
        assert!(report.ok && report.entries == 79, "{backend}: {report:?}");
    }
}

/// Group commit: 8 threads sharing one connection through SharedLedger; exactly 79 granted, in fewer commits
/// than requests, and the result verifies.
#[test]
fn shared_ledger_commits_together_and_never_oversubscribes() {
    for (backend, url) in fresh_urls("shared") {
        let shared = tiergate_store::SharedLedger::new(ledger(&url));
        let granted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|t| {
                    let shared = &shared;
                    s.spawn(move || {
                        let m = meta(&format!("thread-{t}"));
                        (0..20)
                            .filter(|i| {
                                shared
                                    .reserve("country:SG", 10_000_000, &format!("s{t}-{i}"), D, None, &m)
                                    .unwrap()
                                    .status
                                    == ReserveStatus::Reserved
                            })
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(granted, 79, "{backend}");
        let (commits, carried) = shared.commits();
        assert_eq!(carried, 160, "{backend}");
        eprintln!("{backend}: 160 requests in {commits} commits");
        // A replayed key inside the shared ledger still answers exists.
        let again = shared.reserve("country:SG", 10_000_000, "s0-0", D, None, &meta("x")).unwrap();
        assert_eq!(again.status, ReserveStatus::Exists, "{backend}");
        let report = shared.with(|l| l.verify()).unwrap();
        assert!(report.ok && report.entries == 79, "{backend}: {report:?}");
    }
}

#[test]
fn tokens_are_stored_as_hashes_and_can_be_revoked() {
    use tiergate_store::Role;
    for (backend, url) in fresh_urls("tokens") {
        let mut l = ledger(&url);
        let now = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert!(!l.has_tokens().unwrap());
        let secret = l.create_token("erp-prod", Role::Officer, &meta_at("test", now)).unwrap();
        assert!(secret.starts_with("tg_") && secret.len() == 67, "{backend}: {secret}");
        assert!(l.has_tokens().unwrap());
        assert!(
            matches!(l.create_token("erp-prod", Role::Viewer, &meta_at("test", now)), Err(LedgerError::Conflict(_))),
            "{backend}"
        );
        assert!(l.create_token("bad name", Role::Viewer, &meta_at("test", now)).unwrap_err().is_bad_input());
        let who = l.authenticate(&secret).unwrap().unwrap();
        assert_eq!((who.name.as_str(), who.role), ("erp-prod", Role::Officer), "{backend}");
        assert!(l.authenticate("tg_wrong").unwrap().is_none());
        assert!(l.authenticate(&secret[..66]).unwrap().is_none(), "{backend}: a prefix is not the secret");
        // The secret itself is nowhere in the database.
        let dump = format!("{:?}", l.list_tokens().unwrap());
        assert!(!dump.contains(&secret[3..]), "{backend}");
        l.revoke_token("erp-prod", &meta_at("test", now)).unwrap();
        assert!(l.authenticate(&secret).unwrap().is_none(), "{backend}: revoked");
        assert!(
            matches!(l.revoke_token("erp-prod", &meta_at("test", now)), Err(LedgerError::NotFound(_))),
            "{backend}: revoked twice"
        );
        assert_eq!(l.list_tokens().unwrap()[0].revoked_at.as_deref(), Some("2026-01-01T00:00:00.000000Z"));
        l.ping().unwrap();
    }
}

/// Browser sessions on both backends: a session acts as its token until it ends, expires or the token is revoked;
/// a wrong secret finds nothing; VEU registrations and logs keep their bodies and refuse what the check refuses.
#[test]
fn sessions_and_the_veu_registry() {
    use tiergate_store::{Role, StoredVeu};
    use time::{Duration, OffsetDateTime};
    for (backend, url) in fresh_urls("sessions") {
        let mut l = ledger(&url);
        let now = OffsetDateTime::now_utc();
        let token = l.create_token("web", Role::Officer, &meta_at("test", now)).unwrap();
        assert!(l.start_session("tg_wrong", now, Duration::hours(1)).unwrap().is_none(), "{backend}");
        let (secret, s) = l.start_session(&token, now, Duration::hours(1)).unwrap().unwrap();
        assert_eq!((s.token.name.as_str(), s.token.role), ("web", Role::Officer), "{backend}");
        let found = l.session(&secret, now).unwrap().unwrap();
        assert_eq!(found.csrf, s.csrf, "{backend}");
        assert!(l.session("tg_other", now).unwrap().is_none(), "{backend}");
        assert!(l.session(&secret, now + Duration::hours(2)).unwrap().is_none(), "{backend}: expired");
        assert!(l.end_session(&secret, now).unwrap(), "{backend}");
        assert!(l.session(&secret, now).unwrap().is_none(), "{backend}: ended");
        assert!(!l.end_session(&secret, now).unwrap(), "{backend}: ended once");
        let (again, _) = l.start_session(&token, now, Duration::hours(1)).unwrap().unwrap();
        l.revoke_token("web", &meta_at("test", now)).unwrap();
        assert!(l.session(&again, now).unwrap().is_none(), "{backend}: the token's revocation ends it");

        let veu = StoredVeu { id: "v1".into(), body: "{\"a\":1}".into(), actor: "t".into(), at: "x".into() };
        l.add_veu(&veu).unwrap();
        assert!(l.add_veu(&veu).is_err(), "{backend}: a taken id");
        assert_eq!(l.veus().unwrap(), vec![veu.clone()], "{backend}");
        let ok = |log: &[String], _: &[tiergate_store::IssuedReport]| {
            if log.len() <= 3 {
                Ok(())
            } else {
                Err("too long".to_owned())
            }
        };
        assert_eq!(l.log_veu_events("v1", &["e1".into(), "e2".into()], "t", "x", &ok).unwrap(), 2, "{backend}");
        let refused = l.log_veu_events("v1", &["e3".into(), "e4".into()], "t", "x", &ok).unwrap_err();
        assert!(matches!(refused, LedgerError::BadInput(ref m) if m == "too long"), "{backend}: {refused}");
        assert_eq!(
            l.veu_events("v1").unwrap(),
            vec!["e1".to_owned(), "e2".to_owned()],
            "{backend}: nothing of a refused append"
        );
        assert!(l.log_veu_events("nope", &["e".into()], "t", "x", &ok).is_err(), "{backend}");
        // A report is issued only from the log as it stands; once issued, an append's check sees it.
        let report = |period: &str| tiergate_store::IssuedReport {
            period: period.into(),
            sha256: "ab".into(),
            actor: "t".into(),
            at: "x".into(),
        };
        let stale = l.issue_veu_report("v1", &report("2025H1"), 1).unwrap_err();
        assert!(matches!(stale, LedgerError::Conflict(ref m) if m.contains("changed")), "{backend}: {stale}");
        l.issue_veu_report("v1", &report("2025H1"), 2).unwrap();
        let again = l.issue_veu_report("v1", &report("2025H1"), 2).unwrap_err();
        assert!(matches!(again, LedgerError::Conflict(ref m) if m.contains("was issued on x by t")), "{backend}");
        assert_eq!(l.veu_reports("v1").unwrap(), vec![report("2025H1")], "{backend}");
        let closed = |_: &[String], issued: &[tiergate_store::IssuedReport]| match issued.first() {
            Some(r) => Err(format!("{} is closed", r.period)),
            None => Ok(()),
        };
        let refused = l.log_veu_events("v1", &["e3".into()], "t", "x", &closed).unwrap_err();
        assert!(matches!(refused, LedgerError::BadInput(ref m) if m == "2025H1 is closed"), "{backend}: {refused}");

        // Every change above is in the audit log, with who made it, and the log verifies.
        let version = tiergate_store::NewListVersion {
            list: "csl",
            source_file: "csl.csv",
            sha256: "ab",
            problems: 1,
            actor: "importer",
            at: "2026-01-01T00:00:00.000000Z",
            list_date: None,
        };
        l.import_list(&version, &["{}".to_owned()]).unwrap();
        let judgement = tiergate_store::Judgement {
            entry_id: "csl:1".into(),
            query: "acme".into(),
            verdict: "false_positive".into(),
            note: Some("another Acme".into()),
            actor: "judge".into(),
            at: "2026-01-01T00:00:00.000000Z".into(),
        };
        l.add_judgement(&judgement).unwrap();
        let log: Vec<(String, String, String)> =
            l.audit(0, 100).unwrap().into_iter().map(|e| (e.action, e.pool, e.actor)).collect();
        let want: Vec<(String, String, String)> = [
            ("token-create", "token:web", "test"),
            ("sign-in", "token:web", "web"),
            ("sign-out", "token:web", "web"),
            ("sign-in", "token:web", "web"),
            ("token-revoke", "token:web", "test"),
            ("veu-register", "veu:v1", "t"),
            ("veu-log", "veu:v1", "t"),
            ("veu-report-issue", "veu:v1", "t"),
            ("list-import", "list:csl", "importer"),
            ("judgement", "list:judgements", "judge"),
        ]
        .iter()
        .map(|(a, p, w)| ((*a).to_owned(), (*p).to_owned(), (*w).to_owned()))
        .collect();
        assert_eq!(log, want, "{backend}");
        assert!(l.verify().unwrap().ok, "{backend}");
    }
}

/// A ledger written before party keys holds LPP pools named as requests spelt the consignee. Opening it moves
/// each such pool's reservations to the pool of the party key, merging spellings of one party, every move
/// audited; `ledger verify` replays the moves; reservations made afterwards under any spelling meet the merged
/// pool and its one limit.
#[test]
fn lpp_pools_named_by_raw_names_move_to_their_party_key() {
    use tiergate_store::{open_store, ReserveRequest};
    for (backend, url) in fresh_urls("rekey") {
        {
            // As the old code did: pools as spelt, written below the ledger's canonicalisation.
            let mut store = open_store(&url).unwrap();
            let m = meta("old");
            let raw = |pool: &str, tpp: u64, key: &str| ReserveRequest {
                pool: pool.to_owned(),
                tpp,
                key: key.to_owned(),
                date: D,
                expires: None,
            };
            for (pool, tpp, key) in [
                ("lpp:KL Compute:2025", 10_000_000, "a"),
                ("lpp:KL COMPUTE SDN. BHD.:2025", 10_000_000, "b"),
                ("lpp:kl compute:2025", 5_000_000, "c"),
                ("lpp:Other Party:2025", 1_000_000, "d"),
            ] {
                store.reserve(&raw(pool, tpp, key), 26_900_000, &m).unwrap();
            }
        }
        let mut l = ledger(&url);
        let b = l.balance("lpp:KL Compute Sdn Bhd:2025", D).unwrap();
        assert_eq!((b.pending_tpp, b.available_tpp), (25_000_000, 1_900_000), "{backend}: three spellings, one pool");
        assert_eq!(l.balance("lpp:OTHER PARTY:2025", D).unwrap().pending_tpp, 1_000_000, "{backend}");
        let report = l.verify().unwrap();
        assert!(report.ok, "{backend}: {:?}", report.problems);
        let moves = l.audit(0, 100).unwrap().into_iter().filter(|e| e.action == "rekey").count();
        assert_eq!(moves, 3, "{backend}: the two raw spellings of KL Compute and Other Party moved, audited");
        // Any spelling now meets the one limit.
        let over = l.reserve("lpp:ＫＬ Ｃｏｍｐｕｔｅ:2025", 2_000_000, "e", D, None, &meta("new")).unwrap();
        assert_eq!(over.status, ReserveStatus::Rejected, "{backend}");
        // Opening again moves nothing.
        let mut again = ledger(&url);
        assert_eq!(again.rekey_lpp_pools().unwrap(), 0, "{backend}");
    }
}

/// A registry change runs `decide` on the stored parties inside its transaction, stores what it returns, moves
/// every pool whose name starts with a moved prefix (every year's), and audits the change and each move; a
/// refusal stores and moves nothing. A merged pool over its cap takes nothing more.
#[test]
fn a_party_merge_moves_every_years_lpp_pool_and_is_audited() {
    use tiergate_store::{LedgerError, PartyWrite, StoredParty};
    for (backend, url) in fresh_urls("parties") {
        let mut l = ledger(&url);
        let d26 = time::macros::date!(2026 - 03 - 01);
        l.reserve("lpp:kl compute:2025", 20_000_000, "a", D, None, &meta("t")).unwrap();
        l.reserve("lpp:kl cloud:2025", 10_000_000, "b", D, None, &meta("t")).unwrap();
        l.reserve("lpp:kl cloud:2026", 1_000_000, "c", d26, None, &meta("t")).unwrap();
        l.reserve("lpp:kl cloudy:2025", 1_000_000, "d", D, None, &meta("t")).unwrap();
        let refuse = |_: &[StoredParty]| -> Result<PartyWrite, LedgerError> { Err(LedgerError::Conflict("no".into())) };
        assert!(l.change_parties(&refuse, &meta("officer")).is_err(), "{backend}");
        assert!(l.parties().unwrap().is_empty(), "{backend}: a refusal stores nothing");
        let merge = |stored: &[StoredParty]| -> Result<PartyWrite, LedgerError> {
            assert!(stored.is_empty());
            Ok(PartyWrite {
                action: "party-merge".into(),
                subject: "kl compute".into(),
                summary: "merged \"KL Cloud\" into \"KL Compute\"".into(),
                store: vec![("kl compute".into(), "{\"name\":\"KL Compute\"}".into())],
                remove: vec![],
                moves: vec![("lpp:kl cloud:".into(), "lpp:kl compute:".into())],
            })
        };
        let (_, moved) = l.change_parties(&merge, &meta("officer")).unwrap();
        assert_eq!(moved, 2, "{backend}: both years of KL Cloud, and not KL Cloudy");
        let b = l.balance("lpp:kl compute:2025", D).unwrap();
        assert_eq!((b.pending_tpp, b.available_tpp), (30_000_000, 0), "{backend}: the merged pool holds both");
        assert_eq!(l.balance("lpp:kl compute:2026", d26).unwrap().pending_tpp, 1_000_000, "{backend}");
        assert_eq!(l.balance("lpp:kl cloudy:2025", D).unwrap().pending_tpp, 1_000_000, "{backend}");
        let over = l.reserve("lpp:KL Compute:2025", 1, "e", D, None, &meta("t")).unwrap();
        assert_eq!(over.status, ReserveStatus::Rejected, "{backend}: over the cap, nothing more");
        assert_eq!(l.parties().unwrap().len(), 1, "{backend}");
        let audit = l.audit(0, 100).unwrap();
        let change = audit.iter().find(|e| e.action == "party-merge").expect("the change is audited");
        assert_eq!((change.pool.as_str(), change.tpp, change.actor.as_str()), ("party:kl compute", 0, "officer"));
        assert_eq!(audit.iter().filter(|e| e.action == "rekey").count(), 2, "{backend}");
        let report = l.verify().unwrap();
        assert!(report.ok, "{backend}: {:?}", report.problems);
    }
}

/// The reservation a recorded determination made (keyed by its id) follows its case: shipped posts it, withdrawn
/// voids it, in the same transaction as the move and audited with the case's words; one past its expiry is
/// recorded as expired, and the case moves all the same.
#[test]
fn a_case_settles_its_reservation() {
    use tiergate_core::case::CaseStatus;
    for (backend, url) in fresh_urls("case-reservation") {
        let mut l = ledger(&url);
        let recorded = |l: &mut tiergate_store::Ledger, id: &str| {
            let d = tiergate_store::StoredDetermination {
                seq: 0,
                id: id.into(),
                at: "2025-06-01T09:00:00Z".into(),
                actor: "alice".into(),
                date: "2025-06-01".into(),
                destination: "SG".into(),
                item: "nvidia-h100-sxm".into(),
                authorization: "LICENSE".into(),
                status: "draft".into(),
                pack: "ai-diffusion-2025".into(),
                sha256: "ab".into(),
                request: "{}".into(),
                answer: "{}".into(),
                parties: String::new(),
            };
            assert!(l.record_determination(&d).unwrap());
            l.reserve("country:SG", 1_000, id, D, Some(date!(2026 - 05 - 31)), &meta("alice")).unwrap().id.unwrap()
        };
        let (shipped, withdrawn, late) = (recorded(&mut l, "c1"), recorded(&mut l, "c2"), recorded(&mut l, "c3"));
        let june = meta_at("carol", datetime!(2025-06-20 09:00 UTC));
        for (id, to) in [("c1", CaseStatus::Approved), ("c1", CaseStatus::Shipped), ("c2", CaseStatus::Withdrawn)] {
            l.set_case_status(id, to, None, &june).unwrap();
        }
        let state = |l: &mut tiergate_store::Ledger, id: &str| l.get(id).unwrap().unwrap().state;
        assert_eq!(state(&mut l, &shipped), State::Posted, "{backend}");
        assert_eq!(state(&mut l, &withdrawn), State::Voided, "{backend}");
        let b = l.balance("country:SG", D).unwrap();
        assert_eq!((b.posted_tpp, b.pending_tpp), (1_000, 1_000), "{backend}: c3 still held");
        let audit = l.audit_about("country:SG", 0, 100).unwrap();
        let reasons: Vec<(&str, Option<&str>)> =
            audit.iter().map(|e| (e.action.as_str(), e.reason.as_deref())).filter(|(a, _)| *a != "reserve").collect();
        assert_eq!(reasons, [("post", Some("case c1 shipped")), ("void", Some("case c2 withdrawn"))], "{backend}");
        // A year on, the license (and the reservation) lapsed: withdrawing records the expiry, and the case moves.
        let later = meta_at("carol", datetime!(2026-07-01 09:00 UTC));
        l.set_case_status("c3", CaseStatus::Withdrawn, None, &later).unwrap();
        assert_eq!(state(&mut l, &late), State::Expired, "{backend}");
        assert_eq!(l.case("c3").unwrap().unwrap().determination.status, "withdrawn", "{backend}");
        assert!(l.verify().unwrap().ok, "{backend}");
    }
}
