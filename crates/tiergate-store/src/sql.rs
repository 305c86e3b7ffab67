//! The one query layer both backends serve: statements written once, in PostgreSQL's `$1` spelling (the SQLite
//! backend reads `$n` as `?n`), with parameters and cells of the three kinds the schema uses.

use crate::audit::AuditEntry;
use crate::{from_sql_amount, sql_amount, LedgerError, Reservation};

/// A statement parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(s: &'a str) -> Param<'a> {
        Param::Text(s)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(s: &'a String) -> Param<'a> {
        Param::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(s: Option<&'a str>) -> Param<'a> {
        s.map_or(Param::Null, Param::Text)
    }
}

impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(s: &'a Option<String>) -> Param<'a> {
        s.as_deref().map_or(Param::Null, Param::Text)
    }
}

impl From<i64> for Param<'_> {
    fn from(n: i64) -> Self {
        Param::Int(n)
    }
}

/// An amount as a parameter: an error when it does not fit SQL's signed 64-bit integers.
pub(crate) fn amount<'a>(n: u64) -> Result<Param<'a>, LedgerError> {
    Ok(Param::Int(sql_amount(n)?))
}

/// A cell read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// A row read back, with typed getters whose errors name the column's position.
#[derive(Clone, Debug, Default)]
pub(crate) struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell, LedgerError> {
        self.0.get(i).ok_or_else(|| LedgerError::Corrupt(format!("a row has no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64, LedgerError> {
        match self.cell(i)? {
            Cell::Int(n) => Ok(*n),
            other => Err(LedgerError::Corrupt(format!("column {i} holds {other:?}, not a number"))),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, LedgerError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    /// A non-negative amount.
    pub fn amount(&self, i: usize) -> Result<u64, LedgerError> {
        from_sql_amount(self.int(i)?)
    }

    pub fn text(&self, i: usize) -> Result<String, LedgerError> {
        match self.cell(i)? {
            Cell::Text(s) => Ok(s.clone()),
            other => Err(LedgerError::Corrupt(format!("column {i} holds {other:?}, not text"))),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, LedgerError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn bool(&self, i: usize) -> Result<bool, LedgerError> {
        Ok(self.int(i)? != 0)
    }
}

/// A connection or an open transaction of either backend.
pub(crate) trait Sql {
    /// Runs a statement; how many rows it changed.
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, LedgerError>;
    /// Runs a query; every row.
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, LedgerError>;

    /// The first row, if any.
    fn row(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, LedgerError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    /// The one row a query always answers (an aggregate, the ledger head).
    fn one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, LedgerError> {
        self.row(sql, params)?.ok_or_else(|| LedgerError::Corrupt(format!("no row for `{}`", first_words(sql))))
    }

    /// Writes a new pending reservation: its pool's pending TPP, the reservation at sequence number `seq`, its
    /// audit entry and the ledger head, all inside the caller's write transaction. A backend may do it in fewer
    /// round trips; what is written is decided by the caller.
    fn write_reservation(&mut self, seq: u64, r: &Reservation, entry: &AuditEntry) -> Result<(), LedgerError> {
        self.exec(
            "INSERT INTO pools (pool, pending_tpp, posted_tpp) VALUES ($1, $2, 0)
             ON CONFLICT (pool) DO UPDATE SET pending_tpp = pools.pending_tpp + excluded.pending_tpp",
            &[(&r.pool).into(), amount(r.tpp)?],
        )?;
        self.exec(
            "INSERT INTO reservations (seq, id, key, pool, tpp, state, date, expires, reason, actor, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                amount(seq)?,
                (&r.id).into(),
                (&r.key).into(),
                (&r.pool).into(),
                amount(r.tpp)?,
                r.state.as_str().into(),
                Param::Text(&crate::date_text(r.date)),
                r.expires.map(crate::date_text).as_deref().into(),
                (&r.reason).into(),
                (&r.actor).into(),
                (&r.created_at).into(),
                (&r.updated_at).into(),
            ],
        )?;
        self.exec("UPDATE ledger_head SET reservation_seq = $1 WHERE id = 1", &[amount(seq)?])?;
        write_audit_entry(self, entry)
    }
}

/// Writes an audit entry and moves the ledger head to it.
pub(crate) fn write_audit_entry<S: Sql + ?Sized>(db: &mut S, e: &AuditEntry) -> Result<(), LedgerError> {
    db.exec(
        "INSERT INTO audit (seq, at, actor, action, reservation, pool, tpp, reason, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            amount(e.seq)?,
            (&e.at).into(),
            (&e.actor).into(),
            (&e.action).into(),
            (&e.reservation).into(),
            (&e.pool).into(),
            amount(e.tpp)?,
            (&e.reason).into(),
            (&e.prev_hash).into(),
            (&e.hash).into(),
        ],
    )?;
    db.exec(
        "UPDATE ledger_head SET audit_seq = $1, audit_hash = $2 WHERE id = 1",
        &[amount(e.seq)?, (&e.hash).into()],
    )?;
    Ok(())
}

/// The start of a statement, for an error message.
fn first_words(sql: &str) -> String {
    sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ")
}
