//! The drivers' API beyond one message: RSET on an idle connection (for a pool's reuse),
//! the close by 421, and `Debug` with secrets redacted.

use crate::support::*;
use std::time::Duration;
use wary_smtp::proto::{
    AuthConfig, Credentials, Domain, Message, SessionError, Status, Timeouts, TlsMode,
};
use wary_smtp::{ClientConfig, Error};

fn plain(port: u16) -> ClientConfig {
    ClientConfig::builder("127.0.0.1", port)
        .tls(TlsMode::DangerPlainText)
        .helo(Domain::parse("client.test").unwrap())
        .timeouts(Timeouts::uniform(Duration::from_secs(5)))
        .build()
}

/// RSET on an idle connection gets its 250 and the connection takes the next message.
pub fn reset_then_send(drv: Drv) {
    let (port, server) = serve(|p| {
        p.say("220 mx\r\n");
        assert!(p.line().starts_with("EHLO"));
        p.say("250 mx\r\n");
        assert_eq!(p.line(), "RSET");
        p.say("250 2.0.0 ok\r\n");
        p.accept_envelope();
        p.accept_content(&["x"]);
        p.bye();
    });
    let mut client = AnyClient::connect(drv, &plain(port)).unwrap();
    client.reset().unwrap();
    assert!(client.is_ready());
    let report = client
        .send(&envelope(), &Message::new(b"x\n").unwrap())
        .unwrap();
    assert_eq!(report.status(), Status::Delivered);
    client.quit().unwrap();
    server.join().unwrap();
}

/// A 421 to RSET: the server is closing; the error says so and the client is closed.
pub fn reset_answered_421_closes(drv: Drv) {
    let (port, server) = serve(|p| {
        p.say("220 mx\r\n");
        assert!(p.line().starts_with("EHLO"));
        p.say("250 mx\r\n");
        assert_eq!(p.line(), "RSET");
        p.say("421 4.4.2 idle too long\r\n");
        let rest = p.rest();
        assert!(rest.is_empty(), "{rest:?}");
    });
    let mut client = AnyClient::connect(drv, &plain(port)).unwrap();
    let err = client.reset().unwrap_err();
    assert!(
        matches!(err, Error::Session(SessionError::Refused { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("421"), "{err}");
    assert!(client.is_closed() && !client.is_ready());
    drop(client);
    server.join().unwrap();
}

/// A 421 in a transaction: the report, then a closed client (a pool reconnects).
pub fn closed_by_421_is_visible(drv: Drv) {
    let (port, server) = serve(|p| {
        p.say("220 mx\r\n");
        assert!(p.line().starts_with("EHLO"));
        p.say("250 mx\r\n");
        assert!(p.line().starts_with("MAIL"));
        p.say("421 4.3.2 shutting down\r\n");
        let rest = p.rest();
        assert!(rest.is_empty(), "{rest:?}");
    });
    let mut client = AnyClient::connect(drv, &plain(port)).unwrap();
    let report = client
        .send(&envelope(), &Message::new(b"x\n").unwrap())
        .unwrap();
    assert_eq!(report.status(), Status::Deferred);
    assert!(client.is_closed() && !client.is_ready());
    client.quit().unwrap();
    server.join().unwrap();
}

/// `Debug` of the configuration and of a connected client never shows the password.
pub fn debug_redacts_secrets(drv: Drv) {
    const SECRET: &str = "hunter2-do-not-print";
    let pki = pki("debug");
    let server_tls = pki.server.clone();
    let (port, server) = serve(move |p| {
        p.starttls(server_tls);
        p.line();
        p.say("250-localhost\r\n250 AUTH PLAIN\r\n");
        assert!(p.line().starts_with("AUTH PLAIN"));
        p.say("235 ok\r\n");
        p.bye();
    });
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .auth(AuthConfig::new(Credentials::Password {
            user: "someone".into(),
            password: SECRET.into(),
        }))
        .build();
    let shown = format!("{cfg:?} {:?} {cfg:#?}", cfg.to_builder());
    assert!(shown.contains("someone"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    let client = AnyClient::connect(drv, &cfg).unwrap();
    let shown = client.debug();
    assert!(shown.contains("Tls13"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    client.quit().unwrap();
    server.join().unwrap();
}
