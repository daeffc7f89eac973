//! `AsyncReader` (feature `tokio`, issue 11): a document that arrives over a loopback TCP
//! stream in small pieces, with pauses between them, gives exactly the events of parsing it
//! from one slice; a peer that closes mid-document gives a clear error, not a hang.
//!
//! Run with `cargo test -p wary-xml --features tokio --test async_tcp` (scripts/test does).
#![cfg(feature = "tokio")]
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wary_xml::{AsyncReader, ErrorKind, Event, Options, Reader};

/// Every test is bounded by this, so that a reader that waits forever fails the test.
const LIMIT: Duration = Duration::from_secs(20);

const DOC: &str = "<?xml version='1.0' encoding='UTF-8'?>\n\
<!DOCTYPE stream [<!ENTITY greet 'hello &#x263A;'>]>\n\
<stream xmlns='jabber:client' xmlns:db='jabber:server:dialback' id='s1'>\
<message to='juliet@example.com' type='chat'><body>&greet; \u{e9}t\u{e9} &amp; more</body></message>\
<!-- a comment --><?pi data?><![CDATA[raw <text> ]]]]>\r\n\
<db:result from='a' to='b'>key</db:result>\
</stream>";

/// The events of a parse, text and CDATA runs joined (their pieces may follow the reads).
fn push(out: &mut Vec<String>, ev: &Event<'_>) {
    let (tag, t) = match ev {
        Event::Text(t) => ("T:", *t),
        Event::CData(t) => ("C:", *t),
        other => {
            out.push(format!("{other:?}"));
            return;
        }
    };
    match out.last_mut() {
        Some(last) if last.starts_with(tag) => last.push_str(t),
        _ => out.push(format!("{tag}{t}")),
    }
}

fn slice_events(doc: &[u8]) -> (Vec<String>, Option<(ErrorKind, String)>) {
    let mut r = Reader::from_bytes(doc, Options::default());
    let mut out = Vec::new();
    loop {
        match r.next_event() {
            Ok(Some(ev)) => push(&mut out, &ev),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some((e.kind(), e.to_string()))),
        }
    }
}

/// Writes all of `doc` in small pieces with pauses (1..=13 bytes, cycling).
async fn serve_in_pieces(doc: &'static [u8]) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut rest = doc;
        let mut i = 0usize;
        while !rest.is_empty() {
            let n = (1 + i % 13).min(rest.len());
            sock.write_all(&rest[..n]).await.unwrap();
            sock.flush().await.unwrap();
            rest = &rest[n..];
            if i % 3 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            } else {
                tokio::task::yield_now().await;
            }
            i += 1;
        }
        // Dropping the socket closes the stream: the reader sees the end.
    });
    addr
}

async fn parse_from(addr: std::net::SocketAddr) -> (Vec<String>, Option<(ErrorKind, String)>) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut reader = AsyncReader::new(stream, Options::default());
    let mut out = Vec::new();
    loop {
        match reader.next_event().await {
            Ok(Some(ev)) => push(&mut out, &ev),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some((e.kind(), e.to_string()))),
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_document_in_pieces_over_tcp_gives_the_slice_events() {
    let expected = slice_events(DOC.as_bytes());
    assert_eq!(expected.1, None, "the test document is well-formed");
    let got = runtime().block_on(async {
        tokio::time::timeout(LIMIT, async {
            let addr = serve_in_pieces(DOC.as_bytes()).await;
            parse_from(addr).await
        })
        .await
        .expect("the async parse did not finish")
    });
    assert_eq!(got, expected);
    assert!(got.0.len() > 15, "{:?}", got.0);
}

#[test]
fn a_peer_that_closes_mid_document_gives_a_clear_error() {
    // Cut inside the <message> element: the events before it, then the error a slice
    // cut at the same place gives.
    let cut = &DOC.as_bytes()[..DOC.find("<body>").unwrap() + 6];
    let cut: &'static [u8] = Box::leak(cut.to_vec().into_boxed_slice());
    let expected = slice_events(cut);
    let got = runtime().block_on(async {
        tokio::time::timeout(LIMIT, async {
            let addr = serve_in_pieces(cut).await;
            parse_from(addr).await
        })
        .await
        .expect("the reader hung on a closed stream")
    });
    assert_eq!(got, expected);
    let (kind, message) = got.1.expect("a document cut short is an error");
    assert_eq!(kind, ErrorKind::Syntax);
    assert!(message.contains("never closed"), "{message}");
}
