//! The matching configuration (`data/screening.toml`): normalisation tables, weights and thresholds, validated.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The configuration compiled into the binary.
pub const BUILTIN_TOML: &str = include_str!("../../../data/screening.toml");
pub const BUILTIN_SOURCE: &str = "data/screening.toml (built in)";

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The algorithm's version; every hit carries it.
    pub version: String,
    pub thresholds: Thresholds,
    pub weights: Weights,
    pub normalize: NormalizeConfig,
    /// Canonical legal form → its spellings (a spelling of several words is a phrase).
    pub legal_forms: BTreeMap<String, Vec<String>>,
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
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalizeConfig {
    pub stopwords: Vec<String>,
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
        let config: Config = toml::from_str(text).map_err(|e| err(e.message().to_owned()))?;
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
        if config.thresholds.match_ < config.thresholds.review {
            return Err(err("`thresholds.match` is below `thresholds.review`".to_owned()));
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
