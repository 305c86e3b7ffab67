//! `tiergate kyc check`: IaaS customers, one answer per JSON line.

use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_wire::kyc::check_line;
use tiergate_wire::Env;

use crate::cli::{KycCommand, Progress};
use crate::determine_cmd::{open_input, progress_bar, CountingReader};
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
    let (reader, len) = open_input(path)?;
    let show = *progress == Progress::Auto && path.is_some() && io::stderr().is_terminal();
    let bar = progress_bar(show, len);
    let mut reader = BufReader::new(CountingReader { inner: reader, bar: bar.clone(), bytes: 0 });
    let mut out = io::stdout().lock();
    let (mut line, mut buf, mut n, mut all_ok) = (String::new(), Vec::new(), 0u64, true);
    loop {
        line.clear();
        if reader.read_line(&mut line).context("cannot read the input")? == 0 {
            break;
        }
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        buf.clear();
        all_ok &= check_line(env, lists.as_ref(), date, line.trim(), n, &mut buf);
        out.write_all(&buf)?;
    }
    bar.finish_and_clear();
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
