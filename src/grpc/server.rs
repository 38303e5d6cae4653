//! The tonic service and server.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status, Streaming};

use super::codec::SizeLimitAsResourceExhausted;
use super::convert::{
    alert_to_pb, event_from_pb, event_of_request, filter_matches, projection_to_pb, reserve_from_pb,
};
use super::flow;
use super::gate::{GateLayer, GateState, RpcObserver};
use super::ingest::{Chunk, Reader, StreamSummary};
use super::limits::{LogLimiter, RateLimiter, SystemTicker, Ticker, accept_limited};
use super::pb;
use super::pb::monitor_service_server::{MonitorService, MonitorServiceServer};
use super::status::{
    Invalid, batch_too_large, invalid_reserve, stream_ended, to_status, wire_status,
};
use super::tls::TlsFiles;
use super::tokens::TokenStore;
use crate::monitor::event::WithdrawalEvent;
use crate::service::{Engine, EngineError, IngestCounts, StoreHealth};
use tonic_health::ServingStatus;

/// Messages buffered per streaming response before the subscriber counts as slow.
const STREAM_BUFFER: usize = 16;

/// Events one message of `RecordWithdrawals` or `IngestWithdrawalBatches` may carry; more
/// is RESOURCE_EXHAUSTED.
pub const MAX_BATCH_EVENTS: usize = 10_000;

/// Largest message the server decodes, bytes (the encoded protobuf, without the 5-byte
/// gRPC prefix); larger is RESOURCE_EXHAUSTED. 10,000 events of the largest valid size
/// (two 128-byte ids) fit.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The events of one batch, at most [`MAX_BATCH_EVENTS`].
fn checked_batch(events: Vec<pb::WithdrawalEvent>) -> Result<Vec<pb::WithdrawalEvent>, Status> {
    if events.len() > MAX_BATCH_EVENTS {
        return Err(batch_too_large(events.len(), MAX_BATCH_EVENTS));
    }
    Ok(events)
}

/// Why the server failed.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not be built.
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// How long a watch stream may last; `None` = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchTimeouts {
    /// Longest time without a message sent.
    pub idle: Option<Duration>,
    /// Longest life.
    pub lifetime: Option<Duration>,
}

impl WatchTimeouts {
    /// The timeouts of `[access]` (0 = none).
    pub fn of_config(access: &crate::config::access::AccessConfig) -> Self {
        let positive = |seconds: f64| (seconds > 0.0).then(|| Duration::from_secs_f64(seconds));
        Self {
            idle: positive(access.watch_idle_timeout_seconds),
            lifetime: positive(access.watch_lifetime_seconds),
        }
    }
}

/// What [`serve_with`] adds to the plain server: TLS, role tokens, an outcome observer,
/// and the clock of rate limits.
#[derive(Clone)]
pub struct ServeOptions {
    /// TLS material; `None` = plaintext.
    pub tls: Option<TlsFiles>,
    /// Role tokens; `None` = every call allowed.
    pub tokens: Option<Arc<TokenStore>>,
    /// Where call outcomes go.
    pub observer: Option<Arc<dyn RpcObserver>>,
    /// Monotonic clock of rate limits and call durations.
    pub ticker: Arc<dyn Ticker>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            tls: None,
            tokens: None,
            observer: None,
            ticker: Arc::new(SystemTicker::default()),
        }
    }
}

/// The `sentinel.v1.MonitorService` implementation.
#[derive(Clone)]
pub struct MonitorApi {
    engine: Engine,
    shutdown: watch::Receiver<bool>,
    timeouts: WatchTimeouts,
}

impl MonitorApi {
    /// The service over `engine`; its streams end when `shutdown` turns true, watch streams
    /// also after the `[access]` idle and lifetime timeouts.
    pub fn new(engine: Engine, shutdown: watch::Receiver<bool>) -> Self {
        let timeouts = WatchTimeouts::of_config(&engine.config().access);
        Self {
            engine,
            shutdown,
            timeouts,
        }
    }
}

/// Converts a batch of wire events (the first at position `offset` of its stream); stops
/// at the first unconvertible one, which is returned.
fn convert_batch(
    events: Vec<pb::WithdrawalEvent>,
    offset: usize,
) -> (Vec<WithdrawalEvent>, Option<Invalid>) {
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let event_id = e.event_id.clone();
        match event_from_pb(e) {
            Ok(event) => out.push(event),
            Err(rejection) => {
                let invalid = Invalid {
                    index: offset + i,
                    event_id,
                    rejection,
                };
                return (out, Some(invalid));
            }
        }
    }
    (out, None)
}

impl MonitorApi {
    /// Serves one ingest stream: a [`Reader`] keeps reading while each chunk it hands over
    /// is validated and committed. A stream that ends early (bad event, refused message,
    /// failed commit, client error, shutdown) ends with a status that says how many of its
    /// events were made durable.
    async fn ingest_stream<T: Send + 'static>(
        &self,
        inbound: Streaming<T>,
        unpack: fn(T) -> Result<Vec<pb::WithdrawalEvent>, Status>,
    ) -> Result<StreamSummary, Status> {
        let max_buffered = self.engine.config().monitor.group_commit_max_events as usize;
        let mut reader = Reader::spawn(inbound, max_buffered, unpack);
        let mut summary = StreamSummary::default();
        let mut shutdown = self.shutdown.clone();
        loop {
            let chunk = tokio::select! {
                chunk = reader.next() => chunk,
                _ = shutdown.wait_for(|stop| *stop) => {
                    let status = Status::unavailable("the monitor is shutting down");
                    return Err(stream_ended(status, &summary));
                }
            };
            let result = match chunk {
                None => return Ok(summary),
                Some(Chunk::Events(events)) => self.ingest_chunk(events, &mut summary).await,
                Some(Chunk::End(status)) => Err(wire_status(status)),
            };
            result.map_err(|status| stream_ended(status, &summary))?;
        }
    }

    /// Records one chunk of an ingest stream (the events before the first bad one) and
    /// adds it to `summary`; the first bad event ends the stream with its status.
    async fn ingest_chunk(
        &self,
        wire: Vec<pb::WithdrawalEvent>,
        summary: &mut StreamSummary,
    ) -> Result<(), Status> {
        let offset = summary.received as usize;
        summary.received += wire.len() as u64;
        let (events, convert_failure) = convert_batch(wire, offset);
        if let Some(invalid) = &convert_failure {
            self.report(invalid);
        }
        let (events, invalid) = self.valid_prefix(events, offset)?;
        if !events.is_empty() {
            let counts = self
                .engine
                .record_validated(events)
                .await
                .map_err(to_status)?;
            add(summary, counts);
        }
        match invalid.or(convert_failure) {
            None => Ok(()),
            Some(invalid) => Err(invalid.status("")),
        }
    }

    /// Reports an event rejected while decoding to the engine (log and metrics).
    fn report(&self, invalid: &Invalid) {
        self.engine
            .report_rejected_event(invalid.index, &invalid.event_id, &invalid.rejection);
    }

    /// Validates `events` (the engine reports a rejection); returns the valid prefix and
    /// the first invalid one.
    fn valid_prefix(
        &self,
        mut events: Vec<WithdrawalEvent>,
        offset: usize,
    ) -> Result<(Vec<WithdrawalEvent>, Option<Invalid>), Status> {
        match self.engine.validate(&events) {
            Ok(()) => Ok((events, None)),
            Err(EngineError::Invalid {
                index,
                event_id,
                rejection,
            }) => {
                events.truncate(index);
                let invalid = Invalid {
                    index: offset + index,
                    event_id,
                    rejection,
                };
                Ok((events, Some(invalid)))
            }
            Err(other) => Err(to_status(other)),
        }
    }
}

#[tonic::async_trait]
impl MonitorService for MonitorApi {
    async fn ingest_withdrawals(
        &self,
        request: Request<Streaming<pb::IngestWithdrawalsRequest>>,
    ) -> Result<Response<pb::IngestWithdrawalsResponse>, Status> {
        let unpack = |message| Ok(vec![event_of_request(message)]);
        let summary = self.ingest_stream(request.into_inner(), unpack).await?;
        Ok(Response::new(summary.into()))
    }

    async fn ingest_withdrawal_batches(
        &self,
        request: Request<Streaming<pb::IngestWithdrawalBatchesRequest>>,
    ) -> Result<Response<pb::IngestWithdrawalBatchesResponse>, Status> {
        let unpack = |message: pb::IngestWithdrawalBatchesRequest| checked_batch(message.events);
        let summary = self.ingest_stream(request.into_inner(), unpack).await?;
        Ok(Response::new(summary.into()))
    }

    async fn record_withdrawals(
        &self,
        request: Request<pb::RecordWithdrawalsRequest>,
    ) -> Result<Response<pb::RecordWithdrawalsResponse>, Status> {
        let events = checked_batch(request.into_inner().events)?;
        let (events, failure) = convert_batch(events, 0);
        if let Some(invalid) = failure {
            self.report(&invalid);
            return Err(invalid.status(""));
        }
        let counts = self.engine.record(events).await.map_err(to_status)?;
        Ok(Response::new(pb::RecordWithdrawalsResponse {
            accepted: counts.accepted,
            duplicates: counts.duplicates,
            state_version: counts.state_version,
        }))
    }

    async fn set_reserve(
        &self,
        request: Request<pb::SetReserveRequest>,
    ) -> Result<Response<pb::SetReserveResponse>, Status> {
        let reserve = reserve_from_pb(request.into_inner()).map_err(|rejection| {
            self.engine.report_rejected_reserve(&rejection);
            invalid_reserve(&rejection)
        })?;
        let total = reserve.total_idr();
        let state_version = self.engine.set_reserve(reserve).await.map_err(to_status)?;
        Ok(Response::new(pb::SetReserveResponse {
            state_version,
            total_reserve_idr: i64::try_from(total).unwrap_or(i64::MAX),
        }))
    }

    async fn get_projection(
        &self,
        _request: Request<pb::GetProjectionRequest>,
    ) -> Result<Response<pb::GetProjectionResponse>, Status> {
        let version = self.engine.state_version();
        let projection = self
            .engine
            .projection_at_least(version)
            .await
            .ok_or_else(|| Status::unavailable("no projection yet"))?;
        Ok(Response::new(pb::GetProjectionResponse {
            projection: Some(projection_to_pb(&projection)),
        }))
    }

    type WatchProjectionsStream = ReceiverStream<Result<pb::WatchProjectionsResponse, Status>>;

    async fn watch_projections(
        &self,
        _request: Request<pb::WatchProjectionsRequest>,
    ) -> Result<Response<Self::WatchProjectionsStream>, Status> {
        let (latest, updates) = self.engine.subscribe_projections();
        let (sender, out) = mpsc::channel(STREAM_BUFFER);
        let first = latest.map(|p| {
            (
                p.projection.inputs.version,
                pb::WatchProjectionsResponse {
                    projection: Some(projection_to_pb(&p)),
                    missed: 0,
                },
            )
        });
        tokio::spawn(forward(
            updates,
            sender,
            (self.shutdown.clone(), self.timeouts),
            first,
            |p, missed| {
                Some((
                    p.projection.inputs.version,
                    pb::WatchProjectionsResponse {
                        projection: Some(projection_to_pb(p)),
                        missed,
                    },
                ))
            },
        ));
        Ok(Response::new(ReceiverStream::new(out)))
    }

    type WatchAlertsStream = ReceiverStream<Result<pb::WatchAlertsResponse, Status>>;

    async fn watch_alerts(
        &self,
        request: Request<pb::WatchAlertsRequest>,
    ) -> Result<Response<Self::WatchAlertsStream>, Status> {
        let filter = request.into_inner();
        let (firing, updates) = self.engine.subscribe_alerts();
        let (sender, out) = mpsc::channel(STREAM_BUFFER.max(firing.len() + 1));
        for alert in firing.iter().filter(|a| filter_matches(&filter, a)) {
            let update = pb::WatchAlertsResponse {
                alert: Some(alert_to_pb(alert)),
                missed: 0,
                initial: true,
            };
            let _ = sender.try_send(Ok(update));
        }
        tokio::spawn(forward(
            updates,
            sender,
            (self.shutdown.clone(), self.timeouts),
            None,
            move |a, missed| {
                filter_matches(&filter, a).then(|| {
                    (
                        0,
                        pb::WatchAlertsResponse {
                            alert: Some(alert_to_pb(a)),
                            missed,
                            initial: false,
                        },
                    )
                })
            },
        ));
        Ok(Response::new(ReceiverStream::new(out)))
    }
}

fn add(summary: &mut StreamSummary, counts: IngestCounts) {
    summary.accepted += counts.accepted;
    summary.duplicates += counts.duplicates;
    summary.state_version = counts.state_version;
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The status that ends a watch stream after `limit` (`what`: "idle" or "lifetime").
fn watch_timeout(what: &str, limit: Option<Duration>) -> Status {
    let seconds = limit.map_or(0.0, |d| d.as_secs_f64());
    Status::unavailable(format!(
        "watch stream {what} limit of {seconds} s reached (access.watch_{}); subscribe again",
        if what == "idle" {
            "idle_timeout_seconds"
        } else {
            "lifetime_seconds"
        }
    ))
}

/// Forwards a broadcast to a streaming response until the client leaves, the broadcast
/// closes, the server shuts down, or a timeout ends it with UNAVAILABLE (nothing sent for
/// `timeouts.idle`, or `timeouts.lifetime` passed). `convert` maps an item (and how many
/// were missed before it) to a message keyed by a version; with a `first` message, items
/// of a version not above its key are skipped (no duplicate of the initial projection).
async fn forward<T: Clone, M>(
    mut updates: broadcast::Receiver<Arc<T>>,
    sender: mpsc::Sender<Result<M, Status>>,
    (mut shutdown, timeouts): (watch::Receiver<bool>, WatchTimeouts),
    first: Option<(u64, M)>,
    convert: impl Fn(&T, u64) -> Option<(u64, M)>,
) {
    let ends_at = timeouts.lifetime.map(|d| Instant::now() + d);
    let mut idle_at = timeouts.idle.map(|d| Instant::now() + d);
    let mut floor = None;
    if let Some((version, message)) = first {
        floor = Some(version);
        if sender.send(Ok(message)).await.is_err() {
            return;
        }
    }
    let mut missed = 0u64;
    loop {
        let item = tokio::select! {
            item = updates.recv() => Ok(item),
            () = sender.closed() => return,
            _ = shutdown.wait_for(|stop| *stop) => return,
            () = sleep_until(idle_at) => Err(watch_timeout("idle", timeouts.idle)),
            () = sleep_until(ends_at) => Err(watch_timeout("lifetime", timeouts.lifetime)),
        };
        let item = match item {
            Ok(item) => item,
            Err(timeout) => {
                let _ = sender.send(Err(timeout)).await;
                return;
            }
        };
        match item {
            Ok(value) => {
                let Some((version, message)) = convert(&value, missed) else {
                    continue;
                };
                if floor.is_some_and(|f| version != 0 && version <= f) {
                    continue;
                }
                missed = 0;
                if sender.send(Ok(message)).await.is_err() {
                    return;
                }
                idle_at = timeouts.idle.map(|d| Instant::now() + d);
            }
            Err(broadcast::error::RecvError::Lagged(n)) => missed += n,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Sets the gRPC health of the monitor service (and of the server, `""`) to NOT_SERVING
/// while the store refuses writes and back to SERVING once it takes them, until
/// `shutdown` turns true.
async fn follow_store_health(
    mut store: watch::Receiver<StoreHealth>,
    reporter: tonic_health::server::HealthReporter,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let status = match &*store.borrow_and_update() {
            StoreHealth::Writable => ServingStatus::Serving,
            StoreHealth::Failing { .. } => ServingStatus::NotServing,
        };
        reporter
            .set_service_status(
                <MonitorServiceServer<MonitorApi> as tonic::server::NamedService>::NAME,
                status,
            )
            .await;
        reporter.set_service_status("", status).await;
        tokio::select! {
            changed = store.changed() => if changed.is_err() { return },
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// Serves the monitor, health and reflection on `listener` until `shutdown` turns true,
/// then stops the engine's tasks and flushes the store. Plaintext, no tokens; the limits
/// of the engine's `[access]` apply.
pub async fn serve(
    engine: Engine,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
) -> Result<(), GrpcError> {
    serve_with(engine, listener, shutdown, ServeOptions::default()).await
}

/// The gate of [`serve_with`]: tokens, per-token rate, outcomes.
fn gate_state(access: &crate::config::access::AccessConfig, options: &ServeOptions) -> GateState {
    let ticker = Arc::clone(&options.ticker);
    let rate = (options.tokens.is_some() && access.rate_limit_calls_per_second > 0.0).then(|| {
        RateLimiter::new(
            access.rate_limit_calls_per_second,
            access.rate_limit_burst_calls,
            Arc::clone(&ticker),
        )
    });
    GateState {
        tokens: options.tokens.clone(),
        rate,
        observer: options.observer.clone(),
        error_log: LogLimiter::new(access.error_log_lines_per_second, Arc::clone(&ticker)),
        ticker,
    }
}

/// The connections of `listener`, at most `[access] max_connections` open at once.
fn limited_incoming(
    listener: tokio::net::TcpListener,
    max_connections: usize,
    observer: Option<Arc<dyn RpcObserver>>,
    shutdown: watch::Receiver<bool>,
) -> ReceiverStream<std::io::Result<super::limits::LimitedConn>> {
    let (sender, receiver) = mpsc::channel(16);
    let log = LogLimiter::new(1, Arc::new(SystemTicker::default()));
    let rejected = move |limit: usize| {
        if let Some(observer) = &observer {
            observer.on_connection_rejected(limit);
        }
        if let Some(suppressed) = log.admit() {
            tracing::warn!(
                message = "connection refused: too many open",
                max_connections = limit,
                suppressed
            );
        }
    };
    tokio::spawn(accept_limited(
        listener,
        max_connections,
        sender,
        rejected,
        shutdown,
    ));
    ReceiverStream::new(receiver)
}

/// [`serve`] with TLS, role tokens and an outcome observer.
pub async fn serve_with(
    engine: Engine,
    listener: tokio::net::TcpListener,
    shutdown: watch::Receiver<bool>,
    options: ServeOptions,
) -> Result<(), GrpcError> {
    let access = engine.config().access.clone();
    let tasks = engine.start(shutdown.clone());
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<MonitorServiceServer<MonitorApi>>()
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(super::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(super::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    tokio::spawn(follow_store_health(
        engine.store_health(),
        health_reporter,
        shutdown.clone(),
    ));
    let api = MonitorApi::new(engine.clone(), shutdown.clone());
    let mut stop = shutdown.clone();
    let monitor = MonitorServiceServer::new(api)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let streams = access
        .max_concurrent_streams_per_connection
        .min(flow::MAX_CONCURRENT_STREAMS);
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = &options.tls {
        builder = builder.tls_config(tls.tonic_config())?;
    }
    let incoming = limited_incoming(
        listener,
        access.max_connections as usize,
        options.observer.clone(),
        shutdown.clone(),
    );
    let result = builder
        .initial_stream_window_size(flow::STREAM_WINDOW_BYTES)
        .initial_connection_window_size(flow::CONNECTION_WINDOW_BYTES)
        .max_concurrent_streams(streams)
        .http2_adaptive_window(Some(false))
        .layer(GateLayer(Arc::new(gate_state(&access, &options))))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SizeLimitAsResourceExhausted(monitor))
        .serve_with_incoming_shutdown(incoming, async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    for task in tasks {
        task.abort();
    }
    engine.shutdown().await;
    result.map_err(GrpcError::from)
}
