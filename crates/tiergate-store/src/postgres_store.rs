//! The PostgreSQL backend, for several instances sharing one ledger. Every movement locks the single
//! `ledger_head` row first (`SELECT ... FOR UPDATE`), which serializes movements across all connections as
//! SQLite's `BEGIN IMMEDIATE` does; commits are durable with PostgreSQL's defaults (`fsync = on`,
//! `synchronous_commit = on`).

use postgres::{Client, GenericClient, NoTls, Row, Transaction};
use time::Date;

use crate::audit::{chain_hash, AuditEntry};
use crate::parties::{PartyDecide, PartyWrite, StoredParty};
use crate::schema::{self, Types};
use crate::screening::{Judgement, ListVersion, NewListVersion};
use crate::tokens::{session, token_info, Role, Session, TokenInfo};
use crate::veus::{LogCheck, StoredVeu};
use crate::{
    date_text, from_sql_amount, parse_date, sql_amount, timestamp, Balances, Dump, LedgerError, Meta, Reservation,
    ReserveOutcome, ReserveRequest, ReserveStatus, State, Store,
};

/// Serializes concurrent first opens of a database while migrations run.
const MIGRATION_LOCK: i64 = 0x7469_6572_6761_7465; // "tiergate"

/// The column types the shared migrations leave open.
const TYPES: Types = Types { int64: "BIGINT", serial: "BIGSERIAL" };

pub(crate) struct PostgresStore {
    client: Client,
    /// The reserve hot path, prepared once per connection.
    prepared: Prepared,
}

/// Locks the ledger head and reads it. This must be a statement of its own: under READ COMMITTED a statement
/// that waits for a row lock re-reads only the locked row, so rows it joined would come from its older snapshot
/// (a stale pool balance, and an oversubscribed pool: the race test caught exactly that).
const LOCK_HEAD: &str = "SELECT audit_seq, audit_hash, reservation_seq FROM ledger_head WHERE id = 1 FOR UPDATE";

/// Reads, in one round trip after the lock, what a reservation needs: any reservation with the key, the pool's
/// balance, and whether the pool has overdue reservations to expire first.
const READ_FOR_RESERVE: &str = "
    SELECT (SELECT id FROM reservations WHERE key = $1),
           (SELECT pending_tpp FROM pools WHERE pool = $2),
           (SELECT posted_tpp FROM pools WHERE pool = $2),
           EXISTS (SELECT 1 FROM reservations o
                   WHERE o.pool = $2 AND o.state = 'pending' AND o.expires IS NOT NULL AND o.expires < $3)";

/// Writes a new reservation in one round trip: the pool's pending TPP, the reservation, its audit entry and the
/// head, together.
const WRITE_RESERVATION: &str = "
    WITH p AS (
        INSERT INTO pools (pool, pending_tpp, posted_tpp) VALUES ($1, $2, 0)
        ON CONFLICT (pool) DO UPDATE SET pending_tpp = pools.pending_tpp + EXCLUDED.pending_tpp
        RETURNING 1
    ), r AS (
        INSERT INTO reservations (seq, id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at)
        VALUES ($3, $4, $5, $1, $2, 'pending', $6, $7, $8, $9, $10, $10)
        RETURNING 1
    ), a AS (
        INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
        VALUES ($11, $10, $9, 'reserve', $4, $1, $2, $8, $12, $13)
        RETURNING 1
    )
    UPDATE ledger_head SET audit_seq = $11, audit_hash = $13, reservation_seq = $3
    WHERE id = 1 AND EXISTS (SELECT 1 FROM p) AND EXISTS (SELECT 1 FROM r) AND EXISTS (SELECT 1 FROM a)";

impl PostgresStore {
    pub(crate) fn open(url: &str) -> Result<PostgresStore, LedgerError> {
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
        let lock_head = client.prepare(LOCK_HEAD)?;
        let read_for_reserve = client.prepare(READ_FOR_RESERVE)?;
        let write_reservation = client.prepare(WRITE_RESERVATION)?;
        Ok(PostgresStore { client, prepared: Prepared { lock_head, read_for_reserve, write_reservation } })
    }
}

const COLUMNS: &str = "id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at";

fn to_reservation(row: &Row) -> Result<Reservation, LedgerError> {
    let state: String = row.try_get(4)?;
    let date: String = row.try_get(5)?;
    let expires: Option<String> = row.try_get(6)?;
    Ok(Reservation {
        id: row.try_get(0)?,
        key: row.try_get(1)?,
        pool: row.try_get(2)?,
        tpp: from_sql_amount(row.try_get(3)?)?,
        state: State::parse(&state).ok_or_else(|| LedgerError::Corrupt(format!("unknown state `{state}`")))?,
        date: parse_date(&date).ok_or_else(|| LedgerError::Corrupt(format!("bad date `{date}`")))?,
        expires: match expires {
            None => None,
            Some(e) => Some(parse_date(&e).ok_or_else(|| LedgerError::Corrupt(format!("bad date `{e}`")))?),
        },
        reason: row.try_get(7)?,
        actor: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
    })
}

fn one(c: &mut impl GenericClient, column: &str, value: &str) -> Result<Option<Reservation>, LedgerError> {
    c.query_opt(&format!("SELECT {COLUMNS} FROM reservations WHERE {column} = $1"), &[&value])?
        .as_ref()
        .map(to_reservation)
        .transpose()
}

/// Posted TPP, and pending TPP not expired on `date`: the stored pending less the overdue (found by the
/// `reservations_expiring` index, so the cost does not grow with the pool's pending reservations).
fn totals(c: &mut impl GenericClient, pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
    let row = c.query_one(
        "SELECT COALESCE((SELECT pending_tpp FROM pools WHERE pool = $1), 0),
                COALESCE((SELECT posted_tpp FROM pools WHERE pool = $1), 0),
                COALESCE((SELECT SUM(tpp) FROM reservations
                          WHERE pool = $1 AND state = 'pending' AND expires IS NOT NULL AND expires < $2), 0)::BIGINT",
        &[&pool, &date_text(date)],
    )?;
    let (pending, posted, overdue): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    Ok((from_sql_amount(posted)?, from_sql_amount(pending)?.saturating_sub(from_sql_amount(overdue)?)))
}

/// Locks the ledger head: every movement starts here, so movements are serialized.
/// Moves every reservation of pool `from` to pool `to`, with its balance, each with a `rekey` audit entry; the
/// caller holds the head lock.
fn rekey_in(tx: &mut Transaction<'_>, from: &str, to: &str, why: &str, meta: &Meta) -> Result<u64, LedgerError> {
    let rows =
        tx.query(&format!("SELECT {COLUMNS} FROM reservations WHERE pool = $1 ORDER BY seq FOR UPDATE"), &[&from])?;
    let moving = rows.iter().map(to_reservation).collect::<Result<Vec<_>, _>>()?;
    let zero: i64 = 0;
    tx.execute(
        "INSERT INTO pools (pool, pending_tpp, posted_tpp) VALUES ($1, $2, $2) ON CONFLICT (pool) DO NOTHING",
        &[&to, &zero],
    )?;
    let count = u64::try_from(moving.len()).unwrap_or(u64::MAX);
    for mut r in moving {
        let tpp = sql_amount(r.tpp)?;
        let (pending, posted): (i64, i64) = match r.state {
            State::Pending => (tpp, 0),
            State::Posted => (0, tpp),
            State::Voided | State::Expired => (0, 0),
        };
        tx.execute(
            "UPDATE reservations SET pool = $1, updated_at = $2 WHERE id = $3",
            &[&to, &timestamp(meta.at), &r.id],
        )?;
        tx.execute(
            "UPDATE pools SET pending_tpp = pending_tpp - $1, posted_tpp = posted_tpp - $2 WHERE pool = $3",
            &[&pending, &posted, &from],
        )?;
        tx.execute(
            "UPDATE pools SET pending_tpp = pending_tpp + $1, posted_tpp = posted_tpp + $2 WHERE pool = $3",
            &[&pending, &posted, &to],
        )?;
        r.pool = to.to_owned();
        append_audit(tx, "rekey", &r, Some(why), meta)?;
    }
    tx.execute("DELETE FROM pools WHERE pool = $1 AND pending_tpp = 0 AND posted_tpp = 0", &[&from])?;
    Ok(count)
}

fn pg_parties(client: &mut impl GenericClient) -> Result<Vec<StoredParty>, LedgerError> {
    let rows = client.query("SELECT key, body, actor, at FROM parties ORDER BY key", &[])?;
    rows.iter()
        .map(|r| Ok(StoredParty { key: r.try_get(0)?, body: r.try_get(1)?, actor: r.try_get(2)?, at: r.try_get(3)? }))
        .collect()
}

fn lock_head(tx: &mut Transaction<'_>) -> Result<(), LedgerError> {
    tx.execute("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE", &[])?;
    Ok(())
}

fn append_audit(
    tx: &mut Transaction<'_>,
    action: &str,
    r: &Reservation,
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    append_audit_entry(tx, action, (&r.id, &r.pool, r.tpp), reason, meta)
}

/// Appends an audit entry about `(reservation or subject, pool, tpp)`.
fn append_audit_entry(
    tx: &mut Transaction<'_>,
    action: &str,
    (subject, pool, tpp): (&str, &str, u64),
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    let row = tx.query_one("SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", &[])?;
    let mut e = AuditEntry {
        seq: from_sql_amount(row.get(0))? + 1,
        at: timestamp(meta.at),
        actor: meta.actor.clone(),
        action: action.to_owned(),
        reservation: subject.to_owned(),
        pool: pool.to_owned(),
        tpp,
        reason: reason.map(str::to_owned),
        prev_hash: row.get(1),
        hash: String::new(),
    };
    e.hash = chain_hash(&e);
    let seq = sql_amount(e.seq)?;
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &seq,
            &e.at,
            &e.actor,
            &e.action,
            &e.reservation,
            &e.pool,
            &sql_amount(e.tpp)?,
            &e.reason,
            &e.prev_hash,
            &e.hash,
        ],
    )?;
    tx.execute("UPDATE ledger_head SET audit_seq = $1, audit_hash = $2 WHERE id = 1", &[&seq, &e.hash])?;
    Ok(())
}

fn move_to(
    tx: &mut Transaction<'_>,
    r: &mut Reservation,
    to: State,
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    let now = timestamp(meta.at);
    tx.execute("UPDATE reservations SET state = $1, updated_at = $2 WHERE id = $3", &[&to.as_str(), &now, &r.id])?;
    let tpp = sql_amount(r.tpp)?;
    let posted: i64 = if to == State::Posted { tpp } else { 0 };
    tx.execute(
        "UPDATE pools SET pending_tpp = pending_tpp - $1, posted_tpp = posted_tpp + $2 WHERE pool = $3",
        &[&tpp, &posted, &r.pool],
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

fn expire_overdue(tx: &mut Transaction<'_>, pool: &str, date: Date, meta: &Meta) -> Result<(), LedgerError> {
    let rows = tx.query(
        &format!("SELECT {COLUMNS} FROM reservations WHERE pool = $1 AND state = 'pending' AND expires IS NOT NULL AND expires < $2 ORDER BY seq"),
        &[&pool, &date_text(date)],
    )?;
    for row in rows {
        let mut r = to_reservation(&row)?;
        let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
        move_to(tx, &mut r, State::Expired, Some(&why), meta)?;
    }
    Ok(())
}

/// The prepared statements of the reserve hot path.
struct Prepared {
    lock_head: postgres::Statement,
    read_for_reserve: postgres::Statement,
    write_reservation: postgres::Statement,
}

/// One reservation inside an open transaction; the caller commits.
fn reserve_in(
    tx: &mut Transaction<'_>,
    st: &Prepared,
    req: &ReserveRequest,
    cap: u64,
    meta: &Meta,
) -> Result<ReserveOutcome, LedgerError> {
    let date = date_text(req.date);
    let outcome = |status, id, available, code| ReserveOutcome {
        status,
        id,
        pool: req.pool.clone(),
        tpp: req.tpp,
        available_tpp: available,
        code,
    };
    let head = tx.query_one(&st.lock_head, &[])?;
    let row = tx.query_one(&st.read_for_reserve, &[&req.key, &req.pool, &date])?;
    let existing: Option<String> = row.get(0);
    let overdue: bool = row.get(3);
    if existing.is_some() {
        let existing = one(tx, "key", &req.key)?
            .ok_or_else(|| LedgerError::Corrupt("a reservation vanished under lock".into()))?;
        let (posted, pending) = totals(tx, &req.pool, req.date)?;
        let available = cap.saturating_sub(posted).saturating_sub(pending);
        let same = existing.pool == req.pool && existing.tpp == req.tpp && existing.expires == req.expires;
        return Ok(if same {
            outcome(ReserveStatus::Exists, Some(existing.id), available, None)
        } else {
            outcome(ReserveStatus::Rejected, Some(existing.id), available, Some("idempotency_conflict"))
        });
    }
    let (mut audit_seq, mut audit_hash): (i64, String) = (head.get(0), head.get(1));
    let reservation_seq: i64 = head.get(2);
    let (mut pending, mut posted): (Option<i64>, Option<i64>) = (row.get(1), row.get(2));
    if overdue {
        // Rare: expire first (each expiry moves the head), then read the pool and the head again.
        expire_overdue(tx, &req.pool, req.date, meta)?;
        let head = tx.query_one(&st.lock_head, &[])?;
        let again = tx.query_one(&st.read_for_reserve, &[&req.key, &req.pool, &date])?;
        (audit_seq, audit_hash, pending, posted) = (head.get(0), head.get(1), again.get(1), again.get(2));
    }
    let used = from_sql_amount(pending.unwrap_or(0))?.saturating_add(from_sql_amount(posted.unwrap_or(0))?);
    if used.saturating_add(req.tpp) > cap {
        return Ok(outcome(ReserveStatus::Rejected, None, cap.saturating_sub(used), Some("exceeds_allocation")));
    }
    let seq = reservation_seq + 1;
    let id = format!("res-{seq}");
    let mut entry = AuditEntry {
        seq: from_sql_amount(audit_seq)? + 1,
        at: timestamp(meta.at),
        actor: meta.actor.clone(),
        action: "reserve".to_owned(),
        reservation: id.clone(),
        pool: req.pool.clone(),
        tpp: req.tpp,
        reason: meta.reason.clone(),
        prev_hash: audit_hash,
        hash: String::new(),
    };
    entry.hash = chain_hash(&entry);
    let written = tx.execute(
        &st.write_reservation,
        &[
            &req.pool,
            &sql_amount(req.tpp)?,
            &seq,
            &id,
            &req.key,
            &date,
            &req.expires.map(date_text),
            &meta.reason,
            &meta.actor,
            &entry.at,
            &sql_amount(entry.seq)?,
            &entry.prev_hash,
            &entry.hash,
        ],
    )?;
    if written != 1 {
        return Err(LedgerError::Corrupt("the ledger head was not updated".into()));
    }
    Ok(outcome(ReserveStatus::Reserved, Some(id), cap.saturating_sub(used).saturating_sub(req.tpp), None))
}

impl Store for PostgresStore {
    fn reserve(&mut self, req: &ReserveRequest, cap: u64, meta: &Meta) -> Result<ReserveOutcome, LedgerError> {
        let mut tx = self.client.transaction()?;
        let outcome = reserve_in(&mut tx, &self.prepared, req, cap, meta)?;
        tx.commit()?;
        Ok(outcome)
    }

    fn reserve_batch(&mut self, items: &[(ReserveRequest, u64, Meta)]) -> Result<Vec<ReserveOutcome>, LedgerError> {
        let mut tx = self.client.transaction()?;
        let mut outcomes = Vec::with_capacity(items.len());
        for (req, cap, meta) in items {
            outcomes.push(reserve_in(&mut tx, &self.prepared, req, *cap, meta)?);
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn settle(&mut self, id: &str, to: State, date: Date, meta: &Meta) -> Result<Reservation, LedgerError> {
        let mut tx = self.client.transaction()?;
        lock_head(&mut tx)?;
        let mut r = one(&mut tx, "id", id)?.ok_or_else(|| LedgerError::NotFound(format!("reservation `{id}`")))?;
        if r.state == to {
            return Ok(r);
        }
        let action = if to == State::Posted { "posted" } else { "voided" };
        if r.state != State::Pending {
            return Err(LedgerError::NotPending { id: r.id, state: r.state.as_str(), action });
        }
        if r.expires.is_some_and(|e| e < date) {
            let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
            move_to(&mut tx, &mut r, State::Expired, Some(&why), meta)?;
            tx.commit()?;
            return Err(LedgerError::NotPending { id: r.id, state: "expired", action });
        }
        move_to(&mut tx, &mut r, to, meta.reason.as_deref(), meta)?;
        tx.commit()?;
        Ok(r)
    }

    fn rekey_pool(&mut self, from: &str, to: &str, meta: &Meta) -> Result<u64, LedgerError> {
        let mut tx = self.client.transaction()?;
        lock_head(&mut tx)?;
        let why = format!("rekeyed from {from}: one pool per ultimate consignee, named by its party key");
        let count = rekey_in(&mut tx, from, to, &why, meta)?;
        tx.commit()?;
        Ok(count)
    }

    fn totals(&mut self, pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
        totals(&mut self.client, pool, date)
    }

    fn get(&mut self, id: &str) -> Result<Option<Reservation>, LedgerError> {
        one(&mut self.client, "id", id)
    }

    fn read_balances(&mut self, pools: &[&str], key: Option<&str>, date: Date) -> Result<Balances, LedgerError> {
        // Statements on their own (autocommit): a transaction would add two round trips to a read.
        let balances = pools.iter().map(|p| totals(&mut self.client, p, date)).collect::<Result<Vec<_>, _>>()?;
        let own = match key {
            Some(k) => one(&mut self.client, "key", k)?,
            None => None,
        };
        Ok((balances, own))
    }

    fn list(&mut self, pool: &str) -> Result<Vec<Reservation>, LedgerError> {
        let rows =
            self.client.query(&format!("SELECT {COLUMNS} FROM reservations WHERE pool = $1 ORDER BY seq"), &[&pool])?;
        rows.iter().map(to_reservation).collect()
    }

    fn audit(&mut self, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
        audit_rows(&mut self.client, after, limit)
    }

    fn dump(&mut self) -> Result<Dump, LedgerError> {
        // REPEATABLE READ: one snapshot for the whole dump.
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let mut dump = Dump::default();
        for row in tx.query("SELECT pool, pending_tpp, posted_tpp FROM pools ORDER BY pool", &[])? {
            dump.pools.push((row.get(0), from_sql_amount(row.get(1))?, from_sql_amount(row.get(2))?));
        }
        for row in tx.query(&format!("SELECT {COLUMNS} FROM reservations ORDER BY seq"), &[])? {
            dump.reservations.push(to_reservation(&row)?);
        }
        dump.audit = audit_rows(&mut tx, 0, u64::MAX)?;
        let head = tx.query_one("SELECT audit_seq, audit_hash FROM ledger_head WHERE id = 1", &[])?;
        dump.head = (from_sql_amount(head.get(0))?, head.get(1));
        tx.commit()?;
        Ok(dump)
    }

    fn create_token(&mut self, name: &str, role: Role, hash: &str, at: &str) -> Result<bool, LedgerError> {
        let n = self.client.execute(
            "INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            &[&name, &role.as_str(), &hash, &at],
        )?;
        Ok(n == 1)
    }

    fn list_tokens(&mut self) -> Result<Vec<TokenInfo>, LedgerError> {
        let rows = self.client.query("SELECT name, role, created_at, revoked_at FROM tokens ORDER BY name", &[])?;
        rows.iter()
            .map(|r| token_info(r.try_get(0)?, &r.try_get::<_, String>(1)?, r.try_get(2)?, r.try_get(3)?))
            .collect()
    }

    fn revoke_token(&mut self, name: &str, at: &str) -> Result<bool, LedgerError> {
        Ok(self
            .client
            .execute("UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL", &[&name, &at])?
            == 1)
    }

    fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenInfo>, LedgerError> {
        let row = self
            .client
            .query_opt("SELECT name, role, created_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL", &[&hash])?;
        row.map(|r| token_info(r.try_get(0)?, &r.try_get::<_, String>(1)?, r.try_get(2)?, None)).transpose()
    }

    fn has_tokens(&mut self) -> Result<bool, LedgerError> {
        Ok(self.client.query_one("SELECT EXISTS (SELECT 1 FROM tokens)", &[])?.get(0))
    }

    fn ping(&mut self) -> Result<(), LedgerError> {
        self.client.query_one("SELECT 1", &[])?;
        Ok(())
    }

    fn import_list(&mut self, v: &NewListVersion<'_>, bodies: &[String]) -> Result<ListVersion, LedgerError> {
        let mut tx = self.client.transaction()?;
        // Imports of lists are rare: one at a time across all instances.
        tx.batch_execute("LOCK TABLE list_versions IN EXCLUSIVE MODE")?;
        let version: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0) + 1 FROM list_versions", &[])?.get(0);
        let entries = i64::try_from(bodies.len()).map_err(|_| LedgerError::BadInput("too many entries".to_owned()))?;
        let problems = sql_amount(v.problems)?;
        tx.execute("UPDATE list_versions SET current = 0 WHERE list = $1 AND current = 1", &[&v.list])?;
        tx.execute(
            "INSERT INTO list_versions
                 (version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date, list_date_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)",
            &[
                &version,
                &v.list,
                &v.source_file,
                &v.sha256,
                &entries,
                &problems,
                &v.at,
                &v.actor,
                &v.list_date.map(|d| d.0),
                &v.list_date.map(|d| d.1),
            ],
        )?;
        tx.execute(
            "DELETE FROM list_entries WHERE version IN (SELECT version FROM list_versions WHERE list = $1 AND current = 0)",
            &[&v.list],
        )?;
        // Thousands of rows in a few round trips: arrays unnested server-side.
        for (chunk_no, chunk) in bodies.chunks(5_000).enumerate() {
            let first = i64::try_from(chunk_no * 5_000).unwrap_or(i64::MAX);
            let seqs: Vec<i64> = (0..chunk.len()).map(|i| first + i64::try_from(i).unwrap_or(0)).collect();
            tx.execute(
                "INSERT INTO list_entries (version, seq, body) SELECT $1, s, b FROM unnest($2::bigint[], $3::text[]) AS t(s, b)",
                &[&version, &seqs, &chunk],
            )?;
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
        // REPEATABLE READ: the versions and their entries from one snapshot.
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let versions = list_version_rows(&mut tx, "WHERE current = 1 ORDER BY list")?;
        let rows = tx.query(
            "SELECT e.body FROM list_entries e JOIN list_versions v ON v.version = e.version
             WHERE v.current = 1 ORDER BY v.list, e.seq",
            &[],
        )?;
        let bodies = rows.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok((versions, bodies))
    }

    fn list_versions(&mut self) -> Result<Vec<ListVersion>, LedgerError> {
        list_version_rows(&mut self.client, "ORDER BY version DESC")
    }

    fn add_judgement(&mut self, j: &Judgement) -> Result<(), LedgerError> {
        self.client.execute(
            "INSERT INTO screening_judgements (entry_id, query, verdict, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&j.entry_id, &j.query, &j.verdict, &j.note, &j.actor, &j.at],
        )?;
        Ok(())
    }

    fn judgements(&mut self) -> Result<Vec<Judgement>, LedgerError> {
        let rows = self
            .client
            .query("SELECT entry_id, query, verdict, note, actor, at FROM screening_judgements ORDER BY seq", &[])?;
        rows.iter()
            .map(|r| {
                Ok(Judgement {
                    entry_id: r.try_get(0)?,
                    query: r.try_get(1)?,
                    verdict: r.try_get(2)?,
                    note: r.try_get(3)?,
                    actor: r.try_get(4)?,
                    at: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn add_veu(&mut self, v: &StoredVeu) -> Result<bool, LedgerError> {
        let n = self.client.execute(
            "INSERT INTO veus (id, body, actor, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            &[&v.id, &v.body, &v.actor, &v.at],
        )?;
        Ok(n == 1)
    }

    fn veus(&mut self) -> Result<Vec<StoredVeu>, LedgerError> {
        let rows = self.client.query("SELECT id, body, actor, at FROM veus ORDER BY id", &[])?;
        rows.iter()
            .map(|r| Ok(StoredVeu { id: r.try_get(0)?, body: r.try_get(1)?, actor: r.try_get(2)?, at: r.try_get(3)? }))
            .collect()
    }

    fn append_veu_events(
        &mut self,
        id: &str,
        bodies: &[String],
        actor: &str,
        at: &str,
        check: LogCheck<'_>,
    ) -> Result<u64, LedgerError> {
        let mut tx = self.client.transaction()?;
        // The registration's row lock holds off other appends to this VEU's log, from any instance.
        tx.query_opt("SELECT id FROM veus WHERE id = $1 FOR UPDATE", &[&id])?;
        let mut log = pg_veu_events(&mut tx, id)?;
        log.extend_from_slice(bodies);
        check(&log).map_err(LedgerError::BadInput)?;
        if !bodies.is_empty() {
            tx.execute(
                "INSERT INTO veu_events (veu_id, body, actor, at) SELECT $1, b, $3, $4 FROM unnest($2::text[]) WITH ORDINALITY AS t(b, n) ORDER BY n",
                &[&id, &bodies, &actor, &at],
            )?;
        }
        tx.commit()?;
        Ok(log.len() as u64)
    }

    fn veu_events(&mut self, id: &str) -> Result<Vec<String>, LedgerError> {
        pg_veu_events(&mut self.client, id)
    }

    fn parties(&mut self) -> Result<Vec<StoredParty>, LedgerError> {
        pg_parties(&mut self.client)
    }

    fn change_parties(&mut self, decide: PartyDecide<'_>, meta: &Meta) -> Result<(PartyWrite, u64), LedgerError> {
        let mut tx = self.client.transaction()?;
        // The head lock serializes this change with every movement and every other change.
        lock_head(&mut tx)?;
        let w = decide(&pg_parties(&mut tx)?)?;
        let at = timestamp(meta.at);
        for key in &w.remove {
            tx.execute("DELETE FROM parties WHERE key = $1", &[key])?;
        }
        for (key, body) in &w.store {
            tx.execute(
                "INSERT INTO parties (key, body, actor, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body, actor = excluded.actor, at = excluded.at",
                &[key, body, &meta.actor, &at],
            )?;
        }
        let mut moved = 0;
        for (from, to) in &w.moves {
            let rows = tx.query(
                "SELECT DISTINCT pool FROM reservations WHERE left(pool, length($1)) = $1 ORDER BY pool",
                &[from],
            )?;
            let pools = rows.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<Vec<_>, _>>()?;
            for pool in pools {
                let target = format!("{to}{}", pool.get(from.len()..).unwrap_or_default());
                moved += rekey_in(&mut tx, &pool, &target, &format!("rekeyed from {pool}: {}", w.summary), meta)?;
            }
        }
        append_audit_entry(
            &mut tx,
            &w.action,
            (&w.subject, &format!("party:{}", w.subject), 0),
            Some(&w.summary),
            meta,
        )?;
        tx.commit()?;
        Ok((w, moved))
    }

    fn pool_names(&mut self) -> Result<Vec<String>, LedgerError> {
        let rows = self.client.query("SELECT pool FROM pools ORDER BY pool", &[])?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
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
        self.client.execute("DELETE FROM sessions WHERE expires_at < $1 OR ended_at IS NOT NULL", &[&at])?;
        self.client.execute(
            "INSERT INTO sessions (hash, token, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            &[&hash, &token, &csrf, &at, &expires_at],
        )?;
        Ok(())
    }

    fn session_by_hash(&mut self, hash: &str) -> Result<Option<Session>, LedgerError> {
        let found = self.client.query_opt(
            "SELECT t.name, t.role, t.created_at, s.csrf, s.expires_at FROM sessions s JOIN tokens t ON t.name = s.token
             WHERE s.hash = $1 AND s.ended_at IS NULL AND t.revoked_at IS NULL",
            &[&hash],
        )?;
        found
            .map(|r| session(r.try_get(0)?, &r.try_get::<_, String>(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))
            .transpose()
    }

    fn end_session(&mut self, hash: &str, at: &str) -> Result<bool, LedgerError> {
        Ok(self
            .client
            .execute("UPDATE sessions SET ended_at = $2 WHERE hash = $1 AND ended_at IS NULL", &[&hash, &at])?
            == 1)
    }
}

fn pg_veu_events(c: &mut impl GenericClient, id: &str) -> Result<Vec<String>, LedgerError> {
    let rows = c.query("SELECT body FROM veu_events WHERE veu_id = $1 ORDER BY seq", &[&id])?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

fn audit_rows(c: &mut impl GenericClient, after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
    let rows = c.query(
        "SELECT seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&sql_amount(after)?, &i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: from_sql_amount(r.try_get(0)?)?,
                at: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                reservation: r.try_get(4)?,
                pool: r.try_get(5)?,
                tpp: from_sql_amount(r.try_get(6)?)?,
                reason: r.try_get(7)?,
                prev_hash: r.try_get(8)?,
                hash: r.try_get(9)?,
            })
        })
        .collect()
}

fn list_version_rows(c: &mut impl GenericClient, tail: &str) -> Result<Vec<ListVersion>, LedgerError> {
    let rows = c.query(
        &format!(
            "SELECT version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date, list_date_from
         FROM list_versions {tail}"
        ),
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ListVersion {
                version: from_sql_amount(r.try_get(0)?)?,
                list: r.try_get(1)?,
                source_file: r.try_get(2)?,
                sha256: r.try_get(3)?,
                entries: from_sql_amount(r.try_get(4)?)?,
                problems: from_sql_amount(r.try_get(5)?)?,
                imported_at: r.try_get(6)?,
                actor: r.try_get(7)?,
                current: r.try_get::<_, i32>(8)? == 1,
                list_date: r.try_get(9)?,
                list_date_from: r.try_get(10)?,
            })
        })
        .collect()
}
