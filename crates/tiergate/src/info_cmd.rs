//! `tiergate classify`, `items`, `countries` and `pack`.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use tiergate_core::classify::{classify as classify_item, BaseModel, ModelWeights};
use tiergate_core::units::{Area, Bandwidth, Tpp};
use tiergate_core::Item;
use tiergate_wire::info::{ClassifyOut, CountryOut, ItemOut};
use tiergate_wire::Env;
use time::macros::format_description;
use time::Date;

use crate::cli::{ClassifyArgs, CountriesArgs, InfoFormat, ItemsArgs, OutputFormat};

pub fn classify(env: &Env, args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let per_unit = match args.per_unit {
        None => None,
        Some(n) if n >= 1 => Some(n.unsigned_abs()),
        Some(n) => bail!("--per-unit must be at least 1, not {n}"),
    };
    if args.quantity < 1 {
        bail!("--quantity must be at least 1, not {}", args.quantity);
    }
    let (item, label) = if let Some(ops) = args.training_operations {
        if !ops.is_finite() || ops < 0.0 {
            bail!("--training-operations must be a non-negative number");
        }
        // Required, as in a request: whether weights are published decides whether 4E091 reaches them.
        let published = args.published.context(
            "--published true|false is required with --training-operations: whether the weights are published \
             decides whether ECCN 4E091 reaches them (a request's `item.model_weights.published` is required too)",
        )?;
        let derived_from = match args.base_operations {
            None => None,
            Some(b) => Some(BaseModel {
                training_operations: b,
                published: args.base_published.context(
                    "--base-published true|false is required with --base-operations \
                     (as `item.model_weights.derived_from.published` is in a request)",
                )?,
            }),
        };
        (
            Item::ModelWeights(ModelWeights { training_operations: ops, published, derived_from }),
            serde_json::json!({"model_weights": {"training_operations": ops}}),
        )
    } else if let Some(tpp) = args.tpp {
        let t = Tpp::from_decimal(tpp)
            .filter(|t| t.milli() > 0)
            .context("--tpp must be a positive number with at most three decimals")?;
        let area = args
            .die_area
            .map(|a| Area::from_mm2(a).context("--die-area must be a positive number with at most three decimals"))
            .transpose()?;
        let datacenter = args.datacenter.context("--datacenter true|false is required with --tpp")?;
        let dram_bandwidth = args
            .dram_bandwidth
            .map(|b| {
                Bandwidth::from_gbps(b)
                    .context("--dram-bandwidth must be a positive number with at most three decimals")
            })
            .transpose()?;
        let mut label = serde_json::json!({"tpp": tpp, "die_area_mm2": args.die_area, "datacenter": datacenter});
        if let (Some(b), Some(fields)) = (args.dram_bandwidth, label.as_object_mut()) {
            fields.insert("dram_bandwidth_gbps".into(), serde_json::json!(b));
        }
        (Item::Spec { tpp: t, die_area: area, datacenter, dram_bandwidth, per_unit }, label)
    } else {
        let id = args.item.clone().context("name a catalog item, or give --tpp or --training-operations")?;
        (Item::Catalog { id: id.clone(), per_unit }, serde_json::Value::String(id))
    };
    let c = classify_item(&item, args.quantity.unsigned_abs(), &env.pack, &env.catalog)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = io::stdout().lock();
    match args.format {
        InfoFormat::Json => {
            let body = ClassifyOut::new(label, &item, &c, env).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            serde_json::to_writer_pretty(&mut out, &body)?;
            writeln!(out)?;
        }
        InfoFormat::Text => {
            writeln!(out, "ECCN: {}", c.eccn.map_or("not controlled by this rule", |e| e.as_str()))?;
            if let (Some(unit), Some(total)) = (c.tpp_per_unit, c.tpp_total) {
                writeln!(
                    out,
                    "TPP: {unit} per unit, {total} in all ({} H100-equivalents)",
                    c.h100_equivalents.unwrap_or(0.0)
                )?;
            }
            if let Some(pd) = c.performance_density {
                writeln!(out, "Performance density: {pd}")?;
            }
            if let Item::Catalog { id, .. } = &item {
                if let Some(a) = env.catalog.get(id) {
                    let m = &a.memory;
                    writeln!(
                        out,
                        "Memory per unit: {}{}{}",
                        m.kind,
                        m.capacity_gb.map_or(String::new(), |g| format!(", {g} GB")),
                        m.dram_bandwidth_gbps.map_or(String::new(), |b| format!(", {b} GB/s")),
                    )?;
                    writeln!(out, "Figures: {} ({})", a.throughput_source, a.confidence.as_str())?;
                }
            }
            writeln!(out, "Because:")?;
            for r in &c.reasons {
                writeln!(out, "  - {} [{}]", r.text, r.citation)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn items(env: &Env, args: &ItemsArgs) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    if args.format == OutputFormat::Table {
        writeln!(
            out,
            "{:<30} {:<56} {:>9} {:>8} {:>6} {:<8} {:>7} {:<7} {:>9} {:<3} CONFIDENCE",
            "ID", "NAME", "TPP/UNIT", "DIE mm2", "PD", "ECCN", "H100-EQ", "MEMORY", "DRAM GB/s", "DC"
        )?;
    }
    for a in env.catalog.iter() {
        let body = ItemOut::new(a, env).map_err(|e| anyhow::anyhow!("catalog item `{}`: {}", a.id, e.message))?;
        match args.format {
            OutputFormat::Table => writeln!(
                out,
                "{:<30} {:<56} {:>9} {:>8} {:>6} {:<8} {:>7.2} {:<7} {:>9} {:<3} {}",
                body.id,
                body.name,
                body.tpp_per_unit.0.to_string(),
                body.die_area_mm2.map_or("-".into(), |d| d.to_string()),
                body.performance_density.map_or("-".into(), |p| format!("{p:.2}")),
                body.eccn.unwrap_or(if body.unclassified.is_some() { "?" } else { "-" }),
                body.h100_equivalents,
                body.memory_type,
                body.dram_bandwidth_gbps.map_or("-".into(), |b| b.to_string()),
                if body.datacenter { "yes" } else { "no" },
                body.confidence,
            )?,
            OutputFormat::Jsonl => {
                serde_json::to_writer(&mut out, &body)?;
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn countries(env: &Env, args: &CountriesArgs) -> anyhow::Result<ExitCode> {
    let date = match &args.date {
        None => time::OffsetDateTime::now_utc().date(),
        Some(s) => Date::parse(s, format_description!("[year]-[month]-[day]"))
            .with_context(|| format!("--date `{s}` is not YYYY-MM-DD"))?,
    };
    let (pack, regime) = env.answering(date).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let mut out = io::stdout().lock();
    if args.format == OutputFormat::Table {
        writeln!(out, "# {} on {date}: pack {} {}", env.regime_name(), regime.pack, regime.version)?;
        writeln!(out, "{:<4} {:<36} {:<42}  GROUPS", "CODE", "NAME", "CATEGORY")?;
    }
    for c in env.countries.iter() {
        let body = CountryOut::new(c, env, pack, date);
        match args.format {
            OutputFormat::Table => {
                writeln!(out, "{:<4} {:<36} {:<42}  {}", body.code, body.name, body.category, body.groups.join(" "))?
            }
            OutputFormat::Jsonl => {
                serde_json::to_writer(&mut out, &body)?;
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn validate_pack(path: &Path) -> anyhow::Result<ExitCode> {
    let env = crate::cli::load_env(Some(path))?;
    println!("{}", serde_json::json!({"pack": env.pack.id, "version": env.pack.version, "valid": true}));
    Ok(ExitCode::SUCCESS)
}

pub fn show_pack(env: &Env) -> anyhow::Result<ExitCode> {
    let p = &env.pack;
    let readings: Vec<_> = p
        .readings
        .docs
        .iter()
        .map(|r| serde_json::json!({"reading": r.reading, "key": r.key, "value": r.value, "options": r.options, "text": r.text}))
        .collect();
    let body = serde_json::json!({
        "pack": p.id,
        "version": p.version,
        "sha256": p.sha256,
        "title": p.title,
        "citation": p.citation,
        "effective": p.effective.value.to_string(),
        "compliance": p.compliance.value.to_string(),
        "security_compliance": p.security_compliance.value.to_string(),
        "readings": readings,
    });
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &body)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}
