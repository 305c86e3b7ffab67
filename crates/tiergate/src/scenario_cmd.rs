//! `tiergate scenario`: write, show and diff what-if regimes, and set installed compute against their
//! allocations.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use tiergate_core::builtin;
use tiergate_core::scenario::{Assure, Header, Move, ScenarioFile, SCHEMA};
use tiergate_wire::capacity::{capacity_chart, capacity_markdown, capacity_out, read_compute, CAPACITY_CHART};
use tiergate_wire::orders::{csv_orders, jsonl_orders, Order};
use tiergate_wire::scenario::{
    allocation_chart, changed_chart, diff_markdown, group, ChangedOut, DiffOut, ScenarioOut, ALLOCATION_CHART,
    CHANGED_CHART, CHANGED_CSV_COLUMNS,
};
use tiergate_wire::{CsvError, Env};

use crate::cli::{
    CapacityFormat, InputFormat, ScenarioCapacityArgs, ScenarioCommand, ScenarioDiffArgs,
    ScenarioDiffFormat as DiffFormat, ScenarioNewArgs, ScenarioShowArgs, ShowFormat,
};
use crate::determine_cmd::open_with_progress;

/// `env` answering under the scenario file at `path`.
pub fn load(env: &Env, path: &Path) -> anyhow::Result<Env> {
    let text = read_limited(path)?;
    Ok(env.with_scenario(&text, &path.display().to_string())?)
}

fn read_limited(path: &Path) -> anyhow::Result<String> {
    let len = fs::metadata(path).with_context(|| format!("cannot read scenario `{}`", path.display()))?.len();
    if len > tiergate_core::scenario::MAX_BYTES as u64 {
        anyhow::bail!(
            "scenario `{}` is {len} bytes; a scenario file is at most {}",
            path.display(),
            tiergate_core::scenario::MAX_BYTES
        );
    }
    fs::read_to_string(path).with_context(|| format!("cannot read scenario `{}`", path.display()))
}

pub fn run(env: &Env, command: &ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::New(args) => new(env, args),
        ScenarioCommand::Show(args) => show(env, args),
        ScenarioCommand::Diff(args) => diff(env, args),
        ScenarioCommand::Capacity(args) => capacity(env, None, args),
    }
}

fn new(env: &Env, args: &ScenarioNewArgs) -> anyhow::Result<ExitCode> {
    let file = ScenarioFile {
        schema: SCHEMA,
        scenario: Header {
            name: args.name.clone(),
            version: "1".into(),
            base: args.base.clone(),
            title: args.title.clone(),
            description: None,
        },
        moves: args.moves.iter().map(|m| parse_move(m)).collect::<anyhow::Result<_>>()?,
        assure: args.assure.iter().map(|a| parse_assure(a)).collect::<anyhow::Result<_>>()?,
        set: parse_sets(&args.set)?,
    };
    let text = file.to_toml()?;
    // Validated as it will be read: a change that changes nothing is refused now, naming its key.
    env.with_scenario(&text, "the new scenario").map_err(|e| anyhow::anyhow!("{}", flag_error(&e, args)))?;
    match &args.out {
        None => io::stdout().lock().write_all(text.as_bytes())?,
        Some(path) => {
            let mut f =
                fs::OpenOptions::new().write(true).create_new(true).open(path).with_context(|| {
                    format!("cannot create `{}` (an existing file is not overwritten)", path.display())
                })?;
            f.write_all(text.as_bytes())?;
            eprintln!("tiergate: wrote scenario `{}` to {}", args.name, path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An error about the generated file, said in the flag that made it: `move[1]` is the second `--move`.
fn flag_error(e: &tiergate_core::DataError, args: &ScenarioNewArgs) -> String {
    let key = e.key();
    let index = |prefix: &str| -> Option<usize> { key.strip_prefix(prefix)?.split(']').next()?.parse().ok() };
    let flag = if let Some(i) = index("move[") {
        args.moves.get(i).map(|m| format!("--move {m}"))
    } else if let Some(i) = index("assure[") {
        args.assure.get(i).map(|a| format!("--assure {a}"))
    } else if let Some(k) = key.strip_prefix("set.") {
        Some(format!("--set {}", k.trim_matches('"')))
    } else if key == "scenario.base" {
        Some("--base".to_owned())
    } else if key == "scenario.name" {
        Some("NAME".to_owned())
    } else {
        None
    };
    match flag {
        Some(f) => format!("{f} (`{key}`): {}", e.problem()),
        None => e.to_string(),
    }
}

/// `CC:TIER`, `CC:+GROUP`, `CC:-GROUP`, each with an optional `@YYYY-MM-DD`.
fn parse_move(text: &str) -> anyhow::Result<Move> {
    let (body, from) = split_date(text, "--move")?;
    let (country, target) = body
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("--move `{text}`: write CC:TIER (PL:1), CC:+GROUP or CC:-GROUP"))?;
    let mut m = Move { country: country.trim().to_owned(), tier: None, add_to: None, remove_from: None, from };
    if let Some(g) = target.strip_prefix('+') {
        m.add_to = Some(g.to_owned());
    } else if let Some(g) = target.strip_prefix('-') {
        m.remove_from = Some(g.to_owned());
    } else {
        m.tier = Some(target.trim().parse().map_err(|_| {
            anyhow::anyhow!("--move `{text}`: `{target}` is not a tier (1, 2 or 3) nor +GROUP or -GROUP")
        })?);
    }
    Ok(m)
}

fn parse_assure(text: &str) -> anyhow::Result<Assure> {
    let (country, from) = split_date(text, "--assure")?;
    Ok(Assure { country: country.trim().to_owned(), from })
}

fn split_date(text: &str, flag: &str) -> anyhow::Result<(String, Option<toml::value::Datetime>)> {
    match text.rsplit_once('@') {
        None => Ok((text.to_owned(), None)),
        Some((body, date)) => {
            let d: toml::value::Datetime =
                date.parse().map_err(|_| anyhow::anyhow!("{flag} `{text}`: `{date}` is not a date (YYYY-MM-DD)"))?;
            if d.date.is_none() || d.time.is_some() {
                anyhow::bail!("{flag} `{text}`: `{date}` is not a date (YYYY-MM-DD)");
            }
            Ok((body.to_owned(), Some(d)))
        }
    }
}

/// `KEY=VALUE` pairs; each value read as TOML, else as text.
fn parse_sets(sets: &[String]) -> anyhow::Result<toml::Table> {
    let mut table = toml::Table::new();
    for s in sets {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--set `{s}`: write KEY=VALUE (lpp.annual_limit_tpp=13450000)"))?;
        let key = key.trim();
        if key.is_empty() {
            anyhow::bail!("--set `{s}`: the key is empty");
        }
        let value = value.trim();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_owned()));
        if table.insert(key.to_owned(), parsed).is_some() {
            anyhow::bail!("--set `{key}` is given twice");
        }
    }
    Ok(table)
}

fn show(env: &Env, args: &ScenarioShowArgs) -> anyhow::Result<ExitCode> {
    let under = load(env, &args.file)?;
    let s = under.scenario().ok_or_else(|| anyhow::anyhow!("internal: no scenario"))?;
    let out = ScenarioOut::new(s);
    let mut w = io::stdout().lock();
    match args.format {
        ShowFormat::Text => w.write_all(out.text().as_bytes())?,
        ShowFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &out)?;
            writeln!(w)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the diff's changed orders go as they are found.
enum Listing {
    None,
    Jsonl(Box<dyn Write>),
    Csv(Box<csv::Writer<Box<dyn Write>>>),
}

impl Listing {
    fn push(&mut self, c: &ChangedOut<'_>) -> io::Result<()> {
        match self {
            Listing::None => Ok(()),
            Listing::Jsonl(w) => {
                serde_json::to_writer(&mut *w, c)?;
                w.write_all(b"\n")
            }
            Listing::Csv(w) => w.write_record(c.csv_row()).map_err(io::Error::other),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Listing::None => Ok(()),
            Listing::Jsonl(mut w) => w.flush(),
            Listing::Csv(mut w) => w.flush(),
        }
    }
}

fn diff(env: &Env, args: &ScenarioDiffArgs) -> anyhow::Result<ExitCode> {
    let under = load(env, &args.file)?;
    let scenario = under.scenario().cloned().ok_or_else(|| anyhow::anyhow!("internal: no scenario"))?;
    let against_name = args.against.clone().unwrap_or_else(|| scenario.base.clone());
    let against = env.select(&against_name).map_err(|e| anyhow::anyhow!("--against: {}", e.message))?;
    if args.format == DiffFormat::Markdown && args.out.is_none() {
        anyhow::bail!("--format markdown writes report.md and its charts: give --out DIR");
    }
    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let file = |name: &str| -> anyhow::Result<Box<dyn Write>> {
        Ok(match &args.out {
            None => Box::new(BufWriter::with_capacity(1 << 16, io::stdout())),
            Some(dir) => {
                let p = dir.join(name);
                Box::new(BufWriter::new(
                    fs::File::create(&p).with_context(|| format!("cannot write `{}`", p.display()))?,
                ))
            }
        })
    };
    let mut listing = match args.format {
        DiffFormat::Jsonl => Listing::Jsonl(file("changed.jsonl")?),
        DiffFormat::Csv => {
            let mut w = csv::Writer::from_writer(file("changed.csv")?);
            w.write_record(CHANGED_CSV_COLUMNS)?;
            Listing::Csv(Box::new(w))
        }
        DiffFormat::Json | DiffFormat::Markdown => Listing::None,
    };
    let path = Some(args.orders.as_path()).filter(|p| p.as_os_str() != "-");
    let format = args.input_format.unwrap_or(match path {
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    });
    let (input, bar) = open_with_progress(path, args.progress)?;
    let mut out = DiffOut::new(&under, &against);
    let mut each = |line: u64, order: Order| -> io::Result<()> {
        let changed = match &order {
            Err((id, e)) => Some(out.unreadable(id.as_deref(), line, e)),
            Ok((id, req)) => {
                let before = against.determine(req);
                let after = under.determine(req);
                let dest = env.countries.code(req.destination);
                out.add(id.as_deref(), line, req, dest, before, after)
            }
        };
        if out.orders.is_multiple_of(4096) {
            bar.set_message(format!("{} orders, {} changed", out.orders, out.changed));
        }
        match changed {
            Some(c) => listing.push(&c),
            None => Ok(()),
        }
    };
    let read = match format {
        InputFormat::Jsonl => jsonl_orders(env, input, &mut each),
        InputFormat::Csv => csv_orders(env, input, &mut each),
    };
    bar.finish_and_clear();
    match read {
        Ok(()) => {}
        Err(CsvError::Header(e)) => anyhow::bail!(e),
        Err(CsvError::Io(e)) => return Err(e.into()),
    }
    listing.finish()?;
    let summary = serde_json::to_string_pretty(&out)?;
    match (&args.out, args.format) {
        (None, DiffFormat::Json) => writeln!(io::stdout().lock(), "{summary}")?,
        (None, _) => {}
        (Some(dir), format) => {
            write_file(&dir.join("diff.json"), &format!("{summary}\n"))?;
            if format == DiffFormat::Markdown {
                let view = ScenarioOut::new(&scenario);
                write_file(&dir.join("report.md"), &diff_markdown(&out, &view))?;
                write_file(&dir.join(CHANGED_CHART), &changed_chart(&out))?;
                write_file(&dir.join(ALLOCATION_CHART), &allocation_chart(&out))?;
            }
            eprintln!(
                "tiergate: {} orders, {} changed, {} not answered; written to {}",
                group(out.orders),
                group(out.changed),
                group(out.errors),
                dir.display()
            );
        }
    }
    Ok(if out.errors > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn write_file(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Most bytes of a compute file read.
const MAX_CLUSTERS_BYTES: u64 = 64 << 20;

pub fn capacity(base: &Env, scenario: Option<&Env>, args: &ScenarioCapacityArgs) -> anyhow::Result<ExitCode> {
    let date = match &args.date {
        None => crate::ledger_cmd::today(),
        Some(s) => crate::ledger_cmd::parse_date_arg(s).map_err(|e| anyhow::anyhow!("--date: {e}"))?,
    };
    if args.format == CapacityFormat::Markdown && args.out.is_none() {
        anyhow::bail!("--format markdown writes report.md and its chart: give --out DIR");
    }
    let (text, attribution) = match &args.clusters {
        None => (builtin::CLUSTERS_CSV.to_owned(), builtin::CLUSTERS_ATTRIBUTION.to_owned()),
        Some(p) => {
            let len = fs::metadata(p).with_context(|| format!("cannot read `{}`", p.display()))?.len();
            if len > MAX_CLUSTERS_BYTES {
                anyhow::bail!("--clusters `{}` is {len} bytes; at most {MAX_CLUSTERS_BYTES}", p.display());
            }
            let text = fs::read_to_string(p).with_context(|| format!("cannot read `{}`", p.display()))?;
            (text, format!("Compute from `{}`.", p.display()))
        }
    };
    let compute = read_compute(base, &text).map_err(|e| {
        let source = args.clusters.as_ref().map_or(builtin::CLUSTERS_SOURCE.to_owned(), |p| p.display().to_string());
        anyhow::anyhow!("{source}: {e}")
    })?;
    let (base_pack, _) = base.answering(date).map_err(|e| anyhow::anyhow!("--date: {}", e.message))?;
    let scenario_pack = match scenario {
        Some(s) => Some(s.answering(date).map_err(|e| anyhow::anyhow!("--date: {}", e.message))?.0),
        None => None,
    };
    let out = capacity_out(base, base.regime_name(), base_pack, scenario_pack, compute, date, &attribution);
    let mut w = io::stdout().lock();
    match args.format {
        CapacityFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &out)?;
            writeln!(w)?;
        }
        CapacityFormat::Table => {
            writeln!(
                w,
                "# allocation pressure on {date}: {} ({}){}",
                out.base,
                out.base_pack,
                out.scenario.as_deref().map(|s| format!(" and {s}")).unwrap_or_default()
            )?;
            writeln!(
                w,
                "{:<4} {:>22} {:>5} {:>16} {:>8} {:>5} {:>16} {:>8}",
                "CODE", "TPP", "TIER", "CAP", "SHARE", "TIER'", "CAP'", "SHARE'"
            )?;
            let opt = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), group);
            let pct = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{:.0}%", v * 100.0));
            let tier = |v: Option<u8>| v.map_or_else(|| "-".to_owned(), |t| t.to_string());
            for r in &out.countries {
                let (t2, c2, s2) = match &r.scenario {
                    Some(s) => (tier(s.tier), opt(s.cap_tpp), pct(s.share)),
                    None => ("-".into(), "-".into(), "-".into()),
                };
                writeln!(
                    w,
                    "{:<4} {:>22} {:>5} {:>16} {:>8} {:>5} {:>16} {:>8}",
                    r.country,
                    group(r.tpp),
                    tier(r.base.tier),
                    opt(r.base.cap_tpp),
                    pct(r.base.share),
                    t2,
                    c2,
                    s2
                )?;
            }
            writeln!(w, "# {attribution}")?;
        }
        CapacityFormat::Markdown => {
            let dir = args.out.as_ref().ok_or_else(|| anyhow::anyhow!("--out is required"))?;
            fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
            write_file(&dir.join("report.md"), &capacity_markdown(&out))?;
            write_file(&dir.join(CAPACITY_CHART), &capacity_chart(&out))?;
            write_file(&dir.join("capacity.json"), &format!("{}\n", serde_json::to_string_pretty(&out)?))?;
            eprintln!("tiergate: capacity on {date} written to {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
