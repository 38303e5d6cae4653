//! The wall clock the monitor runs on, and the clock task.
//!
//! The live monitor decides which closure is current from a [`WallClock`] (the system's
//! in production, an injected one in tests) and the calendar. Once a second the clock
//! task reads it: when the rails close or reopen it publishes the new [`RailsNow`] (the
//! projector re-projects) and resolves the alerts of a closure the clock has left; then
//! it evaluates the stale-feed rule, armed only while the rails are closed.
//!
//! It runs entirely on tokio's clock (`tokio::time::{interval, Instant}`): the silence
//! timer restarts when the sequencer reports applied events, so tests drive it with
//! `tokio::time::pause` / `advance` (and [`TokioClock`] as the wall clock) instead of
//! sleeping.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::engine::Inner;
use super::sequencer::Command;
use super::{StoreHealth, lock};
use crate::monitor::state::RailsNow;

/// How often the rails and the stale-feed rule are evaluated.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// Where "now" comes from, Unix ms.
pub trait WallClock: Send + Sync {
    /// The current time, Unix ms (UTC).
    fn now_unix_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_unix_ms(&self) -> i64 {
        super::now_unix_ms()
    }
}

/// A wall clock that starts at a given moment and then follows tokio's clock, so a test
/// with `tokio::time::pause` moves it with `advance` (and a running test at real speed).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_unix_ms: i64,
    started: Instant,
}

impl TokioClock {
    /// A clock reading `start_unix_ms` now (call inside the runtime whose clock it follows).
    pub fn starting_at(start_unix_ms: i64) -> Self {
        Self {
            start_unix_ms,
            started: Instant::now(),
        }
    }
}

impl WallClock for TokioClock {
    fn now_unix_ms(&self) -> i64 {
        let elapsed_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.start_unix_ms.saturating_add(elapsed_ms)
    }
}

/// Evaluates the rails and the stale-feed rule every [`CLOCK_TICK`] until `shutdown`
/// turns true. The silence starts at the latest event the log holds (its event time, the
/// best the log knows of when it arrived), so a restart neither resets a stale feed nor
/// resolves its alert as "events resumed".
pub(super) async fn run_clock(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut applied = inner.applied_events.subscribe();
    let mut silence_before_start = silence_at_start(&inner);
    let mut last_event = Instant::now();
    let mut ticker = tokio::time::interval(CLOCK_TICK);
    loop {
        tokio::select! {
            _ = ticker.tick() => evaluate(&inner, silence_before_start + last_event.elapsed()),
            changed = applied.changed() => match changed {
                Ok(()) => {
                    silence_before_start = Duration::ZERO;
                    last_event = Instant::now();
                }
                Err(_) => break,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

/// How long the feed has been silent when the clock task starts: from the latest event in
/// the log to the wall clock (zero for an empty log or an event dated ahead of the clock).
fn silence_at_start(inner: &Inner) -> Duration {
    let now = inner.clock.now_unix_ms();
    let latest = lock(&inner.state).latest_event_at_unix_ms();
    latest
        .and_then(|at| u64::try_from(now.saturating_sub(at)).ok())
        .map_or(Duration::ZERO, Duration::from_millis)
}

/// One evaluation after `silence` without an applied event.
fn evaluate(inner: &Inner, silence: Duration) {
    let now = inner.clock.now_unix_ms();
    let silent_minutes = silence.as_secs_f64() / 60.0;
    let (rails, hour) = {
        let state = lock(&inner.state);
        let rails = RailsNow::at(state.calendar(), now);
        (rails, state.inputs_at(now).elapsed_hours())
    };
    inner.rails.send_if_modified(|current| {
        let moved = *current != rails;
        *current = rails;
        moved
    });
    lock(&inner.alerts).on_clock(inner.observer.as_ref(), silent_minutes, rails, hour, now);
    probe_store(inner);
}

/// While the store is not writable, asks the sequencer to try again (it attempts only
/// when the store's backoff allows), so health recovers without waiting for traffic.
fn probe_store(inner: &Inner) {
    if matches!(*inner.store_health.borrow(), StoreHealth::Failing { .. })
        && let Some(sender) = lock(&inner.commands).clone()
    {
        let _ = sender.try_send(Command::Probe);
    }
}
