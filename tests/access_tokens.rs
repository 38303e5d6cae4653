//! Role tokens end to end over gRPC: no token is UNAUTHENTICATED, a `read` token cannot
//! ingest and an `ingest` token cannot SetReserve (PERMISSION_DENIED), `admin` can; health
//! checks need no token; refused calls change nothing and are counted by method and code;
//! rotating the file (reload) retires the old token without a restart; the real binary
//! reloads on SIGHUP and refuses a non-loopback address without TLS or tokens.

mod monitor_support;

use std::ffi::OsStr;
use std::sync::{Arc, Mutex};

use monitor_support::{
    last_window_opening, promtool_check_metrics, reserve, spawn_server_process_with,
    start_with_options, test_config,
};
use sentinel::grpc::client::BearerToken;
use sentinel::grpc::gate::RpcObserver;
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::grpc::tokens::{TokenStore, hash_token};
use sentinel::grpc::{ServeOptions, pb};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

const INGEST: &str = "ingest-token-0123456789abcdef";
const READ: &str = "read-token-0123456789abcdef";
const ADMIN: &str = "admin-token-0123456789abcdef";

type Authed = MonitorServiceClient<InterceptedService<Channel, BearerToken>>;

fn tokens_file(dir: &std::path::Path, entries: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let path = dir.join("tokens.toml");
    let text: String = entries
        .iter()
        .map(|(name, role, token)| {
            format!(
                "[[token]]\nname = \"{name}\"\nrole = \"{role}\"\nsha256 = \"{}\"\n",
                hash_token(token)
            )
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    path
}

/// Every call outcome, as (method label, code).
#[derive(Default)]
struct Outcomes(Mutex<Vec<(String, Code)>>);

impl RpcObserver for Outcomes {
    fn on_rpc(&self, method: &str, code: Code, _seconds: f64) {
        self.0.lock().unwrap().push((method.to_owned(), code));
    }
    fn on_connection_rejected(&self, _limit: usize) {}
}

async fn client(url: &str, token: Option<&str>) -> Authed {
    let channel = Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    MonitorServiceClient::with_interceptor(channel, BearerToken::new(token).unwrap())
}

fn one_event(opens: i64, id: &str) -> pb::RecordWithdrawalsRequest {
    pb::RecordWithdrawalsRequest {
        events: vec![pb::WithdrawalEvent {
            event_id: id.into(),
            account_id: "acct".into(),
            cohort: pb::Cohort::Retail as i32,
            amount_minor: 15_000,
            currency: "IDR".into(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: (opens + 3_600_000) / 1000,
                nanos: 0,
            }),
            kind: pb::EventKind::Withdrawal as i32,
        }],
    }
}

#[tokio::test]
async fn each_role_may_call_only_its_rpcs_and_a_missing_token_is_unauthenticated() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let opens = last_window_opening(&config);
    let path = tokens_file(
        dir.path(),
        &[
            ("ledger", "ingest", INGEST),
            ("grafana", "read", READ),
            ("ops", "admin", ADMIN),
        ],
    );
    let outcomes = Arc::new(Outcomes::default());
    let options = ServeOptions {
        tokens: Some(Arc::new(TokenStore::load(&path).unwrap())),
        observer: Some(outcomes.clone()),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;

    let mut anonymous = client(&server.url, None).await;
    let status = anonymous
        .record_withdrawals(one_event(opens, "a"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let status = anonymous
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let mut stranger = client(&server.url, Some("not-a-known-token-at-all")).await;
    let status = stranger.set_reserve(reserve(1)).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    let mut read = client(&server.url, Some(READ)).await;
    let status = read
        .record_withdrawals(one_event(opens, "b"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("needs `ingest`"), "{status:?}");
    let stream = tokio_stream::iter(vec![sentinel::grpc::request_of_event(
        one_event(opens, "c").events.remove(0),
    )]);
    let status = read.ingest_withdrawals(stream).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert_eq!(
        server.engine.inputs().events_total,
        0,
        "refused calls stored nothing"
    );

    let mut ingest = client(&server.url, Some(INGEST)).await;
    let status = ingest.set_reserve(reserve(5)).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("needs `admin`"), "{status:?}");
    let ack = ingest
        .record_withdrawals(one_event(opens, "d"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ack.accepted, 1);
    assert!(
        read.get_projection(pb::GetProjectionRequest {})
            .await
            .is_ok()
    );

    let mut admin = client(&server.url, Some(ADMIN)).await;
    let reply = admin
        .set_reserve(reserve(7_000_000_000))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.total_reserve_idr, 7_000_000_000);
    assert!(
        admin
            .get_projection(pb::GetProjectionRequest {})
            .await
            .is_ok()
    );

    let channel = Channel::from_shared(server.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health needs no token");
    assert_eq!(health.into_inner().status, 1);

    let seen = outcomes.0.lock().unwrap().clone();
    let count = |method: &str, code: Code| {
        seen.iter()
            .filter(|(m, c)| m == &format!("sentinel.v1.MonitorService/{method}") && *c == code)
            .count()
    };
    assert_eq!(
        count("RecordWithdrawals", Code::Unauthenticated),
        1,
        "{seen:?}"
    );
    assert_eq!(
        count("RecordWithdrawals", Code::PermissionDenied),
        1,
        "{seen:?}"
    );
    assert_eq!(count("RecordWithdrawals", Code::Ok), 1, "{seen:?}");
    assert_eq!(count("SetReserve", Code::PermissionDenied), 1, "{seen:?}");
    assert_eq!(count("SetReserve", Code::Ok), 1, "{seen:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_rotated_tokens_file_takes_effect_on_reload_and_a_broken_one_keeps_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let path = tokens_file(dir.path(), &[("grafana", "read", READ)]);
    let store = Arc::new(TokenStore::load(&path).unwrap());
    let options = ServeOptions {
        tokens: Some(store.clone()),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;
    let mut old = client(&server.url, Some(READ)).await;
    assert!(
        old.get_projection(pb::GetProjectionRequest {})
            .await
            .is_ok()
    );

    const ROTATED: &str = "read-token-rotated-fedcba9876543210";
    tokens_file(dir.path(), &[("grafana", "read", ROTATED)]);
    assert_eq!(store.reload().unwrap(), 1);
    let status = old
        .get_projection(pb::GetProjectionRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let mut new = client(&server.url, Some(ROTATED)).await;
    assert!(
        new.get_projection(pb::GetProjectionRequest {})
            .await
            .is_ok()
    );

    std::fs::write(&path, "[[token]]\nname = \"x\"\n").unwrap();
    assert!(store.reload().is_err());
    assert!(
        new.get_projection(pb::GetProjectionRequest {})
            .await
            .is_ok(),
        "a broken file keeps the tokens in force"
    );
    server.stop().await;
}

#[test]
fn the_binary_refuses_a_non_loopback_address_without_tls_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "serve",
            "--grpc-addr",
            "0.0.0.0:0",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("SENTINEL_TOKENS_FILE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("allow_plaintext_remote"), "{stderr}");
}

#[test]
fn the_binary_reloads_its_tokens_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let path = tokens_file(dir.path(), &[("grafana", "read", READ)]);
    let config = dir.path().join("sentinel.toml");
    std::fs::write(&config, "[access]\ntokens_reload_seconds = 3600.0\n").unwrap();
    let (mut child, url) = spawn_server_process_with(
        &dir.path().join("data"),
        &[OsStr::new("--config"), config.as_os_str()],
        &[("SENTINEL_TOKENS_FILE", path.as_os_str())],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    const ROTATED: &str = "read-token-after-sighup-0123456789";
    let outcome = runtime.block_on(async {
        let mut old = client(&url, Some(READ)).await;
        assert!(
            old.get_projection(pb::GetProjectionRequest {})
                .await
                .is_ok()
        );
        tokens_file(dir.path(), &[("grafana", "read", ROTATED)]);
        let mut new = client(&url, Some(ROTATED)).await;
        let before = new.get_projection(pb::GetProjectionRequest {}).await;
        assert_eq!(
            before.unwrap_err().code(),
            Code::Unauthenticated,
            "not before the signal"
        );
        let killed = std::process::Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        for _ in 0..200 {
            if new
                .get_projection(pb::GetProjectionRequest {})
                .await
                .is_ok()
            {
                return old.get_projection(pb::GetProjectionRequest {}).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the rotated token was never accepted after SIGHUP");
    });
    assert_eq!(outcome.unwrap_err().code(), Code::Unauthenticated);
    child.kill().unwrap();
    let _ = child.wait();
}

/// GET `/metrics` at `addr` (plain HTTP/1.1); the body.
fn scrape(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[test]
fn the_binary_exports_per_rpc_metrics_that_promtool_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = tokens_file(dir.path(), &[("grafana", "read", READ)]);
    let metrics_addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sentinel"))
        .args([
            "serve",
            "--grpc-addr",
            "127.0.0.1:0",
            "--metrics-addr",
            &metrics_addr,
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--tokens-file")
        .arg(&path)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = format!("http://{}", line.trim().rsplit(' ').next().unwrap());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut anonymous = client(&url, None).await;
        assert!(
            anonymous
                .get_projection(pb::GetProjectionRequest {})
                .await
                .is_err()
        );
        let mut read = client(&url, Some(READ)).await;
        let denied = read.set_reserve(reserve(1)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    });
    let text = scrape(&metrics_addr);
    let method = "sentinel.v1.MonitorService";
    for series in [
        format!(
            "sentinel_grpc_requests_total{{code=\"UNAUTHENTICATED\",method=\"{method}/GetProjection\"}} 1"
        ),
        format!(
            "sentinel_grpc_requests_total{{code=\"PERMISSION_DENIED\",method=\"{method}/SetReserve\"}} 1"
        ),
        format!("sentinel_grpc_request_duration_seconds_count{{method=\"{method}/SetReserve\"}} 1"),
    ] {
        assert!(text.contains(&series), "{series} missing:\n{text}");
    }
    let ours: String = text
        .lines()
        .filter(|l| l.contains("sentinel_grpc_"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (clean, findings) = promtool_check_metrics(&ours);
    assert!(clean && findings.is_empty(), "promtool: {findings}");
    child.kill().unwrap();
    let _ = child.wait();
}
