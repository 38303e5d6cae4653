//! The estimator against known answers: the conjugate Gamma–Poisson update on fixed counts,
//! and the scenario posterior on synthetic weekends of each scenario.

use sentinel::config::{Config, ScenarioName};
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use sentinel::monitor::estimate::{Estimator, GammaPosterior};
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::monitor::synthetic::SyntheticWeekend;

/// 2026-11-20 16:00 WIB, a window opening.
const OPENS_MS: i64 = 1_795_165_200_000;

#[test]
fn conjugate_update_on_fixed_counts_matches_the_closed_form() {
    // Prior Gamma(2, 1 day); 10 arrivals in 4 days -> Gamma(12, 5): mean 2.4 per day, and
    // 2·5·λ ~ χ²(24), whose 5% and 95% points are 13.848 and 36.415.
    let posterior = GammaPosterior {
        shape: 2.0,
        rate_days: 1.0,
    }
    .updated(10, 4.0);
    assert_eq!((posterior.shape, posterior.rate_days), (12.0, 5.0));
    assert!((posterior.mean_per_day() - 2.4).abs() < 1e-12);
    assert!((posterior.quantile_per_day(0.05) - 1.3848).abs() < 1e-3);
    assert!((posterior.quantile_per_day(0.95) - 3.6415).abs() < 1e-3);
}

#[test]
fn scenario_prior_has_the_configured_mean_and_cv() {
    let prior = GammaPosterior::from_scenario(6.0, 0.35);
    assert!((prior.mean_per_day() - 6.0).abs() < 1e-12);
    let cv = 1.0 / prior.shape.sqrt();
    assert!((cv - 0.35).abs() < 1e-12);
}

/// The posterior after the first `hours` of a synthetic weekend of `scenario`.
fn scenario_probabilities_after(
    config: &Config,
    users: &UserBase,
    scenario: ScenarioName,
    seed: u64,
    hours: f64,
) -> [f64; 3] {
    let model =
        ConditionalModel::new(config.scenarios.get(scenario), users, config.window.hours).unwrap();
    let weekend = SyntheticWeekend {
        seed,
        opens_at_unix_ms: OPENS_MS,
        retail_event_idr: 50_000_000,
    };
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&config.window));
    let mut state = MonitorState::new(calendar, 500_000_000, ReservePosition::immediate(1));
    let cutoff = OPENS_MS + (hours * MS_PER_HOUR as f64) as i64;
    for event in weekend
        .events(&model)
        .iter()
        .filter(|e| e.occurred_at_unix_ms < cutoff)
    {
        state.apply(event);
    }
    let mut marker = weekend.events(&model)[0].clone();
    marker.event_id = "clock".into();
    marker.amount_minor = 100;
    marker.occurred_at_unix_ms = cutoff - 1;
    state.apply(&marker);
    Estimator::new(config, users)
        .unwrap()
        .posterior(&state.inputs())
        .scenario_probabilities
}

#[test]
fn scenario_posterior_picks_the_scenario_that_generated_the_data() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    for (index, scenario) in ScenarioName::ALL.into_iter().enumerate() {
        let mut hits = 0;
        for seed in 1..=6 {
            let scenario_probabilities =
                scenario_probabilities_after(&config, &users, scenario, seed, 24.0);
            eprintln!("{scenario} seed {seed}: {scenario_probabilities:.3?}");
            if scenario_probabilities[index] >= 0.9 {
                hits += 1;
            }
        }
        assert!(
            hits >= 5,
            "{scenario}: picked with P >= 0.9 in only {hits} of 6 weekends"
        );
    }
}
