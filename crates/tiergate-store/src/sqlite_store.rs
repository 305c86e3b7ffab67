//! The SQLite backend: one file, WAL with `synchronous=FULL`, every write in a `BEGIN IMMEDIATE` transaction
//! (which serializes writers across threads and processes).

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, TransactionBehavior};
use time::Date;

use crate::backend::Backend;
use crate::movements::{by_id, totals};
use crate::schema::{self, Types};
use crate::sql::{Cell, Param, Row, Sql};
use crate::wal_index::{Header, WalIndex};
use crate::{date_text, from_sql_amount, timestamp, Balances, LedgerError, State};

/// How long a writer waits for another's transaction before giving up (and the caller is told to retry), unless
/// `TIERGATE_SQLITE_BUSY_TIMEOUT` gives other seconds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

fn busy_timeout() -> Result<Duration, LedgerError> {
    let Ok(text) = std::env::var("TIERGATE_SQLITE_BUSY_TIMEOUT") else { return Ok(BUSY_TIMEOUT) };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && (0.0..=3600.0).contains(s))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            LedgerError::BadInput(format!("TIERGATE_SQLITE_BUSY_TIMEOUT must be seconds from 0 to 3600, not `{text}`"))
        })
}

/// The column types the shared migrations leave open.
const TYPES: Types = Types { int64: "INTEGER", serial: "INTEGER" };

pub(crate) struct SqliteBackend {
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

/// A connection or transaction, as the shared query layer uses it.
struct Lite<'a>(&'a Connection);

/// `$n` (the shared statements' spelling) as SQLite's `?n`.
fn sqlite_spelling(sql: &str) -> Cow<'_, str> {
    if sql.contains('$') {
        Cow::Owned(sql.replace('$', "?"))
    } else {
        Cow::Borrowed(sql)
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Param::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

impl Sql for Lite<'_> {
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, LedgerError> {
        // Through the connection's statement cache: each statement is parsed once per connection.
        let n = self.0.prepare_cached(&sqlite_spelling(sql))?.execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, LedgerError> {
        let mut stmt = self.0.prepare_cached(&sqlite_spelling(sql))?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Text(t) => Cell::Text(
                        String::from_utf8(t.to_vec())
                            .map_err(|_| LedgerError::Corrupt(format!("column {i} is not UTF-8")))?,
                    ),
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(LedgerError::Corrupt(format!("column {i} holds a value of no known kind")))
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }
}

impl SqliteBackend {
    pub(crate) fn open(path: &str) -> Result<SqliteBackend, LedgerError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(busy_timeout()?)?;
        // WAL keeps readers off writers' backs; FULL syncs the WAL on every commit, so an acknowledged
        // movement survives a crash or power loss.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::Database(format!("cannot put `{path}` in WAL mode (got `{mode}`)")));
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        migrate(&mut conn)?;
        Ok(SqliteBackend { conn, wal: None, held: None })
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
                    let t = totals(&mut Lite(&self.conn), pool, date)?;
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
            Some(id) => by_id(&mut Lite(&self.conn), &id)?,
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
    let current: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
    for (version, sql) in schema::pending(current, &TYPES)? {
        tx.execute_batch(&sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, timestamp(time::OffsetDateTime::now_utc())],
        )?;
    }
    tx.commit()?;
    Ok(())
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

impl Backend for SqliteBackend {
    const READ_HEAD: &'static str = "SELECT audit_seq, audit_hash, reservation_seq FROM ledger_head WHERE id = 1";

    fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        // A held read transaction would stand in the way of this one.
        self.release_read();
        // IMMEDIATE: the write lock is taken first, so everything read inside is read under it.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&mut Lite(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn snapshot<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        self.release_read();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&mut Lite(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    fn plain<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        f(&mut Lite(&self.conn))
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
            Some(id) => by_id(&mut Lite(&self.conn), &id)?.map(|mut r| {
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
}
