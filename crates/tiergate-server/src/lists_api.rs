//! `/v1/lists`: the restricted-party lists a ledger holds, as `tiergate lists` has them: every imported version
//! with its dates and what is stale today (viewer), and importing a file as a new current version (officer,
//! audited as `list-import`). Both run [`crate::lists`].

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tiergate_screen::Config;
use tiergate_store::Role;
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::lists::{ImportError, ImportFile};
use crate::problem::Problem;
use crate::routes::{blocking, body, date_param, db, query, Answer, St};

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ImportQuery {
    /// `csl`, `sdn` or `dpl`; recognised from the file's start when absent.
    format: Option<String>,
    /// The list's own date (its publication date), for staleness; by default the newest date among its entries.
    dated: Option<String>,
    /// The file's name, for the version record (default `upload`): 1 to 200 characters, no control characters.
    name: Option<String>,
}

/// `GET /v1/lists` (viewer).
#[utoipa::path(get, path = "/v1/lists", summary = "Imported list versions, newest first, and which are stale today (viewer)", responses((status = 200, description = "as tiergate lists versions, with staleness", body = crate::openapi::ListsDoc), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn versions(State(st): St, caller: Caller) -> Answer {
    caller.require(Role::Viewer, "reading the lists")?;
    let shared = std::sync::Arc::clone(&st);
    let versions =
        db(&st, move || shared.ledger.read(|l| l.list_versions()).map_err(|e| Problem::from_ledger(&e))).await?;
    let shared = std::sync::Arc::clone(&st);
    let stale = blocking(move || {
        shared.refresh_lists().map_err(|e| Problem::internal(&e.to_string(), None))?;
        Ok(shared.lists.get().map(|l| l.stale_on(OffsetDateTime::now_utc().date())).unwrap_or_default())
    })
    .await?;
    let stale_after_days = Config::builtin().map(|c| c.lists.stale_after_days).unwrap_or_default();
    Ok(Json(crate::openapi::ListsDoc { versions, stale, stale_after_days }).into_response())
}

/// `POST /v1/lists?format=&dated=&name=` (officer): the list file is the body.
#[utoipa::path(post, path = "/v1/lists", summary = "Import a list file as its list's new current version (officer)", params(ImportQuery), request_body(content = String, content_type = "application/octet-stream", description = "the CSL (CSV or JSON), OFAC sdn.csv or BIS dpl.txt, as downloaded"), responses((status = 201, description = "imported, as tiergate lists import; `skipped_rows` gives the rows skipped (line, problem; at most 100)", body = crate::lists::ImportedOut), (status = 413, description = "larger than the upload limit", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "an unknown format or one not recognised, a date after today, a file with no readable entry (nothing imported)", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn import(
    State(st): St,
    caller: Caller,
    q: Result<Query<ImportQuery>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "importing lists")?;
    let q = query(q)?;
    let dated = q.dated.as_deref().map(|d| date_param(Some(d), "dated")).transpose()?;
    let name = q.name.unwrap_or_else(|| "upload".to_owned());
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(invalid("name", "`name` must be 1 to 200 characters without control characters".to_owned()));
    }
    let bytes = body(raw)?;
    if bytes.is_empty() {
        return Err(invalid("body", "the body is empty: send the list file".to_owned()));
    }
    let shared = std::sync::Arc::clone(&st);
    let (out, skipped) = blocking(move || {
        let at = OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let file = ImportFile {
            bytes: &bytes,
            source_file: &name,
            format: q.format.as_deref(),
            dated,
            actor: &caller.name,
            at: &at,
        };
        let imported = shared.ledger.with(|l| crate::lists::import(l, &file)).map_err(|e| match e {
            ImportError::Field { field, message } => invalid(field, message),
            ImportError::File(message) => invalid("body", message),
            ImportError::Ledger(e) => Problem::from_ledger(&e),
        })?;
        // This instance screens with the new version at once; others within their refresh interval.
        shared.refresh_lists().map_err(|e| Problem::internal(&e.to_string(), None))?;
        let out = serde_json::to_value(imported.out()).map_err(|e| Problem::internal(&e.to_string(), None))?;
        let skipped: Vec<serde_json::Value> = imported
            .skipped
            .iter()
            .take(100)
            .map(|p| serde_json::json!({"line": p.line, "problem": p.problem}))
            .collect();
        Ok((out, skipped))
    })
    .await?;
    let mut out = out;
    if let Some(map) = out.as_object_mut() {
        map.insert("skipped_rows".into(), serde_json::Value::Array(skipped));
    }
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

fn invalid(field: &str, why: String) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", why).with_field(field)
}
