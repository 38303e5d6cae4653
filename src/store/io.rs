//! The store's file abstraction: every byte the event log reads or writes, every fsync and
//! every directory operation goes through [`StoreIo`] and [`LogFile`], so a test can put a
//! fault-injecting file system under the real store (failed fsyncs, torn writes, ENOSPC,
//! crashes that drop what was not synced). [`FsIo`] is the real file system.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// One open file of the log, written only at its end.
pub trait LogFile: Send {
    /// Reads up to `buf.len()` bytes at byte `offset`; returns how many were read (0 at
    /// the end of the file).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Appends `bytes` at the end of the file. On an error some prefix of `bytes` may have
    /// been written (a torn write).
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything written so far durable (fsync).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file to `len` bytes (durable only after [`LogFile::sync`]).
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Current length, bytes.
    fn size(&mut self) -> io::Result<u64>;
}

/// The file system the store works on.
pub trait StoreIo: Send + Sync {
    /// Creates `dir` and its parents if missing.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Opens `path` for reading and appending, creating it empty if missing. Returns the
    /// file and whether it was created (the caller then fsyncs the directory).
    fn open(&self, path: &Path) -> io::Result<(Box<dyn LogFile>, bool)>;
    /// Opens an existing `path` for reading only.
    fn open_existing(&self, path: &Path) -> io::Result<Box<dyn LogFile>>;
    /// Names of the files in `dir`.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// Renames `from` to `to`, replacing `to` (durable after [`StoreIo::sync_dir`]).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes the file `path` (durable after [`StoreIo::sync_dir`]).
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes the directory entries of `dir` durable (fsync of the directory).
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Checks that `dir` takes a small durable write: writes and fsyncs a probe file and
    /// removes it. Used to tell whether a full or failing disk has recovered.
    fn probe(&self, dir: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsIo;

/// Name of the probe file [`FsIo::probe`] writes and removes.
pub const PROBE_FILE: &str = "write-probe.tmp";
/// Bytes the probe writes (one page).
const PROBE_BYTES: usize = 4_096;

impl StoreIo for FsIo {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    fn open(&self, path: &Path) -> io::Result<(Box<dyn LogFile>, bool)> {
        let created = !path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        Ok((Box::new(FsFile { file }), created))
    }

    fn open_existing(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let file = OpenOptions::new().read(true).open(path)?;
        Ok(Box::new(FsFile { file }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        sync_dir(dir)
    }

    fn probe(&self, dir: &Path) -> io::Result<()> {
        let path = dir.join(PROBE_FILE);
        let result = (|| {
            let mut file = File::create(&path)?;
            file.write_all(&[0u8; PROBE_BYTES])?;
            file.sync_all()
        })();
        let removed = std::fs::remove_file(&path);
        result.and(removed)
    }
}

/// Fsyncs the directory `dir` (its entries: created, renamed or removed files).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A [`LogFile`] over a real file opened in append mode.
#[derive(Debug)]
struct FsFile {
    file: File,
}

impl LogFile for FsFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.seek(SeekFrom::Start(offset))?;
        let mut read = 0;
        while read < buf.len() {
            match self.file.read(&mut buf[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(read)
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

/// A monotonic clock for the store's reopen backoff (injected so tests need no sleeps).
pub trait MonotonicClock: Send + Sync {
    /// Time since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// [`MonotonicClock`] on [`std::time::Instant`].
#[derive(Debug, Clone, Copy)]
pub struct SystemMonotonic {
    origin: Instant,
}

impl Default for SystemMonotonic {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl MonotonicClock for SystemMonotonic {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}
