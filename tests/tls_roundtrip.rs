//! TLS with a test CA made at test time (rcgen): a gRPC round trip, refused without the
//! CA or in plaintext; mutual TLS refuses a client without a certificate; the metrics
//! endpoint answers over TLS too.

mod monitor_support;

use std::sync::Arc;

use monitor_support::pki::test_pki;
use monitor_support::{start_with_options, test_config, to_pb, weekend_events};
use sentinel::config::ScenarioName;
use sentinel::grpc::client::{ClientAccess, connect_channel};
use sentinel::grpc::pb::monitor_service_client::MonitorServiceClient;
use sentinel::grpc::tls::TlsFiles;
use sentinel::grpc::{ServeOptions, pb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

fn access(ca: &str, identity: Option<(&str, &str)>) -> ClientAccess {
    ClientAccess {
        ca_pem: Some(ca.as_bytes().to_vec()),
        identity_pem: identity.map(|(c, k)| (c.as_bytes().to_vec(), k.as_bytes().to_vec())),
        domain: Some("localhost".into()),
        token: None,
    }
}

/// Records 10 events over `channel`; the number accepted.
async fn record(channel: tonic::transport::Channel, events: &[pb::WithdrawalEvent]) -> u64 {
    let mut client = MonitorServiceClient::new(channel);
    let batch = pb::RecordWithdrawalsRequest {
        events: events.to_vec(),
    };
    client
        .record_withdrawals(batch)
        .await
        .unwrap()
        .into_inner()
        .accepted
}

#[tokio::test]
async fn a_grpc_round_trip_over_tls_with_a_test_ca_and_refusals_without_it() {
    let pki = test_pki();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 5);
    let events: Vec<_> = events.iter().take(10).map(to_pb).collect();
    let options = ServeOptions {
        tls: Some(TlsFiles::from_pem(&pki.server.cert, &pki.server.key, None)),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;
    let addr = server.url.trim_start_matches("https://").to_owned();

    let channel = connect_channel(&addr, &access(&pki.ca, None))
        .await
        .unwrap();
    assert_eq!(record(channel, &events).await, 10);
    assert_eq!(server.engine.inputs().events_total, 10);

    let other_ca = test_pki().ca;
    let refused = async {
        let channel = connect_channel(&addr, &access(&other_ca, None)).await?;
        MonitorServiceClient::new(channel)
            .get_projection(pb::GetProjectionRequest {})
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    assert!(
        refused.await.is_err(),
        "a certificate from another CA is refused"
    );
    let plaintext = async {
        let channel = connect_channel(&addr, &ClientAccess::default()).await?;
        MonitorServiceClient::new(channel)
            .get_projection(pb::GetProjectionRequest {})
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    assert!(plaintext.await.is_err(), "plaintext is refused");
    server.stop().await;
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let pki = test_pki();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let (_, events) = weekend_events(&config, ScenarioName::Normal, 6);
    let events: Vec<_> = events.iter().take(3).map(to_pb).collect();
    let tls = TlsFiles::from_pem(&pki.server.cert, &pki.server.key, Some(&pki.ca));
    assert!(tls.mutual());
    let options = ServeOptions {
        tls: Some(tls),
        ..ServeOptions::default()
    };
    let server = start_with_options(config, options).await;
    let addr = server.url.trim_start_matches("https://").to_owned();

    let without = async {
        let channel = connect_channel(&addr, &access(&pki.ca, None)).await?;
        MonitorServiceClient::new(channel)
            .get_projection(pb::GetProjectionRequest {})
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    };
    assert!(without.await.is_err(), "no client certificate, no call");
    let identity = Some((pki.client.cert.as_str(), pki.client.key.as_str()));
    let channel = connect_channel(&addr, &access(&pki.ca, identity))
        .await
        .unwrap();
    assert_eq!(record(channel, &events).await, 3);
    server.stop().await;
}

/// GET `path` over TLS trusting `ca`; the raw HTTP response.
async fn https_get(addr: std::net::SocketAddr, ca: &str, path: &str) -> std::io::Result<String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(ca.as_bytes()) {
        let cert: rustls::pki_types::CertificateDer = cert.unwrap();
        roots.add(cert).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut stream = connector.connect(name, tcp).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

#[tokio::test]
async fn the_metrics_endpoint_serves_over_tls() {
    let pki = test_pki();
    let tls = TlsFiles::from_pem(&pki.server.cert, &pki.server.key, None);
    let metrics = Arc::new(sentinel::metrics::Metrics::new().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_health_sender, health) =
        tokio::sync::watch::channel(sentinel::service::StoreHealth::Writable);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(sentinel::metrics::serve_metrics_tls(
        listener,
        metrics,
        health,
        tls.rustls_config().unwrap(),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    let response = https_get(addr, &pki.ca, "/metrics").await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("sentinel_build_info"), "{response}");
    let response = https_get(addr, &pki.ca, "/healthz").await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200") && response.ends_with("ok\n"));
    assert!(
        https_get(addr, &test_pki().ca, "/metrics").await.is_err(),
        "a client that does not trust the CA fails the handshake"
    );
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();
}
