//! Supply-chain exposure by country tier (docs/EXPOSURE.md): trade flows — a user's own supplier and customer rows,
//! or public flows such as CEPII BACI — set against the country tiers of one pack at one date, as plain SQL over
//! Apache DataFusion, embedded. In a crate of its own so that the rest of the workspace builds without DataFusion.
//!
//! `input.rs` reads CSV flows into the canonical table (every bad row counted, the first listed by line);
//! `engine.rs` registers `flows` and `tiers` in a DataFusion session (embedded or on a cluster) and runs the
//! groupings; `pipeline.rs` runs one exposure as the CLI and the API both do; `report.rs` shapes the answer
//! (groups, and concentration: top countries and the HHI per tier and period; the Markdown report);
//! `screening.rs` screens the counterparties the flows name against a ledger's lists and party registry.
//!
//! **Invariant:** no per-row call into the core: the core gives the `tiers` table once, and every figure is SQL
//! over the tables, so that the same plan can run on another DataFusion engine; screening runs once per distinct
//! name, and the flagged names return to the engine as the `parties` table.

pub mod engine;
pub mod input;
pub mod pipeline;
pub mod report;
pub mod screening;

pub use engine::{Counterparty, Dim, Engine, Group, Query, Session};
pub use input::{read_csv, InputFormat, ReadReport};
pub use pipeline::{compute, Computed, Screen, Source, Wants};
pub use screening::{Against, Screening};

/// Why an exposure could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ExposureError {
    /// The input: its header, a path, an option.
    #[error("{0}")]
    Input(String),
    /// Data compiled in (the BACI code table).
    #[error("{0}")]
    Data(String),
    #[error("the query engine: {0}")]
    Engine(String),
}
