//! Every metric the dashboards and the Prometheus rules use is exported by the service.

use std::collections::BTreeSet;

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
