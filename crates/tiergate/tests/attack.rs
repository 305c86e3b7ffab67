//! The adversarial review's findings, replayed against the real `tiergate serve` on loopback: made-up methods,
//! slow headers and bodies, idle sockets beyond the connection limit, long names in parallel, oversized request
//! heads, a busy database, and SIGTERM with clients connected. The server must stay healthy (`/healthz` p99 under
//! 50 ms while it is attacked) and every limit must hold on time. Each test is bounded to seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::Server;
use serde_json::{json, Value};
use tiergate_store::testing::fresh_urls;

/// One attack at a time: each measures the server's health, which attacks running beside it on a small machine
/// would distort.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sqlite(test: &str) -> String {
    fresh_urls(test).into_iter().next().unwrap().1
}

fn addr(server: &Server) -> String {
    server.url.trim_start_matches("http://").to_owned()
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Open file descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// Latencies of `/healthz` polled every 5 ms until `stop`, in milliseconds.
fn poll_health(url: &str, stop: &AtomicBool) -> Vec<f64> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
    let mut out = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let r = agent.get(&format!("{url}/healthz")).call();
        assert!(r.is_ok(), "/healthz failed under attack: {r:?}");
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_millis(5));
    }
    out
}

fn p99(mut ms: Vec<f64>) -> f64 {
    assert!(ms.len() >= 20, "too few samples: {}", ms.len());
    ms.sort_by(f64::total_cmp);
    ms[(ms.len() * 99).div_ceil(100) - 1]
}

/// Runs `attack` while `/healthz` is polled; the health latencies' p99.
fn health_during(url: &str, attack: impl FnOnce() + Send) -> f64 {
    let stop = AtomicBool::new(false);
    let latencies = std::thread::scope(|s| {
        let poller = s.spawn(|| poll_health(url, &stop));
        attack();
        stop.store(true, Ordering::Relaxed);
        poller.join().unwrap()
    });
    p99(latencies)
}

/// A response read to its end (the server closes or the body is complete): status and body.
fn raw(addr: &str, request: &[u8]) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// How long until the server closes a connection that sent `prefix` and then nothing.
fn closed_after(addr: &str, prefix: &[u8]) -> (Duration, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let t = Instant::now();
    s.write_all(prefix).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    (t.elapsed(), String::from_utf8_lossy(&buf).into_owned())
}

#[test]
fn made_up_methods_leave_metrics_and_memory_flat() {
    let _serial = one_at_a_time();
    let server = Server::start(&sqlite("attack-methods"));
    let admin = server.admin.clone().unwrap();
    let metrics = || {
        ureq::get(&format!("{}/metrics", server.url))
            .set("Authorization", &format!("Bearer {admin}"))
            .call()
            .unwrap()
            .into_string()
            .unwrap()
            .len()
    };
    // Warm up, so that allocations made once are not counted as growth.
    let flood = |n: usize| {
        std::thread::scope(|s| {
            for t in 0..2 {
                let url = server.url.clone();
                s.spawn(move || {
                    let agent = ureq::AgentBuilder::new().build();
                    for i in 0..n {
                        let r = agent.request(&format!("M{t}X{i}"), &format!("{url}/v1/countries/MY")).call();
                        assert!(matches!(r, Err(ureq::Error::Status(401 | 405, _))), "{r:?}");
                    }
                });
            }
        });
    };
    flood(500);
    let (size, rss) = (metrics(), rss_kib(server.child.id()));
    let p99 = health_during(&server.url, || flood(10_000));
    let (size_after, rss_after) = (metrics(), rss_kib(server.child.id()));
    assert!(size_after < size + 4096, "/metrics grew from {size} to {size_after} bytes with 20,000 made-up methods");
    assert!(rss_after < rss + 20 * 1024, "memory grew from {rss} KiB to {rss_after} KiB");
    eprintln!("/healthz p99 under made-up methods: {p99:.1} ms");
    assert!(p99 < 50.0, "/healthz p99 {p99:.1} ms under a flood of made-up methods");
}

#[test]
fn slow_and_idle_clients_are_disconnected_on_time() {
    let _serial = one_at_a_time();
    let server = Server::start_with(&sqlite("attack-slow"), &["--header-timeout", "1", "--body-timeout", "1"], &[]);
    let addr = addr(&server);
    // A body never sent by a client without a token: refused at once, nothing waited for or buffered.
    let t = Instant::now();
    let (status, _, _) = raw(&addr, b"POST /v1/determinations HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n{");
    assert_eq!(status, 401);
    assert!(t.elapsed() < Duration::from_millis(900), "{:?}", t.elapsed());
    // Half-sent headers: closed at the header timeout.
    let (took, _) = closed_after(&addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(3000), "half-sent headers: {took:?}");
    // An idle connection, new or kept alive after a response: closed at the header timeout too.
    let (took, _) = closed_after(&addr, b"");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(3000), "idle connection: {took:?}");
    let (took, answer) = closed_after(&addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(3000),
        "kept alive, then idle: {took:?}"
    );
    // A slow body: 408 with a problem body at the body timeout.
    let t = Instant::now();
    let token = server.admin.clone().unwrap();
    let request = format!(
        "POST /v1/determinations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\":"
    );
    let (status, head, body) = raw(&addr, request.as_bytes());
    assert_eq!(status, 408, "{head}\n{body}");
    assert!(head.contains("application/problem+json"), "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "body_timeout");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn idle_sockets_beyond_the_limit_wait_and_do_not_exhaust_the_server() {
    let _serial = one_at_a_time();
    let server = Server::start_with(&sqlite("attack-idle"), &["--max-connections", "50", "--header-timeout", "1"], &[]);
    let addr = addr(&server);
    let before = open_fds(server.child.id());
    let idle: Vec<TcpStream> = (0..300).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let held = open_fds(server.child.id());
    assert!(
        held <= before + 50 + 2,
        "the server holds {held} descriptors ({before} before): more than its limit of 50"
    );
    // The backlog drains as the idle ones time out; a real client then gets through.
    let t = Instant::now();
    let r = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build()
        .get(&format!("{}/healthz", server.url))
        .call();
    assert!(r.is_ok(), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    drop(idle);
    std::thread::sleep(Duration::from_millis(1500));
    let p99 = health_during(&server.url, || std::thread::sleep(Duration::from_millis(500)));
    assert!(p99 < 50.0, "/healthz p99 {p99:.1} ms after the idle sockets left");
}

#[test]
fn long_names_in_parallel_are_refused_quickly_and_keep_health() {
    let _serial = one_at_a_time();
    let server = Server::start(&sqlite("attack-names"));
    let admin = server.admin.clone().unwrap();
    let long = "A".repeat(3_900_000);
    let order = json!({"id": "x", "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 1, "destination": "MY",
        "consignee": {"name": long, "headquarters": "MY"}})
    .to_string();
    let p99 = health_during(&server.url, || {
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    // For a second at least, so that health is sampled throughout.
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_secs(1) {
                        let r = ureq::post(&format!("{}/v1/determinations", server.url))
                            .set("Authorization", &format!("Bearer {admin}"))
                            .set("Content-Type", "application/json")
                            .send_string(&order);
                        let Err(ureq::Error::Status(422, r)) = r else { panic!("{r:?}") };
                        assert_eq!(r.into_json::<Value>().unwrap()["field"], "consignee.name");
                    }
                });
            }
        });
    });
    eprintln!("/healthz p99 while long names arrive: {p99:.1} ms");
    assert!(p99 < 50.0, "/healthz p99 {p99:.1} ms while long names arrive");
    // A name to screen holds at most 1,000 bytes (tiergate_wire::names::MAX_NAME_BYTES).
    let screen = ureq::get(&format!("{}/v1/screen?name={}", server.url, "B".repeat(1001)))
        .set("Authorization", &format!("Bearer {admin}"))
        .call();
    assert!(matches!(screen, Err(ureq::Error::Status(422, _))), "{screen:?}");
}

#[test]
fn oversized_request_heads_get_problem_bodies() {
    let _serial = one_at_a_time();
    let server = Server::start(&sqlite("attack-heads"));
    let addr = addr(&server);
    let long_uri =
        format!("GET /v1/countries?x={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "a".repeat(10_000));
    let (status, head, body) = raw(&addr, long_uri.as_bytes());
    assert_eq!(status, 414, "{head}");
    assert!(head.contains("application/problem+json"), "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "uri_too_long");
    let big_headers =
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n", "b".repeat(40_000));
    let (status, head, body) = raw(&addr, big_headers.as_bytes());
    assert_eq!(status, 431, "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "headers_too_large");
    // What hyper itself refuses (no router involved) gets a problem body too.
    for request in [
        b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n".to_vec(),
        b"G\x01T / HTTP/1.1\r\n\r\n".to_vec(),
        format!("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Huge: {}\r\n\r\n", "h".repeat(300_000))
            .into_bytes(),
    ] {
        let (status, head, body) = raw(&addr, &request);
        assert!(status == 400 || status == 431, "{head}");
        assert!(head.contains("application/problem+json"), "{head}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"].as_u64(), Some(u64::from(status)), "{body}");
    }
    let (status, head, body) = raw(&addr, b"BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 405, "{head}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], "method_not_allowed");
}

#[test]
fn a_busy_database_is_retryable_exit_3_and_http_503() {
    let _serial = one_at_a_time();
    let db = sqlite("attack-busy");
    let server = Server::start_with(&db, &[], &[("TIERGATE_SQLITE_BUSY_TIMEOUT", "0.2")]);
    let admin = server.admin.clone().unwrap();
    // Another process holds the write lock.
    let holder = rusqlite::Connection::open(db.trim_start_matches("sqlite://")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let body = json!({"pool": "country:SG", "tpp": 1, "key": "busy-1", "date": "2025-06-01"});
    let r = ureq::post(&format!("{}/v1/reservations", server.url))
        .set("Authorization", &format!("Bearer {admin}"))
        .send_json(body);
    let Err(ureq::Error::Status(503, r)) = r else { panic!("{r:?}") };
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.into_json::<Value>().unwrap()["code"], "busy");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiergate"))
        .args(["--db", &db, "ledger", "reserve", "--pool", "country:SG", "--tpp", "1", "--key", "busy-2"])
        .args(["--date", "2025-06-01"])
        .env("TIERGATE_SQLITE_BUSY_TIMEOUT", "0.2")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["error"]["code"], "busy");
    holder.execute_batch("ROLLBACK").unwrap();
    // Retried once the lock is free: it goes through.
    let r = ureq::post(&format!("{}/v1/reservations", server.url))
        .set("Authorization", &format!("Bearer {admin}"))
        .send_json(json!({"pool": "country:SG", "tpp": 1, "key": "busy-1", "date": "2025-06-01"}));
    assert_eq!(r.unwrap().status(), 201);
}

#[test]
fn sigterm_ends_the_server_within_its_bound_with_clients_connected() {
    let _serial = one_at_a_time();
    let server =
        Server::start_with(&sqlite("attack-term"), &["--shutdown-timeout", "2", "--header-timeout", "30"], &[]);
    let addr = addr(&server);
    let idle: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    // One client in the middle of sending a body, its request in flight.
    let mut slow = TcpStream::connect(&addr).unwrap();
    let token = server.admin.clone().unwrap();
    let request = format!(
        "POST /v1/determinations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n{{"
    );
    slow.write_all(request.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let code = server.stop();
    let took = t.elapsed();
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_millis(3500), "SIGTERM took {took:?} with clients connected (bound: 2 s)");
    drop((idle, slow));
}
