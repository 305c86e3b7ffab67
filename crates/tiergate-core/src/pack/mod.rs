//! Rule packs: the regulation as data, validated at load.
//!
//! A pack is TOML (`rules/*.toml`). [`Pack::from_toml`] reads it into raw serde structs, then checks every
//! value and builds the validated [`Pack`] the engine uses: country groups as bit sets (one snapshot per dated
//! change), thresholds in exact units, readings as enums, obligation texts with their numbers filled in.
//! A bad pack is rejected with a [`DataError`] naming the key and the problem.

//!
//! The module: `raw.rs` (the TOML shape), `model.rs` (the validated model), `values.rs` (checks of single values),
//! `assemble.rs` (the whole pack, section by section), `parties.rs` (`[parties]` and the Affiliates rule),
//! `guidelines.rs` (`[veu_guidelines]`, Supp. No. 10 to part 748), `library.rs` (packs written over others with `extends`, and the set of packs a build knows). Timelines, which
//! say which pack answers on which date, are in `crate::regimes`.

mod assemble;
mod guidelines;
mod library;
mod model;
mod parties;
mod raw;
mod values;

use std::collections::HashMap;
use std::sync::Arc;

use time::Date;

pub use library::{build_table, Library, Merged, Packs};
pub use model::*;

use crate::country::{Countries, Country};
use crate::parties::PartyRules;
use crate::units::Tpp;
use crate::DataError;

/// The schema version of the pack format this build reads.
pub const SCHEMA: u32 = 1;

/// A validated rule pack.
#[derive(Clone, Debug)]
pub struct Pack {
    pub id: String,
    /// The SHA-256, in hex, of the pack's text as loaded: a modified copy never passes as the pack it was copied
    /// from, whatever its `id` says.
    pub sha256: String,
    pub version: String,
    pub title: String,
    pub citation: String,
    /// The packs this one is written over (`extends`), nearest last; empty for a pack written whole.
    pub extends: Vec<String>,
    /// What this regime changes, in a few lines.
    pub changes: Vec<String>,
    /// What the regime has of the framework's own mechanisms (tiers, allocations, 4E091).
    pub regime: RegimeTraits,
    /// 91 FR 1684's case-by-case band, in a pack from 2026-01-15 on.
    pub china_review: Option<ChinaReview>,
    /// Dated group changes that rest on less than the regulation's words.
    pub uncertain_changes: Vec<UncertainChange>,
    /// Whether ACA exists apart from NAC (from 89 FR 23876, 2024-04-04).
    pub aca_split: bool,
    pub countries: Arc<Countries>,
    pub effective: Cited<Date>,
    pub compliance: Cited<Date>,
    pub security_compliance: Cited<Date>,
    pub status: Vec<StatusNote>,
    pub group_names: Vec<String>,
    pub group_titles: Vec<Cited<String>>,
    /// Each group in a few words, for sentences (parallel to `group_names`).
    pub group_labels: Vec<String>,
    snapshots: Vec<Snapshot>,
    treated_as: Vec<Option<TreatedAs>>,
    dependencies: Vec<Option<Dependency>>,
    /// The United States: no destination under the EAR (its territories are treated as it).
    pub united_states: Cited<Country>,
    pub scopes: Scopes,
    pub requirements: Requirements,
    pub aca_transfers_within_citation: String,
    pub tier1_citation: String,
    pub tier2_citation: String,
    pub tier3_citation: String,
    /// The headquarters rule: an entity headquartered, or whose ultimate parent is headquartered, in a tier 3 group
    /// is treated as tier 3 (presumption of denial) wherever it is located.
    pub tier3_headquarters: Cited<bool>,
    pub assurances_citation: String,
    pub thresholds: Thresholds,
    pub model_weights: ModelWeightRules,
    pub aia_citation: String,
    pub aia_model_weights_citation: String,
    pub aia_certification_report_tpp: Cited<Tpp>,
    pub aca_citation: String,
    pub nac_citation: String,
    pub nac_notice_days: Cited<u64>,
    pub acm_citation: String,
    pub acm_exclusion_citation: String,
    pub uveu_citation: String,
    pub nveu_citation: String,
    pub veu_eligibility: VeuEligibility,
    /// Supp. No. 10 to part 748 (data-centre VEU guidelines); none in a regime before 90 FR 4544.
    pub veu_guidelines: Option<VeuGuidelines>,
    pub lpp_citation: String,
    pub lpp_exclusion_citation: String,
    pub lpp_annual_limit_tpp: Cited<Tpp>,
    pub lpp_pre_shipment_notice_tpp: Cited<Tpp>,
    pub policy: PolicyCitations,
    pub allocation: AllocationRules,
    pub nveu: NveuSchedule,
    pub uveu: UveuRules,
    pub readings: Readings,
    obligations: HashMap<String, ObligationText>,
    pub parties: PartyRules,
    pub kyc: KycRules,
    /// Months a license for .a-class items is valid (750.7(g)).
    pub license_validity_months: Cited<u64>,
    pub not_assessed: Vec<NotAssessed>,
}

impl Pack {
    /// The groups in force on `date`.
    pub fn at(&self, date: Date) -> &Snapshot {
        let mut current = self.snapshots.first();
        for s in &self.snapshots {
            match s.from {
                Some(from) if from <= date => current = Some(s),
                Some(_) => break,
                None => {}
            }
        }
        // `from_toml` always builds the undated base snapshot first.
        #[allow(clippy::expect_used)]
        current.expect("a pack always has its base snapshot")
    }

    /// The dates from which the groups change, in order (the undated base snapshot aside).
    pub fn change_dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.snapshots.iter().filter_map(|s| s.from)
    }

    /// The country whose group memberships `c` takes (Hong Kong → China), with the citation for it.
    pub fn treated_as(&self, c: Country) -> Option<(Country, &str)> {
        self.treatment(c).map(|t| (t.to, t.citation.as_str()))
    }

    /// How the EAR treats `c` as another country, if it does.
    pub fn treatment(&self, c: Country) -> Option<&TreatedAs> {
        self.treated_as.get(c.index()).and_then(|t| t.as_ref())
    }

    /// `c` as a dependency the EAR lists as a destination of its own, if it is one.
    pub fn dependency(&self, c: Country) -> Option<&Dependency> {
        self.dependencies.get(c.index()).and_then(|t| t.as_ref())
    }

    /// `c`, or the country the rule treats it as.
    pub fn canonical(&self, c: Country) -> Country {
        self.treated_as(c).map_or(c, |(to, _)| to)
    }

    /// Names of the groups `c` belongs to on `date` (after treating it as another country where the rule does).
    pub fn groups_of(&self, c: Country, date: Date) -> Vec<&str> {
        let c = self.canonical(c);
        let snap = self.at(date);
        self.group_names.iter().zip(&snap.groups).filter(|(_, set)| set.contains(c)).map(|(n, _)| n.as_str()).collect()
    }

    /// Whether `c` (after treating it as another country where the rule does) is in any of `groups` on `date`.
    pub fn in_groups(&self, c: Country, date: Date, groups: &[usize]) -> bool {
        let c = self.canonical(c);
        let snap = self.at(date);
        groups.iter().any(|g| snap.groups.get(*g).is_some_and(|set| set.contains(c)))
    }

    pub fn obligation(&self, id: &str) -> Option<&ObligationText> {
        self.obligations.get(id)
    }

    /// The Tier 2 country allocation for `country` on `date`, if the pack sets one for that date.
    pub fn country_allocation(&self, country: Country, date: Date) -> Option<u64> {
        if !self.regime.allocations || date < self.allocation.period_from || date > self.allocation.period_to {
            return None;
        }
        let base = self.allocation.country_tpp.value;
        if self.at(date).assurances.contains(self.canonical(country)) {
            base.checked_mul(self.allocation.assurance_percent.value).map(|v| v / 100)
        } else {
            Some(base)
        }
    }

    /// Reads and validates a pack. `source` names it in error messages (a path, or `builtin`).
    /// A pack written over others (`extends`) needs them: load it through a [`Library`].
    pub fn from_toml(text: &str, source: &str, countries: Arc<Countries>) -> Result<Pack, DataError> {
        use sha2::{Digest, Sha256};
        let table: toml::Table = crate::parse_toml(text, source)?;
        if table.contains_key("extends") {
            return Err(DataError::new(
                source,
                "extends",
                "this pack is written over another: load it with the packs it extends (a pack library)".into(),
            ));
        }
        let raw: raw::RawPack = crate::parse_toml(text, source)?;
        let mut pack = values::Builder { source, countries: &countries }.build(raw, Arc::clone(&countries))?;
        pack.sha256 = library::hex(&Sha256::digest(text.as_bytes()));
        Ok(pack)
    }
}
