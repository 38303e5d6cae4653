//! The log as a chain of segment files, `<data_dir>/events-<first event, 20 digits>.log`,
//! each with the log header and the commit records from its first event on. A new segment
//! starts at each checkpoint (beside a snapshot), so old segments can be removed whole by
//! retention and a restart reads only the segments after its snapshot.
//!
//! [`replay_chain`] reads segments in order from the one holding a base event: it checks
//! every record (checksum, decoding, sequence across files, state versions) and every id
//! against the dedup horizon, skipping the events before the base (the snapshot holds
//! them). It stops at the first bad record, naming its segment.

use std::io;
use std::path::{Path, PathBuf};

use prost::Message;

use super::frame::{self, BadFrame, Scan, ScanEnd, scan};
use super::io::StoreIo;
use super::record::CommitRecord;
use super::snapshot::parse_snapshot_file_name;
use crate::monitor::dedup::RecentIds;
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::ReservePosition;

/// File name of the single-file log of earlier versions, adopted as the first segment.
pub const LEGACY_LOG_FILE: &str = "events.log";

/// The file name of the segment whose first record starts at event `first_event`.
pub fn segment_file_name(first_event: u64) -> String {
    format!("events-{first_event:020}.log")
}

/// The first event of a segment file name, if `name` is one.
pub fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("events-")?.strip_suffix(".log")?;
    (digits.len() == 20).then(|| digits.parse().ok())?
}

/// The segments and snapshots of a data directory, each by first event, ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// First events of the segment files.
    pub segments: Vec<u64>,
    /// Event counts of the snapshot files.
    pub snapshots: Vec<u64>,
}

/// Lists `dir`, first renaming a single-file log of an earlier version (`events.log`) to
/// the first segment when no segment exists yet.
pub fn list(io: &dyn StoreIo, dir: &Path) -> io::Result<Listing> {
    let names = io.list(dir)?;
    let mut listing = Listing::default();
    for name in &names {
        if name.starts_with("snapshot-") && name.ends_with(".bin.tmp") {
            // A snapshot a crash or failure left unfinished: never read, safe to drop.
            let _ = io.remove(&dir.join(name));
        } else if let Some(first) = parse_segment_file_name(name) {
            listing.segments.push(first);
        } else if let Some(first) = parse_snapshot_file_name(name) {
            listing.snapshots.push(first);
        }
    }
    if listing.segments.is_empty() && names.iter().any(|n| n == LEGACY_LOG_FILE) {
        io.rename(&dir.join(LEGACY_LOG_FILE), &dir.join(segment_file_name(0)))?;
        io.sync_dir(dir)?;
        listing.segments.push(0);
    }
    listing.segments.sort_unstable();
    listing.snapshots.sort_unstable();
    Ok(listing)
}

/// Where a replay starts: after `base_event` events, with the ids and the state version
/// the state had there (a snapshot's, or empty at event 0). Records up to that version are
/// the snapshot's (versions rise strictly along the log) and are only counted.
#[derive(Debug, Clone)]
pub struct ReplayBase {
    /// Events before the replayed part.
    pub base_event: u64,
    /// Ids inside the dedup horizon at the base.
    pub ids: RecentIds,
    /// State version at the base.
    pub state_version: u64,
}

/// The first bad record of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// Index of its segment in the listing.
    pub segment: usize,
    /// Its segment file.
    pub path: PathBuf,
    /// A torn tail or corruption, located in that file.
    pub end: ScanEnd,
}

/// What [`replay_chain`] read.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// Events after the base, in log order.
    pub events: Vec<WithdrawalEvent>,
    /// The last reserve position set after the base, if any.
    pub reserve: Option<ReservePosition>,
    /// State version after the last valid record (the base's if none).
    pub state_version: u64,
    /// Events in the log up to the last valid record, the base's included.
    pub log_events: u64,
    /// Valid records read (skipped ones before the base included).
    pub records: u64,
    /// Each segment's scan, in order (up to the break).
    pub scans: Vec<(PathBuf, Scan)>,
    /// The first bad record, if any.
    pub broken: Option<ChainBreak>,
    /// The ids inside the dedup horizon after the last valid record (the base's, then
    /// every event replayed): what the state's duplicate check holds after the same log.
    pub ids: RecentIds,
}

/// What [`replay_segment`] carries from one record to the next.
struct Cursor<'a> {
    base: &'a mut ReplayBase,
    chain: &'a mut Chain,
}

impl Cursor<'_> {
    fn visit(&mut self, payload: &[u8]) -> Result<(), String> {
        let commit = CommitRecord::decode(payload).map_err(|e| format!("undecodable: {e}"))?;
        let expected = self.chain.log_events;
        if commit.first_event != expected {
            return Err(format!(
                "out of sequence: starts at event {} where the log holds {expected}",
                commit.first_event
            ));
        }
        let count = commit.events.len() as u64;
        if commit.state_version <= self.base.state_version {
            if commit.first_event + count > self.base.base_event {
                return Err("a record the snapshot covers holds events after it".to_owned());
            }
            self.chain.log_events += count;
            return Ok(());
        }
        if commit.first_event < self.base.base_event {
            return Err("a record after the snapshot starts before its event count".to_owned());
        }
        if commit.state_version <= self.chain.state_version {
            return Err(format!(
                "state version {} does not follow {}",
                commit.state_version, self.chain.state_version
            ));
        }
        for record in commit.events {
            let event = record.into_event()?;
            if !self
                .base
                .ids
                .insert(&event.event_id, event.occurred_at_unix_ms)
            {
                return Err(format!(
                    "duplicate event_id {:?} (already stored within the dedup horizon)",
                    event.event_id
                ));
            }
            self.chain.events.push(event);
        }
        if let Some(reserve) = commit.reserve {
            self.chain.reserve = Some(reserve.into_reserve());
        }
        self.chain.log_events += count;
        self.chain.state_version = commit.state_version;
        Ok(())
    }
}

/// Replays the segments `listing.segments[from..]` of `dir` after `base`.
pub fn replay_chain(
    io: &dyn StoreIo,
    dir: &Path,
    segments: &[u64],
    mut base: ReplayBase,
) -> io::Result<Chain> {
    let from = segments
        .iter()
        .rposition(|&first| first <= base.base_event)
        .unwrap_or(0);
    let mut chain = Chain {
        state_version: base.state_version,
        log_events: segments.get(from).copied().unwrap_or(0),
        ..Chain::default()
    };
    for (index, &first) in segments.iter().enumerate().skip(from) {
        let path = dir.join(segment_file_name(first));
        if first != chain.log_events {
            chain.broken = Some(ChainBreak {
                segment: index,
                path,
                end: ScanEnd::Corrupt(BadFrame {
                    offset: 0,
                    record: 0,
                    reason: format!(
                        "segment starts at event {first} but the segments before it end at \
                         event {}",
                        chain.log_events
                    ),
                }),
            });
            chain.ids = base.ids;
            return Ok(chain);
        }
        let mut file = io.open_existing(&path)?;
        let mut cursor = Cursor {
            base: &mut base,
            chain: &mut chain,
        };
        let scanned = scan(file.as_mut(), &mut |_, payload| cursor.visit(payload))?;
        chain.records += scanned.records;
        let end = scanned.end.clone();
        chain.scans.push((path.clone(), scanned));
        if end != ScanEnd::Clean {
            chain.broken = Some(ChainBreak {
                segment: index,
                path,
                end,
            });
            break;
        }
    }
    chain.ids = base.ids;
    Ok(chain)
}

/// The scan of the last segment, if the chain read one.
pub fn last_scan(chain: &Chain) -> Option<&frame::Scan> {
    chain.scans.last().map(|(_, scan)| scan)
}
