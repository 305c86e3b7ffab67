//! `tiergate ledger`: reserve, post, void, balance, list, audit, verify. Each prints JSON on standard output.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;
use tiergate_store::{Ledger, LedgerError, Meta, ReserveStatus};
use tiergate_wire::Env;
use time::{Date, OffsetDateTime};

use crate::cli::{LedgerArgs, LedgerCommand};

#[derive(Serialize)]
struct ErrorOut<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
}

fn print(v: &impl Serialize) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Prints a ledger error as JSON and gives its exit status: 2 for the caller's input, 1 for a refused move.
pub(crate) fn fail(e: &LedgerError) -> anyhow::Result<ExitCode> {
    print(&ErrorOut { error: ErrorBody { code: e.code(), message: e.to_string() } })?;
    eprintln!("tiergate: {e}");
    Ok(ExitCode::from(exit_status(e)))
}

/// The exit status of a ledger error: 3 when the database was busy and a retry may succeed, 2 for the
/// caller's input or an unusable database, 1 for a refused movement.
pub(crate) fn exit_status(e: &LedgerError) -> u8 {
    if matches!(e, LedgerError::Busy(_)) {
        3
    } else if e.is_bad_input() || matches!(e, LedgerError::Database(_)) {
        2
    } else {
        1
    }
}

/// Today's date in UTC: the default date of a ledger operation.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

pub fn parse_date_arg(s: &str) -> Result<Date, String> {
    tiergate_store::parse_date(s).ok_or_else(|| format!("`{s}` is not a date in the form YYYY-MM-DD"))
}

/// Who is acting: `--actor`, else the login name, else `cli`.
pub fn actor(given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cli".to_owned())
}

pub fn run(env: &Env, db: &str, args: &LedgerArgs) -> anyhow::Result<ExitCode> {
    let mut ledger = match Ledger::open(db, Arc::clone(&env.pack)) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let meta = |reason: Option<&str>| Meta {
        actor: actor(args.actor.as_deref()),
        reason: reason.map(str::to_owned),
        at: OffsetDateTime::now_utc(),
    };
    match &args.command {
        LedgerCommand::Reserve { pool, tpp, key, date, expires, reason } => {
            let date = date.unwrap_or_else(today);
            match ledger.reserve(pool, *tpp, key, date, *expires, &meta(reason.as_deref())) {
                Ok(outcome) => {
                    print(&outcome)?;
                    Ok(if outcome.status == ReserveStatus::Rejected { ExitCode::from(1) } else { ExitCode::SUCCESS })
                }
                Err(e) => fail(&e),
            }
        }
        LedgerCommand::Post { id, date, reason } | LedgerCommand::Void { id, date, reason } => {
            let date = date.unwrap_or_else(today);
            let m = meta(reason.as_deref());
            let result = if matches!(args.command, LedgerCommand::Post { .. }) {
                ledger.post(id, date, &m)
            } else {
                ledger.void(id, date, &m)
            };
            match result {
                Ok(r) => {
                    print(&r)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            }
        }
        LedgerCommand::Balance { pool, date } => match ledger.balance(pool, date.unwrap_or_else(today)) {
            Ok(b) => {
                print(&b)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => fail(&e),
        },
        LedgerCommand::List { pool } => match ledger.list(pool) {
            Ok(list) => {
                for r in &list {
                    print(r)?;
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => fail(&e),
        },
        LedgerCommand::Audit { after, limit, pool } => {
            let entries = match pool {
                Some(p) => ledger.audit_about(p, *after, *limit),
                None => ledger.audit(*after, *limit),
            };
            match entries {
                Ok(entries) => {
                    for e in &entries {
                        print(e)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            }
        }
        LedgerCommand::Checkpoint => match ledger.checkpoint() {
            Ok(cp) => {
                print(&serde_json::json!({"entries": cp.entries, "hash": cp.hash, "checkpoint": cp.text()}))?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => fail(&e),
        },
        LedgerCommand::Verify { checkpoint } => match checkpoint
            .as_deref()
            .map(tiergate_store::Checkpoint::parse)
            .transpose()
            .and_then(|cp| ledger.verify_against(cp.as_ref()))
        {
            Ok(report) => {
                print(&report)?;
                if !report.ok {
                    eprintln!("tiergate: the ledger does not verify: {} problem(s)", report.problems.len());
                }
                Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
            }
            Err(e) => fail(&e),
        },
    }
}

pub fn token(env: &Env, db: &str, cmd: &crate::cli::TokenCommand) -> anyhow::Result<ExitCode> {
    use crate::cli::TokenCommand;
    let mut ledger = match Ledger::open(db, Arc::clone(&env.pack)) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let meta = Meta { actor: actor(None), reason: None, at: OffsetDateTime::now_utc() };
    let result = match cmd {
        TokenCommand::Create { name, role } => {
            let role = tiergate_store::Role::parse(role).ok_or_else(|| anyhow::anyhow!("unknown role `{role}`"))?;
            ledger
                .create_token(name, role, &meta)
                .map(|token| print(&serde_json::json!({"name": name, "role": role, "token": token})))
        }
        TokenCommand::List => ledger.list_tokens().map(|tokens| tokens.iter().try_for_each(print)),
        TokenCommand::Revoke { name } => {
            ledger.revoke_token(name, &meta).map(|()| print(&serde_json::json!({"name": name, "revoked": true})))
        }
    };
    match result {
        Ok(printed) => printed.map(|()| ExitCode::SUCCESS),
        Err(e) => fail(&e),
    }
}
