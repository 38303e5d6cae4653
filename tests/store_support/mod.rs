//! A simulated disk under the real event store ([`SimDisk`], implementing the store's
//! `StoreIo`), deterministic from a seed: every file has the bytes the process sees
//! (`current`) and the bytes that would survive a crash (`durable`, updated by fsync).
//! Faults drawn from the seed: ENOSPC before a write, torn writes (a random prefix
//! written, then an error), failed fsyncs (which make all, or none, of the data durable —
//! both happen on real kernels), and [`SimDisk::crash`]: everything not fsynced is lost,
//! except a random prefix of the bytes appended since the last fsync. A file created but
//! whose directory was never fsynced may vanish in a crash. [`SimDisk::set_full`] makes
//! every write fail with ENOSPC until cleared (a full disk).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use sentinel::store::io::{LogFile, MonotonicClock, StoreIo};

/// Probabilities of each fault per operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// An append fails with ENOSPC before writing anything.
    pub enospc: f64,
    /// An append writes a random prefix of its bytes, then fails.
    pub torn_write: f64,
    /// An fsync fails.
    pub sync_failure: f64,
}

#[derive(Debug, Default, Clone)]
struct SimFile {
    current: Vec<u8>,
    durable: Vec<u8>,
    /// The directory entry survives a crash.
    entry_durable: bool,
}

struct Disk {
    files: BTreeMap<PathBuf, SimFile>,
    rng: Pcg64,
    faults: Faults,
    full: bool,
    /// Bumped by each crash: handles of an older generation belong to a dead process.
    generation: u64,
    /// Faults injected, for the failure message.
    injected: u64,
}

/// The simulated disk; cheap to clone (shared).
#[derive(Clone)]
pub struct SimDisk {
    disk: Arc<Mutex<Disk>>,
}

fn enospc() -> io::Error {
    io::Error::from_raw_os_error(28)
}

impl SimDisk {
    /// An empty disk whose faults and crash losses are drawn from `seed`.
    pub fn new(seed: u64, faults: Faults) -> Self {
        Self {
            disk: Arc::new(Mutex::new(Disk {
                files: BTreeMap::new(),
                rng: Pcg64::seed_from_u64(seed ^ 0x5eed_d15c),
                faults,
                full: false,
                generation: 0,
                injected: 0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        self.disk.lock().unwrap()
    }

    /// Sets the fault probabilities.
    pub fn set_faults(&self, faults: Faults) {
        self.lock().faults = faults;
    }

    /// A full disk: every append and probe fails with ENOSPC until cleared.
    pub fn set_full(&self, full: bool) {
        self.lock().full = full;
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.lock().injected
    }

    /// The process dies: every file keeps its durable bytes plus a random prefix of the
    /// bytes appended since its last fsync; a file whose directory entry was never
    /// fsynced may vanish. Handles opened before the crash fail from now on.
    pub fn crash(&self) {
        let mut disk = self.lock();
        let disk = &mut *disk;
        disk.generation += 1;
        let rng = &mut disk.rng;
        disk.files
            .retain(|_, f| f.entry_durable || rng.random_bool(0.5));
        for file in disk.files.values_mut() {
            let kept = if file.current.starts_with(&file.durable) {
                let extra = file.current.len() - file.durable.len();
                let keep = rng.random_range(0..=extra);
                file.current[..file.durable.len() + keep].to_vec()
            } else if rng.random_bool(0.5) {
                file.current.clone()
            } else {
                file.durable.clone()
            };
            file.durable = kept.clone();
            file.current = kept;
        }
    }

    /// The bytes the process sees in `path`.
    pub fn contents(&self, path: &Path) -> Option<Vec<u8>> {
        self.lock().files.get(path).map(|f| f.current.clone())
    }
}

impl StoreIo for SimDisk {
    fn create_dir_all(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn open(&self, path: &Path) -> io::Result<(Box<dyn LogFile>, bool)> {
        let mut disk = self.lock();
        let generation = disk.generation;
        let created = !disk.files.contains_key(path);
        disk.files.entry(path.to_owned()).or_default();
        Ok((
            Box::new(SimHandle {
                disk: self.clone(),
                path: path.to_owned(),
                generation,
            }),
            created,
        ))
    }

    fn open_existing(&self, path: &Path) -> io::Result<Box<dyn LogFile>> {
        let disk = self.lock();
        if !disk.files.contains_key(path) {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        Ok(Box::new(SimHandle {
            disk: self.clone(),
            path: path.to_owned(),
            generation: disk.generation,
        }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let disk = self.lock();
        Ok(disk
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect())
    }

    /// The new name is durable only after a directory fsync (a crash may lose the file
    /// under its new name; the store never renames data it has acknowledged).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut disk = self.lock();
        let mut file = disk
            .files
            .remove(from)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        file.entry_durable = false;
        disk.files.insert(to.to_owned(), file);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.lock()
            .files
            .remove(path)
            .map(drop)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut disk = self.lock();
        for (path, file) in &mut disk.files {
            if path.parent() == Some(dir) {
                file.entry_durable = true;
            }
        }
        Ok(())
    }

    fn probe(&self, _dir: &Path) -> io::Result<()> {
        let mut disk = self.lock();
        let p = disk.faults.enospc;
        if disk.full || disk.rng.random_bool(p) {
            disk.injected += 1;
            return Err(enospc());
        }
        Ok(())
    }
}

/// An open file of the simulated disk.
struct SimHandle {
    disk: SimDisk,
    path: PathBuf,
    generation: u64,
}

impl SimHandle {
    fn with<T>(&self, f: impl FnOnce(&mut Disk, &PathBuf) -> io::Result<T>) -> io::Result<T> {
        let mut disk = self.disk.lock();
        if disk.generation != self.generation {
            return Err(io::Error::other("handle of a crashed process"));
        }
        f(&mut disk, &self.path)
    }
}

fn file<'a>(disk: &'a mut Disk, path: &PathBuf) -> io::Result<&'a mut SimFile> {
    disk.files
        .get_mut(path)
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
}

impl LogFile for SimHandle {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.with(|disk, path| {
            let f = file(disk, path)?;
            let start = (offset as usize).min(f.current.len());
            let n = buf.len().min(f.current.len() - start);
            buf[..n].copy_from_slice(&f.current[start..start + n]);
            Ok(n)
        })
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.with(|disk, path| {
            let faults = disk.faults;
            if disk.full || disk.rng.random_bool(faults.enospc) {
                disk.injected += 1;
                return Err(enospc());
            }
            if disk.rng.random_bool(faults.torn_write) {
                disk.injected += 1;
                let keep = disk.rng.random_range(0..bytes.len().max(1));
                file(disk, path)?.current.extend_from_slice(&bytes[..keep]);
                return Err(io::Error::other("torn write (simulated EIO)"));
            }
            file(disk, path)?.current.extend_from_slice(bytes);
            Ok(())
        })
    }

    fn sync(&mut self) -> io::Result<()> {
        self.with(|disk, path| {
            let p = disk.faults.sync_failure;
            if disk.rng.random_bool(p) {
                disk.injected += 1;
                let lands = disk.rng.random_bool(0.5);
                let f = file(disk, path)?;
                if lands {
                    f.durable = f.current.clone();
                }
                return Err(io::Error::other("fsync failed (simulated EIO)"));
            }
            let f = file(disk, path)?;
            f.durable = f.current.clone();
            Ok(())
        })
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.with(|disk, path| {
            file(disk, path)?.current.truncate(len as usize);
            Ok(())
        })
    }

    fn size(&mut self) -> io::Result<u64> {
        self.with(|disk, path| Ok(file(disk, path)?.current.len() as u64))
    }
}

/// A monotonic clock moved by hand.
#[derive(Debug, Default, Clone)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.ms.fetch_add(d.as_millis() as u64, Ordering::SeqCst);
    }
}

impl MonotonicClock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.ms.load(Ordering::SeqCst))
    }
}
