//! A client of the monitor for the `feed` and `watch` commands: connects, sends events and
//! reserve positions, and renders projections and alerts as one-line text.

use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::convert::{event_to_pb, request_of_event};
use super::pb;
use super::pb::monitor_service_client::MonitorServiceClient;
use crate::monitor::event::{IDR_MINOR_PER_RUPIAH, WithdrawalEvent};
use crate::service::IngestCounts;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not a valid URI.
    #[error("invalid server address {0:?}")]
    Address(String),
    /// Could not connect.
    #[error("cannot connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// The call failed.
    #[error("{}: {}", .0.code(), .0.message())]
    Call(#[from] tonic::Status),
    /// The token cannot be sent as a header.
    #[error("the token is not a valid header value (printable ASCII only)")]
    Token,
}

/// How a client reaches a monitor that requires TLS or a token.
#[derive(Debug, Clone, Default)]
pub struct ClientAccess {
    /// PEM of the CA that signed the server's certificate; with it the client speaks TLS.
    pub ca_pem: Option<Vec<u8>>,
    /// PEM certificate and key of the client, for mutual TLS.
    pub identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// Server name to verify (default: the address's host).
    pub domain: Option<String>,
    /// Role token sent as `authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Adds the bearer token (if any) to every call.
#[derive(Debug, Clone, Default)]
pub struct BearerToken(Option<MetadataValue<Ascii>>);

impl BearerToken {
    /// The header value of `token`.
    pub fn new(token: Option<&str>) -> Result<Self, ClientError> {
        token
            .map(|t| MetadataValue::try_from(format!("Bearer {t}")).map_err(|_| ClientError::Token))
            .transpose()
            .map(Self)
    }
}

impl Interceptor for BearerToken {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// A connected monitor client.
#[derive(Debug, Clone)]
pub struct Client {
    inner: MonitorServiceClient<InterceptedService<Channel, BearerToken>>,
}

/// The channel to `addr` with `access`'s TLS settings.
pub async fn connect_channel(addr: &str, access: &ClientAccess) -> Result<Channel, ClientError> {
    let tls = access.ca_pem.is_some();
    let uri = if addr.contains("://") {
        addr.to_owned()
    } else if tls {
        format!("https://{addr}")
    } else {
        format!("http://{addr}")
    };
    let mut endpoint =
        Endpoint::from_shared(uri).map_err(|_| ClientError::Address(addr.to_owned()))?;
    if let Some(ca) = &access.ca_pem {
        let mut config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca));
        if let Some((cert, key)) = &access.identity_pem {
            config = config.identity(Identity::from_pem(cert, key));
        }
        if let Some(domain) = &access.domain {
            config = config.domain_name(domain.clone());
        }
        endpoint = endpoint.tls_config(config)?;
    }
    Ok(endpoint
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await?)
}

/// What `watch` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSelection {
    /// Print projections.
    pub projections: bool,
    /// Print alerts.
    pub alerts: bool,
}

impl Client {
    /// Connects to `addr` (`host:port` or `http://host:port`) in plaintext, without a token.
    pub async fn connect(addr: &str) -> Result<Self, ClientError> {
        Self::connect_with(addr, &ClientAccess::default()).await
    }

    /// Connects to `addr` with `access`'s TLS settings and token.
    pub async fn connect_with(addr: &str, access: &ClientAccess) -> Result<Self, ClientError> {
        let channel = connect_channel(addr, access).await?;
        let token = BearerToken::new(access.token.as_deref())?;
        Ok(Self {
            inner: MonitorServiceClient::with_interceptor(channel, token),
        })
    }

    /// Records a batch (all or nothing).
    pub async fn record(
        &mut self,
        events: &[WithdrawalEvent],
    ) -> Result<IngestCounts, ClientError> {
        let batch = pb::RecordWithdrawalsRequest {
            events: events.iter().map(event_to_pb).collect(),
        };
        let ack = self.inner.record_withdrawals(batch).await?.into_inner();
        Ok(IngestCounts {
            accepted: ack.accepted,
            duplicates: ack.duplicates,
            state_version: ack.state_version,
        })
    }

    /// Streams events over one `IngestWithdrawals` call.
    pub async fn ingest(
        &mut self,
        events: impl tokio_stream::Stream<Item = WithdrawalEvent> + Send + 'static,
    ) -> Result<IngestCounts, ClientError> {
        let summary = self
            .inner
            .ingest_withdrawals(events.map(|e| request_of_event(event_to_pb(&e))))
            .await?
            .into_inner();
        Ok(IngestCounts {
            accepted: summary.accepted,
            duplicates: summary.duplicates,
            state_version: summary.state_version,
        })
    }

    /// Sets a reserve of one layer of `amount_idr` available from the close.
    pub async fn set_reserve_idr(&mut self, amount_idr: u64) -> Result<u64, ClientError> {
        let amount_minor = i64::try_from(amount_idr)
            .unwrap_or(i64::MAX / IDR_MINOR_PER_RUPIAH)
            .saturating_mul(IDR_MINOR_PER_RUPIAH);
        let position = pb::SetReserveRequest {
            layers: vec![pb::ReserveLayer {
                name: "gateway float".into(),
                amount_minor,
                currency: "IDR".into(),
                available_after_hours: 0,
            }],
            proprietary_capital_minor: 0,
            proprietary_capital_currency: String::new(),
        };
        Ok(self
            .inner
            .set_reserve(position)
            .await?
            .into_inner()
            .state_version)
    }

    /// The latest projection rendered as one line.
    pub async fn projection_line(&mut self) -> Result<String, ClientError> {
        let p = self
            .inner
            .get_projection(pb::GetProjectionRequest {})
            .await?
            .into_inner()
            .projection
            .unwrap_or_default();
        Ok(render_projection(&p, 0))
    }

    async fn watch_projections(
        &mut self,
    ) -> Result<tonic::Streaming<pb::WatchProjectionsResponse>, ClientError> {
        let request = pb::WatchProjectionsRequest {};
        Ok(self.inner.watch_projections(request).await?.into_inner())
    }

    async fn watch_alerts(
        &mut self,
    ) -> Result<tonic::Streaming<pb::WatchAlertsResponse>, ClientError> {
        let request = pb::WatchAlertsRequest::default();
        Ok(self.inner.watch_alerts(request).await?.into_inner())
    }

    /// Prints projections and/or alerts as they arrive, one line each, until the server ends
    /// the streams. A stream the server ends at its idle or lifetime limit (UNAVAILABLE,
    /// "subscribe again") is subscribed again.
    pub async fn watch(
        &mut self,
        selection: WatchSelection,
        mut print: impl FnMut(String),
    ) -> Result<(), ClientError> {
        let mut projections = None;
        if selection.projections {
            projections = Some(self.watch_projections().await?);
        }
        let mut alerts = None;
        if selection.alerts {
            alerts = Some(self.watch_alerts().await?);
        }
        loop {
            tokio::select! {
                Some(update) = next(&mut projections) => match update {
                    Ok(update) => if let Some(p) = update.projection {
                        print(render_projection(&p, update.missed));
                    },
                    Err(status) if resubscribe(&status) => {
                        projections = Some(self.watch_projections().await?);
                    }
                    Err(status) => return Err(status.into()),
                },
                Some(update) = next(&mut alerts) => match update {
                    Ok(update) => if let Some(a) = update.alert {
                        print(render_alert(&a, update.initial, update.missed));
                    },
                    Err(status) if resubscribe(&status) => {
                        alerts = Some(self.watch_alerts().await?);
                    }
                    Err(status) => return Err(status.into()),
                },
                else => return Ok(()),
            }
        }
    }
}

/// Whether the server ended a watch stream at its idle or lifetime limit.
fn resubscribe(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Unavailable && status.message().contains("subscribe again")
}

async fn next<T>(stream: &mut Option<tonic::Streaming<T>>) -> Option<Result<T, tonic::Status>> {
    match stream {
        Some(s) => {
            let item = s.next().await;
            if item.is_none() {
                *stream = None;
            }
            item
        }
        None => std::future::pending().await,
    }
}

/// One line per projection: hour, flows, posterior, P(breach), TTI, extra reserve.
pub fn render_projection(p: &pb::Projection, missed: u64) -> String {
    let window = p.window.unwrap_or_default();
    let flows = p.flows.unwrap_or_default();
    let scenario_probabilities = p.scenario_probabilities.unwrap_or_default();
    let rate = p.institutional_rate.unwrap_or_default();
    let sim = p.simulation.unwrap_or_default();
    let tti = sim
        .tti_p10_hours
        .map_or("-".to_owned(), |h| format!("h{h:.0}"));
    let skipped = if missed > 0 {
        format!(" (missed {missed})")
    } else {
        String::new()
    };
    format!(
        "[projection v{} h{:.1}] withdrawn Rp {:.1} bn (inst {} ev) headroom Rp {:.1} bn | λ {:.2}/d [{:.2}, {:.2}] | P(n/m/s) {:.2}/{:.2}/{:.2} | P(breach) {:.1}% TTI p10 {} | extra Rp {:.1} bn | {:.1} ms{}",
        p.state_version,
        window.elapsed_hours,
        (flows.retail_withdrawn_idr + flows.institutional_withdrawn_idr) as f64 / 1e9,
        flows.institutional_events,
        flows.reserve_headroom_idr as f64 / 1e9,
        rate.mean_per_day,
        rate.lower90_per_day,
        rate.upper90_per_day,
        scenario_probabilities.normal,
        scenario_probabilities.mild,
        scenario_probabilities.severe,
        sim.breach_probability * 100.0,
        tti,
        sim.extra_reserve_idr / 1e9,
        sim.compute_ms,
        skipped
    )
}

/// One line per alert transition.
pub fn render_alert(a: &pb::Alert, initial: bool, missed: u64) -> String {
    let state = if a.state == pb::AlertState::Resolved as i32 {
        "RESOLVED"
    } else {
        "FIRING"
    };
    let severity = if a.severity == pb::Severity::Critical as i32 {
        "critical"
    } else {
        "warning"
    };
    let prefix = if initial { "already " } else { "" };
    let skipped = if missed > 0 {
        format!(" (missed {missed})")
    } else {
        String::new()
    };
    let reason = if a.resolution_reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", a.resolution_reason)
    };
    format!(
        "[alert {prefix}{state} {severity} h{:.1}] {}: {}{reason}{skipped}",
        a.window_hour, a.id, a.summary
    )
}
