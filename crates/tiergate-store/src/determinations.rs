//! Recorded determinations, kept whole: the request and the answer as JSON (the answer holds the regime pack and
//! its sha256, the lists screened with their versions, and the reservation recorded), with who recorded it and
//! when, and a few columns to find it by. The store does not read the JSON. Each is also a case with a status
//! (`draft` when recorded; tiergate-core's `case` decides the moves) and notes, every change audited.

use serde::Serialize;

use crate::sql::{amount, Param, Row, Sql};
use crate::LedgerError;

/// One recorded determination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StoredDetermination {
    /// The order of recording (a cursor for listings).
    pub seq: u64,
    /// The request's id.
    pub id: String,
    /// When it was recorded (RFC 3339, UTC).
    pub at: String,
    /// Who recorded it.
    pub actor: String,
    /// The request's date, `YYYY-MM-DD`.
    pub date: String,
    /// The destination's ISO code.
    pub destination: String,
    /// The item as requested (a catalog id, or `spec`, `weights`).
    pub item: String,
    /// The answer's authorization (`LICENSE`, `LPP`, ...).
    pub authorization: String,
    /// The case's status: `draft`, `approved`, `shipped` or `withdrawn`.
    pub status: String,
    /// The rule pack that answered, and its sha256.
    pub pack: String,
    pub sha256: String,
    /// The request, as JSON.
    #[schema(value_type = Object)]
    #[serde(serialize_with = "raw_json")]
    pub request: String,
    /// The answer line, as JSON.
    #[schema(value_type = Object)]
    #[serde(serialize_with = "raw_json")]
    pub answer: String,
    /// The names of the consignee and its ultimate parent, lower case, one per line: what a search by party
    /// reads (not shown).
    #[serde(skip)]
    pub parties: String,
}

/// A recorded determination with its case's notes and status changes, as `determinations show` and
/// `GET /v1/determinations/{id}` give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Case {
    #[serde(flatten)]
    pub determination: StoredDetermination,
    /// Notes and status changes, oldest first.
    pub notes: Vec<CaseNote>,
}

/// A note on a case, or a change of its status (with the note that came with it, if any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseNote {
    pub seq: u64,
    /// The determination's id.
    #[serde(skip)]
    pub id: String,
    pub at: String,
    pub actor: String,
    /// The status the case moved to; absent for a note alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub text: String,
}

/// Stored JSON written as JSON, not as a string of it.
fn raw_json<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_str(text),
    }
}

/// Which recorded determinations to list: each filter given must hold; `after` is the cursor (the last `seq`
/// of the previous page).
#[derive(Clone, Debug, Default)]
pub struct DeterminationFilter {
    pub destination: Option<String>,
    pub authorization: Option<String>,
    pub item: Option<String>,
    /// Request dates from and to, inclusive, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The case's status.
    pub status: Option<String>,
    /// Ids starting with this.
    pub id_prefix: Option<String>,
    /// A consignee or ultimate parent whose name contains this (any case).
    pub party: Option<String>,
    pub after: u64,
    pub limit: u64,
}

/// (`authorization` is a reserved word in PostgreSQL: the column is `authorization_code`.)
const COLUMNS: &str =
    "seq, id, at, actor, date, destination, item, authorization_code, pack, sha256, request, answer, status, parties";

fn determination(r: &Row) -> Result<StoredDetermination, LedgerError> {
    Ok(StoredDetermination {
        seq: r.amount(0)?,
        id: r.text(1)?,
        at: r.text(2)?,
        actor: r.text(3)?,
        date: r.text(4)?,
        destination: r.text(5)?,
        item: r.text(6)?,
        authorization: r.text(7)?,
        pack: r.text(8)?,
        sha256: r.text(9)?,
        request: r.text(10)?,
        answer: r.text(11)?,
        status: r.text(12)?,
        parties: r.text(13)?,
    })
}

/// Stores a determination unless one with its id is stored; whether it was. The caller holds the write lock.
pub(crate) fn insert(db: &mut (impl Sql + ?Sized), d: &StoredDetermination) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO determinations
             (id, at, actor, date, destination, item, authorization_code, pack, sha256, request, answer, status, parties)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', $12) ON CONFLICT (id) DO NOTHING",
        &[
            (&d.id).into(),
            (&d.at).into(),
            (&d.actor).into(),
            (&d.date).into(),
            (&d.destination).into(),
            (&d.item).into(),
            (&d.authorization).into(),
            (&d.pack).into(),
            (&d.sha256).into(),
            (&d.request).into(),
            (&d.answer).into(),
            (&d.parties).into(),
        ],
    )?;
    Ok(n == 1)
}

pub(crate) fn by_id(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Option<StoredDetermination>, LedgerError> {
    db.row(&format!("SELECT {COLUMNS} FROM determinations WHERE id = $1"), &[id.into()])?
        .as_ref()
        .map(determination)
        .transpose()
}

pub(crate) fn list(
    db: &mut (impl Sql + ?Sized),
    f: &DeterminationFilter,
) -> Result<Vec<StoredDetermination>, LedgerError> {
    let mut sql = format!("SELECT {COLUMNS} FROM determinations WHERE seq > $1");
    let mut params: Vec<Param<'_>> = vec![amount(f.after)?];
    for (column, op, value) in [
        ("destination", "=", &f.destination),
        ("authorization_code", "=", &f.authorization),
        ("item", "=", &f.item),
        ("date", ">=", &f.from),
        ("date", "<=", &f.to),
        ("status", "=", &f.status),
    ] {
        if let Some(v) = value {
            params.push(v.into());
            sql.push_str(&format!(" AND {column} {op} ${}", params.len()));
        }
    }
    let prefix = f.id_prefix.as_deref().map(|p| format!("{}%", like_escaped(p)));
    if let Some(p) = &prefix {
        params.push(p.as_str().into());
        sql.push_str(&format!(" AND id LIKE ${} ESCAPE '\\'", params.len()));
    }
    // Determinations recorded before parties were kept are found by their request's text.
    let party = f.party.as_deref().map(|p| format!("%{}%", like_escaped(&p.to_lowercase())));
    if let Some(p) = &party {
        params.push(p.as_str().into());
        let n = params.len();
        sql.push_str(&format!(
            " AND (parties LIKE ${n} ESCAPE '\\' OR (parties = '' AND LOWER(request) LIKE ${n} ESCAPE '\\'))"
        ));
    }
    params.push(Param::Int(i64::try_from(f.limit).unwrap_or(i64::MAX)));
    sql.push_str(&format!(" ORDER BY seq LIMIT ${}", params.len()));
    db.rows(&sql, &params)?.iter().map(determination).collect()
}

/// `text` with LIKE's wildcards and its escape character taken literally (escape `\`).
fn like_escaped(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// The case's status, when a determination is recorded as `id`.
pub(crate) fn status_of(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Option<String>, LedgerError> {
    db.row("SELECT status FROM determinations WHERE id = $1", &[id.into()])?.map(|r| r.text(0)).transpose()
}

pub(crate) fn set_status(db: &mut (impl Sql + ?Sized), id: &str, status: &str) -> Result<(), LedgerError> {
    db.exec("UPDATE determinations SET status = $1 WHERE id = $2", &[status.into(), id.into()])?;
    Ok(())
}

pub(crate) fn insert_note(db: &mut (impl Sql + ?Sized), n: &CaseNote) -> Result<(), LedgerError> {
    let status = n.status.as_deref().map_or(Param::Null, Param::Text);
    db.exec(
        "INSERT INTO determination_notes (id, at, actor, status, text) VALUES ($1, $2, $3, $4, $5)",
        &[(&n.id).into(), (&n.at).into(), (&n.actor).into(), status, (&n.text).into()],
    )?;
    Ok(())
}

/// A case's notes and status changes, in order.
pub(crate) fn notes(db: &mut (impl Sql + ?Sized), id: &str) -> Result<Vec<CaseNote>, LedgerError> {
    db.rows(
        "SELECT seq, id, at, actor, status, text FROM determination_notes WHERE id = $1 ORDER BY seq",
        &[id.into()],
    )?
    .iter()
    .map(|r| {
        Ok(CaseNote {
            seq: r.amount(0)?,
            id: r.text(1)?,
            at: r.text(2)?,
            actor: r.text(3)?,
            status: r.opt_text(4)?,
            text: r.text(5)?,
        })
    })
    .collect()
}
