//! Allocation pools: what a ledger account is, and its cap on a date, from the rule pack (RULE.md §5).
//!
//! - `country:XX` — a Tier 2 country's allocation of licensed .a-class TPP, raised for Supp. No. 5(b) countries.
//! - `lpp:<ultimate consignee>:<year>` — what one ultimate consignee may receive under LPP in a calendar year,
//!   the consignee named by its party key (`crate::party`): "lpp:KL Compute Sdn Bhd:2025" is `lpp:kl compute:2025`.
//! - `nveu:<id>` — a National VEU's cumulative installed base, by the quarterly schedule.
//!
//! A pool the rule does not define (a Tier 1 or Tier 3 country, a date outside the allocation period, an
//! unknown kind) is an error that says why.

use time::Date;

use crate::country::Country;
use crate::pack::Pack;
use crate::party::party_key;

/// A pool id, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolId {
    Country(Country),
    Lpp { consignee: String, year: i32 },
    Nveu(String),
}

/// A pool's cap on a date, with the citation of the rule that sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cap<'p> {
    pub tpp: u64,
    pub citation: &'p str,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("a pool id holds at most {MAX_POOL_ID} characters")]
    TooLong,
    #[error("`{0}` is not a pool: pools are `country:XX`, `lpp:<ultimate consignee>:<year>` or `nveu:<id>`")]
    Malformed(String),
    #[error("`{0}` is not a country code")]
    UnknownCountry(String),
    #[error(
        "`country:{code}` has no allocation: {code} is Tier 1 on {date}, and licenses to Tier 1 draw on no allocation"
    )]
    Tier1 { code: String, date: Date },
    #[error("`country:{code}` has no allocation: {code} is Tier 3 (Macau or D:5) on {date}, where licenses face a presumption of denial")]
    Tier3 { code: String, date: Date },
    #[error("`country:{code}` has no allocation on {date}: the rule sets allocations from {from} to {to}")]
    OutsidePeriod { code: String, date: Date, from: Date, to: Date },
    #[error("`{pool}` has no cap on {date}: the NVEU schedule sets none for that quarter")]
    NoNveuCap { pool: String, date: Date },
}

/// The longest pool id: an LPP pool's consignee name (at most 300 characters, as every party name) with its
/// prefix and year, with room to spare.
pub const MAX_POOL_ID: usize = 400;

impl PoolError {
    pub fn code(&self) -> &'static str {
        match self {
            PoolError::TooLong | PoolError::Malformed(_) | PoolError::UnknownCountry(_) => "invalid_pool",
            PoolError::Tier1 { .. }
            | PoolError::Tier3 { .. }
            | PoolError::OutsidePeriod { .. }
            | PoolError::NoNveuCap { .. } => "undefined_pool",
        }
    }
}

impl PoolId {
    /// Parses a pool id. Country codes must be exact ISO codes (`country:MY`), so that one pool has one name.
    pub fn parse(text: &str, pack: &Pack) -> Result<PoolId, PoolError> {
        if text.chars().nth(MAX_POOL_ID).is_some() {
            return Err(PoolError::TooLong);
        }
        let malformed = || PoolError::Malformed(text.to_owned());
        let (kind, rest) = text.split_once(':').ok_or_else(malformed)?;
        match kind {
            "country" => pack
                .countries
                .by_code(rest)
                .map(PoolId::Country)
                .ok_or_else(|| PoolError::UnknownCountry(rest.to_owned())),
            "lpp" => {
                let (consignee, year) = rest.rsplit_once(':').ok_or_else(malformed)?;
                let year: i32 = year.parse().ok().filter(|y| (1900..=9999).contains(y)).ok_or_else(malformed)?;
                // One pool per ultimate consignee however it is spelt: its party key.
                let consignee = party_key(consignee).ok_or_else(malformed)?;
                Ok(PoolId::Lpp { consignee, year })
            }
            "nveu" if !rest.trim().is_empty() && rest.trim() == rest => Ok(PoolId::Nveu(rest.to_owned())),
            _ => Err(malformed()),
        }
    }

    /// The LPP pool of an ultimate consignee for the year of `date`, keyed by its party key; `None` for a name
    /// with no letter or digit.
    pub fn lpp(consignee: &str, date: Date) -> Option<PoolId> {
        Some(PoolId::Lpp { consignee: party_key(consignee)?, year: date.year() })
    }

    /// The LPP pool of the party with this party key for the year of `date`.
    pub fn lpp_of_key(key: String, date: Date) -> PoolId {
        PoolId::Lpp { consignee: key, year: date.year() }
    }

    /// What the name of every LPP pool of the party with this key starts with, whatever the year.
    pub fn lpp_prefix(key: &str) -> String {
        format!("lpp:{key}:")
    }

    /// The pool's cap on `date`.
    pub fn cap<'p>(&self, pack: &'p Pack, date: Date) -> Result<Cap<'p>, PoolError> {
        match self {
            PoolId::Country(c) => {
                let code = pack.countries.code(*c).to_owned();
                let snap = pack.at(date);
                let canonical = pack.canonical(*c);
                if snap.tier1.contains(canonical) {
                    return Err(PoolError::Tier1 { code, date });
                }
                if snap.tier3.contains(canonical) {
                    return Err(PoolError::Tier3 { code, date });
                }
                let tpp = pack.country_allocation(*c, date).ok_or(PoolError::OutsidePeriod {
                    code,
                    date,
                    from: pack.allocation.period_from,
                    to: pack.allocation.period_to,
                })?;
                Ok(Cap { tpp, citation: &pack.allocation.country_tpp.citation })
            }
            PoolId::Lpp { .. } => Ok(Cap {
                tpp: pack.lpp_annual_limit_tpp.value.whole_ceil(),
                citation: &pack.lpp_annual_limit_tpp.citation,
            }),
            PoolId::Nveu(_) => pack
                .nveu
                .cap(date)
                .map(|(_, tpp)| Cap { tpp, citation: &pack.nveu.citation })
                .ok_or_else(|| PoolError::NoNveuCap { pool: self.to_string_with(pack), date }),
        }
    }

    /// The canonical text of the pool id.
    pub fn to_string_with(&self, pack: &Pack) -> String {
        match self {
            PoolId::Country(c) => format!("country:{}", pack.countries.code(*c)),
            PoolId::Lpp { consignee, year } => format!("lpp:{consignee}:{year}"),
            PoolId::Nveu(id) => format!("nveu:{id}"),
        }
    }
}
