//! Loading external entities, only when the caller asked for it by name
//! ([`ExternalEntities::Local`]), and only files inside the entity root.
//!
//! A system identifier is accepted only if it is a relative path: no URL scheme (so nothing
//! is ever fetched from a network), no absolute path. It is resolved against the folder of
//! the entity whose declaration holds it (XML 1.0 §4.2.2), and the resolved file, with every
//! symbolic link and `..` resolved by the operating system, must lie inside the root.

use crate::encoding::Decoder;
use crate::input::{Frame, FrameKind};
use crate::reader::Reader;
use crate::{Error, ErrorKind, ExternalEntities};
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl<'r> Reader<'r> {
    /// Opens an external entity as a frame, or returns `None` when external entities are
    /// off. Refusals (outside the root, a URL, an absolute path) are errors.
    pub(crate) fn open_external(
        &mut self,
        system: &str,
        base: Option<&Path>,
        kind: FrameKind,
        name: &str,
    ) -> Result<Option<Frame<'r>>, Error> {
        let root = match &self.options.external_entities {
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
            return Err(self.err_here_e(refuse(
                "it is a URL; only relative paths to local files are loaded".into(),
            )));
        }
        if system.starts_with('/') || system.starts_with('\\') || Path::new(system).is_absolute() {
            return Err(self.err_here_e(refuse(
                "it is an absolute path; only paths relative to the entity root are loaded".into(),
            )));
        }
        let base: PathBuf = match base {
            Some(b) => b.to_path_buf(),
            None => self.document_dir().unwrap_or_else(|| PathBuf::from(".")),
        };
        let root = root
            .or_else(|| self.document_dir())
            .unwrap_or_else(|| PathBuf::from("."));
        let canon_root = std::fs::canonicalize(&root).map_err(|e| {
            self.err_here_e(Error::io(
                e,
                format!("cannot use the entity root {}", root.display()),
            ))
        })?;
        let path = base.join(system);
        let canon = std::fs::canonicalize(&path).map_err(|e| {
            self.err_here_e(Error::io(
                e,
                format!("cannot read external entity {name} ({})", path.display()),
            ))
        })?;
        if !canon.starts_with(&canon_root) {
            return Err(self.err_here_e(refuse(format!(
                "{} is outside the entity root {} (set --entity-root to allow it)",
                canon.display(),
                canon_root.display()
            ))));
        }
        if self.frames.len() > self.options.limits.max_entity_depth {
            let e = crate::tags::entity_depth(&self.options.limits);
            return Err(self.err_here_e(e));
        }
        let file = std::fs::File::open(&canon).map_err(|e| {
            self.err_here_e(Error::io(
                e,
                format!("cannot open external entity {name} ({})", canon.display()),
            ))
        })?;
        let label: Arc<str> = Arc::from(format!("{name} ({})", path.display()));
        let max_decl = self.options.limits.max_token_len;
        let dec = Decoder::new(Box::new(file), max_decl, false).map_err(|e| {
            e.at(crate::Position {
                offset: 0,
                line: 1,
                column: 1,
                entity: Some(label.clone()),
            })
        })?;
        let mut f = Frame::streaming(dec, kind);
        f.external = true;
        f.base_dir = canon.parent().map(Path::to_path_buf);
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
        let rest = self.frames[top].rest().as_bytes();
        if rest.starts_with(b"<?xml") && rest.len() > 5 && crate::chars::is_space(rest[5]) {
            let doc_version = self.version.clone();
            let (declared, start, _) =
                self.token("a text declaration", "XML 1.0 [77] TextDecl", |c, _| {
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
            if let Err(e) = self.frames[top].confirm_encoding(encoding.as_deref()) {
                return Err(self.err_at(top, start + encoding_at, e));
            }
            return Ok(());
        }
        let e = self.frames[top].confirm_encoding(None);
        e.map_err(|e| self.err_at(top, 0, e))
    }

    fn err_here_e(&self, e: Error) -> Error {
        let top = self.frames.len().saturating_sub(1);
        let at = self.frames.get(top).map_or(0, |f| f.pos);
        self.err_at(top, at, e)
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
