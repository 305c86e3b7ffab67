//! Restricted-party screening: list parsers, name normalisation, the candidate index and explained scores.
//!
//! Nothing here touches a database or the network: lists arrive as bytes, judgements as data. The matching
//! numbers (thresholds, weights, legal forms) come from `data/screening.toml`, never from code.

pub mod config;
pub mod index;
pub mod lists;
pub mod normalize;
pub mod screener;

pub use config::Config;
pub use index::{Decision, Features, Hit, Index, MatchKind};
pub use lists::{Entry, Format, Parsed, RowProblem};
pub use screener::{HitOut, Judged, ScreenOut, Screener};
