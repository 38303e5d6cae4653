//! The Python ledger client (clients/python, grpcio: one DATA frame per event) against the
//! real `sentinel serve`: summary counts, an unpaced stream of 200k events with zero
//! disconnects, batches, and INVALID_ARGUMENT on a bad event. Needs a Python with grpcio
//! and grpcio-tools: `SENTINEL_PYTHON`, which `scripts/test` sets after installing them.

mod monitor_support;

use std::process::Command;

use monitor_support::spawn_server_process;
use serde_json::Value;

fn python() -> String {
    std::env::var("SENTINEL_PYTHON").unwrap_or_else(|_| {
        panic!("SENTINEL_PYTHON is not set: run scripts/test, which installs grpcio into a venv")
    })
}

/// Runs the client with `args`; returns its JSON lines.
fn client(addr: &str, args: &[&str]) -> Vec<Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/clients/python/ledger_client.py"
    );
    let output = Command::new(python())
        .arg(script)
        .args(["--addr", addr])
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.trim().is_empty(),
        "no output; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn the_python_client_streams_unpaced_without_a_disconnect_and_sees_invalid_argument() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server_process(dir.path(), None);
    let addr = url.trim_start_matches("http://");

    let runs = client(addr, &["--events", "200000", "--mode", "events"]);
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["status"], "OK", "{run}");
    assert_eq!(run["disconnected"], false, "{run}");
    assert_eq!(
        (run["received"].as_u64(), run["accepted"].as_u64()),
        (Some(200_000), Some(200_000))
    );
    assert_eq!(run["duplicates"], 0);

    let runs = client(
        addr,
        &[
            "--events",
            "50000",
            "--mode",
            "batches",
            "--batch-size",
            "2000",
        ],
    );
    assert_eq!(runs[0]["status"], "OK", "{}", runs[0]);
    assert_eq!(runs[0]["accepted"], 50_000);

    let bad = &client(addr, &["--bad-event"])[0];
    assert_eq!(bad["status"], "INVALID_ARGUMENT", "{bad}");
    assert_eq!(bad["field"], "amount_minor", "{bad}");
    assert_eq!(bad["accepted"], 2, "{bad}");
    assert!(
        bad["message"].as_str().unwrap().contains("`amount_minor`"),
        "{bad}"
    );

    server.kill().unwrap();
    let _ = server.wait();
}

#[test]
fn the_python_client_sends_gzip_over_tls_with_a_role_token() {
    use monitor_support::pki::test_pki;
    use std::ffi::OsStr;
    let dir = tempfile::tempdir().unwrap();
    let pki = test_pki();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca = write("ca.pem", &pki.ca);
    let cert = write("server.pem", &pki.server.cert);
    let key = write("server.key", &pki.server.key);
    const INGEST: &str = "python-ingest-token-0123456789";
    const READ: &str = "python-read-token-0123456789";
    let tokens = write(
        "tokens.toml",
        &format!(
            "[[token]]\nname = \"ledger\"\nrole = \"ingest\"\nsha256 = \"{}\"\n\
             [[token]]\nname = \"grafana\"\nrole = \"read\"\nsha256 = \"{}\"\n",
            sentinel::grpc::tokens::hash_token(INGEST),
            sentinel::grpc::tokens::hash_token(READ)
        ),
    );
    let args: Vec<&OsStr> = vec![
        OsStr::new("--tls-cert"),
        cert.as_os_str(),
        OsStr::new("--tls-key"),
        key.as_os_str(),
        OsStr::new("--tokens-file"),
        tokens.as_os_str(),
    ];
    let (mut server, url) =
        monitor_support::spawn_server_process_with(&dir.path().join("data"), &args, &[]);
    let addr = url.trim_start_matches("http://");
    let run =
        |token: &str| {
            let output = Command::new(python())
                .arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/clients/python/ledger_client.py"
                ))
                .args([
                    "--addr", addr, "--events", "3000", "--mode", "batches", "--gzip",
                ])
                .arg("--tls-ca")
                .arg(&ca)
                .env("SENTINEL_TOKEN", token)
                .output()
                .expect("python runs");
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            serde_json::from_str::<Value>(stdout.lines().next().unwrap_or_else(|| {
                panic!("no output: {}", String::from_utf8_lossy(&output.stderr))
            }))
            .unwrap()
        };
    let ok = run(INGEST);
    assert_eq!(ok["status"], "OK", "{ok}");
    assert_eq!(ok["accepted"], 3_000, "{ok}");
    let denied = run(READ);
    assert_eq!(denied["status"], "PERMISSION_DENIED", "{denied}");
    server.kill().unwrap();
    let _ = server.wait();
}
