//! CSV files that are used whole or not at all (fleet files, facility logs): the header is checked first, every
//! bad row is reported with its line, and a single bad row means nothing is used.

use std::io::Read;

use tiergate_core::Accelerator;

use crate::Env;

/// A file that cannot be used: every bad row, by line, or what is wrong with the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CsvFileError {
    #[error("{0}")]
    File(String),
    #[error("{} bad row(s); nothing was {done}:\n{}", .rows.len(), .rows.iter().map(|(l, m)| format!("  line {l}: {m}")).collect::<Vec<_>>().join("\n"))]
    Rows {
        rows: Vec<(u64, String)>,
        /// What did not happen because of them: `computed`, `logged`.
        done: &'static str,
    },
}

/// A CSV reader over `input` (cells trimmed, rows of any length) and its header's names in lower case.
pub fn open_csv<R: Read>(input: R) -> Result<(csv::Reader<R>, Vec<String>), CsvFileError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let names = reader
        .headers()
        .map_err(|e| CsvFileError::File(format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    Ok((reader, names))
}

/// Reads `input` as CSV (cells trimmed, header in lower case). `header` accepts the header or says why not and
/// returns what `row` needs to know of it; `row` turns one record into a value or says what is wrong with it.
/// Every row is read; any bad one fails the whole file (`done` names what was not done), as does a file with no row
/// (`empty` says so). Each value comes with its line.
pub fn read_rows<H, T>(
    input: impl Read,
    header: impl FnOnce(&[String]) -> Result<H, String>,
    row: impl Fn(&H, &csv::StringRecord) -> Result<T, String>,
    done: &'static str,
    empty: &str,
) -> Result<Vec<(u64, T)>, CsvFileError> {
    let (mut reader, names) = open_csv(input)?;
    let form = header(&names).map_err(CsvFileError::File)?;
    let mut values = Vec::new();
    let mut bad = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record.as_ref().ok().and_then(|r| r.position()).map_or(i as u64 + 2, csv::Position::line);
        match record {
            Ok(r) if r.len() == names.len() => match row(&form, &r) {
                Ok(v) => values.push((line, v)),
                Err(m) => bad.push((line, m)),
            },
            Ok(r) => bad.push((line, format!("{} fields, the header has {}", r.len(), names.len()))),
            Err(e) => bad.push((line, format!("not CSV: {e}"))),
        }
    }
    if !bad.is_empty() {
        return Err(CsvFileError::Rows { rows: bad, done });
    }
    if values.is_empty() {
        return Err(CsvFileError::File(empty.to_owned()));
    }
    Ok(values)
}

/// The most units a row of a fleet file or a facility log may count.
const MAX_QUANTITY: u64 = 100_000_000;

/// A catalog item and a quantity from two cells: the item must be in the catalog, the quantity a whole number
/// from 1 to 100,000,000.
pub fn catalog_quantity<'e>(env: &'e Env, item: &str, quantity: &str) -> Result<(&'e Accelerator, u64), String> {
    let a = env.catalog.get(item).ok_or_else(|| env.catalog.unknown(item))?;
    let q = quantity
        .parse()
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
        .ok_or_else(|| format!("`quantity` must be a whole number from 1 to {MAX_QUANTITY}, not `{quantity}`"))?;
    Ok((a, q))
}
