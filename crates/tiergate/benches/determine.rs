//! Single determinations: `cargo bench -p tiergate --bench determine`.
#![allow(clippy::expect_used)]
//!
//! Each bench id names the request's shape. `engine` times the pure core on a parsed request; `line` times
//! one JSON line in to one JSON line out, as `tiergate determine` does per record; `parse` times decoding and
//! validation alone; `serde_floor` parses the same line into a JSON value and writes it back, the floor the
//! end-to-end script (bench/determine.sh) compares against.

use std::sync::LazyLock;

use tiergate_core::determine;
use tiergate_wire::{determine_line, parse_request, Env};

fn main() {
    divan::main();
}

static ENV: LazyLock<Env> = LazyLock::new(|| Env::builtin().expect("built-in data"));

const SHAPES: &[&str] = &[
    "lpp_h100_tier2",
    "license_over_allocation",
    "nveu_within_cap",
    "aia_server_tier1",
    "model_weights",
    "tier3_by_parent",
    "error_unknown_country",
];

fn line(shape: &str) -> &'static str {
    match shape {
        "lpp_h100_tier2" => {
            r#"{"id":"po-1","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":1000,"destination":"MY","consignee":{"name":"Example DC Sdn Bhd","headquarters":"MY"}}"#
        }
        "license_over_allocation" => {
            r#"{"id":"po-2","date":"2025-06-01","item":"nvidia-b200","quantity":20000,"destination":"AE","consignee":{"headquarters":"AE"},"context":{"country_licensed_tpp":120000000}}"#
        }
        "nveu_within_cap" => {
            r#"{"id":"po-3","date":"2025-09-15","item":"amd-mi300x","quantity":30000,"destination":"IN","consignee":{"headquarters":"IN","veu":{"kind":"nveu","country":"IN","id":"in-dc-1"}},"context":{"nveu_installed_tpp":400000000}}"#
        }
        "aia_server_tier1" => {
            r#"{"id":"po-4","date":"2025-06-01","item":{"catalog":"nvidia-h100-sxm","per_unit":8},"quantity":250,"destination":"Germany","consignee":{"headquarters":"DE"}}"#
        }
        "model_weights" => {
            r#"{"id":"po-5","date":"2026-03-01","item":{"model_weights":{"training_operations":3e26,"published":false}},"destination":"SA","consignee":{"headquarters":"GB"}}"#
        }
        "tier3_by_parent" => {
            r#"{"id":"po-6","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10,"destination":"SG","consignee":{"headquarters":"SG","ultimate_parent_headquarters":"CN"}}"#
        }
        _ => {
            r#"{"id":"po-7","date":"2025-06-01","item":"nvidia-h100-sxm","quantity":10,"destination":"Atlantis","consignee":{"headquarters":"MY"}}"#
        }
    }
}

/// The shapes the engine sees: every shape but the rejected one, which never reaches it.
const VALID_SHAPES: &[&str] = &[
    "lpp_h100_tier2",
    "license_over_allocation",
    "nveu_within_cap",
    "aia_server_tier1",
    "model_weights",
    "tier3_by_parent",
];

#[divan::bench(args = VALID_SHAPES)]
fn engine(bencher: divan::Bencher, shape: &str) {
    let env = &*ENV;
    let (_, req) = parse_request(line(shape), env).expect("a valid shape");
    bencher.bench(|| determine(divan::black_box(&req), &env.pack, &env.catalog).map(|d| d.reasons.len()));
}

#[divan::bench(args = SHAPES)]
fn line_in_line_out(bencher: divan::Bencher, shape: &str) {
    let env = &*ENV;
    let text = line(shape);
    let mut out = Vec::with_capacity(4096);
    bencher.bench_local(|| {
        out.clear();
        determine_line(env, divan::black_box(text), Some(1), &mut out)
    });
}

#[divan::bench(args = SHAPES)]
fn parse(bencher: divan::Bencher, shape: &str) {
    let env = &*ENV;
    let text = line(shape);
    bencher.bench(|| parse_request(divan::black_box(text), env).is_ok());
}

#[divan::bench(args = SHAPES)]
fn serde_floor(bencher: divan::Bencher, shape: &str) {
    let text = line(shape);
    let mut out = Vec::with_capacity(4096);
    bencher.bench_local(|| {
        out.clear();
        let v: serde_json::Value = serde_json::from_str(divan::black_box(text)).unwrap_or_default();
        serde_json::to_writer(&mut out, &v).is_ok()
    });
}
