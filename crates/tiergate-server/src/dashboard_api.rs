//! Endpoints the dashboard needed that the API lacked, each an ordinary API endpoint too: browser sessions,
//! every pool at once; and the dashboard's files.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tiergate_store::Role;
use time::OffsetDateTime;

use crate::auth::{cookie, Caller, SESSION_COOKIE};
use crate::problem::Problem;
use crate::routes::{content_type_is, date_param, db, db_write, json_request, query, Answer, St};

/// How long a browser session lasts.
pub const SESSION_TTL: time::Duration = time::Duration::hours(12);

/// `POST /v1/session`: a token, exchanged for a session cookie.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    /// A token from `tiergate token create` (or printed by `serve` on first start).
    token: String,
}

/// The signed-in caller.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionOut {
    /// False when the request carried no credential: nothing else is given then.
    signed_in: bool,
    name: Option<String>,
    role: Option<Role>,
    /// Send in `x-csrf-token` with every call of this session that changes something. Absent for a bearer token.
    csrf: Option<String>,
    expires_at: Option<String>,
}

/// The session cookie; `Secure` (sent over HTTPS only) when the server says so (see [`crate::AppState`]).
fn session_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
}

/// `POST /v1/session` (no token header: the body carries it): sets an HttpOnly, SameSite=Strict cookie.
#[utoipa::path(post, path = "/v1/session", summary = "Sign in: exchange a token for a session cookie", request_body = SignIn, responses((status = 200, description = "signed in; the session cookie is set", body = SessionOut), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "unknown or revoked token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 415, description = "not sent as application/json", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "wrong shape", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")), security(()))]
pub(crate) async fn sign_in(
    State(st): St,
    headers: axum::http::HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Answer {
    // Only JSON: a form on another site cannot send it without the browser asking this server first, so no other
    // site can sign a visitor in under a token of its choosing.
    if !content_type_is(&headers, "application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "sign in with a JSON body and `Content-Type: application/json`",
        ));
    }
    let b: SignIn = json_request(raw)?;
    let secure = st.secure_cookies;
    let started = db_write(move || {
        st.ledger
            .with(|l| l.start_session(b.token.trim(), OffsetDateTime::now_utc(), SESSION_TTL))
            .map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    let (secret, s) = started.ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"))?;
    let out = SessionOut {
        signed_in: true,
        name: Some(s.token.name),
        role: Some(s.token.role),
        csrf: Some(s.csrf),
        expires_at: Some(s.expires_at),
    };
    Ok(([(header::SET_COOKIE, session_cookie(&secret, SESSION_TTL.whole_seconds(), secure))], Json(out))
        .into_response())
}

/// `GET /v1/session`: who is signed in. Without any credential the answer is `{"signed_in": false}` (so that a
/// page can ask without an error); a wrong or ended one is a 401.
#[utoipa::path(get, path = "/v1/session", summary = "The signed-in caller", responses((status = 200, description = "the caller, or signed_in false without a credential", body = SessionOut), (status = 401, description = "a wrong token or an ended session", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")), security((), ("bearer" = [])))]
pub(crate) async fn whoami(headers: axum::http::HeaderMap, caller: Result<Caller, Problem>) -> Answer {
    let anonymous = !headers.contains_key(header::AUTHORIZATION) && cookie(&headers, SESSION_COOKIE).is_none();
    let caller = match caller {
        Err(_) if anonymous => {
            let out = SessionOut { signed_in: false, name: None, role: None, csrf: None, expires_at: None };
            return Ok(Json(out).into_response());
        }
        other => other?,
    };
    let out = SessionOut {
        signed_in: true,
        name: Some(caller.name),
        role: Some(caller.role),
        csrf: caller.session.map(|s| s.1),
        expires_at: None,
    };
    Ok(Json(out).into_response())
}

/// `DELETE /v1/session`: ends the session and clears its cookie.
#[utoipa::path(delete, path = "/v1/session", summary = "Sign out", responses((status = 204, description = "signed out"), (status = 401, description = "not signed in", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "missing or wrong x-csrf-token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "a bearer token has no session to end", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn sign_out(State(st): St, caller: Caller) -> Answer {
    let (secret, _) = caller.session.ok_or_else(|| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "no_session", "a bearer token has no session to end")
    })?;
    let secure = st.secure_cookies;
    db_write(move || {
        st.ledger.with(|l| l.end_session(&secret, OffsetDateTime::now_utc())).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, session_cookie("", 0, secure))]).into_response())
}

/// `GET /v1/pools?date=&after=&limit=` (viewer): every pool the rule defines on the date that holds TPP or is a
/// country allocation, with its balance, as `tiergate ledger balance` gives one: `{"pools": [...], "next_after"}`.
#[utoipa::path(get, path = "/v1/pools", summary = "Every pool's balance, paged (viewer)", params(crate::routes::PoolsQuery), responses((status = 200, description = "balances, country pools first", body = crate::openapi::PoolsPageDoc), (status = 422, description = "bad date", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn pools(
    State(st): St,
    caller: Caller,
    q: Result<Query<crate::routes::PoolsQuery>, QueryRejection>,
) -> Answer {
    caller.require(Role::Viewer, "reading pools")?;
    let q = query(q)?;
    let date = date_param(q.date.as_deref(), "date")?;
    let list = db(&Arc::clone(&st), move || st.ledger.read(|l| l.balances(date)).map_err(|e| Problem::from_ledger(&e)))
        .await?;
    let (pools, next_after) = crate::routes::page(list, |b| b.pool.as_str(), q.after.as_deref(), q.limit)?;
    Ok(Json(serde_json::json!({"pools": pools, "next_after": next_after})).into_response())
}

/// The dashboard's files, compiled into the binary (`crates/tiergate-server/assets/`).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("index.html", "text/html; charset=utf-8", include_bytes!("../assets/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
    ("desk.js", "text/javascript; charset=utf-8", include_bytes!("../assets/desk.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("world.json", "application/json", tiergate_wire::worldmap::WORLD_JSON.as_bytes()),
    ("favicon.svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")),
    ("vendor/d3-geo.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/d3-geo.min.js")),
    ("vendor/d3-array.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/vendor/d3-array.min.js")),
    (
        "vendor/topojson-client.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/topojson-client.min.js"),
    ),
];

/// `GET /` and `GET /assets/{file}`: the dashboard (no token: it signs in from the page).
pub(crate) async fn asset(uri: axum::http::Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let name = if path.is_empty() { "index.html" } else { path.trim_start_matches("assets/") };
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "no-cache"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => Problem::not_found(format!("no dashboard file `{name}`")).into_response(),
    }
}
