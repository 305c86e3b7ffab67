//! Memos of recorded determinations (`tiergate determinations memo`, `GET /v1/determinations/{id}/memo`): the
//! stored request and answer with the audit entry that holds them and the case's status and notes, written by
//! `tiergate_wire::memo`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;

use tiergate_store::{Ledger, LedgerError, Role};
use tiergate_wire::memo::{AuditRef, Memo, NoteRef};

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{db, query, Answer, St};

/// How a memo is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoFormat {
    Markdown,
    Html,
}

impl MemoFormat {
    pub fn parse(s: &str) -> Option<MemoFormat> {
        match s {
            "md" | "markdown" => Some(MemoFormat::Markdown),
            "html" => Some(MemoFormat::Html),
            _ => None,
        }
    }
}

/// The memo of the determination recorded as `id`; `None` when none is.
pub fn render(ledger: &mut Ledger, id: &str, format: MemoFormat) -> Result<Option<String>, LedgerError> {
    let Some(case) = ledger.case(id)? else { return Ok(None) };
    let d = &case.determination;
    let parse = |what: &str, text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| LedgerError::Corrupt(format!("the recorded determination `{id}`'s {what}: {e}")))
    };
    let (request, answer) = (parse("request", &d.request)?, parse("answer", &d.answer)?);
    let audit = ledger
        .audit_about(&format!("determination:{id}"), 0, 1)?
        .into_iter()
        .find(|e| e.action == "determination")
        .map(|e| AuditRef { seq: e.seq, at: e.at, hash: e.hash, prev_hash: e.prev_hash });
    let notes: Vec<NoteRef> = case
        .notes
        .iter()
        .map(|n| NoteRef { at: n.at.clone(), actor: n.actor.clone(), status: n.status.clone(), text: n.text.clone() })
        .collect();
    let memo = Memo {
        id: &d.id,
        at: &d.at,
        actor: &d.actor,
        request: &request,
        answer: &answer,
        audit,
        status: &d.status,
        notes: &notes,
    };
    Ok(Some(match format {
        MemoFormat::Markdown => memo.markdown(),
        MemoFormat::Html => memo.html(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemoQuery {
    /// `html` (the default: a page that prints well, the dashboard's "Print / PDF") or `md`.
    format: Option<String>,
}

/// `GET /v1/determinations/{id}/memo` (viewer).
#[utoipa::path(
    get,
    path = "/v1/determinations/{id}/memo",
    summary = "The memo of a recorded determination (viewer)",
    description = "What an officer files for an auditor: the request, the answer in one sentence, the answer with its reasons, obligations and notes and their citations, the regime pack and its sha256, the lists screened with their versions and any hits with their judgements, who recorded it and when, and the audit entry that holds it. HTML with a print stylesheet (print it to PDF), or Markdown.",
    params(("id" = String, Path, description = "the determination's request id"), MemoQuery),
    responses(
        (status = 200, description = "the memo", body = String, content_type = "text/html"),
        (status = 404, description = "no determination is recorded with this id", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "`format` is neither html nor md", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")
    )
)]
pub(crate) async fn memo(
    State(st): St,
    caller: Caller,
    Path(id): Path<String>,
    q: Result<Query<MemoQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading recorded determinations")?;
    let q = query(q)?;
    let format = match q.format.as_deref() {
        None => MemoFormat::Html,
        Some(f) => MemoFormat::parse(f).ok_or_else(|| {
            Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                format!("`{}` is not a memo format: html or md", f.chars().take(20).collect::<String>()),
            )
            .with_field("format")
        })?,
    };
    let shown = id.chars().take(200).collect::<String>();
    let text =
        db(&Arc::clone(&st), move || st.ledger.read(|l| render(l, &id, format)).map_err(|e| Problem::from_ledger(&e)))
            .await?
            .ok_or_else(|| Problem::not_found(format!("no determination recorded with id `{shown}`")))?;
    let content_type = match format {
        MemoFormat::Html => "text/html; charset=utf-8",
        MemoFormat::Markdown => "text/markdown; charset=utf-8",
    };
    // The page's only style is its own; nothing in it runs or loads.
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ];
    Ok((headers, text).into_response())
}
