//! Built messages are parsed back with mail-parser (same authors, independent parser) and
//! checked part by part; generated names, subjects and binary contents attack the encoders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use mail_parser::{MessageParser, MimeHeaders};

fn mailbox(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// Text mixing ASCII specials, spaces, Latin-1, CJK and emoji, long enough to fold.
    fn text(&mut self, n: usize) -> String {
        const PIECES: &[&str] = &[
            "a", "Z", " ", "  ", "\"", "'", ";", "=", "?", "=?", "?=", "_", "%", "*", "(", ")",
            "<", ">", ",", "\\", "é", "ü", "ß", "€", "日本", "語", "😀", "Ω", "\t", ".", "-",
        ];
        (0..n)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn text_html_and_attachments_parse_back() {
    let pdf = b"%PDF-1.4\n\x00\x01\xff binary".to_vec();
    let m = Compose::new(mailbox("sender@example.com"))
        .from_name("Zoë Sender")
        .unwrap()
        .to(mailbox("a@example.org"))
        .cc(mailbox("b@example.org"))
        .subject("Résumé: ☕ and a very long subject line that goes on and on well past the seventy-eight characters of one line")
        .unwrap()
        .text("plain body\nsecond line\n")
        .html("<p>html body</p>")
        .attach(Attachment::new("rapport d'été.pdf", pdf.clone()).unwrap())
        .attach(Attachment::new("notes.txt", b"just text\n".to_vec()).unwrap())
        .to_message()
        .unwrap();
    let raw = m.as_bytes();
    let p = MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        p.subject(),
        Some("Résumé: ☕ and a very long subject line that goes on and on well past the seventy-eight characters of one line")
    );
    let from = p.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("Zoë Sender"));
    assert_eq!(from.address(), Some("sender@example.com"));
    assert_eq!(
        p.to().unwrap().first().unwrap().address(),
        Some("a@example.org")
    );
    assert_eq!(
        p.cc().unwrap().first().unwrap().address(),
        Some("b@example.org")
    );
    assert!(p.date().is_some(), "Date generated");
    let id = p.message_id().unwrap();
    assert!(id.ends_with("@example.com"), "{id}");
    assert_eq!(
        p.body_text(0).unwrap().replace("\r\n", "\n"),
        "plain body\nsecond line\n"
    );
    assert!(p.body_html(0).unwrap().contains("<p>html body</p>"));
    assert_eq!(p.attachment_count(), 2);
    let a = p.attachment(0).unwrap();
    assert_eq!(a.attachment_name(), Some("rapport d'été.pdf"));
    assert_eq!(a.content_type().unwrap().subtype(), Some("pdf"));
    assert_eq!(a.contents(), &pdf[..]);
    let t = p.attachment(1).unwrap();
    assert_eq!(t.content_type().unwrap().ctype(), "text");
    // The header section is ASCII: non-ASCII went through RFC 2047 / RFC 2231.
    let head = &raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
    assert!(head.is_ascii(), "{}", String::from_utf8_lossy(head));
    assert!(
        raw.windows(9).any(|w| w == b"filename*"),
        "RFC 2231 filename*"
    );
}

#[test]
fn generated_values_round_trip() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for round in 0..200 {
        let (n1, n2, n3, n4) = (g.next() % 60, g.next() % 20, g.next() % 30, g.next() % 5000);
        let subject = g.text(1 + n1 as usize).replace('\t', " ");
        let name = g.text(1 + n2 as usize).replace('\t', " ");
        let file = format!("{}.bin", g.text(1 + n3 as usize).replace('\t', "_"));
        let data = g.bytes(n4 as usize);
        let m = Compose::new(mailbox("s@example.com"))
            .from_name(name.clone())
            .unwrap()
            .to(mailbox("r@example.org"))
            .subject(subject.clone())
            .unwrap()
            .text(g.text(200))
            .attach(Attachment::new(file.clone(), data.clone()).unwrap())
            .to_message()
            .unwrap();
        let p = MessageParser::default().parse(m.as_bytes()).unwrap();
        // Folding whitespace may collapse runs of spaces; compare without them.
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            squash(p.subject().unwrap()),
            squash(&subject),
            "round {round}"
        );
        let from = p.from().unwrap().first().unwrap();
        assert_eq!(from.address(), Some("s@example.com"), "round {round}");
        if !name.trim().is_empty() {
            assert_eq!(squash(from.name().unwrap()), squash(&name), "round {round}");
        }
        let a = p.attachment(0).unwrap();
        assert_eq!(a.attachment_name(), Some(file.as_str()), "round {round}");
        assert_eq!(a.contents(), &data[..], "round {round}: binary round trip");
        let raw = m.as_bytes();
        let head = &raw[..raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
        assert!(head.is_ascii(), "round {round}");
    }
}

#[test]
fn control_characters_are_refused() {
    for bad in ["a\r\nBcc: x@evil.test", "a\nb", "a\rb", "nul\0", "esc\x1b"] {
        let c = Compose::new(mailbox("s@example.com"));
        assert_eq!(
            c.clone().subject(bad).unwrap_err(),
            ComposeError::ControlCharacter { field: "subject" }
        );
        assert!(c.from_name(bad).is_err());
        assert!(Attachment::new(bad, vec![]).is_err());
        assert!(from_field(Some(bad), &mailbox("s@example.com")).is_err());
    }
    let a = Attachment::new("x", vec![]).unwrap();
    for bad in ["text", "/x", "a/", "a/b c", "a/b;c=d", "a\r/b"] {
        assert!(a.clone().with_content_type(bad).is_err(), "{bad}");
    }
    assert_eq!(
        a.with_content_type("Application/PDF")
            .unwrap()
            .content_type(),
        "application/pdf"
    );
}

#[test]
fn content_types_are_guessed() {
    for (name, want) in [
        ("a.pdf", "application/pdf"),
        ("photo.JPG", "image/jpeg"),
        ("x.txt", "text/plain"),
        ("noextension", "application/octet-stream"),
        ("weird.zzzq", "application/octet-stream"),
    ] {
        assert_eq!(Attachment::new(name, vec![]).unwrap().content_type(), want);
    }
}

#[test]
fn from_field_encodes() {
    let me = mailbox("cron@example.com");
    assert_eq!(
        from_field(Some("Cron Daemon"), &me).unwrap(),
        b"From: \"Cron Daemon\" <cron@example.com>\r\n"
    );
    assert_eq!(
        from_field(None, &me).unwrap(),
        b"From: <cron@example.com>\r\n"
    );
    let f = from_field(Some("Zoë"), &me).unwrap();
    assert!(f.is_ascii());
    let p = MessageParser::default()
        .parse(&[f, b"\r\nbody\r\n".to_vec()].concat()[..])
        .unwrap()
        .into_owned();
    assert_eq!(p.from().unwrap().first().unwrap().name(), Some("Zoë"));
}
