//! The party registry on the wire: the stored JSON body of a party, the bodies of the API's change requests,
//! and what `tiergate parties` and `/v1/parties` answer. Decisions are the core's ([`Registry::apply`]).

use serde::{Deserialize, Serialize};
use tiergate_core::registry::{Change, Holding, Party, Registry, Share};
use tiergate_core::Countries;

use crate::request::{check_length, country, MAX_COUNTRY, MAX_NAME};
use crate::WireError;

/// A party as stored (and as `parties show` gives it, beside its key and record). Members it does not know are
/// ignored when read back (its schema then allows the record's members beside it in [`PartyOut`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyBody {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub ultimate_parent: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[serde(default)]
    pub headquarters: Option<String>,
    #[serde(default)]
    pub owners: Vec<OwnerBody>,
    /// Parties merged into this one, by name.
    #[serde(default)]
    pub merged: Vec<String>,
}

/// An owner and its share, in percent (up to three decimals).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    pub owner: String,
    pub percent: f64,
}

impl PartyBody {
    pub fn of(p: &Party, countries: &Countries) -> PartyBody {
        PartyBody {
            name: p.name.clone(),
            aliases: p.aliases.clone(),
            ultimate_parent: p.ultimate_parent.clone(),
            headquarters: p.headquarters.map(|c| countries.code(c).to_owned()),
            owners: p
                .owners
                .iter()
                .map(|h| OwnerBody { owner: h.owner.clone(), percent: h.share.as_percent() })
                .collect(),
            merged: p.merged.clone(),
        }
    }

    /// The stored body read back; `key` is the stored key, checked against the name's.
    pub fn party(&self, key: &str, countries: &Countries) -> Result<Party, String> {
        let own = tiergate_core::party::party_key(&self.name);
        if own.as_deref() != Some(key) {
            return Err(format!("the stored party `{key}` is named \"{}\", whose party key differs", self.name));
        }
        let headquarters = match &self.headquarters {
            Some(c) => Some(countries.by_code(c).ok_or_else(|| format!("party `{key}`: unknown headquarters `{c}`"))?),
            None => None,
        };
        let owners = self
            .owners
            .iter()
            .map(|o| {
                let share = Share::from_percent(o.percent)
                    .ok_or_else(|| format!("party `{key}`: owner \"{}\" holds {} %", o.owner, o.percent))?;
                Ok(Holding { owner: o.owner.clone(), share })
            })
            .collect::<Result<_, String>>()?;
        Ok(Party {
            key: key.to_owned(),
            name: self.name.clone(),
            aliases: self.aliases.clone(),
            ultimate_parent: self.ultimate_parent.clone(),
            headquarters,
            owners,
            merged: self.merged.clone(),
        })
    }

    /// As stored: compact JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and lists always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The registry from stored (key, body) pairs.
pub fn registry<'a>(
    countries: &Countries,
    stored: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Registry, String> {
    let parties = stored
        .into_iter()
        .map(|(key, body)| {
            let b: PartyBody =
                serde_json::from_str(body).map_err(|e| format!("the stored party `{key}` cannot be read: {e}"))?;
            b.party(key, countries)
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Registry::new(parties))
}

/// A party as `parties list|show` and `GET /v1/parties` give it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartyOut {
    /// The party key: what identifies the party, and its LPP pool.
    pub key: String,
    #[serde(flatten)]
    pub body: PartyBody,
    /// Who last changed the party, and when (RFC 3339).
    pub recorded_by: String,
    pub recorded_at: String,
}

/// What a change answers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeOut {
    /// `party-add`, `party-alias`, `party-set`, `party-owner` or `party-merge`: the audit log's action.
    pub action: String,
    /// The audit log's reason: what changed, in a sentence.
    pub summary: String,
    pub party: PartyOut,
    /// LPP reservations moved to this party's pools (a merge or a new alias brings its receipts along).
    pub moved_reservations: u64,
}

fn share(field: &str, percent: f64) -> Result<Share, WireError> {
    Share::from_percent(percent).ok_or_else(|| {
        WireError::new(
            "invalid_value",
            Some(field),
            format!("`{field}` must be a percentage from 0 to 100 with at most three decimals, not {percent}"),
        )
    })
}

/// `POST /v1/parties`: a new party.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddParty {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub ultimate_parent: Option<String>,
    /// A country code or name.
    #[serde(default)]
    pub headquarters: Option<String>,
    #[serde(default)]
    pub owners: Vec<OwnerBody>,
}

/// The most aliases or owners one change may name.
pub const MAX_LIST: usize = 100;

/// Each name within [`MAX_NAME`] characters and at most [`MAX_LIST`] of them.
fn check_names<'a>(field: &str, names: impl ExactSizeIterator<Item = &'a str>) -> Result<(), WireError> {
    if names.len() > MAX_LIST {
        return Err(WireError::invalid(field, format!("`{field}` holds more than {MAX_LIST} names")));
    }
    for (i, name) in names.enumerate() {
        check_length(&format!("{field}[{i}]"), Some(name), MAX_NAME)?;
    }
    Ok(())
}

impl AddParty {
    pub fn change(self, countries: &Countries) -> Result<Change, WireError> {
        check_length("name", Some(&self.name), MAX_NAME)?;
        check_length("ultimate_parent", self.ultimate_parent.as_deref(), MAX_NAME)?;
        check_length("headquarters", self.headquarters.as_deref(), MAX_COUNTRY)?;
        check_names("aliases", self.aliases.iter().map(String::as_str))?;
        check_names("owners", self.owners.iter().map(|o| o.owner.as_str()))?;
        let headquarters = self.headquarters.as_deref().map(|h| country(countries, "headquarters", h)).transpose()?;
        let owners = self
            .owners
            .iter()
            .enumerate()
            .map(|(i, o)| {
                Ok(Holding { owner: o.owner.clone(), share: share(&format!("owners[{i}].percent"), o.percent)? })
            })
            .collect::<Result<_, WireError>>()?;
        Ok(Change::Add {
            name: self.name,
            aliases: self.aliases,
            ultimate_parent: self.ultimate_parent,
            headquarters,
            owners,
        })
    }
}

/// `PATCH /v1/parties/{name}`: a member absent is left as it is; `null` clears it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetParty {
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub ultimate_parent: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub headquarters: Option<Option<String>>,
}

/// A member present (even as `null`) is `Some`.
fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl SetParty {
    pub fn change(self, party: String, countries: &Countries) -> Result<Change, WireError> {
        check_length("ultimate_parent", self.ultimate_parent.as_ref().and_then(Option::as_deref), MAX_NAME)?;
        check_length("headquarters", self.headquarters.as_ref().and_then(Option::as_deref), MAX_COUNTRY)?;
        let headquarters = match self.headquarters {
            Some(Some(h)) => Some(Some(country(countries, "headquarters", &h)?)),
            Some(None) => Some(None),
            None => None,
        };
        Ok(Change::Set { party, ultimate_parent: self.ultimate_parent, headquarters })
    }
}

/// `POST /v1/parties/{name}/aliases`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasParty {
    pub aliases: Vec<String>,
}

impl AliasParty {
    pub fn change(self, party: String) -> Result<Change, WireError> {
        check_names("aliases", self.aliases.iter().map(String::as_str))?;
        Ok(Change::Alias { party, aliases: self.aliases })
    }
}

/// `PUT /v1/parties/{name}/owners`: an owner's share; 0 removes the owner.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerShare {
    pub owner: String,
    pub percent: f64,
}

impl OwnerShare {
    pub fn change(self, party: String) -> Result<Change, WireError> {
        check_length("owner", Some(&self.owner), MAX_NAME)?;
        Ok(Change::Owner { party, owner: self.owner, share: share("percent", self.percent)? })
    }
}

/// `POST /v1/parties/merge`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeParties {
    /// The party that becomes a part of `into`.
    pub from: String,
    pub into: String,
}

impl MergeParties {
    pub fn change(self) -> Result<Change, WireError> {
        check_length("from", Some(&self.from), MAX_NAME)?;
        check_length("into", Some(&self.into), MAX_NAME)?;
        Ok(Change::Merge { from: self.from, into: self.into })
    }
}

/// Parses a share written as `50`, `33.333` or `12.5%` (the CLI's `--owner NAME=PERCENT`).
pub fn parse_share(field: &str, text: &str) -> Result<Share, WireError> {
    Share::parse(text).ok_or_else(|| {
        WireError::new(
            "invalid_value",
            Some(field),
            format!("`{text}` is not a percentage from 0 to 100 with at most three decimals"),
        )
    })
}
