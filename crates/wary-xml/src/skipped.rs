//! Skipped entities: references to external entities that were not loaded, or to entities
//! that may be declared where the reader did not look (XML 1.0 §4.4.3, §5.1). Every reference
//! is reported as an event; the distinct names are also kept here, once each, so that
//! `wary xml check`, the canonical form and the tree can say what is missing without each
//! keeping (and searching) a list of their own.
//!
//! The set is a hash set: finding whether a name was seen costs the same however many were
//! (a list scan made 100,000 distinct names take seconds, issue 10). Its names count against
//! the memory budget.

use crate::budget::SKIPPED_OVERHEAD;
use std::collections::HashSet;
use std::sync::Arc;

/// The distinct names, in the order first met. Each name is allocated once and shared by
/// the list and the set.
#[derive(Default)]
pub(crate) struct SkippedEntities {
    order: Vec<Arc<str>>,
    seen: HashSet<Arc<str>, foldhash::fast::RandomState>,
}

impl SkippedEntities {
    /// Records `name`; returns the bytes newly kept (0 when it was seen before).
    pub fn insert(&mut self, name: &str) -> usize {
        if self.seen.contains(name) {
            return 0;
        }
        let name: Arc<str> = Arc::from(name);
        self.seen.insert(name.clone());
        self.order.push(name);
        self.order.last().map_or(0, |n| n.len()) + SKIPPED_OVERHEAD
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(|n| &**n)
    }
}
