//! Restricted-party lists and screening judgements as stored. Entries are kept as the JSON the screening crate
//! writes; the store does not read them (it holds no matching logic), it only keeps versions whole.

use serde::Serialize;

/// One import of one list. Re-importing a list makes a new version current in the same transaction that
/// stores its entries, so a reader sees the old list or the new one, never a mix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ListVersion {
    pub version: u64,
    /// `csl`, `sdn` or `dpl`.
    pub list: String,
    pub source_file: String,
    pub sha256: String,
    pub entries: u64,
    /// Rows the import reported and skipped.
    pub problems: u64,
    pub imported_at: String,
    /// The list's own date (`YYYY-MM-DD`): as given at import, else the newest date among its entries; absent
    /// when neither is known.
    pub list_date: Option<String>,
    /// Where `list_date` comes from: `given` or `newest_entry`.
    pub list_date_from: Option<String>,
    pub actor: String,
    pub current: bool,
}

/// What an import records besides its entries.
#[derive(Clone, Debug)]
pub struct NewListVersion<'a> {
    pub list: &'a str,
    pub source_file: &'a str,
    pub sha256: &'a str,
    pub problems: u64,
    pub actor: &'a str,
    pub at: &'a str,
    /// The list's own date and where it comes from (`given`, `newest_entry`).
    pub list_date: Option<(&'a str, &'a str)>,
}

/// An analyst's judgement of a hit: this query and this entry are (or are not) the same party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Judgement {
    pub entry_id: String,
    /// The query in the matcher's normal form, so that "ACME Co." and "acme company" share a judgement.
    pub query: String,
    /// `false_positive` or `true_match`.
    pub verdict: String,
    pub note: Option<String>,
    pub actor: String,
    pub at: String,
}

pub const VERDICTS: [&str; 2] = ["false_positive", "true_match"];
