//! Turning an entity's bytes into checked UTF-8 text (XML 1.0 §4.3.3 and Appendix F).
//!
//! The decoder learns the charset from `sniff` (byte-order mark, first bytes, the encoding
//! declaration read whole), and then delivers text that is already (a) valid UTF-8, (b) made only of \[2\] Char, and
//! (c) end-of-line normalized (§2.11: CR LF and lone CR become LF). Doing all three once, at
//! the edge, lets the tokenizer work on plain bytes and never look at a CR or a control
//! character again.
//!
//! Which decoder a declared charset gets is `charset`'s policy: generated tables for the IANA
//! charsets that encoding_rs (which follows the WHATWG Encoding Standard) maps to other
//! charsets, encoding_rs for the rest; UTF-8 is validated by simdutf8. Bytes are decoded
//! straight from the read buffer (a file) or from the caller's slice (a fed document:
//! [`Decoder::feed`]); only a sequence cut by the end of a buffer is copied aside.

use crate::charset::{self, How, Table};
use crate::sniff;
pub(crate) use crate::sniff::InUse;
use crate::{Error, ErrorKind};
use encoding_rs::DecoderResult;
use std::io::Read;

/// How many raw bytes one fill reads.
const CHUNK: usize = 64 * 1024;

enum Kind {
    Utf8,
    Latin1,
    Ascii,
    Table(Table),
    Iso2022Jp(charset::Iso2022Jp),
    Other(Box<encoding_rs::Decoder>),
    /// encoding_rs's GB18030 decoder, fed only whole sequences (see `charset::gb18030_whole`).
    Gb18030(Box<encoding_rs::Decoder>),
}

/// Where a decoder's raw bytes come from.
enum Source {
    /// A file (an external entity, or the external subset): read on demand, in `CHUNK`s.
    Read(Box<dyn Read + Send>),
    /// The document fed by the caller ([`crate::Parser::feed`]): bytes arrive in `staging`;
    /// when it runs dry before [`Decoder::finish`], decoding stops with "need more input"
    /// (`Error::need_more`), never an error and never the end.
    Fed,
}

/// A streaming decoder for one entity.
pub(crate) struct Decoder {
    raw: Source,
    /// The charset's decoder, and what decoding carries from one buffer to the next.
    st: Decode,
    /// Raw bytes read or fed but not yet decoded: an incomplete sequence at the end of a
    /// read or feed, or the sniffed prefix (see [`Decoder::feed`]).
    staging: Vec<u8>,
    raw_eof: bool,
    /// The fed input ended after everything fed was decoded: the charset's decoder must
    /// still be told, so that a sequence it holds cut short is reported (as a read of 0
    /// bytes does for a file).
    flush_due: bool,
    /// What was chosen, for the check against the declaration the reader parses.
    in_use: Option<InUse>,
    /// Where raw bytes are read to (allocated once).
    raw_buf: Vec<u8>,
}

/// How many fed bytes [`Decoder::feed`] appends to a staged incomplete sequence to complete
/// it: more than the longest sequence of any charset read (4 bytes: UTF-8, GB18030, an
/// ISO-2022-JP escape).
const JOIN: usize = 16;

/// The capacity a fed decoder's staging buffer keeps once its head is decoded: room for a
/// staged sequence and the [`JOIN`] bytes that complete it.
const FED_STAGING_KEPT: usize = 4 * JOIN;

/// The charset's decoder and the state that outlives one buffer.
struct Decode {
    kind: Kind,
    /// The last character delivered was a CR turned into LF: drop a following LF.
    after_cr: bool,
    /// An error found after the text already delivered; reported when the reader gets there.
    pending: Option<Error>,
    /// Name of the encoding in use.
    encoding: &'static str,
    scratch: String,
    /// The last few bytes encoding_rs consumed. Its decoders keep a cut sequence across
    /// calls, so a malformed sequence may have begun in bytes already dropped from the
    /// buffer: the error names it from here, the same whatever the reads (fuzz_chunks_7).
    consumed_tail: Vec<u8>,
}

/// What [`Decode::run`] did with its input.
struct Ran {
    /// Bytes decoded; the rest (an incomplete sequence at the end) waits for more.
    read: usize,
    /// An error is pending: nothing after it is ever decoded.
    failed: bool,
}

impl Decoder {
    /// Sniffs the encoding of an entity read from `raw` (§4.3.3, Appendix F) and prepares to
    /// decode it. The XML or text declaration is read whole, however much white space it
    /// holds, up to `max_decl` bytes (the token limit, which the reader then enforces on
    /// it). `document` is true for the document entity, which must start with `<` or white
    /// space.
    pub fn new(
        mut raw: Box<dyn Read + Send>,
        max_decl: usize,
        document: bool,
    ) -> Result<Decoder, Error> {
        let (sn, mut head, ended) = sniff::sniff_read(&mut *raw, max_decl, document)?;
        head.drain(..sn.bom_len);
        Ok(Decoder::with(Source::Read(raw), sn, head, ended))
    }

    /// A decoder over bytes the caller feeds, once `head` (every byte fed so far; `ended`:
    /// the input has ended) is enough to decide the charset. `None`: feed more first.
    pub fn fed(
        head: &[u8],
        ended: bool,
        max_decl: usize,
        document: bool,
    ) -> Result<Option<Decoder>, Error> {
        let Some(sn) = sniff::sniff(head, ended, max_decl, document)? else {
            return Ok(None);
        };
        let rest = head.get(sn.bom_len..).unwrap_or_default().to_vec();
        Ok(Some(Decoder::with(Source::Fed, sn, rest, ended)))
    }

    fn with(raw: Source, sn: sniff::Sniffed, staging: Vec<u8>, ended: bool) -> Decoder {
        let (kind, encoding) = kind_for(&sn.in_use);
        Decoder {
            raw,
            st: Decode {
                kind,
                after_cr: false,
                pending: None,
                encoding,
                scratch: String::new(),
                consumed_tail: Vec::new(),
            },
            staging,
            raw_eof: ended,
            flush_due: false,
            in_use: Some(sn.in_use),
            raw_buf: Vec::new(),
        }
    }

    /// More bytes of a fed document, decoded onto the end of `out` (the frame's window)
    /// at once, straight from `bytes`: the one copy of each byte the decoding makes anyway,
    /// where copying them into `staging` first and decoding later cost a second one (issue
    /// 11: 17% of the time on plain ASCII text). Only an incomplete sequence at the end
    /// (a character, or an ISO-2022-JP escape, cut by the feed) is staged; a CR at the
    /// end waits in `after_cr` for a LF. Nothing is parsed here, and nothing is reported:
    /// an error found is pending, and `fill` returns it once the text before it has been
    /// taken, as when the bytes are decoded later. Ignored once the decoder stopped at an
    /// error or the end: nothing after either is ever decoded.
    pub fn feed(&mut self, bytes: &[u8], out: &mut String) {
        if !matches!(self.raw, Source::Fed) || self.raw_eof || self.st.pending.is_some() {
            return;
        }
        let mut rest = bytes;
        if !self.staging.is_empty() {
            // Complete the staged sequence with the first few bytes fed; what is left
            // staged then (a new incomplete sequence) is a tail of those bytes, decoded
            // again from `bytes`. (A head longer than that, not decoded yet, is rare:
            // stage all.)
            let k = rest.len().min(JOIN);
            self.staging.extend_from_slice(&rest[..k]);
            self.decode_staging(out);
            if self.raw_eof {
                return;
            }
            let left = self.staging.len();
            if left > k {
                self.staging.extend_from_slice(&rest[k..]);
                return;
            }
            self.staging.clear();
            rest = &rest[k - left..];
        }
        if rest.is_empty() {
            return;
        }
        let ran = self.st.run(rest, false, out);
        if ran.failed {
            self.raw_eof = true;
        } else {
            self.staging.extend_from_slice(&rest[ran.read..]);
        }
    }

    /// The fed document has ended.
    pub fn finish(&mut self) {
        if matches!(self.raw, Source::Fed) && !self.raw_eof {
            self.raw_eof = true;
            self.flush_due = true;
        }
    }

    /// The charset chosen, for the reader to check the declaration against (once).
    pub fn take_in_use(&mut self) -> Option<InUse> {
        self.in_use.take()
    }

    /// Decodes more text onto the end of `out`, checked and normalized. Returns `false` when
    /// the entity has ended (nothing more will ever come). An error found in the input is
    /// held back until everything before it has been delivered. A fed document's bytes are
    /// decoded as they are fed: here, only what was staged is (its head, and a sequence
    /// cut by its end).
    pub fn fill(&mut self, out: &mut String) -> Result<bool, Error> {
        loop {
            if let Some(e) = self.st.pending.take() {
                return Err(e);
            }
            if self.staging.is_empty() && self.raw_eof && !self.flush_due {
                self.st.after_cr = false;
                return Ok(false);
            }
            let before = out.len();
            match &mut self.raw {
                Source::Read(raw) if !self.raw_eof => {
                    if self.raw_buf.len() < CHUNK {
                        self.raw_buf.resize(CHUNK, 0);
                    }
                    let n = loop {
                        match raw.read(&mut self.raw_buf) {
                            Ok(n) => break n,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                            Err(e) => return Err(Error::io(e, "cannot read input")),
                        }
                    };
                    if n == 0 {
                        self.raw_eof = true;
                    } else if self.staging.is_empty() {
                        // Hot path: decode straight from the read buffer (saves a copy of
                        // every byte); only a sequence cut by the end of the read waits in
                        // staging.
                        let bytes = &self.raw_buf[..n];
                        let ran = self.st.run(bytes, false, out);
                        if ran.failed {
                            self.raw_eof = true;
                        } else {
                            self.staging.extend_from_slice(&bytes[ran.read..]);
                        }
                        if out.len() > before || self.st.pending.is_some() {
                            return Ok(true);
                        }
                        continue;
                    } else {
                        self.staging.extend_from_slice(&self.raw_buf[..n]);
                    }
                }
                // Nothing fed waits: the caller must feed more (or finish).
                Source::Fed if !self.raw_eof && self.staging.is_empty() => {
                    return Err(Error::need_more());
                }
                _ => {}
            }
            self.flush_due = false;
            self.decode_staging(out);
            if out.len() > before || self.st.pending.is_some() {
                return Ok(true);
            }
            // Only the start of a sequence was fed: it waits for the rest.
            if matches!(self.raw, Source::Fed) && !self.raw_eof {
                return Err(Error::need_more());
            }
        }
    }

    /// Decodes what is staged (all of it at the end of the input), keeping an incomplete
    /// sequence at its end.
    fn decode_staging(&mut self, out: &mut String) {
        let ran = self.st.run(&self.staging, self.raw_eof, out);
        if ran.failed {
            self.staging.clear();
            self.raw_eof = true;
        } else {
            self.staging.drain(..ran.read);
        }
        // A fed document stages its head (the first feed, 64 KiB from `Reader`) and after
        // that only a sequence cut by a feed's end: give the head's buffer back rather than
        // hold it to the end of the document (64 KiB of a 200 KiB peak heap).
        if matches!(self.raw, Source::Fed) {
            self.staging.shrink_to(FED_STAGING_KEPT);
        }
    }
}

/// The decoder for the charset in use, and its name.
fn kind_for(in_use: &InUse) -> (Kind, &'static str) {
    let charset = in_use.charset();
    let kind = match charset.how {
        How::Utf8 => Kind::Utf8,
        How::Latin1 => Kind::Latin1,
        How::Ascii => Kind::Ascii,
        How::Table(t) => Kind::Table(t),
        How::Iso2022Jp => Kind::Iso2022Jp(charset::Iso2022Jp::default()),
        How::Utf16 => {
            let enc = if in_use.big_endian() {
                encoding_rs::UTF_16BE
            } else {
                encoding_rs::UTF_16LE
            };
            let kind = Kind::Other(Box::new(enc.new_decoder_without_bom_handling()));
            return (kind, enc.name());
        }
        How::EncodingRs(enc) => Kind::Other(Box::new(enc.new_decoder_without_bom_handling())),
        How::Gb18030 => Kind::Gb18030(Box::new(
            encoding_rs::GB18030.new_decoder_without_bom_handling(),
        )),
    };
    (kind, charset.name)
}

impl Decode {
    /// Decodes `input` onto the end of `out`, checked and normalized, up to an incomplete
    /// sequence at its end (unless `last`: then that is an error). Stops at the first
    /// error, which it leaves pending after the text before it.
    fn run(&mut self, input: &[u8], last: bool, out: &mut String) -> Ran {
        let Decode {
            kind,
            after_cr,
            pending,
            encoding,
            scratch,
            consumed_tail,
        } = self;
        let ran = match kind {
            Kind::Utf8 => {
                // Validate once, up to the last complete character (a sequence cut by the
                // end of the buffer waits for the next).
                let cut = if last {
                    input.len()
                } else {
                    complete_utf8_prefix(input)
                };
                let bytes = &input[..cut];
                // simdutf8 validates non-ASCII text several times faster than std (on
                // freedesktop.org.xml, std's validation was an eighth of all the time); its
                // `basic` flavour is the faster, `compat` says where the error is.
                if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
                    push_checked(out, text, after_cr, pending);
                    Ran {
                        read: cut,
                        failed: false,
                    }
                } else {
                    let valid = simdutf8::compat::from_utf8(bytes)
                        .err()
                        .map_or(cut, |e| e.valid_up_to());
                    let text = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
                    push_checked(out, text, after_cr, pending);
                    if pending.is_none() {
                        *pending = Some(Error::new(
                            ErrorKind::Encoding,
                            "XML 1.0 §4.3.3",
                            format!(
                                "invalid UTF-8: byte 0x{:02X} does not start a valid sequence; \
                                 declare the document's real encoding or fix the byte",
                                input.get(valid).copied().unwrap_or(0)
                            ),
                        ));
                    }
                    Ran {
                        read: valid,
                        failed: true,
                    }
                }
            }
            Kind::Latin1 => {
                scratch.clear();
                scratch.extend(input.iter().map(|&b| b as char));
                push_checked(out, scratch, after_cr, pending);
                Ran {
                    read: input.len(),
                    failed: false,
                }
            }
            Kind::Ascii => {
                let bad = input.iter().position(|&b| b >= 0x80);
                let n = bad.unwrap_or(input.len());
                let text = std::str::from_utf8(&input[..n]).unwrap_or_default();
                push_checked(out, text, after_cr, pending);
                if let Some(i) = bad {
                    if pending.is_none() {
                        *pending = Some(Error::new(
                            ErrorKind::Encoding,
                            "XML 1.0 §4.3.3",
                            format!(
                                "byte 0x{:02X} is not US-ASCII, the declared encoding",
                                input[i]
                            ),
                        ));
                    }
                }
                Ran {
                    read: n,
                    failed: bad.is_some(),
                }
            }
            Kind::Table(_) | Kind::Iso2022Jp(_) => {
                scratch.clear();
                let r = match kind {
                    Kind::Table(t) => t.decode(input, last, scratch),
                    Kind::Iso2022Jp(state) => state.decode(input, last, scratch),
                    _ => charset::Decoded { read: 0, bad: None },
                };
                push_checked(out, scratch, after_cr, pending);
                if let Some(n) = r.bad {
                    let seq = &input[r.read..(r.read + n).min(input.len())];
                    if pending.is_none() {
                        *pending = Some(illegal(seq, encoding));
                    }
                }
                Ran {
                    read: r.read,
                    failed: r.bad.is_some(),
                }
            }
            Kind::Other(dec) => {
                let (bad, read) = rs_decode(dec, input, last, scratch);
                push_checked(out, scratch, after_cr, pending);
                settle(consumed_tail, input, bad, read, pending, encoding)
            }
            Kind::Gb18030(dec) => {
                let mut at = 0;
                loop {
                    let rest = &input[at..];
                    let (whole, stop) = charset::gb18030_whole(rest);
                    // At the end, a cut last sequence goes to encoding_rs, which reports it.
                    let end = last && stop.is_none();
                    let upto = if end { rest.len() } else { whole };
                    let (bad, read) = rs_decode(dec, &rest[..upto], end, scratch);
                    push_checked(out, scratch, after_cr, pending);
                    let clean = bad.is_none() && read == upto;
                    if clean && stop == Some(charset::Gb18030Stop::A3A0) {
                        push_checked(out, "\u{E5E5}", after_cr, pending);
                        remember_consumed(consumed_tail, &rest[..upto + 2]);
                        at += upto + 2;
                        continue;
                    }
                    let lone = clean && stop == Some(charset::Gb18030Stop::Lone);
                    // The lone byte follows what was read: the error names it.
                    let (bad, read) = if lone {
                        (Some(Malformed { len: 1, extra: 0 }), read + 1)
                    } else {
                        (bad, read)
                    };
                    let ran = settle(consumed_tail, rest, bad, read, pending, encoding);
                    break Ran {
                        read: at + ran.read,
                        failed: ran.failed,
                    };
                }
            }
        };
        // A character that is not a [2] Char ends the input as an undecodable byte does.
        Ran {
            read: ran.read,
            failed: ran.failed || pending.is_some(),
        }
    }
}

/// A malformed sequence encoding_rs reported: `len` bytes, followed by `extra` bytes it also
/// consumed, ending where its read ended. Both may lie partly in earlier buffers.
struct Malformed {
    len: usize,
    extra: usize,
}

/// How many consumed bytes `consumed_tail` keeps: more than the longest malformed sequence
/// encoding_rs reports (4 bytes, GB18030).
const TAIL: usize = 8;

/// Appends `bytes` to `tail`, keeping its last `TAIL` bytes.
fn remember_consumed(tail: &mut Vec<u8>, bytes: &[u8]) {
    let keep = &bytes[bytes.len().saturating_sub(TAIL)..];
    tail.extend_from_slice(keep);
    let over = tail.len().saturating_sub(TAIL);
    tail.drain(..over);
}

/// After encoding_rs decoded `read` bytes of `input`: remembers their last bytes in `tail`,
/// and records the illegal sequence `bad`, if any, as the pending error (its bytes taken
/// from `tail`, where an earlier buffer may have held them).
fn settle(
    tail: &mut Vec<u8>,
    input: &[u8],
    bad: Option<Malformed>,
    read: usize,
    pending: &mut Option<Error>,
    encoding: &str,
) -> Ran {
    let read = read.min(input.len());
    remember_consumed(tail, &input[..read]);
    if let Some(m) = &bad {
        if pending.is_none() {
            let end = tail.len().saturating_sub(m.extra);
            let seq = &tail[end.saturating_sub(m.len)..end];
            *pending = Some(illegal(seq, encoding));
        }
    }
    Ran {
        read,
        failed: bad.is_some(),
    }
}

/// The length of `b` without a trailing incomplete UTF-8 sequence.
fn complete_utf8_prefix(b: &[u8]) -> usize {
    let n = b.len();
    for back in 1..=3.min(n) {
        let c = b[n - back];
        if c & 0xC0 != 0x80 {
            // A lead byte (or ASCII): how long is its sequence?
            let need = match c {
                0xF0..=0xFF => 4,
                0xE0..=0xEF => 3,
                0xC0..=0xDF => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

/// Appends `s` to `out`, normalizing line ends and stopping at the first character that
/// is not an XML 1.0 \[2\] Char (recording the error in `pending`).
fn push_checked(out: &mut String, s: &str, after_cr: &mut bool, pending: &mut Option<Error>) {
    if pending.is_some() {
        return;
    }
    let bytes = s.as_bytes();
    // Fast path: no control byte and no CR (a branch-free loop the compiler vectorizes), and
    // no U+FFFE or U+FFFF (EF BF BE / EF BF BF, found with memchr on their rare first byte).
    let ctrl = bytes.chunks(256).any(|c| {
        c.iter().fold(false, |a, &b| {
            a | ((b < 0x20) & (b != b'\n') & (b != b'\t'))
        })
    });
    let special = ctrl
        || memchr::memchr_iter(0xEF, bytes).any(|i| {
            bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
        });
    if !special {
        let rest = if *after_cr {
            s.strip_prefix('\n').unwrap_or(s)
        } else {
            s
        };
        // Any character after a CR ends its pending state, the LF it swallowed included:
        // otherwise a lone LF read on its own after CR LF would be dropped too.
        if !s.is_empty() {
            *after_cr = false;
        }
        out.push_str(rest);
        return;
    }
    // Byte by byte where it matters, which is exact here: in valid UTF-8 the only code
    // points outside [2] Char are the C0 controls (single bytes) and U+FFFE/U+FFFF (EF BF
    // BE, EF BF BF); CR and LF are single bytes. (Decoding characters here cost several
    // times as much on CRLF documents.) Blocks of `BLOCK` bytes with none of those bytes
    // (most of them, in a document with CR LF line ends) are passed over by one branch-free
    // test the compiler vectorizes: a lookup per byte of the whole text was 40% of the time
    // of `wary xml check` on such a document, and slowed by whatever the loop's place in
    // the binary (issue 11: 17% between two builds).
    let mut i = 0;
    if *after_cr && !bytes.is_empty() {
        if bytes[0] == b'\n' {
            i = 1;
        }
        *after_cr = false;
    }
    let mut start = i;
    for (n, block) in bytes.chunks(BLOCK).enumerate() {
        let base = n * BLOCK;
        // A CR LF may have been taken across the block's start.
        if i >= base + block.len() {
            continue;
        }
        if !block.iter().fold(false, |a, &b| a | is_special(b)) {
            i = base + block.len();
            continue;
        }
        while let Some(k) = bytes[i..base + block.len()]
            .iter()
            .position(|&b| EOL_SPECIAL[b as usize])
        {
            let j = i + k;
            match bytes[j] {
                b'\r' => {
                    out.push_str(&s[start..j]);
                    out.push('\n');
                    i = j + 1;
                    match bytes.get(i) {
                        Some(b'\n') => i += 1,
                        Some(_) => {}
                        // The LF of a CR LF may come with the next chunk.
                        None => *after_cr = true,
                    }
                    start = i;
                }
                0xEF => {
                    if bytes.get(j + 1) == Some(&0xBF)
                        && matches!(bytes.get(j + 2), Some(0xBE | 0xBF))
                    {
                        out.push_str(&s[start..j]);
                        let c = if bytes[j + 2] == 0xBE { 0xFFFE } else { 0xFFFF };
                        *pending = Some(not_a_char(c));
                        return;
                    }
                    i = j + 1;
                }
                c => {
                    out.push_str(&s[start..j]);
                    *pending = Some(not_a_char(c as u32));
                    return;
                }
            }
            if i >= base + block.len() {
                break;
            }
        }
        i = i.max(base + block.len());
    }
    out.push_str(&s[start..]);
}

/// The block [`push_checked`] tests whole before looking at its bytes one by one.
const BLOCK: usize = 64;

/// Whether [`push_checked`] must look at byte `b` (as [`EOL_SPECIAL`], without a lookup,
/// so that a block's test vectorizes).
#[inline(always)]
fn is_special(b: u8) -> bool {
    ((b < 0x20) & (b != b'\n') & (b != b'\t')) | (b == 0xEF)
}

/// Bytes that [`push_checked`]'s slow path must look at: CR, the C0 controls other than
/// tab and LF, and 0xEF (the first byte of U+FFFE and U+FFFF).
static EOL_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    t[0xEF] = true;
    t
};

fn not_a_char(c: u32) -> Error {
    Error::new(
        ErrorKind::InvalidChar,
        "XML 1.0 [2] Char",
        format!("character U+{c:04X} is not allowed in XML"),
    )
}

/// Decodes with encoding_rs into `scratch` (cleared); returns where an illegal sequence is
/// (a range of `bytes`), if any, and how many bytes were read.
fn rs_decode(
    dec: &mut encoding_rs::Decoder,
    bytes: &[u8],
    last: bool,
    scratch: &mut String,
) -> (Option<Malformed>, usize) {
    scratch.clear();
    let need = dec
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 4 + 16);
    scratch.reserve(need);
    let (res, read) = dec.decode_to_string_without_replacement(bytes, scratch, last);
    match res {
        DecoderResult::Malformed(len, extra) => {
            let (len, extra) = (usize::from(len), usize::from(extra));
            (Some(Malformed { len, extra }), read)
        }
        _ => (None, read),
    }
}

/// The error for a sequence that is not a character in the declared charset.
fn illegal(seq: &[u8], encoding: &str) -> Error {
    let hex: Vec<String> = seq.iter().map(|b| format!("{b:02X}")).collect();
    let what = if seq.len() == 1 { "byte" } else { "bytes" };
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!(
            "{what} {} {} not a character in {encoding}, the encoding in use; fix the bytes, \
             or declare the encoding the document really is in",
            hex.join(" "),
            if seq.len() == 1 { "is" } else { "are" },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, Error> {
        let mut d = Decoder::new(
            Box::new(std::io::Cursor::new(bytes.to_vec())),
            1 << 20,
            true,
        )?;
        let mut out = String::new();
        while d.fill(&mut out)? {}
        Ok(out)
    }

    #[test]
    fn utf8_and_line_ends() {
        assert_eq!(decode(b"a\r\nb\rc\n").unwrap(), "a\nb\nc\n");
        assert_eq!(decode(b"\xEF\xBB\xBFx").unwrap(), "x");
    }

    #[test]
    fn latin1_is_not_windows_1252() {
        let s = decode(b"<?xml version='1.0' encoding='ISO-8859-1'?>\x80\xE9").unwrap();
        assert!(s.ends_with("\u{80}\u{E9}"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for c in "<a/>".encode_utf16() {
            b.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(decode(&b).unwrap(), "<a/>");
    }

    #[test]
    fn errors() {
        assert_eq!(decode(b"a\x01").unwrap_err().kind(), ErrorKind::InvalidChar);
        assert_eq!(decode(b"a\xFF").unwrap_err().kind(), ErrorKind::Encoding);
        // (A declaration contradicting the byte-order mark is reported by the reader, at
        // the declaration: tests/encodings.rs.)
        assert_eq!(
            decode("\u{FFFE}".as_bytes()).unwrap_err().kind(),
            ErrorKind::InvalidChar
        );
    }
}
