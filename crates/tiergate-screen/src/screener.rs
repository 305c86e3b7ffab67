//! A screening answer as the CLI contract spells it, with analysts' judgements applied.

use std::collections::HashMap;

use serde::Serialize;

use crate::index::{Decision, Features, Index};

/// A recorded judgement, as the screener needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Judged {
    /// `false_positive` or `true_match`.
    pub verdict: String,
    pub actor: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct HitOut {
    pub entry_id: String,
    pub list: String,
    /// The list's full name (`Entity List (EL) - Bureau of Industry and Security`).
    #[serde(skip)]
    pub source: String,
    pub name: String,
    /// The entry's name or alias that scored best.
    pub matched_name: String,
    /// The entry's other names and aliases that reached the threshold: one hit per entry, whatever the aliases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_matched: Vec<String>,
    /// The entry's countries (ISO codes) and addresses as listed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    pub score: f64,
    pub features: Features,
    pub license_requirement: Option<String>,
    pub license_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federal_register_notice: Option<String>,
    /// Sanctions programs the entry is listed under (SDN `SDGT`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// What this hit alone asks for, after any judgement: `match`, `review`, or `clear` when judged a false
    /// positive.
    pub decision: Decision,
    /// An analyst's judgement of this entry for this query, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judged>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScreenOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub hits: Vec<HitOut>,
    pub decision: Decision,
    /// The matching algorithm's version (`data/screening.toml`).
    pub algorithm: String,
    /// What the caller should know before relying on the answer: lists imported too long ago.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The index and the judgements recorded against it.
pub struct Screener {
    index: Index,
    /// Query in normal form → entry id → the latest judgement.
    judgements: HashMap<String, HashMap<String, Judged>>,
}

impl Screener {
    pub fn new(index: Index) -> Screener {
        Screener { index, judgements: HashMap::new() }
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Adds a judgement; a later one for the same entry and query replaces an earlier one.
    pub fn judge(&mut self, entry_id: &str, query_normal_form: &str, judged: Judged) {
        self.judgements.entry(query_normal_form.to_owned()).or_default().insert(entry_id.to_owned(), judged);
    }

    /// Screens one name. Hits at or above `threshold` are listed, best first. The decision counts every listed
    /// hit except those judged false positives for this query; a hit judged a true match makes it `match`.
    pub fn screen(&self, id: Option<String>, name: &str, country: Option<&str>, threshold: f64) -> ScreenOut {
        let hits = self.index.screen(name, country, threshold);
        // The query's judgements, if any were ever recorded for it (most screenings have none).
        let judged = if self.judgements.is_empty() { None } else { self.judgements.get(&self.index.normal_form(name)) };
        let mut decision = Decision::Clear;
        let thresholds = &self.index.config().thresholds;
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            let judgement = judged.and_then(|by_entry| by_entry.get(&h.entry.entry_id)).cloned();
            let level = match judgement.as_ref().map(|j| j.verdict.as_str()) {
                Some("false_positive") => Decision::Clear,
                Some("true_match") => Decision::Match,
                _ => thresholds.decision(h.score),
            };
            decision = decision.max(level);
            out.push(HitOut {
                entry_id: h.entry.entry_id.clone(),
                list: h.entry.list.clone(),
                source: h.entry.source.clone(),
                name: h.entry.name.clone(),
                matched_name: h.matched_name.to_owned(),
                also_matched: h.also_matched.iter().map(|n| (*n).to_owned()).collect(),
                countries: h.entry.countries.clone(),
                addresses: h.entry.addresses.clone(),
                score: h.score,
                features: h.features,
                license_requirement: h.entry.license_requirement.clone(),
                license_policy: h.entry.license_policy.clone(),
                federal_register_notice: h.entry.federal_register_notice.clone(),
                programs: h.entry.programs.clone(),
                decision: level,
                judgement,
            });
        }
        ScreenOut { id, hits: out, decision, algorithm: self.index.config().version.clone(), warnings: Vec::new() }
    }
}
