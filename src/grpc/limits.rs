//! Per-token call rate (token buckets), a rate limit for log lines, and the connection
//! limit (connections above it are closed as soon as they are accepted).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tonic::transport::server::{Connected, TcpConnectInfo};

pub use crate::service::log_limit::{LogLimiter, SystemTicker, Ticker};

/// A token bucket: `capacity` calls, refilled at `rate_per_second`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: f64,
    updated: Duration,
}

/// Call-rate limits, one bucket per key (a token's entry name).
pub struct RateLimiter {
    rate_per_second: f64,
    capacity: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    ticker: Arc<dyn Ticker>,
}

impl RateLimiter {
    /// `rate_per_second` sustained (> 0), bursts of `capacity` calls.
    pub fn new(rate_per_second: f64, capacity: u32, ticker: Arc<dyn Ticker>) -> Self {
        Self {
            rate_per_second,
            capacity: f64::from(capacity.max(1)),
            buckets: Mutex::new(HashMap::new()),
            ticker,
        }
    }

    /// Takes one call from `key`'s bucket; `Err(wait)` when it is empty, with the time
    /// until a call is available.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = self.ticker.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            available: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_sub(bucket.updated).as_secs_f64();
        bucket.available = (bucket.available + elapsed * self.rate_per_second).min(self.capacity);
        bucket.updated = now;
        if bucket.available >= 1.0 {
            bucket.available -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - bucket.available;
            Err(Duration::from_secs_f64(missing / self.rate_per_second))
        }
    }

    /// The sustained rate, calls per second.
    pub fn rate_per_second(&self) -> f64 {
        self.rate_per_second
    }

    /// The burst, calls.
    pub fn capacity(&self) -> f64 {
        self.capacity
    }
}

/// An accepted connection holding one of the limited connection slots until it closes.
pub struct LimitedConn {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
}

impl Connected for LimitedConn {
    type ConnectInfo = TcpConnectInfo;
    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for LimitedConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Accepts connections on `listener` while fewer than `max_connections` are open and
/// hands them to `sender`; one above the limit is closed at once and reported to
/// `rejected` (with the limit). Ends when the receiver goes away or `shutdown` turns true.
pub(super) async fn accept_limited(
    listener: TcpListener,
    max_connections: usize,
    sender: mpsc::Sender<std::io::Result<LimitedConn>>,
    rejected: impl Fn(usize),
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(max_connections.max(1)));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = sender.closed() => return,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!(message = "accept failed", %error);
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => {
                let conn = LimitedConn {
                    stream,
                    _slot: slot,
                };
                if sender.send(Ok(conn)).await.is_err() {
                    return;
                }
            }
            Err(_) => {
                drop(stream);
                rejected(max_connections);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Default)]
    struct Manual(AtomicU64);

    impl Ticker for Manual {
        fn now(&self) -> Duration {
            Duration::from_millis(self.0.load(Ordering::SeqCst))
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_the_rate_and_says_how_long_to_wait() {
        let clock = Arc::new(Manual::default());
        let limiter = RateLimiter::new(2.0, 3, clock.clone());
        for _ in 0..3 {
            assert_eq!(limiter.take("a"), Ok(()));
        }
        assert_eq!(limiter.take("a"), Err(Duration::from_millis(500)));
        assert_eq!(limiter.take("b"), Ok(()), "buckets are per key");
        clock.0.store(500, Ordering::SeqCst);
        assert_eq!(limiter.take("a"), Ok(()));
        assert!(limiter.take("a").is_err());
        clock.0.store(60_000, Ordering::SeqCst);
        for _ in 0..3 {
            assert_eq!(limiter.take("a"), Ok(()), "refilled to the burst, no more");
        }
        assert!(limiter.take("a").is_err());
    }

    #[test]
    fn log_lines_are_limited_per_second_and_the_refused_are_reported_next() {
        let clock = Arc::new(Manual::default());
        let limiter = LogLimiter::new(2, clock.clone());
        assert_eq!(limiter.admit(), Some(0));
        assert_eq!(limiter.admit(), Some(0));
        assert_eq!(limiter.admit(), None);
        assert_eq!(limiter.admit(), None);
        clock.0.store(1_000, Ordering::SeqCst);
        assert_eq!(limiter.admit(), Some(2));
        assert_eq!(limiter.admit(), Some(0));
    }
}
