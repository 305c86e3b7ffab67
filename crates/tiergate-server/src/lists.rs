//! The restricted-party lists a ledger holds, loaded into a screener for determinations (`determine --db`, the
//! API), and kept current in a long-running server.

use std::sync::{Arc, RwLock};

use tiergate_core::units::group_digits;
use tiergate_screen::{Config, Entry, Index, Judged, Screener};
use tiergate_store::{Ledger, LedgerError, ListVersion};
use tiergate_wire::parties::{ListAge, Lists};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("a stored list entry cannot be read ({0}); re-import the list")]
    Entry(serde_json::Error),
    #[error("{0}")]
    Config(#[from] tiergate_screen::config::ConfigError),
}

/// What identifies the loaded state: the current list versions and how many judgements were recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stamp {
    versions: Vec<u64>,
    judgements: usize,
}

impl Stamp {
    /// From the current versions (any order) and the number of judgements.
    fn of<'v>(versions: impl IntoIterator<Item = &'v ListVersion>, judgements: usize) -> Stamp {
        let mut versions: Vec<u64> = versions.into_iter().filter(|v| v.current).map(|v| v.version).collect();
        versions.sort_unstable();
        Stamp { versions, judgements }
    }
}

/// Reads the current list versions and the judgements into a screener; `None` when no list is imported.
pub fn load(ledger: &mut Ledger) -> Result<(Option<Lists>, Stamp), LoadError> {
    let (versions, bodies) = ledger.current_lists()?;
    let judgements = ledger.judgements()?;
    let stamp = Stamp::of(&versions, judgements.len());
    if versions.is_empty() {
        return Ok((None, stamp));
    }
    let entries = bodies
        .iter()
        .map(|b| serde_json::from_str::<Entry>(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(LoadError::Entry)?;
    let mut screener = Screener::new(Index::build(Config::builtin()?, entries));
    for j in judgements {
        screener.judge(&j.entry_id, &j.query, Judged { verdict: j.verdict, actor: j.actor, at: j.at, note: j.note });
    }
    let ages = versions
        .iter()
        .filter_map(|v| {
            let imported = v.imported_at.get(..10).and_then(tiergate_core::units::parse_date)?;
            let dated = v
                .list_date
                .as_deref()
                .and_then(tiergate_core::units::parse_date)
                .map(|d| (d, v.list_date_from.clone().unwrap_or_else(|| "given".to_owned())));
            Some(ListAge { list: v.list.clone(), imported, dated })
        })
        .collect();
    Ok((Some(Lists { screener, versions: versions.iter().map(describe).collect(), ages }), stamp))
}

/// `csl v3: 14,160 entries from consolidated.csv (sha256 1a2b3c4d5e6f), dated 2026-11-20, imported
/// 2026-11-22T10:00:00Z`.
pub fn describe(v: &ListVersion) -> String {
    let sha = v.sha256.get(..12).unwrap_or(&v.sha256);
    let entries = if v.entries == 1 { "entry" } else { "entries" };
    let dated = v.list_date.as_deref().map(|d| format!(", dated {d}")).unwrap_or_default();
    format!(
        "{} v{}: {} {entries} from {} (sha256 {sha}){dated}, imported {}",
        v.list,
        v.version,
        group_digits(v.entries),
        v.source_file,
        v.imported_at
    )
}

/// The loaded lists of a server, replaced whole when another process imports a list or records a judgement.
#[derive(Default)]
pub struct ListsCache {
    current: RwLock<(Option<Arc<Lists>>, Stamp)>,
}

impl ListsCache {
    /// The lists as last loaded.
    pub fn get(&self) -> Option<Arc<Lists>> {
        self.current.read().map_or(None, |c| c.0.clone())
    }

    /// Reloads when the ledger's current versions or judgements differ from the loaded ones; says whether it did.
    /// The check is two small reads; the reload (index build) happens only on a change.
    pub fn refresh(&self, ledger: &mut Ledger) -> Result<bool, LoadError> {
        let stamp = Stamp::of(&ledger.list_versions()?, ledger.judgements()?.len());
        let unchanged = self.current.read().is_ok_and(|c| c.1 == stamp && (c.0.is_some() || stamp.versions.is_empty()));
        if unchanged {
            return Ok(false);
        }
        let (lists, stamp) = load(ledger)?;
        if let Ok(mut c) = self.current.write() {
            *c = (lists.map(Arc::new), stamp);
        }
        Ok(true)
    }
}

/// A list file to import, as read from a path or received over HTTP.
pub struct ImportFile<'a> {
    pub bytes: &'a [u8],
    /// Where it came from (a path, or the name an upload gave), for the version record.
    pub source_file: &'a str,
    /// `csl`, `sdn` or `dpl`; recognised from the file's start when absent.
    pub format: Option<&'a str>,
    /// The list's own date; by default the newest date among its entries.
    pub dated: Option<time::Date>,
    pub actor: &'a str,
    /// When, RFC 3339 UTC; its date is "today" for `dated`.
    pub at: &'a str,
}

/// What an import recorded: the new current version and the rows it skipped.
pub struct Imported {
    pub version: ListVersion,
    pub skipped: Vec<tiergate_screen::lists::RowProblem>,
}

/// The answer of an import (`tiergate lists import`, `POST /v1/lists`).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ImportedOut<'a> {
    /// `csl`, `sdn` or `dpl`.
    pub list: &'a str,
    pub entries: u64,
    pub version: u64,
    /// Rows reported and skipped.
    pub skipped: u64,
    pub sha256: &'a str,
    /// The list's own date and where it comes from (`given`, or its `newest_entry`).
    pub list_date: Option<&'a str>,
    pub list_date_from: Option<&'a str>,
}

impl Imported {
    pub fn out(&self) -> ImportedOut<'_> {
        let v = &self.version;
        ImportedOut {
            list: &v.list,
            entries: v.entries,
            version: v.version,
            skipped: v.problems,
            sha256: &v.sha256,
            list_date: v.list_date.as_deref(),
            list_date_from: v.list_date_from.as_deref(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A request field that cannot be used (`format`, `dated`).
    #[error("{message}")]
    Field { field: &'static str, message: String },
    /// The file as a whole: not of its format, or nothing readable in it. Nothing was imported.
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Parses `file` and stores it as its list's new current version, audited (`list-import`). Rows that cannot be
/// read are skipped and returned with their lines; a file with no readable entry is refused whole.
pub fn import(ledger: &mut Ledger, file: &ImportFile<'_>) -> Result<Imported, ImportError> {
    use sha2::Digest as _;
    use tiergate_screen::{lists, Format};
    let format = match file.format {
        Some(f) => Format::parse(f).ok_or_else(|| ImportError::Field {
            field: "format",
            message: format!("`{f}` is not a list format: use csl, sdn or dpl"),
        })?,
        None => Format::detect(file.bytes).ok_or_else(|| ImportError::Field {
            field: "format",
            message: format!(
                "cannot tell the format of `{}`: it starts like none of the CSL (CSV with `_id,source,...` or \
                 JSON), OFAC sdn.csv or BIS dpl.txt; give the format",
                file.source_file
            ),
        })?,
    };
    let parsed = lists::parse(format, file.bytes)
        .map_err(|e| ImportError::File(format!("`{}` was not imported: {e}", file.source_file)))?;
    if parsed.entries.is_empty() {
        let first: Vec<String> =
            parsed.problems.iter().take(5).map(|p| format!("line {}: {}", p.line, p.problem)).collect();
        let why = if first.is_empty() { String::new() } else { format!(" ({})", first.join("; ")) };
        return Err(ImportError::File(format!(
            "`{}` was not imported: it holds no readable entries{why}",
            file.source_file
        )));
    }
    let sha256 = format!("{:x}", sha2::Sha256::digest(file.bytes));
    let bodies = parsed
        .entries
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ImportError::File(format!("cannot store an entry: {e}")))?;
    let today = file.at.get(..10).unwrap_or_default();
    let list_date = match file.dated {
        Some(d) => {
            let d = tiergate_store::date_text(d);
            if d.as_str() > today {
                return Err(ImportError::Field {
                    field: "dated",
                    message: format!("{d} is after today ({today}): a list cannot be newer than now"),
                });
            }
            Some((d, "given"))
        }
        None => lists::newest_entry_date(&parsed.entries, today).map(|d| (d, "newest_entry")),
    };
    let version = ledger.import_list(
        &tiergate_store::NewListVersion {
            list: format.name(),
            source_file: file.source_file,
            sha256: &sha256,
            problems: parsed.problems.len() as u64,
            actor: file.actor,
            at: file.at,
            list_date: list_date.as_ref().map(|(d, from)| (d.as_str(), *from)),
        },
        &bodies,
    )?;
    Ok(Imported { version, skipped: parsed.problems })
}
