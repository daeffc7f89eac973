#!/usr/bin/env python3
"""The oracle of tests/encodings.rs: what every byte value and every byte pair (and EUC-JP's
three-byte plane, and GB18030's four-byte BMP range) decodes to, by CPython's codecs in
strict mode. Independent of the tables wary-xml carries (those are data, written once by
scripts/gen-charsets); this reads the codecs afresh on every run.

Prints, per charset, a line `= LABEL`, then one line per sequence: its bytes in hex, a tab,
and either the code points it decodes to (hex, space-separated) or `ERR`.
"""

import sys

# (declared name, CPython codec, which sequences)
CHARSETS = [
    ("ISO-8859-2", "iso8859_2", "single"), ("ISO-8859-3", "iso8859_3", "single"),
    ("ISO-8859-4", "iso8859_4", "single"), ("ISO-8859-5", "iso8859_5", "single"),
    ("ISO-8859-6", "iso8859_6", "single"), ("ISO-8859-7", "iso8859_7", "single"),
    ("ISO-8859-8", "iso8859_8", "single"), ("latin5", "iso8859_9", "single"),
    ("ISO-8859-9", "iso8859_9", "single"), ("ISO-8859-10", "iso8859_10", "single"),
    ("ISO-8859-11", "iso8859_11", "single"), ("ISO-8859-13", "iso8859_13", "single"),
    ("ISO-8859-14", "iso8859_14", "single"), ("ISO-8859-15", "iso8859_15", "single"),
    ("ISO-8859-16", "iso8859_16", "single"), ("TIS-620", "tis_620", "single"),
    ("KOI8-R", "koi8_r", "single"), ("KOI8-U", "koi8_u", "single"),
    ("IBM866", "cp866", "single"), ("macintosh", "mac_roman", "single"),
    ("x-mac-cyrillic", "mac_cyrillic", "single"), ("windows-874", "cp874", "single"),
    ("windows-1250", "cp1250", "single"), ("windows-1251", "cp1251", "single"),
    ("windows-1252", "cp1252", "single"), ("windows-1253", "cp1253", "single"),
    ("windows-1254", "cp1254", "single"), ("windows-1255", "cp1255", "single"),
    ("windows-1256", "cp1256", "single"), ("windows-1257", "cp1257", "single"),
    ("windows-1258", "cp1258", "single"),
    ("ISO-8859-1", "latin_1", "single"), ("iso88591", "latin_1", "single"),
    ("US-ASCII", "ascii", "single"),
    ("Shift_JIS", "shift_jis", "pairs"), ("EUC-KR", "euc_kr", "pairs"),
    ("GB2312", "gb2312", "pairs"), ("GBK", "gbk", "pairs"), ("Big5", "big5", "pairs"),
    ("EUC-JP", "euc_jp", "euc-jp"), ("GB18030", "gb18030", "gb18030"),
    # The vendor charsets (decoded by encoding_rs) against the vendors' codecs.
    ("Windows-31J", "cp932", "pairs"), ("windows-949", "cp949", "pairs"),
    ("ISO-2022-JP", "iso2022_jp", "iso-2022-jp"),
]


def sequences(kind):
    singles = [bytes([b]) for b in range(0x80, 0x100)]
    pairs = [bytes([a, b]) for a in range(0x80, 0x100) for b in range(0x00, 0x100)]
    if kind == "single":
        return singles
    if kind == "pairs":
        return singles + pairs
    if kind == "euc-jp":
        return singles + pairs + [bytes([0x8F, a, b]) for a in range(0xA1, 0xFF)
                                  for b in range(0xA1, 0xFF)]
    if kind == "gb18030":
        four = [bytes([a, b, c, d]) for a in range(0x81, 0x85) for b in range(0x30, 0x3A)
                for c in range(0x81, 0xFF) for d in range(0x30, 0x3A)]
        return singles + pairs + four
    if kind == "iso-2022-jp":
        # RFC 1468: ASCII, JIS X 0201 Roman (ESC ( J), JIS X 0208-1978 and -1983 (ESC $ @,
        # ESC $ B), each run switched back to ASCII; plus the katakana set (ESC ( I) that
        # RFC 1468 does not have, and the bytes >= 0x80 it does not have either.
        out = [b"\x1b(B" + bytes([b]) for b in range(0x80, 0x100)]
        out += [b"\x1b(J" + bytes([b]) + b"\x1b(B" for b in range(0x21, 0x7F)]
        out += [b"\x1b(I" + bytes([b]) + b"\x1b(B" for b in range(0x21, 0x60)]
        for esc in (b"\x1b$@", b"\x1b$B"):
            out += [esc + bytes([a, b]) + b"\x1b(B" for a in range(0x21, 0x7F)
                    for b in range(0x21, 0x7F)]
        return out
    raise ValueError(kind)


# CPython's gb18030 is GB 18030-2000. The edition in force is GB 18030-2022; these are the
# mappings that changed since 2000 (2005: A8BC and 8135F437 swapped; 2022: 18 two-byte codes
# moved from private use to the standard characters). Four-byte codes are not changed here.
GB18030_SINCE_2000 = {
    "a8bc": 0x1E3F, "8135f437": 0xE7C7,
    "a6d9": 0xFE10, "a6da": 0xFE12, "a6db": 0xFE11, "a6dc": 0xFE13, "a6dd": 0xFE14,
    "a6de": 0xFE15, "a6df": 0xFE16, "a6ec": 0xFE17, "a6ed": 0xFE18, "a6f3": 0xFE19,
    "fe59": 0x9FB4, "fe61": 0x9FB5, "fe66": 0x9FB6, "fe67": 0x9FB7, "fe6d": 0x9FB8,
    "fe7e": 0x9FB9, "fe90": 0x9FBA, "fea0": 0x9FBB,
}


def decode(codec, seq):
    if codec == "gb18030" and seq.hex() in GB18030_SINCE_2000:
        return chr(GB18030_SINCE_2000[seq.hex()])
    if codec == "tis_620" and any(0x80 <= b <= 0xA0 for b in seq):
        # TIS 620-2533 defines 0xA1..=0xFB only; CPython's tis_620 adds the C1 controls of
        # ISO/IEC 8859-11 (glibc's TIS-620 charmap does not).
        return None
    try:
        s = seq.decode(codec)
    except UnicodeDecodeError:
        return None
    if codec == "cp932" and any(0xF8F0 <= ord(c) <= 0xF8F3 for c in s):
        # CPython's best-fit for the single bytes 0xA0, 0xFD-0xFF, which Microsoft's own
        # table (unicode.org VENDORS/MICSFT/WINDOWS/CP932.TXT) leaves undefined.
        return None
    return s


def main():
    out = sys.stdout
    for label, codec, kind in CHARSETS:
        out.write(f"= {label}\n")
        for seq in sequences(kind):
            s = decode(codec, seq)
            res = "ERR" if s is None else " ".join(f"{ord(c):X}" for c in s)
            out.write(f"{seq.hex()}\t{res}\n")


if __name__ == "__main__":
    main()
