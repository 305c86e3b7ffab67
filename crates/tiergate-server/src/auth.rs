//! Bearer tokens and roles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tiergate_store::{secret_hash, Role, TokenInfo};

use crate::problem::Problem;
use crate::AppState;

/// How long a token lookup is trusted before the database is asked again: a revoked token stops working within
/// this time on every instance.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// Recent token lookups, by secret hash.
#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (Option<TokenInfo>, Instant)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Option<TokenInfo>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(hash).filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL).map(|(t, _)| t.clone())
    }

    /// Forgets every lookup, so that a revocation made here takes effect here at once.
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn put(&self, hash: String, token: Option<TokenInfo>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 10_000 {
            map.clear(); // bounded: a flood of wrong tokens cannot grow it without limit
        }
        map.insert(hash, (token, Instant::now()));
    }
}

/// The authenticated caller: the token's name (which the audit log records) and role.
#[derive(Clone, Debug)]
pub struct Caller {
    pub name: String,
    pub role: Role,
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
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            Problem::unauthorized("send `Authorization: Bearer TOKEN` (create one with `tiergate token create`)")
        })?;
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer TOKEN`"))?
            .to_owned();
        let hash = secret_hash(&secret);
        let token = match state.tokens.get(&hash) {
            Some(t) => t,
            None => {
                let found = if state.inline_db {
                    state.ledger.read(|l| l.authenticate(&secret))
                } else {
                    let st = Arc::clone(state);
                    tokio::task::spawn_blocking(move || st.ledger.read(|l| l.authenticate(&secret)))
                        .await
                        .map_err(|e| Problem::internal(&e.to_string(), None))?
                }
                .map_err(|e| Problem::internal(&e.to_string(), None))?;
                state.tokens.put(hash, found.clone());
                found
            }
        };
        let token = token.ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"))?;
        Ok(Caller { name: token.name, role: token.role })
    }
}
