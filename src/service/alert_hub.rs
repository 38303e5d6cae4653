//! The alert rules' state and the alert broadcast, behind one lock so a subscriber gets
//! the firing alerts and then every later transition, with no gap.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::EngineObserver;
use super::emit::AlertTransition;
use crate::monitor::alerts::{Alert, AlertEngine, AlertThresholds};
use crate::monitor::projection::Projection;

/// The alert engine and its subscribers.
pub(super) struct AlertHub {
    engine: AlertEngine,
    sender: broadcast::Sender<Arc<Alert>>,
}

impl AlertHub {
    /// No alert firing; subscribers that fall `buffer` transitions behind are told.
    pub(super) fn new(thresholds: AlertThresholds, buffer: usize) -> Self {
        Self {
            engine: AlertEngine::new(thresholds),
            sender: broadcast::Sender::new(buffer),
        }
    }

    /// The alerts firing now and a receiver of the following transitions.
    pub(super) fn subscribe(&self) -> (Vec<Alert>, broadcast::Receiver<Arc<Alert>>) {
        (self.engine.firing(), self.sender.subscribe())
    }

    /// The projection rules' transitions, not yet emitted (see [`AlertHub::emit`]).
    pub(super) fn evaluate_projection(&mut self, p: &Projection, now_unix_ms: i64) -> Vec<Alert> {
        self.engine.on_projection(p, now_unix_ms)
    }

    /// Evaluates the stale-feed rule and emits its transitions (see
    /// [`AlertEngine::on_clock`] for the arguments).
    pub(super) fn on_clock(
        &mut self,
        observer: &dyn EngineObserver,
        silent_minutes: f64,
        window_open: bool,
        window_hour: f64,
        now_unix_ms: i64,
    ) {
        let transitions =
            self.engine
                .on_clock(silent_minutes, window_open, window_hour, now_unix_ms);
        self.emit(observer, transitions);
    }

    /// Emits `transitions`: log, observer (metrics) and broadcast.
    pub(super) fn emit(&self, observer: &dyn EngineObserver, transitions: Vec<Alert>) {
        for alert in transitions {
            AlertTransition { alert }.emit(observer, &self.sender);
        }
    }
}
