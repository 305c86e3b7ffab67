//! The party registry a ledger holds: loading it for determinations (`determine --db`, the API), changing it
//! (`tiergate parties`, `/v1/parties`) in one audited transaction with the LPP pools a change merges, and keeping
//! a server's copy current.

use std::sync::{Arc, RwLock};

use tiergate_core::pool::PoolId;
use tiergate_core::registry::{Change, Registry, RegistryError};
use tiergate_core::Countries;
use tiergate_store::{Ledger, LedgerError, Meta, PartyWrite, StoredParty};
use tiergate_wire::registry::{registry, ChangeOut, PartyBody, PartyOut};

/// The registry from the ledger's stored parties.
pub fn load(ledger: &mut Ledger) -> Result<Registry, LedgerError> {
    from_stored(&ledger.parties()?, &ledger.pack().countries)
}

fn from_stored(stored: &[StoredParty], countries: &Countries) -> Result<Registry, LedgerError> {
    registry(countries, stored.iter().map(|p| (p.key.as_str(), p.body.as_str()))).map_err(LedgerError::Corrupt)
}

fn ledger_error(e: RegistryError) -> LedgerError {
    match e {
        RegistryError::Unknown { name } => {
            LedgerError::NotFound(format!("party is registered under the name \"{name}\""))
        }
        RegistryError::Taken { .. } => LedgerError::Conflict(e.to_string()),
        _ => LedgerError::BadInput(e.to_string()),
    }
}

/// Makes a change: the core decides it against the registry as stored inside the transaction; the store keeps
/// the party, moves the LPP pools of every name the change joins to the party's, and audits both.
pub fn change(ledger: &mut Ledger, change: &Change, meta: &Meta) -> Result<ChangeOut, LedgerError> {
    let countries = ledger.pack().countries.clone();
    let decide = |stored: &[StoredParty]| -> Result<PartyWrite, LedgerError> {
        let reg = from_stored(stored, &countries)?;
        let applied = reg.apply(change, &countries).map_err(ledger_error)?;
        let body = PartyBody::of(&applied.party, &countries).to_json();
        Ok(PartyWrite {
            action: applied.action.to_owned(),
            subject: applied.party.key.clone(),
            summary: applied.summary,
            store: vec![(applied.party.key.clone(), body)],
            remove: applied.removed,
            moves: applied.moves.iter().map(|(from, to)| (PoolId::lpp_prefix(from), PoolId::lpp_prefix(to))).collect(),
        })
    };
    let (w, moved) = ledger.change_parties(&decide, meta)?;
    let (key, body) =
        w.store.into_iter().next().ok_or_else(|| LedgerError::Corrupt("a change stored no party".into()))?;
    let body: PartyBody = serde_json::from_str(&body).map_err(|e| LedgerError::Corrupt(e.to_string()))?;
    Ok(ChangeOut {
        action: w.action,
        summary: w.summary,
        party: PartyOut { key, body, recorded_by: meta.actor.clone(), recorded_at: tiergate_store::timestamp(meta.at) },
        moved_reservations: moved,
    })
}

/// Every registered party as the wire shows it, by key.
pub fn list(ledger: &mut Ledger) -> Result<Vec<PartyOut>, LedgerError> {
    ledger.parties()?.into_iter().map(out).collect()
}

/// The party a name (or alias) resolves to.
pub fn show(ledger: &mut Ledger, name: &str) -> Result<PartyOut, LedgerError> {
    let stored = ledger.parties()?;
    let reg = from_stored(&stored, &ledger.pack().countries)?;
    let key = reg
        .resolve(name)
        .map(|r| r.party.key.clone())
        .ok_or_else(|| ledger_error(RegistryError::Unknown { name: name.trim().to_owned() }))?;
    let found = stored.into_iter().find(|p| p.key == key).ok_or_else(|| LedgerError::Corrupt(key.clone()))?;
    out(found)
}

fn out(p: StoredParty) -> Result<PartyOut, LedgerError> {
    let body: PartyBody = serde_json::from_str(&p.body)
        .map_err(|e| LedgerError::Corrupt(format!("the stored party `{}` cannot be read: {e}", p.key)))?;
    Ok(PartyOut { key: p.key, body, recorded_by: p.actor, recorded_at: p.at })
}

/// Each stored party's key and the time it last changed: a registry's state, cheaply compared.
type Stamp = Vec<(String, String)>;

/// A server's registry, replaced whole when the stored one changes (here or in another process).
#[derive(Default)]
pub struct RegistryCache {
    current: RwLock<(Arc<Registry>, Stamp)>,
}

impl RegistryCache {
    pub fn get(&self) -> Arc<Registry> {
        self.current.read().map_or_else(|_| Arc::new(Registry::default()), |c| Arc::clone(&c.0))
    }

    /// Reloads when any party was stored, changed or removed since the last load (keys and change times differ);
    /// says whether it did.
    pub fn refresh(&self, ledger: &mut Ledger) -> Result<bool, LedgerError> {
        let stored = ledger.parties()?;
        let stamp: Stamp = stored.iter().map(|p| (p.key.clone(), p.at.clone())).collect();
        if self.current.read().is_ok_and(|c| c.1 == stamp) {
            return Ok(false);
        }
        let reg = from_stored(&stored, &ledger.pack().countries)?;
        if let Ok(mut c) = self.current.write() {
            *c = (Arc::new(reg), stamp);
        }
        Ok(true)
    }
}
