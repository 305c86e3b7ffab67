//! `/v1/veus`: the VEU registry over HTTP, as `tiergate veu` has it (both run [`crate::veus`]). Reads are a
//! viewer's; registering and logging are an officer's, each audited (`veu-register`, `veu-log`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tiergate_core::veu::{Registration, VeuKind};
use tiergate_store::Role;
use tiergate_wire::veu::{report_csv, report_markdown, report_svg};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{body, country_param, date_param, db, db_write, json_request, query, Answer, St};
use crate::veus::{self, VeuError};

fn problem(e: VeuError) -> Problem {
    match e {
        VeuError::NotFound(_) => Problem::not_found(e.to_string()),
        VeuError::Invalid { field, message } => {
            let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", message);
            match field {
                Some(f) => p.with_field(f),
                None => p,
            }
        }
        VeuError::Ledger(e) => Problem::from_ledger(&e),
    }
}

fn now() -> String {
    OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `POST /v1/veus`: a VEU to register, as `tiergate veu add` takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewVeu {
    /// `uveu` (Universal) or `nveu` (National).
    kind: String,
    /// 1 to 64 letters, digits, `-`, `_` or `.`; an NVEU's pool is `nveu:ID`.
    id: String,
    /// The VEU's name, as requests name the consignee or its ultimate parent.
    name: String,
    /// Where the VEU is headquartered (a code or a name).
    headquarters: String,
    /// Where its ultimate parent is headquartered, if elsewhere.
    #[serde(default)]
    ultimate_parent_headquarters: Option<String>,
    /// The country an NVEU is authorized for (required for an NVEU, refused for a UVEU).
    #[serde(default)]
    country: Option<String>,
    /// The date eligibility is checked as of (default: today).
    #[serde(default)]
    date: Option<String>,
    /// Record an applicant for VEU status instead: its readiness is recorded, but no determination relies on it.
    #[serde(default)]
    applicant: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct DateQuery {
    /// The date whose quarter's cap applies (default: today).
    date: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ReportQuery {
    /// A calendar half-year: `2025H1` (January to June) or `2025H2`.
    period: String,
    /// `json` (default), `csv`, `markdown` or `svg`.
    format: Option<String>,
}

/// `GET /v1/veus` (viewer): `{"veus": [...]}`, as `tiergate veu list`.
#[utoipa::path(get, path = "/v1/veus", summary = "Every registered VEU (viewer)", responses((status = 200, description = "`{\"veus\": [...]}`, each as tiergate veu list", body = crate::openapi::VeusDoc), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading the VEU registry")?;
    let shared = std::sync::Arc::clone(&st);
    let veus = db(&st, move || shared.ledger.read(|l| veus::list(&shared.env, l)).map_err(problem)).await?;
    Ok(Json(serde_json::json!({ "veus": veus })).into_response())
}

/// `POST /v1/veus` (officer): 201 with the registration; an ineligible VEU is 422 `not_eligible`, with the
/// reasons, and is not stored.
#[utoipa::path(post, path = "/v1/veus", summary = "Register a VEU, or record an applicant, after checking its eligibility (officer)", request_body = NewVeu, responses((status = 201, description = "stored: `{\"registered\": true, ...the VEU, \"reasons\"}`, or `\"applicant\": true` for an applicant", body = crate::openapi::VeuRegisteredDoc), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "the id is taken", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad field (named), or `not_eligible` with the answer's members (`registered`: false, `reasons`)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn register(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Officer, "registering VEUs")?;
    let b: NewVeu = json_request(raw)?;
    let applicant = b.applicant;
    let kind = VeuKind::parse(&b.kind.to_ascii_lowercase()).ok_or_else(|| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", format!("`{}` is not uveu or nveu", b.kind))
            .with_field("kind")
    })?;
    let reg = Registration {
        id: b.id,
        kind,
        name: b.name.trim().to_owned(),
        headquarters: country_param(&st.env, "headquarters", &b.headquarters)?,
        ultimate_parent_headquarters: b
            .ultimate_parent_headquarters
            .as_deref()
            .map(|c| country_param(&st.env, "ultimate_parent_headquarters", c))
            .transpose()?,
        country: b.country.as_deref().map(|c| country_param(&st.env, "country", c)).transpose()?,
    };
    let date = date_param(b.date.as_deref(), "date")?;
    let shared = std::sync::Arc::clone(&st);
    let r = db_write(move || {
        shared
            .ledger
            .with(|l| {
                if !applicant && l.veu(&reg.id).map_err(VeuError::from)?.is_some() {
                    return Err(VeuError::Ledger(tiergate_store::LedgerError::Conflict(format!(
                        "a VEU with id `{}` is already registered",
                        reg.id
                    ))));
                }
                veus::register(&shared.env, l, &reg, applicant, date, &caller.name, &now())
            })
            .map_err(problem)
    })
    .await?;
    if r.stored {
        return Ok((StatusCode::CREATED, Json(r.answer)).into_response());
    }
    let extra = serde_json::from_str(r.answer.get()).map_err(|e| Problem::internal(&e.to_string(), None))?;
    Err(Problem {
        extra,
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_eligible",
            "the VEU is not eligible on the date given; nothing was registered (see `reasons`)",
        )
    })
}

/// `GET /v1/veus/{id}?date=` (viewer): as `tiergate veu show`, with an NVEU's cap, installed TPP and headroom.
#[utoipa::path(get, path = "/v1/veus/{id}", summary = "One VEU; an NVEU's quarterly cap and headroom (viewer)", params(("id" = String, Path, description = "the registration's id"), DateQuery), responses((status = 200, description = "as tiergate veu show", body = crate::openapi::VeuShowDoc), (status = 404, description = "no VEU has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn show(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<DateQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading the VEU registry")?;
    let date = date_param(query(q)?.date.as_deref(), "date")?;
    let shared = std::sync::Arc::clone(&st);
    let answer =
        db(&st, move || shared.ledger.read(|l| veus::show(&shared.env, l, &id, date)).map_err(problem)).await?;
    Ok(Json(answer).into_response())
}

/// `POST /v1/veus/{id}/log` (officer): a facility log CSV as the body; all rows or none.
#[utoipa::path(post, path = "/v1/veus/{id}/log", summary = "Append a facility log CSV to a VEU's log (officer)", params(("id" = String, Path, description = "the registration's id")), request_body(content = String, content_type = "text/csv", description = "`date,event,facility,country,item,quantity[,reservation]`; events received, installed, transferred, retired"), responses((status = 200, description = "`{\"id\", \"added\", \"events\"}`", body = crate::openapi::VeuLoggedDoc), (status = 404, description = "no VEU has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad rows (each by line) or a log that would remove chips a facility does not hold; nothing was logged", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn log(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "logging VEU facilities")?;
    let bytes = body(raw)?;
    let shared = std::sync::Arc::clone(&st);
    let answer = db_write(move || {
        shared.ledger.with(|l| veus::log(&shared.env, l, &id, &bytes[..], &caller.name, &now())).map_err(problem)
    })
    .await?;
    Ok(Json(answer).into_response())
}

/// `GET /v1/veus/{id}/report?period=&format=` (viewer): the semi-annual report as `tiergate veu report`.
#[utoipa::path(get, path = "/v1/veus/{id}/report", summary = "A VEU's semi-annual report: JSON, CSV, Markdown or its SVG chart (viewer)", params(("id" = String, Path, description = "the registration's id"), ReportQuery), responses((status = 200, description = "the report in the form asked for", body = crate::openapi::VeuReportDoc, content_type = "application/json"), (status = 404, description = "no VEU has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad period or format", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn report(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading VEU reports")?;
    let q = query(q)?;
    let format = q.format.unwrap_or_else(|| "json".to_owned());
    let content_type = media_type(
        &format,
        &[
            ("json", "application/json"),
            ("csv", "text/csv; charset=utf-8"),
            ("markdown", "text/markdown; charset=utf-8"),
            ("svg", "image/svg+xml"),
        ],
    )?;
    let shared = std::sync::Arc::clone(&st);
    let bytes = db(&st, move || {
        shared
            .ledger
            .read(|l| {
                veus::semi_annual_report(&shared.env, l, &id, &q.period, |o| -> Result<Vec<u8>, String> {
                    match format.as_str() {
                        "csv" => report_csv(o).map_err(|e| e.to_string()),
                        "markdown" => Ok(report_markdown(o, None).into_bytes()),
                        "svg" => Ok(report_svg(o).into_bytes()),
                        _ => serde_json::to_vec(o).map_err(|e| e.to_string()),
                    }
                })
            })
            .map_err(problem)?
            .map_err(|e| Problem::internal(&e, None))
    })
    .await?;
    Ok(document(content_type, bytes))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct PeriodQuery {
    /// A calendar half-year: `2025H1` (January to June) or `2025H2`.
    period: String,
}

/// `POST /v1/veus/{id}/report?period=` (officer): the half-year's report recorded as issued.
#[utoipa::path(post, path = "/v1/veus/{id}/report", summary = "Record a semi-annual report as issued (filed with BIS); later facility-log events in that half-year are refused (officer)", params(("id" = String, Path, description = "the registration's id"), PeriodQuery), responses((status = 201, description = "`{\"id\", \"period\", \"sha256\", \"issued_at\", \"issued_by\"}`", body = crate::openapi::ReportIssuedDoc), (status = 404, description = "no VEU has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "that half-year's report was issued before", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad period", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn issue(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<PeriodQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Officer, "issuing VEU reports")?;
    let q = query(q)?;
    let shared = std::sync::Arc::clone(&st);
    let answer = db_write(move || {
        shared
            .ledger
            .with(|l| veus::issue_report(&shared.env, l, &id, &q.period, &caller.name, &now()))
            .map_err(problem)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ReadinessQuery {
    /// The date of the readiness: what is due and overdue (default: today).
    date: Option<String>,
    /// `json` (default), `markdown` or `html` (a page that prints well on paper).
    format: Option<String>,
}

/// `POST /v1/veus/{id}/evidence` (officer): evidence against one requirement of Supp. No. 10 (or Supp. No. 8).
#[utoipa::path(post, path = "/v1/veus/{id}/evidence", summary = "Record readiness evidence against a requirement of Supp. No. 10 (officer)", params(("id" = String, Path, description = "a registered VEU's or an applicant's id")), request_body = tiergate_wire::readiness::EvidenceBody, responses((status = 201, description = "recorded: `{\"id\", \"requirement\", \"status\", \"recorded\", \"summary\"}`", body = crate::openapi::EvidenceRecordedDoc), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no VEU or applicant has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "an unknown requirement or one that does not bind this VEU, met without a document, not applicable without a note, a date after today (the field is named)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn evidence(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "recording VEU readiness")?;
    let body: tiergate_wire::readiness::EvidenceBody = json_request(raw)?;
    let shared = std::sync::Arc::clone(&st);
    let today = OffsetDateTime::now_utc().date();
    let answer = db_write(move || {
        shared
            .ledger
            .with(|l| veus::record_evidence(&shared.env, l, &id, &body, &caller.name, &now(), today))
            .map_err(problem)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /v1/veus/{id}/readiness?date=&format=` (viewer).
#[utoipa::path(get, path = "/v1/veus/{id}/readiness", summary = "A VEU's or applicant's readiness against Supp. No. 10: JSON, Markdown or printable HTML (viewer)", params(("id" = String, Path, description = "a registered VEU's or an applicant's id"), ReadinessQuery), responses((status = 200, description = "the readiness report in the form asked for", body = crate::openapi::ReadinessDoc, content_type = "application/json"), (status = 404, description = "no VEU or applicant has that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bad date or format, or a regime without the guidelines", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn readiness(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<ReadinessQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading VEU readiness")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let format = q.format.unwrap_or_else(|| "json".to_owned());
    let content_type = media_type(
        &format,
        &[
            ("json", "application/json"),
            ("markdown", "text/markdown; charset=utf-8"),
            ("html", "text/html; charset=utf-8"),
        ],
    )?;
    let shared = std::sync::Arc::clone(&st);
    let bytes = db(&st, move || {
        shared
            .ledger
            .read(|l| {
                veus::readiness_report(&shared.env, l, &id, date, |o| match format.as_str() {
                    "markdown" => Ok(o.markdown().into_bytes()),
                    "html" => Ok(o.html().into_bytes()),
                    _ => serde_json::to_vec(o).map_err(|e| e.to_string()),
                })
            })
            .map_err(problem)?
            .map_err(|e| Problem::internal(&e, None))
    })
    .await?;
    Ok(document(content_type, bytes))
}

/// The media type of a `format` parameter's value among `known` (name, media type); 422 naming `format` otherwise.
fn media_type(format: &str, known: &[(&str, &'static str)]) -> Result<&'static str, Problem> {
    known.iter().find(|(name, _)| *name == format).map(|(_, t)| *t).ok_or_else(|| {
        let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            format!("`{format}` is not one of {}", names.join(", ")),
        )
        .with_field("format")
    })
}

/// A report or page as the API serves it: an SVG is shown as an image, never run as a document, and a printable
/// page runs and loads nothing (its own policy, as the memo's).
fn document(content_type: &'static str, bytes: Vec<u8>) -> axum::response::Response {
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
