//! API tokens: a name, a role, and the SHA-256 of the secret. The secret itself is shown once and never stored.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// What a token may do. Each role may do everything the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads countries, items, pools and the audit log.
    Viewer,
    /// Also runs determinations and classifications, without recording.
    Analyst,
    /// Also reserves, posts and voids.
    Officer,
    /// Also manages tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Analyst, Role::Officer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Officer => "officer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A token as stored (without its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// A browser session (`POST /v1/session`): made from a token, it acts with the token's name and role until it
/// ends, expires or the token is revoked. The cookie holds the session's secret; only its hash is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token: TokenInfo,
    /// Sent back by the page in `x-csrf-token` with every call that changes something.
    pub csrf: String,
    pub expires_at: String,
}

/// A new secret: `tg_` and 64 hex digits (256 bits from the operating system's random source).
pub fn new_secret() -> Result<String, crate::LedgerError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| crate::LedgerError::Database(format!("no random source: {e}")))?;
    Ok(format!("tg_{}", hex(&bytes)))
}

/// The stored form of a secret. Secrets carry 256 random bits, so a plain hash is enough (nothing to guess).
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lower-case hexadecimal, as the audit chain and token hashes are stored. On every authenticated request, so
/// without an allocation per byte.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            // A nibble is below 16, so it always is a hexadecimal digit.
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// A token row read back: the role must be one this build knows.
pub(crate) fn token_info(
    name: String,
    role: &str,
    created_at: String,
    revoked_at: Option<String>,
) -> Result<TokenInfo, crate::LedgerError> {
    let role = Role::parse(role).ok_or_else(|| crate::LedgerError::Corrupt(format!("unknown role `{role}`")))?;
    Ok(TokenInfo { name, role, created_at, revoked_at })
}

/// A session row read back, with its live token's name, role and creation.
pub(crate) fn session(
    name: String,
    role: &str,
    created_at: String,
    csrf: String,
    expires_at: String,
) -> Result<Session, crate::LedgerError> {
    Ok(Session { token: token_info(name, role, created_at, None)?, csrf, expires_at })
}
