//! `tiergate veu add|list|show|log|report`: the VEU registry, facility logs and semi-annual reports.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use tiergate_core::veu::{eligibility, facility_problem, replay, report, Event, Period, Posted, Registration, VeuKind};
use tiergate_core::Country;
use tiergate_store::{Ledger, State, StoredVeu};
use tiergate_wire::veu::{
    check_id, read_log, report_csv, report_markdown, report_svg, EventBody, ReportOut, VeuBody, VeuOut,
};
use tiergate_wire::{Env, ReasonOut};

use crate::cli::{ReportFormat, VeuCommand, VeuKindArg};
use crate::determine_cmd::open_input;
use crate::ledger_cmd::{actor, today};
use crate::screen_cmd::{now, open, print_line};

#[derive(Serialize)]
struct AddOut<'a> {
    registered: bool,
    #[serde(flatten)]
    veu: VeuOut<'a>,
    reasons: Vec<ReasonOut<'a>>,
}

#[derive(Serialize)]
struct ShowOut<'a> {
    #[serde(flatten)]
    veu: VeuOut<'a>,
    events: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    nveu: Option<NveuOut>,
}

/// An NVEU's standing on a date, from the ledger's `nveu:ID` pool.
#[derive(Serialize)]
struct NveuOut {
    date: String,
    quarter: String,
    pool: String,
    cap_tpp: u64,
    installed_tpp: u64,
    posted_tpp: u64,
    pending_tpp: u64,
    headroom_tpp: u64,
}

#[derive(Serialize)]
struct LogOut<'a> {
    id: &'a str,
    added: usize,
    events: u64,
}

pub fn run(env: &Env, db: &str, command: &VeuCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    match command {
        VeuCommand::Add { kind, id, name, headquarters, parent_headquarters, country, date, actor: who } => {
            check_id(id).map_err(anyhow::Error::msg)?;
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "--name is empty");
            let reg = Registration {
                id: id.clone(),
                kind: match kind {
                    VeuKindArg::Uveu => VeuKind::Universal,
                    VeuKindArg::Nveu => VeuKind::National,
                },
                name: name.to_owned(),
                headquarters: resolve(env, headquarters, "--headquarters")?,
                ultimate_parent_headquarters: parent_headquarters
                    .as_deref()
                    .map(|c| resolve(env, c, "--parent-headquarters"))
                    .transpose()?,
                country: country.as_deref().map(|c| resolve(env, c, "--country")).transpose()?,
            };
            let date = date.unwrap_or_else(today);
            let e = eligibility(&env.pack, &reg, date);
            let body = VeuBody::new(&reg, &env.pack, date);
            let actor = actor(who.as_deref());
            if e.eligible {
                let stored = StoredVeu {
                    id: reg.id.clone(),
                    body: serde_json::to_string(&body)?,
                    actor: actor.clone(),
                    at: now(),
                };
                ledger.add_veu(&stored)?;
            }
            print_line(
                &mut out,
                &AddOut {
                    registered: e.eligible,
                    veu: VeuOut::new(&env.pack, &reg, &body, &actor),
                    reasons: e.reasons.iter().map(ReasonOut::from).collect(),
                },
            )?;
            if !e.eligible {
                eprintln!("tiergate: `{id}` is not eligible; nothing was registered");
            }
            Ok(if e.eligible { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        VeuCommand::List => {
            for v in ledger.veus()? {
                let body = VeuBody::parse(&v.body).map_err(anyhow::Error::msg)?;
                let reg = body.registration(&env.countries).map_err(anyhow::Error::msg)?;
                print_line(&mut out, &VeuOut::new(&env.pack, &reg, &body, &v.actor))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Show { id, date } => {
            let (stored, body, reg) = find(env, &mut ledger, id)?;
            let date = date.unwrap_or_else(today);
            let events = ledger.veu_events(id)?.len();
            let nveu = match reg.pool() {
                Some(pool) => {
                    let b = ledger.balance(&pool, date)?;
                    let quarter = env.pack.nveu.cap(date).map(|(q, _)| q.to_string()).unwrap_or_default();
                    Some(NveuOut {
                        date: tiergate_store::date_text(date),
                        quarter,
                        pool,
                        cap_tpp: b.cap_tpp,
                        installed_tpp: b.posted_tpp.saturating_add(b.pending_tpp),
                        posted_tpp: b.posted_tpp,
                        pending_tpp: b.pending_tpp,
                        headroom_tpp: b.available_tpp,
                    })
                }
                None => None,
            };
            print_line(&mut out, &ShowOut { veu: VeuOut::new(&env.pack, &reg, &body, &stored.actor), events, nveu })?;
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Log { id, path, actor: who } => {
            let (_, _, reg) = find(env, &mut ledger, id)?;
            let (input, _) = open_input(Some(path.as_path()).filter(|p| p.as_os_str() != "-"))?;
            let rows = read_log(env, input, |e| facility_problem(&env.pack, &reg, e))
                .with_context(|| format!("facility log `{}`", path.display()))?;
            let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
            let bodies = rows
                .iter()
                .map(|(_, e)| serde_json::to_string(&EventBody::new(e, &env.pack)))
                .collect::<Result<Vec<_>, _>>()?;
            let countries = &env.countries;
            // The store hands back the whole log, stored events first: only those are read back; the new ones are
            // the events just read.
            let check = |log: &[String]| -> Result<(), String> {
                let stored = log.len().saturating_sub(bodies.len());
                let mut events = log
                    .iter()
                    .take(stored)
                    .map(|b| EventBody::event(b, countries))
                    .collect::<Result<Vec<Event>, _>>()?;
                events.extend(rows.iter().map(|(_, e)| e.clone()));
                replay(&events, None).map(|_| ()).map_err(|e| match e.index.checked_sub(stored) {
                    Some(new) => format!("line {}: {}", lines.get(new).copied().unwrap_or_default(), e.problem),
                    None => format!("the stored log: {}", e.problem),
                })
            };
            let total = ledger
                .log_veu_events(id, &bodies, &actor(who.as_deref()), &now(), &check)
                .with_context(|| format!("facility log `{}`: nothing was logged", path.display()))?;
            print_line(&mut out, &LogOut { id, added: bodies.len(), events: total })?;
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Report { id, period, format, out: dir } => {
            let period = Period::parse(period)
                .with_context(|| format!("--period `{period}` is not a half-year such as 2025H1 or 2025H2"))?;
            let (stored, body, reg) = find(env, &mut ledger, id)?;
            let events = ledger
                .veu_events(id)?
                .iter()
                .map(|b| EventBody::event(b, &env.countries))
                .collect::<Result<Vec<_>, _>>()
                .map_err(anyhow::Error::msg)?;
            let posted: Vec<Posted> = match reg.pool() {
                Some(pool) => ledger
                    .list(&pool)?
                    .into_iter()
                    .filter(|r| r.state == State::Posted)
                    .map(|r| Posted { id: r.id, tpp: r.tpp, date: r.date })
                    .collect(),
                None => Vec::new(),
            };
            let r = report(&env.pack, &reg, period, &events, &posted).map_err(anyhow::Error::msg)?;
            let o = ReportOut::new(env, &r, &body, &stored.actor);
            match dir {
                None => {
                    match format {
                        ReportFormat::Json => print_line(&mut out, &o)?,
                        ReportFormat::Csv => out.write_all(&report_csv(&o)?)?,
                        ReportFormat::Markdown => out.write_all(report_markdown(&o, None).as_bytes())?,
                        ReportFormat::Svg => out.write_all(report_svg(&o).as_bytes())?,
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(dir) => {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
                    let stem = format!("{id}-{}", o.period);
                    let svg = format!("{stem}.svg");
                    let mut json = serde_json::to_vec_pretty(&o)?;
                    json.push(b'\n');
                    let files: [(String, Vec<u8>); 4] = [
                        (format!("{stem}.json"), json),
                        (format!("{stem}.csv"), report_csv(&o)?),
                        (format!("{stem}.md"), report_markdown(&o, Some(&svg)).into_bytes()),
                        (svg.clone(), report_svg(&o).into_bytes()),
                    ];
                    let mut written = Vec::new();
                    for (name, bytes) in &files {
                        let path = dir.join(name);
                        std::fs::write(&path, bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
                        written.push(path.display().to_string());
                    }
                    print_line(&mut out, &serde_json::json!({ "id": id, "period": o.period, "files": written }))?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

fn resolve(env: &Env, text: &str, flag: &str) -> anyhow::Result<Country> {
    env.countries.resolve(text).with_context(|| format!("{flag} {}", env.countries.unknown(text)))
}

fn find(env: &Env, ledger: &mut Ledger, id: &str) -> anyhow::Result<(StoredVeu, VeuBody, Registration)> {
    let stored = ledger.veu(id)?.with_context(|| format!("no VEU with id `{id}` is registered (tiergate veu list)"))?;
    let body = VeuBody::parse(&stored.body).map_err(anyhow::Error::msg)?;
    let reg = body.registration(&env.countries).map_err(anyhow::Error::msg)?;
    Ok((stored, body, reg))
}
