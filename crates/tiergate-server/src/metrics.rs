//! `/metrics`: Prometheus text format. Request counts and latencies per route, determinations by
//! authorization, reservations by outcome.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

use crate::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pub determinations: IntCounterVec,
    pub reservations: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("tiergate_http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("tiergate_http_request_duration_seconds", "HTTP request latency by route and method")
                .buckets(vec![0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]),
            &["route", "method"],
        )?;
        let determinations = IntCounterVec::new(
            Opts::new(
                "tiergate_determinations_total",
                "Determinations by authorization (`error` for rejected requests)",
            ),
            &["authorization"],
        )?;
        let reservations = IntCounterVec::new(
            Opts::new("tiergate_reservations_total", "Reservation attempts by outcome"),
            &["outcome"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(determinations.clone()))?;
        registry.register(Box::new(reservations.clone()))?;
        Ok(Metrics { registry, requests, latency, determinations, reservations })
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding gathered metrics into memory cannot fail.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Counts and times every request under its route template (`/v1/items/{id}`), not its path, and its method
/// among the standard ones (`other` for any other), so that no label comes from client input.
pub async fn track(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = method_label(req.method());
    let start = Instant::now();
    let response = next.run(req).await;
    st.metrics.latency.with_label_values(&[&route, method]).observe(start.elapsed().as_secs_f64());
    st.metrics.requests.with_label_values(&[&route, method, response.status().as_str()]).inc();
    response
}

/// The method as a metrics label: one of the nine standard methods, or `other`.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}
