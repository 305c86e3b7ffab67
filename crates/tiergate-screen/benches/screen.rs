//! Index build and per-query time on the full CSL and SDN lists (tests/data/us-screening-lists).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use tiergate_screen::{lists, Config, Entry, Format, Index};

fn main() {
    divan::main();
}

fn entries() -> Vec<Entry> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/us-screening-lists");
    let mut out = Vec::new();
    for (file, format) in [("consolidated_2022-05.csv", Format::Csl), ("sdn_2024-05-03.csv", Format::Sdn)] {
        let bytes = std::fs::read(format!("{dir}/{file}")).unwrap();
        out.extend(lists::parse(format, &bytes).unwrap().entries);
    }
    out
}

#[divan::bench(sample_count = 5)]
fn build_index(bencher: divan::Bencher) {
    let entries = entries();
    bencher.bench_local(|| Index::build(Config::builtin().unwrap(), entries.clone()));
}

#[divan::bench(args = ["Huawei Technologies Co Ltd", "Rosnfet", "Google DeepMind", "ABBAS Rim"])]
fn screen_one(bencher: divan::Bencher, query: &str) {
    let index = Index::build(Config::builtin().unwrap(), entries());
    bencher.bench_local(|| index.screen(divan::black_box(query), None, 0.86).len());
}
