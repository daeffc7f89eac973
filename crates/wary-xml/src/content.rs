//! The steps of the reader outside tags, references (`tags`) and the DTD (`dtd`): the
//! prolog and epilog (XML 1.0 \[1\] document, \[27\] Misc), content (\[43\]) and what it is made
//! of: character data (\[14\]), CDATA sections (\[18\]-\[21\]), comments (\[15\]), processing
//! instructions (\[16\]), and the skipped entities reported in their place (§4.4.3).
//! The DTD is read by the DTD parser (`dtd::DtdParser`, a view of the parser's parts); the
//! glue here (`doctype`, `dtd_step`) only decides which step runs after each of its steps.

use crate::cursor::show_next;
use crate::dtd::DtdStep;
use crate::event::Span;
use crate::reader::{Ev, Loc, Parser, State};
use crate::{chars, Error, ErrorKind};

impl Parser {
    /// One step before or after the root element: white space, comments, PIs, the doctype.
    pub(crate) fn misc_step(&mut self) -> Result<Option<Ev>, Error> {
        let fr = &mut self.frames[0];
        loop {
            let rest = fr.rest().as_bytes();
            let n = rest.iter().take_while(|&&b| chars::is_space(b)).count();
            fr.pos += n;
            if fr.pos < fr.text.len() {
                break;
            }
            if !fr.more()? {
                break;
            }
        }
        if self.frames[0].exhausted() {
            if self.state == State::Epilog {
                self.state = State::Done;
                return Ok(None);
            }
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [1] document",
                "the document has no root element",
            ));
        }
        self.ensure(9)?;
        let rest = self.frames[0].rest();
        let b = rest.as_bytes();
        if b[0] != b'<' {
            let msg = if self.state == State::Prolog {
                format!(
                    "expected the root element, found text starting with {}",
                    show_next(rest)
                )
            } else {
                format!(
                    "text after the end of the root element (starting with {}); a document has \
                     exactly one root element",
                    show_next(rest)
                )
            };
            return Err(self.err_here(ErrorKind::Syntax, "XML 1.0 [1] document", msg));
        }
        if rest.starts_with("<?") {
            return self.pi().map(Some);
        }
        if rest.starts_with("<!--") {
            return self.comment().map(Some);
        }
        if rest.starts_with("<!DOCTYPE") {
            if self.state == State::Epilog || self.seen_doctype {
                return Err(self.err_here(
                    ErrorKind::Syntax,
                    "XML 1.0 [22] prolog",
                    "a document type declaration is only allowed once, before the root element",
                ));
            }
            // Marked only once the declaration is read: a step that waits for input runs
            // again, and must not find the doctype "seen" the second time.
            let ev = self.doctype()?;
            self.seen_doctype = true;
            return Ok(Some(ev));
        }
        if b.len() > 1 && b[1] != b'!' && b[1] != b'/' && b[1] != b'?' {
            if self.state == State::Epilog {
                return Err(self.err_here(
                    ErrorKind::Syntax,
                    "XML 1.0 [1] document",
                    "a second root element: a document has exactly one root element",
                ));
            }
            self.seen_root = true;
            self.state = State::Content;
            return self.start_tag().map(|empty| Some(Ev::Start { empty }));
        }
        let msg = if rest.starts_with("</") {
            "an end tag outside the root element".to_string()
        } else {
            format!(
                "unexpected markup {} outside the root element",
                self.markup_here()?
            )
        };
        Err(self.err_here(ErrorKind::Syntax, "XML 1.0 [27] Misc", msg))
    }

    pub(crate) fn content_step(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        if fr.pos >= fr.text.len() {
            if fr.more()? {
                return Ok(None);
            }
            return self.end_of_frame_in_content();
        }
        let b = fr.text.as_bytes()[fr.pos];
        match b {
            b'<' => {
                self.ensure(9)?;
                let rest = self.frames[top].rest();
                let next = rest.as_bytes().get(1).copied();
                match next {
                    Some(b'/') => {
                        self.end_tag()?;
                        self.end_element_reported()
                    }
                    Some(b'?') => self.pi().map(Some),
                    Some(b'!') => {
                        if rest.starts_with("<!--") {
                            self.comment().map(Some)
                        } else if rest.starts_with("<![CDATA[") {
                            self.frames[top].pos += 9;
                            self.state = State::CData;
                            Ok(None)
                        } else {
                            let markup = self.markup_here()?;
                            Err(self.err_here(
                                ErrorKind::Syntax,
                                "XML 1.0 [43] content",
                                format!(
                                    "unexpected markup {markup} in content: only elements, \
                                     comments, CDATA sections and PIs may start with '<'"
                                ),
                            ))
                        }
                    }
                    _ => self.start_tag().map(|empty| Some(Ev::Start { empty })),
                }
            }
            b'&' => self.reference(),
            _ => self.text(),
        }
    }

    /// The top frame ended while reading content.
    pub(crate) fn end_of_frame_in_content(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        if top == 0 {
            let name = self
                .open
                .last()
                .map(|o| o.name.of(&self.names).to_string())
                .unwrap_or_default();
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [39] element",
                format!("the input ends inside element <{name}>, which was never closed"),
            ));
        }
        let fr = &self.frames[top];
        if fr.depth_at_start != self.open.len() {
            let name = fr.name.as_deref().unwrap_or("?").to_string();
            return Err(self.err_here(
                ErrorKind::EntityStructure,
                "XML 1.0 §4.3.2 (WF parsed entities)",
                format!(
                    "the replacement text of entity '{name}' opens an element it does not close"
                ),
            ));
        }
        self.pop_frame();
        Ok(None)
    }

    /// Character data up to the next markup or reference.
    pub(crate) fn text(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        let bytes = fr.text.as_bytes();
        let start = fr.pos;
        let len = bytes.len();
        // Most text between tags is short (indentation, a word or two): look at the first
        // 32 bytes eight at a time before paying for a memchr3 call.
        let mut i = match chars::find_text_stop(bytes, start) {
            Ok(j) if bytes[j] != b']' => {
                fr.pos = j;
                return Ok(Some(Ev::Text(Loc::Frame(top, start, j))));
            }
            Ok(j) | Err(j) => j,
        };
        let end = loop {
            match memchr::memchr3(b'<', b'&', b']', &bytes[i..]) {
                None => break len,
                Some(k) => {
                    let j = i + k;
                    if bytes[j] != b']' {
                        break j;
                    }
                    // XML 1.0 [14] CharData: "]]>" may not appear in text.
                    let undecided =
                        !fr.eof && (j + 1 == len || (j + 2 == len && bytes[j + 1] == b']'));
                    if undecided {
                        break j;
                    }
                    if bytes.get(j + 1) == Some(&b']') && bytes.get(j + 2) == Some(&b'>') {
                        // Deliver the text before it first, as when the input arrives in
                        // pieces that end just before the ']]>'; the next call reports it.
                        if j > start {
                            break j;
                        }
                        let e = Error::new(
                            ErrorKind::Syntax,
                            "XML 1.0 [14] CharData",
                            "']]>' is not allowed in text; escape the '>' as &gt;",
                        );
                        return Err(self.err_at(top, j, e));
                    }
                    i = j + 1;
                }
            }
        };
        if end == start {
            // Only an undecided ']' is here: read more and look again.
            fr.more()?;
            return Ok(None);
        }
        fr.pos = end;
        Ok(Some(Ev::Text(Loc::Frame(top, start, end))))
    }

    /// A piece of a CDATA section (\[18\]-\[21\]); the section's start was consumed already.
    pub(crate) fn cdata_piece(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        let start = fr.pos;
        let bytes = fr.text.as_bytes();
        if let Some(k) = memchr::memmem::find(&bytes[start..], b"]]>") {
            fr.pos = start + k + 3;
            self.state = State::Content;
            if k == 0 {
                return Ok(None);
            }
            return Ok(Some(Ev::CData(Loc::Frame(top, start, start + k))));
        }
        if fr.eof {
            // Deliver what is here first, as when the end has not been seen yet, so that the
            // events and the error's position do not depend on how the input was read.
            if start < bytes.len() {
                fr.pos = bytes.len();
                return Ok(Some(Ev::CData(Loc::Frame(top, start, bytes.len()))));
            }
            let e = Error::new(
                ErrorKind::Syntax,
                "XML 1.0 [18] CDSect",
                "the input ends inside a CDATA section (missing ']]>')",
            );
            return Err(self.err_at(top, start, e));
        }
        // Deliver all but a possible partial "]]" at the end.
        let mut end = bytes.len();
        while end > start && end + 2 > bytes.len() && bytes[end - 1] == b']' {
            end -= 1;
        }
        if end == start {
            fr.more()?;
            return Ok(None);
        }
        fr.pos = end;
        Ok(Some(Ev::CData(Loc::Frame(top, start, end))))
    }

    // ----- the DTD: the DTD parser steps, the parser decides what is next -----

    /// One step inside the DTD: the DTD parser reads declarations; what comes after each
    /// is decided here, as everywhere in the state machine.
    pub(crate) fn dtd_step(&mut self) -> Result<Option<Ev>, Error> {
        loop {
            match self.dtd_parser().step()? {
                DtdStep::Event(ev) => return Ok(Some(ev)),
                DtdStep::End => {
                    self.state = State::Prolog;
                    return Ok(Some(Ev::DoctypeEnd));
                }
                // Comments and PIs of the DTD are reported like those elsewhere (canonical
                // XML keeps the PIs).
                DtdStep::Comment => return self.comment().map(Some),
                DtdStep::Pi => return self.pi().map(Some),
                DtdStep::Skipped => {
                    if let Some(ev) = self.next_skipped()? {
                        return Ok(Some(ev));
                    }
                }
            }
        }
    }

    /// `<!DOCTYPE` at the top of the document frame: the DTD parser reads it, and the
    /// parser goes into the DTD (reading the external subset at once when there is no
    /// internal subset).
    pub(crate) fn doctype(&mut self) -> Result<Ev, Error> {
        let (ev, subset) = self.dtd_parser().doctype()?;
        self.state = State::Dtd;
        if !subset {
            self.dtd_parser().after_internal_subset()?;
        }
        Ok(ev)
    }

    /// A comment, XML 1.0 \[15\].
    pub(crate) fn comment(&mut self) -> Result<Ev, Error> {
        let top = self.top();
        let ((a, b), start, _) = self.token("a comment", "XML 1.0 [15] Comment", |c, _| {
            c.i = 4;
            let body = c.rest().as_bytes();
            match memchr::memmem::find(body, b"--") {
                Some(k) => {
                    if body.get(k + 2).is_none() {
                        c.i += k;
                        return Err(c.end());
                    }
                    if body[k + 2] != b'>' {
                        c.i += k;
                        return Err(c.syntax("'--' is not allowed inside a comment"));
                    }
                    let r = (4, 4 + k);
                    c.i += k + 3;
                    Ok(r)
                }
                None => {
                    c.i = c.s.len();
                    Err(c.end())
                }
            }
        })?;
        Ok(Ev::Comment(Loc::Frame(top, start + a, start + b)))
    }

    /// A processing instruction, XML 1.0 \[16\].
    pub(crate) fn pi(&mut self) -> Result<Ev, Error> {
        let top = self.top();
        let max_name = self.options.limits.max_name_len;
        let ((t, d), start, _) =
            self.token("a processing instruction", "XML 1.0 [16] PI", |c, _| {
                c.i = 2;
                let t0 = c.i;
                let target = c.name(max_name, "a PI target")?;
                if target.eq_ignore_ascii_case("xml") {
                    c.i = t0;
                    return Err(c.syntax(if target == "xml" {
                        "an XML declaration is only allowed at the very start of an entity"
                    } else {
                        "the PI target 'xml' (in any case) is reserved"
                    }));
                }
                if target.contains(':') {
                    c.i = t0;
                    return Err(c.fail(
                        ErrorKind::Namespace,
                        "Namespaces in XML 1.0 §7",
                        format!("PI target '{target}' contains a colon"),
                    ));
                }
                let t1 = c.i;
                if c.looking_at("?>")? {
                    c.i += 2;
                    return Ok(((t0, t1), (t1, t1)));
                }
                if !c.ws() {
                    c.peek()?;
                    return Err(c.syntax("expected white space or '?>' after the PI target"));
                }
                let d0 = c.i;
                match memchr::memmem::find(c.rest().as_bytes(), b"?>") {
                    Some(k) => {
                        c.i += k + 2;
                        Ok(((t0, t1), (d0, d0 + k)))
                    }
                    None => {
                        c.i = c.s.len();
                        Err(c.end())
                    }
                }
            })?;
        Ok(Ev::Pi {
            frame: top,
            target: (start + t.0, start + t.1),
            data: (start + d.0, start + d.1),
        })
    }

    /// The distinct entities skipped so far (see [`Event::SkippedEntity`](crate::Event)), in
    /// the order they were first referenced. After the last event, these are all the
    /// entities whose content is missing from what was reported.
    pub fn skipped_entities(&self) -> impl Iterator<Item = &str> + '_ {
        self.skipped.iter()
    }

    /// The reference just read (its name in `scratch`, its `&` at byte `at` of frame `f`) is
    /// skipped: remember the name and report it.
    pub(crate) fn skipped_here(&mut self, f: usize, at: usize) -> Result<Option<Ev>, Error> {
        let kept = self.skipped.insert(&self.scratch);
        if kept > 0 {
            if let Err(e) = self.budget.charge(kept, "the names of skipped entities") {
                return Err(self.err_at(f, at, e));
            }
        }
        let len = self.scratch.len() as u32;
        Ok(Some(Ev::Skipped(Span { start: 0, end: len })))
    }
}
