//! Scenario files, valid and invalid (tests/scenarios): each invalid file names, in its first line, the key its
//! error must name and words the problem must contain; each valid one loads, and its packs are never the
//! official ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;
use std::sync::{Arc, LazyLock};

use tiergate_core::pack::Library;
use tiergate_core::regimes::Regimes;
use tiergate_core::scenario::{Effect, Scenario};
use tiergate_core::{builtin, Countries};
use time::{Date, Month};

struct Base {
    countries: Arc<Countries>,
    library: Library,
    regimes: Regimes,
}

static BASE: LazyLock<Base> = LazyLock::new(|| {
    let countries = builtin::countries().unwrap();
    let regimes = builtin::regimes(&countries).unwrap();
    Base { library: builtin::library().unwrap(), regimes, countries }
});

fn load(text: &str, source: &str) -> Result<Scenario, tiergate_core::DataError> {
    Scenario::load(text, source, &BASE.library, &BASE.regimes, &BASE.countries)
}

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/scenarios"))
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

#[test]
fn invalid_files_name_their_key() {
    let (mut n, mut failures) = (0, Vec::new());
    for entry in std::fs::read_dir(dir().join("invalid")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text.lines().next().unwrap().strip_prefix("# error: ").expect("first line: # error: KEY: words");
        let (key, words) = expect.split_once(": ").unwrap();
        match load(&text, "s.toml") {
            Ok(_) => failures.push(format!("{}: loaded", path.display())),
            Err(e) if e.key() != key || !e.problem().contains(words.trim()) => {
                failures.push(format!("{}: expected `{key}`: …{words}…, got {e}", path.display()));
            }
            Err(_) => {}
        }
        n += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(n >= 20, "{n} files");
}

#[test]
fn valid_files_load_as_packs_of_their_own() {
    for entry in std::fs::read_dir(dir().join("valid")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let s = load(&text, "s.toml").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let packs: Vec<_> = match &s.timeline {
            Some(t) => t.periods.iter().map(|p| Arc::clone(&p.pack)).collect(),
            None => vec![Arc::clone(&s.pack)],
        };
        for p in packs {
            assert_eq!(p.id, format!("scenario:{}", s.name));
            assert!(BASE.regimes.packs.iter().all(|b| b.sha256 != p.sha256), "{}", path.display());
            assert!(p.status.iter().any(|n| n.text.starts_with("hypothetical")));
            assert_eq!(p.extends.last().map(String::as_str), Some(base_id(&s, &p)));
        }
    }
}

fn base_id<'s>(s: &'s Scenario, p: &tiergate_core::Pack) -> &'s str {
    // Every pack of a scenario names the base pack it was written over last.
    let last = p.extends.last().unwrap();
    s.changes[0].under.iter().find(|u| &u.pack == last).map(|u| u.pack.as_str()).unwrap()
}

#[test]
fn the_allies_scenario_moves_what_it_says() {
    let text = std::fs::read_to_string(dir().join("valid/allies-plus.toml")).unwrap();
    let s = load(&text, "s").unwrap();
    let pl = BASE.countries.by_code("PL").unwrap();
    let india = BASE.countries.by_code("IN").unwrap();
    let date = day(2026, 6, 1);
    let pack = s.pack_on(date).unwrap();
    assert_eq!(pack.id, "scenario:allies-plus");
    assert!(pack.at(date).tier1.contains(pl));
    assert_eq!(pack.country_allocation(india, date), Some(1_580_000_000));
    assert_eq!(pack.uveu.single_country_max_percent.value, 7 + 3);
    assert_eq!(Some(pack.lpp_annual_limit_tpp.value), tiergate_core::Tpp::from_whole(13_450_000));
    // Under the packs before the framework the moves have no tiers to act on.
    let early = &s.changes[0].under[0];
    assert_eq!(early.pack, "us-ac-2023-11");
    assert!(matches!(early.effect, Effect::NoEffect(_) | Effect::NotApplicable(_)), "{early:?}");
    let framework = s.changes[0].under.iter().find(|u| u.pack == "ai-diffusion-2025").unwrap();
    assert_eq!(framework.replaces.as_deref(), Some("Tier 2"));
    // Before 2025-01-13 the scenario answers as the base did (but under its own id).
    let before = s.pack_on(day(2024, 6, 1)).unwrap();
    assert!(before.extends.contains(&"us-ac-2024-04".to_owned()));
    // The same text loaded twice gives the same sha256; any edit another.
    let again = load(&text, "s").unwrap();
    assert_eq!(again.pack.sha256, s.pack.sha256);
    let edited = load(&text.replace("13_450_000", "13_450_001"), "s").unwrap();
    assert_ne!(edited.pack.sha256, s.pack.sha256);
}

#[test]
fn a_dated_move_takes_effect_on_its_date() {
    let text = std::fs::read_to_string(dir().join("valid/dated.toml")).unwrap();
    let s = load(&text, "s").unwrap();
    let ae = BASE.countries.by_code("AE").unwrap();
    let kh = BASE.countries.by_code("KH").unwrap();
    assert!(!s.pack.at(day(2026, 2, 28)).tier1.contains(ae));
    assert!(s.pack.at(day(2026, 3, 1)).tier1.contains(ae));
    // Cambodia left D:5 on 2026-02-03 in the base; the scenario keeps it in Tier 3 throughout.
    assert!(s.pack.at(day(2026, 6, 1)).tier3.contains(kh));
    let base = BASE.regimes.pack("ai-diffusion-2026-01").unwrap();
    assert!(!base.at(day(2026, 6, 1)).tier3.contains(kh));
}

#[test]
fn over_enforced_a_tier_3_move_acts_and_allocations_do_not_exist() {
    let text = std::fs::read_to_string(dir().join("valid/enforced-vn.toml")).unwrap();
    let s = load(&text, "s").unwrap();
    let vn = BASE.countries.by_code("VN").unwrap();
    assert!(s.pack_on(day(2026, 6, 1)).unwrap().at(day(2026, 6, 1)).tier3.contains(vn));
    assert!(s.timeline.is_some());
}
