//! Name normalisation: the same steps for list names and queries, so that they meet in one form.
//!
//! 1. Transliterate to ASCII (`deunicode`: "Société" → "Societe", "Ростех" → "Rostekh") and lower-case.
//! 2. Drop apostrophes ("O'Brien" → "obrien", "'ABBAS" → "abbas"); every other non-alphanumeric character
//!    separates words ("Co.,Ltd." → "co ltd", "Al-Qaida" → "al qaida").
//! 3. Join runs of single letters ("L.L.C." → "llc", "J. P. Morgan" → "jp morgan").
//! 4. Read legal forms, longest phrase first, as their canonical form ("Joint Stock Company" → `jsc`); they are
//!    kept apart from the name's other words. A word one edit away from a one-word legal form of six letters or
//!    more is read as that form ("Compny" → `co`).
//! 5. Drop stopwords ("the", "of", ...).
//!
//! Matching then reads each word through the abbreviations and the transcription variants, and marks places and
//! branch words as qualifiers ([`Normalizer::match_form`]); judgements stay keyed by the plain normal form.

use std::collections::{HashMap, HashSet};

use crate::config::Config;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The words that identify the party, in order.
    pub core: Vec<String>,
    /// Canonical legal forms, in order.
    pub legal: Vec<String>,
}

/// A name as matching reads it: the words of [`Normalizer::normalize`] with abbreviations read as one word
/// ("technologies" → `tech`) and transcription variants folded ("khodorkovsky" → `hodorkovski`), and which of
/// them qualify the name rather than name the party (places and branch words).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchForm {
    pub core: Vec<String>,
    /// Parallel to `core`: the word before abbreviations and transcriptions were read, for explanations.
    pub plain: Vec<String>,
    pub legal: Vec<String>,
    /// Parallel to `core`: the word is a place or a branch word.
    pub qualifier: Vec<bool>,
    /// Parallel to `core`: a generic word of trade and industry, never distinctive by itself.
    pub generic: Vec<bool>,
    /// Parallel to `core`: the length of a query word read as an abbreviation's spelling one edit away
    /// ("internatonal" → `intl`), so that the match counts the typo; 0 otherwise.
    pub typo_len: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct Normalizer {
    stopwords: HashSet<String>,
    /// Phrase (words) → canonical legal form.
    legal: HashMap<Vec<String>, String>,
    longest_phrase: usize,
    /// One-word spellings of six letters or more, for misspelt legal forms.
    long_spellings: Vec<(String, String)>,
    /// Spelling → canonical abbreviation.
    abbreviations: HashMap<String, String>,
    replace: Vec<(String, String)>,
    endings: Vec<(String, String)>,
    /// Folded one-word places and branch words.
    qualifiers: HashSet<String>,
    /// Folded generic words.
    generic: HashSet<String>,
    /// Folded multi-word places ("hong kong", "abu dhabi").
    place_phrases: HashSet<Vec<String>>,
    /// First words of `place_phrases`, so that most words need no phrase lookup.
    place_starts: HashSet<String>,
    longest_place: usize,
}

impl Normalizer {
    pub fn new(config: &Config) -> Normalizer {
        let mut legal = HashMap::new();
        let mut longest_phrase = 1;
        let mut long_spellings = Vec::new();
        for (canonical, spellings) in &config.legal_forms {
            for s in spellings {
                let words: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
                if words.len() == 1 && s.len() >= MISSPELT_LEGAL_MIN_LEN {
                    long_spellings.push((s.clone(), canonical.clone()));
                }
                longest_phrase = longest_phrase.max(words.len());
                legal.insert(words, canonical.clone());
            }
        }
        let abbreviations = config
            .abbreviations
            .iter()
            .flat_map(|(canonical, spellings)| spellings.iter().map(move |s| (s.clone(), canonical.clone())))
            .collect();
        let mut n = Normalizer {
            stopwords: config.normalize.stopwords.iter().cloned().collect(),
            legal,
            longest_phrase,
            long_spellings,
            abbreviations,
            replace: config.transcription.replace.clone(),
            endings: config.transcription.endings.clone(),
            qualifiers: HashSet::new(),
            generic: HashSet::new(),
            place_phrases: HashSet::new(),
            place_starts: HashSet::new(),
            longest_place: 1,
        };
        let not_places: HashSet<String> = config.normalize.not_places.iter().map(|w| n.fold(w)).collect();
        let mut qualifiers: HashSet<String> = config.normalize.qualifiers.iter().map(|w| n.fold(w)).collect();
        let mut phrases = HashSet::new();
        for place in &config.places {
            let words: Vec<String> = n.normalize(place).core.iter().map(|w| n.fold(w)).collect();
            match words.as_slice() {
                [one] if one.len() >= 3 && !not_places.contains(one) => {
                    qualifiers.insert(one.clone());
                }
                [] | [_] => {}
                // Official names of five words or more ("United Kingdom of Great Britain and Northern Ireland")
                // are not how a company names its place.
                w if w.len() <= MAX_PLACE_WORDS => {
                    n.longest_place = n.longest_place.max(words.len());
                    if let Some(first) = words.first() {
                        n.place_starts.insert(first.clone());
                    }
                    phrases.insert(words);
                }
                _ => {}
            }
        }
        n.qualifiers = qualifiers;
        n.place_phrases = phrases;
        n.generic = config.normalize.generic.iter().chain(&config.common_words).map(|w| n.fold(w)).collect();
        n
    }

    /// One word as matching reads it: its abbreviation's canonical form, then transcription variants folded.
    pub fn fold(&self, word: &str) -> String {
        let mut w = self.abbreviations.get(word).map_or(word, String::as_str).to_owned();
        // Short words (acronyms, "Ji", "Jict") are left as they are: folding them merges too much.
        if w.len() < FOLD_MIN_LEN {
            return w;
        }
        for (from, to) in &self.replace {
            if w.contains(from.as_str()) {
                w = w.replace(from.as_str(), to);
            }
        }
        for (from, to) in &self.endings {
            if let Some(stem) = w.strip_suffix(from.as_str()) {
                if !stem.is_empty() {
                    w = format!("{stem}{to}");
                }
                break;
            }
        }
        w
    }

    /// The name as matching reads it ([`MatchForm`]). A query (`query`) also reads a word one edit away from a
    /// long abbreviation spelling as that abbreviation.
    pub fn match_form(&self, name: &str, query: bool) -> MatchForm {
        let Normalized { core, legal } = self.normalize(name);
        let mut plain = core.clone();
        let mut typo_len = vec![0; core.len()];
        let mut core: Vec<String> = core
            .iter()
            .zip(typo_len.iter_mut())
            .map(|(w, t)| match if query { self.misspelt_abbreviation(w) } else { None } {
                Some(canonical) => {
                    *t = w.len();
                    self.fold(canonical)
                }
                None => self.fold(w),
            })
            .collect();
        let mut qualifier: Vec<bool> = core.iter().map(|w| self.qualifiers.contains(w)).collect();
        let mut i = 0;
        while i < core.len() {
            let mut step = 1;
            let starts = core.get(i).is_some_and(|w| self.place_starts.contains(w));
            for len in (2..=self.longest_place.min(core.len() - i)).rev().filter(|_| starts) {
                if core.get(i..i + len).is_some_and(|p| self.place_phrases.contains(p)) {
                    for q in qualifier.iter_mut().skip(i).take(len) {
                        *q = true;
                    }
                    step = len;
                    break;
                }
            }
            i += step;
        }
        if query {
            // A query's repeated word counts once.
            let mut seen = HashSet::new();
            let keep: Vec<bool> = core.iter().map(|w| seen.insert(w.clone())).collect();
            qualifier = kept(qualifier, &keep);
            typo_len = kept(typo_len, &keep);
            plain = kept(plain, &keep);
            core = kept(core, &keep);
        }
        let generic = core.iter().map(|w| self.generic.contains(w)).collect();
        MatchForm { core, plain, legal, qualifier, generic, typo_len }
    }

    /// "internatonal" → `intl`: a word one edit away from an abbreviation spelling of six letters or more.
    fn misspelt_abbreviation(&self, word: &str) -> Option<&str> {
        if word.len() + 1 < MISSPELT_LEGAL_MIN_LEN || self.abbreviations.contains_key(word) {
            return None;
        }
        self.abbreviations
            .iter()
            .filter(|(s, _)| s.len() >= MISSPELT_LEGAL_MIN_LEN && s.len().abs_diff(word.len()) <= 1)
            .find(|(s, _)| strsim::osa_distance(s, word) == 1)
            .map(|(_, c)| c.as_str())
    }

    /// The name's distinctive words in one string: what a judgement is keyed by, so that "ACME Co." and
    /// "acme company" share one.
    pub fn normal_form(&self, name: &str) -> String {
        self.normalize(name).core.join(" ")
    }

    pub fn normalize(&self, name: &str) -> Normalized {
        let words = join_single_letters(words(name));
        let mut out = Normalized::default();
        let mut i = 0;
        while i < words.len() {
            let mut matched = false;
            for len in (1..=self.longest_phrase.min(words.len() - i)).rev() {
                if let Some(canonical) = words.get(i..i + len).and_then(|phrase| self.legal.get(phrase)) {
                    out.legal.push(canonical.clone());
                    i += len;
                    matched = true;
                    break;
                }
            }
            if !matched {
                if let Some(w) = words.get(i) {
                    if let Some(canonical) = self.misspelt_legal_form(w) {
                        out.legal.push(canonical.to_owned());
                    } else if !self.stopwords.contains(w) {
                        out.core.push(w.clone());
                    }
                }
                i += 1;
            }
        }
        // A name that is nothing but a legal form ("Company Limited") keeps its words as the name.
        if out.core.is_empty() && !out.legal.is_empty() {
            out.core = std::mem::take(&mut out.legal);
        }
        out
    }
}

impl Normalizer {
    /// "compny" → `co`: a word one edit away from a long one-word legal form.
    fn misspelt_legal_form(&self, word: &str) -> Option<&str> {
        if word.len() + 1 < MISSPELT_LEGAL_MIN_LEN {
            return None;
        }
        self.long_spellings
            .iter()
            .filter(|(s, _)| s.len().abs_diff(word.len()) <= 1)
            .find(|(s, _)| strsim::osa_distance(s, word) == 1)
            .map(|(_, c)| c.as_str())
    }
}

/// Place names of more words than this are not read as places.
const MAX_PLACE_WORDS: usize = 4;

/// Words shorter than this are not folded for transcription variants.
const FOLD_MIN_LEN: usize = 5;

/// Legal forms this long (in letters) are recognised with one typo.
const MISSPELT_LEGAL_MIN_LEN: usize = 6;

/// Steps 1 and 2: folded, lower-case words.
fn words(name: &str) -> Vec<String> {
    let folded = deunicode::deunicode(name);
    let mut words = Vec::new();
    let mut current = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '`' {
            // Inside a word: dropped, the word goes on.
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The items of `v` whose flag in `keep` is set.
fn kept<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    v.into_iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x).collect()
}

/// Step 3.
fn join_single_letters(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut run = String::new();
    let mut run_len = 0;
    let single = |w: &str| w.len() == 1 && w.bytes().all(|b| b.is_ascii_alphabetic());
    for w in words {
        if single(&w) {
            run.push_str(&w);
            run_len += 1;
            continue;
        }
        if run_len > 0 {
            out.push(std::mem::take(&mut run));
            run_len = 0;
        }
        out.push(w);
    }
    if run_len > 0 {
        out.push(run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> (Vec<String>, Vec<String>) {
        let config = Config::builtin().unwrap();
        let r = Normalizer::new(&config).normalize(s);
        (r.core, r.legal)
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn folds_case_punctuation_and_diacritics() {
        assert_eq!(n("Société Générale S.A."), (v(&["societe", "generale"]), v(&["sa"])));
        assert_eq!(n("'ABBAS, Rim"), (v(&["abbas", "rim"]), v(&[])));
        assert_eq!(n("O'Brien"), (v(&["obrien"]), v(&[])));
        assert_eq!(n("Al-Qaida"), (v(&["al", "qaida"]), v(&[])));
    }

    #[test]
    fn reads_legal_forms_as_one_canonical_form() {
        let a = n("Huawei Technologies Co., Ltd.");
        assert_eq!(a, n("HUAWEI TECHNOLOGIES COMPANY LIMITED"));
        assert_eq!(a, (v(&["huawei", "technologies"]), v(&["co", "ltd"])));
        assert_eq!(n("Rostec Joint Stock Company").1, v(&["jsc"]));
        assert_eq!(n("OOO Rostec").1, v(&["llc"]));
        assert_eq!(n("Acme L.L.C."), (v(&["acme"]), v(&["llc"])));
        assert_eq!(n("Bank of the East").0, v(&["bank", "east"]));
    }

    #[test]
    fn a_name_of_legal_words_only_keeps_them() {
        assert_eq!(n("Company Limited").0, v(&["co", "ltd"]));
    }

    #[test]
    fn joins_initials() {
        assert_eq!(n("J. P. Morgan").0, v(&["jp", "morgan"]));
        assert_eq!(n("I. ASH").0, v(&["i", "ash"]));
    }
}
