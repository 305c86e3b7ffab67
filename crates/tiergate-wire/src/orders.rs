//! An order book read request by request, as `determine` reads it (JSON Lines or CSV), for work that answers each
//! order more than once (`scenario diff`): each order comes validated, with its line, or with the error naming
//! its field.

use std::io::{BufRead, BufReader, Read};

use tiergate_core::Request;

use crate::batch::{check_csv_header, csv_row};
use crate::{parse_request, validate_wire, CsvError, Env, WireError};

/// One order: its id (when it has one) and the request, or why it cannot be read.
pub type Order = Result<(Option<String>, Request), (Option<String>, WireError)>;

/// Calls `each` with every order of a JSON Lines input and its line number; blank lines are skipped.
pub fn jsonl_orders<R: Read>(
    env: &Env,
    input: R,
    mut each: impl FnMut(u64, Order) -> std::io::Result<()>,
) -> Result<(), CsvError> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(CsvError::Io)? == 0 {
            return Ok(());
        }
        number += 1;
        let order = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => parse_request(text.trim_end_matches(['\n', '\r']), env),
            Err(e) => Err((None, WireError::new("malformed_json", None, format!("the line is not UTF-8 text: {e}")))),
        };
        each(number, order).map_err(CsvError::Io)?;
    }
}

/// Calls `each` with every order of a CSV input (the columns `determine` reads) and its line number.
pub fn csv_orders<R: Read>(
    env: &Env,
    input: R,
    mut each: impl FnMut(u64, Order) -> std::io::Result<()>,
) -> Result<(), CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(|e| CsvError::Header(format!("cannot read the CSV header: {e}")))?.clone();
    let headers: Vec<&str> = headers.iter().map(str::trim).collect();
    check_csv_header(&headers).map_err(|e| CsvError::Header(format!("CSV header: {e}")))?;
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record);
        let line = record.position().map_or(0, csv::Position::line);
        match more {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let values: Vec<&str> = record.iter().collect();
                let order = if values.len() > headers.len() {
                    Err((
                        None,
                        WireError::new(
                            "malformed_csv",
                            None,
                            format!(
                                "the row has {} cells but the header names {} columns",
                                values.len(),
                                headers.len()
                            ),
                        ),
                    ))
                } else {
                    csv_row(&headers, &values).and_then(|wire| {
                        let id = wire.id.clone();
                        validate_wire(wire, env).map(|r| (id.clone(), r)).map_err(|e| (id, e))
                    })
                };
                each(line, order).map_err(CsvError::Io)?;
            }
            Err(e) => {
                let stop = !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. });
                each(line, Err((None, WireError::new("malformed_csv", None, format!("not valid CSV: {e}")))))
                    .map_err(CsvError::Io)?;
                if stop {
                    return Ok(());
                }
            }
        }
    }
}
