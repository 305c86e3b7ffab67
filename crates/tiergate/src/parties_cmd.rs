//! `tiergate parties add|list|show|alias|merge|owner|set`: the party registry.

use std::process::ExitCode;

use tiergate_core::registry::{Change, Holding};
use tiergate_store::{LedgerError, Meta};
use tiergate_wire::registry::parse_share;
use tiergate_wire::Env;
use time::OffsetDateTime;

use crate::cli::PartiesCommand;
use crate::ledger_cmd::{actor, fail};
use crate::screen_cmd::{open, print_line};

pub fn run(env: &Env, db: &str, command: &PartiesCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    let meta =
        |who: &Option<String>| Meta { actor: actor(who.as_deref()), reason: None, at: OffsetDateTime::now_utc() };
    let (change, who) = match command {
        PartiesCommand::List => {
            return match tiergate_server::registry::list(&mut ledger) {
                Ok(parties) => {
                    for p in &parties {
                        print_line(&mut out, p)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            };
        }
        PartiesCommand::Show { name } => {
            return match tiergate_server::registry::show(&mut ledger, name) {
                Ok(p) => {
                    print_line(&mut out, &p)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            };
        }
        PartiesCommand::Add { name, aliases, ultimate_parent, headquarters, owners, actor } => {
            let headquarters = match headquarters.as_deref().map(|h| country(env, "--headquarters", h)).transpose() {
                Ok(h) => h,
                Err(e) => return fail(&e),
            };
            let mut holdings = Vec::with_capacity(owners.len());
            for o in owners {
                let Some((owner, percent)) = o.rsplit_once('=') else {
                    return fail(&LedgerError::BadInput(format!(
                        "--owner `{o}` is not NAME=PERCENT (e.g. \"Acme Holdings=30\")"
                    )));
                };
                match parse_share("--owner", percent) {
                    Ok(share) => holdings.push(Holding { owner: owner.to_owned(), share }),
                    Err(e) => return fail(&LedgerError::BadInput(format!("--owner: {}", e.message))),
                }
            }
            let change = Change::Add {
                name: name.clone(),
                aliases: aliases.clone(),
                ultimate_parent: ultimate_parent.clone(),
                headquarters,
                owners: holdings,
            };
            (change, actor)
        }
        PartiesCommand::Alias { name, aliases, actor } => {
            (Change::Alias { party: name.clone(), aliases: aliases.clone() }, actor)
        }
        PartiesCommand::Merge { from, into, actor } => {
            (Change::Merge { from: from.clone(), into: into.clone() }, actor)
        }
        PartiesCommand::Owner { name, owner, percent, actor } => match parse_share("percent", percent) {
            Ok(share) => (Change::Owner { party: name.clone(), owner: owner.clone(), share }, actor),
            Err(e) => return fail(&LedgerError::BadInput(format!("PERCENT: {}", e.message))),
        },
        PartiesCommand::Set { name, ultimate_parent, no_ultimate_parent, headquarters, no_headquarters, actor } => {
            let headquarters = match (headquarters, no_headquarters) {
                (Some(h), _) => match country(env, "--headquarters", h) {
                    Ok(c) => Some(Some(c)),
                    Err(e) => return fail(&e),
                },
                (None, true) => Some(None),
                (None, false) => None,
            };
            let ultimate_parent = match (ultimate_parent, no_ultimate_parent) {
                (Some(p), _) => Some(Some(p.clone())),
                (None, true) => Some(None),
                (None, false) => None,
            };
            (Change::Set { party: name.clone(), ultimate_parent, headquarters }, actor)
        }
    };
    match tiergate_server::registry::change(&mut ledger, &change, &meta(who)) {
        Ok(done) => {
            print_line(&mut out, &done)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => fail(&e),
    }
}

fn country(env: &Env, flag: &str, text: &str) -> Result<tiergate_core::Country, LedgerError> {
    env.countries.resolve(text).ok_or_else(|| LedgerError::BadInput(format!("{flag}: {}", env.countries.unknown(text))))
}
