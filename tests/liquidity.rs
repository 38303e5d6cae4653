//! The liquidity view (issue 9): reserve layers counted from the hour they can pay, the
//! chance-constrained layer design, the batch and the live projection agreeing on the same
//! reserve, and Monte Carlo intervals that cover the truth about 95% of the time.

use rand::RngExt;
use rand_distr::{Distribution, Exp1};
use sentinel::batch::{BatchRequest, run_batch};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::conditional::{ConditionalModel, ConditionalStart};
use sentinel::model::liquidity::{
    FastLayerTerms, ReserveLayer, ReservePosition, design_layers, test_reserve,
};
use sentinel::model::mc_error::{cvar_interval, quantile_interval, wilson_interval};
use sentinel::model::process::WeekendProcess;
use sentinel::model::rng::path_rng;
use sentinel::model::user_base::UserBase;
use sentinel::model::withdrawals::ScenarioRun;

const HOURS: u32 = 65;

fn severe_run(paths: usize, seed: u64) -> (ScenarioRun, UserBase) {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let process = WeekendProcess::new(&config.scenarios.severe, &users, HOURS).unwrap();
    (process.run(paths, seed, 3), users)
}

fn layer(name: &str, amount_idr: u64, hour: u32) -> ReserveLayer {
    ReserveLayer {
        name: name.into(),
        amount_idr,
        available_after_hours: hour,
    }
}

fn position(layers: Vec<ReserveLayer>) -> ReservePosition {
    ReservePosition {
        layers,
        proprietary_capital_idr: 0,
    }
}

#[test]
fn a_layer_usable_only_when_the_rails_reopen_never_reduces_the_shortfall() {
    let (run, _) = severe_run(4_000, 1);
    let instant = position(vec![layer("instant", 200_000_000_000, 0)]);
    let with_monday = position(vec![
        layer("instant", 200_000_000_000, 0),
        layer("sbn", 150_000_000_000, HOURS),
    ]);
    let a = test_reserve(&run, &instant, 0.01);
    let b = test_reserve(&run, &with_monday, 0.01);
    assert_eq!(a.shortfall, b.shortfall);
    assert_eq!(b.monday_money_idr, 150_000_000_000);
    assert_eq!(b.usable_before_reopening_idr, 200_000_000_000);
    // The same money usable earlier helps, and the earlier the more.
    let mut previous = a.shortfall.probability;
    for hour in [48, 24, 12, 0] {
        let p = test_reserve(
            &run,
            &position(vec![
                layer("instant", 200_000_000_000, 0),
                layer("late", 150_000_000_000, hour),
            ]),
            0.01,
        )
        .shortfall
        .probability;
        assert!(p <= previous, "hour {hour}: {p} > {previous}");
        previous = p;
    }
}

#[test]
fn the_recommended_layers_meet_the_target_on_fresh_paths() {
    let config = Config::default();
    let (design_run, _) = severe_run(10_000, 1);
    let (fresh_run, _) = severe_run(10_000, 2);
    let target = config.reserve.target_shortfall_probability;
    let design = design_layers(
        &design_run,
        config.tiers.fast_terms(0.065),
        0.065,
        target,
        7_950_000_000.0,
    );
    let reserve = position(vec![layer("instant", design.instant_idr.ceil() as u64, 0)]);
    let in_sample = test_reserve(&design_run, &reserve, target).shortfall;
    assert!(in_sample.probability <= target, "{in_sample:?}");
    let fresh = test_reserve(&fresh_run, &reserve, target).shortfall;
    let se = (target * (1.0 - target) / 10_000.0).sqrt();
    // Out of sample the design's own estimation error adds to the test's: allow 4·√2 SE.
    assert!(
        (fresh.probability - target).abs() <= 4.0 * std::f64::consts::SQRT_2 * se,
        "fresh P(shortfall) {} vs target {target}",
        fresh.probability
    );
}

#[test]
fn a_cheap_fast_layer_is_used_and_counted_only_from_its_hour() {
    let (run, _) = severe_run(5_000, 4);
    let target = 0.01;
    let fast = FastLayerTerms {
        available_after_hours: 4,
        haircut: 0.03,
        carry_per_year: 0.005,
    };
    let design = design_layers(&run, fast, 0.065, target, 2_000_000_000.0);
    assert!(design.fast_idr > 0.0, "{design:?}");
    assert!((design.fast_usable_idr - 0.97 * design.fast_idr).abs() < 1.0);
    let layered = position(vec![
        layer("instant", design.instant_idr.ceil() as u64, 0),
        layer("fast", design.fast_usable_idr.ceil() as u64, 4),
    ]);
    assert!(test_reserve(&run, &layered, target).shortfall.probability <= target);
    let all_instant = design_layers(&run, fast, 0.065, target, 0.0);
    assert!(design.annual_carry_idr <= all_instant.annual_carry_idr);
    assert!(design.instant_idr + design.fast_usable_idr >= all_instant.instant_idr - 1.0);
}

#[test]
fn the_normal_weekend_reserve_is_set_by_liquidity_not_the_ojk_floor() {
    let report_with_floor = |floor_idr: u64| {
        let mut config = Config::default();
        config.reserve.planning_scenario = ScenarioName::Normal;
        config.reserve.ojk_min_equity_idr = floor_idr;
        let users = UserBase::synthetic(&config.user_base);
        let request = BatchRequest {
            scenarios: vec![ScenarioName::Normal],
            paths: 5_000,
            seed: 9,
        };
        run_batch(&config, &users, &request).unwrap()
    };
    let report = report_with_floor(50_000_000_000);
    let rec = &report.recommendation;
    let normal = &report.scenarios[&ScenarioName::Normal];
    assert!(
        (rec.reserve_idr - normal.summary.p99_idr).abs() <= 1.0,
        "all instant: the reserve is the p99 weekend, {} vs {}",
        rec.reserve_idr,
        normal.summary.p99_idr
    );
    assert!(
        normal.reserve.newsvendor_idr < 50e9,
        "the newsvendor is not floored"
    );
    for floor in [1_000_000_000, 500_000_000_000] {
        let other = report_with_floor(floor);
        assert_eq!(other.recommendation.reserve_idr, rec.reserve_idr);
        assert_eq!(
            other.scenarios[&ScenarioName::Normal]
                .reserve
                .newsvendor_idr,
            normal.reserve.newsvendor_idr
        );
    }
}

#[test]
fn batch_and_live_projection_agree_on_the_same_layered_reserve() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let scenario = &config.scenarios.severe;
    let reserve = position(vec![
        layer("instant", 220_000_000_000, 0),
        layer("fast", 60_000_000_000, 20),
        layer("sbn", 80_000_000_000, HOURS),
    ]);
    let paths = 20_000;
    let batch = test_reserve(
        &WeekendProcess::new(scenario, &users, HOURS)
            .unwrap()
            .run(paths, 5, 3),
        &reserve,
        0.01,
    )
    .shortfall;
    let model = ConditionalModel::new(scenario, &users, HOURS).unwrap();
    let schedule = reserve.schedule(HOURS, 0);
    let mut ledger = model.process().new_ledger();
    let breaches = (0..paths as u64)
        .filter(|&i| {
            let mut rng = path_rng(6, 7, i);
            let intensity = model.process().draw_intensity(&mut rng);
            let start = ConditionalStart::default();
            model
                .simulate_from(&mut rng, &start, intensity, &schedule, &mut ledger)
                .breach_hour
                > 0
        })
        .count();
    let live = breaches as f64 / paths as f64;
    let se = (batch.standard_error.powi(2) + live * (1.0 - live) / paths as f64).sqrt();
    assert!(
        (batch.probability - live).abs() <= 4.0 * se,
        "batch {} vs live {live} (4 SE = {})",
        batch.probability,
        4.0 * se
    );
}

/// Share of `reps` seeded repetitions whose interval covers the truth.
fn coverage(reps: u64, covers: impl Fn(u64) -> bool) -> f64 {
    (0..reps).filter(|&r| covers(r)).count() as f64 / reps as f64
}

fn exponential_sample(n: usize, rep: u64) -> Vec<f64> {
    let mut rng = path_rng(2026, 11, rep);
    let mut sample: Vec<f64> = (0..n).map(|_| Exp1.sample(&mut rng)).collect();
    sample.sort_by(f64::total_cmp);
    sample
}

#[test]
fn quantile_intervals_cover_the_true_quantile_about_95_percent_of_the_time() {
    // Exp(1): the p99 is ln 100 exactly.
    let truth = 100f64.ln();
    let share = coverage(400, |r| {
        quantile_interval(&exponential_sample(2_000, r), 0.99).contains(truth)
    });
    assert!((0.92..=0.985).contains(&share), "coverage {share}");
}

#[test]
fn cvar_intervals_cover_the_true_cvar_about_95_percent_of_the_time() {
    // Exp(1) is memoryless: CVaR_0.95 = VaR_0.95 + 1 = ln 20 + 1.
    let truth = 20f64.ln() + 1.0;
    let share = coverage(400, |r| {
        cvar_interval(&exponential_sample(4_000, r), 0.95).contains(truth)
    });
    assert!((0.91..=0.985).contains(&share), "coverage {share}");
}

#[test]
fn wilson_intervals_cover_a_one_percent_probability_about_95_percent_of_the_time() {
    let share = coverage(400, |r| {
        let mut rng = path_rng(7, 7, r);
        let hits = (0..5_000).filter(|_| rng.random::<f64>() < 0.01).count() as u64;
        wilson_interval(hits, 5_000).contains(0.01)
    });
    assert!((0.92..=0.985).contains(&share), "coverage {share}");
}
