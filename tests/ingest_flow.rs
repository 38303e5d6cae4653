//! Ingest under load: a client streaming many small events unpaced, while the sequencer
//! stalls as under an fsync stall, is never disconnected, and every event is counted.
//!
//! The stall is real time on purpose: it models a disk that stops answering while the
//! client keeps sending, which is what made h2 close the connection with
//! `GOAWAY ENHANCE_YOUR_CALM "too_many_data_frames"` (issue 11).

mod monitor_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use monitor_support::raw_h2::{self, RawEnd};
use monitor_support::{last_window_opening, start_with_observer, test_config};
use prost::Message;
use sentinel::grpc::pb;
use sentinel::service::EngineObserver;

/// Stalls the sequencer thread (where commits are reported) for `stall` once, at the
/// `at_commit`-th commit: what an fsync stall looks like from the ingest handler.
struct CommitStall {
    commits: AtomicU64,
    at_commit: u64,
    stall: Duration,
}

impl EngineObserver for CommitStall {
    fn on_commit(&self, _events_in_log: u64, _store_bytes: u64, _now_unix_ms: i64) {
        if self.commits.fetch_add(1, Ordering::SeqCst) + 1 == self.at_commit {
            std::thread::sleep(self.stall);
        }
    }
}

/// A realistic small event (about 95 bytes on the wire), unique per `i`.
fn event(opens: i64, i: u64) -> pb::WithdrawalEvent {
    let at_ms = opens + 60_000 + (i as i64 % 3_600_000);
    pb::WithdrawalEvent {
        event_id: format!("ledger-evt-{i:012}"),
        account_id: format!("acct-{:08}", i % 50_000),
        cohort: pb::Cohort::Retail as i32,
        amount_minor: 150,
        currency: "IDR".into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at_ms.div_euclid(1000),
            nanos: (at_ms.rem_euclid(1000) * 1_000_000) as i32,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

fn stall_at_second_commit(stall: Duration) -> Arc<CommitStall> {
    Arc::new(CommitStall {
        commits: AtomicU64::new(0),
        at_commit: 2,
        stall,
    })
}

/// One DATA frame per event (grpcio, grpc-java, grpcurl), unpaced, while the second
/// commit stalls for 3 s: the stream ends with the summary, every event counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_per_event_stream_through_a_commit_stall_is_not_disconnected() {
    const EVENTS: u64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start_with_observer(config, stall_at_second_commit(Duration::from_secs(3))).await;
    let addr = server.url.trim_start_matches("http://").parse().unwrap();
    let frames = (0..EVENTS).map(move |i| raw_h2::framed(&event(opens, i).encode_to_vec()));
    let end = raw_h2::call(
        addr,
        "/sentinel.v1.MonitorService/IngestWithdrawals",
        frames,
    )
    .await;
    let summary: pb::IngestWithdrawalsResponse = end
        .ok()
        .unwrap_or_else(|e| panic!("the stream was cut: {e}"));
    assert!(!matches!(end, RawEnd::Transport(_)));
    assert_eq!(summary.received, EVENTS);
    assert_eq!(summary.accepted, EVENTS);
    assert_eq!(server.engine.inputs().events_total, EVENTS);
    server.stop().await;
}

/// tonic's own client (many messages per frame) through the same stall, with a
/// `WatchProjections` on the same channel that must survive it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaced_stream_through_a_commit_stall_is_not_disconnected() {
    const EVENTS: u64 = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start_with_observer(config, stall_at_second_commit(Duration::from_secs(3))).await;
    let mut client = server.client().await;
    let mut watcher = client.clone();
    let watch = tokio::spawn(async move {
        let mut updates = watcher
            .watch_projections(pb::WatchProjectionsRequest {})
            .await?
            .into_inner();
        let mut seen = 0u64;
        while updates.message().await?.is_some() {
            seen += 1;
        }
        Ok::<u64, tonic::Status>(seen)
    });
    let events = tokio_stream::iter(
        (0..EVENTS).map(move |i| sentinel::grpc::request_of_event(event(opens, i))),
    );
    let summary = client
        .ingest_withdrawals(events)
        .await
        .unwrap_or_else(|status| panic!("the stream was cut: {status:?}"))
        .into_inner();
    assert_eq!(summary.received, EVENTS);
    assert_eq!(summary.accepted, EVENTS);
    assert_eq!(summary.duplicates, 0);
    assert_eq!(server.engine.inputs().events_total, EVENTS);
    assert!(
        !watch.is_finished(),
        "the watch on the same channel ended: {:?}",
        watch.await
    );
    watch.abort();
    server.stop().await;
}
