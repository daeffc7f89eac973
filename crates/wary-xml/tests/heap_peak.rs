//! The streaming promise, measured on the heap itself: reading a document through `Reader`
//! holds the same memory whatever the document's size, and that memory is a few buffers.
//!
//! A counting global allocator (peakmem-alloc, this test binary's only) records the peak of
//! the bytes allocated above what was live when the parse started. Each document shape is parsed at
//! 1 MiB and at 24 MiB: the peak may not grow with the size (a buffer that grows with the
//! input, or one kept from the start, shows here), and it must stay under a ceiling made of
//! what the design says is held: the window of decoded text (128 KiB at most between
//! compactions), the adapter's 64 KiB read buffer, and the parser's small state. The bench
//! (`scripts/bench xml`) measures the same promise as peak RSS on a 1 GiB document.

use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::io::Cursor;
use std::sync::Mutex;
use wary_xml::{Options, Reader};

#[global_allocator]
static HEAP: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The counters are the whole process's: one test at a time, from making its documents to
/// the end of its measurement, so that no other test's allocations are counted.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Peak heap above what was live at the start, while `doc` is parsed through `Reader`
/// (64 KiB reads from an in-memory file); the number of events, to show it was parsed.
fn peak_while_parsing(doc: Vec<u8>) -> (usize, u64) {
    let input = Cursor::new(doc);
    HEAP.reset_peak_memory();
    let mut reader = Reader::new(input, Options::default());
    let mut events = 0u64;
    loop {
        match reader.next_event() {
            Ok(Some(_)) => events += 1,
            Ok(None) => break,
            Err(e) => panic!("generated document rejected: {e}"),
        }
    }
    let peak = HEAP.get_peak_memory();
    drop(reader);
    (peak, events)
}

/// A document of about `size` bytes: `<r>`, `unit` repeated, `</r>`.
fn doc(unit: &str, size: usize) -> Vec<u8> {
    let mut d = String::with_capacity(size + unit.len() + 16);
    d.push_str("<?xml version='1.0'?>\r\n<r>");
    while d.len() < size {
        d.push_str(unit);
    }
    d.push_str("</r>");
    d.into_bytes()
}

const SMALL: usize = 1 << 20;
const LARGE: usize = 24 << 20;
/// The window (128 KiB), the read buffer (64 KiB) and 64 KiB for everything else.
const CEILING: usize = 256 << 10;
/// What the peak may differ by between 1 MiB and 24 MiB of the same shape: allocator
/// rounding and a name table or two, never a buffer.
const GROWTH: usize = 8 << 10;

fn check(shape: &str, unit: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (small, n_small) = peak_while_parsing(doc(unit, SMALL));
    let (large, n_large) = peak_while_parsing(doc(unit, LARGE));
    assert!(n_large > n_small, "{shape}: the large document was parsed");
    eprintln!("{shape}: peak heap {small} bytes at 1 MiB, {large} at 24 MiB");
    assert!(
        large <= small + GROWTH,
        "{shape}: peak heap grew with the document: {small} bytes at 1 MiB, {large} at 24 MiB"
    );
    assert!(
        large <= CEILING,
        "{shape}: peak heap {large} bytes at 24 MiB, over the {CEILING} the streaming design \
         allows (window + read buffer + state)"
    );
}

#[test]
fn text_with_crlf_and_multibyte_characters() {
    check(
        "text",
        "Plain text with CR LF line ends, and café, 東京, 😀.\r\n",
    );
}

#[test]
fn many_small_elements_with_attributes() {
    check(
        "elements",
        "<item id='42' kind=\"x&amp;y\" lang='en'>value &#233;</item>\n",
    );
}

#[test]
fn nesting_and_namespaces() {
    check(
        "nested",
        "<a xmlns:p='urn:p'><p:b p:c='1'><d><e><f>deep</f></e></d></p:b></a><!-- c --><?pi x?>",
    );
}

#[test]
fn cdata_sections() {
    check("cdata", "<![CDATA[ <not markup> & ]]> and text\n");
}
