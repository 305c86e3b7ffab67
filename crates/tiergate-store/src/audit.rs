//! The hash-chained audit log: each entry commits to the one before it. Entries from the audit key's `from` on
//! are hashed with HMAC-SHA256 under that key ([`crate::audit_key`]); entries before it with plain SHA-256.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit_key::AuditKey;

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
    /// What: a movement (`reserve`, `post`, `void`, `expire`, `rekey`) or another change (see
    /// docs/SECURITY.md for the list).
    pub action: String,
    /// The reservation moved, or what else the entry is about (a token's name, a list version, a VEU id).
    pub reservation: String,
    /// The pool, or the kind of thing changed (`token:NAME`, `list:csl`, `veu:ID`, `party:KEY`).
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

/// The entry's fields in a fixed JSON form, the previous hash included: what its hash covers.
fn hashed_bytes(e: &AuditEntry) -> Vec<u8> {
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
    serde_json::to_vec(&body).unwrap_or_default()
}

/// SHA-256, in hex, of the entry's fields in a fixed JSON form, the previous hash included: the hash of an
/// entry written before the ledger's audit key.
pub fn chain_hash(e: &AuditEntry) -> String {
    crate::tokens::hex(&Sha256::digest(hashed_bytes(e)))
}

/// How a ledger's entries are hashed: with its audit key from the key's first entry on, plain before.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    key: Option<AuditKey>,
}

impl Chain {
    pub(crate) fn keyed(key: AuditKey) -> Chain {
        Chain { key: Some(key) }
    }

    /// The first entry the key covers, if there is a key.
    pub fn keyed_from(&self) -> Option<u64> {
        self.key.as_ref().map(|k| k.from)
    }

    /// The hash entry `e` must carry.
    pub fn hash(&self, e: &AuditEntry) -> String {
        match &self.key {
            Some(k) if e.seq >= k.from => {
                // HMAC takes a key of any length, so this cannot fail.
                let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&k.key) else { return String::new() };
                mac.update(&hashed_bytes(e));
                crate::tokens::hex(&mac.finalize().into_bytes())
            }
            _ => chain_hash(e),
        }
    }
}
