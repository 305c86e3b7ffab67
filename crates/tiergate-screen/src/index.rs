//! The candidate index and the scoring (algorithm `tg-match-1`; docs/SCREENING.md).
//!
//! Every name and alias of every entry is normalised into words. Each distinct word gets a weight, its inverse
//! document frequency `ln(1 + names / names_with_word)`, so that rare words ("huawei") count for more than
//! common ones ("trading"). A query finds its candidates through two maps instead of scanning every name:
//! word → names (exact words), and one-deletion variant → words (every word one edit away: the symmetric-delete
//! method, so a typo costs a few hash lookups). Each candidate is then scored:
//!
//! - the query's words are paired one-to-one with the name's words, best pairs first (same word: 1; one edit
//!   apart: 1 − `typo_cost` / length of the shorter word; else no pair);
//! - `query_coverage` = paired weight / query weight, `name_coverage` = paired weight / name weight, and
//!   `token_match` = their harmonic mean (order of words is ignored: "Rim ABBAS" = "ABBAS, Rim");
//! - `same_letters`: a name whose letters and digits, run together, are the query's ("AlHuda" for "AL-HUDA",
//!   "GG Internacional SAS" for "G.G. INTERNACIONAL S.A.S.") counts as matched whole (`token_match` 1);
//! - `country`: + `country_match` when the hint is among the entry's countries, − `country_mismatch` when the
//!   entry names others; `legal_form`: − `legal_form_mismatch` when both carry legal forms and none agree.
//!
//! score = clamp(token_match + country + legal_form, 0, 1). An entry's score is that of its best name.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::config::Config;
use crate::lists::Entry;
use crate::normalize::{Normalized, Normalizer};

struct Name {
    entry: u32,
    /// Which of the entry's names (0: the name, then aliases).
    which: u32,
    words: Vec<u32>,
    legal: Vec<String>,
    weight: f64,
}

pub struct Index {
    config: Config,
    normalizer: Normalizer,
    entries: Vec<Entry>,
    names: Vec<Name>,
    vocab: HashMap<String, u32>,
    words: Vec<String>,
    weights: Vec<f64>,
    postings: Vec<Vec<u32>>,
    /// One-deletion variant (and the word itself) → words.
    deletes: HashMap<String, Vec<u32>>,
    /// A form's letters and digits run together ("Al-Huda" and "AlHuda" → "alhuda") → names.
    compact: HashMap<String, Vec<u32>>,
    max_weight: f64,
}

/// Why a hit scored what it did: each feature's contribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Features {
    /// Harmonic mean of the two coverages: the score before adjustments.
    pub token_match: f64,
    pub query_coverage: f64,
    pub name_coverage: f64,
    /// Word pairs one edit apart.
    pub typos: u32,
    /// The query has the name's letters and digits in the same order, spacing and punctuation aside
    /// ("AlHuda" for "AL-HUDA"); the words then count as matched whole.
    pub same_letters: bool,
    /// The country hint's adjustment (0 without a hint or when the entry names no country).
    pub country: f64,
    /// The legal-form adjustment.
    pub legal_form: f64,
}

#[derive(Clone, Debug)]
pub struct Hit<'i> {
    pub entry: &'i Entry,
    pub matched_name: &'i str,
    pub score: f64,
    pub features: Features,
}

/// Ordered: `Clear` < `Review` < `Match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Clear,
    Review,
    Match,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Clear => "clear",
            Decision::Review => "review",
            Decision::Match => "match",
        }
    }
}

impl Index {
    /// Builds the index. An entry that appears twice (the same list and id, as SDN entries do in the CSL and in
    /// `sdn.csv`) is kept once, the first time.
    pub fn build(config: Config, entries: impl IntoIterator<Item = Entry>) -> Index {
        let normalizer = Normalizer::new(&config);
        let mut index = Index {
            config,
            normalizer,
            entries: Vec::new(),
            names: Vec::new(),
            vocab: HashMap::new(),
            words: Vec::new(),
            weights: Vec::new(),
            postings: Vec::new(),
            deletes: HashMap::new(),
            compact: HashMap::new(),
            max_weight: 0.0,
        };
        let mut seen = HashSet::new();
        for entry in entries {
            if !seen.insert((entry.list.clone(), entry.entry_id.clone())) {
                continue;
            }
            let entry_no = u32::try_from(index.entries.len()).unwrap_or(u32::MAX);
            let mut indexed: Vec<Vec<u32>> = Vec::new();
            for (which, form) in
                entry.names().enumerate().flat_map(|(which, name)| forms(name).into_iter().map(move |f| (which, f)))
            {
                let Normalized { mut core, legal } = index.normalizer.normalize(form);
                let mut once = HashSet::new();
                core.retain(|w| once.insert(w.clone()));
                if core.is_empty() {
                    continue;
                }
                let words: Vec<u32> = core.into_iter().map(|w| index.word_id(w)).collect();
                let mut key = words.clone();
                key.sort_unstable();
                if indexed.contains(&key) {
                    continue;
                }
                indexed.push(key);
                let name_no = u32::try_from(index.names.len()).unwrap_or(u32::MAX);
                let slot = index.compact.entry(compact(form)).or_default();
                if slot.last() != Some(&name_no) {
                    slot.push(name_no);
                }
                index.names.push(Name {
                    entry: entry_no,
                    which: u32::try_from(which).unwrap_or(u32::MAX),
                    words,
                    legal,
                    weight: 0.0,
                });
            }
            index.entries.push(entry);
        }
        for (n, name) in index.names.iter().enumerate() {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            for &w in &name.words {
                if let Some(p) = index.postings.get_mut(w as usize) {
                    if p.last() != Some(&n) {
                        p.push(n);
                    }
                }
            }
        }
        let total = index.names.len().max(1) as f64;
        index.weights = index.postings.iter().map(|p| (1.0 + total / p.len().max(1) as f64).ln()).collect();
        index.max_weight = (1.0 + total).ln();
        for name in &mut index.names {
            name.weight = name.words.iter().map(|&w| index.weights.get(w as usize).copied().unwrap_or(0.0)).sum();
        }
        let min_len = index.config.weights.typo_min_len;
        for (id, word) in index.words.iter().enumerate() {
            if word.len() < min_len {
                continue;
            }
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            for variant in deletions(word).chain(std::iter::once(word.clone())) {
                let slot = index.deletes.entry(variant).or_default();
                if slot.last() != Some(&id) {
                    slot.push(id);
                }
            }
        }
        index
    }

    fn word_id(&mut self, word: String) -> u32 {
        if let Some(&id) = self.vocab.get(&word) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.vocab.insert(word.clone(), id);
        self.words.push(word);
        self.postings.push(Vec::new());
        id
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many names (names and aliases, after removing repeats) the index holds.
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// The query in the index's normal form, as judgements are keyed.
    pub fn normal_form(&self, query: &str) -> String {
        self.normalizer.normal_form(query)
    }

    /// The hits scoring at least `threshold`, best first, one per entry.
    pub fn screen(&self, query: &str, country: Option<&str>, threshold: f64) -> Vec<Hit<'_>> {
        let q = self.normalizer.normalize(query);
        if q.core.is_empty() {
            return Vec::new();
        }
        // Per query word: the index's words it may stand for, with their similarity.
        let alternatives: Vec<Vec<(u32, f64)>> = q.core.iter().map(|w| self.alternatives(w)).collect();
        // A word the index knows weighs what it weighs there; a misspelt one what its nearest words weigh at
        // most; an unknown one counts as the rarest word.
        let query_weights: Vec<f64> = alternatives
            .iter()
            .zip(&q.core)
            .map(|(alts, w)| match self.vocab.get(w) {
                Some(&id) => self.weight(id),
                None => alts.iter().map(|&(id, _)| self.weight(id)).reduce(f64::max).unwrap_or(self.max_weight),
            })
            .collect();
        let query_weight: f64 = query_weights.iter().sum();

        // Candidates: the names sharing a word (or a word one edit away) with the query, with an upper bound
        // of the query weight they can cover.
        let mut covered: HashMap<u32, f64> = HashMap::new();
        let mut best_this_word: HashMap<u32, f64> = HashMap::new();
        for (alts, &w) in alternatives.iter().zip(&query_weights) {
            best_this_word.clear();
            for &(word, sim) in alts {
                for &name in self.postings.get(word as usize).map(Vec::as_slice).unwrap_or_default() {
                    let slot = best_this_word.entry(name).or_insert(0.0);
                    *slot = slot.max(sim);
                }
            }
            for (&name, &sim) in &best_this_word {
                *covered.entry(name).or_insert(0.0) += w * sim;
            }
        }
        // Ranked by an estimate of the score: the covered weight stands for both coverages (paired words weigh
        // about the same on both sides), so that short names covered whole come before long ones.
        let floor = self.config.weights.min_query_coverage * query_weight;
        // Names with the query's very letters (spacing and punctuation aside) are candidates whatever their words.
        let same_letters: &[u32] = self.compact.get(&compact(query)).map(Vec::as_slice).unwrap_or_default();
        for &n in same_letters {
            covered.insert(n, query_weight);
        }
        let mut candidates: Vec<(u32, f64)> = covered
            .into_iter()
            .filter(|&(_, c)| c >= floor)
            .map(|(n, c)| {
                let name_weight = self.names.get(n as usize).map_or(f64::INFINITY, |name| name.weight);
                let (cq, cn) = (c / query_weight, (c / name_weight).min(1.0));
                (n, 2.0 * cq * cn / (cq + cn))
            })
            .collect();
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(self.config.weights.max_candidates);

        let mut best: HashMap<u32, Hit<'_>> = HashMap::new();
        for (name_no, _) in candidates {
            let Some(name) = self.names.get(name_no as usize) else { continue };
            let Some(entry) = self.entries.get(name.entry as usize) else { continue };
            let mut features = self.features(&q, &alternatives, &query_weights, query_weight, name, entry, country);
            if same_letters.contains(&name_no) {
                features.same_letters = true;
                features.token_match = 1.0;
                features.query_coverage = 1.0;
                features.name_coverage = 1.0;
            }
            let score = (features.token_match + features.country + features.legal_form).clamp(0.0, 1.0);
            let score = round4(score);
            if score < threshold {
                continue;
            }
            let matched_name = entry.names().nth(name.which as usize).unwrap_or(&entry.name);
            let hit = Hit { entry, matched_name, score, features };
            match best.get(&name.entry) {
                Some(h) if h.score >= hit.score => {}
                _ => {
                    best.insert(name.entry, hit);
                }
            }
        }
        let mut hits: Vec<Hit<'_>> = best.into_values().collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.entry.list.cmp(&b.entry.list))
                .then_with(|| a.entry.entry_id.cmp(&b.entry.entry_id))
        });
        hits
    }

    fn weight(&self, word: u32) -> f64 {
        self.weights.get(word as usize).copied().unwrap_or(self.max_weight)
    }

    /// The index's words a query word may stand for: itself (similarity 1) and the words one edit away.
    fn alternatives(&self, word: &str) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        if let Some(&id) = self.vocab.get(word) {
            out.push((id, 1.0));
        }
        if word.len() < self.config.weights.typo_min_len {
            return out;
        }
        let mut seen: HashSet<u32> = out.iter().map(|&(id, _)| id).collect();
        for variant in deletions(word).chain(std::iter::once(word.to_owned())) {
            for &id in self.deletes.get(&variant).map(Vec::as_slice).unwrap_or_default() {
                if !seen.insert(id) {
                    continue;
                }
                let Some(candidate) = self.words.get(id as usize) else { continue };
                let shorter = candidate.len().min(word.len());
                if shorter >= self.config.weights.typo_min_len && strsim::osa_distance(word, candidate) == 1 {
                    out.push((id, 1.0 - self.config.weights.typo_cost / shorter as f64));
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn features(
        &self,
        q: &Normalized,
        alternatives: &[Vec<(u32, f64)>],
        query_weights: &[f64],
        query_weight: f64,
        name: &Name,
        entry: &Entry,
        country: Option<&str>,
    ) -> Features {
        // All pairs (query word, name word) with a similarity, best first; then one-to-one.
        let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
        for (qi, alts) in alternatives.iter().enumerate() {
            for (ni, &nw) in name.words.iter().enumerate() {
                if let Some(&(_, sim)) = alts.iter().find(|&&(id, _)| id == nw) {
                    pairs.push((sim, qi, ni));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut q_used = vec![false; q.core.len()];
        let mut n_used = vec![false; name.words.len()];
        let (mut q_covered, mut n_covered, mut typos) = (0.0, 0.0, 0);
        for (sim, qi, ni) in pairs {
            let (Some(qu), Some(nu)) = (q_used.get_mut(qi), n_used.get_mut(ni)) else { continue };
            if *qu || *nu {
                continue;
            }
            *qu = true;
            *nu = true;
            q_covered += sim * query_weights.get(qi).copied().unwrap_or(0.0);
            n_covered += sim * name.words.get(ni).map_or(0.0, |&w| self.weight(w));
            if sim < 1.0 {
                typos += 1;
            }
        }
        let query_coverage = if query_weight > 0.0 { q_covered / query_weight } else { 0.0 };
        let name_coverage = if name.weight > 0.0 { n_covered / name.weight } else { 0.0 };
        let token_match = if query_coverage + name_coverage > 0.0 {
            2.0 * query_coverage * name_coverage / (query_coverage + name_coverage)
        } else {
            0.0
        };
        let w = &self.config.weights;
        let country = match country {
            Some(c) if !entry.countries.is_empty() => {
                if entry.countries.iter().any(|e| e.eq_ignore_ascii_case(c)) {
                    w.country_match
                } else {
                    -w.country_mismatch
                }
            }
            _ => 0.0,
        };
        let legal_form =
            if !q.legal.is_empty() && !name.legal.is_empty() && !q.legal.iter().any(|l| name.legal.contains(l)) {
                -w.legal_form_mismatch
            } else {
                0.0
            };
        Features {
            token_match: round4(token_match),
            query_coverage: round4(query_coverage),
            name_coverage: round4(name_coverage),
            typos,
            same_letters: false,
            country,
            legal_form,
        }
    }
}

/// Scores and features are given to four decimals.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The forms a list name is indexed under: the name as written, the name without its parentheses, and what each
/// parenthesis holds ("Huawei Technologies Co., Ltd. (Huawei)" → also "Huawei Technologies Co., Ltd. " and
/// "Huawei"): lists put abbreviations and short names there. An Entity List "Affiliated Entity:" is a form of its own.
fn forms(name: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    // Entity List entries name an affiliate after the parent: "Huawei ... (Huawei). Affiliated Entity: X".
    if let Some((parent, affiliate)) = name.split_once("Affiliated Entity:") {
        out.push(name);
        out.extend(forms(parent));
        out.extend(forms(affiliate));
        return out;
    }
    match (name.find('('), name.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            out.push(name);
            out.push(name.get(..open).unwrap_or_default());
            out.extend(name.get(open + 1..close).unwrap_or_default().split(['(', ')']));
            out.push(name.get(close + 1..).unwrap_or_default());
        }
        _ => out.push(name),
    }
    out.retain(|s| !s.trim().is_empty());
    out
}

/// A name's letters and digits, folded and lower-case, run together: equal for names that differ only in
/// spacing and punctuation ("G.G. Internacional S.A.S." and "GG Internacional SAS").
pub(crate) fn compact(name: &str) -> String {
    deunicode::deunicode(name).chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Every string one character deletion away from `word` (ASCII: normalised words are).
fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    (0..word.len()).filter(|&i| word.is_char_boundary(i)).map(move |i| {
        let mut s = String::with_capacity(word.len());
        s.push_str(word.get(..i).unwrap_or_default());
        s.push_str(word.get(i + 1..).unwrap_or_default());
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, list: &str, name: &str, countries: &[&str]) -> Entry {
        Entry {
            entry_id: id.to_owned(),
            list: list.to_owned(),
            name: name.to_owned(),
            countries: countries.iter().map(|c| (*c).to_owned()).collect(),
            ..Entry::default()
        }
    }

    fn index() -> Index {
        let mut entries = vec![
            entry("1", "EL", "Semiconductor Manufacturing International Corporation (SMIC)", &["CN"]),
            entry("2", "SDN", "AL-DAJANI, Nadim", &[]),
            entry("3", "SDN", "JSC NEC", &["RU"]),
            entry("4", "SDN", "ZISCO", &[]),
        ];
        // Filler, so that word weights look like a real list's.
        entries.extend((0..200).map(|i| entry(&format!("f{i}"), "SDN", &format!("Trading Company {i}"), &[])));
        Index::build(Config::builtin().unwrap(), entries)
    }

    fn best(index: &Index, query: &str, country: Option<&str>) -> Option<(String, f64, Features)> {
        index.screen(query, country, 0.0).first().map(|h| (h.entry.entry_id.clone(), h.score, h.features.clone()))
    }

    #[test]
    fn exact_names_score_one_whatever_the_spelling_of_case_punctuation_and_legal_form() {
        let i = index();
        let (id, score, _) = best(&i, "semiconductor manufacturing international corp.", None).unwrap();
        assert_eq!((id.as_str(), score), ("1", 1.0));
        // The parenthesis is a name of its own.
        assert_eq!(best(&i, "SMIC", None).unwrap().1, 1.0);
    }

    #[test]
    fn one_typo_costs_more_in_a_short_word() {
        let i = index();
        let (_, long, f) = best(&i, "Semiconductor Manufacturing Internatonal Corporation", None).unwrap();
        assert_eq!(f.typos, 1);
        assert!((0.95..1.0).contains(&long), "{long}");
        // One edit in five letters: 1 - 0.75/5 = 0.85, under the review threshold.
        let (id, short, _) = best(&i, "Cisco", None).unwrap();
        assert_eq!((id.as_str(), short), ("4", 0.85));
        assert!(short < i.config().thresholds.review);
    }

    #[test]
    fn word_order_spacing_and_country_hints() {
        let i = index();
        assert_eq!(best(&i, "Nadim Al Dajani", None).unwrap().1, 1.0);
        let (_, score, f) = best(&i, "AlDajani Nadim", None).unwrap();
        assert!(f.same_letters || score == 1.0);
        let (_, hinted, f) = best(&i, "SMIC", Some("CN")).unwrap();
        assert_eq!((hinted, f.country), (1.0, 0.03));
        let (_, elsewhere, f) = best(&i, "SMIC", Some("US")).unwrap();
        assert_eq!((elsewhere, f.country), (0.94, -0.06));
    }

    #[test]
    fn different_legal_forms_lower_the_score() {
        let i = index();
        let (id, score, f) = best(&i, "NEC Corporation", None).unwrap();
        assert_eq!((id.as_str(), f.legal_form), ("3", -0.15));
        assert!(score < i.config().thresholds.review);
    }

    #[test]
    fn names_that_share_no_word_are_not_candidates() {
        assert!(index().screen("Anthropic", None, 0.0).is_empty());
    }
}
