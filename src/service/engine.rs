//! The public API of the running monitor: [`Engine`].

use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{info, warn};

use super::alert_hub::AlertHub;
use super::checkpoint::CheckpointPolicy;
use super::clock::{SystemClock, WallClock};
use super::emit::{CalendarLoaded, EventRejected, ReserveRejected, StateRebuilt};
use super::log_limit::{LogLimiter, SystemTicker};
use super::sequencer::{COMMAND_QUEUE, Command, run_sequencer};
use super::{
    EngineError, EngineObserver, IngestCounts, NoObserver, PublishedProjection, StoreHealth, lock,
};
use crate::config::Config;
use crate::model::user_base::UserBase;
use crate::monitor::alerts::{Alert, AlertThresholds};
use crate::monitor::calendar::{MS_PER_DAY, WindowCalendar};
use crate::monitor::event::{EventLimits, IDR_MINOR_PER_RUPIAH, Rejection, WithdrawalEvent};
use crate::monitor::projection::Projector;
use crate::monitor::state::{MonitorState, ProjectionInputs, RailsNow, ReservePosition};
use crate::store::alerts::AlertLedger;
use crate::store::io::{FsIo, MonotonicClock, StoreIo, SystemMonotonic};
use crate::store::{EventStore, Recovered, StoreOptions};

/// What the sequencer, projector and clock share.
pub(super) struct Inner {
    pub(super) config: Config,
    pub(super) state: Mutex<MonitorState>,
    pub(super) projector: Projector,
    pub(super) commands: Mutex<Option<mpsc::Sender<Command>>>,
    /// The state version, bumped by the sequencer after each applied group.
    pub(super) version: watch::Sender<u64>,
    /// Events applied since start; the clock restarts the stale-feed timer on a change.
    pub(super) applied_events: watch::Sender<u64>,
    pub(super) latest: watch::Sender<Option<Arc<PublishedProjection>>>,
    pub(super) projections: broadcast::Sender<Arc<PublishedProjection>>,
    pub(super) alerts: Mutex<AlertHub>,
    pub(super) sequencer: Mutex<Option<std::thread::JoinHandle<()>>>,
    pub(super) observer: Arc<dyn EngineObserver>,
    /// The wall clock that decides which closure is current.
    pub(super) clock: Arc<dyn WallClock>,
    /// Where the rails stand, updated by the clock task; the projector re-projects on a change.
    pub(super) rails: watch::Sender<RailsNow>,
    /// Whether the store takes writes, set by the sequencer.
    pub(super) store_health: watch::Sender<StoreHealth>,
    /// Rate limit of the "event rejected" log lines (`access.error_log_lines_per_second`).
    pub(super) rejection_log: LogLimiter,
}

/// The monitor engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The file system and monotonic clock the engine's store runs on.
#[derive(Clone)]
pub struct StoreAccess {
    /// The file system.
    pub io: Arc<dyn StoreIo>,
    /// The clock of the write backoff.
    pub clock: Arc<dyn MonotonicClock>,
}

impl StoreAccess {
    /// The store on `io`, backoff timed by `clock`.
    pub fn new(io: Arc<dyn StoreIo>, clock: Arc<dyn MonotonicClock>) -> Self {
        Self { io, clock }
    }
}

/// An empty state over the config's calendar, classification threshold, dedup horizon
/// and initial reserve.
fn empty_state(config: &Config, calendar: WindowCalendar) -> MonitorState {
    MonitorState::new(
        calendar,
        config.monitor.unspecified_institutional_min_idr,
        ReservePosition::immediate(config.monitor.initial_reserve_idr),
    )
    .with_dedup_horizon_ms(config.monitor.dedup_horizon_ms())
}

/// The store's options for `state`'s settings and the config's retention.
fn store_options(config: &Config, state: &MonitorState) -> StoreOptions {
    StoreOptions {
        dedup_horizon_ms: config.monitor.dedup_horizon_ms(),
        settings_fingerprint: Some(state.settings_fingerprint()),
        retention_ms: (config.monitor.store_retention_days * MS_PER_DAY as f64) as i64,
    }
}

/// `state` (empty) brought to what `recovered` holds: its snapshot, then the events and
/// the reserve after it.
/// The store's id set is adopted, not rebuilt (`recovered.ids` is left empty).
fn rebuild_state(mut state: MonitorState, recovered: &mut Recovered) -> MonitorState {
    if let Some(snapshot) = recovered.snapshot.take() {
        state.restore(snapshot);
    }
    if let Some(reserve) = &recovered.reserve {
        state.set_reserve(reserve.clone());
    }
    state.resume_from_log(&recovered.events, std::mem::take(&mut recovered.ids));
    state.resume_version(recovered.state_version);
    state
}

impl Engine {
    /// Opens the store in `config.monitor.data_dir`, rebuilds the state from it and starts
    /// the sequencer thread. Call [`Engine::start`] inside a tokio runtime next.
    /// The projection's exposure model is the config's synthetic user base.
    pub fn open(config: Config) -> Result<Self, EngineError> {
        let users = UserBase::synthetic(&config.user_base);
        Self::open_with(config, &users, Arc::new(NoObserver))
    }

    /// [`Engine::open`] over the user base `users`, reporting to `observer`, on the system
    /// clock.
    pub fn open_with(
        config: Config,
        users: &UserBase,
        observer: Arc<dyn EngineObserver>,
    ) -> Result<Self, EngineError> {
        Self::open_with_clock(config, users, observer, Arc::new(SystemClock))
    }

    /// [`Engine::open_with`] on the wall clock `clock` (which decides whether the rails are
    /// closed and which closure is current).
    pub fn open_with_clock(
        config: Config,
        users: &UserBase,
        observer: Arc<dyn EngineObserver>,
        clock: Arc<dyn WallClock>,
    ) -> Result<Self, EngineError> {
        let store_io = StoreAccess::new(Arc::new(FsIo), Arc::new(SystemMonotonic::default()));
        Self::open_with_io(config, users, observer, clock, store_io)
    }

    /// [`Engine::open_with_clock`] with the store on the file system `store_io.io`, its
    /// write backoff timed by `store_io.clock` (tests inject faults and time here).
    pub fn open_with_io(
        config: Config,
        users: &UserBase,
        observer: Arc<dyn EngineObserver>,
        clock: Arc<dyn WallClock>,
        store_io: StoreAccess,
    ) -> Result<Self, EngineError> {
        let calendar = WindowCalendar::of_config(&config)?;
        CalendarLoaded {
            calendar: &calendar,
            now_unix_ms: clock.now_unix_ms(),
        }
        .emit(observer.as_ref());
        let projector = Projector::with_horizon(&config, users, calendar.max_window_hours())
            .map_err(crate::config::ConfigError::from)?;
        let data_dir = std::path::Path::new(&config.monitor.data_dir);
        let empty = empty_state(&config, calendar);
        let options = store_options(&config, &empty);
        let (store, mut recovered) =
            EventStore::open_with_options(data_dir, store_io.io, store_io.clock, options)?;
        let state = rebuild_state(empty, &mut recovered);
        let rails = RailsNow::at(state.calendar(), clock.now_unix_ms());
        StateRebuilt {
            events: recovered.events.len(),
            snapshot_events: recovered.snapshot_events,
            skipped_snapshots: &recovered.skipped_snapshots,
            state_version: state.version(),
            reserve: state.reserve(),
            events_in_log: store.len(),
            store_bytes: store.size_bytes(),
            truncated_tail: recovered.truncated_tail.as_ref(),
        }
        .emit(observer.as_ref());
        let (sender, receiver) = mpsc::channel(COMMAND_QUEUE);
        let buffer = config.monitor.subscriber_buffer as usize;
        let inner = Arc::new(Inner {
            projector,
            version: watch::Sender::new(state.version()),
            applied_events: watch::Sender::new(0),
            state: Mutex::new(state),
            commands: Mutex::new(Some(sender)),
            latest: watch::Sender::new(None),
            projections: broadcast::Sender::new(buffer),
            alerts: Mutex::new(AlertHub::restore(
                AlertThresholds::from_config(&config.monitor),
                buffer,
                AlertLedger::new(data_dir),
                observer.as_ref(),
            )?),
            sequencer: Mutex::new(None),
            observer,
            clock,
            rails: watch::Sender::new(rails),
            store_health: watch::Sender::new(StoreHealth::Writable),
            rejection_log: LogLimiter::new(
                config.access.error_log_lines_per_second,
                Arc::new(SystemTicker::default()),
            ),
            config,
        });
        let max_group = inner.config.monitor.group_commit_max_events as usize;
        let checkpoints = CheckpointPolicy::new(
            u64::from(inner.config.monitor.snapshot_every_events),
            recovered.snapshot_events,
            lock(&inner.state).latest_closed_window(),
        );
        let worker = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("sentinel-sequencer".into())
            .spawn(move || run_sequencer(&worker, store, receiver, max_group, checkpoints))
            .map_err(|e| EngineError::Commit(format!("cannot start the sequencer thread: {e}")))?;
        *lock(&inner.sequencer) = Some(handle);
        Ok(Self { inner })
    }

    /// Starts the projector and the clock (tokio tasks); they stop when `shutdown` turns true.
    pub fn start(&self, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(super::projector::run_projector(
                Arc::clone(&self.inner),
                shutdown.clone(),
            )),
            tokio::spawn(super::clock::run_clock(Arc::clone(&self.inner), shutdown)),
        ]
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Validates `events` against the wall clock: the first invalid one, if any, is
    /// reported as rejected and returned.
    pub fn validate(&self, events: &[WithdrawalEvent]) -> Result<(), EngineError> {
        let m = &self.inner.config.monitor;
        let limits = EventLimits {
            now_unix_ms: self.inner.clock.now_unix_ms(),
            max_skew_ms: (m.max_clock_skew_minutes * 60_000.0) as i64,
            max_age_ms: (m.max_event_age_days * MS_PER_DAY as f64) as i64,
            max_amount_minor: i64::try_from(m.max_event_amount_idr)
                .unwrap_or(i64::MAX)
                .saturating_mul(IDR_MINOR_PER_RUPIAH),
        };
        for (index, event) in events.iter().enumerate() {
            if let Err(rejection) = event.validate(&limits) {
                self.report_rejected_event(index, &event.event_id, &rejection);
                return Err(EngineError::Invalid {
                    index,
                    event_id: event.event_id.clone(),
                    rejection,
                });
            }
        }
        Ok(())
    }

    /// Reports an event rejected outside the engine (e.g. while decoding): event `index`
    /// of its batch or stream, with id `event_id`.
    pub fn report_rejected_event(&self, index: usize, event_id: &str, rejection: &Rejection) {
        EventRejected {
            index,
            event_id,
            rejection,
        }
        .emit(self.inner.observer.as_ref(), &self.inner.rejection_log);
    }

    /// Reports a reserve position rejected before it reached the engine (e.g. while
    /// decoding). Counted apart from event rejections.
    pub fn report_rejected_reserve(&self, rejection: &Rejection) {
        ReserveRejected { rejection }.emit(self.inner.observer.as_ref());
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

    /// Whether the store takes writes now, and its changes.
    pub fn store_health(&self) -> watch::Receiver<StoreHealth> {
        self.inner.store_health.subscribe()
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
        lock(&self.inner.alerts).subscribe()
    }

    /// A snapshot of the projection inputs (the state) at the engine's clock.
    pub fn inputs(&self) -> ProjectionInputs {
        lock(&self.inner.state).inputs_at(self.inner.clock.now_unix_ms())
    }

    /// The engine's wall clock now, Unix ms.
    pub fn now_unix_ms(&self) -> i64 {
        self.inner.clock.now_unix_ms()
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
