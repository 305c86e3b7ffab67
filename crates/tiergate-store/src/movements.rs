//! Every movement of TPP, written once for both backends: reserve, post, void, expire, rekey, and changes to the
//! party registry. Each runs inside a [`Tx`], which holds the ledger's write lock and appends the audit entries.

use time::Date;

use crate::audit::AuditEntry;
use crate::backend::Tx;
use crate::parties::{PartyDecide, PartyWrite, StoredParty};
use crate::sql::{amount, Param, Row, Sql};
use crate::{
    date_text, parse_date, timestamp, LedgerError, Meta, Reservation, ReserveOutcome, ReserveRequest, ReserveStatus,
    State,
};

/// A reservation's columns, in the order [`reservation`] reads them.
pub(crate) const COLUMNS: &str = "id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at";

/// A reservation from a row of [`COLUMNS`].
pub(crate) fn reservation(row: &Row) -> Result<Reservation, LedgerError> {
    let state = row.text(4)?;
    let date = row.text(5)?;
    let bad_date = |d: &str| LedgerError::Corrupt(format!("bad date `{d}`"));
    Ok(Reservation {
        id: row.text(0)?,
        key: row.text(1)?,
        pool: row.text(2)?,
        tpp: row.amount(3)?,
        state: State::parse(&state).ok_or_else(|| LedgerError::Corrupt(format!("unknown state `{state}`")))?,
        date: parse_date(&date).ok_or_else(|| bad_date(&date))?,
        expires: match row.opt_text(6)? {
            None => None,
            Some(e) => Some(parse_date(&e).ok_or_else(|| bad_date(&e))?),
        },
        reason: row.opt_text(7)?,
        actor: row.text(8)?,
        created_at: row.text(9)?,
        updated_at: row.text(10)?,
    })
}

/// Reservations matching `condition` (a `WHERE` clause over `$1`, `$2`, ...), in the order they were made.
pub(crate) fn reservations(
    db: &mut (impl Sql + ?Sized),
    condition: &str,
    params: &[Param<'_>],
) -> Result<Vec<Reservation>, LedgerError> {
    db.rows(&format!("SELECT {COLUMNS} FROM reservations WHERE {condition} ORDER BY seq"), params)?
        .iter()
        .map(reservation)
        .collect()
}

pub(crate) fn by_id(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Option<Reservation>, LedgerError> {
    Ok(reservations(db, "id = $1", &[id.into()])?.into_iter().next())
}

pub(crate) fn by_key(db: &mut (impl Sql + ?Sized), key: &str) -> Result<Option<Reservation>, LedgerError> {
    Ok(reservations(db, "key = $1", &[key.into()])?.into_iter().next())
}

/// Posted TPP, and pending TPP not expired on `date`: the stored pending less the overdue (found by the
/// `reservations_expiring` index, so the cost does not grow with the pool's pending reservations).
pub(crate) fn totals(db: &mut (impl Sql + ?Sized), pool: &str, date: Date) -> Result<(u64, u64), LedgerError> {
    let row = db.one(
        "SELECT COALESCE((SELECT pending_tpp FROM pools WHERE pool = $1), 0),
                COALESCE((SELECT posted_tpp FROM pools WHERE pool = $1), 0),
                CAST(COALESCE((SELECT SUM(tpp) FROM reservations
                               WHERE pool = $1 AND state = 'pending' AND expires IS NOT NULL AND expires < $2), 0)
                     AS BIGINT)",
        &[pool.into(), Param::Text(&date_text(date))],
    )?;
    Ok((row.amount(1)?, row.amount(0)?.saturating_sub(row.amount(2)?)))
}

/// Reads, in one statement, what a reservation needs: any reservation with the key, the pool's pending and
/// posted TPP, and whether the pool has overdue reservations to expire first.
const READ_FOR_RESERVE: &str = "
    SELECT (SELECT id FROM reservations WHERE key = $1),
           (SELECT pending_tpp FROM pools WHERE pool = $2),
           (SELECT posted_tpp FROM pools WHERE pool = $2),
           CASE WHEN EXISTS (SELECT 1 FROM reservations o
                             WHERE o.pool = $2 AND o.state = 'pending' AND o.expires IS NOT NULL AND o.expires < $3)
                THEN 1 ELSE 0 END";

/// One reservation inside an open write transaction; the caller commits.
pub(crate) fn reserve(
    tx: &mut Tx<'_>,
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
    // Expiry is permanent, so it follows the server's clock (`meta.at`), never a client's date alone: a
    // reservation expires here only when it is overdue both on the request's date and today.
    let date = date_text(expiry_day(req.date, meta));
    let read = |db: &mut dyn Sql| db.one(READ_FOR_RESERVE, &[(&req.key).into(), (&req.pool).into(), (&date).into()]);
    let mut row = read(tx.db())?;
    if row.opt_text(0)?.is_some() {
        let existing = by_key(tx.db(), &req.key)?
            .ok_or_else(|| LedgerError::Corrupt("a reservation vanished under lock".into()))?;
        let (posted, pending) = totals(tx.db(), &req.pool, req.date)?;
        let available = cap.saturating_sub(posted).saturating_sub(pending);
        let same = existing.pool == req.pool && existing.tpp == req.tpp && existing.expires == req.expires;
        return Ok(if same {
            outcome(ReserveStatus::Exists, Some(existing.id), available, None)
        } else {
            outcome(ReserveStatus::Rejected, Some(existing.id), available, Some("idempotency_conflict"))
        });
    }
    if row.bool(3)? {
        // Rare: expire first, then read the pool again.
        expire_overdue(tx, &req.pool, expiry_day(req.date, meta), meta)?;
        row = read(tx.db())?;
    }
    let used = row
        .opt_int(1)?
        .map_or(Ok(0), crate::from_sql_amount)?
        .saturating_add(row.opt_int(2)?.map_or(Ok(0), crate::from_sql_amount)?);
    if used.saturating_add(req.tpp) > cap {
        return Ok(outcome(ReserveStatus::Rejected, None, cap.saturating_sub(used), Some("exceeds_allocation")));
    }
    let seq = tx.reservation_seq() + 1;
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
    tx.write_reservation(seq, &r, meta)?;
    Ok(outcome(ReserveStatus::Reserved, Some(r.id), cap.saturating_sub(used).saturating_sub(req.tpp), None))
}

/// The day against which a movement expires overdue reservations: the client's date, but never later than the
/// server's today (`meta.at`), so that a date in the future cannot expire what still holds.
fn expiry_day(date: Date, meta: &Meta) -> Date {
    date.min(meta.at.to_offset(time::UtcOffset::UTC).date())
}

/// Posts or voids a pending reservation. The outer error is the database's (nothing is committed); the inner is
/// the answer, committed either way: a reservation found past its expiry on `date` and today is expired, and
/// reported as not pending.
pub(crate) fn settle(
    tx: &mut Tx<'_>,
    id: &str,
    to: State,
    date: Date,
    meta: &Meta,
) -> Result<Result<Reservation, LedgerError>, LedgerError> {
    let Some(mut r) = by_id(tx.db(), id)? else {
        return Ok(Err(LedgerError::NotFound(format!("reservation `{id}`"))));
    };
    if r.state == to {
        return Ok(Ok(r));
    }
    let action = if to == State::Posted { "posted" } else { "voided" };
    if r.state != State::Pending {
        return Ok(Err(LedgerError::NotPending { id: r.id, state: r.state.as_str(), action }));
    }
    if r.expires.is_some_and(|e| e < expiry_day(date, meta)) {
        let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
        move_to(tx, &mut r, State::Expired, Some(&why), meta)?;
        return Ok(Err(LedgerError::NotPending { id: r.id, state: "expired", action }));
    }
    move_to(tx, &mut r, to, meta.reason.as_deref(), meta)?;
    Ok(Ok(r))
}

/// Moves a pending reservation to `to`, with its pool's balance and an audit entry.
fn move_to(
    tx: &mut Tx<'_>,
    r: &mut Reservation,
    to: State,
    reason: Option<&str>,
    meta: &Meta,
) -> Result<(), LedgerError> {
    let action = match to {
        State::Posted => "post",
        State::Voided => "void",
        State::Expired => "expire",
        State::Pending => return Err(LedgerError::Corrupt("a reservation cannot move back to pending".into())),
    };
    let now = timestamp(meta.at);
    tx.db().exec(
        "UPDATE reservations SET state = $1, updated_at = $2 WHERE id = $3",
        &[to.as_str().into(), (&now).into(), (&r.id).into()],
    )?;
    let posted = if to == State::Posted { r.tpp } else { 0 };
    tx.db().exec(
        "UPDATE pools SET pending_tpp = pending_tpp - $1, posted_tpp = posted_tpp + $2 WHERE pool = $3",
        &[amount(r.tpp)?, amount(posted)?, (&r.pool).into()],
    )?;
    r.state = to;
    r.updated_at = now;
    tx.audit(action, (&r.id, &r.pool, r.tpp), reason, meta)?;
    Ok(())
}

/// Expires every reservation of `pool` pending past its expiry on `date`.
fn expire_overdue(tx: &mut Tx<'_>, pool: &str, date: Date, meta: &Meta) -> Result<(), LedgerError> {
    let overdue = reservations(
        tx.db(),
        "pool = $1 AND state = 'pending' AND expires IS NOT NULL AND expires < $2",
        &[pool.into(), Param::Text(&date_text(date))],
    )?;
    for mut r in overdue {
        let why = format!("past its expiry date {}", r.expires.map(date_text).unwrap_or_default());
        move_to(tx, &mut r, State::Expired, Some(&why), meta)?;
    }
    Ok(())
}

/// Moves every reservation of pool `from` to pool `to`, with its balance, each with a `rekey` audit entry.
pub(crate) fn rekey(tx: &mut Tx<'_>, from: &str, to: &str, why: &str, meta: &Meta) -> Result<u64, LedgerError> {
    let moving = reservations(tx.db(), "pool = $1", &[from.into()])?;
    tx.db().exec(
        "INSERT INTO pools (pool, pending_tpp, posted_tpp) VALUES ($1, 0, 0) ON CONFLICT (pool) DO NOTHING",
        &[to.into()],
    )?;
    let count = u64::try_from(moving.len()).unwrap_or(u64::MAX);
    for mut r in moving {
        let (pending, posted) = match r.state {
            State::Pending => (r.tpp, 0),
            State::Posted => (0, r.tpp),
            State::Voided | State::Expired => (0, 0),
        };
        tx.db().exec(
            "UPDATE reservations SET pool = $1, updated_at = $2 WHERE id = $3",
            &[to.into(), Param::Text(&timestamp(meta.at)), (&r.id).into()],
        )?;
        for (sign, pool) in [("-", from), ("+", to)] {
            tx.db().exec(
                &format!(
                    "UPDATE pools SET pending_tpp = pending_tpp {sign} $1, posted_tpp = posted_tpp {sign} $2 WHERE pool = $3"
                ),
                &[amount(pending)?, amount(posted)?, pool.into()],
            )?;
        }
        r.pool = to.to_owned();
        tx.audit("rekey", (&r.id, &r.pool, r.tpp), Some(why), meta)?;
    }
    tx.db().exec("DELETE FROM pools WHERE pool = $1 AND pending_tpp = 0 AND posted_tpp = 0", &[from.into()])?;
    Ok(count)
}

/// Every registered party, by key.
pub(crate) fn parties(db: &mut (impl Sql + ?Sized)) -> Result<Vec<StoredParty>, LedgerError> {
    db.rows("SELECT key, body, actor, at FROM parties ORDER BY key", &[])?
        .iter()
        .map(|r| Ok(StoredParty { key: r.text(0)?, body: r.text(1)?, actor: r.text(2)?, at: r.text(3)? }))
        .collect()
}

/// Applies a change to the party registry that `decide` makes from every stored party (see
/// [`crate::Store::change_parties`]).
pub(crate) fn change_parties(
    tx: &mut Tx<'_>,
    decide: PartyDecide<'_>,
    meta: &Meta,
) -> Result<(PartyWrite, u64), LedgerError> {
    let w = decide(&parties(tx.db())?)?;
    let at = timestamp(meta.at);
    for key in &w.remove {
        tx.db().exec("DELETE FROM parties WHERE key = $1", &[key.into()])?;
    }
    for (key, body) in &w.store {
        tx.db().exec(
            "INSERT INTO parties (key, body, actor, at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET body = excluded.body, actor = excluded.actor, at = excluded.at",
            &[key.into(), body.into(), (&meta.actor).into(), (&at).into()],
        )?;
    }
    let mut moved = 0;
    for (from, to) in &w.moves {
        let pools = tx.db().rows(
            "SELECT DISTINCT pool FROM reservations
             WHERE substr(pool, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT) ORDER BY pool",
            &[from.into()],
        )?;
        for pool in pools {
            let pool = pool.text(0)?;
            let target = format!("{to}{}", pool.get(from.len()..).unwrap_or_default());
            moved += rekey(tx, &pool, &target, &format!("rekeyed from {pool}: {}", w.summary), meta)?;
        }
    }
    tx.audit(&w.action, (&w.subject, &format!("party:{}", w.subject), 0), Some(&w.summary), meta)?;
    Ok((w, moved))
}

/// The audit entries with `seq > after`, at most `limit`, in order.
pub(crate) fn audit_rows(db: &mut (impl Sql + ?Sized), after: u64, limit: u64) -> Result<Vec<AuditEntry>, LedgerError> {
    let rows = db.rows(
        "SELECT seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash FROM audit
         WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[amount(after)?, Param::Int(i64::try_from(limit).unwrap_or(i64::MAX))],
    )?;
    audit_entries(&rows)
}

/// The audit entries about `pool` (a pool, or what else an entry names there: `determination:ID`, `veu:ID`), in
/// order, at most `limit`.
pub(crate) fn audit_about(
    db: &mut (impl Sql + ?Sized),
    pool: &str,
    after: u64,
    limit: u64,
) -> Result<Vec<AuditEntry>, LedgerError> {
    let rows = db.rows(
        "SELECT seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash FROM audit
         WHERE pool = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        &[
            Param::Text(pool),
            Param::Int(i64::try_from(after).unwrap_or(i64::MAX)),
            Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        ],
    )?;
    audit_entries(&rows)
}

fn audit_entries(rows: &[crate::sql::Row]) -> Result<Vec<AuditEntry>, LedgerError> {
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.amount(0)?,
                at: r.text(1)?,
                actor: r.text(2)?,
                action: r.text(3)?,
                reservation: r.text(4)?,
                pool: r.text(5)?,
                tpp: r.amount(6)?,
                reason: r.opt_text(7)?,
                prev_hash: r.text(8)?,
                hash: r.text(9)?,
            })
        })
        .collect()
}
