//! The memory budget: one count of every byte the reader keeps from one token to the next
//! (issue 10, class 2), bounded by [`Limits::max_retained_bytes`](crate::Limits).
//!
//! Per-token buffers (the window of the entity being read, the current tag's attributes, the
//! scratch text of an event) are bounded by `max_token_len` and reused. What outlives a token
//! is charged here when it is kept and refunded when it is dropped:
//!
//! - open elements: their names, and the namespace bindings they made (refunded when the
//!   element closes and its scope pops);
//! - the DTD: entity declarations with their replacement text or identifiers, attribute-list
//!   declarations with their normalized defaults, notation declarations (kept by the
//!   canonical form);
//! - the replacement text of entities being expanded (refunded when the entity ends);
//! - the read buffers of external entities being read, which outlive the tokens of the
//!   entities they reference (refunded when the entity ends);
//! - the names of distinct skipped entities (listed once each at the end).
//!
//! Each item is charged its bytes plus a fixed overhead that stands for the heap bookkeeping
//! around it (map slots, vector entries, reference counts), so that a million tiny
//! declarations cost what they really take, not only their text.

use crate::Error;

// The overheads below are what an item really costs on the heap besides its text, so that
// the budget tracks resident memory (measured with `wary xml check` on a million entity
// declarations: about 300 bytes each, all told). A hash map or vector holds up to twice its
// items while it grows (capacity doubling, and the old table alive during a rehash), and
// each separate allocation costs a malloc header and rounding.

/// Per entity, attribute or notation declaration, besides its text: a map slot of the
/// largest kind (name, entity and identifiers: 112 bytes) twice over, plus two allocations.
pub(crate) const DECL_OVERHEAD: usize = 288;
/// Per open element (its entry on the element stack, twice over).
/// What the memory budget calls the text of entity frames.
pub(crate) const EXPANDING: &str = "the replacement text of entities being expanded";

pub(crate) const ELEMENT_OVERHEAD: usize = 64;
/// Per namespace binding (its stack entries, the undo log and the prefix map's slot).
pub(crate) const BINDING_OVERHEAD: usize = 96;
/// Per open external entity at most: its read buffer (64 KiB), the decoded read-ahead its
/// window holds (up to 128 KiB) and the frame itself, all kept while the entities it
/// references are read. Measured (dhat, `wary xml check`): a chain of 24 nested external
/// entities of 200 KB each peaked at 4.84 MB of heap, 24 of them read one after another at
/// 0.28 MB, about 190 KiB per open entity.
pub(crate) const EXTERNAL_FRAME_MAX: usize = 192 << 10;
/// Per open external entity besides its text: the frame and decoder state (measured: about
/// 500 bytes each for tiny files).
pub(crate) const EXTERNAL_FRAME_OVERHEAD: usize = 1 << 10;
/// What the memory budget calls the buffers of external entities.
pub(crate) const READING_EXTERNAL: &str = "the read buffers of external entities being read";

/// What an external entity of `size` bytes is charged while it is open: its buffers never
/// hold more than its text decoded (at most 3 bytes of UTF-8 per byte read, from a
/// single-byte charset) besides the overhead, nor more than [`EXTERNAL_FRAME_MAX`].
pub(crate) fn external_frame_cost(size: u64) -> usize {
    let text = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(3);
    text.saturating_add(EXTERNAL_FRAME_OVERHEAD)
        .min(EXTERNAL_FRAME_MAX)
}

/// Per distinct skipped entity (the set's slot, the list's entry and the shared name's
/// allocation).
pub(crate) const SKIPPED_OVERHEAD: usize = 128;

/// Bytes kept across tokens, against the limit.
#[derive(Debug)]
pub(crate) struct Budget {
    used: usize,
    max: usize,
}

impl Budget {
    pub fn new(max: usize) -> Self {
        Budget { used: 0, max }
    }

    /// Counts `bytes` more kept for `what` (a phrase such as "namespace bindings of open
    /// elements"); an error of kind [`ErrorKind::Limit`] when that crosses the limit. The
    /// caller adds the position.
    #[inline]
    pub fn charge(&mut self, bytes: usize, what: &str) -> Result<(), Error> {
        let used = self.used.saturating_add(bytes);
        if used > self.max {
            return Err(self.exceeded(bytes, what));
        }
        self.used = used;
        Ok(())
    }

    /// Gives back `bytes` charged earlier (the item was dropped).
    #[inline]
    pub fn refund(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub fn used(&self) -> usize {
        self.used
    }

    #[cold]
    fn exceeded(&self, bytes: usize, what: &str) -> Error {
        Error::limit_exceeded(
            crate::Limit::MaxRetainedBytes,
            self.max as u64,
            format_args!(
                "the parser would keep too much in memory across tokens ({} bytes kept, \
                 {bytes} more for {what}); the document may be an attack on memory",
                self.used
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Limit};

    #[test]
    fn charge_refund_and_limit() {
        let mut b = Budget::new(100);
        assert!(b.charge(60, "x").is_ok());
        assert!(b.charge(40, "x").is_ok());
        let e = b.charge(1, "open element names").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
        assert_eq!(e.rule(), "Limits::max_retained_bytes");
        assert_eq!(e.limit(), Some(Limit::MaxRetainedBytes));
        assert!(
            e.message().contains("Limits::max_retained_bytes is 100"),
            "{e}"
        );
        assert!(e.message().contains("open element names"), "{e}");
        // A failed charge changes nothing; a refund makes room again.
        assert_eq!(b.used(), 100);
        b.refund(50);
        assert!(b.charge(50, "x").is_ok());
        // Huge charges saturate rather than wrap.
        assert!(b.charge(usize::MAX, "x").is_err());
    }
}
