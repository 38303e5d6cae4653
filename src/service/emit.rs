//! One emitter per domain event, in the manner of vector's `internal_events`: each type
//! is one thing that happened, and its `emit` is the only place that logs it (structured
//! fields), reports it to the [`EngineObserver`] (metrics) and broadcasts it. A new path
//! that raises the event reuses the emitter, so no sink can be forgotten.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use tracing::{debug, info, warn};

use super::log_limit::LogLimiter;
use super::{EngineObserver, PublishedProjection, StoreHealth, now_unix_ms};
use crate::monitor::alerts::Alert;
use crate::monitor::event::{Rejection, WithdrawalEvent, classify};
use crate::monitor::state::ReservePosition;
use crate::store::TruncatedTail;

/// The rail calendar was loaded at start.
pub(super) struct CalendarLoaded<'a> {
    /// The closure schedule.
    pub calendar: &'a crate::monitor::calendar::WindowCalendar,
    /// The wall clock at start, Unix ms.
    pub now_unix_ms: i64,
}

impl CalendarLoaded<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        let dated_until = self.calendar.dated_until_unix_ms();
        if !self.calendar.is_dated(self.now_unix_ms) {
            warn!(
                message = "the clock is outside the years of the holiday list: the weekly window \
                           applies; add the year to [calendar]",
                weekly_hours = self.calendar.weekly_hours(),
                dated_until_unix_ms = dated_until.unwrap_or(0)
            );
        }
        observer.on_calendar(dated_until);
    }
}

/// The state was rebuilt from the event log at start.
pub(super) struct StateRebuilt<'a> {
    /// Events replayed after the snapshot.
    pub events: usize,
    /// Events the snapshot read at the start covers (0 without one).
    pub snapshot_events: u64,
    /// Snapshots that could not be used, with the reasons.
    pub skipped_snapshots: &'a [String],
    /// State version after the replay.
    pub state_version: u64,
    /// The reserve position in force.
    pub reserve: &'a ReservePosition,
    /// Events in the log.
    pub events_in_log: u64,
    /// Size of the store file, bytes.
    pub store_bytes: u64,
    /// The torn tail cut from the log, if any.
    pub truncated_tail: Option<&'a TruncatedTail>,
}

impl StateRebuilt<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        if let Some(tail) = self.truncated_tail {
            warn!(
                message = "torn tail cut from the event log (a crash or failed write during a \
                           commit that was never acknowledged)",
                offset = tail.offset,
                bytes = tail.bytes,
                record = tail.record,
                reason = %tail.reason
            );
            observer.on_store_tail_truncated(1, tail.bytes);
        }
        for skipped in self.skipped_snapshots {
            warn!(message = "snapshot not used; an older one or the log was read", reason = %skipped);
        }
        info!(
            message = "state rebuilt from the event log",
            snapshot_events = self.snapshot_events,
            events = self.events,
            state_version = self.state_version,
            total_reserve_idr = self.reserve.total_idr()
        );
        observer.on_reserve(self.reserve);
        observer.on_commit(self.events_in_log, self.store_bytes, now_unix_ms());
        observer.on_store_writable(true);
    }
}

/// An event failed validation (while decoding or against the engine's rules).
pub(super) struct EventRejected<'a> {
    /// Position of the event in its batch or stream.
    pub index: usize,
    /// Its id as given.
    pub event_id: &'a str,
    /// The field at fault and why.
    pub rejection: &'a Rejection,
}

impl EventRejected<'_> {
    /// Counts the rejection and logs one line for it unless `log` refuses (the next line
    /// written then says how many were suppressed).
    pub(super) fn emit(self, observer: &dyn EngineObserver, log: &LogLimiter) {
        let reason = self.rejection.reason();
        if let Some(suppressed) = log.admit() {
            info!(
                message = "event rejected",
                index = self.index,
                event_id = %self.event_id,
                field = self.rejection.field.name(),
                reason = reason.as_str(),
                detail = %self.rejection.detail,
                suppressed
            );
        }
        observer.on_event_rejected(reason);
    }
}

/// A reserve position (`SetReserve`) failed validation; the reserve in force is kept.
pub(super) struct ReserveRejected<'a> {
    /// The field at fault and why.
    pub rejection: &'a Rejection,
}

impl ReserveRejected<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        let reason = self.rejection.reason();
        info!(
            message = "reserve position rejected",
            field = self.rejection.field.name(),
            reason = reason.as_str(),
            detail = %self.rejection.detail
        );
        observer.on_reserve_rejected(reason);
    }
}

/// A group of commands was committed durably (one fsync) and applied.
pub(super) struct EventsCommitted<'a> {
    /// The new events, in log order.
    pub fresh: &'a [WithdrawalEvent],
    /// Events acknowledged as duplicates.
    pub duplicates: u64,
    /// Events in the log after the commit.
    pub events_in_log: u64,
    /// Size of the store file, bytes.
    pub store_bytes: u64,
    /// State version after the group.
    pub state_version: u64,
    /// Amount from which an unspecified cohort counts as institutional, IDR.
    pub institutional_min_idr: u64,
}

impl EventsCommitted<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        let now = now_unix_ms();
        debug!(
            message = "events committed",
            accepted = self.fresh.len(),
            duplicates = self.duplicates,
            events_in_log = self.events_in_log,
            state_version = self.state_version
        );
        observer.on_commit(self.events_in_log, self.store_bytes, now);
        if self.duplicates > 0 {
            observer.on_duplicates(self.duplicates);
        }
        for event in self.fresh {
            let cohort = classify(event.cohort, event.amount_idr(), self.institutional_min_idr);
            observer.on_accepted(event, cohort, now);
        }
    }
}

/// A group commit failed; every command of the group is refused.
pub(super) struct CommitFailed<'a> {
    /// Commands refused.
    pub commands: usize,
    /// Why.
    pub error: &'a str,
}

impl CommitFailed<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        warn!(
            message = "commit failed; group rejected, nothing of it stored",
            commands = self.commands,
            error = %self.error
        );
        observer.on_commit_failed();
    }
}

/// The store started or stopped taking writes.
pub(super) struct StoreWritability<'a> {
    /// Why writes fail (`None`: writable again).
    pub failure: Option<&'a str>,
}

impl StoreWritability<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver, health: &watch::Sender<StoreHealth>) {
        let health_now = match self.failure {
            Some(reason) => {
                warn!(message = "event store not writable; refusing events", reason = %reason);
                StoreHealth::Failing {
                    reason: reason.to_owned(),
                }
            }
            None => {
                info!(message = "event store writable again");
                StoreHealth::Writable
            }
        };
        observer.on_store_writable(self.failure.is_none());
        health.send_replace(health_now);
    }
}

/// A new reserve position is in force (durable).
pub(super) struct ReserveSet<'a> {
    /// The position.
    pub reserve: &'a ReservePosition,
    /// State version after it.
    pub state_version: u64,
}

impl ReserveSet<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        info!(
            message = "reserve position set",
            total_reserve_idr = self.reserve.total_idr(),
            layers = self.reserve.layers.len(),
            state_version = self.state_version
        );
        observer.on_reserve(self.reserve);
    }
}

/// A projection finished and is published as the latest and to the subscribers.
pub(super) struct ProjectionPublished {
    /// The projection.
    pub published: Arc<PublishedProjection>,
}

impl ProjectionPublished {
    pub(super) fn emit(
        self,
        observer: &dyn EngineObserver,
        latest: &watch::Sender<Option<Arc<PublishedProjection>>>,
        subscribers: &broadcast::Sender<Arc<PublishedProjection>>,
    ) {
        let p = &self.published;
        debug!(
            message = "projection published",
            state_version = p.projection.inputs.version,
            breach_probability = p.projection.simulation.breach_probability,
            compute_ms = p.compute_ms
        );
        observer.on_projection(p);
        latest.send_replace(Some(Arc::clone(p)));
        let _ = subscribers.send(self.published);
    }
}

/// Alerts saved before a restart fire again under the same ids (no new transition).
pub(super) struct AlertsRestored<'a> {
    /// The alerts firing.
    pub firing: &'a [Alert],
}

impl AlertsRestored<'_> {
    pub(super) fn emit(self, observer: &dyn EngineObserver) {
        for a in self.firing {
            info!(
                message = "alert still firing after restart",
                id = %a.id,
                rule = a.rule.as_str(),
                severity = ?a.severity
            );
            observer.on_alert(a);
        }
    }
}

/// The alert ledger could not be saved; alerts still fire, but a restart may fire them
/// again.
pub(super) struct AlertLedgerFailed<'a> {
    /// Why.
    pub error: &'a crate::store::alerts::AlertLedgerError,
}

impl AlertLedgerFailed<'_> {
    pub(super) fn emit(self) {
        warn!(message = "alert ledger not saved", error = %self.error);
    }
}

/// An alert fired or resolved, whichever rule (projection or clock) raised it.
pub(super) struct AlertTransition {
    /// The transition.
    pub alert: Alert,
}

impl AlertTransition {
    pub(super) fn emit(
        self,
        observer: &dyn EngineObserver,
        subscribers: &broadcast::Sender<Arc<Alert>>,
    ) {
        let a = &self.alert;
        info!(
            message = "alert",
            id = %a.id,
            rule = a.rule.as_str(),
            state = ?a.state,
            severity = ?a.severity,
            window_hour = a.window_hour,
            summary = %a.summary,
            resolution_reason = a.resolution_reason.as_deref().unwrap_or("")
        );
        observer.on_alert(a);
        let _ = subscribers.send(Arc::new(self.alert));
    }
}
