//! When the sequencer writes a snapshot: at each window a later event closes (its tallies
//! are final) and at least every `monitor.snapshot_every_events` events (or an eighth of
//! the ids in the dedup horizon, if more), so a restart reads the newest snapshot and a
//! bounded tail of the log. The store then removes what
//! is older than the retention ([`crate::store::EventStore::checkpoint`]).

use tracing::{info, warn};

use super::engine::Inner;
use super::lock;
use crate::store::{Checkpoint, EventStore};

/// Remembered ids per event of the longest tail between checkpoints. Replaying an event
/// costs about 15 times loading an id (BENCHMARKS.md), so with 8 the tail adds at most
/// about twice the ids' load time to a restart.
pub const IDS_PER_TAIL_EVENT: u64 = 8;

/// When to checkpoint, and what the last checkpoint covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    every_events: u64,
    /// Events in the log at the last checkpoint (or at the snapshot the open read).
    last_events: u64,
    /// The latest closed window then (opening, Unix ms).
    last_closed_window: Option<i64>,
}

impl CheckpointPolicy {
    /// A policy checkpointing every `every_events` events, the last one at `last_events`
    /// with `closed_window` the latest closed window.
    pub fn new(every_events: u64, last_events: u64, closed_window: Option<i64>) -> Self {
        Self {
            every_events: every_events.max(1),
            last_events,
            last_closed_window: closed_window,
        }
    }

    /// Records a checkpoint at `events` with `closed_window` the latest closed window.
    pub fn taken(&mut self, events: u64, closed_window: Option<i64>) {
        self.last_events = events;
        self.last_closed_window = closed_window;
    }

    /// Whether a checkpoint is due with `events` in the log, `closed_window` the latest
    /// closed window and `remembered_ids` ids in the dedup horizon: at a newly closed
    /// window, or once the events since the last checkpoint reach
    /// `max(every_events, remembered_ids / IDS_PER_TAIL_EVENT)`. A snapshot writes every
    /// remembered id (24 B each), so this keeps its cost per event bounded (at most
    /// `24 × IDS_PER_TAIL_EVENT` B) while a restart loads the ids and replays a tail of at
    /// most that many events: both linear in the ids of one horizon, not in the log.
    pub fn due(&self, events: u64, closed_window: Option<i64>, remembered_ids: u64) -> bool {
        let since = events.saturating_sub(self.last_events);
        since > 0
            && (closed_window != self.last_closed_window
                || since >= self.every_events.max(remembered_ids / IDS_PER_TAIL_EVENT))
    }
}

/// Writes a snapshot when the policy says so (the state is read under its lock, between
/// commits). A failure is logged and retried at the next trigger; it costs only replay
/// time at the next start.
pub(super) fn checkpoint_if_due(
    inner: &Inner,
    store: &mut EventStore,
    policy: &mut CheckpointPolicy,
) {
    if store.failure().is_some() {
        return;
    }
    let snapshot = {
        let state = lock(&inner.state);
        let closed = state.latest_closed_window();
        if !policy.due(store.len(), closed, state.remembered_ids() as u64) {
            return;
        }
        policy.taken(store.len(), closed);
        state.snapshot()
    };
    match store.checkpoint(&snapshot) {
        Ok(done) => snapshot_written(&done, snapshot.recent_ids.len()),
        Err(error) => warn!(
            message = "snapshot not written; the next start replays more of the log",
            events = store.len(),
            error = %error,
        ),
    }
}

/// The one place a written snapshot is reported.
fn snapshot_written(done: &Checkpoint, remembered_ids: usize) {
    info!(
        message = "state snapshot written",
        path = %done.snapshot.display(),
        events = done.events,
        remembered_ids,
        removed_files = done.removed_files.len(),
    );
    if let Some(error) = &done.retention_error {
        warn!(message = "retention could not remove old segments", error = %error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_due_at_a_closed_window_or_after_the_longest_tail() {
        let policy = CheckpointPolicy::new(200_000, 1_000, Some(7));
        assert!(
            !policy.due(1_000, Some(8), 0),
            "no event since the last one"
        );
        assert!(policy.due(1_001, Some(8), 0), "a newly closed window");
        assert!(!policy.due(200_999, Some(7), 0));
        assert!(policy.due(201_000, Some(7), 0), "every_events");
        let ids = 8_000_000;
        assert!(!policy.due(1_000 + ids / IDS_PER_TAIL_EVENT - 1, Some(7), ids));
        assert!(policy.due(1_000 + ids / IDS_PER_TAIL_EVENT, Some(7), ids));
    }
}
