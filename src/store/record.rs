//! The log's records as protobuf messages (prost): one [`CommitRecord`] per commit holds
//! the commit's new events, the reserve position if it changed, the state version after
//! it and how many events the log held before it (which catches a lost or repeated
//! record on replay). Field numbers are the on-disk format: never reuse one.

use crate::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use crate::monitor::state::{ReserveLayer, ReservePosition};

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
