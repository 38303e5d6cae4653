//! HTTP/2 flow-control settings that keep a well-behaved client from being disconnected.
//!
//! h2 (>= 0.4.16) keeps a per-connection budget for DATA frames smaller than 256 bytes:
//! each one *buffered* (received but not yet read by the handler) spends `256 - payload`
//! bytes of it, reading the frame gives them back, and a frame of 256 bytes or more
//! replenishes it. When the budget runs out the connection is closed with
//! `GOAWAY ENHANCE_YOUR_CALM "too_many_data_frames"`. With the window left to tonic and
//! hyper's defaults (1 MiB per stream and connection, budget = half the connection window
//! = 512 KiB), a client that sends one ~95-byte frame per event (grpcio, grpc-java,
//! grpcurl) fills the budget after about 3,300 unread frames, long before the 1 MiB
//! stream window stops it: any pause in reading (a commit waiting on fsync) cut the
//! connection.
//!
//! The handler keeps reading while a commit is in flight (see `ingest`), and when its
//! buffer is full the *window* must stop the client before the budget is spent. Frames
//! buffered on a connection are at most `MAX_CONCURRENT_STREAMS × STREAM_WINDOW_BYTES`
//! bytes, each at least [`MIN_EVENT_FRAME_BYTES`] long, so the budget spent is at most
//! that many frames times `256 - MIN_EVENT_FRAME_BYTES`, which must stay below half the
//! connection window (h2 sizes the budget from it). [`worst_case_budget_spent`] computes
//! it; the tests hold it to half the budget.

/// Receive window of one stream, bytes (the HTTP/2 default, 65,535, rounded up).
pub const STREAM_WINDOW_BYTES: u32 = 64 * 1024;

/// Receive window of a connection, bytes. Memory is bounded by the streams' windows (2 MiB
/// per connection); this value sizes h2's small-frame budget (half of it).
pub const CONNECTION_WINDOW_BYTES: u32 = 128 * 1024 * 1024;

/// Streams one connection may have open at once (ingest and watches together).
pub const MAX_CONCURRENT_STREAMS: u32 = 32;

/// h2's threshold: DATA frames with a smaller payload spend budget while buffered.
pub const SMALL_FRAME_BYTES: u64 = 256;

/// The smallest valid event as one gRPC frame: 5 bytes of prefix and 23 of message
/// (1-byte ids, amount 1, "IDR", a timestamp with seconds only, kind). Tested against the
/// encoder.
pub const MIN_EVENT_FRAME_BYTES: u64 = 28;

/// h2's small-frame budget for a connection window of `connection_window` bytes
/// (`DataFrameBudget::Auto`: half the window, at least 25,600).
pub fn h2_budget(connection_window: u32) -> u64 {
    (u64::from(connection_window) / 2).max(25_600)
}

/// The most budget a connection can spend when every stream's window is full of frames of
/// `frame_bytes` (>= 1) that nobody reads.
pub fn worst_case_budget_spent(frame_bytes: u64) -> u64 {
    let buffered = u64::from(MAX_CONCURRENT_STREAMS) * u64::from(STREAM_WINDOW_BYTES);
    let buffered = buffered.min(u64::from(CONNECTION_WINDOW_BYTES));
    let frames = buffered.div_ceil(frame_bytes.max(1));
    frames * SMALL_FRAME_BYTES.saturating_sub(frame_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::pb;
    use prost::Message;

    #[test]
    fn the_smallest_valid_event_frame_is_as_documented() {
        let event = pb::IngestWithdrawalsRequest {
            event_id: "e".into(),
            account_id: "a".into(),
            cohort: 0,
            amount_minor: 1,
            currency: "IDR".into(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 0,
            }),
            kind: pb::EventKind::Withdrawal as i32,
        };
        assert_eq!(5 + event.encoded_len() as u64, MIN_EVENT_FRAME_BYTES);
    }

    #[test]
    fn unread_windows_of_the_smallest_events_spend_at_most_half_the_budget() {
        let budget = h2_budget(CONNECTION_WINDOW_BYTES);
        let spent = worst_case_budget_spent(MIN_EVENT_FRAME_BYTES);
        assert!(2 * spent <= budget, "spent {spent} of {budget}");
        // The defaults this replaces fail the same check (1 MiB windows, any stream count).
        let default_spent = (1u64 << 20).div_ceil(95) * (SMALL_FRAME_BYTES - 95);
        assert!(default_spent > h2_budget(1 << 20));
    }
}
