//! Test support (feature `testing`): fresh databases on each backend. PostgreSQL tests use a real server at
//! `TIERGATE_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a database of its
//! own. When `CI` is set and no server answers, they fail rather than skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);
static CLEANED: std::sync::Once = std::sync::Once::new();

pub fn admin_url() -> String {
    std::env::var("TIERGATE_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Drops test databases (`tg_<test>_<pid>_<n>`) left by test processes that are no longer running.
fn drop_stale_databases(c: &mut postgres::Client) {
    let names: Vec<String> = c
        .query("SELECT datname FROM pg_database WHERE datname LIKE 'tg\\_%'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for name in names {
        // Test names hold no all-digit part, so the first one is the process id.
        if let Some(pid) = name.split('_').find_map(|p| p.parse::<u32>().ok()) {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
            }
        }
    }
}

/// A URL of a new, empty database on each available backend, named for the test.
pub fn fresh_urls(test: &str) -> Vec<(&'static str, String)> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("tiergate-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{test}-{n}.db"));
    let mut urls = vec![("sqlite", format!("sqlite://{}", file.display()))];
    if let Some(url) = fresh_postgres(&format!("tg_{}_{}_{n}", test.replace('-', "_"), std::process::id())) {
        urls.push(("postgres", url));
    }
    urls
}

/// Creates database `name` and returns its URL; `None` when no server answers and `CI` is unset.
pub fn fresh_postgres(name: &str) -> Option<String> {
    let admin = admin_url();
    match postgres::Client::connect(&admin, postgres::NoTls) {
        Ok(mut c) => {
            CLEANED.call_once(|| drop_stale_databases(&mut c));
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
            c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
            Some(format!("{base}/{name}"))
        }
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI is set but PostgreSQL at {admin} is not reachable: {e}")
        }
        Err(e) => {
            eprintln!("skipping PostgreSQL: {admin} is not reachable ({e}); set CI to make this fail");
            None
        }
    }
}
