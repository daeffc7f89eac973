//! Deterministic generators for the synthetic benchmark inputs: attribute-heavy, text-heavy,
//! deeply nested, namespace-heavy and non-ASCII-heavy documents of a requested size.
//!
//! Each generator streams to a writer (nothing is held in memory) and returns the number of
//! elements it wrote, so the benchmark can check that every parser saw all of them. The
//! pseudo-random choices come from a fixed-seed SplitMix64, written here rather than taken from
//! `rand` because the bytes of the inputs must not change when a dependency is upgraded.

use std::io::{self, Write};

/// The kinds of synthetic document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synthetic {
    /// Many attributes per element, with entity and character references in values.
    Attributes,
    /// Long runs of character data with references, a few inline elements and CDATA.
    Text,
    /// Towers of nested elements up to 1,000 deep (the root makes 1,001; within wary's
    /// default `max_depth`, `wary_xml::Limits::DEFAULT_MAX_DEPTH`, checked by a test).
    Nested,
    /// Prefixed elements and attributes, with namespace declarations on most elements.
    Namespaces,
    /// Element names, attribute names, values and text in Greek, Cyrillic, CJK, with emoji.
    NonAscii,
}

/// Deepest tower in the nested document, counted below the root.
pub const MAX_TOWER: usize = 1000;

/// Writes a document of at least `target` bytes; returns the number of elements written.
pub fn write_synthetic(kind: Synthetic, w: &mut impl Write, target: u64) -> io::Result<u64> {
    let mut out = Counting { inner: w, bytes: 0 };
    let mut rng = Rng(0x5eed_0000 + kind as u64);
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    let elements = match kind {
        Synthetic::Attributes => attributes(&mut out, &mut rng, target)?,
        Synthetic::Text => text(&mut out, &mut rng, target)?,
        Synthetic::Nested => nested(&mut out, &mut rng, target)?,
        Synthetic::Namespaces => namespaces(&mut out, &mut rng, target)?,
        Synthetic::NonAscii => non_ascii(&mut out, &mut rng, target)?,
    };
    out.flush()?;
    Ok(elements)
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and fixed forever.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// One element of a non-empty slice.
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// A writer that counts what went through it.
struct Counting<'w, W: Write> {
    inner: &'w mut W,
    bytes: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const WORDS: &[&str] = &[
    "the",
    "parser",
    "reads",
    "untrusted",
    "input",
    "and",
    "checks",
    "every",
    "rule",
    "of",
    "XML",
    "well-formedness",
    "before",
    "it",
    "hands",
    "a",
    "single",
    "event",
    "to",
    "caller",
    "bounded",
    "memory",
    "streaming",
    "namespace",
    "attribute",
    "value",
    "element",
    "content",
    "character",
    "reference",
    "entity",
    "declaration",
    "document",
    "root",
    "text",
    "markup",
];

const TEXT_REFS: &[&str] = &[
    "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#8212;", "&#xE9;",
];

fn words(out: &mut impl Write, rng: &mut Rng, n: usize, refs: bool) -> io::Result<()> {
    for i in 0..n {
        if i > 0 {
            out.write_all(b" ")?;
        }
        out.write_all(rng.pick(WORDS).as_bytes())?;
        if refs && rng.below(16) == 0 {
            out.write_all(rng.pick(TEXT_REFS).as_bytes())?;
        }
    }
    Ok(())
}

fn attributes<W: Write>(out: &mut Counting<W>, rng: &mut Rng, target: u64) -> io::Result<u64> {
    const NAMES: &[&str] = &["item", "entry", "record", "row"];
    const KINDS: &[&str] = &["alpha", "beta", "gamma", "delta", "epsilon"];
    const LABELS: &[&str] = &[
        "plain label",
        "fish &amp; chips",
        "a &lt;b&gt; c",
        "caf&#xE9; cr&#232;me",
        "say &quot;hi&quot;",
        "tab&#9;separated",
    ];
    out.write_all(b"<records version=\"1\">\n")?;
    let mut elements = 1;
    let mut i: u64 = 0;
    while out.bytes < target {
        let name = rng.pick(NAMES);
        write!(
            out,
            "<{name} id=\"r{i}\" kind=\"{}\" x=\"{}\" y=\"-{}\" w=\"{}\" h=\"{}\" label=\"{}\" \
             enabled='{}' lang=\"en-GB\" ref=\"#r{}\" style='color: red; width: {}px' \
             checksum=\"{:016x}\"",
            rng.pick(KINDS),
            rng.below(10_000),
            rng.below(10_000),
            rng.below(4096),
            rng.below(4096),
            rng.pick(LABELS),
            rng.below(2) == 1,
            rng.below(i as usize + 1),
            rng.below(100),
            rng.next_u64(),
        )?;
        if rng.below(4) == 0 {
            let kind = rng.pick(KINDS);
            write!(out, ">\n  <tag k=\"{kind}\" v=\"{i}\"/>\n</{name}>\n")?;
            elements += 2;
        } else {
            out.write_all(b"/>\n")?;
            elements += 1;
        }
        i += 1;
    }
    out.write_all(b"</records>\n")?;
    Ok(elements)
}

fn text<W: Write>(out: &mut Counting<W>, rng: &mut Rng, target: u64) -> io::Result<u64> {
    out.write_all(b"<book>\n")?;
    let mut elements = 1;
    while out.bytes < target {
        out.write_all(b"<p>")?;
        elements += 1;
        let sentences = 20 + rng.below(60);
        // One paragraph in eight has CRLF line ends, which the parser must normalize.
        let eol: &[u8] = if rng.below(8) == 0 { b"\r\n" } else { b"\n" };
        for s in 0..sentences {
            let n = 8 + rng.below(20);
            words(out, rng, n, true)?;
            out.write_all(b".")?;
            if s % 5 == 4 {
                out.write_all(eol)?;
            } else {
                out.write_all(b" ")?;
            }
            match rng.below(40) {
                0 => {
                    out.write_all(b"<em>")?;
                    words(out, rng, 3, false)?;
                    out.write_all(b"</em> ")?;
                    elements += 1;
                }
                1 => out.write_all(b"<![CDATA[if (a < b && c > d) { x = \"<tag>\"; }]]> ")?,
                _ => {}
            }
        }
        out.write_all(b"</p>\n")?;
    }
    out.write_all(b"</book>\n")?;
    Ok(elements)
}

fn nested<W: Write>(out: &mut Counting<W>, rng: &mut Rng, target: u64) -> io::Result<u64> {
    const NAMES: &[&str] = &[
        "div", "section", "node", "branch", "level", "part", "box", "g",
    ];
    out.write_all(b"<tree>\n")?;
    let mut elements = 1;
    let mut stack: Vec<&str> = Vec::with_capacity(MAX_TOWER);
    while out.bytes < target {
        let height = 200 + rng.below(MAX_TOWER - 200 + 1);
        for d in 0..height {
            let name = rng.pick(NAMES);
            write!(out, "<{name} d=\"{d}\">")?;
            if rng.below(4) == 0 {
                words(out, rng, 2, false)?;
            }
            stack.push(name);
            elements += 1;
        }
        while let Some(name) = stack.pop() {
            write!(out, "</{name}>")?;
            if rng.below(8) == 0 {
                out.write_all(b"\n")?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.write_all(b"</tree>\n")?;
    Ok(elements)
}

fn namespaces<W: Write>(out: &mut Counting<W>, rng: &mut Rng, target: u64) -> io::Result<u64> {
    // Each prefix is bound to a different URI, so prefixed attributes never collide
    // (Namespaces in XML 1.0 §6.3).
    const PREFIXES: &[&str] = &["a", "b", "c", "dc", "xl", "svg", "geo", "meta"];
    out.write_all(b"<ns:catalog xmlns:ns=\"urn:example:catalog\"")?;
    for p in PREFIXES {
        write!(out, " xmlns:{p}=\"http://example.com/ns/{p}\"")?;
    }
    out.write_all(b">\n")?;
    let mut elements = 1;
    let mut i: u64 = 0;
    while out.bytes < target {
        let p = rng.pick(PREFIXES);
        let q = rng.pick(PREFIXES);
        // A local redeclaration of the default namespace and of one prefix.
        write!(
            out,
            "<{p}:entry xmlns=\"urn:example:default:{}\" xmlns:{q}=\"urn:example:local:{q}{}\" \
             {p}:id=\"e{i}\" ns:rev=\"{}\">",
            rng.below(8),
            rng.below(4),
            rng.below(100),
        )?;
        elements += 1;
        for _ in 0..2 + rng.below(4) {
            let r = rng.pick(PREFIXES);
            let s = rng.pick(PREFIXES);
            if r == s {
                write!(
                    out,
                    "<{r}:field {s}:key=\"k{}\" plain=\"v\">",
                    rng.below(50)
                )?;
            } else {
                write!(
                    out,
                    "<{r}:field {s}:key=\"k{}\" {r}:kind=\"t\" plain=\"v\">",
                    rng.below(50)
                )?;
            }
            words(out, rng, 3, false)?;
            write!(out, "</{r}:field>")?;
            elements += 1;
        }
        out.write_all(b"<title xml:lang=\"en\">")?;
        words(out, rng, 4, true)?;
        writeln!(out, "</title></{p}:entry>")?;
        elements += 1;
        i += 1;
    }
    out.write_all(b"</ns:catalog>\n")?;
    Ok(elements)
}

fn non_ascii<W: Write>(out: &mut Counting<W>, rng: &mut Rng, target: u64) -> io::Result<u64> {
    // Names use letters that are name characters in every edition of XML 1.0 (CJK unified
    // ideographs, basic Greek and Cyrillic, kana), so older peers accept them too.
    const ELEMENTS: &[&str] = &["項目", "記録", "στοιχείο", "запись", "データ", "條目"];
    const ATTRS: &[&str] = &["名前", "κλειδί", "значение", "種類"];
    const TEXTS: &[&str] = &[
        "Привет, мир! Съешь же ещё этих мягких французских булок.",
        "你好，世界。敏捷的棕色狐狸跳过了懒狗。",
        "Γειά σου κόσμε· ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
        "こんにちは世界、いろはにほへと ちりぬるを",
        "emoji 😀🎉🚀 and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP",
        "Ünïcödé façade — naïve café, smörgåsbord, Straße",
        "한국어 텍스트: 다람쥐 헌 쳇바퀴에 타고파",
    ];
    out.write_all("<文書 言語=\"多言語\">\n".as_bytes())?;
    let mut elements = 1;
    while out.bytes < target {
        let name = rng.pick(ELEMENTS);
        let a = rng.below(ATTRS.len());
        let b = (a + 1 + rng.below(ATTRS.len() - 1)) % ATTRS.len();
        write!(
            out,
            "<{name} {}=\"{}\" {}=\"値{}\">",
            ATTRS[a],
            rng.pick(TEXTS),
            ATTRS[b],
            rng.below(1000)
        )?;
        elements += 1;
        for _ in 0..1 + rng.below(4) {
            out.write_all(rng.pick(TEXTS).as_bytes())?;
            out.write_all(b" ")?;
        }
        if rng.below(3) == 0 {
            write!(out, "<注記>{}</注記>", rng.pick(TEXTS))?;
            elements += 1;
        }
        writeln!(out, "</{name}>")?;
    }
    out.write_all("</文書>\n".as_bytes())?;
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Synthetic; 5] = [
        Synthetic::Attributes,
        Synthetic::Text,
        Synthetic::Nested,
        Synthetic::Namespaces,
        Synthetic::NonAscii,
    ];

    fn doc(kind: Synthetic, size: u64) -> (Vec<u8>, u64) {
        let mut v = Vec::new();
        let n = write_synthetic(kind, &mut v, size).unwrap();
        (v, n)
    }

    #[test]
    fn every_generator_writes_a_well_formed_document_with_the_counted_elements() {
        with_big_stack(|| {
            for kind in ALL {
                let (bytes, elements) = doc(kind, 300_000);
                assert!(bytes.len() >= 300_000, "{kind:?} too small");
                let text = std::str::from_utf8(&bytes).unwrap();
                let tree = roxmltree::Document::parse(text)
                    .unwrap_or_else(|e| panic!("{kind:?} is not well-formed: {e}"));
                let counted = tree.descendants().filter(|n| n.is_element()).count() as u64;
                assert_eq!(counted, elements, "{kind:?}");
            }
        });
    }

    /// roxmltree (the independent checker here) recurses on depth, and the nested input is
    /// 1,000 deep: more than a debug build's default 2 MiB test-thread stack holds.
    fn with_big_stack(f: impl FnOnce() + Send + 'static) {
        let t = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(f)
            .unwrap();
        if let Err(panic) = t.join() {
            std::panic::resume_unwind(panic);
        }
    }

    #[test]
    fn generators_are_deterministic() {
        for kind in ALL {
            assert_eq!(doc(kind, 50_000), doc(kind, 50_000), "{kind:?}");
        }
    }

    #[test]
    fn nested_document_stays_within_the_depth_limit_and_goes_deep() {
        with_big_stack(nested_depth_check);
    }

    fn nested_depth_check() {
        let (bytes, _) = doc(Synthetic::Nested, 2_000_000);
        let text = std::str::from_utf8(&bytes).unwrap();
        let tree = roxmltree::Document::parse(text).unwrap();
        let depth = tree
            .descendants()
            .map(|n| n.ancestors().filter(|a| a.is_element()).count())
            .max()
            .unwrap();
        assert!(
            (900..=wary_xml::Limits::DEFAULT_MAX_DEPTH).contains(&depth),
            "max depth {depth}"
        );
    }

    #[test]
    fn non_ascii_document_is_mostly_non_ascii() {
        let (bytes, _) = doc(Synthetic::NonAscii, 100_000);
        let high = bytes.iter().filter(|b| **b >= 0x80).count();
        assert!(high * 2 > bytes.len(), "{high} of {}", bytes.len());
    }
}
