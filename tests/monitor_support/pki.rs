//! A test CA made at test time (rcgen): a server certificate for `localhost` and
//! 127.0.0.1, and a client certificate for mutual TLS.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

/// PEM text of a certificate and its key.
#[derive(Debug, Clone)]
pub struct Pem {
    /// The certificate.
    pub cert: String,
    /// Its private key.
    pub key: String,
}

/// A CA, a server and a client certificate it signed.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA's certificate (its key is dropped).
    pub ca: String,
    /// Server: `localhost`, 127.0.0.1.
    pub server: Pem,
    /// Client (mutual TLS).
    pub client: Pem,
}

fn leaf(names: &[&str], usage: ExtendedKeyUsagePurpose, issuer: &Issuer<'_, KeyPair>) -> Pem {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// A fresh CA, server and client.
pub fn test_pki() -> TestPki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "sentinel test CA");
    let key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&key).unwrap().pem();
    let issuer = Issuer::new(params, key);
    TestPki {
        ca,
        server: leaf(
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
            &issuer,
        ),
        client: leaf(&["ledger"], ExtendedKeyUsagePurpose::ClientAuth, &issuer),
    }
}
