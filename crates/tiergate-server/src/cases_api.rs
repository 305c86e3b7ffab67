//! A recorded determination as a case (officer): moving its status (draft → approved → shipped, or withdrawn)
//! and attaching notes, each audited; `GET /v1/determinations/{id}` shows them.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tiergate_core::case::CaseStatus;
use tiergate_store::{Case, Ledger, LedgerError, Meta, Role};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{db_write, json_request, Answer, St};

/// The body of `POST /v1/determinations/{id}/status`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// `approved`, `shipped` or `withdrawn` (a draft may become approved or withdrawn; an approved case shipped
    /// or withdrawn; shipped and withdrawn are final).
    pub status: String,
    /// Why, kept with the change (at most 1,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// The body of `POST /v1/determinations/{id}/notes`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The note, 1 to 1,000 characters.
    pub text: String,
}

/// Makes a change to the case `id` under the caller's name and answers the case as it then stands.
async fn change(
    st: St,
    caller: Caller,
    id: String,
    status: StatusCode,
    f: impl FnOnce(&mut Ledger, &Meta) -> Result<(), LedgerError> + Send + 'static,
) -> Answer {
    let st = st.0;
    let meta = Meta { actor: caller.name, reason: None, at: OffsetDateTime::now_utc() };
    let case: Case = db_write(move || {
        st.ledger
            .with(|l| {
                f(l, &meta)?;
                l.case(&id)?.ok_or_else(|| LedgerError::NotFound(format!("determination recorded with id `{id}`")))
            })
            .map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    Ok((status, Json(case)).into_response())
}

/// `POST /v1/determinations/{id}/status` (officer).
#[utoipa::path(post, path = "/v1/determinations/{id}/status", summary = "Move a recorded determination's case (officer)", params(("id" = String, Path, description = "the determination's request id")), request_body = StatusChange, responses((status = 200, description = "the case as it now stands", body = tiergate_store::Case), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no determination recorded with that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "the case may not move there from where it is", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "not a status, or a note too long", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn set_status(
    st: St,
    caller: Caller,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "moving cases")?;
    let body: StatusChange = json_request(raw)?;
    let to = CaseStatus::parse(&body.status).ok_or_else(|| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_value",
            "not a case status: use draft, approved, shipped or withdrawn",
        )
        .with_field("status")
    })?;
    let note = body.note;
    change(st, caller, id.clone(), StatusCode::OK, move |l, meta| l.set_case_status(&id, to, note.as_deref(), meta))
        .await
}

/// `POST /v1/determinations/{id}/notes` (officer).
#[utoipa::path(post, path = "/v1/determinations/{id}/notes", summary = "Attach a note to a recorded determination's case (officer)", params(("id" = String, Path, description = "the determination's request id")), request_body = NewNote, responses((status = 201, description = "the case with the note", body = tiergate_store::Case), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no determination recorded with that id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "an empty note, or one too long", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn add_note(
    st: St,
    caller: Caller,
    Path(id): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "annotating cases")?;
    let body: NewNote = json_request(raw)?;
    change(st, caller, id.clone(), StatusCode::CREATED, move |l, meta| l.add_case_note(&id, &body.text, meta)).await
}
