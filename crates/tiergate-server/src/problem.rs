//! RFC 9457 problem details: every error the API gives.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use tiergate_store::LedgerError;
use tiergate_wire::WireError;

/// An error answer: `type`, `title`, `status`, `detail`, and `code` and `field` where known.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub field: Option<String>,
    /// Further members (for a refused reservation: the `tiergate ledger reserve` answer's fields).
    pub extra: Map<String, Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem { status, code: code.to_owned(), detail: detail.into(), field: None, extra: Map::new() }
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: String) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: String) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// An internal failure: the caller gets a generic message; the details go to the log.
    pub fn internal(what: &str, request_id: Option<&str>) -> Problem {
        tracing::error!(request_id, "internal error: {what}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to answer; the failure is logged",
        )
    }

    /// A request the wire layer rejected: 400 when it is not JSON, 409 when its id keys another reservation, 422
    /// when it parses but is invalid.
    pub fn from_wire(e: &WireError) -> Problem {
        let status = match e.code {
            "malformed_json" => StatusCode::BAD_REQUEST,
            "idempotency_conflict" => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Problem { field: e.field.clone(), ..Problem::new(status, e.code, e.message.clone()) }
    }

    pub fn from_ledger(e: &LedgerError) -> Problem {
        let status = match e {
            LedgerError::Pool(_) | LedgerError::BadInput(_) | LedgerError::TooLong { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            LedgerError::Busy(_) => {
                tracing::warn!("database busy: {e}");
                return Problem::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string());
            }
            LedgerError::NotFound(_) => StatusCode::NOT_FOUND,
            LedgerError::NotPending { .. } | LedgerError::Conflict(_) => StatusCode::CONFLICT,
            LedgerError::BadUrl(_) | LedgerError::Database(_) | LedgerError::Corrupt(_) => {
                return Problem::internal(&e.to_string(), None);
            }
        };
        Problem { field: e.field().map(str::to_owned), ..Problem::new(status, e.code(), e.to_string()) }
    }

    pub fn with_field(mut self, field: &str) -> Problem {
        self.field = Some(field.to_owned());
        self
    }
}

fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("urn:tiergate:problem:{}", self.code),
            "title": title(self.status),
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let (Some(map), Some(field)) = (body.as_object_mut(), self.field) {
            map.insert("field".into(), Value::String(field));
        }
        if let Some(map) = body.as_object_mut() {
            for (k, v) in self.extra {
                map.entry(k).or_insert(v);
            }
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // A busy database frees up within a second or so: a retry then usually succeeds.
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
