//! Bad input: each rejection reason gives INVALID_ARGUMENT naming the field, and the state
//! does not change.

mod monitor_support;

use monitor_support::{as_request, reserve, start, test_config, to_pb, weekend_events};
use sentinel::config::ScenarioName;
use sentinel::grpc::{FIELD_METADATA_KEY, pb};
use sentinel::service::now_unix_ms;
use tonic::Code;
use tonic_types::StatusExt;

const DAY_SECONDS: i64 = 86_400;

fn assert_rejected(status: &tonic::Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains(&format!("`{field}`")),
        "{status:?}"
    );
    let named = status
        .metadata()
        .get(FIELD_METADATA_KEY)
        .and_then(|v| v.to_str().ok());
    assert_eq!(named, Some(field), "{status:?}");
    let bad_request = status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("no google.rpc.BadRequest details: {status:?}"));
    let fields: Vec<&str> = bad_request
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, [field], "{status:?}");
    assert!(
        !bad_request.field_violations[0].description.is_empty(),
        "{status:?}"
    );
}

fn valid_event(id: &str) -> pb::WithdrawalEvent {
    pb::WithdrawalEvent {
        event_id: id.into(),
        account_id: "acct-1".into(),
        cohort: pb::Cohort::Retail as i32,
        amount_minor: 250_000_000,
        currency: "IDR".into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: now_unix_ms() / 1000 - 3_600,
            nanos: 0,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

/// Each bad event with the field it must be rejected for.
fn bad_events() -> Vec<(pb::WithdrawalEvent, &'static str)> {
    let now_s = now_unix_ms() / 1000;
    let spoil = |f: &dyn Fn(&mut pb::WithdrawalEvent)| {
        let mut e = valid_event("bad");
        f(&mut e);
        e
    };
    vec![
        (spoil(&|e| e.event_id.clear()), "event_id"),
        (spoil(&|e| e.amount_minor = 0), "amount_minor"),
        (spoil(&|e| e.amount_minor = -5_000), "amount_minor"),
        // Twice all customer fiat: below the wire's MAX_AMOUNT_MINOR, above
        // monitor.max_event_amount_idr (issue 11 saw 12,579 times accepted).
        (
            spoil(&|e| e.amount_minor = 2 * 795_000_000_000 * 100),
            "amount_minor",
        ),
        (spoil(&|e| e.currency = "USD".into()), "currency"),
        (spoil(&|e| e.currency = "RUPIAH".into()), "currency"),
        (spoil(&|e| e.occurred_at = None), "occurred_at"),
        (
            spoil(&|e| {
                e.occurred_at = Some(prost_types::Timestamp {
                    seconds: now_s + DAY_SECONDS,
                    nanos: 0,
                })
            }),
            "occurred_at",
        ),
        (
            spoil(&|e| {
                e.occurred_at = Some(prost_types::Timestamp {
                    seconds: now_s - 100 * DAY_SECONDS,
                    nanos: 0,
                })
            }),
            "occurred_at",
        ),
        (spoil(&|e| e.cohort = 7), "cohort"),
        (spoil(&|e| e.kind = 0), "kind"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rejection_names_its_field_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 1);
    let server = start(config).await;
    let mut client = server.client().await;
    let seed: Vec<_> = events.iter().take(50).map(to_pb).collect();
    client
        .record_withdrawals(pb::RecordWithdrawalsRequest { events: seed })
        .await
        .unwrap();
    let before = server.engine.inputs();

    for (bad, field) in bad_events() {
        let batch = pb::RecordWithdrawalsRequest {
            events: vec![valid_event("good-1"), bad.clone()],
        };
        let status = client.record_withdrawals(batch).await.unwrap_err();
        assert_rejected(&status, field);
        assert_eq!(
            server.engine.inputs(),
            before,
            "unary batch with a bad {field} changed the state"
        );

        let status = client
            .ingest_withdrawals(tokio_stream::iter(vec![as_request(bad)]))
            .await
            .unwrap_err();
        assert_rejected(&status, field);
        assert_eq!(
            server.engine.inputs(),
            before,
            "stream with a bad {field} changed the state"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_keeps_the_events_before_the_first_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(test_config(dir.path())).await;
    let mut client = server.client().await;
    let mut bad = valid_event("bad");
    bad.amount_minor = -1;
    let stream = vec![
        valid_event("s-1"),
        valid_event("s-2"),
        bad,
        valid_event("s-3"),
    ];
    let status = client
        .ingest_withdrawals(tokio_stream::iter(stream.into_iter().map(as_request)))
        .await
        .unwrap_err();
    assert_rejected(&status, "amount_minor");
    assert!(
        status.message().contains("2 events accepted before it"),
        "{status:?}"
    );
    assert_eq!(server.engine.inputs().events_total, 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_reserve_layer_is_rejected_and_the_reserve_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(test_config(dir.path())).await;
    let mut client = server.client().await;
    client.set_reserve(reserve(1_000_000)).await.unwrap();
    let before = server.engine.inputs();
    let mut bad = reserve(5);
    bad.layers[0].amount_minor = -100;
    assert_rejected(
        &client.set_reserve(bad).await.unwrap_err(),
        "layers[0].amount_minor",
    );
    let mut bad = reserve(5);
    bad.layers[0].currency = "EUR".into();
    assert_rejected(
        &client.set_reserve(bad).await.unwrap_err(),
        "layers[0].currency",
    );
    // The third layer usable only after u32::MAX hours: named with its index, and the
    // message says neither `event 0` nor nothing about the limit.
    let mut bad = reserve(5);
    bad.layers.push(bad.layers[0].clone());
    bad.layers.push(bad.layers[0].clone());
    bad.layers[2].available_after_hours = u32::MAX;
    let status = client.set_reserve(bad).await.unwrap_err();
    assert_rejected(&status, "layers[2].available_after_hours");
    assert!(!status.message().contains("event 0"), "{status:?}");
    assert!(status.message().contains("336 h"), "{status:?}");
    let mut at_limit = reserve(5);
    at_limit.layers[0].available_after_hours = 336;
    let calendar_max =
        sentinel::monitor::calendar::WindowCalendar::of_config(&test_config(dir.path()))
            .unwrap()
            .max_window_hours();
    assert!(
        calendar_max <= 336,
        "the limit must cover every closure ({calendar_max} h)"
    );
    assert_eq!(server.engine.inputs(), before);
    client.set_reserve(at_limit).await.unwrap();
    server.stop().await;
}
