//! The running monitor: the async machinery around the pure [`crate::monitor`] logic.
//! Knows tokio, rayon and the [`crate::store`], never the wire protocol.
//!
//! - **Sequencer** (one OS thread, owns the store): takes every command waiting, drops
//!   duplicate `event_id`s, commits the new events in one fsynced transaction (group
//!   commit), then applies them to the state and only then acknowledges. Log order is
//!   apply order, so a restart rebuilds the same state.
//! - **Projector** (a tokio task): waits for a new state version, snapshots the state and
//!   runs the projection on rayon; while it runs newer versions coalesce (at most one in
//!   flight, the latest state wins). Each projection is published to a `watch` (latest)
//!   and a bounded `broadcast` (subscribers that lag are told how many they missed).
//! - **Alerts**: evaluated after each projection and once a second for the stale feed;
//!   transitions go to a bounded `broadcast`; a subscriber first gets the firing ones.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{info, warn};

use crate::config::Config;
use crate::model::user_base::UserBase;
use crate::model::window::WeekendWindow;
use crate::monitor::alerts::{Alert, AlertEngine, AlertThresholds};
use crate::monitor::calendar::{MS_PER_DAY, WindowCalendar};
use crate::monitor::event::{CountedCohort, EventLimits, Rejection, WithdrawalEvent, classify};
use crate::monitor::projection::{Projection, Projector};
use crate::monitor::state::{Applied, MonitorState, ReservePosition};
use crate::store::{EventStore, StoreError};

/// Commands queued to the sequencer.
const COMMAND_QUEUE: usize = 1_024;
/// How often the stale-feed rule is evaluated.
const CLOCK_TICK: Duration = Duration::from_secs(1);

/// Why the engine refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An event failed validation; nothing of its batch was applied.
    #[error("event {index} (event_id {event_id:?}): {rejection}")]
    Invalid {
        /// Position of the event in its batch.
        index: usize,
        /// Its id as given.
        event_id: String,
        /// The field and reason.
        rejection: Rejection,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A commit failed; nothing of the batch was applied.
    #[error("event store commit failed: {0}")]
    Commit(String),
    /// The engine is shutting down.
    #[error("the monitor is shutting down")]
    Stopped,
    /// The configuration's scenarios do not make a valid withdrawal process.
    #[error("invalid config: {0}")]
    Config(#[from] crate::model::params::ParamError),
}

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IngestCounts {
    /// Events accepted for the first time (now durable).
    pub accepted: u64,
    /// Events whose id was already stored.
    pub duplicates: u64,
    /// State version after the batch.
    pub state_version: u64,
}

/// What the engine reports as it works, e.g. to export metrics. Every method has a no-op
/// default; calls come from the sequencer thread or the projector task, so keep them cheap.
pub trait EngineObserver: Send + Sync {
    /// An event accepted and made durable, counted in `cohort`, at wall clock `now_unix_ms`.
    fn on_accepted(&self, _event: &WithdrawalEvent, _cohort: CountedCohort, _now_unix_ms: i64) {}
    /// `count` events acknowledged as duplicates.
    fn on_duplicates(&self, _count: u64) {}
    /// An event or reserve position rejected because of `field`.
    fn on_rejected(&self, _field: &str) {}
    /// The reserve position in force (at start and after every change).
    fn on_reserve(&self, _reserve: &ReservePosition) {}
    /// A durable commit: events in the log, size of the store file, commit time.
    fn on_commit(&self, _events_in_log: u64, _store_bytes: u64, _now_unix_ms: i64) {}
    /// A projection published.
    fn on_projection(&self, _projection: &PublishedProjection) {}
    /// An alert transition.
    fn on_alert(&self, _alert: &Alert) {}
}

/// The observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl EngineObserver for NoObserver {}

/// A projection as published.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedProjection {
    /// The projection.
    pub projection: Projection,
    /// Wall clock when it was finished, Unix ms.
    pub computed_at_unix_ms: i64,
    /// Wall time of the computation, ms.
    pub compute_ms: f64,
}

enum Command {
    Events {
        events: Vec<WithdrawalEvent>,
        reply: oneshot::Sender<Result<IngestCounts, EngineError>>,
    },
    Reserve {
        reserve: ReservePosition,
        reply: oneshot::Sender<Result<u64, EngineError>>,
    },
}

struct AlertHub {
    engine: AlertEngine,
    sender: broadcast::Sender<Arc<Alert>>,
}

struct Inner {
    config: Config,
    state: Mutex<MonitorState>,
    projector: Projector,
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    version: watch::Sender<u64>,
    latest: watch::Sender<Option<Arc<PublishedProjection>>>,
    projections: broadcast::Sender<Arc<PublishedProjection>>,
    alerts: Mutex<AlertHub>,
    last_event: Mutex<Instant>,
    sequencer: Mutex<Option<std::thread::JoinHandle<()>>>,
    observer: Arc<dyn EngineObserver>,
}

/// The monitor engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Unix ms of the wall clock.
pub fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Engine {
    /// Opens the store in `config.monitor.data_dir`, rebuilds the state from it and starts
    /// the sequencer thread. Call [`Engine::start`] inside a tokio runtime next.
    /// The projection's exposure model is the config's synthetic user base.
    pub fn open(config: Config) -> Result<Self, EngineError> {
        let users = UserBase::synthetic(&config.user_base);
        Self::open_with(config, &users, Arc::new(NoObserver))
    }

    /// [`Engine::open`] over the user base `users`, reporting to `observer`.
    pub fn open_with(
        config: Config,
        users: &UserBase,
        observer: Arc<dyn EngineObserver>,
    ) -> Result<Self, EngineError> {
        let projector = Projector::new(&config, users)?;
        let calendar = WindowCalendar::new(WeekendWindow::from_config(&config.window));
        let (store, recovered) = EventStore::open(std::path::Path::new(&config.monitor.data_dir))?;
        let reserve = recovered
            .reserve
            .unwrap_or_else(|| ReservePosition::immediate(config.monitor.initial_reserve_idr));
        let mut state = MonitorState::new(
            calendar,
            config.monitor.unspecified_institutional_min_idr,
            reserve,
        );
        for event in &recovered.events {
            state.apply(event);
        }
        state.resume_version(recovered.state_version);
        observer.on_reserve(state.reserve());
        observer.on_commit(store.len(), store.size_bytes(), now_unix_ms());
        info!(
            message = "state rebuilt from the event log",
            events = recovered.events.len(),
            state_version = state.version()
        );
        let (sender, receiver) = mpsc::channel(COMMAND_QUEUE);
        let buffer = config.monitor.subscriber_buffer as usize;
        let inner = Arc::new(Inner {
            projector,
            version: watch::Sender::new(state.version()),
            state: Mutex::new(state),
            commands: Mutex::new(Some(sender)),
            latest: watch::Sender::new(None),
            projections: broadcast::Sender::new(buffer),
            alerts: Mutex::new(AlertHub {
                engine: AlertEngine::new(AlertThresholds::from_config(&config.monitor)),
                sender: broadcast::Sender::new(buffer),
            }),
            last_event: Mutex::new(Instant::now()),
            sequencer: Mutex::new(None),
            observer,
            config,
        });
        let max_group = inner.config.monitor.group_commit_max_events as usize;
        let worker = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("sentinel-sequencer".into())
            .spawn(move || run_sequencer(&worker, store, receiver, max_group))
            .map_err(|e| EngineError::Commit(format!("cannot start the sequencer thread: {e}")))?;
        *lock(&inner.sequencer) = Some(handle);
        Ok(Self { inner })
    }

    /// Starts the projector and the clock (tokio tasks); they stop when `shutdown` turns true.
    pub fn start(&self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(run_projector(Arc::clone(&self.inner), shutdown.clone())),
            tokio::spawn(run_clock(Arc::clone(&self.inner), shutdown)),
        ]
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Validates `events` against the wall clock: the first invalid one, if any.
    pub fn validate(&self, events: &[WithdrawalEvent]) -> Result<(), EngineError> {
        let m = &self.inner.config.monitor;
        let limits = EventLimits {
            now_unix_ms: now_unix_ms(),
            max_skew_ms: (m.max_clock_skew_minutes * 60_000.0) as i64,
            max_age_ms: (m.max_event_age_days * MS_PER_DAY as f64) as i64,
        };
        for (index, event) in events.iter().enumerate() {
            event.validate(&limits).map_err(|rejection| {
                self.note_rejection(rejection.field);
                EngineError::Invalid {
                    index,
                    event_id: event.event_id.clone(),
                    rejection,
                }
            })?;
        }
        Ok(())
    }

    /// Reports a rejection of `field` found outside the engine (e.g. while decoding).
    pub fn note_rejection(&self, field: &str) {
        self.inner.observer.on_rejected(field);
    }

    /// Validates and records `events`: all valid and durable, or nothing changes.
    pub async fn record(&self, events: Vec<WithdrawalEvent>) -> Result<IngestCounts, EngineError> {
        self.validate(&events)?;
        self.record_validated(events).await
    }

    /// Records events the caller has validated; durable when this returns `Ok`.
    pub async fn record_validated(
        &self,
        events: Vec<WithdrawalEvent>,
    ) -> Result<IngestCounts, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Events { events, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Replaces the reserve position; durable when this returns `Ok`. Returns the version.
    pub async fn set_reserve(&self, reserve: ReservePosition) -> Result<u64, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Reserve { reserve, reply }).await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    async fn send(&self, command: Command) -> Result<(), EngineError> {
        let sender = lock(&self.inner.commands)
            .clone()
            .ok_or(EngineError::Stopped)?;
        sender.send(command).await.map_err(|_| EngineError::Stopped)
    }

    /// The current state version.
    pub fn state_version(&self) -> u64 {
        *self.inner.version.borrow()
    }

    /// The latest projection, if one was computed.
    pub fn latest_projection(&self) -> Option<Arc<PublishedProjection>> {
        self.inner.latest.borrow().clone()
    }

    /// Waits until a projection of at least `version` is published (or the engine stops).
    pub async fn projection_at_least(&self, version: u64) -> Option<Arc<PublishedProjection>> {
        let mut receiver = self.inner.latest.subscribe();
        let reached = receiver
            .wait_for(|p| {
                p.as_ref()
                    .is_some_and(|p| p.projection.inputs.version >= version)
            })
            .await
            .ok()?;
        reached.clone()
    }

    /// The latest projection and a receiver of the following ones.
    pub fn subscribe_projections(
        &self,
    ) -> (
        Option<Arc<PublishedProjection>>,
        broadcast::Receiver<Arc<PublishedProjection>>,
    ) {
        let receiver = self.inner.projections.subscribe();
        (self.latest_projection(), receiver)
    }

    /// The alerts firing now and a receiver of the following transitions (no gap between).
    pub fn subscribe_alerts(&self) -> (Vec<Alert>, broadcast::Receiver<Arc<Alert>>) {
        let hub = lock(&self.inner.alerts);
        (hub.engine.firing(), hub.sender.subscribe())
    }

    /// A snapshot of the projection inputs (the state).
    pub fn inputs(&self) -> crate::monitor::state::ProjectionInputs {
        lock(&self.inner.state).inputs()
    }

    /// Stops accepting commands, lets the sequencer finish the queued ones (each already
    /// durable when acknowledged) and closes the store.
    pub async fn shutdown(&self) {
        lock(&self.inner.commands).take();
        let handle = lock(&self.inner.sequencer).take();
        if let Some(handle) = handle {
            let joined = tokio::task::spawn_blocking(move || handle.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                warn!(message = "sequencer thread ended abnormally");
            }
        }
        info!(message = "event store flushed and closed");
    }
}

/// The sequencer loop: group commit until every sender is gone.
fn run_sequencer(
    inner: &Inner,
    mut store: EventStore,
    mut receiver: mpsc::Receiver<Command>,
    max_group: usize,
) {
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
        commit_group(inner, &mut store, group);
    }
}

fn command_events(command: &Command) -> usize {
    match command {
        Command::Events { events, .. } => events.len(),
        Command::Reserve { .. } => 1,
    }
}

/// What one group of commands changes: the new events in order, the last reserve set,
/// the counts per command and the state version after it.
struct GroupPlan {
    fresh: Vec<WithdrawalEvent>,
    reserve: Option<ReservePosition>,
    counts: Vec<IngestCounts>,
    version_after: u64,
}

/// Splits a group into new events and duplicates (already stored, or repeated inside it).
fn plan_group(state: &MonitorState, group: &[Command]) -> GroupPlan {
    let mut plan = GroupPlan {
        fresh: Vec::new(),
        reserve: None,
        counts: Vec::with_capacity(group.len()),
        version_after: 0,
    };
    let mut in_group = std::collections::HashSet::new();
    for command in group {
        let mut counts = IngestCounts::default();
        match command {
            Command::Events { events, .. } => {
                for event in events {
                    let id = event.event_id.as_str();
                    if state.has_seen(id) || !in_group.insert(id) {
                        counts.duplicates += 1;
                    } else {
                        counts.accepted += 1;
                        plan.fresh.push(event.clone());
                    }
                }
            }
            Command::Reserve { reserve, .. } => plan.reserve = Some(reserve.clone()),
        }
        plan.counts.push(counts);
    }
    plan.version_after =
        state.version() + plan.fresh.len() as u64 + u64::from(plan.reserve.is_some());
    plan
}

/// Dedups, commits (one fsync), applies and acknowledges one group of commands. Only the
/// sequencer applies events, so the plan stays valid between the two locks.
fn commit_group(inner: &Inner, store: &mut EventStore, group: Vec<Command>) {
    let plan = plan_group(&lock(&inner.state), &group);
    if let Err(error) = store.commit(&plan.fresh, plan.reserve.as_ref(), plan.version_after) {
        warn!(message = "commit failed; group rejected", %error);
        let reason = error.to_string();
        for command in group {
            fail(command, &reason);
        }
        return;
    }
    inner
        .observer
        .on_commit(store.len(), store.size_bytes(), now_unix_ms());
    let duplicates: u64 = plan.counts.iter().map(|c| c.duplicates).sum();
    if duplicates > 0 {
        inner.observer.on_duplicates(duplicates);
    }
    let version = apply_committed(inner, &plan.fresh, plan.reserve);
    for (command, counts) in group.into_iter().zip(plan.counts) {
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
        }
    }
}

fn apply_committed(
    inner: &Inner,
    fresh: &[WithdrawalEvent],
    reserve: Option<ReservePosition>,
) -> u64 {
    let version = {
        let mut state = lock(&inner.state);
        for event in fresh {
            let applied = state.apply(event);
            debug_assert_eq!(applied, Applied::Accepted);
        }
        if let Some(reserve) = reserve {
            state.set_reserve(reserve);
            inner.observer.on_reserve(state.reserve());
        }
        state.version()
    };
    let now = now_unix_ms();
    let threshold = inner.config.monitor.unspecified_institutional_min_idr;
    for event in fresh {
        let cohort = classify(event.cohort, event.amount_idr(), threshold);
        inner.observer.on_accepted(event, cohort, now);
    }
    if !fresh.is_empty() {
        *lock(&inner.last_event) = Instant::now();
    }
    inner.version.send_replace(version);
    version
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
    }
}

/// Recomputes the projection whenever the state version moves; coalesced.
async fn run_projector(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut versions = inner.version.subscribe();
    loop {
        versions.mark_unchanged();
        let inputs = lock(&inner.state).inputs();
        let worker = Arc::clone(&inner);
        let (reply, answer) = oneshot::channel();
        rayon::spawn(move || {
            let started = Instant::now();
            let projection = worker.projector.project(&inputs);
            let _ = reply.send((projection, started.elapsed().as_secs_f64() * 1e3));
        });
        let Ok((projection, compute_ms)) = answer.await else {
            break;
        };
        publish(&inner, projection, compute_ms);
        tokio::select! {
            changed = versions.changed() => if changed.is_err() { break },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}

fn publish(inner: &Inner, projection: Projection, compute_ms: f64) {
    let now = now_unix_ms();
    let published = Arc::new(PublishedProjection {
        projection,
        computed_at_unix_ms: now,
        compute_ms,
    });
    inner.observer.on_projection(&published);
    let mut hub = lock(&inner.alerts);
    let transitions = hub.engine.on_projection(&published.projection, now);
    inner.latest.send_replace(Some(Arc::clone(&published)));
    let _ = inner.projections.send(published);
    for alert in transitions {
        announce(inner, &hub, alert);
    }
}

/// Evaluates the stale-feed rule once a second.
async fn run_clock(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(CLOCK_TICK);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
        let silent_minutes = lock(&inner.last_event).elapsed().as_secs_f64() / 60.0;
        let (open, hour) = {
            let state = lock(&inner.state);
            (state.window_open(), state.inputs_elapsed_hours())
        };
        let mut hub = lock(&inner.alerts);
        for alert in hub
            .engine
            .on_clock(silent_minutes, open, hour, now_unix_ms())
        {
            info!(message = "alert", id = %alert.id, state = ?alert.state, summary = %alert.summary);
            let _ = hub.sender.send(Arc::new(alert));
        }
    }
}

/// Logs an alert transition, reports it and broadcasts it to the subscribers.
fn announce(inner: &Inner, hub: &AlertHub, alert: Alert) {
    info!(
        message = "alert",
        id = %alert.id,
        state = ?alert.state,
        severity = ?alert.severity,
        window_hour = alert.window_hour,
        summary = %alert.summary
    );
    inner.observer.on_alert(&alert);
    let _ = hub.sender.send(Arc::new(alert));
}
