//! The built-in regimes: packs written over others, the timelines over them, and their invariants.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use tiergate_core::builtin;
use tiergate_core::pack::Library;
use tiergate_core::regimes::{Regimes, TIMELINES};
use time::{Date, Month};

fn regimes() -> Regimes {
    builtin::regimes(&builtin::countries().unwrap()).expect("the built-in regimes are valid")
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

/// Every date from the first regime to the end of 2027 maps to exactly one period on each timeline, whose pack
/// is in force on it: checked for every one of those days (the property over its whole domain).
#[test]
fn every_date_has_exactly_one_period() {
    let r = &*REGIMES;
    let mut date = day(2023, 11, 17);
    let mut days = 0;
    while date <= day(2027, 12, 31) {
        for name in TIMELINES {
            let t = r.timeline(name).unwrap();
            let holding: Vec<_> =
                t.periods.iter().filter(|p| p.from <= date && p.to.is_none_or(|to| date <= to)).collect();
            assert_eq!(holding.len(), 1, "{name} on {date}");
            let p = t.at(date).unwrap();
            assert!(std::ptr::eq(p, holding[0]), "{name} on {date}");
            assert!(p.pack.effective.value <= date, "{name} on {date}");
        }
        date = date.next_day().unwrap();
        days += 1;
    }
    assert_eq!(days, 1506);
}

static REGIMES: std::sync::LazyLock<Regimes> = std::sync::LazyLock::new(regimes);

#[test]
fn no_period_before_the_first() {
    for name in TIMELINES {
        let t = REGIMES.timeline(name).unwrap();
        assert_eq!(t.start(), Some(day(2023, 11, 17)));
        assert!(t.at(day(2023, 11, 16)).is_none());
        // The periods tile the timeline: each ends the day before the next starts.
        for w in t.periods.windows(2) {
            assert_eq!(w[0].to.unwrap().next_day(), Some(w[1].from));
        }
        assert!(t.periods.last().unwrap().to.is_none());
    }
}

#[test]
fn codified_and_enforced_share_the_china_band() {
    let a = REGIMES.pack("ai-diffusion-2026-01").unwrap().china_review.clone().unwrap();
    let b = REGIMES.pack("enforced-2026-01").unwrap().china_review.clone().unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"), "the two packs copy one [china_review]: keep them equal");
    assert_eq!(a.tpp_below.value.to_string(), "21,000");
    assert_eq!(a.dram_bandwidth_below.value.to_string(), "6,500");
}

#[test]
fn overlays_name_their_chain_and_their_sha_covers_it() {
    let p = REGIMES.pack("enforced-2026-01").unwrap();
    assert_eq!(p.extends, ["ai-diffusion-2025", "us-ac-2023-11", "us-ac-2024-04", "us-ac-2024-12", "enforced-2025-05"]);
    // A change anywhere down the chain changes the overlay's sha256.
    let countries = builtin::countries().unwrap();
    let mut lib = builtin::library().unwrap();
    let base = builtin::PACK_TOML.replace("value = \"after_shipment\"", "value = \"before_shipment\"");
    lib.insert("copy", &base).unwrap();
    let changed = lib.build("enforced-2026-01", Arc::clone(&countries)).unwrap();
    assert_ne!(changed.sha256, p.sha256);
    assert_eq!(lib.build("enforced-2026-01", countries).unwrap().sha256, changed.sha256, "the sha256 is stable");
}

#[test]
fn overlay_errors_name_the_key() {
    let countries = builtin::countries().unwrap();
    let cases = [
        ("schema = 1\nextends = \"nope\"\n[pack]\nid = \"x\"\nversion = \"1\"\ntitle = \"t\"\ncitation = \"c\"\n", "extends", "unknown pack `nope`"),
        ("schema = 1\nextends = \"x\"\n[pack]\nid = \"x\"\nversion = \"1\"\ntitle = \"t\"\ncitation = \"c\"\n", "extends", "names the pack itself"),
        ("schema = 1\nextends = \"ai-diffusion-2025\"\n[pack]\nid = \"x\"\ntitle = \"t\"\ncitation = \"c\"\n", "pack.version", "states its own"),
        ("schema = 1\nextends = \"ai-diffusion-2025\"\n[pack]\nid = \"x\"\nversion = \"1\"\ntitle = \"t\"\ncitation = \"c\"\n[regime]\ntiers = false\ncitation = \"c\"\n", "regime.allocations", "a regime without tiers has none"),
        ("schema = 1\nextends = \"ai-diffusion-2025\"\n[pack]\nid = \"x\"\nversion = \"1\"\ntitle = \"t\"\ncitation = \"c\"\n[license_requirement.a_class]\nexcept = [\"A:5\"]\n", "license_requirement.a_class.except", "needs `groups`"),
        ("schema = 1\nextends = \"ai-diffusion-2025\"\n[pack]\nid = \"x\"\nversion = \"1\"\ntitle = \"t\"\ncitation = \"c\"\n[china_review]\ntpp_below = { value = 21000, citation = \"c\" }\n", "china_review", "missing"),
    ];
    for (text, key, words) in cases {
        let mut lib = builtin::library().unwrap();
        let err = lib.add("test", text).and_then(|id| lib.build(&id, Arc::clone(&countries))).expect_err(text);
        let shown = err.to_string();
        assert!(err.key().starts_with(key), "{text}: key `{}` ({shown})", err.key());
        assert!(shown.contains(words), "{text}: {shown}");
    }
    // A pack written over another cannot be read on its own.
    let err =
        tiergate_core::Pack::from_toml("schema = 1\nextends = \"ai-diffusion-2025\"\n", "test", countries).unwrap_err();
    assert_eq!(err.key(), "extends");
}

#[test]
fn timeline_errors_name_the_key() {
    let countries = builtin::countries().unwrap();
    let lib: Library = builtin::library().unwrap();
    let good = builtin::TIMELINES_TOML;
    let cases = [
        (good.replace("schema = 1", "schema = 2"), "schema"),
        (good.replacen("pack = \"us-ac-2024-04\"", "pack = \"us-ac-2099\"", 1), "timeline.codified.periods[1].pack"),
        (good.replacen("from = 2024-04-04", "from = 2023-01-01", 1), "timeline.codified.periods[1].from"),
        (
            good.replacen(
                "from = 2024-12-02, pack = \"us-ac-2024-12\"",
                "from = 2024-11-02, pack = \"us-ac-2024-12\"",
                1,
            ),
            "timeline.codified.periods[2].pack",
        ),
        (good.replacen(", confidence = \"secondary\"", "", 1), "timeline.codified.periods[0].otherwise"),
        (good.replace("[timeline.enforced]", "[timeline.other]"), "timeline.enforced"),
    ];
    for (text, key) in cases {
        let err = Regimes::load(&lib, &text, "test", &countries).expect_err(key);
        assert_eq!(err.key(), key, "{err}");
    }
}
