//! `tiergate veu add|list|show|log|report`: the VEU registry, facility logs and semi-annual reports (the work is
//! `tiergate_server::veus`, shared with `/v1/veus`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_core::veu::{Registration, VeuKind};
use tiergate_core::Country;
use tiergate_server::veus::{self, VeuError};
use tiergate_wire::readiness::EvidenceBody;
use tiergate_wire::veu::{report_csv, report_markdown, report_svg};
use tiergate_wire::Env;

use crate::cli::{ReadinessFormat, ReportFormat, VeuCommand, VeuKindArg};
use crate::determine_cmd::open_input;
use crate::ledger_cmd::{actor, today};
use crate::screen_cmd::{now, open, print_line};

pub fn run(env: &Env, db: &str, command: &VeuCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    match command {
        VeuCommand::Evidence { .. } => evidence(env, &mut ledger, command),
        VeuCommand::Issue { id, period, actor: who } => {
            let answer = veus::issue_report(env, &mut ledger, id, period, &actor(who.as_deref()), &now())
                .map_err(flagged)
                .context("nothing was issued")?;
            print_line(&mut out, &answer)?;
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Readiness { .. } => readiness(env, &mut ledger, command),
        VeuCommand::Add { kind, id, name, headquarters, parent_headquarters, country, date, actor: who, applicant } => {
            let reg = Registration {
                id: id.clone(),
                kind: match kind {
                    VeuKindArg::Uveu => VeuKind::Universal,
                    VeuKindArg::Nveu => VeuKind::National,
                },
                name: name.trim().to_owned(),
                headquarters: resolve(env, headquarters, "--headquarters")?,
                ultimate_parent_headquarters: parent_headquarters
                    .as_deref()
                    .map(|c| resolve(env, c, "--parent-headquarters"))
                    .transpose()?,
                country: country.as_deref().map(|c| resolve(env, c, "--country")).transpose()?,
            };
            let date = date.unwrap_or_else(today);
            let r = veus::register(env, &mut ledger, &reg, *applicant, date, &actor(who.as_deref()), &now())
                .map_err(flagged)?;
            print_line(&mut out, &r.answer)?;
            if !r.stored {
                eprintln!("tiergate: `{id}` is not eligible; nothing was registered");
            }
            Ok(if r.stored { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        VeuCommand::List => {
            for v in veus::list(env, &mut ledger)? {
                print_line(&mut out, &v)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Show { id, date } => {
            print_line(&mut out, &veus::show(env, &mut ledger, id, date.unwrap_or_else(today)).map_err(listed)?)?;
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Log { id, path, actor: who } => {
            let (input, _) = open_input(Some(path.as_path()).filter(|p| p.as_os_str() != "-"))?;
            let answer = veus::log(env, &mut ledger, id, input, &actor(who.as_deref()), &now())
                .map_err(listed)
                .with_context(|| format!("facility log `{}`: nothing was logged", path.display()))?;
            print_line(&mut out, &answer)?;
            Ok(ExitCode::SUCCESS)
        }
        VeuCommand::Report { id, period, format, out: dir } => {
            let period = period.as_str();
            let Some(dir) = dir else {
                let bytes = veus::semi_annual_report(env, &mut ledger, id, period, |o| -> anyhow::Result<Vec<u8>> {
                    Ok(match format {
                        ReportFormat::Json => {
                            let mut v = serde_json::to_vec(o)?;
                            v.push(b'\n');
                            v
                        }
                        ReportFormat::Csv => report_csv(o)?,
                        ReportFormat::Markdown => report_markdown(o, None).into_bytes(),
                        ReportFormat::Svg => report_svg(o).into_bytes(),
                    })
                })
                .map_err(flagged)??;
                out.write_all(&bytes)?;
                return Ok(ExitCode::SUCCESS);
            };
            let (half_year, files) = veus::semi_annual_report(env, &mut ledger, id, period, |o| {
                let stem = format!("{id}-{}", o.period);
                let svg = format!("{stem}.svg");
                let mut json = serde_json::to_vec_pretty(o)?;
                json.push(b'\n');
                let files: [(String, Vec<u8>); 4] = [
                    (format!("{stem}.json"), json),
                    (format!("{stem}.csv"), report_csv(o)?),
                    (format!("{stem}.md"), report_markdown(o, Some(&svg)).into_bytes()),
                    (svg.clone(), report_svg(o).into_bytes()),
                ];
                anyhow::Ok((o.period.to_string(), files))
            })
            .map_err(flagged)??;
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
            let mut written = Vec::new();
            for (name, bytes) in &files {
                let path = dir.join(name);
                std::fs::write(&path, bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
                written.push(path.display().to_string());
            }
            print_line(&mut out, &serde_json::json!({ "id": id, "period": half_year, "files": written }))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn evidence(env: &Env, ledger: &mut tiergate_store::Ledger, command: &VeuCommand) -> anyhow::Result<ExitCode> {
    let VeuCommand::Evidence { id, requirement, status, document, owner, dated, note, actor: who } = command else {
        unreachable!("called for `veu evidence` only")
    };
    let body = EvidenceBody {
        requirement: requirement.clone(),
        status: status.clone(),
        document: document.clone(),
        owner: owner.clone(),
        dated: dated.clone(),
        note: note.clone(),
    };
    let answer = veus::record_evidence(env, ledger, id, &body, &actor(who.as_deref()), &now(), today())
        .map_err(flagged)
        .context("nothing was recorded")?;
    print_line(&mut std::io::stdout().lock(), &answer)?;
    Ok(ExitCode::SUCCESS)
}

fn readiness(env: &Env, ledger: &mut tiergate_store::Ledger, command: &VeuCommand) -> anyhow::Result<ExitCode> {
    let VeuCommand::Readiness { id, date, format, out } = command else {
        unreachable!("called for `veu readiness` only")
    };
    let (ready, text) = veus::readiness_report(env, ledger, id, date.unwrap_or_else(today), |o| {
        let text = match format {
            ReadinessFormat::Json => serde_json::to_string(o).map(|mut j| {
                j.push('\n');
                j
            }),
            ReadinessFormat::Markdown => Ok(o.markdown()),
            ReadinessFormat::Html | ReadinessFormat::Pdf => Ok(o.html()),
        };
        text.map(|t| (o.ready, t))
    })
    .map_err(listed)??;
    let bytes = match format {
        ReadinessFormat::Pdf => crate::pdf::print(&text, "readiness report")?,
        _ => text.into_bytes(),
    };
    match out {
        Some(p) => std::fs::write(p, &bytes).with_context(|| format!("cannot write `{}`", p.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(if ready { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// A service error in the CLI's words: a bad field named as its flag, an unknown VEU pointing to `veu list`.
fn flagged(e: VeuError) -> anyhow::Error {
    match e {
        VeuError::Invalid { field: Some(field), message } => anyhow::anyhow!("--{field}: {message}"),
        e => listed(e),
    }
}

fn listed(e: VeuError) -> anyhow::Error {
    match e {
        VeuError::NotFound(_) => anyhow::anyhow!("{e} (tiergate veu list)"),
        e => anyhow::Error::new(e),
    }
}

fn resolve(env: &Env, text: &str, flag: &str) -> anyhow::Result<Country> {
    env.countries.resolve(text).with_context(|| format!("{flag} {}", env.countries.unknown(text)))
}
