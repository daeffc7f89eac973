//! Bring your own transport and TLS configuration, on loopback: a connected `TcpStream`
//! handed over for STARTTLS, any stream (`Untimed`, `AsyncClient::over`), a caller's
//! `rustls::ClientConfig`, and the host-name rule: a mismatched name fails whatever the
//! caller's verifier says, unless `danger_accept_invalid_hostnames` was called.

use crate::support::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread::JoinHandle;
use wary_smtp::proto::{Domain, Message, Status, TlsMode};
use wary_smtp::{ClientConfig, Error, Trust};

/// A STARTTLS server that delivers one message and says goodbye.
fn starttls_server(pki: &Pki) -> (u16, JoinHandle<()>) {
    let server_tls = pki.server.clone();
    serve(move |p| {
        p.say("220 localhost ESMTP\r\n");
        assert!(p.line().starts_with("EHLO"));
        p.say("250-localhost\r\n250 STARTTLS\r\n");
        assert_eq!(p.line(), "STARTTLS");
        p.say("220 go ahead\r\n");
        p.start_tls(server_tls);
        assert!(p.line().starts_with("EHLO"));
        p.say("250 localhost\r\n");
        p.accept_envelope();
        p.accept_content(&["hi"]);
        p.bye();
    })
}

fn deliver(mut client: AnyClient) {
    let report = client
        .send(&envelope(), &Message::new(b"hi\n").unwrap())
        .unwrap();
    assert_eq!(report.status(), Status::Delivered);
    assert!(report.tls.is_some());
    client.quit().unwrap();
}

/// A `TcpStream` the caller connected, handed over for STARTTLS.
pub fn own_tcp_stream_for_starttls(drv: Drv) {
    let pki = pki("own-tcp");
    let (port, server) = starttls_server(&pki);
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cfg = client_config(port, &pki, TlsMode::StartTls);
    deliver(AnyClient::over(drv, tcp, &cfg, false).unwrap());
    server.join().unwrap();
}

/// Any stream (`Untimed`, `AsyncClient::over`): it has no local address, so the
/// configuration must name the client, and says so clearly when it does not.
pub fn any_stream_for_starttls(drv: Drv) {
    let pki = pki("own-any");
    let (port, server) = starttls_server(&pki);
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cfg = client_config(port, &pki, TlsMode::StartTls);
    let err = AnyClient::over(drv, tcp.try_clone().unwrap(), &cfg, true)
        .err()
        .unwrap();
    assert!(err.to_string().contains("EHLO"), "{err}");
    let cfg = cfg
        .to_builder()
        .helo(Domain::parse("client.test").unwrap())
        .build();
    deliver(AnyClient::over(drv, tcp, &cfg, true).unwrap());
    server.join().unwrap();
}

/// The caller's rustls configuration with its own roots: verified TLS as usual.
pub fn own_rustls_config(drv: Drv) {
    let pki = pki("own-rustls");
    let (port, server) = starttls_server(&pki);
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&pki.ca_file).unwrap();
    for cert in rustls_pemfile_certs(&pem) {
        roots.add(cert).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let cfg = ClientConfig::builder("localhost", port)
        .rustls_config(Arc::new(tls))
        .build();
    deliver(AnyClient::connect(drv, &cfg).unwrap());
    server.join().unwrap();
}

/// A caller's verifier that accepts any certificate cannot make a wrong name pass: wary
/// checks the name itself after the handshake.
pub fn own_verifier_accepting_anything_still_checks_the_name(drv: Drv) {
    let pki = pki("own-any-verifier");
    let (port, server) = starttls_then_refused_handshake(&pki);
    let cfg = ClientConfig::builder("localhost", port)
        .rustls_config(accept_anything())
        .tls_server_name("mx.elsewhere.test")
        .build();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("host name"), "{err}");
    server.join().unwrap();
}

/// ... unless the caller said `danger_accept_invalid_hostnames`.
pub fn own_verifier_with_danger_accepts_a_wrong_name(drv: Drv) {
    let pki = pki("own-any-verifier-danger");
    let (port, server) = starttls_server(&pki);
    let cfg = ClientConfig::builder("localhost", port)
        .rustls_config(accept_anything())
        .tls_server_name("mx.elsewhere.test")
        .danger_accept_invalid_hostnames()
        .build();
    deliver(AnyClient::connect(drv, &cfg).unwrap());
    server.join().unwrap();
}

/// wary's own configuration with `danger_accept_invalid_hostnames`: a wrong name passes,
/// an untrusted chain still does not.
pub fn danger_hostnames_with_wary_roots_still_checks_the_chain(drv: Drv) {
    let pki_server = pki("danger-chain");
    let (port, server) = starttls_server(&pki_server);
    let cfg = ClientConfig::builder("127.0.0.1", port)
        .trust(Trust::CaFile(pki_server.ca_file.clone()))
        .tls_server_name("mx.elsewhere.test")
        .danger_accept_invalid_hostnames()
        .build();
    deliver(AnyClient::connect(drv, &cfg).unwrap());
    server.join().unwrap();
    let other = pki("danger-chain-other");
    let (port, server) = starttls_then_refused_handshake(&pki_server);
    let cfg = ClientConfig::builder("127.0.0.1", port)
        .trust(Trust::CaFile(other.ca_file.clone()))
        .tls_server_name("mx.elsewhere.test")
        .danger_accept_invalid_hostnames()
        .build();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    assert!(err.to_string().contains("certificate"), "{err}");
    server.join().unwrap();
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A rustls configuration whose verifier accepts every certificate (signatures are still
/// checked, so the handshake itself is real).
fn accept_anything() -> Arc<rustls::ClientConfig> {
    #[derive(Debug)]
    struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for AcceptAnything {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider())))
        .with_no_client_auth();
    Arc::new(config)
}
