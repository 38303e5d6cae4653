//! `sentinel serve`: the live monitor, with its Prometheus endpoint.

use std::sync::Arc;

use anyhow::Context;
use tokio::sync::watch;
use tracing::{info, warn};

use super::{ServeArgs, load_config, load_market, runtime};
use sentinel::batch::{BatchRequest, run_batch_with_market};
use sentinel::config::Config;
use sentinel::grpc;
use sentinel::grpc::tls::TlsFiles;
use sentinel::grpc::tokens::TokenStore;
use sentinel::metrics::rpc::RpcMetrics;
use sentinel::metrics::{Metrics, serve_metrics, serve_metrics_tls};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;
use sentinel::service::{Engine, SystemClock, TokioClock, WallClock};

/// Environment variable naming the tokens file when `access.tokens_file` is empty.
pub const TOKENS_FILE_ENV: &str = "SENTINEL_TOKENS_FILE";

/// `serve`'s TLS and token options (each overrides its `[access]` key).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeAccessArgs {
    /// PEM certificate chain of the server (gRPC and metrics): serve TLS.
    #[arg(long)]
    pub tls_cert: Option<String>,
    /// PEM private key of `--tls-cert`.
    #[arg(long)]
    pub tls_key: Option<String>,
    /// PEM CA of client certificates: require mutual TLS.
    #[arg(long)]
    pub tls_client_ca: Option<String>,
    /// Role tokens file (default: access.tokens_file, else $SENTINEL_TOKENS_FILE).
    #[arg(long)]
    pub tokens_file: Option<String>,
    /// Serve plaintext on a non-loopback address (e.g. behind a TLS-terminating proxy).
    #[arg(long)]
    pub allow_plaintext_remote: bool,
    /// Serve a non-loopback address without tokens.
    #[arg(long)]
    pub allow_unauthenticated_remote: bool,
}

impl ServeAccessArgs {
    /// Puts the given options into `access`.
    fn apply(&self, access: &mut sentinel::config::access::AccessConfig) {
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                target.clone_from(value);
            }
        };
        set(&mut access.tls_cert_path, &self.tls_cert);
        set(&mut access.tls_key_path, &self.tls_key);
        set(&mut access.tls_client_ca_path, &self.tls_client_ca);
        set(&mut access.tokens_file, &self.tokens_file);
        access.allow_plaintext_remote |= self.allow_plaintext_remote;
        access.allow_unauthenticated_remote |= self.allow_unauthenticated_remote;
        if access.tokens_file.trim().is_empty()
            && let Ok(path) = std::env::var(TOKENS_FILE_ENV)
        {
            access.tokens_file = path;
        }
    }
}

pub(super) fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let mut config = load_config(args.config.as_deref())?;
    args.access.apply(&mut config.access);
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
    let (observer, clock) = engine_hooks(&metrics, stall, clock_start_unix_ms);
    let engine = Engine::open_with_clock(config.clone(), &users, observer, clock)
        .with_context(|| format!("cannot open the monitor's data directory {data_dir}"))?;
    let access = Access::open(&config, &metrics)?;
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
    let metrics_task = spawn_metrics(
        metrics_listener,
        metrics,
        engine.store_health(),
        access.metrics_tls.clone(),
        shutdown.clone(),
    );
    if let Some(tokens) = &access.options.tokens {
        tokio::spawn(follow_tokens_file(
            Arc::clone(tokens),
            access.reload_seconds,
            shutdown.clone(),
        ));
    }
    grpc::serve_with(engine, listener, shutdown, access.options).await?;
    if let Ok(Err(error)) = metrics_task.await {
        warn!(message = "metrics endpoint failed", %error);
    }
    info!(message = "stopped cleanly");
    Ok(())
}

/// The engine's observer (the metrics, with the bench stall when asked) and wall clock
/// (the drill clock when asked).
fn engine_hooks(
    metrics: &Arc<Metrics>,
    stall: Option<(u64, std::time::Duration)>,
    clock_start_unix_ms: Option<i64>,
) -> (
    Arc<dyn sentinel::service::EngineObserver>,
    Arc<dyn WallClock>,
) {
    let observer: Arc<dyn sentinel::service::EngineObserver> = match stall {
        Some((every, stall)) => {
            warn!(
                message = "bench: the sequencer stalls",
                every_events = every,
                ms = stall.as_millis() as u64
            );
            Arc::new(BenchStall {
                metrics: Arc::clone(metrics),
                every,
                stall,
                next: std::sync::atomic::AtomicU64::new(every),
            })
        }
        None => Arc::clone(metrics) as Arc<dyn sentinel::service::EngineObserver>,
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
    (observer, clock)
}

/// Serves `/metrics` and `/healthz` on `listener` (over TLS with `tls`) until `shutdown`.
fn spawn_metrics(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    store_health: watch::Receiver<sentinel::service::StoreHealth>,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let stopped = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    match tls {
        Some(tls) => tokio::spawn(serve_metrics_tls(
            listener,
            metrics,
            store_health,
            tls,
            stopped,
        )),
        None => tokio::spawn(serve_metrics(listener, metrics, store_health, stopped)),
    }
}

/// TLS, tokens and the metrics bridge of a `serve` run.
struct Access {
    options: grpc::ServeOptions,
    metrics_tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    reload_seconds: f64,
}

/// Passes the gRPC gate's call outcomes to the Prometheus families.
struct RpcBridge(RpcMetrics);

impl grpc::gate::RpcObserver for RpcBridge {
    fn on_rpc(&self, method: &str, code: tonic::Code, seconds: f64) {
        self.0.on_rpc(method, code_name(code), seconds);
    }
    fn on_connection_rejected(&self, _limit: usize) {
        self.0.on_connection_rejected();
    }
}

/// The canonical upper-case name of a gRPC code (`PERMISSION_DENIED`).
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

impl Access {
    /// Loads the TLS files and tokens of `config.access`, applies the exposure rules to
    /// both listeners (refusing or warning loudly) and registers the gRPC metrics.
    fn open(config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let access = &config.access;
        let tls = TlsFiles::load(access).context("TLS")?;
        let tokens = match access.tokens_file.trim() {
            "" => None,
            path => {
                let store = TokenStore::load(std::path::Path::new(path))?;
                info!(message = "role tokens loaded", file = path);
                Some(Arc::new(store))
            }
        };
        for (what, addr, authenticated) in [
            ("gRPC", &config.monitor.grpc_addr, tokens.is_some()),
            ("metrics", &config.monitor.metrics_addr, true),
        ] {
            let addr = addr.parse().context("listen address")?;
            for warning in grpc::exposure::check_exposure(access, what, addr, authenticated)? {
                warn!(message = "INSECURE LISTENER", detail = %warning);
            }
        }
        let rpc = RpcMetrics::register(metrics.registry(), grpc::gate::METHOD_LABELS)
            .context("cannot register the gRPC metrics")?;
        let metrics_tls = tls.as_ref().map(TlsFiles::rustls_config).transpose()?;
        Ok(Self {
            options: grpc::ServeOptions {
                tls,
                tokens,
                observer: Some(Arc::new(RpcBridge(rpc))),
                ..grpc::ServeOptions::default()
            },
            metrics_tls,
            reload_seconds: access.tokens_reload_seconds,
        })
    }
}

/// Reloads the tokens file on SIGHUP and whenever its modification time changes (checked
/// every `every_seconds`), until `shutdown`; a file that fails to load is logged and the
/// tokens in force are kept.
async fn follow_tokens_file(
    tokens: Arc<TokenStore>,
    every_seconds: f64,
    mut shutdown: watch::Receiver<bool>,
) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs_f64(every_seconds));
    loop {
        #[cfg(unix)]
        let hup = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hup = std::future::pending::<Option<()>>();
        let result = tokio::select! {
            _ = hup => tokens.reload().map(Some),
            _ = tick.tick() => tokens.reload_if_changed(),
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        match result {
            Ok(Some(count)) => info!(message = "role tokens reloaded", entries = count),
            Ok(None) => {}
            Err(error) => {
                warn!(message = "role tokens not reloaded; keeping those in force", %error)
            }
        }
    }
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
