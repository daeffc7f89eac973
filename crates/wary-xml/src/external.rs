//! Loading external entities, only when the caller asked for it by name
//! ([`ExternalEntities::Local`]), and only regular files beneath the entity root.
//!
//! A system identifier is accepted only if it is a relative path: no URL scheme (so nothing
//! is ever fetched from a network), no absolute path. It is resolved against the folder of
//! the entity whose declaration holds it (XML 1.0 §4.2.2) *lexically*, and a path that leaves
//! the root is refused before the file system is touched: the same refusal whether or not
//! something exists there. The file is then opened beneath a handle on the root without
//! following any symbolic link, in one step (see `beneath`), so nothing swapped in meanwhile
//! can make it read outside the root, and only a regular file is read (a FIFO cannot block).
//!
//! Amplification (issue 10, class 7): the first read of a file counts as input, like the
//! document; every later read of the same file (same device and inode, whatever the name)
//! counts as *expansion*, at least [`REOPEN_COST`] bytes, so that a fan-out of references to
//! one small file trips `Limits::max_amplification` like any entity-expansion attack.

use crate::beneath::{self, Refusal};
use crate::budget::{external_frame_cost, READING_EXTERNAL};
use crate::encoding::Decoder;
use crate::input::{Frame, FrameKind};
use crate::loader::REOPEN_COST;
use crate::stack::EntityStack;
use crate::{Error, ErrorKind, ExternalEntities, Options};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl EntityStack<'_> {
    /// Opens an external entity as a frame, or returns `None` when external entities are
    /// off. Refusals (outside the root, a URL, an absolute path, a symbolic link, not a
    /// regular file) are errors of kind [`ErrorKind::ExternalEntityRefused`].
    pub(crate) fn open_external(
        &mut self,
        system: &str,
        base: Option<&Path>,
        kind: FrameKind,
        name: &str,
    ) -> Result<Option<Frame>, Error> {
        let options = self.options();
        let root = match &options.external_entities {
            ExternalEntities::Off => return Ok(None),
            ExternalEntities::Local { root } => root.clone(),
        };
        let refuse = |why: String| {
            Error::new(
                ErrorKind::ExternalEntityRefused,
                "ExternalEntities::Local",
                format!(
                    "external entity {name} (system identifier {system:?}) was not loaded: {why}"
                ),
            )
        };
        if has_scheme(system) {
            return Err(self.at_here(refuse(
                "it is a URL; only relative paths to local files are loaded".into(),
            )));
        }
        if system.starts_with('/') || system.starts_with('\\') || Path::new(system).is_absolute() {
            return Err(self.at_here(refuse(
                "it is an absolute path; only paths relative to the entity root are loaded".into(),
            )));
        }
        // The expansion guard's depth check (recursion was checked at the reference).
        if let Err(e) = self.guard().check_depth(self.len()) {
            return Err(self.at_here(e));
        }
        // A base that is not absolute is the document's own folder (external entities get
        // the absolute folder they were read from): made canonical once, by the loader.
        let base = match base {
            Some(b) if b.is_absolute() => b.to_path_buf(),
            _ => self.canonical_doc_dir()?,
        };
        // The root is opened once, at the first external entity, and every file is then
        // opened relative to that handle.
        let root_dir = || {
            root.or_else(|| document_dir(options))
                .unwrap_or_else(|| PathBuf::from("."))
        };
        let root = match self.loader().root(root_dir) {
            Ok(r) => r,
            Err((dir, e)) => {
                let what = format!("cannot use the entity root {}", dir.display());
                return Err(self.at_here(Error::io(e, what)));
            }
        };
        let root_shown = root.path().display().to_string();
        // Lexical: nothing outside the root is looked at, so a path there gets this same
        // refusal whether or not it exists.
        let Some(at) = beneath::resolve(root.path(), &base, system) else {
            return Err(self.at_here(refuse(format!(
                "it resolves outside the entity root {root_shown}"
            ))));
        };
        let shown = root.path().join(at.relative());
        let opened = match root.open_file(&at) {
            Ok(o) => o,
            Err(r) => {
                let e = match r {
                    // Where the link points is never read, let alone shown.
                    Refusal::Symlink => refuse(format!(
                        "a symbolic link is on its path inside the entity root {root_shown}, \
                         and symbolic links are not followed"
                    )),
                    Refusal::NotRegular(what) => refuse(format!(
                        "{} is {what}; only regular files are loaded",
                        shown.display()
                    )),
                    Refusal::Root => refuse("it names the entity root folder itself".into()),
                    Refusal::Io(e) => Error::io(
                        e,
                        format!("cannot read external entity {name} ({})", shown.display()),
                    ),
                };
                return Err(self.at_here(e));
            }
        };
        // XML 1.0 §4.4.3 includes the entity's text wherever it is referenced: a second read
        // of one file is entity expansion, the same as an internal entity's replacement text.
        let first = self.loader().first_read(opened.id);
        let source: Box<dyn Read + Send> = if first {
            Box::new(opened.file)
        } else {
            let cost = opened.size.max(REOPEN_COST);
            self.count_expansion(usize::try_from(cost).unwrap_or(usize::MAX))?;
            // Read no more than was counted, even if the file grows meanwhile.
            Box::new(opened.file.take(opened.size))
        };
        let label: Arc<str> = Arc::from(format!("{name} ({})", shown.display()));
        let max_decl = options.limits.max_token_len;
        let dec = Decoder::new(source, max_decl, false).map_err(|e| {
            e.at(crate::Position {
                offset: 0,
                line: 1,
                column: 1,
                entity: Some(label.clone()),
            })
        })?;
        let mut f = Frame::streaming(dec, kind);
        // Its buffers stay while the entities it references are read: kept memory, charged
        // until the frame is popped (which refunds `charged`).
        let cost = external_frame_cost(opened.size);
        self.charge(cost, READING_EXTERNAL)?;
        f.charged = cost;
        f.external = true;
        f.counts_as_input = first;
        f.base_dir = shown.parent().map(Path::to_path_buf);
        f.label = Some(label);
        f.name = Some(Arc::from(
            name.trim_start_matches('%').trim_end_matches(';'),
        ));
        if kind == FrameKind::ExternalSubset {
            f.name = None;
        }
        Ok(Some(f))
    }

    /// Reads the text declaration (\[77\] TextDecl) at the start of the top frame, if any.
    pub(crate) fn external_text_decl(&mut self) -> Result<(), Error> {
        self.ensure(6)?;
        let top = self.top();
        let rest = self.frame(top).rest().as_bytes();
        if rest.starts_with(b"<?xml") && rest.len() > 5 && crate::chars::is_space(rest[5]) {
            let doc_version = self.version();
            let (declared, start, _) =
                self.token("a text declaration", "XML 1.0 [77] TextDecl", |c| {
                    let at = c.i;
                    let d = crate::decl::parse(c, true)?;
                    // XML 1.0 §4.3.4: a 1.0 document cannot include an entity of a later version.
                    if let Some(v) = d.version {
                        if v != "1.0" && doc_version == "1.0" {
                            c.i = at;
                            return Err(c.syntax(format!(
                                "an XML {v} entity cannot be used in an XML 1.0 document"
                            )));
                        }
                    }
                    Ok((d.encoding.map(str::to_string), d.encoding_at))
                })?;
            // XML 1.0 §4.3.3: the declared encoding must be the one the bytes are read in.
            let (encoding, encoding_at) = declared;
            if let Err(e) = self.frame_mut(top).confirm_encoding(encoding.as_deref()) {
                return Err(self.err_at(top, start + encoding_at, e));
            }
            return Ok(());
        }
        let e = self.frame_mut(top).confirm_encoding(None);
        e.map_err(|e| self.err_at(top, 0, e))
    }

    /// The document's folder (the current one for a document without a path), canonical.
    fn canonical_doc_dir(&mut self) -> Result<PathBuf, Error> {
        let options = self.options();
        let dir = || document_dir(options).unwrap_or_else(|| PathBuf::from("."));
        match self.loader().doc_dir(dir) {
            Ok(d) => Ok(d.to_path_buf()),
            Err((dir, e)) => Err(self.at_here(Error::io(
                e,
                format!("cannot resolve the document's folder {}", dir.display()),
            ))),
        }
    }
}

/// The folder relative system identifiers of the document resolve from: that of
/// `Options::document_path`, or the current folder for a document without a path.
pub(crate) fn document_dir(options: &Options) -> Option<PathBuf> {
    match &options.document_path {
        Some(p) => Some(
            p.parent()
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    }
                })
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        ),
        None => std::env::current_dir().ok(),
    }
}

/// Whether a system identifier starts with a URL scheme (`http:`, `file:`, `c:`...).
fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme.as_bytes()[0].is_ascii_alphabetic()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        _ => false,
    }
}
