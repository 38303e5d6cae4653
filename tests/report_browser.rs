//! The board report as a board member sees it: `sentinel report` renders in a real headless
//! Chromium (networking disabled) to a PNG screenshot that is not blank, every chart is in
//! the rendered DOM and drawn, no image is broken, and the page's text holds the board
//! summary with the run's own figures. Needs Chromium: `SENTINEL_CHROMIUM`, which
//! `scripts/test` sets after installing Debian's `chromium`.

use std::path::Path;
use std::process::Command;

use scraper::{Html, Selector};
use sentinel::report::money::{idr, usd};
use serde_json::Value;

/// Every chart the report draws, by file stem.
const CHARTS: [&str; 11] = [
    "user_base",
    "withdrawal_distribution",
    "withdrawal_fan",
    "reserve_cost_curve",
    "safety_frontier",
    "time_to_insolvency",
    "var_methods",
    "insurance_fund",
    "liquidity",
    "solvency_waterfall",
    "reserve_layers",
];

fn chromium() -> String {
    std::env::var("SENTINEL_CHROMIUM").unwrap_or_else(|_| {
        panic!("SENTINEL_CHROMIUM is not set: run scripts/test, which installs chromium")
    })
}

/// Chromium, headless, with a fresh profile and every network request sent to a closed port.
fn browser(profile: &Path) -> Command {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
        "--window-size=1280,2000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// Runs `sentinel report` into `dir`, with the JSON beside it; returns the JSON.
fn make_report(dir: &Path) -> Value {
    let json = dir.join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "report", "--paths", "2000", "--seed", "9", "--quiet", "--out",
        ])
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

/// Decodes a PNG into (width, height, RGBA-or-RGB bytes, bytes per pixel).
fn decode_png(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let bpp = info.color_type.samples();
    (info.width, info.height, buf, bpp)
}

/// Share of pixels that are not white, and the number of distinct colours.
fn ink(pixels: &[u8], bpp: usize) -> (f64, usize) {
    let mut colours = std::collections::HashSet::new();
    let mut inked = 0usize;
    for px in pixels.chunks(bpp) {
        let rgb = [px[0], px[1], px[2]];
        colours.insert(rgb);
        if rgb.iter().any(|&c| c < 240) {
            inked += 1;
        }
    }
    (inked as f64 / (pixels.len() / bpp) as f64, colours.len())
}

#[test]
fn the_report_renders_in_a_headless_browser_with_every_chart_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let report = make_report(dir.path());
    let page = dir.path().join("report.html");
    let url = format!("file://{}", page.display());

    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("screen.png");
    let out = browser(profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, pixels, bpp) = decode_png(&shot);
    assert_eq!((w, h), (1280, 2000));
    let (inked, colours) = ink(&pixels, bpp);
    assert!(
        inked > 0.05 && colours > 50,
        "blank screenshot: {inked} inked, {colours} colours"
    );

    let profile = tempfile::tempdir().unwrap();
    let dom = browser(profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8(dom.stdout).unwrap();
    check_charts_drawn(&Html::parse_document(&dom));
    check_summary(&Html::parse_document(&dom), &report);
    for stem in CHARTS {
        let (w, h, pixels, bpp) = decode_png(&dir.path().join(format!("{stem}.png")));
        let (inked, _) = ink(&pixels, bpp);
        assert!(w >= 800 && h >= 400 && inked > 0.02, "{stem}.png is blank");
    }
}

/// Every chart is a figure with an inline SVG holding drawn shapes and text; the page has no
/// `<img>` that could break.
fn check_charts_drawn(dom: &Html) {
    let svg = Selector::parse("svg").unwrap();
    let shapes = Selector::parse("rect, polyline, polygon, path, line, circle").unwrap();
    let text = Selector::parse("text").unwrap();
    for stem in CHARTS {
        let figure = Selector::parse(&format!("figure#chart-{stem}")).unwrap();
        let figure = dom
            .select(&figure)
            .next()
            .unwrap_or_else(|| panic!("no chart {stem}"));
        let svg = figure
            .select(&svg)
            .next()
            .unwrap_or_else(|| panic!("{stem}: no svg"));
        let drawn = svg.select(&shapes).count();
        let labels = svg.select(&text).count();
        assert!(
            drawn >= 10 && labels >= 5,
            "{stem}: {drawn} shapes, {labels} labels"
        );
        let heading: String = figure.text().collect();
        assert!(heading.len() > 20, "{stem} has no title");
    }
    let img = Selector::parse("img").unwrap();
    assert_eq!(
        dom.select(&img).count(),
        0,
        "the page has no image to break"
    );
}

/// The board summary says the run's reserve in rupiah and dollars, its annual cost, the rule
/// of thumb's failure rate, the verdicts and the named limitations.
fn check_summary(dom: &Html, report: &Value) {
    let section = Selector::parse("#board-summary").unwrap();
    let summary: String = dom
        .select(&section)
        .next()
        .expect("board summary")
        .text()
        .collect();
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let rec = &report["recommendation"];
    let reserve = rec["reserve_idr"].as_f64().unwrap();
    let expected = format!(
        "Fund {} ({}) before the rails close",
        idr(reserve),
        usd(rec["reserve_usd"].as_f64().unwrap())
    );
    assert!(summary.contains(&expected), "{expected} not in {summary}");
    assert!(
        summary.contains(&idr(rec["annual_cost_idr"].as_f64().unwrap())),
        "{summary}"
    );
    let severe =
        report["scenarios"]["severe"]["liquidity"]["rule_of_thumb"]["shortfall"]["probability"]
            .as_f64()
            .unwrap();
    assert!(
        summary.contains(&format!("{:.2}% of severe weekends", severe * 100.0)),
        "{summary}"
    );
    let verdict = report["solvency"]["scenarios"]["luna"]["solvency_verdict"]
        .as_str()
        .unwrap();
    assert!(summary.contains(&format!("luna: {verdict}")), "{summary}");
    let sheet_reserve = report["solvency"]["firm"]["fiat_reserve_idr"]
        .as_f64()
        .unwrap();
    let expected = format!(
        "With the reserve at the 10.00% rule of thumb ({})",
        idr(sheet_reserve)
    );
    assert!(
        summary.contains(&expected),
        "the verdicts name the reserve they hold: {expected} not in {summary}"
    );
    assert!(
        summary.contains("Named limitations") && summary.contains("time-of-day"),
        "{summary}"
    );
    let capital_m = summary
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'M');
    assert!(
        !capital_m,
        "an amount written with M, read as miliar: {summary}"
    );
}
