//! `tiergate determinations show|list`: recorded determinations, kept whole.

use std::process::ExitCode;

use tiergate_store::{date_text, DeterminationFilter, LedgerError};
use tiergate_wire::Env;

use crate::cli::DeterminationsCommand;
use crate::ledger_cmd::fail;
use crate::screen_cmd::{open, print_line};

pub fn run(env: &Env, db: &str, command: &DeterminationsCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    match command {
        DeterminationsCommand::Show { id } => match ledger.determination(id) {
            Ok(Some(d)) => {
                print_line(&mut out, &d)?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
            Err(e) => fail(&e),
        },
        DeterminationsCommand::List { destination, authorization, item, from, to, after, limit } => {
            let destination = match destination {
                Some(d) => Some(
                    env.countries
                        .resolve(d)
                        .map(|c| env.countries.code(c).to_owned())
                        .ok_or_else(|| anyhow::anyhow!("`{d}` is not a country Tiergate knows (--destination)"))?,
                ),
                None => None,
            };
            let filter = DeterminationFilter {
                destination,
                authorization: authorization.clone(),
                item: item.clone(),
                from: from.map(date_text),
                to: to.map(date_text),
                after: *after,
                limit: *limit,
            };
            match ledger.determinations(&filter) {
                Ok(list) => {
                    for d in &list {
                        print_line(&mut out, d)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            }
        }
    }
}
