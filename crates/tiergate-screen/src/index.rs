//! The candidate index and the scoring (algorithm `tg-match-2`; docs/SCREENING.md).
//!
//! Every name and alias of every entry is read into words as matching reads them ([`Normalizer::match_form`]:
//! abbreviations as one word, transcription variants folded, places and branch words marked as qualifiers,
//! common words marked). Each distinct word gets a weight, its inverse document frequency
//! `ln(1 + names / names_with_word)`, so that rare words ("huawei") count for more than common ones ("trading").
//! A query finds its candidates through maps instead of scanning every name: word → names, one-deletion variant →
//! words (the symmetric-delete method, so a typo costs a few hash lookups), letters run together → names. Each
//! candidate is scored by the best of several readings ([`MatchKind`]):
//!
//! - `words`: the query's words paired one-to-one with the name's, best pairs first (same word 1; one edit apart
//!   1 − `typo_cost` / length of the shorter word); `token_match` = harmonic mean of the two coverages;
//! - `same_letters`: the query has the name's letters in order ("AlHuda" for "AL-HUDA");
//! - `containment`: a distinctive listed name whole inside the query ("Rosneft Deutschland GmbH");
//! - `distinctive_part`: the query a distinctive part of the listed name ("Hikvision");
//! - `person_optional_words`: a person's name with a middle name or patronymic missing on one side.
//!
//! score = clamp(name_match + country + legal_form, 0, 1). An entry's score is that of its best name.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::config::Config;
use crate::lists::Entry;
use crate::normalize::{MatchForm, Normalizer};

struct Name {
    entry: u32,
    /// Which of the entry's names (0: the name, then aliases).
    which: u32,
    words: Vec<u32>,
    /// Parallel to `words`: neither a qualifier nor a generic word.
    distinct: Vec<bool>,
    legal: Vec<String>,
    weight: f64,
    /// The weight of the words that are neither qualifiers nor generic: how distinctive the name is.
    distinct_weight: f64,
    /// A word neither common nor a place, of five letters or more, weighing at least `brand_weight`.
    brand: bool,
    /// Parallel to `words`: the entry is a person, and the word is the surname (before a comma) or the first
    /// given name, or (without a comma) the first or the last word. Only the others may be missing.
    anchor: Vec<bool>,
    /// The entry is a person.
    person: bool,
    /// A form cut from a listed name (a parenthesis, what follows it, an affiliate), not the name as listed.
    derived: bool,
}

pub struct Index {
    config: Config,
    normalizer: Normalizer,
    entries: Vec<Entry>,
    names: Vec<Name>,
    vocab: HashMap<String, u32>,
    words: Vec<String>,
    /// Per word: a spelling as listed (before abbreviations and transcriptions were read), for explanations.
    display: Vec<String>,
    weights: Vec<f64>,
    postings: Vec<Vec<u32>>,
    /// One-deletion variant (and the word itself) → words.
    deletes: HashMap<String, Vec<u32>>,
    /// A form's letters and digits run together ("Al-Huda" and "AlHuda" → "alhuda") → names.
    compact: HashMap<String, Vec<u32>>,
    max_weight: f64,
}

/// Which reading of the names gave a hit its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The words of both, paired one to one (`token_match`).
    Words,
    /// The query has the name's letters in order, spacing and punctuation aside.
    SameLetters,
    /// The listed name whole inside the query, the query's other words being qualifiers or few.
    Containment,
    /// The query a distinctive part of the listed name.
    DistinctivePart,
    /// A person's name with a patronymic or middle name dropped or added.
    PersonOptionalWords,
}

/// Why a hit scored what it did: each feature's contribution, and the words behind them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Features {
    /// Which reading gave `name_match`.
    pub kind: MatchKind,
    /// The score before the country and legal-form adjustments: the best of the readings.
    pub name_match: f64,
    /// Harmonic mean of the two coverages.
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
    /// The legal-form adjustment (none for containment and parts: a branch has its own legal form).
    pub legal_form: f64,
    /// The listed name's words that matched, as listed (normalised: lower case, ASCII).
    pub matched_words: Vec<String>,
    /// The query's words left over that are places or branch words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub qualifiers: Vec<String>,
    /// The query's other words left over.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_words: Vec<String>,
}

/// The query's weight: all its words, and those that are not qualifiers.
struct QueryWeights {
    all: f64,
    /// Words that are not qualifiers.
    core: f64,
    /// Words that are neither qualifiers nor generic.
    distinct: f64,
}

impl QueryWeights {
    fn new(q: &MatchForm, weights: &[f64]) -> QueryWeights {
        let mut qw = QueryWeights { all: 0.0, core: 0.0, distinct: 0.0 };
        for (i, w) in weights.iter().enumerate() {
            qw.all += w;
            if !q.qualifier.get(i).copied().unwrap_or(false) {
                qw.core += w;
                if !q.generic.get(i).copied().unwrap_or(false) {
                    qw.distinct += w;
                }
            }
        }
        qw
    }
}

/// What a candidate name shares with the query: covered weight, of all words and of non-qualifiers, and the
/// heaviest single non-qualifier word covered.
#[derive(Default)]
struct Cover {
    all: f64,
    core: f64,
    rarest: f64,
}

#[derive(Clone, Debug)]
pub struct Hit<'i> {
    pub entry: &'i Entry,
    /// The entry's name or alias that scored best.
    pub matched_name: &'i str,
    pub score: f64,
    pub features: Features,
    /// The entry's other names and aliases that reached the threshold, folded into this one hit.
    pub also_matched: Vec<&'i str>,
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
            display: Vec::new(),
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
                let MatchForm { core, plain, legal, qualifier, generic, .. } = index.normalizer.match_form(form, false);
                // A form cut from a name (a parenthesis, what follows it) that is only a legal form or only places
                // ("(UK) Ltd") names no one.
                let derived = !entry.names().any(|n| n == form);
                if derived && (core.iter().all(|w| legal.contains(w)) || qualifier.iter().all(|q| *q)) {
                    continue;
                }
                let person = entry.kind.eq_ignore_ascii_case("individual");
                let anchors = if person { index.anchors(form, &core) } else { vec![false; core.len()] };
                let mut once = HashSet::new();
                let mut kept = Vec::new();
                for (i, w) in core.into_iter().enumerate() {
                    if once.insert(w.clone()) {
                        let flag = |v: &[bool]| v.get(i).copied().unwrap_or(false);
                        kept.push((w, flag(&qualifier), flag(&generic), flag(&anchors), plain.get(i).cloned()));
                    }
                }
                if kept.is_empty() {
                    continue;
                }
                let core: Vec<String> = kept.iter().map(|k| k.0.clone()).collect();
                let distinct: Vec<bool> = kept.iter().map(|k| !k.1 && !k.2).collect();
                let anchor: Vec<bool> = kept.iter().map(|k| k.3).collect();
                let words: Vec<u32> = core
                    .into_iter()
                    .zip(&kept)
                    .map(|(w, k)| index.word_id(w, k.4.as_deref().unwrap_or_default()))
                    .collect();
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
                    distinct,
                    legal,
                    weight: 0.0,
                    distinct_weight: 0.0,
                    brand: false,
                    anchor,
                    person,
                    derived,
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
            let weight = |w: u32| index.weights.get(w as usize).copied().unwrap_or(0.0);
            name.weight = name.words.iter().map(|&w| weight(w)).sum();
            name.distinct_weight =
                name.words.iter().zip(&name.distinct).filter(|(_, d)| **d).map(|(&w, _)| weight(w)).sum();
            let brand_weight = index.config.weights.brand_weight;
            name.brand = name.words.iter().zip(&name.distinct).any(|(&w, d)| {
                *d && weight(w) >= brand_weight && index.words.get(w as usize).is_some_and(|s| s.len() >= 5)
            });
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

    /// A person's name words that must match for a middle name or patronymic to be missing: with a comma
    /// ("LAST, First Middle") the surname and the first given name; without, the first and the last word.
    fn anchors(&self, form: &str, core: &[String]) -> Vec<bool> {
        let mut anchors = vec![false; core.len()];
        let must: Vec<String> = match form.split_once(',') {
            Some((last, given)) => {
                let mut m = self.normalizer.match_form(last, false).core;
                m.extend(self.normalizer.match_form(given, false).core.into_iter().take(1));
                m
            }
            None => core.first().into_iter().chain(core.last()).cloned().collect(),
        };
        for (a, w) in anchors.iter_mut().zip(core) {
            *a = must.contains(w);
        }
        anchors
    }

    fn word_id(&mut self, word: String, plain: &str) -> u32 {
        if let Some(&id) = self.vocab.get(&word) {
            return id;
        }
        let id = u32::try_from(self.words.len()).unwrap_or(u32::MAX);
        self.vocab.insert(word.clone(), id);
        self.display.push(if plain.is_empty() { word.clone() } else { plain.to_owned() });
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
        let q = self.normalizer.match_form(query, true);
        if q.core.is_empty() {
            return Vec::new();
        }
        // Per query word: the index's words it may stand for, with their similarity (a misspelt abbreviation
        // costs what a typo in the word as written costs).
        let alternatives: Vec<Vec<(u32, f64)>> = q
            .core
            .iter()
            .zip(&q.typo_len)
            .map(|(w, &len)| {
                let mut alts = self.alternatives(w);
                if len > 0 {
                    #[allow(clippy::cast_precision_loss)]
                    let sim = 1.0 - self.config.weights.typo_cost / len as f64;
                    for a in &mut alts {
                        a.1 *= sim;
                    }
                }
                alts
            })
            .collect();
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
        let qw = QueryWeights::new(&q, &query_weights);

        // Candidates: the names sharing a word (or a word one edit away) with the query, with the query weight
        // they can cover (all words, and the words that are not qualifiers), and their rarest shared word that is
        // neither a qualifier nor common: a name sharing a word that rare is a candidate whatever else it shares.
        let mut covered: HashMap<u32, Cover> = HashMap::new();
        let mut best_this_word: HashMap<u32, f64> = HashMap::new();
        for (i, (alts, &w)) in alternatives.iter().zip(&query_weights).enumerate() {
            let qualifier = q.qualifier.get(i).copied().unwrap_or(false);
            let generic = q.generic.get(i).copied().unwrap_or(false);
            best_this_word.clear();
            for &(word, sim) in alts {
                for &name in self.postings.get(word as usize).map(Vec::as_slice).unwrap_or_default() {
                    let slot = best_this_word.entry(name).or_insert(0.0);
                    *slot = slot.max(sim);
                }
            }
            for (&name, &sim) in &best_this_word {
                let c = covered.entry(name).or_default();
                c.all += w * sim;
                if !qualifier {
                    c.core += w * sim;
                    if !generic {
                        c.rarest = c.rarest.max(w * sim);
                    }
                }
            }
        }
        let w = &self.config.weights;
        let floor = w.min_query_coverage * qw.core;
        // Names with the query's very letters (spacing and punctuation aside) are candidates whatever their words.
        let same_letters: &[u32] = self.compact.get(&compact(query)).map(Vec::as_slice).unwrap_or_default();
        for &n in same_letters {
            covered.insert(n, Cover { all: qw.all, core: qw.core, rarest: self.max_weight });
        }
        // Ranked by an estimate of the score: the covered weight stands for both coverages (paired words weigh
        // about the same on both sides), so that short names covered whole come before long ones; a name covered
        // whole (containment) or covering a distinctive query whole (a part) ranks by that.
        let mut candidates: Vec<(u32, f64)> = covered
            .into_iter()
            .filter(|(_, c)| c.core >= floor || c.rarest >= w.brand_weight)
            .map(|(n, c)| {
                let name_weight = self.names.get(n as usize).map_or(f64::INFINITY, |name| name.weight);
                let (cq, cn) = (c.all / qw.all.max(f64::MIN_POSITIVE), (c.all / name_weight).min(1.0));
                let harmonic = if cq + cn > 0.0 { 2.0 * cq * cn / (cq + cn) } else { 0.0 };
                let part = if qw.distinct >= w.distinctive_weight { c.core / qw.core } else { 0.0 };
                (n, harmonic.max(part).max(cn))
            })
            .collect();
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(w.max_candidates);

        let mut best: HashMap<u32, Hit<'_>> = HashMap::new();
        for (name_no, _) in candidates {
            let Some(name) = self.names.get(name_no as usize) else { continue };
            let Some(entry) = self.entries.get(name.entry as usize) else { continue };
            let mut features = self.features(&q, &alternatives, &query_weights, &qw, name, entry, country);
            if same_letters.contains(&name_no) {
                features.same_letters = true;
                features.token_match = 1.0;
                features.name_match = 1.0;
                features.query_coverage = 1.0;
                features.name_coverage = 1.0;
                features.kind = MatchKind::SameLetters;
                features.legal_form = 0.0;
            }
            let score = (features.name_match + features.country + features.legal_form).clamp(0.0, 1.0);
            let score = round4(score);
            if score < threshold {
                continue;
            }
            let matched_name = entry.names().nth(name.which as usize).unwrap_or(&entry.name);
            let mut hit = Hit { entry, matched_name, score, features, also_matched: Vec::new() };
            match best.get_mut(&name.entry) {
                Some(h) if h.score >= hit.score => {
                    if h.matched_name != matched_name && !h.also_matched.contains(&matched_name) {
                        h.also_matched.push(matched_name);
                    }
                }
                Some(h) => {
                    hit.also_matched = std::mem::take(&mut h.also_matched);
                    if h.matched_name != matched_name {
                        hit.also_matched.push(h.matched_name);
                    }
                    hit.also_matched.retain(|n| *n != matched_name);
                    *h = hit;
                }
                None => {
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

    fn word_len(&self, word: u32) -> usize {
        self.words.get(word as usize).map_or(0, String::len)
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

    #[allow(clippy::too_many_arguments, clippy::too_many_lines)]
    fn features(
        &self,
        q: &MatchForm,
        alternatives: &[Vec<(u32, f64)>],
        query_weights: &[f64],
        qw: &QueryWeights,
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
        let (mut q_covered, mut q_core_covered, mut n_covered, mut typos, mut exact) = (0.0, 0.0, 0.0, 0, 0);
        let mut exact_weight = 0.0;
        let (mut q_distinct_exact, mut q_distinct_long, mut q_generic_matched) = (0.0, false, false);
        let mut matched_words = Vec::new();
        for (sim, qi, ni) in pairs {
            let (Some(qu), Some(nu)) = (q_used.get_mut(qi), n_used.get_mut(ni)) else { continue };
            if *qu || *nu {
                continue;
            }
            *qu = true;
            *nu = true;
            let qw_i = query_weights.get(qi).copied().unwrap_or(0.0);
            q_covered += sim * qw_i;
            if !q.qualifier.get(qi).copied().unwrap_or(false) {
                q_core_covered += sim * qw_i;
                if !q.generic.get(qi).copied().unwrap_or(false) && sim >= 1.0 {
                    q_distinct_exact += qw_i;
                    q_distinct_long |= q.core.get(qi).is_some_and(|w| w.len() >= 4);
                }
            }
            let word = name.words.get(ni).copied().unwrap_or(0);
            n_covered += sim * self.weight(word);
            matched_words.push(self.display.get(word as usize).cloned().unwrap_or_default());
            if sim < 1.0 {
                typos += 1;
                q_generic_matched |= q.generic.get(qi).copied().unwrap_or(false);
            } else {
                exact += 1;
                exact_weight += self.weight(word);
            }
        }
        let query_coverage = if qw.all > 0.0 { q_covered / qw.all } else { 0.0 };
        let name_coverage = if name.weight > 0.0 { n_covered / name.weight } else { 0.0 };
        let harmonic = |a: f64, b: f64| if a + b > 0.0 { 2.0 * a * b / (a + b) } else { 0.0 };
        let token_match = harmonic(query_coverage, name_coverage);
        let w = &self.config.weights;
        let (mut qualifiers, mut extra_words) = (Vec::new(), Vec::new());
        let mut q_left_weight = 0.0;
        for (i, used) in q_used.iter().enumerate() {
            if !used {
                let word = q.plain.get(i).cloned().unwrap_or_default();
                q_left_weight += query_weights.get(i).copied().unwrap_or(0.0);
                if q.qualifier.get(i).copied().unwrap_or(false) {
                    qualifiers.push(word);
                } else {
                    extra_words.push(word);
                }
            }
        }
        let n_left: Vec<usize> = (0..n_used.len()).filter(|&i| !n_used.get(i).copied().unwrap_or(true)).collect();

        let anchors_exact = name.anchor.iter().zip(&n_used).all(|(a, u)| !*a || *u);
        let mut kind = MatchKind::Words;
        let mut name_match = token_match;
        // Containment: every word of a distinctive name matched; the query says more.
        let legal_differs =
            !q.legal.is_empty() && !name.legal.is_empty() && !q.legal.iter().any(|l| name.legal.contains(l));
        let whole_name = n_left.is_empty() && (!q_used.iter().all(|u| *u) || legal_differs) && !name.person;
        // Distinctive: words that are neither places nor common weigh enough; or, for a name of common words,
        // two of them or more weigh half as much again ("Golden Star Trading"). A one-word name must open the
        // query ("Hikvision Europe", not "Tel Aviv University" for "Aviv").
        let has_distinct = name.distinct_weight >= w.distinctive_weight || name.brand;
        let common_words = !has_distinct
            && !name.derived
            && name.words.len() >= 2
            && name.weight >= w.common_name_factor * w.distinctive_weight;
        let first_core = (0..q.core.len()).find(|&i| !q.qualifier.get(i).copied().unwrap_or(false));
        let opens = name.words.first().is_some_and(|&nw| {
            first_core.and_then(|i| alternatives.get(i)).is_some_and(|alts| alts.iter().any(|&(id, _)| id == nw))
        });
        // A one-word name: four letters or more, matched without a typo unless it has seven letters or more
        // and the query's word is no common word ("Hikvisoin", not "Power" for "Dover").
        let one_word_ok = name.words.first().is_some_and(|&nw| {
            let len = self.word_len(nw);
            len >= 4 && (typos == 0 || (len >= 7 && q_distinct_exact == 0.0 && !q_generic_matched))
        });
        let long_enough = name.words.len() > 1 || one_word_ok;
        let must_open = name.words.len() == 1 || common_words;
        if whole_name && (has_distinct || common_words) && long_enough && (opens || !must_open) {
            #[allow(clippy::cast_precision_loss)]
            let c = w.containment
                - w.containment_typo_factor * (1.0 - name_coverage)
                - w.extra_word_cost * extra_words.len() as f64;
            if c > name_match {
                (kind, name_match) = (MatchKind::Containment, c);
            }
        }
        // A distinctive part: every query word that is not a qualifier matched, and they weigh enough.
        let core_whole = extra_words.is_empty() && qw.core > 0.0;
        // The distinct words of the query matched exactly, one of four letters or more.
        let distinct_exact = q_distinct_exact + 1e-9 >= qw.distinct && q_distinct_long;
        let person_ok = !name.person || (exact + typos >= 2 && anchors_exact);
        if core_whole && distinct_exact && qw.distinct >= w.distinctive_weight && person_ok {
            let p = w.part * (q_core_covered / qw.core);
            if p > name_match {
                (kind, name_match) = (MatchKind::DistinctivePart, p);
            }
        }
        // A person's patronymic or middle name on one side only: the anchors matched exactly, weighing enough;
        // the query's own extra words in its middle.
        let q_left = q_used.iter().filter(|u| !**u).count();
        let last = q_used.len().saturating_sub(1);
        let q_middle_only = q_used.iter().enumerate().all(|(i, u)| *u || (i != 0 && i != last));
        if name.person
            && exact >= 2
            && exact_weight >= w.distinctive_weight
            && anchors_exact
            && q_middle_only
            && (1..=4).contains(&(n_left.len() + q_left))
            && n_left.len() <= 2
            && q_left <= 2
        {
            let n_left_weight: f64 = n_left.iter().map(|&i| self.weight(name.words.get(i).copied().unwrap_or(0))).sum();
            let qc = if qw.all - q_left_weight > 0.0 { q_covered / (qw.all - q_left_weight) } else { 0.0 };
            let nc = if name.weight - n_left_weight > 0.0 { n_covered / (name.weight - n_left_weight) } else { 0.0 };
            #[allow(clippy::cast_precision_loss)]
            let o = harmonic(qc, nc) - w.optional_word_cost * (n_left.len() + q_left) as f64;
            if o > name_match {
                (kind, name_match) = (MatchKind::PersonOptionalWords, o);
            }
        }
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
        let legal_form = if legal_differs && matches!(kind, MatchKind::Words | MatchKind::PersonOptionalWords) {
            -w.legal_form_mismatch
        } else {
            0.0
        };
        Features {
            kind,
            name_match: round4(name_match.max(0.0)),
            token_match: round4(token_match),
            query_coverage: round4(query_coverage),
            name_coverage: round4(name_coverage),
            typos,
            same_letters: false,
            country,
            legal_form,
            matched_words,
            qualifiers,
            extra_words,
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

    fn person(id: &str, name: &str) -> Entry {
        Entry { kind: "Individual".to_owned(), ..entry(id, "SDN", name, &[]) }
    }

    /// Lists of a real size, so that a word in one name weighs what it weighs on the CSL and SDN (about 7.6
    /// here, 10.6 there).
    fn big_index() -> Index {
        let mut entries = vec![
            Entry { alt_names: vec!["ROSNEFT".to_owned()], ..entry("r", "SDN", "OIL COMPANY ROSNEFT", &["RU"]) },
            entry("h", "EL", "Hangzhou Hikvision Digital Technology Co., Ltd.", &["CN"]),
            entry("a", "SDN", "Veteran Airline", &[]),
            entry("s", "EL", "Semiconductor Manufacturing International Corporation (SMIC)", &["CN"]),
            entry("g", "SDN", "GOLDEN STAR TRADING", &[]),
            person("b", "BAZHENOV, Timofey"),
            person("i", "IVANOV, Sergey Petrovich"),
            person("j", "JAFARI, Mohammad Ali"),
        ];
        entries.extend((0..2000).map(|i| entry(&format!("f{i}"), "SDN", &format!("Filler Number {i}"), &[])));
        Index::build(Config::builtin().unwrap(), entries)
    }

    fn hit(index: &Index, query: &str, id: &str) -> Option<(f64, Features)> {
        index.screen(query, None, 0.0).into_iter().find(|h| h.entry.entry_id == id).map(|h| (h.score, h.features))
    }

    #[test]
    fn a_listed_name_whole_inside_a_longer_one_is_a_review() {
        let i = big_index();
        // One hit for the entry; its alias, which also reaches the threshold, folded in.
        let hits = i.screen("Rosneft Oil", None, i.config().thresholds.review);
        let rosneft: Vec<_> = hits.iter().filter(|h| h.entry.entry_id == "r").collect();
        assert_eq!(rosneft.len(), 1);
        assert_eq!(
            (rosneft[0].matched_name, rosneft[0].also_matched.clone()),
            ("OIL COMPANY ROSNEFT", vec!["ROSNEFT"])
        );
        let (score, f) = hit(&i, "Rosneft Deutschland GmbH", "r").unwrap();
        assert_eq!((f.kind, score), (MatchKind::Containment, 0.945));
        assert_eq!((f.qualifiers, f.legal_form), (vec!["deutschland".to_owned()], 0.0));
        assert!(score >= i.config().thresholds.review && score < i.config().thresholds.match_);
        // An extra word that is no place costs a little; a one-word name must open the query.
        let (score, f) = hit(&i, "Rosneft Ventures Dubai Branch", "r").unwrap();
        assert_eq!((f.kind, f.extra_words.len()), (MatchKind::Containment, 2));
        assert!(score < 0.945 && score >= i.config().thresholds.review, "{score}");
        assert!(hit(&i, "Tel Aviv Rosneft", "r").is_none_or(|(s, _)| s < i.config().thresholds.review));
        // A name of common words only is distinctive as a whole, when it opens the query.
        let (score, f) = hit(&i, "Golden Star Trading Kazakhstan FZE", "g").unwrap();
        assert_eq!(f.kind, MatchKind::Containment, "{score}");
    }

    #[test]
    fn a_distinctive_part_is_a_review_and_a_common_word_is_not() {
        let i = big_index();
        let (score, f) = hit(&i, "Hikvision", "h").unwrap();
        assert_eq!((f.kind, score), (MatchKind::DistinctivePart, 0.92));
        assert!(hit(&i, "Airline", "a").is_none_or(|(s, _)| s < i.config().thresholds.review));
        assert!(hit(&i, "Emirates Airline", "a").is_none_or(|(s, _)| s < i.config().thresholds.review));
    }

    #[test]
    fn abbreviations_scripts_and_transcriptions_meet() {
        let i = big_index();
        assert_eq!(hit(&i, "Semiconductor Mfg. Intl Corp", "s").unwrap().0, 1.0);
        for q in ["Тимофей Баженов", "Timofej Baschenow", "BAZHENOV, Timofei"] {
            let (score, _) = hit(&i, q, "b").unwrap_or_else(|| panic!("{q}: no hit"));
            assert!(score >= i.config().thresholds.review, "{q}: {score}");
        }
    }

    #[test]
    fn a_persons_middle_name_may_be_missing_but_not_the_surname() {
        let i = big_index();
        let (score, f) = hit(&i, "Sergey Ivanov", "i").unwrap();
        assert_eq!(f.kind, MatchKind::PersonOptionalWords);
        assert!(score >= i.config().thresholds.review && score < 1.0, "{score}");
        assert!(hit(&i, "Mohammad Ali", "j")
            .is_none_or(|(s, f)| s < i.config().thresholds.review || f.kind != MatchKind::PersonOptionalWords));
    }
}
