//! The weekend watch end to end with the real components: `sentinel serve`, a real
//! Prometheus scraping it with `deploy/prometheus/rules.yml`, a real Alertmanager with
//! `deploy/alertmanager/alertmanager.yml`, and the stack's own pager webhook receiver
//! (`deploy/pager-webhook/receiver.py`). A simulated severe weekend is streamed in at high
//! speed; the critical alert must fire in Prometheus, reach Alertmanager and page, with an
//! absolute runbook link from the configured base; the scrape then passes
//! `promtool check metrics`.
//!
//! Only the deployment-specific parts of the configs are rewritten: addresses, the scrape
//! and evaluation intervals (1 s) and the `for:` durations (to 2 s), so the test takes
//! seconds instead of minutes; every expression, label, route and inhibition is the real one.

mod monitor_support;

use monitor_support::promtool_check_metrics;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child processes when the test ends, whatever its outcome.
struct Processes(Vec<(String, Child)>);

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The runbook base the service is configured with.
const RUNBOOK: &str = "https://runbooks.example.test/liquidity-sentinel/deploy/README.md";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A plain HTTP/1.0 GET on loopback; `None` while the server is not up.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.")
        .then(|| body.to_owned())
        .filter(|_| head.contains(" 200 "))
}

/// Polls `check` every 250 ms until it returns `Some` or `timeout` passes.
fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The pages the receiver logged: one JSON object per alert notification.
fn logged_pages(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn spawn(name: &str, command: &mut Command, log_dir: &Path) -> (String, Child) {
    let log = std::fs::File::create(log_dir.join(format!("{name}.log"))).unwrap();
    let child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {name} ({e}); scripts/test installs Prometheus and Alertmanager")
        });
    (name.to_owned(), child)
}

/// 20 minutes before the latest completed closure (the one `feed --weeks-ago 1` replays)
/// reopened, Unix ms.
fn drill_clock_unix_ms() -> i64 {
    use sentinel::config::Config;
    use sentinel::monitor::calendar::WindowCalendar;
    let calendar = WindowCalendar::of_config(&Config::default()).unwrap();
    let opens = calendar.completed_window_opening(sentinel::service::now_unix_ms(), 1);
    calendar.closes_at(opens) - 20 * 60_000
}

fn shorten_for_durations(rules: &str) -> String {
    rules
        .lines()
        .map(|line| match line.trim_start().strip_prefix("for:") {
            Some(_) => format!("{}for: 2s", &line[..line.len() - line.trim_start().len()]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_severe_weekend_pages_treasury_through_prometheus_and_alertmanager() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let (grpc_port, metrics_port, prometheus_port, alertmanager_port) =
        (free_port(), free_port(), free_port(), free_port());
    let webhook_port = free_port();
    let mut processes = Processes(Vec::new());

    // The stack's pager webhook receiver, as compose runs it.
    processes.0.push(spawn(
        "pager-webhook",
        Command::new("python3")
            .arg(repo("deploy/pager-webhook/receiver.py"))
            .args(["--host", "127.0.0.1", "--port", &webhook_port.to_string()]),
        &logs,
    ));
    wait_for("pager webhook /healthz", Duration::from_secs(30), || {
        http_get(webhook_port, "/healthz")
    });

    // The service, on its own data directory, with metrics on loopback. A drill clock puts
    // it 20 minutes before the end of the closure `feed` replays (the rails are closed, as
    // live); the skew allowance lets it take that closure's last 20 minutes.
    let config = root.join("sentinel.toml");
    std::fs::write(
        &config,
        format!("[monitor]\nmax_clock_skew_minutes = 30\nrunbook_base_url = \"{RUNBOOK}\"\n"),
    )
    .unwrap();
    processes.0.push(spawn(
        "sentinel",
        Command::new(env!("CARGO_BIN_EXE_sentinel"))
            .args(["serve", "--grpc-addr", &format!("127.0.0.1:{grpc_port}")])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
            .arg(format!("--clock-start-unix-ms={}", drill_clock_unix_ms()))
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(root.join("data")),
        &logs,
    ));
    wait_for("sentinel /healthz", Duration::from_secs(30), || {
        http_get(metrics_port, "/healthz")
    });

    // Alertmanager with the real routing, webhooks pointed at the test's receiver.
    let am_config = std::fs::read_to_string(repo("deploy/alertmanager/alertmanager.yml"))
        .unwrap()
        .replace(
            "http://pager-webhook:9095",
            &format!("http://127.0.0.1:{webhook_port}"),
        );
    std::fs::write(root.join("alertmanager.yml"), am_config).unwrap();
    processes.0.push(spawn(
        "alertmanager",
        Command::new("prometheus-alertmanager")
            .arg(format!(
                "--config.file={}",
                root.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", root.join("am-data").display()))
            .arg(format!(
                "--web.listen-address=127.0.0.1:{alertmanager_port}"
            ))
            .arg("--cluster.listen-address="),
        &logs,
    ));
    wait_for("alertmanager ready", Duration::from_secs(30), || {
        http_get(alertmanager_port, "/-/ready")
    });

    // Prometheus with the real rules, scraping the service every second.
    let rules = std::fs::read_to_string(repo("deploy/prometheus/rules.yml")).unwrap();
    std::fs::write(root.join("rules.yml"), shorten_for_durations(&rules)).unwrap();
    let prometheus_config = std::fs::read_to_string(repo("deploy/prometheus/prometheus.yml"))
        .unwrap()
        .replace("scrape_interval: 5s", "scrape_interval: 1s")
        .replace("evaluation_interval: 5s", "evaluation_interval: 1s")
        .replace("sentinel:9464", &format!("127.0.0.1:{metrics_port}"))
        .replace(
            "alertmanager:9093",
            &format!("127.0.0.1:{alertmanager_port}"),
        );
    std::fs::write(root.join("prometheus.yml"), prometheus_config).unwrap();
    processes.0.push(spawn(
        "prometheus",
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                root.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                root.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}")),
        &logs,
    ));
    wait_for("prometheus ready", Duration::from_secs(30), || {
        http_get(prometheus_port, "/-/ready")
    });
    wait_for(
        "prometheus scraping sentinel",
        Duration::from_secs(30),
        || {
            http_get(
                prometheus_port,
                "/api/v1/query?query=up%7Bjob%3D%22sentinel%22%7D",
            )
            .filter(|body| body.contains("\"value\":[") && body.contains("\"1\"]"))
        },
    );

    // A severe weekend against a 10% reserve, replayed fast.
    let feed = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "feed",
            "--scenario",
            "severe",
            "--speed",
            "36000",
            "--seed",
            "7",
        ])
        .args([
            "--reserve-idr",
            "79500000000",
            "--addr",
            &format!("127.0.0.1:{grpc_port}"),
        ])
        .output()
        .unwrap();
    assert!(
        feed.status.success(),
        "feed failed: {}",
        String::from_utf8_lossy(&feed.stderr)
    );

    let firing = |alert: &str| {
        let body = http_get(prometheus_port, "/api/v1/alerts")?;
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        json["data"]["alerts"]
            .as_array()?
            .iter()
            .any(|a| a["labels"]["alertname"] == alert && a["state"] == "firing")
            .then_some(())
    };
    wait_for(
        "SentinelBreachProbabilityCritical firing in Prometheus",
        Duration::from_secs(60),
        || firing("SentinelBreachProbabilityCritical"),
    );
    wait_for(
        "the critical alert in Alertmanager",
        Duration::from_secs(60),
        || {
            http_get(alertmanager_port, "/api/v2/alerts")
                .filter(|body| body.contains("SentinelBreachProbabilityCritical"))
        },
    );
    let page_log = logs.join("pager-webhook.log");
    let page = wait_for(
        "a page on the treasury pager webhook",
        Duration::from_secs(60),
        || {
            logged_pages(&page_log)
                .into_iter()
                .find(|p| p["route"] == "/page" && p["severity"] == "critical")
        },
    );
    assert_eq!(page["status"], "firing", "{page}");
    // The runbook link is absolute, from the configured base, with the alert's anchor.
    let anchor = page["alertname"].as_str().unwrap().to_ascii_lowercase();
    assert_eq!(page["runbook_url"], format!("{RUNBOOK}#{anchor}"), "{page}");
    // Institutional lead is a warning: it goes to the channel, never to the pager.
    assert!(
        logged_pages(&page_log)
            .iter()
            .filter(|p| p["route"] == "/page")
            .all(|p| p["alertname"] != "SentinelInstitutionalLeadDetected")
    );
    // The scrape of a service in the middle of a severe weekend passes Prometheus's lint.
    let scrape = http_get(metrics_port, "/metrics").expect("a scrape");
    assert!(
        scrape.contains("sentinel_projections_total "),
        "no projection yet"
    );
    let (clean, findings) = promtool_check_metrics(&scrape);
    assert!(clean && findings.trim().is_empty(), "promtool: {findings}");
    drop(processes);
}
