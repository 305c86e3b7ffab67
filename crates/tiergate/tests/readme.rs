//! The README's examples run as written: every command line of its shell blocks that names a file under
//! `examples/` (the binary's, and the API's through `curl`), and the routes it says take no token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;
use serde_json::Value;
use tiergate_store::testing::fresh_urls;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The lines of the README's shell blocks, comments cut off.
fn shell_lines() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            inside = line.trim() == "```sh";
            continue;
        }
        if inside {
            let code = line.split(" # ").next().unwrap_or_default().trim();
            if !code.is_empty() && !code.starts_with('#') {
                out.push(code.to_owned());
            }
        }
    }
    out
}

#[test]
fn every_command_naming_an_example_file_runs() {
    let lines: Vec<String> = shell_lines().into_iter().filter(|l| l.contains("examples/")).collect();
    let commands: Vec<&String> = lines.iter().filter(|l| l.starts_with("tiergate ")).collect();
    assert!(commands.len() >= 4, "the README runs the examples: {lines:?}");
    // In a directory of its own, so that nothing a command writes lands in the checkout.
    let dir = std::env::temp_dir().join(format!("tiergate-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let examples = format!("{}/examples/", repo().display());
    for line in commands {
        assert!(!line.contains(['\'', '"', '|', '>']), "a README example this test cannot run as words: {line}");
        let args: Vec<String> = line.split_whitespace().skip(1).map(|w| w.replace("examples/", &examples)).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_tiergate"))
            .args(&args)
            .current_dir(&dir)
            .env_remove("TIERGATE_DB")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "`{line}` exited {}: {}", out.status, String::from_utf8_lossy(&out.stderr));
        assert!(!stdout.contains("\"error\""), "`{line}` answered an error: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_api_examples_run_and_the_probes_take_no_token() {
    let (_, db) = fresh_urls("readme-api").into_iter().next().unwrap();
    let server = Server::start(&db);
    let token = server.admin.clone().unwrap();
    let lines = shell_lines();
    let posts: Vec<&String> = lines.iter().filter(|l| l.starts_with("curl") && l.contains("@examples/")).collect();
    assert!(!posts.is_empty(), "the README posts an example file");
    for line in posts {
        let words: Vec<&str> = line.split_whitespace().collect();
        let file = words.iter().find_map(|w| w.strip_prefix("@examples/")).unwrap();
        let path = words.iter().find_map(|w| w.strip_prefix("$U")).unwrap().trim_matches('"');
        let content_type =
            line.split("content-type: ").nth(1).and_then(|t| t.split('\'').next()).unwrap_or("application/json");
        let body = std::fs::read(repo().join("examples").join(file)).unwrap();
        let answer = ureq::post(&format!("{}{path}", server.url))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type)
            .send_bytes(&body);
        let v: Value = match answer {
            Ok(r) => r.into_json().unwrap(),
            Err(e) => panic!("`{line}`: {e}"),
        };
        let text = v.to_string();
        assert!(!text.contains("\"error\""), "`{line}` answered an error: {text}");
        assert!(v["determinations"].as_array().is_some_and(|d| !d.is_empty()), "`{line}`: {text}");
    }
    // The README's probes without `-H "$T"` answer without a token.
    let probes: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("curl $U/"))
        .flat_map(|l| l.split(';'))
        .map(str::trim)
        .filter_map(|c| c.strip_prefix("curl $U"))
        .collect();
    assert!(probes.contains(&"/readyz") && probes.contains(&"/healthz"), "{probes:?}");
    for p in probes {
        let status = ureq::get(&format!("{}{p}", server.url)).call().map(|r| r.status()).unwrap_or_else(|e| match e {
            ureq::Error::Status(code, _) => code,
            other => panic!("{p}: {other}"),
        });
        assert_eq!(status, 200, "the README calls {p} without a token");
    }
    assert_eq!(server.stop(), Some(0));
}
