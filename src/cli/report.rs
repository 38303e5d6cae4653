//! `sentinel report`: the board report. Runs the batch like `simulate`, then writes
//! `DIR/report.html` (self-contained), each chart as SVG and PNG, and optionally the tables
//! as CSV and the JSON report. Every output path is checked before the run.

use std::path::Path;

use anyhow::Context;

use super::progress::Progress;
use super::simulate::{JsonSink, Outcome, configure, execute, prepare_csv, write_csv};
use super::{ReportArgs, RuntimeFailure};
use sentinel::config::ScenarioName;
use sentinel::report::{ReportData, prepare_dir, write_report};

pub(super) fn run(args: ReportArgs) -> anyhow::Result<()> {
    let (config, closure) = configure(&args.run)?;
    prepare_dir(&args.out).context("--out")?;
    prepare_csv(args.csv.as_deref())?;
    let json = args.json.as_deref().map(JsonSink::open).transpose()?;
    let alert_backtest = read_alert_backtest(args.alert_backtest.as_deref())?;
    let to_stdout = matches!(json, Some(JsonSink::Stdout));
    let say = |line: String| {
        if to_stdout {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    if let Some(closure) = &closure {
        say(format!("CLOSURE SIZED FOR\n{closure}\n"));
    }
    let progress = Progress::new(args.quiet);
    let outcome = execute(
        &config,
        &args.users,
        ScenarioName::ALL.to_vec(),
        args.sensitivity_seeds,
        &progress,
    )
    .and_then(|outcome| {
        progress.message("drawing the charts");
        let data = ReportData {
            report: &outcome.report,
            config: &config,
            users: &outcome.users,
            history: &outcome.history,
            alert_backtest: alert_backtest.as_deref(),
        };
        let files = write_report(&data, &args.out)
            .context(RuntimeFailure("writing the board report failed"))?;
        Ok((outcome, files))
    });
    progress.finish();
    let (
        Outcome {
            report, elapsed, ..
        },
        files,
    ) = outcome?;
    say(format!(
        "Board report written to {} ({} charts as SVG and PNG beside it); simulation {:.0} ms",
        files.html.display(),
        files.chart_stems.len(),
        elapsed.as_secs_f64() * 1e3
    ));
    if let Some(dir) = &args.csv {
        let n = write_csv(&report, &config, dir)?;
        say(format!("{n} CSV tables written to {}", dir.display()));
    }
    if let Some(path) = json.map(|sink| sink.write(&report)).transpose()?.flatten() {
        say(format!("JSON report written to {}", path.display()));
    }
    Ok(())
}

/// The text of a `sentinel backtest-alerts --out` file, read before the run.
fn read_alert_backtest(path: Option<&Path>) -> anyhow::Result<Option<String>> {
    path.map(|p| {
        std::fs::read_to_string(p)
            .with_context(|| format!("cannot read the alert backtest {}", p.display()))
    })
    .transpose()
}
