//! Offline checks of a data directory's log: [`verify`] (`sentinel store verify`) reads
//! every record of every segment and every snapshot and reports, changing nothing;
//! [`salvage`] (`sentinel store salvage`) keeps the valid records before the first bad one
//! and moves every byte after them — the rest of that segment, later segments and the
//! snapshots beyond the kept records — to dated files beside them
//! (`<name>.salvaged-<UTC time>`), deleting nothing. Run either while the monitor is
//! stopped.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::StoreError;
use super::frame::{BadFrame, HEADER_LEN, ScanEnd};
use super::io::{FsIo, StoreIo, sync_dir};
use super::segments::{self, Listing, ReplayBase, replay_chain, segment_file_name};
use super::snapshot::{read_snapshot, snapshot_file_name};
use crate::monitor::dedup::RecentIds;

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The segment where the check ended: the damaged one, else the last.
    pub path: PathBuf,
    /// Its length, bytes.
    pub file_len: u64,
    /// End of its last valid record, bytes.
    pub valid_len: u64,
    /// Segment files read.
    pub segments: usize,
    /// Valid records (commits) in all segments read.
    pub records: u64,
    /// Events in the log up to the last valid record (removed segments' included).
    pub events: u64,
    /// State version after the last valid record.
    pub state_version: u64,
    /// How the log ends: clean, a torn tail (cut at the next start) or corruption (the
    /// monitor refuses to start; salvage keeps what is before it).
    pub end: ScanEnd,
    /// Each snapshot file and why it cannot be used, if it cannot.
    pub snapshots: Vec<(String, Option<String>)>,
}

impl VerifyReport {
    /// True when the monitor would refuse to start on this log.
    pub fn is_corrupt(&self) -> bool {
        matches!(self.end, ScanEnd::Corrupt(_))
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads and checks every record of the log in `dir`, every id deduplicated over the
/// whole log; changes nothing.
pub fn verify(dir: &Path) -> Result<VerifyReport, StoreError> {
    verify_with(dir, i64::MAX)
}

/// [`verify`] with duplicates looked for within `dedup_horizon_ms` of event time (the
/// monitor's `max_event_age_days` + `max_clock_skew_minutes`).
pub fn verify_with(dir: &Path, dedup_horizon_ms: i64) -> Result<VerifyReport, StoreError> {
    let listing = listing_of(dir)?;
    let first = listing.segments[0];
    let base = ReplayBase {
        base_event: first,
        ids: RecentIds::new(dedup_horizon_ms),
        state_version: 0,
    };
    let chain = replay_chain(&FsIo, dir, &listing.segments, base).map_err(io_err(dir))?;
    let (path, end) = match &chain.broken {
        Some(broken) => (broken.path.clone(), broken.end.clone()),
        None => (
            dir.join(segment_file_name(*listing.segments.last().unwrap_or(&0))),
            ScanEnd::Clean,
        ),
    };
    let scan = chain.scans.iter().find(|(p, _)| *p == path).map(|(_, s)| s);
    let snapshots = listing
        .snapshots
        .iter()
        .map(|&e| {
            let name = snapshot_file_name(e);
            let problem = read_snapshot(&FsIo, &dir.join(&name)).err();
            (name, problem)
        })
        .collect();
    Ok(VerifyReport {
        file_len: scan.map_or(0, |s| s.file_len),
        valid_len: scan.map_or(0, |s| s.valid_len),
        path,
        segments: chain.scans.len(),
        records: chain.records,
        events: chain.log_events,
        state_version: chain.state_version,
        end,
        snapshots,
    })
}

/// The segments and snapshots of `dir`; an error when it holds no segment.
fn listing_of(dir: &Path) -> Result<Listing, StoreError> {
    let listing = segments::list(&FsIo, dir).map_err(io_err(dir))?;
    if listing.segments.is_empty() {
        return Err(StoreError::Io {
            path: dir.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no event log here"),
        });
    }
    Ok(listing)
}

/// What [`salvage`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalvageReport {
    /// The check before salvaging.
    pub before: VerifyReport,
    /// Where the bytes after the valid records went (`None` when the log was clean).
    pub moved_to: Option<PathBuf>,
    /// Bytes moved there.
    pub moved_bytes: u64,
}

/// Keeps the valid records of the log in `dir` before the first bad one; moves the rest of
/// that segment to `<segment>.salvaged-<stamp>` (`stamp` e.g. `20261126T150400Z`), and
/// later segments and snapshots beyond the kept records to `<name>.salvaged-<stamp>`,
/// fsyncing the new file, the cut segment and the directory. A clean log is left as it
/// is. Never deletes.
pub fn salvage(dir: &Path, stamp: &str) -> Result<SalvageReport, StoreError> {
    salvage_with(dir, stamp, i64::MAX)
}

/// [`salvage`] with duplicates looked for within `dedup_horizon_ms` (as [`verify_with`]).
pub fn salvage_with(
    dir: &Path,
    stamp: &str,
    dedup_horizon_ms: i64,
) -> Result<SalvageReport, StoreError> {
    let before = verify_with(dir, dedup_horizon_ms)?;
    if before.end == ScanEnd::Clean {
        return Ok(SalvageReport {
            before,
            moved_to: None,
            moved_bytes: 0,
        });
    }
    let (aside, moved_bytes) = move_rest_aside(&before, stamp)?;
    move_later_files_aside(dir, &before, stamp)?;
    sync_dir(dir).map_err(io_err(dir))?;
    Ok(SalvageReport {
        before,
        moved_to: Some(aside),
        moved_bytes,
    })
}

/// Moves the bytes of the damaged segment after its valid records to a dated file and
/// cuts the segment there.
fn move_rest_aside(before: &VerifyReport, stamp: &str) -> Result<(PathBuf, u64), StoreError> {
    let path = &before.path;
    let keep = if before.valid_len < HEADER_LEN {
        0
    } else {
        before.valid_len
    };
    let mut file = FsIo.open(path).map_err(io_err(path))?.0;
    let mut rest = vec![0u8; (before.file_len - keep) as usize];
    let mut read = 0;
    while read < rest.len() {
        let n = file
            .read_at(keep + read as u64, &mut rest[read..])
            .map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        read += n;
    }
    rest.truncate(read);
    let aside = aside_path(path, stamp);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&aside)
        .map_err(io_err(&aside))?;
    out.write_all(&rest).map_err(io_err(&aside))?;
    out.sync_all().map_err(io_err(&aside))?;
    file.truncate(keep).map_err(io_err(path))?;
    file.sync().map_err(io_err(path))?;
    Ok((aside, rest.len() as u64))
}

/// Renames the segments after the damaged one and the snapshots covering more events than
/// were kept.
fn move_later_files_aside(
    dir: &Path,
    before: &VerifyReport,
    stamp: &str,
) -> Result<(), StoreError> {
    let listing = listing_of(dir)?;
    let damaged = before.path.file_name().and_then(|n| n.to_str());
    let damaged_first = damaged.and_then(segments::parse_segment_file_name);
    let later_segments = listing
        .segments
        .iter()
        .filter(|&&first| damaged_first.is_some_and(|d| first > d))
        .map(|&first| dir.join(segment_file_name(first)));
    let later_snapshots = listing
        .snapshots
        .iter()
        .filter(|&&events| events > before.events)
        .map(|&events| dir.join(snapshot_file_name(events)));
    for path in later_segments.chain(later_snapshots) {
        std::fs::rename(&path, aside_path(&path, stamp)).map_err(io_err(&path))?;
    }
    Ok(())
}

fn aside_path(path: &Path, stamp: &str) -> PathBuf {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("events");
    path.with_file_name(format!("{name}.salvaged-{stamp}"))
}

/// One line describing how a log ends.
pub fn describe_end(end: &ScanEnd) -> String {
    let at = |b: &BadFrame| {
        format!(
            "at byte offset {} (record {}): {}",
            b.offset, b.record, b.reason
        )
    };
    match end {
        ScanEnd::Clean => "clean".to_owned(),
        ScanEnd::TornTail(b) => format!(
            "torn tail {} — cut at the next start (a crash during a commit leaves this)",
            at(b)
        ),
        ScanEnd::Corrupt(b) => format!("CORRUPT {}", at(b)),
    }
}
