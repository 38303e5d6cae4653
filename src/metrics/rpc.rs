//! Per-RPC metrics of the gRPC server: calls by method and status code, their durations
//! (for streams, the stream's life) and connections refused at the connection limit.
//! Registered in the [`super::Metrics`] registry by [`RpcMetrics::register`]; the bin
//! feeds them from the gRPC gate's outcome observer.

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

use super::MetricsError;

/// Seconds buckets of call durations: unary calls take milliseconds, streams minutes.
const CALL_BUCKETS_SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0, 3600.0,
];

/// The gRPC families.
#[derive(Clone)]
pub struct RpcMetrics {
    requests_total: IntCounterVec,
    request_duration_seconds: HistogramVec,
    connections_rejected_total: IntCounter,
}

impl RpcMetrics {
    /// Registers the families in `registry`, with a zero series of code `OK` for every
    /// method of `methods` (so rates exist from the first scrape).
    pub fn register(registry: &Registry, methods: &[&str]) -> Result<Self, MetricsError> {
        let requests_total = IntCounterVec::new(
            Opts::new(
                "sentinel_grpc_requests_total",
                "gRPC calls finished, by method and status code (streams when they end).",
            ),
            &["method", "code"],
        )?;
        let request_duration_seconds = HistogramVec::new(
            HistogramOpts::new(
                "sentinel_grpc_request_duration_seconds",
                "Duration of gRPC calls by method (for streams, the stream's life), seconds.",
            )
            .buckets(CALL_BUCKETS_SECONDS.to_vec()),
            &["method"],
        )?;
        let connections_rejected_total = IntCounter::with_opts(Opts::new(
            "sentinel_grpc_connections_rejected_total",
            "Connections closed at accept because access.max_connections were open.",
        ))?;
        registry.register(Box::new(requests_total.clone()))?;
        registry.register(Box::new(request_duration_seconds.clone()))?;
        registry.register(Box::new(connections_rejected_total.clone()))?;
        for method in methods {
            requests_total.with_label_values(&[method, "OK"]);
            request_duration_seconds.with_label_values(&[method]);
        }
        Ok(Self {
            requests_total,
            request_duration_seconds,
            connections_rejected_total,
        })
    }

    /// One finished call: `code` is the gRPC code's canonical name (`OK`,
    /// `PERMISSION_DENIED`, …).
    pub fn on_rpc(&self, method: &str, code: &str, seconds: f64) {
        self.requests_total.with_label_values(&[method, code]).inc();
        self.request_duration_seconds
            .with_label_values(&[method])
            .observe(seconds);
    }

    /// One connection refused at the limit.
    pub fn on_connection_rejected(&self) {
        self.connections_rejected_total.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_method_and_code_and_timed() {
        let metrics = super::super::Metrics::new().unwrap();
        let rpc = RpcMetrics::register(metrics.registry(), &["svc/A"]).unwrap();
        let text = metrics.encode();
        assert!(text.contains("sentinel_grpc_requests_total{code=\"OK\",method=\"svc/A\"} 0"));
        rpc.on_rpc("svc/A", "PERMISSION_DENIED", 0.003);
        rpc.on_connection_rejected();
        let text = metrics.encode();
        assert!(text.contains(
            "sentinel_grpc_requests_total{code=\"PERMISSION_DENIED\",method=\"svc/A\"} 1"
        ));
        assert!(text.contains(
            "sentinel_grpc_request_duration_seconds_bucket{method=\"svc/A\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("sentinel_grpc_connections_rejected_total 1"));
    }
}
