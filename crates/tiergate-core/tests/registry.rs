//! The party registry's invariant under any sequence of changes, accepted or refused: no two parties share a
//! party key, so every name resolves to at most one party, and each party's names resolve to it; no change
//! forgets a name; owners never hold more than 100 % of a party.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tiergate_core::builtin;
use tiergate_core::party::party_key;
use tiergate_core::registry::{Change, Holding, Party, Registry, Share};

/// Few names, so that changes collide: spellings of one key and names of distinct keys.
const NAMES: [&str; 8] = [
    "KL Compute",
    "KL COMPUTE SDN. BHD.",
    "Borneo DC",
    "borneo dc ltd",
    "Sabah Cloud",
    "Acme",
    "ACME LLC",
    "Nusantara AI",
];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES.to_vec()).prop_map(str::to_owned)
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (name(), prop::collection::vec(name(), 0..3)).prop_map(|(name, aliases)| Change::Add {
            name,
            aliases,
            ultimate_parent: None,
            headquarters: None,
            owners: Vec::new(),
        }),
        (name(), prop::collection::vec(name(), 1..3)).prop_map(|(party, aliases)| Change::Alias { party, aliases }),
        (name(), name()).prop_map(|(from, into)| Change::Merge { from, into }),
        (name(), name(), 0u32..=70).prop_map(|(party, owner, p)| Change::Owner {
            party,
            owner,
            share: Share::from_percent(f64::from(p)).unwrap()
        }),
    ]
}

/// What the store does with an accepted change: the party stored whole, the removed ones gone.
fn store(reg: &Registry, party: Party, removed: &[String]) -> Registry {
    let mut parties: Vec<Party> =
        reg.parties().iter().filter(|p| p.key != party.key && !removed.contains(&p.key)).cloned().collect();
    parties.push(party);
    Registry::new(parties)
}

proptest! {
    #[test]
    fn a_name_resolves_to_at_most_one_party(changes in prop::collection::vec(change(), 1..20)) {
        let countries = builtin::countries().unwrap();
        let mut reg = Registry::default();
        let mut known: Vec<String> = Vec::new();
        for c in &changes {
            if let Ok(applied) = reg.apply(c, &countries) {
                reg = store(&reg, applied.party, &applied.removed);
            }
            // No change forgets a name: a merge keeps the absorbed party's names as aliases.
            for n in &known {
                prop_assert!(reg.resolve(n).is_some(), "{} no longer resolves after {:?}", n, c);
            }
            known = reg.parties().iter().flat_map(|p| p.names().map(str::to_owned)).collect();
            let distinct: std::collections::HashSet<&str> = reg.parties().iter().map(|p| p.key.as_str()).collect();
            prop_assert_eq!(distinct.len(), reg.parties().len(), "two parties with one key");
            let mut keys = std::collections::HashMap::new();
            for p in reg.parties() {
                let own = party_key(&p.name);
                prop_assert_eq!(own.as_deref(), Some(p.key.as_str()), "a party's key is its name's");
                for n in p.names() {
                    let k = party_key(n).unwrap();
                    if let Some(other) = keys.insert(k.clone(), p.key.clone()) {
                        prop_assert_eq!(&other, &p.key, "key {} claimed by two parties", k);
                    }
                    prop_assert_eq!(reg.resolve(n).map(|r| r.party.key.clone()), Some(p.key.clone()));
                }
                let total: u32 = p.owners.iter().map(|h: &Holding| h.share.thousandths()).sum();
                prop_assert!(total <= Share::WHOLE.thousandths());
            }
        }
    }
}
