//! Tiergate's pure core: countries, rule packs, item classification and the determination engine.
//!
//! Nothing here does I/O, reads a clock or knows a wire format. The date of a determination is an input;
//! balances from a ledger arrive in [`determine::Context`]. Packs and data are parsed from strings handed in
//! by the caller ([`builtin`] holds the ones compiled into the binary).

pub mod affiliates;
pub mod builtin;
pub mod case;
pub mod catalog;
pub mod classify;
pub mod country;
pub mod determine;
pub mod fleet;
pub mod kyc;
pub mod pack;
pub mod parties;
pub mod party;
pub mod pool;
pub mod regimes;
pub mod registry;
pub mod scenario;
pub mod units;
pub mod veu;
pub mod veu_readiness;

pub use catalog::{Accelerator, Catalog};
pub use classify::{classify, Classification, ClassifyError, Eccn, Item};
pub use country::{Countries, Country};
pub use determine::{determine, Authorization, Determination, DetermineError, Request, ReviewPolicy, Tier};
pub use pack::Pack;
pub use units::Tpp;

/// A plain-language statement and the rule that supports it: what every reason, obligation and note is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason<'p> {
    /// Borrowed from the pack or catalog when constant, owned when it carries this request's numbers.
    pub text: std::borrow::Cow<'p, str>,
    pub citation: &'p str,
}

/// A data file (pack, country table, catalog) that failed validation: which file, which key, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{problem}", if key.is_empty() { String::new() } else { format!("key `{key}`: ") })]
pub struct DataError {
    file: String,
    key: String,
    problem: String,
}

impl DataError {
    pub fn new(source: &str, key: &str, problem: String) -> DataError {
        DataError { file: source.to_owned(), key: key.to_owned(), problem }
    }

    /// The dotted key the problem is at; empty for a syntax error.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn problem(&self) -> &str {
        &self.problem
    }
}

/// Parses TOML into `T`, naming the dotted key and the line of any error.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, source: &str) -> Result<T, DataError> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let line = inner.span().map(|s| text.get(..s.start).unwrap_or_default().lines().count().max(1));
        let message = plain_types(inner.message().trim());
        let problem = match line {
            Some(l) => format!("{message} (line {l})"),
            None => message,
        };
        DataError::new(source, if key == "." { "" } else { &key }, problem)
    })
}

/// Serde messages name Rust types ("expected u64"); say what a user would.
pub fn plain_types(message: &str) -> String {
    message
        .replace("expected u64", "expected a whole number")
        .replace("expected i64", "expected a whole number")
        .replace("expected u32", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a boolean", "expected true or false")
}

/// Up to three distinct values whose key is close to `query` (normalised Levenshtein similarity of 0.6 or more, or
/// the query a prefix of the key), closest first: the "did you mean" of an error.
pub(crate) fn closest<'a>(query: &str, candidates: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<&'a str> {
    if query.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &str)> = candidates
        .filter_map(|(key, value)| {
            let prefix = key.len() > query.len() && key.starts_with(query);
            let score = if prefix { 0.99 } else { strsim::normalized_levenshtein(query, key) };
            (score >= 0.6).then_some((score, value))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<&str> = Vec::new();
    for (_, v) in scored {
        if !out.contains(&v) {
            out.push(v);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// `; did you mean a, b or c?`, or nothing for no suggestion.
pub(crate) fn did_you_mean<S: AsRef<str>>(suggestions: &[S]) -> String {
    let s: Vec<&str> = suggestions.iter().map(AsRef::as_ref).collect();
    match s.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
    }
}
