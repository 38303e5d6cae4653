//! The scrape endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;

use tokio::sync::watch;

use super::Metrics;
use crate::service::StoreHealth;

async fn metrics_handler(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        metrics.encode(),
    )
}

/// `200 ok` while the store takes writes; `503` with the reason while it refuses them.
async fn healthz(State(health): State<watch::Receiver<StoreHealth>>) -> (StatusCode, String) {
    match &*health.borrow() {
        StoreHealth::Writable => (StatusCode::OK, "ok\n".to_owned()),
        StoreHealth::Failing { reason } => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("event store not writable: {reason}\n"),
        ),
    }
}

/// Serves `/metrics` and `/healthz` (following `health`, the engine's
/// [`crate::service::Engine::store_health`]) on `listener` until `shutdown` completes.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    health: watch::Receiver<StoreHealth>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(metrics)
        .merge(
            Router::new()
                .route("/healthz", get(healthz))
                .with_state(health),
        );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
