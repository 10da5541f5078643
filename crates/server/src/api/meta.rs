//! Liveness, readiness, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct Status {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    pub status: &'static str,
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// `GET /readyz`: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(Status { status: "ready" })),
        Err(err) => {
            tracing::warn!(%err, "database not reachable");
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the database is not reachable"))
        }
    }
}

/// `GET /metrics` on the main listener: only with `Authorization: Bearer
/// <--metrics-token>` (401 otherwise); without a token configured the metrics
/// are not on this listener at all (404; see `--metrics-listen`).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let Some(expected) = &state.config.metrics_token else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            "metrics are not served on this address (see --metrics-listen and --metrics-token)",
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests: the time taken says nothing about the token.
    if Sha256::digest(presented.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a valid metrics token is required"));
    }
    Ok(exposition(&state))
}

/// The router of the `--metrics-listen` address: `GET /metrics`, nothing else.
pub fn metrics_only(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { exposition(&state) }))
        .with_state(state)
}

/// Every metric in the Prometheus text format.
fn exposition(state: &AppState) -> Response {
    let mut text = state.metrics.render();
    text.push_str("# HELP reynard_document_rooms Documents in memory (one room task each).\n");
    text.push_str("# TYPE reynard_document_rooms gauge\n");
    text.push_str(&format!("reynard_document_rooms {}\n", state.collab.running_rooms()));
    text.push_str(&fanout_metrics(&state.bus.stats(), state.bus.distributed(), state.collab.catch_ups()));
    text.push_str(&crate::rtc::metrics(&state.rtc.calls.stats()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// The fan-out between processes and the catch-ups it caused.
fn fanout_metrics(stats: &reynard_bus::BusStats, distributed: bool, catch_ups: u64) -> String {
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        text.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
    };
    metric(
        "reynard_fanout_connected",
        "gauge",
        "1 when the fan-out reaches the other processes (always 1 without Redis).",
        u8::from(stats.connected || !distributed).to_string(),
    );
    metric(
        "reynard_fanout_reconnects_total",
        "counter",
        "Times the Redis connection came back.",
        stats.reconnects.to_string(),
    );
    metric("reynard_fanout_sent_total", "counter", "Events sent to other processes.", stats.sent.to_string());
    metric(
        "reynard_fanout_received_total",
        "counter",
        "Events heard from other processes.",
        stats.received.to_string(),
    );
    metric(
        "reynard_fanout_lag_seconds_sum",
        "counter",
        "Sum of the delays from publishing to hearing, of the events heard (divide by received_total).",
        stats.lag_seconds_sum.to_string(),
    );
    metric(
        "reynard_fanout_lag_seconds_max",
        "gauge",
        "The longest of those delays.",
        stats.lag_seconds_max.to_string(),
    );
    metric(
        "reynard_document_catch_ups_total",
        "counter",
        "Times a document caught up from the log (a gap, a resynchronisation, a check).",
        catch_ups.to_string(),
    );
    text
}
