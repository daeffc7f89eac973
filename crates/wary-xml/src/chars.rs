//! Character classes of XML 1.0 Fifth Edition: \[2\] Char, \[4\] NameStartChar, \[4a\] NameChar,
//! with ASCII fast paths through a byte table.

/// Byte classes for the ASCII range (bit flags).
const NAME_START: u8 = 1;
const NAME: u8 = 2;
const SPACE: u8 = 4;
const PUBID: u8 = 8;

static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        let mut f = 0;
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            f |= NAME_START | NAME;
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            f |= NAME;
        }
        if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
            f |= SPACE;
        }
        // XML 1.0 [13] PubidChar
        if c == b' '
            || c == b'\r'
            || c == b'\n'
            || c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'\''
                    | b'('
                    | b')'
                    | b'+'
                    | b','
                    | b'.'
                    | b'/'
                    | b':'
                    | b'='
                    | b'?'
                    | b';'
                    | b'!'
                    | b'*'
                    | b'#'
                    | b'@'
                    | b'$'
                    | b'_'
                    | b'%'
            )
        {
            f |= PUBID;
        }
        t[i] = f;
        i += 1;
    }
    t
};

/// XML 1.0 \[3\] S: one white-space byte.
#[inline]
pub fn is_space(b: u8) -> bool {
    b < 128 && ASCII[b as usize] & SPACE != 0
}

/// XML 1.0 \[13\] PubidChar (all ASCII).
#[inline]
pub fn is_pubid_char(c: char) -> bool {
    (c as u32) < 128 && ASCII[c as usize] & PUBID != 0
}

/// XML 1.0 \[2\] Char.
#[inline]
pub fn is_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// XML 1.0 Fifth Edition \[4\] NameStartChar.
#[inline]
pub fn is_name_start_char(c: char) -> bool {
    let u = c as u32;
    if u < 128 {
        return ASCII[u as usize] & NAME_START != 0;
    }
    matches!(u,
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
        | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
        | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
}

/// XML 1.0 Fifth Edition \[4a\] NameChar.
#[inline]
pub fn is_name_char(c: char) -> bool {
    let u = c as u32;
    if u < 128 {
        return ASCII[u as usize] & NAME != 0;
    }
    is_name_start_char(c) || u == 0xB7 || matches!(u, 0x300..=0x36F | 0x203F..=0x2040)
}

/// Decodes the character starting at `i` in valid UTF-8 text; returns it and its length.
#[inline]
pub fn char_at(s: &str, i: usize) -> Option<(char, usize)> {
    let c = s.get(i..)?.chars().next()?;
    Some((c, c.len_utf8()))
}

/// The length of the \[5\] Name at the start of `s` (0 if none), and whether the input ended
/// inside it (so more input could make it longer). Only the ASCII bytes take the table path.
pub fn name_len(s: &str) -> usize {
    let b = s.as_bytes();
    let i;
    // First character: NameStartChar.
    match b.first() {
        None => return 0,
        Some(&c) if c < 128 => {
            if ASCII[c as usize] & NAME_START == 0 {
                return 0;
            }
            i = 1;
        }
        Some(_) => match char_at(s, 0) {
            Some((c, l)) if is_name_start_char(c) => i = l,
            _ => return 0,
        },
    }
    nmtoken_rest(s, b, i)
}

/// The length of the \[7\] Nmtoken at the start of `s` (0 if none).
pub fn nmtoken_len(s: &str) -> usize {
    nmtoken_rest(s, s.as_bytes(), 0)
}

/// ASCII name bytes, for the scanning loop (non-ASCII bytes are `false` and take the
/// decoding path).
static ASCII_NAME: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = ASCII[i] & NAME != 0;
        i += 1;
    }
    t
};

#[inline]
fn nmtoken_rest(s: &str, b: &[u8], mut i: usize) -> usize {
    loop {
        i += b[i..]
            .iter()
            .position(|&c| !ASCII_NAME[c as usize])
            .unwrap_or(b.len() - i);
        if i >= b.len() || b[i] < 128 {
            return i;
        }
        match char_at(s, i) {
            Some((ch, l)) if is_name_char(ch) => i += l,
            _ => return i,
        }
    }
}

pub static ASCII_NAME_START: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        t[i] = ASCII[i] & NAME_START != 0;
        i += 1;
    }
    t
};

/// Name bytes for the scanning loop of [`ascii_name_len`]: 0 ends the name (non-ASCII bytes
/// too; they take the decoding path), `COLON_BIT` marks ':', so that one OR per byte tells
/// namespace processing whether the name has a colon without scanning it again.
static ASCII_NAME_SCAN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        if ASCII[i] & NAME != 0 {
            t[i] = if i == b':' as usize { 1 | COLON_BIT } else { 1 };
        }
        i += 1;
    }
    t
};
const COLON_BIT: u8 = 2;

/// The length of the \[5\] Name at the start of `b` when it is all ASCII and ends before the
/// end of `b` on an ASCII byte, and whether it has a colon; `None` sends the caller to
/// [`name_len`].
#[inline]
pub fn ascii_name_len(b: &[u8]) -> Option<(usize, bool)> {
    if !ASCII_NAME_START[*b.first()? as usize] {
        return None;
    }
    let mut seen = ASCII_NAME_SCAN[b[0] as usize];
    let mut i = 1;
    while i < b.len() {
        let t = ASCII_NAME_SCAN[b[i] as usize];
        if t == 0 {
            break;
        }
        seen |= t;
        i += 1;
    }
    (i < b.len() && b[i] < 128).then_some((i, seen & COLON_BIT != 0))
}

/// The first `<`, `&` or `]` (what ends a run of character data, or needs a look for
/// `]]>`) in the 32 bytes of `b` from `start`, looked for eight bytes at a time: for the
/// short text between tags this is cheaper than a memchr3 call, and, unlike a byte loop,
/// it costs one hard-to-predict branch per text rather than one per byte. `Err(i)` when
/// there is none before `i` (fewer than eight bytes may be left): look further from `i`.
#[inline]
pub fn find_text_stop(b: &[u8], start: usize) -> Result<usize, usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte of `w` that equals `c` (and perhaps of bytes above such a
    // byte, through the borrow; the lowest bit set is always exact).
    let zero_of = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = start;
    while i + 8 <= b.len() && i < start + 32 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(word);
        let hits = zero_of(w ^ (ONES * b'<' as u64))
            | zero_of(w ^ (ONES * b'&' as u64))
            | zero_of(w ^ (ONES * b']' as u64));
        if hits != 0 {
            return Ok(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    Err(i)
}

/// The inlined text path of the parser's step: where plain character data at `start` ends
/// (at a `<` or `&` within the first 32 bytes), or `None` when [`find_text_stop`] found a
/// `]` or nothing, and the full text step must decide. Checked against that step by the
/// `fast_paths` fuzz target.
#[inline(always)]
pub fn quick_text_end(b: &[u8], start: usize) -> Option<usize> {
    match find_text_stop(b, start) {
        Ok(end) if b[end] != b']' => Some(end),
        _ => None,
    }
}

/// Whether a character may start a name part after a colon (for splitting a \[5\] Name that
/// is known to be valid into prefix and local part).
#[inline]
pub fn starts_ncname(s: &str) -> bool {
    match s.as_bytes().first() {
        None => false,
        Some(&c) if c < 128 => ASCII[c as usize] & NAME_START != 0 && c != b':',
        Some(_) => s.chars().next().is_some_and(is_name_start_char),
    }
}

/// Whether `s` is exactly one \[5\] Name.
pub fn is_name(s: &str) -> bool {
    !s.is_empty() && name_len(s) == s.len()
}

/// Whether `s` is exactly one NCName (Namespaces in XML 1.0 \[4\]).
pub fn is_ncname(s: &str) -> bool {
    is_name(s) && !s.contains(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_len("abc def"), 3);
        assert_eq!(name_len("1abc"), 0);
        assert_eq!(name_len("_a-b.c:d>"), 8);
        assert_eq!(name_len("\u{B7}a"), 0);
        assert_eq!(name_len("a\u{B7}"), 3);
        assert_eq!(name_len("\u{10000}x"), 5);
        assert!(is_ncname("a-b"));
        assert!(!is_ncname("a:b"));
        assert_eq!(nmtoken_len("-12a "), 4);
    }

    #[test]
    fn text_stops() {
        let t = b"abcdefgh<ijklmnop&qrstuvw]xyzabcdefghijklmnopqrstuvwxyz";
        assert_eq!(find_text_stop(t, 0), Ok(8));
        assert_eq!(find_text_stop(t, 9), Ok(17));
        assert_eq!(find_text_stop(t, 18), Ok(25));
        assert_eq!(find_text_stop(t, 26), Err(50));
        assert_eq!(find_text_stop(b"ab<", 0), Err(0));
        assert_eq!(find_text_stop(b"abcdefghij<", 0), Err(8));
        // Bytes above a match do not hide it, whatever they are.
        assert_eq!(find_text_stop(b"\x01<\xff&\x00]\x80\x7f", 0), Ok(1));
    }

    #[test]
    fn chars() {
        assert!(is_char(0x9) && is_char(0x10FFFF) && is_char(0xE000));
        assert!(!is_char(0) && !is_char(0xFFFE) && !is_char(0xD800) && !is_char(0x1F));
    }
}
