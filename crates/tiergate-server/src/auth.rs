//! Bearer tokens, browser sessions and roles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tiergate_store::{Role, TokenInfo};

use crate::problem::Problem;
use crate::AppState;

/// How long a token lookup is trusted before the database is asked again: a revoked token stops working within
/// this time on every instance.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// Recent token lookups, by the token as sent. Only this process's memory holds the secrets, and only for
/// [`TOKEN_CACHE_TTL`] (expired lookups are dropped as new ones come); the database holds only their hashes.
/// Keyed by the secret, a cached request costs a map lookup instead of a SHA-256 of its token, a sizeable part
/// of a determination's own work on a CPU without SHA instructions.
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (Option<TokenInfo>, Instant)>>);

impl TokenCache {
    fn get(&self, secret: &str) -> Option<Option<TokenInfo>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(secret).filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL).map(|(t, _)| t.clone())
    }

    /// Forgets every lookup, so that a revocation made here takes effect here at once.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn put(&self, secret: String, token: Option<TokenInfo>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
        if map.len() > 10_000 {
            map.clear(); // bounded: a flood of wrong tokens cannot grow it without limit
        }
        map.insert(secret, (token, Instant::now()));
    }
}

/// The cookie a browser session travels in (`POST /v1/session`).
pub const SESSION_COOKIE: &str = "tiergate_session";

/// The header a session's calls that change something must carry, with the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller: the token's name (which the audit log records) and role; for a browser session,
/// its secret (to end it) and CSRF token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    pub session: Option<(String, String)>,
}

/// The value of one cookie of the request, if sent.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A browser session's caller. A call that changes something (any method but GET and HEAD) must echo the
/// session's CSRF token: a page of another origin cannot read it, so it cannot forge the call.
async fn session_caller(parts: &Parts, state: &Arc<AppState>, secret: &str) -> Result<Caller, Problem> {
    let owned = secret.to_owned();
    let st = Arc::clone(state);
    let found = crate::routes::db(state, move || {
        st.ledger.read(|l| l.session(&owned, time::OffsetDateTime::now_utc())).map_err(|e| Problem::from_ledger(&e))
    })
    .await?;
    let session = found.ok_or_else(|| Problem::unauthorized("the session has ended or expired: sign in again"))?;
    let reads = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
    if !reads {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf.as_str()) {
            return Err(Problem::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf",
                format!("a session's changes must carry the `{CSRF_HEADER}` header its sign-in returned"),
            ));
        }
    }
    Ok(Caller { name: session.token.name, role: session.token.role, session: Some((secret.to_owned(), session.csrf)) })
}

impl Caller {
    /// 403 unless the caller's role is at least `needed`.
    pub fn require(&self, needed: Role, what: &str) -> Result<(), Problem> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "token `{}` has role {}; {what} needs {} or higher",
                self.name,
                self.role.as_str(),
                needed.as_str()
            )))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Caller, Problem> {
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            return match cookie(&parts.headers, SESSION_COOKIE) {
                Some(secret) => session_caller(parts, state, secret).await,
                None => Err(Problem::unauthorized(
                    "send `Authorization: Bearer TOKEN` (create one with `tiergate token create`), or sign in",
                )),
            };
        };
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer TOKEN`"))?
            .to_owned();
        let token = match state.tokens.get(&secret) {
            Some(t) => t,
            None => {
                let st = Arc::clone(state);
                let asked = secret.clone();
                let found = crate::routes::db(state, move || {
                    st.ledger.read(|l| l.authenticate(&asked)).map_err(|e| Problem::from_ledger(&e))
                })
                .await?;
                state.tokens.put(secret, found.clone());
                found
            }
        };
        let token = token.ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"))?;
        Ok(Caller { name: token.name, role: token.role, session: None })
    }
}
