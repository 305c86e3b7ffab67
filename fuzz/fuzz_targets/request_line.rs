//! Any bytes as a request line: the parser and engine must answer with exactly one JSON object, never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tiergate_wire::{determine_line, Env};

static ENV: LazyLock<Env> = LazyLock::new(|| Env::builtin().expect("built-in data"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut out = Vec::new();
    determine_line(&ENV, text, Some(1), &mut out);
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("the answer is JSON");
    assert!(v.get("error").is_some() || v.get("authorization").is_some());
});
