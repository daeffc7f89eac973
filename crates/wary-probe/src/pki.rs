//! The probe's own throw-away PKI, generated per run with rcgen: a test CA the client under
//! test is told to trust (`{ca}`), a server certificate it signed for `localhost` and
//! `127.0.0.1`, and the three certificates a verifying client must refuse: one from a CA the
//! client was never told about, one from the trusted CA for another host name, and one from
//! the trusted CA that expired years ago.
//!
//! Nothing here is secret or long-lived: the keys exist for one run and only ever serve
//! loopback connections.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use std::fmt;
use std::sync::Arc;

/// The host name the trusted server certificate is issued for (`{name}` in client commands).
pub const SERVER_NAME: &str = "localhost";
/// The host name of the wrong-host certificate: a name that can never be the loopback host.
pub const WRONG_NAME: &str = "wrong-host.invalid";

/// Which certificate a scripted server presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// Signed by the test CA for `localhost` and `127.0.0.1`, valid now: the honest server.
    Trusted,
    /// Signed by a second CA the client was never given: must be refused.
    UnknownCa,
    /// Signed by the trusted test CA, but for [`WRONG_NAME`] only: must be refused.
    WrongHost,
    /// Signed by the trusted test CA for the right names, but expired in 2021: must be refused.
    Expired,
}

impl CertKind {
    /// Whether a verifying client may accept this certificate.
    #[must_use]
    pub fn is_trustworthy(self) -> bool {
        self == CertKind::Trusted
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertKind::Trusted => "the trusted test certificate",
            CertKind::UnknownCa => "a certificate from an unknown CA",
            CertKind::WrongHost => "a certificate for the wrong host name",
            CertKind::Expired => "an expired certificate",
        })
    }
}

/// Why the test PKI could not be generated (a fault in the probe or its crypto library).
#[derive(Debug)]
#[non_exhaustive]
pub enum PkiError {
    /// rcgen refused the parameters or failed to sign.
    Generate(rcgen::Error),
    /// rustls refused the generated certificate or key.
    Rustls(rustls::Error),
}

impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PkiError::Generate(e) => write!(f, "generating the test PKI failed: {e}"),
            PkiError::Rustls(e) => write!(f, "rustls refused the test PKI: {e}"),
        }
    }
}

impl std::error::Error for PkiError {}

impl From<rcgen::Error> for PkiError {
    fn from(e: rcgen::Error) -> Self {
        PkiError::Generate(e)
    }
}

impl From<rustls::Error> for PkiError {
    fn from(e: rustls::Error) -> Self {
        PkiError::Rustls(e)
    }
}

/// The per-run test PKI and one ready rustls server config per [`CertKind`].
pub struct TestPki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    trusted: Arc<ServerConfig>,
    unknown_ca: Arc<ServerConfig>,
    wrong_host: Arc<ServerConfig>,
    expired: Arc<ServerConfig>,
}

impl TestPki {
    /// Generates a fresh CA pair and the four server certificates.
    pub fn generate() -> Result<Self, PkiError> {
        let (ca, ca_key) = new_ca("wary probe test CA")?;
        let (rogue, rogue_key) = new_ca("wary probe UNKNOWN CA (never trust this)")?;
        let good_names = vec![SERVER_NAME.to_owned(), "127.0.0.1".to_owned()];

        let trusted = leaf(good_names.clone(), &ca, &ca_key, Expiry::Valid)?;
        let unknown_ca = leaf(good_names.clone(), &rogue, &rogue_key, Expiry::Valid)?;
        let wrong_host = leaf(vec![WRONG_NAME.to_owned()], &ca, &ca_key, Expiry::Valid)?;
        let expired = leaf(good_names, &ca, &ca_key, Expiry::LongAgo)?;

        Ok(TestPki {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            trusted: server_config(trusted)?,
            unknown_ca: server_config(unknown_ca)?,
            wrong_host: server_config(wrong_host)?,
            expired: server_config(expired)?,
        })
    }

    /// PEM of the CA the client under test should trust.
    #[must_use]
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// DER of the CA the client under test should trust (for rustls client roots in tests).
    #[must_use]
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// The rustls server config that presents the given certificate.
    #[must_use]
    pub fn server_config(&self, kind: CertKind) -> Arc<ServerConfig> {
        Arc::clone(match kind {
            CertKind::Trusted => &self.trusted,
            CertKind::UnknownCa => &self.unknown_ca,
            CertKind::WrongHost => &self.wrong_host,
            CertKind::Expired => &self.expired,
        })
    }
}

/// The ring provider explicitly, so the probe never depends on a process-wide default.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(PartialEq)]
enum Expiry {
    /// rcgen's default validity, which includes now.
    Valid,
    /// Valid through 2020 only.
    LongAgo,
}

struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn new_ca(common_name: &str) -> Result<(rcgen::Certificate, KeyPair), PkiError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key)?;
    Ok((cert, key))
}

fn leaf(
    names: Vec<String>,
    issuer: &rcgen::Certificate,
    issuer_key: &KeyPair,
    expiry: Expiry,
) -> Result<Leaf, PkiError> {
    let key = KeyPair::generate()?;
    let first = names.first().cloned().unwrap_or_default();
    // rcgen turns "127.0.0.1" into an iPAddress SAN, which is what clients match an IP against.
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name.push(DnType::CommonName, first);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    // OpenSSL's strict mode (Python 3.13's default context) wants the AKI extension.
    params.use_authority_key_identifier_extension = true;
    if expiry == Expiry::LongAgo {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, issuer, issuer_key)?;
    Ok(Leaf {
        chain: vec![cert.der().clone(), issuer.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

fn server_config(leaf: Leaf) -> Result<Arc<ServerConfig>, PkiError> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)?;
    Ok(Arc::new(config))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generates_four_distinct_server_configs() {
        let pki = TestPki::generate().unwrap();
        assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(CertKind::Trusted.is_trustworthy());
        assert!(!CertKind::Expired.is_trustworthy());
        let a = pki.server_config(CertKind::Trusted);
        let b = pki.server_config(CertKind::UnknownCa);
        assert!(!Arc::ptr_eq(&a, &b));
    }
}
