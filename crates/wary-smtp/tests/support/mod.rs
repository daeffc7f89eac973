//! Shared by the loopback tests: a test CA made by rcgen, and a scripted server on
//! 127.0.0.1 (plain or TLS) with a line reader.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use wary_smtp::proto::{Envelope, Mailbox, ReversePath, Timeouts, TlsMode};
use wary_smtp::{ClientConfig, Trust};

pub struct Pki {
    pub ca_file: PathBuf,
    pub server: Arc<rustls::ServerConfig>,
}

pub fn pki(name: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "wary test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let dir =
        std::env::temp_dir().join(format!("wary-smtp-loopback-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    Pki {
        ca_file,
        server: Arc::new(server),
    }
}

/// The server side: plain or TLS, with a line reader.
pub struct Peer {
    pub plain: Option<TcpStream>,
    pub tls: Option<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>,
    pub buf: Vec<u8>,
}

impl Peer {
    pub fn new(s: TcpStream) -> Peer {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Peer {
            plain: Some(s),
            tls: None,
            buf: Vec::new(),
        }
    }
    pub fn io(&mut self) -> &mut dyn ReadWrite {
        match (&mut self.tls, &mut self.plain) {
            (Some(t), _) => t,
            (None, Some(p)) => p,
            _ => unreachable!(),
        }
    }
    pub fn say(&mut self, s: &str) {
        self.io().write_all(s.as_bytes()).unwrap();
        self.io().flush().unwrap();
    }
    pub fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        match self.io().read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
    pub fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..i + 2).collect();
                return String::from_utf8(line[..i].to_vec()).unwrap();
            }
            assert!(
                self.fill(),
                "client closed; had {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill());
        }
        self.buf.drain(..n).collect()
    }
    pub fn start_tls(&mut self, config: Arc<rustls::ServerConfig>) {
        assert!(self.buf.is_empty(), "client sent plain text after STARTTLS");
        let conn = rustls::ServerConnection::new(config).unwrap();
        self.tls = Some(rustls::StreamOwned::new(conn, self.plain.take().unwrap()));
    }
    /// Reads until the client closes; returns what came (nothing, for the TLS failures).
    pub fn rest(&mut self) -> Vec<u8> {
        while self.fill() {}
        std::mem::take(&mut self.buf)
    }
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

pub fn serve(script: impl FnOnce(&mut Peer) + Send + 'static) -> (u16, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        script(&mut Peer::new(s));
    });
    (port, handle)
}

pub fn client_config(port: u16, pki: &Pki, tls: TlsMode) -> ClientConfig {
    let mut c = ClientConfig::new("localhost", port);
    c.tls = tls;
    c.trust = Trust::CaFile(pki.ca_file.clone());
    c.timeouts = Timeouts::uniform(Duration::from_secs(10));
    c
}

pub fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(Mailbox::parse("a@client.test").unwrap()),
        vec![Mailbox::parse("b@x.test").unwrap()],
    )
}
