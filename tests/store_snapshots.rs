//! Bounded state: snapshots, segments and retention of the event log, and duplicate
//! detection over the dedup horizon. A restart from a snapshot plus the log after it
//! rebuilds exactly the state of the whole log; an unusable snapshot is skipped for an
//! older one or the whole log; retention removes old segments and the log still opens
//! and verifies; an id beyond the horizon is new again in the state and in the replay.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use sentinel::config::WindowConfig;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::dedup::{IdFingerprint, RecentIds};
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::monitor::state::{Applied, MonitorState, ReservePosition};
use sentinel::service::ingest::{Request, commit_group};
use sentinel::store::io::{FsIo, SystemMonotonic};
use sentinel::store::segments::segment_file_name;
use sentinel::store::snapshot::snapshot_file_name;
use sentinel::store::verify::verify_with;
use sentinel::store::{EventStore, Recovered, StoreError, StoreOptions};

/// Friday 2026-11-20 16:00 WIB, a window's opening, Unix ms.
const OPENS_MS: i64 = 1_795_165_200_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const WEEK_MS: i64 = 7 * DAY_MS;
/// Dedup horizon of these tests, ms (35 days + 5 minutes, the defaults).
const HORIZON_MS: i64 = 35 * DAY_MS + 5 * 60_000;

fn state(institutional_min_idr: u64) -> MonitorState {
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
    MonitorState::new(
        calendar,
        institutional_min_idr,
        ReservePosition::immediate(9_000_000),
    )
    .with_dedup_horizon_ms(HORIZON_MS)
}

fn options(state: &MonitorState, retention_ms: i64) -> StoreOptions {
    StoreOptions {
        dedup_horizon_ms: HORIZON_MS,
        settings_fingerprint: Some(state.settings_fingerprint()),
        retention_ms,
    }
}

fn open(dir: &Path, options: StoreOptions) -> Result<(EventStore, Recovered), StoreError> {
    EventStore::open_with_options(
        dir,
        Arc::new(FsIo),
        Arc::new(SystemMonotonic::default()),
        options,
    )
}

/// Event `i` of week `week`: in the weekend window for even `i`, on a weekday for odd.
fn event(id: &str, week: i64, i: i64) -> WithdrawalEvent {
    let offset = if i % 2 == 0 {
        (i % 60) * HOUR_MS
    } else {
        4 * DAY_MS + i * 1_000
    };
    WithdrawalEvent {
        event_id: id.to_owned(),
        account_id: format!("acct-{}", i % 11),
        cohort: if i % 7 == 0 {
            Cohort::Unspecified
        } else {
            Cohort::Retail
        },
        amount_minor: 150 + 1_000_000 * (i % 900),
        currency: "IDR".into(),
        occurred_at_unix_ms: OPENS_MS + week * WEEK_MS + offset,
        kind: if i % 13 == 5 {
            EventKind::Deposit
        } else {
            EventKind::Withdrawal
        },
    }
}

fn week_of_events(week: i64, count: i64) -> Vec<WithdrawalEvent> {
    (0..count)
        .map(|i| event(&format!("w{week}-{i}"), week, i))
        .collect()
}

/// The state `recovered` rebuilds (as the engine does: snapshot, reserve, the tail counted
/// with the store's id set adopted).
fn rebuild(mut state: MonitorState, recovered: &Recovered) -> MonitorState {
    if let Some(snapshot) = &recovered.snapshot {
        state.restore(snapshot.clone());
    }
    if let Some(reserve) = &recovered.reserve {
        state.set_reserve(reserve.clone());
    }
    state.resume_from_log(&recovered.events, recovered.ids.clone());
    state.resume_version(recovered.state_version);
    state
}

/// Commits `weeks` weeks of events (a reserve in week 1), checkpointing after each week;
/// returns the live state.
fn write_weeks(dir: &Path, weeks: i64, retention_ms: i64) -> MonitorState {
    let live = std::sync::Mutex::new(state(500_000));
    let (mut store, _) = open(dir, options(&live.lock().unwrap(), retention_ms)).unwrap();
    let reserve = ReservePosition::immediate(77_000_000);
    for week in 0..weeks {
        let events = week_of_events(week, 300);
        for chunk in events.chunks(64) {
            let mut group = vec![Request::Events(chunk)];
            if week == 1 {
                group.push(Request::Reserve(&reserve));
            }
            commit_group(&mut store, &live, &group).unwrap();
        }
        let snapshot = live.lock().unwrap().snapshot();
        store.checkpoint(&snapshot).unwrap();
    }
    live.into_inner().unwrap()
}

#[test]
fn a_restart_reads_the_newest_snapshot_and_the_tail_and_rebuilds_the_whole_state() {
    let dir = tempfile::tempdir().unwrap();
    let live = write_weeks(dir.path(), 6, i64::MAX);
    let (mut store, _) = open(dir.path(), options(&live, i64::MAX)).unwrap();
    let live = std::sync::Mutex::new(live);
    let tail = week_of_events(6, 50);
    commit_group(&mut store, &live, &[Request::Events(&tail)]).unwrap();
    drop(store);
    let (_, recovered) = open(dir.path(), options(&live.lock().unwrap(), i64::MAX)).unwrap();
    assert_eq!(
        recovered.snapshot_events,
        6 * 300,
        "the last week's snapshot"
    );
    assert_eq!(recovered.events, tail, "only the tail is replayed");
    let rebuilt = rebuild(state(500_000), &recovered);
    let live = live.into_inner().unwrap();
    assert_eq!(rebuilt.snapshot(), live.snapshot());
    assert_eq!(rebuilt.inputs(), live.inputs());
    let mut reinserted = state(500_000);
    let mut snapshot = recovered.snapshot.clone().unwrap();
    let tail_ids: HashSet<IdFingerprint> = recovered
        .events
        .iter()
        .map(|e| IdFingerprint::of(&e.event_id))
        .collect();
    snapshot.recent_ids = RecentIds::restore(
        recovered.ids.horizon_ms(),
        recovered.ids.latest_ms(),
        recovered
            .ids
            .entries()
            .filter(|(id, _)| !tail_ids.contains(id)),
    );
    reinserted.restore(snapshot);
    for e in &recovered.events {
        assert_eq!(reinserted.apply(e), Applied::Accepted);
    }
    assert_eq!(
        reinserted.snapshot().recent_ids,
        live.snapshot().recent_ids,
        "re-inserting the tail gives the id set the store built"
    );
    let (_, whole) = open(
        dir.path(),
        StoreOptions {
            settings_fingerprint: None,
            ..options(&live, i64::MAX)
        },
    )
    .unwrap();
    assert_eq!(whole.snapshot_events, 0);
    assert_eq!(whole.events.len(), 6 * 300 + 50);
    assert_eq!(rebuild(state(500_000), &whole).snapshot(), live.snapshot());
}

#[test]
fn a_damaged_or_foreign_snapshot_is_skipped_for_an_older_one_or_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let live = write_weeks(dir.path(), 4, i64::MAX);
    let newest = dir.path().join(snapshot_file_name(4 * 300));
    let mut bytes = std::fs::read(&newest).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x20;
    std::fs::write(&newest, &bytes).unwrap();
    let (_, recovered) = open(dir.path(), options(&live, i64::MAX)).unwrap();
    assert_eq!(recovered.snapshot_events, 3 * 300, "the snapshot before it");
    assert_eq!(recovered.skipped_snapshots.len(), 1);
    assert!(
        recovered.skipped_snapshots[0].contains("checksum"),
        "{:?}",
        recovered.skipped_snapshots
    );
    assert_eq!(
        rebuild(state(500_000), &recovered).snapshot(),
        live.snapshot()
    );

    let other_settings = state(2_000_000);
    let (_, replayed) = open(dir.path(), options(&other_settings, i64::MAX)).unwrap();
    assert_eq!(
        replayed.snapshot_events, 0,
        "snapshots of other settings are not used"
    );
    assert!(
        replayed
            .skipped_snapshots
            .iter()
            .any(|s| s.contains("other settings"))
    );
    let mut whole = state(2_000_000);
    for week in 0..4 {
        for e in week_of_events(week, 300) {
            whole.apply(&e);
        }
    }
    let rebuilt = rebuild(state(2_000_000), &replayed);
    assert_eq!(
        rebuilt.inputs().window,
        whole.inputs().window,
        "tallies under the new threshold"
    );
}

#[test]
fn retention_removes_old_segments_and_the_log_still_opens_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let retention_ms = 21 * DAY_MS;
    let live = write_weeks(dir.path(), 10, retention_ms);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.contains(&segment_file_name(0)),
        "the first weeks are gone: {names:?}"
    );
    let segments = names.iter().filter(|n| n.starts_with("events-")).count();
    assert!(
        (3..=6).contains(&segments),
        "about three weeks kept: {names:?}"
    );
    let (_, recovered) = open(dir.path(), options(&live, retention_ms)).unwrap();
    assert_eq!(
        rebuild(state(500_000), &recovered).snapshot(),
        live.snapshot()
    );
    let report = verify_with(dir.path(), HORIZON_MS).unwrap();
    assert!(!report.is_corrupt(), "{report:?}");
    assert_eq!(report.events, 10 * 300);
    let full = report.snapshots.iter().filter(|(_, p)| p.is_none()).count();
    let thinned = report
        .snapshots
        .iter()
        .filter(|(_, p)| p.as_deref() == Some(sentinel::store::snapshot::THINNED))
        .count();
    assert_eq!(
        (full, full + thinned),
        (2, report.snapshots.len()),
        "the newest two are whole, older ones thinned: {:?}",
        report.snapshots
    );
    let error = open(
        dir.path(),
        StoreOptions {
            settings_fingerprint: None,
            ..options(&live, retention_ms)
        },
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("removed by retention"),
        "{error}"
    );
}

#[test]
fn an_id_beyond_the_dedup_horizon_is_new_again_in_the_state_and_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let live = std::sync::Mutex::new(state(500_000));
    let (mut store, _) = open(dir.path(), options(&live.lock().unwrap(), i64::MAX)).unwrap();
    let first = event("reused", 0, 2);
    let again_soon = event("reused", 4, 2);
    let again_late = event("reused", 6, 2);
    let outcome = commit_group(
        &mut store,
        &live,
        &[Request::Events(std::slice::from_ref(&first))],
    )
    .unwrap();
    assert_eq!(outcome.fresh.len(), 1);
    let soon = commit_group(&mut store, &live, &[Request::Events(&[again_soon])]).unwrap();
    assert_eq!(
        soon.fresh.len(),
        0,
        "28 days later: inside the horizon, a duplicate"
    );
    let late = commit_group(
        &mut store,
        &live,
        &[Request::Events(std::slice::from_ref(&again_late))],
    )
    .unwrap();
    assert_eq!(
        late.fresh.len(),
        1,
        "42 days later: beyond the horizon, new"
    );
    assert_eq!(live.lock().unwrap().apply(&again_late), Applied::Duplicate);
    drop(store);
    let (_, recovered) = open(dir.path(), options(&live.lock().unwrap(), i64::MAX)).unwrap();
    assert_eq!(recovered.events, [first, again_late]);
    let unbounded = verify_with(dir.path(), i64::MAX).unwrap();
    assert!(
        unbounded.is_corrupt(),
        "without the horizon the second is a duplicate"
    );
    assert!(!verify_with(dir.path(), HORIZON_MS).unwrap().is_corrupt());
}
