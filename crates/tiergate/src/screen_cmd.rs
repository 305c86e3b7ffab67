//! `tiergate lists` and `tiergate screen`: import restricted-party lists, screen names, record judgements.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tiergate_screen::normalize::Normalizer;
use tiergate_screen::{Config, Screener};
use tiergate_store::{Judgement, Ledger};
use tiergate_wire::names::{NamesError, Screening};
use tiergate_wire::Env;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cli::{ListsCommand, ScreenArgs, ScreenCommand};
use crate::determine_cmd::open_with_progress;
use crate::ledger_cmd::actor;

pub(crate) fn open(env: &Env, db: &str) -> anyhow::Result<Ledger> {
    Ledger::open(db, Arc::clone(&env.pack))
        .with_context(|| format!("cannot open the database at `{}`", tiergate_store::redacted_url(db)))
}

pub(crate) fn now() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default()
}

pub(crate) fn print_line(out: &mut (impl Write + ?Sized), v: &impl Serialize) -> anyhow::Result<()> {
    // As an io::Error, so that a closed pipe (`| head`) is recognised as one.
    serde_json::to_writer(&mut *out, v).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}

pub fn lists(env: &Env, db: &str, command: &ListsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ListsCommand::Import { path, format, actor: who, dated } => {
            import(env, db, path, format.as_deref(), who.as_deref(), *dated)
        }
        ListsCommand::Versions => {
            let mut ledger = open(env, db)?;
            let mut out = io::stdout().lock();
            for v in ledger.list_versions()? {
                print_line(&mut out, &v)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(
    env: &Env,
    db: &str,
    path: &Path,
    format: Option<&str>,
    who: Option<&str>,
    dated: Option<time::Date>,
) -> anyhow::Result<ExitCode> {
    use tiergate_server::lists::{ImportError, ImportFile};
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let (source_file, who, at) = (path.display().to_string(), actor(who), now());
    let file = ImportFile { bytes: &bytes, source_file: &source_file, format, dated, actor: &who, at: &at };
    let imported = tiergate_server::lists::import(&mut open(env, db)?, &file).map_err(|e| match e {
        ImportError::Field { field, message } => anyhow::anyhow!("--{field}: {message}"),
        e => anyhow::Error::new(e),
    })?;
    for p in &imported.skipped {
        eprintln!("tiergate: {}:{}: skipped: {}", path.display(), p.line, p.problem);
    }
    print_line(&mut io::stdout().lock(), &imported.out())?;
    Ok(ExitCode::SUCCESS)
}

/// The screener over the database's current lists, with its judgements, and the warnings every answer carries
/// today (lists imported too long ago).
fn load_screener(ledger: &mut Ledger) -> anyhow::Result<(Screener, Vec<String>)> {
    match tiergate_server::lists::load(ledger)?.0 {
        Some(lists) => {
            let warnings = lists.stale_on(time::OffsetDateTime::now_utc().date());
            Ok((lists.screener, warnings))
        }
        None => anyhow::bail!(NO_LISTS),
    }
}

const NO_LISTS: &str = "no restricted-party list is imported in this database: run `tiergate lists import PATH` first";

pub fn screen(env: &Env, db: &str, args: &ScreenArgs) -> anyhow::Result<ExitCode> {
    if let Some(ScreenCommand::Judge { entry_id, query, verdict, note, actor: who }) = &args.command {
        let mut ledger = open(env, db)?;
        // Only the entry ids are needed to check the entry exists: no index is built.
        let (versions, bodies) = ledger.current_lists()?;
        if versions.is_empty() {
            anyhow::bail!(NO_LISTS);
        }
        #[derive(Deserialize)]
        struct Id {
            entry_id: String,
        }
        let known = bodies.iter().any(|b| serde_json::from_str::<Id>(b).is_ok_and(|e| &e.entry_id == entry_id));
        if !known {
            anyhow::bail!("no entry `{entry_id}` in the imported lists: use the `entry_id` of a hit");
        }
        let normalizer = Normalizer::new(&Config::builtin()?);
        let judgement = Judgement {
            entry_id: entry_id.clone(),
            query: normalizer.normal_form(query),
            verdict: verdict.clone(),
            note: note.clone(),
            actor: actor(who.as_deref()),
            at: now(),
        };
        ledger.add_judgement(&judgement)?;
        print_line(&mut io::stdout().lock(), &judgement)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(t) = args.threshold {
        if !(0.0..=1.0).contains(&t) {
            anyhow::bail!("--threshold {t} is not between 0 and 1");
        }
    }
    let country = args.country.as_deref().map(|c| resolve_country(env, c)).transpose()?;
    let mut ledger = open(env, db)?;
    let started = Instant::now();
    let (screener, warnings) = load_screener(&mut ledger)?;
    for w in &warnings {
        eprintln!("tiergate: warning: the {w}");
    }
    let threshold = args.threshold.unwrap_or(screener.index().config().thresholds.review);
    let screen = |id: Option<String>, name: &str, country: Option<&str>| {
        let mut answer = screener.screen(id, name, country, threshold);
        answer.warnings.clone_from(&warnings);
        answer
    };
    let built = started.elapsed();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let Some(batch) = &args.batch else {
        let name = args.name.as_deref().unwrap_or_default();
        let answer = screen(None, name, country.as_deref());
        print_line(&mut out, &answer)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    };
    let path = Some(batch.as_path()).filter(|p| p.as_os_str() != "-");
    let (input, bar) = open_with_progress(path, args.progress)?;
    let is_csv = path.is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")));
    let screening = Instant::now();
    let batch = Screening { env, screener: &screener, threshold, warnings: &warnings };
    let count = batch.batch(input, is_csv, |answer| out.write_all(answer)).map_err(|e| match e {
        // As an io::Error, so that a closed pipe (`| head`) is recognised as one.
        NamesError::Write(e) => anyhow::Error::new(e),
        e => anyhow::Error::new(e),
    })?;
    out.flush()?;
    bar.finish_and_clear();
    let (queries, elapsed) = (count.queries, screening.elapsed());
    eprintln!(
        "tiergate: screened {queries} queries against {} names in {:.0} ms ({:.3} ms per query; lists loaded and \
         indexed in {:.0} ms)",
        screener.index().name_count(),
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e3 / queries.max(1) as f64,
        built.as_secs_f64() * 1e3,
    );
    Ok(if count.rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// A country hint as an ISO code: codes, names and aliases are accepted, as in requests.
fn resolve_country(env: &Env, given: &str) -> anyhow::Result<String> {
    env.countries
        .resolve(given)
        .map(|c| env.countries.code(c).to_owned())
        .with_context(|| format!("`{given}` is not a country Tiergate knows (give an ISO code such as CN)"))
}
