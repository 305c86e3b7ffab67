//! Tiergate's wire types: the JSON shapes of requests and answers, shared by the CLI and (later) the server.
//!
//! Parsing is strict: unknown fields, wrong types, unknown countries and items are errors naming the field.
//! Conversion produces the core's validated [`tiergate_core::Request`]; serialization borrows the core's
//! [`tiergate_core::Determination`] and writes the contract's field names.

mod batch;
pub mod capacity;
pub mod chart;
mod document;
mod env;
pub mod fleet;
pub mod info;
pub mod kyc;
pub mod memo;
pub mod names;
pub mod orders;
pub mod parties;
pub mod readiness;
pub mod regimes;
pub mod registry;
mod request;
mod response;
pub mod rows;
pub mod scenario;
pub mod veu;
pub mod worldmap;

pub use batch::{
    check_csv_header, csv_row, determine_csv, determine_line, determine_line_with, determine_one, determine_wire_with,
    CsvError, CsvRow, Hooks, NoHooks, CSV_COLUMNS,
};
pub use env::{Env, Regime, DEFAULT_REGIME};
pub use request::{decode_request, item_from_wire, parse_request, validate_wire, ItemWire, RequestWire, WireError};
pub use response::{
    write_determination, write_error, AllocationOut, ClassificationOut, CompareOut, DeterminationOut, ErrorBody,
    ErrorOut, PartyHitOut, ReasonOut, RegimeOut, ScreenedOut, ScreeningOut, TppOut,
};
