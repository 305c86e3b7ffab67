//! Parsers for the U.S. restricted-party lists: the trade.gov Consolidated Screening List (CSV and JSON), the
//! OFAC `sdn.csv` and the BIS Denied Persons `dpl.txt`. Formats: `../shared/data/us-screening-lists/SOURCE.md`.
//!
//! A parser never drops a row silently: a row it cannot read becomes a [`RowProblem`] with its line number. A
//! file of another format is refused as a whole ([`FormatError`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One listed party, as every list is read into.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The list's own identifier: the CSL `_id`, the SDN `ent_num`; for the DPL, which has none, `dpl-` and the
    /// first 16 hex digits of the SHA-256 of name, street address and effective date (stable across re-imports).
    pub entry_id: String,
    /// The source list's short code: `EL`, `SDN`, `DPL`, `MEU`, `UVL`, `ISN`, `DTC`, ...
    pub list: String,
    /// The source list's full name.
    pub source: String,
    /// `Individual`, `Entity`, `Vessel`, `Aircraft`, or empty when the list does not say.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alt_names: Vec<String>,
    /// ISO 3166-1 alpha-2 codes from addresses, citizenships and nationalities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// The entry's addresses as the list writes them (the CSL and the DPL give them; `sdn.csv` does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_requirement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federal_register_notice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
}

impl Entry {
    /// Every name the entry goes by: its name, then its aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.alt_names.iter().map(String::as_str))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// trade.gov Consolidated Screening List, CSV or JSON export.
    Csl,
    /// OFAC `sdn.csv`.
    Sdn,
    /// BIS Denied Persons `dpl.txt`.
    Dpl,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csl" => Some(Format::Csl),
            "sdn" => Some(Format::Sdn),
            "dpl" => Some(Format::Dpl),
            _ => None,
        }
    }

    /// The list's name in the database: one current version per name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csl => "csl",
            Format::Sdn => "sdn",
            Format::Dpl => "dpl",
        }
    }

    /// Recognises a file by its first bytes.
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let text = String::from_utf8_lossy(bytes.get(..bytes.len().min(4096)).unwrap_or_default());
        let text = text.trim_start_matches('\u{feff}').trim_start();
        // CSL: the CSV export's header, or the JSON export.
        if text.starts_with("_id,source,") || text.starts_with('{') || text.starts_with('[') {
            Some(Format::Csl)
        } else if text.starts_with("\"Name\"\t") || text.starts_with("Name\t") {
            Some(Format::Dpl)
        } else if text.split(',').next().is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())) {
            Some(Format::Sdn)
        } else {
            None
        }
    }
}

/// A row that could not be read; the import reports it and goes on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    pub line: u64,
    pub problem: String,
}

#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub problems: Vec<RowProblem>,
}

/// The file as a whole is not of the format asked for.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(String);

pub fn parse(format: Format, bytes: &[u8]) -> Result<Parsed, FormatError> {
    match format {
        Format::Csl => {
            let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
            if matches!(bytes.get(start), Some(b'{' | b'[')) {
                parse_csl_json(bytes)
            } else {
                parse_csl_csv(bytes)
            }
        }
        Format::Sdn => parse_sdn(bytes),
        Format::Dpl => parse_dpl(bytes),
    }
}

const CSL_COLUMNS: [&str; 29] = [
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
];

fn parse_csl_csv(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| FormatError(format!("not a CSL CSV file: {e}")))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim_start_matches('\u{feff}') == name);
    let (Some(id), Some(source), Some(name)) = (column("_id"), column("source"), column("name")) else {
        return Err(FormatError(format!(
            "not a CSL CSV file: the header should name the columns {}; it is `{}`",
            CSL_COLUMNS.join(", "),
            headers.iter().take(6).collect::<Vec<_>>().join(",")
        )));
    };
    let col = |name| column(name);
    let (kind, programs, addresses, frn, start, lic_req, lic_pol, alt, citizenships, nationalities) = (
        col("type"),
        col("programs"),
        col("addresses"),
        col("federal_register_notice"),
        col("start_date"),
        col("license_requirement"),
        col("license_policy"),
        col("alt_names"),
        col("citizenships"),
        col("nationalities"),
    );
    let mut parsed = Parsed::default();
    for record in reader.records() {
        let Some((record, line)) = readable(record, &mut parsed.problems) else { continue };
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or_default();
        let (entry_id, source_name, entry_name) = (get(Some(id)), get(Some(source)), get(Some(name)));
        if record.len() != headers.len() {
            parsed.problems.push(RowProblem {
                line,
                problem: format!("{} fields where the header has {}", record.len(), headers.len()),
            });
            continue;
        }
        if entry_id.is_empty() || entry_name.is_empty() || source_name.is_empty() {
            parsed.problems.push(RowProblem { line, problem: "`_id`, `source` or `name` is empty".to_owned() });
            continue;
        }
        let mut countries = Vec::new();
        for address in split_multi(get(addresses)) {
            if let Some(code) = trailing_country(address) {
                push_unique(&mut countries, code);
            }
        }
        for code in split_multi(get(citizenships)).chain(split_multi(get(nationalities))) {
            if is_country_code(code) {
                push_unique(&mut countries, code.to_owned());
            }
        }
        parsed.entries.push(Entry {
            entry_id: entry_id.to_owned(),
            list: short_code(source_name),
            source: source_name.to_owned(),
            kind: get(kind).to_owned(),
            name: entry_name.to_owned(),
            alt_names: split_multi(get(alt)).map(str::to_owned).collect(),
            countries,
            addresses: split_multi(get(addresses)).map(str::to_owned).collect(),
            programs: split_multi(get(programs)).map(str::to_owned).collect(),
            license_requirement: non_empty(get(lic_req)),
            license_policy: non_empty(get(lic_pol)),
            federal_register_notice: non_empty(get(frn)),
            start_date: non_empty(get(start)),
        });
    }
    Ok(parsed)
}

/// The trade.gov JSON export: `{"results": [...]}` (or a bare array) of objects with the CSV's fields, lists
/// as arrays and addresses as objects with a `country`.
fn parse_csl_json(bytes: &[u8]) -> Result<Parsed, FormatError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Top {
        Wrapped { results: Vec<serde_json::Value> },
        Bare(Vec<serde_json::Value>),
    }
    let top: Top = serde_json::from_slice(bytes)
        .map_err(|e| FormatError(format!("not a CSL JSON export (an object with `results`, or an array): {e}")))?;
    let rows = match top {
        Top::Wrapped { results } => results,
        Top::Bare(rows) => rows,
    };
    let text = |v: &serde_json::Value, key: &str| -> String {
        match v.get(key) {
            Some(serde_json::Value::String(s)) => s.trim().to_owned(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    };
    let strings = |v: &serde_json::Value, key: &str| -> Vec<String> {
        match v.get(key) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(s)) => split_multi(s).map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    };
    let mut parsed = Parsed::default();
    for (i, row) in rows.iter().enumerate() {
        // JSON has no lines worth naming; the problem names the row's position instead (1-based).
        let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let mut entry_id = text(row, "_id");
        if entry_id.is_empty() {
            entry_id = text(row, "id");
        }
        let (source, name) = (text(row, "source"), text(row, "name"));
        if entry_id.is_empty() || source.is_empty() || name.is_empty() {
            parsed.problems.push(RowProblem {
                line,
                problem: format!("result {line}: `id`/`_id`, `source` or `name` is missing or empty"),
            });
            continue;
        }
        let mut countries = Vec::new();
        let mut written = Vec::new();
        if let Some(serde_json::Value::Array(addresses)) = row.get("addresses") {
            for a in addresses {
                let code = match a {
                    serde_json::Value::Object(_) => {
                        let parts: Vec<String> = ["address", "city", "state", "postal_code", "country"]
                            .iter()
                            .map(|k| text(a, k))
                            .filter(|p| !p.is_empty())
                            .collect();
                        if !parts.is_empty() {
                            written.push(parts.join(", "));
                        }
                        text(a, "country")
                    }
                    serde_json::Value::String(s) => {
                        written.push(s.trim().to_owned());
                        trailing_country(s).unwrap_or_default()
                    }
                    _ => String::new(),
                };
                if is_country_code(&code) {
                    push_unique(&mut countries, code);
                }
            }
        }
        for code in strings(row, "citizenships").into_iter().chain(strings(row, "nationalities")) {
            if is_country_code(&code) {
                push_unique(&mut countries, code);
            }
        }
        parsed.entries.push(Entry {
            entry_id,
            list: short_code(&source),
            kind: text(row, "type"),
            name,
            alt_names: strings(row, "alt_names"),
            countries,
            addresses: written,
            programs: strings(row, "programs"),
            license_requirement: non_empty(&text(row, "license_requirement")),
            license_policy: non_empty(&text(row, "license_policy")),
            federal_register_notice: non_empty(&text(row, "federal_register_notice")),
            start_date: non_empty(&text(row, "start_date")),
            source,
        });
    }
    Ok(parsed)
}

const SDN_SOURCE: &str = "Specially Designated Nationals (SDN) - Treasury Department";

/// OFAC `sdn.csv`: no header, 12 columns, `-0- ` for empty, aliases inside the remarks.
fn parse_sdn(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut parsed = Parsed::default();
    let mut first = true;
    for record in reader.records() {
        let Some((record, line)) = readable(record, &mut parsed.problems) else { continue };
        let field = |i: usize| {
            let f = record.get(i).map(str::trim).unwrap_or_default();
            if f == "-0-" {
                ""
            } else {
                f
            }
        };
        // The file ends with a lone Ctrl-Z (0x1A).
        if record.len() == 1 && field(0).trim_matches('\u{1a}').is_empty() {
            continue;
        }
        let ent_num = field(0);
        let is_number = !ent_num.is_empty() && ent_num.bytes().all(|b| b.is_ascii_digit());
        if first && (!is_number || record.len() != 12) {
            return Err(FormatError(format!(
                "not an OFAC sdn.csv file: its rows have 12 columns starting with the entry number; the first row \
                 has {} starting with `{}`",
                record.len(),
                ent_num.chars().take(40).collect::<String>()
            )));
        }
        first = false;
        if record.len() != 12 {
            parsed.problems.push(RowProblem { line, problem: format!("{} fields where sdn.csv has 12", record.len()) });
            continue;
        }
        if !is_number || field(1).is_empty() {
            parsed.problems.push(RowProblem {
                line,
                problem: format!("entry number `{ent_num}` is not a number, or the name is empty"),
            });
            continue;
        }
        let remarks = field(11);
        let kind = match field(2).to_ascii_lowercase().as_str() {
            "individual" => "Individual",
            "vessel" => "Vessel",
            "aircraft" => "Aircraft",
            _ => "Entity",
        };
        parsed.entries.push(Entry {
            entry_id: ent_num.to_owned(),
            list: "SDN".to_owned(),
            source: SDN_SOURCE.to_owned(),
            kind: kind.to_owned(),
            name: field(1).to_owned(),
            alt_names: sdn_aliases(remarks),
            countries: Vec::new(),
            programs: field(3)
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split("] [")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            ..Entry::default()
        });
    }
    if first {
        return Err(FormatError("not an OFAC sdn.csv file: it has no rows".to_owned()));
    }
    Ok(parsed)
}

/// The names after `a.k.a.`, `f.k.a.` and `n.k.a.` in SDN remarks: `a.k.a. 'BNC'; a.k.a. 'X'.`
fn sdn_aliases(remarks: &str) -> Vec<String> {
    let mut aliases = Vec::new();
    let mut rest = remarks;
    while let Some(at) = ["a.k.a. '", "f.k.a. '", "n.k.a. '"].iter().filter_map(|m| rest.find(m)).min() {
        let start = at + "a.k.a. '".len();
        let tail = rest.get(start..).unwrap_or_default();
        // The alias ends at a quote followed by `;`, `.`, `,`, `)` or the end; a quote inside a word stays.
        let mut end = tail.len();
        for (i, _) in tail.match_indices('\'') {
            let next = tail.get(i + 1..).and_then(|t| t.chars().next());
            if matches!(next, None | Some(';' | '.' | ',' | ')' | ' ')) {
                end = i;
                break;
            }
        }
        let alias = tail.get(..end).unwrap_or_default().trim();
        if !alias.is_empty() && !aliases.iter().any(|a| a == alias) {
            aliases.push(alias.to_owned());
        }
        rest = tail.get(end..).unwrap_or_default();
        if end == tail.len() {
            break;
        }
    }
    aliases
}

const DPL_SOURCE: &str = "Denied Persons List (DPL) - Bureau of Industry and Security";
const DPL_COLUMNS: [&str; 12] = [
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
];

/// BIS `dpl.txt`: tab-separated, quoted, with a header.
fn parse_dpl(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut reader = csv::ReaderBuilder::new().delimiter(b'\t').flexible(true).from_reader(bytes);
    let headers = reader.headers().map_err(|e| FormatError(format!("not a BIS dpl.txt file: {e}")))?.clone();
    if headers.len() != DPL_COLUMNS.len() || headers.iter().zip(DPL_COLUMNS).any(|(h, c)| h.trim() != c) {
        return Err(FormatError(format!(
            "not a BIS dpl.txt file: the header should be the tab-separated columns {}",
            DPL_COLUMNS.join(", ")
        )));
    }
    let mut parsed = Parsed::default();
    for record in reader.records() {
        let Some((record, line)) = readable(record, &mut parsed.problems) else { continue };
        if record.len() != DPL_COLUMNS.len() {
            parsed.problems.push(RowProblem { line, problem: format!("{} fields where dpl.txt has 12", record.len()) });
            continue;
        }
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        let (name, street, country, effective) = (field(0), field(1), field(4), field(6));
        if name.is_empty() {
            parsed.problems.push(RowProblem { line, problem: "the name is empty".to_owned() });
            continue;
        }
        let digest = format!("{:x}", Sha256::digest(format!("{name}\t{street}\t{effective}").as_bytes()));
        let id = digest.get(..16).unwrap_or_default();
        parsed.entries.push(Entry {
            entry_id: format!("dpl-{id}"),
            list: "DPL".to_owned(),
            source: DPL_SOURCE.to_owned(),
            name: name.to_owned(),
            countries: if is_country_code(country) { vec![country.to_owned()] } else { Vec::new() },
            addresses: {
                let parts: Vec<&str> =
                    [street, field(2), field(3), field(5), country].into_iter().filter(|p| !p.is_empty()).collect();
                if parts.is_empty() {
                    Vec::new()
                } else {
                    vec![parts.join(", ")]
                }
            },
            federal_register_notice: non_empty(field(11)),
            start_date: us_date(effective),
            ..Entry::default()
        });
    }
    Ok(parsed)
}

/// A row and its line, or `None` with the problem recorded: every parser goes on after a row it cannot read.
fn readable(
    record: Result<csv::StringRecord, csv::Error>,
    problems: &mut Vec<RowProblem>,
) -> Option<(csv::StringRecord, u64)> {
    match record {
        Ok(r) => {
            let line = r.position().map_or(0, csv::Position::line);
            Some((r, line))
        }
        Err(e) => {
            let line = e.position().map_or(0, csv::Position::line);
            problems.push(RowProblem { line, problem: format!("unreadable row: {e}") });
            None
        }
    }
}

/// `MM/DD/YYYY` → `YYYY-MM-DD`; anything else is kept as written.
fn us_date(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [m, d, y] if m.len() == 2 && d.len() == 2 && y.len() == 4 => Some(format!("{y}-{m}-{d}")),
        _ => non_empty(s),
    }
}

/// `Entity List (EL) - Bureau of Industry and Security` → `EL`.
fn short_code(source: &str) -> String {
    let code = source.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map(|(code, _)| code.trim());
    match code {
        Some(c) if !c.is_empty() => c.to_owned(),
        _ => source.to_owned(),
    }
}

fn split_multi(s: &str) -> impl Iterator<Item = &str> {
    s.split("; ").map(str::trim).filter(|s| !s.is_empty())
}

fn trailing_country(address: &str) -> Option<String> {
    let code = address.rsplit(',').next()?.trim();
    is_country_code(code).then(|| code.to_owned())
}

fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// The newest date among the entries' start dates (`YYYY-MM-DD`) that is not after `not_after`: what a list
/// that carries no date of its own is at least as new as. `None` when no entry has a date (OFAC's `sdn.csv`).
pub fn newest_entry_date(entries: &[Entry], not_after: &str) -> Option<String> {
    let iso = |d: &&str| {
        d.len() == 10
            && d.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
    };
    entries
        .iter()
        .filter_map(|e| e.start_date.as_deref())
        .filter(iso)
        .filter(|d| *d <= not_after)
        .max()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdn_aliases_are_read_from_the_remarks() {
        assert_eq!(sdn_aliases("a.k.a. 'BNC'."), vec!["BNC"]);
        assert_eq!(
            sdn_aliases("DOB 1962; a.k.a. 'AL-QA'IDA'; f.k.a. 'THE BASE'; Gender Male."),
            vec!["AL-QA'IDA", "THE BASE"]
        );
        assert!(sdn_aliases("-0-").is_empty());
    }

    #[test]
    fn short_codes_come_from_the_parentheses() {
        assert_eq!(short_code("Entity List (EL) - Bureau of Industry and Security"), "EL");
        assert_eq!(short_code("Specially Designated Nationals (SDN) - Treasury Department"), "SDN");
        assert_eq!(short_code("Something else"), "Something else");
    }

    #[test]
    fn detects_formats() {
        assert_eq!(Format::detect(b"_id,source,entity_number"), Some(Format::Csl));
        assert_eq!(Format::detect(b"{\"results\": []}"), Some(Format::Csl));
        assert_eq!(Format::detect(b"36,\"AEROCARIBBEAN AIRLINES\",-0- "), Some(Format::Sdn));
        assert_eq!(Format::detect(b"\"Name\"\t\"Street_Address\""), Some(Format::Dpl));
        assert_eq!(Format::detect(b"site,country,tpp"), None);
    }

    #[test]
    fn us_dates_become_iso() {
        assert_eq!(us_date("06/19/2003").as_deref(), Some("2003-06-19"));
        assert_eq!(us_date(""), None);
    }
}
