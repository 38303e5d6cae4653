//! The alert ledger: the firing alerts and their firing counters
//! ([`AlertSnapshot`]) in `<data_dir>/alerts.json`, replaced atomically (write a temporary
//! file, fsync, rename, fsync the directory) after every alert transition, so a restart
//! neither loses a firing alert nor fires it again under a new id. The event log stays the only source of the
//! tallies; this file holds only what the alert rules decided.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::monitor::alerts::AlertSnapshot;

/// Why the alert ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum AlertLedgerError {
    /// The file could not be read or replaced.
    #[error("alert ledger {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not hold a snapshot. It holds only the alert rules' decisions, never
    /// events, so moving it aside loses no data: the current closure's alerts then fire
    /// again.
    #[error(
        "alert ledger {path} is corrupt ({reason}); it holds only the alert rules' decisions: \
         move it aside to start, and the current closure's alerts fire again"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// File name of the alert ledger inside the data directory.
pub const ALERTS_FILE: &str = "alerts.json";

/// The alert ledger of one data directory.
#[derive(Debug, Clone)]
pub struct AlertLedger {
    path: PathBuf,
}

impl AlertLedger {
    /// The ledger in `dir` (created on the first save).
    pub fn new(dir: &Path) -> Self {
        Self {
            path: dir.join(ALERTS_FILE),
        }
    }

    /// The snapshot saved last; empty when none was saved.
    pub fn load(&self) -> Result<AlertSnapshot, AlertLedgerError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| AlertLedgerError::Corrupt {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AlertSnapshot::default()),
            Err(source) => Err(AlertLedgerError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Replaces the saved snapshot with `snapshot`; durable when this returns `Ok`.
    pub fn save(&self, snapshot: &AlertSnapshot) -> Result<(), AlertLedgerError> {
        let io = |source| AlertLedgerError::Io {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec(snapshot).map_err(|e| AlertLedgerError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&json).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => super::io::sync_dir(dir).map_err(io),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_ledger_is_an_error_naming_the_file_and_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = AlertLedger::new(dir.path());
        assert_eq!(ledger.load().unwrap(), AlertSnapshot::default());
        std::fs::write(dir.path().join(ALERTS_FILE), b"{\"firing\": [").unwrap();
        let message = ledger.load().unwrap_err().to_string();
        assert!(message.contains(ALERTS_FILE), "{message}");
        assert!(message.contains("move it aside"), "{message}");
    }

    #[test]
    fn a_saved_snapshot_reads_back_and_an_unwritable_ledger_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = AlertLedger::new(dir.path());
        let snapshot = AlertSnapshot {
            firing: Vec::new(),
            sequence: vec![(
                1_795_165_200_000,
                crate::monitor::alerts::AlertRule::StaleFeed,
                2,
            )],
        };
        ledger.save(&snapshot).unwrap();
        assert_eq!(ledger.load().unwrap(), snapshot);
        let missing = AlertLedger::new(&dir.path().join("no-such-dir"));
        assert!(matches!(
            missing.save(&snapshot),
            Err(AlertLedgerError::Io { .. })
        ));
    }
}
