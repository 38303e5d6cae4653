//! The limits of `[access]` trip and recover: the per-token call rate (on an injected
//! clock), the connection limit, the watch-stream idle and lifetime timeouts; and gzip
//! requests are accepted.

mod monitor_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use monitor_support::{start_with_options, test_config, to_pb, weekend_events};
use sentinel::config::ScenarioName;
use sentinel::grpc::client::BearerToken;
use sentinel::grpc::gate::RpcObserver;
use sentinel::grpc::limits::Ticker;
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::grpc::tokens::{TokenStore, hash_token};
use sentinel::grpc::{ServeOptions, pb};
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;

/// A clock the test moves.
#[derive(Default)]
struct ManualTicker(AtomicU64);

impl Ticker for ManualTicker {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

#[derive(Default)]
struct Rejections(AtomicUsize);

impl RpcObserver for Rejections {
    fn on_rpc(&self, _method: &str, _code: Code, _seconds: f64) {}
    fn on_connection_rejected(&self, _limit: usize) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_token_above_its_call_rate_is_resource_exhausted_until_the_bucket_refills() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.rate_limit_calls_per_second = 1.0;
    config.access.rate_limit_burst_calls = 2;
    let path = dir.path().join("tokens.toml");
    std::fs::write(
        &path,
        format!(
            "[[token]]\nname = \"a\"\nrole = \"read\"\nsha256 = \"{}\"\n\
             [[token]]\nname = \"b\"\nrole = \"read\"\nsha256 = \"{}\"\n",
            hash_token("token-a-0123456789abcdef"),
            hash_token("token-b-0123456789abcdef")
        ),
    )
    .unwrap();
    let ticker = Arc::new(ManualTicker::default());
    let options = ServeOptions {
        tokens: Some(Arc::new(TokenStore::load(&path).unwrap())),
        ticker: ticker.clone(),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;
    let connect = |token: &'static str| {
        let url = server.url.clone();
        async move {
            let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
            MonitorServiceClient::with_interceptor(channel, BearerToken::new(Some(token)).unwrap())
        }
    };
    let mut a = connect("token-a-0123456789abcdef").await;
    let mut b = connect("token-b-0123456789abcdef").await;
    let request = || pb::GetProjectionRequest {};
    assert!(a.get_projection(request()).await.is_ok());
    assert!(a.get_projection(request()).await.is_ok());
    let status = a.get_projection(request()).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("rate limit"), "{status:?}");
    assert!(status.message().contains("retry in 1.000 s"), "{status:?}");
    assert!(
        b.get_projection(request()).await.is_ok(),
        "limits are per token"
    );
    ticker.0.store(1_000, Ordering::SeqCst);
    assert!(
        a.get_projection(request()).await.is_ok(),
        "one call per second refilled"
    );
    assert!(a.get_projection(request()).await.is_err());
    server.stop().await;
}

#[tokio::test]
async fn connections_above_the_limit_are_closed_and_admitted_again_once_one_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.max_connections = 1;
    let rejections = Arc::new(Rejections::default());
    let options = ServeOptions {
        observer: Some(rejections.clone()),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;
    let request = || pb::GetProjectionRequest {};
    let mut first = MonitorServiceClient::connect(server.url.clone())
        .await
        .unwrap();
    assert!(first.get_projection(request()).await.is_ok());

    let second = async {
        let mut client = MonitorServiceClient::connect(server.url.clone()).await?;
        client.get_projection(request()).await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    assert!(second.await.is_err(), "a second connection is refused");
    assert!(rejections.0.load(Ordering::SeqCst) >= 1);

    drop(first);
    let mut admitted = false;
    for _ in 0..200 {
        if let Ok(mut client) = MonitorServiceClient::connect(server.url.clone()).await
            && client.get_projection(request()).await.is_ok()
        {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        admitted,
        "a connection is admitted once the first one closed"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_watch_stream_ends_unavailable_and_a_new_subscription_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.watch_idle_timeout_seconds = 0.3;
    let server = start_with_options(config, ServeOptions::default()).await;
    let mut client = server.client().await;
    for _ in 0..2 {
        let mut alerts = client
            .watch_alerts(pb::WatchAlertsRequest::default())
            .await
            .unwrap()
            .into_inner();
        let status = alerts.message().await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(status.message().contains("idle"), "{status:?}");
        assert!(status.message().contains("subscribe again"), "{status:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_watch_stream_ends_at_its_lifetime_even_while_busy() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.watch_idle_timeout_seconds = 0.0;
    config.access.watch_lifetime_seconds = 0.5;
    let server = start_with_options(config, ServeOptions::default()).await;
    let mut client = server.client().await;
    let mut projections = client
        .watch_projections(pb::WatchProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    let status = loop {
        match projections.message().await {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the stream ended without a status"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("lifetime"), "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn gzip_requests_and_responses_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 3);
    let server = start_with_options(config, ServeOptions::default()).await;
    let mut client = MonitorServiceClient::connect(server.url.clone())
        .await
        .unwrap()
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let batch = pb::RecordWithdrawalsRequest {
        events: events.iter().take(500).map(to_pb).collect(),
    };
    let ack = client
        .record_withdrawals(batch.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(ack.accepted > 0);
    assert_eq!(
        (ack.accepted + ack.duplicates) as usize,
        batch.events.len(),
        "every event of the compressed batch is counted"
    );
    // The same batch again, uncompressed: every event is now a duplicate, so the server
    // decoded the compressed one to the same events.
    let mut plain = server.client().await;
    let again = plain.record_withdrawals(batch).await.unwrap().into_inner();
    assert_eq!(again.accepted, 0);
    assert_eq!(again.duplicates, ack.accepted + ack.duplicates);
    let response = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap();
    assert_eq!(
        response
            .metadata()
            .get("grpc-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip"),
        "the reply is compressed too"
    );
    assert_eq!(
        response
            .into_inner()
            .projection
            .unwrap()
            .flows
            .unwrap()
            .events_total,
        ack.accepted
    );
    server.stop().await;
}

#[tokio::test]
async fn the_watch_client_subscribes_again_when_the_server_ends_an_idle_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.watch_idle_timeout_seconds = 0.2;
    let server = start_with_options(config, ServeOptions::default()).await;
    let mut client = sentinel::grpc::client::Client::connect(&server.url)
        .await
        .unwrap();
    let selection = sentinel::grpc::client::WatchSelection {
        projections: false,
        alerts: true,
    };
    let watching = tokio::time::timeout(
        Duration::from_millis(1_000),
        client.watch(selection, |_| {}),
    )
    .await;
    assert!(
        watching.is_err(),
        "still watching after several idle ends: {watching:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_connection_holds_at_most_its_stream_limit_and_the_next_call_waits_for_a_slot() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.access.max_concurrent_streams_per_connection = 1;
    let server = start_with_options(config, ServeOptions::default()).await;
    let channel = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut watcher = MonitorServiceClient::new(channel.clone());
    let alerts = watcher
        .watch_alerts(pb::WatchAlertsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut caller = MonitorServiceClient::new(channel);
    let blocked = tokio::time::timeout(
        Duration::from_millis(300),
        caller.get_projection(pb::GetProjectionRequest {}),
    )
    .await;
    assert!(
        blocked.is_err(),
        "the second stream waits while the watch holds the only slot"
    );
    drop(alerts);
    let answered = tokio::time::timeout(
        Duration::from_secs(10),
        caller.get_projection(pb::GetProjectionRequest {}),
    )
    .await;
    assert!(matches!(answered, Ok(Ok(_))), "{answered:?}");
    server.stop().await;
}
