//! `tiergate determine`: stream requests in, answers out, in constant memory.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tiergate_core::units::group_digits;
use tiergate_core::Tpp;
use tiergate_wire::{determine_csv, determine_line_with, write_error, CsvError, CsvRow, Env, Hooks, NoHooks};

use tiergate_server::hooks::LedgerHooks;
use tiergate_store::{Ledger, SharedLedger};

use crate::cli::{AnswerFormat, DetermineArgs, InputFormat, Progress};

/// Output is written in chunks of about this many bytes.
const FLUSH_BYTES: usize = 1 << 16;
/// The progress bar is advanced every this many records.
const PROGRESS_EVERY: u64 = 4096;

pub fn run(env: &Env, db: Option<&str>, args: &DetermineArgs) -> anyhow::Result<ExitCode> {
    let env =
        &env.clone().comparing(args.compare.as_deref()).map_err(|e| anyhow::anyhow!("--compare: {}", e.message))?;
    let ledger_hooks = match db {
        None if args.record => {
            anyhow::bail!("--record needs a ledger: give --db URL (or set TIERGATE_DB)")
        }
        None => None,
        Some(url) => {
            let mut ledger = Ledger::open(url, Arc::clone(&env.pack))
                .with_context(|| format!("cannot open the ledger at `{}`", tiergate_store::redacted_url(url)))?;
            // The parties are screened against the lists the ledger holds, loaded once for the whole run.
            let (lists, _) =
                tiergate_server::lists::load(&mut ledger).context("cannot load the restricted-party lists")?;
            // And named parties resolve through the registry, also loaded once.
            let registry = tiergate_server::registry::load(&mut ledger).context("cannot load the party registry")?;
            Some((SharedLedger::new(ledger), lists.map(Arc::new), Arc::new(registry)))
        }
    };
    let mut ledger_hooks = ledger_hooks.as_ref().map(|(shared, lists, registry)| {
        LedgerHooks::new(shared, lists.clone(), Arc::clone(registry), args.record, crate::ledger_cmd::actor(None))
    });
    let mut no_hooks = NoHooks;
    let hooks: &mut dyn Hooks = match ledger_hooks.as_mut() {
        Some(h) => h,
        None => &mut no_hooks,
    };
    let path = args.input.as_deref().filter(|p| p.as_os_str() != "-");
    let format = args.input_format.unwrap_or(match path {
        Some(p) if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => InputFormat::Csv,
        _ => InputFormat::Jsonl,
    });
    let (counting, bar) = open_with_progress(path, args.progress)?;
    let mut sink = Sink::new(args.format);
    let all_ok = match format {
        InputFormat::Jsonl => jsonl(env, counting, &mut sink, &bar, hooks)?,
        InputFormat::Csv => csv(env, counting, &mut sink, &bar, hooks)?,
    };
    let records = sink.records;
    sink.finish()?;
    bar.finish_and_clear();
    if records == 0 {
        let from = path.map_or_else(|| "standard input".to_owned(), |p| format!("`{}`", p.display()));
        eprintln!("tiergate: no requests in {from}: nothing was determined");
    }
    let refused = ledger_hooks.map_or(0, |h| h.refused);
    Ok(if !all_ok {
        ExitCode::from(2)
    } else if refused > 0 {
        eprintln!("tiergate: {refused} reservation(s) refused while recording; see `recorded` in the answers");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The named file, or standard input for `None`, counted into a progress bar on standard error that shows when
/// `progress` is `auto`, the input is a file and standard error is a terminal.
pub(crate) fn open_with_progress(
    path: Option<&Path>,
    progress: Progress,
) -> anyhow::Result<(CountingReader<Box<dyn Read>>, ProgressBar)> {
    let (input, len) = open_input(path)?;
    let show = match progress {
        Progress::Never => false,
        Progress::Auto => path.is_some() && io::stderr().is_terminal(),
    };
    let bar = progress_bar(show, len);
    Ok((CountingReader { inner: input, bar: bar.clone(), bytes: 0 }, bar))
}

pub(crate) fn progress_bar(show: bool, len: Option<u64>) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    bar
}

/// Counts bytes read, for the progress bar.
pub(crate) struct CountingReader<R> {
    pub(crate) inner: R,
    pub(crate) bar: ProgressBar,
    pub(crate) bytes: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        self.bar.set_position(self.bytes);
        Ok(n)
    }
}

fn jsonl<R: Read>(
    env: &Env,
    input: R,
    sink: &mut Sink,
    bar: &ProgressBar,
    hooks: &mut dyn Hooks,
) -> anyhow::Result<bool> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut all_ok = true;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).context("cannot read the input")? == 0 {
            break;
        }
        number += 1;
        let ok = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => {
                if sink.format == AnswerFormat::Table {
                    sink.brief = Brief::of_json(text);
                }
                determine_line_with(env, text.trim_end_matches(['\n', '\r']), Some(number), &mut sink.buf, hooks)
            }
            Err(e) => {
                let err =
                    tiergate_wire::WireError::new("malformed_json", None, format!("the line is not UTF-8 text: {e}"));
                write_error(&mut sink.buf, None, &err, Some(number));
                false
            }
        };
        all_ok &= ok;
        sink.record_done()?;
        if number.is_multiple_of(PROGRESS_EVERY) {
            bar.set_message(format!("{number} records"));
        }
    }
    Ok(all_ok)
}

fn csv<R: Read>(
    env: &Env,
    input: R,
    sink: &mut Sink,
    bar: &ProgressBar,
    hooks: &mut dyn Hooks,
) -> anyhow::Result<bool> {
    let mut count = 0u64;
    let done = determine_csv(env, input, hooks, |line, row| {
        sink.buf.extend_from_slice(line);
        if sink.format == AnswerFormat::Table {
            sink.brief = Brief::of_csv(row);
        }
        sink.record_done()?;
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            bar.set_message(format!("{count} records"));
        }
        Ok(())
    });
    match done {
        Ok(all_ok) => Ok(all_ok),
        Err(CsvError::Header(e)) => Err(anyhow::anyhow!(e)),
        Err(CsvError::Io(e)) => Err(e.into()),
    }
}

/// Collects answer lines and writes them out, as JSON Lines or as a table.
struct Sink {
    format: AnswerFormat,
    buf: Vec<u8>,
    out: io::StdoutLock<'static>,
    header_written: bool,
    /// Answers and errors written.
    records: u64,
    /// For a table: what the current answer's request asked.
    brief: Brief,
}

impl Sink {
    fn new(format: AnswerFormat) -> Sink {
        Sink {
            format,
            buf: Vec::with_capacity(FLUSH_BYTES * 2),
            out: io::stdout().lock(),
            header_written: false,
            records: 0,
            brief: Brief::default(),
        }
    }

    fn record_done(&mut self) -> io::Result<()> {
        self.records += 1;
        match self.format {
            AnswerFormat::Jsonl => {
                if self.buf.len() >= FLUSH_BYTES {
                    self.out.write_all(&self.buf)?;
                    self.buf.clear();
                }
                Ok(())
            }
            AnswerFormat::Csv => {
                if !self.header_written {
                    writeln!(self.out, "{}", CSV_OUT_COLUMNS.join(","))?;
                    self.header_written = true;
                }
                let row = csv_row_out(&self.buf)?;
                self.buf.clear();
                self.out.write_all(&row)
            }
            AnswerFormat::Table => {
                if !self.header_written {
                    writeln!(
                        self.out,
                        "{:<24} {:<20} {:>10} {:<6} {:<8} {:>14} {:>4} {:<13} {:<12} {:<18} {:<22} ALLOCATION",
                        "ID",
                        "ITEM",
                        "QUANTITY",
                        "DEST",
                        "ECCN",
                        "TPP",
                        "TIER",
                        "AUTHORIZATION",
                        "POLICY",
                        "RECORDED",
                        "PACK"
                    )?;
                    self.header_written = true;
                }
                let row = table_row(&self.buf, &std::mem::take(&mut self.brief));
                self.buf.clear();
                writeln!(self.out, "{row}")
            }
        }
    }

    fn finish(mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// What a table shows of a request beside its answer (the answer line carries none of it).
#[derive(Default)]
struct Brief {
    item: String,
    quantity: String,
    destination: String,
}

impl Brief {
    // Indexing a `serde_json::Value` by key yields `Null` for a missing key; it never panics.
    #[allow(clippy::indexing_slicing)]
    fn of_json(text: &str) -> Brief {
        let v: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        let item = match &v["item"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) if o.contains_key("model_weights") => "model weights".to_owned(),
            serde_json::Value::Object(_) => "spec".to_owned(),
            _ => String::new(),
        };
        let quantity = match &v["quantity"] {
            serde_json::Value::Number(n) => n.as_u64().map_or_else(|| n.to_string(), |q| group_digits(q).to_string()),
            _ => String::new(),
        };
        Brief { item, quantity, destination: v["destination"].as_str().unwrap_or_default().to_owned() }
    }

    fn of_csv(row: &CsvRow<'_>) -> Brief {
        let given = |c: &str| row.get(c).map(str::trim).filter(|v| !v.is_empty());
        let item = match (given("item"), given("training_operations"), given("tpp")) {
            (Some(i), _, _) => i.to_owned(),
            (None, Some(_), _) => "model weights".to_owned(),
            (None, None, Some(_)) => "spec".to_owned(),
            _ => String::new(),
        };
        let quantity = given("quantity")
            .map(|q| q.parse::<u64>().map_or_else(|_| q.to_owned(), |n| group_digits(n).to_string()))
            .unwrap_or_default();
        Brief { item, quantity, destination: given("destination").unwrap_or_default().to_owned() }
    }
}

/// `text` made printable and fitted to `width` characters: a longer one is cut, and ends in `…`.
fn fit(text: &str, width: usize) -> String {
    let text = printable(text);
    if text.chars().count() <= width {
        return if text.is_empty() { "-".to_owned() } else { text };
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// An amount with its digits grouped (`31,664,000`; a fraction keeps its decimals).
fn amount(v: &serde_json::Value) -> String {
    match v.as_u64() {
        Some(n) => group_digits(n).to_string(),
        None => match v.as_f64() {
            None => "-".to_owned(),
            // Rounded to thousandths (so that 2.9996 reads 3) and written as TPP is everywhere.
            Some(f) if (0.0..9.0e15).contains(&f) => {
                // Below 9e18 and not negative: the rounded value fits a u64.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let milli = (f * 1000.0).round() as u64;
                Tpp::from_milli(milli).to_string()
            }
            Some(_) => v.to_string(),
        },
    }
}

// Indexing a `serde_json::Value` by key yields `Null` for a missing key; it never panics.
#[allow(clippy::indexing_slicing)]
fn table_row(json_line: &[u8], brief: &Brief) -> String {
    let v: serde_json::Value = serde_json::from_slice(json_line).unwrap_or(serde_json::Value::Null);
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::String(s) => printable(s),
        other => other.to_string(),
    };
    let id = fit(v["id"].as_str().unwrap_or_default(), 24);
    let request = format!(
        "{id:<24} {:<20} {:>10} {:<6}",
        fit(&brief.item, 20),
        fit(&brief.quantity, 10),
        fit(&brief.destination, 6)
    );
    if let Some(e) = v.get("error") {
        return format!("{request} error: {} ({}): {}", s(&e["code"]), s(&e["field"]), s(&e["message"]));
    }
    let alloc = match v.get("allocation") {
        Some(a) if !a.is_null() => {
            format!("{} {} TPP, {} remaining", s(&a["pool"]), amount(&a["tpp"]), amount(&a["remaining_tpp"]))
        }
        _ => "-".to_owned(),
    };
    let recorded = match v.get("recorded") {
        Some(r) if !r.is_null() => {
            fit(format!("{} {}", s(&r["status"]), r["id"].as_str().unwrap_or_default()).trim(), 18)
        }
        _ => "-".to_owned(),
    };
    format!(
        "{request} {:<8} {:>14} {:>4} {:<13} {:<12} {recorded:<18} {:<22} {alloc}",
        s(&v["classification"]["eccn"]),
        amount(&v["classification"]["tpp_total"]),
        s(&v["tier"]),
        s(&v["authorization"]),
        s(&v["review_policy"]),
        s(&v["regime"]["pack"]),
    )
}

/// `s` with control characters escaped (`\u{1b}`), so that a request's id cannot drive the terminal.
fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

/// The columns of `determine --format csv`.
const CSV_OUT_COLUMNS: &[&str] = &[
    "id",
    "date",
    "timeline",
    "pack",
    "pack_sha256",
    "eccn",
    "tpp_total",
    "tier",
    "authorization",
    "license_required",
    "review_policy",
    "allocation_pool",
    "allocation_tpp",
    "compare_timeline",
    "compare_pack",
    "compare_authorization",
    "compare_license_required",
    "compare_review_policy",
    "compare_allocation_pool",
    "error_code",
    "error_field",
    "error_message",
];

/// One answer line as a CSV row of [`CSV_OUT_COLUMNS`].
#[allow(clippy::indexing_slicing)]
fn csv_row_out(json_line: &[u8]) -> io::Result<Vec<u8>> {
    let v: serde_json::Value = serde_json::from_slice(json_line).unwrap_or(serde_json::Value::Null);
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let c = &v["compare"][0];
    let e = &v["error"];
    let row: Vec<String> = vec![
        s(&v["id"]),
        s(&v["date"]),
        s(&v["regime"]["timeline"]),
        s(&v["regime"]["pack"]),
        s(&v["regime"]["sha256"]),
        s(&v["classification"]["eccn"]),
        s(&v["classification"]["tpp_total"]),
        s(&v["tier"]),
        s(&v["authorization"]),
        s(&v["license_required"]),
        s(&v["review_policy"]),
        s(&v["allocation"]["pool"]),
        s(&v["allocation"]["tpp"]),
        s(&c["timeline"]),
        s(&c["pack"]),
        s(&c["authorization"]),
        s(&c["license_required"]),
        s(&c["review_policy"]),
        s(&c["allocation"]["pool"]),
        s(&e["code"]),
        s(&e["field"]),
        s(&e["message"]),
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&row).map_err(io::Error::other)?;
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// The named file, or standard input for `None`, with the file's length in bytes for a progress bar.
pub(crate) fn open_input(path: Option<&Path>) -> anyhow::Result<(Box<dyn Read>, Option<u64>)> {
    Ok(match path {
        Some(p) => {
            let f = File::open(p).with_context(|| format!("cannot open `{}`", p.display()))?;
            let len = f.metadata().ok().map(|m| m.len());
            (Box::new(f), len)
        }
        None => (Box::new(io::stdin().lock()), None),
    })
}

#[cfg(test)]
mod tests {
    use super::{amount, fit};
    use serde_json::json;

    #[test]
    fn amounts_are_grouped_and_rounded_to_thousandths() {
        assert_eq!(amount(&json!(31_664_000)), "31,664,000");
        assert_eq!(amount(&json!(1234.5)), "1,234.5");
        assert_eq!(amount(&json!(2.9996)), "3", "rounding carries into the whole part");
        assert_eq!(amount(&json!(-4.5)), "-4.5");
        assert_eq!(amount(&json!(null)), "-");
    }

    #[test]
    fn long_text_is_cut_to_its_width() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcd", 4), "abcd");
        assert_eq!(fit("", 4), "-");
    }
}
