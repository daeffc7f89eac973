//! The async adapter (cargo feature `tokio`): a [`Parser`] fed from a
//! [`tokio::io::AsyncRead`], one bounded read at a time, only when the parser has parsed
//! everything fed. The same loop as [`crate::Reader`], with `.await` on the read.

use crate::reader::Step;
use crate::{Error, Event, Options, Parser};
use tokio::io::{AsyncRead, AsyncReadExt};

/// How many bytes one read asks for (as [`crate::Reader`]).
const READ_SIZE: usize = 64 * 1024;

/// A streaming XML reader over an async byte source (a socket, a pipe): call
/// [`AsyncReader::next_event`] until it returns `Ok(None)`.
///
/// External entities (only in [`crate::ExternalEntities::Local`] mode) are still read by
/// the parser with blocking file reads; the document stream itself never blocks.
pub struct AsyncReader<R> {
    parser: Parser,
    source: R,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> AsyncReader<R> {
    /// A reader over `source`.
    pub fn new(source: R, options: Options) -> Self {
        AsyncReader {
            parser: Parser::new(options),
            source,
            buf: Vec::new(),
        }
    }

    /// The next event, or `Ok(None)` at the end of a well-formed document. The source
    /// ending before the document does is an error about the input (what was missing,
    /// where), as for a file cut short.
    ///
    /// After an error the reader is finished: later calls return an error of kind
    /// [`crate::ErrorKind::Caller`].
    pub async fn next_event(&mut self) -> Result<Option<Event<'_>>, Error> {
        loop {
            match self.parser.step()? {
                Step::Event(ev) => return Ok(Some(self.parser.materialize(ev))),
                Step::End => return Ok(None),
                Step::NeedMore => {
                    if self.buf.len() < READ_SIZE {
                        self.buf.resize(READ_SIZE, 0);
                    }
                    let n = match self.source.read(&mut self.buf).await {
                        Ok(n) => n,
                        Err(e) => {
                            return Err(self.parser.stop(Error::io(e, "cannot read input")));
                        }
                    };
                    match self.buf.get(..n) {
                        Some(b) if n > 0 => self.parser.feed(b),
                        _ => self.parser.finish(),
                    }
                }
            }
        }
    }

    /// The parser, for what it knows (position, standalone, the DTD's entities).
    pub fn parser(&self) -> &Parser {
        &self.parser
    }

    /// The source, back (for example to answer the peer on the same stream).
    pub fn into_inner(self) -> R {
        self.source
    }
}

impl<R> std::fmt::Debug for AsyncReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncReader")
            .field("parser", &self.parser)
            .finish_non_exhaustive()
    }
}
