//! The PostgreSQL backend, for several instances sharing one ledger. Every write transaction locks the single
//! `ledger_head` row first (`SELECT ... FOR UPDATE`), which serializes writes across all connections as
//! SQLite's `BEGIN IMMEDIATE` does; commits are durable with PostgreSQL's defaults (`fsync = on`,
//! `synchronous_commit = on`).

use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Statement};
use time::Date;

use crate::audit::AuditEntry;
use crate::backend::Backend;
use crate::movements::{by_key, totals};
use crate::schema::{self, Types};
use crate::sql::{amount, Cell, Param, Row, Sql};
use crate::{date_text, timestamp, Balances, LedgerError, Reservation};

/// Serializes concurrent first opens of a database while migrations run.
const MIGRATION_LOCK: i64 = 0x7469_6572_6761_7465; // "tiergate"

/// The column types the shared migrations leave open.
const TYPES: Types = Types { int64: "BIGINT", serial: "BIGSERIAL" };

/// Statements longer than this (many-row inserts) are not kept prepared.
const CACHED_STATEMENT: usize = 4096;
/// Prepared statements kept per connection before the cache starts over.
const CACHED_STATEMENTS: usize = 256;

pub(crate) struct PostgresBackend {
    client: Client,
    /// Statements prepared on this connection, by text.
    cache: HashMap<String, Statement>,
}

/// A connection or transaction, with the connection's prepared statements, as the shared query layer uses it.
struct Pg<'a, C> {
    client: &'a mut C,
    cache: &'a mut HashMap<String, Statement>,
}

impl<C: GenericClient> Pg<'_, C> {
    /// The statement, prepared once per connection.
    fn prepared(&mut self, sql: &str) -> Result<Statement, LedgerError> {
        if let Some(st) = self.cache.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        if sql.len() <= CACHED_STATEMENT {
            if self.cache.len() >= CACHED_STATEMENTS {
                self.cache.clear();
            }
            self.cache.insert(sql.to_owned(), st.clone());
        }
        Ok(st)
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Text(s) => s.to_sql(ty, out),
            Param::Int(n) => match *ty {
                Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
                Type::BOOL => (n != 0).to_sql(ty, out),
                _ => n.to_sql(ty, out),
            },
        }
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty) || [Type::INT2, Type::INT4, Type::INT8, Type::BOOL].contains(ty)
    }

    fn to_sql_checked(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if !<Self as ToSql>::accepts(ty) {
            return Err(format!("a parameter of type {ty} is not one the ledger writes").into());
        }
        self.to_sql(ty, out)
    }
}

fn params<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// A row's cells, by their column types.
fn cells(row: &postgres::Row) -> Result<Row, LedgerError> {
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let int = |n: Option<i64>| n.map_or(Cell::Null, Cell::Int);
        out.push(match *column.type_() {
            Type::INT8 => int(row.try_get::<_, Option<i64>>(i)?),
            Type::INT4 => int(row.try_get::<_, Option<i32>>(i)?.map(i64::from)),
            Type::INT2 => int(row.try_get::<_, Option<i16>>(i)?.map(i64::from)),
            Type::BOOL => int(row.try_get::<_, Option<bool>>(i)?.map(i64::from)),
            _ => row.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::Text),
        });
    }
    Ok(Row(out))
}

/// Writes a new reservation in one round trip: the pool's pending TPP, the reservation, its audit entry and the
/// head, together.
const WRITE_RESERVATION: &str = "
    WITH p AS (
        INSERT INTO pools (pool, pending_tpp, posted_tpp) VALUES ($1, $2, 0)
        ON CONFLICT (pool) DO UPDATE SET pending_tpp = pools.pending_tpp + EXCLUDED.pending_tpp
        RETURNING 1
    ), r AS (
        INSERT INTO reservations (seq, id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at)
        VALUES ($3, $4, $5, $1, $2, $6, $7, $8, $9, $10, $11, $12)
        RETURNING 1
    ), a AS (
        INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
        VALUES ($13, $14, $15, $16, $4, $1, $2, $17, $18, $19)
        RETURNING 1
    )
    UPDATE ledger_head SET audit_seq = $13, audit_hash = $19, reservation_seq = $3
    WHERE id = 1 AND EXISTS (SELECT 1 FROM p) AND EXISTS (SELECT 1 FROM r) AND EXISTS (SELECT 1 FROM a)";

impl<C: GenericClient> Sql for Pg<'_, C> {
    fn exec(&mut self, sql: &str, p: &[Param<'_>]) -> Result<u64, LedgerError> {
        let st = self.prepared(sql)?;
        Ok(self.client.execute(&st, &params(p))?)
    }

    fn rows(&mut self, sql: &str, p: &[Param<'_>]) -> Result<Vec<Row>, LedgerError> {
        let st = self.prepared(sql)?;
        self.client.query(&st, &params(p))?.iter().map(cells).collect()
    }

    fn write_reservation(&mut self, seq: u64, r: &Reservation, e: &AuditEntry) -> Result<(), LedgerError> {
        let date = date_text(r.date);
        let expires = r.expires.map(date_text);
        let written = self.exec(
            WRITE_RESERVATION,
            &[
                (&r.pool).into(),
                amount(r.tpp)?,
                amount(seq)?,
                (&r.id).into(),
                (&r.key).into(),
                r.state.as_str().into(),
                (&date).into(),
                expires.as_deref().into(),
                (&r.reason).into(),
                (&r.actor).into(),
                (&r.created_at).into(),
                (&r.updated_at).into(),
                amount(e.seq)?,
                (&e.at).into(),
                (&e.actor).into(),
                (&e.action).into(),
                (&e.reason).into(),
                (&e.prev_hash).into(),
                (&e.hash).into(),
            ],
        )?;
        if written != 1 {
            return Err(LedgerError::Corrupt("the ledger head was not updated".into()));
        }
        Ok(())
    }
}

impl PostgresBackend {
    pub(crate) fn open(url: &str) -> Result<PostgresBackend, LedgerError> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| LedgerError::Database(format!("cannot connect to PostgreSQL: {e}")))?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        let current: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?.get(0);
        for (version, sql) in schema::pending(current, &TYPES)? {
            tx.batch_execute(&sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[&version, &timestamp(time::OffsetDateTime::now_utc())],
            )?;
        }
        tx.commit()?;
        Ok(PostgresBackend { client, cache: HashMap::new() })
    }

    fn pg(&mut self) -> Pg<'_, Client> {
        Pg { client: &mut self.client, cache: &mut self.cache }
    }
}

impl Backend for PostgresBackend {
    /// Locks the ledger head as it reads it. This must be a statement of its own: under READ COMMITTED a
    /// statement that waits for a row lock re-reads only the locked row, so rows it joined would come from its
    /// older snapshot (a stale pool balance, and an oversubscribed pool: the race test caught exactly that).
    const READ_HEAD: &'static str =
        "SELECT audit_seq, audit_hash, reservation_seq FROM ledger_head WHERE id = 1 FOR UPDATE";

    fn transaction<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        let mut tx = self.client.transaction()?;
        let out = f(&mut Pg { client: &mut tx, cache: &mut self.cache })?;
        tx.commit()?;
        Ok(out)
    }

    fn snapshot<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        // REPEATABLE READ: one snapshot for every statement.
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let out = f(&mut Pg { client: &mut tx, cache: &mut self.cache })?;
        tx.commit()?;
        Ok(out)
    }

    fn plain<R>(&mut self, f: impl FnOnce(&mut dyn Sql) -> Result<R, LedgerError>) -> Result<R, LedgerError> {
        f(&mut self.pg())
    }

    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        // Statements on their own (autocommit): a transaction would add two round trips to a read.
        let mut pg = self.pg();
        let balances = pools.iter().map(|p| totals(&mut pg, p, date)).collect::<Result<Vec<_>, _>>()?;
        let own = match key {
            Some(k) => by_key(&mut pg, k)?,
            None => None,
        };
        Ok((balances, own))
    }
}
