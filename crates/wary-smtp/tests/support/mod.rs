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
use wary_smtp::proto::{
    DeliveryReport, Envelope, Mailbox, Message, ReversePath, SubmitError, Timeouts, TlsMode,
};
use wary_smtp::{Client, ClientConfig, ClientConfigBuilder, Error, Trust};

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
    // Unique per call: the same test runs for both drivers in parallel, and two CAs written
    // to one file make one handshake fail (BadSignature).
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "wary-smtp-loopback-{}-{name}-{call}",
        std::process::id()
    ));
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

    /// Greeting, EHLO (any) answered with STARTTLS, STARTTLS answered 220, then the
    /// server's side of the TLS handshake under `config`.
    pub fn starttls(&mut self, config: Arc<rustls::ServerConfig>) {
        self.say("220 localhost\r\n");
        self.line();
        self.say("250-localhost\r\n250 STARTTLS\r\n");
        assert_eq!(self.line(), "STARTTLS");
        self.say("220 go\r\n");
        self.start_tls(config);
    }
    /// MAIL, RCPT and DATA one at a time (no PIPELINING), each accepted.
    pub fn accept_envelope(&mut self) {
        assert!(self.line().starts_with("MAIL"));
        self.say("250 ok\r\n");
        assert!(self.line().starts_with("RCPT"));
        self.say("250 ok\r\n");
        assert_eq!(self.line(), "DATA");
        self.say("354 go\r\n");
    }
    /// The content `lines` as they must arrive (dot-stuffed), the lone dot, then 250.
    pub fn accept_content(&mut self, lines: &[&str]) {
        for want in lines {
            assert_eq!(self.line(), *want);
        }
        assert_eq!(self.line(), ".");
        self.say("250 queued\r\n");
    }
    /// QUIT, answered 221.
    pub fn bye(&mut self) {
        assert_eq!(self.line(), "QUIT");
        self.say("221 bye\r\n");
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

/// Greeting, EHLO with STARTTLS, 220, then a handshake the client must abort: nothing may
/// follow, in plain text or after (rustls sends only a TLS alert).
pub fn starttls_then_refused_handshake(pki: &Pki) -> (u16, JoinHandle<()>) {
    let server_tls = pki.server.clone();
    serve(move |p| {
        p.starttls(server_tls);
        let rest = p.rest();
        assert!(rest.is_empty(), "client sent {rest:?}");
    })
}

pub fn client_config(port: u16, pki: &Pki, tls: TlsMode) -> ClientConfig {
    config_builder(port, pki, tls).build()
}

pub fn config_builder(port: u16, pki: &Pki, tls: TlsMode) -> ClientConfigBuilder {
    ClientConfig::builder("localhost", port)
        .tls(tls)
        .trust(Trust::CaFile(pki.ca_file.clone()))
        .timeouts(Timeouts::uniform(Duration::from_secs(10)))
}

/// Which driver a shared case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drv {
    Blocking,
    #[cfg(feature = "tokio")]
    Tokio,
}

/// Either driver behind one blocking API, so one case runs against both: the tokio client
/// runs on a current-thread runtime of its own (timers and I/O enabled).
pub enum AnyClient {
    Blocking(Box<Client>),
    Untimed(Box<Client<wary_smtp::Untimed<TcpStream>>>),
    #[cfg(feature = "tokio")]
    Tokio(Box<wary_smtp::AsyncClient>, tokio::runtime::Runtime),
}

#[cfg(feature = "tokio")]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

impl AnyClient {
    pub fn connect(drv: Drv, cfg: &ClientConfig) -> Result<AnyClient, Error> {
        match drv {
            Drv::Blocking => Client::connect(cfg).map(|c| AnyClient::Blocking(Box::new(c))),
            #[cfg(feature = "tokio")]
            Drv::Tokio => {
                let rt = runtime();
                let c = rt.block_on(wary_smtp::AsyncClient::connect(cfg))?;
                Ok(AnyClient::Tokio(Box::new(c), rt))
            }
        }
    }
    /// Opens the session over a TCP stream connected here: `Client::over` (a `TcpStream`
    /// is a `Transport`) or `AsyncClient::over_tcp`; with `generic`, through the any-stream
    /// entry points instead (`Untimed`, `AsyncClient::over`), which need a HELO name.
    pub fn over(
        drv: Drv,
        stream: TcpStream,
        cfg: &ClientConfig,
        generic: bool,
    ) -> Result<AnyClient, Error> {
        match (drv, generic) {
            (Drv::Blocking, false) => {
                Client::over(stream, cfg).map(|c| AnyClient::Blocking(Box::new(c)))
            }
            (Drv::Blocking, true) => Client::over(wary_smtp::Untimed(stream), cfg)
                .map(|c| AnyClient::Untimed(Box::new(c))),
            #[cfg(feature = "tokio")]
            (Drv::Tokio, generic) => {
                let rt = runtime();
                stream.set_nonblocking(true).unwrap();
                let stream = {
                    let _in = rt.enter();
                    tokio::net::TcpStream::from_std(stream).unwrap()
                };
                let c = if generic {
                    rt.block_on(wary_smtp::AsyncClient::over(stream, cfg))?
                } else {
                    rt.block_on(wary_smtp::AsyncClient::over_tcp(stream, cfg))?
                };
                Ok(AnyClient::Tokio(Box::new(c), rt))
            }
        }
    }
    pub fn send(&mut self, e: &Envelope, m: &Message) -> Result<DeliveryReport, Error> {
        match self {
            AnyClient::Blocking(c) => c.send(e, m),
            AnyClient::Untimed(c) => c.send(e, m),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, rt) => rt.block_on(c.send(e, m)),
        }
    }
    pub fn send_many(
        &mut self,
        batch: &[(Envelope, Message)],
        on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error> {
        let it = batch.iter().map(|(e, m)| (e, m));
        match self {
            AnyClient::Blocking(c) => c.send_many(it, on_report),
            AnyClient::Untimed(c) => c.send_many(it, on_report),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, rt) => rt.block_on(c.send_many(it, on_report)),
        }
    }
    pub fn reset(&mut self) -> Result<(), Error> {
        match self {
            AnyClient::Blocking(c) => c.reset(),
            AnyClient::Untimed(c) => c.reset(),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, rt) => rt.block_on(c.reset()),
        }
    }
    pub fn round_trips(&self) -> u32 {
        match self {
            AnyClient::Blocking(c) => c.round_trips(),
            AnyClient::Untimed(c) => c.round_trips(),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, _) => c.round_trips(),
        }
    }
    pub fn is_ready(&self) -> bool {
        match self {
            AnyClient::Blocking(c) => c.is_ready(),
            AnyClient::Untimed(c) => c.is_ready(),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, _) => c.is_ready(),
        }
    }
    pub fn is_closed(&self) -> bool {
        match self {
            AnyClient::Blocking(c) => c.is_closed(),
            AnyClient::Untimed(c) => c.is_closed(),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, _) => c.is_closed(),
        }
    }
    pub fn debug(&self) -> String {
        match self {
            AnyClient::Blocking(c) => format!("{c:?}"),
            AnyClient::Untimed(c) => format!("{c:?}"),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, _) => format!("{c:?}"),
        }
    }
    pub fn quit(self) -> Result<(), Error> {
        match self {
            AnyClient::Blocking(c) => (*c).quit(),
            AnyClient::Untimed(c) => (*c).quit(),
            #[cfg(feature = "tokio")]
            AnyClient::Tokio(c, rt) => rt.block_on(c.quit()),
        }
    }
}

/// Runs each named case `fn(Drv)` as a test against every driver: `mod blocking` always,
/// `mod tokio` with the feature. One list of cases, so the drivers cannot drift.
#[macro_export]
macro_rules! both_drivers {
    ($($case:ident),* $(,)?) => {
        mod blocking {
            $( #[test] fn $case() { super::$case(super::Drv::Blocking) } )*
        }
        #[cfg(feature = "tokio")]
        mod tokio {
            $( #[test] fn $case() { super::$case(super::Drv::Tokio) } )*
        }
    };
}

pub fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(Mailbox::parse("a@client.test").unwrap()),
        vec![Mailbox::parse("b@x.test").unwrap()],
    )
}
