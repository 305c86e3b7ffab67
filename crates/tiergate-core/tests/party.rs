//! The party key: stable under case, width, whitespace, zero-width characters and legal forms; never the same
//! for two names that differ in a word that is not a legal form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use tiergate_core::party::party_key;

/// Words of a name: letters, with at least one that is no legal form (`co`, `ltd`, `sa`, ... are all short).
fn word() -> impl Strategy<Value = String> {
    "[a-z]{5,9}"
}

fn spelling(words: &[String], upper: bool, wide: bool, zw: bool, legal: Option<&str>) -> String {
    let mut s = words.join(if zw { " \u{200B}" } else { "   " });
    if upper {
        s = s.to_uppercase();
    }
    if wide {
        s = s
            .chars()
            .map(|c| if c.is_ascii_alphabetic() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
            .collect();
    }
    if let Some(l) = legal {
        s.push_str(l);
    }
    format!(" {s}\t")
}

proptest! {
    #[test]
    fn the_key_is_stable_under_spelling(
        words in prop::collection::vec(word(), 1..4),
        upper in any::<bool>(), wide in any::<bool>(), zw in any::<bool>(),
        legal in prop::option::of(prop::sample::select(vec![" Sdn. Bhd.", ", LLC", " Co., Ltd.", " GmbH", " OOO", " JSC"])),
    ) {
        let plain = party_key(&words.join(" "));
        prop_assert!(plain.is_some());
        prop_assert_eq!(party_key(&spelling(&words, upper, wide, zw, legal)), plain);
    }

    #[test]
    fn a_different_word_is_a_different_party(words in prop::collection::vec(word(), 1..4), other in word(), at in 0usize..4) {
        let at = at % words.len();
        prop_assume!(words[at] != other);
        let mut changed = words.clone();
        changed[at] = other;
        prop_assert_ne!(party_key(&words.join(" ")), party_key(&changed.join(" ")));
    }
}
