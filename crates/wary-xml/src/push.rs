//! The sans-IO interface of the parser (issue 11): the caller feeds bytes, in any split,
//! says when they have ended, and pulls events; "need more input" is a state, never an
//! error. The adapters ([`crate::Reader`], and `AsyncReader` with the `tokio` feature) are
//! thin loops over it.
//!
//! How "need more" stays invisible in the results: the parser already re-parses a token
//! from its start when its window grows (`Parser::token`, `Stop::More`, `Frame::grow`). The
//! document's decoder, fed rather than read, reports "need more input" when its bytes run
//! out before [`Parser::finish`]; that travels up as an internal error (`need_more`, never
//! returned by the public API) to `Parser::step`, which turns it into [`Pull::NeedMore`]
//! and leaves the parser so that the same step runs again, from its start, after the next
//! feed. Every step is therefore written to change nothing it cannot redo before it reads:
//! the charset sniff (`start_document` keeps only the decoder it made), the XML declaration,
//! the doctype (marked seen only once read), lookahead (`ensure`), error excerpts
//! (`markup_here`), and the markup declarations of the internal subset, whose parser
//! consumes as it goes: `DtdParser::whole_decl_ahead` (in `dtd`) makes sure each is in the window
//! before it starts.

use crate::event::Event;
use crate::reader::{Parser, State, Step};
use crate::Error;

/// What [`Parser::next_event`] has for the caller.
#[derive(Debug)]
#[non_exhaustive]
pub enum Pull<'a> {
    /// The next event.
    Event(Event<'a>),
    /// Every byte fed so far has been parsed: [`Parser::feed`] more (or
    /// [`Parser::finish`]), then call again. Not an error: nothing was lost.
    NeedMore,
    /// The document ended, well-formed.
    End,
}

impl Parser {
    /// More bytes of the document, in any split (empty ones included): decoded, not
    /// parsed. They are turned into checked UTF-8 text in the parser's window at once,
    /// straight from `bytes` (the copy a read into the window makes anyway); only a
    /// character cut by the end of `bytes` waits for the next feed. Nothing is reported
    /// here: an error found in them (a byte that is not the charset's, a character XML does
    /// not allow) comes from [`Parser::next_event`] once the text before it has been
    /// parsed, at the same place whatever the split.
    ///
    /// Bytes fed and not yet parsed are held by the parser, so a caller that reads from a
    /// peer should feed bounded chunks and pull events until [`Pull::NeedMore`] before
    /// feeding more: then memory stays bounded by [`crate::Limits`] as with
    /// [`crate::Reader`], which does exactly that. Bytes fed after [`Parser::finish`] are a
    /// caller error, which the next [`Parser::next_event`] reports.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.ended {
            self.fed_after_finish |= !bytes.is_empty();
            return;
        }
        match self.frames.first_mut() {
            Some(f) => f.feed(bytes),
            None => {
                self.head.extend_from_slice(bytes);
                // The declaration may be complete now (see `start_document`).
                if memchr::memchr(b'>', bytes).is_some() {
                    self.head_wanted = 0;
                }
            }
        }
    }

    /// The document has ended: no more bytes will be fed.
    pub fn finish(&mut self) {
        self.ended = true;
        if let Some(f) = self.frames.first_mut() {
            f.finish();
        }
    }

    /// The next event; [`Pull::NeedMore`] when the bytes fed so far are all parsed (feed
    /// more and call again: the parse goes on exactly where it stopped), or [`Pull::End`]
    /// after a well-formed document's end.
    ///
    /// Events and errors (kind, message, position) are the same whatever the split of the
    /// bytes into feeds, except that a run of text or CDATA may come in more pieces.
    /// After an error the parser is finished: later calls return an error of kind
    /// [`ErrorKind::Caller`](crate::ErrorKind::Caller).
    pub fn next_event(&mut self) -> Result<Pull<'_>, Error> {
        match self.step()? {
            Step::Event(ev) => Ok(Pull::Event(self.materialize(ev))),
            Step::NeedMore => Ok(Pull::NeedMore),
            Step::End => Ok(Pull::End),
        }
    }

    /// Ends the parse at an error of the caller's source (an adapter's failed read), placed
    /// where the document's text read so far ends.
    pub(crate) fn stop(&mut self, e: Error) -> Error {
        self.state = State::Failed;
        match self.frames.first() {
            Some(f) => e.at(f.position_at(f.text.len())),
            None => e,
        }
    }
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("state", &self.state)
            .field("position", &self.position())
            .field("depth", &self.open.len())
            .field("entities_open", &self.frames.len().saturating_sub(1))
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_more_is_marked() {
        assert!(Error::need_more().is_need_more());
        let other = Error::new(crate::ErrorKind::Caller, "", "x");
        assert!(!other.is_need_more());
    }
}
