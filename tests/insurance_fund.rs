//! The insurance fund and the liquidation cascade: known answers and invariants.

use sentinel::config::{Config, InsuranceFundConfig, StressScenario};
use sentinel::model::insurance::{
    CascadeParams, DerivativesBook, Position, run_insurance_fund, shocked_price_ratio,
    synthetic_population,
};

const AUM_IDR: f64 = 795_000_000_000.0;

fn params(impact: f64, rounds: u32) -> CascadeParams {
    CascadeParams {
        slippage: 0.005,
        impact_per_open_interest: impact,
        rounds,
    }
}

/// The cascade position by position: the reference the prefix-sum engine must equal.
fn brute_force(positions: &[Position], ratio: [f64; 3], p: CascadeParams) -> (f64, [f64; 3]) {
    let mut open_interest = [0.0; 3];
    for x in positions {
        open_interest[x.asset] += x.notional_idr;
    }
    let mut liquidated = vec![false; positions.len()];
    let mut price = ratio;
    let mut deficit = 0.0;
    for _ in 0..p.rounds {
        let mut net = [0.0; 3];
        let now = price;
        for (x, done) in positions.iter().zip(liquidated.iter_mut()) {
            let adverse = if x.long {
                1.0 - now[x.asset]
            } else {
                now[x.asset] - 1.0
            };
            if !*done && x.notional_idr * adverse > x.margin_idr {
                *done = true;
                deficit += x.notional_idr * (adverse + p.slippage) - x.margin_idr;
                net[x.asset] += if x.long {
                    x.notional_idr
                } else {
                    -x.notional_idr
                };
            }
        }
        for a in 0..3 {
            price[a] *= (-p.impact_per_open_interest * net[a] / open_interest[a]).exp();
        }
    }
    (deficit, price)
}

#[test]
fn prefix_sum_cascade_equals_the_position_by_position_cascade() {
    let positions = synthetic_population(&InsuranceFundConfig::default(), AUM_IDR);
    let book = DerivativesBook::new(&positions);
    for ratio in [
        [0.96, 0.95, 0.93],
        [0.75, 0.68, 0.55],
        [0.5, 0.4, 0.12],
        [1.08, 1.1, 1.2],
    ] {
        for p in [params(0.2, 5), params(0.0, 5), params(1.0, 3)] {
            let fast = book.cascade(ratio, p);
            let (deficit, price) = brute_force(&positions, ratio, p);
            assert!(
                (fast.deficit_idr - deficit).abs() <= 1e-6 * deficit.max(1.0),
                "{ratio:?}: {} vs {deficit}",
                fast.deficit_idr
            );
            for (got, want) in fast.final_price_ratio.iter().zip(price) {
                assert!((got - want).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn no_liquidation_when_the_shock_is_smaller_than_every_margin_fraction() {
    let config = InsuranceFundConfig::default();
    let positions = synthetic_population(&config, AUM_IDR);
    let smallest_margin_fraction = positions
        .iter()
        .map(Position::margin_fraction)
        .fold(f64::INFINITY, f64::min);
    assert!(smallest_margin_fraction >= 1.0 / config.retail_leverage_max - 1e-12);
    let shock = 0.9 * smallest_margin_fraction;
    let book = DerivativesBook::new(&positions);
    for ratio in [[1.0 - shock; 3], [1.0 + shock; 3]] {
        let outcome = book.cascade(ratio, params(0.2, 5));
        assert_eq!(outcome.deficit_idr, 0.0);
        assert_eq!(outcome.liquidated_notional_idr, 0.0);
        assert_eq!(
            outcome.final_price_ratio, ratio,
            "nothing liquidated, nothing moves"
        );
    }
}

#[test]
fn a_loss_equal_to_the_margin_is_not_a_liquidation() {
    let position = Position {
        asset: 0,
        long: true,
        notional_idr: 1_000.0,
        margin_idr: 100.0,
        institutional: false,
    };
    let book = DerivativesBook::new(&[position]);
    assert_eq!(
        book.cascade([0.9, 1.0, 1.0], params(0.2, 5))
            .liquidated_notional_idr,
        0.0
    );
    let outcome = book.cascade([0.85, 1.0, 1.0], params(0.0, 5));
    // Loss 150 on margin 100, plus slippage 5: deficit 55.
    assert!((outcome.deficit_idr - 55.0).abs() < 1e-9);
}

#[test]
fn with_zero_impact_the_cascade_equals_one_round() {
    let positions = synthetic_population(&InsuranceFundConfig::default(), AUM_IDR);
    let book = DerivativesBook::new(&positions);
    for ratio in [[0.96, 0.95, 0.93], [0.5, 0.4, 0.25]] {
        let one = book.cascade(ratio, params(0.0, 1));
        let five = book.cascade(ratio, params(0.0, 5));
        assert_eq!(one.deficit_idr, five.deficit_idr);
        assert_eq!(one.final_price_ratio, five.final_price_ratio);
        assert_eq!(five.active_rounds, 1);
        let cascading = book.cascade(ratio, params(0.2, 5));
        assert!(cascading.deficit_idr >= one.deficit_idr);
        assert!((0..3).all(|a| cascading.final_price_ratio[a] <= ratio[a]));
    }
}

#[test]
fn the_population_matches_its_configuration() {
    let config = InsuranceFundConfig::default();
    let positions = synthetic_population(&config, AUM_IDR);
    assert_eq!(positions.len(), 5_000);
    let oi: f64 = positions.iter().map(|p| p.notional_idr).sum();
    assert!((oi / (1.5 * AUM_IDR) - 1.0).abs() < 1e-9);
    for a in 0..3 {
        let share = positions
            .iter()
            .filter(|p| p.asset == a)
            .map(|p| p.notional_idr)
            .sum::<f64>()
            / oi;
        assert!((share - config.asset_share[a]).abs() < 1e-9);
    }
    let retail: Vec<f64> = positions
        .iter()
        .filter(|p| !p.institutional)
        .map(|p| 1.0 / p.margin_fraction())
        .collect();
    let mean = retail.iter().sum::<f64>() / retail.len() as f64;
    assert!((13.5..=15.5).contains(&mean), "retail mean leverage {mean}");
    assert!(
        retail
            .iter()
            .all(|&l| (1.0 - 1e-9..=100.0 + 1e-9).contains(&l))
    );
    let institutional_max = positions
        .iter()
        .filter(|p| p.institutional)
        .map(|p| 1.0 / p.margin_fraction())
        .fold(0.0, f64::max);
    assert!(institutional_max <= 20.0 + 1e-9);
}

#[test]
fn fund_drawdown_is_never_negative_nor_above_the_fund_or_the_deficits() {
    let config = Config::default();
    let report = run_insurance_fund(
        &config.insurance_fund,
        &config.market,
        AUM_IDR,
        &StressScenario::ALL,
    );
    assert!((report.fund_idr - 0.005 * AUM_IDR).abs() < 1e-3);
    for (name, s) in &report.scenarios {
        let d = &s.drawdown;
        assert!(d.p50_idr >= 0.0 && d.mean_idr >= 0.0, "{name}");
        assert!(
            d.p999_idr <= report.fund_idr,
            "{name}: draws more than the fund"
        );
        assert!(
            d.p99_idr <= s.deficit.p99_idr + 1e-6,
            "{name}: draws more than the deficits"
        );
        assert!(d.mean_idr <= s.deficit.mean_idr + 1e-6);
        let clawback_mean = s.deficit.mean_idr - d.mean_idr;
        assert!((s.expected_clawback_idr - clawback_mean).abs() <= 1e-6 * clawback_mean.max(1.0));
        assert!(
            s.amplification_mean >= 1.0 - 1e-12,
            "{name}: a cascade only deepens the move"
        );
        assert!((0.0..=1.0).contains(&s.exhaustion_probability));
    }
    let normal = &report.scenarios[&StressScenario::Normal];
    let severe = &report.scenarios[&StressScenario::Severe];
    assert!(
        normal.drawdown.p50_idr < report.fund_idr,
        "a normal weekend leaves fund to spare"
    );
    assert!(severe.deficit.p50_idr > normal.deficit.p50_idr);
}

#[test]
fn shocks_are_seeded_per_path() {
    let shock = [-0.5, -0.6, -0.75];
    let a = shocked_price_ratio(&shock, 0.3, 7, StressScenario::Severe, 3);
    assert_eq!(
        a,
        shocked_price_ratio(&shock, 0.3, 7, StressScenario::Severe, 3)
    );
    assert_ne!(
        a,
        shocked_price_ratio(&shock, 0.3, 7, StressScenario::Severe, 4)
    );
    assert_eq!(
        shocked_price_ratio(&shock, 0.0, 7, StressScenario::Severe, 4),
        [0.5, 0.4, 0.25]
    );
    assert!(a.iter().all(|&p| p > 0.0));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let config = Config::default();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let report = pool.install(|| {
            run_insurance_fund(
                &config.insurance_fund,
                &config.market,
                AUM_IDR,
                &StressScenario::ALL,
            )
        });
        serde_json::to_string(&report).unwrap()
    };
    assert_eq!(run(1), run(3));
}
