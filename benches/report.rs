//! Cost of the board report for the default config: the batch run (10,000 paths × 3
//! scenarios) plus the charts (SVG and PNG), the HTML page and the CSV tables.
//! `cargo bench --bench report`; the goal is under 2 s.

use criterion::{Criterion, criterion_group, criterion_main};
use sentinel::batch::{BatchRequest, run_batch_with_market};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;
use sentinel::report::{ReportData, write_csv, write_report};

fn report(c: &mut Criterion) {
    let config = Config::default();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("board_report");
    group.sample_size(10);
    group.bench_function("default_config_run_and_report", |b| {
        b.iter(|| {
            let users = UserBase::synthetic(&config.user_base);
            let history = MarketHistory::synthetic(&config.market).expect("market");
            let request = BatchRequest {
                scenarios: ScenarioName::ALL.to_vec(),
                paths: config.simulation.paths as usize,
                seed: config.simulation.seed,
            };
            let report = run_batch_with_market(&config, &users, &request, &history).expect("run");
            let data = ReportData {
                report: &report,
                config: &config,
                users: &users,
                history: &history,
                alert_backtest: None,
            };
            write_report(&data, dir.path()).expect("report");
            write_csv(&report, &config, dir.path()).expect("csv")
        })
    });
    group.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
