//! `sentinel report` and the new output flags of `simulate` as a user runs them: the page
//! holds no external reference, `--json -` writes to stdout, `--csv DIR` writes every table
//! with units in the column names, a bad output path fails before any simulation, and the
//! backtest series the report charts agrees with the batch report.

use std::path::Path;
use std::process::Command;

use scraper::{Html, Selector};
use sentinel::batch::{BatchRequest, run_batch};
use sentinel::config::{Config, ScenarioName};
use sentinel::model::market::MarketHistory;
use sentinel::model::user_base::UserBase;
use sentinel::report::series::cumulative_exceptions;
use serde_json::Value;

fn sentinel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sentinel"))
}

fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Attributes through which a page loads something.
const LOADING_ATTRIBUTES: [&str; 9] = [
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
];

/// Elements that load or run something from elsewhere.
const LOADING_ELEMENTS: &str =
    "script, link, img, iframe, object, embed, base, audio, video, source";

#[test]
fn the_report_page_has_no_external_reference() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        sentinel()
            .args(["report", "--paths", "1000", "--out"])
            .arg(dir.path()),
    );
    let text = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let page = Html::parse_document(&text);
    let loading = Selector::parse(LOADING_ELEMENTS).unwrap();
    let found: Vec<String> = page
        .select(&loading)
        .map(|e| e.value().name().to_owned())
        .collect();
    assert!(found.is_empty(), "elements that load: {found:?}");
    let all = Selector::parse("*").unwrap();
    let mut elements = 0;
    for element in page.select(&all) {
        elements += 1;
        for (name, value) in element.value().attrs() {
            assert!(
                !LOADING_ATTRIBUTES.contains(&name),
                "<{} {name}={value}>",
                element.value().name()
            );
            let value = value.to_ascii_lowercase();
            assert!(
                !value.contains("url(") && !value.contains("://"),
                "{name}={value}"
            );
        }
    }
    assert!(
        elements > 1000,
        "the page parsed into {elements} elements only"
    );
    let style = Selector::parse("style").unwrap();
    for sheet in page.select(&style) {
        let css: String = sheet.text().collect();
        assert!(
            !css.contains("url(") && !css.contains("@import") && !css.contains("@font-face"),
            "{css}"
        );
    }
    let lower = text.to_ascii_lowercase();
    assert!(
        !lower.contains("http:") && !lower.contains("https:"),
        "a URL in the page"
    );
}

#[test]
fn json_dash_writes_the_report_to_stdout_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        sentinel()
            .current_dir(dir.path())
            .args(["simulate", "--paths", "500", "--seed", "4", "--json", "-"]),
    );
    let from_stdout: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the JSON");
    assert!(!dir.path().join("-").exists(), "a file named - was created");
    let file = dir.path().join("r.json");
    run_ok(
        sentinel()
            .args(["simulate", "--paths", "500", "--seed", "4", "--json"])
            .arg(&file),
    );
    let from_file: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(from_stdout, from_file);
}

/// Reads a CSV into its header and rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_tables_carry_units_in_their_names_and_whole_rupiah() {
    let dir = tempfile::tempdir().unwrap();
    let (csv_dir, json) = (dir.path().join("csv"), dir.path().join("r.json"));
    run_ok(
        sentinel()
            .args(["simulate", "--paths", "1000", "--seed", "8", "--csv"])
            .arg(&csv_dir)
            .arg("--json")
            .arg(&json),
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let files: Vec<_> = std::fs::read_dir(&csv_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 10, "{files:?}");
    for file in &files {
        let (header, rows) = read_csv(file);
        assert!(!rows.is_empty(), "{} has no rows", file.display());
        for (i, name) in header
            .iter()
            .enumerate()
            .filter(|(_, n)| n.ends_with("_idr"))
        {
            for row in &rows {
                let cell = &row[i];
                assert!(
                    cell.is_empty() || cell.parse::<i64>().is_ok(),
                    "{} {name} = {cell}",
                    file.display()
                );
            }
        }
    }
    let (header, rows) = read_csv(&csv_dir.join("scenario_summary.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let severe = rows.iter().find(|r| r[0] == "severe").unwrap();
    let mean = report["scenarios"]["severe"]["mean_idr"].as_f64().unwrap();
    assert_eq!(severe[column("mean_idr")], format!("{:.0}", mean.round()));
    assert!(
        header.contains(&"rule_of_thumb_failure_ci95_high_probability".to_owned()),
        "{header:?}"
    );
    let (header, rows) = read_csv(&csv_dir.join("recommendation_layers.csv"));
    let sizes: i64 = rows.iter().map(|r| r[2].parse::<i64>().unwrap()).sum();
    let reserve = report["recommendation"]["reserve_idr"].as_f64().unwrap();
    assert_eq!(header[2], "size_idr");
    assert!(
        (sizes as f64 - reserve).abs() <= 3.0,
        "{sizes} vs {reserve}"
    );
}

#[test]
fn an_unwritable_output_fails_before_simulating_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let below_a_file = file.join("report");
    // Ten million paths would run for minutes: the check must come first.
    let cases: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "report".as_ref(),
            "--out".as_ref(),
            below_a_file.as_os_str(),
        ],
        vec![
            "simulate".as_ref(),
            "--json".as_ref(),
            below_a_file.as_os_str(),
        ],
        vec![
            "simulate".as_ref(),
            "--csv".as_ref(),
            below_a_file.as_os_str(),
        ],
    ];
    for args in cases {
        let started = std::time::Instant::now();
        let out = sentinel()
            .args(&args)
            .args(["--paths", "10000000"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("a-file"),
            "the error names the path: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "nothing ran: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(started.elapsed().as_secs() < 20, "{args:?} simulated first");
    }
}

#[test]
fn progress_is_hidden_when_stderr_is_not_a_terminal() {
    let out = run_ok(sentinel().args(["simulate", "--paths", "500"]));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_charted_backtest_exceptions_add_up_to_the_reported_count() {
    let config = Config::default();
    let users = UserBase::synthetic(&config.user_base);
    let request = BatchRequest {
        scenarios: vec![ScenarioName::Normal],
        paths: 200,
        seed: 3,
    };
    let report = run_batch(&config, &users, &request).unwrap();
    let history = MarketHistory::synthetic(&config.market).unwrap();
    let v = &report.var;
    let series = cumulative_exceptions(&history, &v.history.holdings_idr, v.lookback_days);
    assert_eq!(series.len(), v.backtest_historical.days);
    assert_eq!(
        series.last().copied(),
        Some(v.backtest_historical.exceptions as u64)
    );
    assert!(series.windows(2).all(|w| w[1] >= w[0] && w[1] - w[0] <= 1));
}

/// What `sentinel <args>` drew on a pseudo-terminal (stdout discarded): `script`
/// (util-linux) gives the command a terminal and copies what it drew.
fn drawn_on_a_terminal(args: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_sentinel");
    let command = format!("{bin} {args} >/dev/null");
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .output()
        .expect("script (util-linux) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_is_drawn_on_a_terminal_and_quiet_hides_it() {
    let simulate = "simulate --paths 100000 --scenario severe";
    let drawn = drawn_on_a_terminal(simulate);
    assert!(
        drawn.contains("simulating the"),
        "no progress bar on a terminal: {drawn:?}"
    );
    let quiet = drawn_on_a_terminal(&format!("{simulate} --quiet"));
    assert!(
        !quiet.contains("simulating the"),
        "--quiet drew a bar: {quiet:?}"
    );
}

#[test]
fn the_alert_backtest_counts_weekends_on_a_terminal_only() {
    let backtest = "backtest-alerts --weekends 10 --projection-paths 200";
    let drawn = drawn_on_a_terminal(backtest);
    assert!(
        drawn.contains("/30 replaying the") && drawn.contains("severe weekends"),
        "no weekend count on a terminal: {drawn:?}"
    );
    let quiet = drawn_on_a_terminal(&format!("{backtest} --quiet"));
    assert!(
        !quiet.contains("replaying"),
        "--quiet drew a bar: {quiet:?}"
    );
    let piped = run_ok(sentinel().args(backtest.split(' ')));
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
}

#[test]
fn a_failure_while_writing_is_a_runtime_failure_with_exit_code_1() {
    // /dev/full opens like any file (so the early check passes) and refuses every write.
    let out = sentinel()
        .args(["simulate", "--paths", "200", "--json", "/dev/full"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/dev/full"), "{stderr}");
}

#[test]
fn the_alert_backtest_table_is_included_when_given() {
    let dir = tempfile::tempdir().unwrap();
    let backtest = dir.path().join("alerts.txt");
    run_ok(
        sentinel()
            .args([
                "backtest-alerts",
                "--weekends",
                "3",
                "--projection-paths",
                "200",
                "--out",
            ])
            .arg(&backtest),
    );
    let out = dir.path().join("report");
    run_ok(
        sentinel()
            .args(["report", "--paths", "500", "--quiet", "--alert-backtest"])
            .arg(&backtest)
            .arg("--out")
            .arg(&out),
    );
    let page = Html::parse_document(&std::fs::read_to_string(out.join("report.html")).unwrap());
    let section = Selector::parse("section#alert-backtest").unwrap();
    let text: String = page
        .select(&section)
        .next()
        .expect("alert backtest section")
        .text()
        .collect();
    let expected = std::fs::read_to_string(&backtest).unwrap();
    let first_row = expected
        .lines()
        .find(|l| l.contains("(configured)"))
        .unwrap();
    assert!(
        text.contains("false pages") && text.contains(first_row.trim()),
        "{text}"
    );
}

#[test]
fn the_named_limitations_are_those_of_the_assumptions_document() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assumptions.md")).unwrap();
    let documented = sentinel::report::series::limitations_in(&doc);
    assert_eq!(documented, sentinel::report::series::NAMED_LIMITATIONS);
}
