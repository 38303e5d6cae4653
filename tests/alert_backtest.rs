//! The alert policy's evidence (issue 10): replaying weekends in simulated time through the
//! monitor's own rules, and the backtest's arithmetic on timelines with known answers.

use sentinel::config::{Config, ScenarioName};
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::alerts::{AlertRule, AlertThresholds, Severity};
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::projection::Projector;
use sentinel::monitor::replay::{BacktestPlan, Timeline, evaluate_policy, replay_many};
use sentinel::monitor::state::{MonitorState, ReservePosition};

/// 2026-11-20 16:00 WIB, a closure's opening.
const OPENS_MS: i64 = 1_795_165_200_000;

fn timeline(probabilities: &[f64], breach_hour: Option<u32>) -> Timeline {
    Timeline {
        transitions: Vec::new(),
        breach_probability_by_hour: probabilities.to_vec(),
        breach_hour,
    }
}

#[test]
fn policy_rates_and_lead_times_of_known_timelines() {
    let timelines = [
        timeline(&[0.1, 0.3, 0.1, 0.1], None), // calm, one hour above 0.25: a false page
        timeline(&[0.1, 0.1, 0.1, 0.1], None), // calm, never
        timeline(&[0.3, 0.4, 0.9, 0.9], Some(4)), // breaches in hour 4, paged in hour 1: lead 3
        timeline(&[0.1, 0.1, 0.1, 0.9], Some(3)), // breaches before any page: missed
    ];
    let once = evaluate_policy(&timelines, 0.25, 0);
    assert_eq!((once.calm_weekends, once.breaching_weekends), (2, 2));
    assert_eq!(once.false_page_rate, 0.5);
    assert_eq!(once.detection_rate, 0.5);
    assert_eq!(once.median_lead_hours, Some(3.0));
    // Holding for an hour (two hourly projections) drops the one-hour blip and pages the
    // breach an hour later.
    let twice = evaluate_policy(&timelines, 0.25, 1);
    assert_eq!(twice.false_page_rate, 0.0);
    assert_eq!(twice.median_lead_hours, Some(2.0));
}

#[test]
fn severe_weekends_are_paged_hours_before_the_10_percent_reserve_runs_out() {
    let mut config = Config::default();
    config.monitor.paths = 500;
    let users = UserBase::synthetic(&config.user_base);
    let projector = Projector::new(&config, &users).unwrap();
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&config.window));
    let state = MonitorState::new(
        calendar,
        config.monitor.unspecified_institutional_min_idr,
        ReservePosition::immediate(config.monitor.initial_reserve_idr),
    );
    let model = ConditionalModel::new(
        config.scenarios.get(ScenarioName::Severe),
        &users,
        config.window.hours,
    )
    .unwrap();
    let plan = BacktestPlan {
        weekends: 12,
        seed: 1,
        retail_event_idr: 1_000_000_000,
        opens_at_unix_ms: OPENS_MS,
    };
    let thresholds = AlertThresholds::from_config(&config.monitor);
    let replayed = std::sync::atomic::AtomicU64::new(0);
    let count = || {
        replayed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let timelines = replay_many(&projector, thresholds, &model, &state, plan, &count);
    assert_eq!(replayed.into_inner(), 12, "one call per weekend");
    let breaching: Vec<&Timeline> = timelines
        .iter()
        .filter(|t| t.breach_hour.is_some())
        .collect();
    assert!(breaching.len() >= 10, "{} of 12 breach", breaching.len());
    for t in breaching {
        let breach = f64::from(t.breach_hour.unwrap());
        let page = t
            .first_critical_page()
            .expect("a critical page before the breach");
        assert!(page < breach, "paged at h{page}, breached in hour {breach}");
        let fired = t.first_firing(AlertRule::ReserveBreached, Severity::Critical);
        assert!(fired.is_some_and(|h| h <= breach), "{fired:?} vs {breach}");
    }
}
