//! The `sentinel` binary: the command line of Liquidity Sentinel. It owns clap and
//! `anyhow`; the library (`sentinel::…`) owns the model, the monitor and the service.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::from(cli::exit_code(&error))
        }
    }
}
