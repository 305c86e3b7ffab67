//! The store both backends share: [`SqlStore`] implements [`Store`] once over a [`Backend`], which only opens
//! transactions and answers the determination hot path its own way. Every write runs in a [`Tx`]: a transaction
//! serialized with every other write to the database (from any process), holding the ledger head, through which
//! every audit entry is appended.

use std::path::Path;

use tiergate_core::case::{transition, CaseStatus};
use time::Date;

use crate::audit::{AuditEntry, Chain};
use crate::audit_key;
use crate::determinations::{self, CaseNote, DeterminationFilter, StoredDetermination};
use crate::movements::{self, by_id};
use crate::parties::{PartyDecide, PartyWrite, StoredParty};
use crate::records;
use crate::scenarios::{self, StoredScenario, MAX_SCENARIOS};
use crate::screening::{Judgement, ListVersion, NewListVersion};
use crate::sql::{write_audit_entry, Sql};
use crate::tokens::{Role, Session, TokenInfo};
use crate::veus::{IssuedReport, LogCheck, StoredEvidence, StoredVeu};
use crate::{timestamp, Balances, Dump, LedgerError, Meta, Reservation, ReserveOutcome, ReserveRequest, State, Store};

/// What a backend does its own way.
pub(crate) trait Backend: Send {
    /// Reads the ledger head (audit sequence number and hash, reservation sequence number) as the first
    /// statement of a write transaction; where that must also take the write lock, it does.
    const READ_HEAD: &'static str;

    /// Runs `f` in a write transaction that serializes with every other one on the database; commits when `f`
    /// returns `Ok`, else rolls back.
    fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError>;
    /// Runs `f` in a read-only transaction: one consistent snapshot.
    fn snapshot<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError>;
    /// Runs `f` on statements of their own.
    fn plain<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError>;
    /// See [`Store::read_balances`].
    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError>;
    /// See [`Store::read_balances_held`].
    fn read_balances_held(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        self.read_balances(pools, key, date)
    }
    /// See [`Store::release_read`].
    fn release_read(&mut self) {}
}

/// The ledger head as a write transaction found it and has moved it since.
#[derive(Clone, Debug)]
struct Head {
    audit_seq: u64,
    audit_hash: String,
    reservation_seq: u64,
}

/// An open write transaction with the ledger head.
pub(crate) struct Tx<'a> {
    db: &'a mut dyn Sql,
    head: Head,
    chain: &'a Chain,
}

impl Tx<'_> {
    pub fn db(&mut self) -> &mut dyn Sql {
        &mut *self.db
    }

    /// The sequence number of the last reservation made.
    pub fn reservation_seq(&self) -> u64 {
        self.head.reservation_seq
    }

    /// The next audit entry: `action` on `(subject, pool, tpp)` by `meta`'s actor at its time, chained to the head.
    fn entry(
        &self,
        action: &str,
        (subject, pool, tpp): (&str, &str, u64),
        reason: Option<&str>,
        (actor, at): (&str, &str),
    ) -> Result<AuditEntry, LedgerError> {
        let seq = self.head.audit_seq + 1;
        if let Some(from) = self.chain.keyed_from().filter(|from| seq < *from) {
            return Err(LedgerError::Corrupt(format!(
                "the audit log ends at entry {} but its key was adopted at entry {from}: entries were removed \
                 (run `tiergate ledger verify`)",
                self.head.audit_seq
            )));
        }
        let mut e = AuditEntry {
            seq,
            at: at.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            reservation: subject.to_owned(),
            pool: pool.to_owned(),
            tpp,
            reason: reason.map(str::to_owned),
            prev_hash: self.head.audit_hash.clone(),
            hash: String::new(),
        };
        e.hash = self.chain.hash(&e);
        Ok(e)
    }

    fn moved_to(&mut self, e: &AuditEntry) {
        self.head.audit_seq = e.seq;
        self.head.audit_hash.clone_from(&e.hash);
    }

    /// Appends an audit entry about `(reservation or subject, pool, tpp)` by `meta`'s actor at its time.
    pub fn audit(
        &mut self,
        action: &str,
        about: (&str, &str, u64),
        reason: Option<&str>,
        meta: &Meta,
    ) -> Result<AuditEntry, LedgerError> {
        self.record(action, about, reason, &meta.actor, &timestamp(meta.at))
    }

    /// Appends an audit entry about `(subject, pool, tpp)` by `actor` at `at` (an RFC 3339 timestamp).
    pub fn record(
        &mut self,
        action: &str,
        about: (&str, &str, u64),
        reason: Option<&str>,
        actor: &str,
        at: &str,
    ) -> Result<AuditEntry, LedgerError> {
        let e = self.entry(action, about, reason, (actor, at))?;
        write_audit_entry(self.db, &e)?;
        self.moved_to(&e);
        Ok(e)
    }

    /// Writes a new pending reservation numbered `seq` with its `reserve` audit entry.
    pub fn write_reservation(&mut self, seq: u64, r: &Reservation, meta: &Meta) -> Result<(), LedgerError> {
        let e = self.entry("reserve", (&r.id, &r.pool, r.tpp), meta.reason.as_deref(), (&meta.actor, &r.created_at))?;
        self.db.write_reservation(seq, r, &e)?;
        self.moved_to(&e);
        self.head.reservation_seq = seq;
        Ok(())
    }
}

/// A [`Store`] over a backend.
pub(crate) struct SqlStore<B> {
    backend: B,
    chain: Chain,
}

impl<B: Backend> SqlStore<B> {
    /// The store over `backend`, with the audit key at `key_path` (made on first use, see [`crate::audit_key`]).
    pub fn open(mut backend: B, key_path: &Path) -> Result<SqlStore<B>, LedgerError> {
        const LEDGER: &str = "SELECT audit_seq, ledger_id FROM ledger_head WHERE id = 1";
        let head = backend.plain(|db| db.one(LEDGER, &[]))?;
        let chain = if let Some(id) = head.opt_text(1)? {
            Chain::keyed(audit_key::adopt(key_path, Some(&id), head.amount(0)?)?.0)
        } else {
            // First use: under the write lock, so that two processes opening a new ledger agree on one key.
            backend.transaction(|db| {
                db.one(B::READ_HEAD, &[])?;
                let head = db.one(LEDGER, &[])?;
                let (key, new_id) = audit_key::adopt(key_path, head.opt_text(1)?.as_deref(), head.amount(0)?)?;
                if let Some(id) = new_id {
                    db.exec("UPDATE ledger_head SET ledger_id = $1 WHERE id = 1", &[(&id).into()])?;
                }
                Ok(Chain::keyed(key))
            })?
        };
        Ok(SqlStore { backend, chain })
    }

    /// Runs `f` in a write transaction with the ledger head.
    fn write<R>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        let chain = &self.chain;
        self.backend.transaction(|db| {
            let row = db.one(B::READ_HEAD, &[])?;
            let head = Head { audit_seq: row.amount(0)?, audit_hash: row.text(1)?, reservation_seq: row.amount(2)? };
            f(&mut Tx { db, head, chain })
        })
    }
}

impl<B: Backend> Store for SqlStore<B> {
    fn reserve(&mut self, req: &ReserveRequest, cap: u64, meta: &Meta) -> Result<ReserveOutcome, LedgerError> {
        self.write(|tx| movements::reserve(tx, req, cap, meta))
    }

    fn reserve_batch(&mut self, items: &[(ReserveRequest, u64, Meta)]) -> Result<Vec<ReserveOutcome>, LedgerError> {
        self.write(|tx| items.iter().map(|(req, cap, meta)| movements::reserve(tx, req, *cap, meta)).collect())
    }

    fn settle(&mut self, id: &str, to: State, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        self.write(|tx| movements::settle(tx, id, to, date, meta))?
    }

    fn rekey_pool(&mut self, from: &str, to: &str, meta: &Meta) -> Result<u64, LedgerError> {
        let why = format!("rekeyed from {from}: one pool per ultimate consignee, named by its party key");
        self.write(|tx| movements::rekey(tx, from, to, &why, meta))
    }

    fn totals(&mut self, pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
        self.backend.plain(|db| movements::totals(db, pool, date))
    }

    fn get(&mut self, id: &str) -> Result<Option<Reservation>, LedgerError> {
        self.backend.plain(|db| by_id(db, id))
    }

    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        self.backend.read_balances(pools, key, date)
    }

    fn read_balances_held(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        self.backend.read_balances_held(pools, key, date)
    }

    fn release_read(&mut self) {
        self.backend.release_read();
    }

    fn list(&mut self, pool: &str) -> Result<Vec<Reservation>, LedgerError> {
        self.backend.plain(|db| movements::reservations(db, "pool = $1", &[pool.into()]))
    }

    fn list_page(&mut self, pool: &str, after: Option<&str>, limit: u64) -> Result<Vec<Reservation>, LedgerError> {
        let limit = crate::sql::Param::Int(i64::try_from(limit).unwrap_or(i64::MAX));
        // An `after` that names no reservation of the pool starts from the first.
        let sql = format!(
            "SELECT {} FROM reservations
             WHERE pool = $1 AND seq > COALESCE((SELECT seq FROM reservations WHERE id = $2 AND pool = $1), 0)
             ORDER BY seq LIMIT $3",
            movements::COLUMNS
        );
        self.backend.plain(|db| {
            db.rows(&sql, &[pool.into(), after.into(), limit])?.iter().map(movements::reservation).collect()
        })
    }

    fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        self.backend.plain(|db| movements::audit_rows(db, after, limit))
    }

    fn audit_about(&mut self, pool: &str, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        self.backend.plain(|db| movements::audit_about(db, pool, after, limit))
    }

    fn dump(&mut self) -> Result<Dump, LedgerError> {
        self.backend
            .snapshot(|db| {
                let mut dump = Dump::default();
                for r in db.rows("SELECT pool, pending_tpp, posted_tpp FROM pools ORDER BY pool", &[])? {
                    dump.pools.push((r.text(0)?, r.amount(1)?, r.amount(2)?));
                }
                dump.reservations = movements::reservations(db, "1 = 1", &[])?;
                dump.audit = movements::audit_rows(db, 0, u64::MAX)?;
                let head = db.one("SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", &[])?;
                dump.head = (head.amount(0)?, head.text(1)?);
                Ok(dump)
            })
            .map(|dump| Dump { chain: self.chain.clone(), ..dump })
    }

    fn head(&mut self) -> Result<(u64, String), LedgerError> {
        let head =
            self.backend.plain(|db| db.one("SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", &[]))?;
        Ok((head.amount(0)?, head.text(1)?))
    }

    fn create_token(&mut self, name: &str, role: Role, hash: &str, meta: &Meta) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let made = records::create_token(tx.db(), name, role, hash, &timestamp(meta.at))?;
            if made {
                let why = format!("role {}", role.as_str());
                tx.audit("token-create", (name, &format!("token:{name}"), 0), Some(&why), meta)?;
            }
            Ok(made)
        })
    }

    fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError> {
        self.backend.plain(|db| records::tokens(db))
    }

    fn revoke_token(&mut self, name: &str, meta: &Meta) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let revoked = records::revoke_token(tx.db(), name, &timestamp(meta.at))?;
            if revoked {
                tx.audit("token-revoke", (name, &format!("token:{name}"), 0), meta.reason.as_deref(), meta)?;
            }
            Ok(revoked)
        })
    }

    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenInfo>, LedgerError> {
        self.backend.plain(|db| records::token_by_hash(db, hash))
    }

    fn has_tokens(&mut self) -> Result<bool, LedgerError> {
        self.backend.plain(|db| records::has_tokens(db))
    }

    fn ping(&mut self) -> Result<(), LedgerError> {
        self.backend.plain(|db| db.one("SELECT 1", &[]).map(drop))
    }

    fn import_list(&mut self, v: &NewListVersion<'_>, bodies: &[String]) -> Result<ListVersion, LedgerError> {
        self.write(|tx| {
            let stored = records::import_list(tx.db(), v, bodies)?;
            let why = format!(
                "{} entries from {} (sha256 {}), {} rows skipped",
                stored.entries, stored.source_file, stored.sha256, stored.problems
            );
            let subject = format!("{} version {}", stored.list, stored.version);
            tx.record("list-import", (&subject, &format!("list:{}", stored.list), 0), Some(&why), v.actor, v.at)?;
            Ok(stored)
        })
    }

    fn current_lists(&mut self) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError> {
        self.backend.snapshot(|db| records::current_lists(db))
    }

    fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError> {
        self.backend.plain(|db| records::list_versions(db, "ORDER BY version DESC"))
    }

    fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError> {
        self.write(|tx| {
            records::add_judgement(tx.db(), j)?;
            let mut why = format!("{} for `{}`", j.verdict, j.query);
            if let Some(note) = &j.note {
                why.push_str(&format!(": {note}"));
            }
            tx.record("judgement", (&j.entry_id, "list:judgements", 0), Some(&why), &j.actor, &j.at)?;
            Ok(())
        })
    }

    fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError> {
        self.backend.plain(|db| records::judgements(db))
    }

    fn add_scenario(&mut self, s: &StoredScenario) -> Result<bool, LedgerError> {
        self.write(|tx| {
            if scenarios::count(tx.db())? >= MAX_SCENARIOS {
                return Err(LedgerError::Conflict(format!(
                    "{MAX_SCENARIOS} scenarios are saved, the most a ledger keeps: delete one first"
                )));
            }
            let added = scenarios::add(tx.db(), s)?;
            if added {
                let why = format!("sha256 {}", s.sha256);
                tx.record("scenario-save", (&s.name, &format!("scenario:{}", s.name), 0), Some(&why), &s.actor, &s.at)?;
            }
            Ok(added)
        })
    }

    fn scenarios(&mut self) -> Result<Vec<StoredScenario>, LedgerError> {
        self.backend.plain(|db| scenarios::all(db))
    }

    fn delete_scenario(&mut self, name: &str, meta: &Meta) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let deleted = scenarios::delete(tx.db(), name)?;
            if deleted {
                tx.audit("scenario-delete", (name, &format!("scenario:{name}"), 0), meta.reason.as_deref(), meta)?;
            }
            Ok(deleted)
        })
    }

    fn add_veu(&mut self, v: &StoredVeu) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let added = records::add_veu(tx.db(), v)?;
            if added {
                tx.record("veu-register", (&v.id, &format!("veu:{}", v.id), 0), None, &v.actor, &v.at)?;
            }
            Ok(added)
        })
    }

    fn veus(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        self.backend.plain(|db| records::veus(db))
    }

    fn append_veu_events(
        &mut self,
        id: &str,
        bodies: &[String],
        actor: &str,
        at: &str,
        check: LogCheck<'_>,
    ) -> Result<u64, LedgerError> {
        // Under the write lock: the log is read and extended with no other append in between.
        self.write(|tx| {
            let mut log = records::veu_events(tx.db(), id)?;
            log.extend_from_slice(bodies);
            let issued = records::veu_reports(tx.db(), id)?;
            check(&log, &issued).map_err(LedgerError::BadInput)?;
            records::append_veu_events(tx.db(), id, bodies, actor, at)?;
            let why = format!("{} events appended; the log holds {}", bodies.len(), log.len());
            tx.record("veu-log", (id, &format!("veu:{id}"), 0), Some(&why), actor, at)?;
            Ok(log.len() as u64)
        })
    }

    fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError> {
        self.backend.plain(|db| records::veu_events(db, id))
    }

    fn veu_event_count(&mut self, id: &str) -> Result<u64, LedgerError> {
        self.backend.plain(|db| records::veu_event_count(db, id))
    }

    fn add_veu_applicant(&mut self, v: &StoredVeu) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let added = records::add_veu_applicant(tx.db(), v)?;
            if added {
                tx.record("veu-apply", (&v.id, &format!("veu:{}", v.id), 0), None, &v.actor, &v.at)?;
            }
            Ok(added)
        })
    }

    fn veu_applicants(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        self.backend.plain(|db| records::veu_applicants(db))
    }

    fn add_veu_evidence(&mut self, id: &str, e: &StoredEvidence, why: &str) -> Result<(), LedgerError> {
        self.write(|tx| {
            records::add_veu_evidence(tx.db(), id, e)?;
            tx.record("veu-evidence", (id, &format!("veu:{id}"), 0), Some(why), &e.actor, &e.at)?;
            Ok(())
        })
    }

    fn veu_evidence(&mut self, id: &str) -> Result<Vec<StoredEvidence>, LedgerError> {
        self.backend.plain(|db| records::veu_evidence(db, id))
    }

    fn issue_veu_report(&mut self, id: &str, r: &IssuedReport, events: u64) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let now = records::veu_event_count(tx.db(), id)?;
            if now != events {
                return Err(LedgerError::Conflict(format!(
                    "the log of `{id}` changed while its report was written ({events} events then, {now} now): \
                     issue it again"
                )));
            }
            let issued = records::issue_veu_report(tx.db(), id, r)?;
            if issued {
                let why = format!("{} report issued, sha256 {}", r.period, r.sha256);
                tx.record("veu-report-issue", (id, &format!("veu:{id}"), 0), Some(&why), &r.actor, &r.at)?;
            }
            Ok(issued)
        })
    }

    fn veu_reports(&mut self, id: &str) -> Result<Vec<IssuedReport>, LedgerError> {
        self.backend.plain(|db| records::veu_reports(db, id))
    }

    fn parties(&mut self) -> Result<Vec<StoredParty>, LedgerError> {
        self.backend.plain(|db| movements::parties(db))
    }

    fn change_parties(&mut self, decide: PartyDecide<'_>, meta: &Meta) -> Result<(PartyWrite, u64), LedgerError> {
        self.write(|tx| movements::change_parties(tx, decide, meta))
    }

    fn pool_names(&mut self) -> Result<Vec<String>, LedgerError> {
        self.backend.plain(|db| records::pool_names(db))
    }

    fn create_session(
        &mut self,
        hash: &str,
        token: &str,
        csrf: &str,
        at: &str,
        expires_at: &str,
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            records::create_session(tx.db(), hash, token, csrf, at, expires_at)?;
            tx.record("sign-in", (token, &format!("token:{token}"), 0), None, token, at)?;
            Ok(())
        })
    }

    fn session_by_hash(&mut self, hash: &str) -> Result<Option<Session>, LedgerError> {
        self.backend.plain(|db| records::session_by_hash(db, hash))
    }

    fn end_session(&mut self, hash: &str, at: &str) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let Some(token) = records::session_by_hash(tx.db(), hash)?.map(|s| s.token.name) else {
                return Ok(false);
            };
            let ended = records::end_session(tx.db(), hash)?;
            if ended {
                tx.record("sign-out", (&token, &format!("token:{token}"), 0), None, &token, at)?;
            }
            Ok(ended)
        })
    }

    fn record_determination(&mut self, d: &StoredDetermination) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let stored = determinations::insert(tx.db(), d)?;
            if stored {
                let why = format!("{} under {} (sha256 {})", d.authorization, d.pack, d.sha256);
                tx.record(
                    "determination",
                    (&d.id, &format!("determination:{}", d.id), 0),
                    Some(&why),
                    &d.actor,
                    &d.at,
                )?;
            }
            Ok(stored)
        })
    }

    fn determination(&mut self, id: &str) -> Result<Option<StoredDetermination>, LedgerError> {
        self.backend.plain(|db| determinations::by_id(db, id))
    }

    fn determinations(&mut self, f: &DeterminationFilter) -> Result<Vec<StoredDetermination>, LedgerError> {
        self.backend.plain(|db| determinations::list(db, f))
    }

    fn set_case_status(
        &mut self,
        id: &str,
        to: CaseStatus,
        note: Option<&str>,
        meta: &Meta,
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            let from = determinations::status_of(tx.db(), id)?
                .ok_or_else(|| LedgerError::NotFound(format!("determination recorded with id `{id}`")))?;
            let from = CaseStatus::parse(&from)
                .ok_or_else(|| LedgerError::Corrupt(format!("the case `{id}` has an unknown status `{from}`")))?;
            transition(from, to).map_err(|e| LedgerError::Conflict(e.to_string()))?;
            determinations::set_status(tx.db(), id, to.as_str())?;
            let text = note.unwrap_or_default();
            let at = case_note(tx.db(), id, Some(to), text, meta)?;
            let why = if text.is_empty() { format!("{from} -> {to}") } else { format!("{from} -> {to}: {text}") };
            tx.record("case-status", (id, &format!("determination:{id}"), 0), Some(&why), &meta.actor, &at)?;
            // The reservation the determination recorded (keyed by its id) follows the case: a withdrawn export
            // releases the TPP it held, a shipped one consumes it. Only a pending one moves; one expired on the way
            // is recorded as expired, and the case moves all the same.
            let settle = match to {
                CaseStatus::Withdrawn => Some(State::Voided),
                CaseStatus::Shipped => Some(State::Posted),
                CaseStatus::Draft | CaseStatus::Approved => None,
            };
            if let Some(state) = settle {
                if let Some(r) = movements::by_key(tx.db(), id)?.filter(|r| r.state == State::Pending) {
                    let because = Meta { reason: Some(format!("case {id} {to}")), ..meta.clone() };
                    let day = meta.at.to_offset(time::UtcOffset::UTC).date();
                    let _settled_or_expired = movements::settle(tx, &r.id, state, day, &because)?;
                }
            }
            Ok(())
        })
    }

    fn add_case_note(&mut self, id: &str, text: &str, meta: &Meta) -> Result<(), LedgerError> {
        self.write(|tx| {
            if determinations::status_of(tx.db(), id)?.is_none() {
                return Err(LedgerError::NotFound(format!("determination recorded with id `{id}`")));
            }
            let at = case_note(tx.db(), id, None, text, meta)?;
            tx.record("case-note", (id, &format!("determination:{id}"), 0), Some(text), &meta.actor, &at)?;
            Ok(())
        })
    }

    fn case_notes(&mut self, id: &str) -> Result<Vec<CaseNote>, LedgerError> {
        self.backend.plain(|db| determinations::notes(db, id))
    }
}

/// Keeps a note (with the status the case moved to, if it moved) on case `id`; the time it was kept.
fn case_note(
    db: &mut (impl Sql + ?Sized),
    id: &str,
    status: Option<CaseStatus>,
    text: &str,
    meta: &Meta,
) -> Result<String, LedgerError> {
    let at = timestamp(meta.at);
    let note = CaseNote {
        seq: 0,
        id: id.to_owned(),
        at: at.clone(),
        actor: meta.actor.clone(),
        status: status.map(|s| s.as_str().to_owned()),
        text: text.to_owned(),
    };
    determinations::insert_note(db, &note)?;
    Ok(at)
}
