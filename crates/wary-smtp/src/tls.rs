//! TLS configuration over rustls (ring provider): TLS 1.2 or 1.3 only, certificates always
//! verified against the system's trust roots or, when given, a CA file alone, and the host
//! name always checked. Nothing here can turn verification off.

use crate::proto::{TlsInfo, TlsVersion};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which certificate authorities to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's trust store.
    System,
    /// Only the certificates in this PEM file (the system store is not used).
    CaFile(PathBuf),
}

/// Why TLS could not be configured. The caller (or the machine's setup) is at fault.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The CA file cannot be read or holds no usable certificate.
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The system trust store holds no usable certificate.
    NoSystemRoots(String),
    /// The name to verify is neither a DNS name nor an IP address.
    BadServerName(String),
    /// rustls refused the configuration.
    Rustls(rustls::Error),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::CaFile { path, reason } => {
                write!(f, "cannot use CA file {}: {reason}", path.display())
            }
            TlsConfigError::NoSystemRoots(why) => {
                write!(
                    f,
                    "no usable certificate in the system trust store ({why}); give --ca-file"
                )
            }
            TlsConfigError::BadServerName(n) => {
                write!(
                    f,
                    "{n:?} is not a valid TLS server name (DNS name or IP address)"
                )
            }
            TlsConfigError::Rustls(e) => write!(f, "TLS configuration refused: {e}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::Rustls(e) => Some(e),
            _ => None,
        }
    }
}

/// The crypto provider wary uses everywhere (ring).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds a verifying client configuration: TLS 1.3 and 1.2, the given trust roots, no
/// client certificate.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    match trust {
        Trust::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map_or("none found".to_owned(), |e| e.to_string());
                return Err(TlsConfigError::NoSystemRoots(why));
            }
        }
        Trust::CaFile(path) => load_ca_file(&mut roots, path)?,
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsConfigError::Rustls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn load_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsConfigError> {
    let err = |reason: String| TlsConfigError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err("no PEM certificate in it".to_owned()));
    }
    for cert in certs {
        roots.add(cert).map_err(|e| err(e.to_string()))?;
    }
    Ok(())
}

/// Checks and converts the name the certificate must match.
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsConfigError> {
    // Accept `[::1]` as well as `::1`.
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    ServerName::try_from(bare.to_owned())
        .map_err(|_| TlsConfigError::BadServerName(name.to_owned()))
}

/// Describes an established connection for the delivery report.
pub fn session_info(conn: &rustls::ClientConnection, server_name: &str) -> TlsInfo {
    let version = conn
        .protocol_version()
        .map_or(TlsVersion::Unknown, |v| TlsVersion::from_code(v.into()));
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .and_then(|s| s.suite().as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let peer_subject = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| subject(c));
    TlsInfo {
        version,
        cipher_suite,
        peer_subject,
        server_name: server_name.to_owned(),
    }
}

/// The subject of a DER certificate in RFC 4514 form (`CN=mx.example.org, O=...`).
pub fn subject(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.subject().to_string())
}
