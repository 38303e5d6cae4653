//! TLS material of `[access]`: the server's certificate and key (PEM) and, for mutual
//! TLS, the CA that signs client certificates. One load serves gRPC (tonic) and the
//! metrics endpoint (rustls).

use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::config::access::AccessConfig;

/// Why the TLS material was refused.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// Which setting.
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The PEM or the key pair is not usable.
    #[error("TLS: {0}")]
    Invalid(String),
}

/// The PEM files of `[access]`, read.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    client_ca_pem: Option<Vec<u8>>,
}

fn read(what: &'static str, path: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

impl TlsFiles {
    /// Reads the files `config` names; `None` when TLS is off.
    pub fn load(config: &AccessConfig) -> Result<Option<Self>, TlsError> {
        if !config.tls_enabled() {
            return Ok(None);
        }
        let client_ca_pem = match config.tls_client_ca_path.trim() {
            "" => None,
            path => Some(read("access.tls_client_ca_path", path)?),
        };
        let files = Self {
            cert_pem: read("access.tls_cert_path", &config.tls_cert_path)?,
            key_pem: read("access.tls_key_path", &config.tls_key_path)?,
            client_ca_pem,
        };
        files.rustls_config()?;
        Ok(Some(files))
    }

    /// The material from PEM text (tests).
    pub fn from_pem(cert_pem: &str, key_pem: &str, client_ca_pem: Option<&str>) -> Self {
        Self {
            cert_pem: cert_pem.as_bytes().to_vec(),
            key_pem: key_pem.as_bytes().to_vec(),
            client_ca_pem: client_ca_pem.map(|p| p.as_bytes().to_vec()),
        }
    }

    /// Whether clients must present a certificate.
    pub fn mutual(&self) -> bool {
        self.client_ca_pem.is_some()
    }

    /// The gRPC server's TLS settings.
    pub fn tonic_config(&self) -> ServerTlsConfig {
        let identity = Identity::from_pem(&self.cert_pem, &self.key_pem);
        let config = ServerTlsConfig::new().identity(identity);
        match &self.client_ca_pem {
            Some(ca) => config.client_ca_root(Certificate::from_pem(ca)),
            None => config,
        }
    }

    /// A rustls server configuration (HTTP/1.1) for the metrics endpoint; also checks that
    /// the certificate, key and CA parse and match.
    pub fn rustls_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let invalid = |e: &dyn std::fmt::Display| TlsError::Invalid(e.to_string());
        let certs = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(&format!("access.tls_cert_path: {e}")))?;
        if certs.is_empty() {
            return Err(TlsError::Invalid(
                "access.tls_cert_path: no certificate in the file".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem)
            .map_err(|e| invalid(&format!("access.tls_key_path: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?;
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca) {
                    let cert =
                        cert.map_err(|e| invalid(&format!("access.tls_client_ca_path: {e}")))?;
                    roots.add(cert).map_err(|e| invalid(&e))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| invalid(&e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| invalid(&e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}
