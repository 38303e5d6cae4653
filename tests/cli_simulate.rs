//! `sentinel simulate` and `sentinel config` as a user runs them.

use std::process::Command;

fn sentinel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
}

#[test]
fn simulate_writes_the_documented_json_keys() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = sentinel()
        .args([
            "simulate",
            "--paths",
            "2000",
            "--seed",
            "5",
            "--threads",
            "2",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("RECOMMENDATION") && stdout.contains("SAFETY FRONTIER"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["total_fiat_idr"], 795_000_000_000u64);
    assert!(report["critical_ratio"].as_f64().unwrap() > 0.6);
    for name in ["normal", "mild", "severe"] {
        let s = &report["scenarios"][name];
        for key in [
            "mean_idr",
            "p50_idr",
            "p95_idr",
            "p99_idr",
            "cvar99_idr",
            "share_of_fiat_mean",
        ] {
            assert!(s[key].is_number(), "scenarios.{name}.{key} missing");
        }
        assert!(s["reserve"]["newsvendor_idr"].is_number());
        assert!(s["reserve"]["cvar99_idr"].is_number());
        let frontier = s["frontier"].as_array().unwrap();
        assert!(
            frontier[0]["reserve_share"].is_number()
                && frontier[0]["failure_probability"].is_number()
        );
    }
    assert_eq!(report["recommendation"]["scenario"], "severe");
}

#[test]
fn same_seed_same_json_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, file: &str| {
        let path = dir.path().join(file);
        let status = sentinel()
            .args([
                "simulate",
                "--paths",
                "1500",
                "--scenario",
                "mild",
                "--threads",
                threads,
                "--json",
            ])
            .arg(&path)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        std::fs::read_to_string(path).unwrap()
    };
    assert_eq!(run("1", "a.json"), run("3", "b.json"));
}

#[test]
fn a_bad_config_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[reserve]\nemergency_cost_low = 1.5\n").unwrap();
    let out = sentinel()
        .args(["simulate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reserve.emergency_cost_low = 1.5"),
        "{stderr}"
    );
}

#[test]
fn a_bad_csv_exits_2_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(
        &csv,
        "account_id,cohort,balance_idr\na,retail,10\nb,institutional,ten\n",
    )
    .unwrap();
    let out = sentinel()
        .args(["simulate", "--paths", "100", "--users-csv"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("balance_idr"),
        "{stderr}"
    );
}

#[test]
fn zero_paths_on_the_command_line_is_refused() {
    let out = sentinel()
        .args(["simulate", "--paths", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("simulation.paths"));
}

#[test]
fn config_prints_the_defaults() {
    let out = sentinel().arg("config").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        sentinel::config::Config::from_toml_str(&text).unwrap(),
        sentinel::config::Config::default()
    );
}

#[test]
fn serve_refuses_a_bad_user_csv_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    std::fs::write(
        &csv,
        "account_id,cohort,balance_idr\na,retail,10\nb,whale,5\n",
    )
    .unwrap();
    let out = sentinel()
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--users-csv")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("cohort"),
        "{stderr}"
    );
}
