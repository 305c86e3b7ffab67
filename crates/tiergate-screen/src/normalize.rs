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

use std::collections::{HashMap, HashSet};

use crate::config::Config;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The words that identify the party, in order.
    pub core: Vec<String>,
    /// Canonical legal forms, in order.
    pub legal: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Normalizer {
    stopwords: HashSet<String>,
    /// Phrase (words) → canonical legal form.
    legal: HashMap<Vec<String>, String>,
    longest_phrase: usize,
    /// One-word spellings of six letters or more, for misspelt legal forms.
    long_spellings: Vec<(String, String)>,
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
        Normalizer {
            stopwords: config.normalize.stopwords.iter().cloned().collect(),
            legal,
            longest_phrase,
            long_spellings,
        }
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
        self.long_spellings.iter().find(|(s, _)| strsim::osa_distance(s, word) == 1).map(|(_, c)| c.as_str())
    }
}

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
