//! The builder's checks of single values: each names the dotted key of what it reads, so that a bad pack is
//! rejected with the key and the problem.

use std::collections::HashMap;

use time::Date;

use super::model::*;
use super::raw::*;
use crate::country::{Countries, Country, CountrySet};
use crate::units::{Density, Tpp};
use crate::DataError;

pub(super) struct Builder<'a> {
    pub(super) source: &'a str,
    pub(super) countries: &'a Countries,
}

impl Builder<'_> {
    pub(super) fn err(&self, key: &str, problem: impl Into<String>) -> DataError {
        DataError::new(self.source, key, problem.into())
    }

    pub(super) fn text(&self, key: &str, value: &str) -> Result<String, DataError> {
        if value.trim().is_empty() {
            return Err(self.err(key, "must not be empty"));
        }
        Ok(value.to_owned())
    }

    pub(super) fn date(&self, key: &str, d: &toml::value::Datetime) -> Result<Date, DataError> {
        match (d.date, d.time, d.offset) {
            (Some(date), None, None) => {
                let month = time::Month::try_from(date.month).map_err(|_| self.err(key, "month out of range"))?;
                Date::from_calendar_date(i32::from(date.year), month, date.day)
                    .map_err(|e| self.err(key, format!("not a calendar date: {e}")))
            }
            _ => Err(self.err(key, format!("`{d}` must be a plain date (YYYY-MM-DD)"))),
        }
    }

    pub(super) fn country(&self, key: &str, code: &str) -> Result<Country, DataError> {
        self.countries
            .by_code(code)
            .ok_or_else(|| self.err(key, format!("`{code}` is not an ISO 3166-1 alpha-2 country code")))
    }

    pub(super) fn confidence(&self, key: &str, value: &str) -> Result<Confidence, DataError> {
        self.choice(key, value, &Confidence::ALL.map(|c| (c.as_str(), c)))
    }

    pub(super) fn scope(
        &self,
        key: &str,
        transactions: &[String],
        quote: &str,
        citation: &str,
    ) -> Result<Scope, DataError> {
        let mut s = Scope {
            export: false,
            reexport: false,
            transfer: false,
            quote: self.text(&format!("{key}.quote"), quote)?,
            citation: self.text(&format!("{key}.citation"), citation)?,
        };
        if transactions.is_empty() {
            return Err(self.err(&format!("{key}.transactions"), "names no transaction"));
        }
        for t in transactions {
            let slot = match t.as_str() {
                "export" => &mut s.export,
                "reexport" => &mut s.reexport,
                "transfer" => &mut s.transfer,
                other => {
                    return Err(self.err(
                        &format!("{key}.transactions"),
                        format!("`{other}` is not one of `export`, `reexport`, `transfer`"),
                    ))
                }
            };
            if *slot {
                return Err(self.err(&format!("{key}.transactions"), format!("`{t}` is listed twice")));
            }
            *slot = true;
        }
        Ok(s)
    }

    pub(super) fn cited_date(&self, key: &str, d: &RawDate) -> Result<Cited<Date>, DataError> {
        Ok(Cited { value: self.date(key, &d.date)?, citation: self.text(&format!("{key}.citation"), &d.citation)? })
    }

    pub(super) fn tpp(&self, key: &str, n: &Num<f64>) -> Result<Cited<Tpp>, DataError> {
        let value = Tpp::from_decimal(n.value)
            .filter(|t| t.milli() > 0)
            .ok_or_else(|| self.err(key, format!("{} is not a positive TPP with at most three decimals", n.value)))?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn whole_tpp(&self, key: &str, n: &Num<u64>) -> Result<Cited<Tpp>, DataError> {
        let value = Tpp::from_whole(n.value)
            .filter(|t| t.milli() > 0)
            .ok_or_else(|| self.err(key, format!("{} is not a positive TPP amount", n.value)))?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn density(&self, key: &str, n: &Num<f64>) -> Result<Cited<Density>, DataError> {
        let value = Density::from_decimal(n.value).filter(|_| n.value > 0.0).ok_or_else(|| {
            self.err(key, format!("{} is not a positive density with at most three decimals", n.value))
        })?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn positive(&self, key: &str, n: &Num<u64>) -> Result<Cited<u64>, DataError> {
        if n.value == 0 {
            return Err(self.err(key, "must be positive"));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn percent(&self, key: &str, n: &Num<u64>, max: u64) -> Result<Cited<u64>, DataError> {
        if n.value == 0 || n.value > max {
            return Err(self.err(key, format!("{} is not a percentage between 1 and {max}", n.value)));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn operations(&self, key: &str, n: &Num<f64>) -> Result<Cited<f64>, DataError> {
        if !n.value.is_finite() || n.value <= 0.0 {
            return Err(self.err(key, format!("{} is not a positive number of operations", n.value)));
        }
        Ok(Cited { value: n.value, citation: self.text(&format!("{key}.citation"), &n.citation)? })
    }

    pub(super) fn group_set(
        &self,
        key: &str,
        names: &[String],
        index: &HashMap<&str, usize>,
        sets: &[CountrySet],
    ) -> Result<CountrySet, DataError> {
        let mut out = CountrySet::default();
        for n in names {
            let i = index.get(n.as_str()).ok_or_else(|| self.err(key, format!("names unknown group `{n}`")))?;
            if let Some(s) = sets.get(*i) {
                out = out.union(s);
            }
        }
        Ok(out)
    }

    /// Group names as indices into the snapshots' groups, with their citation; at least one group.
    pub(super) fn group_ref(
        &self,
        key: &str,
        r: &RawGroupRef,
        index: &HashMap<&str, usize>,
    ) -> Result<Cited<Vec<usize>>, DataError> {
        if r.groups.is_empty() {
            return Err(self.err(&format!("{key}.groups"), "names no group"));
        }
        let value = r
            .groups
            .iter()
            .map(|n| {
                index
                    .get(n.as_str())
                    .copied()
                    .ok_or_else(|| self.err(&format!("{key}.groups"), format!("names unknown group `{n}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cited { value, citation: self.text(&format!("{key}.citation"), &r.citation)? })
    }

    pub(super) fn reading<T>(
        &self,
        key: &'static str,
        r: &RawReading<T>,
        expected: &str,
        value: String,
        docs: &mut Vec<ReadingDoc>,
    ) -> Result<(), DataError> {
        if r.reading != expected {
            return Err(
                self.err(&format!("readings.{key}.reading"), format!("is `{}`, expected `{expected}`", r.reading))
            );
        }
        self.text(&format!("readings.{key}.text"), &r.text)?;
        docs.push(ReadingDoc {
            key,
            reading: r.reading.clone(),
            value,
            options: r.options.clone(),
            text: r.text.clone(),
        });
        Ok(())
    }

    pub(super) fn choice<E: Copy>(&self, key: &str, value: &str, options: &[(&str, E)]) -> Result<E, DataError> {
        options.iter().find(|(n, _)| *n == value).map(|(_, e)| *e).ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
            self.err(key, format!("`{value}` is not one of {}", names.join(", ")))
        })
    }
}

pub(super) fn parse_quarter(s: &str) -> Option<Quarter> {
    let (y, q) = s.split_once('Q')?;
    let year: i32 = y.parse().ok()?;
    let quarter: u8 = q.parse().ok()?;
    ((1..=4).contains(&quarter) && (1900..=9999).contains(&year)).then_some(Quarter { year, quarter })
}

/// Replaces `{key}` with its value; `Err(key)` names an unknown placeholder.
pub(super) fn fill(text: &str, values: &HashMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(rest.get(..start).unwrap_or_default());
        let after = rest.get(start + 1..).unwrap_or_default();
        let end = after.find('}').ok_or_else(|| after.to_owned())?;
        let key = after.get(..end).unwrap_or_default();
        out.push_str(values.get(key).ok_or_else(|| key.to_owned())?);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}
