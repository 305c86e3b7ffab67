//! The data-file cases of `tests/kyc/`: IaaS customers through the JSON-line path of `tiergate kyc check`, and
//! VEU registrations through the eligibility check of `tiergate veu add`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use serde::Deserialize;
use tiergate_core::veu::{eligibility, Registration, VeuKind};
use tiergate_wire::kyc::check_line;
use tiergate_wire::Env;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Customers {
    case: Vec<Case>,
    error: Vec<ErrorCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    why: String,
    date: String,
    customer: String,
    decision: String,
    red_flags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorCase {
    name: String,
    customer: String,
    code: String,
    field: Option<String>,
}

fn read<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/kyc").join(name);
    toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn answer(env: &Env, date: &str, line: &str) -> (bool, serde_json::Value) {
    let mut out = Vec::new();
    let ok = check_line(env, None, tiergate_core::units::parse_date(date).unwrap(), line, 1, &mut out);
    (ok, serde_json::from_slice(&out).unwrap())
}

#[test]
fn customers() {
    let env = Env::builtin().unwrap();
    let file: Customers = read("customers.toml");
    let mut failures = Vec::new();
    for c in &file.case {
        let (ok, v) = answer(&env, &c.date, &c.customer);
        let flags: Vec<&str> =
            v["red_flags"].as_array().map_or(Vec::new(), |a| a.iter().map(|f| f["code"].as_str().unwrap()).collect());
        let want: Vec<&str> = c.red_flags.iter().map(String::as_str).collect();
        if !ok || v["decision"] != c.decision.as_str() || flags != want {
            failures.push(format!("{} ({}): got {v}", c.name, c.why));
        }
        // Every flag and reason is cited.
        for r in v["red_flags"].as_array().into_iter().flatten().chain(v["reasons"].as_array().into_iter().flatten()) {
            assert!(!r["citation"].as_str().unwrap_or_default().is_empty(), "{}: uncited {r}", c.name);
        }
    }
    for e in &file.error {
        let (ok, v) = answer(&env, "2025-06-01", &e.customer);
        let field = v["error"]["field"].as_str().map(str::to_owned);
        if ok || v["error"]["code"] != e.code.as_str() || (e.field.is_some() && field != e.field) {
            failures.push(format!("{}: got {v}", e.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.case.len() + file.error.len(),
        failures.join("\n")
    );
    assert!(file.case.len() >= 10, "the case file was not read whole");
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registrations {
    case: Vec<RegCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegCase {
    why: String,
    kind: String,
    headquarters: String,
    #[serde(default)]
    ultimate_parent_headquarters: Option<String>,
    country: Option<String>,
    date: String,
    eligible: bool,
}

#[test]
fn registrations() {
    let env = Env::builtin().unwrap();
    let file: Registrations = read("registrations.toml");
    let mut failures = Vec::new();
    for c in &file.case {
        let reg = Registration {
            id: "x".into(),
            kind: VeuKind::parse(&c.kind).unwrap(),
            name: "X".into(),
            headquarters: env.countries.resolve(&c.headquarters).unwrap(),
            ultimate_parent_headquarters: c
                .ultimate_parent_headquarters
                .as_deref()
                .map(|p| env.countries.resolve(p).unwrap()),
            country: c.country.as_deref().map(|cc| env.countries.resolve(cc).unwrap()),
        };
        let e = eligibility(&env.pack, &reg, tiergate_core::units::parse_date(&c.date).unwrap());
        if e.eligible != c.eligible {
            let reasons: Vec<String> = e.reasons.iter().map(|r| r.text.to_string()).collect();
            failures.push(format!(
                "{} {} {:?} on {} ({}): got eligible={} {reasons:?}",
                c.kind, c.headquarters, c.country, c.date, c.why, e.eligible
            ));
        }
        assert!(e.reasons.iter().all(|r| r.citation.contains("748.15")), "{}: {:?}", c.why, e.reasons);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
