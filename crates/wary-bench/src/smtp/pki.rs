//! The SMTP benchmark's throw-away PKI, generated per run with rcgen: a test CA (written to a
//! PEM file the clients are told to trust) and a `localhost`/`127.0.0.1` certificate it
//! signed, served by the sink. Every client verifies the sink's certificate against this CA:
//! the benchmark measures verified TLS, as used in production, not a shortcut.

use anyhow::{Context, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::PathBuf;
use std::sync::Arc;

/// The name the clients verify the certificate against.
pub const SERVER_NAME: &str = "localhost";

/// A CA file for the clients and the sink's TLS configuration.
pub struct Pki {
    /// The CA certificate, PEM, in a file of the run's folder.
    pub ca_file: PathBuf,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The sink's TLS configuration (TLS 1.2 and 1.3, ring, the signed certificate).
    pub server: Arc<rustls::ServerConfig>,
}

/// Generates a CA and a server certificate, and writes the CA to `dir/ca.pem`.
pub fn generate(dir: &std::path::Path) -> Result<Pki> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wary-bench test CA");
    let ca = ca_params.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    // rcgen turns "127.0.0.1" into an IP address subject alternative name.
    let mut params = CertificateParams::new(vec![SERVER_NAME.to_owned(), "127.0.0.1".to_owned()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let ca_file = dir.join("ca.pem");
    let ca_pem = ca.pem();
    std::fs::write(&ca_file, &ca_pem)
        .with_context(|| format!("cannot write {}", ca_file.display()))?;
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )?;
    Ok(Pki {
        ca_file,
        ca_pem,
        server: Arc::new(server),
    })
}
