//! A failing disk is visible and recoverable without a restart: commits on a full disk
//! fail with UNAVAILABLE saying nothing was stored, gRPC health turns NOT_SERVING,
//! `/healthz` answers 503 with the reason, `sentinel_store_writable` is 0 and
//! `sentinel_store_commit_failures_total` counts; once space returns the store reopens
//! (after its backoff, on an injected clock — no sleeps) and everything turns back.

mod monitor_support;
mod store_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use monitor_support::{
    FixedClock, inside_last_window, metrics_observer, sample, test_config, to_pb, weekend_events,
};
use sentinel::config::ScenarioName;
use sentinel::grpc::{self, pb};
use sentinel::metrics::serve_metrics;
use sentinel::model::user_base::UserBase;
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::service::{Engine, StoreAccess, StoreHealth, TokioClock};
use sentinel::store::{EventStore, StoreError};
use store_support::{Faults, ManualClock, SimDisk};
use tokio::sync::watch;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn event(id: &str) -> WithdrawalEvent {
    WithdrawalEvent {
        event_id: id.into(),
        account_id: "a".into(),
        cohort: Cohort::Retail,
        amount_minor: 100,
        currency: "IDR".into(),
        occurred_at_unix_ms: 5,
        kind: EventKind::Withdrawal,
    }
}

#[test]
fn a_full_disk_refuses_commits_until_space_returns_and_then_writes_again() {
    let disk = SimDisk::new(1, Faults::default());
    let clock = ManualClock::default();
    let dir = std::path::Path::new("/sim/full");
    let open = || EventStore::open_with(dir, Arc::new(disk.clone()), Arc::new(clock.clone()));
    let (mut store, _) = open().unwrap();
    store.commit(&[event("a")], None, 1).unwrap();
    let before = disk
        .contents(&sentinel::store::first_segment_path(dir))
        .unwrap();

    disk.set_full(true);
    let error = store.commit(&[event("b")], None, 2).unwrap_err();
    assert!(error.to_string().contains("os error 28"), "{error}");
    assert!(store.failure().is_some());
    assert!(
        matches!(
            store.commit(&[event("b")], None, 2),
            Err(StoreError::NotWritable { retry_in, .. }) if retry_in == Duration::from_millis(100)
        ),
        "refused at once, before the backoff allows an attempt"
    );
    clock.advance(Duration::from_millis(100));
    let error = store.commit(&[event("b")], None, 2).unwrap_err();
    assert!(
        matches!(&error, StoreError::NotWritable { retry_in, .. } if *retry_in == Duration::from_millis(200)),
        "the probe failed, the backoff doubled: {error}"
    );
    assert_eq!(
        disk.contents(&sentinel::store::first_segment_path(dir))
            .unwrap(),
        before
    );

    disk.set_full(false);
    clock.advance(Duration::from_millis(150));
    assert!(store.try_repair().is_err(), "not due yet");
    clock.advance(Duration::from_millis(50));
    store.commit(&[event("b")], None, 2).unwrap();
    assert_eq!(store.failure(), None, "writable again without a restart");
    drop(store);
    disk.crash();
    let (_, recovered) = open().unwrap();
    let ids: Vec<_> = recovered
        .events
        .iter()
        .map(|e| e.event_id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

/// The body and status line of `GET path` on `addr`.
fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

async fn health(url: &str) -> i32 {
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "sentinel.v1.MonitorService".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_turns_health_metrics_and_errors_and_recovers_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let now = inside_last_window(&config);
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 3);
    let disk = SimDisk::new(2, Faults::default());
    let store_clock = ManualClock::default();
    let (metrics, observer) = metrics_observer();
    let users = UserBase::synthetic(&config.user_base);
    let engine = Engine::open_with_io(
        config,
        &users,
        observer,
        Arc::new(FixedClock(now)),
        StoreAccess::new(Arc::new(disk.clone()), Arc::new(store_clock.clone())),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics_listener.local_addr().unwrap().to_string();
    let (stop, shutdown) = watch::channel(false);
    let mut metrics_stop = shutdown.clone();
    tokio::spawn(serve_metrics(
        metrics_listener,
        Arc::clone(&metrics),
        engine.store_health(),
        async move {
            let _ = metrics_stop.wait_for(|s| *s).await;
        },
    ));
    let server = tokio::spawn(grpc::serve(engine.clone(), listener, shutdown));
    let mut client = loop {
        if let Ok(c) = pb::monitor_service_client::MonitorServiceClient::connect(url.clone()).await
        {
            break c;
        }
        tokio::task::yield_now().await;
    };
    let batch = |range: std::ops::Range<usize>| pb::RecordWithdrawalsRequest {
        events: events[range].iter().map(to_pb).collect(),
    };
    client.record_withdrawals(batch(0..5)).await.unwrap();
    assert_eq!(health(&url).await, ServingStatus::Serving as i32);
    assert_eq!(sample(&metrics, "sentinel_store_writable"), Some(1.0));

    disk.set_full(true);
    let status = client.record_withdrawals(batch(5..10)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        status
            .message()
            .contains("nothing of this batch was stored")
            && status.message().contains("retryable"),
        "{}",
        status.message()
    );
    let mut store_health = engine.store_health();
    store_health
        .wait_for(|h| matches!(h, StoreHealth::Failing { .. }))
        .await
        .unwrap();
    let mut reported = health(&url).await;
    while reported != ServingStatus::NotServing as i32 {
        tokio::task::yield_now().await;
        reported = health(&url).await;
    }
    let (status_line, body) = http_get(&metrics_addr, "/healthz");
    assert!(status_line.contains("503"), "{status_line}");
    assert!(
        body.contains("event store not writable") && body.contains("os error 28"),
        "{body}"
    );
    assert_eq!(sample(&metrics, "sentinel_store_writable"), Some(0.0));
    assert_eq!(
        sample(&metrics, "sentinel_store_commit_failures_total"),
        Some(1.0)
    );
    assert_eq!(
        engine.inputs().events_total,
        5,
        "nothing of the failed batch applied"
    );

    disk.set_full(false);
    store_clock.advance(Duration::from_secs(1));
    let ack = client
        .record_withdrawals(batch(5..10))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (ack.accepted, ack.duplicates),
        (5, 0),
        "the retry stores the batch once"
    );
    store_health
        .wait_for(|h| *h == StoreHealth::Writable)
        .await
        .unwrap();
    let (status_line, body) = http_get(&metrics_addr, "/healthz");
    assert!(
        status_line.contains("200") && body == "ok\n",
        "{status_line} {body}"
    );
    assert_eq!(sample(&metrics, "sentinel_store_writable"), Some(1.0));
    let mut reported = health(&url).await;
    while reported != ServingStatus::Serving as i32 {
        tokio::task::yield_now().await;
        reported = health(&url).await;
    }
    let _ = stop.send(true);
    server.await.unwrap().unwrap();
}

/// Without any traffic, the clock task's probe makes a recovered disk writable again
/// (tokio's paused clock drives the probe, the injected clock the backoff).
#[tokio::test(start_paused = true)]
async fn the_clock_probe_recovers_health_without_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let now = inside_last_window(&config);
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 4);
    let disk = SimDisk::new(3, Faults::default());
    let store_clock = ManualClock::default();
    let users = UserBase::synthetic(&config.user_base);
    let engine = Engine::open_with_io(
        config,
        &users,
        Arc::new(sentinel::service::NoObserver),
        Arc::new(TokioClock::starting_at(now)),
        StoreAccess::new(Arc::new(disk.clone()), Arc::new(store_clock.clone())),
    )
    .unwrap();
    let (stop, shutdown) = watch::channel(false);
    let tasks = engine.start(shutdown);
    disk.set_full(true);
    assert!(engine.record(events[..3].to_vec()).await.is_err());
    let mut store_health = engine.store_health();
    store_health
        .wait_for(|h| matches!(h, StoreHealth::Failing { .. }))
        .await
        .unwrap();
    disk.set_full(false);
    store_clock.advance(Duration::from_secs(1));
    tokio::time::advance(Duration::from_millis(1_100)).await;
    // Virtual time: the sequencer is an OS thread, so while it works the paused runtime
    // may jump ahead; a generous virtual bound costs no real time.
    tokio::time::timeout(
        Duration::from_secs(24 * 3_600),
        store_health.wait_for(|h| *h == StoreHealth::Writable),
    )
    .await
    .expect("the probe made the store writable")
    .unwrap();
    let _ = stop.send(true);
    for task in tasks {
        task.abort();
    }
    engine.shutdown().await;
}
