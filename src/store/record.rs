//! The log's records as protobuf messages (prost): one [`CommitRecord`] per commit holds
//! the commit's new events, the reserve position if it changed, the state version after
//! it and how many events the log held before it (which catches a lost or repeated
//! record on replay). Field numbers are the on-disk format: never reuse one.

use crate::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use crate::monitor::state::{ReserveLayer, ReservePosition, WindowTally};

/// One commit (one frame of the log).
#[derive(Clone, PartialEq, prost::Message)]
pub struct CommitRecord {
    /// State version after this commit (≥ 1).
    #[prost(uint64, tag = "1")]
    pub state_version: u64,
    /// Events in the log before this record.
    #[prost(uint64, tag = "2")]
    pub first_event: u64,
    /// The commit's new events, in acceptance order.
    #[prost(message, repeated, tag = "3")]
    pub events: Vec<EventRecord>,
    /// The reserve position set by this commit, if any.
    #[prost(message, optional, tag = "4")]
    pub reserve: Option<ReserveRecord>,
}

/// A validated event.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EventRecord {
    /// Idempotency key.
    #[prost(string, tag = "1")]
    pub event_id: String,
    /// Customer account.
    #[prost(string, tag = "2")]
    pub account_id: String,
    /// 0 unspecified, 1 retail, 2 institutional.
    #[prost(uint32, tag = "3")]
    pub cohort: u32,
    /// Amount, minor units of `currency`.
    #[prost(int64, tag = "4")]
    pub amount_minor: i64,
    /// ISO 4217 code.
    #[prost(string, tag = "5")]
    pub currency: String,
    /// Settlement time, Unix ms.
    #[prost(int64, tag = "6")]
    pub occurred_at_unix_ms: i64,
    /// 1 withdrawal, 2 deposit.
    #[prost(uint32, tag = "7")]
    pub kind: u32,
}

/// A reserve position.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReserveRecord {
    /// The layers.
    #[prost(message, repeated, tag = "1")]
    pub layers: Vec<LayerRecord>,
    /// Proprietary capital usable from the close, whole rupiah.
    #[prost(uint64, tag = "2")]
    pub proprietary_capital_idr: u64,
}

/// One reserve layer.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LayerRecord {
    /// Label.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Amount, whole rupiah.
    #[prost(uint64, tag = "2")]
    pub amount_idr: u64,
    /// Hours after the close from which it can be used.
    #[prost(uint32, tag = "3")]
    pub available_after_hours: u32,
}

impl EventRecord {
    /// The record of `event`.
    pub fn of(event: &WithdrawalEvent) -> Self {
        Self {
            event_id: event.event_id.clone(),
            account_id: event.account_id.clone(),
            cohort: match event.cohort {
                Cohort::Unspecified => 0,
                Cohort::Retail => 1,
                Cohort::Institutional => 2,
            },
            amount_minor: event.amount_minor,
            currency: event.currency.clone(),
            occurred_at_unix_ms: event.occurred_at_unix_ms,
            kind: match event.kind {
                EventKind::Withdrawal => 1,
                EventKind::Deposit => 2,
            },
        }
    }

    /// The event, or why the record is not one.
    pub fn into_event(self) -> Result<WithdrawalEvent, String> {
        let cohort = match self.cohort {
            0 => Cohort::Unspecified,
            1 => Cohort::Retail,
            2 => Cohort::Institutional,
            other => return Err(format!("unknown cohort {other}")),
        };
        let kind = match self.kind {
            1 => EventKind::Withdrawal,
            2 => EventKind::Deposit,
            other => return Err(format!("unknown event kind {other}")),
        };
        if self.event_id.is_empty() {
            return Err("empty event_id".to_owned());
        }
        Ok(WithdrawalEvent {
            event_id: self.event_id,
            account_id: self.account_id,
            cohort,
            amount_minor: self.amount_minor,
            currency: self.currency,
            occurred_at_unix_ms: self.occurred_at_unix_ms,
            kind,
        })
    }
}

impl ReserveRecord {
    /// The record of `reserve`.
    pub fn of(reserve: &ReservePosition) -> Self {
        Self {
            layers: reserve
                .layers
                .iter()
                .map(|l| LayerRecord {
                    name: l.name.clone(),
                    amount_idr: l.amount_idr,
                    available_after_hours: l.available_after_hours,
                })
                .collect(),
            proprietary_capital_idr: reserve.proprietary_capital_idr,
        }
    }

    /// The reserve position.
    pub fn into_reserve(self) -> ReservePosition {
        ReservePosition {
            layers: self
                .layers
                .into_iter()
                .map(|l| ReserveLayer {
                    name: l.name,
                    amount_idr: l.amount_idr,
                    available_after_hours: l.available_after_hours,
                })
                .collect(),
            proprietary_capital_idr: self.proprietary_capital_idr,
        }
    }
}

/// The leading frame of a snapshot file: enough to decide retention without reading the
/// state.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotMeta {
    /// Events of the log the snapshot covers.
    #[prost(uint64, tag = "1")]
    pub first_event: u64,
    /// Latest event time among them, Unix ms.
    #[prost(int64, optional, tag = "2")]
    pub latest_event_at_unix_ms: Option<i64>,
    /// Checksum of the settings the tallies depend on.
    #[prost(uint32, tag = "3")]
    pub settings_fingerprint: u32,
}

/// A snapshot of the monitor state (see [`super::snapshot`]).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotRecord {
    /// Events of the log the snapshot covers.
    #[prost(uint64, tag = "1")]
    pub first_event: u64,
    /// State version after those events.
    #[prost(uint64, tag = "2")]
    pub state_version: u64,
    /// Checksum of the settings the tallies depend on.
    #[prost(uint32, tag = "3")]
    pub settings_fingerprint: u32,
    /// Events accepted ever.
    #[prost(uint64, tag = "4")]
    pub events_total: u64,
    /// Latest event time seen, Unix ms.
    #[prost(int64, optional, tag = "5")]
    pub latest_event_at_unix_ms: Option<i64>,
    /// The reserve.
    #[prost(message, optional, tag = "6")]
    pub reserve: Option<ReserveRecord>,
    /// Tallies of the kept windows, oldest first.
    #[prost(message, repeated, tag = "7")]
    pub windows: Vec<WindowRecord>,
    /// Format 1 only: ids inside the dedup horizon, in full (format 2 writes
    /// `recent_entries`; a format-1 snapshot is still read, its ids fingerprinted).
    #[prost(string, repeated, tag = "8")]
    pub recent_ids: Vec<String>,
    /// Format 1 only: their event times, Unix ms (same order).
    #[prost(int64, repeated, tag = "9")]
    pub recent_times_unix_ms: Vec<i64>,
    /// Format 2: the ids inside the dedup horizon, [`RECENT_ENTRY_BYTES`] each: the
    /// 16-byte id fingerprint, then the event time (Unix ms, i64 LE).
    #[prost(bytes = "vec", tag = "10")]
    pub recent_entries: Vec<u8>,
}

/// Bytes of one entry of [`SnapshotRecord::recent_entries`].
pub const RECENT_ENTRY_BYTES: usize = 24;

/// One window's tallies. IDR minor-unit sums are u128 in memory, stored as low and high
/// 64-bit halves.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WindowRecord {
    /// When the rails closed, Unix ms.
    #[prost(int64, tag = "1")]
    pub opens_at_unix_ms: i64,
    /// Latest event time inside the window, Unix ms.
    #[prost(int64, tag = "2")]
    pub latest_at_unix_ms: i64,
    /// An event after the window's end was seen.
    #[prost(bool, tag = "3")]
    pub closed: bool,
    /// Retail, institutional and deposit totals, minor units: `[lo, hi]` each.
    #[prost(uint64, repeated, tag = "4")]
    pub totals_minor: Vec<u64>,
    /// Retail withdrawal events.
    #[prost(uint64, tag = "5")]
    pub retail_events: u64,
    /// Retail per hour, minor units: `[lo, hi]` per hour.
    #[prost(uint64, repeated, tag = "6")]
    pub retail_hourly_minor: Vec<u64>,
    /// Each institutional withdrawal, minor units.
    #[prost(uint64, repeated, tag = "7")]
    pub institutional_jumps_minor: Vec<u64>,
}

fn split_u128(value: u128, out: &mut Vec<u64>) {
    out.push(value as u64);
    out.push((value >> 64) as u64);
}

fn join_u128(halves: &[u64]) -> Vec<u128> {
    halves
        .chunks_exact(2)
        .map(|h| u128::from(h[0]) | (u128::from(h[1]) << 64))
        .collect()
}

impl WindowRecord {
    /// The record of `w`.
    pub fn of(w: &WindowTally) -> Self {
        let mut totals_minor = Vec::with_capacity(6);
        for total in [w.retail_minor, w.institutional_minor, w.deposits_minor] {
            split_u128(total, &mut totals_minor);
        }
        let mut retail_hourly_minor = Vec::with_capacity(2 * w.retail_hourly_minor.len());
        for &hour in &w.retail_hourly_minor {
            split_u128(hour, &mut retail_hourly_minor);
        }
        Self {
            opens_at_unix_ms: w.opens_at_unix_ms,
            latest_at_unix_ms: w.latest_at_unix_ms,
            closed: w.closed,
            totals_minor,
            retail_events: w.retail_events,
            retail_hourly_minor,
            institutional_jumps_minor: w.institutional_jumps_minor.clone(),
        }
    }

    /// The tallies, or why the record is not one.
    pub fn into_tally(self) -> Result<WindowTally, String> {
        let totals = join_u128(&self.totals_minor);
        if totals.len() != 3 || !self.retail_hourly_minor.len().is_multiple_of(2) {
            return Err("window record with malformed totals".to_owned());
        }
        Ok(WindowTally {
            opens_at_unix_ms: self.opens_at_unix_ms,
            latest_at_unix_ms: self.latest_at_unix_ms,
            closed: self.closed,
            retail_minor: totals[0],
            institutional_minor: totals[1],
            deposits_minor: totals[2],
            retail_events: self.retail_events,
            retail_hourly_minor: join_u128(&self.retail_hourly_minor),
            institutional_jumps_minor: self.institutional_jumps_minor,
        })
    }
}
