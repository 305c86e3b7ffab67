//! A property-based test of the API against its own OpenAPI document: schemathesis (from PyPI) generates
//! requests from `/openapi.json`, valid and invalid, and checks every answer against the document (status
//! codes, shapes, no 500s, authentication required). `.ci/run` installs it; without it the test is skipped,
//! unless `CI` is set, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::Server;
use tiergate_store::testing::fresh_urls;

#[test]
fn schemathesis_finds_nothing() {
    if Command::new("schemathesis").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but schemathesis is not installed (pip install schemathesis)"
        );
        eprintln!("skipping: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let (_, db) = fresh_urls("schemathesis").into_iter().next().unwrap();
    let server = Server::start(&db);
    let token = server.admin.clone().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemathesis.toml");
    let out = Command::new("schemathesis")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/openapi.json", server.url)])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        // Revoking tokens would revoke the one the run uses; revocation is tested in crates/tiergate-server.
        .args(["--exclude-path-regex", "/v1/tokens/"])
        .args(["--max-examples", "50", "--seed", "20250113"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found problems:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("passed"), "schemathesis ran no test:\n{report}");
    assert_eq!(server.stop(), Some(0));
}
