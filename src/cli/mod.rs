//! The `sentinel` command line. Thin: it reads files, builds the model's inputs,
//! calls the model and prints. Errors surface with `anyhow` context here only.

mod simulate;
mod tables;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{Config, ScenarioName};

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
    /// Print the default configuration as TOML.
    Config,
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

/// Arguments of `sentinel simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// TOML configuration; fields left out take the documented defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Scenario(s) to run.
    #[arg(long, value_enum, default_value = "all")]
    pub scenario: ScenarioChoice,
    /// Paths per scenario (default: simulation.paths of the config).
    #[arg(long)]
    pub paths: Option<u32>,
    /// Master seed (default: simulation.seed of the config).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads, 0 = one per core (default: simulation.threads of the config).
    #[arg(long)]
    pub threads: Option<u32>,
    /// Write the full report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Real accounts: a CSV `account_id,cohort,balance_idr` instead of the synthetic base.
    #[arg(long, conflicts_with = "cohort_totals")]
    pub users_csv: Option<PathBuf>,
    /// Real cohort totals `RETAIL_IDR,INSTITUTIONAL_IDR` (e.g. from a Proof-of-Reserve report).
    #[arg(long, value_name = "RETAIL_IDR,INSTITUTIONAL_IDR")]
    pub cohort_totals: Option<String>,
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Config => {
            print!("{}", Config::default_toml());
            Ok(())
        }
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
