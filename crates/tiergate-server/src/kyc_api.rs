//! `POST /v1/kyc`: IaaS customers checked as `tiergate kyc check` checks them (the Know-Your-Customer red flags
//! of 15 CFR 748.15 and Supp. No. 10 to part 748 as the pack words them), each customer's name screened against
//! the ledger's current lists. Nothing is recorded: an analyst's check.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use tiergate_store::Role;
use tiergate_wire::kyc::check_line;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{blocking, body, date_param, query, Answer, AnswerArray, St};

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct KycQuery {
    /// The date whose country groups apply (default: today).
    date: Option<String>,
}

/// `POST /v1/kyc?date=` (analyst): the body is JSON Lines, one customer per line, at most the batch limit.
#[utoipa::path(post, path = "/v1/kyc", summary = "Check IaaS customers against the KYC red flags and the lists (analyst)", params(KycQuery), request_body(content = String, content_type = "text/plain", description = "JSON Lines (any content type is read as such; `application/x-ndjson` too), one customer per line: `{\"id\", \"name\", \"headquarters\", \"ultimate_parent_headquarters\", \"service\": \"iaas\", \"purpose\", \"training_operations\", \"base_model_operations\"}`"), responses((status = 200, description = "one answer per line, in order: `{\"id\", \"decision\", \"red_flags\", \"reasons\"}`, or the line's error", body = crate::openapi::KycDoc), (status = 422, description = "a bad date, an empty body, or more lines than the batch limit", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn check(
    State(st): St,
    caller: Caller,
    q: Result<Query<KycQuery>, QueryRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Analyst, "KYC checks")?;
    let date = date_param(query(q)?.date.as_deref(), "date")?;
    let bytes = body(raw)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| invalid(format!("the body is not UTF-8: {e}")))?;
    let lines: Vec<(u64, &str)> =
        text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect();
    if lines.is_empty() {
        return Err(invalid("the body holds no customers: send one JSON object per line".to_owned()));
    }
    let max = st.limits.max_batch;
    if lines.len() > max {
        return Err(invalid(format!("{} customers in one request; the server takes at most {max}", lines.len())));
    }
    let lines: Vec<(u64, String)> = lines.into_iter().map(|(n, l)| (n, l.to_owned())).collect();
    let shared = std::sync::Arc::clone(&st);
    let answer = blocking(move || {
        shared.refresh_lists().map_err(|e| Problem::internal(&e.to_string(), None))?;
        let lists = shared.lists.get();
        let (mut answers, mut rejected, mut buf) = (AnswerArray::new("answers", lines.len() * 1024), 0u64, Vec::new());
        for (n, line) in &lines {
            buf.clear();
            if !check_line(&shared.env, lists.as_deref(), date, line, *n, &mut buf) {
                rejected += 1;
            }
            answers.push(&buf);
        }
        Ok(answers.finish(&format!(",\"rejected\":{rejected}")))
    })
    .await?;
    Ok(answer)
}

fn invalid(why: String) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", why).with_field("body")
}
