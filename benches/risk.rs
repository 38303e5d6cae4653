//! Wall time of the market-risk suite and of the path-based insurance-fund Monte Carlo
//! (4 scenarios × 500 paths of 24 hourly steps × 5,000 traders). `cargo bench --bench risk`;
//! figures go to BENCHMARKS.md.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sentinel::config::{Config, StressScenario};
use sentinel::model::insurance::run_insurance_fund;
use sentinel::model::market::MarketHistory;
use sentinel::model::var::var_suite;

fn var(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("market_risk");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("synthetic_history_1095_days", |b| {
        b.iter(|| MarketHistory::synthetic(&config.market).unwrap())
    });
    let history = MarketHistory::synthetic(&config.market).unwrap();
    group.bench_function("var_suite_with_backtests_1095_days", |b| {
        b.iter(|| var_suite(&history, &config.market, 0.065))
    });
    group.finish();
}

fn insurance(c: &mut Criterion) {
    let config = Config::default();
    let aum_idr = config.user_base.total_fiat_idr as f64;
    let mut group = c.benchmark_group("insurance_fund");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("4_scenarios_x_500_paths_x_5000_traders", |b| {
        b.iter(|| {
            run_insurance_fund(
                &config.insurance_fund,
                &config.market,
                aum_idr,
                &StressScenario::ALL,
            )
            .unwrap()
        })
    });
    let mut big = config.insurance_fund.clone();
    big.paths = 100_000;
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(6));
    group.bench_function("4_scenarios_x_100000_paths_x_5000_traders", |b| {
        b.iter(|| run_insurance_fund(&big, &config.market, aum_idr, &StressScenario::ALL).unwrap())
    });
    group.finish();
}

criterion_group!(benches, var, insurance);
criterion_main!(benches);
