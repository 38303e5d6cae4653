//! Money is exact to the minor unit on the wire: sen are summed, never dropped per event.

mod monitor_support;

use monitor_support::{last_window_opening, start, test_config};
use sentinel::grpc::pb;

fn withdrawal(opens: i64, id: &str, amount_minor: i64) -> pb::WithdrawalEvent {
    let at_ms = opens + 90 * 60_000;
    pb::WithdrawalEvent {
        event_id: id.into(),
        account_id: "acct-1".into(),
        cohort: pb::Cohort::Retail as i32,
        amount_minor,
        currency: "IDR".into(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: at_ms / 1000,
            nanos: 0,
        }),
        kind: pb::EventKind::Withdrawal as i32,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_withdrawals_of_150_sen_are_rp_3_and_99_sen_are_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let server = start(config).await;
    let mut client = server.client().await;
    let batch = pb::RecordWithdrawalsRequest {
        events: vec![
            withdrawal(opens, "a", 150),
            withdrawal(opens, "b", 150),
            withdrawal(opens, "c", 99),
        ],
    };
    client.record_withdrawals(batch).await.unwrap();
    let flows = client
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap()
        .into_inner()
        .projection
        .unwrap()
        .flows
        .unwrap();
    assert_eq!(flows.retail_withdrawn_minor, 399);
    assert_eq!(
        flows.retail_withdrawn_idr, 3,
        "Rp 3.99 rounds down once, to Rp 3"
    );
    assert_eq!(flows.retail_events, 3);
    let inputs = server.engine.inputs();
    let reserve_minor = i64::try_from(inputs.reserve.total_idr()).unwrap() * 100;
    assert_eq!(flows.reserve_headroom_minor, reserve_minor - 399);
    server.stop().await;
}
