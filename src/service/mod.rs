//! The running monitor: the async machinery around the pure [`crate::monitor`] logic.
//! Knows tokio, rayon and the [`crate::store`], never the wire protocol. Split along the
//! data flow:
//!
//! - [`engine`]: the public API ([`Engine`]): validate, record, set the reserve, subscribe.
//! - [`sequencer`] (one OS thread, owns the store): takes every command waiting, drops
//!   duplicate `event_id`s, commits the new events in one fsynced transaction (group
//!   commit), then applies them to the state and only then acknowledges. Log order is
//!   apply order, so a restart rebuilds the same state.
//! - [`projector`] (a tokio task): waits for a new state version, snapshots the state and
//!   runs the projection on rayon; while it runs newer versions coalesce (at most one in
//!   flight, the latest state wins). Each projection is published to a `watch` (latest)
//!   and a bounded `broadcast` (subscribers that lag are told how many they missed).
//! - [`clock`]: the injected [`WallClock`] that decides whether the rails are closed, and
//!   a tokio task that once a second resolves the alerts of a closure the clock has left
//!   (reason "rails reopened"), wakes the projector when the rails close or reopen, and
//!   evaluates the stale-feed rule (armed only while the rails are closed); on tokio's
//!   clock, so tests drive it with `tokio::time::pause` / `advance`.
//! - [`ingest`]: one group commit as a function (dedup, one fsynced record, apply) — what
//!   the sequencer runs and the fault simulation drives.
//! - [`alert_hub`]: the alert rules' state and the bounded alert `broadcast`; a subscriber
//!   first gets the firing alerts.
//! - [`emit`]: one emitter per domain event (events committed, event rejected, reserve
//!   set or rejected, projection published, alert transition). Each logs, reports to the
//!   [`EngineObserver`] (metrics) and broadcasts in one place.

mod alert_hub;
pub mod checkpoint;
mod clock;
mod emit;
mod engine;
pub mod ingest;
pub mod log_limit;
mod observer;
mod projector;
mod sequencer;

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

pub use clock::{SystemClock, TokioClock, WallClock};
pub use engine::{Engine, StoreAccess};
pub use observer::{EngineObserver, NoObserver};

use crate::monitor::event::Rejection;
use crate::monitor::projection::Projection;
use crate::store::StoreError;

/// Why the engine refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An event failed validation; nothing of its batch was applied.
    #[error("event {index} (event_id {event_id:?}): {rejection}")]
    Invalid {
        /// Position of the event in its batch.
        index: usize,
        /// Its id as given.
        event_id: String,
        /// The field and reason.
        rejection: Rejection,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The alert ledger beside the log could not be read.
    #[error(transparent)]
    AlertLedger(#[from] crate::store::alerts::AlertLedgerError),
    /// A commit failed; nothing of the batch was stored or applied.
    #[error("event store commit failed, nothing of this batch was stored: {0}")]
    Commit(String),
    /// The engine is shutting down.
    #[error("the monitor is shutting down")]
    Stopped,
    /// The configuration's scenarios do not make a valid withdrawal process.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

/// Whether the event store takes writes (gRPC health and `/healthz` follow it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreHealth {
    /// The last write succeeded.
    #[default]
    Writable,
    /// Writes fail; events are refused with UNAVAILABLE until a write succeeds again.
    Failing {
        /// Why the last write failed.
        reason: String,
    },
}

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IngestCounts {
    /// Events accepted for the first time (now durable).
    pub accepted: u64,
    /// Events whose id was already stored.
    pub duplicates: u64,
    /// State version after the batch.
    pub state_version: u64,
}

/// A projection as published.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedProjection {
    /// The projection.
    pub projection: Projection,
    /// Wall clock when it was finished, Unix ms.
    pub computed_at_unix_ms: i64,
    /// Wall time of the computation, ms.
    pub compute_ms: f64,
}

/// Unix ms of the wall clock.
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
