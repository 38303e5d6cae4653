//! Event-log soak and restart benchmark (`cargo bench --bench store`), printed as plain
//! figures for BENCHMARKS.md. Feeds `SENTINEL_BENCH_WEEKS` weeks (default 10) of
//! `SENTINEL_BENCH_EVENTS_PER_WEEK` events each (default 200,000; 90% inside the weekend
//! window, the rest on weekdays) through the real group commit (dedup, one fsynced record
//! per 8,192 events, apply) with the engine's checkpoint policy and the default dedup
//! horizon and retention. After each week it prints the process RSS, the ids remembered,
//! the data directory's size and the time to restart (open from the newest snapshot +
//! replay the tail + rebuild the state). Peak memory of the whole run: `/usr/bin/time -f
//! '%M KB'` on the bench binary.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sentinel::config::{Config, WindowConfig};
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::service::checkpoint::CheckpointPolicy;
use sentinel::service::ingest::{Request, commit_group};
use sentinel::store::io::{FsIo, SystemMonotonic};
use sentinel::store::{EventStore, Recovered, StoreOptions};

const GROUP: usize = 8_192;
/// Friday 2026-11-20 16:00 WIB, Unix ms.
const OPENS_MS: i64 = 1_795_165_200_000;
const WEEK_MS: i64 = 7 * 24 * 3_600_000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Event `i` of `week` (of `per_week`): 90% spread over the 65-hour window, 10% over the
/// weekdays after it.
fn event(week: usize, i: usize, per_week: usize) -> WithdrawalEvent {
    let in_window = i % 10 != 9;
    let span_ms = if in_window { 65 } else { 95 } * 3_600_000_i64;
    let offset = (i as i64 * span_ms) / per_week as i64;
    WithdrawalEvent {
        event_id: format!("ledger-{week:03}-{i:09}"),
        account_id: format!("acct-{:08}", i % 100_000),
        cohort: Cohort::Retail,
        amount_minor: 500_000_000 + (i as i64 % 1_000) * 100,
        currency: "IDR".into(),
        occurred_at_unix_ms: OPENS_MS
            + week as i64 * WEEK_MS
            + offset
            + if in_window { 0 } else { 65 * 3_600_000 },
        kind: EventKind::Withdrawal,
    }
}

fn empty_state(config: &Config) -> MonitorState {
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
    MonitorState::new(
        calendar,
        config.monitor.unspecified_institutional_min_idr,
        ReservePosition::immediate(1),
    )
    .with_dedup_horizon_ms(config.monitor.dedup_horizon_ms())
}

fn options(config: &Config, state: &MonitorState) -> StoreOptions {
    StoreOptions {
        dedup_horizon_ms: config.monitor.dedup_horizon_ms(),
        settings_fingerprint: Some(state.settings_fingerprint()),
        retention_ms: (config.monitor.store_retention_days * 86_400_000.0) as i64,
    }
}

fn open(dir: &Path, options: StoreOptions) -> (EventStore, Recovered) {
    EventStore::open_with_options(
        dir,
        Arc::new(FsIo),
        Arc::new(SystemMonotonic::default()),
        options,
    )
    .expect("open")
}

/// The resident set size of this process, MiB (Linux `/proc/self/status`).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn dir_mib(dir: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    bytes as f64 / (1 << 20) as f64
}

/// Times a restart as the engine does it: open (snapshot + tail, ids checked once) and
/// rebuild (the store's id set adopted). Returns seconds, tail length and events counted.
fn restart(dir: &Path, config: &Config) -> (f64, usize, u64) {
    let started = Instant::now();
    let mut state = empty_state(config);
    let (_, mut recovered) = open(dir, options(config, &state));
    if let Some(snapshot) = recovered.snapshot.take() {
        state.restore(snapshot);
    }
    state.resume_from_log(&recovered.events, std::mem::take(&mut recovered.ids));
    state.resume_version(recovered.state_version);
    (
        started.elapsed().as_secs_f64(),
        recovered.events.len(),
        state.inputs().events_total,
    )
}

fn main() {
    let weeks = env_or("SENTINEL_BENCH_WEEKS", 10);
    let per_week = env_or("SENTINEL_BENCH_EVENTS_PER_WEEK", 200_000);
    let config = Config::default();
    let dir = tempfile::tempdir().expect("temporary directory");
    let live = Mutex::new(empty_state(&config));
    let (mut store, _) = open(dir.path(), options(&config, &live.lock().unwrap()));
    let mut policy =
        CheckpointPolicy::new(u64::from(config.monitor.snapshot_every_events), 0, None);
    println!(
        "week | events in log | RSS MiB | ids remembered | data dir MiB | slowest checkpoint s | restart s (tail events)"
    );
    let started = Instant::now();
    for week in 0..weeks {
        let events: Vec<_> = (0..per_week).map(|i| event(week, i, per_week)).collect();
        let mut slowest_checkpoint_s = 0.0_f64;
        for chunk in events.chunks(GROUP) {
            commit_group(&mut store, &live, &[Request::Events(chunk)]).expect("commit");
            let state = live.lock().unwrap();
            let closed = state.latest_closed_window();
            if policy.due(store.len(), closed, state.remembered_ids() as u64) {
                policy.taken(store.len(), closed);
                let snapshot = state.snapshot();
                drop(state);
                let started = Instant::now();
                store.checkpoint(&snapshot).expect("checkpoint");
                slowest_checkpoint_s = slowest_checkpoint_s.max(started.elapsed().as_secs_f64());
            }
        }
        let remembered = live.lock().unwrap().remembered_ids();
        let (seconds, tail, total) = restart(dir.path(), &config);
        assert_eq!(total, store.len(), "the restart counts every event once");
        println!(
            "{:>4} | {:>13} | {:>7.0} | {:>14} | {:>12.0} | {slowest_checkpoint_s:>20.2} | {seconds:.2} ({tail})",
            week + 1,
            store.len(),
            rss_mib(),
            remembered,
            dir_mib(dir.path()),
        );
    }
    println!(
        "{} events in {:.1} s ({:.0} events/s with checkpoints)",
        store.len(),
        started.elapsed().as_secs_f64(),
        store.len() as f64 / started.elapsed().as_secs_f64()
    );
}
