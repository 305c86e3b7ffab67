//! The VEU registry and facility logs as stored. Registrations and log events are kept as the JSON the wire crate
//! writes (`body`), with who stored them and when; the store does not read them. What may be registered and
//! whether a log adds up are decided by the core before anything is written (see [`crate::Ledger::log_veu_events`]).

use serde::Serialize;

/// One stored registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredVeu {
    pub id: String,
    pub body: String,
    pub actor: String,
    pub at: String,
}

/// One piece of readiness evidence as stored (its body is the wire crate's JSON), with who recorded it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredEvidence {
    pub body: String,
    pub actor: String,
    pub at: String,
}

/// A semi-annual report as issued: its half-year (`2025H1`), the sha256 of the report's JSON, who and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuedReport {
    pub period: String,
    pub sha256: String,
    pub actor: String,
    pub at: String,
}

/// Decides whether a VEU's whole log (stored events, then the new ones, as JSON bodies) may be stored, given the
/// reports issued for it (both read in the append's own transaction).
pub type LogCheck<'a> = &'a dyn Fn(&[String], &[IssuedReport]) -> Result<(), String>;
