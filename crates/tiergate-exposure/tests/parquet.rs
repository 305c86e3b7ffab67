//! The same flows as CSV and as Parquet — canonical columns, and BACI's own `t,i,j,k,v,q` — give the same groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::parquet::arrow::ArrowWriter;
use tiergate_core::builtin;
use tiergate_exposure::{read_csv, Dim, Group, Query, Session};
use time::macros::date;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/baci-sample/ExampleTradeData.csv")
}

fn write_parquet(path: &Path, batches: &[RecordBatch]) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, batches[0].schema(), None).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// BACI's rows as BACI writes them: numeric codes, values in thousands of USD.
fn baci_batch() -> RecordBatch {
    let mut r = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(sample()).unwrap();
    let (mut t, mut i, mut j, mut k, mut v, mut q) = (
        Int64Builder::new(),
        Int64Builder::new(),
        Int64Builder::new(),
        StringBuilder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    for row in r.records() {
        let row = row.unwrap();
        t.append_value(row[0].parse().unwrap());
        i.append_value(row[1].parse().unwrap());
        j.append_value(row[2].parse().unwrap());
        k.append_value(&row[3]);
        v.append_value(row[4].parse().unwrap());
        q.append_option(row[5].parse::<f64>().ok());
    }
    let schema = Schema::new(vec![
        Field::new("t", DataType::Int64, false),
        Field::new("i", DataType::Int64, false),
        Field::new("j", DataType::Int64, false),
        Field::new("k", DataType::Utf8, false),
        Field::new("v", DataType::Float64, false),
        Field::new("q", DataType::Float64, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(t.finish()),
        Arc::new(i.finish()),
        Arc::new(j.finish()),
        Arc::new(k.finish()),
        Arc::new(v.finish()),
        Arc::new(q.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), cols).unwrap()
}

fn close(a: &[Group], b: &[Group]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            (&x.period, x.tier, &x.country, x.flows, x.counterparties),
            (&y.period, y.tier, &y.country, y.flows, y.counterparties)
        );
        assert!((x.value_usd - y.value_usd).abs() <= 1e-9 * x.value_usd.abs().max(1.0), "{x:?} {y:?}");
        assert!((x.share - y.share).abs() <= 1e-12, "{x:?} {y:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_parquet_agree() {
    let countries = builtin::countries().unwrap();
    let regimes = builtin::regimes(&countries).unwrap();
    let pack = regimes.pack("ai-diffusion-2026-01").unwrap();
    let d = date!(2026 - 06 - 01);
    let query = Query { by: vec![Dim::Period, Dim::Tier, Dim::Country], products: vec![], exporter: None };
    let dir = std::env::temp_dir().join(format!("tiergate-exposure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let (batches, report) = read_csv(std::fs::File::open(sample()).unwrap(), None, &countries).unwrap();
    assert_eq!((report.format, report.rows, report.bad_rows), ("baci", 71_192, 0));
    let csv = Session::new(pack, d).await.unwrap();
    csv.flows_from_batches(batches.clone()).unwrap();
    let from_csv = csv.groups(&query).await.unwrap();
    assert!(from_csv.iter().any(|g| g.country.as_deref() == Some("TW") && g.tier == Some(1)), "490 is Taiwan, Tier 1");
    assert!(from_csv.iter().all(|g| g.country.as_deref() != Some("BACI:516")), "Namibia is mapped");

    let canonical = dir.join("canonical.parquet");
    write_parquet(&canonical, &batches);
    let p = Session::new(pack, d).await.unwrap();
    let report = p.flows_from_parquet(&canonical, &countries).await.unwrap();
    assert_eq!((report.format, report.rows, report.bad_rows), ("canonical", 71_192, 0));
    close(&from_csv, &p.groups(&query).await.unwrap());

    let baci = dir.join("baci.parquet");
    write_parquet(&baci, &[baci_batch()]);
    let p = Session::new(pack, d).await.unwrap();
    let report = p.flows_from_parquet(&baci, &countries).await.unwrap();
    assert_eq!((report.format, report.rows, report.bad_rows), ("baci", 71_192, 0));
    close(&from_csv, &p.groups(&query).await.unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
