//! The scrape endpoint: `GET /metrics` (Prometheus text format), `GET /healthz` and
//! `GET /runbook` (the alert runbook, deploy/README.md, with an anchor per alert: the
//! default target of the alerts' `runbook_url`, `monitor.runbook_base_url`).

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

/// The runbook as built into the binary.
const RUNBOOK_MARKDOWN: &str = include_str!("../../deploy/README.md");

async fn runbook_handler() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        runbook_html(RUNBOOK_MARKDOWN),
    )
}

/// The runbook's markdown as a plain HTML page: the text preformatted, each `### Name`
/// heading an `<h3 id="name">` (lower case), the anchor an alert's `runbook_url` names.
fn runbook_html(markdown: &str) -> String {
    let escape = |line: &str| {
        line.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut html = String::from(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
         <title>Liquidity Sentinel runbook</title></head><body>\n<pre>\n",
    );
    for line in markdown.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            let id: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            html.push_str(&format!(
                "</pre>\n<h3 id=\"{id}\">{}</h3>\n<pre>\n",
                escape(name)
            ));
        } else {
            html.push_str(&escape(line));
            html.push('\n');
        }
    }
    html.push_str("</pre>\n</body></html>\n");
    html
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
        .route("/runbook", get(runbook_handler))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runbook_heading_is_an_anchor_and_the_text_is_escaped() {
        let html = runbook_html("# Title\n### SentinelFeedStale\nif a < b & c\n");
        assert!(html.contains("<h3 id=\"sentinelfeedstale\">SentinelFeedStale</h3>"));
        assert!(html.contains("if a &lt; b &amp; c"));
        let built_in = runbook_html(RUNBOOK_MARKDOWN);
        for anchor in [
            "sentinelreservebreached",
            "sentineldown",
            "sentinelfeedstale",
        ] {
            assert!(built_in.contains(&format!("id=\"{anchor}\"")), "{anchor}");
        }
    }
}
