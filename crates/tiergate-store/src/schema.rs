//! The schema both backends migrate to, written once: the migrations spell the two column types the backends
//! name differently as `{int64}` (SQLite `INTEGER`, PostgreSQL `BIGINT`) and `{serial}`, the type of a key the
//! database numbers itself (SQLite `INTEGER`, which does so as a `PRIMARY KEY`; PostgreSQL `BIGSERIAL`), which
//! each backend fills in as it migrates.

use crate::LedgerError;

/// How a backend spells the column types the migrations leave open.
pub(crate) struct Types {
    pub int64: &'static str,
    pub serial: &'static str,
}

/// The migrations after version `current`, in order, as a backend with `types` runs them; an error when the
/// database is at a newer version than this build knows.
pub(crate) fn pending(current: i64, types: &Types) -> Result<Vec<(i64, String)>, LedgerError> {
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(LedgerError::Database(format!(
            "the database is at schema version {current}, newer than this build's {newest}"
        )));
    }
    Ok(MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > current)
        .map(|(v, sql)| (*v, sql.replace("{int64}", types.int64).replace("{serial}", types.serial)))
        .collect())
}

/// Versioned migrations, applied in order on open.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE ledger_head (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         audit_seq {int64} NOT NULL,
         audit_hash TEXT NOT NULL,
         reservation_seq {int64} NOT NULL
     );
     INSERT INTO ledger_head (id, audit_seq, audit_hash, reservation_seq)
         VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
     CREATE TABLE pools (
         pool TEXT PRIMARY KEY,
         pending_tpp {int64} NOT NULL CHECK (pending_tpp >= 0),
         posted_tpp {int64} NOT NULL CHECK (posted_tpp >= 0)
     );
     CREATE TABLE reservations (
         seq {int64} PRIMARY KEY,
         id TEXT NOT NULL UNIQUE,
         key TEXT NOT NULL UNIQUE,
         pool TEXT NOT NULL,
         tpp {int64} NOT NULL CHECK (tpp > 0),
         state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')),
         date TEXT NOT NULL,
         expires TEXT,
         reason TEXT,
         actor TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
     );
     CREATE INDEX reservations_by_pool ON reservations (pool, state);
     CREATE TABLE audit (
         seq {int64} PRIMARY KEY,
         at TEXT NOT NULL,
         actor TEXT NOT NULL,
         action TEXT NOT NULL,
         reservation TEXT NOT NULL,
         pool TEXT NOT NULL,
         tpp {int64} NOT NULL,
         reason TEXT,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL
     );",
),
    (
        2,
        // Overdue reservations are found by this index alone, however many pending ones a pool holds.
        "CREATE INDEX reservations_expiring ON reservations (pool, expires) WHERE state = 'pending' AND expires IS NOT NULL;",
    ),
    (
        3,
        "CREATE TABLE tokens (
             name TEXT PRIMARY KEY,
             role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'officer', 'admin')),
             hash TEXT NOT NULL UNIQUE,
             created_at TEXT NOT NULL,
             revoked_at TEXT
         );",
    ),
    (
        4,
        "CREATE TABLE list_versions (
             version {int64} PRIMARY KEY,
             list TEXT NOT NULL,
             source_file TEXT NOT NULL,
             sha256 TEXT NOT NULL,
             entries {int64} NOT NULL,
             problems {int64} NOT NULL,
             imported_at TEXT NOT NULL,
             actor TEXT NOT NULL,
             current INTEGER NOT NULL CHECK (current IN (0, 1))
         );
         CREATE UNIQUE INDEX list_versions_current ON list_versions (list) WHERE current = 1;
         CREATE TABLE list_entries (
             version {int64} NOT NULL REFERENCES list_versions (version),
             seq {int64} NOT NULL,
             body TEXT NOT NULL,
             PRIMARY KEY (version, seq)
         );
         CREATE TABLE screening_judgements (
             seq {serial} PRIMARY KEY,
             entry_id TEXT NOT NULL,
             query TEXT NOT NULL,
             verdict TEXT NOT NULL CHECK (verdict IN ('false_positive', 'true_match')),
             note TEXT,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );",
    ),
    (
        5,
        "CREATE TABLE veus (
             id TEXT PRIMARY KEY,
             body TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );
         CREATE TABLE veu_events (
             seq {serial} PRIMARY KEY,
             veu_id TEXT NOT NULL REFERENCES veus (id),
             body TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );
         CREATE INDEX veu_events_by_veu ON veu_events (veu_id, seq);",
    ),
    (
        6,
        "CREATE TABLE sessions (
             hash TEXT PRIMARY KEY,
             token TEXT NOT NULL REFERENCES tokens (name),
             csrf TEXT NOT NULL,
             created_at TEXT NOT NULL,
             expires_at TEXT NOT NULL,
             ended_at TEXT
         );",
    ),
    (
        7,
        // The party registry: each party's body (the wire crate's JSON) under its party key.
        "CREATE TABLE parties (
             key TEXT PRIMARY KEY,
             body TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );",
    ),
    (
        8,
        // A list version's own date (YYYY-MM-DD), as given at import or the newest date among its entries, and
        // which of the two it is.
        "ALTER TABLE list_versions ADD COLUMN list_date TEXT;
         ALTER TABLE list_versions ADD COLUMN list_date_from TEXT;",
    ),
    (
        9,
        // The ledger's id, which its audit key file names (see audit_key.rs).
        "ALTER TABLE ledger_head ADD COLUMN ledger_id TEXT;",
    ),
    (
        10,
        // Expired sessions are found without a scan; a token's sessions in the order they were made.
        "DELETE FROM sessions WHERE ended_at IS NOT NULL;
         CREATE INDEX sessions_by_expiry ON sessions (expires_at);
         CREATE INDEX sessions_by_token ON sessions (token, created_at);",
    ),
    (
        11,
        // Recorded determinations, whole (determinations.rs).
        "CREATE TABLE determinations (
             seq {serial} PRIMARY KEY,
             id TEXT NOT NULL UNIQUE,
             at TEXT NOT NULL,
             actor TEXT NOT NULL,
             date TEXT NOT NULL,
             destination TEXT NOT NULL,
             item TEXT NOT NULL,
             authorization_code TEXT NOT NULL,
             pack TEXT NOT NULL,
             sha256 TEXT NOT NULL,
             request TEXT NOT NULL,
             answer TEXT NOT NULL
         );
         CREATE INDEX determinations_by_destination ON determinations (destination, seq);
         CREATE INDEX determinations_by_date ON determinations (date);",
    ),
    (
        12,
        // Saved scenarios (scenarios.rs).
        "CREATE TABLE scenarios (
             name TEXT PRIMARY KEY,
             text TEXT NOT NULL,
             sha256 TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );",
    ),
    (
        13,
        // The audit entries about one thing (a pool, `determination:ID`), in order: a memo's audit entry, a pool's
        // history.
        "CREATE INDEX audit_by_pool ON audit (pool, seq);",
    ),
    (
        14,
        // Recorded determinations as cases (determinations.rs): a status, the parties named (for finding them),
        // and the notes and status changes attached, each also audited.
        "ALTER TABLE determinations ADD COLUMN status TEXT NOT NULL DEFAULT 'draft';
         ALTER TABLE determinations ADD COLUMN parties TEXT NOT NULL DEFAULT '';
         CREATE INDEX determinations_by_status ON determinations (status, seq);
         CREATE TABLE determination_notes (
             seq {serial} PRIMARY KEY,
             id TEXT NOT NULL,
             at TEXT NOT NULL,
             actor TEXT NOT NULL,
             status TEXT,
             text TEXT NOT NULL
         );
         CREATE INDEX determination_notes_by_id ON determination_notes (id, seq);",
    ),
    (
        15,
        // VEU readiness (veus.rs): applicants (registrations not yet granted, kept apart from the registry that
        // determinations rely on) and evidence recorded against Supp. No. 10's requirements, append-only.
        "CREATE TABLE veu_applicants (
             id TEXT PRIMARY KEY,
             body TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );
         CREATE TABLE veu_evidence (
             seq {serial} PRIMARY KEY,
             veu_id TEXT NOT NULL,
             body TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL
         );
         CREATE INDEX veu_evidence_by_veu ON veu_evidence (veu_id, seq);",
    ),
    (
        16,
        // Semi-annual reports issued (filed with BIS), one per VEU and half-year, with the sha256 of the report as
        // issued: a facility-log event dated in an issued half-year is refused.
        "CREATE TABLE veu_reports (
             veu_id TEXT NOT NULL,
             period TEXT NOT NULL,
             sha256 TEXT NOT NULL,
             actor TEXT NOT NULL,
             at TEXT NOT NULL,
             PRIMARY KEY (veu_id, period)
         );",
    ),
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_type_is_filled_in_and_a_newer_database_is_refused() {
        let types = Types { int64: "BIGINT", serial: "BIGSERIAL" };
        let all = pending(0, &types).unwrap();
        assert_eq!(all.iter().map(|(v, _)| *v).collect::<Vec<_>>(), (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>());
        assert!(all.iter().all(|(_, sql)| !sql.contains('{')), "a placeholder left unfilled");
        assert!(all.iter().any(|(_, sql)| sql.contains("seq BIGSERIAL PRIMARY KEY")));
        assert!(pending(MIGRATIONS.len() as i64, &types).unwrap().is_empty());
        assert!(matches!(pending(MIGRATIONS.len() as i64 + 1, &types), Err(LedgerError::Database(_))));
    }
}
