//! A scenario's file: a small TOML overlay naming its base and its changes, as written and as read.

use serde::{Deserialize, Serialize};

use crate::DataError;

/// The scenario file format this build reads and writes.
pub const SCHEMA: u32 = 1;
/// Longest scenario file accepted, in bytes.
pub const MAX_BYTES: usize = 256 * 1024;
/// Most changes (moves, assurances and settings together) one scenario may make.
pub const MAX_CHANGES: usize = 400;
/// Longest scenario name.
pub const MAX_NAME: usize = 64;

/// A scenario file as written.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub schema: u32,
    pub scenario: Header,
    /// Countries moved between tiers, or into or out of a country group.
    #[serde(default, rename = "move", skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<Move>,
    /// Countries given Supp. No. 5(b) government-to-government assurances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assure: Vec<Assure>,
    /// Values of the base pack replaced, by dotted key (`"lpp.annual_limit_tpp" = 13_450_000`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub set: toml::Table,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Lower-case letters, digits and `-`; the pack it yields is `scenario:NAME`.
    pub name: String,
    pub version: String,
    /// A timeline (`codified`, `enforced`) or a built-in pack's id.
    pub base: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One country moved: to a tier (`tier`), or into (`add_to`) or out of (`remove_from`) a country group; from a
/// date on, or throughout.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<toml::value::Datetime>,
}

/// One country given assurances, from a date on or throughout.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assure {
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<toml::value::Datetime>,
}

impl ScenarioFile {
    /// Reads a scenario file, checking its shape (not yet its changes against a base).
    pub fn parse(text: &str, source: &str) -> Result<ScenarioFile, DataError> {
        let err = |key: &str, problem: String| DataError::new(source, key, problem);
        if text.len() > MAX_BYTES {
            return Err(err("", format!("is {} bytes; a scenario file is at most {MAX_BYTES}", text.len())));
        }
        let file: ScenarioFile = crate::parse_toml(text, source)?;
        if file.schema != SCHEMA {
            return Err(err("schema", format!("is {}, this build reads scenario schema {SCHEMA}", file.schema)));
        }
        check_name(&file.scenario.name).map_err(|p| err("scenario.name", p))?;
        let version = file.scenario.version.trim();
        if version.is_empty() || version.len() > 40 || version.chars().any(char::is_control) {
            return Err(err("scenario.version", "must be 1 to 40 printable characters".into()));
        }
        if file.scenario.base.trim().is_empty() {
            return Err(err("scenario.base", "is empty: name a timeline (codified, enforced) or a pack id".into()));
        }
        for (key, value) in [("title", &file.scenario.title), ("description", &file.scenario.description)] {
            if let Some(v) = value {
                if v.len() > 2000 || v.chars().any(|c| c.is_control() && c != '\n') {
                    return Err(err(&format!("scenario.{key}"), "must be at most 2000 characters of text".into()));
                }
            }
        }
        let n = file.moves.len() + file.assure.len() + file.set.len();
        if n == 0 {
            return Err(err("", "changes nothing: give at least one `[[move]]`, `[[assure]]` or `[set]` key".into()));
        }
        if n > MAX_CHANGES {
            return Err(err("", format!("makes {n} changes; a scenario makes at most {MAX_CHANGES}")));
        }
        Ok(file)
    }

    /// The file as TOML text, with a header comment.
    pub fn to_toml(&self) -> Result<String, DataError> {
        let body = toml::to_string(self).map_err(|e| DataError::new("scenario", "", e.to_string()))?;
        Ok(format!(
            "# Tiergate scenario: a what-if regime written over `{}` (docs/SCENARIOS.md). Hypothetical: answers under it\n# name the pack `scenario:{}`, never the official one.\n\n{body}",
            self.scenario.base, self.scenario.name
        ))
    }
}

/// Checks a scenario's name: 1 to 64 lower-case letters, digits and `-`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` must be 1 to {MAX_NAME} lower-case letters, digits and `-`, not starting with `-`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("pl-il-tier1").is_ok());
        for bad in ["", "PL", "a b", "-x", "a:b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_file_without_changes_is_refused() {
        let e =
            ScenarioFile::parse("schema = 1\n[scenario]\nname = \"x\"\nversion = \"1\"\nbase = \"codified\"\n", "s")
                .unwrap_err();
        assert!(e.problem().contains("changes nothing"), "{e}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = ScenarioFile::parse(
            "schema = 1\n[scenario]\nname = \"x\"\nversion = \"1\"\nbase = \"codified\"\n[[move]]\ncountry = \"PL\"\ntierr = 1\n",
            "s",
        )
        .unwrap_err();
        assert_eq!(e.key(), "move[0].tierr", "{e}");
        assert!(e.problem().contains("tierr"), "{e}");
    }
}
