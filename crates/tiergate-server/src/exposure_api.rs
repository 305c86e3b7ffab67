//! `POST /v1/exposure` (analyst): uploaded trade flows (CSV or Parquet) by country tier, as `tiergate exposure
//! --format json` answers, plus what the dashboard draws — groups by period, tier and country (the map), by period
//! and tier (the time series), the counterparties with the most value, and the Markdown report with its chart.
//! Size-limited ([`crate::Limits::max_upload_bytes`]); larger data goes through the CLI or a cluster.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use tiergate_exposure::report::{group_json, rendered, ExposureOut};
use tiergate_exposure::{
    compute, read_csv, Against, Computed, Dim, ExposureError, InputFormat, Screen, Session, Source, Wants,
};
use tiergate_store::Role;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{blocking, body, content_type_is, date_param, query, regime_or_scenario, Answer, St};

/// Counterparties in an answer.
const COUNTERPARTIES: usize = 100;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExposureQuery {
    /// What to group by, comma-separated: period, tier, country, product (default `period,tier`).
    by: Option<String>,
    /// Only products whose HS code starts with one of these, comma-separated (`8470,8471,8541,8542`).
    products: Option<String>,
    /// Only flows from this exporter (an ISO code or a name).
    exporter: Option<String>,
    /// The date the tiers are taken at, `YYYY-MM-DD`; default today (UTC).
    #[param(value_type = Option<String>, format = Date)]
    date: Option<String>,
    /// The regime: a timeline (`codified`, the default, or `enforced`) or a pack id.
    regime: Option<String>,
    /// A saved scenario (`GET /v1/scenarios`) instead of a regime.
    scenario: Option<String>,
    /// The CSV's shape, `canonical`, `baci` or `comtrade`; default: the one its header names.
    input_format: Option<String>,
}

/// `POST /v1/exposure` (analyst).
#[utoipa::path(
    post,
    path = "/v1/exposure",
    summary = "Trade flows by country tier (analyst)",
    description = "The body is the flows: CSV (`text/csv`; canonical `period,exporter,importer,product,value_usd[,quantity,supplier,customer,customer_parent]`, CEPII BACI `t,i,j,k,v,q` or UN Comtrade's bulk CSV) or Parquet (`application/vnd.apache.parquet`, or any body starting with `PAR1`). The answer is `tiergate exposure --format json`'s document (its `screening`: the suppliers, customers and parents the flows name, screened against the server's imported lists and resolved through its party registry, each flagged one with the flows naming it), with `by_country` (period, tier, country), `by_tier` (period, tier) and `report` (Markdown and its SVG chart). Rows that cannot be read are counted in `input.bad_rows` and the first listed with their lines; they are never counted in the figures.",
    params(ExposureQuery),
    request_body(content = String, description = "the flows, CSV or Parquet", content_type = "text/csv"),
    responses(
        (status = 200, description = "the exposure", body = serde_json::Value),
        (status = 413, description = "the body is larger than the server takes", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "another exposure is being computed: try again", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "a bad parameter, or flows that cannot be read (the field is named)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")
    )
)]
pub(crate) async fn exposure(
    State(st): St,
    caller: Caller,
    q: Result<Query<ExposureQuery>, QueryRejection>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Analyst, "computing exposures")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let env = regime_or_scenario(&st, q.regime.as_deref(), q.scenario.as_deref(), None).await?;
    let by = q.by.as_deref().unwrap_or("period,tier");
    let exposure_query =
        tiergate_exposure::Query::from_params(by, q.products.as_deref(), q.exporter.as_deref(), &env.countries)
            .map_err(|(field, why)| invalid(field, why))?;
    let format = match q.input_format.as_deref() {
        None => None,
        Some(f) => Some(
            InputFormat::parse(f)
                .ok_or_else(|| invalid("input_format", format!("`{f}` is not one of canonical, baci, comtrade")))?,
        ),
    };
    let bytes = body(raw)?;
    if bytes.is_empty() {
        return Err(invalid("body", "the body is empty: send the flows as CSV or Parquet".to_owned()));
    }
    let parquet = bytes.starts_with(b"PAR1") || content_type_is(&headers, "application/vnd.apache.parquet");
    if parquet && format.is_some_and(|f| f != InputFormat::Baci && f != InputFormat::Canonical) {
        return Err(invalid("input_format", "a Parquet body is canonical or BACI, by its columns".to_owned()));
    }
    // One exposure at a time per server: each takes the cores it can get, and uploads do not queue up in memory.
    let Ok(_slot) = st.exposure_slot.try_lock() else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "another exposure is being computed on this server; try again when it is done",
        ));
    };
    let shared = std::sync::Arc::clone(&st);
    let computed = blocking(move || {
        // The ledger's lists (when any is imported) and its party registry screen the counterparties: as they are
        // now, should another process have changed them since the server last looked.
        shared.refresh_lists().map_err(|e| Problem::internal(&e.to_string(), None))?;
        let (lists, registry) = (shared.lists.get(), shared.registry.get());
        let (pack, regime) = env.answering(date).map_err(|e| Problem::from_wire(&e).with_field("date"))?;
        // A runtime of its own on this blocking thread: the query's tasks do not take the server's workers.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Problem::internal(&e.to_string(), None))?;
        let upload = if parquet { Some(Upload::write(&bytes)?) } else { None };
        let result = rt.block_on(async {
            let session = Session::new(pack, date).await?;
            let source = match &upload {
                Some(u) => Source::Parquet(u.0.clone()),
                None => {
                    let (batches, report) = read_csv(&bytes[..], format, &env.countries)?;
                    Source::Read(batches, report)
                }
            };
            let against = Against::Ledger {
                lists: lists.as_deref(),
                registry: &registry,
                warnings: lists
                    .as_ref()
                    .map(|l| l.stale_on(time::OffsetDateTime::now_utc().date()))
                    .unwrap_or_default(),
            };
            let screening = Some(Screen { against, pack, date });
            let wants = Wants { by_country: true, by_tier: true, counterparties: COUNTERPARTIES, screening };
            compute(&session, source, &env.countries, &exposure_query, wants).await
        });
        drop(upload);
        let c = result.map_err(exposure_problem)?;
        answer(&env, regime.pack, regime.sha256, date, &exposure_query.by, &c)
    })
    .await?;
    Ok(Json(computed).into_response())
}

/// The answer's JSON: the CLI's document, and what the dashboard draws.
fn answer(
    env: &tiergate_wire::Env,
    pack: &str,
    sha256: &str,
    date: time::Date,
    by: &[Dim],
    c: &Computed,
) -> Result<serde_json::Value, Problem> {
    let doc = ExposureOut::of(env.regime_name(), pack, sha256, date, by, c);
    let (report, figures) =
        rendered(&doc, &c.by_country, &c.by_tier, "the uploaded flows").map_err(|e| Problem::internal(&e, None))?;
    let charts: serde_json::Map<String, serde_json::Value> =
        figures.into_iter().map(|(file, svg)| (file.to_owned(), svg.into())).collect();
    let mut value = serde_json::to_value(&doc).map_err(|e| Problem::internal(&e.to_string(), None))?;
    if let Some(m) = value.as_object_mut() {
        let country_dims = [Dim::Period, Dim::Tier, Dim::Country];
        let tier_dims = [Dim::Period, Dim::Tier];
        m.insert("by_country".into(), c.by_country.iter().map(|g| group_json(g, &country_dims)).collect());
        m.insert("by_tier".into(), c.by_tier.iter().map(|g| group_json(g, &tier_dims)).collect());
        m.insert("report".into(), serde_json::json!({"markdown": report, "charts": charts}));
    }
    Ok(value)
}

/// An uploaded Parquet body in a file of its own (DataFusion reads Parquet from files), removed when dropped.
struct Upload(std::path::PathBuf);

impl Upload {
    fn write(bytes: &[u8]) -> Result<Upload, Problem> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("tiergate-upload-{}-{n}.parquet", std::process::id()));
        // A new file, never one already there (nor a link someone left in its place).
        let write = || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
            f.write_all(bytes)
        };
        write().map_err(|e| Problem::internal(&format!("cannot keep the upload: {e}"), None))?;
        Ok(Upload(path))
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn invalid(field: &str, why: String) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", why).with_field(field)
}

/// Input the engine could not read is the caller's (422, naming the body); the engine failing is ours.
fn exposure_problem(e: ExposureError) -> Problem {
    match e {
        ExposureError::Input(why) => invalid("body", why),
        ExposureError::Engine(why) if why.contains("Parquet") || why.contains("parquet") => {
            invalid("body", format!("the Parquet body cannot be read: {why}"))
        }
        other => Problem::internal(&other.to_string(), None),
    }
}
