//! `ledger verify`: the audit chain is intact, and replaying it gives exactly the stored balances and states,
//! with every reservation within its pool's cap when it was made.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tiergate_core::pool::PoolId;
use tiergate_core::Pack;

use crate::audit::GENESIS;
use crate::{Dump, LedgerError, State};

/// The most problems listed; past this the count is given.
const MAX_LISTED: usize = 50;

/// What `verify` found: `ok`, the audit entries checked, and the problems (absent when none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: u64,
    /// The first entry keyed with the ledger's audit key (HMAC-SHA256); entries before it are plain SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyed_from: Option<u64>,
    /// The checkpoint the log was checked to extend, `HASH:COUNT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// A point of the audit log to keep away from the database (`tiergate ledger checkpoint`): how many entries the log
/// held and the hash of the last one. A log that still extends it has the same entry there with the same hash,
/// so none of the entries up to it was changed, removed or replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Checkpoint {
    pub entries: u64,
    pub hash: String,
}

impl Checkpoint {
    /// `HASH:COUNT`, as `tiergate ledger checkpoint` prints it.
    pub fn parse(text: &str) -> Result<Checkpoint, LedgerError> {
        let bad = || {
            LedgerError::BadInput(format!(
                "`{}` is not a checkpoint: give HASH:COUNT as `tiergate ledger checkpoint` prints it",
                text.chars().take(100).collect::<String>()
            ))
        };
        let (hash, count) = text.trim().split_once(':').ok_or_else(bad)?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let entries = count.parse().map_err(|_| bad())?;
        Ok(Checkpoint { entries, hash: hash.to_ascii_lowercase() })
    }

    pub fn text(&self) -> String {
        format!("{}:{}", self.hash, self.entries)
    }
}

/// Audit actions that move no TPP, each with the prefix of what it is about (the entry's `pool` field).
pub const RECORD_ACTIONS: &[(&str, &str)] = &[
    ("party-", "party:"),
    ("token-create", "token:"),
    ("token-revoke", "token:"),
    ("sign-in", "token:"),
    ("sign-out", "token:"),
    ("list-import", "list:"),
    ("judgement", "list:"),
    ("veu-register", "veu:"),
    ("veu-log", "veu:"),
    ("veu-apply", "veu:"),
    ("veu-evidence", "veu:"),
    ("veu-report-issue", "veu:"),
    ("determination", "determination:"),
    ("case-status", "determination:"),
    ("case-note", "determination:"),
    ("scenario-save", "scenario:"),
    ("scenario-delete", "scenario:"),
];

/// What an action that moves no TPP is about, if it is one.
fn record_kind(action: &str) -> Option<&'static str> {
    RECORD_ACTIONS
        .iter()
        .find(|(a, _)| if a.ends_with('-') { action.starts_with(a) } else { action == *a })
        .map(|(_, kind)| *kind)
}

pub(crate) fn verify(dump: &Dump, pack: &Pack, checkpoint: Option<&Checkpoint>) -> VerifyReport {
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(p);

    // 1. The chain.
    let mut prev = GENESIS.to_owned();
    for (i, e) in dump.audit.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if e.seq != expected_seq {
            problem(format!("audit entry {} is numbered {}, expected {expected_seq}", i + 1, e.seq));
        }
        if e.prev_hash != prev {
            problem(format!(
                "audit entry {}: prev_hash does not match the hash of entry {}",
                e.seq,
                e.seq.saturating_sub(1)
            ));
        }
        let h = dump.chain.hash(e);
        if h != e.hash {
            problem(format!("audit entry {}: its hash does not match its content", e.seq));
        }
        prev = e.hash.clone();
    }
    let last = dump.audit.last().map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
    if dump.head != last {
        problem(format!("the audit head records entry {} but the log ends at entry {}", dump.head.0, last.0));
    }
    if let Some(from) = dump.chain.keyed_from().filter(|from| last.0 + 1 < *from) {
        problem(format!(
            "the log ends at entry {} but its audit key was adopted at entry {from}: entries were removed",
            last.0
        ));
    }
    if let Some(cp) = checkpoint {
        let there = match cp.entries {
            0 => Some(GENESIS),
            n => usize::try_from(n - 1).ok().and_then(|i| dump.audit.get(i)).map(|e| e.hash.as_str()),
        };
        match there {
            Some(h) if h == cp.hash => {}
            Some(h) => problem(format!(
                "the log does not extend checkpoint {}: entry {} now has hash {h}",
                cp.text(),
                cp.entries
            )),
            None => problem(format!(
                "the log does not extend checkpoint {}: it holds {} entries, fewer than the checkpoint's {}",
                cp.text(),
                dump.audit.len(),
                cp.entries
            )),
        }
    }

    // 2. Replay.
    let by_id: HashMap<&str, &crate::Reservation> = dump.reservations.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut states: HashMap<&str, (&str, u64, State)> = HashMap::new();
    let mut pools: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for e in &dump.audit {
        let bal = pools.entry(e.pool.as_str()).or_default();
        match e.action.as_str() {
            "reserve" => {
                if states.insert(&e.reservation, (&e.pool, e.tpp, State::Pending)).is_some() {
                    problem(format!("audit entry {}: reservation {} is reserved twice", e.seq, e.reservation));
                }
                bal.0 += e.tpp;
                match by_id.get(e.reservation.as_str()) {
                    None => problem(format!("audit entry {}: reservation {} is not stored", e.seq, e.reservation)),
                    Some(r) => match PoolId::parse(&e.pool, pack).and_then(|p| p.cap(pack, r.date)) {
                        Ok(cap) if bal.0 + bal.1 > cap.tpp => problem(format!(
                            "audit entry {}: pool {} holds {} TPP after it, over its cap of {} on {}",
                            e.seq,
                            e.pool,
                            bal.0 + bal.1,
                            cap.tpp,
                            r.date
                        )),
                        Ok(_) => {}
                        Err(err) => problem(format!("audit entry {}: {err}", e.seq)),
                    },
                }
            }
            action @ ("post" | "void" | "expire") => match states.get_mut(e.reservation.as_str()) {
                Some((pool, tpp, state)) if *state == State::Pending && *pool == e.pool && *tpp == e.tpp => {
                    bal.0 = bal.0.saturating_sub(e.tpp);
                    *state = match action {
                        "post" => {
                            bal.1 += e.tpp;
                            State::Posted
                        }
                        "void" => State::Voided,
                        _ => State::Expired,
                    };
                }
                Some((_, _, state)) => problem(format!(
                    "audit entry {}: {action} of reservation {} which is {} or names another pool or amount",
                    e.seq,
                    e.reservation,
                    state.as_str()
                )),
                None => problem(format!("audit entry {}: {action} of unknown reservation {}", e.seq, e.reservation)),
            },
            // A reservation moved to another pool (its party key's), with its balance.
            "rekey" => match states.get_mut(e.reservation.as_str()) {
                Some((pool, tpp, state)) if *tpp == e.tpp => {
                    let old = *pool;
                    let (pending, posted) = match state {
                        State::Pending => (*tpp, 0),
                        State::Posted => (0, *tpp),
                        State::Voided | State::Expired => (0, 0),
                    };
                    let from = pools.entry(old).or_default();
                    from.0 = from.0.saturating_sub(pending);
                    from.1 = from.1.saturating_sub(posted);
                    let to = pools.entry(e.pool.as_str()).or_default();
                    to.0 += pending;
                    to.1 += posted;
                    *pool = e.pool.as_str();
                }
                Some(_) => problem(format!(
                    "audit entry {}: rekey of reservation {} names another amount",
                    e.seq, e.reservation
                )),
                None => problem(format!("audit entry {}: rekey of unknown reservation {}", e.seq, e.reservation)),
            },
            // A change that moves no TPP (a party registry change moves pools by `rekey` entries of its own).
            action => match record_kind(action) {
                Some(kind) if e.tpp != 0 || !e.pool.starts_with(kind) => {
                    problem(format!("audit entry {}: {action} names TPP or something other than a {kind}", e.seq))
                }
                Some(_) => {}
                None => problem(format!("audit entry {}: unknown action `{action}`", e.seq)),
            },
        }
    }

    // 3. Replayed state against stored state.
    for r in &dump.reservations {
        match states.get(r.id.as_str()) {
            None => problem(format!("reservation {} has no audit entry", r.id)),
            Some((pool, tpp, state)) => {
                if *pool != r.pool || *tpp != r.tpp || *state != r.state {
                    problem(format!(
                        "reservation {} is stored as {} {} TPP in {}, the audit log says {} {} TPP in {}",
                        r.id,
                        r.state.as_str(),
                        r.tpp,
                        r.pool,
                        state.as_str(),
                        tpp,
                        pool
                    ));
                }
            }
        }
    }
    let stored: BTreeMap<&str, (u64, u64)> =
        dump.pools.iter().map(|(p, pending, posted)| (p.as_str(), (*pending, *posted))).collect();
    for (pool, replayed) in &pools {
        let s = stored.get(pool).copied().unwrap_or_default();
        if s != *replayed {
            problem(format!(
                "pool {pool} stores pending {} and posted {}, the audit log gives {} and {}",
                s.0, s.1, replayed.0, replayed.1
            ));
        }
    }
    for (pool, s) in &stored {
        if !pools.contains_key(pool) && *s != (0, 0) {
            problem(format!("pool {pool} stores pending {} and posted {} with no audit entries", s.0, s.1));
        }
    }

    let total = problems.len();
    if total > MAX_LISTED {
        problems.truncate(MAX_LISTED);
        problems.push(format!("... and {} more", total - MAX_LISTED));
    }
    VerifyReport {
        ok: problems.is_empty(),
        entries: dump.audit.len() as u64,
        keyed_from: dump.chain.keyed_from(),
        checkpoint: checkpoint.map(Checkpoint::text),
        problems,
    }
}
