//! Snapshots of memos: what an officer files for an auditor, from a determination's stored request and answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::{json, Value};
use tiergate_wire::memo::{AuditRef, Memo, NoteRef};
use tiergate_wire::{determine_line, Env};

/// A request answered as a ledger would have recorded it: the answer line with its `recorded` member.
fn recorded(env: &Env, request: &str, recorded: Value) -> (Value, Value) {
    let mut out = Vec::new();
    determine_line(env, request, None, &mut out);
    let mut answer: Value = serde_json::from_slice(&out).unwrap();
    answer["regime"]["sha256"] = json!("5f2c0000000000000000000000000000000000000000000000000000000000a1");
    answer["recorded"] = recorded;
    (serde_json::from_str(request).unwrap(), answer)
}

fn audit() -> Option<AuditRef> {
    Some(AuditRef {
        seq: 42,
        at: "2026-12-07T09:30:00Z".into(),
        hash: "9c1d0000000000000000000000000000000000000000000000000000000000ff".into(),
        prev_hash: "77ab000000000000000000000000000000000000000000000000000000000001".into(),
    })
}

#[test]
fn memos() {
    let env = Env::builtin().unwrap();
    let (request, answer) = recorded(
        &env,
        r#"{"id":"po-7","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":20000,"destination":"SG","consignee":{"name":"Lion City <Compute> | Pte","headquarters":"SG"}}"#,
        json!({"status": "reserved", "id": "res-3", "pool": "country:SG"}),
    );
    let notes = [
        NoteRef {
            at: "2026-12-07T10:00:00Z".into(),
            actor: "carol".into(),
            status: None,
            text: "end user visited".into(),
        },
        NoteRef {
            at: "2026-12-08T09:00:00Z".into(),
            actor: "carol".into(),
            status: Some("approved".into()),
            text: "license D123456 issued".into(),
        },
    ];
    let memo = Memo {
        id: "po-7",
        at: "2026-12-07T09:30:00Z",
        actor: "alice",
        request: &request,
        answer: &answer,
        audit: audit(),
        status: "approved",
        notes: &notes,
    };
    insta::assert_snapshot!("memo_license_singapore_md", memo.markdown());
    insta::assert_snapshot!("memo_license_singapore_html", memo.html());
    // A name that is markup stays text in both.
    assert!(memo.html().contains("Lion City &lt;Compute&gt; | Pte") && !memo.html().contains("<Compute>"));
    assert!(memo.markdown().contains("Lion City \\<Compute\\> \\| Pte"));

    // Recorded before answers had a summary, and with no audit entry found: the memo says both.
    let mut old = answer.clone();
    old.as_object_mut().unwrap().remove("summary");
    let memo = Memo {
        id: "po-7",
        at: "2025-06-02T08:00:00Z",
        actor: "bob",
        request: &request,
        answer: &old,
        audit: None,
        status: "draft",
        notes: &[],
    };
    let md = memo.markdown();
    assert!(
        md.contains("recorded before answers carried a summary")
            && md.contains("not found in the audit log")
            && md.contains("No note or change of status"),
        "{md}"
    );
}
