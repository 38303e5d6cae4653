//! [`Metrics`] as the engine's observer: what the engine's emitters report becomes series.

use super::Metrics;
use crate::monitor::alerts::{Alert, AlertState};
use crate::monitor::event::{CountedCohort, RejectionReason, WithdrawalEvent};
use crate::monitor::state::ReservePosition;
use crate::service::{EngineObserver, PublishedProjection};

/// Unix seconds of Unix milliseconds.
fn seconds(unix_ms: i64) -> f64 {
    unix_ms as f64 / 1e3
}

impl EngineObserver for Metrics {
    fn on_accepted(&self, event: &WithdrawalEvent, cohort: CountedCohort, now_unix_ms: i64) {
        self.record_accepted(cohort, event.kind, event.amount_idr(), seconds(now_unix_ms));
    }

    fn on_duplicates(&self, count: u64) {
        self.record_duplicates(count);
    }

    fn on_event_rejected(&self, reason: RejectionReason) {
        self.record_event_rejected(reason);
    }

    fn on_reserve_rejected(&self, reason: RejectionReason) {
        self.record_reserve_rejected(reason);
    }

    fn on_reserve(&self, reserve: &ReservePosition) {
        self.set_reserve(reserve);
    }

    fn on_commit(&self, events_in_log: u64, store_bytes: u64, now_unix_ms: i64) {
        self.set_store(store_bytes, events_in_log, seconds(now_unix_ms));
    }

    fn on_commit_failed(&self) {
        self.record_commit_failed();
    }

    fn on_store_writable(&self, writable: bool) {
        self.set_store_writable(writable);
    }

    fn on_store_tail_truncated(&self, records: u64, bytes: u64) {
        self.record_tail_truncated(records, bytes);
    }

    fn on_projection(&self, p: &PublishedProjection) {
        self.record_projection(
            &p.projection,
            p.compute_ms / 1e3,
            seconds(p.computed_at_unix_ms),
        );
    }

    fn on_calendar(&self, dated_until_unix_ms: Option<i64>) {
        self.set_calendar(dated_until_unix_ms.map_or(0.0, seconds));
    }

    fn on_alert(&self, alert: &Alert) {
        self.set_alert(
            alert.rule,
            alert.severity,
            alert.state == AlertState::Firing,
        );
    }
}
