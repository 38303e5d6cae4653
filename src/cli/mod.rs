//! The `sentinel` command line, a module of the binary (not of the library). Thin: it
//! reads files, builds the model's inputs, calls the library (`sentinel::…`) and prints.
//! Errors surface with `anyhow` context here only.

mod calendar;
mod feed;
mod progress;
mod replay;
mod report;
mod serve;
mod simulate;
mod store;
mod tables;
mod token;
mod watch;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use sentinel::config::{Config, ScenarioName};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;

/// Weekend fiat-liquidity stress engine for a crypto exchange treasury.
#[derive(Debug, Parser)]
#[command(name = "sentinel", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the batch stress test and print the reserve recommendation.
    Simulate(SimulateArgs),
    /// Run the batch stress test and write the board report: a self-contained HTML page
    /// with charts (also as SVG and PNG), tables and a plain-words summary.
    Report(ReportArgs),
    /// Print the default configuration as TOML.
    Config,
    /// List the coming bank-rail closures (weekends, holidays, cuti bersama) and their lengths.
    Calendar(CalendarArgs),
    /// Run the live monitor: gRPC service, durable event log, projections and alerts.
    Serve(ServeArgs),
    /// Stream a simulated weekend into a running monitor.
    Feed(FeedArgs),
    /// Print a running monitor's alerts and projections as they arrive.
    Watch(WatchArgs),
    /// Replay one simulated weekend through the monitor's rules in simulated time and print
    /// the alert timeline (no live instance is touched).
    Replay(ReplayArgs),
    /// Backtest the alert policy on many simulated weekends per scenario: false pages,
    /// detection and lead time per critical threshold.
    BacktestAlerts(BacktestArgs),
    /// Check or repair the monitor's event log (run while the monitor is stopped).
    #[command(subcommand)]
    Store(StoreCommand),
    /// Role tokens: `sentinel token hash` prints the SHA-256 for the tokens file.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

/// `sentinel store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Read every record of the event log and report; changes nothing. Exits non-zero
    /// when the log is corrupt before its tail (the monitor would refuse to start).
    Verify(StoreArgs),
    /// Keep the valid records before the first bad one; move every byte after them (and
    /// later segments and snapshots) to `<name>.salvaged-<UTC time>` beside them (nothing
    /// is deleted).
    Salvage(StoreArgs),
}

/// Arguments of `sentinel store verify|salvage`.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Data directory of the monitor (default: monitor.data_dir of --config, `./data`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// TOML configuration, for its monitor.data_dir.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Arguments of `sentinel replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// TOML configuration (scenarios, reserve, alert thresholds); defaults when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Scenario to simulate: normal, mild or severe.
    #[arg(long, default_value = "severe", value_parser = parse_scenario)]
    pub scenario: ScenarioName,
    /// Seed of the simulated weekend (the same seed as `feed` gives the same weekend).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Typical retail withdrawal, IDR (events per hour = flow / this).
    #[arg(long, default_value_t = 5_000_000)]
    pub retail_event_idr: u64,
    /// Monte Carlo paths per projection (default: monitor.paths of the config).
    #[arg(long)]
    pub projection_paths: Option<u32>,
}

/// Arguments of `sentinel backtest-alerts`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// TOML configuration (scenarios, reserve, alert thresholds); defaults when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Simulated weekends per scenario.
    #[arg(long, default_value_t = 1_000)]
    pub weekends: u64,
    /// Seed of the first weekend (weekend i uses seed + i).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Monte Carlo paths per hourly projection.
    #[arg(long, default_value_t = 1_000)]
    pub projection_paths: u32,
    /// Typical retail withdrawal, IDR (larger = fewer events, the same hourly flows).
    #[arg(long, default_value_t = 1_000_000_000)]
    pub retail_event_idr: u64,
    /// Also write the report to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `sentinel calendar`.
#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// First day to look from, `YYYY-MM-DD` (WIB).
    #[arg(long)]
    pub from: jiff::civil::Date,
    /// How many closures to list.
    #[arg(long, default_value_t = 8)]
    pub count: usize,
    /// TOML configuration (holiday list, closing and reopening hours).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Arguments of `sentinel serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration; fields left out take the documented defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Directory of the event store (default: monitor.data_dir, `./data`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on (default: monitor.grpc_addr, 127.0.0.1:50051; port 0 = any free port).
    #[arg(long)]
    pub grpc_addr: Option<String>,
    /// Address of the Prometheus endpoint (default: monitor.metrics_addr, 127.0.0.1:9464).
    #[arg(long)]
    pub metrics_addr: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
    /// Drill only: run the monitor's wall clock from this moment (Unix ms) at real speed,
    /// e.g. inside a past closure so that replaying it with `feed --weeks-ago` pages. The
    /// clock decides whether the rails are closed; production leaves this unset.
    #[arg(long)]
    pub clock_start_unix_ms: Option<i64>,
    /// Bench only: after every this many committed events, stall the sequencer thread for
    /// `--bench-stall-ms` (what an fsync stall does to ingestion). Production leaves it
    /// unset.
    #[arg(long, hide = true, requires = "bench_stall_ms")]
    pub bench_stall_every_events: Option<u64>,
    /// Bench only: length of each stall of `--bench-stall-every-events`, ms.
    #[arg(long, hide = true, requires = "bench_stall_every_events")]
    pub bench_stall_ms: Option<u64>,
    /// Where the exposure model's user base comes from (default: synthetic).
    #[command(flatten)]
    pub users: UserSource,
    /// TLS, tokens and the explicit opt-ins for non-loopback addresses.
    #[command(flatten)]
    pub access: serve::ServeAccessArgs,
}

/// Arguments of `sentinel feed`.
#[derive(Debug, clap::Args)]
pub struct FeedArgs {
    /// Monitor address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// TOML configuration (user base, window, scenarios); defaults when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Scenario to simulate: normal, mild or severe.
    #[arg(long, default_value = "severe", value_parser = parse_scenario)]
    pub scenario: ScenarioName,
    /// Replay speed: simulated seconds per wall second (3600 = one hour per second; 0 = no pacing).
    #[arg(long, default_value_t = 3600.0)]
    pub speed: f64,
    /// Seed of the simulated weekend (event ids are `sim-<seed>-<n>`).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Which completed window the events are dated in: 1 = the latest fully closed one.
    /// A live monitor stores and counts a past window's events but pages nothing for them.
    #[arg(long, default_value_t = 1, conflicts_with = "current")]
    pub weeks_ago: u32,
    /// Date the events in the closure in progress instead (the rails must be closed now);
    /// events dated after now have not happened yet and are not sent.
    #[arg(long)]
    pub current: bool,
    /// Typical retail withdrawal, IDR: each hour's retail flow is split into events of this size.
    #[arg(long, default_value_t = 5_000_000)]
    pub retail_event_idr: u64,
    /// Set this reserve (IDR, available from the close) before feeding.
    #[arg(long)]
    pub reserve_idr: Option<u64>,
    /// TLS options; the token comes from `SENTINEL_TOKEN`.
    #[command(flatten)]
    pub access: watch::ClientAccessArgs,
}

/// Arguments of `sentinel watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Monitor address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub addr: String,
    /// Print alerts only.
    #[arg(long, conflicts_with = "projections_only")]
    pub alerts_only: bool,
    /// Print projections only.
    #[arg(long)]
    pub projections_only: bool,
    /// TLS options; the token comes from `SENTINEL_TOKEN`.
    #[command(flatten)]
    pub access: watch::ClientAccessArgs,
}

fn parse_scenario(text: &str) -> Result<ScenarioName, String> {
    text.parse()
}

/// A tokio runtime for the async commands.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Which scenarios to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioChoice {
    /// Baseline weekend.
    Normal,
    /// Market correction.
    Mild,
    /// Loss of confidence.
    Severe,
    /// All three.
    All,
}

impl ScenarioChoice {
    fn names(self) -> Vec<ScenarioName> {
        match self {
            Self::Normal => vec![ScenarioName::Normal],
            Self::Mild => vec![ScenarioName::Mild],
            Self::Severe => vec![ScenarioName::Severe],
            Self::All => ScenarioName::ALL.to_vec(),
        }
    }
}

/// The configuration of a batch run and its command-line overrides (`simulate`,
/// `report`).
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// TOML configuration; fields left out take the documented defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Paths per scenario (default: simulation.paths of the config).
    #[arg(long)]
    pub paths: Option<u32>,
    /// Master seed (default: simulation.seed of the config).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 0 = one per core (default: simulation.threads of the config).
    #[arg(long)]
    pub threads: Option<u32>,
    /// Size the reserve for the bank-rail closure that starts on or after this day
    /// (`YYYY-MM-DD`, from the holiday calendar) instead of the configured weekly window.
    #[arg(long, value_name = "DATE")]
    pub window_start: Option<jiff::civil::Date>,
}

/// Arguments of `sentinel simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The configuration and what the command line overrides in it.
    #[command(flatten)]
    pub run: RunArgs,
    /// Scenario(s) to run.
    #[arg(long, value_enum, default_value = "all")]
    pub scenario: ScenarioChoice,
    /// Write the full report as JSON to this file (`-`: to standard output, instead of
    /// the text tables).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write each table as CSV into this directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// No progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Where the user base comes from.
    #[command(flatten)]
    pub users: UserSource,
    /// Synthetic user bases (the next seeds after `user_base.seed`) on which the
    /// recommendation is re-designed to print its sensitivity band (about 0.1 s each);
    /// 0, the default, skips it. Real accounts (`--users-csv`) have none.
    #[arg(long, default_value_t = 0)]
    pub sensitivity_seeds: u32,
}

/// Arguments of `sentinel report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Directory of the report (created if needed): `report.html` and each chart as SVG and PNG.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The configuration and what the command line overrides in it.
    #[command(flatten)]
    pub run: RunArgs,
    /// Also write each table as CSV into this directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub csv: Option<PathBuf>,
    /// Also write the full report as JSON to this file (`-`: to standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Include the false-page / lead-time table of `sentinel backtest-alerts --out FILE`.
    #[arg(long, value_name = "FILE")]
    pub alert_backtest: Option<PathBuf>,
    /// No progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Where the user base comes from.
    #[command(flatten)]
    pub users: UserSource,
    /// Synthetic user bases on which the recommendation is re-designed for its sensitivity
    /// band (as `simulate`); 0, the default, skips it.
    #[arg(long, default_value_t = 0)]
    pub sensitivity_seeds: u32,
}

/// Marks an error as a runtime failure (exit code 1: the run itself failed, e.g. a disk
/// filled up while writing) rather than bad usage or input (exit code 2).
#[derive(Debug, Clone, Copy)]
pub struct RuntimeFailure(pub &'static str);

impl std::fmt::Display for RuntimeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The exit code of a failed command: 1 for a runtime failure, 2 for bad usage or input.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<RuntimeFailure>().is_some() {
        1
    } else {
        2
    }
}

/// Where the user base comes from: real accounts, real cohort totals, or (by default)
/// the synthetic base of the config.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UserSource {
    /// Real accounts: a CSV `account_id,cohort,balance_idr` instead of the synthetic base.
    #[arg(long, conflicts_with = "cohort_totals")]
    pub users_csv: Option<PathBuf>,
    /// Real cohort totals `RETAIL_IDR,INSTITUTIONAL_IDR` (e.g. from a Proof-of-Reserve report).
    #[arg(long, value_name = "RETAIL_IDR,INSTITUTIONAL_IDR")]
    pub cohort_totals: Option<String>,
}

impl UserSource {
    /// Loads the user base; a bad CSV row or total is an error naming it.
    pub fn load(&self, config: &Config) -> anyhow::Result<UserBase> {
        if let Some(path) = &self.users_csv {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return UserBase::from_csv(&text)
                .with_context(|| format!("user CSV {}", path.display()));
        }
        if let Some(totals) = &self.cohort_totals {
            let parts: Vec<&str> = totals.split(',').map(str::trim).collect();
            let [retail, institutional] = parts.as_slice() else {
                anyhow::bail!(
                    "--cohort-totals expects RETAIL_IDR,INSTITUTIONAL_IDR, got `{totals}`"
                );
            };
            let parse = |field: &str, text: &str| -> anyhow::Result<u64> {
                text.replace('_', "").parse().with_context(|| {
                    format!("--cohort-totals: {field} `{text}` is not a whole number of IDR")
                })
            };
            return Ok(UserBase::from_cohort_totals(
                &config.user_base,
                parse("retail", retail)?,
                parse("institutional", institutional)?,
            )?);
        }
        Ok(UserBase::synthetic(&config.user_base))
    }

    /// `count` user bases like [`UserSource::load`]'s from the seeds after
    /// `user_base.seed`, as `(seed, users)`; none for real accounts.
    pub fn alternatives(
        &self,
        config: &Config,
        count: u32,
    ) -> anyhow::Result<Vec<(u64, UserBase)>> {
        if self.users_csv.is_some() {
            return Ok(Vec::new());
        }
        (1..=u64::from(count))
            .map(|k| {
                let mut other = config.clone();
                other.user_base.seed = config.user_base.seed.wrapping_add(k);
                Ok((other.user_base.seed, self.load(&other)?))
            })
            .collect()
    }
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Report(args) => report::run(args),
        Command::Config => {
            print!("{}", Config::default_toml());
            Ok(())
        }
        Command::Calendar(args) => calendar::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Replay(args) => replay::run_replay(args),
        Command::BacktestAlerts(args) => replay::run_backtest(args),
        Command::Feed(args) => feed::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Store(command) => store::run(command),
        Command::Token(command) => token::run(command),
    }
}

/// Loads and validates `path`, or the defaults when there is none.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    match path {
        None => Ok(Config::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read config file {}", path.display()))?;
            Config::from_toml_str(&text).with_context(|| format!("config file {}", path.display()))
        }
    }
}

/// The market history of `config`: the price CSV `market.prices_csv` names, or (when it
/// is empty) the synthetic regime-switching history of `market`. The one loader of
/// `simulate` and `serve`, so both commands price the crypto book on the same history.
/// A bad CSV is an error naming the file, the line and the field; a CSV shorter than
/// `lookback_days + stressed_window_days` returns is an error naming the shortfall.
pub fn load_market(config: &Config) -> anyhow::Result<MarketHistory> {
    let path = config.market.prices_csv.trim();
    if path.is_empty() {
        return MarketHistory::synthetic(&config.market).context("market config");
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read price CSV {path}"))?;
    let history =
        MarketHistory::from_price_csv(&text).with_context(|| format!("price CSV {path}"))?;
    config
        .market
        .check_history_days(history.days())
        .with_context(|| format!("price CSV {path}"))?;
    Ok(history)
}
