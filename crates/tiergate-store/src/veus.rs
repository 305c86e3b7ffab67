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

/// Decides whether a VEU's whole log (stored events, then the new ones, as JSON bodies) may be stored.
pub type LogCheck<'a> = &'a dyn Fn(&[String]) -> Result<(), String>;
