//! The data compiled into Tiergate: the default rule pack, the country table and the accelerator catalog.
//!
//! `include_str!` reads them at build time; at run time nothing is read from disk.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::country::Countries;
use crate::pack::Pack;
use crate::DataError;

/// The default rule pack's TOML.
pub const PACK_TOML: &str = include_str!("../../../rules/ai-diffusion-2025.toml");
/// Where the default pack lives in the repository, for messages.
pub const PACK_SOURCE: &str = "rules/ai-diffusion-2025.toml (built in)";
pub const COUNTRIES_TOML: &str = include_str!("../../../data/countries.toml");
pub const CATALOG_TOML: &str = include_str!("../../../data/accelerators.toml");

pub fn countries() -> Result<Arc<Countries>, DataError> {
    Countries::from_toml(COUNTRIES_TOML).map(Arc::new)
}

pub fn catalog() -> Result<Catalog, DataError> {
    Catalog::from_toml(CATALOG_TOML, "data/accelerators.toml (built in)")
}

pub fn pack(countries: Arc<Countries>) -> Result<Pack, DataError> {
    Pack::from_toml(PACK_TOML, PACK_SOURCE, countries)
}
