//! Issue 9, class 5: with `-t`, the header lines the recipient parser reads must be the
//! header lines that go on the wire. A generator builds header sections from the pieces that
//! confuse line splitting (bare CR, bare LF, CRLF, CR CR LF, NUL, folding white space, colons,
//! field names in any case) and checks every one of them: either the message is refused, or
//!
//! - the wire form has only CRLF line endings;
//! - no Bcc field is in the header section on the wire;
//! - every address of a To or Cc field on the wire is in the envelope (none dropped);
//! - the envelope holds exactly the To, Cc and Bcc addresses of the header section as sent,
//!   read by an independent reader of the wire form (split on CRLF, unfold, split at ':').
//!
//! The generator is a fixed-seed xorshift (no dependency, reproducible: a failure prints the
//! case number and its bytes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wary_smtp::headers::{parse_address_list, take_recipients};
use wary_smtp::proto::{Mailbox, Message};

/// The pipeline `wary send -t` runs: the message as it will be sent, the recipients read
/// from it, and the bytes that go on the wire (the DATA form before dot-stuffing).
fn pipeline(raw: &[u8]) -> Option<(Vec<Mailbox>, Vec<u8>)> {
    let message = Message::new(raw).ok()?;
    let (rcpts, out) = take_recipients(&message).ok()?;
    Some((rcpts, out.as_bytes().to_vec()))
}

/// The header fields of a CRLF-only message as any reader of the wire sees them: (name,
/// unfolded value). Lines that are not fields are skipped, as lenient readers do.
fn wire_fields(wire: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let text = wire.strip_suffix(b"\r\n").unwrap_or(wire);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some(last) = out.last_mut() {
                last.1.extend_from_slice(b"\r\n");
                last.1.extend_from_slice(line);
            }
            continue;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&line[..colon])
                .trim()
                .to_ascii_lowercase();
            out.push((name, line[colon + 1..].to_vec()));
        }
    }
    out
}

fn addresses_of(fields: &[(String, Vec<u8>)], names: &[&str]) -> Option<Vec<Mailbox>> {
    let mut out = Vec::new();
    for (name, value) in fields {
        if names.contains(&name.as_str()) {
            out.extend(parse_address_list(name, value).ok()?);
        }
    }
    Some(out)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a [u8]]) -> &'a [u8] {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const PIECES: &[&[u8]] = &[
    b"To:",
    b"to :",
    b"Cc:",
    b"CC:",
    b"Bcc:",
    b"bcc:",
    b"BCC :",
    b"From: f@x.org",
    b"Subject: s",
    b"X-Y: z",
    b" a@x.org",
    b" b@y.org",
    b"c@z.org",
    b" <d@x.org>",
    b", ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\r\n",
    b"\n\r",
    b"\0",
    b" ",
    b"\t",
    b":",
    b"x",
    b"\"q",
    b"(",
    b")",
];

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut msg = Vec::new();
    let n = 1 + rng.next() % 24;
    for _ in 0..n {
        msg.extend_from_slice(rng.pick(PIECES));
    }
    if rng.next() % 2 == 0 {
        msg.extend_from_slice(b"\n\nTo: body@x.org\nBcc: body@x.org\n");
    }
    msg
}

#[test]
fn issue_9_t_reads_exactly_the_header_lines_that_go_on_the_wire() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut sent, mut refused, mut with_bcc) = (0, 0, 0);
    for case in 0..60_000 {
        let raw = generate(&mut rng);
        let Some((rcpts, wire)) = pipeline(&raw) else {
            refused += 1;
            continue;
        };
        sent += 1;
        let show = || format!("case {case}: {:?}", String::from_utf8_lossy(&raw));
        // Only CRLF on the wire.
        for (i, &b) in wire.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(wire.get(i + 1), Some(&b'\n'), "{}", show());
            }
            if b == b'\n' {
                assert_eq!(wire.get(i.wrapping_sub(1)), Some(&b'\r'), "{}", show());
            }
        }
        let on_wire = wire_fields(&wire);
        assert!(
            !on_wire.iter().any(|(n, _)| n == "bcc"),
            "a Bcc line went on the wire: {}\nwire: {:?}",
            show(),
            String::from_utf8_lossy(&wire)
        );
        let visible = addresses_of(&on_wire, &["to", "cc"])
            .unwrap_or_else(|| panic!("an unparsable To/Cc went on the wire: {}", show()));
        for a in &visible {
            assert!(
                rcpts.contains(a),
                "{a} is in a To/Cc line on the wire but not in the envelope: {}",
                show()
            );
        }
        // Everything the envelope holds comes from a To, Cc or Bcc line of the message as
        // sent (the Bcc lines read from its normalised form, before removal).
        let normalised = Message::new(&raw).unwrap();
        let before = wire_fields(normalised.as_bytes());
        if before.iter().any(|(n, _)| n == "bcc") {
            with_bcc += 1;
        }
        let mut expected: Vec<Mailbox> = Vec::new();
        for a in addresses_of(&before, &["to", "cc", "bcc"]).unwrap() {
            if !expected.contains(&a) {
                expected.push(a);
            }
        }
        assert_eq!(rcpts, expected, "{}", show());
    }
    eprintln!("60000 cases: {sent} sent, {refused} refused, {with_bcc} with a Bcc field");
    // The generator must exercise both outcomes, and Bcc removal, to prove anything.
    assert!(
        sent > 1_000 && refused > 1_000 && with_bcc > 500,
        "sent {sent}, refused {refused}, with Bcc {with_bcc}"
    );
}
