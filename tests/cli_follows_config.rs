//! The command line follows the configuration: the tables' rule-of-thumb labels come from
//! `reserve.rule_of_thumb_share`, and `serve` and `simulate` read the same market history
//! (`market.prices_csv`), so the policy metrics of the live monitor equal the batch report.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Paths per scenario: enough for stable numbers, few enough for a quick test.
const PATHS: u32 = 2_000;

fn sentinel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
}

/// Writes `toml` as `config.toml` in `dir` and returns its path.
fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, toml).unwrap();
    path
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
