//! The self-checking event log: a torn tail is cut and reported, damage before the tail
//! refuses the open naming file, offset and record, a stored duplicate `event_id` is
//! corruption, `verify` / `salvage` report and repair, and no mutation of a real log
//! makes the open panic.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::monitor::state::ReservePosition;
use sentinel::store::frame::ScanEnd;
use sentinel::store::verify::{salvage, verify};
use sentinel::store::{EventStore, StoreError, first_segment_path};

fn event(id: usize) -> WithdrawalEvent {
    WithdrawalEvent {
        event_id: format!("ev-{id}"),
        account_id: format!("acct-{}", id % 7),
        cohort: if id.is_multiple_of(3) {
            Cohort::Institutional
        } else {
            Cohort::Retail
        },
        amount_minor: 100 * (1 + id as i64 * 37),
        currency: "IDR".into(),
        occurred_at_unix_ms: 1_795_165_200_000 + id as i64 * 1_000,
        kind: EventKind::Withdrawal,
    }
}

/// A log of `commits` commits of 3 events each (a reserve in the first); returns the
/// events in order and the byte offset where each record starts.
fn write_log(dir: &std::path::Path, commits: usize) -> (Vec<WithdrawalEvent>, Vec<u64>) {
    let (mut store, _) = EventStore::open(dir).unwrap();
    let mut events = Vec::new();
    let mut starts = Vec::new();
    let reserve = ReservePosition::immediate(1_000_000);
    for c in 0..commits {
        starts.push(store.size_bytes());
        let batch: Vec<_> = (0..3).map(|i| event(c * 3 + i)).collect();
        let version = (events.len() + batch.len() + 1) as u64;
        store
            .commit(&batch, (c == 0).then_some(&reserve), version)
            .unwrap();
        events.extend(batch);
    }
    (events, starts)
}

fn log_bytes(dir: &std::path::Path) -> Vec<u8> {
    std::fs::read(first_segment_path(dir)).unwrap()
}

#[test]
fn a_torn_last_record_is_cut_and_reported_and_the_rest_replays() {
    let dir = tempfile::tempdir().unwrap();
    let (events, starts) = write_log(dir.path(), 5);
    let bytes = log_bytes(dir.path());
    let cut = starts[4] + 11;
    std::fs::write(first_segment_path(dir.path()), &bytes[..cut as usize]).unwrap();
    let (store, recovered) = EventStore::open(dir.path()).unwrap();
    assert_eq!(recovered.events, events[..12]);
    let tail = recovered.truncated_tail.expect("reported");
    assert_eq!((tail.offset, tail.bytes, tail.record), (starts[4], 11, 5));
    assert_eq!(store.size_bytes(), starts[4]);
    assert_eq!(log_bytes(dir.path()).len() as u64, starts[4], "cut on disk");
    drop(store);
    let (_, again) = EventStore::open(dir.path()).unwrap();
    assert_eq!(again.truncated_tail, None, "clean after the cut");
}

#[test]
fn a_flipped_digit_before_the_tail_refuses_the_open_naming_offset_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let (events, starts) = write_log(dir.path(), 6);
    let mut bytes = log_bytes(dir.path());
    let at = starts[2] as usize + 20;
    bytes[at] ^= 0x04;
    std::fs::write(first_segment_path(dir.path()), &bytes).unwrap();
    let error = EventStore::open(dir.path()).unwrap_err();
    match &error {
        StoreError::LogCorrupt { offset, record, .. } => {
            assert_eq!((*offset, *record), (starts[2], 3));
        }
        other => panic!("expected LogCorrupt, got {other}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("events-00000000000000000000.log"),
        "{message}"
    );
    assert!(
        message.contains("sentinel store salvage --data-dir"),
        "{message}"
    );
    assert_eq!(log_bytes(dir.path()), bytes, "nothing changed");

    let report = verify(dir.path()).unwrap();
    assert!(report.is_corrupt());
    assert_eq!((report.records, report.events), (2, 6));
    let salvaged = salvage(dir.path(), "20261126T150000Z").unwrap();
    let aside = salvaged.moved_to.expect("moved aside");
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        bytes[starts[2] as usize..],
        "every byte after the valid records kept"
    );
    let (_, recovered) = EventStore::open(dir.path()).unwrap();
    assert_eq!(recovered.events, events[..6]);
    assert_eq!(recovered.truncated_tail, None);
}

#[test]
fn an_event_id_stored_twice_is_corruption_naming_the_record() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut store, _) = EventStore::open(dir.path()).unwrap();
        store.commit(&[event(1), event(2)], None, 2).unwrap();
        store.commit(&[event(3)], None, 3).unwrap();
        store.commit(&[event(4), event(2)], None, 5).unwrap();
    }
    let error = EventStore::open(dir.path()).unwrap_err();
    let StoreError::LogCorrupt { record, reason, .. } = &error else {
        panic!("expected LogCorrupt, got {error}");
    };
    assert_eq!(*record, 3);
    assert!(reason.contains("duplicate event_id \"ev-2\""), "{reason}");
    let report = verify(dir.path()).unwrap();
    assert_eq!((report.records, report.events), (2, 3));
}

#[test]
fn a_damaged_header_is_corruption_at_offset_zero() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 2);
    let mut bytes = log_bytes(dir.path());
    bytes[9] ^= 1;
    std::fs::write(first_segment_path(dir.path()), &bytes).unwrap();
    let error = EventStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::LogCorrupt {
                offset: 0,
                record: 0,
                ..
            }
        ),
        "{error}"
    );
}

/// Random damage to a real log — flipped bytes anywhere, truncation at any offset, both —
/// never panics the open: it is `Ok` with a prefix of the committed events (a cut tail)
/// or a clean `Err`. Seeds: `SENTINEL_CORRUPTION_SEEDS` (default 400).
#[test]
fn no_damage_to_a_log_panics_the_open_and_ok_means_a_prefix() {
    let seeds: u64 = std::env::var("SENTINEL_CORRUPTION_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let source = tempfile::tempdir().unwrap();
    let (events, starts) = write_log(source.path(), 40);
    let original = log_bytes(source.path());
    let mut ends: Vec<u64> = starts[1..].to_vec();
    ends.push(original.len() as u64);
    let (mut ok, mut refused) = (0, 0);
    for seed in 0..seeds {
        let mut rng = Pcg64::seed_from_u64(seed);
        let mut bytes = original.clone();
        let flips = rng.random_range(0..=4);
        for _ in 0..flips {
            let at = rng.random_range(0..bytes.len());
            bytes[at] ^= rng.random_range(1..=255u8);
        }
        if flips == 0 || rng.random_bool(0.5) {
            let len = rng.random_range(0..=bytes.len());
            bytes.truncate(len);
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(first_segment_path(dir.path()), &bytes).unwrap();
        let pure_cut = bytes == original[..bytes.len()];
        match EventStore::open(dir.path()) {
            Ok((_, recovered)) => {
                ok += 1;
                let n = recovered.events.len();
                assert_eq!(recovered.events, events[..n], "seed {seed}: not a prefix");
                if pure_cut {
                    let whole = ends.iter().filter(|&&e| e <= bytes.len() as u64).count();
                    assert_eq!(n, whole * 3, "seed {seed}: a cut keeps every whole record");
                }
            }
            Err(StoreError::LogCorrupt { .. }) if !pure_cut => refused += 1,
            Err(other) => panic!("seed {seed}: unexpected error {other}"),
        }
        let report = verify(dir.path());
        assert!(report.is_ok(), "seed {seed}: verify failed: {report:?}");
    }
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn verify_reports_a_clean_log() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _) = write_log(dir.path(), 3);
    let report = verify(dir.path()).unwrap();
    assert_eq!(report.end, ScanEnd::Clean);
    assert_eq!(report.events, events.len() as u64);
    assert_eq!(report.valid_len, report.file_len);
    let salvaged = salvage(dir.path(), "x").unwrap();
    assert_eq!(salvaged.moved_to, None, "a clean log is left alone");
}

#[test]
fn the_store_commands_verify_and_salvage_a_damaged_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_, starts) = write_log(dir.path(), 4);
    let mut bytes = log_bytes(dir.path());
    bytes[starts[1] as usize + 12] ^= 0x10;
    std::fs::write(first_segment_path(dir.path()), &bytes).unwrap();
    let sentinel = |command: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sentinel"))
            .args(["store", command, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let verified = sentinel("verify");
    let stdout = String::from_utf8_lossy(&verified.stdout);
    assert!(!verified.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("CORRUPT at byte offset {} (record 2)", starts[1])),
        "{stdout}"
    );
    let salvaged = sentinel("salvage");
    let stdout = String::from_utf8_lossy(&salvaged.stdout);
    assert!(salvaged.status.success(), "{stdout}");
    assert!(stdout.contains("kept 1 records (3 events"), "{stdout}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".salvaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "one dated file beside the log");
    assert!(sentinel("verify").status.success(), "clean after salvage");
}
