//! The party registry: an officer's record that several names are one party (an ultimate consignee whose LPP
//! receipts are counted together), with its ultimate parent, headquarters and owners (issue 14).
//!
//! A party is identified by the party key of its name ([`crate::party::party_key`]); every alias is a name whose
//! key resolves to it. No two parties share a key, so a name resolves to at most one party. What may change is
//! decided here ([`Registry::apply`]); the store applies the answer, moves LPP pools the answer names, and
//! audits it, in one transaction.

use std::collections::HashMap;
use std::fmt;

use crate::country::{Countries, Country};
use crate::party::party_key;

/// A share of ownership in thousandths of a percent: 50 % is 50,000; at most 100 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(u32);

impl Share {
    pub const ZERO: Share = Share(0);
    pub const WHOLE: Share = Share(100_000);

    /// From a percentage written with at most three decimal places, 0 to 100.
    pub fn from_percent(p: f64) -> Option<Share> {
        let milli = crate::units::thousandths(p)?;
        (milli <= 100_000).then(|| Share(u32::try_from(milli).unwrap_or(u32::MAX)))
    }

    /// Parses `50`, `33.333` or `12.5%`.
    pub fn parse(s: &str) -> Option<Share> {
        let t = s.trim().trim_end_matches('%').trim();
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        Share::from_percent(t.parse().ok()?)
    }

    pub fn thousandths(self) -> u32 {
        self.0
    }

    pub fn as_percent(self) -> f64 {
        f64::from(self.0) / 1000.0
    }

    /// The sum, at most 100 %.
    pub fn saturating_add(self, other: Share) -> Share {
        Share(self.0.saturating_add(other.0).min(Share::WHOLE.0))
    }
}

impl fmt::Display for Share {
    /// `50 %`, `33.333 %`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, mut frac) = (self.0 / 1000, self.0 % 1000);
        if frac == 0 {
            return write!(f, "{whole} %");
        }
        let mut places = 3;
        while frac % 10 == 0 {
            frac /= 10;
            places -= 1;
        }
        write!(f, "{whole}.{frac:0places$} %")
    }
}

/// An owner of a party and its share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// The owner's name as recorded (an owner need not be registered; when it is, its own owners count too).
    pub owner: String,
    pub share: Share,
}

/// One registered party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    /// The party key of `name`: what identifies the party, and its LPP pool.
    pub key: String,
    /// The name as the officer registered it, for display.
    pub name: String,
    /// Other names of the same party, as given.
    pub aliases: Vec<String>,
    /// The party's ultimate parent, by name, when it has one.
    pub ultimate_parent: Option<String>,
    pub headquarters: Option<Country>,
    pub owners: Vec<Holding>,
    /// Parties merged into this one, by name, oldest first.
    pub merged: Vec<String>,
}

impl Party {
    /// The party's name and aliases: every name that resolves to it.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.names().filter_map(party_key).collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// A change an officer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Registers a party under `name`, with other names, parent, headquarters and owners.
    Add {
        name: String,
        aliases: Vec<String>,
        ultimate_parent: Option<String>,
        headquarters: Option<Country>,
        owners: Vec<Holding>,
    },
    /// Adds names to a party.
    Alias { party: String, aliases: Vec<String> },
    /// Sets (or, with `Some(None)`, clears) a party's ultimate parent and headquarters; `None` leaves one as is.
    Set { party: String, ultimate_parent: Option<Option<String>>, headquarters: Option<Option<Country>> },
    /// Records an owner's share (a share of 0 removes the owner).
    Owner { party: String, owner: String, share: Share },
    /// Makes party `from` a part of party `into`: its names become aliases of `into`, its LPP receipts `into`'s.
    Merge { from: String, into: String },
}

/// What a change does: the parties to store (whole), the parties to remove (by key), the LPP pools to move
/// (from one party key to another: every year's pool), and a sentence for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// `party-add`, `party-alias`, `party-set`, `party-owner` or `party-merge`.
    pub action: &'static str,
    /// The party changed (after a merge: the one that remains).
    pub party: Party,
    pub removed: Vec<String>,
    pub moves: Vec<(String, String)>,
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("`{field}` has no letter or digit: it names no party")]
    NoKey { field: &'static str },
    #[error("`{field}` is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("no party is registered under the name \"{name}\" (nor as an alias)")]
    Unknown { name: String },
    #[error("\"{name}\" is already a name of the registered party \"{party}\"{hint}")]
    Taken { name: String, party: String, hint: &'static str },
    #[error("`{field}`: {problem}")]
    Invalid { field: &'static str, problem: String },
}

impl RegistryError {
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Unknown { .. } => "not_found",
            RegistryError::Taken { .. } => "conflict",
            _ => "invalid_value",
        }
    }

    /// The field the problem is with, when one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            RegistryError::NoKey { field }
            | RegistryError::TooLong { field, .. }
            | RegistryError::Invalid { field, .. } => Some(field),
            RegistryError::Unknown { .. } | RegistryError::Taken { .. } => None,
        }
    }
}

const NEW_HINT: &str = ": add the name as an alias of that party, or register another";
const MERGE_HINT: &str = ": `parties merge` makes two registered parties one";

/// The most characters of a name, and the most names, owners or merged parties of one party.
pub const MAX_NAME: usize = 300;
pub const MAX_NAMES: usize = 200;

/// How a name resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved<'r> {
    pub party: &'r Party,
    /// The registered name or alias whose key the name shares.
    pub via: &'r str,
}

/// Every registered party, indexed by the keys of their names.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    parties: Vec<Party>,
    by_key: HashMap<String, usize>,
}

impl Registry {
    /// From stored parties. A key claimed by two parties (which [`Registry::apply`] never allows) resolves to the
    /// first.
    pub fn new(parties: Vec<Party>) -> Registry {
        let mut by_key = HashMap::new();
        for (i, p) in parties.iter().enumerate() {
            for k in p.keys() {
                by_key.entry(k).or_insert(i);
            }
        }
        Registry { parties, by_key }
    }

    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    /// The party a name belongs to: the one with a name or alias of the same party key.
    pub fn resolve(&self, name: &str) -> Option<Resolved<'_>> {
        let key = party_key(name)?;
        let party = self.parties.get(*self.by_key.get(&key)?)?;
        let via = party.names().find(|n| party_key(n).as_deref() == Some(key.as_str())).unwrap_or(&party.name);
        Some(Resolved { party, via })
    }

    fn find(&self, name: &str) -> Result<&Party, RegistryError> {
        self.resolve(name).map(|r| r.party).ok_or_else(|| RegistryError::Unknown { name: name.trim().to_owned() })
    }

    /// Checks a name for the registered party with key `own` (`None` for a party not yet registered): it has a
    /// key, and no other party has it. `hint` says what to do when another has.
    fn claim(
        &self,
        field: &'static str,
        name: &str,
        own: Option<&str>,
        hint: &'static str,
    ) -> Result<String, RegistryError> {
        if name.chars().count() > MAX_NAME {
            return Err(RegistryError::TooLong { field, max: MAX_NAME });
        }
        let key = party_key(name).ok_or(RegistryError::NoKey { field })?;
        if let Some(other) = self.by_key.get(&key).and_then(|&i| self.parties.get(i)) {
            if Some(other.key.as_str()) != own {
                return Err(RegistryError::Taken { name: name.trim().to_owned(), party: other.name.clone(), hint });
            }
        }
        Ok(key)
    }

    /// Decides what `change` does, or why it may not be made. Nothing here changes the registry: the caller
    /// stores [`Applied`] and builds the registry afresh.
    pub fn apply(&self, change: &Change, countries: &Countries) -> Result<Applied, RegistryError> {
        match change {
            Change::Add { name, aliases, ultimate_parent, headquarters, owners } => {
                let key = party_key(name).ok_or(RegistryError::NoKey { field: "name" })?;
                self.claim("name", name, None, NEW_HINT)?;
                let mut party = Party {
                    key: key.clone(),
                    name: name.trim().to_owned(),
                    aliases: Vec::new(),
                    ultimate_parent: None,
                    headquarters: *headquarters,
                    owners: Vec::new(),
                    merged: Vec::new(),
                };
                add_aliases(self, &mut party, aliases, None, NEW_HINT)?;
                party.ultimate_parent = check_parent(ultimate_parent.as_deref(), &party)?;
                for h in owners {
                    set_owner(&mut party, &h.owner, h.share)?;
                }
                let summary = format!("registered the party \"{}\"{}", party.name, describe(&party, countries));
                let moves = alias_moves(&party);
                Ok(Applied { action: "party-add", party, removed: Vec::new(), moves, summary })
            }
            Change::Alias { party, aliases } => {
                let mut p = self.find(party)?.clone();
                let before = p.aliases.len();
                let own = p.key.clone();
                add_aliases(self, &mut p, aliases, Some(&own), MERGE_HINT)?;
                let added = p.aliases.get(before..).unwrap_or_default().to_vec();
                if added.is_empty() {
                    return Err(RegistryError::Invalid {
                        field: "aliases",
                        problem: format!("every name given is already a name of \"{}\"", p.name),
                    });
                }
                let summary = format!("\"{}\" is also named {}", p.name, quoted(&added));
                let moves = alias_moves(&p);
                Ok(Applied { action: "party-alias", party: p, removed: Vec::new(), moves, summary })
            }
            Change::Set { party, ultimate_parent, headquarters } => {
                let mut p = self.find(party)?.clone();
                let mut said = Vec::new();
                if let Some(parent) = ultimate_parent {
                    p.ultimate_parent = check_parent(parent.as_deref(), &p)?;
                    said.push(match &p.ultimate_parent {
                        Some(u) => format!("ultimate parent \"{u}\""),
                        None => "no ultimate parent".to_owned(),
                    });
                }
                if let Some(hq) = headquarters {
                    p.headquarters = *hq;
                    said.push(hq.map_or_else(
                        || "headquarters not recorded".to_owned(),
                        |c| format!("headquartered in {}", countries.code(c)),
                    ));
                }
                if said.is_empty() {
                    return Err(RegistryError::Invalid {
                        field: "ultimate_parent",
                        problem: "nothing to set: give an ultimate parent or headquarters".into(),
                    });
                }
                let summary = format!("\"{}\": {}", p.name, said.join(", "));
                Ok(Applied { action: "party-set", party: p, removed: Vec::new(), moves: Vec::new(), summary })
            }
            Change::Owner { party, owner, share } => {
                let mut p = self.find(party)?.clone();
                set_owner(&mut p, owner, *share)?;
                let summary = if *share == Share::ZERO {
                    format!("\"{}\" is no longer recorded as owned by \"{}\"", p.name, owner.trim())
                } else {
                    format!("\"{}\" is {share} owned by \"{}\"", p.name, owner.trim())
                };
                Ok(Applied { action: "party-owner", party: p, removed: Vec::new(), moves: Vec::new(), summary })
            }
            Change::Merge { from, into } => {
                let absorbed = self.find(from)?;
                let kept = self.find(into)?;
                if absorbed.key == kept.key {
                    return Err(RegistryError::Invalid {
                        field: "from",
                        problem: format!("\"{}\" and \"{}\" are already one party", from.trim(), into.trim()),
                    });
                }
                let mut p = kept.clone();
                for name in absorbed.names() {
                    if !p.names().any(|n| n == name) {
                        p.aliases.push(name.to_owned());
                    }
                }
                p.merged.push(absorbed.name.clone());
                p.merged.extend(absorbed.merged.iter().cloned());
                if p.aliases.len() > MAX_NAMES {
                    return Err(RegistryError::Invalid {
                        field: "from",
                        problem: format!("the merged party would have more than {MAX_NAMES} names"),
                    });
                }
                // What `into` does not record, `from` fills in; where both record different things, the officer
                // decides first.
                match (&p.ultimate_parent, &absorbed.ultimate_parent) {
                    (None, Some(u)) => p.ultimate_parent = check_parent(Some(u), &p)?,
                    (Some(a), Some(b)) if party_key(a) != party_key(b) => {
                        return Err(conflict("ultimate_parent", &p, absorbed, a, b));
                    }
                    _ => {}
                }
                match (p.headquarters, absorbed.headquarters) {
                    (None, Some(h)) => p.headquarters = Some(h),
                    (Some(a), Some(b)) if a != b => {
                        return Err(RegistryError::Invalid {
                            field: "headquarters",
                            problem: format!(
                                "\"{}\" and \"{}\" record different headquarters: set one with `parties set` first",
                                p.name, absorbed.name
                            ),
                        });
                    }
                    _ => {}
                }
                for h in &absorbed.owners {
                    match p.owners.iter().find(|o| party_key(&o.owner) == party_key(&h.owner)) {
                        Some(o) if o.share != h.share => {
                            return Err(RegistryError::Invalid {
                                field: "owners",
                                problem: format!(
                                    "\"{}\" and \"{}\" record different shares for the owner \"{}\" ({} and {}): record one with `parties owner` first",
                                    p.name, absorbed.name, h.owner, o.share, h.share
                                ),
                            });
                        }
                        Some(_) => {}
                        None => set_owner(&mut p, &h.owner, h.share)?,
                    }
                }
                let mut moves: Vec<(String, String)> =
                    absorbed.keys().into_iter().map(|k| (k, p.key.clone())).collect();
                moves.extend(alias_moves(&p));
                moves.sort();
                moves.dedup();
                let summary = format!(
                    "merged \"{}\" into \"{}\": one party, whose LPP receipts are counted together",
                    absorbed.name, p.name
                );
                Ok(Applied { action: "party-merge", party: p, removed: vec![absorbed.key.clone()], moves, summary })
            }
        }
    }
}

fn conflict(field: &'static str, a: &Party, b: &Party, va: &str, vb: &str) -> RegistryError {
    RegistryError::Invalid {
        field,
        problem: format!(
            "\"{}\" records \"{va}\" and \"{}\" records \"{vb}\": set one with `parties set` first",
            a.name, b.name
        ),
    }
}

/// Adds names not already the party's, refusing any another party has.
fn add_aliases(
    registry: &Registry,
    party: &mut Party,
    aliases: &[String],
    own: Option<&str>,
    hint: &'static str,
) -> Result<(), RegistryError> {
    for a in aliases {
        registry.claim("aliases", a, own, hint)?;
        let trimmed = a.trim();
        if !party.names().any(|n| n == trimmed) {
            party.aliases.push(trimmed.to_owned());
        }
    }
    if party.aliases.len() > MAX_NAMES {
        return Err(RegistryError::Invalid { field: "aliases", problem: format!("more than {MAX_NAMES} names") });
    }
    Ok(())
}

/// Every alias whose key is not the party's own: its LPP pools move to the party's.
fn alias_moves(party: &Party) -> Vec<(String, String)> {
    party.keys().into_iter().filter(|k| *k != party.key).map(|k| (k, party.key.clone())).collect()
}

fn check_parent(parent: Option<&str>, party: &Party) -> Result<Option<String>, RegistryError> {
    let Some(parent) = parent.map(str::trim).filter(|p| !p.is_empty()) else { return Ok(None) };
    if parent.chars().count() > MAX_NAME {
        return Err(RegistryError::TooLong { field: "ultimate_parent", max: MAX_NAME });
    }
    let key = party_key(parent).ok_or(RegistryError::NoKey { field: "ultimate_parent" })?;
    if party.keys().contains(&key) {
        return Err(RegistryError::Invalid {
            field: "ultimate_parent",
            problem: format!(
                "\"{parent}\" is a name of \"{}\" itself: a party with no parent records none",
                party.name
            ),
        });
    }
    Ok(Some(parent.to_owned()))
}

fn set_owner(party: &mut Party, owner: &str, share: Share) -> Result<(), RegistryError> {
    let owner = owner.trim();
    if owner.chars().count() > MAX_NAME {
        return Err(RegistryError::TooLong { field: "owner", max: MAX_NAME });
    }
    let key = party_key(owner).ok_or(RegistryError::NoKey { field: "owner" })?;
    if party.keys().contains(&key) {
        return Err(RegistryError::Invalid {
            field: "owner",
            problem: format!("\"{owner}\" is a name of \"{}\" itself", party.name),
        });
    }
    let found = party.owners.iter().position(|h| party_key(&h.owner).as_deref() == Some(key.as_str()));
    match (found, share == Share::ZERO) {
        (Some(i), true) => {
            party.owners.remove(i);
        }
        (None, true) => {
            return Err(RegistryError::Invalid {
                field: "share",
                problem: format!("\"{owner}\" is not recorded as an owner of \"{}\"", party.name),
            });
        }
        (Some(i), false) => {
            if let Some(h) = party.owners.get_mut(i) {
                h.share = share;
            }
        }
        (None, false) => party.owners.push(Holding { owner: owner.to_owned(), share }),
    }
    let total = party.owners.iter().map(|h| h.share.thousandths()).sum::<u32>();
    if total > Share::WHOLE.thousandths() {
        return Err(RegistryError::Invalid {
            field: "share",
            problem: format!("the owners of \"{}\" would hold {} in all, more than 100 %", party.name, Share(total)),
        });
    }
    if party.owners.len() > MAX_NAMES {
        return Err(RegistryError::Invalid { field: "owner", problem: format!("more than {MAX_NAMES} owners") });
    }
    Ok(())
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

/// `: headquartered in MY; also named "A", "B"; ultimate parent "P"; owned 30 % by "O"`, or nothing.
fn describe(p: &Party, countries: &Countries) -> String {
    let mut parts = Vec::new();
    if let Some(hq) = p.headquarters {
        parts.push(format!("headquartered in {}", countries.code(hq)));
    }
    if !p.aliases.is_empty() {
        parts.push(format!("also named {}", quoted(&p.aliases)));
    }
    if let Some(u) = &p.ultimate_parent {
        parts.push(format!("ultimate parent \"{u}\""));
    }
    if !p.owners.is_empty() {
        let owners: Vec<String> = p.owners.iter().map(|h| format!("{} by \"{}\"", h.share, h.owner)).collect();
        parts.push(format!("owned {}", owners.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

/// A named party of a request as the caller's registry identified it (filled by [`identify`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identified {
    pub role: crate::parties::PartyRole,
    /// The name as the request gives it; for a parent the registry supplied, as the registry records it.
    pub given: String,
    /// The registered party: its name and key.
    pub party: String,
    pub key: String,
    /// The registered name or alias the given name shares its key with.
    pub via: String,
    /// The registry's record of the consignee supplied this ultimate parent: the request named none, or another.
    pub supplied: bool,
    /// The ultimate parent the request named, when the registry records another one for the consignee (whose
    /// record then applies).
    pub replaced_parent: Option<String>,
    /// The headquarters the request gave, when the registry records another one (which is then applied).
    pub replaced_headquarters: Option<Country>,
}

/// Resolves the consignee and its ultimate parent through the registry: each registered name is identified; an
/// ultimate parent the registry records for the consignee fills in one the request does not name, and replaces
/// another one the request names; a headquarters the registry records replaces the request's (the officer's
/// record prevails, and the answer says so). Returns what was identified, consignee first.
pub fn identify(registry: &Registry, c: &mut crate::determine::Consignee) -> Vec<Identified> {
    use crate::parties::PartyRole;
    let mut out = Vec::new();
    if registry.is_empty() {
        return out;
    }
    if let Some(name) = c.name.clone() {
        if let Some(r) = registry.resolve(&name) {
            let replaced = replace(&mut c.headquarters, r.party.headquarters);
            // The parent the registry records, where the request names none or another party.
            let same = |given: &str, recorded: &str| {
                let key = |n: &str| registry.resolve(n).map(|p| p.party.key.clone()).or_else(|| party_key(n));
                key(given) == key(recorded)
            };
            let recorded = r.party.ultimate_parent.as_ref();
            let other = c.ultimate_parent.clone().filter(|g| recorded.is_some_and(|p| !same(g, p)));
            if let Some(parent) = recorded.filter(|_| c.ultimate_parent.is_none() || other.is_some()) {
                c.ultimate_parent = Some(parent.clone());
                // The parent's headquarters as the registry records it; else, for a request naming no parent, the
                // consignee's (as the wire reads such a request), and for one naming another, the request's.
                let registered = registry.resolve(parent);
                if let Some(hq) = registered.as_ref().and_then(|p| p.party.headquarters) {
                    c.ultimate_parent_headquarters = hq;
                } else if other.is_none() {
                    c.ultimate_parent_headquarters = c.headquarters;
                }
                out.push(identified(PartyRole::Consignee, &name, &r, replaced));
                let mut i = registered.map_or_else(
                    || Identified {
                        role: PartyRole::UltimateParent,
                        given: parent.clone(),
                        party: parent.clone(),
                        key: party_key(parent).unwrap_or_default(),
                        via: parent.clone(),
                        supplied: true,
                        replaced_headquarters: None,
                        replaced_parent: None,
                    },
                    |p| identified(PartyRole::UltimateParent, parent, &p, None),
                );
                i.supplied = true;
                i.replaced_parent = other;
                out.push(i);
                return out;
            }
            out.push(identified(PartyRole::Consignee, &name, &r, replaced));
        }
    }
    if let Some(parent) = c.ultimate_parent.clone() {
        if let Some(r) = registry.resolve(&parent) {
            let replaced = replace(&mut c.ultimate_parent_headquarters, r.party.headquarters);
            out.push(identified(PartyRole::UltimateParent, &parent, &r, replaced));
        }
    }
    out
}

fn identified(role: crate::parties::PartyRole, given: &str, r: &Resolved<'_>, replaced: Option<Country>) -> Identified {
    Identified {
        role,
        given: given.to_owned(),
        party: r.party.name.clone(),
        key: r.party.key.clone(),
        via: r.via.to_owned(),
        supplied: false,
        replaced_headquarters: replaced,
        replaced_parent: None,
    }
}

/// Puts the registry's headquarters in place of the request's; the request's when they differ.
fn replace(request: &mut Country, registry: Option<Country>) -> Option<Country> {
    match registry {
        Some(r) if r != *request => Some(std::mem::replace(request, r)),
        _ => None,
    }
}

/// The key of the ultimate consignee whose LPP receipts count (15 CFR 740.29): the registered party the
/// ultimate parent (else the consignee) resolved to, else the party key of the name as given.
pub fn ultimate_consignee_key(c: &crate::determine::Consignee) -> Option<String> {
    use crate::parties::PartyRole;
    let role = if c.ultimate_parent.is_some() { PartyRole::UltimateParent } else { PartyRole::Consignee };
    if let Some(i) = c.identified.iter().find(|i| i.role == role) {
        return Some(i.key.clone()).filter(|k| !k.is_empty());
    }
    party_key(crate::determine::ultimate_consignee(c)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn countries() -> Countries {
        (*crate::builtin::countries().expect("built-in countries")).clone()
    }

    fn add(reg: &Registry, name: &str, aliases: &[&str]) -> Result<Applied, RegistryError> {
        reg.apply(
            &Change::Add {
                name: name.into(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
                ultimate_parent: None,
                headquarters: None,
                owners: Vec::new(),
            },
            &countries(),
        )
    }

    fn with(reg: &Registry, applied: Applied) -> Registry {
        let mut parties: Vec<Party> = reg
            .parties()
            .iter()
            .filter(|p| p.key != applied.party.key && !applied.removed.contains(&p.key))
            .cloned()
            .collect();
        parties.push(applied.party);
        Registry::new(parties)
    }

    #[test]
    fn a_name_resolves_by_its_party_key_and_is_never_taken_twice() {
        let reg = with(&Registry::default(), add(&Registry::default(), "KL Compute", &["KL Cloud"]).unwrap());
        assert_eq!(reg.resolve("KL COMPUTE SDN. BHD.").map(|r| r.party.name.as_str()), Some("KL Compute"));
        assert_eq!(reg.resolve("kl cloud").map(|r| r.via), Some("KL Cloud"));
        assert!(reg.resolve("KL Compute Cloud").is_none(), "a distinctive word keeps names apart");
        let taken = add(&reg, "K.L. Cloud Ltd", &[]).unwrap_err();
        assert_eq!(taken.code(), "conflict", "{taken}");
        assert_eq!(add(&reg, "KL Compute Limited", &[]).unwrap_err().code(), "conflict", "the party's own key");
        assert_eq!(add(&reg, "Other", &["kl compute"]).unwrap_err().code(), "conflict", "an alias too");
        assert!(matches!(add(&reg, " .-", &[]), Err(RegistryError::NoKey { field: "name" })));
    }

    #[test]
    fn an_alias_brings_its_pools_and_a_merge_brings_every_name() {
        let reg = with(&Registry::default(), add(&Registry::default(), "KL Compute", &[]).unwrap());
        let reg = with(&reg, add(&reg, "Sabah Cloud", &["Sabah Cloud Services"]).unwrap());
        let alias = reg
            .apply(&Change::Alias { party: "kl compute".into(), aliases: vec!["KL Cloud".into()] }, &countries())
            .unwrap();
        assert_eq!(alias.moves, vec![("kl cloud".to_owned(), "kl compute".to_owned())]);
        let reg = with(&reg, alias);
        let merge = reg
            .apply(&Change::Merge { from: "Sabah Cloud Services".into(), into: "KL Cloud".into() }, &countries())
            .unwrap();
        assert_eq!(merge.removed, vec!["sabah cloud".to_owned()]);
        assert!(merge.moves.contains(&("sabah cloud".to_owned(), "kl compute".to_owned())));
        assert!(merge.moves.contains(&("sabah cloud services".to_owned(), "kl compute".to_owned())));
        let reg = with(&reg, merge);
        assert_eq!(reg.parties().len(), 1);
        assert_eq!(reg.resolve("Sabah Cloud").map(|r| r.party.key.as_str()), Some("kl compute"));
        let again = reg.apply(&Change::Merge { from: "Sabah Cloud".into(), into: "KL Compute".into() }, &countries());
        assert!(matches!(again, Err(RegistryError::Invalid { field: "from", .. })), "already one party");
    }

    #[test]
    fn a_merge_of_parties_recording_different_headquarters_is_refused() {
        let c = countries();
        let hq = |code: &str| Some(c.by_code(code).unwrap());
        let mut reg = Registry::default();
        for (name, h) in [("A Compute", "MY"), ("B Compute", "SG")] {
            let applied = reg
                .apply(
                    &Change::Add {
                        name: name.into(),
                        aliases: vec![],
                        ultimate_parent: None,
                        headquarters: hq(h),
                        owners: vec![],
                    },
                    &c,
                )
                .unwrap();
            reg = with(&reg, applied);
        }
        let refused = reg.apply(&Change::Merge { from: "A Compute".into(), into: "B Compute".into() }, &c).unwrap_err();
        assert!(matches!(refused, RegistryError::Invalid { field: "headquarters", .. }), "{refused}");
    }

    #[test]
    fn owners_hold_at_most_everything_and_never_the_party_itself() {
        let reg = with(&Registry::default(), add(&Registry::default(), "KL Compute", &["KL Cloud"]).unwrap());
        let owner = |o: &str, p: f64| Change::Owner {
            party: "KL Compute".into(),
            owner: o.into(),
            share: Share::from_percent(p).unwrap(),
        };
        let reg = with(&reg, reg.apply(&owner("Acme", 60.0), &countries()).unwrap());
        let over = reg.apply(&owner("Other", 40.001), &countries()).unwrap_err();
        assert!(over.to_string().contains("more than 100 %"), "{over}");
        assert!(reg.apply(&owner("KL Cloud Sdn Bhd", 10.0), &countries()).is_err(), "a party does not own itself");
        let removed = reg.apply(&owner("ACME", 0.0), &countries()).unwrap();
        assert!(removed.party.owners.is_empty(), "0 removes the owner, named by any spelling");
    }

    #[test]
    fn shares_parse_and_print_exactly() {
        assert_eq!(Share::parse("12.5%").map(Share::thousandths), Some(12_500));
        assert_eq!(Share::parse("33.333").map(|s| s.to_string()), Some("33.333 %".to_owned()));
        assert_eq!(Share::parse("100.001"), None);
        assert_eq!(Share::parse("-1"), None);
        assert_eq!(Share::parse("1e2"), None);
        assert_eq!(Share::parse("0.0001"), None, "finer than a thousandth");
    }
}
