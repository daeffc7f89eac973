//! The blocking adapter: a [`Parser`] fed from a [`std::io::Read`] (or bytes in memory, or
//! a file), one bounded read at a time, only when the parser has parsed everything fed.

use crate::reader::Step;
use crate::{Error, Event, Options, Parser};
use std::io::Read;
use std::path::Path;

/// How many bytes one read asks for (the decoder's read size before issue 11).
const READ_SIZE: usize = 64 * 1024;

/// A streaming XML reader over any byte source: call [`Reader::next_event`] until it
/// returns `Ok(None)`.
///
/// It reads 64 KiB at most at a time, and only when the parser needs them,
/// so memory is bounded by [`crate::Limits`] whatever the document's size.
pub struct Reader<'r> {
    parser: Parser,
    source: Box<dyn Read + Send + 'r>,
    buf: Vec<u8>,
}

impl<'r> Reader<'r> {
    /// A reader over any byte source.
    pub fn new(input: impl Read + Send + 'r, options: Options) -> Self {
        Reader {
            parser: Parser::new(options),
            source: Box::new(input),
            buf: Vec::new(),
        }
    }

    /// A reader over bytes in memory (read in pieces, never copied whole).
    pub fn from_bytes(input: &'r [u8], options: Options) -> Self {
        Reader::new(input, options)
    }

    /// A reader over a file; sets `options.document_path`.
    pub fn from_path(path: &Path, mut options: Options) -> Result<Reader<'static>, Error> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(e, format!("cannot open {}", path.display())))?;
        options.document_path = Some(path.to_path_buf());
        Ok(Reader::new(file, options))
    }

    /// The next event, or `Ok(None)` at the end of a well-formed document.
    ///
    /// After an error the reader is finished: later calls return an error of kind
    /// [`crate::ErrorKind::Caller`] rather than pretend the document ended.
    #[inline]
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error> {
        loop {
            match self.parser.step()? {
                Step::Event(ev) => return Ok(Some(self.parser.materialize(ev))),
                Step::End => return Ok(None),
                Step::NeedMore => self.read_more()?,
            }
        }
    }

    /// The parser, for what it knows (position, standalone, the DTD's entities).
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The current position in the entity being read (see [`Parser::position`]).
    pub fn position(&self) -> crate::Position {
        self.parser.position()
    }

    /// The document's `standalone` declaration, once the first event has been read.
    pub fn standalone(&self) -> Option<bool> {
        self.parser.standalone()
    }

    /// See [`Parser::entity_declared`].
    pub fn entity_declared(&self, name: &str) -> bool {
        self.parser.entity_declared(name)
    }

    /// See [`Parser::entity_external_id`].
    pub fn entity_external_id(&self, name: &str) -> Option<(Option<&str>, &str)> {
        self.parser.entity_external_id(name)
    }

    /// See [`Parser::skipped_entities`].
    pub fn skipped_entities(&self) -> impl Iterator<Item = &str> + '_ {
        self.parser.skipped_entities()
    }

    /// One read, fed to the parser (the end of the source is `finish`).
    #[cold]
    fn read_more(&mut self) -> Result<(), Error> {
        if self.buf.len() < READ_SIZE {
            self.buf.resize(READ_SIZE, 0);
        }
        let n = loop {
            match self.source.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.parser.stop(Error::io(e, "cannot read input"))),
            }
        };
        match self.buf.get(..n) {
            Some(b) if n > 0 => self.parser.feed(b),
            _ => self.parser.finish(),
        }
        Ok(())
    }
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("parser", &self.parser)
            .finish_non_exhaustive()
    }
}
