//! The exposure queries: plain SQL over three tables in a DataFusion session — `flows` (the canonical flows),
//! `tiers(country, tier, groups)` (one pack at one date) and, for BACI Parquet, `baci_codes(code, iso)`. No
//! per-row call into Tiergate's core: the same plan can run on any DataFusion engine.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
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
    /// A query from its parameters as the CLI and the API take them: `by` comma-separated dimensions, `products`
    /// comma-separated HS prefixes, `exporter` an ISO code or a name. A bad one is named: (parameter, why).
    pub fn from_params(
        by: &str,
        products: Option<&str>,
        exporter: Option<&str>,
        countries: &Countries,
    ) -> Result<Query, (&'static str, String)> {
        let by = by
            .split(',')
            .map(|d| {
                Dim::parse(d)
                    .ok_or_else(|| ("by", format!("`{}` is not one of period, tier, country, product", d.trim())))
            })
            .collect::<Result<Vec<Dim>, _>>()?;
        let exporter = match exporter {
            None => None,
            Some(e) => Some(
                countries
                    .resolve(e)
                    .map(|c| countries.code(c).to_owned())
                    .ok_or_else(|| ("exporter", countries.unknown(e)))?,
            ),
        };
        let products = products
            .map_or_else(Vec::new, |p| p.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect());
        let mut seen = Vec::new();
        for d in &by {
            if seen.contains(d) {
                return Err(("by", format!("`{}` is named twice", d.name())));
            }
            seen.push(*d);
        }
        let q = Query { by, products, exporter };
        match q.problem() {
            Some(p) => Err(p),
            None => Ok(q),
        }
    }

    /// Checks what goes into the SQL text: product prefixes are digits, the exporter two capital letters.
    pub fn check(&self) -> Result<(), ExposureError> {
        match self.problem() {
            None => Ok(()),
            Some((field, why)) => Err(ExposureError::Input(format!("`{field}`: {why}"))),
        }
    }

    /// The first parameter that cannot go into the SQL text, and why.
    fn problem(&self) -> Option<(&'static str, String)> {
        if self.by.is_empty() {
            return Some(("by", "names no dimension (tier, country, period, product)".into()));
        }
        if let Some(p) =
            self.products.iter().find(|p| p.is_empty() || p.len() > 12 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Some(("products", format!("`{p}` is not an HS code prefix (up to 12 digits)")));
        }
        if let Some(e) = self.exporter.as_ref().filter(|e| e.len() != 2 || !e.bytes().all(|b| b.is_ascii_uppercase())) {
            return Some(("exporter", format!("`{e}` is not an ISO country code")));
        }
        None
    }
}

/// One row of the `tiers` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRow {
    pub country: String,
    /// 1, 2 or 3; null under a regime without tiers.
    pub tier: Option<i64>,
    /// Under a regime without tiers, what it makes of an .a-class chip export there (`license, presumption of
    /// denial: Macau/D:5`, `license: D:1/D:4`, `no license`); null under a regime with tiers.
    pub category: Option<&'static str>,
    pub groups: String,
}

/// The `tiers` table's rows: every country with its tier (or, under a regime without tiers, its license category)
/// and its country groups, as `pack` has them on `date`.
pub fn tier_rows(pack: &Pack, date: Date) -> Vec<TierRow> {
    pack.countries
        .iter()
        .map(|c| TierRow {
            country: pack.countries.code(c).to_owned(),
            tier: standing(pack, c, 0, date).tier.map(|t| i64::from(t.number())),
            category: (!pack.regime.tiers).then(|| tiergate_wire::info::category(pack, c, date)),
            groups: pack.groups_of(c, date).join(","),
        })
        .collect()
}

/// The SQL of the `tiers` view: its rows as literals, so that the table travels inside the plan to wherever the
/// plan runs (an embedded engine or a cluster's executors).
pub fn tiers_sql(rows: &[TierRow]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let tier = r.tier.map_or_else(|| "NULL".to_owned(), |t| t.to_string());
            let category = r.category.map_or_else(|| "NULL".to_owned(), literal);
            format!("({}, {tier}, {category}, {})", literal(&r.country), literal(&r.groups))
        })
        .collect();
    format!(
        "SELECT CAST(column1 AS VARCHAR) AS country, CAST(column2 AS BIGINT) AS tier, \
         CAST(column3 AS VARCHAR) AS category, CAST(column4 AS VARCHAR) AS groups FROM (VALUES {})",
        values.join(", ")
    )
}

/// A SQL string literal.
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Where the queries run.
pub enum Engine {
    /// In this process.
    Embedded,
    /// On a cluster (Apache Ballista), through a session connected to its scheduler: flows must be Parquet that
    /// every executor can read.
    Cluster(SessionContext),
}

/// A session with `tiers` registered, and `flows` from `batches` (a CSV read) or a Parquet file.
pub struct Session {
    pub ctx: SessionContext,
    cluster: bool,
}

impl Session {
    /// An embedded session.
    pub async fn new(pack: &Pack, date: Date) -> Result<Session, ExposureError> {
        Session::on(Engine::Embedded, pack, date).await
    }

    /// A session on `engine`, with the `tiers` of `pack` on `date`.
    pub async fn on(engine: Engine, pack: &Pack, date: Date) -> Result<Session, ExposureError> {
        let (ctx, cluster) = match engine {
            Engine::Embedded => (SessionContext::new(), false),
            Engine::Cluster(ctx) => (ctx, true),
        };
        let session = Session { ctx, cluster };
        session.view("tiers", &tiers_sql(&tier_rows(pack, date))).await?;
        Ok(session)
    }

    pub(crate) async fn view(&self, name: &str, sql: &str) -> Result<(), ExposureError> {
        let df = self.ctx.sql(sql).await.map_err(engine)?;
        self.ctx.register_table(name, df.into_view()).map_err(engine)?;
        Ok(())
    }

    /// `flows` from batches already read (CSV).
    pub fn flows_from_batches(&self, batches: Vec<RecordBatch>) -> Result<(), ExposureError> {
        if self.cluster {
            return Err(ExposureError::Input(
                "a cluster reads flows from Parquet its executors can reach, not from CSV read here: convert the CSV \
                 to Parquet (docs/EXPOSURE.md) and give its path on storage every executor shares"
                    .into(),
            ));
        }
        let table = MemTable::try_new(input::schema(), vec![batches]).map_err(engine)?;
        self.ctx.register_table("flows", Arc::new(table)).map_err(engine)?;
        Ok(())
    }

    /// `flows` over a Parquet file: canonical columns, or BACI's `t,i,j,k,v,q` mapped through `baci_codes`.
    /// Rows without a period, product or value are counted as bad (Parquet has no lines to name).
    pub async fn flows_from_parquet(&self, path: &Path, countries: &Countries) -> Result<ReadReport, ExposureError> {
        // Absolute, so that executors started elsewhere read the same file.
        let path = std::path::absolute(path).map_err(|e| ExposureError::Input(format!("`{}`: {e}", path.display())))?;
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
        let opt =
            |n: &str, t: &str| if has(n) { format!("TRY_CAST({n} AS {t})") } else { format!("CAST(NULL AS {t})") };
        let integer_k =
            raw.schema().fields().iter().any(|f| f.name().eq_ignore_ascii_case("k") && f.data_type().is_integer());
        let (view, bad) = match format {
            input::InputFormat::Comtrade => {
                return Err(ExposureError::Input(
                    "UN Comtrade's bulk files are read as CSV (its codes need the row-by-row reading); give the .csv, \
                     or write the flows with the canonical columns"
                        .into(),
                ))
            }
            input::InputFormat::Baci => {
                let codes = BaciCodes::builtin(countries)?;
                let values: Vec<String> = codes.pairs().map(|(c, i)| format!("({c}, {})", literal(i))).collect();
                let sql = format!(
                    "SELECT CAST(column1 AS BIGINT) AS code, CAST(column2 AS VARCHAR) AS iso FROM (VALUES {})",
                    values.join(", ")
                );
                self.view("baci_codes", &sql).await?;
                (
                    format!(
                        "SELECT CAST(r.t AS VARCHAR) AS period, \
                         COALESCE(e.iso, 'BACI:' || CAST(r.i AS VARCHAR)) AS exporter, \
                         COALESCE(m.iso, 'BACI:' || CAST(r.j AS VARCHAR)) AS importer, \
                         {product} AS product, TRY_CAST(r.v AS DOUBLE) * 1000.0 AS value_usd, {quantity} AS quantity, \
                         CAST(NULL AS VARCHAR) AS supplier, CAST(NULL AS VARCHAR) AS customer, CAST(NULL AS VARCHAR) AS customer_parent, \
                         CAST(NULL AS BIGINT) AS line \
                         FROM raw r LEFT JOIN baci_codes e ON CAST(r.i AS BIGINT) = e.code LEFT JOIN baci_codes m ON CAST(r.j AS BIGINT) = m.code \
                         WHERE r.t IS NOT NULL AND r.k IS NOT NULL AND TRY_CAST(r.v AS DOUBLE) >= 0",
                        // BACI writes HS codes of six digits; stored as integers they lose their leading zero.
                        product = if integer_k { "LPAD(CAST(r.k AS VARCHAR), 6, '0')" } else { "CAST(r.k AS VARCHAR)" },
                        // `q` is blank or "NA" where BACI has no quantity.
                        quantity = if has("q") { "TRY_CAST(r.q AS DOUBLE)" } else { "CAST(NULL AS DOUBLE)" }
                    ),
                    "SELECT COUNT(*) AS n FROM raw WHERE t IS NULL OR k IS NULL OR TRY_CAST(v AS DOUBLE) IS NULL OR TRY_CAST(v AS DOUBLE) < 0"
                        .to_owned(),
                )
            }
            input::InputFormat::Canonical => (
                format!(
                    "SELECT CAST(period AS VARCHAR) AS period, {} AS exporter, CAST(importer AS VARCHAR) AS importer, \
                     CAST(product AS VARCHAR) AS product, TRY_CAST(value_usd AS DOUBLE) AS value_usd, {} AS quantity, {} AS supplier, \
                     {} AS customer, {} AS customer_parent, CAST(NULL AS BIGINT) AS line FROM raw \
                     WHERE period IS NOT NULL AND product IS NOT NULL AND importer IS NOT NULL AND TRY_CAST(value_usd AS DOUBLE) >= 0",
                    opt("exporter", "VARCHAR"),
                    opt("quantity", "DOUBLE"),
                    opt("supplier", "VARCHAR"),
                    opt("customer", "VARCHAR"),
                    opt("customer_parent", "VARCHAR")
                ),
                "SELECT COUNT(*) AS n FROM raw WHERE period IS NULL OR product IS NULL OR importer IS NULL \
                 OR TRY_CAST(value_usd AS DOUBLE) IS NULL OR TRY_CAST(value_usd AS DOUBLE) < 0"
                    .to_owned(),
            ),
        };
        let rows = self.rows("SELECT COUNT(*) AS n FROM raw").await?;
        let bad_rows = self.rows(&bad).await?;
        let view = self.ctx.sql(&view).await.map_err(engine)?;
        self.ctx.register_table("flows", view.into_view()).map_err(engine)?;
        Ok(ReadReport {
            format: format.name(),
            rows: first_count(&rows),
            bad_rows: first_count(&bad_rows),
            bad: Vec::new(),
        })
    }

    /// Runs `q`: one row per group, in order.
    pub async fn groups(&self, q: &Query) -> Result<Vec<Group>, ExposureError> {
        q.check()?;
        let sql = group_sql(q);
        let mut out = Vec::new();
        for b in &self.rows(&sql).await? {
            let c = Columns(b);
            let (period, country, product) = (c.text("period")?, c.text("country")?, c.text("product")?);
            let (tier, flows, parties) = (c.int("tier")?, c.int("flows")?, c.int("counterparties")?);
            let (value, share, category) = (c.float("value_usd")?, c.float("share")?, c.text("category")?);
            for i in 0..b.num_rows() {
                out.push(Group {
                    period: text_at(&period, i),
                    tier: int_at(&tier, i),
                    category: text_at(&category, i),
                    country: text_at(&country, i),
                    product: text_at(&product, i),
                    value_usd: float_at(&value, i).unwrap_or(0.0),
                    share: float_at(&share, i).unwrap_or(0.0),
                    flows: int_at(&flows, i).unwrap_or(0),
                    counterparties: int_at(&parties, i).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    /// The `limit` counterparties with the most value.
    pub async fn counterparties(&self, q: &Query, limit: usize) -> Result<Vec<Counterparty>, ExposureError> {
        q.check()?;
        let mut out = Vec::new();
        for b in &self.rows(&counterparties_sql(q, limit)).await? {
            let c = Columns(b);
            let (customer, parent, country) = (c.text("customer")?, c.text("customer_parent")?, c.text("country")?);
            let (tier, flows, category) = (c.int("tier")?, c.int("flows")?, c.text("category")?);
            let (value, share) = (c.float("value_usd")?, c.float("share")?);
            for i in 0..b.num_rows() {
                out.push(Counterparty {
                    customer: text_at(&customer, i),
                    customer_parent: text_at(&parent, i),
                    country: text_at(&country, i),
                    tier: int_at(&tier, i),
                    category: text_at(&category, i),
                    value_usd: float_at(&value, i).unwrap_or(0.0),
                    share: float_at(&share, i).unwrap_or(0.0),
                    flows: int_at(&flows, i).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }
}

impl Session {
    /// The answer of `sql`, collected.
    pub(crate) async fn rows(&self, sql: &str) -> Result<Vec<RecordBatch>, ExposureError> {
        self.ctx.sql(sql).await.map_err(engine)?.collect().await.map_err(engine)
    }
}

/// A batch's columns by name, each cast to the type read from it (the engine may hand strings back as views);
/// `None` for a column the query did not select.
pub(crate) struct Columns<'b>(pub(crate) &'b RecordBatch);

impl Columns<'_> {
    pub(crate) fn typed(&self, name: &str, t: &DataType) -> Result<Option<ArrayRef>, ExposureError> {
        self.0.column_by_name(name).map(|c| cast(c, t).map_err(engine)).transpose()
    }

    pub(crate) fn text(&self, name: &str) -> Result<Option<ArrayRef>, ExposureError> {
        self.typed(name, &DataType::Utf8)
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<ArrayRef>, ExposureError> {
        self.typed(name, &DataType::Int64)
    }

    pub(crate) fn float(&self, name: &str) -> Result<Option<ArrayRef>, ExposureError> {
        self.typed(name, &DataType::Float64)
    }
}

pub(crate) fn text_at(a: &Option<ArrayRef>, i: usize) -> Option<String> {
    a.as_ref().and_then(|a| a.as_string_opt::<i32>()).filter(|a| a.is_valid(i)).map(|a| a.value(i).to_owned())
}

pub(crate) fn int_at(a: &Option<ArrayRef>, i: usize) -> Option<i64> {
    a.as_ref().and_then(|a| a.as_primitive_opt::<Int64Type>()).filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

pub(crate) fn float_at(a: &Option<ArrayRef>, i: usize) -> Option<f64> {
    a.as_ref().and_then(|a| a.as_primitive_opt::<Float64Type>()).filter(|a| a.is_valid(i)).map(|a| a.value(i))
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
    /// The license category, under a regime without tiers (see [`TierRow::category`]).
    pub category: Option<String>,
    pub country: Option<String>,
    pub product: Option<String>,
    pub value_usd: f64,
    /// The group's value over its period's total (over the grand total when not grouped by period).
    pub share: f64,
    pub flows: i64,
    /// Distinct customers where the flows name them, else distinct importing countries.
    pub counterparties: i64,
}

/// The rows a query counts: its product prefixes and exporter, over `f` (flows).
pub(crate) fn filter_sql(q: &Query) -> String {
    let mut filter = String::from("TRUE");
    if !q.products.is_empty() {
        let ors: Vec<String> = q.products.iter().map(|p| format!("f.product LIKE '{p}%'")).collect();
        let _ = write!(filter, " AND ({})", ors.join(" OR "));
    }
    if let Some(e) = &q.exporter {
        let _ = write!(filter, " AND f.exporter = '{e}'");
    }
    filter
}

/// The SQL of a grouping: flows joined with their importer's tier, each group set beside its period's total.
pub fn group_sql(q: &Query) -> String {
    let filter = filter_sql(q);
    let col = |d: Dim| match d {
        Dim::Period => "x.period",
        // With its license category, which only a regime without tiers gives (then every tier is null).
        Dim::Tier => "x.tier, x.category",
        Dim::Country => "x.country",
        Dim::Product => "x.product",
    };
    let keys: Vec<&str> = q.by.iter().map(|d| col(*d)).collect();
    let select: Vec<String> =
        q.by.iter()
            .map(|d| match d {
                Dim::Tier => "x.tier AS tier, x.category AS category".to_owned(),
                _ => format!("{} AS {}", col(*d), d.name()),
            })
            .collect();
    let by_period = q.by.contains(&Dim::Period);
    let (total_join, total) = if by_period {
        ("JOIN totals ON totals.period = x.period", "MAX(totals.total)")
    } else {
        ("CROSS JOIN (SELECT SUM(value_usd) AS total FROM x0) totals", "MAX(totals.total)")
    };
    format!(
        "WITH x0 AS (SELECT f.period, f.importer AS country, f.product, f.value_usd, f.customer, t.tier, t.category \
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

/// The SQL of the counterparties with the most value: each customer the flows name (with its parent and country),
/// or each importing country where they name none; over every period.
pub fn counterparties_sql(q: &Query, limit: usize) -> String {
    format!(
        "WITH x AS (SELECT f.customer, f.customer_parent, f.importer AS country, f.value_usd, t.tier, t.category \
           FROM flows f LEFT JOIN tiers t ON f.importer = t.country WHERE {filter}), \
         total AS (SELECT SUM(value_usd) AS total FROM x) \
         SELECT x.customer, x.customer_parent, x.country, x.tier, x.category, SUM(x.value_usd) AS value_usd, \
           CASE WHEN MAX(total.total) > 0 THEN SUM(x.value_usd) / MAX(total.total) ELSE 0.0 END AS share, \
           COUNT(*) AS flows \
         FROM x CROSS JOIN total GROUP BY x.customer, x.customer_parent, x.country, x.tier, x.category \
         ORDER BY value_usd DESC, x.country, x.customer LIMIT {limit}",
        filter = filter_sql(q),
    )
}

/// One counterparty: a named customer in a country, or a country where the flows name no customer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Counterparty {
    /// The customer the flows name; null where they name none (the country is the counterparty).
    pub customer: Option<String>,
    pub customer_parent: Option<String>,
    pub country: Option<String>,
    pub tier: Option<i64>,
    /// The license category, under a regime without tiers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub value_usd: f64,
    /// Of the total value of the flows counted.
    pub share: f64,
    pub flows: i64,
}

fn engine(e: impl std::fmt::Display) -> ExposureError {
    ExposureError::Engine(e.to_string())
}
