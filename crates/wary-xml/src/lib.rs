//! wary-xml: an XML 1.0 (Fifth Edition) parser with Namespaces in XML 1.0, built for hostile
//! input.
//!
//! - **Streaming**: [`Reader`] pulls from any [`std::io::Read`] in chunks; memory is bounded by
//!   the largest token it must hold, never by the document's size.
//! - **Complete**: every well-formedness constraint of XML 1.0 Fifth Edition and Namespaces in
//!   XML 1.0, the whole DTD grammar, internal entities, encodings via `encoding_rs`.
//! - **Bounded**: explicit stacks instead of recursion, and named [`Limits`] with secure
//!   defaults. Nothing external is loaded unless [`ExternalEntities::Local`] is asked for.
//!
//! ```
//! use wary_xml::{Event, Options, Reader};
//! let mut reader = Reader::from_bytes(b"<greeting lang='en'>hi</greeting>", Options::default());
//! let mut text = String::new();
//! while let Some(event) = reader.next_event()? {
//!     if let Event::Text(t) = event {
//!         text.push_str(t);
//!     }
//! }
//! assert_eq!(text, "hi");
//! # Ok::<(), wary_xml::Error>(())
//! ```
//!
//! Why hand-written rather than built on an existing crate: no Rust XML parser checks all of
//! XML 1.0's well-formedness rules, DTD included, within explicit limits; this one exists to
//! do exactly that. Encoding conversion (`encoding_rs`) and byte scanning (`memchr`) are not
//! rewritten.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canon;
mod chars;
mod charset;
mod cursor;
mod decl;
mod dtd;
mod encoding;
mod error;
mod event;
mod external;
mod input;
mod limits;
mod namespaces;
mod reader;
mod tags;
pub mod tree;

pub use error::{Error, ErrorKind, Fault, Position};
pub use event::{
    Attribute, Attributes, Doctype, EndElement, Event, Notation, Pi, StartElement, UnparsedEntity,
    XmlDecl,
};
pub use limits::{ExternalEntities, Limits, Options};
pub use reader::Reader;
