//! Tiergate's storage: the allocation ledger (pools, reservations, a hash-chained audit log) on SQLite or
//! PostgreSQL behind one interface.
//!
//! The model is TigerBeetle's: a pool is an account with pending and posted TPP and a cap; a reservation is a
//! pending transfer that is later posted, voided or expires; its idempotency key makes retries safe. The cap
//! comes from the rule pack through the core ([`tiergate_core::pool`]); this crate holds no rule logic.
//! Invariant, enforced inside one serialized transaction per movement: pending + posted <= cap.

mod audit;
pub mod audit_key;
mod backend;
pub mod determinations;
mod movements;
pub mod parties;
mod postgres_store;
mod records;
pub mod scenarios;
mod schema;
pub mod screening;
mod sql;
mod sqlite_store;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod verify;
pub mod veus;
mod wal_index;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

pub use determinations::{Case, CaseNote, DeterminationFilter, StoredDetermination};
pub use parties::{PartyDecide, PartyWrite, StoredParty};
pub use scenarios::{StoredScenario, MAX_SCENARIOS};
pub use screening::{Judgement, ListVersion, NewListVersion};
use tiergate_core::case::CaseStatus;
use tiergate_core::pool::{PoolError, PoolId};
use tiergate_core::Pack;
use time::{Date, OffsetDateTime};
pub use veus::{IssuedReport, LogCheck, StoredEvidence, StoredVeu};

pub use audit::{chain_hash, AuditEntry, Chain, GENESIS};
pub use tokens::{new_secret, secret_hash, Role, Session, TokenInfo};
pub use verify::{Checkpoint, VerifyReport};

/// The state of a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Posted,
    Voided,
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Posted => "posted",
            State::Voided => "voided",
            State::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [State::Pending, State::Posted, State::Voided, State::Expired].into_iter().find(|st| st.as_str() == s)
    }
}

/// A reservation as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reservation {
    pub id: String,
    pub key: String,
    pub pool: String,
    pub tpp: u64,
    pub state: State,
    /// The date the reservation was made as of (its cap's date), `YYYY-MM-DD`.
    #[serde(serialize_with = "ser_date")]
    #[schema(value_type = String)]
    pub date: Date,
    /// The last day it holds if not posted, `YYYY-MM-DD`.
    #[serde(serialize_with = "ser_opt_date")]
    #[schema(value_type = Option<String>)]
    pub expires: Option<Date>,
    /// Why: the determination (request id) that caused it, if any.
    pub reason: Option<String>,
    /// Who made it.
    pub actor: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What a reservation attempt answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReserveStatus {
    Reserved,
    Exists,
    Rejected,
}

/// The answer to `reserve`, in the CLI contract's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReserveOutcome {
    pub status: ReserveStatus,
    pub id: Option<String>,
    pub pool: String,
    pub tpp: u64,
    pub available_tpp: u64,
    /// Why a reservation was rejected: `exceeds_allocation`, `idempotency_conflict`.
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
}

/// A pool's balance on a date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Balance {
    pub pool: String,
    pub cap_tpp: u64,
    pub posted_tpp: u64,
    pub pending_tpp: u64,
    pub available_tpp: u64,
}

/// Who, when and why, for the audit log.
#[derive(Clone, Debug)]
pub struct Meta {
    pub actor: String,
    pub reason: Option<String>,
    pub at: OffsetDateTime,
}

/// A reservation request, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReserveRequest {
    /// The canonical pool id.
    pub pool: String,
    pub tpp: u64,
    pub key: String,
    pub date: Date,
    pub expires: Option<Date>,
}

/// Everything stored, for verification.
#[derive(Clone, Debug, Default)]
pub struct Dump {
    pub pools: Vec<(String, u64, u64)>,
    pub reservations: Vec<Reservation>,
    pub audit: Vec<AuditEntry>,
    /// The audit head: last sequence number and hash, as stored.
    pub head: (u64, String),
    /// How the entries must be hashed.
    pub chain: Chain,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("{0}")]
    BadInput(String),
    #[error("no {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("reservation `{id}` is {state}; only a pending reservation can be {action}")]
    NotPending { id: String, state: &'static str, action: &'static str },
    #[error("the database URL `{0}` is neither sqlite://PATH nor postgres://...")]
    BadUrl(String),
    #[error("`{field}` holds more than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("the database is busy (another writer held it past the busy timeout): try again")]
    Busy(String),
    #[error("database: {0}")]
    Database(String),
    #[error("the ledger's data is corrupt: {0}")]
    Corrupt(String),
}

impl LedgerError {
    /// A machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::Pool(e) => e.code(),
            LedgerError::BadInput(_) => "invalid_value",
            LedgerError::NotFound(_) => "not_found",
            LedgerError::Conflict(_) => "conflict",
            LedgerError::NotPending { .. } => "not_pending",
            LedgerError::BadUrl(_) => "invalid_database_url",
            LedgerError::TooLong { .. } => "invalid_value",
            LedgerError::Busy(_) => "busy",
            LedgerError::Database(_) => "database",
            LedgerError::Corrupt(_) => "corrupt",
        }
    }

    /// Whether the error is the caller's input (exit 2) rather than a refused movement (exit 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            LedgerError::Pool(_)
                | LedgerError::BadInput(_)
                | LedgerError::TooLong { .. }
                | LedgerError::NotFound(_)
                | LedgerError::BadUrl(_)
        )
    }

    /// The field an input error is about, where one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LedgerError::TooLong { field, .. } => Some(field),
            LedgerError::Pool(_) => Some("pool"),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> LedgerError {
        use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
        match e.sqlite_error_code() {
            Some(DatabaseBusy | DatabaseLocked) => LedgerError::Busy(e.to_string()),
            _ => LedgerError::Database(e.to_string()),
        }
    }
}

/// The most rows one page of a listing holds.
pub const MAX_PAGE: u64 = 1000;

/// The most characters of a note on a case.
pub const MAX_NOTE: usize = 1000;

fn check_note(text: &str) -> Result<(), LedgerError> {
    if text.chars().count() > MAX_NOTE {
        return Err(LedgerError::BadInput(format!("the note is longer than {MAX_NOTE} characters")));
    }
    Ok(())
}

/// The most characters of a reason or note, and of an id.
pub const MAX_REASON: usize = 1000;
pub const MAX_ID: usize = 200;
/// The most characters of a name (as screening takes it).
pub const MAX_NAME: usize = 300;

/// [`LedgerError::TooLong`] when `value` holds more than `max` characters.
pub fn check_text(field: &'static str, value: Option<&str>, max: usize) -> Result<(), LedgerError> {
    match value {
        Some(v) if v.chars().nth(max).is_some() => Err(LedgerError::TooLong { field, max }),
        _ => Ok(()),
    }
}

impl From<postgres::Error> for LedgerError {
    fn from(e: postgres::Error) -> LedgerError {
        // The server's own words (and SQLSTATE), which the error's Display leaves out.
        if let Some(db) = e.as_db_error() {
            return LedgerError::Database(format!("{} ({})", db.message(), db.code().code()));
        }
        LedgerError::Database(e.to_string())
    }
}

/// (posted, pending not expired) of each pool asked for, and the reservation with the key asked for.
pub type Balances = (Vec<(u64, u64)>, Option<Reservation>);

/// A storage backend. Every method that moves TPP runs in one transaction that serializes with every other
/// movement, checks the cap, records the movement and appends its audit entry, or does nothing.
pub trait Store: Send {
    /// Reserves `req.tpp` in `req.pool` if pending + posted + tpp <= `cap`; expires overdue reservations of the
    /// pool first. A known key with the same pool, TPP and expiry answers `exists`; with another, `rejected`.
    fn reserve(&mut self, req: &ReserveRequest, cap: u64, meta: &Meta) -> Result<ReserveOutcome, LedgerError>;
    /// Several reservations in one transaction and one commit (group commit), each judged as `reserve` would
    /// in order; a database error fails them all.
    fn reserve_batch(&mut self, items: &[(ReserveRequest, u64, Meta)]) -> Result<Vec<ReserveOutcome>, LedgerError>;
    /// Moves a pending reservation to `Posted` or `Voided`. Repeating the same move returns the reservation as
    /// it is; a reservation past its expiry on `date` is expired instead and reported as not pending.
    fn settle(&mut self, id: &str, to: State, date: Date, meta: &Meta) -> Result<Reservation, LedgerError>;
    /// Moves every reservation of pool `from` to pool `to`, with its balance, each with a `rekey` audit entry (the
    /// reservation, the new pool, its TPP, and `from` in the reason), in one transaction; how many moved.
    fn rekey_pool(&mut self, from: &str, to: &str, meta: &Meta) -> Result<u64, LedgerError>;
    /// Posted TPP and pending TPP of reservations not expired on `date`.
    fn totals(&mut self, pool: &str, date: Date) -> Result<(u64, u64), LedgerError>;
    fn get(&mut self, id: &str) -> Result<Option<Reservation>, LedgerError>;
    /// In one read: (posted, pending not expired on `date`) of each pool, and the reservation with `key`.
    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError>;
    /// As `read_balances`, but the read transaction may stay open afterwards, to serve the next call for as long
    /// as no transaction commits in the meantime (SQLite); answers are those of `read_balances` at the moment
    /// of the call. Only for connections that do nothing else between calls without `release_read` first.
    fn read_balances_held(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        self.read_balances(pools, key, date)
    }
    /// Ends a read transaction `read_balances_held` kept open, if any.
    fn release_read(&mut self) {}
    fn list(&mut self, pool: &str) -> Result<Vec<Reservation>, LedgerError>;
    /// A page of a pool's reservations in the order made: those after reservation `after` (an id; none: from
    /// the first), at most `limit`.
    fn list_page(&mut self, pool: &str, after: Option<&str>, limit: u64) -> Result<Vec<Reservation>, LedgerError>;
    /// Audit entries with `seq > after`, at most `limit`.
    fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError>;
    /// The audit entries about `pool` (or `determination:ID`, `veu:ID`, ...) after sequence number `after`, in
    /// order, at most `limit`.
    fn audit_about(&mut self, pool: &str, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError>;
    fn dump(&mut self) -> Result<Dump, LedgerError>;
    /// The audit head: how many entries, and the last one's hash.
    fn head(&mut self) -> Result<(u64, String), LedgerError>;
    /// Stores a token, audited (`token-create`, by `meta`'s actor); `false` if the name is taken.
    fn create_token(&mut self, name: &str, role: Role, hash: &str, meta: &Meta) -> Result<bool, LedgerError>;
    fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError>;
    /// Revokes a token, audited (`token-revoke`); `false` if no live token has that name.
    fn revoke_token(&mut self, name: &str, meta: &Meta) -> Result<bool, LedgerError>;
    /// The live (unrevoked) token with this secret hash.
    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenInfo>, LedgerError>;
    /// Whether any token, live or revoked, exists.
    fn has_tokens(&mut self) -> Result<bool, LedgerError>;
    /// Whether the database answers.
    fn ping(&mut self) -> Result<(), LedgerError>;
    /// Stores a list version with its entries (JSON bodies, in order) and makes it the list's current version,
    /// in one transaction; entries of the list's older versions are removed, their version records kept.
    fn import_list(&mut self, v: &NewListVersion<'_>, bodies: &[String]) -> Result<ListVersion, LedgerError>;
    /// The current version of every list and all their entries, read in one snapshot.
    fn current_lists(&mut self) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError>;
    /// Every version ever imported, newest first.
    fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError>;
    fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError>;
    /// Every judgement, oldest first (a later one overrides an earlier one on the same entry and query).
    fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError>;
    /// Saves a scenario, audited (`scenario-save`); `false` when the name is taken. Refused beyond
    /// [`MAX_SCENARIOS`].
    fn add_scenario(&mut self, s: &StoredScenario) -> Result<bool, LedgerError>;
    /// Every saved scenario, by name.
    fn scenarios(&mut self) -> Result<Vec<StoredScenario>, LedgerError>;
    /// Deletes a saved scenario, audited (`scenario-delete`); `false` when there is none by that name.
    fn delete_scenario(&mut self, name: &str, meta: &Meta) -> Result<bool, LedgerError>;
    /// Registers a VEU; `false` when the id is taken.
    fn add_veu(&mut self, v: &StoredVeu) -> Result<bool, LedgerError>;
    /// Every registration, by id.
    fn veus(&mut self) -> Result<Vec<StoredVeu>, LedgerError>;
    /// Appends events to a VEU's log if `check` accepts the whole log with them, in one transaction that holds
    /// off other appends to the same VEU; returns how many events the log then holds.
    fn append_veu_events(
        &mut self,
        id: &str,
        bodies: &[String],
        actor: &str,
        at: &str,
        check: LogCheck<'_>,
    ) -> Result<u64, LedgerError>;
    /// A VEU's log, oldest first.
    fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError>;
    /// How many events a VEU's log holds.
    fn veu_event_count(&mut self, id: &str) -> Result<u64, LedgerError>;
    /// Records an applicant for VEU status, audited (`veu-apply`); `false` when the id is taken.
    fn add_veu_applicant(&mut self, v: &StoredVeu) -> Result<bool, LedgerError>;
    /// Every applicant, by id.
    fn veu_applicants(&mut self) -> Result<Vec<StoredVeu>, LedgerError>;
    /// Records readiness evidence for a VEU or applicant, audited (`veu-evidence`, with `why`).
    fn add_veu_evidence(&mut self, id: &str, e: &StoredEvidence, why: &str) -> Result<(), LedgerError>;
    /// A VEU's or applicant's evidence, in the order recorded.
    fn veu_evidence(&mut self, id: &str) -> Result<Vec<StoredEvidence>, LedgerError>;
    /// Records a semi-annual report as issued, audited (`veu-report-issue`), if the VEU's log still holds `events`
    /// events (the report was written from them; else a conflict); `false` when that half-year's was issued.
    fn issue_veu_report(&mut self, id: &str, r: &IssuedReport, events: u64) -> Result<bool, LedgerError>;
    /// The reports issued for a VEU, by half-year.
    fn veu_reports(&mut self, id: &str) -> Result<Vec<IssuedReport>, LedgerError>;
    /// Every registered party, by key.
    fn parties(&mut self) -> Result<Vec<StoredParty>, LedgerError>;
    /// Changes the party registry in one transaction that serializes with every movement: `decide` reads every
    /// stored party and returns the change or refuses it; the parties are stored and removed, every pool the
    /// change names moves as `rekey_pool` moves one (each reservation with a `rekey` audit entry), and the change
    /// itself gets an audit entry (its action, the party key as subject, pool `party:KEY`, 0 TPP, the summary as
    /// reason). Returns the change and how many reservations moved.
    fn change_parties(&mut self, decide: PartyDecide<'_>, meta: &Meta) -> Result<(PartyWrite, u64), LedgerError>;
    /// Every pool that has ever held a reservation.
    fn pool_names(&mut self) -> Result<Vec<String>, LedgerError>;
    /// Stores a session, audited (`sign-in`, by its token).
    fn create_session(
        &mut self,
        hash: &str,
        token: &str,
        csrf: &str,
        at: &str,
        expires_at: &str,
    ) -> Result<(), LedgerError>;
    /// The session with this secret hash, if not ended and its token not revoked (expiry is the caller's).
    fn session_by_hash(&mut self, hash: &str) -> Result<Option<Session>, LedgerError>;
    /// Ends a session, audited (`sign-out`, by its token); `false` when there was none live.
    fn end_session(&mut self, hash: &str, at: &str) -> Result<bool, LedgerError>;
    /// Stores a recorded determination, audited (`determination`), unless its id is stored; whether it was.
    fn record_determination(&mut self, d: &StoredDetermination) -> Result<bool, LedgerError>;
    fn determination(&mut self, id: &str) -> Result<Option<StoredDetermination>, LedgerError>;
    fn determinations(&mut self, f: &DeterminationFilter) -> Result<Vec<StoredDetermination>, LedgerError>;
    /// Moves a recorded determination's case to `to` (when tiergate-core's `case` allows it from where it is),
    /// with an optional note, audited (`case-status`), in one transaction.
    fn set_case_status(&mut self, id: &str, to: CaseStatus, note: Option<&str>, meta: &Meta)
        -> Result<(), LedgerError>;
    /// Attaches a note to a recorded determination's case, audited (`case-note`).
    fn add_case_note(&mut self, id: &str, text: &str, meta: &Meta) -> Result<(), LedgerError>;
    fn case_notes(&mut self, id: &str) -> Result<Vec<CaseNote>, LedgerError>;
}

/// `url` fit to print: a password in its user info (`postgres://user:SECRET@host`) or in a `password=` parameter is
/// replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(start) = out.find("://").map(|i| i + 3) {
        let authority_end = out[start..].find(['/', '?', '#']).map_or(out.len(), |i| start + i);
        if let Some(at) = out[start..authority_end].rfind('@').map(|i| start + i) {
            if let Some(colon) = out[start..at].find(':').map(|i| start + i) {
                out.replace_range(colon + 1..at, "***");
            }
        }
    }
    let lower = out.to_ascii_lowercase();
    let mut redacted = String::with_capacity(out.len());
    let mut rest = 0;
    let mut from = 0;
    while let Some(i) = lower[from..].find("password=").map(|i| from + i) {
        let value = i + "password=".len();
        let end = out[value..].find(['&', ' ', '#']).map_or(out.len(), |j| value + j);
        redacted.push_str(&out[rest..value]);
        redacted.push_str("***");
        rest = end;
        from = end;
    }
    redacted.push_str(&out[rest..]);
    redacted
}

/// Opens a store by URL: `sqlite://PATH` or `postgres://...` (also `postgresql://`). Runs migrations.
pub fn open_store(url: &str) -> Result<Box<dyn Store>, LedgerError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(LedgerError::BadUrl(redacted_url(url)));
        }
        let key = audit_key::key_path(url)?;
        Ok(Box::new(backend::SqlStore::open(sqlite_store::SqliteBackend::open(path)?, &key)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let key = audit_key::key_path(url)?;
        Ok(Box::new(backend::SqlStore::open(postgres_store::PostgresBackend::open(url)?, &key)?))
    } else {
        Err(LedgerError::BadUrl(redacted_url(url)))
    }
}

/// The ledger: pools named and capped by the rule pack, kept in a store.
pub struct Ledger {
    store: Box<dyn Store>,
    pack: Arc<Pack>,
}

impl Ledger {
    /// Opens the ledger, and moves any LPP pool still named by a raw consignee name (before party keys) to the
    /// pool of its party key ([`Ledger::rekey_lpp_pools`]).
    pub fn open(url: &str, pack: Arc<Pack>) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger { store: open_store(url)?, pack };
        ledger.rekey_lpp_pools()?;
        Ok(ledger)
    }

    /// LPP pools are named by the ultimate consignee's party key (`lpp:kl compute:2025`); a ledger written before
    /// that holds pools named as the request spelt the consignee (`lpp:KL Compute Sdn Bhd:2025`). Each such pool's
    /// reservations move to the party key's pool, merging spellings of one party, each move audited (`rekey`).
    /// Pools whose name has no key are left alone. Returns how many reservations moved.
    pub fn rekey_lpp_pools(&mut self) -> Result<u64, LedgerError> {
        let mut moved = 0;
        for pool in self.store.pool_names()? {
            if !pool.starts_with("lpp:") {
                continue;
            }
            let Ok(canonical) = PoolId::parse(&pool, &self.pack).map(|p| p.to_string_with(&self.pack)) else {
                continue;
            };
            if canonical != pool {
                let meta =
                    Meta { actor: "tiergate (party keys)".into(), reason: None, at: time::OffsetDateTime::now_utc() };
                moved += self.store.rekey_pool(&pool, &canonical, &meta)?;
            }
        }
        Ok(moved)
    }

    pub fn with_store(store: Box<dyn Store>, pack: Arc<Pack>) -> Ledger {
        Ledger { store, pack }
    }

    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// The canonical id of a pool and its cap on `date`; an error says why a pool is not defined.
    pub fn pool_cap(&self, pool: &str, date: Date) -> Result<(String, u64), LedgerError> {
        let id = PoolId::parse(pool, &self.pack)?;
        let cap = id.cap(&self.pack, date)?;
        Ok((id.to_string_with(&self.pack), cap.tpp))
    }

    pub fn reserve(
        &mut self,
        pool: &str,
        tpp: u64,
        key: &str,
        date: Date,
        expires: Option<Date>,
        meta: &Meta,
    ) -> Result<ReserveOutcome, LedgerError> {
        let pack = Arc::clone(&self.pack);
        let (req, cap) =
            check_reserve(&pack, (pool, tpp, key), (date, expires), meta, |veu| Ok(self.veu(veu)?.is_some()))?;
        self.store.reserve(&req, cap, meta)
    }

    pub fn post(&mut self, id: &str, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        self.settle(id, State::Posted, date, meta)
    }

    pub fn void(&mut self, id: &str, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        self.settle(id, State::Voided, date, meta)
    }

    fn settle(&mut self, id: &str, to: State, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        check_text("id", Some(id), MAX_ID)?;
        check_text("reason", meta.reason.as_deref(), MAX_REASON)?;
        self.store.settle(id, to, date, meta)
    }

    pub fn balance(&mut self, pool: &str, date: Date) -> Result<Balance, LedgerError> {
        let (pool, cap) = self.pool_cap(pool, date)?;
        let (posted, pending) = self.store.totals(&pool, date)?;
        Ok(Balance {
            available_tpp: cap.saturating_sub(posted).saturating_sub(pending),
            pool,
            cap_tpp: cap,
            posted_tpp: posted,
            pending_tpp: pending,
        })
    }

    /// The balance on `date` of every country allocation and of every pool that has held a reservation, when the
    /// rule defines it on that date: country pools first, each group by name.
    pub fn balances(&mut self, date: Date) -> Result<Vec<Balance>, LedgerError> {
        let mut names: Vec<String> = self
            .pack
            .countries
            .iter()
            .filter(|c| self.pack.country_allocation(*c, date).is_some() && self.pack.canonical(*c) == *c)
            .map(|c| format!("country:{}", self.pack.countries.code(c)))
            .filter(|p| self.pool_cap(p, date).is_ok())
            .collect();
        for p in self.store.pool_names()? {
            if !names.contains(&p) && self.pool_cap(&p, date).is_ok() {
                names.push(p);
            }
        }
        names.sort_by(|a, b| (!a.starts_with("country:"), a).cmp(&(!b.starts_with("country:"), b)));
        names.iter().map(|p| self.balance(p, date)).collect()
    }

    pub fn get(&mut self, id: &str) -> Result<Option<Reservation>, LedgerError> {
        self.store.get(id)
    }

    /// What each pool has drawn on `date` (posted plus pending not expired), and the reservation with `key`,
    /// read together (one read transaction on SQLite).
    pub fn drawn_with_key(
        &mut self,
        pools: &[&str],
        key: Option<&str>,
        date: Date,
    ) -> Result<(Vec<u64>, Option<Reservation>), LedgerError> {
        let canonical = canonical_pools(&self.pack, pools);
        let pools: Vec<&str> = canonical.iter().map(String::as_str).collect();
        Ok(drawn(self.store.read_balances(&pools, key, date)?))
    }

    pub fn list(&mut self, pool: &str) -> Result<Vec<Reservation>, LedgerError> {
        let canonical = PoolId::parse(pool, &self.pack)?.to_string_with(&self.pack);
        self.store.list(&canonical)
    }

    /// A page of a pool's reservations (see [`Store::list_page`]), at most [`MAX_PAGE`].
    pub fn list_page(&mut self, pool: &str, after: Option<&str>, limit: u64) -> Result<Vec<Reservation>, LedgerError> {
        check_text("after", after, MAX_ID)?;
        let canonical = PoolId::parse(pool, &self.pack)?.to_string_with(&self.pack);
        self.store.list_page(&canonical, after, limit.clamp(1, MAX_PAGE))
    }

    pub fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        self.store.audit(after, limit)
    }

    /// Creates a token and returns its secret, shown this once. Names are 1 to 64 letters, digits, `-`, `_`, `.`.
    pub fn create_token(&mut self, name: &str, role: Role, meta: &Meta) -> Result<String, LedgerError> {
        if name.is_empty()
            || name.len() > 64
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b))
        {
            return Err(LedgerError::BadInput(format!(
                "`{name}` is not a token name: use 1 to 64 letters, digits, `-`, `_`, `.` or `@`"
            )));
        }
        let secret = tokens::new_secret()?;
        if !self.store.create_token(name, role, &tokens::secret_hash(&secret), meta)? {
            return Err(LedgerError::Conflict(format!("a token named `{name}` exists already")));
        }
        Ok(secret)
    }

    pub fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError> {
        self.store.list_tokens()
    }

    pub fn revoke_token(&mut self, name: &str, meta: &Meta) -> Result<(), LedgerError> {
        if self.store.revoke_token(name, meta)? {
            Ok(())
        } else {
            Err(LedgerError::NotFound(format!("token `{name}`")))
        }
    }

    /// The live token whose secret this is.
    pub fn authenticate(&mut self, secret: &str) -> Result<Option<TokenInfo>, LedgerError> {
        self.store.token_by_hash(&tokens::secret_hash(secret))
    }

    pub fn has_tokens(&mut self) -> Result<bool, LedgerError> {
        self.store.has_tokens()
    }

    /// Starts a session for a live token, lasting `ttl`: its secret (for the cookie) and the session.
    pub fn start_session(
        &mut self,
        token_secret: &str,
        at: OffsetDateTime,
        ttl: time::Duration,
    ) -> Result<Option<(String, Session)>, LedgerError> {
        let Some(token) = self.authenticate(token_secret)? else { return Ok(None) };
        let secret = tokens::new_secret()?;
        let csrf = tokens::new_secret()?;
        let expires_at = timestamp(at + ttl);
        self.store.create_session(&tokens::secret_hash(&secret), &token.name, &csrf, &timestamp(at), &expires_at)?;
        Ok(Some((secret, Session { token, csrf, expires_at })))
    }

    /// The live, unexpired session whose secret this is.
    pub fn session(&mut self, secret: &str, now: OffsetDateTime) -> Result<Option<Session>, LedgerError> {
        let found = self.store.session_by_hash(&tokens::secret_hash(secret))?;
        // Timestamps share one fixed-width UTC form, so they compare as text.
        Ok(found.filter(|s| s.expires_at > timestamp(now)))
    }

    pub fn end_session(&mut self, secret: &str, at: OffsetDateTime) -> Result<bool, LedgerError> {
        self.store.end_session(&tokens::secret_hash(secret), &timestamp(at))
    }

    pub fn ping(&mut self) -> Result<(), LedgerError> {
        self.store.ping()
    }

    /// Stores a recorded determination whole (see [`Store::record_determination`]); whether it was new.
    pub fn record_determination(&mut self, d: &StoredDetermination) -> Result<bool, LedgerError> {
        check_text("id", Some(&d.id), MAX_ID)?;
        self.store.record_determination(d)
    }

    pub fn determination(&mut self, id: &str) -> Result<Option<StoredDetermination>, LedgerError> {
        self.store.determination(id)
    }

    /// Moves the case of the determination recorded as `id` to `to`, with a note (at most [`MAX_NOTE`]
    /// characters); refused when no determination has that id, or when the case may not move there.
    pub fn set_case_status(
        &mut self,
        id: &str,
        to: CaseStatus,
        note: Option<&str>,
        meta: &Meta,
    ) -> Result<(), LedgerError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(n) = note {
            check_note(n)?;
        }
        self.store.set_case_status(id, to, note, meta)
    }

    /// Attaches a note (1 to [`MAX_NOTE`] characters) to the case of the determination recorded as `id`.
    pub fn add_case_note(&mut self, id: &str, text: &str, meta: &Meta) -> Result<(), LedgerError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(LedgerError::BadInput("the note is empty".into()));
        }
        check_note(text)?;
        self.store.add_case_note(id, text, meta)
    }

    /// The notes and status changes of a case, in order.
    pub fn case_notes(&mut self, id: &str) -> Result<Vec<CaseNote>, LedgerError> {
        self.store.case_notes(id)
    }

    /// The determination recorded as `id` with its case's notes; `None` when none is.
    pub fn case(&mut self, id: &str) -> Result<Option<Case>, LedgerError> {
        let Some(determination) = self.store.determination(id)? else { return Ok(None) };
        let notes = self.store.case_notes(id)?;
        Ok(Some(Case { determination, notes }))
    }

    /// The audit entries about `pool` (a pool, or `determination:ID`, `veu:ID`, ...) after sequence number `after`,
    /// in order, at most `limit` (1 to 1,000).
    pub fn audit_about(&mut self, pool: &str, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        self.store.audit_about(pool, after, limit.clamp(1, MAX_PAGE))
    }

    /// Recorded determinations matching `f`, in the order recorded, at most [`MAX_PAGE`] (and `f.limit`).
    pub fn determinations(&mut self, f: &DeterminationFilter) -> Result<Vec<StoredDetermination>, LedgerError> {
        let f = DeterminationFilter { limit: f.limit.clamp(1, MAX_PAGE), ..f.clone() };
        self.store.determinations(&f)
    }

    /// Stores a list version (see [`Store::import_list`]).
    pub fn import_list(&mut self, v: &NewListVersion<'_>, bodies: &[String]) -> Result<ListVersion, LedgerError> {
        if !["csl", "sdn", "dpl"].contains(&v.list) {
            return Err(LedgerError::BadInput(format!("`{}` is not a list: use csl, sdn or dpl", v.list)));
        }
        self.store.import_list(v, bodies)
    }

    pub fn current_lists(&mut self) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError> {
        self.store.current_lists()
    }

    pub fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError> {
        self.store.list_versions()
    }

    pub fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError> {
        if !screening::VERDICTS.contains(&j.verdict.as_str()) {
            return Err(LedgerError::BadInput(format!(
                "`{}` is not a verdict: use false_positive or true_match",
                j.verdict
            )));
        }
        if j.entry_id.trim().is_empty() || j.query.trim().is_empty() {
            return Err(LedgerError::BadInput("a judgement needs an entry id and a query".to_owned()));
        }
        check_text("entry_id", Some(&j.entry_id), MAX_ID)?;
        check_text("query", Some(&j.query), MAX_NAME)?;
        check_text("note", j.note.as_deref(), MAX_REASON)?;
        self.store.add_judgement(j)
    }

    pub fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError> {
        self.store.judgements()
    }

    /// Saves a scenario; a taken name is a conflict.
    pub fn add_scenario(&mut self, s: &StoredScenario) -> Result<(), LedgerError> {
        check_text("name", Some(&s.name), MAX_ID)?;
        if self.store.add_scenario(s)? {
            Ok(())
        } else {
            Err(LedgerError::Conflict(format!("a scenario named `{}` is saved already: delete it first", s.name)))
        }
    }

    pub fn scenarios(&mut self) -> Result<Vec<StoredScenario>, LedgerError> {
        self.store.scenarios()
    }

    pub fn scenario(&mut self, name: &str) -> Result<Option<StoredScenario>, LedgerError> {
        Ok(self.store.scenarios()?.into_iter().find(|s| s.name == name))
    }

    /// Deletes a saved scenario; none by that name is not found.
    pub fn delete_scenario(&mut self, name: &str, meta: &Meta) -> Result<(), LedgerError> {
        check_text("name", Some(name), MAX_ID)?;
        if self.store.delete_scenario(name, meta)? {
            Ok(())
        } else {
            Err(LedgerError::NotFound(format!("scenario `{name}`")))
        }
    }

    /// Registers a VEU; a taken id is refused.
    pub fn add_veu(&mut self, v: &StoredVeu) -> Result<(), LedgerError> {
        if self.store.add_veu(v)? {
            Ok(())
        } else {
            Err(LedgerError::BadInput(format!("a VEU with id `{}` is already registered", v.id)))
        }
    }

    pub fn veus(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        self.store.veus()
    }

    pub fn veu(&mut self, id: &str) -> Result<Option<StoredVeu>, LedgerError> {
        Ok(self.store.veus()?.into_iter().find(|v| v.id == id))
    }

    /// Appends events to a registered VEU's log if `check` accepts the whole log (stored events first); a refusal
    /// stores nothing and is reported as bad input with `check`'s words.
    pub fn log_veu_events(
        &mut self,
        id: &str,
        bodies: &[String],
        actor: &str,
        at: &str,
        check: LogCheck<'_>,
    ) -> Result<u64, LedgerError> {
        if self.veu(id)?.is_none() {
            return Err(LedgerError::BadInput(format!("no VEU with id `{id}` is registered")));
        }
        self.store.append_veu_events(id, bodies, actor, at, check)
    }

    pub fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError> {
        self.store.veu_events(id)
    }

    pub fn veu_event_count(&mut self, id: &str) -> Result<u64, LedgerError> {
        self.store.veu_event_count(id)
    }

    /// Records an applicant for VEU status (not a registration: determinations do not rely on it); a taken id,
    /// among applicants or registered VEUs, is refused.
    pub fn add_veu_applicant(&mut self, v: &StoredVeu) -> Result<(), LedgerError> {
        if self.veu(&v.id)?.is_some() || !self.store.add_veu_applicant(v)? {
            return Err(LedgerError::Conflict(format!("the id `{}` is taken by a VEU or an applicant", v.id)));
        }
        Ok(())
    }

    pub fn veu_applicants(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        self.store.veu_applicants()
    }

    pub fn veu_applicant(&mut self, id: &str) -> Result<Option<StoredVeu>, LedgerError> {
        Ok(self.store.veu_applicants()?.into_iter().find(|v| v.id == id))
    }

    /// Records readiness evidence for a registered VEU or an applicant, audited with `why` (the requirement and
    /// its status); evidence for an unknown id is refused.
    pub fn add_veu_evidence(&mut self, id: &str, e: &StoredEvidence, why: &str) -> Result<(), LedgerError> {
        if self.veu(id)?.is_none() && self.veu_applicant(id)?.is_none() {
            return Err(LedgerError::NotFound(format!("VEU or applicant `{id}`")));
        }
        self.store.add_veu_evidence(id, e, why)
    }

    pub fn veu_evidence(&mut self, id: &str) -> Result<Vec<StoredEvidence>, LedgerError> {
        self.store.veu_evidence(id)
    }

    /// Records a registered VEU's semi-annual report as issued; a half-year issued before is refused, and so is a
    /// report written from a log of other than `events` events (an append came in between: the report as issued
    /// would not be the one its sha256 names).
    pub fn issue_veu_report(&mut self, id: &str, r: &IssuedReport, events: u64) -> Result<(), LedgerError> {
        if self.veu(id)?.is_none() {
            return Err(LedgerError::NotFound(format!("VEU `{id}`")));
        }
        if self.store.issue_veu_report(id, r, events)? {
            return Ok(());
        }
        let before = self.store.veu_reports(id)?.into_iter().find(|x| x.period == r.period);
        Err(LedgerError::Conflict(match before {
            Some(b) => format!("the {} report of `{id}` was issued on {} by {}", r.period, b.at, b.actor),
            None => format!("the {} report of `{id}` was issued before", r.period),
        }))
    }

    pub fn veu_reports(&mut self, id: &str) -> Result<Vec<IssuedReport>, LedgerError> {
        self.store.veu_reports(id)
    }

    /// Every registered party, by key.
    pub fn parties(&mut self) -> Result<Vec<StoredParty>, LedgerError> {
        self.store.parties()
    }

    /// Changes the party registry as `decide` says, in one audited transaction ([`Store::change_parties`]).
    pub fn change_parties(&mut self, decide: PartyDecide<'_>, meta: &Meta) -> Result<(PartyWrite, u64), LedgerError> {
        self.store.change_parties(decide, meta)
    }

    /// Recomputes the audit chain, replays it against the stored balances and states, and checks every pool's
    /// invariant against its cap.
    pub fn verify(&mut self) -> Result<VerifyReport, LedgerError> {
        self.verify_against(None)
    }

    /// As [`Ledger::verify`], and checks that the log still extends `checkpoint`.
    pub fn verify_against(&mut self, checkpoint: Option<&Checkpoint>) -> Result<VerifyReport, LedgerError> {
        let dump = self.store.dump()?;
        Ok(verify::verify(&dump, &self.pack, checkpoint))
    }

    /// The audit log's head as a checkpoint to keep elsewhere.
    pub fn checkpoint(&mut self) -> Result<Checkpoint, LedgerError> {
        let (entries, hash) = self.store.head()?;
        Ok(Checkpoint { entries, hash })
    }
}

/// Each pool's canonical id (an LPP pool by its party key); a pool that does not parse is read as given, and
/// holds nothing.
fn canonical_pools(pack: &Pack, pools: &[&str]) -> Vec<String> {
    pools
        .iter()
        .map(|p| PoolId::parse(p, pack).map_or_else(|_| (*p).to_owned(), |id| id.to_string_with(pack)))
        .collect()
}

/// Validates a reservation and finds its pool's canonical id and cap. An LPP pool is the consignee's for one
/// calendar year, so its year must be the reservation date's; an NVEU pool's VEU must be registered (`registered`
/// answers for an id).
fn check_reserve(
    pack: &Pack,
    (pool, tpp, key): (&str, u64, &str),
    (date, expires): (Date, Option<Date>),
    meta: &Meta,
    registered: impl FnOnce(&str) -> Result<bool, LedgerError>,
) -> Result<(ReserveRequest, u64), LedgerError> {
    check_text("reason", meta.reason.as_deref(), MAX_REASON)?;
    if tpp == 0 || i64::try_from(tpp).is_err() {
        return Err(LedgerError::BadInput(format!("`tpp` must be a whole number from 1 to {}, not {tpp}", i64::MAX)));
    }
    if key.trim().is_empty() {
        return Err(LedgerError::BadInput("`key` must be 1 to 200 characters".into()));
    }
    check_text("key", Some(key), MAX_ID)?;
    if expires.is_some_and(|e| e < date) {
        return Err(LedgerError::BadInput("`expires` is before `date`".into()));
    }
    let id = PoolId::parse(pool, pack)?;
    match &id {
        PoolId::Lpp { year, .. } if *year != date.year() => {
            return Err(LedgerError::BadInput(format!(
                "`{pool}` is the pool of {year}; a reservation dated {} draws on {}'s (LPP counts per calendar year)",
                date_text(date),
                date.year()
            )))
        }
        PoolId::Nveu(veu) if !registered(veu)? => {
            return Err(LedgerError::BadInput(format!(
                "no VEU with id `{veu}` is registered: register it (`tiergate veu register`) before reserving its pool"
            )))
        }
        _ => {}
    }
    let cap = id.cap(pack, date)?;
    Ok((ReserveRequest { pool: id.to_string_with(pack), tpp, key: key.to_owned(), date, expires }, cap.tpp))
}

/// The most reservations committed in one transaction by [`SharedLedger`].
pub const MAX_BATCH: usize = 256;

/// A ledger shared by threads that commits concurrent reservations together (group commit): while one thread
/// commits, reservations from others queue up, and when it is done the next committer takes the whole queue in
/// one transaction. Each reservation is judged exactly as alone, in queue order; only the commits are shared.
pub struct SharedLedger {
    ledger: Mutex<Ledger>,
    /// Connections for reads, beside the one that writes; empty means reads share the writer.
    readers: Vec<Mutex<Ledger>>,
    next_reader: std::sync::atomic::AtomicUsize,
    state: Mutex<Queue>,
    done: Condvar,
    pack: Arc<Pack>,
}

#[derive(Default)]
struct Queue {
    next_id: u64,
    waiting: Vec<(u64, (ReserveRequest, u64, Meta))>,
    results: HashMap<u64, Result<ReserveOutcome, LedgerError>>,
    committing: bool,
    commits: u64,
    committed: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SharedLedger {
    pub fn new(ledger: Ledger) -> SharedLedger {
        let pack = Arc::clone(&ledger.pack);
        SharedLedger {
            ledger: Mutex::new(ledger),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            state: Mutex::new(Queue::default()),
            done: Condvar::new(),
            pack,
        }
    }

    /// Reserves as [`Ledger::reserve`] does, committing together with whatever other threads reserve meanwhile.
    pub fn reserve(
        &self,
        pool: &str,
        tpp: u64,
        key: &str,
        date: Date,
        expires: Option<Date>,
        meta: &Meta,
    ) -> Result<ReserveOutcome, LedgerError> {
        let (req, cap) = check_reserve(&self.pack, (pool, tpp, key), (date, expires), meta, |veu| {
            self.read(|l| l.veu(veu)).map(|found| found.is_some())
        })?;
        let mut q = lock(&self.state);
        let me = q.next_id;
        q.next_id += 1;
        q.waiting.push((me, (req, cap, meta.clone())));
        loop {
            if let Some(result) = q.results.remove(&me) {
                return result;
            }
            if q.committing {
                q = self.done.wait(q).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // This thread commits everything queued so far, its own job among it.
            q.committing = true;
            let n = q.waiting.len().min(MAX_BATCH);
            let batch: Vec<(u64, (ReserveRequest, u64, Meta))> = q.waiting.drain(..n).collect();
            drop(q);
            let items: Vec<(ReserveRequest, u64, Meta)> = batch.iter().map(|(_, item)| item.clone()).collect();
            let outcome = lock(&self.ledger).store.reserve_batch(&items);
            q = lock(&self.state);
            q.committing = false;
            match outcome {
                Ok(outcomes) => {
                    q.commits += 1;
                    q.committed += items.len() as u64;
                    for ((id, _), o) in batch.iter().zip(outcomes) {
                        q.results.insert(*id, Ok(o));
                    }
                }
                Err(e) => {
                    for (id, _) in &batch {
                        q.results.insert(*id, Err(e.clone()));
                    }
                }
            }
            self.done.notify_all();
        }
    }

    /// The rule pack the ledger's pools are capped by.
    pub fn pack(&self) -> &Pack {
        &self.pack
    }

    /// Transactions committed by `reserve` so far, and the reservation requests they carried.
    pub fn commits(&self) -> (u64, u64) {
        let q = lock(&self.state);
        (q.commits, q.committed)
    }

    /// Adds `n` connections to `url` for reads, so that reads run beside each other and beside the writer
    /// (SQLite in WAL mode and PostgreSQL both let readers see the last commit without waiting for writers).
    pub fn with_readers(mut self, url: &str, n: usize) -> Result<SharedLedger, LedgerError> {
        // The writer was opened with `Ledger::open`, which moved any raw-named LPP pool; readers need not look again.
        for _ in 0..n {
            self.readers.push(Mutex::new(Ledger::with_store(open_store(url)?, Arc::clone(&self.pack))));
        }
        Ok(self)
    }

    /// Any other ledger operation, under the ledger's lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        f(&mut lock(&self.ledger))
    }

    /// A read-only operation on a reader connection: a free one if any, else the next in turn.
    pub fn read<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        self.on_reader(|l| {
            l.store.release_read();
            f(l)
        })
    }

    /// [`Ledger::drawn_with_key`] on a reader connection that keeps its read transaction open from one call to
    /// the next while nothing commits (SQLite; PostgreSQL reads afresh each time), so that a determination's
    /// balances cost a query and not also the locks of a new transaction. The answer is the newest state, as
    /// from `drawn_with_key`; [`SharedLedger::release_reads`] ends the transactions kept open. Without reader
    /// connections, a read of its own on the writer's.
    pub fn drawn_with_key(
        &self,
        pools: &[&str],
        key: Option<&str>,
        date: Date,
    ) -> Result<(Vec<u64>, Option<Reservation>), LedgerError> {
        Ok(drawn(self.balances_with_key(pools, key, date)?))
    }

    /// As [`SharedLedger::drawn_with_key`], but each pool's posted and pending TPP apart.
    pub fn balances_with_key(&self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        let canonical = canonical_pools(&self.pack, pools);
        let pools: Vec<&str> = canonical.iter().map(String::as_str).collect();
        let pools = pools.as_slice();
        if self.readers.is_empty() {
            // The writer's connection: a transaction kept open there would stand in the way of the next write.
            return self.with(|l| l.store.read_balances(pools, key, date));
        }
        self.on_reader(|l| l.store.read_balances_held(pools, key, date))
    }

    /// Ends the read transactions that reader connections keep open, on the readers not in use. A kept
    /// transaction holds the WAL back from being checkpointed past its snapshot, so a server calls this every
    /// second or so: with reads coming in, a commit ends them anyway; without, this does.
    pub fn release_reads(&self) {
        for r in &self.readers {
            if let Ok(mut l) = r.try_lock() {
                l.store.release_read();
            }
        }
    }

    /// A free reader connection if any, else the next in turn; the writer's if there are no readers.
    fn on_reader<R>(&self, f: impl FnOnce(&mut Ledger) -> R) -> R {
        if self.readers.is_empty() {
            return self.with(f);
        }
        for r in &self.readers {
            if let Ok(mut l) = r.try_lock() {
                return f(&mut l);
            }
        }
        let i = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.readers.len();
        match self.readers.get(i) {
            Some(r) => f(&mut lock(r)),
            None => self.with(f),
        }
    }
}

/// Per pool posted plus pending, beside the reservation read with them.
fn drawn((balances, own): Balances) -> (Vec<u64>, Option<Reservation>) {
    (balances.into_iter().map(|(posted, pending)| posted.saturating_add(pending)).collect(), own)
}

fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date_text(*d))
}

fn ser_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&date_text(*d)),
        None => s.serialize_none(),
    }
}

/// `YYYY-MM-DD`.
pub use tiergate_core::units::{date_text, parse_date};

/// An RFC 3339 timestamp in UTC with microseconds.
pub fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Checks that a stored amount fits in SQL's signed 64-bit integers.
pub(crate) fn sql_amount(n: u64) -> Result<i64, LedgerError> {
    i64::try_from(n).map_err(|_| LedgerError::BadInput(format!("amount {n} is too large")))
}

pub(crate) fn from_sql_amount(n: i64) -> Result<u64, LedgerError> {
    u64::try_from(n).map_err(|_| LedgerError::Corrupt(format!("negative amount {n}")))
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted_url;

    #[test]
    fn passwords_never_print() {
        for (url, shown) in [
            ("postgres://app:s3cr@t@db.example:5432/ledger", "postgres://app:***@db.example:5432/ledger"),
            (
                "postgresql://app@db/ledger?sslmode=require&password=hunter2",
                "postgresql://app@db/ledger?sslmode=require&password=***",
            ),
            ("postgres://u:p@h/d?Password=x&a=b", "postgres://u:***@h/d?Password=***&a=b"),
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/postgres"),
            ("sqlite://tiergate.db", "sqlite://tiergate.db"),
            ("sqlite:///tmp/a:b@c.db", "sqlite:///tmp/a:b@c.db"),
        ] {
            assert_eq!(redacted_url(url), shown, "{url}");
        }
    }
}
