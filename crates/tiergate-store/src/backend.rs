//! The store both backends share: [`SqlStore`] implements [`Store`] once over a [`Backend`], which only opens
//! transactions and answers the determination hot path its own way. Every write runs in a [`Tx`]: a transaction
//! serialized with every other write to the database (from any process), holding the ledger head, through which
//! every audit entry is appended.

use time::Date;

use crate::audit::{AuditEntry, Chain};
use crate::movements::{self, by_id};
use crate::parties::{PartyDecide, PartyWrite, StoredParty};
use crate::records;
use crate::screening::{Judgement, ListVersion, NewListVersion};
use crate::sql::{write_audit_entry, Sql};
use crate::tokens::{Role, Session, TokenInfo};
use crate::veus::{LogCheck, StoredVeu};
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
        meta: &Meta,
    ) -> AuditEntry {
        let mut e = AuditEntry {
            seq: self.head.audit_seq + 1,
            at: timestamp(meta.at),
            actor: meta.actor.clone(),
            action: action.to_owned(),
            reservation: subject.to_owned(),
            pool: pool.to_owned(),
            tpp,
            reason: reason.map(str::to_owned),
            prev_hash: self.head.audit_hash.clone(),
            hash: String::new(),
        };
        e.hash = self.chain.hash(&e);
        e
    }

    fn moved_to(&mut self, e: &AuditEntry) {
        self.head.audit_seq = e.seq;
        self.head.audit_hash.clone_from(&e.hash);
    }

    /// Appends an audit entry about `(reservation or subject, pool, tpp)`.
    pub fn audit(
        &mut self,
        action: &str,
        about: (&str, &str, u64),
        reason: Option<&str>,
        meta: &Meta,
    ) -> Result<AuditEntry, LedgerError> {
        let e = self.entry(action, about, reason, meta);
        write_audit_entry(self.db, &e)?;
        self.moved_to(&e);
        Ok(e)
    }

    /// Writes a new pending reservation numbered `seq` with its `reserve` audit entry.
    pub fn write_reservation(&mut self, seq: u64, r: &Reservation, meta: &Meta) -> Result<(), LedgerError> {
        let e = self.entry("reserve", (&r.id, &r.pool, r.tpp), meta.reason.as_deref(), meta);
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
    pub fn new(backend: B, chain: Chain) -> SqlStore<B> {
        SqlStore { backend, chain }
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

    fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        self.backend.plain(|db| movements::audit_rows(db, after, limit))
    }

    fn dump(&mut self) -> Result<Dump, LedgerError> {
        self.backend.snapshot(|db| {
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
    }

    fn create_token(&mut self, name: &str, role: Role, hash: &str, at: &str) -> Result<bool, LedgerError> {
        self.backend.plain(|db| records::create_token(db, name, role, hash, at))
    }

    fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError> {
        self.backend.plain(|db| records::tokens(db))
    }

    fn revoke_token(&mut self, name: &str, at: &str) -> Result<bool, LedgerError> {
        self.backend.plain(|db| records::revoke_token(db, name, at))
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
        self.write(|tx| records::import_list(tx.db(), v, bodies))
    }

    fn current_lists(&mut self) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError> {
        self.backend.snapshot(|db| records::current_lists(db))
    }

    fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError> {
        self.backend.plain(|db| records::list_versions(db, "ORDER BY version DESC"))
    }

    fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError> {
        self.backend.plain(|db| records::add_judgement(db, j))
    }

    fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError> {
        self.backend.plain(|db| records::judgements(db))
    }

    fn add_veu(&mut self, v: &StoredVeu) -> Result<bool, LedgerError> {
        self.backend.plain(|db| records::add_veu(db, v))
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
            check(&log).map_err(LedgerError::BadInput)?;
            records::append_veu_events(tx.db(), id, bodies, actor, at)?;
            Ok(log.len() as u64)
        })
    }

    fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError> {
        self.backend.plain(|db| records::veu_events(db, id))
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
        self.backend.plain(|db| records::create_session(db, hash, token, csrf, at, expires_at))
    }

    fn session_by_hash(&mut self, hash: &str) -> Result<Option<Session>, LedgerError> {
        self.backend.plain(|db| records::session_by_hash(db, hash))
    }

    fn end_session(&mut self, hash: &str, at: &str) -> Result<bool, LedgerError> {
        self.backend.plain(|db| records::end_session(db, hash, at))
    }
}
