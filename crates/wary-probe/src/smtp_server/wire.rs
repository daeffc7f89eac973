//! The smtp-server probe's own little SMTP client: connect, read replies with caps and
//! timeouts, EHLO, STARTTLS, and a rustls handshake whose certificate check is *observed*
//! (recorded for the report) rather than enforced, so the probe can still look at a server
//! whose certificate is bad. Nothing but probe commands (EHLO, STARTTLS, NOOP, QUIT) is ever
//! sent over such a session.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest reply line the probe accepts (RFC 5321 §4.5.3.1.5 says 512; be generous).
const MAX_LINE: usize = 4096;
/// Most lines in one reply.
const MAX_LINES: usize = 200;

/// A parsed reply: code and the text of each line.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.code,
            self.lines.first().map_or("", String::as_str)
        )
    }
}

impl Reply {
    /// Whether an EHLO keyword (case-insensitive, first word of a line) is present.
    pub(crate) fn has_keyword(&self, keyword: &str) -> Option<&str> {
        self.lines.iter().skip(1).map(String::as_str).find(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        })
    }
}

/// A plain-text SMTP connection with its read buffer.
pub(crate) struct Smtp {
    pub tcp: TcpStream,
    pub buf: Vec<u8>,
    timeout: Duration,
}

/// How TLS starts on the probed port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Plain text, then STARTTLS (RFC 3207; submission on 587, relay on 25).
    StartTls,
    /// TLS from the first byte, the greeting inside it (RFC 8314 §3.3; port 465).
    Implicit,
}

impl Smtp {
    /// Connects to the first address that answers, without reading anything: an implicit-TLS
    /// server says nothing before the client's hello.
    pub(crate) fn connect(addrs: &[SocketAddr], timeout: Duration) -> Result<Self, String> {
        let mut last = String::from("no address to connect to");
        for addr in addrs {
            match TcpStream::connect_timeout(addr, timeout) {
                Ok(tcp) => {
                    tcp.set_read_timeout(Some(timeout))
                        .and_then(|()| tcp.set_write_timeout(Some(timeout)))
                        .map_err(|e| format!("socket setup: {e}"))?;
                    return Ok(Smtp {
                        tcp,
                        buf: Vec::new(),
                        timeout,
                    });
                }
                Err(e) => last = format!("connect to {addr}: {e}"),
            }
        }
        Err(last)
    }

    /// Connects and reads the 220 greeting.
    pub(crate) fn open(addrs: &[SocketAddr], timeout: Duration) -> Result<(Self, Reply), String> {
        let mut smtp = Smtp::connect(addrs, timeout)?;
        let greeting = smtp.reply()?;
        if greeting.code != 220 {
            return Err(format!("greeting was not 220: {greeting}"));
        }
        Ok((smtp, greeting))
    }

    /// A connection on which the next bytes are the client's TLS hello: after STARTTLS, or
    /// right after connecting on an implicit-TLS port.
    pub(crate) fn to_tls(
        addrs: &[SocketAddr],
        timeout: Duration,
        transport: Transport,
    ) -> Result<Self, String> {
        match transport {
            Transport::StartTls => Smtp::to_starttls(addrs, timeout),
            Transport::Implicit => Smtp::connect(addrs, timeout),
        }
    }

    /// Sends raw bytes (one write, so pipelined commands share a segment).
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.tcp
            .write_all(bytes)
            .map_err(|e| format!("write failed: {e}"))
    }

    /// Reads one complete reply (RFC 5321 §4.2.1 multi-line form), within the timeout.
    pub(crate) fn reply(&mut self) -> Result<Reply, String> {
        read_reply(&mut self.tcp, &mut self.buf, self.timeout)
    }

    /// Sends a command line and reads its reply.
    pub(crate) fn command(&mut self, line: &str) -> Result<Reply, String> {
        self.send(format!("{line}\r\n").as_bytes())?;
        self.reply()
    }

    /// EHLO, then STARTTLS answered 220; returns the connection ready for the handshake.
    pub(crate) fn to_starttls(addrs: &[SocketAddr], timeout: Duration) -> Result<Self, String> {
        let (mut smtp, _) = Smtp::open(addrs, timeout)?;
        let ehlo = smtp.command("EHLO wary-probe.invalid")?;
        if ehlo.code != 250 {
            return Err(format!("EHLO refused: {ehlo}"));
        }
        let reply = smtp.command("STARTTLS")?;
        if reply.code != 220 {
            return Err(format!("STARTTLS answered {reply}"));
        }
        Ok(smtp)
    }
}

/// Reads one reply from any byte stream, keeping bytes that follow it in `buf`.
pub(crate) fn read_reply(
    stream: &mut impl Read,
    buf: &mut Vec<u8>,
    timeout: Duration,
) -> Result<Reply, String> {
    let until = Instant::now() + timeout;
    let mut lines = Vec::new();
    let mut code = None;
    loop {
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            let this = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .filter(|c| (200..600).contains(c))
                .ok_or_else(|| format!("malformed reply line {line:?}"))?;
            if *code.get_or_insert(this) != this {
                return Err(format!("reply mixes codes: {line:?}"));
            }
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line.get(4..).unwrap_or("").to_owned());
            if lines.len() > MAX_LINES {
                return Err(format!("reply longer than {MAX_LINES} lines"));
            }
            if last {
                return Ok(Reply { code: this, lines });
            }
        }
        if buf.len() > MAX_LINE {
            return Err(format!("reply line longer than {MAX_LINE} bytes"));
        }
        if Instant::now() >= until {
            return Err(format!("no complete reply within {} s", timeout.as_secs()));
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return Err("server closed the connection".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("no reply within {} s", timeout.as_secs()))
            }
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}

/// What the observing verifier saw.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observation {
    /// The chain the server sent, end entity first.
    pub chain: Vec<CertificateDer<'static>>,
    /// `Ok` when a verifying client would accept it; else why not.
    pub verdict: Option<Result<(), String>>,
}

/// A certificate verifier that runs the real WebPKI checks and records their result, but
/// lets the handshake go on so the probe can report versions and look at the session.
/// Handshake signatures are still verified for real.
#[derive(Debug)]
pub(crate) struct ObservingVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    no_roots_reason: String,
    seen: Mutex<Observation>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ObservingVerifier {
    pub(crate) fn new(roots: Arc<RootCertStore>) -> Arc<Self> {
        let provider = crate::pki::provider();
        let built =
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider)).build();
        let (inner, no_roots_reason) = match built {
            Ok(v) => (Some(v), String::new()),
            Err(e) => (None, format!("no trust roots to verify with: {e}")),
        };
        Arc::new(ObservingVerifier {
            inner,
            no_roots_reason,
            seen: Mutex::default(),
            provider,
        })
    }

    pub(crate) fn observation(&self) -> Observation {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl ServerCertVerifier for ObservingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Some(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err(self.no_roots_reason.clone()),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.verdict = Some(verdict);
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// An implicit-TLS session opened as a client would: handshake first, then the 220
/// greeting and the EHLO reply inside TLS. Returns the session, the greeting and EHLO's
/// reply.
pub(crate) fn open_implicit(
    addrs: &[SocketAddr],
    server_name: &str,
    verifier: Arc<ObservingVerifier>,
    timeout: Duration,
) -> Result<(TlsSession, Reply, Reply), String> {
    let smtp = Smtp::connect(addrs, timeout)?;
    let mut tls = handshake(smtp, server_name, rustls::ALL_VERSIONS, verifier)?;
    let mut buf = Vec::new();
    let greeting = read_reply(&mut tls.stream, &mut buf, timeout)
        .map_err(|e| format!("TLS is up, but no SMTP greeting inside it: {e}"))?;
    if greeting.code != 220 {
        return Err(format!("greeting inside TLS was not 220: {greeting}"));
    }
    tls.stream
        .write_all(b"EHLO wary-probe.invalid\r\n")
        .map_err(|e| format!("write failed: {e}"))?;
    let ehlo = read_reply(&mut tls.stream, &mut buf, timeout)?;
    let _ = tls.stream.write_all(b"QUIT\r\n");
    Ok((tls, greeting, ehlo))
}

/// A finished client handshake over an upgraded connection.
pub(crate) struct TlsSession {
    pub stream: rustls::StreamOwned<ClientConnection, TcpStream>,
    pub version: String,
    pub cipher: String,
}

/// Runs a client handshake limited to `versions`, with the observing verifier.
pub(crate) fn handshake(
    smtp: Smtp,
    server_name: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
    verifier: Arc<ObservingVerifier>,
) -> Result<TlsSession, String> {
    let config = ClientConfig::builder_with_provider(crate::pki::provider())
        .with_protocol_versions(versions)
        .map_err(|e| format!("rustls client setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| format!("{server_name:?} is not a valid TLS server name: {e}"))?;
    let mut conn = ClientConnection::new(Arc::new(config), name)
        .map_err(|e| format!("rustls client setup: {e}"))?;
    let Smtp { mut tcp, buf, .. } = smtp;
    if !buf.is_empty() {
        return Err(format!(
            "the server sent {} byte(s) after its 220 to STARTTLS, before the handshake",
            buf.len()
        ));
    }
    while conn.is_handshaking() {
        match conn.complete_io(&mut tcp) {
            Ok((0, 0)) => return Err("server closed the connection during the handshake".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("handshake failed: {e}")),
        }
    }
    let version = conn
        .protocol_version()
        .map_or_else(|| "?".to_owned(), |v| format!("{v:?}"));
    let cipher = conn
        .negotiated_cipher_suite()
        .map_or_else(|| "?".to_owned(), |s| format!("{:?}", s.suite()));
    Ok(TlsSession {
        stream: rustls::StreamOwned::new(conn, tcp),
        version,
        cipher,
    })
}
