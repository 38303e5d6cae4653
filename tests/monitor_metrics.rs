//! What the engine reports reaches the Prometheus metrics through one emitter per domain
//! event: every alert path sets `sentinel_alerts_firing`, rejections are counted under
//! their typed reason, and a rejected reserve position is not an event rejection.

mod monitor_support;

use std::time::Duration;

use monitor_support::{
    family_sum, metrics_observer, reserve, sample, start_with_metrics, test_config, to_pb,
    weekend_events,
};
use sentinel::config::ScenarioName;
use sentinel::grpc::pb;
use sentinel::model::user_base::UserBase;
use sentinel::monitor::alerts::{AlertRule, AlertState};
use sentinel::service::Engine;
use tokio::sync::watch;

const STALE_FIRING: &str = "sentinel_alerts_firing{rule=\"stale_feed\",severity=\"warning\"}";

/// Time is paused: the runtime's clock only moves when every task waits, so the
/// stale-feed timer is driven, never slept on.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_stale_feed_sets_the_alerts_firing_metric() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 200;
    let (metrics, observer) = metrics_observer();
    let users = UserBase::synthetic(&config.user_base);
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 3);
    let engine = Engine::open_with(config.clone(), &users, observer).unwrap();
    let (stop, shutdown) = watch::channel(false);
    let tasks = engine.start(shutdown);
    let (_, mut alerts) = engine.subscribe_alerts();
    engine.record(events[..1].to_vec()).await.unwrap();

    let stale = Duration::from_secs_f64(config.monitor.stale_feed_minutes * 60.0);
    tokio::time::sleep(stale - Duration::from_secs(5)).await;
    assert_eq!(sample(&metrics, STALE_FIRING), Some(0.0), "not stale yet");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(
        sample(&metrics, STALE_FIRING),
        Some(1.0),
        "stale feed not exported"
    );
    let broadcast: Vec<_> = std::iter::from_fn(|| alerts.try_recv().ok()).collect();
    assert!(
        broadcast
            .iter()
            .any(|a| (a.rule, a.state) == (AlertRule::StaleFeed, AlertState::Firing)),
        "the stale-feed alert was not broadcast: {broadcast:?}"
    );

    engine.record(events[1..2].to_vec()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sample(&metrics, STALE_FIRING),
        Some(0.0),
        "resolved on the next event"
    );
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_rejection_is_counted_under_reason_amount() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 1);
    let (server, metrics) = start_with_metrics(config).await;
    let mut client = server.client().await;
    let mut bad = to_pb(&events[0]);
    bad.amount_minor = 0;
    let batch = pb::WithdrawalBatch {
        events: vec![to_pb(&events[1]), bad.clone()],
    };
    client.record_withdrawals(batch).await.unwrap_err();
    client
        .ingest_withdrawals(tokio_stream::iter(vec![bad]))
        .await
        .unwrap_err();
    let mut bad = to_pb(&events[2]);
    bad.cohort = 9;
    client
        .record_withdrawals(pb::WithdrawalBatch { events: vec![bad] })
        .await
        .unwrap_err();
    let amount = "sentinel_events_rejected_total{reason=\"amount\"}";
    let cohort = "sentinel_events_rejected_total{reason=\"cohort\"}";
    assert_eq!(sample(&metrics, amount), Some(2.0), "{}", metrics.encode());
    assert_eq!(sample(&metrics, cohort), Some(1.0));
    assert_eq!(family_sum(&metrics, "sentinel_events_rejected_total"), 3.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_set_reserve_is_not_an_event_rejection() {
    let dir = tempfile::tempdir().unwrap();
    let (server, metrics) = start_with_metrics(test_config(dir.path())).await;
    let mut client = server.client().await;
    let mut bad = reserve(5);
    bad.layers[0].amount_minor = -100;
    client.set_reserve(bad).await.unwrap_err();
    let mut bad = reserve(5);
    bad.layers[0].currency = "EUR".into();
    client.set_reserve(bad).await.unwrap_err();
    assert_eq!(
        family_sum(&metrics, "sentinel_events_rejected_total"),
        0.0,
        "{}",
        metrics.encode()
    );
    let reserve_amount = "sentinel_reserve_rejected_total{reason=\"amount\"}";
    let reserve_currency = "sentinel_reserve_rejected_total{reason=\"currency\"}";
    assert_eq!(sample(&metrics, reserve_amount), Some(1.0));
    assert_eq!(sample(&metrics, reserve_currency), Some(1.0));
    server.stop().await;
}
