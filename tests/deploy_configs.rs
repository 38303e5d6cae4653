//! The Prometheus rules and the Alertmanager config, checked by the real tools.
//! `promtool` and `amtool` come from Debian's `prometheus` and `prometheus-alertmanager`
//! (installed by `scripts/test`); a missing tool fails the test, it is never skipped.

use std::path::Path;
use std::process::Command;

fn deploy(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
        .display()
        .to_string()
}

fn run_tool(tool: &str, args: &[&str]) {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install Debian's prometheus and prometheus-alertmanager (scripts/test does)")
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn promtool_accepts_the_rules() {
    run_tool(
        "promtool",
        &["check", "rules", &deploy("prometheus/rules.yml")],
    );
}

#[test]
fn promtool_unit_tests_of_every_alert_pass() {
    run_tool(
        "promtool",
        &["test", "rules", &deploy("prometheus/rules_test.yml")],
    );
}

#[test]
fn promtool_accepts_the_prometheus_config() {
    run_tool(
        "promtool",
        &["check", "config", &deploy("prometheus/prometheus.yml")],
    );
}

#[test]
fn amtool_accepts_the_alertmanager_config() {
    run_tool(
        "amtool",
        &["check-config", &deploy("alertmanager/alertmanager.yml")],
    );
}

#[test]
fn every_alerting_rule_has_a_unit_test_and_a_runbook_entry() {
    let rules = std::fs::read_to_string(deploy("prometheus/rules.yml")).unwrap();
    let tests = std::fs::read_to_string(deploy("prometheus/rules_test.yml")).unwrap();
    let runbook = std::fs::read_to_string(deploy("README.md")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert!(alerts.len() >= 8, "{alerts:?}");
    for alert in alerts {
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{alert} has no promtool test"
        );
        assert!(
            runbook.contains(&format!("### {alert}")),
            "{alert} has no runbook entry"
        );
    }
}

/// The services of the compose file, each with its block of lines (two-space indented
/// names under `services:`; the file is plain block YAML).
fn compose_services() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(deploy("docker-compose.yml")).unwrap();
    let body = text
        .split("\nservices:\n")
        .nth(1)
        .unwrap()
        .split("\nvolumes:\n")
        .next()
        .unwrap();
    let mut services: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        let is_name = line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if is_name && !line.trim_start().starts_with('#') {
            services.push((line.trim().trim_end_matches(':').to_owned(), String::new()));
        } else if let Some((_, block)) = services.last_mut() {
            block.push_str(line);
            block.push('\n');
        }
    }
    services
}

#[test]
fn compose_publishes_on_loopback_with_healthchecks_and_volumes() {
    let services = compose_services();
    let names: Vec<&str> = services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "sentinel",
            "prometheus",
            "alertmanager",
            "pager-webhook",
            "grafana"
        ]
    );
    for (name, block) in &services {
        assert!(
            block.contains("    healthcheck:\n"),
            "{name} has no healthcheck"
        );
        for port in block.lines().filter(|l| l.trim_start().starts_with("- \"")) {
            if block.contains("    ports:\n") && port.contains(':') && !port.contains('/') {
                assert!(
                    port.trim()
                        .starts_with("- \"${PUBLISH_ADDRESS:-127.0.0.1}:"),
                    "{name} publishes {port} beyond loopback by default"
                );
            }
        }
    }
    let block = |name: &str| &services.iter().find(|(n, _)| n == name).unwrap().1;
    assert!(block("prometheus").contains("- prometheus-data:/prometheus"));
    assert!(block("sentinel").contains("- sentinel-data:/var/lib/sentinel"));
    assert!(
        block("grafana").contains("${GRAFANA_ADMIN_PASSWORD:?"),
        "Grafana has no admin/admin default"
    );
    // Alertmanager's webhooks name a service of the stack.
    let am = std::fs::read_to_string(deploy("alertmanager/alertmanager.yml")).unwrap();
    for url in am.lines().filter_map(|l| l.trim().strip_prefix("- url: ")) {
        let host = url.trim_matches('"').split("//").nth(1).unwrap();
        let host = host.split(':').next().unwrap();
        assert!(
            names.contains(&host),
            "webhook host {host} is not a service"
        );
    }
}

#[test]
fn every_runbook_link_is_absolute_from_the_exported_base() {
    let rules = std::fs::read_to_string(deploy("prometheus/rules.yml")).unwrap();
    let mut alerts = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "));
    let links: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runbook_url: "))
        .collect();
    assert!(links.len() >= 10, "{links:?}");
    for link in links {
        let alert = alerts.next().unwrap();
        assert!(
            link.starts_with("'{{ with query \"max by (base_url) (last_over_time(sentinel_runbook_info[7d]))\" }}"),
            "{alert}: {link}"
        );
        assert!(
            link.ends_with(&format!("#{}'", alert.to_ascii_lowercase())),
            "{alert}: {link}"
        );
    }
}

/// Runs deploy/cargo-source.sh in `dir` with `offline`; exit success and stderr.
fn cargo_source(dir: &Path, offline: &str) -> (bool, String) {
    let output = Command::new("sh")
        .arg(deploy("cargo-source.sh"))
        .arg(offline)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The Dockerfile's offline switch: vendored crates replace crates.io and cargo runs
/// `--offline`; without vendored crates it stops with the command to run.
#[test]
fn the_offline_build_uses_the_vendored_crates_or_says_how_to_vendor() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = cargo_source(dir.path(), "1");
    assert!(
        !ok && stderr.contains("cargo vendor --locked vendor"),
        "{stderr}"
    );

    std::fs::create_dir_all(dir.path().join("vendor/anyhow")).unwrap();
    assert!(cargo_source(dir.path(), "1").0);
    let config = std::fs::read_to_string(dir.path().join(".cargo/config.toml")).unwrap();
    assert!(
        config.contains("replace-with = \"vendored-sources\"")
            && config.contains("directory = \"vendor\"")
    );
    let flag = std::fs::read_to_string(dir.path().join(".cargo/offline-flag")).unwrap();
    assert_eq!(flag.trim(), "--offline");

    let online = tempfile::tempdir().unwrap();
    assert!(cargo_source(online.path(), "0").0);
    let flag = std::fs::read_to_string(online.path().join(".cargo/offline-flag")).unwrap();
    assert_eq!(flag.trim(), "");
    assert!(!online.path().join(".cargo/config.toml").exists());

    // The dependency layer comes before the sources, so a change to src/ reuses it.
    let dockerfile = std::fs::read_to_string(deploy("Dockerfile")).unwrap();
    let stub = dockerfile
        .find("echo 'fn main() {}' > src/main.rs")
        .unwrap();
    assert!(stub < dockerfile.find("COPY src src").unwrap());
    assert!(dockerfile.contains("ARG OFFLINE=0") && dockerfile.contains("HEALTHCHECK"));
}

/// A runbook base that would not open from a pager is refused at start, naming the field.
#[test]
fn a_relative_runbook_base_is_a_config_error() {
    use sentinel::config::{Config, ConfigError};
    for bad in [
        "deploy/README.md",
        "https://",
        "https://wiki/run book",
        "ftp://x/y",
        "https://x/y#a",
    ] {
        let text = format!("[monitor]\nrunbook_base_url = \"{bad}\"\n");
        match Config::from_toml_str(&text) {
            Err(ConfigError::Invalid { field, .. }) => {
                assert_eq!(field, "monitor.runbook_base_url", "{bad}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let good = "[monitor]\nrunbook_base_url = \"https://wiki.example.com/sentinel/runbook\"\n";
    assert!(Config::from_toml_str(good).is_ok());
}

/// Kills the receiver when the test ends.
struct Receiver(std::process::Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 request on loopback; the status code and body, `None` while nothing listens.
fn request(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, response.split_once("\r\n\r\n")?.1.to_owned()))
}

/// The compose's pager webhook: logs one JSON line per alert of an Alertmanager payload
/// and answers 200; a body that is not JSON is a 400, an unknown route a 404.
#[test]
fn the_pager_webhook_logs_every_alert_and_refuses_garbage() {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("python3")
        .arg(deploy("pager-webhook/receiver.py"))
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3");
    let stdout = child.stdout.take().unwrap();
    let _receiver = Receiver(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while request(port, "GET", "/healthz", "").map(|r| r.0) != Some(200) {
        assert!(std::time::Instant::now() < deadline, "receiver not up");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let payload = r#"{"receiver":"treasury-pager","status":"firing","alerts":[
        {"status":"firing","labels":{"alertname":"SentinelDown","severity":"critical"},
         "annotations":{"runbook_url":"https://x.test/runbook#sentineldown"}},
        {"status":"resolved","labels":{"alertname":"SentinelFeedStale","severity":"warning"},
         "annotations":{}}]}"#;
    assert_eq!(request(port, "POST", "/page", payload).unwrap().0, 200);
    assert_eq!(request(port, "POST", "/page", "not json").unwrap().0, 400);
    assert_eq!(request(port, "POST", "/elsewhere", payload).unwrap().0, 404);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["route"], "/page");
    assert_eq!(first["alertname"], "SentinelDown");
    assert_eq!(first["runbook_url"], "https://x.test/runbook#sentineldown");
    let second: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        (&second["status"], &second["severity"]),
        (&"resolved".into(), &"warning".into())
    );
}

#[test]
fn the_container_config_parses_and_states_its_insecure_listeners_explicitly() {
    let text = std::fs::read_to_string(deploy("sentinel.toml")).expect("read");
    let config = sentinel::config::Config::from_toml_str(&text).expect("deploy/sentinel.toml");
    assert_eq!(config.monitor.grpc_addr, "0.0.0.0:50051");
    assert!(
        config.access.allow_plaintext_remote && config.access.allow_unauthenticated_remote,
        "serve refuses 0.0.0.0 without TLS and tokens unless the config says so"
    );
}
