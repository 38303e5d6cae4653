//! The alert rules' state and the alert broadcast, behind one lock so a subscriber gets
//! the firing alerts and then every later transition, with no gap.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::EngineObserver;
use super::emit::{AlertLedgerFailed, AlertTransition, AlertsRestored};
use crate::monitor::alerts::{Alert, AlertEngine, AlertThresholds};
use crate::monitor::projection::Projection;
use crate::monitor::state::RailsNow;
use crate::store::alerts::{AlertLedger, AlertLedgerError};

/// The alert engine, its subscribers and its ledger.
pub(super) struct AlertHub {
    engine: AlertEngine,
    sender: broadcast::Sender<Arc<Alert>>,
    ledger: AlertLedger,
}

impl AlertHub {
    /// The alerts saved in `ledger` firing again (same ids, reported to `observer` but not
    /// broadcast as new transitions); subscribers that fall `buffer` transitions behind
    /// are told.
    pub(super) fn restore(
        thresholds: AlertThresholds,
        buffer: usize,
        ledger: AlertLedger,
        observer: &dyn EngineObserver,
    ) -> Result<Self, AlertLedgerError> {
        let engine = AlertEngine::restore(thresholds, ledger.load()?);
        AlertsRestored {
            firing: &engine.firing(),
        }
        .emit(observer);
        Ok(Self {
            engine,
            sender: broadcast::Sender::new(buffer),
            ledger,
        })
    }

    /// The alerts firing now and a receiver of the following transitions.
    pub(super) fn subscribe(&self) -> (Vec<Alert>, broadcast::Receiver<Arc<Alert>>) {
        (self.engine.firing(), self.sender.subscribe())
    }

    /// The projection rules' transitions, not yet emitted (see [`AlertHub::emit`]).
    pub(super) fn evaluate_projection(
        &mut self,
        p: &Projection,
        rails: RailsNow,
        now_unix_ms: i64,
    ) -> Vec<Alert> {
        self.engine.on_projection(p, rails, now_unix_ms)
    }

    /// Evaluates the rails and the stale-feed rule and emits the transitions (see
    /// [`AlertEngine::on_clock`] for the arguments).
    pub(super) fn on_clock(
        &mut self,
        observer: &dyn EngineObserver,
        silent_minutes: f64,
        rails: RailsNow,
        window_hour: f64,
        now_unix_ms: i64,
    ) {
        let transitions = self
            .engine
            .on_clock(silent_minutes, rails, window_hour, now_unix_ms);
        self.emit(observer, transitions);
    }

    /// Saves the alert state to the ledger, then emits `transitions`: log, observer
    /// (metrics) and broadcast.
    pub(super) fn emit(&self, observer: &dyn EngineObserver, transitions: Vec<Alert>) {
        if transitions.is_empty() {
            return;
        }
        if let Err(error) = self.ledger.save(&self.engine.snapshot()) {
            AlertLedgerFailed { error: &error }.emit();
        }
        for alert in transitions {
            AlertTransition { alert }.emit(observer, &self.sender);
        }
    }
}
