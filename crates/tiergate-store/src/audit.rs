//! The hash-chained audit log: each entry commits to the one before it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One movement: who, when, what and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    /// When it was recorded (RFC 3339, UTC).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What: `reserve`, `post`, `void` or `expire`.
    pub action: String,
    pub reservation: String,
    pub pool: String,
    pub tpp: u64,
    /// Why: the determination that caused it, if any.
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    reservation: &'a str,
    pool: &'a str,
    tpp: u64,
    reason: Option<&'a str>,
    prev_hash: &'a str,
}

/// SHA-256, in hex, of the entry's fields in a fixed JSON form, the previous hash included.
pub fn chain_hash(e: &AuditEntry) -> String {
    let body = Hashed {
        seq: e.seq,
        at: &e.at,
        actor: &e.actor,
        action: &e.action,
        reservation: &e.reservation,
        pool: &e.pool,
        tpp: e.tpp,
        reason: e.reason.as_deref(),
        prev_hash: &e.prev_hash,
    };
    // Serializing this struct of strings and integers into memory cannot fail.
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    crate::tokens::hex(&Sha256::digest(&bytes))
}

/// How a store hashes the entries it appends.
#[derive(Clone, Debug, Default)]
pub(crate) struct Chain {}

impl Chain {
    pub fn hash(&self, e: &AuditEntry) -> String {
        chain_hash(e)
    }
}
