//! `/v1/scenarios`: scenarios saved in the ledger (analysts save and delete, viewers read; each save and deletion
//! audited), an order book diffed under one, and `/v1/capacity`, allocation pressure under the base and a
//! scenario. `?scenario=NAME` on determinations and countries answers under a saved scenario.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use tiergate_core::builtin;
use tiergate_core::scenario::Scenario;
use tiergate_store::{Role, StoredScenario};
use tiergate_wire::capacity::{capacity_chart, capacity_out, read_compute, CapacityOut};
use tiergate_wire::orders::{csv_orders, jsonl_orders, Order};
use tiergate_wire::scenario::{
    allocation_chart, changed_chart, diff_markdown, scenario_error, DiffOut, ScenarioBody, ScenarioOut,
    ALLOCATION_CHART, CHANGED_CHART,
};
use tiergate_wire::{CsvError, Env};

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{blocking, body, content_type_is, date_param, db, db_write, json_request, query, Answer, St};
use crate::AppState;

/// Most orders one diff over the API takes; bigger books go through `tiergate scenario diff`.
pub const MAX_DIFF_ORDERS: u64 = 100_000;
/// Most changed orders a diff lists in its answer (the counts cover them all).
const MAX_LISTED: usize = 1000;

/// Scenarios loaded, by name, with the sha256 of the text they were loaded from: a saved scenario is built once
/// per text, and another instance's new text is seen at once.
#[derive(Default)]
pub struct ScenarioCache(Mutex<HashMap<String, (String, Arc<Scenario>)>>);

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The saved scenario `name`, loaded over the server's built-in regimes.
pub(crate) async fn saved(st: &Arc<AppState>, name: &str, field: &str) -> Result<Arc<Scenario>, Problem> {
    Ok(stored_and_loaded(st, name, field).await?.1)
}

/// The saved scenario `name` as stored, and loaded.
async fn stored_and_loaded(
    st: &Arc<AppState>,
    name: &str,
    field: &str,
) -> Result<(StoredScenario, Arc<Scenario>), Problem> {
    let shared = Arc::clone(st);
    let key = name.to_owned();
    let stored = db(st, move || shared.ledger.read(|l| l.scenario(&key)).map_err(|e| Problem::from_ledger(&e)))
        .await?
        .ok_or_else(|| {
            let detail = format!("no saved scenario `{name}` (GET /v1/scenarios lists them)");
            // A path that names nothing is not found; a query parameter that does is an invalid value, as an
            // unknown `regime` is.
            if field == "name" {
                Problem::not_found(detail)
            } else {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", detail).with_field(field)
            }
        })?;
    let scenario = load(st, &stored).await?;
    Ok((stored, scenario))
}

/// A stored scenario loaded: from the cache while its text is the one loaded, else built (and cached).
async fn load(st: &Arc<AppState>, stored: &StoredScenario) -> Result<Arc<Scenario>, Problem> {
    if let Ok(cache) = st.scenarios.0.lock() {
        if let Some((sha, s)) = cache.get(&stored.name) {
            if *sha == stored.sha256 {
                return Ok(Arc::clone(s));
            }
        }
    }
    let shared = Arc::clone(st);
    let text = stored.text.clone();
    let source = format!("scenario `{}`", stored.name);
    let scenario = blocking(move || {
        let env = shared.env.with_scenario(&text, &source).map_err(|e| Problem::from_wire(&scenario_error(&e)))?;
        env.scenario().cloned().ok_or_else(|| Problem::internal("the scenario did not load", None))
    })
    .await?;
    if let Ok(mut cache) = st.scenarios.0.lock() {
        cache.insert(stored.name.clone(), (stored.sha256.clone(), Arc::clone(&scenario)));
    }
    Ok(scenario)
}

/// A saved scenario: what `scenario show` says, its text, and who saved it when.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SavedOut<'a> {
    #[serde(flatten)]
    pub scenario: ScenarioOut<'a>,
    /// The sha256 of `text`.
    pub text_sha256: &'a str,
    pub text: &'a str,
    pub saved_by: &'a str,
    pub saved_at: &'a str,
}

/// `GET /v1/scenarios` (viewer): every saved scenario (at most 1,000).
#[utoipa::path(get, path = "/v1/scenarios", summary = "Saved scenarios (viewer)", responses((status = 200, description = "{\"items\": [...]}, by name: each scenario with its changes, text and who saved it", body = Object), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading scenarios")?;
    let shared = Arc::clone(&st);
    let stored = db(&st, move || shared.ledger.read(|l| l.scenarios()).map_err(|e| Problem::from_ledger(&e))).await?;
    let mut loaded = Vec::with_capacity(stored.len());
    for s in &stored {
        loaded.push(load(&st, s).await?);
    }
    let items: Vec<SavedOut<'_>> = stored.iter().zip(&loaded).map(|(s, l)| saved_out(l, s)).collect();
    Ok(Json(serde_json::json!({"items": items, "next_after": null})).into_response())
}

/// `GET /v1/scenarios/{name}` (viewer).
#[utoipa::path(get, path = "/v1/scenarios/{name}", summary = "A saved scenario (viewer)", params(("name" = String, Path, description = "the scenario's name")), responses((status = 200, description = "the scenario with its changes beside what they replace, its text and who saved it", body = Object), (status = 404, description = "no scenario by that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn show(State(st): St, caller: Caller, Path(name): Path<String>) -> Answer {
    caller.require(Role::Viewer, "reading scenarios")?;
    let (stored, scenario) = stored_and_loaded(&st, &name, "name").await?;
    Ok(Json(saved_out(&scenario, &stored)).into_response())
}

fn saved_out<'a>(scenario: &'a Scenario, stored: &'a StoredScenario) -> SavedOut<'a> {
    SavedOut {
        scenario: ScenarioOut::new(scenario),
        text_sha256: &stored.sha256,
        text: &stored.text,
        saved_by: &stored.actor,
        saved_at: &stored.at,
    }
}

/// `POST /v1/scenarios` (analyst): `{"text": TOML}` or the parts; validated, then saved (audited).
#[utoipa::path(post, path = "/v1/scenarios", summary = "Save a scenario (analyst)", request_body = ScenarioBody, responses((status = 201, description = "saved: the scenario with its changes, text and who saved it", body = Object), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "a scenario by that name is saved already", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "an invalid scenario; `field` names the key (`move[0].tier`, `set.\"lpp.annual_limit_tpp\"`)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn save(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Analyst, "saving scenarios")?;
    let body: ScenarioBody = json_request(raw)?;
    let text = body.into_text().map_err(|e| Problem::from_wire(&e))?;
    let shared = Arc::clone(&st);
    let loaded = blocking(move || {
        let env = shared.env.with_scenario(&text, "scenario").map_err(|e| Problem::from_wire(&scenario_error(&e)))?;
        let s = env.scenario().cloned().ok_or_else(|| Problem::internal("the scenario did not load", None))?;
        Ok((s, text))
    })
    .await?;
    let (scenario, text) = loaded;
    let stored = StoredScenario {
        name: scenario.name.clone(),
        sha256: sha256(&text),
        text,
        actor: caller.name.clone(),
        at: OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    };
    let shared = Arc::clone(&st);
    let to_store = stored.clone();
    db_write(move || shared.ledger.with(|l| l.add_scenario(&to_store)).map_err(|e| Problem::from_ledger(&e))).await?;
    if let Ok(mut cache) = st.scenarios.0.lock() {
        cache.insert(stored.name.clone(), (stored.sha256.clone(), Arc::clone(&scenario)));
    }
    Ok((StatusCode::CREATED, Json(saved_out(&scenario, &stored))).into_response())
}

/// `DELETE /v1/scenarios/{name}` (analyst): audited.
#[utoipa::path(delete, path = "/v1/scenarios/{name}", summary = "Delete a saved scenario (analyst)", params(("name" = String, Path, description = "the scenario's name")), responses((status = 204, description = "deleted"), (status = 404, description = "no scenario by that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn delete(State(st): St, caller: Caller, Path(name): Path<String>) -> Answer {
    caller.require(Role::Analyst, "deleting scenarios")?;
    let shared = Arc::clone(&st);
    let meta = tiergate_store::Meta { actor: caller.name.clone(), reason: None, at: OffsetDateTime::now_utc() };
    let key = name.clone();
    db_write(move || shared.ledger.with(|l| l.delete_scenario(&key, &meta)).map_err(|e| Problem::from_ledger(&e)))
        .await?;
    if let Ok(mut cache) = st.scenarios.0.lock() {
        cache.remove(&name);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffQuery {
    /// The regime compared with: a timeline or a pack id; default the scenario's base.
    against: Option<String>,
}

/// `POST /v1/scenarios/{name}/diff?against=` (analyst): an order book (JSON Lines, or CSV with
/// `Content-Type: text/csv`) determined under the scenario and under `against`.
#[utoipa::path(post, path = "/v1/scenarios/{name}/diff", summary = "Diff an order book under a saved scenario (analyst)", params(("name" = String, Path, description = "the scenario's name"), DiffQuery), request_body(content((String = "application/x-ndjson"), (String = "text/csv")), description = "an order book, as tiergate determine reads it, at most 100,000 orders"), responses((status = 200, description = "{\"diff\": as tiergate scenario diff --format json, \"changed\": the first 1,000 changed orders with both answers, \"report\": {\"markdown\", \"charts\": {file: SVG}}}", body = Object), (status = 404, description = "no scenario by that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 413, description = "body too large", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad regime, a CSV header, or more than 100,000 orders", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn diff(
    State(st): St,
    caller: Caller,
    Path(name): Path<String>,
    q: Result<Query<DiffQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Analyst, "diffing order books")?;
    let q = query(q)?;
    let csv = content_type_is(&headers, "text/csv");
    let bytes = body(raw)?;
    let scenario = saved(&st, &name, "name").await?;
    let shared = Arc::clone(&st);
    blocking(move || {
        let env = &shared.env;
        let under = env.under(Arc::clone(&scenario));
        let against_name = q.against.unwrap_or_else(|| scenario.base.clone());
        let against = env.select(&against_name).map_err(|e| Problem::from_wire(&e).with_field("against"))?;
        let mut out = DiffOut::new(&under, &against);
        let mut listed: Vec<serde_json::Value> = Vec::new();
        let mut too_many = false;
        let mut each = |line: u64, order: Order| -> std::io::Result<()> {
            if out.orders >= MAX_DIFF_ORDERS {
                too_many = true;
                return Err(std::io::Error::other("too many orders"));
            }
            let changed = match &order {
                Err((id, e)) => Some(out.unreadable(id.as_deref(), line, e)),
                Ok((id, req)) => {
                    let dest = env.countries.code(req.destination);
                    out.add(id.as_deref(), line, req, dest, against.determine(req), under.determine(req))
                }
            };
            if let Some(c) = changed.filter(|_| listed.len() < MAX_LISTED) {
                listed.push(serde_json::to_value(&c).map_err(std::io::Error::other)?);
            }
            Ok(())
        };
        let read = if csv { csv_orders(env, &bytes[..], &mut each) } else { jsonl_orders(env, &bytes[..], &mut each) };
        if too_many {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "batch_too_large",
                format!("a diff over the API takes at most {MAX_DIFF_ORDERS} orders; use `tiergate scenario diff`"),
            ));
        }
        match read {
            Ok(()) => {}
            Err(CsvError::Header(e)) => {
                return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "malformed_csv", e));
            }
            Err(CsvError::Io(e)) => return Err(Problem::internal(&e.to_string(), None)),
        }
        let view = ScenarioOut::new(&scenario);
        let mut charts = serde_json::Map::new();
        charts.insert(CHANGED_CHART.into(), changed_chart(&out).into());
        charts.insert(ALLOCATION_CHART.into(), allocation_chart(&out).into());
        let body = serde_json::json!({
            "diff": out,
            "changed": listed,
            "report": {"markdown": diff_markdown(&out, &view), "charts": charts},
        });
        Ok(Json(body).into_response())
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityQuery {
    /// A saved scenario, set beside its base.
    scenario: Option<String>,
    /// The base regime (default: the scenario's base, or the server's).
    regime: Option<String>,
    /// `YYYY-MM-DD`; default today (UTC).
    #[param(value_type = Option<String>, format = Date)]
    date: Option<String>,
    /// `json` (default) or `svg` (the chart).
    format: Option<String>,
}

/// `GET /v1/capacity?scenario=&regime=&date=&format=json|svg` (viewer): every Tier 2 allocation against the
/// compute installed or planned there (Epoch AI's GPU clusters), under the base and the scenario.
#[utoipa::path(get, path = "/v1/capacity", summary = "Allocation pressure from installed compute (viewer)", params(CapacityQuery), responses((status = 200, description = "as tiergate scenario capacity (JSON), or its chart (image/svg+xml)", body = CapacityOut), (status = 422, description = "a bad date, regime or format, or no saved scenario by that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn capacity(State(st): St, caller: Caller, q: Result<Query<CapacityQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Viewer, "reading allocation pressure")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let svg = match q.format.as_deref() {
        None | Some("json") => false,
        Some("svg") => true,
        Some(other) => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                format!("`{other}` is not a format: json or svg"),
            )
            .with_field("format"))
        }
    };
    let scenario = match &q.scenario {
        Some(name) => Some(saved(&st, name, "scenario").await?),
        None => None,
    };
    let shared = Arc::clone(&st);
    blocking(move || {
        let env: &Env = &shared.env;
        let base_name = q.regime.clone().or_else(|| scenario.as_ref().map(|s| s.base.clone()));
        let base = match &base_name {
            Some(r) => env.select(r).map_err(|e| Problem::from_wire(&e).with_field("regime"))?,
            None => env.clone(),
        };
        let under = scenario.map(|s| env.under(s));
        let (base_pack, _) = base.answering(date).map_err(|e| Problem::from_wire(&e))?;
        let scenario_pack = match &under {
            Some(u) => Some(u.answering(date).map_err(|e| Problem::from_wire(&e))?.0),
            None => None,
        };
        let compute = read_compute(&base, builtin::CLUSTERS_CSV)
            .map_err(|e| Problem::internal(&format!("the built-in cluster data: {e}"), None))?;
        let attribution = builtin::CLUSTERS_ATTRIBUTION;
        let out = capacity_out(&base, base.regime_name(), base_pack, scenario_pack, compute, date, attribution);
        if svg {
            Ok(([(header::CONTENT_TYPE, "image/svg+xml")], capacity_chart(&out)).into_response())
        } else {
            Ok(Json(out).into_response())
        }
    })
    .await
}

/// The server's environment under the saved scenario `name`.
pub(crate) async fn env_under(st: &Arc<AppState>, name: &str) -> Result<Env, Problem> {
    Ok(st.env.under(saved(st, name, "scenario").await?))
}
