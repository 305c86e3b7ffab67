//! `tiergate cluster scheduler|executor`: this binary in the roles of an Apache Ballista cluster (tiergate-cluster).

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_cluster::{run_executor, run_scheduler, ExecutorOptions, SchedulerUrl};

use crate::cli::ClusterCommand;

pub fn run(command: &ClusterCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Ballista plans deep expression trees recursively; its own binaries give their threads this much stack.
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .context("cannot start the runtime")?;
    match command {
        ClusterCommand::Scheduler { bind, advertise } => {
            let bind = address("--bind", bind)?;
            eprintln!("tiergate: cluster scheduler on {bind} (clients: --cluster df://{bind})");
            runtime.block_on(run_scheduler(bind, advertise.clone()))?;
        }
        ClusterCommand::Executor { scheduler, bind, advertise, cores, work_dir } => {
            let scheduler = SchedulerUrl::parse("--scheduler", scheduler, false)?;
            let bind = address("--bind", bind)?;
            if *cores == Some(0) {
                anyhow::bail!("--cores: give at least 1 task slot");
            }
            eprintln!("tiergate: cluster executor on {bind}, pulling tasks from {}:{}", scheduler.host, scheduler.port);
            let opts = ExecutorOptions {
                scheduler,
                bind,
                advertise: advertise.clone(),
                cores: *cores,
                work_dir: work_dir.clone(),
            };
            runtime.block_on(run_executor(opts))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// HOST:PORT, the host a name or an address.
fn address(flag: &str, text: &str) -> anyhow::Result<SocketAddr> {
    text.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .filter(|a| a.port() != 0)
        .ok_or_else(|| anyhow::anyhow!("{flag}: `{text}` is not an address HOST:PORT"))
}
