//! Security limits: named, with secure defaults, each documented where it bites.
//!
//! Every limit is checked where the resource is consumed; crossing one is an
//! [`ErrorKind::Limit`](crate::ErrorKind::Limit) error whose [`Error::limit`](crate::Error::limit)
//! says which ([`Limit`]) and whose message names the field and its value
//! (`Limits::max_depth is 1024`). The defaults accept every document of the W3C conformance
//! suite and real-world documents, and stop the known attacks (see docs/security.md).
//! How to build them: see [`Options`].

use crate::limit::Limit;
use std::path::PathBuf;

/// The limits a [`Reader`](crate::Reader) enforces.
///
/// Build one with [`Limits::default`] and the `with_*` methods (see [`Options`]); read the
/// fields directly. Each default is an associated constant (`Limits::DEFAULT_MAX_DEPTH`,
/// ...), the one place its number is written: the `wary` command line's help and
/// docs/security.md are checked against them by tests.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum element nesting depth (and nesting of content-model groups in the DTD). Bites
    /// in start tags. Default: [`Limits::DEFAULT_MAX_DEPTH`].
    pub max_depth: usize,
    /// Maximum nesting of entity references being expanded at once (general and parameter
    /// entities together). Bites when an entity is pushed.
    /// Default: [`Limits::DEFAULT_MAX_ENTITY_DEPTH`].
    pub max_entity_depth: usize,
    /// Expansion output below this many bytes is never counted as amplification.
    /// Default: [`Limits::DEFAULT_AMPLIFICATION_THRESHOLD`] (as Expat ≥ 2.4). Not a limit of
    /// its own: it says from when `max_amplification` applies.
    pub amplification_threshold: u64,
    /// Once past the threshold, bytes produced by entity expansion may not exceed this many
    /// times the input parsed so far. Default: [`Limits::DEFAULT_MAX_AMPLIFICATION`] (as
    /// Expat ≥ 2.4). Expansion counts replacement text in content and in the DTD (parameter
    /// entities), references expanded in attribute values, attributes added from DTD
    /// defaults (names and values), and the bytes of an external file read again. Input is
    /// the document's text (in UTF-8, as positions count it) up to the end of the token
    /// being parsed when the expansion happens (up to its start for a tag or a declaration,
    /// whose values are expanded as the token is read), plus the text of external entities
    /// read for the first time, counted the same way. Read-ahead does not count, so the
    /// verdict and its position are the same however the source splits its bytes into reads.
    pub max_amplification: u64,
    /// Maximum attributes in one start tag, defaults included.
    /// Default: [`Limits::DEFAULT_MAX_ATTRIBUTES`].
    pub max_attributes: usize,
    /// Maximum length of a name in bytes. Default: [`Limits::DEFAULT_MAX_NAME_LEN`] (as
    /// libxml2).
    pub max_name_len: usize,
    /// Maximum size in bytes of one token the reader must hold whole: a tag with its
    /// attributes (their values after entity expansion included), a comment, a PI, an entity
    /// value, a DTD declaration. Text and CDATA are delivered in pieces and are not bound by
    /// it. Default: [`Limits::DEFAULT_MAX_TOKEN_LEN`] (as libxml2).
    pub max_token_len: usize,
    /// Maximum bytes the reader keeps in memory from one token to the next: names of open
    /// elements and the namespace bindings in scope, the DTD's entity, attribute-list and
    /// notation declarations (replacement text, identifiers, normalized defaults), the
    /// replacement text of entities being expanded, and the names of distinct skipped
    /// entities. Each item counts its bytes plus a fixed overhead for its bookkeeping. Bites
    /// when something more would be kept; refunded when an element closes or an entity
    /// ends. Default: [`Limits::DEFAULT_MAX_RETAINED_BYTES`], which with the per-token
    /// buffers (`max_token_len`) keeps `wary xml check` under 64 MiB for any document.
    pub max_retained_bytes: usize,
}

impl Limits {
    /// The default of [`Limits::max_depth`].
    pub const DEFAULT_MAX_DEPTH: usize = 1024;
    /// The default of [`Limits::max_entity_depth`].
    pub const DEFAULT_MAX_ENTITY_DEPTH: usize = 32;
    /// The default of [`Limits::amplification_threshold`]: 8 MiB (Expat's
    /// `XML_BLAP_ACT_THRES`).
    pub const DEFAULT_AMPLIFICATION_THRESHOLD: u64 = 8 << 20;
    /// The default of [`Limits::max_amplification`] (Expat's `XML_BLAP_MAX_AMP`).
    pub const DEFAULT_MAX_AMPLIFICATION: u64 = 100;
    /// The default of [`Limits::max_attributes`].
    pub const DEFAULT_MAX_ATTRIBUTES: usize = 4096;
    /// The default of [`Limits::max_name_len`] (libxml2's `XML_MAX_NAME_LENGTH`).
    pub const DEFAULT_MAX_NAME_LEN: usize = 50_000;
    /// The default of [`Limits::max_token_len`]: 10 MiB.
    pub const DEFAULT_MAX_TOKEN_LEN: usize = 10 << 20;
    /// The default of [`Limits::max_retained_bytes`]: 16 MiB.
    pub const DEFAULT_MAX_RETAINED_BYTES: usize = 16 << 20;

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Sets [`Limits::max_entity_depth`].
    #[must_use]
    pub fn with_max_entity_depth(mut self, n: usize) -> Self {
        self.max_entity_depth = n;
        self
    }

    /// Sets [`Limits::amplification_threshold`].
    #[must_use]
    pub fn with_amplification_threshold(mut self, bytes: u64) -> Self {
        self.amplification_threshold = bytes;
        self
    }

    /// Sets [`Limits::max_amplification`].
    #[must_use]
    pub fn with_max_amplification(mut self, ratio: u64) -> Self {
        self.max_amplification = ratio;
        self
    }

    /// Sets [`Limits::max_attributes`].
    #[must_use]
    pub fn with_max_attributes(mut self, n: usize) -> Self {
        self.max_attributes = n;
        self
    }

    /// Sets [`Limits::max_name_len`].
    #[must_use]
    pub fn with_max_name_len(mut self, bytes: usize) -> Self {
        self.max_name_len = bytes;
        self
    }

    /// Sets [`Limits::max_token_len`].
    #[must_use]
    pub fn with_max_token_len(mut self, bytes: usize) -> Self {
        self.max_token_len = bytes;
        self
    }

    /// Sets [`Limits::max_retained_bytes`].
    #[must_use]
    pub fn with_max_retained_bytes(mut self, bytes: usize) -> Self {
        self.max_retained_bytes = bytes;
        self
    }

    /// Sets the field `limit` names: the inverse of [`Limits::value`], so that a front end
    /// that names limits by [`Limit`] (a keyword argument, a flag) sets any of them with no
    /// list of its own, and a limit added here reaches it with no edit there. A value beyond
    /// `usize` (a 32-bit target) saturates: it is no limit there anyway.
    #[must_use]
    pub fn with(self, limit: Limit, value: u64) -> Self {
        let narrow = usize::try_from(value).unwrap_or(usize::MAX);
        // No `_` arm: a new `Limit` must be given its field here before this compiles.
        match limit {
            Limit::MaxDepth => self.with_max_depth(narrow),
            Limit::MaxEntityDepth => self.with_max_entity_depth(narrow),
            Limit::MaxAmplification => self.with_max_amplification(value),
            Limit::MaxAttributes => self.with_max_attributes(narrow),
            Limit::MaxNameLen => self.with_max_name_len(narrow),
            Limit::MaxTokenLen => self.with_max_token_len(narrow),
            Limit::MaxRetainedBytes => self.with_max_retained_bytes(narrow),
        }
    }

    /// The value of the field `limit` names (`usize` fields widened to `u64`).
    pub fn value(&self, limit: Limit) -> u64 {
        // Every field, by name, with no `..`: a field added to Limits must be given a
        // `Limit` here, or said to be none, before this compiles.
        let Limits {
            max_depth,
            max_entity_depth,
            amplification_threshold: _, // a threshold, never crossed on its own
            max_amplification,
            max_attributes,
            max_name_len,
            max_token_len,
            max_retained_bytes,
        } = *self;
        let wide = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        match limit {
            Limit::MaxDepth => wide(max_depth),
            Limit::MaxEntityDepth => wide(max_entity_depth),
            Limit::MaxAmplification => max_amplification,
            Limit::MaxAttributes => wide(max_attributes),
            Limit::MaxNameLen => wide(max_name_len),
            Limit::MaxTokenLen => wide(max_token_len),
            Limit::MaxRetainedBytes => wide(max_retained_bytes),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: Limits::DEFAULT_MAX_DEPTH,
            max_entity_depth: Limits::DEFAULT_MAX_ENTITY_DEPTH,
            amplification_threshold: Limits::DEFAULT_AMPLIFICATION_THRESHOLD,
            max_amplification: Limits::DEFAULT_MAX_AMPLIFICATION,
            max_attributes: Limits::DEFAULT_MAX_ATTRIBUTES,
            max_name_len: Limits::DEFAULT_MAX_NAME_LEN,
            max_token_len: Limits::DEFAULT_MAX_TOKEN_LEN,
            max_retained_bytes: Limits::DEFAULT_MAX_RETAINED_BYTES,
        }
    }
}

/// Whether and where external entities (external DTD subset, external general and parameter
/// entities) may be loaded.
///
/// Built with [`ExternalEntities::default`] (off), [`ExternalEntities::local`] or
/// [`ExternalEntities::local_in`]; a `match` outside this crate needs a `_` arm, since more
/// modes may come.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExternalEntities {
    /// Never load anything external (the default). References to external general entities
    /// in content are reported as [`Event::SkippedEntity`](crate::Event::SkippedEntity).
    #[default]
    Off,
    /// Load local files only: relative system identifiers are resolved against the entity
    /// that refers to them, and a file is read only if it lies inside `root` (default: the
    /// document's folder). No URL schemes, no absolute paths, no escaping the root through
    /// `..` or symbolic links.
    #[non_exhaustive]
    Local {
        /// The folder every loaded entity must lie in; `None` means the document's folder
        /// (or the current folder for a document without a path).
        root: Option<PathBuf>,
    },
}

impl ExternalEntities {
    /// Local files inside the document's folder (the current folder for a document without
    /// a path).
    pub fn local() -> Self {
        ExternalEntities::Local { root: None }
    }

    /// Local files inside `root`.
    pub fn local_in(root: impl Into<PathBuf>) -> Self {
        ExternalEntities::Local {
            root: Some(root.into()),
        }
    }
}

/// Options for a [`Reader`](crate::Reader).
///
/// `Options`, [`Limits`] and [`ExternalEntities`] are `#[non_exhaustive]`: fields may be
/// added, so they are not built with struct literals outside this crate. Start from the
/// defaults and change what you need with `with_*` methods, which take and return the value
/// (one style for every config type, like the builders of rustls' and quinn's configs); the
/// fields stay public for reading:
///
/// ```
/// use wary_xml::{ExternalEntities, Limits, Options};
/// let options = Options::new()
///     .with_limits(Limits::default().with_max_depth(64).with_max_token_len(1 << 20))
///     .with_external_entities(ExternalEntities::local_in("/srv/xml"));
/// assert_eq!(options.limits.max_depth, 64);
/// assert_eq!(options.limits.max_attributes, Limits::DEFAULT_MAX_ATTRIBUTES);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    /// Security limits. Default: [`Limits::default`].
    pub limits: Limits,
    /// Whether external entities may be loaded. Default: off.
    pub external_entities: ExternalEntities,
    /// The path of the document, used to resolve relative system identifiers and as the
    /// default entity root. `None` for a document without a file (stdin, bytes);
    /// [`Reader::from_path`](crate::Reader::from_path) sets it.
    pub document_path: Option<PathBuf>,
}

impl Options {
    /// The defaults: secure limits, nothing external loaded, no document path.
    pub fn new() -> Self {
        Options::default()
    }

    /// Sets [`Options::limits`].
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets [`Options::external_entities`].
    #[must_use]
    pub fn with_external_entities(mut self, external: ExternalEntities) -> Self {
        self.external_entities = external;
        self
    }

    /// Sets [`Options::document_path`].
    #[must_use]
    pub fn with_document_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.document_path = Some(path.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_sets_the_field_value_reads_and_no_other() {
        // Each limit set to values no default has, through `with`:
        // `value` reads it back from the same field, every other limit keeps its default.
        let d = Limits::default();
        for &set in Limit::ALL {
            for v in [0, 7, 123_456_789] {
                let l = Limits::default().with(set, v);
                for &other in Limit::ALL {
                    let want = if other == set { v } else { d.value(other) };
                    assert_eq!(l.value(other), want, "with({set:?}, {v}) read as {other:?}");
                }
                assert_eq!(l.amplification_threshold, d.amplification_threshold);
            }
        }
    }
}
