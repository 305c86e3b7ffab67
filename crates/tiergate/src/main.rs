//! The `tiergate` command.

mod cli;
mod cluster_cmd;
mod determinations_cmd;
mod determine_cmd;
mod exposure_cmd;
mod fleet_cmd;
mod info_cmd;
mod kyc_cmd;
mod ledger_cmd;
mod parties_cmd;
mod pdf;
mod regimes_cmd;
mod scenario_cmd;
mod screen_cmd;
mod serve_cmd;
mod veu_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tiergate: {e:#}");
            // A busy database is worth retrying: say so with its own status.
            let busy = e.chain().any(|c| matches!(c.downcast_ref(), Some(tiergate_store::LedgerError::Busy(_))));
            ExitCode::from(if busy { 3 } else { 2 })
        }
    }
}

/// `tiergate determine big.jsonl | head` closes the pipe early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
