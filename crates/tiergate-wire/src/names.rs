//! A batch of names to screen (`tiergate screen --batch`, `POST /v1/screen`): CSV with the columns `id`, `name`
//! and `country` (`name` required) or JSON Lines (`{"id", "name", "country"}`), each answered in order with the
//! screener's answer or the line's error.

use std::io::Read;

use serde::Deserialize;
use tiergate_screen::Screener;

use crate::{write_error, Env, WireError};

/// The columns a CSV batch may have.
pub const NAME_COLUMNS: [&str; 3] = ["id", "name", "country"];

/// The longest name screened, in bytes; longer is a line error. Listed names reach about 400 bytes (the CSL's
/// longest is 383): room for those, and a bound on the work one name can cause.
pub const MAX_NAME_BYTES: usize = 1000;

/// How a batch went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NamesCount {
    /// Lines read (blank lines aside), answered or rejected.
    pub queries: u64,
    /// Lines answered with an error.
    pub rejected: u64,
}

/// What stops a batch before or while it is read: its answers so far stand.
#[derive(Debug, thiserror::Error)]
pub enum NamesError {
    #[error("the CSV header must name the columns id, name and country (name required), not `{0}`")]
    Header(String),
    #[error("cannot read the input: {0}")]
    Read(String),
    /// The caller's sink refused an answer (a closed pipe, say).
    #[error("cannot write the answer: {0}")]
    Write(std::io::Error),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameLine {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    country: Option<String>,
}

/// The screening settings every line of a batch shares.
pub struct Screening<'a> {
    pub env: &'a Env,
    pub screener: &'a Screener,
    /// Scores at or above it are hits.
    pub threshold: f64,
    /// Every answer carries them (lists imported too long ago).
    pub warnings: &'a [String],
}

impl Screening<'_> {
    /// Reads `input` (CSV when `csv`, else JSON Lines) and hands each line's answer, one JSON object and a newline,
    /// to `sink`.
    pub fn batch(
        &self,
        input: impl Read,
        csv: bool,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<NamesCount, NamesError> {
        let mut count = NamesCount::default();
        let mut buf = Vec::new();
        let mut each = |n: u64, q: Result<NameLine, WireError>| {
            buf.clear();
            count.queries += 1;
            if !self.answer(n, q, &mut buf) {
                count.rejected += 1;
            }
            sink(&buf).map_err(NamesError::Write)
        };
        if csv {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
            let headers = reader.headers().map_err(|e| NamesError::Read(e.to_string()))?.clone();
            if headers.iter().any(|h| !NAME_COLUMNS.contains(&h)) || !headers.iter().any(|h| h == "name") {
                return Err(NamesError::Header(headers.iter().collect::<Vec<_>>().join(",")));
            }
            let column = |c: &str| headers.iter().position(|h| h == c);
            let (id, name, country) = (column("id"), column("name"), column("country"));
            for record in reader.records() {
                let n = record.as_ref().ok().and_then(|r| r.position()).map_or(0, |p| p.line());
                let q = record.map_err(|e| WireError::new("malformed_csv", None, e.to_string())).map(|r| {
                    let get = |i: Option<usize>| i.and_then(|i| r.get(i)).map(str::to_owned);
                    NameLine { id: get(id), name: get(name).unwrap_or_default(), country: get(country) }
                });
                each(n, q)?;
            }
        } else {
            let read = |e: std::io::Error| NamesError::Read(e.to_string());
            crate::each_line(std::io::BufReader::new(input), read, |n, text| {
                let q = serde_json::from_str::<NameLine>(text)
                    .map_err(|e| WireError::new("malformed_json", None, format!("not a name line: {e}")));
                each(n, q)
            })?;
        }
        Ok(count)
    }

    /// One line's answer into `out`; `false` when the line was rejected.
    fn answer(&self, n: u64, q: Result<NameLine, WireError>, out: &mut Vec<u8>) -> bool {
        let id = q.as_ref().ok().and_then(|q| q.id.clone());
        let checked = q.and_then(|q| query(self.env, &q.name, q.country.as_deref()).map(|(n, c)| (n.to_owned(), c)));
        match checked {
            Ok((name, country)) => {
                let mut answer = self.screener.screen(id, &name, country, self.threshold);
                answer.warnings = self.warnings.to_vec();
                if serde_json::to_writer(&mut *out, &answer).is_err() {
                    out.extend_from_slice(
                        b"{\"error\":{\"code\":\"internal\",\"message\":\"cannot write the answer\"}}",
                    );
                }
                out.push(b'\n');
                true
            }
            Err(e) => {
                write_error(out, id.as_deref(), &e, Some(n));
                false
            }
        }
    }
}

/// A name to screen, trimmed, and its country hint as an ISO code (a blank hint is none): the checks every screening
/// makes, one name (`GET /v1/screen`) or a batch.
pub fn query<'e, 'n>(
    env: &'e Env,
    name: &'n str,
    country: Option<&str>,
) -> Result<(&'n str, Option<&'e str>), WireError> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(WireError::new(
            "invalid_value",
            Some("name"),
            format!("`name` must hold 1 to {MAX_NAME_BYTES} bytes"),
        ));
    }
    let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(env.countries.code(crate::request::country(&env.countries, "country", c)?)),
    };
    Ok((name, country))
}
