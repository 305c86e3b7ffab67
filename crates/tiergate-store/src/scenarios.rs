//! Saved scenarios: each the text of a scenario file (`tiergate scenario new`), by name, with its sha256 and who
//! saved it when. The store does not read the text; it is validated by the core before it is saved. Saves and
//! deletions are audited (`scenario-save`, `scenario-delete`).

use serde::Serialize;

use crate::sql::Sql;
use crate::LedgerError;

/// Most scenarios one ledger keeps.
pub const MAX_SCENARIOS: usize = 1000;

/// One saved scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredScenario {
    pub name: String,
    pub text: String,
    /// The sha256 of `text`.
    pub sha256: String,
    pub actor: String,
    pub at: String,
}

pub(crate) fn add(db: &mut (impl Sql + ?Sized), s: &StoredScenario) -> Result<bool, LedgerError> {
    let n = db.exec(
        "INSERT INTO scenarios (name, text, sha256, actor, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        &[(&s.name).into(), (&s.text).into(), (&s.sha256).into(), (&s.actor).into(), (&s.at).into()],
    )?;
    Ok(n == 1)
}

pub(crate) fn count(db: &mut (impl Sql + ?Sized)) -> Result<usize, LedgerError> {
    let rows = db.rows("SELECT COUNT(*) FROM scenarios", &[])?;
    let n = rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub(crate) fn all(db: &mut (impl Sql + ?Sized)) -> Result<Vec<StoredScenario>, LedgerError> {
    db.rows("SELECT name, text, sha256, actor, at FROM scenarios ORDER BY name", &[])?
        .iter()
        .map(|r| {
            Ok(StoredScenario {
                name: r.text(0)?,
                text: r.text(1)?,
                sha256: r.text(2)?,
                actor: r.text(3)?,
                at: r.text(4)?,
            })
        })
        .collect()
}

pub(crate) fn delete(db: &mut (impl Sql + ?Sized), name: &str) -> Result<bool, LedgerError> {
    Ok(db.exec("DELETE FROM scenarios WHERE name = $1", &[name.into()])? == 1)
}
