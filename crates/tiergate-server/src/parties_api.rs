//! `/v1/parties`: the party registry over HTTP, as `tiergate parties` has it. Reads are for viewers; changes are
//! an officer's, each one audited (`/v1/audit`), and this instance's determinations use it at once (others
//! within the refresh interval).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use tiergate_core::registry::Change;
use tiergate_store::{Meta, Role};
use tiergate_wire::registry::{AddParty, AliasParty, ChangeOut, MergeParties, OwnerShare, PartyOut, SetParty};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{db, db_write, json_request, Answer, St};

/// Applies a change under the caller's name, then reloads this instance's registry.
async fn apply(st: St, caller: Caller, change: Change, status: StatusCode) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let State(st) = st;
    let meta = Meta { actor: caller.name, reason: None, at: OffsetDateTime::now_utc() };
    let out: ChangeOut = db_write(move || {
        let out =
            st.ledger.with(|l| crate::registry::change(l, &change, &meta)).map_err(|e| Problem::from_ledger(&e))?;
        st.ledger.read(|l| st.registry.refresh(l)).map_err(|e| Problem::from_ledger(&e))?;
        Ok(out)
    })
    .await?;
    Ok((status, Json(out)).into_response())
}

/// `GET /v1/parties?after=&limit=` (viewer): `{"parties": [...], "next_after"}`.
#[utoipa::path(get, path = "/v1/parties", summary = "Every registered party, paged (viewer)", params(crate::routes::PageQuery), responses((status = 200, description = "as tiergate parties list, by key", body = crate::openapi::PartiesPageDoc), (status = 422, description = "bad parameters", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(st): St,
    caller: Caller,
    q: Result<axum::extract::Query<crate::routes::PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading the party registry")?;
    let q = crate::routes::query(q)?;
    let shared = std::sync::Arc::clone(&st);
    let parties =
        db(&st, move || shared.ledger.read(crate::registry::list).map_err(|e| Problem::from_ledger(&e))).await?;
    let (parties, next_after) = crate::routes::page(parties, |p| p.key.as_str(), q.after.as_deref(), q.limit)?;
    Ok(Json(serde_json::json!({"parties": parties, "next_after": next_after})).into_response())
}

/// `GET /v1/parties/{name}` (viewer): the party any of its names resolves to.
#[utoipa::path(get, path = "/v1/parties/{name}", summary = "The party a name resolves to (viewer)", params(("name" = String, Path, description = "any name or alias of the party, in any spelling that has its party key")), responses((status = 200, description = "as tiergate parties show", body = PartyOut), (status = 404, description = "no party has that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn show(State(st): St, caller: Caller, Path(name): Path<String>) -> Answer {
    caller.require(Role::Viewer, "reading the party registry")?;
    let shared = std::sync::Arc::clone(&st);
    let party =
        db(&st, move || shared.ledger.read(|l| crate::registry::show(l, &name)).map_err(|e| Problem::from_ledger(&e)))
            .await?;
    Ok(Json(party).into_response())
}

/// `POST /v1/parties` (officer).
#[utoipa::path(post, path = "/v1/parties", summary = "Register a party (officer)", request_body = AddParty, responses((status = 201, description = "registered; as tiergate parties add", body = ChangeOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "a name another party has", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a name with no letter or digit, an unknown country, a bad share", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low, or a session call without x-csrf-token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn add(st: St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let body: AddParty = json_request(raw)?;
    let change = body.change(&st.0.env.countries).map_err(|e| Problem::from_wire(&e))?;
    apply(st, caller, change, StatusCode::CREATED).await
}

/// `PATCH /v1/parties/{name}` (officer).
#[utoipa::path(patch, path = "/v1/parties/{name}", summary = "Set or clear a party's ultimate parent and headquarters (officer)", params(("name" = String, Path, description = "any name of the party")), request_body = SetParty, responses((status = 200, description = "as tiergate parties set", body = ChangeOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no party has that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "nothing to set, an unknown country, a parent that is the party itself", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn set(
    st: St,
    caller: Caller,
    Path(name): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let body: SetParty = json_request(raw)?;
    let change = body.change(name, &st.0.env.countries).map_err(|e| Problem::from_wire(&e))?;
    apply(st, caller, change, StatusCode::OK).await
}

/// `POST /v1/parties/{name}/aliases` (officer).
#[utoipa::path(post, path = "/v1/parties/{name}/aliases", summary = "Add names to a party; their LPP receipts move to it (officer)", params(("name" = String, Path, description = "any name of the party")), request_body = AliasParty, responses((status = 200, description = "as tiergate parties alias", body = ChangeOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no party has that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "a name another party has: merge the two", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a name with no letter or digit, or nothing new", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn alias(
    st: St,
    caller: Caller,
    Path(name): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let body: AliasParty = json_request(raw)?;
    let change = body.change(name).map_err(|e| Problem::from_wire(&e))?;
    apply(st, caller, change, StatusCode::OK).await
}

/// `PUT /v1/parties/{name}/owners` (officer).
#[utoipa::path(put, path = "/v1/parties/{name}/owners", summary = "Record an owner's share of a party; 0 removes it (officer)", params(("name" = String, Path, description = "any name of the party")), request_body = OwnerShare, responses((status = 200, description = "as tiergate parties owner", body = ChangeOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no party has that name", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a share out of range, or shares over 100 % in all", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn owner(
    st: St,
    caller: Caller,
    Path(name): Path<String>,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let body: OwnerShare = json_request(raw)?;
    let change = body.change(name).map_err(|e| Problem::from_wire(&e))?;
    apply(st, caller, change, StatusCode::OK).await
}

/// `POST /v1/parties/merge` (officer).
#[utoipa::path(post, path = "/v1/parties/merge", summary = "Merge one party into another; its LPP receipts move (officer)", request_body = MergeParties, responses((status = 200, description = "as tiergate parties merge", body = ChangeOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "no party has one of the names", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "already one party, or the two record different parents, headquarters or shares", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn merge(st: St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Officer, "changing the party registry")?;
    let body: MergeParties = json_request(raw)?;
    let change = body.change().map_err(|e| Problem::from_wire(&e))?;
    apply(st, caller, change, StatusCode::OK).await
}
