//! The hook through which the engine reports what it does (e.g. to export metrics).

use super::PublishedProjection;
use crate::monitor::alerts::Alert;
use crate::monitor::event::{CountedCohort, RejectionReason, WithdrawalEvent};
use crate::monitor::state::ReservePosition;

/// What the engine reports as it works. Every method has a no-op default; calls come from
/// the sequencer thread, the projector and clock tasks or a gRPC handler, so keep them
/// cheap. Only the emitters of [`super::emit`] call these.
pub trait EngineObserver: Send + Sync {
    /// An event accepted and made durable, counted in `cohort`, at wall clock `now_unix_ms`.
    fn on_accepted(&self, _event: &WithdrawalEvent, _cohort: CountedCohort, _now_unix_ms: i64) {}
    /// `count` events acknowledged as duplicates.
    fn on_duplicates(&self, _count: u64) {}
    /// An event rejected as invalid because of `reason`.
    fn on_event_rejected(&self, _reason: RejectionReason) {}
    /// A reserve position (`SetReserve`) rejected as invalid because of `reason`.
    fn on_reserve_rejected(&self, _reason: RejectionReason) {}
    /// The reserve position in force (at start and after every change).
    fn on_reserve(&self, _reserve: &ReservePosition) {}
    /// A durable commit: events in the log, size of the store file, commit time.
    fn on_commit(&self, _events_in_log: u64, _store_bytes: u64, _now_unix_ms: i64) {}
    /// A commit failed (its commands were refused, nothing of it stored).
    fn on_commit_failed(&self) {}
    /// Whether the store takes writes (at start, and on every change).
    fn on_store_writable(&self, _writable: bool) {}
    /// A torn tail of `records` records and `bytes` bytes was cut from the log at open.
    fn on_store_tail_truncated(&self, _records: u64, _bytes: u64) {}
    /// A projection published.
    fn on_projection(&self, _projection: &PublishedProjection) {}
    /// The rail calendar in force: its dated span ends at `dated_until_unix_ms` (`None`
    /// without a holiday list).
    fn on_calendar(&self, _dated_until_unix_ms: Option<i64>) {}
    /// An alert transition (from a projection or from the clock).
    fn on_alert(&self, _alert: &Alert) {}
}

/// The observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl EngineObserver for NoObserver {}
