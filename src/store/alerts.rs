//! The alert ledger: the firing alerts and their firing counters
//! ([`AlertSnapshot`]) in `<data_dir>/alerts.json`, replaced atomically (write a temporary
//! file, fsync, rename, fsync the directory) after every alert transition, so a restart
//! neither loses a firing alert nor fires it again under a new id. The event log stays the only source of the
//! tallies; this file holds only what the alert rules decided.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::monitor::alerts::AlertSnapshot;

use super::StoreError;

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
    pub fn load(&self) -> Result<AlertSnapshot, StoreError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                key: ALERTS_FILE.to_owned(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AlertSnapshot::default()),
            Err(source) => Err(StoreError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Replaces the saved snapshot with `snapshot`; durable when this returns `Ok`.
    pub fn save(&self, snapshot: &AlertSnapshot) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec(snapshot).map_err(|e| StoreError::Corrupt {
            key: ALERTS_FILE.to_owned(),
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
