//! ISO-2022-JP as RFC 1468 defines it: ASCII, JIS X 0201 Roman (`ESC ( J`), and JIS X 0208
//! (`ESC $ @` for the 1978 edition, `ESC $ B` for 1983), switched by escape sequences.
//!
//! Written here rather than taken from encoding_rs because encoding_rs decodes WHATWG's
//! ISO-2022-JP, which also accepts the half-width katakana set (`ESC ( I`) and the NEC and
//! IBM rows of Windows-31J in JIS X 0208 mode, none of which RFC 1468 has, and maps JIS X
//! 0208 row 1 the Microsoft way. JIS X 0208 is looked up in the EUC-JP table (the same
//! 94 × 94 set, with 0x80 added to each byte).

use super::{pair, Decoded, EUC_JP};

/// The graphic set in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Iso2022Jp {
    #[default]
    Ascii,
    Roman,
    Jis0208,
}

impl Iso2022Jp {
    /// Decodes `bytes` onto `out`, as [`super::Table::decode`] does, keeping the set in use
    /// for the next call.
    pub fn decode(&mut self, bytes: &[u8], last: bool, out: &mut String) -> Decoded {
        let mut i = 0;
        let short = |i: usize| Decoded {
            read: i,
            bad: last.then_some(bytes.len() - i),
        };
        while i < bytes.len() {
            let b = bytes[i];
            if b == 0x1B {
                let Some(esc) = bytes.get(i + 1..i + 3) else {
                    return short(i);
                };
                *self = match esc {
                    b"(B" => Iso2022Jp::Ascii,
                    b"(J" => Iso2022Jp::Roman,
                    b"$@" | b"$B" => Iso2022Jp::Jis0208,
                    _ => {
                        return Decoded {
                            read: i,
                            bad: Some(3),
                        }
                    }
                };
                i += 3;
                continue;
            }
            if b >= 0x80 {
                return Decoded {
                    read: i,
                    bad: Some(1),
                };
            }
            let c = match *self {
                Iso2022Jp::Roman if b == 0x5C => '\u{A5}',
                Iso2022Jp::Roman if b == 0x7E => '\u{203E}',
                // Controls (line ends included) stand alone in every set, as in CPython.
                Iso2022Jp::Jis0208 if b > 0x20 => {
                    let Some(&t) = bytes.get(i + 1) else {
                        return short(i);
                    };
                    match pair(EUC_JP, b | 0x80, t | 0x80).filter(|_| t > 0x20 && t < 0x7F) {
                        Some(c) if b < 0x7F => {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        _ => {
                            return Decoded {
                                read: i,
                                bad: Some(2),
                            }
                        }
                    }
                }
                _ => char::from(b),
            };
            out.push(c);
            i += 1;
        }
        Decoded { read: i, bad: None }
    }
}
