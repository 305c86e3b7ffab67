//! The audit key: the HMAC-SHA256 key that the audit chain is keyed with, kept in a file outside the database, so
//! that someone who can write the database but cannot read the file cannot rewrite an entry and recompute the
//! hashes after it. The file names the ledger it belongs to (an id kept in the ledger head) and the first entry
//! it keys; entries before that were written before the key was adopted and are plain SHA-256.
//!
//! Where the file is: `TIERGATE_AUDIT_KEY_FILE` if set; else for `sqlite://PATH`, `PATH.audit-key` beside the
//! database; for PostgreSQL, `audit-<hash of the URL>.key` in the user's configuration directory (instances
//! sharing one PostgreSQL ledger must share one key: set `TIERGATE_AUDIT_KEY_FILE`). It is made, with a new key,
//! the first time a ledger is opened without one.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tokens::hex;
use crate::{redacted_url, LedgerError};

/// The environment variable that names the key file.
pub const KEY_FILE_ENV: &str = "TIERGATE_AUDIT_KEY_FILE";

/// A key as its file holds it.
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The ledger it keys (`ledger_head.ledger_id`).
    ledger: String,
    /// The first audit entry it keys.
    from: u64,
    /// 32 bytes, in hex.
    key: String,
}

/// A loaded key.
#[derive(Clone)]
pub struct AuditKey {
    pub(crate) ledger: String,
    pub(crate) from: u64,
    pub(crate) key: [u8; 32],
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("AuditKey").field("ledger", &self.ledger).field("from", &self.from).finish_non_exhaustive()
    }
}

/// Where the key of the ledger at `url` is kept.
pub fn key_path(url: &str) -> Result<PathBuf, LedgerError> {
    if let Some(p) = std::env::var_os(KEY_FILE_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(PathBuf::from(format!("{path}.audit-key")));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|p| !p.is_empty()).map(|h| PathBuf::from(h).join(".config")))
        .ok_or_else(|| LedgerError::BadInput(format!("no place for the audit key: set {KEY_FILE_ENV} (or HOME)")))?;
    let id = hex(&Sha256::digest(redacted_url(url).as_bytes()));
    Ok(config.join("tiergate").join(format!("audit-{}.key", &id[..16])))
}

fn random_hex<const N: usize>() -> Result<String, LedgerError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| LedgerError::Database(format!("no random source: {e}")))?;
    Ok(hex(&bytes))
}

fn read(path: &Path) -> Result<Option<KeyFile>, LedgerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LedgerError::BadInput(format!("cannot read the audit key {}: {e}", path.display()))),
    };
    let bad = |why: String| LedgerError::BadInput(format!("the audit key {} is not one: {why}", path.display()));
    let file: KeyFile = toml::from_str(&text).map_err(|e| bad(e.message().to_owned()))?;
    if file.key.len() != 64 || !file.key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("`key` must be 64 hexadecimal digits".into()));
    }
    if file.from == 0 {
        return Err(bad("`from` must be 1 or more".into()));
    }
    Ok(Some(file))
}

/// Writes the key file whole (a new file renamed into place), readable by its owner only.
fn write(path: &Path, file: &KeyFile) -> Result<(), LedgerError> {
    let fail = |e: std::io::Error| LedgerError::BadInput(format!("cannot write the audit key {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let text = format!(
        "# Tiergate's audit key. Keep it secret and away from the database: whoever holds it and can write the\n\
         # database can rewrite the audit log undetected. `tiergate ledger verify` needs it.\n{}",
        toml::to_string(file).map_err(|e| LedgerError::BadInput(e.to_string()))?
    );
    let tmp = path.with_extension("new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&tmp).map_err(fail)?;
    out.write_all(text.as_bytes()).and_then(|()| out.sync_all()).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

/// The key for a ledger whose head holds `ledger_id` and `audit_seq` entries, from the file at `path`, made if
/// there is none; and the ledger id to store when the ledger has none yet. Runs under the ledger's write lock.
pub(crate) fn adopt(
    path: &Path,
    ledger_id: Option<&str>,
    audit_seq: u64,
) -> Result<(AuditKey, Option<String>), LedgerError> {
    let shown = path.display();
    let file = match (ledger_id, read(path)?) {
        (None, None) => {
            let file = KeyFile { ledger: random_hex::<16>()?, from: audit_seq + 1, key: random_hex::<32>()? };
            write(path, &file)?;
            file
        }
        // An empty ledger takes any key; one that kept entries since a key was made for it (a commit that
        // did not happen) takes that key.
        (None, Some(mut file)) if audit_seq == 0 || file.from == audit_seq + 1 => {
            if file.from != audit_seq + 1 {
                file.from = audit_seq + 1;
                write(path, &file)?;
            }
            file
        }
        (None, Some(file)) => {
            return Err(LedgerError::BadInput(format!(
                "the audit key {shown} belongs to another ledger ({}): this one has {audit_seq} entries and no key; \
                 move the file away or set {KEY_FILE_ENV}",
                file.ledger
            )))
        }
        (Some(id), None) => {
            return Err(LedgerError::BadInput(format!(
                "the audit key of this ledger ({id}) is missing: restore {shown} or set {KEY_FILE_ENV} to where it is"
            )))
        }
        (Some(id), Some(file)) if file.ledger != id => {
            return Err(LedgerError::BadInput(format!(
                "the audit key {shown} belongs to ledger {}, not to this one ({id}); set {KEY_FILE_ENV} to this \
                 ledger's key",
                file.ledger
            )))
        }
        (Some(_), Some(file)) => file,
    };
    let store_id = ledger_id.is_none().then(|| file.ledger.clone());
    Ok((key_of(file), store_id))
}

/// The chain of the ledger at `url` as its key file gives it, without opening the ledger or making a key: for
/// checking a copy of the log elsewhere (and for tests that play an attacker who holds the key).
pub fn load_chain(url: &str) -> Result<crate::Chain, LedgerError> {
    let path = key_path(url)?;
    let file =
        read(&path)?.ok_or_else(|| LedgerError::BadInput(format!("there is no audit key at {}", path.display())))?;
    Ok(crate::Chain::keyed(key_of(file)))
}

fn key_of(file: KeyFile) -> AuditKey {
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        // `read` checked that the key is 64 hexadecimal digits.
        *byte = u8::from_str_radix(file.key.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
    }
    AuditKey { ledger: file.ledger, from: file.from, key }
}
