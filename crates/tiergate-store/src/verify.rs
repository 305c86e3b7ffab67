//! `ledger verify`: the audit chain is intact, and replaying it gives exactly the stored balances and states,
//! with every reservation within its pool's cap when it was made.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tiergate_core::pool::PoolId;
use tiergate_core::Pack;

use crate::audit::{chain_hash, GENESIS};
use crate::{Dump, State};

/// The most problems listed; past this the count is given.
const MAX_LISTED: usize = 50;

/// What `verify` found: `ok`, the audit entries checked, and the problems (absent when none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

pub(crate) fn verify(dump: &Dump, pack: &Pack) -> VerifyReport {
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
        let h = chain_hash(e);
        if h != e.hash {
            problem(format!("audit entry {}: its hash does not match its content", e.seq));
        }
        prev = e.hash.clone();
    }
    let last = dump.audit.last().map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone()));
    if dump.head != last {
        problem(format!("the audit head records entry {} but the log ends at entry {}", dump.head.0, last.0));
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
            // A change to the party registry: no TPP moves (the pools it merges move by `rekey` entries).
            action if action.starts_with("party-") => {
                if e.tpp != 0 || !e.pool.starts_with("party:") {
                    problem(format!("audit entry {}: {action} names TPP or a pool other than a party's", e.seq));
                }
            }
            other => problem(format!("audit entry {}: unknown action `{other}`", e.seq)),
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
    VerifyReport { ok: problems.is_empty(), entries: dump.audit.len() as u64, problems }
}
