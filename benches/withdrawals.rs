//! Throughput of the weekend withdrawal Monte Carlo (paths per second) and the wall time
//! of the default batch run. `cargo bench --bench withdrawals`; figures go to BENCHMARKS.md.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sentinel::batch::{BatchRequest, run_batch};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::process::WeekendProcess;
use sentinel::model::user_base::UserBase;

fn withdrawal_paths(c: &mut Criterion) {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let mut group = c.benchmark_group("withdrawal_mc");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for name in [ScenarioName::Normal, ScenarioName::Severe] {
        let model =
            WeekendProcess::new(config.scenarios.get(name), &users, config.window.hours).unwrap();
        for paths in [10_000usize, 1_000_000] {
            group.throughput(Throughput::Elements(paths as u64));
            group.bench_with_input(
                BenchmarkId::new(name.as_str(), paths),
                &paths,
                |b, &paths| {
                    b.iter(|| model.run(paths, 42, name.stream_id()));
                },
            );
        }
    }
    group.finish();
}

fn default_batch(c: &mut Criterion) {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios: ScenarioName::ALL.to_vec(),
        paths: 10_000,
        seed: 42,
    };
    let mut group = c.benchmark_group("batch");
    group.sample_size(20);
    group.bench_function("simulate_default_3x10000", |b| {
        b.iter(|| run_batch(&config, &users, &request).unwrap())
    });
    group.bench_function("synthetic_user_base_100000", |b| {
        b.iter(|| UserBase::synthetic(&config.user_base))
    });
    group.finish();
}

criterion_group!(benches, withdrawal_paths, default_batch);
criterion_main!(benches);
