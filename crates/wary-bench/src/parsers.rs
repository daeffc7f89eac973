//! The parsers under test, and the child-process side of the in-process ones: each reads one
//! file completely, doing the work a real user of that library would do to see all of the
//! document, and prints how many elements it saw.
//!
//! Every in-process parser runs in its own child process (`wary-bench parse NAME FILE`), so
//! that its peak memory is its own and not the benchmark's.

use anyhow::{anyhow, bail, Context, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// A parser under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parser {
    /// `wary xml check` as a process: the number the targets are judged on.
    WaryCli,
    /// wary-xml's streaming `Reader` over the file, in a child process.
    WaryLib,
    /// quick-xml's streaming `Reader`.
    QuickXml,
    /// xmlparser's tokenizer over the whole document in memory.
    Xmlparser,
    /// roxmltree: builds the whole tree in memory.
    RoXmlTree,
    /// xml-rs (published as `xml`): streaming `EventReader`.
    XmlRs,
    /// Expat's `xmlwf`, as it runs by default (the file memory-mapped).
    Xmlwf,
    /// Expat's `xmlwf -r`: the file read with read(2), so memory is Expat's own.
    XmlwfRead,
    /// libxml2's `xmllint --stream --noout`.
    Xmllint,
}

/// The parsers in table order.
pub const ALL: [Parser; 9] = [
    Parser::WaryCli,
    Parser::WaryLib,
    Parser::QuickXml,
    Parser::Xmlparser,
    Parser::RoXmlTree,
    Parser::XmlRs,
    Parser::Xmlwf,
    Parser::XmlwfRead,
    Parser::Xmllint,
];

impl Parser {
    /// The name used on the command line and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Parser::WaryCli => "wary xml check",
            Parser::WaryLib => "wary-xml",
            Parser::QuickXml => "quick-xml",
            Parser::Xmlparser => "xmlparser",
            Parser::RoXmlTree => "roxmltree",
            Parser::XmlRs => "xml-rs",
            Parser::Xmlwf => "expat xmlwf",
            Parser::XmlwfRead => "expat xmlwf -r",
            Parser::Xmllint => "libxml2 xmllint",
        }
    }

    /// The name of the `wary-bench parse` subcommand argument, for in-process parsers.
    pub fn id(self) -> &'static str {
        match self {
            Parser::WaryCli => "wary-cli",
            Parser::WaryLib => "wary",
            Parser::QuickXml => "quick-xml",
            Parser::Xmlparser => "xmlparser",
            Parser::RoXmlTree => "roxmltree",
            Parser::XmlRs => "xml-rs",
            Parser::Xmlwf => "xmlwf",
            Parser::XmlwfRead => "xmlwf-r",
            Parser::Xmllint => "xmllint",
        }
    }

    /// Looks a parser up by [`Parser::id`].
    pub fn from_id(id: &str) -> Option<Parser> {
        ALL.into_iter().find(|p| p.id() == id)
    }

    /// Whether it runs inside `wary-bench parse` (a library) rather than as its own program.
    pub fn in_process(self) -> bool {
        !matches!(
            self,
            Parser::WaryCli | Parser::Xmlwf | Parser::XmlwfRead | Parser::Xmllint
        )
    }

    /// Whether it needs the whole document in memory (so the large document is not run).
    pub fn whole_document(self) -> bool {
        matches!(self, Parser::Xmlparser | Parser::RoXmlTree)
    }

    /// Whether it matches end tags to start tags (xmlparser is a tokenizer and does not).
    pub fn checks_end_tags(self) -> bool {
        self != Parser::Xmlparser
    }

    /// What exactly is measured, for the report.
    pub fn method(self) -> &'static str {
        match self {
            Parser::WaryCli => {
                "`wary xml check FILE`: full well-formedness, namespaces, default limits"
            }
            Parser::WaryLib => "`Reader::new(File)` (wary's own buffering), every event pulled",
            Parser::QuickXml => {
                "`Reader::from_reader(BufReader 64 KiB)`, `check_end_names` on, every attribute \
                 normalized and unescaped (`normalized_value`), text EOL-normalized, every \
                 entity and character reference resolved"
            }
            Parser::Xmlparser => {
                "file read into a `String`, every token of `Tokenizer` pulled (a tokenizer: \
                 it does not match end tags to start tags)"
            }
            Parser::RoXmlTree => {
                "file read into a `String`, `Document::parse_with_options` (DTD allowed), every \
                 element visited"
            }
            Parser::XmlRs => {
                "`EventReader` over `BufReader 64 KiB`, one root required, every event pulled"
            }
            Parser::Xmlwf => {
                "`xmlwf FILE` (Expat; memory-maps the file, so its peak memory includes the \
                 mapped file's pages)"
            }
            Parser::XmlwfRead => "`xmlwf -r FILE` (Expat, reading with read(2) instead of mmap)",
            Parser::Xmllint => {
                "`xmllint --stream --noout --huge FILE` (`--huge` lifts libxml2's nesting \
                 limit of 256, which the nested input exceeds)"
            }
        }
    }
}

/// Runs an in-process parser over the file; returns the number of elements seen.
pub fn run(parser: Parser, path: &Path) -> Result<u64> {
    let open = || File::open(path).with_context(|| format!("cannot open {}", path.display()));
    match parser {
        Parser::WaryLib => wary(open()?),
        Parser::QuickXml => quick_xml(BufReader::with_capacity(64 << 10, open()?)),
        Parser::Xmlparser => xmlparser(&read_string(open()?)?),
        Parser::RoXmlTree => roxmltree(&read_string(open()?)?),
        Parser::XmlRs => xml_rs(BufReader::with_capacity(64 << 10, open()?)),
        Parser::WaryCli | Parser::Xmlwf | Parser::XmlwfRead | Parser::Xmllint => {
            bail!("{} is a program, not a library", parser.name())
        }
    }
}

fn read_string(mut file: File) -> Result<String> {
    let mut text = String::new();
    file.read_to_string(&mut text)
        .context("cannot read the document as UTF-8")?;
    Ok(text)
}

fn wary(file: File) -> Result<u64> {
    let mut reader = wary_xml::Reader::new(file, wary_xml::Options::default());
    let mut elements = 0;
    while let Some(event) = reader.next_event()? {
        if let wary_xml::Event::StartElement(_) = event {
            elements += 1;
        }
    }
    Ok(elements)
}

fn quick_xml(input: BufReader<File>) -> Result<u64> {
    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::{attributes::Attribute, Event};
    use quick_xml::XmlVersion;
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::with_capacity(64 << 10);
    let mut elements = 0u64;
    // Keep results alive so the optimizer cannot drop the work.
    let mut sink = 0usize;
    let attrs = |e: &quick_xml::events::BytesStart, sink: &mut usize| -> Result<()> {
        for attr in e.attributes() {
            let attr: Attribute = attr?;
            *sink += attr.key.as_ref().len();
            *sink += attr.normalized_value(XmlVersion::Implicit1_0)?.len();
        }
        Ok(())
    };
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => {
                elements += 1;
                attrs(&e, &mut sink)?;
            }
            Event::Text(t) => sink += t.xml10_content().len(),
            Event::CData(t) => sink += t.xml10_content().len(),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref()? {
                    Some(c) => c.len_utf8(),
                    None => {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| anyhow!("unknown entity &{name};"))?
                            .len()
                    }
                };
                sink += resolved;
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    std::hint::black_box(sink);
    Ok(elements)
}

fn xmlparser(text: &str) -> Result<u64> {
    let mut elements = 0;
    for token in xmlparser::Tokenizer::from(text) {
        if let xmlparser::Token::ElementStart { .. } = token? {
            elements += 1;
        }
    }
    Ok(elements)
}

fn roxmltree(text: &str) -> Result<u64> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)?;
    Ok(doc.descendants().filter(|n| n.is_element()).count() as u64)
}

fn xml_rs(input: BufReader<File>) -> Result<u64> {
    use xml::reader::{ParserConfig, XmlEvent};
    let config = ParserConfig::new().allow_multiple_root_elements(false);
    let mut reader = config.create_reader(input);
    let mut elements = 0;
    loop {
        match reader.next()? {
            XmlEvent::StartElement { .. } => elements += 1,
            XmlEvent::EndDocument => break,
            _ => {}
        }
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_doc(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("wary-bench-{}-{name}", std::process::id()));
        File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    #[test]
    fn library_peers_count_every_element_and_reject_bad_end_tags() {
        let good = temp_doc(
            "good.xml",
            "<?xml version='1.0'?><r a='x &amp; &#65;'>t&lt;<![CDATA[c]]><s/><s b=\"1\">\r\n</s></r>",
        );
        let bad = temp_doc("bad.xml", "<r><s></t></r>");
        for parser in [Parser::QuickXml, Parser::RoXmlTree, Parser::XmlRs] {
            assert_eq!(run(parser, &good).unwrap(), 3, "{parser:?}");
            assert!(
                run(parser, &bad).is_err(),
                "{parser:?} accepted a bad end tag"
            );
        }
        // xmlparser is a tokenizer: it does not match end tags, it only counts them.
        assert_eq!(run(Parser::Xmlparser, &good).unwrap(), 3);
        for p in [good, bad] {
            let _ = std::fs::remove_file(p);
        }
    }

    #[test]
    fn ids_round_trip() {
        for p in ALL {
            assert_eq!(Parser::from_id(p.id()), Some(p));
        }
    }
}
