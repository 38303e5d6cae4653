//! A rate limit for log lines (at most so many per second, counting the lines refused) and
//! the monotonic clock it runs on. The engine limits its "event rejected" lines with it,
//! the gRPC layer its failed-call lines.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A monotonic clock: time since an arbitrary origin. Injected so tests can move it.
pub trait Ticker: Send + Sync {
    /// Time elapsed since the origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemTicker(Instant);

impl Default for SystemTicker {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Ticker for SystemTicker {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// At most `per_second` log lines in each second; counts the lines it refused.
pub struct LogLimiter {
    per_second: u32,
    state: Mutex<(Duration, u32, u64)>,
    ticker: Arc<dyn Ticker>,
}

impl LogLimiter {
    /// `per_second` lines per second (at least 1).
    pub fn new(per_second: u32, ticker: Arc<dyn Ticker>) -> Self {
        Self {
            per_second: per_second.max(1),
            state: Mutex::new((Duration::ZERO, 0, 0)),
            ticker,
        }
    }

    /// `Some(suppressed)` when a line may be written now, with the number of lines refused
    /// since the previous one written; `None` when this one is refused (and counted).
    pub fn admit(&self) -> Option<u64> {
        let now = self.ticker.now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (window_start, written, suppressed) = &mut *state;
        if now.saturating_sub(*window_start) >= Duration::from_secs(1) {
            *window_start = now;
            *written = 0;
        }
        if *written < self.per_second {
            *written += 1;
            Some(std::mem::take(suppressed))
        } else {
            *suppressed += 1;
            None
        }
    }
}
