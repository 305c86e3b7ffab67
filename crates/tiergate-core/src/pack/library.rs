//! Packs written over other packs, and the set of packs a build knows.
//!
//! A regime differs from the one before it in a few sections, so its pack is written as an overlay: `extends =
//! "ID"` (or a list, applied in order) names the packs it is written over, and the file holds only what it
//! changes. Tables merge key by key; any other value (a number, a string, an array, an array of tables) in the
//! overlay replaces the base's whole. The merged pack is validated like any other, and names what it extends.
//!
//! Its sha256 covers the overlay's own text and, after it, the sha256 of every pack it extends, so it changes
//! when any of them does: a copy modified anywhere in the chain never passes as the official pack.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{values, Pack};
use crate::country::Countries;
use crate::DataError;

/// One pack's text, not yet resolved against the packs it extends.
#[derive(Clone, Debug)]
struct Entry {
    id: String,
    source: String,
    text: String,
    table: toml::Table,
    extends: Vec<String>,
}

/// The packs a build knows, by id, before validation: what `extends` resolves against.
#[derive(Clone, Debug, Default)]
pub struct Library {
    entries: Vec<Entry>,
}

/// Most packs a chain of `extends` may stack.
const MAX_DEPTH: usize = 16;

impl Library {
    pub fn new() -> Library {
        Library::default()
    }

    /// Adds a pack's text (read from `source`, named in errors); returns its id. A second pack with an id
    /// already known is refused.
    pub fn add(&mut self, source: &str, text: &str) -> Result<String, DataError> {
        let table: toml::Table = crate::parse_toml(text, source)?;
        let err = |key: &str, problem: &str| DataError::new(source, key, problem.to_owned());
        let id = table
            .get("pack")
            .and_then(|p| p.get("id"))
            .and_then(toml::Value::as_str)
            .ok_or_else(|| err("pack.id", "is missing"))?
            .to_owned();
        let extends = match table.get("extends") {
            None => Vec::new(),
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| err("extends", "must be pack ids (strings)")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(err("extends", "must be a pack id or a list of pack ids")),
        };
        if extends.contains(&id) {
            return Err(err("extends", "names the pack itself"));
        }
        if self.entries.iter().any(|e| e.id == id) {
            return Err(err("pack.id", &format!("`{id}` is already the id of another pack")));
        }
        self.entries.push(Entry { id: id.clone(), source: source.to_owned(), text: text.to_owned(), table, extends });
        Ok(id)
    }

    /// Adds a pack's text like [`Library::add`], but a pack with an id already known replaces it (a user's copy of
    /// a built-in pack, say). Packs that extend the replaced one then resolve against the copy.
    pub fn insert(&mut self, source: &str, text: &str) -> Result<String, DataError> {
        let table: toml::Table = crate::parse_toml(text, source)?;
        if let Some(id) = table.get("pack").and_then(|p| p.get("id")).and_then(toml::Value::as_str) {
            self.entries.retain(|e| e.id != id);
        }
        self.add(source, text)
    }

    /// The ids of the packs, in the order they were added.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.id.as_str())
    }

    /// Builds and validates pack `id`, written over the packs it extends.
    pub fn build(&self, id: &str, countries: Arc<Countries>) -> Result<Pack, DataError> {
        let entry = self.entry(id).ok_or_else(|| DataError::new("rules", "pack", format!("no pack `{id}`")))?;
        let (table, sha256, chain) = self.resolve(entry, 0)?;
        let raw = from_table(table, entry)?;
        let mut pack =
            values::Builder { source: &entry.source, countries: &countries }.build(raw, Arc::clone(&countries))?;
        pack.sha256 = sha256;
        pack.extends = chain;
        Ok(pack)
    }

    /// Pack `id` merged with the packs it extends, not yet validated: what a scenario is written over.
    pub fn merged(&self, id: &str) -> Result<Merged, DataError> {
        let entry = self.entry(id).ok_or_else(|| DataError::new("rules", "pack", format!("no pack `{id}`")))?;
        let (table, sha256, mut extends) = self.resolve(entry, 0)?;
        extends.push(id.to_owned());
        Ok(Merged { table, sha256, extends })
    }

    fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The merged table, the sha256 and the ids of every pack underneath, farthest first.
    fn resolve(&self, entry: &Entry, depth: usize) -> Result<(toml::Table, String, Vec<String>), DataError> {
        let err = |key: &str, problem: String| DataError::new(&entry.source, key, problem);
        if depth > MAX_DEPTH {
            return Err(err("extends", format!("stacks more than {MAX_DEPTH} packs, or goes round in a circle")));
        }
        let mut own = entry.table.clone();
        own.remove("extends");
        let mut hasher = Sha256::new();
        hasher.update(entry.text.as_bytes());
        if entry.extends.is_empty() {
            return Ok((own, hex(&hasher.finalize()), Vec::new()));
        }
        let mut merged = toml::Table::new();
        let mut chain: Vec<String> = Vec::new();
        for base_id in &entry.extends {
            let base = self.entry(base_id).ok_or_else(|| {
                let known: Vec<&str> = self.ids().collect();
                err("extends", format!("names unknown pack `{base_id}` (known: {})", known.join(", ")))
            })?;
            let (table, sha, under) = self.resolve(base, depth + 1)?;
            merge(&mut merged, table);
            hasher.update(b"\n");
            hasher.update(sha.as_bytes());
            for id in under.into_iter().chain([base_id.clone()]) {
                if !chain.contains(&id) {
                    chain.push(id);
                }
            }
        }
        if !own.get("pack").and_then(|p| p.get("id")).is_some_and(toml::Value::is_str) {
            return Err(err("pack.id", "is missing: a pack written over another needs an id of its own".into()));
        }
        for key in ["version", "title", "citation"] {
            if own.get("pack").and_then(|p| p.get(key)).is_none() {
                return Err(err(
                    &format!("pack.{key}"),
                    "is missing: a pack written over another states its own".into(),
                ));
            }
        }
        merge(&mut merged, own);
        Ok((merged, hex(&hasher.finalize()), chain))
    }
}

/// A pack merged with the packs it extends: its table, its sha256 and its own id after theirs, farthest first.
#[derive(Clone, Debug)]
pub struct Merged {
    pub table: toml::Table,
    pub sha256: String,
    pub extends: Vec<String>,
}

/// Validates a merged table (`source` names it in errors) into a pack; its `sha256` and `extends` are the caller's
/// to set.
pub fn build_table(table: &toml::Table, source: &str, countries: &Arc<Countries>) -> Result<Pack, DataError> {
    let raw = raw_from_table(table, source, "")?;
    values::Builder { source, countries }.build(raw, Arc::clone(countries))
}

/// Merges `over` into `base`: tables key by key, any other value replacing the base's whole.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn from_table(table: toml::Table, entry: &Entry) -> Result<super::raw::RawPack, DataError> {
    if entry.extends.is_empty() {
        // A pack written whole is read from its own text, so that errors give its line numbers.
        return crate::parse_toml(&entry.text, &entry.source);
    }
    raw_from_table(&table, &entry.source, " (in the pack as merged with the packs it extends)")
}

fn raw_from_table(table: &toml::Table, source: &str, where_: &str) -> Result<super::raw::RawPack, DataError> {
    // Read back through TOML text: the TOML deserializer is the one that reads dates.
    let text = toml::to_string(table).map_err(|e| DataError::new(source, "", e.to_string()))?;
    serde_path_to_error::deserialize(toml::Deserializer::new(&text)).map_err(|e| {
        let key = e.path().to_string();
        let message = crate::plain_types(e.into_inner().message().trim());
        DataError::new(source, if key == "." { "" } else { &key }, format!("{message}{where_}"))
    })
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every pack of a library, built once, by id.
#[derive(Clone, Debug, Default)]
pub struct Packs {
    by_id: HashMap<String, Arc<Pack>>,
    order: Vec<String>,
}

impl Packs {
    /// Builds every pack of `library`.
    pub fn build(library: &Library, countries: &Arc<Countries>) -> Result<Packs, DataError> {
        let mut packs = Packs::default();
        for id in library.ids() {
            let pack = library.build(id, Arc::clone(countries))?;
            packs.order.push(id.to_owned());
            packs.by_id.insert(id.to_owned(), Arc::new(pack));
        }
        Ok(packs)
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Pack>> {
        self.by_id.get(id)
    }

    /// The packs in the order their library listed them.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Pack>> {
        self.order.iter().filter_map(|id| self.by_id.get(id))
    }
}
