//! The Prometheus rules and the Alertmanager config, checked by the real tools.
//! `promtool` and `amtool` come from Debian's `prometheus` and `prometheus-alertmanager`
//! (installed by `scripts/test`); a missing tool fails the test, it is never skipped.

use std::path::Path;
use std::process::Command;

fn deploy(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
        .display()
        .to_string()
}

fn run_tool(tool: &str, args: &[&str]) {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install Debian's prometheus and prometheus-alertmanager (scripts/test does)")
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn promtool_accepts_the_rules() {
    run_tool(
        "promtool",
        &["check", "rules", &deploy("prometheus/rules.yml")],
    );
}

#[test]
fn promtool_unit_tests_of_every_alert_pass() {
    run_tool(
        "promtool",
        &["test", "rules", &deploy("prometheus/rules_test.yml")],
    );
}

#[test]
fn promtool_accepts_the_prometheus_config() {
    run_tool(
        "promtool",
        &["check", "config", &deploy("prometheus/prometheus.yml")],
    );
}

#[test]
fn amtool_accepts_the_alertmanager_config() {
    run_tool(
        "amtool",
        &["check-config", &deploy("alertmanager/alertmanager.yml")],
    );
}

#[test]
fn every_alerting_rule_has_a_unit_test_and_a_runbook_entry() {
    let rules = std::fs::read_to_string(deploy("prometheus/rules.yml")).unwrap();
    let tests = std::fs::read_to_string(deploy("prometheus/rules_test.yml")).unwrap();
    let runbook = std::fs::read_to_string(deploy("README.md")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 8, "{alerts:?}");
    for alert in alerts {
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{alert} has no promtool test"
        );
        assert!(
            runbook.contains(&format!("### {alert}")),
            "{alert} has no runbook entry"
        );
    }
}
