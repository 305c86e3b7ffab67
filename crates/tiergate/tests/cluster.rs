//! `tiergate exposure --cluster`: a real Apache Ballista cluster on loopback — a scheduler and two executors,
//! each a `tiergate cluster` process — gives the same answers as the embedded engine, for BACI's own columns and
//! for canonical flows, for every output shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::tiergate_stdin;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{CsvReadOptions, SessionContext};

/// The cluster's processes, stopped when the test ends however it ends.
struct Cluster {
    children: Vec<Child>,
    scheduler: SocketAddr,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(addr: SocketAddr, what: &str, children: &mut [Child]) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        for c in children.iter_mut() {
            if let Some(status) = c.try_wait().unwrap() {
                panic!("a cluster process exited ({status}) before {what} listened on {addr}");
            }
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{what} did not listen on {addr} within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start(scratch: &Path) -> Cluster {
    let bin = env!("CARGO_BIN_EXE_tiergate");
    let scheduler: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = |name: &str| std::fs::File::create(scratch.join(name)).unwrap();
    let mut cluster = Cluster { children: Vec::new(), scheduler };
    cluster.children.push(
        Command::new(bin)
            .args(["cluster", "scheduler", "--bind", &scheduler.to_string()])
            .stdout(Stdio::from(log("scheduler.out")))
            .stderr(Stdio::from(log("scheduler.err")))
            .spawn()
            .unwrap(),
    );
    wait_for(scheduler, "the scheduler", &mut cluster.children);
    for n in 0..2 {
        let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let work = scratch.join(format!("executor-{n}"));
        cluster.children.push(
            Command::new(bin)
                .args(["cluster", "executor", "--scheduler", &scheduler.to_string(), "--bind", &bind.to_string()])
                .args(["--cores", "1", "--work-dir", work.to_str().unwrap()])
                .stdout(Stdio::from(log(&format!("executor-{n}.out"))))
                .stderr(Stdio::from(log(&format!("executor-{n}.err"))))
                .spawn()
                .unwrap(),
        );
        wait_for(bind, "an executor", &mut cluster.children);
    }
    cluster
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The BACI sample as Parquet with BACI's own columns, and as canonical flows (a few rows naming customers).
fn parquet_files(dir: &Path) -> (PathBuf, PathBuf) {
    let baci = dir.join("baci.parquet");
    let canonical = dir.join("canonical.parquet");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ctx = SessionContext::new();
        let sample = repo().join("tests/data/baci-sample/ExampleTradeData.csv");
        ctx.register_csv("s", sample.to_str().unwrap(), CsvReadOptions::new()).await.unwrap();
        let one = || DataFrameWriteOptions::new().with_single_file_output(true);
        ctx.sql("SELECT t, i, j, CAST(k AS VARCHAR) AS k, v, q FROM s")
            .await
            .unwrap()
            .write_parquet(baci.to_str().unwrap(), one(), None)
            .await
            .unwrap();
        ctx.sql(
            "SELECT CAST(t AS VARCHAR) AS period, 'US' AS exporter, CASE j WHEN 156 THEN 'CN' WHEN 484 THEN 'MX' \
             WHEN 458 THEN 'MY' WHEN 276 THEN 'DE' ELSE 'area:Other' END AS importer, CAST(k AS VARCHAR) AS product, \
             v * 1000.0 AS value_usd, CASE WHEN j = 484 THEN 'Buyer ' || CAST(i % 7 AS VARCHAR) END AS customer FROM s",
        )
        .await
        .unwrap()
        .write_parquet(canonical.to_str().unwrap(), one(), None)
        .await
        .unwrap();
    });
    (baci, canonical)
}

fn exposure(args: &[&str]) -> String {
    let out = tiergate_stdin(None, args, "");
    assert!(
        out.status.success(),
        "tiergate {}: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_loopback_ballista_cluster_answers_as_the_embedded_engine() {
    let dir = std::env::temp_dir().join(format!("tiergate-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (baci, canonical) = parquet_files(&dir);
    let cluster = start(&dir);
    let url = format!("df://{}", cluster.scheduler);
    let mut compared = 0;
    for file in [&baci, &canonical] {
        let file = file.to_str().unwrap();
        for (by, format) in [
            ("period,tier", "jsonl"),
            ("period,tier,country", "csv"),
            ("product,tier", "jsonl"),
            ("period,tier", "json"),
        ] {
            let args = ["exposure", file, "--date", "2026-06-01", "--by", by, "--format", format];
            let embedded = exposure(&args);
            let distributed = exposure(&[&args[..], &["--cluster", &url]].concat());
            assert!(embedded.lines().count() >= 3, "{by} {format}: {embedded}");
            assert_eq!(distributed, embedded, "{file} by {by} as {format}: the cluster differs");
            compared += 1;
        }
    }
    assert_eq!(compared, 8);
    // Screening: the distinct names and the evidence of the flagged ones are queries too (the flagged names travel
    // in the plan as the `parties` table); a party registered as headquartered in China is flagged alike.
    let db = format!("sqlite://{}", dir.join("ledger.db").display());
    let out = tiergate_stdin(Some(&db), &["parties", "add", "Buyer 3", "--headquarters", "CN"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = canonical.to_str().unwrap();
    let args = ["--db", &db, "exposure", file, "--date", "2026-06-01", "--format", "json"];
    let embedded = exposure(&args);
    assert_eq!(exposure(&[&args[..], &["--cluster", &url]].concat()), embedded, "screening: the cluster differs");
    let doc: serde_json::Value = serde_json::from_str(&embedded).unwrap();
    let flagged = &doc["screening"]["flagged"];
    assert_eq!(
        (flagged[0]["name"].as_str(), flagged.as_array().map(Vec::len)),
        (Some("Buyer 3"), Some(1)),
        "{flagged}"
    );
    assert_eq!(flagged[0]["evidence"].as_array().map(Vec::len), Some(10), "{flagged}");
    // The cluster refuses what its executors cannot read, and says so.
    let csv = repo().join("tests/data/baci-sample/ExampleTradeData.csv");
    let out = tiergate_stdin(None, &["exposure", csv.to_str().unwrap(), "--cluster", &url], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Parquet"), "{}", String::from_utf8_lossy(&out.stderr));
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scheduler_url_is_checked_before_anything_runs() {
    let file = repo().join("examples/taiwan-8542-flows.csv");
    for (url, says) in [("127.0.0.1:50050", "df://HOST:PORT"), ("df://127.0.0.1", "no port"), ("df://h:0", "port 0")] {
        let out = tiergate_stdin(None, &["exposure", file.to_str().unwrap(), "--cluster", url], "");
        assert_eq!(out.status.code(), Some(2), "{url}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--cluster") && err.contains(says), "{url}: {err}");
    }
}
