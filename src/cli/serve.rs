//! `sentinel serve`: the live monitor, with its Prometheus endpoint.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tracing::{info, warn};

use super::{ServeArgs, load_config, load_market, runtime};
use sentinel::batch::{BatchRequest, run_batch_with_market};
use sentinel::config::Config;
use sentinel::grpc;
use sentinel::metrics::{Metrics, serve_metrics};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;
use sentinel::service::{Engine, SystemClock, TokioClock, WallClock};

pub(super) fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let mut config = load_config(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.monitor.data_dir = dir.display().to_string();
    }
    if let Some(addr) = &args.grpc_addr {
        config.monitor.grpc_addr = addr.clone();
    }
    if let Some(addr) = &args.metrics_addr {
        config.monitor.metrics_addr = addr.clone();
    }
    config.validate().context("command-line overrides")?;
    let users = args.users.load(&config)?;
    let history = load_market(&config)?;
    let clock_start = args.clock_start_unix_ms;
    let stall = args
        .bench_stall_every_events
        .zip(args.bench_stall_ms)
        .map(|(every, ms)| (every.max(1), std::time::Duration::from_millis(ms)));
    runtime()?.block_on(serve(config, users, history, clock_start, stall))
}

/// Bench only (`--bench-stall-every-events`, `--bench-stall-ms`): the metrics observer,
/// plus a stall of the sequencer thread (where commits are reported) each time the log
/// passes a multiple of `every` events, as an fsync stall would.
struct BenchStall {
    metrics: Arc<Metrics>,
    every: u64,
    stall: std::time::Duration,
    next: std::sync::atomic::AtomicU64,
}

impl sentinel::service::EngineObserver for BenchStall {
    fn on_accepted(
        &self,
        event: &sentinel::monitor::event::WithdrawalEvent,
        cohort: sentinel::monitor::event::CountedCohort,
        now_unix_ms: i64,
    ) {
        self.metrics.on_accepted(event, cohort, now_unix_ms);
    }
    fn on_duplicates(&self, count: u64) {
        self.metrics.on_duplicates(count);
    }
    fn on_event_rejected(&self, reason: sentinel::monitor::event::RejectionReason) {
        self.metrics.on_event_rejected(reason);
    }
    fn on_reserve_rejected(&self, reason: sentinel::monitor::event::RejectionReason) {
        self.metrics.on_reserve_rejected(reason);
    }
    fn on_reserve(&self, reserve: &sentinel::monitor::state::ReservePosition) {
        self.metrics.on_reserve(reserve);
    }
    fn on_commit(&self, events_in_log: u64, store_bytes: u64, now_unix_ms: i64) {
        self.metrics
            .on_commit(events_in_log, store_bytes, now_unix_ms);
        let next = self.next.load(std::sync::atomic::Ordering::Relaxed);
        if events_in_log >= next {
            let following = (events_in_log / self.every + 1) * self.every;
            self.next
                .store(following, std::sync::atomic::Ordering::Relaxed);
            warn!(
                message = "bench: stalling the sequencer",
                ms = self.stall.as_millis() as u64,
                events_in_log
            );
            std::thread::sleep(self.stall);
        }
    }
    fn on_projection(&self, projection: &sentinel::service::PublishedProjection) {
        self.metrics.on_projection(projection);
    }
    fn on_alert(&self, alert: &sentinel::monitor::alerts::Alert) {
        self.metrics.on_alert(alert);
    }
}

async fn serve(
    config: Config,
    users: UserBase,
    history: MarketHistory,
    clock_start_unix_ms: Option<i64>,
    stall: Option<(u64, std::time::Duration)>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new().context("cannot register the metrics")?);
    metrics.set_thresholds(&config.monitor);
    let addr = config.monitor.grpc_addr.clone();
    let metrics_addr = config.monitor.metrics_addr.clone();
    let data_dir = config.monitor.data_dir.clone();
    let observer: Arc<dyn sentinel::service::EngineObserver> = match stall {
        Some((every, stall)) => {
            warn!(
                message = "bench: the sequencer stalls",
                every_events = every,
                ms = stall.as_millis() as u64
            );
            Arc::new(BenchStall {
                metrics: Arc::clone(&metrics),
                every,
                stall,
                next: std::sync::atomic::AtomicU64::new(every),
            })
        }
        None => Arc::clone(&metrics) as Arc<dyn sentinel::service::EngineObserver>,
    };
    let clock: Arc<dyn WallClock> = match clock_start_unix_ms {
        Some(start) => {
            warn!(
                message = "drill clock: the monitor's wall clock starts at",
                unix_ms = start
            );
            Arc::new(TokioClock::starting_at(start))
        }
        None => Arc::new(SystemClock),
    };
    let engine = Engine::open_with_clock(config.clone(), &users, observer, clock)
        .with_context(|| format!("cannot open the monitor's data directory {data_dir}"))?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let metrics_listener = tokio::net::TcpListener::bind(&metrics_addr)
        .await
        .with_context(|| format!("cannot listen on {metrics_addr} (metrics)"))?;
    let local = listener.local_addr().context("no local address")?;
    let metrics_local = metrics_listener
        .local_addr()
        .context("no metrics address")?;
    println!("sentinel monitor listening on {local}");
    info!(message = "listening", grpc = %local, metrics = %metrics_local, data_dir = %data_dir);
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        info!(message = "shutdown signal received; draining");
        let _ = stop.send(true);
    });
    spawn_policy_metrics(config, users, history, Arc::clone(&metrics));
    let mut metrics_stop = shutdown.clone();
    let store_health = engine.store_health();
    let metrics_task = tokio::spawn(serve_metrics(
        metrics_listener,
        metrics,
        store_health,
        async move {
            let _ = metrics_stop.wait_for(|s| *s).await;
        },
    ));
    grpc::serve(engine, listener, shutdown).await?;
    if let Ok(Err(error)) = metrics_task.await {
        warn!(message = "metrics endpoint failed", %error);
    }
    info!(message = "stopped cleanly");
    Ok(())
}

/// Runs the batch engine for the planning scenario off the runtime, on the same market
/// history as `simulate`, and exports its reserve policies and balance sheets (what the
/// dashboard compares the live reserve with).
fn spawn_policy_metrics(
    config: Config,
    users: UserBase,
    history: MarketHistory,
    metrics: Arc<Metrics>,
) {
    tokio::task::spawn_blocking(move || {
        let request = BatchRequest {
            scenarios: vec![config.reserve.planning_scenario],
            paths: config.simulation.paths as usize,
            seed: config.simulation.seed,
        };
        match run_batch_with_market(&config, &users, &request, &history) {
            Ok(report) => metrics.set_policy(&report),
            Err(error) => warn!(message = "policy metrics not computed", %error),
        }
    });
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Logs to stderr: text, with colour only when stderr is a terminal, or JSON lines whose
/// fields sit at the top level (`{"timestamp", "level", "message", "target", …}`), one flat
/// object per line for log shippers.
fn init_logging(json: bool) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!json && std::io::stderr().is_terminal());
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
