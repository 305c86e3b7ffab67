//! Countries: ISO 3166-1 alpha-2 codes, names and aliases, and sets of them.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;

use crate::DataError;

/// The most countries a [`CountrySet`] can hold.
pub const MAX_COUNTRIES: usize = 256;

/// A country known to the [`Countries`] table it came from: an index, cheap to copy and compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Country(u16);

impl Country {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Every country Tiergate knows, with the names and aliases that resolve to it.
#[derive(Clone, Debug)]
pub struct Countries {
    codes: Vec<String>,
    names: Vec<String>,
    lookup: HashMap<String, Country>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountries {
    country: Vec<RawCountry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountry {
    code: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

impl Countries {
    /// Reads the country table (`data/countries.toml`).
    pub fn from_toml(text: &str) -> Result<Countries, DataError> {
        let raw: RawCountries = crate::parse_toml(text, "countries")?;
        if raw.country.len() > MAX_COUNTRIES {
            return Err(DataError::new("countries", "country", format!("more than {MAX_COUNTRIES} countries")));
        }
        let mut out = Countries { codes: Vec::new(), names: Vec::new(), lookup: HashMap::new() };
        for (i, c) in raw.country.into_iter().enumerate() {
            let key = format!("country[{i}]");
            if c.code.len() != 2 || !c.code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(DataError::new("countries", &key, format!("code `{}` is not two capital letters", c.code)));
            }
            #[allow(clippy::cast_possible_truncation)] // at most MAX_COUNTRIES, checked above
            let id = Country(i as u16);
            if out.lookup.insert(fold(&c.code), id).is_some() {
                return Err(DataError::new("countries", &key, format!("code `{}` appears twice", c.code)));
            }
            for alias in std::iter::once(&c.name).chain(&c.aliases) {
                let folded = fold(alias);
                if let Some(other) = out.lookup.get(&folded) {
                    if *other != id {
                        let other_code = out.codes.get(other.index()).cloned().unwrap_or_default();
                        return Err(DataError::new(
                            "countries",
                            &key,
                            format!("alias `{alias}` already names `{other_code}`"),
                        ));
                    }
                }
                out.lookup.insert(folded, id);
            }
            out.codes.push(c.code);
            out.names.push(c.name);
        }
        Ok(out)
    }

    /// Resolves an ISO code (any case) or a name or alias ("Republic of Korea", "UAE", "Burma").
    pub fn resolve(&self, text: &str) -> Option<Country> {
        let t = text.trim();
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_uppercase()) {
            if let Some(c) = self.lookup.get(&t.to_ascii_lowercase()) {
                return Some(*c);
            }
        }
        if let Some(c) = self.lookup.get(&fold(t)) {
            return Some(*c);
        }
        // ISO 3166's short names mark an article in brackets: "Philippines (the)", "Netherlands (the)".
        let bare = t.strip_suffix("(the)").or_else(|| t.strip_suffix("(The)"))?;
        self.lookup.get(&fold(bare.trim())).copied()
    }

    /// The error message for a text that names no country, with the nearest countries.
    pub fn unknown(&self, text: &str) -> String {
        format!("`{text}` is not a country code or name Tiergate knows{}", crate::did_you_mean(&self.suggest(text)))
    }

    /// Up to three countries whose code, name or alias is close to `text`, closest first, as `MY (Malaysia)`.
    pub fn suggest(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        let found = crate::closest(&folded, self.lookup.iter().map(|(key, c)| (key.as_str(), self.code(*c))));
        found
            .into_iter()
            .filter_map(|code| self.by_code(code))
            .map(|c| format!("{} ({})", self.code(c), self.name(c)))
            .collect()
    }

    /// Resolves an exact ISO alpha-2 code (capital letters only).
    pub fn by_code(&self, code: &str) -> Option<Country> {
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            self.lookup.get(&code.to_ascii_lowercase()).copied()
        } else {
            None
        }
    }

    pub fn code(&self, c: Country) -> &str {
        self.codes.get(c.index()).map_or("??", String::as_str)
    }

    pub fn name(&self, c: Country) -> &str {
        self.names.get(c.index()).map_or("unknown", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Country> + '_ {
        #[allow(clippy::cast_possible_truncation)]
        (0..self.codes.len()).map(|i| Country(i as u16))
    }
}

/// The key names are matched on: Latin diacritics folded, lower case, punctuation dropped, spaces collapsed.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            '.' | '\'' | '`' => {}
            _ => out.push(' '),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A set of countries as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CountrySet([u64; MAX_COUNTRIES / 64]);

impl CountrySet {
    pub fn insert(&mut self, c: Country) {
        if let Some(word) = self.0.get_mut(c.index() / 64) {
            *word |= 1 << (c.index() % 64);
        }
    }

    pub fn remove(&mut self, c: Country) {
        if let Some(word) = self.0.get_mut(c.index() / 64) {
            *word &= !(1 << (c.index() % 64));
        }
    }

    pub fn contains(&self, c: Country) -> bool {
        self.0.get(c.index() / 64).is_some_and(|w| w & (1 << (c.index() % 64)) != 0)
    }

    #[must_use]
    pub fn union(mut self, other: &CountrySet) -> CountrySet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    #[must_use]
    pub fn minus(mut self, other: &CountrySet) -> CountrySet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= !b;
        }
        self
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

impl fmt::Debug for CountrySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountrySet({} countries)", self.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_short_names_with_an_article_resolve() {
        let countries = crate::builtin::countries().unwrap_or_else(|e| panic!("{e}"));
        let ph = countries.by_code("PH");
        assert!(ph.is_some());
        assert_eq!(countries.resolve("Philippines (the)"), ph);
        assert_eq!(countries.resolve("(the)"), None);
    }
}
