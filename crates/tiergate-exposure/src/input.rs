//! Trade flows read into the canonical table: `period, exporter, importer, product, value_usd, quantity, supplier,
//! customer, customer_parent` (and `line`, the CSV line a flow was read from, for evidence). CSV is read here, row by row, so that every bad row is reported with its line;
//! CEPII BACI's `t,i,j,k,v,q` is recognised by its header and its numeric country codes mapped to ISO codes; so
//! is UN Comtrade's bulk CSV (`reporterCode, flowCode, partnerCode, cmdCode, primaryValue, ...`), each row turned
//! round by its flow (X: the reporter exports to the partner; M: the reporter imports from it).
//! Parquet is read by DataFusion itself (see `crate::engine`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use tiergate_core::Countries;

use crate::ExposureError;

/// BACI's country codes (CEPII, `country_codes_V202201.csv`), with their ISO alpha-2 codes where BACI gives one.
pub const BACI_CODES_CSV: &str = include_str!("../../../data/trade/baci-country-codes.csv");

/// BACI codes the table does not map to one ISO code: CEPII documents 490, "Other Asia, not elsewhere specified",
/// as Taiwan; BACI's releases from 202301 on code Italy 380 (UN M49) where the V202201 table has 381.
const BACI_OVERRIDES: &[(i64, &str)] = &[(490, "TW"), (380, "IT")];

/// Rows per Arrow batch.
const BATCH_ROWS: usize = 64 * 1024;
/// Most bad rows listed (all are counted).
pub const MAX_LISTED: usize = 100;

/// The canonical flows table's schema.
pub fn schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("period", false),
        text("exporter", true),
        text("importer", true),
        text("product", false),
        Field::new("value_usd", DataType::Float64, false),
        Field::new("quantity", DataType::Float64, true),
        text("supplier", true),
        text("customer", true),
        text("customer_parent", true),
        // The CSV line the flow was read from; null for Parquet (which has no lines).
        Field::new("line", DataType::Int64, true),
    ]))
}

/// The input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// `period,exporter,importer,product,value_usd[,quantity,supplier,customer,customer_parent]`.
    Canonical,
    /// CEPII BACI: `t,i,j,k,v,q`, values in thousands of USD.
    Baci,
    /// UN Comtrade's bulk CSV: `period, reporterCode, reporterISO, flowCode, partnerCode, partnerISO, cmdCode,
    /// qty, primaryValue, ...` (values in USD); flows X and M.
    Comtrade,
}

impl InputFormat {
    pub fn parse(s: &str) -> Option<InputFormat> {
        match s {
            "canonical" => Some(InputFormat::Canonical),
            "baci" => Some(InputFormat::Baci),
            "comtrade" => Some(InputFormat::Comtrade),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Canonical => "canonical",
            InputFormat::Baci => "baci",
            InputFormat::Comtrade => "comtrade",
        }
    }

    /// The format a header names, if it names one.
    pub fn detect(header: &[String]) -> Option<InputFormat> {
        let has = |n: &str| header.iter().any(|h| h == n);
        if ["t", "i", "j", "k", "v"].iter().all(|n| has(n)) {
            Some(InputFormat::Baci)
        } else if COMTRADE_REQUIRED.iter().all(|n| has(n)) {
            Some(InputFormat::Comtrade)
        } else if ["period", "importer", "product", "value_usd"].iter().all(|n| has(n)) {
            Some(InputFormat::Canonical)
        } else {
            None
        }
    }
}

/// The columns of UN Comtrade's bulk CSV that are read (lower case); `qty`, `reporteriso`, `partneriso`,
/// `fobvalue` and `cifvalue` are read where present.
pub const COMTRADE_REQUIRED: &[&str] =
    &["period", "reportercode", "flowcode", "partnercode", "cmdcode", "primaryvalue"];

/// BACI's numeric codes mapped to ISO codes; a code BACI gives no ISO code for ("Europe EFTA, nes") maps to
/// `BACI:CODE`, a country no tier can be found for.
#[derive(Clone, Debug)]
pub struct BaciCodes(HashMap<i64, String>);

impl BaciCodes {
    /// The built-in table. A row whose alpha-2 cell is empty is resolved by its alpha-3 code through `countries`
    /// (the table leaves Namibia's `NA` empty, read as missing).
    pub fn builtin(countries: &Countries) -> Result<BaciCodes, ExposureError> {
        let mut r = csv::Reader::from_reader(BACI_CODES_CSV.as_bytes());
        let mut map = HashMap::new();
        for row in r.records() {
            let row = row.map_err(|e| ExposureError::Data(format!("data/trade/baci-country-codes.csv: {e}")))?;
            let code: i64 = row.get(0).unwrap_or_default().trim().parse().map_err(|_| {
                ExposureError::Data(format!("data/trade/baci-country-codes.csv: `{:?}` is not a code", row.get(0)))
            })?;
            let iso = row.get(3).unwrap_or_default().trim();
            let alpha3 = row.get(4).unwrap_or_default().trim();
            if iso.len() == 2 && iso.bytes().all(|b| b.is_ascii_uppercase()) {
                map.insert(code, iso.to_owned());
            } else if let Some(c) = (alpha3.len() == 3).then(|| countries.resolve(alpha3)).flatten() {
                map.insert(code, countries.code(c).to_owned());
            }
        }
        for (code, iso) in BACI_OVERRIDES {
            map.insert(*code, (*iso).to_owned());
        }
        Ok(BaciCodes(map))
    }

    /// The ISO code for BACI code `code`, or `BACI:CODE`.
    pub fn iso(&self, code: i64) -> String {
        self.0.get(&code).cloned().unwrap_or_else(|| format!("BACI:{code}"))
    }

    /// The ISO code for `code`, if the table maps it.
    pub fn get(&self, code: i64) -> Option<&str> {
        self.0.get(&code).map(String::as_str)
    }

    /// Every (BACI code, country) pair, for the table the Parquet path joins with.
    pub fn pairs(&self) -> impl Iterator<Item = (i64, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }
}

/// A row that could not be read, with its line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BadRow {
    pub line: u64,
    pub problem: String,
}

/// What reading found besides the flows.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ReadReport {
    pub format: &'static str,
    pub rows: u64,
    pub bad_rows: u64,
    /// The first bad rows (at most 100), with their lines.
    pub bad: Vec<BadRow>,
}

/// Column positions of the canonical format.
struct Columns {
    period: usize,
    exporter: Option<usize>,
    importer: usize,
    product: usize,
    value: usize,
    quantity: Option<usize>,
    supplier: Option<usize>,
    customer: Option<usize>,
    parent: Option<usize>,
    /// UN Comtrade: the flow code, the reporter's and partner's ISO alpha-3 codes, FOB and CIF values.
    flow: Option<usize>,
    reporter_iso: Option<usize>,
    partner_iso: Option<usize>,
    fob: Option<usize>,
    cif: Option<usize>,
}

struct Builders {
    period: StringBuilder,
    exporter: StringBuilder,
    importer: StringBuilder,
    product: StringBuilder,
    value: Float64Builder,
    quantity: Float64Builder,
    supplier: StringBuilder,
    customer: StringBuilder,
    parent: StringBuilder,
    line: Int64Builder,
    len: usize,
}

impl Builders {
    fn new() -> Builders {
        Builders {
            period: StringBuilder::new(),
            exporter: StringBuilder::new(),
            importer: StringBuilder::new(),
            product: StringBuilder::new(),
            value: Float64Builder::new(),
            quantity: Float64Builder::new(),
            supplier: StringBuilder::new(),
            customer: StringBuilder::new(),
            parent: StringBuilder::new(),
            line: Int64Builder::new(),
            len: 0,
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, ExposureError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.period.finish()),
            Arc::new(self.exporter.finish()),
            Arc::new(self.importer.finish()),
            Arc::new(self.product.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.quantity.finish()),
            Arc::new(self.supplier.finish()),
            Arc::new(self.customer.finish()),
            Arc::new(self.parent.finish()),
            Arc::new(self.line.finish()),
        ];
        self.len = 0;
        RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| ExposureError::Engine(e.to_string()))
    }
}

/// One good row, before it is appended.
struct Row<'r> {
    period: &'r str,
    exporter: Option<String>,
    importer: String,
    product: &'r str,
    value: f64,
    quantity: Option<f64>,
    supplier: Option<&'r str>,
    customer: Option<&'r str>,
    parent: Option<&'r str>,
}

/// Reads CSV flows (`format`, or the one the header names) into canonical batches; bad rows are counted and the
/// first listed, never used.
pub fn read_csv(
    input: impl Read,
    format: Option<InputFormat>,
    countries: &Countries,
) -> Result<(Vec<RecordBatch>, ReadReport), ExposureError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ExposureError::Input(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let format = match format.or_else(|| InputFormat::detect(&header)) {
        Some(f) => f,
        None => {
            return Err(ExposureError::Input(format!(
                "the header ({}) is neither BACI's `t,i,j,k,v,q`, UN Comtrade's `period,reporterCode,flowCode,partnerCode,cmdCode,primaryValue,...` nor the canonical `period,exporter,importer,product,value_usd,...`",
                header.join(",")
            )))
        }
    };
    let at = |n: &str| header.iter().position(|h| h == n);
    let need = |n: &str| at(n).ok_or_else(|| ExposureError::Input(format!("the header has no `{n}` column")));
    let codes = match format {
        InputFormat::Baci | InputFormat::Comtrade => Some(BaciCodes::builtin(countries)?),
        InputFormat::Canonical => None,
    };
    let none = Columns {
        period: 0,
        exporter: None,
        importer: 0,
        product: 0,
        value: 0,
        quantity: None,
        supplier: None,
        customer: None,
        parent: None,
        flow: None,
        reporter_iso: None,
        partner_iso: None,
        fob: None,
        cif: None,
    };
    let cols = match format {
        InputFormat::Baci => Columns {
            period: need("t")?,
            exporter: Some(need("i")?),
            importer: need("j")?,
            product: need("k")?,
            value: need("v")?,
            quantity: at("q"),
            ..none
        },
        InputFormat::Comtrade => Columns {
            period: need("period")?,
            exporter: Some(need("reportercode")?),
            importer: need("partnercode")?,
            product: need("cmdcode")?,
            value: need("primaryvalue")?,
            quantity: at("qty"),
            flow: Some(need("flowcode")?),
            reporter_iso: at("reporteriso"),
            partner_iso: at("partneriso"),
            fob: at("fobvalue"),
            cif: at("cifvalue"),
            ..none
        },
        InputFormat::Canonical => Columns {
            period: need("period")?,
            exporter: at("exporter"),
            importer: need("importer")?,
            product: need("product")?,
            value: need("value_usd")?,
            quantity: at("quantity"),
            supplier: at("supplier"),
            customer: at("customer"),
            parent: at("customer_parent"),
            ..none
        },
    };
    let schema = schema();
    let mut report = ReadReport { format: format.name(), ..ReadReport::default() };
    let mut batches = Vec::new();
    let mut b = Builders::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                report.rows += 1;
                let row = match format {
                    InputFormat::Baci => baci_row(&record, &cols, codes.as_ref()),
                    InputFormat::Comtrade => comtrade_row(&record, &cols, codes.as_ref(), countries),
                    InputFormat::Canonical => canonical_row(&record, &cols, countries),
                };
                match row {
                    Ok(r) => {
                        b.period.append_value(r.period);
                        b.exporter.append_option(r.exporter);
                        b.importer.append_value(r.importer);
                        b.product.append_value(r.product);
                        b.value.append_value(r.value);
                        b.quantity.append_option(r.quantity);
                        b.supplier.append_option(r.supplier);
                        b.customer.append_option(r.customer);
                        b.parent.append_option(r.parent);
                        b.line.append_value(i64::try_from(line).unwrap_or(i64::MAX));
                        b.len += 1;
                        if b.len == BATCH_ROWS {
                            batches.push(b.finish(&schema)?);
                        }
                    }
                    Err(problem) => bad(&mut report, line, problem),
                }
            }
            Err(e) => {
                report.rows += 1;
                bad(&mut report, line, format!("not CSV: {e}"));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    if b.len > 0 {
        batches.push(b.finish(&schema)?);
    }
    Ok((batches, report))
}

fn bad(report: &mut ReadReport, line: u64, problem: String) {
    report.bad_rows += 1;
    if report.bad.len() < MAX_LISTED {
        report.bad.push(BadRow { line, problem });
    }
}

fn cell(r: &csv::StringRecord, i: usize) -> &str {
    r.get(i).unwrap_or_default()
}

fn value(text: &str, column: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{column}` must be a number of 0 or more, not `{text}`"))
}

fn quantity(text: &str, column: &str) -> Result<Option<f64>, String> {
    match text {
        "" | "NA" | "na" => Ok(None),
        t => value(t, column).map(Some),
    }
}

fn baci_row<'r>(r: &'r csv::StringRecord, c: &Columns, codes: Option<&BaciCodes>) -> Result<Row<'r>, String> {
    let codes = codes.ok_or("internal: no BACI code table")?;
    let code = |i: usize, column: &str| -> Result<String, String> {
        let t = cell(r, i);
        t.parse::<i64>().map(|n| codes.iso(n)).map_err(|_| format!("`{column}` must be a BACI country code, not `{t}`"))
    };
    let period = cell(r, c.period);
    if period.is_empty() {
        return Err("`t` (the year) is empty".into());
    }
    let product = cell(r, c.product);
    if product.is_empty() {
        return Err("`k` (the product) is empty".into());
    }
    Ok(Row {
        period,
        exporter: Some(code(c.exporter.unwrap_or(1), "i")?),
        importer: code(c.importer, "j")?,
        product,
        // BACI's values are in thousands of USD.
        value: value(cell(r, c.value), "v")? * 1000.0,
        quantity: c.quantity.map(|q| quantity(cell(r, q), "q")).transpose()?.flatten(),
        supplier: None,
        customer: None,
        parent: None,
    })
}

/// Comtrade's partner codes for totals over other rows (World, the EU as one partner): counting them would count
/// the same trade twice.
const COMTRADE_AGGREGATES: &[(i64, &str)] = &[(0, "World"), (97, "the EU")];

fn comtrade_row<'r>(
    r: &'r csv::StringRecord,
    c: &Columns,
    codes: Option<&BaciCodes>,
    countries: &Countries,
) -> Result<Row<'r>, String> {
    let codes = codes.ok_or("internal: no country code table")?;
    // A numeric code through the M49 table BACI shares with Comtrade (490 is Taiwan), then the ISO alpha-3 code
    // Comtrade gives beside it, else `COMTRADE:CODE`, a country no tier can be found for.
    let country = |code_at: usize, iso_at: Option<usize>, column: &str| -> Result<String, String> {
        let t = cell(r, code_at);
        let code: i64 = t.parse().map_err(|_| format!("`{column}` must be a Comtrade country code, not `{t}`"))?;
        if let Some((_, name)) = COMTRADE_AGGREGATES.iter().find(|(n, _)| *n == code) {
            return Err(format!(
                "`{column}` {code} is {name}, a total of other rows: select single partners when downloading"
            ));
        }
        if let Some(iso) = codes.get(code) {
            return Ok(iso.to_owned());
        }
        let alpha3 = iso_at.map(|i| cell(r, i)).filter(|a| a.len() == 3);
        Ok(alpha3
            .and_then(|a| countries.resolve(a))
            .map_or_else(|| format!("COMTRADE:{code}"), |c| countries.code(c).to_owned()))
    };
    let period = cell(r, c.period);
    if period.is_empty() {
        return Err("`period` is empty".into());
    }
    let product = cell(r, c.product);
    if product.is_empty() {
        return Err("`cmdCode` is empty".into());
    }
    let flow = cell(r, c.flow.unwrap_or(0));
    let reporter = country(c.exporter.unwrap_or(0), c.reporter_iso, "reporterCode")?;
    let partner = country(c.importer, c.partner_iso, "partnerCode")?;
    let (exporter, importer, fallback) = match flow {
        "X" => (reporter, partner, c.fob),
        "M" => (partner, reporter, c.cif),
        other => {
            return Err(format!(
                "`flowCode` `{other}`: only X (exports) and M (imports) are read; re-exports and re-imports would count goods twice"
            ))
        }
    };
    let primary = cell(r, c.value);
    let value = match (primary, fallback.map(|i| cell(r, i)).filter(|v| !v.is_empty())) {
        ("", Some(v)) => value(v, if flow == "X" { "fobvalue" } else { "cifvalue" })?,
        (v, _) => value(v, "primaryValue")?,
    };
    Ok(Row {
        period,
        exporter: Some(exporter),
        importer,
        product,
        value,
        quantity: c.quantity.map(|q| quantity(cell(r, q), "qty")).transpose()?.flatten(),
        supplier: None,
        customer: None,
        parent: None,
    })
}

fn canonical_row<'r>(r: &'r csv::StringRecord, c: &Columns, countries: &Countries) -> Result<Row<'r>, String> {
    let country = |i: usize, column: &str| -> Result<String, String> {
        let t = cell(r, i);
        // `area:NAME` is a destination the source names but no country ("Others", "Netherlands Antilles"): it
        // counts in the totals, with no tier.
        if let Some(name) = t.get(..5).filter(|p| p.eq_ignore_ascii_case("area:")).and(t.get(5..)) {
            let name = name.trim();
            if name.is_empty() || name.len() > 100 {
                return Err(format!("`{column}`: `{t}` names no area (area:NAME, at most 100 characters)"));
            }
            return Ok(format!("area:{name}"));
        }
        countries.resolve(t).map(|c| countries.code(c).to_owned()).ok_or_else(|| {
            format!("`{column}`: {} (write `area:NAME` for a region that is no country)", countries.unknown(t))
        })
    };
    let period = cell(r, c.period);
    if period.is_empty() {
        return Err("`period` is empty".into());
    }
    let product = cell(r, c.product);
    if product.is_empty() {
        return Err("`product` is empty".into());
    }
    let opt = |i: Option<usize>| i.map(|i| cell(r, i)).filter(|s| !s.is_empty());
    Ok(Row {
        period,
        exporter: c
            .exporter
            .map(|i| cell(r, i))
            .filter(|s| !s.is_empty())
            .map(|_| country(c.exporter.unwrap_or(0), "exporter"))
            .transpose()?,
        importer: country(c.importer, "importer")?,
        product,
        value: value(cell(r, c.value), "value_usd")?,
        quantity: c.quantity.map(|q| quantity(cell(r, q), "quantity")).transpose()?.flatten(),
        supplier: opt(c.supplier),
        customer: opt(c.customer),
        parent: opt(c.parent),
    })
}
