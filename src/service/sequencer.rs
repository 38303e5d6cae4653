//! The sequencer: one OS thread that owns the store. Takes every command waiting, drops
//! duplicate `event_id`s, commits the new events in one fsynced record (group commit),
//! applies them to the state and only then acknowledges.
//!
//! A failed commit refuses its whole group (nothing stored, nothing applied) and the
//! store reports itself not writable: the sequencer publishes that ([`StoreHealth`]) and
//! commits are refused at once until the store's backoff allows an attempt. Attempts
//! come with the next commit or with a [`Command::Probe`], which the clock task sends
//! every second while the store is not writable.

use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{CheckpointPolicy, checkpoint_if_due};
use super::emit::{CommitFailed, EventsCommitted, ReserveSet, StoreWritability};
use super::engine::Inner;
use super::ingest::{Request, commit_group};
use super::{EngineError, IngestCounts, StoreHealth};
use crate::monitor::event::WithdrawalEvent;
use crate::monitor::state::ReservePosition;
use crate::store::EventStore;

/// Commands queued to the sequencer.
pub(super) const COMMAND_QUEUE: usize = 1_024;

/// A request to the sequencer and where to answer it.
pub(super) enum Command {
    Events {
        events: Vec<WithdrawalEvent>,
        reply: oneshot::Sender<Result<IngestCounts, EngineError>>,
    },
    Reserve {
        reserve: ReservePosition,
        reply: oneshot::Sender<Result<u64, EngineError>>,
    },
    /// Try to make a failing store writable again (if its backoff allows).
    Probe,
}

/// The sequencer loop: group commit until every sender is gone.
pub(super) fn run_sequencer(
    inner: &Inner,
    mut store: EventStore,
    mut receiver: mpsc::Receiver<Command>,
    max_group: usize,
    mut checkpoints: CheckpointPolicy,
) {
    checkpoint_if_due(inner, &mut store, &mut checkpoints);
    while let Some(first) = receiver.blocking_recv() {
        let mut group = vec![first];
        let mut events = command_events(&group[0]);
        while events < max_group {
            match receiver.try_recv() {
                Ok(command) => {
                    events += command_events(&command);
                    group.push(command);
                }
                Err(_) => break,
            }
        }
        group.retain(|c| !matches!(c, Command::Probe));
        if group.is_empty() {
            let _ = store.try_repair();
        } else {
            commit_commands(inner, &mut store, group);
            checkpoint_if_due(inner, &mut store, &mut checkpoints);
        }
        publish_health(inner, &store);
    }
}

fn command_events(command: &Command) -> usize {
    match command {
        Command::Events { events, .. } => events.len(),
        Command::Reserve { .. } => 1,
        Command::Probe => 0,
    }
}

/// Publishes whether the store takes writes, when that changed.
fn publish_health(inner: &Inner, store: &EventStore) {
    let failing = matches!(*inner.store_health.borrow(), StoreHealth::Failing { .. });
    if failing != store.failure().is_some() {
        StoreWritability {
            failure: store.failure(),
        }
        .emit(inner.observer.as_ref(), &inner.store_health);
    }
}

/// Commits one group of commands ([`commit_group`]), then reports, wakes the projector
/// and acknowledges; on failure refuses every command of the group.
fn commit_commands(inner: &Inner, store: &mut EventStore, group: Vec<Command>) {
    let requests: Vec<Request<'_>> = group
        .iter()
        .filter_map(|command| match command {
            Command::Events { events, .. } => Some(Request::Events(events)),
            Command::Reserve { reserve, .. } => Some(Request::Reserve(reserve)),
            Command::Probe => None,
        })
        .collect();
    let outcome = match commit_group(store, &inner.state, &requests) {
        Ok(outcome) => outcome,
        Err(error) => {
            let reason = error.to_string();
            CommitFailed {
                commands: group.len(),
                error: &reason,
            }
            .emit(inner.observer.as_ref());
            for command in group {
                fail(command, &reason);
            }
            return;
        }
    };
    let version = outcome.version;
    EventsCommitted {
        fresh: &outcome.fresh,
        duplicates: outcome.counts.iter().map(|c| c.duplicates).sum(),
        events_in_log: store.len(),
        store_bytes: store.size_bytes(),
        state_version: version,
        institutional_min_idr: inner.config.monitor.unspecified_institutional_min_idr,
    }
    .emit(inner.observer.as_ref());
    if let Some(reserve) = &outcome.reserve {
        ReserveSet {
            reserve,
            state_version: version,
        }
        .emit(inner.observer.as_ref());
    }
    publish_version(inner, outcome.fresh.len(), version);
    acknowledge(group, outcome.counts, version);
}

/// Wakes the projector (new version) and the clock (`fresh` new events).
fn publish_version(inner: &Inner, fresh: usize, version: u64) {
    if fresh > 0 {
        inner
            .applied_events
            .send_modify(|applied| *applied += fresh as u64);
    }
    inner.version.send_replace(version);
}

fn acknowledge(group: Vec<Command>, counts: Vec<IngestCounts>, version: u64) {
    for (command, counts) in group.into_iter().zip(counts) {
        match command {
            Command::Events { reply, .. } => {
                let _ = reply.send(Ok(IngestCounts {
                    state_version: version,
                    ..counts
                }));
            }
            Command::Reserve { reply, .. } => {
                let _ = reply.send(Ok(version));
            }
            Command::Probe => {}
        }
    }
}

fn fail(command: Command, reason: &str) {
    let error = || EngineError::Commit(reason.to_owned());
    match command {
        Command::Events { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Command::Reserve { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Command::Probe => {}
    }
}
