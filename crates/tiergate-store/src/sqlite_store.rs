//! The SQLite backend: one file, WAL with `synchronous=FULL`, every movement in a `BEGIN IMMEDIATE`
//! transaction (which serializes writers across threads and processes).

use std::collections::HashMap;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use time::Date;

use crate::audit::{chain_hash, AuditEntry};
use crate::parties::{PartyDecide, PartyWrite, StoredParty};
use crate::schema::{self, Types};
use crate::screening::{Judgement, ListVersion, NewListVersion};
use crate::tokens::{session, token_info, Role, Session, TokenInfo};
use crate::veus::{LogCheck, StoredVeu};
use crate::wal_index::{Header, WalIndex};
use crate::{
    date_text, from_sql_amount, parse_date, sql_amount, timestamp, Balances, Dump, LedgerError, Meta, Reservation,
    ReserveOutcome, ReserveRequest, ReserveStatus, State, Store,
};

/// How long a writer waits for another's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The column types the shared migrations leave open.
const TYPES: Types = Types { int64: "INTEGER", serial: "INTEGER" };

pub(crate) struct SqliteStore {
    conn: Connection,
    /// The connection's WAL index, mapped on the first held read (`None` before, or where SQLite keeps none).
    wal: Option<WalIndex>,
    /// The read transaction `read_balances_held` keeps open, if any.
    held: Option<Held>,
}

/// A read transaction kept open between determinations.
struct Held {
    /// The WAL-index header read just before the transaction began: its snapshot is at least that new, and
    /// it is the newest state for as long as the header stays the same.
    header: Header,
    /// Pools' (posted, pending not expired) by date and pool, as read in this snapshot; a snapshot does not
    /// change, so each is read once.
    totals: HashMap<Date, HashMap<String, (u64, u64)>>,
    /// Entries in `totals`.
    remembered: usize,
}

/// Pool totals a held snapshot remembers before it starts over (each is a few dozen bytes).
const HELD_TOTALS: usize = 4096;

impl SqliteStore {
    pub(crate) fn open(path: &str) -> Result<SqliteStore, LedgerError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL keeps readers off writers' backs; FULL syncs the WAL on every commit, so an acknowledged
        // movement survives a crash or power loss.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::Database(format!("cannot put `{path}` in WAL mode (got `{mode}`)")));
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)?;
        Ok(SqliteStore { conn, wal: None, held: None })
    }

    /// `read_balances` inside the held transaction: each pool's totals once per snapshot, the reservation
    /// with `key` every time (keys are new on almost every request).
    fn read_in_held(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        let Some(held) = self.held.as_mut() else {
            return self.read_balances(pools, key, date);
        };
        if held.remembered > HELD_TOTALS {
            held.totals.clear();
            held.remembered = 0;
        }
        let on_date = held.totals.entry(date).or_default();
        let mut balances = Vec::with_capacity(pools.len());
        for pool in pools {
            let t = match on_date.get(*pool) {
                Some(t) => *t,
                None => {
                    let t = totals(&self.conn, pool, date)?;
                    on_date.insert((*pool).to_owned(), t);
                    held.remembered += 1;
                    t
                }
            };
            balances.push(t);
        }
        // Almost every key is new: look for its id alone (no row, no error value for "none"), and read the
        // whole reservation only when there is one.
        let id: Option<String> = match key {
            Some(k) => {
                let mut stmt = self.conn.prepare_cached("SELECT id FROM reservations WHERE key = ?1")?;
                let mut rows = stmt.query([k])?;
                rows.next()?.map(|r| r.get(0)).transpose()?
            }
            None => None,
        };
        let own = match id {
            Some(id) => by_id(&self.conn, &id)?,
            None => None,
        };
        Ok((balances, own))
    }
}

fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let current: i64 = row(&tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    for (version, sql) in schema::pending(current, &TYPES)? {
        tx.execute_batch(&sql)?;
        exec(
            &tx,
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, timestamp(time::OffsetDateTime::now_utc())],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// `execute` through the connection's statement cache: each statement is parsed once per connection.
fn exec<P: rusqlite::Params>(conn: &Connection, sql: &str, params: P) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// `query_row` through the statement cache.
fn row<P: rusqlite::Params, T, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

const COLUMNS: &str = "id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at";

fn row_to_reservation(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Reservation, LedgerError>> {
    let tpp: i64 = row.get(3)?;
    let state: String = row.get(4)?;
    let date: String = row.get(5)?;
    let expires: Option<String> = row.get(6)?;
    Ok((|| {
        Ok(Reservation {
            id: row.get(0)?,
            key: row.get(1)?,
            pool: row.get(2)?,
            tpp: from_sql_amount(tpp)?,
            state: State::parse(&state).ok_or_else(|| LedgerError::Corrupt(format!("unknown state `{state}`")))?,
            date: parse_date(&date).ok_or_else(|| LedgerError::Corrupt(format!("bad date `{date}`")))?,
            expires: match expires {
                None => None,
                Some(e) => Some(parse_date(&e).ok_or_else(|| LedgerError::Corrupt(format!("bad date `{e}`")))?),
            },
            reason: row.get(7)?,
            actor: row.get(8)?,
            created_at: row.get(9)?,
            updated_at: row.get(10)?,
        })
    })())
}

fn one(tx: &Connection, sql: &str, arg: &str) -> Result<Option<Reservation>, LedgerError> {
    row(tx, sql, [arg], row_to_reservation).optional()?.transpose()
}

fn by_key(tx: &Connection, key: &str) -> Result<Option<Reservation>, LedgerError> {
    one(tx, &format!("SELECT {COLUMNS} FROM reservations WHERE key = ?1"), key)
}

fn by_id(tx: &Connection, id: &str) -> Result<Option<Reservation>, LedgerError> {
    one(tx, &format!("SELECT {COLUMNS} FROM reservations WHERE id = ?1"), id)
}

/// Posted TPP, and pending TPP not expired on `date`: the stored pending less the overdue (found by the
/// `reservations_expiring` index, so the cost does not grow with the pool's pending reservations).
fn totals(conn: &Connection, pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
    let (pending, posted, overdue): (i64, i64, i64) = row(
        conn,
        "SELECT COALESCE((SELECT pending_tpp FROM pools WHERE pool = ?1), 0),
                COALESCE((SELECT posted_tpp FROM pools WHERE pool = ?1), 0),
                COALESCE((SELECT SUM(tpp) FROM reservations
                          WHERE pool = ?1 AND state = 'pending' AND expires IS NOT NULL AND expires < ?2), 0)",
        params![pool, date_text(date)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok((from_sql_amount(posted)?, from_sql_amount(pending)?.saturating_sub(from_sql_amount(overdue)?)))
}

fn append_audit(
    tx: &Transaction<'_>,
    action: &str,
    r: &Reservation,
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    append_audit_entry(tx, action, (&r.id, &r.pool, r.tpp), reason, meta)
}

/// Appends an audit entry about `(reservation or subject, pool, tpp)`.
fn append_audit_entry(
    tx: &Transaction<'_>,
    action: &str,
    (subject, pool, tpp): (&str, &str, u64),
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    let (seq, prev): (i64, String) =
        row(tx, "SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let mut e = AuditEntry {
        seq: from_sql_amount(seq)? + 1,
        at: timestamp(meta.at),
        actor: meta.actor.clone(),
        action: action.to_owned(),
        reservation: subject.to_owned(),
        pool: pool.to_owned(),
        tpp,
        reason: reason.map(str::to_owned),
        prev_hash: prev,
        hash: String::new(),
    };
    e.hash = chain_hash(&e);
    exec(
        tx,
        "INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            sql_amount(e.seq)?,
            e.at,
            e.actor,
            e.action,
            e.reservation,
            e.pool,
            sql_amount(e.tpp)?,
            e.reason,
            e.prev_hash,
            e.hash
        ],
    )?;
    exec(
        tx,
        "UPDATE ledger_head SET audit_seq = ?1, audit_hash = ?2 WHERE id = 1",
        params![sql_amount(e.seq)?, e.hash],
    )?;
    Ok(())
}

/// Moves every reservation of pool `from` to pool `to`, with its balance, each with a `rekey` audit entry.
fn rekey_in(tx: &Transaction<'_>, from: &str, to: &str, why: &str, meta: &Meta) -> Result<u64, LedgerError> {
    let mut moving = Vec::new();
    {
        let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM reservations WHERE pool = ?1 ORDER BY seq"))?;
        for r in stmt.query_map([from], row_to_reservation)? {
            moving.push(r??);
        }
    }
    exec(tx, "INSERT OR IGNORE INTO pools (pool, pending_tpp, posted_tpp) VALUES (?1, 0, 0)", [to])?;
    let count = u64::try_from(moving.len()).unwrap_or(u64::MAX);
    for mut r in moving {
        let tpp = sql_amount(r.tpp)?;
        let (pending, posted) = match r.state {
            State::Pending => (tpp, 0),
            State::Posted => (0, tpp),
            State::Voided | State::Expired => (0, 0),
        };
        exec(
            tx,
            "UPDATE reservations SET pool = ?1, updated_at = ?2 WHERE id = ?3",
            params![to, timestamp(meta.at), r.id],
        )?;
        exec(
            tx,
            "UPDATE pools SET pending_tpp = pending_tpp - ?1, posted_tpp = posted_tpp - ?2 WHERE pool = ?3",
            params![pending, posted, from],
        )?;
        exec(
            tx,
            "UPDATE pools SET pending_tpp = pending_tpp + ?1, posted_tpp = posted_tpp + ?2 WHERE pool = ?3",
            params![pending, posted, to],
        )?;
        r.pool = to.to_owned();
        append_audit(tx, "rekey", &r, Some(why), meta)?;
    }
    exec(tx, "DELETE FROM pools WHERE pool = ?1 AND pending_tpp = 0 AND posted_tpp = 0", [from])?;
    Ok(count)
}

fn sqlite_parties(conn: &Connection) -> Result<Vec<StoredParty>, LedgerError> {
    let mut stmt = conn.prepare_cached("SELECT key, body, actor, at FROM parties ORDER BY key")?;
    let rows =
        stmt.query_map([], |r| Ok(StoredParty { key: r.get(0)?, body: r.get(1)?, actor: r.get(2)?, at: r.get(3)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Moves a pending reservation to `to`, with its pool's balance and an audit entry.
fn move_to(
    tx: &Transaction<'_>,
    r: &mut Reservation,
    to: State,
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    let now = timestamp(meta.at);
    exec(tx, "UPDATE reservations SET state = ?1, updated_at = ?2 WHERE id = ?3", params![to.as_str(), now, r.id])?;
    let tpp = sql_amount(r.tpp)?;
    let posted = if to == State::Posted { tpp } else { 0 };
    exec(
        tx,
        "UPDATE pools SET pending_tpp = pending_tpp - ?1, posted_tpp = posted_tpp + ?2 WHERE pool = ?3",
        params![tpp, posted, r.pool],
    )?;
    let action = match to {
        State::Posted => "post",
        State::Voided => "void",
        State::Expired => "expire",
        State::Pending => return Err(LedgerError::Corrupt("a reservation cannot move back to pending".into())),
    };
    r.state = to;
    r.updated_at = now;
    append_audit(tx, action, r, reason, meta)
}

fn expire_overdue(tx: &Transaction<'_>, pool: &str, date: Date, meta: &Meta) -> Result<(), LedgerError> {
    let mut overdue = Vec::new();
    {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM reservations WHERE pool = ?1 AND state = 'pending' AND expires IS NOT NULL AND expires < ?2 ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![pool, date_text(date)], row_to_reservation)?;
        for r in rows {
            overdue.push(r??);
        }
    }
    for mut r in overdue {
        let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
        move_to(tx, &mut r, State::Expired, Some(&why), meta)?;
    }
    Ok(())
}

/// One reservation inside an open write transaction; the caller commits.
fn reserve_in(
    tx: &Transaction<'_>,
    req: &ReserveRequest,
    cap: u64,
    meta: &Meta,
) -> Result<ReserveOutcome, LedgerError> {
    let outcome = |status, id, available, code| ReserveOutcome {
        status,
        id,
        pool: req.pool.clone(),
        tpp: req.tpp,
        available_tpp: available,
        code,
    };
    if let Some(existing) = by_key(tx, &req.key)? {
        let (posted, pending) = totals(tx, &req.pool, req.date)?;
        let available = cap.saturating_sub(posted).saturating_sub(pending);
        let same = existing.pool == req.pool && existing.tpp == req.tpp && existing.expires == req.expires;
        return Ok(if same {
            outcome(ReserveStatus::Exists, Some(existing.id), available, None)
        } else {
            outcome(ReserveStatus::Rejected, Some(existing.id), available, Some("idempotency_conflict"))
        });
    }
    expire_overdue(tx, &req.pool, req.date, meta)?;
    exec(tx, "INSERT OR IGNORE INTO pools (pool, pending_tpp, posted_tpp) VALUES (?1, 0, 0)", [&req.pool])?;
    let (pending, posted): (i64, i64) =
        row(tx, "SELECT pending_tpp, posted_tpp FROM pools WHERE pool = ?1", [&req.pool], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let used = from_sql_amount(pending)?.saturating_add(from_sql_amount(posted)?);
    if used.saturating_add(req.tpp) > cap {
        return Ok(outcome(ReserveStatus::Rejected, None, cap.saturating_sub(used), Some("exceeds_allocation")));
    }
    let seq: i64 = row(tx, "SELECT reservation_seq + 1 FROM ledger_head WHERE id = 1", [], |r| r.get(0))?;
    let now = timestamp(meta.at);
    let r = Reservation {
        id: format!("res-{seq}"),
        key: req.key.clone(),
        pool: req.pool.clone(),
        tpp: req.tpp,
        state: State::Pending,
        date: req.date,
        expires: req.expires,
        reason: meta.reason.clone(),
        actor: meta.actor.clone(),
        created_at: now.clone(),
        updated_at: now,
    };
    exec(
        tx,
        &format!(
            "INSERT INTO reservations (seq, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ),
        params![
            seq,
            r.id,
            r.key,
            r.pool,
            sql_amount(r.tpp)?,
            r.state.as_str(),
            date_text(r.date),
            r.expires.map(date_text),
            r.reason,
            r.actor,
            r.created_at,
            r.updated_at
        ],
    )?;
    exec(tx, "UPDATE pools SET pending_tpp = pending_tpp + ?1 WHERE pool = ?2", params![sql_amount(r.tpp)?, r.pool])?;
    exec(tx, "UPDATE ledger_head SET reservation_seq = ?1 WHERE id = 1", [seq])?;
    append_audit(tx, "reserve", &r, meta.reason.as_deref(), meta)?;
    Ok(outcome(ReserveStatus::Reserved, Some(r.id), cap.saturating_sub(used).saturating_sub(req.tpp), None))
}

/// The statement of `read_balances` for `n` pools. Requests read two or three pools, so those texts are made
/// once; the statement cache then finds the prepared statement by them.
fn balances_sql(n: usize) -> std::borrow::Cow<'static, str> {
    static COMMON: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..=3).map(build_balances_sql).collect());
    match COMMON.get(n) {
        Some(sql) => std::borrow::Cow::Borrowed(sql.as_str()),
        None => std::borrow::Cow::Owned(build_balances_sql(n)),
    }
}

fn build_balances_sql(n: usize) -> String {
    // Rows `(i, pending, posted, overdue, NULL, NULL)` for the pools that exist (a pool without a row has drawn
    // nothing), then at most one row `(-1, 0, 0, 0, id, state)` for the reservation with `key`. Few cursors: a
    // request is read on every determination, so this statement is on the API's hot path.
    let mut sql = String::with_capacity(600);
    if n > 0 {
        sql.push_str("WITH q(i, pool) AS (VALUES ");
        for i in 0..n {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("({i}, ?{})", i + 3));
        }
        sql.push_str(
            ") SELECT q.i, p.pending_tpp, p.posted_tpp,
                      COALESCE((SELECT SUM(r.tpp) FROM reservations r
                                WHERE r.pool = q.pool AND r.state = 'pending' AND r.expires IS NOT NULL
                                  AND r.expires < ?1), 0),
                      NULL, NULL
               FROM q JOIN pools p ON p.pool = q.pool
               UNION ALL ",
        );
    }
    sql.push_str("SELECT -1, 0, 0, 0, id, state FROM reservations WHERE key = ?2");
    sql
}

impl Store for SqliteStore {
    fn reserve(&mut self, req: &ReserveRequest, cap: u64, meta: &Meta) -> Result<ReserveOutcome, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = reserve_in(&tx, req, cap, meta)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn reserve_batch(&mut self, items: &[(ReserveRequest, u64, Meta)]) -> Result<Vec<ReserveOutcome>, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcomes =
            items.iter().map(|(req, cap, meta)| reserve_in(&tx, req, *cap, meta)).collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn settle(&mut self, id: &str, to: State, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut r = by_id(&tx, id)?.ok_or_else(|| LedgerError::NotFound(format!("reservation `{id}`")))?;
        if r.state == to {
            return Ok(r);
        }
        let action = if to == State::Posted { "posted" } else { "voided" };
        if r.state != State::Pending {
            return Err(LedgerError::NotPending { id: r.id, state: r.state.as_str(), action });
        }
        if r.expires.is_some_and(|e| e < date) {
            let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
            move_to(&tx, &mut r, State::Expired, Some(&why), meta)?;
            tx.commit()?;
            return Err(LedgerError::NotPending { id: r.id, state: "expired", action });
        }
        move_to(&tx, &mut r, to, meta.reason.as_deref(), meta)?;
        tx.commit()?;
        Ok(r)
    }

    fn rekey_pool(&mut self, from: &str, to: &str, meta: &Meta) -> Result<u64, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let why = format!("rekeyed from {from}: one pool per ultimate consignee, named by its party key");
        let count = rekey_in(&tx, from, to, &why, meta)?;
        tx.commit()?;
        Ok(count)
    }

    fn totals(&mut self, pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
        totals(&self.conn, pool, date)
    }

    fn get(&mut self, id: &str) -> Result<Option<Reservation>, LedgerError> {
        by_id(&self.conn, id)
    }

    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        // One statement, hence one implicit read transaction and one consistent snapshot: per pool its pending,
        // posted and overdue TPP, and the id and state of the reservation with `key`.
        let sql = balances_sql(pools.len());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(pools.len() + 2);
        let date = date_text(date);
        params.push(&date);
        params.push(&key);
        for p in pools {
            params.push(p);
        }
        let mut balances = vec![(0, 0); pools.len()];
        let mut own_id: Option<String> = None;
        let mut own_state: Option<String> = None;
        let mut rows = stmt.query(params.as_slice())?;
        while let Some(row) = rows.next()? {
            let i: i64 = row.get(0)?;
            if i < 0 {
                own_id = row.get(4)?;
                own_state = row.get(5)?;
            } else if let Some(slot) = usize::try_from(i).ok().and_then(|i| balances.get_mut(i)) {
                let (pending, posted, overdue): (i64, i64, i64) = (row.get(1)?, row.get(2)?, row.get(3)?);
                *slot = (from_sql_amount(posted)?, from_sql_amount(pending)?.saturating_sub(from_sql_amount(overdue)?));
            }
        }
        drop(rows);
        drop(stmt);
        // The reservation itself only when there is one (a re-run): rare, so a second read is fine. Only its
        // state can change in between, so the state is the one of the snapshot the balances come from.
        let own = match own_id {
            Some(id) => by_id(&self.conn, &id)?.map(|mut r| {
                if let Some(st) = own_state.as_deref().and_then(State::parse) {
                    r.state = st;
                }
                r
            }),
            None => None,
        };
        Ok((balances, own))
    }

    fn read_balances_held(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        if self.wal.is_none() {
            self.wal = WalIndex::of(&self.conn);
        }
        let now = self.wal.as_ref().and_then(|w| w.header(&self.conn));
        if now.is_none() || now != self.held.as_ref().map(|h| h.header) {
            self.release_read();
            let Some(header) = now else {
                // No WAL index to watch, or a writer is rewriting its header this instant: a read of its own.
                return self.read_balances(pools, key, date);
            };
            // Deferred: the snapshot is taken by the first read below, after `header` was read, so it holds
            // every commit that header shows.
            self.conn.execute_batch("BEGIN DEFERRED")?;
            self.held = Some(Held { header, totals: HashMap::new(), remembered: 0 });
        }
        let read = self.read_in_held(pools, key, date);
        if read.is_err() {
            self.release_read();
        }
        read
    }

    fn release_read(&mut self) {
        if self.held.take().is_some() && !self.conn.is_autocommit() {
            // The transaction only read, so ending it loses nothing; should COMMIT fail, ROLLBACK ends it too.
            if self.conn.execute_batch("COMMIT").is_err() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
        }
    }

    fn list(&mut self, pool: &str) -> Result<Vec<Reservation>, LedgerError> {
        let mut stmt =
            self.conn.prepare(&format!("SELECT {COLUMNS} FROM reservations WHERE pool = ?1 ORDER BY seq"))?;
        let rows = stmt.query_map([pool], row_to_reservation)?;
        rows.map(|r| r?).collect()
    }

    fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        audit_rows(&self.conn, after, limit)
    }

    fn dump(&mut self) -> Result<Dump, LedgerError> {
        // One read transaction, so that the dump is a consistent snapshot.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let mut dump = Dump::default();
        {
            let mut stmt = tx.prepare("SELECT pool, pending_tpp, posted_tpp FROM pools ORDER BY pool")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
            for row in rows {
                let (p, pending, posted) = row?;
                dump.pools.push((p, from_sql_amount(pending)?, from_sql_amount(posted)?));
            }
            let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM reservations ORDER BY seq"))?;
            let rows = stmt.query_map([], row_to_reservation)?;
            for r in rows {
                dump.reservations.push(r??);
            }
        }
        dump.audit = audit_rows(&tx, 0, u64::MAX)?;
        let (seq, hash): (i64, String) =
            row(&tx, "SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        dump.head = (from_sql_amount(seq)?, hash);
        Ok(dump)
    }

    fn create_token(&mut self, name: &str, role: Role, hash: &str, at: &str) -> Result<bool, LedgerError> {
        let n = exec(
            &self.conn,
            "INSERT INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
            params![name, role.as_str(), hash, at],
        )?;
        Ok(n == 1)
    }

    fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT name, role, created_at, revoked_at FROM tokens ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
        })?;
        rows.map(|r| {
            let (name, role, created_at, revoked_at) = r?;
            token_info(name, &role, created_at, revoked_at)
        })
        .collect()
    }

    fn revoke_token(&mut self, name: &str, at: &str) -> Result<bool, LedgerError> {
        Ok(exec(
            &self.conn,
            "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )? == 1)
    }

    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenInfo>, LedgerError> {
        let found = row(
            &self.conn,
            "SELECT name, role, created_at FROM tokens WHERE hash = ?1 AND revoked_at IS NULL",
            [hash],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
        )
        .optional()?;
        found.map(|(name, role, created_at)| token_info(name, &role, created_at, None)).transpose()
    }

    fn has_tokens(&mut self) -> Result<bool, LedgerError> {
        Ok(row(&self.conn, "SELECT EXISTS (SELECT 1 FROM tokens)", [], |r| r.get::<_, bool>(0))?)
    }

    fn ping(&mut self) -> Result<(), LedgerError> {
        row(&self.conn, "SELECT 1", [], |r| r.get::<_, i64>(0))?;
        Ok(())
    }

    fn import_list(&mut self, v: &NewListVersion<'_>, bodies: &[String]) -> Result<ListVersion, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = row(&tx, "SELECT COALESCE(MAX(version), 0) + 1 FROM list_versions", [], |r| r.get(0))?;
        let entries = i64::try_from(bodies.len()).map_err(|_| LedgerError::BadInput("too many entries".to_owned()))?;
        let problems = sql_amount(v.problems)?;
        exec(&tx, "UPDATE list_versions SET current = 0 WHERE list = ?1 AND current = 1", [v.list])?;
        exec(
            &tx,
            "INSERT INTO list_versions
                 (version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date, list_date_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10)",
            params![
                version,
                v.list,
                v.source_file,
                v.sha256,
                entries,
                problems,
                v.at,
                v.actor,
                v.list_date.map(|d| d.0),
                v.list_date.map(|d| d.1)
            ],
        )?;
        exec(
            &tx,
            "DELETE FROM list_entries WHERE version IN (SELECT version FROM list_versions WHERE list = ?1 AND current = 0)",
            [v.list],
        )?;
        {
            let mut insert = tx.prepare("INSERT INTO list_entries (version, seq, body) VALUES (?1, ?2, ?3)")?;
            for (seq, body) in bodies.iter().enumerate() {
                insert.execute(params![version, i64::try_from(seq).unwrap_or(i64::MAX), body])?;
            }
        }
        tx.commit()?;
        Ok(ListVersion {
            version: from_sql_amount(version)?,
            list: v.list.to_owned(),
            source_file: v.source_file.to_owned(),
            sha256: v.sha256.to_owned(),
            entries: from_sql_amount(entries)?,
            problems: v.problems,
            imported_at: v.at.to_owned(),
            list_date: v.list_date.map(|d| d.0.to_owned()),
            list_date_from: v.list_date.map(|d| d.1.to_owned()),
            actor: v.actor.to_owned(),
            current: true,
        })
    }

    fn current_lists(&mut self) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError> {
        // One read transaction: the versions and their entries from one snapshot.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let versions = list_version_rows(&tx, "WHERE current = 1 ORDER BY list")?;
        let mut bodies = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT e.body FROM list_entries e JOIN list_versions v ON v.version = e.version
                 WHERE v.current = 1 ORDER BY v.list, e.seq",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            for body in rows {
                bodies.push(body?);
            }
        }
        tx.commit()?;
        Ok((versions, bodies))
    }

    fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError> {
        list_version_rows(&self.conn, "ORDER BY version DESC")
    }

    fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError> {
        exec(
            &self.conn,
            "INSERT INTO screening_judgements (entry_id, query, verdict, note, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![j.entry_id, j.query, j.verdict, j.note, j.actor, j.at],
        )?;
        Ok(())
    }

    fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT entry_id, query, verdict, note, actor, at FROM screening_judgements ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok(Judgement {
                entry_id: r.get(0)?,
                query: r.get(1)?,
                verdict: r.get(2)?,
                note: r.get(3)?,
                actor: r.get(4)?,
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn add_veu(&mut self, v: &StoredVeu) -> Result<bool, LedgerError> {
        let n = exec(
            &self.conn,
            "INSERT INTO veus (id, body, actor, at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
            params![v.id, v.body, v.actor, v.at],
        )?;
        Ok(n == 1)
    }

    fn veus(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, body, actor, at FROM veus ORDER BY id")?;
        let rows =
            stmt.query_map([], |r| Ok(StoredVeu { id: r.get(0)?, body: r.get(1)?, actor: r.get(2)?, at: r.get(3)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn append_veu_events(
        &mut self,
        id: &str,
        bodies: &[String],
        actor: &str,
        at: &str,
        check: LogCheck<'_>,
    ) -> Result<u64, LedgerError> {
        // IMMEDIATE: the write lock is taken before the log is read, so no other append slips in between.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut log = sqlite_veu_events(&tx, id)?;
        log.extend_from_slice(bodies);
        check(&log).map_err(LedgerError::BadInput)?;
        for body in bodies {
            exec(
                &tx,
                "INSERT INTO veu_events (veu_id, body, actor, at) VALUES (?1, ?2, ?3, ?4)",
                params![id, body, actor, at],
            )?;
        }
        tx.commit()?;
        Ok(log.len() as u64)
    }

    fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError> {
        sqlite_veu_events(&self.conn, id)
    }

    fn parties(&mut self) -> Result<Vec<StoredParty>, LedgerError> {
        sqlite_parties(&self.conn)
    }

    fn change_parties(&mut self, decide: PartyDecide<'_>, meta: &Meta) -> Result<(PartyWrite, u64), LedgerError> {
        // IMMEDIATE: the registry is read under the write lock, so no other change slips in between.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let w = decide(&sqlite_parties(&tx)?)?;
        let at = timestamp(meta.at);
        for key in &w.remove {
            exec(&tx, "DELETE FROM parties WHERE key = ?1", [key])?;
        }
        for (key, body) in &w.store {
            exec(
                &tx,
                "INSERT INTO parties (key, body, actor, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, actor = excluded.actor, at = excluded.at",
                params![key, body, meta.actor, at],
            )?;
        }
        let mut moved = 0;
        for (from, to) in &w.moves {
            let pools: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT DISTINCT pool FROM reservations WHERE substr(pool, 1, length(?1)) = ?1 ORDER BY pool",
                )?;
                let rows = stmt.query_map([from], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for pool in pools {
                let target = format!("{to}{}", pool.get(from.len()..).unwrap_or_default());
                moved += rekey_in(&tx, &pool, &target, &format!("rekeyed from {pool}: {}", w.summary), meta)?;
            }
        }
        append_audit_entry(&tx, &w.action, (&w.subject, &format!("party:{}", w.subject), 0), Some(&w.summary), meta)?;
        tx.commit()?;
        Ok((w, moved))
    }

    fn pool_names(&mut self) -> Result<Vec<String>, LedgerError> {
        let mut stmt = self.conn.prepare_cached("SELECT pool FROM pools ORDER BY pool")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn create_session(
        &mut self,
        hash: &str,
        token: &str,
        csrf: &str,
        at: &str,
        expires_at: &str,
    ) -> Result<(), LedgerError> {
        // Sessions that can no longer be used are of no further use: forget them as new ones are made.
        exec(&self.conn, "DELETE FROM sessions WHERE expires_at < ?1 OR ended_at IS NOT NULL", [at])?;
        exec(
            &self.conn,
            "INSERT INTO sessions (hash, token, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, token, csrf, at, expires_at],
        )?;
        Ok(())
    }

    fn session_by_hash(&mut self, hash: &str) -> Result<Option<Session>, LedgerError> {
        let found = row(
            &self.conn,
            "SELECT t.name, t.role, t.created_at, s.csrf, s.expires_at FROM sessions s JOIN tokens t ON t.name = s.token
             WHERE s.hash = ?1 AND s.ended_at IS NULL AND t.revoked_at IS NULL",
            [hash],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?)),
        )
        .optional()?;
        found
            .map(|(name, role, created_at, csrf, expires_at)| session(name, &role, created_at, csrf, expires_at))
            .transpose()
    }

    fn end_session(&mut self, hash: &str, at: &str) -> Result<bool, LedgerError> {
        Ok(exec(
            &self.conn,
            "UPDATE sessions SET ended_at = ?2 WHERE hash = ?1 AND ended_at IS NULL",
            params![hash, at],
        )? == 1)
    }
}

fn sqlite_veu_events(conn: &Connection, id: &str) -> Result<Vec<String>, LedgerError> {
    let mut stmt = conn.prepare_cached("SELECT body FROM veu_events WHERE veu_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn audit_rows(conn: &Connection, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![sql_amount(after)?, i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, String>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash) = row?;
        out.push(AuditEntry {
            seq: from_sql_amount(seq)?,
            at,
            actor,
            action,
            reservation,
            pool,
            tpp: from_sql_amount(tpp)?,
            reason,
            prev_hash,
            hash,
        });
    }
    Ok(out)
}

fn list_version_rows(conn: &Connection, tail: &str) -> Result<Vec<ListVersion>, LedgerError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date, list_date_from
         FROM list_versions {tail}"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, i64>(8)?,
            r.get::<_, Option<String>>(9)?,
            r.get::<_, Option<String>>(10)?,
        ))
    })?;
    rows.map(|r| {
        let (
            version,
            list,
            source_file,
            sha256,
            entries,
            problems,
            imported_at,
            actor,
            current,
            list_date,
            list_date_from,
        ) = r?;
        Ok(ListVersion {
            version: from_sql_amount(version)?,
            list,
            source_file,
            sha256,
            entries: from_sql_amount(entries)?,
            problems: from_sql_amount(problems)?,
            imported_at,
            list_date,
            list_date_from,
            actor,
            current: current == 1,
        })
    })
    .collect()
}
