//! The document type declaration: XML 1.0 \[28\]-\[31\] and the markup declarations \[45\]-\[84\],
//! with parameter entities and conditional sections. This file is the store of what they
//! declare ([`Dtd`]: entities, attribute lists), which the rest of the reader consults; the
//! parser, [`DtdParser`], is in the submodules. It is a view, not the reader: it borrows
//! the entity stack (`stack::EntityStack`: frames, expansion guard, budget, loader), this
//! store, the event scratch and the skipped-entity queue for one step, and tells the reader
//! what comes next ([`DtdStep`]); nothing here imports the reader.
//!
//! - `subset`: the doctype, the steps through the internal and external subsets, parameter
//!   entity references (through the expansion guard);
//! - `cursor`: the `DtdParser` type and its declaration cursor over the frame stack
//!   (`peek`, `bump`, `name`, `quoted`, `sep`, ...), so a declaration
//!   in the external subset may continue through parameter-entity references (whose
//!   replacement text is padded with a space on each side, XML 1.0 §4.4.8). In the internal
//!   subset, parameter-entity references may only stand between declarations (WFC: PEs in
//!   Internal Subset);
//! - `decls`: element, attribute-list and notation declarations, conditional sections;
//! - `entities`: entity declarations and entity values.

use crate::chars;

mod cursor;
mod decls;
mod entities;
mod subset;
pub(crate) use cursor::DtdParser;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
pub(crate) use subset::DtdStep;

/// A declared entity.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub name: Arc<str>,
    pub kind: EntityKind,
    /// Declared in the external subset or inside a parameter entity (WFC: Entity Declared
    /// forbids standalone documents from relying on such declarations).
    pub external_decl: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum EntityKind {
    /// An internal entity and its replacement text.
    Internal(Arc<str>),
    /// An external entity; `notation` is set for unparsed entities.
    External {
        /// The public identifier, kept to be reported with the declaration and with a
        /// reference that is skipped (XML 1.0 \[75\] ExternalID).
        public: Option<String>,
        system: String,
        base: Option<PathBuf>,
        notation: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttType {
    Cdata,
    /// Any tokenized or enumerated type: values are space-collapsed (§3.3.3).
    Tokenized,
}

#[derive(Debug)]
pub(crate) struct AttDef {
    pub name: Arc<str>,
    pub ty: AttType,
    /// The normalized default value (`None` for #REQUIRED and #IMPLIED).
    pub default: Option<Arc<str>>,
}

impl AttDef {
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }
}

#[derive(Debug, Default)]
pub(crate) struct ElementAtts {
    pub defs: Vec<AttDef>,
    index: HashMap<Arc<str>, usize>,
    /// Where in `defs` the attributes with a default value are: only these are looked at
    /// for each start tag (a long list of #IMPLIED attributes walked on every tag made
    /// 100,000 of them quadratic, issue 10).
    defaulted: Vec<usize>,
}

impl ElementAtts {
    /// The declared attributes that have a default value, in declaration order.
    pub fn defaulted(&self) -> impl Iterator<Item = &AttDef> {
        self.defaulted.iter().filter_map(|&i| self.defs.get(i))
    }

    /// Adds a declaration unless the attribute is declared already (the first binds,
    /// XML 1.0 §3.3); returns whether it was added.
    pub fn declare(&mut self, def: AttDef) -> bool {
        if self.index.contains_key(&def.name) {
            return false;
        }
        let i = self.defs.len();
        if def.default.is_some() {
            self.defaulted.push(i);
        }
        self.index.insert(def.name.clone(), i);
        self.defs.push(def);
        true
    }

    pub fn get(&self, name: &str) -> Option<&AttDef> {
        self.index.get(name).and_then(|&i| self.defs.get(i))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    Internal,
    External,
    End,
}

/// What the DTD declared, and what the reader needs to know about it.
#[derive(Default)]
pub(crate) struct Dtd {
    general: HashMap<Arc<str>, Entity>,
    params: HashMap<Arc<str>, Entity>,
    attlists: HashMap<Arc<str>, ElementAtts>,
    /// The document has an external subset.
    pub has_external_subset: bool,
    /// The internal subset contains a parameter-entity reference.
    pub has_pe_refs: bool,
    /// An external parameter entity (or the subset) was not read, in a document that is not
    /// standalone: later entity and attribute-list declarations are not processed (§5.1).
    pub ignoring: bool,
    phase: Phase,
    ext_subset: Option<String>,
    /// Open INCLUDE sections.
    cond_depth: usize,
}

impl Dtd {
    pub fn general(&self, name: &str) -> Option<&Entity> {
        self.general.get(name)
    }

    /// `(public, system)` of the general entity `name` when it is external.
    pub fn external_id(&self, name: &str) -> Option<(Option<&str>, &str)> {
        match &self.general.get(name)?.kind {
            EntityKind::External { public, system, .. } => Some((public.as_deref(), system)),
            EntityKind::Internal(_) => None,
        }
    }

    /// Whether no attribute-list declaration was read (then no tag has defaults).
    #[inline]
    pub fn attlists_empty(&self) -> bool {
        self.attlists.is_empty()
    }

    pub fn attlist(&self, elem: &str) -> Option<&ElementAtts> {
        if self.attlists.is_empty() {
            return None;
        }
        self.attlists.get(elem)
    }

    /// Whether WFC: Entity Declared applies (rather than only the validity constraint).
    pub fn must_declare(&self, standalone: bool) -> bool {
        standalone || (!self.has_external_subset && !self.has_pe_refs)
    }
}

/// XML 1.0 §4.2.2: runs of white space in a public identifier become one space, and
/// leading and trailing white space is removed.
pub(crate) fn normalize_pubid(p: &str) -> String {
    p.split(|c: char| chars::is_space(c as u8) && c.is_ascii())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
