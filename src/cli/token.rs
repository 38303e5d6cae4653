//! `sentinel token hash`: the SHA-256 line of a role token for the tokens file.

use std::io::BufRead;

use anyhow::Context;
use clap::Subcommand;

/// `sentinel token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Read a token from standard input (one line; it is never printed or logged) and print
    /// its SHA-256, the `sha256` of a `[[token]]` entry of the tokens file.
    Hash,
}

pub(super) fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Hash => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the token from standard input")?;
            let token = line.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(
                token.len() >= 16,
                "the token is shorter than 16 characters: use e.g. `openssl rand -hex 32`"
            );
            println!("{}", sentinel::grpc::tokens::hash_token(token));
            Ok(())
        }
    }
}
