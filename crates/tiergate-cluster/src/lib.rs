//! Tiergate on an Apache Ballista cluster (docs/EXPOSURE.md, "Running on a cluster"): the scheduler and executor
//! roles the `tiergate` binary takes (`tiergate cluster scheduler|executor`), and the DataFusion session through
//! which `tiergate exposure --cluster df://HOST:PORT` sends its queries to a scheduler. In a crate of its own so
//! that nothing else in the workspace builds Ballista.
//!
//! Tasks are pulled: each executor asks the scheduler for work when it has a free core, so the scheduler never
//! needs to reach an executor; clients and executors fetch results from executors' Arrow Flight addresses.
//!
//! **Invariant:** a query's tables travel inside its plan — Parquet as a path or object-store URL every executor
//! can read, small tables (the tiers) as literal rows — so executors need no state of Tiergate's own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista::prelude::SessionContextExt;
use ballista_core::config::TaskSchedulingPolicy;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::prelude::SessionContext;

/// Why a cluster role could not start or a cluster could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// An address or option given on the command line.
    #[error("{0}")]
    Input(String),
    #[error("ballista: {0}")]
    Ballista(String),
}

/// A scheduler's address as clients write it: `df://HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerUrl {
    pub host: String,
    pub port: u16,
}

impl SchedulerUrl {
    /// Reads `df://HOST:PORT` (the scheme and the port are required; a bare `HOST:PORT` is accepted where `flag`
    /// takes an address rather than a URL).
    pub fn parse(flag: &str, text: &str, scheme_required: bool) -> Result<SchedulerUrl, ClusterError> {
        let bad = |why: &str| ClusterError::Input(format!("`{flag}`: `{text}` {why}"));
        let rest = match text.strip_prefix("df://") {
            Some(rest) => rest,
            None if scheme_required => return Err(bad("is not a scheduler URL `df://HOST:PORT`")),
            None => text,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = rest.rsplit_once(':').ok_or_else(|| bad("names no port (`df://HOST:PORT`)"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || host.contains(['/', '@', '?', '#']) || host.chars().any(char::is_whitespace) {
            return Err(bad("names no host"));
        }
        let port: u16 = port.parse().map_err(|_| bad("has a port that is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(bad("has port 0"));
        }
        Ok(SchedulerUrl { host: host.to_owned(), port })
    }

    /// As Ballista's client takes it.
    fn url(&self) -> String {
        if self.host.contains(':') {
            format!("df://[{}]:{}", self.host, self.port)
        } else {
            format!("df://{}:{}", self.host, self.port)
        }
    }
}

/// Runs a scheduler on `bind` until the process is stopped. `advertise` is the host executors and clients are
/// told to use for it (default: the bound address).
pub async fn run_scheduler(bind: SocketAddr, advertise: Option<String>) -> Result<(), ClusterError> {
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: advertise.unwrap_or_else(|| bind.ip().to_string()),
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(ballista)?;
    start_server(cluster, bind, Arc::new(config)).await.map_err(ballista)
}

/// What an executor needs to join a cluster.
#[derive(Clone, Debug)]
pub struct ExecutorOptions {
    pub scheduler: SchedulerUrl,
    /// Where its Arrow Flight service listens (results and shuffle data are fetched from it).
    pub bind: SocketAddr,
    /// The host others reach it by (default: the bound address).
    pub advertise: Option<String>,
    /// Task slots (default: the machine's cores).
    pub cores: Option<usize>,
    /// Where shuffle files go (default: a directory under the system's temporary directory, made for it).
    pub work_dir: Option<PathBuf>,
}

/// Runs an executor until the process is stopped or the scheduler tells it to stop.
pub async fn run_executor(opts: ExecutorOptions) -> Result<(), ClusterError> {
    let work_dir = match opts.work_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("tiergate-executor-{}-{}", opts.bind.port(), std::process::id())),
    };
    std::fs::create_dir_all(&work_dir)
        .map_err(|e| ClusterError::Input(format!("`--work-dir`: cannot create {}: {e}", work_dir.display())))?;
    let work_dir = work_dir
        .to_str()
        .ok_or_else(|| ClusterError::Input(format!("`--work-dir`: {} is not UTF-8", work_dir.display())))?
        .to_owned();
    let defaults = ExecutorProcessConfig::default();
    let config = ExecutorProcessConfig {
        bind_host: opts.bind.ip().to_string(),
        external_host: opts.advertise.or_else(|| Some(opts.bind.ip().to_string())),
        port: opts.bind.port(),
        // Only a push-scheduled executor serves gRPC; pull-scheduled ones never open it.
        grpc_port: opts.bind.port().wrapping_add(1),
        scheduler_host: opts.scheduler.host,
        scheduler_port: opts.scheduler.port,
        scheduler_connect_timeout_seconds: 60,
        vcores: opts.cores.unwrap_or(0),
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: Some(work_dir),
        print_thread_info: false,
        ..defaults
    };
    start_executor_process(Arc::new(config)).await.map_err(ballista)
}

/// A DataFusion session whose queries run on the cluster behind `url` (`df://HOST:PORT`).
pub async fn connect(url: &SchedulerUrl) -> Result<SessionContext, ClusterError> {
    SessionContext::remote(&url.url()).await.map_err(ballista)
}

fn ballista(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Ballista(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_urls() {
        let ok = SchedulerUrl::parse("--cluster", "df://127.0.0.1:50050", true).ok();
        assert_eq!(ok, Some(SchedulerUrl { host: "127.0.0.1".into(), port: 50050 }));
        assert_eq!(SchedulerUrl::parse("--scheduler", "sched.example:7000", false).ok().map(|u| u.port), Some(7000));
        for bad in ["127.0.0.1:50050", "df://127.0.0.1", "df://:50050", "df://h:0", "df://h:99999", "df://h:x"] {
            let err = SchedulerUrl::parse("--cluster", bad, true).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with("`--cluster`"), "{bad}: {err}");
        }
    }
}
