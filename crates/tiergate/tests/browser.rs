//! The dashboard in a real browser: runs `tests/browser/dashboard.mjs` (playwright-core driving Debian's
//! Chromium) against this build's binary. It signs in, checks the map's tier colours, runs a determination and
//! records it, uploads an order book and a fleet, screens a name and judges the hit, verifies the audit log, builds a
//! scenario on the map, saves it and diffs an order book under it, signs out, and checks that a viewer is offered and allowed nothing that changes state; screenshots of every view go
//! to `target/browser-screenshots/`. `.ci/run` installs Chromium and the npm package; without them the test is
//! skipped, unless `CI` is set, when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[test]
fn dashboard_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/browser/dashboard.mjs");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing = [
        (Command::new("node").arg("--version").output().is_err(), "node"),
        (
            !root.join("tests/browser/node_modules/playwright-core").is_dir(),
            "playwright-core (npm ci --prefix tests/browser)",
        ),
        (!Path::new(&chromium).exists(), "chromium (apt-get install chromium)"),
    ];
    if let Some((_, what)) = missing.iter().find(|(m, _)| *m) {
        assert!(std::env::var_os("CI").is_none(), "CI is set but {what} is missing");
        eprintln!("skipping: {what} is missing");
        return;
    }
    let shots = root.join("target/browser-screenshots");
    let out = Command::new("node")
        .arg(&script)
        .env("TIERGATE_BIN", env!("CARGO_BIN_EXE_tiergate"))
        .env("SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("every view passed"), "{stdout}");
    for view in [
        "02-map",
        "04-check",
        "05-batch",
        "06-allocations",
        "07-fleet",
        "08-screening",
        "09-parties",
        "10-audit",
        "16-scenario-builder",
        "17-scenario",
    ] {
        assert!(shots.join(format!("{view}.png")).is_file(), "no screenshot of {view}");
    }
}
