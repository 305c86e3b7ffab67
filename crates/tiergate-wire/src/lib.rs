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

/// Hands each non-blank line of `input` to `f` with its line number (from 1, blank lines counted), until the input
/// ends or `f` fails; a read error becomes `read_error`'s.
pub fn each_line<E>(
    mut input: impl std::io::BufRead,
    read_error: impl Fn(std::io::Error) -> E,
    mut f: impl FnMut(u64, &str) -> Result<(), E>,
) -> Result<(), E> {
    let mut text = String::new();
    let mut n = 0u64;
    loop {
        text.clear();
        if input.read_line(&mut text).map_err(&read_error)? == 0 {
            return Ok(());
        }
        n += 1;
        if !text.trim().is_empty() {
            f(n, &text)?;
        }
    }
}
