//! One exposure from start to end, as the CLI and the API both run it: the flows registered, the grouping asked
//! for, and what the whole answer adds (groups by country for concentration and the map, by tier for the time
//! series, the counterparties with the most value).

use std::path::PathBuf;

use datafusion::arrow::record_batch::RecordBatch;
use tiergate_core::{Countries, Pack};
use time::Date;

use crate::engine::{Counterparty, Dim, Group, Query, Session};
use crate::input::ReadReport;
use crate::screening::{self, Against, Screening};
use crate::ExposureError;

/// Where the flows come from.
pub enum Source {
    /// Rows already read from CSV (`crate::read_csv`), with what the reading found.
    Read(Vec<RecordBatch>, ReadReport),
    /// A Parquet file the engine reads (on a cluster, at a path every executor reads).
    Parquet(PathBuf),
}

/// What to compute besides the grouping asked for.
#[derive(Default)]
pub struct Wants<'a> {
    /// Groups by period, tier and country (concentration, the map).
    pub by_country: bool,
    /// Groups by period and tier (the time series).
    pub by_tier: bool,
    /// How many counterparties, most value first (0: none).
    pub counterparties: usize,
    /// The counterparties the flows name, screened (see `crate::screening`).
    pub screening: Option<Screen<'a>>,
}

/// What to screen counterparties against, with the pack and date whose Tier 3 flags a headquarters.
pub struct Screen<'a> {
    pub against: Against<'a>,
    pub pack: &'a Pack,
    pub date: Date,
}

/// An exposure's figures.
#[derive(Debug, Default)]
pub struct Computed {
    pub input: ReadReport,
    pub groups: Vec<Group>,
    pub by_country: Vec<Group>,
    pub by_tier: Vec<Group>,
    pub counterparties: Vec<Counterparty>,
    /// Present when it was asked for.
    pub screening: Option<Screening>,
}

/// Runs `query` (and what `wants` adds) over `source` in `session`.
pub async fn compute(
    session: &Session,
    source: Source,
    countries: &Countries,
    query: &Query,
    wants: Wants<'_>,
) -> Result<Computed, ExposureError> {
    query.check()?;
    let input = match source {
        Source::Read(batches, report) => {
            session.flows_from_batches(batches)?;
            report
        }
        Source::Parquet(path) => session.flows_from_parquet(&path, countries).await?,
    };
    let groups = session.groups(query).await?;
    let by_country = also(session, query, &groups, wants.by_country, &[Dim::Period, Dim::Tier, Dim::Country]).await?;
    let by_tier = also(session, query, &groups, wants.by_tier, &[Dim::Period, Dim::Tier]).await?;
    let counterparties =
        if wants.counterparties > 0 { session.counterparties(query, wants.counterparties).await? } else { Vec::new() };
    let screening = match &wants.screening {
        None => None,
        Some(s) => Some(screening::screen(session, query, &s.against, s.pack, s.date).await?),
    };
    Ok(Computed { input, groups, by_country, by_tier, counterparties, screening })
}

/// The groups by `by` over `query`'s flows, if `wanted`; taken from `groups` when the query itself grouped so.
async fn also(
    session: &Session,
    query: &Query,
    groups: &[Group],
    wanted: bool,
    by: &[Dim],
) -> Result<Vec<Group>, ExposureError> {
    if !wanted {
        Ok(Vec::new())
    } else if query.by == by {
        Ok(groups.to_vec())
    } else {
        session
            .groups(&Query { by: by.to_vec(), products: query.products.clone(), exporter: query.exporter.clone() })
            .await
    }
}
