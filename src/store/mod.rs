//! The durable event log: the project's own append-only files, a chain of segments
//! `<data_dir>/events-<first event>.log` ([`segments`]) with a snapshot of the state at
//! each checkpoint ([`snapshot`]).
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
//! **Checkpoints** ([`EventStore::checkpoint`]): a new segment starts and the state after
//! every committed event is written as a snapshot; retention then removes what is wholly
//! older than `StoreOptions::retention_ms` of event time.
//!
//! **Recovery** ([`EventStore::open_with_options`]): the newest snapshot that checks out
//! and was taken under the same settings, then every record after it, checksums verified
//! (without options, no snapshot: the whole log).
//! A bad *tail* (the last record incomplete or damaged, nothing valid after it — what a
//! crash during a commit leaves) is truncated and reported in
//! [`Recovered::truncated_tail`]. Damage *before* the tail, a record that does not decode,
//! a record out of sequence or an `event_id` stored twice within the dedup horizon refuses
//! the open with
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
pub mod segments;
pub mod snapshot;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use prost::Message;

use self::frame::{HEADER_LEN, ScanEnd, encode_frame, file_header};
use self::io::{FsIo, LogFile, MonotonicClock, StoreIo, SystemMonotonic};
use self::record::{CommitRecord, EventRecord, ReserveRecord};
use self::segments::{Chain, Listing, ReplayBase, replay_chain, segment_file_name};
use self::snapshot::{read_snapshot, snapshot_file_name};
use crate::monitor::dedup::RecentIds;
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::{ReservePosition, StateSnapshot};

/// File name of the first segment of the event log inside the data directory.
pub fn first_segment_path(dir: &Path) -> PathBuf {
    dir.join(segment_file_name(0))
}
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
    /// The state after the first `snapshot_events` events, when a snapshot was used.
    pub snapshot: Option<StateSnapshot>,
    /// Events the snapshot covers (0 without one).
    pub snapshot_events: u64,
    /// Snapshots that could not be used, each with the reason (an older one or the whole
    /// log was read instead).
    pub skipped_snapshots: Vec<String>,
    /// Every accepted event after the snapshot (all of them without one), in log order.
    pub events: Vec<WithdrawalEvent>,
    /// The ids inside the dedup horizon after the whole log (the snapshot's, then every
    /// event after it): what the state's duplicate check holds. The snapshot's own
    /// `recent_ids` were moved here (it is left empty).
    pub ids: RecentIds,
    /// The last reserve position set after the snapshot, if any.
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
    /// Events in the log (all segments, removed ones included).
    events: u64,
    /// First event of the active (last) segment.
    active_first: u64,
    options: StoreOptions,
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

/// Settings of the store beyond its directory (see `assumptions.md`, `monitor.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Event-time span over which a repeated `event_id` is a duplicate, ms (`i64::MAX`:
    /// the whole log); the monitor state uses the same ([`crate::monitor::dedup`]).
    pub dedup_horizon_ms: i64,
    /// The settings fingerprint a snapshot must carry to be used
    /// ([`crate::monitor::state::MonitorState::settings_fingerprint`]); `None` reads no
    /// snapshot and replays the whole log.
    pub settings_fingerprint: Option<u32>,
    /// Event time kept before the newest snapshot's latest event, ms: older segments and
    /// snapshots are removed at a checkpoint (`i64::MAX` keeps everything).
    pub retention_ms: i64,
}

impl Default for StoreOptions {
    /// Every id deduplicated, no snapshot read, nothing removed.
    fn default() -> Self {
        Self {
            dedup_horizon_ms: i64::MAX,
            settings_fingerprint: None,
            retention_ms: i64::MAX,
        }
    }
}

/// What a checkpoint did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The snapshot written.
    pub snapshot: PathBuf,
    /// Events it covers.
    pub events: u64,
    /// Segment and snapshot files removed by retention.
    pub removed_files: Vec<PathBuf>,
    /// Why retention could not remove what it should have, if it failed (the checkpoint
    /// itself stands).
    pub retention_error: Option<String>,
}

/// A chain replayed after a snapshot: the chain, the snapshot used (events it covers and
/// the state) and the reasons other snapshots were skipped.
type FromSnapshot = (Chain, Option<(u64, StateSnapshot)>, Vec<String>);

/// The chain replayed from the newest usable snapshot (or from the first event), and the
/// snapshot and skipped ones.
fn replay_from_snapshots(
    io: &dyn StoreIo,
    dir: &Path,
    listing: &Listing,
    options: &StoreOptions,
) -> std::io::Result<FromSnapshot> {
    let mut skipped = Vec::new();
    let oldest_segment = listing.segments.first().copied().unwrap_or(0);
    let candidates = options
        .settings_fingerprint
        .map_or(&[][..], |_| &listing.snapshots[..]);
    for &first_event in candidates.iter().rev() {
        let name = snapshot_file_name(first_event);
        if first_event < oldest_segment {
            skipped.push(format!("{name}: the segments after it were removed"));
            continue;
        }
        let mut loaded = match read_snapshot(io, &dir.join(&name)) {
            Ok(loaded) => loaded,
            Err(reason) if reason == snapshot::THINNED => continue,
            Err(reason) => {
                skipped.push(format!("{name}: {reason}"));
                continue;
            }
        };
        if Some(loaded.state.settings_fingerprint) != options.settings_fingerprint {
            skipped.push(format!("{name}: taken under other settings"));
            continue;
        }
        let base = ReplayBase {
            base_event: first_event,
            ids: std::mem::take(&mut loaded.state.recent_ids)
                .with_horizon_ms(options.dedup_horizon_ms),
            state_version: loaded.state.version,
        };
        let chain = replay_chain(io, dir, &listing.segments, base)?;
        if chain.broken.is_none() && chain.log_events < first_event {
            skipped.push(format!("{name}: the log ends before it"));
            continue;
        }
        return Ok((chain, Some((first_event, loaded.state)), skipped));
    }
    let base = ReplayBase {
        base_event: 0,
        ids: RecentIds::new(options.dedup_horizon_ms),
        state_version: 0,
    };
    Ok((
        replay_chain(io, dir, &listing.segments, base)?,
        None,
        skipped,
    ))
}

/// Removes the last segment when it holds no record and starts before the end of the one
/// before it: what a checkpoint that failed while starting a segment leaves.
fn drop_empty_stray_segment(
    io: &dyn StoreIo,
    dir: &Path,
    listing: &mut Listing,
) -> std::io::Result<()> {
    if listing.segments.len() < 2 {
        return Ok(());
    }
    let Some(&last) = listing.segments.last() else {
        return Ok(());
    };
    let path = dir.join(segment_file_name(last));
    if io.open_existing(&path)?.size()? > HEADER_LEN {
        return Ok(());
    }
    io.remove(&path)?;
    io.sync_dir(dir)?;
    listing.segments.pop();
    Ok(())
}

/// Creates `dir` if missing (fsyncing its parent) and refuses a store of an older version.
fn prepare_dir(io: &dyn StoreIo, dir: &Path) -> Result<(), StoreError> {
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
    Ok(())
}

/// The error for a log whose first segments were removed with no usable snapshot left.
fn no_base(dir: &Path, listing: &Listing, skipped: &[String]) -> StoreError {
    let first = listing.segments.first().copied().unwrap_or(0);
    StoreError::LogCorrupt {
        path: dir.join(segment_file_name(first)),
        dir: dir.to_owned(),
        offset: 0,
        record: 0,
        reason: format!(
            "the log starts at event {first} (earlier segments were removed by retention) and \
             no snapshot can stand for them{}",
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" ({})", skipped.join("; "))
            }
        ),
    }
}

/// Cuts a torn tail of the last segment (`file`); any other break refuses the open.
fn settle_break(
    chain: &Chain,
    dir: &Path,
    segment_count: usize,
    file: &mut dyn LogFile,
) -> Result<Option<TruncatedTail>, StoreError> {
    let Some(broken) = &chain.broken else {
        return Ok(None);
    };
    let corrupt = |bad: &frame::BadFrame| StoreError::LogCorrupt {
        path: broken.path.clone(),
        dir: dir.to_owned(),
        offset: bad.offset,
        record: bad.record,
        reason: bad.reason.clone(),
    };
    match &broken.end {
        ScanEnd::TornTail(bad) if broken.segment + 1 == segment_count => {
            let scan = segments::last_scan(chain).ok_or_else(|| corrupt(bad))?;
            let io_err = |source| StoreError::Io {
                path: broken.path.clone(),
                source,
            };
            file.truncate(scan.valid_len).map_err(io_err)?;
            file.sync().map_err(io_err)?;
            Ok(Some(TruncatedTail {
                offset: scan.valid_len,
                bytes: scan.file_len - scan.valid_len,
                record: bad.record,
                reason: bad.reason.clone(),
            }))
        }
        ScanEnd::TornTail(bad) | ScanEnd::Corrupt(bad) => Err(corrupt(bad)),
        ScanEnd::Clean => Ok(None),
    }
}

impl EventStore {
    /// Opens (or creates) the log in `dir` on the real file system and reads everything
    /// it holds (no snapshot, every id deduplicated).
    pub fn open(dir: &Path) -> Result<(Self, Recovered), StoreError> {
        Self::open_with(dir, Arc::new(FsIo), Arc::new(SystemMonotonic::default()))
    }

    /// [`EventStore::open`] on the file system `io`, with `clock` timing the backoff.
    pub fn open_with(
        dir: &Path,
        io: Arc<dyn StoreIo>,
        clock: Arc<dyn MonotonicClock>,
    ) -> Result<(Self, Recovered), StoreError> {
        Self::open_with_options(dir, io, clock, StoreOptions::default())
    }

    /// [`EventStore::open_with`] with `options`: the newest usable snapshot and the
    /// segments after it are read; an unusable snapshot is skipped (and reported) for an
    /// older one or the whole log.
    pub fn open_with_options(
        dir: &Path,
        io: Arc<dyn StoreIo>,
        clock: Arc<dyn MonotonicClock>,
        options: StoreOptions,
    ) -> Result<(Self, Recovered), StoreError> {
        prepare_dir(io.as_ref(), dir)?;
        let dir_io = |source| StoreError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut listing = segments::list(io.as_ref(), dir).map_err(dir_io)?;
        drop_empty_stray_segment(io.as_ref(), dir, &mut listing).map_err(dir_io)?;
        if listing.segments.is_empty() {
            listing.segments.push(0);
        }
        let active_first = *listing.segments.last().unwrap_or(&0);
        let path = dir.join(segment_file_name(active_first));
        let io_err = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let (mut file, created) = io.open(&path).map_err(io_err)?;
        if created {
            io.sync_dir(dir).map_err(io_err)?;
        }
        let (chain, snapshot, skipped) =
            replay_from_snapshots(io.as_ref(), dir, &listing, &options).map_err(dir_io)?;
        if snapshot.is_none() && listing.segments[0] != 0 {
            return Err(no_base(dir, &listing, &skipped));
        }
        let truncated_tail = settle_break(&chain, dir, listing.segments.len(), file.as_mut())?;
        let valid_len = match &truncated_tail {
            Some(tail) => tail.offset,
            None => segments::last_scan(&chain).map_or(0, |s| s.valid_len),
        };
        if valid_len < HEADER_LEN {
            file.truncate(0).map_err(io_err)?;
            file.append(&file_header()).map_err(io_err)?;
            file.sync().map_err(io_err)?;
        }
        let (snapshot_events, snapshot) = snapshot.map_or((0, None), |(e, s)| (e, Some(s)));
        let recovered = Recovered {
            snapshot,
            snapshot_events,
            skipped_snapshots: skipped,
            events: chain.events,
            ids: chain.ids,
            reserve: chain.reserve,
            state_version: chain.state_version,
            truncated_tail,
        };
        let store = Self {
            io,
            clock,
            dir: dir.to_owned(),
            durable_len: valid_len.max(HEADER_LEN),
            events: chain.log_events,
            active_first,
            options,
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

    /// Size of the active segment as committed, bytes (earlier segments are not counted).
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

    /// Starts a new segment at the current event count and writes the snapshot of `state`
    /// (the state after every committed event) beside it, then removes the segments and
    /// snapshots older than the retention. Call between commits. An `Err` leaves the
    /// store as writable as it was: a missing snapshot only means a longer replay.
    pub fn checkpoint(&mut self, state: &StateSnapshot) -> Result<Checkpoint, StoreError> {
        if let Some(reason) = &self.failure {
            return Err(StoreError::NotWritable {
                reason: reason.clone(),
                retry_in: self.backoff.wait(self.clock.now()),
            });
        }
        if state.events_total != self.events {
            return Err(StoreError::Corrupt {
                key: "snapshot".to_owned(),
                reason: format!(
                    "the state holds {} events but the log {}",
                    state.events_total, self.events
                ),
            });
        }
        if self.events > self.active_first {
            self.start_segment()?;
        }
        let snapshot = snapshot::write_snapshot(self.io.as_ref(), &self.dir, self.events, state)
            .map_err(|source| StoreError::Io {
                path: self.dir.join(snapshot_file_name(self.events)),
                source,
            })?;
        let mut checkpoint = Checkpoint {
            snapshot,
            events: self.events,
            removed_files: Vec::new(),
            retention_error: None,
        };
        if let Some(latest) = state.latest_event_at_unix_ms() {
            let cutoff = latest.saturating_sub(self.options.retention_ms);
            let retained = self
                .remove_expired(cutoff, &mut checkpoint.removed_files)
                .and_then(|()| self.thin_old_snapshots());
            if let Err(error) = retained {
                checkpoint.retention_error = Some(error.to_string());
            }
        }
        Ok(checkpoint)
    }

    /// Creates the segment starting at the current event count (header fsynced, directory
    /// fsynced) and makes it the active one; on failure removes what it created.
    fn start_segment(&mut self) -> Result<(), StoreError> {
        let path = self.dir.join(segment_file_name(self.events));
        let created = (|| {
            let (mut file, _) = self.io.open(&path)?;
            file.truncate(0)?;
            file.append(&file_header())?;
            file.sync()?;
            self.io.sync_dir(&self.dir)?;
            Ok(file)
        })();
        match created {
            Ok(file) => {
                self.file = Some(file);
                self.path = path;
                self.active_first = self.events;
                self.durable_len = HEADER_LEN;
                Ok(())
            }
            Err(source) => {
                let _ = self.io.remove(&path);
                let _ = self.io.sync_dir(&self.dir);
                Err(StoreError::Io { path, source })
            }
        }
    }

    /// Removes the snapshots older than the newest one whose events all precede `cutoff`
    /// (Unix ms), and the segments wholly before it. Never the active segment.
    fn remove_expired(&mut self, cutoff: i64, removed: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let listing = segments::list(self.io.as_ref(), &self.dir)?;
        let mut base = None;
        for &events in listing.snapshots.iter().rev() {
            let path = self.dir.join(snapshot_file_name(events));
            let meta = snapshot::read_snapshot_meta(self.io.as_ref(), &path);
            if meta.is_ok_and(|m| m.latest_event_at_unix_ms.is_some_and(|l| l < cutoff)) {
                base = Some(events);
                break;
            }
        }
        let Some(base) = base else {
            return Ok(());
        };
        let old_snapshots = listing.snapshots.iter().filter(|&&e| e < base);
        let mut paths: Vec<PathBuf> = old_snapshots
            .map(|&e| self.dir.join(snapshot_file_name(e)))
            .collect();
        for pair in listing.segments.windows(2) {
            if pair[1] <= base && pair[0] < self.active_first {
                paths.push(self.dir.join(segment_file_name(pair[0])));
            }
        }
        for path in paths {
            self.io.remove(&path)?;
            removed.push(path);
        }
        self.io.sync_dir(&self.dir)
    }

    /// Thins every snapshot but the newest [`snapshot::FULL_SNAPSHOTS_KEPT`] to its meta
    /// frame: they are only needed for retention's event times.
    fn thin_old_snapshots(&self) -> std::io::Result<()> {
        let listing = segments::list(self.io.as_ref(), &self.dir)?;
        let old = listing
            .snapshots
            .len()
            .saturating_sub(snapshot::FULL_SNAPSHOTS_KEPT);
        for &events in &listing.snapshots[..old] {
            let path = self.dir.join(snapshot_file_name(events));
            snapshot::thin_snapshot(self.io.as_ref(), &self.dir, &path)?;
        }
        Ok(())
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
