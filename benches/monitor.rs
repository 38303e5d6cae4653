//! Live-monitor benchmarks (`cargo bench --bench monitor`), printed as plain figures for
//! BENCHMARKS.md:
//! 1. conditional Monte Carlo, 10,000 paths from hour 0 (median of 40 projections);
//! 2. one client stream ingesting with durability on (fsync per group commit), events/s;
//! 3. latency from an event's acknowledgement to the first projection on the watch stream
//!    that includes it, at 1,000 events/s (p50 / p99).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use sentinel::config::Config;
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::grpc::{self, pb};
use sentinel::model::user_base::UserBase;
use sentinel::model::window::WeekendWindow;
use sentinel::monitor::calendar::{MS_PER_HOUR, WindowCalendar};
use sentinel::monitor::projection::Projector;
use sentinel::monitor::state::{ProjectionInputs, ReservePosition};
use sentinel::service::{Engine, now_unix_ms};
use tokio::sync::watch;

const INGEST_EVENTS: usize = 300_000;
const LATENCY_SECONDS: u64 = 6;
const EVENTS_PER_SECOND: u64 = 1_000;

fn main() {
    if std::env::args().any(|a| a == "--mc-only") {
        conditional_monte_carlo();
        return;
    }
    let threads = rayon::current_num_threads();
    println!(
        "machine: {threads} rayon threads, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    conditional_monte_carlo();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(ingest_throughput());
    runtime.block_on(ack_to_projection_latency());
}

fn conditional_monte_carlo() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let projector = Projector::new(&config, &users).unwrap();
    let mut times_ms = Vec::new();
    for version in 0..45u64 {
        let inputs = ProjectionInputs {
            version,
            events_total: 0,
            window_hours: config.window.hours,
            window: None,
            reserve: ReservePosition::immediate(config.monitor.initial_reserve_idr),
        };
        let started = Instant::now();
        let projection = projector.project(&inputs);
        if version >= 5 {
            times_ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
        std::hint::black_box(projection);
    }
    let inputs = ProjectionInputs {
        version: 1,
        events_total: 0,
        window_hours: config.window.hours,
        window: None,
        reserve: ReservePosition::immediate(config.monitor.initial_reserve_idr),
    };
    let started = Instant::now();
    let posterior = projector.estimator().posterior(&inputs);
    let posterior_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let _ = posterior.rate_summary();
    let summary_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let outcomes = projector.simulate(&inputs, &posterior);
    let simulate_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "posterior {posterior_ms:.2} ms, rate summary {summary_ms:.2} ms, paths {simulate_ms:.2} ms ({} outcomes)",
        outcomes.len()
    );
    times_ms.sort_by(f64::total_cmp);
    println!(
        "conditional MC, {} paths x {} h from hour 0: median {:.2} ms, min {:.2} ms, max {:.2} ms",
        config.monitor.paths,
        config.window.hours,
        times_ms[times_ms.len() / 2],
        times_ms[0],
        times_ms[times_ms.len() - 1]
    );
}

struct Server {
    url: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn start_server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::default();
    config.monitor.data_dir = dir.path().display().to_string();
    let engine = Engine::open(config).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(async move {
        grpc::serve(engine, listener, shutdown)
            .await
            .expect("serve");
    });
    Server {
        url,
        stop,
        task,
        _dir: dir,
    }
}

impl Server {
    async fn client(&self) -> MonitorServiceClient<tonic::transport::Channel> {
        for _ in 0..100 {
            if let Ok(c) = MonitorServiceClient::connect(self.url.clone()).await {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no server");
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Event `i`, spread over the latest completed window.
fn event(prefix: &str, i: usize, opens_ms: i64, spread: usize) -> pb::WithdrawalEvent {
    let at = opens_ms + (i % spread) as i64 * (60 * MS_PER_HOUR) / spread as i64;
    pb::WithdrawalEvent {
        event_id: format!("{prefix}-{i}"),
        account_id: format!("acct-{}", i % 9_973),
        cohort: pb::Cohort::Retail as i32,
        amount_minor: 100_000_000 + (i % 1_000) as i64 * 10_000,
        currency: "IDR".into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at / 1000,
            nanos: 0,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

fn window_opening() -> i64 {
    let config = Config::default();
    WindowCalendar::new(WeekendWindow::from_config(&config.window))
        .completed_window_opening(now_unix_ms(), 1)
}

async fn ingest_throughput() {
    let server = start_server().await;
    let mut client = server.client().await;
    let opens = window_opening();
    let events: Vec<_> = (0..INGEST_EVENTS)
        .map(|i| event("ingest", i, opens, INGEST_EVENTS))
        .collect();
    let started = Instant::now();
    let summary = client
        .ingest_withdrawals(tokio_stream::iter(
            events.into_iter().map(grpc::request_of_event),
        ))
        .await
        .expect("ingest")
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(summary.accepted as usize, INGEST_EVENTS);
    println!(
        "one-stream ingest, durable (fsync per group commit): {} events in {:.2} s = {:.0} events/s",
        INGEST_EVENTS,
        seconds,
        INGEST_EVENTS as f64 / seconds
    );
    server.stop().await;
}

/// Acknowledged versions waiting for a projection, and the latencies measured so far.
struct LatencyBook {
    latest_projection_version: u64,
    pending: BTreeMap<u64, Vec<Instant>>,
    histogram: Histogram<u64>,
}

impl LatencyBook {
    fn record(&mut self, since: Instant, now: Instant) {
        let micros = now.saturating_duration_since(since).as_micros() as u64;
        self.histogram.record(micros.max(1)).expect("record");
    }

    /// An ack of `version` at `at`: already covered if a projection of it arrived first.
    fn on_ack(&mut self, version: u64, at: Instant) {
        if self.latest_projection_version >= version {
            self.record(at, at);
        } else {
            self.pending.entry(version).or_default().push(at);
        }
    }

    fn on_projection(&mut self, version: u64, at: Instant) {
        self.latest_projection_version = self.latest_projection_version.max(version);
        let covered: Vec<u64> = self.pending.range(..=version).map(|(v, _)| *v).collect();
        for v in covered {
            for acked in self.pending.remove(&v).unwrap_or_default() {
                self.record(acked, at);
            }
        }
    }
}

async fn ack_to_projection_latency() {
    let server = start_server().await;
    let client = server.client().await;
    let mut watcher = server.client().await;
    let book = Arc::new(Mutex::new(LatencyBook {
        latest_projection_version: 0,
        pending: BTreeMap::new(),
        histogram: Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram"),
    }));
    let mut stream = watcher
        .watch_projections(pb::WatchProjectionsRequest {})
        .await
        .expect("watch")
        .into_inner();
    let projections = Arc::clone(&book);
    let collector = tokio::spawn(async move {
        while let Ok(Some(update)) = stream.message().await {
            let received = Instant::now();
            if let Some(p) = update.projection {
                projections
                    .lock()
                    .expect("lock")
                    .on_projection(p.state_version, received);
            }
        }
    });
    let opens = window_opening();
    let total = (LATENCY_SECONDS * EVENTS_PER_SECOND) as usize;
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / EVENTS_PER_SECOND));
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..total {
        ticker.tick().await;
        let mut client = client.clone();
        let acks = Arc::clone(&book);
        let batch = pb::RecordWithdrawalsRequest {
            events: vec![event("latency", i, opens, total)],
        };
        sends.spawn(async move {
            let ack = client
                .record_withdrawals(batch)
                .await
                .expect("record")
                .into_inner();
            acks.lock()
                .expect("lock")
                .on_ack(ack.state_version, Instant::now());
        });
    }
    while sends.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stop().await;
    let _ = collector.await;
    let book = book.lock().expect("lock");
    let histogram = &book.histogram;
    println!(
        "ack -> projection on the watch stream at {} events/s: {} samples ({} never projected), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        EVENTS_PER_SECOND,
        histogram.len(),
        book.pending.len(),
        histogram.value_at_quantile(0.5) as f64 / 1e3,
        histogram.value_at_quantile(0.99) as f64 / 1e3,
        histogram.max() as f64 / 1e3
    );
}
