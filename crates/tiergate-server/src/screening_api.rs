//! Screening against the imported restricted-party lists: one name (`GET /v1/screen`), a file of names
//! (`POST /v1/screen`, as `tiergate screen --batch`), and an officer's judgement of a hit (`POST /v1/judgements`).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use tiergate_store::{Judgement, Role};
use tiergate_wire::names::{NamesError, Screening};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{blocking, body, content_type_is, db_write, json_request, query, Answer, AnswerArray, St};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScreenQuery {
    /// The name to screen.
    #[param(min_length = 1, max_length = 1000)]
    name: String,
    /// A country code or name, as a hint.
    country: Option<String>,
}

/// The answer of `GET /v1/screen`, as `tiergate screen NAME` prints it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ScreenDoc {
    /// Hits best first: `entry_id`, `list`, `name`, `matched_name`, `score`, `features` (each feature's part of
    /// the score), `license_requirement`, `license_policy`, `federal_register_notice`, `programs`, `decision`,
    /// `judgement`.
    hits: Vec<serde_json::Value>,
    /// `clear`, `review` or `match`.
    decision: String,
    algorithm: String,
}

/// `GET /v1/screen?name=&country=` (analyst): the name against the imported lists, with judgements applied.
#[utoipa::path(get, path = "/v1/screen", summary = "Screen a name against the restricted-party lists (analyst)", params(ScreenQuery), responses((status = 200, description = "hits with their features", body = ScreenDoc), (status = 409, description = "no list imported", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad name or country", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn screen(State(st): St, caller: Caller, q: Result<Query<ScreenQuery>, QueryRejection>) -> Answer {
    caller.require(Role::Analyst, "screening")?;
    let q = query(q)?;
    let (name, country) =
        tiergate_wire::names::query(&st.env, &q.name, q.country.as_deref()).map_err(|e| Problem::from_wire(&e))?;
    let country = country.map(str::to_owned);
    let lists = st.lists.get().ok_or_else(no_lists)?;
    let name = name.to_owned();
    // Screening scores every candidate the index finds: on the blocking pool, off the async workers.
    let answer = blocking(move || {
        let threshold = lists.screener.index().config().thresholds.review;
        let mut answer = lists.screener.screen(None, &name, country.as_deref(), threshold);
        answer.warnings = lists.stale_on(time::OffsetDateTime::now_utc().date());
        Ok(answer)
    })
    .await?;
    Ok(Json(answer).into_response())
}

/// `POST /v1/screen` (analyst): a file of names, each answered as `GET /v1/screen` answers one, in order.
#[utoipa::path(post, path = "/v1/screen", summary = "Screen a file of names against the restricted-party lists (analyst)", request_body(content(
    (String = "text/csv", example = "id,name,country\nc1,Rosneft,RU\n"),
    (String = "text/plain", example = "{\"id\": \"c1\", \"name\": \"Rosneft\", \"country\": \"RU\"}\n")
), description = "CSV (`text/csv`) with the columns `id`, `name` (required) and `country`; anything else is read as JSON Lines, one `{\"id\", \"name\", \"country\"}` per line; at most the batch limit"), responses((status = 200, description = "one answer per line, in order (`{\"id\", \"hits\", \"decision\", \"algorithm\"}`), or the line's error; `rejected` counts the errors", body = crate::openapi::ScreenBatchDoc), (status = 409, description = "no list imported", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "an empty body, a bad CSV header, or more lines than the batch limit", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn screen_batch(
    State(st): St,
    caller: Caller,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Analyst, "screening")?;
    let csv = content_type_is(&headers, "text/csv");
    let bytes = body(raw)?;
    let invalid = |why: String| Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", why).with_field("body");
    let text = std::str::from_utf8(&bytes).map_err(|e| invalid(format!("the body is not UTF-8: {e}")))?;
    // An upper bound on the names (a quoted CSV field may span lines): enough to refuse an oversized batch.
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count().saturating_sub(usize::from(csv));
    if lines == 0 {
        return Err(invalid(
            "the body holds no names: send CSV with a `name` column, or one JSON object per line".into(),
        ));
    }
    let max = st.limits.max_batch;
    if lines > max {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "batch_too_large",
            format!("a batch holds at most {max} names, not {lines}"),
        )
        .with_field("body"));
    }
    let shared = std::sync::Arc::clone(&st);
    // Screening scores every candidate the index finds: on the blocking pool, off the async workers. A batch is
    // screened against the lists as they stand (an import or judgement elsewhere counts at once), as KYC is.
    let answer = blocking(move || {
        shared.refresh_lists().map_err(|e| Problem::internal(&e.to_string(), None))?;
        let lists = shared.lists.get().ok_or_else(no_lists)?;
        let warnings = lists.stale_on(OffsetDateTime::now_utc().date());
        let screener = &lists.screener;
        let threshold = screener.index().config().thresholds.review;
        let batch = Screening { env: &shared.env, screener, threshold, warnings: &warnings };
        let mut answers = AnswerArray::new("answers", lines * 1024);
        let count = batch
            .batch(bytes.as_ref(), csv, |answer| {
                answers.push(answer);
                Ok(())
            })
            .map_err(|e| match e {
                NamesError::Write(e) => Problem::internal(&e.to_string(), None),
                e => invalid(e.to_string()),
            })?;
        Ok(answers.finish(&format!(",\"rejected\":{}", count.rejected)))
    })
    .await?;
    Ok(answer)
}

fn no_lists() -> Problem {
    Problem::new(StatusCode::CONFLICT, "no_lists", "no restricted-party list is imported: `tiergate lists import FILE`")
}

/// `POST /v1/judgements`: an analyst's judgement of a hit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JudgementBody {
    /// The hit's `entry_id`.
    entry_id: String,
    /// The name as screened.
    query: String,
    /// `false_positive` or `true_match`.
    verdict: String,
    note: Option<String>,
}

/// `POST /v1/judgements` (officer): recorded under the caller's name; screening and determinations on every
/// instance apply it within 30 seconds, on this one at once.
#[utoipa::path(post, path = "/v1/judgements", summary = "Judge a screening hit (officer)", request_body = JudgementBody, responses((status = 201, description = "recorded", body = tiergate_store::Judgement), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no such entry in the imported lists", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "no list imported", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad verdict", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low, or a session call without x-csrf-token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn judge(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Officer, "recording judgements")?;
    let b: JudgementBody = json_request(raw)?;
    let lists = st.lists.get().ok_or_else(no_lists)?;
    let index = lists.screener.index();
    if !index.entries().iter().any(|e| e.entry_id == b.entry_id) {
        return Err(Problem::not_found(format!("no entry `{}` in the imported lists", b.entry_id)));
    }
    let j = Judgement {
        entry_id: b.entry_id,
        query: index.normal_form(&b.query),
        verdict: b.verdict,
        note: b.note.filter(|n| !n.trim().is_empty()),
        actor: caller.name,
        at: tiergate_store::timestamp(OffsetDateTime::now_utc()),
    };
    let stored = j.clone();
    db_write(move || {
        st.ledger.with(|l| l.add_judgement(&stored)).map_err(|e| Problem::from_ledger(&e))?;
        // The judgement should count in this instance's next answer: reload now rather than at the next tick.
        st.refresh_lists().map(|_| ()).map_err(|e| Problem::internal(&e.to_string(), None))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(j)).into_response())
}
