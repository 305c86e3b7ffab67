//! `tiergate determinations show|list|memo`: recorded determinations, kept whole, and the memo filed for one.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_server::memo_api::{render, MemoFormat};

use tiergate_store::{date_text, DeterminationFilter, LedgerError, Meta};
use tiergate_wire::Env;
use time::OffsetDateTime;

use crate::cli::{DeterminationsCommand, MemoFormatArg};
use crate::ledger_cmd::{actor, fail};
use crate::screen_cmd::{open, print_line};

pub fn run(env: &Env, db: &str, command: &DeterminationsCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    match command {
        DeterminationsCommand::Status { id, status, note, actor: who } => {
            let to = tiergate_core::case::CaseStatus::parse(status)
                .ok_or_else(|| anyhow::anyhow!("`{status}` is not a case status"))?;
            let meta = Meta { actor: actor(who.as_deref()), reason: None, at: OffsetDateTime::now_utc() };
            match ledger.set_case_status(id, to, note.as_deref(), &meta).and_then(|()| ledger.case(id)) {
                Ok(Some(c)) => {
                    print_line(&mut out, &c)?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => fail(&e),
            }
        }
        DeterminationsCommand::Note { id, text, actor: who } => {
            let meta = Meta { actor: actor(who.as_deref()), reason: None, at: OffsetDateTime::now_utc() };
            match ledger.add_case_note(id, text, &meta).and_then(|()| ledger.case(id)) {
                Ok(Some(c)) => {
                    print_line(&mut out, &c)?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => fail(&e),
            }
        }
        DeterminationsCommand::Show { id } => match ledger.case(id) {
            Ok(Some(d)) => {
                print_line(&mut out, &d)?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
            Err(e) => fail(&e),
        },
        DeterminationsCommand::Memo { id, format, out: path } => {
            let html = match format {
                MemoFormatArg::Md => MemoFormat::Markdown,
                MemoFormatArg::Html | MemoFormatArg::Pdf => MemoFormat::Html,
            };
            let text = match render(&mut ledger, id, html) {
                Ok(Some(t)) => t,
                Ok(None) => return fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => return fail(&e),
            };
            let bytes = match format {
                MemoFormatArg::Pdf => crate::pdf::print(&text, "memo")?,
                MemoFormatArg::Md | MemoFormatArg::Html => text.into_bytes(),
            };
            match path {
                Some(p) => std::fs::write(p, &bytes).with_context(|| format!("cannot write `{}`", p.display()))?,
                None => {
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeterminationsCommand::List {
            destination,
            authorization,
            item,
            from,
            to,
            status,
            id_prefix,
            party,
            after,
            limit,
        } => {
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
                status: status.clone(),
                id_prefix: id_prefix.clone(),
                party: party.clone(),
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
