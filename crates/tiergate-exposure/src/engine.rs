//! The exposure queries: plain SQL over three tables in a DataFusion session — `flows` (the canonical flows),
//! `tiers(country, tier, groups)` (one pack at one date) and, for BACI Parquet, `baci_codes(code, iso)`. No
//! per-row call into Tiergate's core: the same plan can run on any DataFusion engine.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Builder, RecordBatch, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use time::Date;

use tiergate_core::scenario::capacity::standing;
use tiergate_core::{Countries, Pack};

use crate::input::{self, BaciCodes, ReadReport};
use crate::ExposureError;

/// What a group is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dim {
    Period,
    Tier,
    Country,
    Product,
}

impl Dim {
    pub fn parse(s: &str) -> Option<Dim> {
        match s.trim() {
            "period" => Some(Dim::Period),
            "tier" => Some(Dim::Tier),
            "country" => Some(Dim::Country),
            "product" => Some(Dim::Product),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dim::Period => "period",
            Dim::Tier => "tier",
            Dim::Country => "country",
            Dim::Product => "product",
        }
    }
}

/// What to group by and which flows to count.
#[derive(Clone, Debug)]
pub struct Query {
    pub by: Vec<Dim>,
    /// HS code prefixes (digits only); empty for every product.
    pub products: Vec<String>,
    /// Only flows from this exporter (an ISO code).
    pub exporter: Option<String>,
}

impl Query {
    /// Checks what goes into the SQL text: product prefixes are digits, the exporter two capital letters.
    pub fn check(&self) -> Result<(), ExposureError> {
        if self.by.is_empty() {
            return Err(ExposureError::Input("`--by` names no dimension (tier, country, period, product)".into()));
        }
        for p in &self.products {
            if p.is_empty() || p.len() > 12 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ExposureError::Input(format!("`--products`: `{p}` is not an HS code prefix (digits)")));
            }
        }
        if let Some(e) = &self.exporter {
            if e.len() != 2 || !e.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ExposureError::Input(format!("`--exporter`: `{e}` is not an ISO country code")));
            }
        }
        Ok(())
    }
}

/// The `tiers` table: every country with its tier (null under a regime without tiers) and its country groups, as
/// `pack` has them on `date`.
pub fn tiers_batch(pack: &Pack, date: Date) -> Result<RecordBatch, ExposureError> {
    let mut country = StringBuilder::new();
    let mut tier = Int64Builder::new();
    let mut groups = StringBuilder::new();
    for c in pack.countries.iter() {
        country.append_value(pack.countries.code(c));
        tier.append_option(standing(pack, c, 0, date).tier.map(|t| i64::from(t.number())));
        groups.append_value(pack.groups_of(c, date).join(","));
    }
    let schema = Schema::new(vec![
        Field::new("country", DataType::Utf8, false),
        Field::new("tier", DataType::Int64, true),
        Field::new("groups", DataType::Utf8, false),
    ]);
    let columns: Vec<ArrayRef> = vec![Arc::new(country.finish()), Arc::new(tier.finish()), Arc::new(groups.finish())];
    RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| ExposureError::Engine(e.to_string()))
}

/// A session with `tiers` registered, and `flows` from `batches` (a CSV read) or a Parquet file.
pub struct Session {
    pub ctx: SessionContext,
}

impl Session {
    pub fn new(pack: &Pack, date: Date) -> Result<Session, ExposureError> {
        let ctx = SessionContext::new();
        let tiers = tiers_batch(pack, date)?;
        let table = MemTable::try_new(tiers.schema(), vec![vec![tiers]]).map_err(engine)?;
        ctx.register_table("tiers", Arc::new(table)).map_err(engine)?;
        Ok(Session { ctx })
    }

    /// `flows` from batches already read (CSV).
    pub fn flows_from_batches(&self, batches: Vec<RecordBatch>) -> Result<(), ExposureError> {
        let table = MemTable::try_new(input::schema(), vec![batches]).map_err(engine)?;
        self.ctx.register_table("flows", Arc::new(table)).map_err(engine)?;
        Ok(())
    }

    /// `flows` over a Parquet file: canonical columns, or BACI's `t,i,j,k,v,q` mapped through `baci_codes`.
    /// Rows without a period, product or value are counted as bad (Parquet has no lines to name).
    pub async fn flows_from_parquet(&self, path: &Path, countries: &Countries) -> Result<ReadReport, ExposureError> {
        let path = path.to_str().ok_or_else(|| ExposureError::Input("the path is not UTF-8".into()))?;
        self.ctx.register_parquet("raw", path, ParquetReadOptions::default()).await.map_err(engine)?;
        let raw = self.ctx.table("raw").await.map_err(engine)?;
        let names: Vec<String> = raw.schema().fields().iter().map(|f| f.name().to_ascii_lowercase()).collect();
        let format = input::InputFormat::detect(&names).ok_or_else(|| {
            ExposureError::Input(format!(
                "the Parquet columns ({}) are neither BACI's `t,i,j,k,v,q` nor the canonical `period,exporter,importer,product,value_usd,...`",
                names.join(",")
            ))
        })?;
        let has = |n: &str| names.iter().any(|h| h == n);
        let opt = |n: &str, t: &str| if has(n) { format!("CAST({n} AS {t})") } else { format!("CAST(NULL AS {t})") };
        let (view, bad) = match format {
            input::InputFormat::Baci => {
                let codes = BaciCodes::builtin(countries)?;
                let mut code = Int64Builder::new();
                let mut iso = StringBuilder::new();
                for (c, i) in codes.pairs() {
                    code.append_value(c);
                    iso.append_value(i);
                }
                let schema = Schema::new(vec![Field::new("code", DataType::Int64, false), Field::new("iso", DataType::Utf8, false)]);
                let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(code.finish()), Arc::new(iso.finish())])
                    .map_err(engine)?;
                let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).map_err(engine)?;
                self.ctx.register_table("baci_codes", Arc::new(table)).map_err(engine)?;
                (
                    format!(
                        "SELECT CAST(r.t AS VARCHAR) AS period, \
                         COALESCE(e.iso, 'BACI:' || CAST(r.i AS VARCHAR)) AS exporter, \
                         COALESCE(m.iso, 'BACI:' || CAST(r.j AS VARCHAR)) AS importer, \
                         CAST(r.k AS VARCHAR) AS product, CAST(r.v AS DOUBLE) * 1000.0 AS value_usd, {} AS quantity, \
                         CAST(NULL AS VARCHAR) AS supplier, CAST(NULL AS VARCHAR) AS customer, CAST(NULL AS VARCHAR) AS customer_parent \
                         FROM raw r LEFT JOIN baci_codes e ON CAST(r.i AS BIGINT) = e.code LEFT JOIN baci_codes m ON CAST(r.j AS BIGINT) = m.code \
                         WHERE r.t IS NOT NULL AND r.k IS NOT NULL AND r.v IS NOT NULL AND r.v >= 0",
                        if has("q") { "CAST(r.q AS DOUBLE)" } else { "CAST(NULL AS DOUBLE)" }
                    ),
                    "SELECT COUNT(*) AS n FROM raw WHERE t IS NULL OR k IS NULL OR v IS NULL OR v < 0".to_owned(),
                )
            }
            input::InputFormat::Canonical => (
                format!(
                    "SELECT CAST(period AS VARCHAR) AS period, {} AS exporter, CAST(importer AS VARCHAR) AS importer, \
                     CAST(product AS VARCHAR) AS product, CAST(value_usd AS DOUBLE) AS value_usd, {} AS quantity, {} AS supplier, \
                     {} AS customer, {} AS customer_parent FROM raw \
                     WHERE period IS NOT NULL AND product IS NOT NULL AND importer IS NOT NULL AND value_usd IS NOT NULL AND value_usd >= 0",
                    opt("exporter", "VARCHAR"),
                    opt("quantity", "DOUBLE"),
                    opt("supplier", "VARCHAR"),
                    opt("customer", "VARCHAR"),
                    opt("customer_parent", "VARCHAR")
                ),
                "SELECT COUNT(*) AS n FROM raw WHERE period IS NULL OR product IS NULL OR importer IS NULL OR value_usd IS NULL OR value_usd < 0"
                    .to_owned(),
            ),
        };
        let rows =
            self.ctx.sql("SELECT COUNT(*) AS n FROM raw").await.map_err(engine)?.collect().await.map_err(engine)?;
        let bad_rows = self.ctx.sql(&bad).await.map_err(engine)?.collect().await.map_err(engine)?;
        let view = self.ctx.sql(&view).await.map_err(engine)?;
        self.ctx.register_table("flows", view.into_view()).map_err(engine)?;
        Ok(ReadReport {
            format: match format {
                input::InputFormat::Baci => "baci",
                input::InputFormat::Canonical => "canonical",
            },
            rows: first_count(&rows),
            bad_rows: first_count(&bad_rows),
            bad: Vec::new(),
        })
    }

    /// Runs `q`: one row per group, in order.
    pub async fn groups(&self, q: &Query) -> Result<Vec<Group>, ExposureError> {
        q.check()?;
        let sql = group_sql(q);
        let batches = self.ctx.sql(&sql).await.map_err(engine)?.collect().await.map_err(engine)?;
        let mut out = Vec::new();
        for b in &batches {
            // Every column cast to the type read from it: the engine may hand strings back as views.
            let col = |name: &str, t: &DataType| -> Result<Option<ArrayRef>, ExposureError> {
                b.column_by_name(name).map(|c| cast(c, t).map_err(engine)).transpose()
            };
            let (period, country, product) =
                (col("period", &DataType::Utf8)?, col("country", &DataType::Utf8)?, col("product", &DataType::Utf8)?);
            let (tier, flows, parties) = (
                col("tier", &DataType::Int64)?,
                col("flows", &DataType::Int64)?,
                col("counterparties", &DataType::Int64)?,
            );
            let (value, share) = (col("value_usd", &DataType::Float64)?, col("share", &DataType::Float64)?);
            let text = |a: &Option<ArrayRef>, i: usize| {
                a.as_ref()
                    .and_then(|a| a.as_string_opt::<i32>())
                    .filter(|a| a.is_valid(i))
                    .map(|a| a.value(i).to_owned())
            };
            let int = |a: &Option<ArrayRef>, i: usize| {
                a.as_ref().and_then(|a| a.as_primitive_opt::<Int64Type>()).filter(|a| a.is_valid(i)).map(|a| a.value(i))
            };
            let float = |a: &Option<ArrayRef>, i: usize| {
                a.as_ref()
                    .and_then(|a| a.as_primitive_opt::<Float64Type>())
                    .filter(|a| a.is_valid(i))
                    .map(|a| a.value(i))
            };
            for i in 0..b.num_rows() {
                out.push(Group {
                    period: text(&period, i),
                    tier: int(&tier, i),
                    country: text(&country, i),
                    product: text(&product, i),
                    value_usd: float(&value, i).unwrap_or(0.0),
                    share: float(&share, i).unwrap_or(0.0),
                    flows: int(&flows, i).unwrap_or(0),
                    counterparties: int(&parties, i).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }
}

fn first_count(batches: &[RecordBatch]) -> u64 {
    batches
        .first()
        .and_then(|b| b.columns().first().cloned())
        .and_then(|c| cast(&c, &DataType::Int64).ok())
        .and_then(|c| c.as_primitive_opt::<Int64Type>().filter(|a| !a.is_empty()).map(|a| a.value(0)))
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

/// One group's totals.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub period: Option<String>,
    pub tier: Option<i64>,
    pub country: Option<String>,
    pub product: Option<String>,
    pub value_usd: f64,
    /// The group's value over its period's total (over the grand total when not grouped by period).
    pub share: f64,
    pub flows: i64,
    /// Distinct customers where the flows name them, else distinct importing countries.
    pub counterparties: i64,
}

/// The SQL of a grouping: flows joined with their importer's tier, each group set beside its period's total.
pub fn group_sql(q: &Query) -> String {
    let mut filter = String::from("TRUE");
    if !q.products.is_empty() {
        let ors: Vec<String> = q.products.iter().map(|p| format!("f.product LIKE '{p}%'")).collect();
        let _ = write!(filter, " AND ({})", ors.join(" OR "));
    }
    if let Some(e) = &q.exporter {
        let _ = write!(filter, " AND f.exporter = '{e}'");
    }
    let col = |d: Dim| match d {
        Dim::Period => "x.period",
        Dim::Tier => "x.tier",
        Dim::Country => "x.country",
        Dim::Product => "x.product",
    };
    let keys: Vec<&str> = q.by.iter().map(|d| col(*d)).collect();
    let select: Vec<String> = q.by.iter().map(|d| format!("{} AS {}", col(*d), d.name())).collect();
    let by_period = q.by.contains(&Dim::Period);
    let (total_join, total) = if by_period {
        ("JOIN totals ON totals.period = x.period", "MAX(totals.total)")
    } else {
        ("CROSS JOIN (SELECT SUM(value_usd) AS total FROM x0) totals", "MAX(totals.total)")
    };
    format!(
        "WITH x0 AS (SELECT f.period, f.importer AS country, f.product, f.value_usd, f.customer, t.tier \
           FROM flows f LEFT JOIN tiers t ON f.importer = t.country WHERE {filter}), \
         x AS (SELECT * FROM x0), \
         totals AS (SELECT period, SUM(value_usd) AS total FROM x0 GROUP BY period) \
         SELECT {select}, SUM(x.value_usd) AS value_usd, \
           CASE WHEN {total} > 0 THEN SUM(x.value_usd) / {total} ELSE 0.0 END AS share, \
           COUNT(*) AS flows, COUNT(DISTINCT COALESCE(x.customer, x.country)) AS counterparties \
         FROM x {total_join} GROUP BY {keys} ORDER BY {keys}",
        select = select.join(", "),
        keys = keys.join(", "),
    )
}

fn engine(e: impl std::fmt::Display) -> ExposureError {
    ExposureError::Engine(e.to_string())
}
