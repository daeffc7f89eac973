//! TLS configuration over rustls (ring provider): TLS 1.2 or 1.3 only, certificates always
//! verified against the system's trust roots or, when given, a CA file alone, or by the
//! caller's own `rustls::ClientConfig`. The host name is always checked, by rustls and again
//! by wary after the handshake (so a caller's verifier that accepts anything cannot let a
//! wrong name through); only
//! [`danger_accept_invalid_hostnames`](crate::client::ClientConfigBuilder::danger_accept_invalid_hostnames)
//! turns the name check off, and never the chain check of wary's own configurations.

use crate::proto::{TlsInfo, TlsVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
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
    let roots = roots(trust)?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsConfigError::Rustls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// [`client_config`] whose verifier checks the chain and everything else but not the host
/// name: for `danger_accept_invalid_hostnames` only.
fn client_config_any_name(trust: &Trust) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(trust)?), provider())
        .build()
        .map_err(|e| TlsConfigError::Rustls(rustls::Error::General(e.to_string())))?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(TlsConfigError::Rustls)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyName(inner)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// What the TLS handshake needs: the rustls configuration, the name to check and whether
/// wary checks it itself after the handshake.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) name: ServerName<'static>,
    pub(crate) name_text: String,
    pub(crate) check_name: bool,
}

/// The handshake's target for `config`, or `None` in plain-text mode. Built before any
/// traffic, so a bad CA file or name is reported first.
pub(crate) fn target(config: &crate::ClientConfig) -> Result<Option<Target>, TlsConfigError> {
    use crate::client::config::TlsSource;
    if config.tls_mode() == crate::proto::TlsMode::DangerPlainText {
        return Ok(None);
    }
    let name_text = config.tls_server_name().to_owned();
    let name = server_name(&name_text)?;
    let danger = config.accepts_invalid_hostnames();
    let tls = match (config.tls_source(), danger) {
        (TlsSource::Rustls(c), _) => c.clone(),
        (TlsSource::Trust(t), false) => client_config(t)?,
        (TlsSource::Trust(t), true) => client_config_any_name(t)?,
    };
    Ok(Some(Target {
        config: tls,
        name,
        name_text,
        check_name: !danger,
    }))
}

/// wary's own host-name check of the server's end-entity certificate (RFC 6125 through
/// webpki), whatever verifier ran in the handshake.
pub(crate) fn check_name(
    conn: &rustls::ClientConnection,
    name: &ServerName<'_>,
) -> Result<(), rustls::Error> {
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or(rustls::Error::NoCertificatesPresented)?;
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, name)
}

/// A webpki verifier that lets a name mismatch pass and nothing else: rustls checks the
/// chain before the name, so `NotValidForName` means the chain was good.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

fn roots(trust: &Trust) -> Result<RootCertStore, TlsConfigError> {
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
    Ok(roots)
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
