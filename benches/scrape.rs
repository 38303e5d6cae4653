//! Cost of one Prometheus scrape of the service's metrics (encode every series).
//! `cargo bench --bench scrape`; the target is well under 1 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use sentinel::batch::{BatchRequest, run_batch};
use sentinel::config::Config;
use sentinel::metrics::Metrics;
use sentinel::model::user_base::UserBase;
use sentinel::monitor::alerts::{AlertRule, Severity};
use sentinel::monitor::state::ReservePosition;

fn populated_metrics() -> Metrics {
    let config = Config::default();
    let metrics = Metrics::new().expect("metrics register");
    metrics.set_thresholds(&config.monitor);
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios: vec![config.reserve.planning_scenario],
        paths: 2_000,
        seed: 1,
    };
    metrics.set_policy(&run_batch(&config, &users, &request).unwrap());
    metrics.set_reserve(&ReservePosition::immediate(250_000_000_000));
    for rule in AlertRule::ALL {
        metrics.set_alert(rule, Severity::Critical, true);
    }
    metrics.set_store(1 << 30, 1_000_000, 1.7e9);
    metrics
}

fn scrape(c: &mut Criterion) {
    let metrics = populated_metrics();
    c.bench_function("scrape_encode_all_series", |b| b.iter(|| metrics.encode()));
}

criterion_group!(benches, scrape);
criterion_main!(benches);
