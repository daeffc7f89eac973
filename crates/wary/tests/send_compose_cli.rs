//! `wary send --subject/--body/--html/--attach`: the message built from flags, sent to a
//! loopback server, parsed back there with mail-parser: parts, names, bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use mail_parser::{MessageParser, MimeHeaders};
use support::{accepting_server, data_content, wary_send};

#[test]
fn built_message_arrives_with_its_attachments() {
    let dir = tempfile::tempdir().unwrap();
    // Every byte value, twice, so any transfer-encoding slip shows.
    let binary: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let bin_path = dir.path().join("données brutes €.bin");
    std::fs::write(&bin_path, &binary).unwrap();
    let pdf_path = dir.path().join("report.pdf");
    std::fs::write(&pdf_path, b"%PDF-1.4 fake").unwrap();
    let html_path = dir.path().join("body.html");
    std::fs::write(&html_path, "<p>Grüße</p>").unwrap();
    let (port, server) = accepting_server();
    let server_arg = format!("127.0.0.1:{port}");
    let (code, err, _) = wary_send(
        &[
            "--server",
            &server_arg,
            "--tls",
            "none",
            "--from",
            "me@x.test",
            "--subject",
            "Grüße — ☕ report",
            "--body",
            "Hello,\n.\nsee attached.\n",
            "--html",
            html_path.to_str().unwrap(),
            "--attach",
            bin_path.to_str().unwrap(),
            "--attach",
            pdf_path.to_str().unwrap(),
            "a@x.test",
            "b@x.test",
        ],
        b"stdin is not read",
    );
    assert_eq!(code, 0, "{err}");
    let transcript = server.join().unwrap();
    assert!(transcript.contains("MAIL FROM:<me@x.test>"), "{transcript}");
    assert!(!transcript.contains("stdin is not read"));
    let raw = data_content(&transcript);
    let m = MessageParser::default().parse(&raw[..]).unwrap();
    assert_eq!(m.subject(), Some("Grüße — ☕ report"));
    assert_eq!(
        m.from().unwrap().first().unwrap().address(),
        Some("me@x.test")
    );
    let to: Vec<_> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["a@x.test", "b@x.test"]);
    assert!(m.date().is_some() && m.message_id().is_some());
    assert_eq!(
        m.body_text(0).unwrap().replace("\r\n", "\n"),
        "Hello,\n.\nsee attached.\n"
    );
    assert!(m.body_html(0).unwrap().contains("<p>Grüße</p>"));
    assert_eq!(m.attachment_count(), 2);
    let a = m.attachment(0).unwrap();
    assert_eq!(a.attachment_name(), Some("données brutes €.bin"));
    assert_eq!(a.contents(), &binary[..], "binary attachment byte-exact");
    let p = m.attachment(1).unwrap();
    assert_eq!(p.attachment_name(), Some("report.pdf"));
    assert_eq!(p.content_type().unwrap().subtype(), Some("pdf"));
}

#[test]
fn building_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.bin");
    let latin1 = dir.path().join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9").unwrap();
    for (args, code, words) in [
        (&["--subject", "s", "a@x.test"][..], 78, "needs --from"),
        (
            &["--subject", "s", "--from", "m@x.test", "-t"][..],
            78,
            "use one way",
        ),
        (
            &[
                "--from",
                "m@x.test",
                "--attach",
                missing.to_str().unwrap(),
                "a@x.test",
            ][..],
            65,
            "nope.bin",
        ),
        (
            &[
                "--from",
                "m@x.test",
                "--body-file",
                latin1.to_str().unwrap(),
                "a@x.test",
            ][..],
            65,
            "not UTF-8",
        ),
        (
            &[
                "--from",
                "m@x.test",
                "--subject",
                "a\nBcc: evil@x.test",
                "a@x.test",
            ][..],
            65,
            "control character",
        ),
    ] {
        let mut all = vec!["--server", "127.0.0.1:9", "--tls", "none"];
        all.extend_from_slice(args);
        let (got, err, _) = wary_send(&all, b"");
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
}
