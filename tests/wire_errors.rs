//! Wire errors per gRPC convention: undecodable protobuf is INVALID_ARGUMENT (not
//! INTERNAL), a message or batch above the limit is RESOURCE_EXHAUSTED stating the limit,
//! and a stream that ends early says how many of its events were made durable.

mod monitor_support;

use monitor_support::raw_h2::{self, RawEnd};
use monitor_support::{last_window_opening, start, test_config};
use prost::Message;
use sentinel::grpc::{ACCEPTED_METADATA_KEY, MAX_BATCH_EVENTS, MAX_MESSAGE_BYTES, pb};
use tonic::Code;

const RECORD: &str = "/sentinel.v1.MonitorService/RecordWithdrawals";
const INGEST: &str = "/sentinel.v1.MonitorService/IngestWithdrawals";
const INGEST_BATCHES: &str = "/sentinel.v1.MonitorService/IngestWithdrawalBatches";

/// A valid event of the latest completed window, unique per `i`.
fn event(opens: i64, i: u64) -> pb::WithdrawalEvent {
    let at_ms = opens + 60_000 + i as i64;
    pb::WithdrawalEvent {
        event_id: format!("wire-{i}"),
        account_id: "acct-1".into(),
        cohort: pb::Cohort::Retail as i32,
        amount_minor: 10_000,
        currency: "IDR".into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at_ms.div_euclid(1000),
            nanos: (at_ms.rem_euclid(1000) * 1_000_000) as i32,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

fn code_of(end: &RawEnd) -> (i32, String) {
    match end {
        RawEnd::Status { code, message, .. } => (*code, message.clone()),
        RawEnd::Transport(e) => panic!("no gRPC status, the call was cut: {e}"),
    }
}

/// Bytes that are not a protobuf message (a field with wire type 7, which does not exist).
const GARBAGE: &[u8] = &[0x0f, 0xff, 0xff, 0xff];

#[tokio::test]
async fn undecodable_protobuf_is_invalid_argument_not_internal() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start(config).await;
    let addr = server.url.trim_start_matches("http://").parse().unwrap();

    let end = raw_h2::call(addr, RECORD, std::iter::once(raw_h2::framed(GARBAGE))).await;
    let (code, message) = code_of(&end);
    assert_eq!(code, Code::InvalidArgument as i32, "{message}");

    let frames = vec![
        raw_h2::framed(&event(opens, 1).encode_to_vec()),
        raw_h2::framed(&event(opens, 2).encode_to_vec()),
        raw_h2::framed(GARBAGE),
    ];
    let end = raw_h2::call(addr, INGEST, frames.into_iter()).await;
    let (code, message) = code_of(&end);
    assert_eq!(code, Code::InvalidArgument as i32, "{message}");
    assert!(message.contains("2 events accepted before it"), "{message}");
    assert_eq!(server.engine.inputs().events_total, 2);
    server.stop().await;
}

#[tokio::test]
async fn a_message_above_the_size_limit_is_resource_exhausted_with_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(test_config(dir.path())).await;
    let addr = server.url.trim_start_matches("http://").parse().unwrap();
    let huge = vec![0u8; MAX_MESSAGE_BYTES + 1];
    for method in [RECORD, INGEST, INGEST_BATCHES] {
        let end = raw_h2::call(addr, method, std::iter::once(raw_h2::framed(&huge))).await;
        let (code, message) = code_of(&end);
        assert_eq!(code, Code::ResourceExhausted as i32, "{method}: {message}");
        assert!(
            message.contains(&MAX_MESSAGE_BYTES.to_string()),
            "{method}: {message}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_batch_above_the_event_limit_is_resource_exhausted_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start(config).await;
    let mut client = server.client().await;
    let events: Vec<_> = (0..=MAX_BATCH_EVENTS as u64)
        .map(|i| event(opens, i))
        .collect();
    let batch = pb::RecordWithdrawalsRequest {
        events: events.clone(),
    };
    let status = client.record_withdrawals(batch).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains(&MAX_BATCH_EVENTS.to_string()),
        "{status:?}"
    );
    let status = client
        .ingest_withdrawal_batches(tokio_stream::iter(vec![
            pb::IngestWithdrawalBatchesRequest { events },
        ]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(server.engine.inputs().events_total, 0);
    server.stop().await;
}

#[tokio::test]
async fn a_batch_stream_counts_every_event_and_a_bad_one_ends_it_with_the_durable_count() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start(config).await;
    let mut client = server.client().await;
    let batches: Vec<pb::IngestWithdrawalBatchesRequest> = (0..20u64)
        .map(|b| pb::IngestWithdrawalBatchesRequest {
            events: (0..5_000).map(|i| event(opens, b * 5_000 + i)).collect(),
        })
        .collect();
    let summary = client
        .ingest_withdrawal_batches(tokio_stream::iter(batches.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (summary.received, summary.accepted, summary.duplicates),
        (100_000, 100_000, 0)
    );

    // The same batches again, the third with a bad event at position 10: the first two and
    // ten more are acknowledged (as duplicates), and the status says so.
    let mut again = batches[..3].to_vec();
    again[2].events[10].amount_minor = 0;
    let status = client
        .ingest_withdrawal_batches(tokio_stream::iter(again))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("event 10010 "), "{status:?}");
    assert!(
        status
            .message()
            .contains("0 events accepted before it, all durable; 10010 duplicates"),
        "{status:?}"
    );
    assert_eq!(
        status
            .metadata()
            .get(ACCEPTED_METADATA_KEY)
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    assert_eq!(server.engine.inputs().events_total, 100_000);
    server.stop().await;
}
