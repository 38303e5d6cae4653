//! What the engine reports reaches the Prometheus metrics through one emitter per domain
//! event: every alert path sets `sentinel_alerts_firing`, rejections are counted under
//! their typed reason, and a rejected reserve position is not an event rejection.

mod monitor_support;

use std::time::Duration;

use monitor_support::{
    family_sum, last_window_opening, metrics_observer, open_at, reserve, sample,
    start_with_metrics, test_config, thursday_after_last_window, to_pb, weekend_events,
};
use sentinel::config::{Config, ScenarioName};
use sentinel::grpc::pb;
use sentinel::metrics::Metrics;
use sentinel::monitor::alerts::{Alert, AlertRule, AlertState, REASON_RAILS_REOPENED};
use sentinel::monitor::calendar::MS_PER_HOUR;
use sentinel::monitor::state::ReservePosition;
use sentinel::service::Engine;
use tokio::sync::{broadcast, watch};

const STALE_FIRING: &str = "sentinel_alerts_firing{rule=\"stale_feed\",severity=\"warning\"}";

/// Time is paused: the runtime's clock only moves when every task waits, so the
/// stale-feed timer is driven, never slept on.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_stale_feed_sets_the_alerts_firing_metric() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 200;
    let (metrics, observer) = metrics_observer();
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 3);
    let forty_hours_in = last_window_opening(&config) + 40 * MS_PER_HOUR;
    let engine = open_at(config.clone(), observer, forty_hours_in);
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

/// A stale feed is still stale after a restart: the restored alert keeps firing under its
/// id instead of resolving as "events resumed" (the silence restarts at the log's latest
/// event, not at the restart).
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_restart_keeps_a_stale_feed_alert_firing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 200;
    let (_, mut events) = weekend_events(&config, ScenarioName::Normal, 3);
    let forty_hours_in = last_window_opening(&config) + 40 * MS_PER_HOUR;
    events[0].occurred_at_unix_ms = forty_hours_in - 60_000;
    let stale = Duration::from_secs_f64(config.monitor.stale_feed_minutes * 60.0);

    let (_, observer) = metrics_observer();
    let engine = open_at(config.clone(), observer, forty_hours_in);
    let (stop, shutdown) = watch::channel(false);
    let tasks = engine.start(shutdown);
    engine.record(events[..1].to_vec()).await.unwrap();
    tokio::time::sleep(stale + Duration::from_secs(5)).await;
    let before = engine.subscribe_alerts().0;
    let stale_alert = before
        .iter()
        .find(|a| a.rule == AlertRule::StaleFeed)
        .expect("stale feed firing before the restart")
        .clone();
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    engine.shutdown().await;

    let restart_at = forty_hours_in + i64::try_from(stale.as_millis()).unwrap() + 120_000;
    let (metrics, observer) = metrics_observer();
    let engine = open_at(config.clone(), observer, restart_at);
    let (stop, shutdown) = watch::channel(false);
    let (_, mut alerts) = engine.subscribe_alerts();
    let tasks = engine.start(shutdown);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let transitions: Vec<_> = std::iter::from_fn(|| alerts.try_recv().ok()).collect();
    assert!(
        transitions.iter().all(|a| a.rule != AlertRule::StaleFeed),
        "the stale-feed alert changed on restart: {transitions:?}"
    );
    let after = engine.subscribe_alerts().0;
    assert!(
        after.iter().any(|a| a.id == stale_alert.id),
        "{after:?} lost {}",
        stale_alert.id
    );
    assert_eq!(sample(&metrics, STALE_FIRING), Some(1.0));
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    engine.shutdown().await;
}

/// A running engine on a paused tokio clock whose wall clock starts at `clock_unix_ms`, with
/// a small reserve, its metrics and an alert subscription.
struct Paused {
    engine: Engine,
    metrics: std::sync::Arc<Metrics>,
    alerts: broadcast::Receiver<std::sync::Arc<Alert>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn paused_engine(config: &Config, clock_unix_ms: i64) -> Paused {
    let (metrics, observer) = metrics_observer();
    let engine = open_at(config.clone(), observer, clock_unix_ms);
    let (stop, shutdown) = watch::channel(false);
    let tasks = engine.start(shutdown);
    let (_, alerts) = engine.subscribe_alerts();
    engine
        .set_reserve(ReservePosition::immediate(5_000_000_000))
        .await
        .unwrap();
    Paused {
        engine,
        metrics,
        alerts,
        stop,
        tasks,
    }
}

impl Paused {
    /// Records the events of a severe weekend dated up to `until_unix_ms` and waits for
    /// their projection.
    async fn feed_severe_weekend(&self, config: &Config, until_unix_ms: i64) {
        let (_, mut events) = weekend_events(config, ScenarioName::Severe, 2);
        events.retain(|e| e.occurred_at_unix_ms <= until_unix_ms);
        let mut version = 0;
        for chunk in events.chunks(500) {
            version = self
                .engine
                .record(chunk.to_vec())
                .await
                .unwrap()
                .state_version;
        }
        self.engine.projection_at_least(version).await.unwrap();
    }

    fn transitions(&mut self) -> Vec<std::sync::Arc<Alert>> {
        std::iter::from_fn(|| self.alerts.try_recv().ok()).collect()
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.engine.shutdown().await;
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_past_weekend_fed_on_a_thursday_pages_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 200;
    let mut m = paused_engine(&config, thursday_after_last_window(&config)).await;
    m.feed_severe_weekend(&config, i64::MAX).await;
    tokio::time::sleep(Duration::from_secs(3_600)).await;
    let fired: Vec<_> = m
        .transitions()
        .into_iter()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    assert!(fired.is_empty(), "paged with the rails open: {fired:?}");
    assert_eq!(family_sum(&m.metrics, "sentinel_alerts_firing"), 0.0);
    assert_eq!(sample(&m.metrics, "sentinel_rails_closed"), Some(0.0));
    assert_eq!(
        sample(
            &m.metrics,
            "sentinel_rail_calendar_dated_until_timestamp_seconds"
        ),
        Some(1_798_423_200.0),
        "the shipped list ends with the reopening after Christmas, 2026-12-28 09:00 WIB"
    );
    let window = m.engine.inputs().window.expect("the latest closure");
    assert!(
        window.closed && window.retail_minor > 0,
        "stored and counted: {window:?}"
    );
    m.stop().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn alerts_resolve_when_the_clock_passes_the_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.monitor.paths = 200;
    // Sixty hours into the closure: five hours before the rails reopen. (Paused time moves
    // on whenever every task waits, e.g. for a commit, so the margin is generous.)
    let sixty_hours_in = last_window_opening(&config) + 60 * MS_PER_HOUR;
    let mut m = paused_engine(&config, sixty_hours_in).await;
    m.feed_severe_weekend(&config, sixty_hours_in).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let firing = m.engine.subscribe_alerts().0;
    assert!(
        firing.iter().any(|a| a.rule == AlertRule::ReserveBreached),
        "{firing:?}"
    );
    assert_eq!(sample(&m.metrics, "sentinel_rails_closed"), Some(1.0));
    assert!(family_sum(&m.metrics, "sentinel_alerts_firing") >= 1.0);
    m.transitions();
    let (_, mut projections) = m.engine.subscribe_projections();

    tokio::time::advance(Duration::from_secs(5 * 3_600)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The clock task resolves the alerts on tokio's clock and wakes the projector; the
    // projection that sets the rails gauge runs on rayon, outside the paused clock, so the
    // test waits for it to be published instead of for a span of time.
    loop {
        match projections.recv().await {
            Ok(p) if p.projection.inputs.window.as_ref().is_none_or(|w| w.closed) => break,
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => panic!("the engine stopped"),
        }
    }
    let resolved = m.transitions();
    assert!(m.engine.subscribe_alerts().0.is_empty(), "nothing fires");
    for alert in &firing {
        let r = resolved
            .iter()
            .find(|a| a.id == alert.id)
            .unwrap_or_else(|| panic!("{} not resolved: {resolved:?}", alert.id));
        assert_eq!(r.state, AlertState::Resolved);
        assert_eq!(r.resolution_reason.as_deref(), Some(REASON_RAILS_REOPENED));
    }
    assert!(resolved.iter().all(|a| a.state == AlertState::Resolved));
    assert_eq!(family_sum(&m.metrics, "sentinel_alerts_firing"), 0.0);
    assert_eq!(sample(&m.metrics, "sentinel_rails_closed"), Some(0.0));
    m.stop().await;
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
    let batch = pb::RecordWithdrawalsRequest {
        events: vec![to_pb(&events[1]), bad.clone()],
    };
    client.record_withdrawals(batch).await.unwrap_err();
    client
        .ingest_withdrawals(tokio_stream::iter(vec![monitor_support::as_request(bad)]))
        .await
        .unwrap_err();
    let mut bad = to_pb(&events[2]);
    bad.cohort = 9;
    client
        .record_withdrawals(pb::RecordWithdrawalsRequest { events: vec![bad] })
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
