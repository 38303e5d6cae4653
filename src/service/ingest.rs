//! One group commit, the heart of ingestion, as a plain function the sequencer runs and
//! the fault simulation (`tests/store_faults.rs`) drives directly: drop duplicate
//! `event_id`s (already applied, or repeated inside the group), append the new events and
//! the reserve as one fsynced record, and only then apply them to the state.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{IngestCounts, lock};
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::{Applied, MonitorState, ReservePosition};
use crate::store::{EventStore, StoreError};

/// One request of a group, in arrival order.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// A batch of validated events.
    Events(&'a [WithdrawalEvent]),
    /// A new reserve position.
    Reserve(&'a ReservePosition),
}

/// What a committed group changed.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupOutcome {
    /// The new events, in log order (durable and applied).
    pub fresh: Vec<WithdrawalEvent>,
    /// The reserve set by the group (the last one), if any.
    pub reserve: Option<ReservePosition>,
    /// Per request: accepted and duplicate events, and the state version after the group.
    pub counts: Vec<IngestCounts>,
    /// State version after the group.
    pub version: u64,
}

/// Splits `group` into new events and duplicates against `state`.
fn plan(state: &MonitorState, group: &[Request<'_>]) -> GroupOutcome {
    let mut outcome = GroupOutcome {
        fresh: Vec::new(),
        reserve: None,
        counts: Vec::with_capacity(group.len()),
        version: 0,
    };
    let mut in_group = HashSet::new();
    for request in group {
        let mut counts = IngestCounts::default();
        match request {
            Request::Events(events) => {
                for event in *events {
                    let id = event.event_id.as_str();
                    if state.has_seen(id, event.occurred_at_unix_ms) || !in_group.insert(id) {
                        counts.duplicates += 1;
                    } else {
                        counts.accepted += 1;
                        outcome.fresh.push(event.clone());
                    }
                }
            }
            Request::Reserve(reserve) => outcome.reserve = Some((*reserve).clone()),
        }
        outcome.counts.push(counts);
    }
    outcome.version =
        state.version() + outcome.fresh.len() as u64 + u64::from(outcome.reserve.is_some());
    outcome
}

/// Dedups `group` against `state`, commits the new events and reserve to `store` (one
/// record, one fsync) and applies them to `state`. On `Err` nothing was applied and the
/// store holds nothing of the group (as far as this process can tell; see
/// [`EventStore::commit`]). The caller must be the only writer of `state` between the
/// two locks (the sequencer is).
pub fn commit_group(
    store: &mut EventStore,
    state: &Mutex<MonitorState>,
    group: &[Request<'_>],
) -> Result<GroupOutcome, StoreError> {
    let mut outcome = plan(&lock(state), group);
    store.commit(&outcome.fresh, outcome.reserve.as_ref(), outcome.version)?;
    let mut state = lock(state);
    for event in &outcome.fresh {
        let applied = state.apply(event);
        debug_assert_eq!(applied, Applied::Accepted);
    }
    if let Some(reserve) = &outcome.reserve {
        state.set_reserve(reserve.clone());
    }
    outcome.version = state.version();
    for counts in &mut outcome.counts {
        counts.state_version = outcome.version;
    }
    Ok(outcome)
}
