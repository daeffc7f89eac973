//! API hygiene (issue 13, point 5): errors hand out their causes through
//! `std::error::Error::source`, down to the `rustls::Error` or `io::Error` of a real failure
//! on loopback; and `Debug` of a session never shows a secret, at any step of any AUTH
//! exchange, although the password sits in its buffers and SASL state while it runs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use std::error::Error as StdError;
use std::net::TcpListener;
use std::time::Instant;
use wary_smtp::proto::*;
use wary_smtp::{Client, Error};

mod support;
use support::*;

/// The first error of type `T` in `e`'s source chain (`e` itself included).
fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur = Some(e);
    // Bounded: a chain longer than this is a cycle (a bug in a source impl).
    for _ in 0..16 {
        let e = cur?;
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        cur = e.source();
    }
    panic!("source chain longer than 16 links")
}

#[test]
fn untrusted_certificate_chain_reaches_rustls_verdict() {
    let pki_server = pki("hygiene-untrusted-server");
    let pki_other = pki("hygiene-untrusted-other");
    let server_tls = pki_server.server.clone();
    let (port, server) = serve(move |p| {
        p.starttls(server_tls);
        p.rest();
    });
    let err = Client::connect(&client_config(port, &pki_other, TlsMode::StartTls))
        .err()
        .unwrap();
    let tls = find::<rustls::Error>(&err).unwrap_or_else(|| panic!("no rustls::Error in {err:?}"));
    // Both test CAs share a name, so rustls finds the issuer and rejects its signature.
    assert!(
        matches!(tls, rustls::Error::InvalidCertificate(_)),
        "{tls:?}"
    );
    server.join().unwrap();
}

#[test]
fn refused_connection_chain_reaches_io_error() {
    // A port nobody listens on: bind, note it, close.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = wary_smtp::ClientConfig::builder("127.0.0.1", port)
        .tls(TlsMode::DangerPlainText)
        .build();
    let err = Client::connect(&cfg).err().unwrap();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let io = find::<std::io::Error>(&err).unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn malformed_reply_chain_reaches_reply_error() {
    let (port, server) = serve(|p| {
        p.say("22x not a code\r\n");
        p.rest();
    });
    let cfg = wary_smtp::ClientConfig::builder("127.0.0.1", port)
        .tls(TlsMode::DangerPlainText)
        .build();
    let err = Client::connect(&cfg).err().unwrap();
    // Error -> SessionError::MalformedReply -> ReplyError: two links down.
    assert!(find::<SessionError>(&err).is_some(), "{err:?}");
    assert!(find::<ReplyError>(&err).is_some(), "{err:?}");
    server.join().unwrap();
}

#[test]
fn submit_and_sasl_chains_reach_their_causes() {
    let bad = Message::new(b"a\0b\r\n").unwrap_err();
    let err = Error::from(SubmitError::from(bad.clone()));
    assert_eq!(find::<MessageError>(&err), Some(&bad));

    // A SASL failure inside a session: the server offers nothing the credentials fit.
    let cfg = SessionConfig::new(Domain::parse("client.test").unwrap())
        .with_tls(TlsMode::Implicit)
        .with_auth(AuthConfig::new(Credentials::Password {
            user: "u".into(),
            password: "p".into(),
        }));
    let now = Instant::now();
    let mut s = Session::new(cfg, [1; 18], now).unwrap();
    let Some(Event::StartTls(proof)) = s.poll_event() else {
        panic!("implicit TLS starts with a handshake")
    };
    s.tls_established(proof, TlsInfo::new(TlsVersion::Tls13, "x", "mx"), now)
        .unwrap();
    s.handle_input(b"220 mx\r\n", now).unwrap();
    s.poll_transmit(now).unwrap();
    let e = s
        .handle_input(b"250-mx\r\n250 AUTH CRAM-MD5 X-NEW\r\n", now)
        .unwrap_err();
    let err = Error::from(e);
    let sasl = find::<SaslError>(&err).unwrap();
    let SaslError::NoMechanism { offered } = sasl else {
        panic!("{sasl:?}")
    };
    assert_eq!(offered[0], Mechanism::CramMd5);
    assert!(matches!(&offered[1], Mechanism::Other(o) if o.as_str() == "X-NEW"));
}

const USER: &str = "alice";
const SECRET: &str = "s3cr3t-Pa55w0rd";

/// Every form in which the secret (or the SCRAM nonce) travels: the password itself, its
/// base64 (LOGIN), the PLAIN blob, the XOAUTH2 blob, the nonce and the client-first message.
fn secret_forms(entropy: [u8; 18]) -> Vec<String> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let nonce = b64(&entropy);
    vec![
        SECRET.to_owned(),
        b64(SECRET.as_bytes()),
        b64(format!("\0{USER}\0{SECRET}").as_bytes()),
        b64(format!("user={USER}\x01auth=Bearer {SECRET}\x01\x01").as_bytes()),
        b64(format!("n,,n={USER},r={nonce}").as_bytes()),
        nonce,
    ]
}

fn assert_no_secret(s: &Session, forms: &[String], step: &str) {
    let shown = format!("{s:?}");
    for f in forms {
        assert!(
            !shown.contains(f.as_str()),
            "{step}: {f:?} shown in {shown}"
        );
    }
    assert!(shown.contains(USER), "{step}: the user name helps: {shown}");
}

/// Drives a session through STARTTLS and AUTH with `mechanism`, checking `Debug` after every
/// input and before and after every transmit, so the password is looked for while it is in
/// the output buffer (PLAIN, LOGIN, XOAUTH2) and in the SASL state (LOGIN, SCRAM).
fn debug_redacted_through(mechanism: Mechanism, credentials: Credentials, challenges: &[&str]) {
    let entropy = [0x5a; 18];
    let forms = secret_forms(entropy);
    let cfg = SessionConfig::new(Domain::parse("client.test").unwrap())
        .with_auth(AuthConfig::new(credentials).with_mechanism(mechanism.clone()));
    let now = Instant::now();
    let mut s = Session::new(cfg, entropy, now).unwrap();
    let step = |s: &mut Session, input: &str, name: &str| {
        assert_no_secret(s, &forms, &format!("{mechanism} before {name}"));
        let _ = s.handle_input(input.as_bytes(), now);
        assert_no_secret(s, &forms, &format!("{mechanism} after {name}"));
        while let Some(Event::StartTls(proof)) = s.poll_event() {
            s.tls_established(proof, TlsInfo::new(TlsVersion::Tls13, "x", "mx"), now)
                .unwrap();
        }
        assert_no_secret(
            s,
            &forms,
            &format!("{mechanism} holding output after {name}"),
        );
        let sent = s.poll_transmit(now);
        assert_no_secret(s, &forms, &format!("{mechanism} after sending ({name})"));
        sent
    };
    step(&mut s, "220 mx\r\n", "greeting");
    step(&mut s, "250-mx\r\n250 STARTTLS\r\n", "EHLO");
    step(&mut s, "220 go\r\n", "STARTTLS");
    let offer = format!("250-mx\r\n250 AUTH {mechanism}\r\n");
    let sent = step(&mut s, &offer, "EHLO after TLS").expect("AUTH goes out");
    assert!(String::from_utf8_lossy(&sent).starts_with("AUTH "));
    for (i, c) in challenges.iter().enumerate() {
        step(&mut s, c, &format!("challenge {i}"));
    }
}

#[test]
fn session_debug_never_shows_a_secret() {
    let password = || Credentials::Password {
        user: USER.into(),
        password: SECRET.into(),
    };
    debug_redacted_through(Mechanism::Plain, password(), &["235 ok\r\n"]);
    debug_redacted_through(
        Mechanism::Login,
        password(),
        &["334 VXNlcm5hbWU6\r\n", "334 UGFzc3dvcmQ6\r\n", "235 ok\r\n"],
    );
    // The server-first message carries a nonce that extends the client's; its proof fails,
    // which is fine: the state held the password until then.
    let nonce = base64::engine::general_purpose::STANDARD.encode([0x5a; 18]);
    let server_first =
        base64::engine::general_purpose::STANDARD.encode(format!("r={nonce}srv,s=c2FsdA==,i=4096"));
    debug_redacted_through(
        Mechanism::ScramSha256,
        password(),
        &[&format!("334 {server_first}\r\n"), "334 dj1iYWQ=\r\n"],
    );
    debug_redacted_through(
        Mechanism::XOAuth2,
        Credentials::OAuth2 {
            user: USER.into(),
            token: SECRET.into(),
        },
        &["334 e30=\r\n", "535 no\r\n"],
    );
}
