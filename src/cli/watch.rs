//! `sentinel watch`: prints a running monitor's alerts and projections as they arrive.
//! Also the TLS and token options that `feed` and `watch` share.

use std::path::PathBuf;

use anyhow::Context;

use super::{WatchArgs, runtime};
use sentinel::grpc::client::{Client, ClientAccess, WatchSelection};

/// Environment variable holding the role token of `feed` and `watch` (never an argument,
/// which other users can read in the process list).
pub const TOKEN_ENV: &str = "SENTINEL_TOKEN";

/// How `feed` and `watch` reach a monitor with TLS or tokens. The token is read from
/// `SENTINEL_TOKEN`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClientAccessArgs {
    /// PEM of the CA that signed the monitor's certificate: connect with TLS.
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// PEM client certificate, for a monitor that requires mutual TLS.
    #[arg(long, requires = "tls_client_key")]
    pub tls_client_cert: Option<PathBuf>,
    /// PEM key of `--tls-client-cert`.
    #[arg(long, requires = "tls_client_cert")]
    pub tls_client_key: Option<PathBuf>,
    /// Server name to verify in the monitor's certificate (default: the address's host).
    #[arg(long)]
    pub tls_domain: Option<String>,
}

impl ClientAccessArgs {
    /// The files read and the token taken from the environment.
    pub(super) fn load(&self) -> anyhow::Result<ClientAccess> {
        let read = |path: &PathBuf| {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
        };
        let identity_pem = match (&self.tls_client_cert, &self.tls_client_key) {
            (Some(cert), Some(key)) => Some((read(cert)?, read(key)?)),
            _ => None,
        };
        Ok(ClientAccess {
            ca_pem: self.tls_ca.as_ref().map(read).transpose()?,
            identity_pem,
            domain: self.tls_domain.clone(),
            token: std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()),
        })
    }
}

pub(super) fn run(args: WatchArgs) -> anyhow::Result<()> {
    let selection = WatchSelection {
        projections: !args.alerts_only,
        alerts: !args.projections_only,
    };
    let access = args.access.load()?;
    runtime()?.block_on(async move {
        let mut client = Client::connect_with(&args.addr, &access)
            .await
            .with_context(|| format!("is `sentinel serve` running on {}?", args.addr))?;
        client
            .watch(selection, |line| println!("{line}"))
            .await
            .context("watch stream")
    })
}
