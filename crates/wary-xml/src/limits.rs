//! Security limits: named, with secure defaults, each documented where it bites.
//!
//! Every limit is checked where the resource is consumed; crossing one is an
//! [`ErrorKind::Limit`](crate::ErrorKind::Limit) error that names the limit, its value and the
//! `wary xml` flag that raises it. The defaults accept every document of the W3C conformance
//! suite and real-world documents, and stop the known attacks (see docs/security.md).

/// The limits a [`Reader`](crate::Reader) enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting depth. Bites in start tags. Default 1,024.
    pub max_depth: usize,
    /// Maximum nesting of entity references being expanded at once (general and parameter
    /// entities together). Bites when an entity is pushed. Default 32.
    pub max_entity_depth: usize,
    /// Expansion output below this many bytes is never counted as amplification.
    /// Default 8 MiB (as Expat ≥ 2.4).
    pub amplification_threshold: u64,
    /// Once past the threshold, bytes produced by entity expansion may not exceed this many
    /// times the input parsed so far. Default 100 (as Expat ≥ 2.4). Expansion counts
    /// replacement text in content and in the DTD (parameter entities), references expanded
    /// in attribute values, attributes added from DTD defaults (names and values), and the
    /// bytes of an external file read again. Input is the document's text (in UTF-8, as
    /// positions count it) up to the end of the token being parsed when the expansion
    /// happens (up to its start for a tag or a declaration, whose values are expanded as the
    /// token is read), plus the text of external entities read for the first time, counted
    /// the same way. Read-ahead does not count, so the verdict and its position are the
    /// same however the source splits its bytes into reads.
    pub max_amplification: u64,
    /// Maximum attributes in one start tag, defaults included. Default 4,096.
    pub max_attributes: usize,
    /// Maximum length of a name in bytes. Default 50,000 (as libxml2).
    pub max_name_len: usize,
    /// Maximum size in bytes of one token the reader must hold whole: a tag with its
    /// attributes (their values after entity expansion included), a comment, a PI, an entity
    /// value, a DTD declaration. Text and CDATA are delivered in pieces and are not bound by
    /// it. Default 10 MiB (as libxml2).
    pub max_token_len: usize,
    /// Maximum bytes the reader keeps in memory from one token to the next: names of open
    /// elements and the namespace bindings in scope, the DTD's entity, attribute-list and
    /// notation declarations (replacement text, identifiers, normalized defaults), the
    /// replacement text of entities being expanded, and the names of distinct skipped
    /// entities. Each item counts its bytes plus a fixed overhead for its bookkeeping. Bites
    /// when something more would be kept; refunded when an element closes or an entity
    /// ends. Default 16 MiB, which with the per-token buffers (`max_token_len`) keeps
    /// `wary xml check` under 64 MiB for any document.
    pub max_retained_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 1024,
            max_entity_depth: 32,
            amplification_threshold: 8 << 20,
            max_amplification: 100,
            max_attributes: 4096,
            max_name_len: 50_000,
            max_token_len: 10 << 20,
            max_retained_bytes: 16 << 20,
        }
    }
}

/// Whether and where external entities (external DTD subset, external general and parameter
/// entities) may be loaded.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ExternalEntities {
    /// Never load anything external (the default). References to external general entities
    /// in content are reported as [`Event::SkippedEntity`](crate::Event::SkippedEntity).
    #[default]
    Off,
    /// Load local files only: relative system identifiers are resolved against the entity
    /// that refers to them, and a file is read only if it lies inside `root` (default: the
    /// document's folder). No URL schemes, no absolute paths, no escaping the root through
    /// `..` or symbolic links.
    Local {
        /// The folder every loaded entity must lie in; `None` means the document's folder
        /// (or the current folder for a document without a path).
        root: Option<std::path::PathBuf>,
    },
}

/// Options for a [`Reader`](crate::Reader).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Security limits.
    pub limits: Limits,
    /// Whether external entities may be loaded.
    pub external_entities: ExternalEntities,
    /// The path of the document, used to resolve relative system identifiers and as the
    /// default entity root. `None` for a document without a file (stdin, bytes).
    pub document_path: Option<std::path::PathBuf>,
}
