//! Does the server still accept TLS 1.0 or 1.1 (deprecated by RFC 8996)?
//!
//! rustls rightly cannot speak those versions, so the probe sends a hand-built ClientHello
//! (RFC 2246 §7.4.1.2 / RFC 4346) offering only the old version and the cipher suites old
//! servers pick, and reads the first record back: a ServerHello with that version means
//! "accepted", an alert or a close means "refused". The handshake goes no further.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What the server did with a legacy ClientHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Legacy {
    /// ServerHello for the offered version.
    Accepted,
    /// An alert, a different version, or a close.
    Refused(String),
}

/// Sends a ClientHello for `version` (0x0301 = TLS 1.0, 0x0302 = TLS 1.1) on an upgraded
/// connection and classifies the answer.
pub(crate) fn try_version(mut tcp: TcpStream, version: u16, server_name: &str) -> Legacy {
    let hello = client_hello(version, server_name);
    if let Err(e) = tcp.write_all(&hello) {
        return Legacy::Refused(format!("write failed: {e}"));
    }
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = [0u8; 11];
    let mut got = 0;
    while got < head.len() {
        match tcp.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Legacy::Refused(format!("no answer: {e}")),
        }
    }
    match head[..got] {
        // Alert record: [21, ver, ver, len, len, level, description]
        [21, _, _, _, _, _, description, ..] => {
            Legacy::Refused(format!("alert {}", alert_name(description)))
        }
        // Handshake record carrying ServerHello: [22, ver, ver, len, len, 2, l, l, l, v, v]
        [22, _, _, _, _, 2, _, _, _, major, minor] => {
            let chosen = u16::from_be_bytes([major, minor]);
            if chosen == version {
                Legacy::Accepted
            } else {
                Legacy::Refused(format!("answered with version {chosen:#06x}"))
            }
        }
        [] => Legacy::Refused("closed the connection".into()),
        _ => Legacy::Refused("answered with something that is not TLS".into()),
    }
}

fn client_hello(version: u16, server_name: &str) -> Vec<u8> {
    // ECDHE and RSA key exchange with AES-CBC and 3DES: what TLS 1.0/1.1 servers offer.
    const SUITES: [u16; 9] = [
        0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035, 0x0033, 0x0039, 0x000a,
    ];
    let mut ext = Vec::new();
    // server_name (RFC 6066 §3), only for a DNS name.
    if server_name.parse::<std::net::IpAddr>().is_err() && server_name.len() < 256 {
        let name = server_name.as_bytes();
        let n = name.len() as u16;
        push16(&mut ext, 0x0000);
        push16(&mut ext, n + 5);
        push16(&mut ext, n + 3);
        ext.push(0);
        push16(&mut ext, n);
        ext.extend_from_slice(name);
    }
    // supported_groups: x25519, secp256r1, secp384r1 (RFC 8422 §5.1.1).
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    // ec_point_formats: uncompressed.
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // renegotiation_info, empty (RFC 5746).
    ext.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]);

    let mut body = Vec::new();
    push16(&mut body, version);
    body.extend_from_slice(&random());
    body.push(0); // no session id
    push16(&mut body, (SUITES.len() * 2) as u16);
    for suite in SUITES {
        push16(&mut body, suite);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only
    push16(&mut body, ext.len() as u16);
    body.extend_from_slice(&ext);

    let mut handshake = vec![1]; // client_hello
    let len = body.len() as u32;
    handshake.extend_from_slice(&len.to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);

    let mut record = vec![22, 0x03, 0x01]; // handshake record, TLS 1.0 record version
    push16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn random() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        let r = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        chunk.copy_from_slice(&r.to_be_bytes());
    }
    out
}

fn alert_name(code: u8) -> String {
    match code {
        40 => "handshake_failure".into(),
        47 => "illegal_parameter".into(),
        70 => "protocol_version".into(),
        71 => "insufficient_security".into(),
        80 => "internal_error".into(),
        other => format!("#{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_lengths_are_consistent() {
        let hello = client_hello(0x0301, "mail.example");
        let record_len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        assert_eq!(hello.len(), 5 + record_len);
        let hs_len = u32::from_be_bytes([0, hello[6], hello[7], hello[8]]) as usize;
        assert_eq!(record_len, 4 + hs_len);
        assert_eq!(&hello[9..11], &[0x03, 0x01]);
    }
}
