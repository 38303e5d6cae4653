//! The gate every call passes: role tokens (`authorization: Bearer <token>`), the
//! per-token call rate, and, once the call ends, its outcome for the metrics and one log
//! line per failed call (rate-limited). Health checks need no token.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::Frame;
use tonic::body::Body;
use tonic::codegen::Bytes;
use tonic::{Code, Status};

use super::limits::{LogLimiter, RateLimiter, Ticker};
use super::tokens::{Caller, Role, TokenStore};

/// Where call outcomes go (the bin connects it to the Prometheus metrics).
pub trait RpcObserver: Send + Sync {
    /// A call to `method` (a label, see [`method_label`]) ended with `code` after
    /// `seconds` (for streams: the stream's whole life).
    fn on_rpc(&self, method: &str, code: Code, seconds: f64);
    /// A connection was closed because `limit` connections were open.
    fn on_connection_rejected(&self, limit: usize);
}

/// The methods served, as metric labels (`service/Method`); any other path is `other`.
pub const METHOD_LABELS: &[&str] = &[
    "sentinel.v1.MonitorService/IngestWithdrawals",
    "sentinel.v1.MonitorService/IngestWithdrawalBatches",
    "sentinel.v1.MonitorService/RecordWithdrawals",
    "sentinel.v1.MonitorService/SetReserve",
    "sentinel.v1.MonitorService/GetProjection",
    "sentinel.v1.MonitorService/WatchProjections",
    "sentinel.v1.MonitorService/WatchAlerts",
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    "other",
];

/// The metric label of a request path (bounded: one of [`METHOD_LABELS`]).
pub fn method_label(path: &str) -> &'static str {
    let path = path.trim_start_matches('/');
    METHOD_LABELS
        .iter()
        .find(|label| **label == path)
        .copied()
        .unwrap_or("other")
}

/// The role a path requires; `None` for health checks (open to probes).
pub fn required_role(path: &str) -> Option<Role> {
    let path = path.trim_start_matches('/');
    if path.starts_with("grpc.health.v1.Health/") {
        return None;
    }
    let method = path.strip_prefix("sentinel.v1.MonitorService/");
    Some(match method {
        Some("IngestWithdrawals" | "IngestWithdrawalBatches" | "RecordWithdrawals") => Role::Ingest,
        Some("SetReserve") => Role::Admin,
        _ => Role::Read,
    })
}

/// What the gate shares between calls.
pub struct GateState {
    /// The tokens in force; `None` = no authentication.
    pub tokens: Option<Arc<TokenStore>>,
    /// Per-token call rate; `None` = no limit.
    pub rate: Option<RateLimiter>,
    /// Outcomes, for metrics.
    pub observer: Option<Arc<dyn RpcObserver>>,
    /// Failed-call log lines.
    pub error_log: LogLimiter,
    /// The monotonic clock of durations.
    pub ticker: Arc<dyn Ticker>,
}

impl GateState {
    /// The caller of `request`, or the status that refuses it: UNAUTHENTICATED without a
    /// known token, PERMISSION_DENIED for the wrong role, RESOURCE_EXHAUSTED above the rate.
    fn admit<B>(&self, request: &http::Request<B>) -> Result<Option<Caller>, Status> {
        let (Some(tokens), Some(required)) = (&self.tokens, required_role(request.uri().path()))
        else {
            return Ok(None);
        };
        let presented = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = presented else {
            return Err(Status::unauthenticated(
                "missing token: send `authorization: Bearer <token>`",
            ));
        };
        let caller = tokens
            .identify(token)
            .ok_or_else(|| Status::unauthenticated("unknown token"))?;
        if !caller.role.grants(required) {
            return Err(Status::permission_denied(format!(
                "token `{}` has role `{}`; this call needs `{}`",
                caller.name,
                caller.role.as_str(),
                required.as_str()
            )));
        }
        if let Some(rate) = &self.rate {
            rate.take(&caller.name).map_err(|wait| {
                Status::resource_exhausted(format!(
                    "rate limit: token `{}` may start {} calls per second (bursts of {}); \
                     retry in {:.3} s",
                    caller.name,
                    rate.rate_per_second(),
                    rate.capacity(),
                    wait.as_secs_f64()
                ))
            })?;
        }
        Ok(Some(caller))
    }

    /// Records a finished call: metrics, and a log line when it failed (not for a client
    /// that went away).
    fn finish(&self, call: &CallInfo, status: &Status) {
        let seconds = self.ticker.now().saturating_sub(call.started).as_secs_f64();
        if let Some(observer) = &self.observer {
            observer.on_rpc(call.method, status.code(), seconds);
        }
        if matches!(status.code(), Code::Ok | Code::Cancelled) {
            return;
        }
        if let Some(suppressed) = self.error_log.admit() {
            tracing::warn!(
                message = "rpc failed",
                method = call.method,
                code = ?status.code(),
                reason = status.message(),
                caller = call.caller.as_deref().unwrap_or("-"),
                seconds,
                suppressed
            );
        }
    }
}

/// What the gate remembers of a call until it ends.
struct CallInfo {
    method: &'static str,
    caller: Option<String>,
    started: Duration,
}

/// The gate as a tower layer (`Server::builder().layer(..)`).
#[derive(Clone)]
pub struct GateLayer(pub Arc<GateState>);

impl<S> tower_layer::Layer<S> for GateLayer {
    type Service = Gate<S>;
    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            state: Arc::clone(&self.0),
        }
    }
}

/// The gate around the server's routes.
#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    state: Arc<GateState>,
}

type BoxFuture<T, E> = Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send>>;

impl<S> tower_service::Service<http::Request<Body>> for Gate<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let state = Arc::clone(&self.state);
        let mut call = CallInfo {
            method: method_label(request.uri().path()),
            caller: None,
            started: state.ticker.now(),
        };
        match state.admit(&request) {
            Err(status) => {
                state.finish(&call, &status);
                Box::pin(std::future::ready(Ok(status.into_http())))
            }
            Ok(caller) => {
                call.caller = caller.as_ref().map(|c| c.name.clone());
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                Box::pin(async move {
                    let response = inner.call(request).await?;
                    Ok(observe(response, state, call))
                })
            }
        }
    }
}

/// Follows `response` to its status: in the headers (a trailers-only answer) or in the
/// trailers at the end of the body.
fn observe(
    response: http::Response<Body>,
    state: Arc<GateState>,
    call: CallInfo,
) -> http::Response<Body> {
    if let Some(status) = Status::from_header_map(response.headers()) {
        state.finish(&call, &status);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = ObservedBody {
        inner: body,
        pending: Some((state, call)),
    };
    http::Response::from_parts(parts, Body::new(body))
}

/// A response body that reports the call's status when its trailers pass (or CANCELLED
/// when it is dropped before: the client went away).
struct ObservedBody {
    inner: Body,
    pending: Option<(Arc<GateState>, CallInfo)>,
}

impl ObservedBody {
    fn finish(&mut self, status: Status) {
        if let Some((state, call)) = self.pending.take() {
            state.finish(&call, &status);
        }
    }
}

impl http_body::Body for ObservedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    let status = Status::from_header_map(trailers)
                        .unwrap_or_else(|| Status::unknown("no grpc-status in the trailers"));
                    self.finish(status);
                }
            }
            Poll::Ready(Some(Err(status))) => self.finish(status.clone()),
            Poll::Ready(None) => {
                self.finish(Status::unknown("the response ended without a status"))
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for ObservedBody {
    fn drop(&mut self) {
        self.finish(Status::cancelled("the client went away"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rpc_requires_its_role_and_health_is_open() {
        let svc = "/sentinel.v1.MonitorService/";
        for (method, role) in [
            ("IngestWithdrawals", Role::Ingest),
            ("IngestWithdrawalBatches", Role::Ingest),
            ("RecordWithdrawals", Role::Ingest),
            ("SetReserve", Role::Admin),
            ("GetProjection", Role::Read),
            ("WatchProjections", Role::Read),
            ("WatchAlerts", Role::Read),
            ("Unknown", Role::Read),
        ] {
            assert_eq!(
                required_role(&format!("{svc}{method}")),
                Some(role),
                "{method}"
            );
        }
        assert_eq!(required_role("/grpc.health.v1.Health/Check"), None);
        assert_eq!(
            required_role("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Some(Role::Read)
        );
    }

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(
            method_label("/sentinel.v1.MonitorService/SetReserve"),
            "sentinel.v1.MonitorService/SetReserve"
        );
        assert_eq!(method_label("/x.y/Z"), "other");
    }
}
