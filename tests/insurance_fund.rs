//! The insurance fund along a price path with liquidation at the maintenance margin: known
//! answers and invariants.

use sentinel::config::{Config, InsuranceFundConfig, StressScenario};
use sentinel::model::insurance::{
    DerivativesBook, LiquidationRules, Position, bridge_log_path, run_insurance_fund,
    shocked_price_ratio, synthetic_population,
};
use sentinel::model::rng::path_rng;

const AUM_IDR: f64 = 795_000_000_000.0;

fn rules(impact: f64) -> LiquidationRules {
    LiquidationRules {
        maintenance_margin_rate: 0.005,
        liquidation_fee_rate: 0.0075,
        impact_per_open_interest: impact,
    }
}

/// A straight log-price path from 0 to `ln ratio` in `steps` equal steps (zero volatility).
fn straight(ratio: [f64; 3], steps: usize) -> Vec<[f64; 3]> {
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut rng = path_rng(1, 2, 3);
    bridge_log_path(ratio, [0.0; 3], &identity, steps, &mut rng)
}

/// What the brute-force engine found: (losses, fees, clawback, fund at the end, fund low).
type Brute = (f64, f64, f64, f64, f64);

/// The engine position by position: the reference the prefix-sum engine must equal.
fn brute_force(positions: &[Position], path: &[[f64; 3]], r: LiquidationRules, fund: f64) -> Brute {
    let mut open_interest = [0.0; 3];
    for x in positions {
        open_interest[x.asset] += x.notional_idr;
    }
    let mm = r.maintenance_margin_rate;
    let mut worst = vec![0.0f64; positions.len()];
    let mut done = vec![false; positions.len()];
    let mut impact = [0.0; 3];
    let (mut losses, mut fees, mut clawback, mut balance, mut low) = (0.0, 0.0, 0.0, fund, fund);
    for point in &path[1..] {
        let price: [f64; 3] = std::array::from_fn(|a| (point[a] + impact[a]).exp());
        let (mut step_fees, mut step_losses, mut net) = (0.0, 0.0, [0.0; 3]);
        for (i, x) in positions.iter().enumerate() {
            let adverse = if x.long {
                1.0 - price[x.asset]
            } else {
                price[x.asset] - 1.0
            };
            worst[i] = worst[i].max(adverse);
            let f = x.margin_fraction();
            if done[i] || f - mm >= worst[i] {
                continue;
            }
            done[i] = true;
            if adverse > f {
                step_losses += x.notional_idr * (adverse - f);
            } else {
                step_fees += x.notional_idr * r.liquidation_fee_rate.min(mm);
            }
            net[x.asset] += if x.long {
                x.notional_idr
            } else {
                -x.notional_idr
            };
        }
        for a in 0..3 {
            impact[a] -= r.impact_per_open_interest * net[a] / open_interest[a];
        }
        losses += step_losses;
        fees += step_fees;
        let next = balance + step_fees - step_losses;
        clawback += (-next).max(0.0);
        balance = next.max(0.0);
        low = low.min(balance);
    }
    (losses, fees, clawback, balance, low)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn prefix_sum_engine_equals_the_position_by_position_engine() {
    let positions = synthetic_population(&InsuranceFundConfig::default(), AUM_IDR);
    let book = DerivativesBook::new(&positions);
    let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let fund = 0.01 * positions.iter().map(|p| p.notional_idr).sum::<f64>();
    let (mut saw_loss, mut saw_fee, mut saw_clawback) = (false, false, false);
    for (k, ratio) in [
        [0.96, 0.95, 0.93],
        [0.75, 0.68, 0.55],
        [0.5, 0.4, 0.12],
        [1.08, 1.1, 1.2],
    ]
    .into_iter()
    .enumerate()
    {
        let mut rng = path_rng(9, 1, k as u64);
        let noisy = bridge_log_path(ratio, [0.02, 0.025, 0.03], &identity, 24, &mut rng);
        for path in [straight(ratio, 24), noisy] {
            for r in [rules(0.0), rules(0.2), rules(1.0)] {
                let fast = book.run_path(&path, r, fund);
                let (losses, fees, clawback, end, low) = brute_force(&positions, &path, r, fund);
                assert!(
                    close(fast.bankruptcy_loss_idr, losses),
                    "{ratio:?}: {} vs {losses}",
                    fast.bankruptcy_loss_idr
                );
                assert!(
                    close(fast.fees_idr, fees),
                    "{ratio:?}: fees {} vs {fees}",
                    fast.fees_idr
                );
                assert!(close(fast.clawback_idr, clawback));
                assert!(close(fast.fund_end_idr, end) && close(fast.fund_low_idr, low));
                saw_loss |= losses > 0.0;
                saw_fee |= fees > 0.0;
                saw_clawback |= clawback > 0.0;
            }
        }
    }
    assert!(
        saw_loss && saw_fee && saw_clawback,
        "the cases exercise gaps, fees and clawback"
    );
}

#[test]
fn with_zero_volatility_and_no_gap_nothing_liquidates_above_maintenance_margin() {
    // One 10x long: margin fraction 0.1, liquidation at an adverse move of 0.1 − 0.005 = 0.095.
    let long = Position {
        asset: 0,
        long: true,
        notional_idr: 1_000.0,
        margin_idr: 100.0,
        institutional: false,
    };
    let book = DerivativesBook::new(&[long]);
    let quiet = book.run_path(&straight([0.906, 1.0, 1.0], 200), rules(0.5), 40.0);
    assert_eq!(
        quiet.liquidated_notional_idr, 0.0,
        "equity 9.4% of notional stays above mm"
    );
    assert_eq!(
        (quiet.fund_end_idr, quiet.fund_low_idr, quiet.fees_idr),
        (40.0, 40.0, 0.0)
    );
    // Past the liquidation level in steps of under 0.05%: filled at the liquidation price, no
    // loss, and the fund takes min(fee, mm) · N = 0.005 · 1000 = 5.
    let liquidated = book.run_path(&straight([0.9, 1.0, 1.0], 200), rules(0.5), 40.0);
    assert_eq!(liquidated.liquidated_notional_idr, 1_000.0);
    assert_eq!(liquidated.bankruptcy_loss_idr, 0.0);
    assert!((liquidated.fund_end_idr - 45.0).abs() < 1e-9);
    assert_eq!(liquidated.fund_low_idr, 40.0, "the fund never dipped");
}

#[test]
fn a_gap_past_the_bankruptcy_price_costs_the_fund_and_then_the_traders() {
    let long = Position {
        asset: 0,
        long: true,
        notional_idr: 1_000.0,
        margin_idr: 100.0,
        institutional: false,
    };
    let book = DerivativesBook::new(&[long]);
    // One step from 1 to 0.85: adverse move 0.15 > 0.1, loss 1000 · (0.15 − 0.1) = 50.
    let gap = book.run_path(&straight([0.85, 1.0, 1.0], 1), rules(0.0), 30.0);
    assert!((gap.bankruptcy_loss_idr - 50.0).abs() < 1e-9);
    assert_eq!(gap.fees_idr, 0.0);
    assert!((gap.clawback_idr - 20.0).abs() < 1e-9, "50 − 30 socialised");
    assert_eq!((gap.fund_end_idr, gap.fund_low_idr), (0.0, 0.0));
    assert!(gap.exhausted() && gap.auto_deleveraged());
}

#[test]
fn a_path_without_gaps_raises_the_fund_by_exactly_the_fees() {
    let config = InsuranceFundConfig::default();
    let positions = synthetic_population(&config, AUM_IDR);
    let book = DerivativesBook::new(&positions);
    let ratio = [0.9, 0.9, 0.9];
    // 400 steps of 0.026% each, well under the 0.5% maintenance band: no fill can gap.
    let path = straight(ratio, 400);
    let r = rules(0.0);
    let fund = 1e9;
    let outcome = book.run_path(&path, r, fund);
    let liquidated: Vec<&Position> = positions
        .iter()
        .filter(|p| p.long && p.margin_fraction() - r.maintenance_margin_rate < 0.1 - 1e-12)
        .collect();
    assert!(liquidated.len() > 100, "the path liquidates many longs");
    let notional: f64 = liquidated.iter().map(|p| p.notional_idr).sum();
    let fees = 0.005 * notional;
    assert_eq!(outcome.bankruptcy_loss_idr, 0.0);
    assert_eq!(outcome.gapped_notional_idr, 0.0);
    assert!(close(outcome.liquidated_notional_idr, notional));
    assert!(close(outcome.fees_idr, fees));
    assert!(
        close(outcome.fund_end_idr - fund, fees),
        "the fund grows by the fees, nothing else"
    );
}

#[test]
fn the_bridge_ends_at_the_shock_and_is_straight_without_volatility() {
    let ratio = [0.5, 0.4, 0.25];
    let line = straight(ratio, 24);
    assert_eq!(line.len(), 25);
    for (t, point) in line.iter().enumerate() {
        for a in 0..3 {
            let want = t as f64 / 24.0 * f64::ln(ratio[a]);
            assert!((point[a] - want).abs() < 1e-12);
        }
    }
    let factor = [[1.0, 0.0, 0.0], [0.9, 0.4359, 0.0], [0.85, 0.2, 0.4873]];
    let mut rng = path_rng(5, 6, 7);
    let noisy = bridge_log_path(ratio, [0.016, 0.02, 0.03], &factor, 24, &mut rng);
    assert_eq!(noisy[0], [0.0; 3]);
    for a in 0..3 {
        assert!((noisy[24][a] - f64::ln(ratio[a])).abs() < 1e-12);
    }
    assert!(
        noisy[12] != line[12],
        "volatility moves the path between the ends"
    );
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
fn fund_drawdown_is_spread_bounded_and_grows_with_the_scenario() {
    let config = Config::default();
    let report = run_insurance_fund(
        &config.insurance_fund,
        &config.market,
        AUM_IDR,
        &StressScenario::ALL,
    )
    .unwrap();
    let oi = 1.5 * AUM_IDR;
    assert!((report.open_interest_idr / oi - 1.0).abs() < 1e-9);
    assert!((report.fund_idr - config.insurance_fund.fund_share_of_open_interest * oi).abs() < 1.0);
    for (name, s) in &report.scenarios {
        let d = &s.drawdown;
        assert!(
            d.p50_idr >= 0.0 && d.p999_idr <= report.fund_idr + 1e-6,
            "{name}"
        );
        assert!((0.0..=1.0).contains(&s.exhaustion_probability));
        assert!(s.adl_probability <= s.exhaustion_probability, "{name}");
        assert!(s.expected_clawback_idr >= 0.0 && s.mean_fees_idr >= 0.0);
        assert!(
            s.amplification_mean >= 1.0 - 1e-12,
            "{name}: forced selling deepens the move"
        );
    }
    for scenario in [
        StressScenario::Mild,
        StressScenario::Severe,
        StressScenario::Luna,
    ] {
        let s = &report.scenarios[&scenario];
        assert!(
            s.drawdown.std_idr > 0.0,
            "{scenario}: the drawdown is a distribution"
        );
        assert!(s.drawdown.p99_idr > s.drawdown.p50_idr, "{scenario}");
    }
    let normal = &report.scenarios[&StressScenario::Normal];
    let severe = &report.scenarios[&StressScenario::Severe];
    assert!(severe.drawdown.p50_idr > normal.drawdown.p50_idr);
    assert!(severe.mean_liquidated_share > normal.mean_liquidated_share);
}

#[test]
fn a_maintenance_margin_above_an_initial_margin_is_refused_naming_the_field() {
    let err = Config::from_toml_str("[insurance_fund]\nmaintenance_margin_rate = 0.02\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("insurance_fund.maintenance_margin_rate"),
        "{err}"
    );
    let err = Config::from_toml_str(
        "[insurance_fund]\ndepth_share_of_open_interest = [0.1, 0.05, 0.0, 0.02]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("insurance_fund.depth_share_of_open_interest[2]"),
        "{err}"
    );
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
            .unwrap()
        });
        serde_json::to_string(&report).unwrap()
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn the_bridge_has_the_brownian_bridge_variance_and_the_regime_correlation() {
    // Var(X_t) = σ_h² t (T − t) / T: at t = 12 of 24 with σ_h = 0.01, 0.01² · 6 = 6e-4;
    // Corr(X_t,a, X_t,b) = ρ for every t.
    let rho = 0.8f64;
    let factor = [
        [1.0, 0.0, 0.0],
        [rho, (1.0 - rho * rho).sqrt(), 0.0],
        [0.0, 0.0, 1.0],
    ];
    let n = 20_000;
    let (mut s0, mut s1, mut s01) = (0.0, 0.0, 0.0);
    for path in 0..n {
        let mut rng = path_rng(11, 12, path);
        let x = bridge_log_path([1.0; 3], [0.01; 3], &factor, 24, &mut rng);
        s0 += x[12][0] * x[12][0];
        s1 += x[12][1] * x[12][1];
        s01 += x[12][0] * x[12][1];
    }
    let (v0, v1) = (s0 / n as f64, s1 / n as f64);
    // Standard error of a variance estimate: √(2/n) ≈ 1%; allow 4%.
    assert!((v0 / 6e-4 - 1.0).abs() < 0.04, "{v0}");
    assert!((v1 / 6e-4 - 1.0).abs() < 0.04, "{v1}");
    let corr = s01 / n as f64 / (v0 * v1).sqrt();
    assert!((corr - rho).abs() < 0.02, "{corr}");
}

#[test]
fn each_scenario_runs_at_its_market_regime_volatility_and_depth() {
    let config = Config::default();
    let report = run_insurance_fund(
        &config.insurance_fund,
        &config.market,
        AUM_IDR,
        &StressScenario::ALL,
    )
    .unwrap();
    let m = &config.market;
    let want = [
        (StressScenario::Normal, m.normal.vol_per_day, 0.1),
        (StressScenario::Mild, m.stressed.vol_per_day, 0.05),
        (StressScenario::Severe, m.crisis.vol_per_day, 0.03),
        (StressScenario::Luna, m.crisis.vol_per_day, 0.02),
    ];
    for (scenario, vol, depth) in want {
        let s = &report.scenarios[&scenario];
        assert_eq!(s.vol_per_day, vol, "{scenario}");
        assert_eq!(s.depth_share_of_open_interest, depth, "{scenario}");
    }
}
