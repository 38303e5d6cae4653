//! `sentinel simulate`: the batch stress test on the command line.

use anyhow::Context;

use super::{SimulateArgs, load_config, load_market, tables};
use sentinel::batch::{BatchRequest, recommendation_band, run_batch_with_market};

pub(super) fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(paths) = args.paths {
        config.simulation.paths = paths;
    }
    if let Some(seed) = args.seed {
        config.simulation.seed = seed;
    }
    if let Some(threads) = args.threads {
        config.simulation.threads = threads;
    }
    if let Some(from) = args.window_start {
        let closure = super::calendar::apply_window_start(&mut config, from)?;
        println!(
            "CLOSURE SIZED FOR\n{}\n",
            super::calendar::describe(&closure)
        );
    }
    config.validate().context("command-line overrides")?;

    let users = args.users.load(&config)?;
    let request = BatchRequest {
        scenarios: args.scenario.names(),
        paths: config.simulation.paths as usize,
        seed: config.simulation.seed,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.simulation.threads as usize)
        .build()
        .context("cannot start worker threads")?;
    let started = std::time::Instant::now();
    let history = load_market(&config)?;
    let mut report = pool.install(|| run_batch_with_market(&config, &users, &request, &history))?;
    let alternatives = args.users.alternatives(&config, args.sensitivity_seeds)?;
    if !alternatives.is_empty() {
        let reported = report.recommendation.reserve_idr;
        let band =
            pool.install(|| recommendation_band(&config, &request, reported, &alternatives))?;
        report.user_base_sensitivity = Some(band);
    }
    let elapsed = started.elapsed();

    let tables =
        tables::render(&report, tables::Labels::of(&config)).context("cannot format the tables")?;
    print!("{tables}");
    println!(
        "\n{} scenario(s) x {} paths x {} h in {:.0} ms on {} thread(s); seed {}",
        report.scenarios.len(),
        report.paths,
        report.window_hours,
        elapsed.as_secs_f64() * 1e3,
        pool.current_num_threads(),
        report.seed
    );
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report).context("cannot serialise the report")?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
        println!("JSON report written to {}", path.display());
    }
    Ok(())
}
