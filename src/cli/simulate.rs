//! `sentinel simulate`: the batch stress test on the command line. The configuration,
//! output checks and the run itself are shared with `sentinel report`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::progress::Progress;
use super::{RunArgs, RuntimeFailure, SimulateArgs, UserSource, load_config, load_market, tables};
use sentinel::batch::{BatchReport, BatchRequest, recommendation_band, run_batch_observed};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;

/// The configuration with the overrides applied and validated, and the description of the
/// closure sized for when `--window-start` is given.
pub(super) fn configure(o: &RunArgs) -> anyhow::Result<(Config, Option<String>)> {
    let mut config = load_config(o.config.as_deref())?;
    if let Some(paths) = o.paths {
        config.simulation.paths = paths;
    }
    if let Some(seed) = o.seed {
        config.simulation.seed = seed;
    }
    if let Some(threads) = o.threads {
        config.simulation.threads = threads;
    }
    let closure = match o.window_start {
        Some(from) => {
            let closure = super::calendar::apply_window_start(&mut config, from)?;
            Some(super::calendar::describe(&closure))
        }
        None => None,
    };
    config.validate().context("command-line overrides")?;
    Ok((config, closure))
}

/// A finished batch run with what it ran on.
pub(super) struct Outcome {
    pub report: BatchReport,
    pub users: UserBase,
    pub history: MarketHistory,
    pub elapsed: Duration,
    pub threads: usize,
}

/// Loads the user base and the market, runs the batch (and the sensitivity band when
/// `sensitivity_seeds` > 0), telling `progress`.
pub(super) fn execute(
    config: &Config,
    source: &UserSource,
    scenarios: Vec<ScenarioName>,
    sensitivity_seeds: u32,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    let users = source.load(config)?;
    let request = BatchRequest {
        scenarios,
        paths: config.simulation.paths as usize,
        seed: config.simulation.seed,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.simulation.threads as usize)
        .build()
        .context(RuntimeFailure("cannot start worker threads"))?;
    let started = std::time::Instant::now();
    let history = load_market(config)?;
    let mut report =
        pool.install(|| run_batch_observed(config, &users, &request, &history, progress))?;
    let alternatives = source.alternatives(config, sensitivity_seeds)?;
    if !alternatives.is_empty() {
        progress.message("user-base sensitivity band");
        let reported = report.recommendation.reserve_idr;
        let band =
            pool.install(|| recommendation_band(config, &request, reported, &alternatives))?;
        report.user_base_sensitivity = Some(band);
    }
    Ok(Outcome {
        report,
        users,
        history,
        elapsed: started.elapsed(),
        threads: pool.current_num_threads(),
    })
}

/// Where `--json` goes: standard output (`-`) or a file opened (created) before the run,
/// so an unwritable path fails before simulating.
pub(super) enum JsonSink {
    Stdout,
    File(std::fs::File, PathBuf),
}

impl JsonSink {
    /// `-` is standard output; any other path is created now.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if path.as_os_str() == "-" {
            return Ok(Self::Stdout);
        }
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot write the JSON report to {}", path.display()))?;
        Ok(Self::File(file, path.to_owned()))
    }

    /// Writes `report`; returns where, for the message (`None` for standard output).
    pub fn write(self, report: &BatchReport) -> anyhow::Result<Option<PathBuf>> {
        let json = serde_json::to_string_pretty(report)
            .context(RuntimeFailure("cannot serialise the report"))?;
        match self {
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{json}").context(RuntimeFailure("cannot write to stdout"))?;
                Ok(None)
            }
            Self::File(mut file, path) => {
                file.write_all(json.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))
                    .context(RuntimeFailure("writing the JSON report failed"))?;
                Ok(Some(path))
            }
        }
    }
}

/// Creates the `--csv` directory and proves it writable before the run.
pub(super) fn prepare_csv(dir: Option<&Path>) -> anyhow::Result<()> {
    if let Some(dir) = dir {
        sentinel::report::prepare_dir(dir).context("--csv")?;
    }
    Ok(())
}

/// Writes the report's tables as CSV into `dir`; returns how many files.
pub(super) fn write_csv(
    report: &BatchReport,
    config: &Config,
    dir: &Path,
) -> anyhow::Result<usize> {
    let files = sentinel::report::write_csv(report, config, dir)
        .context(RuntimeFailure("writing the CSV tables failed"))?;
    Ok(files.len())
}

pub(super) fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let (config, closure) = configure(&args.run)?;
    let json = args.json.as_deref().map(JsonSink::open).transpose()?;
    prepare_csv(args.csv.as_deref())?;
    let to_stdout = matches!(json, Some(JsonSink::Stdout));
    if let (Some(closure), false) = (&closure, to_stdout) {
        println!("CLOSURE SIZED FOR\n{closure}\n");
    }
    let progress = Progress::new(args.quiet);
    let outcome = execute(
        &config,
        &args.users,
        args.scenario.names(),
        args.sensitivity_seeds,
        &progress,
    );
    progress.finish();
    let Outcome {
        report,
        elapsed,
        threads,
        ..
    } = outcome?;
    let timing = format!(
        "\n{} scenario(s) x {} paths x {} h in {:.0} ms on {} thread(s); seed {}",
        report.scenarios.len(),
        report.paths,
        report.window_hours,
        elapsed.as_secs_f64() * 1e3,
        threads,
        report.seed
    );
    if to_stdout {
        eprintln!("{}", timing.trim_start());
    } else {
        let tables = tables::render(&report, tables::Labels::of(&config))
            .context("cannot format the tables")?;
        print!("{tables}");
        println!("{timing}");
    }
    if let Some(dir) = &args.csv {
        let n = write_csv(&report, &config, dir)?;
        eprintln!("{n} CSV tables written to {}", dir.display());
    }
    if let Some(path) = json.map(|sink| sink.write(&report)).transpose()?.flatten() {
        println!("JSON report written to {}", path.display());
    }
    Ok(())
}
