//! What a determination needs besides the request, and which regime answers it.
//!
//! A regime is chosen by name: a timeline (`codified`, the default, or `enforced`), which answers each request
//! under the pack in force on its own date, or a pack id, which answers every request. A pack file given with
//! `--pack` is pinned the same way; it may be written over a built-in pack (`extends`).

use std::sync::Arc;

use tiergate_core::regimes::{Regimes, Timeline};
use tiergate_core::scenario::Scenario;
use tiergate_core::{builtin, determine, Catalog, Countries, DataError, Determination, DetermineError, Pack, Request};

use crate::{RegimeOut, WireError};

/// The regime a build answers under when none is named.
pub const DEFAULT_REGIME: &str = "codified";

/// Which regime answers.
#[derive(Clone, Debug)]
pub enum Regime {
    /// A timeline, by name: each request answered under the pack in force on its date.
    Timeline(String),
    /// One pack for every date (a built-in pack named by id, or a pinned file).
    Pack(Arc<Pack>),
    /// A scenario: its packs (`scenario:NAME`) over its base's, by date where the base is a timeline.
    Scenario(Arc<Scenario>),
}

/// What a determination needs besides the request: the countries, the catalog, every known pack and timeline, and
/// the regime chosen among them.
#[derive(Clone, Debug)]
pub struct Env {
    pub countries: Arc<Countries>,
    pub catalog: Arc<Catalog>,
    /// The pack for what no request dates (VEU registration, KYC, the ledger's pools, `pack show`): the chosen
    /// timeline's latest pack, or the chosen pack.
    pub pack: Arc<Pack>,
    pub regimes: Arc<Regimes>,
    pub regime: Regime,
    /// A timeline whose answer is added beside each answer where it differs (`--compare`).
    pub compare: Option<String>,
}

impl Env {
    /// The built-in data, answering under the `codified` timeline.
    pub fn builtin() -> Result<Env, DataError> {
        let countries = builtin::countries()?;
        let regimes = Arc::new(builtin::regimes(&countries)?);
        let catalog = Arc::new(builtin::catalog()?);
        let (regime, pack) = resolve(&regimes, DEFAULT_REGIME).map_err(|m| DataError::new("rules", "regime", m))?;
        Ok(Env { countries, catalog, pack, regimes, regime, compare: None })
    }

    /// The built-in data with the pack in `text` (read from `source`, named in errors) pinned: every request is
    /// answered under it. It may extend a built-in pack; a copy with a built-in pack's id replaces it.
    pub fn with_pack(text: &str, source: &str) -> Result<Env, DataError> {
        let mut env = Env::builtin()?;
        let pack = builtin::user_pack(text, source, Arc::clone(&env.countries))?;
        let pack = Arc::new(pack);
        env.regime = Regime::Pack(Arc::clone(&pack));
        env.pack = pack;
        Ok(env)
    }

    /// This environment answering under the scenario in `text` (read from `source`, named in errors), written over
    /// the built-in packs and timelines.
    pub fn with_scenario(&self, text: &str, source: &str) -> Result<Env, DataError> {
        let library = builtin::library()?;
        let scenario = Scenario::load(text, source, &library, &self.regimes, &self.countries)?;
        Ok(self.under(Arc::new(scenario)))
    }

    /// This environment answering under a scenario already loaded.
    pub fn under(&self, scenario: Arc<Scenario>) -> Env {
        Env { pack: Arc::clone(&scenario.pack), regime: Regime::Scenario(scenario), ..self.clone() }
    }

    /// The scenario answering, if one is.
    pub fn scenario(&self) -> Option<&Arc<Scenario>> {
        match &self.regime {
            Regime::Scenario(s) => Some(s),
            _ => None,
        }
    }

    /// This environment answering under regime `name`: a timeline or a built-in pack's id. The error names the
    /// choices.
    pub fn select(&self, name: &str) -> Result<Env, WireError> {
        let (regime, pack) =
            resolve(&self.regimes, name).map_err(|m| WireError::new("invalid_value", Some("regime"), m))?;
        Ok(Env { regime, pack, ..self.clone() })
    }

    /// This environment adding, beside each answer, timeline `name`'s answer where it differs.
    pub fn comparing(mut self, name: Option<&str>) -> Result<Env, WireError> {
        match name {
            None => self.compare = None,
            Some(n) if self.regimes.timeline(n).is_some() => self.compare = Some(n.to_owned()),
            Some(n) => {
                return Err(WireError::new(
                    "invalid_value",
                    Some("compare"),
                    format!("`{n}` is not a timeline (timelines: {})", timeline_names(&self.regimes)),
                ))
            }
        }
        Ok(self)
    }

    /// The name of the chosen regime: the timeline's, or the pack's id.
    pub fn regime_name(&self) -> &str {
        match &self.regime {
            Regime::Timeline(t) => t,
            Regime::Pack(p) => &p.id,
            Regime::Scenario(s) => &s.id,
        }
    }

    /// The chosen timeline, if a timeline was chosen (not a scenario's, whose answers name no timeline).
    pub fn timeline(&self) -> Option<&Timeline> {
        match &self.regime {
            Regime::Timeline(t) => self.regimes.timeline(t),
            Regime::Pack(_) | Regime::Scenario(_) => None,
        }
    }

    /// The pack that answers a request dated `date`, and how the answer names it; `date_before_effective` before
    /// the chosen timeline's first period.
    pub fn answering(&self, date: time::Date) -> Result<(&Pack, RegimeOut<'_>), WireError> {
        if let Some(t) = self.timeline() {
            let p = t.period_on(date).map_err(|e| wire_error(&e))?;
            return Ok((&p.pack, RegimeOut::on(&t.name, &p.pack)));
        }
        // A scenario's answers name its own pack and no timeline, even over one: never an official regime.
        if let Some(t) = self.scenario().and_then(|s| s.timeline.as_ref()) {
            let p = t.period_on(date).map_err(|e| wire_error(&e))?;
            return Ok((&p.pack, RegimeOut::of(&p.pack)));
        }
        Ok((&self.pack, RegimeOut::of(&self.pack)))
    }

    /// Determines `req` under the chosen regime.
    pub fn determine(&self, req: &Request) -> Result<Determination<'_>, WireError> {
        let timeline = self.timeline().or_else(|| self.scenario().and_then(|s| s.timeline.as_ref()));
        let d = match timeline {
            Some(t) => t.determine(req, &self.catalog),
            None => determine(req, &self.pack, &self.catalog),
        };
        d.map_err(|e| wire_error(&e))
    }
}

/// A determination's error as the wire names it (`date` for `date_before_effective`).
fn wire_error(e: &DetermineError) -> WireError {
    WireError::new(e.code(), Some(e.field()), e.to_string())
}

fn timeline_names(regimes: &Regimes) -> String {
    regimes.timelines.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Resolves a regime's name: a timeline, or a built-in pack's id.
fn resolve(regimes: &Regimes, name: &str) -> Result<(Regime, Arc<Pack>), String> {
    if let Some(t) = regimes.timeline(name) {
        let last = t.periods.last().ok_or_else(|| format!("timeline `{name}` has no period"))?;
        return Ok((Regime::Timeline(name.to_owned()), Arc::clone(&last.pack)));
    }
    if let Some(p) = regimes.pack(name) {
        return Ok((Regime::Pack(Arc::clone(p)), Arc::clone(p)));
    }
    let packs: Vec<&str> = regimes.packs.iter().map(|p| p.id.as_str()).collect();
    Err(format!(
        "`{name}` is neither a timeline ({}) nor a built-in pack ({})",
        timeline_names(regimes),
        packs.join(", ")
    ))
}
