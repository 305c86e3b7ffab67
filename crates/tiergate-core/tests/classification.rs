//! Classification properties and the catalog against the rule's reference values.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::LazyLock;

use proptest::prelude::*;
use tiergate_core::classify::{classify, ControlClass, Item};
use tiergate_core::units::{Area, Tpp};
use tiergate_core::{builtin, Catalog, Pack};

static SETUP: LazyLock<(Pack, Catalog)> = LazyLock::new(|| {
    let countries = builtin::countries().expect("countries");
    (builtin::pack(countries).expect("pack"), builtin::catalog().expect("catalog"))
});

fn setup() -> (&'static Pack, &'static Catalog) {
    (&SETUP.0, &SETUP.1)
}

/// Control level: 0 not controlled, 1 .b-class, 2 .a-class.
fn level(pack: &Pack, catalog: &Catalog, tpp_milli: u64, area_milli: u64, datacenter: bool) -> u8 {
    let item = Item::Spec {
        tpp: Tpp::from_milli(tpp_milli),
        die_area: Area::from_mm2(area_milli as f64 / 1000.0),
        datacenter,
        dram_bandwidth: None,
        per_unit: None,
    };
    match classify(&item, 1, pack, catalog).expect("classifiable with a die area").control {
        tiergate_core::classify::Control::Hardware { class: ControlClass::A, .. } => 2,
        tiergate_core::classify::Control::Hardware { class: ControlClass::B, .. } => 1,
        _ => 0,
    }
}

proptest! {
    /// Raising TPP (same die, same market) never lowers control (RULE.md §3).
    #[test]
    fn raising_tpp_never_lowers_control(
        a in 0u64..20_000_000, b in 0u64..20_000_000, area in 1_000u64..2_000_000, dc in any::<bool>()
    ) {
        let (pack, catalog) = setup();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(level(pack, catalog, lo, area, dc) <= level(pack, catalog, hi, area, dc));
    }

    /// A data-centre part is never less controlled than the same part not marketed for data centres.
    #[test]
    fn datacenter_flag_never_lowers_control(tpp in 0u64..20_000_000, area in 1_000u64..2_000_000) {
        let (pack, catalog) = setup();
        prop_assert!(level(pack, catalog, tpp, area, false) <= level(pack, catalog, tpp, area, true));
    }

    /// A computer holding N ICs has the class of its IC and N times its TPP.
    #[test]
    fn computer_sums_its_ics(n in 1u64..64, q in 1u64..10_000) {
        let (pack, catalog) = setup();
        let ic = classify(&Item::Catalog { id: "nvidia-h100-sxm".into(), per_unit: None }, 1, pack, catalog).expect("ic");
        let server = classify(&Item::Catalog { id: "nvidia-h100-sxm".into(), per_unit: Some(n) }, q, pack, catalog).expect("server");
        prop_assert_eq!(server.tpp_per_unit.map(Tpp::milli), ic.tpp_per_unit.map(|t| t.milli() * n));
        prop_assert_eq!(server.tpp_total.map(Tpp::milli), ic.tpp_per_unit.map(|t| t.milli() * n * q));
        prop_assert_eq!(server.eccn.map(|e| e.as_str()), Some("4A090.a"));
    }
}

#[test]
fn thresholds_are_inclusive_at_the_line() {
    let (pack, catalog) = setup();
    // 3A090.a.1 at exactly 4,800 TPP; just below it is .b (PD 4.7999 with 1,000 mm²).
    assert_eq!(level(pack, catalog, 4_800_000, 1_000_000, true), 2);
    assert_eq!(level(pack, catalog, 4_799_999, 1_000_000, true), 1);
    // 3A090.b.1 starts at 2,400 TPP and PD 1.6; 2,400 TPP over 1,500 mm² is PD 1.6 exactly.
    assert_eq!(level(pack, catalog, 2_400_000, 1_500_000, true), 1);
    assert_eq!(level(pack, catalog, 2_399_999, 1_500_000, true), 0);
    // 3A090.b.2: TPP 1,600 and PD 3.2 (500 mm²) exactly.
    assert_eq!(level(pack, catalog, 1_600_000, 500_000, true), 1);
    assert_eq!(level(pack, catalog, 1_600_000, 500_001, true), 0);
    // Non-data-centre parts: not 3A090 below 4,800, 3A090.a from 4,800.
    assert_eq!(level(pack, catalog, 4_799_999, 100_000, false), 0);
    assert_eq!(level(pack, catalog, 4_800_000, 100_000, false), 2);
}

/// RULE-FACTS.md §9 reference values for the ids the catalog must hold.
#[test]
fn catalog_holds_the_reference_parts() {
    let (pack, catalog) = setup();
    let expect: &[(&str, &str, Option<&str>, Option<f64>)] = &[
        ("nvidia-h100-sxm", "15,832", Some("3A090.a"), Some(814.0)),
        ("nvidia-h100-pcie", "12,096", Some("3A090.a"), Some(814.0)),
        ("nvidia-h200-sxm", "15,832", Some("3A090.a"), None),
        ("nvidia-h20", "2,368", None, None),
        ("nvidia-a100-sxm", "4,992", Some("3A090.a"), Some(826.0)),
        ("nvidia-b200", "36,000", Some("3A090.a"), None),
        ("nvidia-rtx-4090", "5,284.8", Some("3A090.a"), Some(608.0)),
        ("amd-mi300x", "20,919.2", Some("3A090.a"), None),
        ("amd-mi250x", "6,128", Some("3A090.a"), None),
        ("intel-gaudi-3", "29,360", Some("3A090.a"), None),
        ("huawei-ascend-910b", "6,016", Some("3A090.a"), None),
        ("google-tpu-v5p", "7,344", Some("3A090.a"), None),
        ("nvidia-l40", "2,896.64", Some("3A090.b"), None),
    ];
    for (id, tpp, eccn, area) in expect {
        let a = catalog.get(id).unwrap_or_else(|| panic!("catalog lacks `{id}`"));
        assert_eq!(a.tpp.to_string(), *tpp, "{id} TPP");
        let c = classify(&Item::Catalog { id: (*id).into(), per_unit: None }, 1, pack, catalog).expect("classifies");
        assert_eq!(c.eccn.map(|e| e.as_str()), *eccn, "{id} ECCN");
        if let Some(mm2) = area {
            assert_eq!(a.die_area.map(Area::as_f64), Some(*mm2), "{id} die area");
        }
    }
    assert!(!catalog.get("nvidia-rtx-4090").expect("4090").datacenter);
    let h100 =
        classify(&Item::Catalog { id: "nvidia-h100-sxm".into(), per_unit: None }, 1000, pack, catalog).expect("h100");
    assert_eq!(h100.performance_density, Some(19.45));
    assert_eq!(h100.h100_equivalents, Some(1000.0));
}
