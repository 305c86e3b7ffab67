//! Snapshots of a VEU readiness report (Supp. No. 10 to part 748): what a data-centre operator files with its
//! application, as Markdown and as printable HTML, from evidence recorded against the pack's requirements.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use tiergate_core::veu::{Registration, VeuKind};
use tiergate_core::veu_readiness::readiness;
use tiergate_wire::readiness::{EvidenceBody, ReadinessOut};
use tiergate_wire::Env;
use time::macros::date;

/// A stored body, as `EvidenceBody::of` writes it after the request is checked.
fn evidence(requirement: &str, status: &str, document: Option<&str>, note: Option<&str>) -> EvidenceBody {
    EvidenceBody {
        requirement: requirement.into(),
        status: status.into(),
        document: document.map(Into::into),
        owner: Some("Head of security <dc>".into()),
        dated: Some("2025-11-01".into()),
        note: note.map(Into::into),
    }
    .evidence("olivia", "")
    .map(|e| EvidenceBody::of(&e))
    .unwrap()
}

#[test]
fn readiness_reports() {
    let env = Env::builtin().unwrap();
    let reg = Registration {
        id: "kl-dc".into(),
        kind: VeuKind::National,
        name: "KL Compute | Data Centre".into(),
        headquarters: env.countries.resolve("MY").unwrap(),
        ultimate_parent_headquarters: None,
        country: Some(env.countries.resolve("MY").unwrap()),
    };
    let recorded = [
        evidence("14.b", "in_progress", Some("3PAO engagement letter"), None),
        evidence("1", "planned", None, Some("security plan drafted")),
        evidence("14.b", "met", Some("3PAO attestation 2025-11 (FedRAMP High)"), None),
        evidence("B(6)", "not_applicable", None, Some("a legal prohibition: customers under NDA")),
    ];
    let at = ["2025-10-01T09:00:00Z", "2025-10-02T09:00:00Z", "2025-11-02T09:00:00Z", "2025-11-03T09:00:00Z"];
    let evidence: Vec<_> = recorded
        .iter()
        .zip(at)
        .map(|(b, at)| EvidenceBody::read(&serde_json::to_string(b).unwrap(), "olivia", at).unwrap())
        .collect();
    let r = readiness(&env.pack, &reg, &evidence, date!(2026 - 02 - 01)).unwrap();
    let out = ReadinessOut::new(&env.pack, &reg, true, &r);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["ready"], false);
    assert_eq!(
        (
            &json["counts"]["met"],
            &json["counts"]["planned"],
            &json["counts"]["not_applicable"],
            &json["counts"]["overdue"]
        ),
        (&serde_json::json!(1), &serde_json::json!(1), &serde_json::json!(1), &serde_json::json!(16)),
        "{json}"
    );
    let line = json["requirements"].as_array().unwrap().iter().find(|l| l["id"] == "14.b").unwrap();
    assert_eq!(
        (&line["standing"], &line["recorded"], &line["overdue"]),
        (&serde_json::json!("met"), &serde_json::json!(2), &serde_json::json!(false))
    );
    // The pack's sha256 changes with every edit of the pack: the snapshots hold a stand-in.
    let stable = |t: String| t.replace(&env.pack.sha256, "<pack sha256>");
    insta::assert_snapshot!("readiness_nveu_md", stable(out.markdown()));
    insta::assert_snapshot!("readiness_nveu_html", stable(out.html()));
}
