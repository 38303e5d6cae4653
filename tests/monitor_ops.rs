//! Operations: health and reflection (v1 and v1alpha) are served, a slow subscriber never
//! blocks ingestion and is told what it missed, and SIGTERM shuts down cleanly with the
//! events durable.

mod monitor_support;

use std::process::Command;

use monitor_support::{spawn_server_process, start, test_config, to_pb, weekend_events};
use sentinel::config::ScenarioName;
use sentinel::grpc::pb;
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use tokio::sync::broadcast::error::TryRecvError;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(test_config(dir.path())).await;
    let _ = server.client().await;
    let channel = tonic::transport::Endpoint::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "sentinel.v1.MonitorService".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a service list: {response:?}");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"sentinel.v1.MonitorService"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    use tonic_reflection::pb::v1alpha as alpha;
    let request = alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut responses = alpha::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    assert!(
        responses.message().await.unwrap().is_some(),
        "v1alpha reflection answers"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_does_not_block_ingestion_and_learns_what_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.subscriber_buffer = 2;
    config.monitor.paths = 200;
    let (_, events) = weekend_events(&config, ScenarioName::Mild, 5);
    let server = start(config).await;
    let mut client = server.client().await;
    let (_, mut stalled) = server.engine.subscribe_projections();
    for chunk in events.chunks(50).take(12) {
        let ack = client
            .record_withdrawals(pb::RecordWithdrawalsRequest {
                events: chunk.iter().map(to_pb).collect(),
            })
            .await
            .unwrap()
            .into_inner();
        server
            .engine
            .projection_at_least(ack.state_version)
            .await
            .unwrap();
    }
    match stalled.try_recv() {
        Err(TryRecvError::Lagged(missed)) => assert!(missed >= 5, "missed {missed}"),
        other => panic!("expected the slow subscriber to have lagged, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_the_events_survive() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = test_config(&data_dir);
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 6);
    let (child, url) = spawn_server_process(&data_dir, None);
    let mut client = MonitorServiceClient::connect(url).await.unwrap();
    let ack = client
        .record_withdrawals(pb::RecordWithdrawalsRequest {
            events: events.iter().take(100).map(to_pb).collect(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ack.accepted, 100);
    let mut watch = client
        .watch_projections(pb::WatchProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut child = child;
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    while let Ok(Some(_)) = watch.message().await {}

    let (mut child, url) = spawn_server_process(&data_dir, None);
    let mut client = MonitorServiceClient::connect(url).await.unwrap();
    let p = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap()
        .into_inner()
        .projection
        .unwrap();
    assert_eq!(p.flows.unwrap().events_total, 100);
    child.kill().unwrap();
    child.wait().unwrap();
}
