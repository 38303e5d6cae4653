//! The durable event log: an embedded [redb](https://docs.rs/redb) database in the data
//! directory (`<data_dir>/sentinel.redb`).
//!
//! redb is a copy-on-write B-tree with checksummed pages and an atomic commit slot; a
//! commit either lands whole or not at all, so a crash leaves the last committed state.
//!
//! **Fsync policy.** Every commit uses `Durability::Immediate`: `commit` returns only after
//! the data and the commit slot are fsynced. The service acknowledges an event only after
//! the commit that holds it returned (append before ack). Throughput comes from group
//! commit: the caller puts every event waiting at that moment into one transaction, so one
//! fsync covers many events.
//!
//! Tables: `events` (sequence number → JSON of the validated event, in acceptance order;
//! duplicates are never written) and `meta` (`reserve` → JSON of the reserve position).
//! The alert rules' decisions live beside the log in [`alerts::AlertLedger`].

pub mod alerts;

use std::path::{Path, PathBuf};

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::ReservePosition;

const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const RESERVE_KEY: &str = "reserve";
const VERSION_KEY: &str = "state_version";
/// File name of the database inside the data directory.
pub const DB_FILE: &str = "sentinel.redb";

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
    /// A file beside the database could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("event store: {0}")]
    Database(#[from] redb::Error),
    /// A stored record did not decode.
    #[error("event store record {key}: {reason}")]
    Corrupt {
        /// The record's key.
        key: String,
        /// What is wrong.
        reason: String,
    },
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
}

/// The open log.
#[derive(Debug)]
pub struct EventStore {
    db: Database,
    path: PathBuf,
    next_sequence: u64,
}

impl EventStore {
    /// Opens (or creates) the log in `dir` and reads everything it holds.
    pub fn open(dir: &Path) -> Result<(Self, Recovered), StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let database = Database::create(&path).map_err(db_err)?;
        let mut txn = database.begin_write().map_err(db_err)?;
        txn.set_durability(Durability::Immediate).map_err(db_err)?;
        txn.open_table(EVENTS).map_err(db_err)?;
        txn.open_table(META).map_err(db_err)?;
        txn.commit().map_err(db_err)?;
        let recovered = read_all(&database)?;
        let store = Self {
            db: database,
            path,
            next_sequence: recovered.events.len() as u64,
        };
        Ok((store, recovered))
    }

    /// Events in the log.
    pub fn len(&self) -> u64 {
        self.next_sequence
    }

    /// Size of the database file, bytes (0 if it cannot be read).
    pub fn size_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// True when the log holds no event.
    pub fn is_empty(&self) -> bool {
        self.next_sequence == 0
    }

    /// Appends `events`, replaces the reserve if given and records `state_version`, in one
    /// transaction; durable (fsynced) when this returns `Ok`.
    pub fn commit(
        &mut self,
        events: &[WithdrawalEvent],
        reserve: Option<&ReservePosition>,
        state_version: u64,
    ) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(db_err)?;
        txn.set_durability(Durability::Immediate).map_err(db_err)?;
        {
            let mut table = txn.open_table(EVENTS).map_err(db_err)?;
            let mut buffer = Vec::with_capacity(256);
            for (i, event) in events.iter().enumerate() {
                buffer.clear();
                serde_json::to_writer(&mut buffer, event).map_err(|e| corrupt("event", e))?;
                table
                    .insert(self.next_sequence + i as u64, buffer.as_slice())
                    .map_err(db_err)?;
            }
        }
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            if let Some(reserve) = reserve {
                let json = serde_json::to_vec(reserve).map_err(|e| corrupt(RESERVE_KEY, e))?;
                meta.insert(RESERVE_KEY, json.as_slice()).map_err(db_err)?;
            }
            let version = state_version.to_le_bytes();
            meta.insert(VERSION_KEY, version.as_slice())
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        self.next_sequence += events.len() as u64;
        Ok(())
    }
}

fn corrupt(key: impl ToString, error: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        reason: error.to_string(),
    }
}

fn read_all(db: &Database) -> Result<Recovered, StoreError> {
    let txn = db.begin_read().map_err(db_err)?;
    let table = txn.open_table(EVENTS).map_err(db_err)?;
    let mut events = Vec::with_capacity(table.len().map_err(db_err)? as usize);
    for entry in table.iter().map_err(db_err)? {
        let (key, value) = entry.map_err(db_err)?;
        let event = serde_json::from_slice(value.value()).map_err(|e| corrupt(key.value(), e))?;
        events.push(event);
    }
    let meta = txn.open_table(META).map_err(db_err)?;
    let reserve = match meta.get(RESERVE_KEY).map_err(db_err)? {
        Some(value) => {
            Some(serde_json::from_slice(value.value()).map_err(|e| corrupt(RESERVE_KEY, e))?)
        }
        None => None,
    };
    let state_version = match meta.get(VERSION_KEY).map_err(db_err)? {
        Some(value) => {
            let bytes: [u8; 8] = value
                .value()
                .try_into()
                .map_err(|_| corrupt(VERSION_KEY, "not 8 bytes"))?;
            u64::from_le_bytes(bytes)
        }
        None => 0,
    };
    Ok(Recovered {
        events,
        reserve,
        state_version,
    })
}

fn db_err<E: Into<redb::Error>>(error: E) -> StoreError {
    StoreError::Database(error.into())
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
    }
}
