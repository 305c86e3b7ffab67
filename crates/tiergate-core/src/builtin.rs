//! The data compiled into Tiergate: the rule packs and the timelines over them, the country table and the
//! accelerator catalog.
//!
//! `include_str!` reads them at build time; at run time nothing is read from disk.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::country::Countries;
use crate::pack::{Library, Pack};
use crate::regimes::Regimes;
use crate::DataError;

/// The default rule pack's TOML.
pub const PACK_TOML: &str = include_str!("../../../rules/ai-diffusion-2025.toml");
/// Where the default pack lives in the repository, for messages.
pub const PACK_SOURCE: &str = "rules/ai-diffusion-2025.toml (built in)";
/// Every built-in pack: its source (for messages) and its text. A pack written over another comes after it.
pub const PACKS: &[(&str, &str)] = &[
    (PACK_SOURCE, PACK_TOML),
    ("rules/us-ac-2023-11.toml (built in)", include_str!("../../../rules/us-ac-2023-11.toml")),
    ("rules/us-ac-2024-04.toml (built in)", include_str!("../../../rules/us-ac-2024-04.toml")),
    ("rules/us-ac-2024-12.toml (built in)", include_str!("../../../rules/us-ac-2024-12.toml")),
    ("rules/ai-diffusion-2026-01.toml (built in)", include_str!("../../../rules/ai-diffusion-2026-01.toml")),
    ("rules/enforced-2025-05.toml (built in)", include_str!("../../../rules/enforced-2025-05.toml")),
    ("rules/enforced-2026-01.toml (built in)", include_str!("../../../rules/enforced-2026-01.toml")),
];
/// The timelines over the built-in packs.
pub const TIMELINES_TOML: &str = include_str!("../../../rules/timelines.toml");
pub const TIMELINES_SOURCE: &str = "rules/timelines.toml (built in)";
pub const COUNTRIES_TOML: &str = include_str!("../../../data/countries.toml");
pub const CATALOG_TOML: &str = include_str!("../../../data/accelerators.toml");
/// Epoch AI's GPU clusters, unmodified (data/licenses/EPOCH-AI.md): the compute per country that
/// `tiergate scenario capacity` sets against the allocations when no file is given.
pub const CLUSTERS_CSV: &str = include_str!("../../../data/sources/epoch-gpu-clusters.csv");
pub const CLUSTERS_SOURCE: &str = "data/sources/epoch-gpu-clusters.csv (built in)";
/// The credit CC BY 4.0 asks for, wherever the cluster data is shown.
pub const CLUSTERS_ATTRIBUTION: &str = "Data: Epoch AI, GPU Clusters dataset (epoch.ai/data/gpu-clusters), CC BY 4.0; about Q4 2025; converted to TPP through Tiergate's accelerator catalog (also from Epoch AI data).";

pub fn countries() -> Result<Arc<Countries>, DataError> {
    Countries::from_toml(COUNTRIES_TOML).map(Arc::new)
}

pub fn catalog() -> Result<Catalog, DataError> {
    Catalog::from_toml(CATALOG_TOML, "data/accelerators.toml (built in)")
}

pub fn pack(countries: Arc<Countries>) -> Result<Pack, DataError> {
    Pack::from_toml(PACK_TOML, PACK_SOURCE, countries)
}

/// The built-in packs, not yet built: what a pack file written over one of them (`extends`) resolves against.
pub fn library() -> Result<Library, DataError> {
    let mut library = Library::new();
    for (source, text) in PACKS {
        library.add(source, text)?;
    }
    Ok(library)
}

/// Every built-in pack, built and validated, and the timelines over them.
pub fn regimes(countries: &Arc<Countries>) -> Result<Regimes, DataError> {
    Regimes::load(&library()?, TIMELINES_TOML, TIMELINES_SOURCE, countries)
}

/// Reads a pack file a user gives: written whole, or written over a built-in pack (`extends`). A copy with a
/// built-in pack's id replaces it (its sha256 tells the two apart).
pub fn user_pack(text: &str, source: &str, countries: Arc<Countries>) -> Result<Pack, DataError> {
    let table: toml::Table = crate::parse_toml(text, source)?;
    if !table.contains_key("extends") {
        return Pack::from_toml(text, source, countries);
    }
    let mut library = library()?;
    let id = library.insert(source, text)?;
    library.build(&id, countries)
}
