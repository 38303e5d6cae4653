//! Shared helpers of the monitor tests: an in-process server on an ephemeral port, a
//! client, and simulated weekends.
#![allow(dead_code)]

pub mod pki;
pub mod raw_h2;

use sentinel::config::{Config, ScenarioName};
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::grpc::{self, pb};
use sentinel::metrics::Metrics;
use sentinel::model::conditional::ConditionalModel;
use sentinel::model::user_base::UserBase;
use sentinel::monitor::calendar::MS_PER_HOUR;
use sentinel::monitor::calendar::WindowCalendar;
use sentinel::monitor::event::WithdrawalEvent;
use sentinel::monitor::synthetic::SyntheticWeekend;
use sentinel::service::{Engine, EngineObserver, NoObserver, TokioClock, WallClock, now_unix_ms};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use tokio::sync::watch;
use tonic::transport::Channel;

/// A running in-process server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Turn true to shut down gracefully.
    pub stop: watch::Sender<bool>,
    /// The server task.
    pub task: tokio::task::JoinHandle<()>,
    /// The engine (for state snapshots).
    pub engine: Engine,
}

/// A fast configuration: fewer paths, data in `data_dir`.
pub fn test_config(data_dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.monitor.data_dir = data_dir.display().to_string();
    config.monitor.paths = 2_000;
    config
}

/// Starts the monitor on 127.0.0.1:0.
pub async fn start(config: Config) -> TestServer {
    serve(Engine::open(config).expect("engine opens")).await
}

/// A wall clock that never moves.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl WallClock for FixedClock {
    fn now_unix_ms(&self) -> i64 {
        self.0
    }
}

/// Starts the monitor on 127.0.0.1:0 with its wall clock stopped at `clock_unix_ms`.
pub async fn start_at(config: Config, clock_unix_ms: i64) -> TestServer {
    let users = UserBase::synthetic(&config.user_base);
    let clock = Arc::new(FixedClock(clock_unix_ms));
    let engine =
        Engine::open_with_clock(config, &users, Arc::new(NoObserver), clock).expect("engine opens");
    serve(engine).await
}

/// An engine over the config's synthetic users, reporting to `observer`, on a
/// [`TokioClock`] reading `clock_unix_ms` now.
pub fn open_at(config: Config, observer: Arc<dyn EngineObserver>, clock_unix_ms: i64) -> Engine {
    let users = UserBase::synthetic(&config.user_base);
    let clock = Arc::new(TokioClock::starting_at(clock_unix_ms));
    Engine::open_with_clock(config, &users, observer, clock).expect("engine opens")
}

/// Two minutes before the latest completed window reopens: the rails are closed and every
/// event of that window is at most the allowed clock skew ahead.
pub fn inside_last_window(config: &Config) -> i64 {
    let calendar = WindowCalendar::of_config(config).unwrap();
    calendar.closes_at(last_window_opening(config)) - 2 * 60_000
}

/// The Thursday after the latest completed window, 10:00 WIB: the rails are open.
pub fn thursday_after_last_window(config: &Config) -> i64 {
    last_window_opening(config) + 6 * 24 * MS_PER_HOUR - 6 * MS_PER_HOUR
}

/// Starts the monitor on 127.0.0.1:0, exporting to the returned metrics.
pub async fn start_with_metrics(config: Config) -> (TestServer, Arc<Metrics>) {
    let (metrics, observer) = metrics_observer();
    let users = UserBase::synthetic(&config.user_base);
    let engine = Engine::open_with(config, &users, observer).expect("engine opens");
    (serve(engine).await, metrics)
}

/// Fresh metrics and the same metrics as the engine's observer.
pub fn metrics_observer() -> (Arc<Metrics>, Arc<dyn EngineObserver>) {
    let metrics = Arc::new(Metrics::new().expect("metrics register"));
    (Arc::clone(&metrics), metrics)
}

/// The value of the series `series` (name and labels as exported), if exported.
pub fn sample(metrics: &Metrics, series: &str) -> Option<f64> {
    metrics.encode().lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

/// The sum of every series of the family `name`.
pub fn family_sum(metrics: &Metrics, name: &str) -> f64 {
    metrics
        .encode()
        .lines()
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Serves `engine` on 127.0.0.1:0.
async fn serve(engine: Engine) -> TestServer {
    serve_with_options(engine, grpc::ServeOptions::default()).await
}

/// Starts the monitor on 127.0.0.1:0 with TLS, tokens or an observer (`url` is
/// `https://` with TLS).
pub async fn start_with_options(config: Config, options: grpc::ServeOptions) -> TestServer {
    serve_with_options(Engine::open(config).expect("engine opens"), options).await
}

/// Serves `engine` on 127.0.0.1:0 with `options`.
pub async fn serve_with_options(engine: Engine, options: grpc::ServeOptions) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{}", listener.local_addr().unwrap());
    let (stop, shutdown) = watch::channel(false);
    let served = engine.clone();
    let task = tokio::spawn(async move {
        grpc::serve_with(served, listener, shutdown, options)
            .await
            .expect("server runs");
    });
    TestServer {
        url,
        stop,
        task,
        engine,
    }
}

impl TestServer {
    /// A connected client.
    pub async fn client(&self) -> MonitorServiceClient<Channel> {
        for _ in 0..50 {
            if let Ok(client) = MonitorServiceClient::connect(self.url.clone()).await {
                return client;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("cannot connect to {}", self.url);
    }

    /// Graceful stop.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The opening of the latest fully closed window (so every event time is in the past).
pub fn last_window_opening(config: &Config) -> i64 {
    let calendar = WindowCalendar::of_config(config).unwrap();
    calendar.completed_window_opening(now_unix_ms(), 1)
}

/// The events of a simulated weekend of `scenario` in the latest completed window.
pub fn weekend_events(
    config: &Config,
    scenario: ScenarioName,
    seed: u64,
) -> (i64, Vec<WithdrawalEvent>) {
    let users = UserBase::synthetic(&config.user_base);
    let model =
        ConditionalModel::new(config.scenarios.get(scenario), &users, config.window.hours).unwrap();
    let opens = last_window_opening(config);
    let weekend = SyntheticWeekend {
        seed,
        opens_at_unix_ms: opens,
        retail_event_idr: 20_000_000,
    };
    (opens, weekend.events(&model))
}

/// A wire event.
pub fn to_pb(e: &WithdrawalEvent) -> pb::WithdrawalEvent {
    pb::WithdrawalEvent {
        event_id: e.event_id.clone(),
        account_id: e.account_id.clone(),
        cohort: match e.cohort {
            sentinel::monitor::event::Cohort::Unspecified => pb::Cohort::Unspecified,
            sentinel::monitor::event::Cohort::Retail => pb::Cohort::Retail,
            sentinel::monitor::event::Cohort::Institutional => pb::Cohort::Institutional,
        } as i32,
        amount_minor: e.amount_minor,
        currency: e.currency.clone(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: e.occurred_at_unix_ms.div_euclid(1000),
            nanos: (e.occurred_at_unix_ms.rem_euclid(1000) * 1_000_000) as i32,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

/// The `IngestWithdrawals` message of a wire event (the same fields).
pub fn as_request(e: pb::WithdrawalEvent) -> pb::IngestWithdrawalsRequest {
    grpc::request_of_event(e)
}

/// A reserve of one layer of `amount_idr` from the close.
pub fn reserve(amount_idr: u64) -> pb::SetReserveRequest {
    pb::SetReserveRequest {
        layers: vec![pb::ReserveLayer {
            name: "float".into(),
            amount_minor: amount_idr as i64 * 100,
            currency: "IDR".into(),
            available_after_hours: 0,
        }],
        proprietary_capital_minor: 0,
        proprietary_capital_currency: String::new(),
    }
}

/// Collects every alert update of a `WatchAlerts` subscription into a shared vector.
pub fn collect_alerts(
    mut client: MonitorServiceClient<Channel>,
) -> std::sync::Arc<std::sync::Mutex<Vec<pb::Alert>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    tokio::spawn(async move {
        let mut stream = client
            .watch_alerts(pb::WatchAlertsRequest::default())
            .await
            .unwrap()
            .into_inner();
        while let Ok(Some(update)) = stream.message().await {
            if let Some(alert) = update.alert {
                sink.lock().unwrap().push(alert);
            }
        }
    });
    seen
}

/// Starts the real `sentinel serve` binary on ephemeral ports with its data in `data_dir`
/// (and `config` when given); returns the child process and its gRPC URL.
pub fn spawn_server_process(
    data_dir: &std::path::Path,
    config: Option<&std::path::Path>,
) -> (ServerProcess, String) {
    spawn_server_process_at(data_dir, config, None)
}

/// [`spawn_server_process`] with the server's wall clock starting at `clock_unix_ms` when
/// given (`--clock-start-unix-ms`).
pub fn spawn_server_process_at(
    data_dir: &std::path::Path,
    config: Option<&std::path::Path>,
    clock_unix_ms: Option<i64>,
) -> (ServerProcess, String) {
    let clock = clock_unix_ms.map(|clock| format!("--clock-start-unix-ms={clock}"));
    let mut args: Vec<&std::ffi::OsStr> = clock.iter().map(std::ffi::OsStr::new).collect();
    if let Some(config) = config {
        args.extend([std::ffi::OsStr::new("--config"), config.as_os_str()]);
    }
    spawn_server_process_with(data_dir, &args, &[])
}

/// Starts the real `sentinel serve` binary on 127.0.0.1 ephemeral ports with its data in
/// `data_dir`, the extra `args` (e.g. TLS files) and environment `env`.
pub fn spawn_server_process_with(
    data_dir: &std::path::Path,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &std::ffi::OsStr)],
) -> (ServerProcess, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sentinel"));
    command
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    listening(command)
}

/// A spawned `sentinel serve`, killed when dropped, so a test that panics leaves no server
/// behind. Derefs to its [`Child`].
pub struct ServerProcess(Child);

impl std::ops::Deref for ServerProcess {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for ServerProcess {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` (a `sentinel serve`) and waits for its listening line; the child and
/// its gRPC URL (`http://`).
fn listening(mut command: Command) -> (ServerProcess, String) {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sentinel binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("a listening line");
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_owned();
    (ServerProcess(child), format!("http://{addr}"))
}

/// Starts the monitor on 127.0.0.1:0 over the config's synthetic users, reporting to
/// `observer`.
pub async fn start_with_observer(config: Config, observer: Arc<dyn EngineObserver>) -> TestServer {
    let users = UserBase::synthetic(&config.user_base);
    let engine = Engine::open_with(config, &users, observer).expect("engine opens");
    serve(engine).await
}

/// `promtool check metrics` (Debian's prometheus package; `scripts/test` installs it) on
/// a scrape: whether it passed, and its findings (stdout then stderr; empty when clean).
pub fn promtool_check_metrics(scrape: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test installs it)");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(scrape.as_bytes())
        .expect("promtool reads the scrape");
    let output = child.wait_with_output().expect("promtool ends");
    let findings = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), findings)
}
