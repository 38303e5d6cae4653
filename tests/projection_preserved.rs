//! The live projection is reproducible: for the same seed, the synthetic weekend's events, the
//! estimator's posterior and the conditional Monte Carlo give the recorded numbers
//! (`tests/fixtures/baseline_projection.json`; run with `SENTINEL_BLESS=1` to re-record).
//!
//! Recorded before the architecture change (issue 8, commit db3b64b) and unchanged by it;
//! re-recorded once for issue 9, which changed on purpose how the live model draws
//! institutional jumps: per account, as the batch engine does, instead of scaling every
//! balance by the cohort's remaining share (which let one institution leave several times).

use sentinel::config::{Config, ScenarioName};
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use sentinel::monitor::projection::Projector;
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::monitor::synthetic::SyntheticWeekend;
use serde_json::{Value, json};

/// 2026-11-20 16:00 WIB, a window opening.
const OPENS_MS: i64 = 1_795_165_200_000;

/// Events of a synthetic severe weekend, then projections at a few hours of it.
fn record() -> Value {
    let mut config = Config::default();
    config.monitor.paths = 2_000;
    let users = UserBase::synthetic(&config.user_base);
    let model = ConditionalModel::new(
        config.scenarios.get(ScenarioName::Severe),
        &users,
        config.window.hours,
    )
    .unwrap();
    let weekend = SyntheticWeekend {
        seed: 11,
        opens_at_unix_ms: OPENS_MS,
        retail_event_idr: 50_000_000,
    };
    let events = weekend.events(&model);
    let projector = Projector::new(&config, &users).unwrap();
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&config.window));
    let mut state = MonitorState::new(
        calendar,
        config.monitor.unspecified_institutional_min_idr,
        ReservePosition::immediate(config.monitor.initial_reserve_idr),
    );
    let mut projections = Vec::new();
    let mut applied = 0;
    for hours in [2.0, 8.0, 20.0, 40.0] {
        let cutoff = OPENS_MS + (hours * MS_PER_HOUR as f64) as i64;
        while applied < events.len() && events[applied].occurred_at_unix_ms < cutoff {
            state.apply(&events[applied]);
            applied += 1;
        }
        let p = projector.project(&state.inputs());
        projections.push(json!({
            "hours": hours,
            "scenario_probabilities": p.scenario_probabilities,
            "institutional_rate": p.institutional_rate,
            "retail": p.retail,
            "simulation": p.simulation,
        }));
    }
    let amounts: Vec<i64> = events.iter().map(|e| e.amount_minor).collect();
    let times: Vec<i64> = events.iter().map(|e| e.occurred_at_unix_ms).collect();
    json!({ "event_amounts_minor": amounts, "event_times_unix_ms": times, "projections": projections })
}

#[test]
fn synthetic_weekend_and_projections_reproduce_the_recorded_numbers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baseline_projection.json");
    // Both sides go through the same text round trip, so floats compare exactly.
    let text = serde_json::to_string_pretty(&record()).unwrap();
    let actual: Value = serde_json::from_str(&text).unwrap();
    if std::env::var_os("SENTINEL_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        expected["event_amounts_minor"],
        actual["event_amounts_minor"]
    );
    assert_eq!(
        expected["event_times_unix_ms"],
        actual["event_times_unix_ms"]
    );
    assert_eq!(expected["projections"], actual["projections"]);
}
