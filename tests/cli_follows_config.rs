//! The command line follows the configuration: the tables' rule-of-thumb labels come from
//! `reserve.rule_of_thumb_share`, and `serve` and `simulate` read the same market history
//! (`market.prices_csv`), so the policy metrics of the live monitor equal the batch report.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Paths per scenario: enough for stable numbers, few enough for a quick test.
const PATHS: u32 = 2_000;

fn sentinel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Writes `toml` as `config.toml` in `dir` and returns its path.
fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// `[market] prices_csv = <path>` and the test's path count.
fn prices_config(prices: &Path) -> String {
    format!(
        "[simulation]\npaths = {PATHS}\n\n[market]\nprices_csv = {:?}\n",
        prices.display().to_string()
    )
}

/// Runs `sentinel simulate` with `args`; returns stdout and the JSON report.
fn simulate(args: &[&str]) -> (String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = sentinel()
        .arg("simulate")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (String::from_utf8(out.stdout).unwrap(), report)
}

#[test]
fn the_rule_of_thumb_labels_follow_the_configured_share() {
    let paths = PATHS.to_string();
    let (default_tables, _) = simulate(&["--paths", &paths, "--scenario", "normal"]);
    assert!(default_tables.contains("(* the 10% industry rule of thumb)"));
    assert!(default_tables.contains("  normal   10% rule Rp "));
    assert!(default_tables.contains(" 10.00%* "));

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[reserve]\nrule_of_thumb_share = 0.15\n");
    let config = config.to_str().unwrap();
    let (tables, report) = simulate(&[
        "--config",
        config,
        "--paths",
        &paths,
        "--scenario",
        "normal",
    ]);
    assert!(
        tables.contains("(* the 15% industry rule of thumb)"),
        "{tables}"
    );
    assert!(tables.contains("  normal   15% rule Rp "), "{tables}");
    assert!(tables.contains(" 15.00%* "), "{tables}");
    assert!(!tables.contains("10% rule") && !tables.contains("10.00%*"));
    // The labelled reserve is the configured share of fiat.
    let rule = &report["scenarios"]["normal"]["time_to_insolvency"]["rule_of_thumb"];
    let total_fiat = report["total_fiat_idr"].as_f64().unwrap();
    let reserve = rule["reserve_idr"].as_f64().unwrap();
    assert!((reserve - 0.15 * total_fiat).abs() < 1.0, "{reserve}");
}

/// A `sentinel serve` process on free ports; killed when dropped.
struct Server {
    child: Child,
    metrics_addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sentinel serve --config <config>` with its data in `data_dir`; the metrics
/// address is read from the JSON "listening" log line.
fn start_server(data_dir: &Path, config: &Path) -> Server {
    let mut child = sentinel()
        .args(["serve", "--log-json", "--grpc-addr", "127.0.0.1:0"])
        .args(["--metrics-addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sentinel binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let metrics_addr = loop {
        let line = lines
            .next()
            .expect("a listening log line before exit")
            .unwrap();
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        // Flat JSON: the event's fields sit at the top level beside level and timestamp.
        assert!(entry.get("fields").is_none(), "nested fields: {line}");
        if entry["message"] == "listening" {
            break entry["metrics"].as_str().unwrap().to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Server {
        child,
        metrics_addr,
    }
}

/// The body of `GET path` on `addr` (HTTP/1.0, so the server closes the connection).
fn http_get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned())
}

/// The value of the series `name{labels}` in a Prometheus text exposition.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Scrapes `series` until the policy metrics are set (non-zero), for up to two minutes.
fn wait_for_policy(server: &Server, series: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let metrics = http_get(&server.metrics_addr, "/metrics");
        match sample(&metrics, series) {
            Some(value) if value != 0.0 => return value,
            _ if Instant::now() > deadline => panic!("{series} never set:\n{metrics}"),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

#[test]
fn serve_exports_the_policy_of_the_configured_price_history() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &prices_config(&fixture("prices.csv")));
    let series = r#"sentinel_solvency_equity_after_idr{scenario="normal"}"#;

    let server = start_server(&dir.path().join("data"), &config);
    let live = wait_for_policy(&server, series);
    drop(server);

    // serve runs the planning scenario (severe by default); the balance sheets of all four
    // stress scenarios are in the report whichever scenarios are requested.
    let paths = PATHS.to_string();
    let (_, with_prices) =
        simulate(&["--config", config.to_str().unwrap(), "--scenario", "severe"]);
    let (_, synthetic) = simulate(&["--paths", &paths, "--scenario", "severe"]);
    let equity = |report: &Value| {
        report["solvency"]["scenarios"]["normal"]["equity_after_idr"]
            .as_f64()
            .unwrap()
    };
    assert_ne!(equity(&with_prices), equity(&synthetic));
    assert_eq!(
        live,
        equity(&with_prices),
        "serve ignores market.prices_csv"
    );
}

#[test]
fn serve_refuses_a_bad_price_csv_at_start_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("prices.csv");
    std::fs::write(
        &csv,
        "date,btc,eth,alt\n2024-01-01,1,1,1\n2024-01-02,1,oops,1\n",
    )
    .unwrap();
    let config = write_config(dir.path(), &prices_config(&csv));
    let mut child = sentinel()
        .args(["serve", "--grpc-addr", "127.0.0.1:0"])
        .args(["--metrics-addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve started despite a bad price CSV");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 3") && stderr.contains("eth"),
        "{stderr}"
    );
}

#[test]
fn text_logs_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = sentinel()
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let listening = line.contains("listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.iter().any(|l| l.contains("listening")), "{seen:?}");
    assert!(
        seen.iter().all(|l| !l.contains('\u{1b}')),
        "ANSI escape in a redirected log: {seen:?}"
    );
}
