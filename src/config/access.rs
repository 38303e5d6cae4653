//! `[access]`: who may reach the live monitor and how much of it (TLS, role tokens,
//! connection, stream and rate limits, watch-stream timeouts). Defaults are documented in
//! `assumptions.md`.

use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, Bound, ParamError, bound, check};

/// Streams one HTTP/2 connection may hold at most: the flow-control budget of
/// `grpc::flow` is proved for this many, so the setting may only lower it.
pub const MAX_STREAMS_PER_CONNECTION_LIMIT: u32 = 32;

/// TLS, tokens and limits of `sentinel serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// PEM certificate chain of the server (gRPC and metrics); empty = plaintext.
    pub tls_cert_path: String,
    /// PEM private key of `tls_cert_path`.
    pub tls_key_path: String,
    /// PEM CA bundle: when set, clients must present a certificate it signed (mutual TLS).
    pub tls_client_ca_path: String,
    /// Serve plaintext on a non-loopback address (refused otherwise).
    pub allow_plaintext_remote: bool,
    /// File of role tokens (SHA-256 hashes); empty = none, unless `SENTINEL_TOKENS_FILE`
    /// names one. Without tokens every call is allowed.
    pub tokens_file: String,
    /// Serve without tokens on a non-loopback address (refused otherwise).
    pub allow_unauthenticated_remote: bool,
    /// Seconds between checks of the tokens file's modification time (SIGHUP reloads at once).
    pub tokens_reload_seconds: f64,
    /// Client connections open at once; more are closed as soon as accepted.
    pub max_connections: u32,
    /// HTTP/2 streams (calls) one connection may have open at once, at most 32.
    pub max_concurrent_streams_per_connection: u32,
    /// Calls each token may start per second, sustained; 0 = no limit (without tokens
    /// there is none).
    pub rate_limit_calls_per_second: f64,
    /// Calls a token may start in a burst above the sustained rate.
    pub rate_limit_burst_calls: u32,
    /// Seconds a watch stream may go without a message before the server ends it
    /// (UNAVAILABLE: subscribe again); 0 = never.
    pub watch_idle_timeout_seconds: f64,
    /// Seconds a watch stream may last before the server ends it (UNAVAILABLE: subscribe
    /// again); 0 = never.
    pub watch_lifetime_seconds: f64,
    /// Log lines per second for failed calls; the excess is counted and reported in the
    /// next line (`suppressed`).
    pub error_log_lines_per_second: u32,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            tls_cert_path: String::new(),
            tls_key_path: String::new(),
            tls_client_ca_path: String::new(),
            allow_plaintext_remote: false,
            tokens_file: String::new(),
            allow_unauthenticated_remote: false,
            tokens_reload_seconds: 5.0,
            max_connections: 256,
            max_concurrent_streams_per_connection: MAX_STREAMS_PER_CONNECTION_LIMIT,
            rate_limit_calls_per_second: 50.0,
            rate_limit_burst_calls: 200,
            watch_idle_timeout_seconds: 1_800.0,
            watch_lifetime_seconds: 86_400.0,
            error_log_lines_per_second: 10,
        }
    }
}

impl AccessConfig {
    /// Checks the ranges and that TLS has both a certificate and a key.
    pub fn validate(&self) -> Result<(), ParamError> {
        check(&self.bounds())?;
        let cert = !self.tls_cert_path.trim().is_empty();
        let key = !self.tls_key_path.trim().is_empty();
        if cert != key {
            return Err(ParamError::new(
                if cert {
                    "tls_key_path"
                } else {
                    "tls_cert_path"
                },
                "\"\"",
                "set with the other of tls_cert_path / tls_key_path",
            ));
        }
        if !cert && !self.tls_client_ca_path.trim().is_empty() {
            return Err(ParamError::new(
                "tls_client_ca_path",
                format!("{:?}", self.tls_client_ca_path),
                "only with tls_cert_path and tls_key_path (mutual TLS needs TLS)",
            ));
        }
        Ok(())
    }

    /// Whether the server speaks TLS.
    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert_path.trim().is_empty()
    }

    fn bounds(&self) -> Vec<Bound> {
        let week_seconds = 7.0 * 86_400.0;
        vec![
            bound(
                "tokens_reload_seconds",
                self.tokens_reload_seconds,
                Allowed::Closed(0.1, 3_600.0),
            ),
            bound(
                "max_connections",
                f64::from(self.max_connections),
                Allowed::Closed(1.0, 100_000.0),
            ),
            bound(
                "max_concurrent_streams_per_connection",
                f64::from(self.max_concurrent_streams_per_connection),
                Allowed::Closed(1.0, f64::from(MAX_STREAMS_PER_CONNECTION_LIMIT)),
            ),
            bound(
                "rate_limit_calls_per_second",
                self.rate_limit_calls_per_second,
                Allowed::Closed(0.0, 1e6),
            ),
            bound(
                "rate_limit_burst_calls",
                f64::from(self.rate_limit_burst_calls),
                Allowed::Closed(1.0, 1e6),
            ),
            bound(
                "watch_idle_timeout_seconds",
                self.watch_idle_timeout_seconds,
                Allowed::Closed(0.0, week_seconds),
            ),
            bound(
                "watch_lifetime_seconds",
                self.watch_lifetime_seconds,
                Allowed::Closed(0.0, week_seconds),
            ),
            bound(
                "error_log_lines_per_second",
                f64::from(self.error_log_lines_per_second),
                Allowed::Closed(1.0, 10_000.0),
            ),
        ]
    }
}
