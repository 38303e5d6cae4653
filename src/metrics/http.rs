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
    axum::serve(listener, router(metrics, health))
        .with_graceful_shutdown(shutdown)
        .await
}

fn router(metrics: Arc<Metrics>, health: watch::Receiver<StoreHealth>) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(metrics)
        .merge(
            Router::new()
                .route("/healthz", get(healthz))
                .with_state(health),
        )
}

/// [`serve_metrics`] over TLS (`tls`: certificate, key and, for mutual TLS, the client CA):
/// each accepted connection is served once its handshake succeeds; a failed handshake
/// closes only that connection.
pub async fn serve_metrics_tls(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    health: watch::Receiver<StoreHealth>,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(metrics, health);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => continue,
            },
        };
        let acceptor = acceptor.clone();
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(io, service)
                    .await;
        });
    }
}
