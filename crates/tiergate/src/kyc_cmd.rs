//! `tiergate kyc check`: IaaS customers, one answer per JSON line.

use std::io::{self, BufReader, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_wire::kyc::check_line;
use tiergate_wire::Env;

use crate::cli::KycCommand;
use crate::determine_cmd::open_with_progress;
use crate::ledger_cmd::today;

pub fn run(env: &Env, db: Option<&str>, command: &KycCommand) -> anyhow::Result<ExitCode> {
    let KycCommand::Check { input, date, progress } = command;
    let lists = match db {
        None => None,
        Some(url) => {
            let mut ledger = crate::screen_cmd::open(env, url)?;
            tiergate_server::lists::load(&mut ledger).context("cannot load the restricted-party lists")?.0
        }
    };
    let date = date.unwrap_or_else(today);
    let path = input.as_deref().filter(|p| p.as_os_str() != "-");
    let (reader, bar) = open_with_progress(path, *progress)?;
    let mut out = io::stdout().lock();
    let (mut buf, mut all_ok) = (Vec::new(), true);
    let read = |e: io::Error| anyhow::Error::new(e).context("cannot read the input");
    tiergate_wire::each_line(BufReader::new(reader), read, |n, line| {
        buf.clear();
        all_ok &= check_line(env, lists.as_ref(), date, line.trim(), n, &mut buf);
        Ok(out.write_all(&buf)?)
    })?;
    bar.finish_and_clear();
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
