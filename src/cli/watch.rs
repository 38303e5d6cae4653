//! `sentinel watch`: prints a running monitor's alerts and projections as they arrive.

use anyhow::Context;

use super::{WatchArgs, runtime};
use sentinel::grpc::client::{Client, WatchSelection};

pub(super) fn run(args: WatchArgs) -> anyhow::Result<()> {
    let selection = WatchSelection {
        projections: !args.alerts_only,
        alerts: !args.projections_only,
    };
    runtime()?.block_on(async move {
        let mut client = Client::connect(&args.addr)
            .await
            .with_context(|| format!("is `sentinel serve` running on {}?", args.addr))?;
        client
            .watch(selection, |line| println!("{line}"))
            .await
            .context("watch stream")
    })
}
