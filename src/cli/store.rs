//! `sentinel store verify` and `sentinel store salvage`: check and repair the event log
//! of a stopped monitor (`sentinel::store::verify`).

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::{StoreArgs, StoreCommand, load_config};
use sentinel::store::verify::{VerifyReport, describe_end, salvage_with, verify_with};

pub(super) fn run(command: StoreCommand) -> anyhow::Result<()> {
    match command {
        StoreCommand::Verify(args) => {
            let dir = data_dir(&args)?;
            let horizon_ms = load_config(args.config.as_deref())?
                .monitor
                .dedup_horizon_ms();
            let report = verify_with(&dir, horizon_ms)
                .with_context(|| format!("cannot read {}", dir.display()))?;
            print_report(&report);
            if report.is_corrupt() {
                bail!(
                    "the event log is corrupt; the monitor refuses to start on it. \
                     `sentinel store salvage --data-dir {}` keeps the records before the \
                     damage and moves the rest aside",
                    dir.display()
                );
            }
            Ok(())
        }
        StoreCommand::Salvage(args) => {
            let dir = data_dir(&args)?;
            let horizon_ms = load_config(args.config.as_deref())?
                .monitor
                .dedup_horizon_ms();
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            let done = salvage_with(&dir, &stamp, horizon_ms)
                .with_context(|| format!("cannot salvage {}", dir.display()))?;
            print_report(&done.before);
            match &done.moved_to {
                Some(path) => println!(
                    "kept {} records ({} events, {} bytes); moved {} bytes to {}",
                    done.before.records,
                    done.before.events,
                    done.before.valid_len,
                    done.moved_bytes,
                    path.display()
                ),
                None => println!("the log is clean; nothing to do"),
            }
            Ok(())
        }
    }
}

fn data_dir(args: &StoreArgs) -> anyhow::Result<PathBuf> {
    match &args.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => Ok(PathBuf::from(
            load_config(args.config.as_deref())?.monitor.data_dir,
        )),
    }
}

fn print_report(report: &VerifyReport) {
    println!("segments       {} read", report.segments);
    for (name, problem) in &report.snapshots {
        match problem {
            None => println!("snapshot       {name} ok"),
            Some(why) if why == sentinel::store::snapshot::THINNED => {
                println!("snapshot       {name} metadata only (older; kept for retention)")
            }
            Some(why) => println!("snapshot       {name} UNUSABLE: {why} (skipped at start)"),
        }
    }
    println!("event log      {}", report.path.display());
    println!("file           {} bytes", report.file_len);
    println!(
        "valid          {} bytes, {} records, {} events, state version {}",
        report.valid_len, report.records, report.events, report.state_version
    );
    println!("ends           {}", describe_end(&report.end));
}
