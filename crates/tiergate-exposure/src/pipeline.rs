//! One exposure from start to end, as the CLI and the API both run it: the flows registered, the grouping asked
//! for, and what the whole answer adds (groups by country for concentration and the map, by tier for the time
//! series, the counterparties with the most value).

use std::path::PathBuf;

use datafusion::arrow::record_batch::RecordBatch;
use tiergate_core::Countries;

use crate::engine::{Counterparty, Dim, Group, Query, Session};
use crate::input::ReadReport;
use crate::ExposureError;

/// Where the flows come from.
pub enum Source {
    /// Rows already read from CSV (`crate::read_csv`), with what the reading found.
    Read(Vec<RecordBatch>, ReadReport),
    /// A Parquet file the engine reads (on a cluster, at a path every executor reads).
    Parquet(PathBuf),
}

/// What to compute besides the grouping asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wants {
    /// Groups by period, tier and country (concentration, the map).
    pub by_country: bool,
    /// Groups by period and tier (the time series).
    pub by_tier: bool,
    /// How many counterparties, most value first (0: none).
    pub counterparties: usize,
}

/// An exposure's figures.
#[derive(Debug, Default)]
pub struct Computed {
    pub input: ReadReport,
    pub groups: Vec<Group>,
    pub by_country: Vec<Group>,
    pub by_tier: Vec<Group>,
    pub counterparties: Vec<Counterparty>,
}

/// Runs `query` (and what `wants` adds) over `source` in `session`.
pub async fn compute(
    session: &Session,
    source: Source,
    countries: &Countries,
    query: &Query,
    wants: Wants,
) -> Result<Computed, ExposureError> {
    query.check()?;
    let input = match source {
        Source::Read(batches, report) => {
            session.flows_from_batches(batches)?;
            report
        }
        Source::Parquet(path) => session.flows_from_parquet(&path, countries).await?,
    };
    let over = |by: Vec<Dim>| Query { by, products: query.products.clone(), exporter: query.exporter.clone() };
    let groups = session.groups(query).await?;
    let by_country = if wants.by_country {
        session.groups(&over(vec![Dim::Period, Dim::Tier, Dim::Country])).await?
    } else {
        Vec::new()
    };
    let by_tier = if wants.by_tier { session.groups(&over(vec![Dim::Period, Dim::Tier])).await? } else { Vec::new() };
    let counterparties =
        if wants.counterparties > 0 { session.counterparties(query, wants.counterparties).await? } else { Vec::new() };
    Ok(Computed { input, groups, by_country, by_tier, counterparties })
}
