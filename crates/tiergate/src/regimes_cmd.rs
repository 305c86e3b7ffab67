//! `tiergate regimes`: the timelines' periods, and `regimes diff A B`.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_wire::regimes::{diff_markdown, regimes_diff, timelines};
use tiergate_wire::Env;
use time::macros::format_description;
use time::Date;

use crate::cli::{DiffFormat, InfoFormat, RegimesArgs, RegimesCommand};

pub fn run(env: &Env, args: &RegimesArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if let Some(RegimesCommand::Diff { a, b, timeline, format }) = &args.command {
        let d = regimes_diff(env, a, b, timeline).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        match format {
            DiffFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?,
            DiffFormat::Markdown => write!(out, "{}", diff_markdown(&d))?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let date = match &args.date {
        None => None,
        Some(s) => Some(
            Date::parse(s, format_description!("[year]-[month]-[day]"))
                .with_context(|| format!("--date `{s}` is not YYYY-MM-DD"))?,
        ),
    };
    let list = timelines(env, args.timeline.as_deref(), date).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match args.format {
        InfoFormat::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({ "timelines": list }))?)?
        }
        InfoFormat::Text => {
            for t in &list {
                writeln!(out, "{}: {}", t.name, t.title)?;
                if t.periods.is_empty() {
                    writeln!(out, "  (no period on that date)")?;
                }
                for p in &t.periods {
                    let to = p.to.as_deref().unwrap_or("");
                    writeln!(out, "  {} .. {:<10}  {:<22} {} [{}]", p.from, to, p.pack, p.instrument, p.confidence)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
