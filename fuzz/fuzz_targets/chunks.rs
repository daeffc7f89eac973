//! Fuzz target `chunks` (differential): the same document fed whole and fed in arbitrary
//! chunk splits (the first bytes of the input choose the chunk sizes, down to one byte per
//! read) must give identical events (adjacent text and CDATA pieces joined, since their
//! split may follow the reads) and the identical error: kind, message and position.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Read;
use wary_xml::{Event, Options, Reader};

/// A reader that returns the input in chunks of the given sizes, cycling.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    next: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let size = match self.sizes.get(self.next % self.sizes.len().max(1)) {
            Some(&s) => usize::from(s % 17) + 1,
            None => 1,
        };
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[derive(Debug, PartialEq)]
enum Ev {
    Text(String),
    CData(String),
    Other(String),
}

fn events(input: impl Read) -> (Vec<Ev>, Option<String>) {
    let mut reader = Reader::new(input, Options::default());
    let mut out: Vec<Ev> = Vec::new();
    loop {
        match reader.next_event() {
            Ok(None) => return (out, None),
            Err(e) => {
                let err = format!("{:?} {} {:?} {:?}", e.kind(), e, e.rule(), e.position());
                return (out, Some(err));
            }
            Ok(Some(Event::Text(t))) => match out.last_mut() {
                Some(Ev::Text(s)) => s.push_str(t),
                _ => out.push(Ev::Text(t.to_owned())),
            },
            Ok(Some(Event::CData(t))) => match out.last_mut() {
                Some(Ev::CData(s)) => s.push_str(t),
                _ => out.push(Ev::CData(t.to_owned())),
            },
            Ok(Some(other)) => out.push(Ev::Other(format!("{other:?}"))),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, data) = rest.split_at(n);
    let whole = events(data);
    let chunked = events(Chunked {
        data,
        sizes,
        next: 0,
    });
    assert_eq!(whole, chunked, "chunk sizes {sizes:?}");
});
