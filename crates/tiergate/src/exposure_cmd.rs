//! `tiergate exposure`: trade flows by country tier, as SQL over Apache DataFusion (tiergate-exposure).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use tiergate_cluster::SchedulerUrl;
use tiergate_exposure::report::{csv_header, csv_row, rendered, ExposureOut, GroupOut};
use tiergate_exposure::{
    compute, read_csv, Against, Engine, InputFormat, Query, ReadReport, Screen, Session, Source, Wants,
};
use tiergate_wire::Env;

use crate::cli::{ExposureArgs, ExposureFormat, FlowsFormat};

/// Counterparties listed in a whole answer (`--format json|markdown`).
const COUNTERPARTIES: usize = 100;

pub fn run(env: &Env, db: Option<&str>, args: &ExposureArgs) -> anyhow::Result<ExitCode> {
    let date = match &args.date {
        None => crate::ledger_cmd::today(),
        Some(s) => crate::ledger_cmd::parse_date_arg(s).map_err(|e| anyhow::anyhow!("--date: {e}"))?,
    };
    let query = Query::from_params(&args.by, args.products.as_deref(), args.exporter.as_deref(), &env.countries)
        .map_err(|(field, why)| anyhow::anyhow!("--{field}: {why}"))?;
    let by = query.by.clone();
    if args.format == ExposureFormat::Markdown && args.out.is_none() {
        anyhow::bail!("--format markdown writes report.md and its chart: give --out DIR");
    }
    let (pack, regime) = env.answering(date).map_err(|e| anyhow::anyhow!("--date: {}", e.message))?;
    if !args.flows.is_file() {
        anyhow::bail!("cannot read `{}`: no such file", args.flows.display());
    }
    let parquet = args.flows.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let format = args.input_format.map(|f| match f {
        FlowsFormat::Baci => InputFormat::Baci,
        FlowsFormat::Canonical => InputFormat::Canonical,
        FlowsFormat::Comtrade => InputFormat::Comtrade,
    });
    let cluster = match &args.cluster {
        None => None,
        Some(url) => {
            let url = SchedulerUrl::parse("--cluster", url, true)?;
            if !parquet {
                anyhow::bail!(
                    "--cluster: a cluster's executors read the flows themselves, from Parquet on storage they share; `{}` is not a .parquet file",
                    args.flows.display()
                );
            }
            Some(url)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .context("cannot start the query engine")?;
    let whole = matches!(args.format, ExposureFormat::Json | ExposureFormat::Markdown);
    // The ledger's lists and party registry, which a whole answer screens the counterparties against.
    let held = match db.filter(|_| whole) {
        None => None,
        Some(db) => {
            let mut ledger = crate::screen_cmd::open(env, db)?;
            let lists = tiergate_server::lists::load(&mut ledger)
                .context("cannot load the restricted-party lists of the ledger")?
                .0;
            let registry = tiergate_server::registry::load(&mut ledger).context("cannot load the party registry")?;
            Some((lists, registry))
        }
    };
    let against = match &held {
        None => Against::NoLedger,
        Some((lists, registry)) => Against::Ledger {
            lists: lists.as_ref(),
            registry,
            warnings: lists.as_ref().map(|l| l.stale_on(crate::ledger_cmd::today())).unwrap_or_default(),
        },
    };
    let wants = Wants {
        by_country: whole,
        by_tier: args.format == ExposureFormat::Markdown,
        counterparties: if whole { COUNTERPARTIES } else { 0 },
        screening: whole.then_some(Screen { against, pack, date }),
    };
    let computed = runtime.block_on(async {
        let engine =
            match &cluster {
                None => Engine::Embedded,
                Some(url) => Engine::Cluster(tiergate_cluster::connect(url).await.with_context(|| {
                    format!("--cluster: cannot reach the scheduler at df://{}:{}", url.host, url.port)
                })?),
            };
        let session = Session::on(engine, pack, date).await?;
        let source = if parquet {
            Source::Parquet(args.flows.clone())
        } else {
            let file =
                fs::File::open(&args.flows).with_context(|| format!("cannot read `{}`", args.flows.display()))?;
            let (batches, report) = read_csv(io::BufReader::with_capacity(1 << 20, file), format, &env.countries)?;
            Source::Read(batches, report)
        };
        anyhow::Ok(compute(&session, source, &env.countries, &query, wants).await?)
    });
    let computed = match &cluster {
        Some(url) => computed.with_context(|| format!("on the cluster at df://{}:{}", url.host, url.port))?,
        None => computed?,
    };
    let report = &computed.input;
    let doc = ExposureOut::of(env.regime_name(), regime.pack, regime.sha256, date, &by, &computed);
    if args.format == ExposureFormat::Markdown {
        let dir = args.out.as_ref().ok_or_else(|| anyhow::anyhow!("--out is required"))?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let name = args
            .flows
            .file_name()
            .map_or_else(|| args.flows.display().to_string(), |n| n.to_string_lossy().into_owned());
        let write = |file: &str, text: &str| -> anyhow::Result<()> {
            let p = dir.join(file);
            fs::write(&p, text).with_context(|| format!("cannot write `{}`", p.display()))
        };
        let (text, figures) =
            rendered(&doc, &computed.by_country, &computed.by_tier, &name).map_err(|e| anyhow::anyhow!(e))?;
        for (file, svg) in &figures {
            write(file, svg)?;
        }
        write("report.md", &text)?;
        write("exposure.json", &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        eprintln!("tiergate: exposure report written to {}", dir.display());
        say_bad_rows(report, &args.flows);
        return Ok(if report.bad_rows > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS });
    }
    let mut out: Box<dyn Write> = match &args.out {
        None => Box::new(BufWriter::new(io::stdout().lock())),
        Some(dir) => {
            fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
            let name = match args.format {
                ExposureFormat::Json => "exposure.json",
                ExposureFormat::Jsonl => "exposure.jsonl",
                ExposureFormat::Csv | ExposureFormat::Markdown => "exposure.csv",
            };
            let path = dir.join(name);
            Box::new(BufWriter::new(
                fs::File::create(&path).with_context(|| format!("cannot write `{}`", path.display()))?,
            ))
        }
    };
    match args.format {
        ExposureFormat::Jsonl => {
            for g in doc.groups.iter().map(|g| g.group) {
                serde_json::to_writer(&mut out, &GroupOut { group: g, by: &by })?;
                out.write_all(b"\n")?;
            }
        }
        ExposureFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            let categories = doc.groups.iter().any(|g| g.group.category.is_some());
            w.write_record(csv_header(&by, categories))?;
            for g in doc.groups.iter().map(|g| g.group) {
                w.write_record(csv_row(g, &by, categories))?;
            }
            w.flush()?;
        }
        ExposureFormat::Json | ExposureFormat::Markdown => {
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    say_bad_rows(report, &args.flows);
    Ok(if report.bad_rows > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// Bad rows on standard error: how many, and the first with their lines.
fn say_bad_rows(report: &ReadReport, path: &Path) {
    if report.bad_rows == 0 {
        return;
    }
    eprintln!(
        "tiergate: {} of {} rows of `{}` could not be read and are not counted:",
        report.bad_rows,
        report.rows,
        path.display()
    );
    for b in report.bad.iter().take(20) {
        eprintln!("  line {}: {}", b.line, b.problem);
    }
    if report.bad_rows > 20 {
        eprintln!("  ... (the JSON output lists the first {})", report.bad.len());
    }
}
