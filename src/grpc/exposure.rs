//! What `sentinel serve` may expose: plaintext and unauthenticated serving are allowed on
//! loopback addresses (with a warning); elsewhere only with the explicit
//! `access.allow_plaintext_remote` / `access.allow_unauthenticated_remote`.

use std::net::SocketAddr;

use crate::config::access::AccessConfig;

/// A listener refused by the exposure rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExposureError(pub String);

/// Checks one listener (`what`: "gRPC" or "metrics") at `addr`; `authenticated` when role
/// tokens guard it. Returns the warnings to log loudly.
pub fn check_exposure(
    access: &AccessConfig,
    what: &str,
    addr: SocketAddr,
    authenticated: bool,
) -> Result<Vec<String>, ExposureError> {
    let loopback = addr.ip().is_loopback();
    let mut warnings = Vec::new();
    if !access.tls_enabled() {
        if loopback {
            warnings.push(format!(
                "{what} on {addr} is PLAINTEXT (no TLS): fine on loopback; set \
                 access.tls_cert_path and access.tls_key_path before exposing it"
            ));
        } else if access.allow_plaintext_remote {
            warnings.push(format!(
                "{what} on {addr} is PLAINTEXT on a non-loopback address \
                 (access.allow_plaintext_remote = true): anything on the network can read it"
            ));
        } else {
            return Err(ExposureError(format!(
                "refusing to serve {what} in plaintext on the non-loopback address {addr}: \
                 set access.tls_cert_path and access.tls_key_path, or \
                 access.allow_plaintext_remote = true (--allow-plaintext-remote) behind a \
                 TLS-terminating proxy"
            )));
        }
    }
    if !authenticated {
        if loopback {
            warnings.push(format!(
                "{what} on {addr} has NO AUTHENTICATION: anyone on this host may ingest \
                 withdrawals and replace the reserve; set access.tokens_file (or \
                 SENTINEL_TOKENS_FILE)"
            ));
        } else if access.allow_unauthenticated_remote {
            warnings.push(format!(
                "{what} on {addr} has NO AUTHENTICATION on a non-loopback address \
                 (access.allow_unauthenticated_remote = true)"
            ));
        } else {
            return Err(ExposureError(format!(
                "refusing to serve {what} without tokens on the non-loopback address {addr}: \
                 set access.tokens_file (or SENTINEL_TOKENS_FILE), or \
                 access.allow_unauthenticated_remote = true (--allow-unauthenticated-remote)"
            )));
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls() -> AccessConfig {
        AccessConfig {
            tls_cert_path: "c.pem".into(),
            tls_key_path: "k.pem".into(),
            ..AccessConfig::default()
        }
    }

    #[test]
    fn loopback_may_be_plaintext_and_open_with_warnings() {
        let addr = "127.0.0.1:50051".parse().unwrap();
        let warnings = check_exposure(&AccessConfig::default(), "gRPC", addr, false).unwrap();
        assert_eq!(warnings.len(), 2);
        assert!(warnings[0].contains("PLAINTEXT") && warnings[1].contains("NO AUTHENTICATION"));
        assert!(
            check_exposure(&tls(), "gRPC", addr, true)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn elsewhere_plaintext_or_open_needs_the_explicit_flag() {
        let addr = "0.0.0.0:50051".parse().unwrap();
        let error = check_exposure(&AccessConfig::default(), "gRPC", addr, true).unwrap_err();
        assert!(error.0.contains("allow_plaintext_remote"), "{error}");
        let error = check_exposure(&tls(), "gRPC", addr, false).unwrap_err();
        assert!(error.0.contains("allow_unauthenticated_remote"), "{error}");
        assert!(
            check_exposure(&tls(), "gRPC", addr, true)
                .unwrap()
                .is_empty()
        );
        let mut allowed = AccessConfig {
            allow_plaintext_remote: true,
            allow_unauthenticated_remote: true,
            ..AccessConfig::default()
        };
        assert_eq!(
            check_exposure(&allowed, "gRPC", addr, false).unwrap().len(),
            2
        );
        allowed.allow_unauthenticated_remote = false;
        assert!(check_exposure(&allowed, "gRPC", addr, false).is_err());
    }
}
