//! The weekend-watch dashboard checked with Grafana's own code (npm packages pinned in
//! `grafana/check/package-lock.json`, installed by `scripts/test`, which sets
//! `SENTINEL_GRAFANA_NODE_MODULES`): it type-checks against the dashboard schema of
//! `@grafana/schema`, and its units are rendered by `@grafana/data`'s formatter, the one
//! Grafana draws stat values and axes with. Rupiah reads as "12.3 bn IDR" (Rp 12.3
//! miliar), never Grafana's currency unit ("Rp5M" for Rp 5,000,000, which an Indonesian
//! reader takes for 5 miliar); hours read as hours, never "2.39 days"; every target uses
//! the `${datasource}` and `$instance` variables; alert thresholds come from the service's
//! exported threshold metrics, never copies of the config.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The unit of every rupiah amount: the query divides by 1e9, the unit appends "bn IDR".
const RUPIAH_UNIT: &str = "suffix:bn IDR";
/// The unit of a rupiah flow per hour.
const RUPIAH_PER_HOUR_UNIT: &str = "suffix:bn IDR/h";
/// Hours as hours: Grafana's `h` unit turns 57.4 into "2.4 days".
const HOURS_UNIT: &str = "suffix:h";

fn dashboard_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("grafana/dashboards/weekend-watch.json")
}

fn dashboard() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dashboard_path()).unwrap()).unwrap()
}

fn panels(dashboard: &Value) -> Vec<&Value> {
    dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] != "row")
        .collect()
}

fn unit(panel: &Value) -> &str {
    panel["fieldConfig"]["defaults"]["unit"]
        .as_str()
        .unwrap_or("none")
}

fn exprs(panel: &Value) -> Vec<&str> {
    panel["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expr"].as_str().unwrap())
        .collect()
}

/// Runs grafana/check/check-dashboard.cjs on `dashboard` with `samples`; its JSON report.
fn check(dashboard: &Path, samples: &[&str]) -> Value {
    let modules = std::env::var("SENTINEL_GRAFANA_NODE_MODULES").unwrap_or_else(|_| {
        panic!("SENTINEL_GRAFANA_NODE_MODULES is not set: run scripts/test, which installs the pinned Grafana packages")
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("grafana/check/check-dashboard.cjs");
    let output = Command::new("node")
        .arg(script)
        .arg(modules)
        .arg(dashboard)
        .args(samples)
        .output()
        .expect("node (Debian's npm package pulls it in; scripts/test installs it)");
    assert!(
        output.status.success(),
        "check-dashboard failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The formatted samples of the panel titled `title` in a check report.
fn formatted<'a>(report: &'a Value, title: &str) -> &'a Value {
    report["formatted"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .map(|p| &p["values"])
        .unwrap_or_else(|| panic!("no panel {title}"))
}

#[test]
fn the_dashboard_validates_against_grafanas_dashboard_schema() {
    let report = check(&dashboard_path(), &[]);
    let errors = report["schema_errors"].as_array().unwrap();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

/// The schema check is real: a misspelt field fails it, and so does a mistyped grid
/// position (TypeScript reports one error per literal, so one mistake per dashboard).
#[test]
fn the_schema_check_rejects_a_broken_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let errors_of = |broken: &Value, name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(broken).unwrap()).unwrap();
        check(&path, &[])["schema_errors"].to_string()
    };
    let mut misspelt = dashboard();
    misspelt["refresh_rate"] = Value::from("10s");
    let errors = errors_of(&misspelt, "misspelt.json");
    assert!(errors.contains("refresh_rate"), "{errors}");
    let mut mistyped = dashboard();
    mistyped["panels"][1]["gridPos"]["w"] = Value::from("wide");
    let errors = errors_of(&mistyped, "mistyped.json");
    assert!(
        errors.contains("'string' is not assignable to type 'number'"),
        "{errors}"
    );
}

/// Rp 5,000,000 and Rp 12,345,000,000 as Grafana draws them on the dashboard, and the
/// currency unit the dashboard no longer uses, drawn by the same formatter.
#[test]
fn rupiah_reads_in_billions_never_as_grafana_currency() {
    // The queries divide by 1e9: Rp 5,000,000 arrives as 0.005, Rp 12.345 bn as 12.345.
    let report = check(&dashboard_path(), &["0.005", "12.345"]);
    let reserve = formatted(&report, "Reserve headroom");
    assert_eq!(reserve["0.005"], "0.00500 bn IDR");
    assert_eq!(reserve["12.345"], "12.3 bn IDR");

    let mut old = dashboard();
    old["panels"][7]["fieldConfig"]["defaults"]["unit"] = Value::from("currencyIDR");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("currency.json");
    std::fs::write(&path, old.to_string()).unwrap();
    let title = old["panels"][7]["title"].as_str().unwrap().to_owned();
    let report = check(&path, &["5000000"]);
    assert_eq!(
        formatted(&report, &title)["5000000"],
        "Rp5M",
        "Grafana's currency unit, the misreading the dashboard avoids"
    );
}

#[test]
fn every_rupiah_panel_divides_by_a_billion_and_says_bn_idr() {
    let dashboard = dashboard();
    let mut rupiah_panels = 0;
    for panel in panels(&dashboard) {
        let unit = unit(panel);
        assert!(
            !unit.starts_with("currency") && !unit.contains("currency:"),
            "panel {} uses Grafana's currency unit {unit}",
            panel["title"]
        );
        let amounts = exprs(panel).iter().any(|e| e.contains("_idr"));
        if !amounts || unit == "percentunit" {
            continue;
        }
        rupiah_panels += 1;
        assert!(
            [RUPIAH_UNIT, RUPIAH_PER_HOUR_UNIT].contains(&unit),
            "panel {} shows rupiah with unit {unit}",
            panel["title"]
        );
        for expr in exprs(panel) {
            assert!(expr.ends_with(") / 1e9"), "{expr}: rupiah in billions");
        }
    }
    assert!(rupiah_panels >= 12, "{rupiah_panels} rupiah panels");
}

#[test]
fn hours_read_as_hours() {
    let dashboard = dashboard();
    let report = check(&dashboard_path(), &["57.4"]);
    let mut hour_panels = 0;
    for panel in panels(&dashboard) {
        let durations = exprs(panel).iter().any(|e| e.contains("/ 3600"));
        if !durations {
            continue;
        }
        hour_panels += 1;
        assert_eq!(unit(panel), HOURS_UNIT, "panel {}", panel["title"]);
        let title = panel["title"].as_str().unwrap();
        assert_eq!(formatted(&report, title)["57.4"], "57.4 h", "{title}");
    }
    assert!(hour_panels >= 3, "{hour_panels} panels in hours");
}

#[test]
fn every_target_uses_the_datasource_and_instance_variables() {
    let dashboard = dashboard();
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(variables, ["datasource", "instance"]);
    for panel in panels(&dashboard) {
        assert_eq!(panel["datasource"]["uid"], "${datasource}");
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["datasource"]["uid"], "${datasource}");
            let expr = target["expr"].as_str().unwrap();
            let selectors = expr.matches("sentinel_").count();
            let scoped = expr.matches("{instance=~\"$instance\"").count();
            assert_eq!(selectors, scoped, "{expr}: every selector on $instance");
        }
    }
}

/// The panels that colour by an alert threshold read it from the service's exported
/// threshold metric (Grafana's "config from query results"), and no hard-coded step of
/// any panel repeats a configured threshold.
#[test]
fn thresholds_come_from_the_exported_threshold_metrics() {
    let dashboard = dashboard();
    let threshold_metrics = [
        "sentinel_breach_probability_threshold",
        "sentinel_time_to_insolvency_threshold_seconds",
        "sentinel_ojk_min_equity_idr",
    ];
    let mut read = Vec::new();
    for panel in panels(&dashboard) {
        for transform in panel["transformations"].as_array().into_iter().flatten() {
            assert_eq!(transform["id"], "configFromData");
            let config_ref = &transform["options"]["configRefId"];
            let target = panel["targets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| &t["refId"] == config_ref)
                .expect("the config query exists");
            let expr = target["expr"].as_str().unwrap();
            let metric = threshold_metrics.iter().find(|m| expr.contains(*m));
            read.extend(metric.copied());
            let mapping = &transform["options"]["mappings"][0];
            assert_eq!(mapping["handlerKey"], "threshold1");
            assert_eq!(mapping["fieldName"], target["legendFormat"]);
        }
    }
    read.sort_unstable();
    read.dedup();
    assert_eq!(read.len(), threshold_metrics.len(), "{read:?}");

    let config = sentinel::config::Config::default();
    let m = &config.monitor;
    let ojk_bn = config.reserve.ojk_min_equity_idr as f64 / 1e9;
    let copies = [
        m.breach_warn_probability,
        m.breach_critical_probability,
        m.tti_alert_hours,
        ojk_bn,
    ];
    for panel in panels(&dashboard) {
        let steps = &panel["fieldConfig"]["defaults"]["thresholds"]["steps"];
        for step in steps.as_array().into_iter().flatten() {
            if let Some(value) = step["value"].as_f64() {
                assert!(
                    !copies.contains(&value),
                    "panel {} hard-codes the configured threshold {value}",
                    panel["title"]
                );
            }
        }
    }
}
