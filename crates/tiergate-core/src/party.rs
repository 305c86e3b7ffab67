//! A party's identity: the key its LPP pool and every per-party ledger account use, so that "KL Compute",
//! "KL COMPUTE SDN. BHD.", "kl compute" and a full-width or zero-width spelling are one ultimate consignee with
//! one 26,900,000 TPP a year (issue 14). The name as given is kept for display; only the key identifies.
//!
//! The key: the name in Unicode NFKC (full-width letters become ASCII), lower case, control and format characters
//! (zero-width spaces and joiners, bidirectional marks, soft hyphens, byte-order marks) removed, apostrophes
//! dropped inside words, every other character that is not a letter or digit a separator, runs of single letters
//! joined ("K.L. Compute" = "KL Compute"), and legal-form words dropped with the table screening uses
//! (`[legal_forms]` of data/screening.toml: "Sdn Bhd", "LLC", "OOO", "Co., Ltd." ...), the words joined by one
//! space. A name of legal-form words only keeps them; a name with no letter or digit has no key.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// The screening table of legal forms, read once from the file screening reads.
const SCREENING_TOML: &str = include_str!("../../../data/screening.toml");

#[derive(Deserialize)]
struct LegalOnly {
    legal_forms: std::collections::BTreeMap<String, Vec<String>>,
}

struct LegalForms {
    /// Spelling (ASCII words) → present.
    phrases: HashMap<Vec<String>, ()>,
    longest: usize,
}

fn legal_forms() -> &'static LegalForms {
    static FORMS: OnceLock<LegalForms> = OnceLock::new();
    FORMS.get_or_init(|| {
        // The file is compiled in and validated by screening's own loader and tests; a failure here leaves the
        // table empty rather than panic, and the key then keeps legal-form words.
        let table = toml::from_str::<LegalOnly>(SCREENING_TOML).map(|t| t.legal_forms).unwrap_or_default();
        let mut phrases = HashMap::new();
        let mut longest = 1;
        for spelling in table.values().flatten() {
            let words: Vec<String> = spelling.split_whitespace().map(str::to_owned).collect();
            longest = longest.max(words.len());
            phrases.insert(words, ());
        }
        LegalForms { phrases, longest }
    })
}

/// A format character (Unicode general category Cf) that can hide in a name: zero-width space, non-joiner and
/// joiner, word joiner, bidirectional marks and isolates, soft hyphen, byte-order mark, and their kin.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// The party key of `name` (module docs); `None` when the name has no letter or digit.
pub fn party_key(name: &str) -> Option<String> {
    let folded: String =
        name.nfkc().filter(|c| !c.is_control() && !is_format(*c)).flat_map(char::to_lowercase).collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in folded.chars() {
        if c.is_alphanumeric() {
            current.push(c);
        } else if c == '\'' || c == '\u{2019}' || c == '`' {
            // Inside a word: dropped, the word goes on ("O'Brien").
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    // Runs of single letters are one word: "K.L." and "KL".
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    let mut run = String::new();
    for w in words {
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            run.push_str(&w);
            continue;
        }
        if !run.is_empty() {
            joined.push(std::mem::take(&mut run));
        }
        joined.push(w);
    }
    if !run.is_empty() {
        joined.push(run);
    }
    if joined.is_empty() {
        return None;
    }
    // Legal forms, longest phrase first, compared in ASCII ("ООО" is "ooo").
    let forms = legal_forms();
    let ascii: Vec<String> = joined.iter().map(|w| deunicode::deunicode(w).to_ascii_lowercase()).collect();
    let mut kept = Vec::with_capacity(joined.len());
    let mut i = 0;
    while i < joined.len() {
        let len = (1..=forms.longest.min(joined.len() - i))
            .rev()
            .find(|&len| ascii.get(i..i + len).is_some_and(|p| forms.phrases.contains_key(p)));
        match len {
            Some(len) => i += len,
            None => {
                if let Some(w) = joined.get(i) {
                    kept.push(w.clone());
                }
                i += 1;
            }
        }
    }
    let words = if kept.is_empty() { joined } else { kept };
    Some(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::party_key;

    #[test]
    fn spellings_of_one_party_share_a_key() {
        let key = party_key("KL Compute").unwrap();
        assert_eq!(key, "kl compute");
        for spelling in [
            "KL COMPUTE SDN. BHD.",
            "kl compute",
            "  KL   Compute  ",
            "K.L. Compute Sdn Bhd",
            "ＫＬ Ｃｏｍｐｕｔｅ",
            "KL\u{200B} Compute",
            "KL Com\u{00AD}pute",
            "\u{FEFF}KL Compute",
            "KL Compute, LLC",
        ] {
            assert_eq!(party_key(spelling).as_deref(), Some(key.as_str()), "{spelling:?}");
        }
    }

    #[test]
    fn a_distinctive_word_keeps_parties_apart() {
        assert_ne!(party_key("KL Compute"), party_key("KL Compute Cloud"));
        assert_ne!(party_key("KL Compute"), party_key("KL Computer"));
        assert_ne!(party_key("Société Générale"), party_key("Societe Generale Securities"));
    }

    #[test]
    fn a_name_without_letters_or_digits_has_no_key() {
        assert_eq!(party_key(""), None);
        assert_eq!(party_key(" \u{200B}\u{FEFF} .,-"), None);
        // Legal-form words alone are a name.
        assert_eq!(party_key("Company Limited").as_deref(), Some("company limited"));
        // Cyrillic legal forms are read in ASCII; the name stays as written.
        assert_eq!(party_key("ООО Ромашка").as_deref(), Some("ромашка"));
    }
}
