//! The clock task: evaluates the stale-feed rule once a second.
//!
//! It runs entirely on tokio's clock (`tokio::time::{interval, Instant}`): the silence
//! timer restarts when the sequencer reports applied events, so tests drive it with
//! `tokio::time::pause` / `advance` instead of sleeping.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::engine::Inner;
use super::{lock, now_unix_ms};

/// How often the stale-feed rule is evaluated.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// Evaluates the stale-feed rule every [`CLOCK_TICK`] until `shutdown` turns true.
pub(super) async fn run_clock(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut applied = inner.applied_events.subscribe();
    let mut last_event = Instant::now();
    let mut ticker = tokio::time::interval(CLOCK_TICK);
    loop {
        tokio::select! {
            _ = ticker.tick() => evaluate(&inner, last_event.elapsed()),
            changed = applied.changed() => match changed {
                Ok(()) => last_event = Instant::now(),
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

/// One evaluation after `silence` without an applied event.
fn evaluate(inner: &Inner, silence: Duration) {
    let silent_minutes = silence.as_secs_f64() / 60.0;
    let (open, hour) = {
        let state = lock(&inner.state);
        (state.window_open(), state.inputs_elapsed_hours())
    };
    lock(&inner.alerts).on_clock(
        inner.observer.as_ref(),
        silent_minutes,
        open,
        hour,
        now_unix_ms(),
    );
}
