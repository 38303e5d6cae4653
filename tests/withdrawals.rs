//! Properties of the weekend withdrawal Monte Carlo: closed-form moments, conservation,
//! the institutional lead, calibration and thread-count determinism.

use sentinel::config::{Config, ScenarioConfig, ScenarioName};
use sentinel::model::process::WeekendProcess;
use sentinel::model::user_base::UserBase;
use sentinel::model::withdrawals::ScenarioRun;

const HOURS: u32 = 65;

fn quiet_scenario() -> ScenarioConfig {
    ScenarioConfig {
        institutional_rate_per_day: 0.0,
        institutional_lead_hours: 0.0,
        institutional_front_share: 0.0,
        institutional_front_decay_hours: 4.0,
        retail_calm_rate_per_day: 0.0,
        retail_panic_rate_per_day: 0.0,
        retail_ramp_hours: 0.0,
        retail_hourly_cv: 0.35,
        retail_weekend_cv: 0.0,
        jump_fraction_mean: 0.3,
        jump_fraction_concentration: 4.0,
        intensity_cv: 0.0,
        expected_share_low: 0.0,
        expected_share_high: 1.0,
    }
}

fn mean_var(xs: impl Iterator<Item = f64>) -> (f64, f64, usize) {
    let v: Vec<f64> = xs.collect();
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var, n)
}

/// |observed − expected| within `z` standard errors.
fn assert_close(what: &str, observed: f64, expected: f64, standard_error: f64, z: f64) {
    assert!(
        (observed - expected).abs() <= z * standard_error,
        "{what}: observed {observed:.6e}, expected {expected:.6e}, {z} SE = {:.3e}",
        z * standard_error
    );
}

fn run(scenario: &ScenarioConfig, users: &UserBase, paths: usize, seed: u64) -> ScenarioRun {
    WeekendProcess::new(scenario, users, HOURS)
        .unwrap()
        .run(paths, seed, 1)
}

#[test]
fn retail_flow_matches_the_gamma_closed_form() {
    // Constant hourly mean μ: the weekend sum of 65 iid Gamma(k, μ/k) hours has
    // mean 65·μ and variance 65·μ²·cv².
    let users = UserBase {
        retail_balances_idr: vec![1_000_000_000_000],
        institutional_balances_idr: vec![1],
        institutional_redraws_idr: Vec::new(),
    };
    let mut s = quiet_scenario();
    s.retail_calm_rate_per_day = 0.024;
    s.retail_panic_rate_per_day = 0.024;
    let mu = 1e12 * 0.024 / 24.0;
    let cv = s.retail_hourly_cv;
    let run = run(&s, &users, 20_000, 7);
    let (mean, var, n) = mean_var(run.outcomes.iter().map(|o| o.retail_idr as f64));
    let expected_mean = HOURS as f64 * mu;
    let expected_var = HOURS as f64 * (mu * cv).powi(2);
    assert_close(
        "retail mean",
        mean,
        expected_mean,
        (expected_var / n as f64).sqrt(),
        4.0,
    );
    // Var of the sample variance: σ⁴ (2/(n−1) + κ/n), κ = 6 / (65 k) the excess kurtosis.
    let kurtosis = 6.0 / (HOURS as f64 / (cv * cv));
    let var_se = expected_var * (2.0 / (n - 1) as f64 + kurtosis / n as f64).sqrt();
    assert_close("retail variance", var, expected_var, var_se, 4.0);
}

#[test]
fn retail_panic_ramps_only_after_the_institutional_lead() {
    let users = UserBase {
        retail_balances_idr: vec![1_000_000_000_000],
        institutional_balances_idr: vec![1],
        institutional_redraws_idr: Vec::new(),
    };
    let mut s = quiet_scenario();
    s.retail_calm_rate_per_day = 0.01;
    s.retail_panic_rate_per_day = 0.12;
    s.institutional_lead_hours = 6.0;
    s.retail_ramp_hours = 6.0;
    let paths = 4_000;
    let model = WeekendProcess::new(&s, &users, HOURS).unwrap();
    let run = model.run(paths, 11, 1);
    let calm_mu = 1e12 * 0.01 / 24.0;
    let panic_mu = 1e12 * 0.12 / 24.0;
    for (hour, &observed) in run.mean_hourly_retail_idr.iter().enumerate() {
        let expected = model.retail_hourly_mean_idr(hour as u32, 1.0);
        let se = expected * s.retail_hourly_cv / (paths as f64).sqrt();
        assert_close(
            &format!("mean retail in hour {hour}"),
            observed,
            expected,
            se,
            4.5,
        );
        if hour < 6 {
            assert_eq!(expected, calm_mu, "hour {hour} is before the lead");
        }
        if hour >= 12 {
            assert_eq!(expected, panic_mu, "hour {hour} is past the ramp");
        }
    }
}

#[test]
fn institutional_jumps_match_the_compound_poisson_closed_form() {
    // Many equal institutions, so a repeat pick (depletion) is negligible:
    // S = Σ_{i ≤ N} b·f_i with N ~ Poisson(λT), f ~ Beta(mean m, concentration c):
    // E[S] = λT·b·m, Var[S] = λT·b²·E[f²], E[f²] = m(1−m)/(c+1) + m².
    let balance = 1_000_000_000u64;
    let users = UserBase {
        retail_balances_idr: vec![1],
        institutional_balances_idr: vec![balance; 100_000],
        institutional_redraws_idr: Vec::new(),
    };
    let mut s = quiet_scenario();
    s.institutional_rate_per_day = 6.0;
    let run = run(&s, &users, 20_000, 3);
    let lambda_t = 6.0 * HOURS as f64 / 24.0;
    let (m, c, b) = (
        s.jump_fraction_mean,
        s.jump_fraction_concentration,
        balance as f64,
    );
    let ef2 = m * (1.0 - m) / (c + 1.0) + m * m;
    let expected_mean = lambda_t * b * m;
    let expected_var = lambda_t * b * b * ef2;
    let (mean, var, n) = mean_var(run.outcomes.iter().map(|o| o.institutional_idr as f64));
    assert_close(
        "compound Poisson mean",
        mean,
        expected_mean,
        (expected_var / n as f64).sqrt(),
        4.0,
    );
    // Compound Poisson kurtosis: E[J⁴] / (λT E[J²]²); E[f⁴] ≤ E[f²], so bound the SE by it.
    let kurtosis = ef2 / (lambda_t * ef2 * ef2);
    let var_se = expected_var * (2.0 / (n - 1) as f64 + kurtosis / n as f64).sqrt();
    assert_close("compound Poisson variance", var, expected_var, var_se, 4.0);
    let (count_mean, count_var, _) = mean_var(
        run.outcomes
            .iter()
            .map(|o| f64::from(o.institutional_jumps)),
    );
    assert_close(
        "arrivals mean",
        count_mean,
        lambda_t,
        (lambda_t / n as f64).sqrt(),
        4.0,
    );
    assert_close(
        "arrivals variance",
        count_var,
        lambda_t,
        lambda_t * (2.0 / n as f64).sqrt() * 1.2,
        4.0,
    );
}

#[test]
fn panic_intensity_makes_arrivals_negative_binomial() {
    // N | m ~ Poisson(λT·m), m ~ Gamma(1/c², c²): E[N] = λT, Var[N] = λT + (λT·c)².
    let users = UserBase {
        retail_balances_idr: vec![1],
        institutional_balances_idr: vec![1_000_000_000; 10_000],
        institutional_redraws_idr: Vec::new(),
    };
    let mut s = quiet_scenario();
    s.institutional_rate_per_day = 6.0;
    s.intensity_cv = 0.35;
    let run = run(&s, &users, 20_000, 5);
    let lambda_t = 6.0 * HOURS as f64 / 24.0;
    let expected_var = lambda_t + (lambda_t * 0.35).powi(2);
    let (mean, var, n) = mean_var(
        run.outcomes
            .iter()
            .map(|o| f64::from(o.institutional_jumps)),
    );
    assert_close(
        "arrivals mean",
        mean,
        lambda_t,
        (expected_var / n as f64).sqrt(),
        4.0,
    );
    assert_close(
        "arrivals variance",
        var,
        expected_var,
        expected_var * (3.0 / n as f64).sqrt(),
        4.0,
    );
}

#[test]
fn cumulative_withdrawals_never_exceed_balances() {
    // An extreme run: everyone wants out, every hour.
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let mut s = config.scenarios.severe.clone();
    s.institutional_rate_per_day = 500.0;
    s.jump_fraction_mean = 1.0;
    s.retail_calm_rate_per_day = 1.0;
    s.retail_panic_rate_per_day = 1.0;
    let run = run(&s, &users, 300, 9);
    let (retail, institutional) = (users.retail_total_idr(), users.institutional_total_idr());
    for o in &run.outcomes {
        assert!(
            o.retail_idr <= retail,
            "retail {} > {}",
            o.retail_idr,
            retail
        );
        assert!(
            o.institutional_idr <= institutional,
            "institutional {} > {}",
            o.institutional_idr,
            institutional
        );
    }
    // The caps bind: these paths drain most of the platform.
    let mean_share = run
        .outcomes
        .iter()
        .map(|o| o.total_idr() as f64)
        .sum::<f64>()
        / run.outcomes.len() as f64
        / users.total_fiat_idr() as f64;
    assert!(mean_share > 0.9, "mean share {mean_share}");
}

#[test]
fn default_scenarios_land_in_their_documented_ranges() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let fiat = users.total_fiat_idr() as f64;
    for name in ScenarioName::ALL {
        let s = config.scenarios.get(name);
        let run = WeekendProcess::new(s, &users, config.window.hours)
            .unwrap()
            .run(10_000, 42, name.stream_id());
        let share = run
            .outcomes
            .iter()
            .map(|o| o.total_idr() as f64)
            .sum::<f64>()
            / run.outcomes.len() as f64
            / fiat;
        assert!(
            share >= s.expected_share_low && share <= s.expected_share_high,
            "{name}: mean weekend share {share:.4} outside [{}, {}]",
            s.expected_share_low,
            s.expected_share_high
        );
    }
}

#[test]
fn severe_institutions_move_before_retail() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let s = &config.scenarios.severe;
    let run = WeekendProcess::new(s, &users, config.window.hours)
        .unwrap()
        .run(10_000, 42, 3);
    let lead = s.institutional_lead_hours as usize;
    let first: f64 = run.mean_hourly_institutional_idr[..lead].iter().sum();
    let retail_first: f64 = run.mean_hourly_retail_idr[..lead].iter().sum();
    assert!(
        first > 3.0 * retail_first,
        "institutional {first:.3e} vs retail {retail_first:.3e} before the lead"
    );
    let retail_late = run.mean_hourly_retail_idr[30];
    let retail_early = run.mean_hourly_retail_idr[0];
    assert!(
        retail_late > 8.0 * retail_early,
        "retail hour 31 {retail_late:.3e} vs hour 1 {retail_early:.3e}"
    );
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let model = WeekendProcess::new(&config.scenarios.severe, &users, config.window.hours).unwrap();
    let on = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| model.run(5_000, 99, 3))
    };
    let one = on(1);
    assert_eq!(one, on(2));
    assert_eq!(one, on(5));
    assert_ne!(one, model.run(5_000, 100, 3), "another seed, another run");
}
