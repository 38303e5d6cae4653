//! Offline checks of a data directory's log: [`verify`] (`sentinel store verify`) reads
//! every record and reports, changing nothing; [`salvage`] (`sentinel store salvage`)
//! keeps the valid records before the first bad one and moves every byte after them to a
//! dated file beside the log (`events.log.salvaged-<UTC time>`), deleting nothing.
//! Run either while the monitor is stopped.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::frame::{BadFrame, HEADER_LEN, ScanEnd};
use super::io::{FsIo, StoreIo, sync_dir};
use super::{LOG_FILE, StoreError, replay};

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The log file.
    pub path: PathBuf,
    /// Its length, bytes.
    pub file_len: u64,
    /// End of the last valid record, bytes.
    pub valid_len: u64,
    /// Valid records (commits).
    pub records: u64,
    /// Events in the valid records.
    pub events: u64,
    /// State version after the last valid record.
    pub state_version: u64,
    /// How the log ends: clean, a torn tail (cut at the next start) or corruption (the
    /// monitor refuses to start; salvage keeps what is before it).
    pub end: ScanEnd,
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

/// Reads and checks every record of the log in `dir`; changes nothing.
pub fn verify(dir: &Path) -> Result<VerifyReport, StoreError> {
    let path = dir.join(LOG_FILE);
    if !path.exists() {
        return Err(StoreError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no event log here"),
        });
    }
    let (mut file, _) = FsIo.open(&path).map_err(io_err(&path))?;
    let replayed = replay(file.as_mut()).map_err(io_err(&path))?;
    Ok(VerifyReport {
        path,
        file_len: replayed.scan.file_len,
        valid_len: replayed.scan.valid_len,
        records: replayed.scan.records,
        events: replayed.recovered.events.len() as u64,
        state_version: replayed.recovered.state_version,
        end: replayed.scan.end,
    })
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

/// Keeps the valid records of the log in `dir` before the first bad one and moves the
/// rest to `events.log.salvaged-<stamp>` (`stamp` e.g. `20261126T150400Z`), fsyncing the
/// new file, the cut log and the directory. A clean log is left as it is. Never deletes.
pub fn salvage(dir: &Path, stamp: &str) -> Result<SalvageReport, StoreError> {
    let before = verify(dir)?;
    if before.end == ScanEnd::Clean {
        return Ok(SalvageReport {
            before,
            moved_to: None,
            moved_bytes: 0,
        });
    }
    let path = before.path.clone();
    let keep = if before.valid_len < HEADER_LEN {
        0
    } else {
        before.valid_len
    };
    let (mut file, _) = FsIo.open(&path).map_err(io_err(&path))?;
    let mut rest = vec![0u8; (before.file_len - keep) as usize];
    let mut read = 0;
    while read < rest.len() {
        let n = file
            .read_at(keep + read as u64, &mut rest[read..])
            .map_err(io_err(&path))?;
        if n == 0 {
            break;
        }
        read += n;
    }
    rest.truncate(read);
    let aside = dir.join(format!("{LOG_FILE}.salvaged-{stamp}"));
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&aside)
        .map_err(io_err(&aside))?;
    out.write_all(&rest).map_err(io_err(&aside))?;
    out.sync_all().map_err(io_err(&aside))?;
    sync_dir(dir).map_err(io_err(dir))?;
    file.truncate(keep).map_err(io_err(&path))?;
    file.sync().map_err(io_err(&path))?;
    Ok(SalvageReport {
        before,
        moved_to: Some(aside),
        moved_bytes: rest.len() as u64,
    })
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
