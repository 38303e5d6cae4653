//! Event-log benchmark (`cargo bench --bench store`), printed as plain figures for
//! BENCHMARKS.md: writes `SENTINEL_BENCH_EVENTS` events (default 1,000,000) in group
//! commits of 8,192 (one fsync each) into a fresh log, then times the open (replay with
//! checksums, sequence and duplicate checks) and the state rebuild. Peak memory: run the
//! bench binary under `/usr/bin/time -f '%M KB'`.

use std::time::Instant;

use sentinel::config::WindowConfig;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::store::EventStore;

const GROUP: usize = 8_192;

fn event(i: usize) -> WithdrawalEvent {
    WithdrawalEvent {
        event_id: format!("ledger-{i:012}"),
        account_id: format!("acct-{:08}", i % 100_000),
        cohort: Cohort::Retail,
        amount_minor: 500_000_000 + (i as i64 % 1_000) * 100,
        currency: "IDR".into(),
        occurred_at_unix_ms: 1_795_165_200_000 + (i as i64 % 234_000_000),
        kind: EventKind::Withdrawal,
    }
}

fn main() {
    let events: usize = std::env::var("SENTINEL_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let started = Instant::now();
    {
        let (mut store, _) = EventStore::open(dir.path()).expect("open");
        let mut written = 0;
        while written < events {
            let n = GROUP.min(events - written);
            let batch: Vec<_> = (written..written + n).map(event).collect();
            written += n;
            store.commit(&batch, None, written as u64).expect("commit");
        }
        println!(
            "wrote {events} events in {:.2} s: {} bytes on disk, {:.1} B per event",
            started.elapsed().as_secs_f64(),
            store.size_bytes(),
            store.size_bytes() as f64 / events as f64
        );
    }
    let started = Instant::now();
    let (_, recovered) = EventStore::open(dir.path()).expect("reopen");
    let opened = started.elapsed();
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
    let mut state = MonitorState::new(calendar, 1_000_000_000, ReservePosition::immediate(1));
    for e in &recovered.events {
        state.apply(e);
    }
    println!(
        "restart: open + replay {:.2} s, state rebuild {:.2} s (total {:.2} s) for {} events",
        opened.as_secs_f64(),
        (started.elapsed() - opened).as_secs_f64(),
        started.elapsed().as_secs_f64(),
        recovered.events.len()
    );
}
