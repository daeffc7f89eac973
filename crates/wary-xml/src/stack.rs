//! The stack of entities being read, lent as one narrow view ([`EntityStack`]) to the parts
//! that push and pop entities without the rest of the parser: the DTD parser (parameter
//! entities, the external subset) and the opening of external entities (`external`).
//!
//! The parser owns the frames (`input`), the expansion guard, the memory budget and the
//! loader; the view borrows exactly those, field by field, for one step (quinn-proto's
//! `Streams<'a>` over `&mut StreamsState`). Everything counted against the stack goes
//! through it: a popped frame's input and its refund, the amplification measure, the
//! budget, and the position an error is reported at.

use crate::budget::Budget;
use crate::cursor::{Cur, PResult, Stop};
use crate::guard::ExpansionGuard;
use crate::input::Frame;
use crate::loader::Loader;
use crate::{Error, ErrorKind, Options};

/// The frames being read and what is counted against them: a view of the parser's parts.
pub(crate) struct EntityStack<'a> {
    frames: &'a mut Vec<Frame>,
    /// Input consumed by frames already popped (see `Parser::input_read`).
    input_done: &'a mut u64,
    budget: &'a mut Budget,
    guard: &'a mut ExpansionGuard,
    loader: &'a mut Loader,
    options: &'a Options,
    /// The document's declared version (XML 1.0 §4.3.4 compares an external entity's).
    version: &'a str,
}

impl<'a> EntityStack<'a> {
    /// The view over the parser's parts (built by `Parser::entity_stack`).
    pub(crate) fn new(
        frames: &'a mut Vec<Frame>,
        input_done: &'a mut u64,
        budget: &'a mut Budget,
        guard: &'a mut ExpansionGuard,
        loader: &'a mut Loader,
        options: &'a Options,
        version: &'a str,
    ) -> Self {
        EntityStack {
            frames,
            input_done,
            budget,
            guard,
            loader,
            options,
            version,
        }
    }

    pub(crate) fn options(&self) -> &'a Options {
        self.options
    }

    pub(crate) fn version(&self) -> &'a str {
        self.version
    }

    pub(crate) fn guard(&self) -> &ExpansionGuard {
        self.guard
    }

    pub(crate) fn guard_mut(&mut self) -> &mut ExpansionGuard {
        self.guard
    }

    pub(crate) fn loader(&mut self) -> &mut Loader {
        self.loader
    }

    pub(crate) fn frames(&self) -> &[Frame] {
        self.frames
    }

    /// The number of frames open (the document's included).
    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }

    /// The index of the top frame.
    pub(crate) fn top(&self) -> usize {
        self.frames.len() - 1
    }

    pub(crate) fn frame(&self, i: usize) -> &Frame {
        &self.frames[i]
    }

    pub(crate) fn frame_mut(&mut self, i: usize) -> &mut Frame {
        &mut self.frames[i]
    }

    /// The top frame.
    pub(crate) fn top_frame(&mut self) -> &mut Frame {
        let top = self.top();
        &mut self.frames[top]
    }

    pub(crate) fn push(&mut self, f: Frame) {
        self.frames.push(f);
    }

    /// Removes the top frame, remembering how much input it consumed and refunding what it
    /// kept.
    pub(crate) fn pop(&mut self) {
        if let Some(f) = self.frames.pop() {
            *self.input_done += f.consumed();
            self.budget.refund(f.charged);
        }
    }

    /// Whether the text being read comes from the external subset or an external parameter
    /// entity (directly or through internal entities referenced there).
    pub(crate) fn in_external(&self) -> bool {
        self.frames.iter().any(|f| f.external)
    }

    /// An error at byte `at` of frame `f`'s window.
    pub(crate) fn err_at(&self, f: usize, at: usize, e: Error) -> Error {
        err_at(self.frames, f, at, e)
    }

    /// `e`, placed at the current position of the top frame.
    pub(crate) fn at_here(&self, e: Error) -> Error {
        at_here(self.frames, e)
    }

    /// An error at the current position of the top frame.
    pub(crate) fn err_here(
        &self,
        kind: ErrorKind,
        rule: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        self.at_here(Error::new(kind, rule, msg))
    }

    /// Input consumed so far (see `Parser::input_read`).
    pub(crate) fn input_read(&self) -> u64 {
        *self.input_done + self.frames.iter().map(|f| f.consumed()).sum::<u64>()
    }

    /// Counts `added` bytes produced by entity expansion, and checks the amplification
    /// limit through the expansion guard; the error is at the current position.
    pub(crate) fn count_expansion(&mut self, added: usize) -> Result<(), Error> {
        let EntityStack {
            guard,
            input_done,
            frames,
            ..
        } = self;
        let input = || **input_done + frames.iter().map(|f| f.consumed()).sum::<u64>();
        match guard.expand(added as u64, input) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.at_here(e)),
        }
    }

    /// Charges `bytes` kept for `what` to the memory budget; the error is at the current
    /// position.
    pub(crate) fn charge(&mut self, bytes: usize, what: &str) -> Result<(), Error> {
        match self.budget.charge(bytes, what) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.at_here(e)),
        }
    }

    /// Makes sure the top frame has `n` bytes available if it can; returns whether it does.
    pub(crate) fn ensure(&mut self, n: usize) -> Result<bool, Error> {
        self.top_frame().ensure(n)
    }

    /// Runs a token parser over the top frame until it has the whole token, growing the
    /// window as needed: `Parser::token` for the tokens that need nothing but their text
    /// (the DTD's and the text declaration). On success the frame is advanced past the
    /// token; returns the result, the token's start and its length.
    pub(crate) fn token<T>(
        &mut self,
        what: &'static str,
        rule: &'static str,
        mut f: impl FnMut(&mut Cur<'_>) -> PResult<T>,
    ) -> Result<(T, usize, usize), Error> {
        let top = self.top();
        // As in `Parser::token`: a parse run again from the token's start must not count
        // its expansion twice.
        let expanded_before = self.guard.mark();
        let max = self.options.limits.max_token_len;
        loop {
            let fr = &self.frames[top];
            let start = fr.pos;
            let mut cur = Cur::new(fr.rest(), fr.eof, what, rule);
            match f(&mut cur) {
                Ok(v) => {
                    let len = cur.i;
                    // The window may hold a little more than the limit (reads come in
                    // chunks), so a token that fits in it can still be too long.
                    if len > max {
                        return Err(self.err_at(top, start, Error::token_too_long(max)));
                    }
                    self.frames[top].pos += len;
                    return Ok((v, start, len));
                }
                Err(Stop::More) => {
                    self.guard.rewind(expanded_before);
                    self.frames[top].grow(max)?;
                }
                Err(Stop::Fail(e, at)) => return Err(self.err_at(top, start + at, e)),
            }
        }
    }

    /// The markup at the top frame's position, for an error message (as
    /// `Parser::markup_here`: reads a little ahead so that the excerpt does not depend on
    /// the split of the input; only "need more input" comes back).
    pub(crate) fn markup_here(&mut self) -> Result<String, Error> {
        if let Err(e) = self.ensure(48) {
            if e.is_need_more() {
                return Err(e);
            }
        }
        let top = self.top();
        Ok(crate::cursor::show_markup(self.frames[top].rest()))
    }
}

/// An error at byte `at` of frame `f`'s window (unless it has a position already).
pub(crate) fn err_at(frames: &[Frame], f: usize, at: usize, e: Error) -> Error {
    match frames.get(f) {
        Some(fr) => e.at(fr.position_at(at)),
        None => e,
    }
}

/// `e`, placed at the current position of the top frame.
pub(crate) fn at_here(frames: &[Frame], e: Error) -> Error {
    let top = frames.len().saturating_sub(1);
    let at = frames.get(top).map_or(0, |f| f.pos);
    err_at(frames, top, at, e)
}
