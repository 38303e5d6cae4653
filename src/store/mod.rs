//! The durable event log: the project's own append-only file, `<data_dir>/events.log`.
//!
//! **Format** ([`frame`]): a checked header, then one frame per commit —
//! `[u32 length][u32 CRC32C][protobuf CommitRecord]` ([`record`]). A commit's new events,
//! the reserve position it sets and the state version after it are one record, so a
//! commit is one append and one fsync and lands whole or not at all.
//!
//! **Fsync policy.** [`EventStore::commit`] appends the record and fsyncs the file before
//! it returns `Ok`; the service acknowledges an event only after that (append before ack).
//! Group commit: the sequencer puts every event waiting at that moment into one record.
//! The directory is fsynced when the log file is created.
//!
//! **Recovery** ([`EventStore::open`]): every record's checksum is verified on replay.
//! A bad *tail* (the last record incomplete or damaged, nothing valid after it — what a
//! crash during a commit leaves) is truncated and reported in
//! [`Recovered::truncated_tail`]. Damage *before* the tail, a record that does not decode,
//! a record out of sequence or an `event_id` stored twice refuses the open with
//! [`StoreError::LogCorrupt`], naming the file, the byte offset and the record; see
//! [`verify`] for the `sentinel store verify` / `salvage` commands.
//!
//! **Failed writes** do not poison the store: after a failed append or fsync the file is
//! cut back to the last durable length. Until a write succeeds again the store reports
//! itself not writable ([`EventStore::failure`]); commits are refused at once, without
//! touching the disk, until the [`Backoff`] (100 ms doubling to 5 s, on an injected
//! [`io::MonotonicClock`]) allows the next attempt, which reopens the file if needed,
//! cuts it back to the durable length and probes the directory with a small fsynced
//! write. The process keeps running; nothing has to restart it.
//!
//! Every byte goes through [`io::StoreIo`], so tests put faults under the real store.
//! The alert rules' decisions live beside the log in [`alerts::AlertLedger`].

pub mod alerts;
pub mod frame;
pub mod io;
pub mod record;
pub mod verify;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use prost::Message;

use self::frame::{HEADER_LEN, ScanEnd, encode_frame, file_header, scan};
use self::io::{FsIo, LogFile, MonotonicClock, StoreIo, SystemMonotonic};
use self::record::{CommitRecord, EventRecord, ReserveRecord};
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::ReservePosition;

/// File name of the event log inside the data directory.
pub const LOG_FILE: &str = "events.log";
/// File name of the store of versions before the own log (redb); refused if present.
pub const LEGACY_REDB_FILE: &str = "sentinel.redb";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file beside the log (the alert ledger) did not decode.
    #[error("event store record {key}: {reason}")]
    Corrupt {
        /// The file or key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The log is damaged before its tail; nothing was changed.
    #[error(
        "event log {path} is corrupt at byte offset {offset} (record {record}, counting from 1): \
         {reason}. Nothing was changed. Run `sentinel store verify --data-dir {dir}` for a \
         report, and `sentinel store salvage --data-dir {dir}` to keep the records before it \
         (the rest is moved aside to a dated file, never deleted)"
    )]
    LogCorrupt {
        /// The log file.
        path: PathBuf,
        /// Its data directory.
        dir: PathBuf,
        /// Byte offset of the bad record.
        offset: u64,
        /// Record number, counting from 1 (0 = the file header).
        record: u64,
        /// What is wrong.
        reason: String,
    },
    /// The data directory holds a store of an older version.
    #[error(
        "{path} is an event store of an older version (redb), which this version does not read; \
         move it out of the data directory to start a new log"
    )]
    Legacy {
        /// The old store file.
        path: PathBuf,
    },
    /// Writes are failing; this commit was refused without touching the disk.
    #[error(
        "event store not writable ({reason}); next write attempt in {} ms",
        retry_in.as_millis()
    )]
    NotWritable {
        /// Why the last write failed.
        reason: String,
        /// Time until the next attempt is allowed.
        retry_in: Duration,
    },
}

/// A torn or damaged tail cut off at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedTail {
    /// Where the log was cut, bytes.
    pub offset: u64,
    /// Bytes removed.
    pub bytes: u64,
    /// Number the bad record would have had, counting from 1 (0 = the header).
    pub record: u64,
    /// What was wrong with it.
    pub reason: String,
}

/// What the log held on open.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recovered {
    /// Every accepted event, in acceptance order.
    pub events: Vec<WithdrawalEvent>,
    /// The last reserve position set, if any.
    pub reserve: Option<ReservePosition>,
    /// The monitor state version after the last commit (0 for a new log).
    pub state_version: u64,
    /// The tail cut off at open, if the last record was incomplete or damaged.
    pub truncated_tail: Option<TruncatedTail>,
}

/// Exponential backoff of write attempts after a failure: `initial`, doubling, at most
/// `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    delay: Duration,
    next_at: Duration,
}

impl Default for Backoff {
    /// 100 ms doubling to 5 s.
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(5))
    }
}

impl Backoff {
    /// A backoff starting at `initial`, doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            delay: initial,
            next_at: Duration::ZERO,
        }
    }

    /// Whether an attempt is allowed at `now`.
    pub fn due(&self, now: Duration) -> bool {
        now >= self.next_at
    }

    /// Time from `now` until the next attempt is allowed.
    pub fn wait(&self, now: Duration) -> Duration {
        self.next_at.saturating_sub(now)
    }

    /// An attempt failed at `now`: the next waits the current delay, which then doubles.
    pub fn failed(&mut self, now: Duration) {
        self.next_at = now + self.delay;
        self.delay = (self.delay * 2).min(self.max);
    }

    /// An attempt succeeded: back to the initial delay, no wait.
    pub fn reset(&mut self) {
        self.delay = self.initial;
        self.next_at = Duration::ZERO;
    }
}

/// The open log.
pub struct EventStore {
    io: Arc<dyn StoreIo>,
    clock: Arc<dyn MonotonicClock>,
    dir: PathBuf,
    path: PathBuf,
    /// `None` after a failed rollback: reopened by the next attempt.
    file: Option<Box<dyn LogFile>>,
    /// Bytes of the log known durable (the end of the last committed record).
    durable_len: u64,
    events: u64,
    /// Why writes fail, while they do.
    failure: Option<String>,
    backoff: Backoff,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStore")
            .field("path", &self.path)
            .field("durable_len", &self.durable_len)
            .field("events", &self.events)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// The log's contents as replayed (shared by open, verify and salvage).
pub(crate) struct Replayed {
    pub scan: frame::Scan,
    pub recovered: Recovered,
}

/// Reads every record of `file`, checking checksums, decoding, sequence and event ids.
/// A duplicate `event_id` turns the scan's end into [`ScanEnd::Corrupt`] at the record
/// that repeats it (whose offset becomes the valid length).
pub(crate) fn replay(file: &mut dyn LogFile) -> std::io::Result<Replayed> {
    let mut recovered = Recovered::default();
    let mut starts: Vec<(usize, u64)> = Vec::new();
    let mut visit = |offset: u64, payload: &[u8]| -> Result<(), String> {
        let commit = CommitRecord::decode(payload).map_err(|e| format!("undecodable: {e}"))?;
        let expected = recovered.events.len() as u64;
        if commit.first_event != expected {
            return Err(format!(
                "out of sequence: starts at event {} where the log holds {expected}",
                commit.first_event
            ));
        }
        if commit.state_version <= recovered.state_version {
            return Err(format!(
                "state version {} does not follow {}",
                commit.state_version, recovered.state_version
            ));
        }
        starts.push((recovered.events.len(), offset));
        for event in commit.events {
            recovered.events.push(event.into_event()?);
        }
        if let Some(reserve) = commit.reserve {
            recovered.reserve = Some(reserve.into_reserve());
        }
        recovered.state_version = commit.state_version;
        Ok(())
    };
    let mut scan = scan(file, &mut visit)?;
    if let Some((index, first)) = first_duplicate(&recovered.events) {
        let record = starts.partition_point(|&(start, _)| start <= index);
        let first_record = starts.partition_point(|&(start, _)| start <= first);
        let (start, offset) = starts[record - 1];
        let reason = format!(
            "duplicate event_id {:?} (already stored by record {first_record})",
            recovered.events[index].event_id
        );
        recovered.events.truncate(start);
        scan.valid_len = offset;
        scan.records = record as u64 - 1;
        scan.end = ScanEnd::Corrupt(frame::BadFrame {
            offset,
            record: record as u64,
            reason,
        });
    }
    Ok(Replayed { scan, recovered })
}

/// The first event whose id appeared before, and the index of that first appearance.
fn first_duplicate(events: &[WithdrawalEvent]) -> Option<(usize, usize)> {
    let mut seen = HashSet::with_capacity(events.len());
    let index = events
        .iter()
        .position(|e| !seen.insert(e.event_id.as_str()))?;
    let id = &events[index].event_id;
    let first = events.iter().position(|e| &e.event_id == id)?;
    Some((index, first))
}

impl EventStore {
    /// Opens (or creates) the log in `dir` on the real file system and reads everything
    /// it holds.
    pub fn open(dir: &Path) -> Result<(Self, Recovered), StoreError> {
        Self::open_with(dir, Arc::new(FsIo), Arc::new(SystemMonotonic::default()))
    }

    /// [`EventStore::open`] on the file system `io`, with `clock` timing the backoff.
    pub fn open_with(
        dir: &Path,
        io: Arc<dyn StoreIo>,
        clock: Arc<dyn MonotonicClock>,
    ) -> Result<(Self, Recovered), StoreError> {
        let dir_err = |source| StoreError::Directory {
            path: dir.to_owned(),
            source,
        };
        if !dir.is_dir() {
            io.create_dir_all(dir).map_err(dir_err)?;
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                io.sync_dir(parent).map_err(dir_err)?;
            }
        }
        let legacy = dir.join(LEGACY_REDB_FILE);
        if legacy.exists() {
            return Err(StoreError::Legacy { path: legacy });
        }
        let path = dir.join(LOG_FILE);
        let io_err = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let (mut file, created) = io.open(&path).map_err(io_err)?;
        if created {
            io.sync_dir(dir).map_err(io_err)?;
        }
        let Replayed {
            scan,
            mut recovered,
        } = replay(file.as_mut()).map_err(io_err)?;
        match scan.end {
            ScanEnd::Clean => {}
            ScanEnd::TornTail(bad) => {
                recovered.truncated_tail = Some(TruncatedTail {
                    offset: scan.valid_len,
                    bytes: scan.file_len - scan.valid_len,
                    record: bad.record,
                    reason: bad.reason,
                });
                file.truncate(scan.valid_len).map_err(io_err)?;
                file.sync().map_err(io_err)?;
            }
            ScanEnd::Corrupt(bad) => {
                return Err(StoreError::LogCorrupt {
                    path,
                    dir: dir.to_owned(),
                    offset: bad.offset,
                    record: bad.record,
                    reason: bad.reason,
                });
            }
        }
        if scan.valid_len < HEADER_LEN {
            file.truncate(0).map_err(io_err)?;
            file.append(&file_header()).map_err(io_err)?;
            file.sync().map_err(io_err)?;
        }
        let store = Self {
            io,
            clock,
            dir: dir.to_owned(),
            durable_len: scan.valid_len.max(HEADER_LEN),
            events: recovered.events.len() as u64,
            path,
            file: Some(file),
            failure: None,
            backoff: Backoff::default(),
            buffer: Vec::new(),
        };
        Ok((store, recovered))
    }

    /// Events in the log.
    pub fn len(&self) -> u64 {
        self.events
    }

    /// Size of the log file as committed, bytes.
    pub fn size_bytes(&self) -> u64 {
        self.durable_len
    }

    /// True when the log holds no event.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why writes fail, while they do (`None` when the last write succeeded).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Appends one record holding `events`, the reserve if given and `state_version`;
    /// durable (fsynced) when this returns `Ok`. With neither events nor a reserve there
    /// is nothing to store and nothing is written. On `Err` nothing of the commit is
    /// stored as far as this process can tell: the file was cut back to its durable
    /// length (or, if even that failed, will be on the next attempt). Bytes of a failed
    /// commit may still reach the disk if the process dies before that cut; they are then
    /// a complete record (replayed) or a torn tail (cut at the next open).
    pub fn commit(
        &mut self,
        events: &[WithdrawalEvent],
        reserve: Option<&ReservePosition>,
        state_version: u64,
    ) -> Result<(), StoreError> {
        if events.is_empty() && reserve.is_none() {
            return Ok(());
        }
        self.try_repair()?;
        let record = CommitRecord {
            state_version,
            first_event: self.events,
            events: events.iter().map(EventRecord::of).collect(),
            reserve: reserve.map(ReserveRecord::of),
        };
        let payload = record.encode_to_vec();
        if payload.len() > frame::MAX_PAYLOAD_BYTES as usize {
            return Err(StoreError::Io {
                path: self.path.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "a commit of {} bytes exceeds the record limit of {} bytes; nothing \
                         was written (send smaller batches)",
                        payload.len(),
                        frame::MAX_PAYLOAD_BYTES
                    ),
                ),
            });
        }
        self.buffer.clear();
        encode_frame(&payload, &mut self.buffer);
        let written = match self.file.as_mut() {
            Some(file) => file.append(&self.buffer).and_then(|()| file.sync()),
            None => Err(std::io::Error::other("log file not open")),
        };
        match written {
            Ok(()) => {
                self.durable_len += self.buffer.len() as u64;
                self.events += events.len() as u64;
                Ok(())
            }
            Err(source) => {
                self.write_failed(&source);
                Err(StoreError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        }
    }

    /// Records a failed write: cuts the file back to the durable length (dropping the
    /// handle if that fails too, so the next attempt reopens it) and starts the backoff.
    fn write_failed(&mut self, error: &std::io::Error) {
        self.failure = Some(error.to_string());
        self.backoff.failed(self.clock.now());
        let durable_len = self.durable_len;
        let rolled_back = self
            .file
            .as_mut()
            .is_some_and(|f| f.truncate(durable_len).and_then(|()| f.sync()).is_ok());
        if !rolled_back {
            self.file = None;
        }
    }

    /// While writes fail: when the backoff allows, reopens the file if needed, cuts it
    /// back to the durable length and probes the directory with a small fsynced write.
    /// `Ok` when the store is writable (at once if it was); otherwise
    /// [`StoreError::NotWritable`] without touching the disk before the backoff allows.
    pub fn try_repair(&mut self) -> Result<(), StoreError> {
        let Some(reason) = &self.failure else {
            return Ok(());
        };
        let now = self.clock.now();
        if !self.backoff.due(now) {
            return Err(StoreError::NotWritable {
                reason: reason.clone(),
                retry_in: self.backoff.wait(now),
            });
        }
        match self.repair() {
            Ok(()) => {
                self.failure = None;
                self.backoff.reset();
                Ok(())
            }
            Err(error) => {
                self.write_failed(&error);
                Err(StoreError::NotWritable {
                    reason: error.to_string(),
                    retry_in: self.backoff.wait(now),
                })
            }
        }
    }

    fn repair(&mut self) -> std::io::Result<()> {
        let mut file = match self.file.take() {
            Some(file) => file,
            None => self.io.open(&self.path)?.0,
        };
        let durable_len = self.durable_len;
        let len = file.size()?;
        if len < durable_len {
            return Err(std::io::Error::other(format!(
                "log is {len} bytes, shorter than the {durable_len} committed: restart to \
                 re-read it"
            )));
        }
        file.truncate(durable_len)?;
        file.sync()?;
        self.file = Some(file);
        self.io.probe(&self.dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::event::{Cohort, EventKind};

    fn event(id: &str) -> WithdrawalEvent {
        WithdrawalEvent {
            event_id: id.into(),
            account_id: "a".into(),
            cohort: Cohort::Retail,
            amount_minor: 100,
            currency: "IDR".into(),
            occurred_at_unix_ms: 5,
            kind: EventKind::Withdrawal,
        }
    }

    #[test]
    fn committed_events_and_reserve_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, recovered) = EventStore::open(dir.path()).unwrap();
        assert!(recovered.events.is_empty() && store.is_empty());
        store.commit(&[event("a"), event("b")], None, 2).unwrap();
        let reserve = ReservePosition::immediate(42);
        store.commit(&[event("c")], Some(&reserve), 4).unwrap();
        drop(store);
        let (store, recovered) = EventStore::open(dir.path()).unwrap();
        assert_eq!(store.len(), 3);
        let ids: Vec<_> = recovered
            .events
            .iter()
            .map(|e| e.event_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(recovered.reserve, Some(reserve));
        assert_eq!(recovered.state_version, 4);
        assert_eq!(recovered.truncated_tail, None);
    }

    #[test]
    fn the_backoff_doubles_to_its_cap_and_resets() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(100), ms(350));
        assert!(b.due(ms(0)));
        b.failed(ms(0));
        assert!(!b.due(ms(99)) && b.due(ms(100)));
        b.failed(ms(100));
        assert_eq!(b.wait(ms(100)), ms(200));
        b.failed(ms(300));
        assert_eq!(b.wait(ms(300)), ms(350), "capped");
        b.failed(ms(650));
        assert_eq!(b.wait(ms(650)), ms(350));
        b.reset();
        assert!(b.due(ms(650)));
        b.failed(ms(650));
        assert_eq!(b.wait(ms(650)), ms(100));
    }
}
