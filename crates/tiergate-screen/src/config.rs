//! The matching configuration (`data/screening.toml`): normalisation tables, weights and thresholds, validated.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The configuration compiled into the binary.
pub const BUILTIN_TOML: &str = include_str!("../../../data/screening.toml");
pub const BUILTIN_SOURCE: &str = "data/screening.toml (built in)";
/// Place names (countries in several languages, capitals, demonyms): qualifiers for containment.
const PLACES_TOML: &str = include_str!("../../../data/places.toml");
/// Common English words (SCOWL): generic, never distinctive by themselves.
const COMMON_WORDS: &str = include_str!("../../../data/common_words.txt");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The algorithm's version; every hit carries it.
    pub version: String,
    pub lists: ListsConfig,
    pub thresholds: Thresholds,
    pub weights: Weights,
    pub normalize: NormalizeConfig,
    /// Canonical legal form → its spellings (a spelling of several words is a phrase).
    pub legal_forms: BTreeMap<String, Vec<String>>,
    pub transcription: Transcription,
    /// Canonical word → its spellings, read as one word both ways.
    pub abbreviations: BTreeMap<String, Vec<String>>,
    /// Place names, from `data/places.toml` (not part of the screening file).
    #[serde(skip)]
    pub places: Vec<String>,
    /// Common words, from `data/common_words.txt` (not part of the screening file).
    #[serde(skip)]
    pub common_words: Vec<String>,
}

/// Transcription variants: replacements applied in order inside every word, then word endings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcription {
    pub replace: Vec<(String, String)>,
    pub endings: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Places {
    names: Vec<String>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsConfig {
    /// A list imported more than this many days before a screening's date is flagged as stale.
    pub stale_after_days: u32,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub review: f64,
    #[serde(rename = "match")]
    pub match_: f64,
}

impl Thresholds {
    /// What a hit of this score asks for: `match` from `match`, `review` from `review`, else `clear`.
    pub fn decision(&self, score: f64) -> crate::Decision {
        if score >= self.match_ {
            crate::Decision::Match
        } else if score >= self.review {
            crate::Decision::Review
        } else {
            crate::Decision::Clear
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub typo_cost: f64,
    pub typo_min_len: usize,
    pub country_match: f64,
    pub country_mismatch: f64,
    pub legal_form_mismatch: f64,
    pub min_query_coverage: f64,
    pub max_candidates: usize,
    pub distinctive_weight: f64,
    pub brand_weight: f64,
    pub common_name_factor: f64,
    pub containment: f64,
    pub containment_typo_factor: f64,
    pub extra_word_cost: f64,
    pub part: f64,
    pub optional_word_cost: f64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeConfig {
    pub stopwords: Vec<String>,
    pub qualifiers: Vec<String>,
    pub generic: Vec<String>,
    pub not_places: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {problem}")]
pub struct ConfigError {
    source_name: String,
    problem: String,
}

impl Config {
    pub fn builtin() -> Result<Config, ConfigError> {
        Config::from_toml(BUILTIN_TOML, BUILTIN_SOURCE)
    }

    pub fn from_toml(text: &str, source: &str) -> Result<Config, ConfigError> {
        let err = |problem: String| ConfigError { source_name: source.to_owned(), problem };
        let mut config: Config = toml::from_str(text).map_err(|e| err(e.message().to_owned()))?;
        let places: Places =
            toml::from_str(PLACES_TOML).map_err(|e| err(format!("data/places.toml (built in): {}", e.message())))?;
        config.places = places.names;
        config.common_words =
            COMMON_WORDS.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(str::to_owned).collect();
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(err(format!("`{name}` is {v}; it must be between 0 and 1")))
            }
        };
        unit("thresholds.review", config.thresholds.review)?;
        unit("thresholds.match", config.thresholds.match_)?;
        unit("weights.typo_cost", config.weights.typo_cost)?;
        unit("weights.country_match", config.weights.country_match)?;
        unit("weights.country_mismatch", config.weights.country_mismatch)?;
        unit("weights.legal_form_mismatch", config.weights.legal_form_mismatch)?;
        unit("weights.min_query_coverage", config.weights.min_query_coverage)?;
        unit("weights.containment", config.weights.containment)?;
        unit("weights.extra_word_cost", config.weights.extra_word_cost)?;
        unit("weights.containment_typo_factor", config.weights.containment_typo_factor)?;
        unit("weights.part", config.weights.part)?;
        unit("weights.optional_word_cost", config.weights.optional_word_cost)?;
        for (key, v) in [
            ("weights.distinctive_weight", config.weights.distinctive_weight),
            ("weights.brand_weight", config.weights.brand_weight),
            ("weights.common_name_factor", config.weights.common_name_factor),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(format!("`{key}` is {v}; it must be a positive number")));
            }
        }
        let lower = |key: &str, s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                Err(err(format!("`{key}`: `{s}` must be one lower-case ASCII word")))
            } else {
                Ok(())
            }
        };
        for (from, to) in config.transcription.replace.iter().chain(&config.transcription.endings) {
            lower("transcription", from)?;
            lower("transcription", to)?;
        }
        let mut spelt = BTreeMap::new();
        for (canonical, spellings) in &config.abbreviations {
            lower("abbreviations", canonical)?;
            for s in spellings {
                lower(&format!("abbreviations.{canonical}"), s)?;
                if let Some(other) = spelt.insert(s.clone(), canonical.clone()) {
                    return Err(err(format!("abbreviation `{s}` is given for both `{other}` and `{canonical}`")));
                }
            }
        }
        for w in config.normalize.qualifiers.iter().chain(&config.normalize.not_places).chain(&config.normalize.generic)
        {
            lower("normalize", w)?;
        }
        if config.thresholds.match_ < config.thresholds.review {
            return Err(err("`thresholds.match` is below `thresholds.review`".to_owned()));
        }
        if config.lists.stale_after_days == 0 {
            return Err(err("`lists.stale_after_days` must be at least 1".to_owned()));
        }
        if config.weights.max_candidates == 0 {
            return Err(err("`weights.max_candidates` must be at least 1".to_owned()));
        }
        if config.version.trim().is_empty() {
            return Err(err("`version` is empty".to_owned()));
        }
        let mut seen = BTreeMap::new();
        for (canonical, spellings) in &config.legal_forms {
            for s in spellings {
                if s.trim().is_empty() || s.chars().any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '))
                {
                    return Err(err(format!(
                        "legal form `{canonical}`: spelling `{s}` must be lower-case ASCII letters, digits and spaces"
                    )));
                }
                if let Some(other) = seen.insert(s.clone(), canonical.clone()) {
                    return Err(err(format!("spelling `{s}` is given for both `{other}` and `{canonical}`")));
                }
            }
        }
        Ok(config)
    }
}
