//! Tiergate's HTTP API. Handlers speak the wire crate's shapes, ask the core, and keep state in the store.
//!
//! Every route but `/healthz`, the OpenAPI document and the dashboard's files needs a bearer token or a browser
//! session made from one (`POST /v1/session`, whose changes must also carry its CSRF token); roles (viewer <
//! analyst < officer < admin) decide what it may do. Errors are RFC 9457 problem details. Database work runs on tokio's blocking pool through one
//! `SharedLedger`, which commits concurrent reservations together.

pub mod auth;
mod cases_api;
mod dashboard_api;
mod exposure_api;
mod fleet_api;
pub mod hooks;
mod kyc_api;
pub mod listen;
pub mod lists;
mod lists_api;
pub mod memo_api;
pub mod metrics;
pub mod openapi;
mod parties_api;
pub mod problem;
pub mod registry;
mod routes;
pub mod scenarios_api;
mod screening_api;
pub mod veus;
mod veus_api;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use tiergate_store::SharedLedger;
use tiergate_wire::Env;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;

/// Bounds on what one request may carry.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Request bodies, in bytes.
    pub max_body_bytes: usize,
    /// Requests in one `{"requests": [...]}` batch.
    pub max_batch: usize,
    /// How long a client may take to send a request's whole body.
    pub body_timeout: std::time::Duration,
    /// The request target (path and query), in bytes.
    pub max_uri_bytes: usize,
    /// Header names and values together, in bytes.
    pub max_header_bytes: usize,
    /// Uploaded trade flows (`POST /v1/exposure`), in bytes.
    pub max_upload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_batch: 1000,
            body_timeout: std::time::Duration::from_secs(30),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 32 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub env: Env,
    pub ledger: SharedLedger,
    pub limits: Limits,
    pub metrics: metrics::Metrics,
    /// Run database calls on the async workers instead of the blocking pool: for SQLite, whose calls take
    /// microseconds and never wait on a network. The synchronous PostgreSQL client cannot run there.
    pub inline_db: bool,
    /// The restricted-party lists, reloaded by [`AppState::refresh_lists`] when another process changes them.
    pub lists: lists::ListsCache,
    /// The party registry, reloaded by [`AppState::refresh_lists`] too.
    pub registry: registry::RegistryCache,
    /// Mark the session cookie `Secure`, so that browsers send it over HTTPS only: for a server reached through a
    /// TLS-terminating proxy, i.e. not on loopback (`tiergate serve --secure-cookies`).
    pub secure_cookies: bool,
    /// Saved scenarios, loaded once per text.
    pub scenarios: scenarios_api::ScenarioCache,
    /// Held while an exposure runs: one at a time.
    pub(crate) exposure_slot: tokio::sync::Mutex<()>,
    tokens: auth::TokenCache,
}

impl AppState {
    pub fn new(env: Env, ledger: SharedLedger, limits: Limits) -> AppState {
        // The metric definitions are fixed and valid; registering them cannot fail.
        #[allow(clippy::expect_used)]
        let metrics = metrics::Metrics::new().expect("metric definitions are valid");
        AppState {
            env,
            ledger,
            limits,
            metrics,
            inline_db: false,
            lists: lists::ListsCache::default(),
            registry: registry::RegistryCache::default(),
            scenarios: scenarios_api::ScenarioCache::default(),
            secure_cookies: false,
            exposure_slot: tokio::sync::Mutex::new(()),
            tokens: auth::TokenCache::default(),
        }
    }
}

impl AppState {
    /// Forgets cached token lookups (after a revocation on this instance).
    pub fn forget_tokens(&self) {
        self.tokens.clear();
    }

    /// Reloads the restricted-party lists if the ledger's differ from the loaded ones (see [`lists::ListsCache`]),
    /// and the party registry if it changed; says whether either was reloaded.
    pub fn refresh_lists(&self) -> Result<bool, lists::LoadError> {
        let lists = self.ledger.read(|l| self.lists.refresh(l))?;
        let registry = self.ledger.read(|l| self.registry.refresh(l))?;
        Ok(lists || registry)
    }

    /// Session cookies marked `Secure` (see [`AppState::secure_cookies`]).
    pub fn with_secure_cookies(mut self, secure: bool) -> AppState {
        self.secure_cookies = secure;
        self
    }

    /// Database calls inline on the async workers (see [`AppState::inline_db`]); only for SQLite.
    pub fn with_inline_db(mut self, inline: bool) -> AppState {
        self.inline_db = inline;
        self
    }
}

/// The API's routes, with a request id on every request and response (`x-request-id`, made up when absent)
/// and a tracing span per request that carries it.
pub fn router(state: Arc<AppState>) -> Router {
    let limit = state.limits.max_body_bytes;
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Micros));
    // Uploads of trade flows, list files, facility logs and customer files take a larger body than the rest (the
    // innermost limit wins).
    let large = DefaultBodyLimit::max(state.limits.max_upload_bytes);
    let upload = Router::new()
        .route("/v1/exposure", axum::routing::post(exposure_api::exposure).layer(large))
        .route("/v1/lists", axum::routing::get(lists_api::versions).post(lists_api::import).layer(large))
        .route("/v1/veus/{id}/log", axum::routing::post(veus_api::log).layer(large))
        .route("/v1/kyc", axum::routing::post(kyc_api::check).layer(large));
    routes::routes()
        .merge(upload)
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&state), metrics::track))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(state.limits, within_limits))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(RequestIds::default()))
        .layer(axum::middleware::from_fn(drop_odd_request_id))
        .with_state(state)
}

/// A request within `limits`: its target and headers no longer than allowed (414, 431, each refused here with a
/// problem body), and its body readable only until the body timeout from the request's start (a handler that
/// reads it later gets [`BodyDeadline`], answered 408). The body is not read here: a request refused before its
/// handler reads the body (no token, no such route) costs no buffering.
async fn within_limits(
    axum::extract::State(limits): axum::extract::State<Limits>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri_bytes {
        return problem::Problem::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request's path and query are {target} bytes; the server takes at most {}",
                limits.max_uri_bytes
            ),
        )
        .into_response();
    }
    let head: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if head > limits.max_header_bytes {
        return problem::Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request's headers are {head} bytes; the server takes at most {}", limits.max_header_bytes),
        )
        .into_response();
    }
    let deadline = tokio::time::Instant::now() + limits.body_timeout;
    next.run(req.map(|body| {
        axum::body::Body::new(DeadlineBody { body, deadline: Box::pin(tokio::time::sleep_until(deadline)) })
    }))
    .await
}

/// A request body that fails with [`BodyDeadline`] once its deadline passes, however its bytes trickle in.
struct DeadlineBody {
    body: axum::body::Body,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

/// The error of a body not received within the body timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body timeout")]
pub struct BodyDeadline;

impl axum::body::HttpBody for DeadlineBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Some(Err(Box::new(BodyDeadline))));
        }
        std::pin::Pin::new(&mut self.body).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Longest client `x-request-id` kept.
const MAX_REQUEST_ID: usize = 64;

/// A client's `x-request-id` is echoed and logged only when it is short and plain (letters, digits, `.`, `_`, `:`,
/// `-`); any other is dropped, and the server makes one up.
async fn drop_odd_request_id(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let plain = |v: &axum::http::HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= MAX_REQUEST_ID
            && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
    };
    let headers = req.headers_mut();
    if headers.get_all("x-request-id").iter().count() > 1 || headers.get("x-request-id").is_some_and(|v| !plain(v)) {
        headers.remove("x-request-id");
    }
    next.run(req).await
}

/// Request ids: the process start time and a counter, unique per instance and cheap to make.
#[derive(Clone, Default)]
struct RequestIds(Arc<std::sync::atomic::AtomicU64>);

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{}-{n}", *START)).ok().map(RequestId::new)
    }
}

static START: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
});

/// Logs as one JSON object per line on standard error, at the level `RUST_LOG` names (default `info`).
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Serves until `shutdown` resolves, then finishes the requests in flight (see [`listen::serve`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    limits: listen::ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve(listener, state, limits, shutdown).await
}
