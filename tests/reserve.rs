//! Reserve sizing, frontier and time-to-insolvency on the default severe scenario.

use sentinel::batch::{BatchRequest, run_batch};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::process::WeekendProcess;
use sentinel::model::reserve::{NewsvendorCosts, SortedSample, safety_frontier, size_reserve};
use sentinel::model::user_base::UserBase;

fn severe_sample(paths: usize) -> (SortedSample, f64) {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let run = WeekendProcess::new(&config.scenarios.severe, &users, 65)
        .unwrap()
        .run(paths, 42, 3);
    let totals = run.outcomes.iter().map(|o| o.total_idr() as f64).collect();
    (SortedSample::new(totals), users.total_fiat_idr() as f64)
}

fn costs() -> NewsvendorCosts {
    let r = Config::default().reserve;
    NewsvendorCosts {
        overage_per_year: r.overage_cost_per_year(),
        underage_per_year: r.underage_cost_per_year(),
    }
}

#[test]
fn newsvendor_reserve_is_the_critical_quantile() {
    let (sample, fiat) = severe_sample(10_000);
    let sizing = size_reserve(&sample, costs(), fiat, 0.1, 0.01);
    let cr = sizing.critical_ratio;
    assert!((cr - 0.11 / 0.175).abs() < 1e-12);
    let n = sample.sorted().len() as f64;
    let at_or_below = sample
        .sorted()
        .iter()
        .filter(|&&w| w <= sizing.newsvendor_idr)
        .count() as f64
        / n;
    let strictly_below = sample
        .sorted()
        .iter()
        .filter(|&&w| w < sizing.newsvendor_idr)
        .count() as f64
        / n;
    assert!(
        at_or_below >= cr,
        "F(R) = {at_or_below} < critical ratio {cr}"
    );
    assert!(
        strictly_below < cr,
        "F(R-) = {strictly_below} >= critical ratio {cr}"
    );
}

#[test]
fn cost_curve_minimum_sits_at_the_newsvendor_quantile() {
    let (sample, fiat) = severe_sample(10_000);
    let c = costs();
    let sorted = sample.sorted();
    // Exact minimiser over the sample points: the cost is piecewise linear with kinks there.
    let (argmin, _) = sorted
        .iter()
        .enumerate()
        .map(|(i, &r)| (i, sample.expected_annual_cost_idr(c, r)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let n = sorted.len() as f64;
    let rank = (c.critical_ratio() * n).ceil() as usize - 1;
    assert!(
        argmin.abs_diff(rank) <= 1,
        "argmin rank {argmin}, critical rank {rank}"
    );
    // The reported 1%-grid curve bottoms out within a grid step plus the quantile's
    // Monte Carlo error (3 standard errors of the order statistic) of the quantile.
    let sizing = size_reserve(&sample, c, fiat, 0.1, 0.01);
    let grid_min = sizing
        .cost_curve
        .iter()
        .min_by(|a, b| {
            a.expected_annual_cost_idr
                .total_cmp(&b.expected_annual_cost_idr)
        })
        .unwrap();
    let cr = c.critical_ratio();
    let band = 3.0 * (cr * (1.0 - cr) / n).sqrt();
    let lo = sentinel::model::stats::quantile_sorted(sorted, cr - band) - 0.01 * fiat;
    let hi = sentinel::model::stats::quantile_sorted(sorted, cr + band) + 0.01 * fiat;
    assert!(
        grid_min.reserve_idr >= lo && grid_min.reserve_idr <= hi,
        "curve minimum at {:.3e}, newsvendor {:.3e}, allowed [{lo:.3e}, {hi:.3e}]",
        grid_min.reserve_idr,
        sizing.newsvendor_idr
    );
}

#[test]
fn frontier_is_non_increasing_from_certain_failure_to_none() {
    let (sample, fiat) = severe_sample(5_000);
    let frontier = safety_frontier(&sample, fiat, 0.01);
    assert_eq!(frontier.len(), 101);
    assert_eq!(
        frontier[0].failure_probability, 1.0,
        "a zero reserve fails whenever anything is withdrawn"
    );
    assert_eq!(frontier[100].reserve_share, 1.0);
    assert_eq!(
        frontier[100].failure_probability, 0.0,
        "withdrawals never exceed all fiat"
    );
    for pair in frontier.windows(2) {
        assert!(
            pair[1].failure_probability <= pair[0].failure_probability,
            "{pair:?}"
        );
    }
}

#[test]
fn cvar_exceeds_var() {
    let (sample, _) = severe_sample(5_000);
    let var99 = sentinel::model::stats::quantile_sorted(sample.sorted(), 0.99);
    let cvar99 = sentinel::model::stats::cvar_sorted(sample.sorted(), 0.99);
    assert!(cvar99 >= var99);
}

#[test]
fn batch_report_is_consistent_with_its_own_frontier_and_first_passage() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios: ScenarioName::ALL.to_vec(),
        paths: 4_000,
        seed: 1,
    };
    let report = run_batch(&config, &users, &request).unwrap();
    for (name, s) in &report.scenarios {
        // First passage happens exactly on the paths whose total exceeds the reserve.
        let rule = &s.time_to_insolvency.rule_of_thumb;
        let frontier_at_rule = s
            .frontier
            .iter()
            .find(|p| (p.reserve_share - 0.10).abs() < 1e-9)
            .unwrap()
            .failure_probability;
        assert!(
            (rule.failure_probability - frontier_at_rule).abs() <= 1.0 / 4_000.0,
            "{name}: first passage {} vs frontier {}",
            rule.failure_probability,
            frontier_at_rule
        );
        if let (Some(p10), Some(p50)) = (rule.p10_hours, rule.p50_hours) {
            assert!(p10 >= 1.0 && p10 <= p50 && p50 <= 65.0);
        }
        assert!(s.share_of_fiat.max <= 1.0);
    }
    let rec = &report.recommendation;
    assert!(
        rec.liquidity.shortfall.probability <= rec.target_shortfall_probability,
        "the recommended layers meet the target on the paths they were designed on"
    );
}
