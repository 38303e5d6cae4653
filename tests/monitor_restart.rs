//! Crash and restart: the server is killed (SIGKILL, no graceful shutdown) after N events
//! and restarted on the same data directory; state and projection come back identical and
//! re-sent events count none twice. A restart keeps the firing alerts and their ids and
//! fires none of them again.

mod monitor_support;

use monitor_support::{
    FixedClock, family_sum, inside_last_window, metrics_observer, spawn_server_process,
    test_config, to_pb, weekend_events,
};
use sentinel::config::ScenarioName;
use sentinel::grpc::pb;
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::monitor::alerts::Alert;
use sentinel::service::Engine;
use tonic::transport::Channel;

async fn connect(url: &str) -> MonitorServiceClient<Channel> {
    for _ in 0..100 {
        if let Ok(client) = MonitorServiceClient::connect(url.to_owned()).await {
            return client;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("cannot connect to {url}");
}

/// The projection without its wall-clock fields.
async fn projection(client: &mut MonitorServiceClient<Channel>) -> pb::Projection {
    let mut p = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap()
        .into_inner()
        .projection
        .unwrap();
    p.computed_at = None;
    if let Some(sim) = p.simulation.as_mut() {
        sim.compute_ms = 0.0;
    }
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_restarts_with_identical_state_and_counts_no_event_twice() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("sentinel.toml");
    std::fs::write(&config_path, "[monitor]\npaths = 2000\n").unwrap();
    let data_dir = dir.path().join("data");
    let config = test_config(&data_dir);
    let (_, events) = weekend_events(&config, ScenarioName::Severe, 2);
    let sent: Vec<pb::WithdrawalEvent> = events.iter().take(900).map(to_pb).collect();

    let (mut first, url) = spawn_server_process(&data_dir, Some(&config_path));
    let mut client = connect(&url).await;
    client
        .set_reserve(pb::SetReserveRequest {
            layers: vec![
                pb::ReserveLayer {
                    name: "float".into(),
                    amount_minor: 60_000_000_000 * 100,
                    currency: "IDR".into(),
                    available_after_hours: 0,
                },
                pb::ReserveLayer {
                    name: "credit line".into(),
                    amount_minor: 40_000_000_000 * 100,
                    currency: "IDR".into(),
                    available_after_hours: 12,
                },
            ],
            proprietary_capital_minor: 5_000_000_000 * 100,
            proprietary_capital_currency: "IDR".into(),
        })
        .await
        .unwrap();
    for chunk in sent[..600].chunks(200) {
        let ack = client
            .record_withdrawals(pb::RecordWithdrawalsRequest {
                events: chunk.to_vec(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((ack.accepted, ack.duplicates), (200, 0));
    }
    let tail: Vec<_> = sent[600..]
        .iter()
        .cloned()
        .map(sentinel::grpc::request_of_event)
        .collect();
    let summary = client
        .ingest_withdrawals(tokio_stream::iter(tail))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.received, summary.accepted), (300, 300));
    let before = projection(&mut client).await;
    assert_eq!(before.flows.as_ref().unwrap().events_total, 900);
    first.kill().unwrap();
    first.wait().unwrap();

    let (mut second, url) = spawn_server_process(&data_dir, Some(&config_path));
    let mut client = connect(&url).await;
    let after = projection(&mut client).await;
    assert_eq!(
        before, after,
        "state and projection rebuilt identically from the log"
    );

    let resent = client
        .record_withdrawals(pb::RecordWithdrawalsRequest {
            events: sent.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((resent.accepted, resent.duplicates), (0, 900));
    let again = projection(&mut client).await;
    assert_eq!(again.flows, before.flows);
    assert_eq!(again.state_version, before.state_version);
    second.kill().unwrap();
    second.wait().unwrap();
}

/// A started engine, its metrics, its alert subscription, its stop switch and its tasks.
type Running = (
    Engine,
    std::sync::Arc<sentinel::metrics::Metrics>,
    tokio::sync::broadcast::Receiver<std::sync::Arc<Alert>>,
    tokio::sync::watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<()>>,
);

/// Opens an engine on `config` with the wall clock stopped at `clock_unix_ms`, starts it
/// and subscribes to its alerts before the first projection.
fn open_running(config: &sentinel::config::Config, clock_unix_ms: i64) -> Running {
    let (metrics, observer) = metrics_observer();
    let users = sentinel::model::user_base::UserBase::synthetic(&config.user_base);
    let clock = std::sync::Arc::new(FixedClock(clock_unix_ms));
    let engine = Engine::open_with_clock(config.clone(), &users, observer, clock).unwrap();
    let (_, alerts) = engine.subscribe_alerts();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tasks = engine.start(shutdown);
    (engine, metrics, alerts, stop, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_alert_ids_and_fires_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 500;
    config.monitor.initial_reserve_idr = 5_000_000_000;
    let clock = inside_last_window(&config);
    let (_, events) = weekend_events(&config, ScenarioName::Severe, 2);

    let (engine, _, _, stop, tasks) = open_running(&config, clock);
    let mut version = 0;
    for chunk in events.chunks(500) {
        version = engine.record(chunk.to_vec()).await.unwrap().state_version;
    }
    engine.projection_at_least(version).await.unwrap();
    let before = engine.subscribe_alerts().0;
    assert!(
        !before.is_empty(),
        "a severe weekend on a small reserve fires"
    );
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    engine.shutdown().await;
    drop(engine);

    let (engine, metrics, mut alerts, stop, tasks) = open_running(&config, clock);
    engine.projection_at_least(version).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let after = engine.subscribe_alerts().0;
    let ids = |a: &[Alert]| a.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&after),
        ids(&before),
        "the same alerts, the same ids; after the restart: {after:#?}"
    );
    let transitions: Vec<_> = std::iter::from_fn(|| alerts.try_recv().ok()).collect();
    assert!(
        transitions.is_empty(),
        "re-fired after restart: {transitions:?}"
    );
    assert_eq!(
        family_sum(&metrics, "sentinel_alerts_firing"),
        before.len() as f64,
        "the firing alerts are exported again"
    );
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    engine.shutdown().await;
}
