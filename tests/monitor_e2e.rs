//! End to end: a server on an ephemeral port, a simulated weekend streamed hour by hour,
//! and the alerts it raises. The server's clock is inside that weekend's closure (the
//! rails are closed), as it would be live.

mod monitor_support;

use monitor_support::{
    collect_alerts, inside_last_window, reserve, start_at, test_config, to_pb, weekend_events,
};
use sentinel::config::ScenarioName;
use sentinel::grpc::pb;
use sentinel::monitor::calendar::MS_PER_HOUR;

/// Streams `events` hour by hour (one `RecordWithdrawals` per hour, waiting for the
/// projection of each hour). Returns the hour at whose end withdrawals first exceeded
/// `reserve_idr`, if any.
async fn feed_hourly(
    client: &mut pb::monitor_service_client::MonitorServiceClient<tonic::transport::Channel>,
    opens: i64,
    events: &[sentinel::monitor::event::WithdrawalEvent],
    reserve_idr: u64,
    hours: u32,
) -> Option<u32> {
    let mut cumulative = 0u64;
    let mut breach_hour = None;
    for hour in 0..hours {
        let start = opens + i64::from(hour) * MS_PER_HOUR;
        let batch: Vec<_> = events
            .iter()
            .filter(|e| (start..start + MS_PER_HOUR).contains(&e.occurred_at_unix_ms))
            .collect();
        if batch.is_empty() {
            continue;
        }
        cumulative += batch.iter().map(|e| e.amount_idr()).sum::<u64>();
        if cumulative > reserve_idr && breach_hour.is_none() {
            breach_hour = Some(hour);
        }
        let request = pb::RecordWithdrawalsRequest {
            events: batch.iter().map(|e| to_pb(e)).collect(),
        };
        client.record_withdrawals(request).await.unwrap();
        let p = client
            .get_projection(pb::GetProjectionRequest {})
            .await
            .unwrap()
            .into_inner()
            .projection
            .unwrap();
        let sim = p.simulation.unwrap();
        let scenario_probabilities = p.scenario_probabilities.unwrap();
        eprintln!(
            "h{hour}: cum {:.1} bn P(n/m/s) {:.2}/{:.2}/{:.2} P(breach) {:.3}",
            cumulative as f64 / 1e9,
            scenario_probabilities.normal,
            scenario_probabilities.mild,
            scenario_probabilities.severe,
            sim.breach_probability
        );
    }
    breach_hour
}

fn first_firing(alerts: &[pb::Alert], rule: pb::AlertRule) -> Option<f64> {
    alerts
        .iter()
        .filter(|a| a.rule == rule as i32 && a.state == pb::AlertState::Firing as i32)
        .map(|a| a.window_hour)
        .reduce(f64::min)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn severe_weekend_fires_lead_and_breach_alerts_before_the_reserve_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let reserve_idr = 150_000_000_000;
    let mut config = test_config(dir.path());
    config.monitor.initial_reserve_idr = reserve_idr;
    let (opens, events) = weekend_events(&config, ScenarioName::Severe, 2);
    let clock = inside_last_window(&config);
    let server = start_at(config, clock).await;
    let mut client = server.client().await;
    client.set_reserve(reserve(reserve_idr)).await.unwrap();
    let first = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap()
        .into_inner()
        .projection
        .unwrap();
    let prior_breach = first.simulation.unwrap().breach_probability;
    assert!(
        prior_breach < 0.05,
        "the reserve is adequate a priori: P(breach) = {prior_breach}"
    );
    let alerts = collect_alerts(server.client().await);

    let breach_hour = feed_hourly(&mut client, opens, &events, reserve_idr, 65).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let alerts = alerts.lock().unwrap().clone();
    let breach_hour = f64::from(breach_hour.expect("this severe weekend breaches the reserve"));
    let lead = first_firing(&alerts, pb::AlertRule::InstitutionalLead).expect("lead alert");
    let breach = first_firing(&alerts, pb::AlertRule::BreachProbability).expect("P(breach) alert");
    eprintln!(
        "lead at h{lead:.1}, P(breach) alert at h{breach:.1}, reserve breached in hour {breach_hour}"
    );
    assert!(
        lead < breach_hour,
        "lead detected at h{lead}, breach in hour {breach_hour}"
    );
    assert!(
        breach < breach_hour,
        "P(breach) alert at h{breach}, breach in hour {breach_hour}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_weekend_with_an_adequate_reserve_fires_no_breach_alert() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let reserve_idr = 300_000_000_000;
    let mut config = config;
    config.monitor.initial_reserve_idr = reserve_idr;
    let (opens, events) = weekend_events(&config, ScenarioName::Normal, 4);
    let clock = inside_last_window(&config);
    let server = start_at(config, clock).await;
    let mut client = server.client().await;
    let first = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap()
        .into_inner()
        .projection
        .unwrap();
    assert!(first.simulation.unwrap().breach_probability < 0.05);
    let alerts = collect_alerts(server.client().await);

    let breach_hour = feed_hourly(&mut client, opens, &events, reserve_idr, 65).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(breach_hour, None);
    let alerts = alerts.lock().unwrap().clone();
    assert_eq!(
        first_firing(&alerts, pb::AlertRule::BreachProbability),
        None,
        "{alerts:#?}"
    );
    assert_eq!(first_firing(&alerts, pb::AlertRule::ReserveBreached), None);
    server.stop().await;
}
