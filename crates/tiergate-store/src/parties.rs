//! The party registry as stored. Each party is kept as the JSON the wire crate writes (`body`) under its party
//! key, with who stored it and when; the store does not read bodies. What may change is decided by the caller's
//! `decide`, run inside the transaction that applies it (see [`crate::Store::change_parties`]).

use serde::Serialize;

use crate::LedgerError;

/// One stored party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredParty {
    pub key: String,
    pub body: String,
    pub actor: String,
    pub at: String,
}

/// A change to the registry, as `decide` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyWrite {
    /// The audit action: `party-add`, `party-alias`, `party-set`, `party-owner`, `party-merge`.
    pub action: String,
    /// The key of the party changed (after a merge, the one that remains); the audit entry's subject.
    pub subject: String,
    /// The audit entry's reason, and the reason of each `rekey` entry of a pool moved.
    pub summary: String,
    /// Parties to store whole: (key, body).
    pub store: Vec<(String, String)>,
    /// Parties to remove, by key.
    pub remove: Vec<String>,
    /// Pools to move by name prefix: every pool whose name starts with the first moves to the name with the
    /// second in its place (`lpp:kl cloud:` → `lpp:kl compute:`, every year).
    pub moves: Vec<(String, String)>,
}

/// Decides a change from every stored party, or refuses it.
pub type PartyDecide<'a> = &'a dyn Fn(&[StoredParty]) -> Result<PartyWrite, LedgerError>;
