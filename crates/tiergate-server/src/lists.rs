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
