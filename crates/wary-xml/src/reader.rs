//! The streaming pull reader. (Being written: this is the API shape.)
use crate::{Error, Event, Options, Position};
use std::io::Read;
use std::path::Path;

/// A streaming XML reader: call [`Reader::next_event`] until it returns `Ok(None)`.
pub struct Reader<'r> {
    _input: Box<dyn Read + 'r>,
    _options: Options,
}

impl<'r> Reader<'r> {
    /// A reader over any byte source.
    pub fn new(input: impl Read + 'r, options: Options) -> Self {
        Reader { _input: Box::new(input), _options: options }
    }
    /// A reader over bytes in memory.
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
    /// The next event, `Ok(None)` at the end of a well-formed document.
    /// After an error, the reader is finished: every later call returns `Ok(None)`.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error> {
        todo!()
    }
    /// The current position (for progress reports).
    pub fn position(&self) -> Position {
        Position::default()
    }
}
