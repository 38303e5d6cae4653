//! Every metric the dashboards and the Prometheus rules use is exported by the service.

mod monitor_support;

use std::collections::BTreeSet;

use monitor_support::promtool_check_metrics;
use sentinel::metrics::Metrics;
use sentinel::monitor::state::ReservePosition;

/// Series names the service exports once started (it always sets a reserve position at
/// start), histograms with their `_bucket`, `_sum`, `_count`.
fn exported() -> BTreeSet<String> {
    let metrics = Metrics::new().unwrap();
    metrics.set_reserve(&ReservePosition::immediate(100_000_000_000));
    let mut names = BTreeSet::new();
    for family in metrics.registry().gather() {
        let name = family.name().to_owned();
        if family.get_field_type() == prometheus::proto::MetricType::HISTOGRAM {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{name}{suffix}"));
            }
        }
        names.insert(name);
    }
    names
}

/// `sentinel_…` identifiers in a PromQL expression (recording rules are `sentinel:…`).
fn referenced(expr: &str, into: &mut BTreeSet<String>) {
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(pos) = expr[i..].find("sentinel_") {
        let start = i + pos;
        let boundary = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        let end = expr[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map_or(expr.len(), |e| start + e);
        if boundary && !expr[start..end].contains(':') {
            into.insert(expr[start..end].to_owned());
        }
        i = end;
    }
}

fn dashboard_exprs() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/grafana/dashboards");
    let mut exprs = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for panel in json["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                exprs.push(target["expr"].as_str().unwrap().to_owned());
            }
        }
    }
    exprs
}

fn rule_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/prometheus/rules.yml"
    ))
    .unwrap();
    // Every `expr:` value, including multi-line `|` blocks (indented continuation lines).
    let mut exprs = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(rest) = line.trim_start().strip_prefix("expr:") else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let mut expr = rest.trim().trim_start_matches('|').to_owned();
        while let Some(next) = lines.peek() {
            if next.trim().is_empty() || next.len() - next.trim_start().len() <= indent {
                break;
            }
            expr.push(' ');
            expr.push_str(next.trim());
            lines.next();
        }
        exprs.push(expr);
    }
    exprs
}

#[test]
fn dashboards_and_rules_only_use_exported_metrics() {
    let exported = exported();
    let mut used = BTreeSet::new();
    let dashboards = dashboard_exprs();
    let rules = rule_exprs();
    assert!(
        dashboards.len() > 20 && rules.len() >= 12,
        "{} dashboard and {} rule expressions",
        dashboards.len(),
        rules.len()
    );
    for expr in dashboards.iter().chain(&rules) {
        referenced(expr, &mut used);
    }
    let missing: Vec<&String> = used.difference(&exported).collect();
    assert!(missing.is_empty(), "used but not exported: {missing:?}");
}

#[test]
fn the_parser_sees_names_and_skips_recording_rules() {
    let mut names = BTreeSet::new();
    referenced(
        "sum(rate(sentinel_withdrawn_idr_total[5m])) / sentinel:foo_bar + up{job=\"sentinel\"}",
        &mut names,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["sentinel_withdrawn_idr_total".to_owned()]
    );
}

#[test]
fn metric_names_follow_the_conventions() {
    for name in exported() {
        // The service's own families are `sentinel_*`; the standard process metrics keep
        // their conventional `process_*` names.
        assert!(
            name.starts_with("sentinel_") || name.starts_with("process_"),
            "{name}"
        );
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
    }
    let metrics = Metrics::new().unwrap();
    for family in metrics.registry().gather() {
        let counter = family.get_field_type() == prometheus::proto::MetricType::COUNTER;
        assert_eq!(
            counter,
            family.name().ends_with("_total"),
            "{}: counters and only counters end in _total",
            family.name()
        );
        for metric in family.get_metric() {
            for label in metric.get_label() {
                assert!(
                    !["account_id", "event_id", "id"].contains(&label.name()),
                    "{} has an id label",
                    family.name()
                );
            }
        }
    }
}

#[test]
fn names_say_what_they_measure() {
    let exported = exported();
    for name in ["sentinel_rails_closed", "sentinel_reserve_rejected_total"] {
        assert!(exported.contains(name), "{name} not exported");
    }
    assert!(
        !exported.contains("sentinel_window_open"),
        "renamed to sentinel_rails_closed (1 while the rails are closed)"
    );
    let mut used = BTreeSet::new();
    for expr in rule_exprs() {
        referenced(&expr, &mut used);
    }
    assert!(used.contains("sentinel_rails_closed"), "{used:?}");
}

/// Kills the server when the test ends, whatever its outcome.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of a `GET path` on loopback, once the server answers 200.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.contains(" 200 ").then(|| body.to_owned())
}

/// A real scrape of a running `sentinel serve` passes Prometheus's own metric lint:
/// base units, no `quantile` label on a gauge, counters `_total`, help on every family.
#[test]
fn promtool_check_metrics_passes_on_a_live_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let (grpc, metrics_port) = (free_port(), free_port());
    let config = dir.path().join("sentinel.toml");
    std::fs::write(
        &config,
        "[monitor]\nrunbook_base_url = \"https://runbooks.example.test/sentinel\"\n",
    )
    .unwrap();
    let _server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_sentinel"))
            .args(["serve", "--grpc-addr", &format!("127.0.0.1:{grpc}")])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let scrape = loop {
        if let Some(body) = http_get(metrics_port, "/metrics")
            && body.contains("sentinel_runbook_info{base_url=\"https://runbooks")
        {
            break body;
        }
        assert!(std::time::Instant::now() < deadline, "no scrape in 30 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let (clean, findings) = promtool_check_metrics(&scrape);
    assert!(clean && findings.trim().is_empty(), "promtool: {findings}");
    for threshold in [
        "sentinel_breach_probability_threshold{severity=\"critical\"} 0.5",
        "sentinel_time_to_insolvency_threshold_seconds 43200",
        "sentinel_stale_feed_threshold_seconds 900",
        "sentinel_time_to_insolvency_seconds{percentile=\"p10\"} NaN",
    ] {
        assert!(scrape.contains(threshold), "{threshold} missing");
    }
    for sample in scrape.lines().filter(|l| !l.starts_with('#')) {
        let name = sample.split(['{', ' ']).next().unwrap_or("");
        assert!(!name.contains("hours"), "{name}: durations are seconds");
        assert!(!sample.contains("quantile="), "{sample}");
    }
}

/// The lint is real: the scrape of the old names fails it.
#[test]
fn promtool_rejects_hours_and_a_quantile_label_on_a_gauge() {
    let scrape = "# HELP sentinel_time_to_insolvency_hours x\n\
                  # TYPE sentinel_time_to_insolvency_hours gauge\n\
                  sentinel_time_to_insolvency_hours{quantile=\"0.1\"} 1\n";
    let (clean, findings) = promtool_check_metrics(scrape);
    assert!(!clean, "{findings}");
    assert!(findings.contains("quantile") && findings.contains("seconds"));
}
