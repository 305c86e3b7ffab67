//! What the ledger keeps besides movements, written once for both backends: tokens and sessions, list versions
//! and their entries, screening judgements, VEU registrations and their logs.

use crate::screening::{Judgement, ListVersion, NewListVersion};
use crate::sql::{amount, Param, Row, Sql};
use crate::tokens::{session, token_info, Role, Session, TokenInfo};
use crate::veus::StoredVeu;
use crate::LedgerError;

pub(crate) fn create_token(
    db: &mut (impl Sql + ?Sized),
    name: &str,
    role: Role,
    hash: &str,
    at: &str,
) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
        &[name.into(), role.as_str().into(), hash.into(), at.into()],
    )?;
    Ok(n == 1)
}

pub(crate) fn tokens(db: &mut (impl Sql + ?Sized)) -> Result<Vec<TokenInfo>, LedgerError> {
    db.rows("SELECT name, role, created_at, revoked_at FROM tokens ORDER BY name", &[])?
        .iter()
        .map(|r| token_info(r.text(0)?, &r.text(1)?, r.text(2)?, r.opt_text(3)?))
        .collect()
}

pub(crate) fn revoke_token(db: &mut (impl Sql + ?Sized), name: &str, at: &str) -> Result<bool, LedgerError> {
    Ok(db
        .exec("UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL", &[name.into(), at.into()])?
        == 1)
}

pub(crate) fn token_by_hash(db: &mut (impl Sql + ?Sized), hash: &str) -> Result<Option<TokenInfo>, LedgerError> {
    db.row("SELECT name, role, created_at FROM tokens WHERE hash = $1 AND revoked_at IS NULL", &[hash.into()])?
        .map(|r| token_info(r.text(0)?, &r.text(1)?, r.text(2)?, None))
        .transpose()
}

pub(crate) fn has_tokens(db: &mut (impl Sql + ?Sized)) -> Result<bool, LedgerError> {
    db.one("SELECT CASE WHEN EXISTS (SELECT 1 FROM tokens) THEN 1 ELSE 0 END", &[])?.bool(0)
}

pub(crate) fn create_session(
    db: &mut (impl Sql + ?Sized),
    hash: &str,
    token: &str,
    csrf: &str,
    at: &str,
    expires_at: &str,
) -> Result<(), LedgerError> {
    // Sessions that can no longer be used are of no further use: forget them as new ones are made (found by
    // the expiry index, however many sessions there are).
    db.exec("DELETE FROM sessions WHERE expires_at < $1", &[at.into()])?;
    db.exec(
        "INSERT INTO sessions (hash, token, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[hash.into(), token.into(), csrf.into(), at.into(), expires_at.into()],
    )?;
    // A token keeps its newest sessions only: signing in again and again cannot grow the table.
    db.exec(
        "DELETE FROM sessions WHERE token = $1 AND hash NOT IN
             (SELECT hash FROM sessions WHERE token = $1 ORDER BY created_at DESC, hash LIMIT $2)",
        &[token.into(), Param::Int(MAX_SESSIONS)],
    )?;
    Ok(())
}

/// Live sessions per token; signing in beyond this ends the oldest.
pub const MAX_SESSIONS: i64 = 16;

pub(crate) fn session_by_hash(db: &mut (impl Sql + ?Sized), hash: &str) -> Result<Option<Session>, LedgerError> {
    db.row(
        "SELECT t.name, t.role, t.created_at, s.csrf, s.expires_at FROM sessions s JOIN tokens t ON t.name = s.token
         WHERE s.hash = $1 AND s.ended_at IS NULL AND t.revoked_at IS NULL",
        &[hash.into()],
    )?
    .map(|r| session(r.text(0)?, &r.text(1)?, r.text(2)?, r.text(3)?, r.text(4)?))
    .transpose()
}

/// Ends a session: it is removed (the audit log keeps its sign-out).
pub(crate) fn end_session(db: &mut (impl Sql + ?Sized), hash: &str) -> Result<bool, LedgerError> {
    Ok(db.exec("DELETE FROM sessions WHERE hash = $1", &[hash.into()])? == 1)
}

/// Rows inserted per statement by [`insert_rows`]: well under both databases' limits on parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// Inserts rows of `columns` into `table`, many per statement.
pub(crate) fn insert_rows(
    db: &mut (impl Sql + ?Sized),
    table: &str,
    columns: &[&str],
    rows: &[Vec<Param<'_>>],
) -> Result<(), LedgerError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut params = Vec::with_capacity(chunk.len() * columns.len());
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${}", params.len() + j + 1));
            }
            sql.push(')');
            params.extend_from_slice(row);
        }
        db.exec(&sql, &params)?;
    }
    Ok(())
}

/// Stores a list version with its entries and makes it current; the caller holds the write lock.
pub(crate) fn import_list(
    db: &mut (impl Sql + ?Sized),
    v: &NewListVersion<'_>,
    bodies: &[String],
) -> Result<ListVersion, LedgerError> {
    let version = db.one("SELECT COALESCE(MAX(version), 0) + 1 FROM list_versions", &[])?.amount(0)?;
    let entries = u64::try_from(bodies.len()).map_err(|_| LedgerError::BadInput("too many entries".to_owned()))?;
    db.exec("UPDATE list_versions SET current = 0 WHERE list = $1 AND current = 1", &[v.list.into()])?;
    db.exec(
        "INSERT INTO list_versions
             (version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date, list_date_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)",
        &[
            amount(version)?,
            v.list.into(),
            v.source_file.into(),
            v.sha256.into(),
            amount(entries)?,
            amount(v.problems)?,
            v.at.into(),
            v.actor.into(),
            v.list_date.map(|d| d.0).into(),
            v.list_date.map(|d| d.1).into(),
        ],
    )?;
    db.exec(
        "DELETE FROM list_entries WHERE version IN (SELECT version FROM list_versions WHERE list = $1 AND current = 0)",
        &[v.list.into()],
    )?;
    let rows = bodies
        .iter()
        .enumerate()
        .map(|(seq, body)| Ok(vec![amount(version)?, amount(seq as u64)?, body.into()]))
        .collect::<Result<Vec<_>, LedgerError>>()?;
    insert_rows(db, "list_entries", &["version", "seq", "body"], &rows)?;
    Ok(ListVersion {
        version,
        list: v.list.to_owned(),
        source_file: v.source_file.to_owned(),
        sha256: v.sha256.to_owned(),
        entries,
        problems: v.problems,
        imported_at: v.at.to_owned(),
        list_date: v.list_date.map(|d| d.0.to_owned()),
        list_date_from: v.list_date.map(|d| d.1.to_owned()),
        actor: v.actor.to_owned(),
        current: true,
    })
}

/// The current version of every list and all their entries; the caller reads them in one snapshot.
pub(crate) fn current_lists(db: &mut (impl Sql + ?Sized)) -> Result<(Vec<ListVersion>, Vec<String>), LedgerError> {
    let versions = list_versions(db, "WHERE current = 1 ORDER BY list")?;
    let bodies = db
        .rows(
            "SELECT e.body FROM list_entries e JOIN list_versions v ON v.version = e.version
             WHERE v.current = 1 ORDER BY v.list, e.seq",
            &[],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    Ok((versions, bodies))
}

pub(crate) fn list_versions(db: &mut (impl Sql + ?Sized), tail: &str) -> Result<Vec<ListVersion>, LedgerError> {
    db.rows(
        &format!(
            "SELECT version, list, source_file, sha256, entries, problems, imported_at, actor, current, list_date,
                    list_date_from
             FROM list_versions {tail}"
        ),
        &[],
    )?
    .iter()
    .map(list_version)
    .collect()
}

fn list_version(r: &Row) -> Result<ListVersion, LedgerError> {
    Ok(ListVersion {
        version: r.amount(0)?,
        list: r.text(1)?,
        source_file: r.text(2)?,
        sha256: r.text(3)?,
        entries: r.amount(4)?,
        problems: r.amount(5)?,
        imported_at: r.text(6)?,
        actor: r.text(7)?,
        current: r.int(8)? == 1,
        list_date: r.opt_text(9)?,
        list_date_from: r.opt_text(10)?,
    })
}

pub(crate) fn add_judgement(db: &mut (impl Sql + ?Sized), j: &Judgement) -> Result<(), LedgerError> {
    db.exec(
        "INSERT INTO screening_judgements (entry_id, query, verdict, note, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            (&j.entry_id).into(),
            (&j.query).into(),
            (&j.verdict).into(),
            (&j.note).into(),
            (&j.actor).into(),
            (&j.at).into(),
        ],
    )?;
    Ok(())
}

pub(crate) fn judgements(db: &mut (impl Sql + ?Sized)) -> Result<Vec<Judgement>, LedgerError> {
    db.rows("SELECT entry_id, query, verdict, note, actor, at FROM screening_judgements ORDER BY seq", &[])?
        .iter()
        .map(|r| {
            Ok(Judgement {
                entry_id: r.text(0)?,
                query: r.text(1)?,
                verdict: r.text(2)?,
                note: r.opt_text(3)?,
                actor: r.text(4)?,
                at: r.text(5)?,
            })
        })
        .collect()
}

pub(crate) fn add_veu(db: &mut (impl Sql + ?Sized), v: &StoredVeu) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO veus (id, body, actor, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        &[(&v.id).into(), (&v.body).into(), (&v.actor).into(), (&v.at).into()],
    )?;
    Ok(n == 1)
}

pub(crate) fn veus(db: &mut (impl Sql + ?Sized)) -> Result<Vec<StoredVeu>, LedgerError> {
    db.rows("SELECT id, body, actor, at FROM veus ORDER BY id", &[])?
        .iter()
        .map(|r| Ok(StoredVeu { id: r.text(0)?, body: r.text(1)?, actor: r.text(2)?, at: r.text(3)? }))
        .collect()
}

pub(crate) fn add_veu_applicant(db: &mut (impl Sql + ?Sized), v: &StoredVeu) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO veu_applicants (id, body, actor, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        &[(&v.id).into(), (&v.body).into(), (&v.actor).into(), (&v.at).into()],
    )?;
    Ok(n == 1)
}

pub(crate) fn veu_applicants(db: &mut (impl Sql + ?Sized)) -> Result<Vec<StoredVeu>, LedgerError> {
    db.rows("SELECT id, body, actor, at FROM veu_applicants ORDER BY id", &[])?
        .iter()
        .map(|r| Ok(StoredVeu { id: r.text(0)?, body: r.text(1)?, actor: r.text(2)?, at: r.text(3)? }))
        .collect()
}

pub(crate) fn add_veu_evidence(
    db: &mut (impl Sql + ?Sized),
    id: &str,
    e: &crate::StoredEvidence,
) -> Result<(), LedgerError> {
    db.exec(
        "INSERT INTO veu_evidence (veu_id, body, actor, at) VALUES ($1, $2, $3, $4)",
        &[id.into(), (&e.body).into(), (&e.actor).into(), (&e.at).into()],
    )?;
    Ok(())
}

pub(crate) fn veu_evidence(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Vec<crate::StoredEvidence>, LedgerError> {
    db.rows("SELECT body, actor, at FROM veu_evidence WHERE veu_id = $1 ORDER BY seq", &[id.into()])?
        .iter()
        .map(|r| Ok(crate::StoredEvidence { body: r.text(0)?, actor: r.text(1)?, at: r.text(2)? }))
        .collect()
}

pub(crate) fn issue_veu_report(
    db: &mut (impl Sql + ?Sized),
    id: &str,
    r: &crate::IssuedReport,
) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO veu_reports (veu_id, period, sha256, actor, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (veu_id, period) DO NOTHING",
        &[id.into(), (&r.period).into(), (&r.sha256).into(), (&r.actor).into(), (&r.at).into()],
    )?;
    Ok(n == 1)
}

pub(crate) fn veu_reports(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Vec<crate::IssuedReport>, LedgerError> {
    db.rows("SELECT period, sha256, actor, at FROM veu_reports WHERE veu_id = $1 ORDER BY period", &[id.into()])?
        .iter()
        .map(|r| Ok(crate::IssuedReport { period: r.text(0)?, sha256: r.text(1)?, actor: r.text(2)?, at: r.text(3)? }))
        .collect()
}

/// How many events VEU `id`'s log holds.
pub(crate) fn veu_event_count(db: &mut (impl Sql + ?Sized), id: &str) -> Result<u64, LedgerError> {
    let rows = db.rows("SELECT COUNT(*) FROM veu_events WHERE veu_id = $1", &[id.into()])?;
    let n = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn veu_events(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Vec<String>, LedgerError> {
    db.rows("SELECT body FROM veu_events WHERE veu_id = $1 ORDER BY seq", &[id.into()])?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

/// Appends events to a VEU's log, in order; the caller holds the write lock.
pub(crate) fn append_veu_events(
    db: &mut (impl Sql + ?Sized),
    id: &str,
    bodies: &[String],
    actor: &str,
    at: &str,
) -> Result<(), LedgerError> {
    let rows: Vec<Vec<Param<'_>>> = bodies.iter().map(|b| vec![id.into(), b.into(), actor.into(), at.into()]).collect();
    insert_rows(db, "veu_events", &["veu_id", "body", "actor", "at"], &rows)
}

pub(crate) fn pool_names(db: &mut (impl Sql + ?Sized)) -> Result<Vec<String>, LedgerError> {
    db.rows("SELECT pool FROM pools ORDER BY pool", &[])?.iter().map(|r| r.text(0)).collect()
}
