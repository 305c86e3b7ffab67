//! Runs every case in `tests/corpus/*.toml` through the JSON-line path of `tiergate determine`.
// The allocation check keeps its `if` inside the arm: folding it into the guard would send a met
// expectation to the catch-all arm.
#![allow(clippy::collapsible_match)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use tiergate_core::registry::{identify, Registry};
use tiergate_core::{builtin, Determination, Pack, Request};
use tiergate_screen::{lists, Config, Format, Index, Judged, Screener};
use tiergate_wire::parties::{ownership, screen_parties, Lists};
use tiergate_wire::registry::AddParty;
use tiergate_wire::{determine_line, determine_line_with, Env, Hooks, WireError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    covers: Vec<String>,
    section: String,
    #[serde(default)]
    request: Option<toml::Value>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    pack: Option<toml::Table>,
    /// The regime (`tiergate determine --regime`): a timeline or a pack id; default `codified`.
    #[serde(default)]
    regime: Option<String>,
    /// The timeline to compare with (`--compare`).
    #[serde(default)]
    compare: Option<String>,
    /// Screen the named parties as `determine --db` does, against the real 2022 Consolidated Screening List in
    /// `tests/data/us-screening-lists` (or against no list, with `lists = false`).
    #[serde(default)]
    screening: Option<CaseScreening>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseScreening {
    #[serde(default = "yes")]
    lists: bool,
    /// Judgements recorded before the case is determined (they are keyed by query, so cases do not share them).
    #[serde(default)]
    judgements: Vec<CaseJudgement>,
    /// Parties registered, in order, before the case is determined (`tiergate parties add`): named parties
    /// resolve through them and their owners are screened, as `determine --db` does.
    #[serde(default)]
    registry: Vec<toml::Value>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseJudgement {
    entry_id: String,
    query: String,
    verdict: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HitExpect {
    entry_id: String,
    /// `match`, `review` or `cleared`.
    decision: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    authorization: Option<String>,
    tier: Option<u8>,
    /// The answer carries no tier (a regime without tiers).
    #[serde(default)]
    no_tier: bool,
    /// The pack that answered (`regime.pack`) and the timeline that chose it (`regime.timeline`).
    pack: Option<String>,
    timeline: Option<String>,
    /// The compared timeline's answer, where it differs: its members (`timeline`, `pack`, `authorization`, ...).
    compare: Option<toml::Table>,
    /// The compared timeline answers the same: no `compare` member.
    #[serde(default)]
    no_compare: bool,
    review_policy: Option<String>,
    eccn: Option<String>,
    tpp_total: Option<f64>,
    allocation: Option<toml::Value>,
    #[serde(default)]
    obligations: Vec<String>,
    #[serde(default)]
    absent_obligations: Vec<String>,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    no_notes: Vec<String>,
    /// Substrings the one-sentence `summary` must contain.
    #[serde(default)]
    summary: Vec<String>,
    /// Entries that must be among `screening.hits`, with their decision.
    #[serde(default)]
    hits: Vec<HitExpect>,
    /// Entry ids that must not be among `screening.hits`.
    #[serde(default)]
    absent_hits: Vec<String>,
    error: Option<ErrorExpect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorExpect {
    code: String,
    field: Option<String>,
}

/// Every branch of RULE.md §4, every reading and every item form must be exercised by some case.
const REQUIRED: &[&str] = &[
    "4.1-NLR-uncontrolled",
    "4.1-NLR-b-class",
    "4.1-b-class-destination",
    "4.1-b-class-headquarters",
    "4.2-AIA",
    "4.2-AIA-weights",
    "4.2-AIA-not-tier1-hq",
    "4.3-ACA",
    "4.3-NAC",
    "4.4-ACM",
    "4.5-UVEU",
    "4.5-NVEU",
    "4.5-VEU-invalid",
    "4.6-LPP",
    "4.6-LPP-over-limit",
    "4.6-LPP-transfer",
    "4.7-denial-tier3",
    "4.7-denial-weights",
    "4.7-approval-tier1",
    "4.7-approval-allocation",
    "4.7-denial-allocation",
    "4.7-case-by-case",
    "tier-1",
    "tier-2",
    "tier-3-destination",
    "tier-3-headquarters",
    "hong-kong",
    "dated-group-change",
    "dated-group-uae",
    "supp5b",
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R7",
    "R8",
    "R9",
    "R10",
    "scope-NAC-transfer",
    "scope-NAC-reexport",
    "scope-ACA-transfer",
    "scope-ACA-transfer-within-d5",
    "scope-AIA-transfer",
    "scope-AIA-weights-transfer",
    "scope-ACM-transfer",
    "scope-UVEU-transfer",
    "scope-NVEU-transfer",
    "scope-NVEU-reexport",
    "scope-LPP-reexport",
    "scope-requirement",
    "not-assessed",
    "4.1-b-class-headquarters-a6",
    "hq-AIA-weights-parent",
    "hq-AIA-weights-consignee",
    "hq-AIA-weights-neither",
    "hq-AIA-parent-outside",
    "hq-weights-denial-parent",
    "hq-UVEU-parent",
    "hq-ACM-parent",
    "hq-LPP-parent",
    "hq-license-supp5a-allocation",
    "hq-license-supp5a-approval",
    "us-territory",
    "dependency-own-destination",
    "dependency-read-as-sovereign",
    "unknown-balance",
    "unknown-screening",
    "end-use-training",
    "license-validity",
    "item-catalog",
    "item-computer",
    "item-spec",
    "item-weights",
    "date-before-effective",
    "date-grace",
    "date-after-compliance",
    "date-security-compliance",
    "error-unknown-country",
    "error-unknown-item",
    "error-zero-quantity",
    "error-negative-quantity",
    "error-malformed-json",
    "error-missing-field",
    "error-unknown-field",
    "error-invalid-date",
    "error-invalid-value",
    "parties-el-license",
    "parties-stricter-policy",
    "parties-parent",
    "parties-framework-nlr",
    "parties-policy-unread",
    "parties-dpl",
    "parties-sdn-program",
    "parties-other-list",
    "parties-review",
    "parties-judged-false-positive",
    "parties-judged-true-match",
    "parties-clear",
    "parties-no-lists",
    "registry-identity",
    "registry-parent",
    "registry-headquarters",
    "affiliates-in-force",
    "affiliates-suspended",
    "affiliates-before",
    "affiliates-unconfirmed",
    "affiliates-indirect",
    "affiliates-below-threshold",
    "affiliates-owners-clear",
    "timeline-codified",
    "timeline-enforced",
    "compare",
    "china-band",
    "a-class-by-destination",
    "a-class-headquarters",
    "nac-before-aca",
    "group-change-dated",
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// The default pack with dotted-key overrides applied.
fn env_with(overrides: Option<&toml::Table>) -> Env {
    let Some(overrides) = overrides else {
        return Env::builtin().expect("built-in data is valid");
    };
    let mut pack: toml::Table = toml::from_str(builtin::PACK_TOML).expect("built-in pack is TOML");
    for (path, value) in overrides {
        let keys: Vec<&str> = path.split('.').collect();
        let (last, parents) = keys.split_last().expect("non-empty key");
        let mut table = &mut pack;
        for k in parents {
            table = table
                .get_mut(*k)
                .and_then(toml::Value::as_table_mut)
                .unwrap_or_else(|| panic!("no table `{k}` in `{path}`"));
        }
        assert!(table.contains_key(*last), "override `{path}` names no existing key");
        table.insert((*last).to_owned(), value.clone());
    }
    Env::with_pack(&toml::to_string(&pack).expect("serializable"), "override").expect("overridden pack is valid")
}

fn citations(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["citation"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn texts(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["text"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn check(case: &Case, out: &Value) -> Vec<String> {
    let mut f = Vec::new();
    let e = &case.expect;
    if let Some(err) = &e.error {
        match out.get("error") {
            None => f.push(format!("expected error `{}`, got a determination: {}", err.code, out["authorization"])),
            Some(got) => {
                if got["code"] != err.code.as_str() {
                    f.push(format!("error code: expected `{}`, got {}", err.code, got["code"]));
                }
                if let Some(field) = &err.field {
                    if got["field"] != field.as_str() {
                        f.push(format!("error field: expected `{field}`, got {}", got["field"]));
                    }
                }
                if got["message"].as_str().is_none_or(str::is_empty) {
                    f.push("error without a message".into());
                }
            }
        }
        return f;
    }
    if let Some(got) = out.get("error") {
        return vec![format!("unexpected error: {got}")];
    }
    // Invariants of every determination.
    let auth = out["authorization"].as_str().unwrap_or_default();
    if out["license_required"] != (auth == "LICENSE") {
        f.push("license_required must be true exactly for LICENSE".into());
    }
    if out["review_policy"].is_null() == (auth == "LICENSE") {
        f.push("review_policy must be set exactly for LICENSE".into());
    }
    for key in ["reasons", "obligations", "notes"] {
        if out[key].as_array().is_some_and(|a| a.iter().any(|r| r["citation"].as_str().is_none_or(str::is_empty))) {
            f.push(format!("an entry of `{key}` has no citation"));
        }
    }
    if out["reasons"].as_array().is_none_or(Vec::is_empty) {
        f.push("no reasons given".into());
    }
    if let Some(a) = &e.authorization {
        if auth != a {
            f.push(format!("authorization: expected {a}, got {auth}"));
        }
    }
    if let Some(t) = e.tier {
        if out["tier"] != t {
            f.push(format!("tier: expected {t}, got {}", out["tier"]));
        }
    }
    if e.no_tier && !out["tier"].is_null() {
        f.push(format!("tier: expected none, got {}", out["tier"]));
    }
    if let Some(p) = &e.pack {
        if out["regime"]["pack"] != p.as_str() || out["pack"] != p.as_str() {
            f.push(format!("pack: expected {p}, got {}", out["regime"]["pack"]));
        }
    }
    if let Some(t) = &e.timeline {
        if out["regime"]["timeline"] != t.as_str() {
            f.push(format!("timeline: expected {t}, got {}", out["regime"]["timeline"]));
        }
    }
    if let Some(c) = &e.compare {
        let got = &out["compare"][0];
        for (k, v) in c {
            let want = serde_json::to_value(v).expect("toml to json");
            if got[k] != want {
                f.push(format!("compare.{k}: expected {want}, got {} (compare: {})", got[k], out["compare"]));
            }
        }
    }
    if e.no_compare && out.get("compare").is_some() {
        f.push(format!("expected no compare member, got {}", out["compare"]));
    }
    if let Some(p) = &e.review_policy {
        let got = out["review_policy"].as_str().unwrap_or("none");
        if got != p {
            f.push(format!("review_policy: expected {p}, got {got}"));
        }
    }
    if let Some(x) = &e.eccn {
        let got = out["classification"]["eccn"].as_str().unwrap_or("none");
        if got != x {
            f.push(format!("eccn: expected {x}, got {got}"));
        }
    }
    if let Some(t) = e.tpp_total {
        let got = out["classification"]["tpp_total"].as_f64();
        if got != Some(t) {
            f.push(format!("tpp_total: expected {t}, got {:?}", got));
        }
    }
    match &e.allocation {
        None => {}
        Some(toml::Value::String(s)) if s == "none" => {
            if !out["allocation"].is_null() {
                f.push(format!("allocation: expected none, got {}", out["allocation"]));
            }
        }
        Some(toml::Value::Table(t)) => {
            let a = &out["allocation"];
            for (k, v) in t {
                let want: Value = serde_json::to_value(v).expect("toml value to json");
                if a[k] != want {
                    f.push(format!("allocation.{k}: expected {want}, got {}", a[k]));
                }
            }
        }
        Some(other) => f.push(format!("bad expectation for allocation: {other}")),
    }
    let obligations = citations(out, "obligations");
    for c in &e.obligations {
        if !obligations.contains(c) {
            f.push(format!("missing obligation citing `{c}` (have {obligations:?})"));
        }
    }
    for c in &e.absent_obligations {
        if obligations.contains(c) {
            f.push(format!("unexpected obligation citing `{c}`"));
        }
    }
    let reasons = texts(out, "reasons");
    for s in &e.reasons {
        if !reasons.iter().any(|r| r.contains(s.as_str())) {
            f.push(format!("no reason contains `{s}` (reasons: {reasons:#?})"));
        }
    }
    // Every answer leads with a sentence that says what the fields say: a license or not.
    let summary = out["summary"].as_str().unwrap_or_default();
    let license = out["license_required"] == true;
    let opening = if license { "A license is required" } else { "No license is required" };
    if !summary.starts_with(opening) || !summary.ends_with('.') {
        f.push(format!("the summary should open with `{opening}` and end a sentence: `{summary}`"));
    }
    for s in &e.summary {
        if !summary.contains(s.as_str()) {
            f.push(format!("the summary does not contain `{s}`: `{summary}`"));
        }
    }
    let notes = texts(out, "notes");
    for s in &e.notes {
        if !notes.iter().any(|r| r.contains(s.as_str())) {
            f.push(format!("no note contains `{s}` (notes: {notes:?})"));
        }
    }
    for s in &e.no_notes {
        if notes.iter().any(|r| r.contains(s.as_str())) {
            f.push(format!("a note contains `{s}`"));
        }
    }
    let hits = out["screening"]["hits"].as_array().cloned().unwrap_or_default();
    for h in &e.hits {
        match hits.iter().find(|g| g["entry_id"] == h.entry_id.as_str()) {
            None => f.push(format!("no hit on entry `{}` (hits: {hits:?})", h.entry_id)),
            Some(g) if g["decision"] != h.decision.as_str() => {
                f.push(format!("hit on `{}`: expected {}, got {}", h.entry_id, h.decision, g["decision"]))
            }
            Some(_) => {}
        }
    }
    for id in &e.absent_hits {
        if hits.iter().any(|g| g["entry_id"] == id.as_str()) {
            f.push(format!("unexpected hit on entry `{id}`"));
        }
    }
    f
}

/// Fills each request's screening as the ledger hooks do, from lists and a registry held in memory.
struct ScreeningHooks<'a> {
    lists: Option<&'a Lists>,
    registry: Registry,
}

impl Hooks for ScreeningHooks<'_> {
    fn before(&mut self, _: Option<&str>, req: &mut Request, _: bool, pack: &Pack) -> Result<(), WireError> {
        req.consignee.identified = identify(&self.registry, &mut req.consignee);
        let mut screening = screen_parties(self.lists, req, pack);
        if let Some(lists) = self.lists {
            screening.ownership = ownership(lists, &self.registry, req, pack);
        }
        req.screening = Some(screening);
        Ok(())
    }

    fn after(&mut self, _: Option<&str>, _: &Request, _: &Determination<'_>) -> Result<Option<Vec<u8>>, WireError> {
        Ok(None)
    }
}

/// A registry of the parties given (each as `POST /v1/parties` takes it), added in order.
fn registry_of(parties: &[toml::Value], env: &Env) -> Registry {
    let mut registry = Registry::default();
    for p in parties {
        let add: AddParty = serde_json::from_value(serde_json::to_value(p).expect("toml to json")).expect("a party");
        let change = add.change(&env.countries).expect("a valid party");
        let applied = registry.apply(&change, &env.countries).expect("the party can be added");
        let mut all = registry.parties().to_vec();
        all.push(applied.party);
        registry = Registry::new(all);
    }
    registry
}

/// The real 2022 Consolidated Screening List, with the corpus's judgements.
fn csl_lists(judgements: &[&CaseJudgement]) -> Lists {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/us-screening-lists/consolidated_2022-05.csv");
    let bytes = std::fs::read(&path).expect("the CSL test file");
    let parsed = lists::parse(Format::Csl, &bytes).expect("a CSL file");
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let mut screener = Screener::new(Index::build(Config::builtin().expect("builtin config"), parsed.entries));
    for j in judgements {
        let query = screener.index().normal_form(&j.query);
        let judged = Judged {
            verdict: j.verdict.clone(),
            actor: "corpus".into(),
            at: "2026-11-22T00:00:00Z".into(),
            note: None,
        };
        screener.judge(&j.entry_id, &query, judged);
    }
    Lists {
        screener,
        versions: vec!["csl (tests/data/us-screening-lists/consolidated_2022-05.csv)".into()],
        ages: Vec::new(),
    }
}

#[test]
fn corpus() {
    let default_env = env_with(None);
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut count = 0;
    let files: Vec<(PathBuf, CaseFile)> = files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let file: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, file)
        })
        .collect();
    let judgements: Vec<&CaseJudgement> =
        files.iter().flat_map(|(_, f)| &f.case).flat_map(|c| c.screening.iter().flat_map(|s| &s.judgements)).collect();
    let screens = files.iter().flat_map(|(_, f)| &f.case).any(|c| c.screening.as_ref().is_some_and(|s| s.lists));
    let csl = screens.then(|| csl_lists(&judgements));
    for (path, file) in &files {
        for case in &file.case {
            count += 1;
            assert!(names.insert(case.name.clone()), "case name `{}` is used twice", case.name);
            assert!(!case.section.trim().is_empty(), "case `{}` cites no section", case.name);
            covered.extend(case.covers.iter().cloned());
            let line = match (&case.request, &case.raw) {
                (Some(r), None) => serde_json::to_string(r).expect("toml to json"),
                (None, Some(raw)) => raw.clone(),
                _ => panic!("case `{}` needs exactly one of `request` and `raw`", case.name),
            };
            let overridden;
            let base = match &case.pack {
                Some(p) => {
                    overridden = env_with(Some(p));
                    &overridden
                }
                None => &default_env,
            };
            let selected;
            let env = match (&case.regime, &case.compare) {
                (None, None) => base,
                (regime, compare) => {
                    let chosen = match regime {
                        Some(r) => base.select(r).unwrap_or_else(|e| panic!("case `{}`: {}", case.name, e.message)),
                        None => base.clone(),
                    };
                    selected = chosen
                        .comparing(compare.as_deref())
                        .unwrap_or_else(|e| panic!("case `{}`: {}", case.name, e.message));
                    &selected
                }
            };
            let mut out = Vec::new();
            let ok = match &case.screening {
                None => determine_line(env, &line, Some(1), &mut out),
                Some(s) => {
                    let registry = registry_of(&s.registry, env);
                    let lists = if s.lists { csl.as_ref() } else { None };
                    let mut hooks = ScreeningHooks { lists, registry };
                    determine_line_with(env, &line, Some(1), &mut out, &mut hooks)
                }
            };
            let value: Value = serde_json::from_slice(&out).expect("output is one JSON object");
            assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1, "one line out");
            let mut problems = check(case, &value);
            if ok == value.get("error").is_some() {
                problems.push("determine_line's result disagrees with the output".into());
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{} [{}] ({}):\n  {}\n  output: {value}",
                    case.name,
                    path.file_name().unwrap_or_default().to_string_lossy(),
                    case.section,
                    problems.join("\n  ")
                ));
            }
        }
    }
    let missing: Vec<&&str> = REQUIRED.iter().filter(|t| !covered.contains(**t)).collect();
    assert!(missing.is_empty(), "corpus does not cover: {missing:?}");
    assert!(failures.is_empty(), "{} of {count} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(count >= 100, "the corpus shrank to {count} cases");
}
