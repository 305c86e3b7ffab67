//! The handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tiergate_core::classify::classify;
use tiergate_store::{parse_date, Meta, ReserveStatus, Role};
use tiergate_wire::info::{ClassifyOut, ClassifyRequest, CountryDetailOut, CountryOut, ItemOut};
use tiergate_wire::{determine_line_with, determine_one, Env, Hooks};
use time::{Date, OffsetDateTime};

use crate::auth::Caller;
use crate::hooks::LedgerHooks;
use crate::problem::Problem;
use crate::AppState;
use crate::{dashboard_api, fleet_api, parties_api, scenarios_api, screening_api};

pub(crate) type St = State<Arc<AppState>>;
pub(crate) type Answer = Result<Response, Problem>;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/determinations", post(determinations).get(list_determinations))
        .route("/v1/determinations/{id}", get(show_determination))
        .route("/v1/determinations/{id}/memo", get(crate::memo_api::memo))
        .route("/v1/determinations/{id}/status", post(crate::cases_api::set_status))
        .route("/v1/determinations/{id}/notes", post(crate::cases_api::add_note))
        .route("/v1/classify", post(classify_item))
        .route("/v1/items", get(items))
        .route("/v1/items/{id}", get(item))
        .route("/v1/regimes", get(regimes))
        .route("/v1/countries", get(countries))
        .route("/v1/countries/{code}", get(country))
        .route("/v1/pools/{pool}", get(pool_balance))
        .route("/v1/reservations", post(reserve).get(reservations))
        .route("/v1/reservations/{id}/post", post(post_reservation))
        .route("/v1/reservations/{id}/void", post(void_reservation))
        .route("/v1/audit", get(audit))
        .route("/v1/audit/verify", get(verify))
        .route("/v1/audit/checkpoint", get(checkpoint))
        .route("/metrics", get(metrics))
        .route("/v1/tokens", get(list_tokens).post(create_token))
        .route("/v1/tokens/{name}", axum::routing::delete(revoke_token))
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
        .route("/v1/session", post(dashboard_api::sign_in).get(dashboard_api::whoami).delete(dashboard_api::sign_out))
        .route("/v1/pools", get(dashboard_api::pools))
        .route("/v1/screen", get(screening_api::screen).post(screening_api::screen_batch))
        .route("/v1/judgements", post(screening_api::judge))
        .route("/v1/fleet/check", post(fleet_api::fleet_check))
        .route("/v1/fleet/plan", post(fleet_api::fleet_plan))
        .route("/v1/parties", get(parties_api::list).post(parties_api::add))
        .route("/v1/parties/merge", post(parties_api::merge))
        .route("/v1/parties/{name}", get(parties_api::show).patch(parties_api::set))
        .route("/v1/parties/{name}/aliases", post(parties_api::alias))
        .route("/v1/parties/{name}/owners", axum::routing::put(parties_api::owner))
        .route("/v1/scenarios", get(scenarios_api::list).post(scenarios_api::save))
        .route("/v1/scenarios/{name}", get(scenarios_api::show).delete(scenarios_api::delete))
        .route("/v1/scenarios/{name}/diff", post(scenarios_api::diff))
        .route("/v1/capacity", get(scenarios_api::capacity))
        .route("/v1/veus", get(crate::veus_api::list).post(crate::veus_api::register))
        .route("/v1/veus/{id}", get(crate::veus_api::show))
        .route("/v1/veus/{id}/report", get(crate::veus_api::report).post(crate::veus_api::issue))
        .route("/v1/veus/{id}/readiness", get(crate::veus_api::readiness))
        .route("/v1/veus/{id}/evidence", post(crate::veus_api::evidence))
        .route("/", get(dashboard_api::asset))
        .route("/assets/{*file}", get(dashboard_api::asset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Runs database work that writes: always on the blocking pool, since a SQLite writer may wait for another
/// process's lock (up to the busy timeout) and must not stall the async workers meanwhile.
pub(crate) async fn db_write<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    blocking(f).await
}

/// Runs work that may take long (a batch, screening, verifying the whole log) on the blocking pool, so that the
/// async workers keep answering everyone else meanwhile.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Problem::internal(&e.to_string(), None))?
}

/// Bodies larger than this (a batch, a CSV order book) are determined on the blocking pool.
const INLINE_BODY: usize = 16 * 1024;

/// Runs work on the blocking pool when `heavy` (it writes, or is large), else as a read.
async fn db_maybe_write<T: Send + 'static>(
    st: &AppState,
    heavy: bool,
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    if heavy {
        blocking(f).await
    } else {
        db(st, f).await
    }
}

/// Runs database work that only reads: inline for SQLite (microseconds, local, never waits for writers in WAL
/// mode), else on the blocking pool.
pub(crate) async fn db<T: Send + 'static>(
    st: &AppState,
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    if st.inline_db {
        return f();
    }
    tokio::task::spawn_blocking(f).await.map_err(|e| Problem::internal(&e.to_string(), None))?
}

fn json_body(bytes: Vec<u8>, status: StatusCode) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// A JSON answer `{"MEMBER": [...]}` built from answer lines as the wire crate writes them (one JSON object and a
/// newline each), put in as they are rather than parsed again.
pub(crate) struct AnswerArray {
    out: Vec<u8>,
    empty: bool,
}

impl AnswerArray {
    /// `member` is a literal name; `capacity` the bytes expected.
    pub(crate) fn new(member: &'static str, capacity: usize) -> AnswerArray {
        let mut out = Vec::with_capacity(capacity + member.len() + 16);
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(member.as_bytes());
        out.extend_from_slice(b"\":[");
        AnswerArray { out, empty: true }
    }

    pub(crate) fn push(&mut self, line: &[u8]) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
    }

    /// The answer (200), with `rest` (members after the array, each led by a comma) before its closing brace.
    pub(crate) fn finish(mut self, rest: &str) -> Response {
        self.out.push(b']');
        self.out.extend_from_slice(rest.as_bytes());
        self.out.push(b'}');
        json_body(self.out, StatusCode::OK)
    }
}

pub(crate) fn body(result: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    result.map_err(|e| {
        // A body that did not arrive in time: its error is somewhere in the rejection's chain of sources.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.is::<crate::BodyDeadline>() {
                return Problem::new(StatusCode::REQUEST_TIMEOUT, "body_timeout", s.to_string());
            }
            source = s.source();
        }
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than the server accepts here (4 MiB by default; 64 MiB for uploads of flows, lists, facility logs and customer files)",
            )
        } else {
            Problem::new(StatusCode::BAD_REQUEST, "malformed_body", e.body_text())
        }
    })
}

/// A JSON request body as `T`: 400 when it is not JSON, 422 when it is JSON of the wrong shape.
pub(crate) fn json_request<T: serde::de::DeserializeOwned>(raw: Result<Bytes, BytesRejection>) -> Result<T, Problem> {
    let bytes = body(raw)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let status = if e.is_data() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        Problem::new(status, if e.is_data() { "invalid_value" } else { "malformed_json" }, e.to_string())
    })
}

/// Whether the request's body is of this media type (parameters such as `charset` aside).
pub(crate) fn content_type_is(headers: &axum::http::HeaderMap, media_type: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(media_type))
}

pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    q.map(|Query(t)| t).map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", e.body_text()))
}

/// The country `text` names (an ISO code or a name) in `field`, or 422 `unknown_country` with the nearest names.
pub(crate) fn country_param(env: &Env, field: &str, text: &str) -> Result<tiergate_core::Country, Problem> {
    env.countries.resolve(text).ok_or_else(|| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_country", env.countries.unknown(text)).with_field(field)
    })
}

pub(crate) fn date_param(date: Option<&str>, field: &str) -> Result<Date, Problem> {
    match date {
        None => Ok(OffsetDateTime::now_utc().date()),
        Some(s) => parse_date(s).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_date",
                format!("`{s}` is not a date in the form YYYY-MM-DD"),
            )
            .with_field(field)
        }),
    }
}

fn meta(caller: &Caller, reason: Option<String>) -> Meta {
    Meta { actor: caller.name.clone(), reason, at: OffsetDateTime::now_utc() }
}

#[utoipa::path(get, path = "/healthz", summary = "Liveness", responses((status = 200, description = "alive", body = crate::openapi::StatusDoc)), security(()))]
pub(crate) async fn healthz() -> Response {
    Json(serde_json::json!({"status": "ok"})).into_response()
}

#[utoipa::path(get, path = "/readyz", summary = "Readiness (no token)", responses((status = 200, description = "the database answers", body = crate::openapi::StatusDoc), (status = 503, description = "the database does not answer", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")), security(()))]
pub(crate) async fn readyz(State(st): St) -> Answer {
    let ready = db(&Arc::clone(&st), move || st.ledger.read(|l| l.ping()).map_err(|e| Problem::from_ledger(&e))).await;
    match ready {
        Ok(()) => Ok(Json(serde_json::json!({"status": "ready"})).into_response()),
        Err(_) => Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the database does not answer")),
    }
}

async fn not_found() -> Problem {
    Problem::not_found("no such route; see /openapi.json".into())
}

/// A known route asked with a method it does not take: a problem body like every other error.
async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /openapi.json",
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordQuery {
    /// Reserve what each answer draws (officer).
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    record: bool,
    /// The regime: a timeline (`codified`, the default, or `enforced`), answering each request under the pack in
    /// force on its date, or a pack id (`GET /v1/regimes` lists them).
    regime: Option<String>,
    /// A timeline whose answer is added (`compare`) where it differs.
    compare: Option<String>,
    /// A saved scenario (`GET /v1/scenarios`) to answer under instead; never with `record`.
    scenario: Option<String>,
}

/// The server's environment under `regime` or the saved `scenario` (one of them at most), comparing with
/// `compare`.
pub(crate) async fn regime_or_scenario(
    st: &Arc<AppState>,
    regime: Option<&str>,
    scenario: Option<&str>,
    compare: Option<&str>,
) -> Result<Env, Problem> {
    match scenario {
        None => chosen_env(&st.env, regime, compare),
        Some(_) if regime.is_some() => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "give `regime` or `scenario`, not both: a scenario names its base",
        )
        .with_field("scenario")),
        Some(name) => {
            let env = scenarios_api::env_under(st, name).await?;
            env.comparing(compare).map_err(|e| Problem::from_wire(&e))
        }
    }
}

/// The server's environment answering under `regime` (default: the server's own) and comparing with `compare`.
pub(crate) fn chosen_env(base: &Env, regime: Option<&str>, compare: Option<&str>) -> Result<Env, Problem> {
    let env = match regime {
        Some(r) => base.select(r).map_err(|e| Problem::from_wire(&e))?,
        None => base.clone(),
    };
    env.comparing(compare).map_err(|e| Problem::from_wire(&e))
}

/// `POST /v1/determinations`: one request, or `{"requests": [...]}`. Balances come from the ledger;
/// `?record=true` reserves what each answer draws (officer).
#[utoipa::path(post, path = "/v1/determinations", summary = "Determine one request or a batch (analyst; record: officer)", params(RecordQuery), request_body(content((crate::openapi::DeterminationsBody = "application/json"), (String = "text/csv")), description = "one request or {\"requests\": [...]} as JSON; or a CSV order book with the columns of `tiergate determine --input-format csv`, answered as a batch"), responses((status = 200, description = "the determination, or the batch answers in order", body = crate::openapi::DeterminationsAnswer), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 413, description = "body too large", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a single request that parses but is invalid, or a batch over 1,000 requests", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn determinations(
    State(st): St,
    caller: Caller,
    q: Result<Query<RecordQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    let csv = content_type_is(&headers, "text/csv");
    let q = query(q)?;
    caller.require(
        if q.record { Role::Officer } else { Role::Analyst },
        if q.record { "recording determinations" } else { "determinations" },
    )?;
    if q.record && q.scenario.is_some() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "a scenario's answers are hypothetical and are never recorded: drop `record` or `scenario`",
        )
        .with_field("scenario"));
    }
    let env = regime_or_scenario(&st, q.regime.as_deref(), q.scenario.as_deref(), q.compare.as_deref()).await?;
    let bytes = body(raw)?;
    let heavy = q.record || csv || bytes.len() > INLINE_BODY;
    db_maybe_write(&Arc::clone(&st), heavy, move || {
        let mut ledger_hooks =
            LedgerHooks::new(&st.ledger, st.lists.get(), st.registry.get(), q.record, caller.name.clone());
        let (answer, requests) = if csv {
            determine_csv_body(&st, &env, &bytes, &mut ledger_hooks)
        } else {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "malformed_json", "the body is not UTF-8"))?;
            // A batch is `{"requests": [...]}`; anything else is one request. The probe borrows each request's
            // text, so nothing is parsed twice; a body that cannot hold the key (not even escaped) is not probed,
            // which spares a single request the probe's failure.
            let may_be_batch = text.contains("requests") || text.contains("\\u");
            let batch: Option<Vec<&serde_json::value::RawValue>> =
                may_be_batch.then(|| serde_json::from_str::<BatchProbe<'_>>(text).ok().map(|b| b.requests)).flatten();
            (determine_body(&st, &env, batch.as_deref(), text, &mut ledger_hooks), batch.as_ref().map_or(1, Vec::len))
        };
        let m = &st.metrics;
        for (a, n) in &ledger_hooks.determined {
            m.determinations.with_label_values(&[a]).inc_by(*n);
        }
        for (o, n) in &ledger_hooks.recorded {
            m.reservations.with_label_values(&[o]).inc_by(*n);
        }
        let rejected = requests.saturating_sub(ledger_hooks.determined.values().sum::<u64>() as usize);
        if rejected > 0 {
            m.determinations.with_label_values(&["error"]).inc_by(rejected as u64);
        }
        answer
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchProbe<'a> {
    #[serde(borrow)]
    requests: Vec<&'a serde_json::value::RawValue>,
}

/// Answers a CSV order book (`Content-Type: text/csv`, the columns of `tiergate determine --input-format csv`)
/// as a batch, `{"determinations": [...]}`, each row's answer or error (with its line) in its place; with the
/// number of rows.
fn determine_csv_body(st: &AppState, env: &Env, bytes: &[u8], hooks: &mut LedgerHooks<'_>) -> (Answer, usize) {
    // Counted first, so that an oversized book is refused before any row is recorded.
    let rows = csv::ReaderBuilder::new().flexible(true).from_reader(bytes).records().count();
    if rows > st.limits.max_batch {
        let p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("a batch holds at most {} requests, not {rows}", st.limits.max_batch),
        );
        return (Err(p), 0);
    }
    let mut out = AnswerArray::new("determinations", rows * 2048);
    let done = tiergate_wire::determine_csv(env, bytes, hooks, |line, _| {
        out.push(line);
        Ok(())
    });
    match done {
        Ok(_) => (Ok(out.finish("")), rows),
        Err(e) => (Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "malformed_csv", e.to_string())), rows),
    }
}

/// Answers a determinations body: a batch or a single request.
fn determine_body(
    st: &AppState,
    env: &Env,
    batch: Option<&[&serde_json::value::RawValue]>,
    text: &str,
    hooks: &mut LedgerHooks<'_>,
) -> Answer {
    let hooks: &mut dyn Hooks = hooks;
    let Some(items) = batch else {
        let out = determine_one(env, text, hooks).map_err(|e| Problem::from_wire(&e))?;
        return Ok(json_body(out, StatusCode::OK));
    };
    if items.len() > st.limits.max_batch {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("a batch holds at most {} requests, not {}", st.limits.max_batch, items.len()),
        )
        .with_field("requests"));
    }
    let mut out = AnswerArray::new("determinations", items.len() * 2048);
    let mut line = Vec::with_capacity(4096);
    for (i, item) in items.iter().enumerate() {
        line.clear();
        determine_line_with(env, item.get(), Some(i as u64 + 1), &mut line, hooks);
        out.push(&line);
    }
    Ok(out.finish(""))
}

/// `POST /v1/classify`: `{"item": ..., "quantity": N}` (analyst).
#[utoipa::path(post, path = "/v1/classify", summary = "Classify an item (analyst)", request_body = ClassifyRequest, responses((status = 200, description = "the classification and its reasons", body = ClassifyOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "invalid item", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn classify_item(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Analyst, "classifications")?;
    let req: ClassifyRequest = json_request(raw)?;
    let label = serde_json::to_value(&req.item).unwrap_or_default();
    let (item, quantity) = req.validate().map_err(|e| Problem::from_wire(&e))?;
    let c = classify(&item, quantity, &st.env.pack, &st.env.catalog)
        .map_err(|e| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string()).with_field(e.field()))?;
    let body = ClassifyOut::new(label, &item, &c, &st.env).map_err(|e| Problem::from_wire(&e))?;
    Ok(Json(body).into_response())
}

/// `GET /v1/items` (viewer).
#[utoipa::path(get, path = "/v1/items", summary = "The accelerator catalog (viewer)", responses((status = 200, description = "the accelerator catalog", body = Vec<ItemOut>), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn items(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading items")?;
    let list = st
        .env
        .catalog
        .iter()
        .map(|a| ItemOut::new(a, &st.env))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Problem::internal(&e.message, None))?;
    Ok(Json(list).into_response())
}

/// `GET /v1/items/{id}` (viewer).
#[utoipa::path(get, path = "/v1/items/{id}", summary = "One accelerator (viewer)", params(("id" = String, Path, description = "a catalog id, e.g. nvidia-h100-sxm")), responses((status = 200, description = "one accelerator", body = ItemOut), (status = 404, description = "not in the catalog", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn item(State(st): St, caller: Caller, Path(id): Path<String>) -> Answer {
    caller.require(Role::Viewer, "reading items")?;
    let a = st.env.catalog.get(&id).ok_or_else(|| Problem::not_found(st.env.catalog.unknown(&id)))?;
    Ok(Json(ItemOut::new(a, &st.env).map_err(|e| Problem::internal(&e.message, None))?).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DateQuery {
    /// `YYYY-MM-DD`; default today (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) date: Option<String>,
}

/// `GET /v1/pools?date=&after=&limit=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolsQuery {
    /// `YYYY-MM-DD`; default today (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) date: Option<String>,
    /// The last pool of the previous page (its `next_after`).
    pub(crate) after: Option<String>,
    /// At most this many, 1 to 1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u64>,
}

/// The answer of `GET /v1/regimes`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RegimesOut<'a> {
    /// The regime the server answers under when a request names none.
    default: &'a str,
    timelines: Vec<tiergate_wire::regimes::TimelineOut<'a>>,
    /// Every built-in pack, each a regime of its own (`?regime=ID`).
    packs: Vec<PackRef<'a>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PackRef<'a> {
    id: &'a str,
    version: &'a str,
    title: &'a str,
    sha256: &'a str,
}

/// `GET /v1/regimes?date=` (viewer): the timelines with their periods (only the one in force on `date`, if given)
/// and the built-in packs, as `tiergate regimes` prints them.
#[utoipa::path(get, path = "/v1/regimes", summary = "Regimes over time (viewer)", params(DateQuery), responses((status = 200, description = "the timelines and packs", body = RegimesOut), (status = 422, description = "bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn regimes(State(st): St, caller: Caller, q: Result<Query<DateQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Viewer, "reading regimes")?;
    let q = query(q)?;
    let date = match q.date.as_deref() {
        Some(d) => Some(date_param(Some(d), "date")?),
        None => None,
    };
    let env = &st.env;
    let timelines = tiergate_wire::regimes::timelines(env, None, date).map_err(|e| Problem::from_wire(&e))?;
    let packs = env
        .regimes
        .packs
        .iter()
        .map(|p| PackRef { id: &p.id, version: &p.version, title: &p.title, sha256: &p.sha256 })
        .collect();
    Ok(Json(RegimesOut { default: env.regime_name(), timelines, packs }).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountriesQuery {
    /// `YYYY-MM-DD`; default today (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) date: Option<String>,
    /// The regime: a timeline (`codified`, the default, or `enforced`) or a pack id.
    pub(crate) regime: Option<String>,
    /// A saved scenario (`GET /v1/scenarios`) instead of a regime.
    pub(crate) scenario: Option<String>,
}

/// `GET /v1/countries?date=` (viewer): tier and groups of every country on a date (default: today).
#[utoipa::path(get, path = "/v1/countries", summary = "Countries with tiers (viewer)", params(CountriesQuery), responses((status = 200, description = "every country with tier and groups", body = Vec<CountryOut>), (status = 422, description = "bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn countries(
    State(st): St,
    caller: Caller,
    q: Result<Query<CountriesQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading countries")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let env = regime_or_scenario(&st, q.regime.as_deref(), q.scenario.as_deref(), None).await?;
    let (pack, _) = env.answering(date).map_err(|e| Problem::from_wire(&e))?;
    let list: Vec<CountryOut<'_>> = env.countries.iter().map(|c| CountryOut::new(c, &env, pack, date)).collect();
    Ok(Json(list).into_response())
}

/// `GET /v1/countries/{code}` (viewer); also accepts names and aliases.
#[utoipa::path(get, path = "/v1/countries/{code}", summary = "One country (viewer)", params(("code" = String, Path, description = "ISO code, name or alias"), CountriesQuery), responses((status = 200, description = "one country, with why it is in its tier and its allocation", body = CountryDetailOut), (status = 404, description = "unknown country", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn country(
    State(st): St,
    caller: Caller,
    Path(code): Path<String>,
    q: Result<Query<CountriesQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading countries")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let env = regime_or_scenario(&st, q.regime.as_deref(), q.scenario.as_deref(), None).await?;
    let (pack, _) = env.answering(date).map_err(|e| Problem::from_wire(&e))?;
    let c = env.countries.resolve(&code).ok_or_else(|| Problem::not_found(env.countries.unknown(&code)))?;
    Ok(Json(CountryDetailOut::new(c, &env, pack, date)).into_response())
}

/// `GET /v1/pools/{pool}?date=` (viewer): as `tiergate ledger balance`.
#[utoipa::path(get, path = "/v1/pools/{pool}", summary = "A pool's balance (viewer)", params(("pool" = String, Path, description = "country:XX, lpp:<consignee>:<year> or nveu:<id>"), DateQuery), responses((status = 200, description = "as tiergate ledger balance", body = tiergate_store::Balance), (status = 422, description = "a pool the rule does not define, or a bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn pool_balance(
    State(st): St,
    caller: Caller,
    Path(pool): Path<String>,
    q: Result<Query<DateQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading pools")?;
    let date = date_param(query(q)?.date.as_deref(), "date")?;
    let balance =
        db(&Arc::clone(&st), move || st.ledger.read(|l| l.balance(&pool, date)).map_err(|e| Problem::from_ledger(&e)))
            .await?;
    Ok(Json(balance).into_response())
}

/// `POST /v1/reservations`, as `tiergate ledger reserve` takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReserveBody {
    /// `country:XX`, `lpp:<ultimate consignee>:<year>` or `nveu:<id>`.
    #[schema(pattern = "^(country|lpp|nveu):.+$")]
    pool: String,
    /// Whole TPP.
    #[schema(minimum = 1, maximum = 9_223_372_036_854_775_807_i64)]
    tpp: u64,
    /// Idempotency key: the same key and body answer `exists`; another body is a 409.
    #[schema(min_length = 1, max_length = 200)]
    key: String,
    /// The date the cap is taken at, `YYYY-MM-DD`; default today (UTC).
    #[serde(default)]
    #[schema(format = Date)]
    date: Option<String>,
    /// The last day the reservation holds if not posted, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date)]
    expires: Option<String>,
    /// Why (the determination or document that causes it).
    #[serde(default)]
    #[schema(max_length = 1000)]
    reason: Option<String>,
}

/// `POST /v1/reservations` (officer): as `tiergate ledger reserve`. 201 reserved, 200 exists, 409 refused
/// (the problem carries the same fields).
#[utoipa::path(post, path = "/v1/reservations", summary = "Reserve TPP in a pool (officer)", request_body = ReserveBody, responses((status = 201, description = "reserved", body = tiergate_store::ReserveOutcome), (status = 200, description = "the key exists with the same body", body = tiergate_store::ReserveOutcome), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "refused: exceeds_allocation or idempotency_conflict; the problem carries the reserve answer's fields", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "invalid", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn reserve(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Officer, "reserving")?;
    let b: ReserveBody = json_request(raw)?;
    let date = date_param(b.date.as_deref(), "date")?;
    let expires = b.expires.as_deref().map(|e| date_param(Some(e), "expires")).transpose()?;
    let key = b.key.clone();
    let m = meta(&caller, b.reason);
    let counted = Arc::clone(&st);
    let outcome = db_write(move || {
        st.ledger.reserve(&b.pool, b.tpp, &b.key, date, expires, &m).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    counted.metrics.reservations.with_label_values(&[crate::hooks::outcome_label(&outcome)]).inc();
    match outcome.status {
        ReserveStatus::Reserved => Ok((StatusCode::CREATED, Json(outcome)).into_response()),
        ReserveStatus::Exists => Ok((StatusCode::OK, Json(outcome)).into_response()),
        ReserveStatus::Rejected => {
            let code = outcome.code.unwrap_or("rejected");
            let detail = if code == "idempotency_conflict" {
                format!("key `{key}` was used for another reservation ({})", outcome.id.as_deref().unwrap_or("?"))
            } else {
                format!("{} TPP exceed what {} has left ({} TPP)", outcome.tpp, outcome.pool, outcome.available_tpp)
            };
            let mut p = Problem::new(StatusCode::CONFLICT, code, detail);
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&outcome) {
                p.extra = map;
            }
            Err(p)
        }
    }
}

async fn settle(st: Arc<AppState>, caller: Caller, id: String, post: bool) -> Answer {
    caller.require(Role::Officer, if post { "posting" } else { "voiding" })?;
    let m = meta(&caller, None);
    let date = OffsetDateTime::now_utc().date();
    let r = db_write(move || {
        st.ledger
            .with(|l| if post { l.post(&id, date, &m) } else { l.void(&id, date, &m) })
            .map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    Ok(Json(r).into_response())
}

/// `POST /v1/reservations/{id}/post` (officer).
#[utoipa::path(post, path = "/v1/reservations/{id}/post", summary = "Post a reservation (officer)", params(("id" = String, Path, description = "res-N")), responses((status = 200, description = "the updated reservation", body = tiergate_store::Reservation), (status = 404, description = "no such reservation", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "not pending", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_reservation(State(st): St, caller: Caller, Path(id): Path<String>) -> Answer {
    settle(st, caller, id, true).await
}

/// `POST /v1/reservations/{id}/void` (officer).
#[utoipa::path(post, path = "/v1/reservations/{id}/void", summary = "Void a reservation (officer)", params(("id" = String, Path, description = "res-N")), responses((status = 200, description = "the updated reservation", body = tiergate_store::Reservation), (status = 404, description = "no such reservation", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "not pending", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn void_reservation(State(st): St, caller: Caller, Path(id): Path<String>) -> Answer {
    settle(st, caller, id, false).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolQuery {
    /// `country:XX`, `lpp:<ultimate consignee>:<year>` or `nveu:<id>`.
    #[param(pattern = "^(country|lpp|nveu):.+$")]
    pool: String,
    /// Those made after this reservation (the previous page's `next_after`).
    after: Option<String>,
    /// At most this many, 1 to 1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// `GET /v1/reservations?pool=&after=&limit=` (viewer): `{"reservations": [...], "next_after": ID or null}`.
#[utoipa::path(get, path = "/v1/reservations", summary = "A pool's reservations, paged (viewer)", params(PoolQuery), responses((status = 200, description = "a page of the pool's reservations in the order made", body = crate::openapi::ReservationsPageDoc), (status = 422, description = "bad pool", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn reservations(State(st): St, caller: Caller, q: Result<Query<PoolQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Viewer, "reading reservations")?;
    let q = query(q)?;
    let limit = page_limit(q.limit, tiergate_store::MAX_PAGE)?;
    let list = db(&Arc::clone(&st), move || {
        st.ledger.read(|l| l.list_page(&q.pool, q.after.as_deref(), limit)).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    let next_after = (list.len() as u64 == limit).then(|| list.last().map(|r| r.id.clone())).flatten();
    Ok(Json(serde_json::json!({"reservations": list, "next_after": next_after})).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// Entries after this sequence number (default 0).
    #[serde(default)]
    #[param(value_type = Option<u64>, minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    after: u64,
    /// At most this many entries, 1 to 1000 (default 1000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
    /// Only the entries about this pool or record: `country:MY`, `lpp:NAME:YEAR`, `veu:ID`, `determination:ID`,
    /// `token:NAME`, `list:NAME`, ... (the entries' `pool`).
    #[param(max_length = 400)]
    pool: Option<String>,
}

/// `GET /v1/audit?after=&limit=&pool=` (viewer): `{"entries": [...], "next_after": N or null}`.
#[utoipa::path(get, path = "/v1/audit", summary = "The audit log (viewer)", params(AuditQuery), responses((status = 200, description = "a page of the audit log", body = crate::openapi::AuditPageDoc), (status = 422, description = "bad parameters", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn audit(State(st): St, caller: Caller, q: Result<Query<AuditQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Viewer, "reading the audit log")?;
    let q = query(q)?;
    let limit = page_limit(q.limit, tiergate_store::MAX_PAGE)?;
    if i64::try_from(q.after).is_err() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "`after` is beyond any sequence number",
        )
        .with_field("after"));
    }
    let pool = q.pool.filter(|p| !p.is_empty());
    if pool.as_ref().is_some_and(|p| p.chars().count() > tiergate_core::pool::MAX_POOL_ID) {
        let why = format!("`pool` holds at most {} characters", tiergate_core::pool::MAX_POOL_ID);
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", why).with_field("pool"));
    }
    let after = q.after;
    let entries = db(&Arc::clone(&st), move || {
        st.ledger
            .read(|l| match &pool {
                Some(p) => l.audit_about(p, after, limit),
                None => l.audit(after, limit),
            })
            .map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    let next_after = (entries.len() as u64 == limit).then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(Json(serde_json::json!({"entries": entries, "next_after": next_after})).into_response())
}

/// `GET /v1/determinations`: filters and the page.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeterminationsQuery {
    /// A destination, ISO code or name.
    destination: Option<String>,
    /// An authorization: NLR, AIA, ACA, NAC, ACM, UVEU, NVEU, LPP or LICENSE (any case).
    authorization: Option<String>,
    /// A catalog id (`spec`, `model-weights` for the others).
    item: Option<String>,
    /// Request dates from this day, `YYYY-MM-DD`.
    from: Option<String>,
    /// Request dates up to this day, `YYYY-MM-DD`.
    to: Option<String>,
    /// The case's status: draft, approved, shipped or withdrawn.
    status: Option<String>,
    /// Ids starting with this.
    id: Option<String>,
    /// A consignee or ultimate parent whose name contains this (any case).
    party: Option<String>,
    /// Those recorded after this `seq` (the previous page's `next_after`); default 0.
    #[serde(default)]
    #[param(value_type = Option<u64>, minimum = 0)]
    after: u64,
    /// At most this many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// `GET /v1/determinations?destination=&authorization=&item=&from=&to=&status=&id=&party=&after=&limit=` (viewer): recorded
/// determinations in the order recorded, `{"determinations": [...], "next_after": N or null}`.
#[utoipa::path(get, path = "/v1/determinations", summary = "Recorded determinations, filtered and paged (viewer)", params(DeterminationsQuery), responses((status = 200, description = "a page of recorded determinations", body = crate::openapi::DeterminationsPageDoc), (status = 422, description = "bad parameters", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list_determinations(
    State(st): St,
    caller: Caller,
    q: Result<Query<DeterminationsQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading recorded determinations")?;
    let q = query(q)?;
    let limit = page_limit(q.limit, 100)?;
    let invalid = |field: &str, detail: String| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", detail).with_field(field)
    };
    let destination = match q.destination.as_deref() {
        Some(d) => Some(
            st.env
                .countries
                .resolve(d)
                .map(|c| st.env.countries.code(c).to_owned())
                .ok_or_else(|| invalid("destination", format!("`{d}` is not a country Tiergate knows")))?,
        ),
        None => None,
    };
    let date = |field: &str, v: Option<&str>| -> Result<Option<String>, Problem> {
        v.map(|d| {
            parse_date(d)
                .map(tiergate_store::date_text)
                .ok_or_else(|| invalid(field, format!("`{field}` must be YYYY-MM-DD")))
        })
        .transpose()
    };
    for (field, value, max) in [
        ("item", q.item.as_deref(), tiergate_store::MAX_ID),
        ("id", q.id.as_deref(), tiergate_store::MAX_ID),
        ("party", q.party.as_deref(), tiergate_core::registry::MAX_NAME),
    ] {
        tiergate_store::check_text(field, value, max).map_err(|e| Problem::from_ledger(&e))?;
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            tiergate_core::case::CaseStatus::parse(s)
                .ok_or_else(|| {
                    invalid("status", "not a case status: use draft, approved, shipped or withdrawn".into())
                })?
                .as_str()
                .to_owned(),
        ),
    };
    let authorizations = tiergate_core::determine::Authorization::ALL.map(|a| a.as_str());
    let authorization = match q.authorization.as_deref().map(|a| a.trim().to_ascii_uppercase()) {
        Some(a) if !authorizations.contains(&a.as_str()) => {
            return Err(invalid(
                "authorization",
                format!("not an authorization: use one of {}", authorizations.join(", ")),
            ))
        }
        a => a,
    };
    let filter = tiergate_store::DeterminationFilter {
        destination,
        authorization,
        item: q.item.clone(),
        from: date("from", q.from.as_deref())?,
        to: date("to", q.to.as_deref())?,
        status,
        id_prefix: q.id.clone(),
        party: q.party.clone(),
        after: q.after,
        limit,
    };
    let list = db(&Arc::clone(&st), move || {
        st.ledger.read(|l| l.determinations(&filter)).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    let next_after = (list.len() as u64 == limit).then(|| list.last().map(|d| d.seq)).flatten();
    Ok(Json(serde_json::json!({"determinations": list, "next_after": next_after})).into_response())
}

/// `GET /v1/determinations/{id}` (viewer): one recorded determination, whole.
#[utoipa::path(get, path = "/v1/determinations/{id}", summary = "A recorded determination, whole (viewer)", params(("id" = String, Path, description = "the request's id")), responses((status = 200, description = "as tiergate determinations show: the stored determination with its case's status and notes", body = tiergate_store::Case), (status = 404, description = "none recorded with that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn show_determination(State(st): St, caller: Caller, Path(id): Path<String>) -> Answer {
    caller.require(Role::Viewer, "reading recorded determinations")?;
    let shown = id.chars().take(200).collect::<String>();
    let found =
        db(&Arc::clone(&st), move || st.ledger.read(|l| l.case(&id)).map_err(|e| Problem::from_ledger(&e))).await?;
    let d = found.ok_or_else(|| Problem::not_found(format!("no determination recorded with id `{shown}`")))?;
    Ok(Json(d).into_response())
}

/// `?after=&limit=` of a list route whose items have keys (a token's name, a party's key, a pool).
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// The last key of the previous page (its `next_after`).
    pub(crate) after: Option<String>,
    /// At most this many, 1 to 1000 (default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u64>,
}

/// The page of `items` (in their order) after the one whose key is `after`, at most `limit`, and the key to pass
/// as `after` for the next page (none on the last). An `after` that names no item is an error naming the field.
pub(crate) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> &str,
    after: Option<&str>,
    limit: Option<u64>,
) -> Result<(Vec<T>, Option<String>), Problem> {
    let limit = usize::try_from(page_limit(limit, tiergate_store::MAX_PAGE)?).unwrap_or(usize::MAX);
    let start = match after {
        None => 0,
        Some(a) => items.iter().position(|i| key(i) == a).map(|i| i + 1).ok_or_else(|| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                format!("`after` names nothing in the list: `{}`", a.chars().take(100).collect::<String>()),
            )
            .with_field("after")
        })?,
    };
    let more = items.len() > start.saturating_add(limit);
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = if more { page.last().map(|i| key(i).to_owned()) } else { None };
    Ok((page, next))
}

/// A page size: `given` or `default`, from 1 to [`tiergate_store::MAX_PAGE`].
pub(crate) fn page_limit(given: Option<u64>, default: u64) -> Result<u64, Problem> {
    let limit = given.unwrap_or(default);
    if (1..=tiergate_store::MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            format!("`limit` must be from 1 to {}, not {limit}", tiergate_store::MAX_PAGE),
        )
        .with_field("limit"))
    }
}

/// `GET /v1/audit/verify`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VerifyQuery {
    /// Also prove that the log still extends this checkpoint, `HASH:COUNT` (from `GET /v1/audit/checkpoint`).
    checkpoint: Option<String>,
}

/// `GET /v1/audit/verify?checkpoint=` (viewer): as `tiergate ledger verify [--checkpoint]`.
#[utoipa::path(get, path = "/v1/audit/verify", summary = "Verify the audit chain and every pool (viewer)", params(VerifyQuery), responses((status = 200, description = "as tiergate ledger verify", body = tiergate_store::VerifyReport), (status = 422, description = "not a checkpoint", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn verify(State(st): St, caller: Caller, q: Result<Query<VerifyQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Viewer, "verifying the audit log")?;
    let checkpoint = query(q)?
        .checkpoint
        .as_deref()
        .map(tiergate_store::Checkpoint::parse)
        .transpose()
        .map_err(|e| Problem::from_ledger(&e).with_field("checkpoint"))?;
    let report = blocking(move || {
        st.ledger.read(|l| l.verify_against(checkpoint.as_ref())).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    Ok(Json(report).into_response())
}

/// `GET /v1/audit/checkpoint` (viewer): as `tiergate ledger checkpoint`.
#[utoipa::path(get, path = "/v1/audit/checkpoint", summary = "The audit log's head as a checkpoint to keep elsewhere (viewer)", responses((status = 200, description = "`{entries, hash, checkpoint: \"HASH:COUNT\"}`", body = crate::openapi::CheckpointDoc), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn checkpoint(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading the audit log")?;
    let cp =
        db(&Arc::clone(&st), move || st.ledger.read(|l| l.checkpoint()).map_err(|e| Problem::from_ledger(&e))).await?;
    Ok(Json(serde_json::json!({"entries": cp.entries, "hash": cp.hash, "checkpoint": cp.text()})).into_response())
}

/// `GET /metrics` (viewer): Prometheus text format.
#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics (viewer)", responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn metrics(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading metrics")?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], st.metrics.render()).into_response())
}

/// `POST /v1/tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenBody {
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    name: String,
    #[schema(value_type = tiergate_store::Role)]
    role: String,
}

/// `GET /v1/tokens?after=&limit=` (admin): names, roles and dates, never secrets: `{"tokens": [...], "next_after"}`.
#[utoipa::path(get, path = "/v1/tokens", summary = "List tokens, paged (admin)", params(PageQuery), responses((status = 200, description = "tokens without secrets, by name", body = crate::openapi::TokensPageDoc), (status = 422, description = "bad parameters", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list_tokens(State(st): St, caller: Caller, q: Result<Query<PageQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Admin, "managing tokens")?;
    let q = query(q)?;
    let list =
        db(&Arc::clone(&st), move || st.ledger.read(|l| l.list_tokens()).map_err(|e| Problem::from_ledger(&e))).await?;
    let (tokens, next_after) = page(list, |t| t.name.as_str(), q.after.as_deref(), q.limit)?;
    Ok(Json(serde_json::json!({"tokens": tokens, "next_after": next_after})).into_response())
}

/// `POST /v1/tokens` (admin): `{"name", "role"}` → 201 `{"name", "role", "token"}`; the secret is shown once.
#[utoipa::path(post, path = "/v1/tokens", summary = "Create a token (admin)", request_body = TokenBody, responses((status = 201, description = "the token; its secret is shown only now", body = crate::openapi::TokenCreatedDoc), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "the name is taken", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "invalid name or role", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn create_token(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Admin, "managing tokens")?;
    let b: TokenBody = json_request(raw)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            format!("`{}` is not viewer, analyst, officer or admin", b.role),
        )
        .with_field("role")
    })?;
    let name = b.name.clone();
    let meta = meta(&caller, None);
    let token = db_write(move || {
        st.ledger.with(|l| l.create_token(&b.name, role, &meta)).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"name": name, "role": role, "token": token}))).into_response())
}

/// `DELETE /v1/tokens/{name}` (admin): revokes; other instances notice within the token cache's 5 seconds.
#[utoipa::path(delete, path = "/v1/tokens/{name}", summary = "Revoke a token (admin)", params(("name" = String, Path, description = "the token's name")), responses((status = 204, description = "revoked"), (status = 404, description = "no live token of that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn revoke_token(State(st): St, caller: Caller, Path(name): Path<String>) -> Answer {
    caller.require(Role::Admin, "managing tokens")?;
    let cache = Arc::clone(&st);
    let meta = meta(&caller, None);
    db_write(move || st.ledger.with(|l| l.revoke_token(&name, &meta)).map_err(|e| Problem::from_ledger(&e))).await?;
    cache.forget_tokens();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /openapi.json`: the OpenAPI 3.1 document (no token).
async fn openapi_json() -> Response {
    static DOC: std::sync::LazyLock<String> = std::sync::LazyLock::new(crate::openapi::document);
    ([(header::CONTENT_TYPE, "application/json")], DOC.as_str()).into_response()
}

/// `GET /docs`: the document, browsable (no token).
async fn docs() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], crate::openapi::DOCS_HTML).into_response()
}
