//! `tiergate fleet check|plan`: a Universal VEU's fleet against the 25 % / 7 % / 50 % limits.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_core::fleet::{check, plan};
use tiergate_core::{Country, Tpp};
use tiergate_wire::fleet::{read_fleet, FleetCheckOut, FleetPlanOut};
use tiergate_wire::Env;

use crate::cli::FleetCommand;
use crate::determine_cmd::open_input;
use crate::ledger_cmd::today;

pub fn run(env: &Env, command: &FleetCommand) -> anyhow::Result<ExitCode> {
    let (FleetCommand::Check { fleet, .. } | FleetCommand::Plan { fleet, .. }) = command;
    let date = fleet.date.unwrap_or_else(today);
    let hq = country(env, &fleet.headquarters, "--headquarters")?;
    let (input, _) = open_input(Some(fleet.path.as_path()).filter(|p| p.as_os_str() != "-"))?;
    let sites = read_fleet(env, input).with_context(|| format!("fleet file `{}`", fleet.path.display()))?;
    let mut out = std::io::stdout().lock();
    match command {
        FleetCommand::Check { country: also, .. } => {
            let also = also.iter().map(|c| country(env, c, "--country")).collect::<anyhow::Result<Vec<_>>>()?;
            let report = check(&env.pack, &sites, hq, date, &also)?;
            serde_json::to_writer(&mut out, &FleetCheckOut::new(&env.pack, &report))?;
            writeln!(out)?;
            Ok(if report.violations.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        FleetCommand::Plan { add, .. } => {
            let additions = add.iter().map(|a| addition(env, a)).collect::<anyhow::Result<Vec<_>>>()?;
            let p = plan(&env.pack, &sites, hq, date, &additions)?;
            serde_json::to_writer(&mut out, &FleetPlanOut::new(&env.pack, &p))?;
            writeln!(out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn country(env: &Env, text: &str, flag: &str) -> anyhow::Result<Country> {
    env.countries.resolve(text).with_context(|| format!("{flag} {}", env.countries.unknown(text)))
}

/// `MY:50000000`: a country and the TPP to add there.
fn addition(env: &Env, text: &str) -> anyhow::Result<(Country, Tpp)> {
    let (code, amount) =
        text.split_once(':').with_context(|| format!("--add `{text}` is not COUNTRY:TPP (for example MY:50000000)"))?;
    let tpp = amount
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t > 0.0)
        .and_then(Tpp::from_decimal)
        .with_context(|| format!("--add `{text}`: `{amount}` is not a TPP greater than 0"))?;
    Ok((country(env, code.trim(), "--add")?, tpp))
}
