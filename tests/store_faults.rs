//! Deterministic fault simulation of ingestion (in the spirit of TigerBeetle's VOPR): the
//! real group commit (`service::ingest::commit_group`: dedup, one fsynced record, apply)
//! over the real `EventStore` on a simulated disk that injects, from a seed, ENOSPC, torn
//! writes, failed fsyncs and crashes at random points (see `store_support`). Random
//! batches reuse ids (duplicates across and inside batches) and sometimes set a reserve.
//!
//! **Invariant**, checked after every crash and recovery against a model fed exactly the
//! acknowledged commits: the recovered log is the acknowledged commits, in order, each
//! whole — no acknowledged event lost, none twice — optionally followed by the *last*
//! written commit if it failed (its bytes may have reached the disk before the failure
//! was seen; it was never acknowledged, its events were refused, so a client retry counts
//! them once). Nothing else appears: no commit refused without a write, no failed commit
//! followed by a successful one (the store cuts the file back before writing again). The
//! state rebuilt from the log has exactly the model's events, reserve and version, and
//! every acknowledgement counted as accepted exactly the ids the model had not seen.
//!
//! Checkpoints (a new segment and a snapshot of the state) are taken at random steps,
//! under the same faults; a recovery then reads the newest usable snapshot and the log
//! after it, and the state rebuilt that way must equal the state of the model's whole
//! acknowledged history replayed from scratch.
//!
//! Seeds: `SENTINEL_FAULT_SEEDS` (default 500) from `SENTINEL_FAULT_SEED_START` (0), or
//! one seed with `SENTINEL_FAULT_SEED=n`; a failure prints the command replaying it.

mod store_support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use sentinel::config::WindowConfig;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::event::{Cohort, EventKind, WithdrawalEvent};
use sentinel::monitor::state::{MonitorState, ReservePosition};
use sentinel::service::ingest::{Request, commit_group};
use sentinel::store::{EventStore, Recovered, StoreError, StoreOptions};
use store_support::{Faults, ManualClock, SimDisk};

const OPENS_MS: i64 = 1_795_165_200_000;
/// Distinct ids the workload draws from (small, so duplicates are frequent).
const ID_POOL: u64 = 400;

fn event(id: u64) -> WithdrawalEvent {
    WithdrawalEvent {
        event_id: format!("e{id}"),
        account_id: format!("a{}", id % 13),
        cohort: if id.is_multiple_of(5) {
            Cohort::Institutional
        } else {
            Cohort::Retail
        },
        amount_minor: 100 * (1_000 + id as i64 * 7_919),
        currency: "IDR".into(),
        occurred_at_unix_ms: OPENS_MS + (id as i64 % 60) * 3_600_000,
        kind: if id % 9 == 4 {
            EventKind::Deposit
        } else {
            EventKind::Withdrawal
        },
    }
}

/// Dedup horizon of the simulated monitor, ms (ten days).
const HORIZON_MS: i64 = 10 * 24 * 3_600_000;

fn new_state() -> MonitorState {
    let calendar = WindowCalendar::new(WeekendWindow::from_config(&WindowConfig::default()));
    MonitorState::new(calendar, 1_000_000, ReservePosition::immediate(5_000_000))
        .with_dedup_horizon_ms(HORIZON_MS)
}

/// The state the engine rebuilds from a recovered log: its snapshot, then the tail
/// counted with the store's id set adopted.
fn rebuild(recovered: &Recovered) -> MonitorState {
    let mut state = new_state();
    if let Some(snapshot) = &recovered.snapshot {
        state.restore(snapshot.clone());
    }
    state.resume_from_log(&recovered.events, recovered.ids.clone());
    if let Some(reserve) = &recovered.reserve {
        state.set_reserve(reserve.clone());
    }
    state.resume_version(recovered.state_version);
    state
}

/// One commit that touched the disk.
#[derive(Debug, Clone)]
struct Written {
    events: Vec<WithdrawalEvent>,
    reserve: Option<ReservePosition>,
}

/// The model: what was acknowledged since the last recovery, on top of the recovered log.
#[derive(Debug, Default)]
struct Model {
    events: Vec<WithdrawalEvent>,
    ids: HashSet<String>,
    reserve: Option<ReservePosition>,
    version: u64,
    /// The last commit written whose outcome was a failure, if no commit succeeded since.
    failed_tail: Option<Written>,
}

impl Model {
    fn acknowledge(&mut self, fresh: &[WithdrawalEvent], reserve: Option<&ReservePosition>) {
        for e in fresh {
            self.ids.insert(e.event_id.clone());
            self.events.push(e.clone());
        }
        if let Some(r) = reserve {
            self.reserve = Some(r.clone());
        }
        self.version += fresh.len() as u64 + u64::from(reserve.is_some());
        if !fresh.is_empty() || reserve.is_some() {
            // A commit with nothing new writes nothing: a failed commit before it stays
            // the last one written.
            self.failed_tail = None;
        }
    }

    /// The model after a recovery: the events the snapshot covers (from the model before,
    /// which the check found equal) and the recovered tail.
    fn rebase(before: &[WithdrawalEvent], recovered: &Recovered) -> Self {
        let covered = recovered.snapshot_events as usize;
        let events: Vec<WithdrawalEvent> = before[..covered]
            .iter()
            .chain(&recovered.events)
            .cloned()
            .collect();
        Self {
            ids: events.iter().map(|e| e.event_id.clone()).collect(),
            events,
            reserve: Some(rebuild(recovered).reserve().clone()),
            version: recovered.state_version,
            failed_tail: None,
        }
    }

    /// Checks a recovered log against the acknowledged commits.
    fn check(&self, recovered: &Recovered) -> Result<(), String> {
        let covered = recovered.snapshot_events as usize;
        if covered > self.events.len() {
            return Err(format!(
                "a snapshot covers {covered} events; {} were acknowledged",
                self.events.len()
            ));
        }
        let expected = &self.events[covered..];
        let n = expected.len();
        if recovered.events.len() < n || recovered.events[..n] != *expected {
            return Err(format!(
                "acknowledged events lost or reordered: model {n} after the snapshot, \
                 recovered {}",
                recovered.events.len()
            ));
        }
        let extra = &recovered.events[n..];
        let (reserve, version) = match &self.failed_tail {
            Some(tail) if !extra.is_empty() || tail.reserve.is_some() => {
                let resurfaced = extra == tail.events.as_slice()
                    && recovered.state_version
                        == self.version
                            + tail.events.len() as u64
                            + u64::from(tail.reserve.is_some());
                if resurfaced {
                    let reserve = tail.reserve.clone().or(self.reserve.clone());
                    (reserve, recovered.state_version)
                } else if extra.is_empty() {
                    (self.reserve.clone(), self.version)
                } else {
                    return Err(format!(
                        "{} unacknowledged events that are not the last failed commit",
                        extra.len()
                    ));
                }
            }
            _ if !extra.is_empty() => {
                return Err(format!("{} events appeared from nowhere", extra.len()));
            }
            _ => (self.reserve.clone(), self.version),
        };
        if rebuild(recovered).reserve() != reserve.as_ref().unwrap_or(new_state().reserve()) {
            return Err("reserve differs from the last acknowledged one".into());
        }
        if recovered.state_version != version {
            return Err(format!(
                "state version {} where {version} was expected",
                recovered.state_version
            ));
        }
        Ok(())
    }
}

/// Reopens after a crash (faults paused: recovery itself is not under test here).
fn recover(
    disk: &SimDisk,
    dir: &Path,
    clock: &ManualClock,
    faults: Faults,
) -> Result<(EventStore, Recovered), String> {
    disk.set_faults(Faults::default());
    let options = StoreOptions {
        dedup_horizon_ms: HORIZON_MS,
        settings_fingerprint: Some(new_state().settings_fingerprint()),
        retention_ms: i64::MAX,
    };
    let opened = EventStore::open_with_options(
        dir,
        Arc::new(disk.clone()),
        Arc::new(clock.clone()),
        options,
    )
    .map_err(|e| format!("recovery failed: {e}"));
    disk.set_faults(faults);
    opened
}

/// One simulated run; `Err` names the step and what broke.
fn run_seed(seed: u64) -> Result<u64, String> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let faults = Faults {
        enospc: rng.random_range(0.0..0.08),
        torn_write: rng.random_range(0.0..0.08),
        sync_failure: rng.random_range(0.0..0.08),
    };
    let disk = SimDisk::new(seed, faults);
    let clock = ManualClock::default();
    let dir = Path::new("/sim/data");
    let (mut store, recovered) = recover(&disk, dir, &clock, faults)?;
    let mut model = Model::rebase(&[], &recovered);
    let mut state = Mutex::new(rebuild(&recovered));
    let steps = rng.random_range(40..120);
    for step in 0..steps {
        let fail = |why: String| format!("step {step}: {why}");
        if rng.random_bool(0.06) {
            drop(store);
            disk.crash();
            let (reopened, recovered) = recover(&disk, dir, &clock, faults).map_err(fail)?;
            model.check(&recovered).map_err(fail)?;
            store = reopened;
            model = Model::rebase(&model.events, &recovered);
            state = Mutex::new(rebuild(&recovered));
            same_as_whole_history(&state.lock().unwrap(), &model.events).map_err(fail)?;
            continue;
        }
        if rng.random_bool(0.08) {
            let snapshot = state.lock().unwrap().snapshot();
            let _ = store.checkpoint(&snapshot);
        }
        clock.advance(Duration::from_millis(rng.random_range(0..400)));
        let batches: Vec<Vec<WithdrawalEvent>> = (0..rng.random_range(1..4))
            .map(|_| {
                (0..rng.random_range(0..12))
                    .map(|_| event(rng.random_range(0..ID_POOL)))
                    .collect()
            })
            .collect();
        let reserve = rng
            .random_bool(0.1)
            .then(|| ReservePosition::immediate(rng.random_range(1..1 << 40)));
        let mut group: Vec<Request<'_>> = batches.iter().map(|b| Request::Events(b)).collect();
        if let Some(r) = &reserve {
            group.insert(rng.random_range(0..=group.len()), Request::Reserve(r));
        }
        let expected_fresh = fresh_of(&model.ids, &batches);
        match commit_group(&mut store, &state, &group) {
            Ok(outcome) => {
                if outcome.fresh != expected_fresh {
                    return Err(fail("dedup accepted other events than the model".into()));
                }
                let accepted: u64 = outcome.counts.iter().map(|c| c.accepted).sum();
                let total: usize = batches.iter().map(Vec::len).sum();
                let duplicates: u64 = outcome.counts.iter().map(|c| c.duplicates).sum();
                if accepted as usize != expected_fresh.len()
                    || (accepted + duplicates) as usize != total
                {
                    return Err(fail("counts disagree with the model".into()));
                }
                model.acknowledge(&outcome.fresh, reserve.as_ref());
                if outcome.version != model.version {
                    return Err(fail("acknowledged version differs".into()));
                }
            }
            Err(StoreError::NotWritable { .. }) => {}
            Err(_) => {
                model.failed_tail = Some(Written {
                    events: expected_fresh,
                    reserve: reserve.clone(),
                });
            }
        }
        let live = state.lock().unwrap().inputs();
        if live.events_total != model.events.len() as u64 || live.version != model.version {
            return Err(fail(
                "live state differs from the acknowledged model".into(),
            ));
        }
    }
    drop(store);
    disk.crash();
    let (_, recovered) = recover(&disk, dir, &clock, faults)?;
    model
        .check(&recovered)
        .map_err(|e| format!("final crash: {e}"))?;
    let rebuilt = rebuild(&recovered);
    let model = Model::rebase(&model.events, &recovered);
    same_as_whole_history(&rebuilt, &model.events).map_err(|e| format!("final: {e}"))?;
    Ok(disk.injected())
}

/// Checks that `state` (rebuilt from a snapshot and a tail) is the state of `history`
/// replayed from scratch: windows, ids in the horizon, counts.
fn same_as_whole_history(state: &MonitorState, history: &[WithdrawalEvent]) -> Result<(), String> {
    let mut whole = new_state();
    for e in history {
        whole.apply(e);
    }
    let (mut got, mut want) = (state.snapshot(), whole.snapshot());
    (got.version, want.version) = (0, 0);
    (got.reserve, want.reserve) = (want.reserve.clone(), want.reserve.clone());
    if got != want {
        return Err(format!(
            "state from snapshot + tail differs from the whole history ({} vs {} events)",
            got.events_total, want.events_total
        ));
    }
    Ok(())
}

/// The events of `batches` the model has not seen, first occurrence only, in order.
fn fresh_of(seen: &HashSet<String>, batches: &[Vec<WithdrawalEvent>]) -> Vec<WithdrawalEvent> {
    let mut in_group = HashSet::new();
    batches
        .iter()
        .flatten()
        .filter(|e| !seen.contains(&e.event_id) && in_group.insert(e.event_id.clone()))
        .cloned()
        .collect()
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn acknowledged_events_survive_every_fault_and_crash_exactly_once() {
    let seeds: Vec<u64> = match env_u64("SENTINEL_FAULT_SEED") {
        Some(seed) => vec![seed],
        None => {
            let start = env_u64("SENTINEL_FAULT_SEED_START").unwrap_or(0);
            let count = env_u64("SENTINEL_FAULT_SEEDS").unwrap_or(500);
            (start..start + count).collect()
        }
    };
    let mut injected = 0;
    for &seed in &seeds {
        match run_seed(seed) {
            Ok(faults) => injected += faults,
            Err(why) => panic!(
                "seed {seed}: {why}\nreplay: SENTINEL_FAULT_SEED={seed} cargo test --release \
                 --test store_faults"
            ),
        }
    }
    assert!(
        injected as usize > seeds.len(),
        "faults were injected ({injected} over {} seeds)",
        seeds.len()
    );
}
