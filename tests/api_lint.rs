//! The gRPC API passes `buf lint` (STANDARD rules, `buf.yaml` at the repository root) and
//! is formatted as `buf format` writes it. Needs the `buf` CLI: `SENTINEL_BUF`, which
//! `scripts/test` sets after installing the pinned npm package `@bufbuild/buf`.

use std::process::Command;

fn buf() -> String {
    std::env::var("SENTINEL_BUF").unwrap_or_else(|_| {
        panic!("SENTINEL_BUF is not set: run scripts/test, which installs buf (npm @bufbuild/buf)")
    })
}

/// Runs `buf` with `args` in the repository root; returns (success, stdout + stderr).
fn run_buf(args: &[&str]) -> (bool, String) {
    let output = Command::new(buf())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (SENTINEL_BUF): {e}", buf()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn the_api_passes_buf_lint_standard() {
    let (ok, findings) = run_buf(&["lint"]);
    assert!(ok, "buf lint findings:\n{findings}");
    assert!(findings.trim().is_empty(), "{findings}");
}

#[test]
fn the_proto_is_formatted_as_buf_format_writes_it() {
    let (ok, diff) = run_buf(&["format", "--diff", "--exit-code"]);
    assert!(ok, "run `buf format -w`:\n{diff}");
}

#[test]
fn buf_lint_sees_the_proto_and_would_report_a_bad_name() {
    // The check is live: the same module with a service not named `*Service` fails.
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto/sentinel/v1");
    std::fs::create_dir_all(&proto).unwrap();
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/proto/sentinel/v1/monitor.proto"
    ))
    .unwrap();
    assert!(source.contains("service MonitorService {"));
    let renamed = source.replace("service MonitorService {", "service Monitor {");
    std::fs::write(proto.join("monitor.proto"), renamed).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/buf.yaml"),
        dir.path().join("buf.yaml"),
    )
    .unwrap();
    let output = Command::new(buf())
        .arg("lint")
        .current_dir(dir.path())
        .output()
        .expect("buf runs");
    let findings = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{findings}");
    assert!(
        findings.contains("Service name \"Monitor\" should be suffixed with \"Service\""),
        "{findings}"
    );
}
