//! What the reader keeps for loading external entities (local mode only): the handle on the
//! entity root, the document's canonical folder, and the files read so far. A plain record,
//! filled and read by `external`; the reader only owns it.

use crate::beneath::Root;
use std::collections::HashSet;
use std::path::PathBuf;

/// The least a repeated read of an external file counts as expansion, in bytes. Opening a
/// file costs system calls and a fresh 64 KiB read buffer whatever its size, so counting
/// only its bytes would let references to an empty file run for hours uncounted (a 552-byte
/// document did). At 1 KiB, a fan-out reaches the 8 MiB amplification threshold after 8,192
/// re-reads (well under a second), while a document that repeats a boilerplate external
/// entity a few thousand times stays well below it.
pub(crate) const REOPEN_COST: u64 = 1024;

/// What the reader keeps for loading external entities.
#[derive(Default)]
pub(crate) struct Loader {
    /// A handle on the entity root, opened at the first external entity.
    pub root: Option<Root>,
    /// The document's folder, canonical: where the document's own references resolve from.
    pub doc_dir: Option<PathBuf>,
    /// Files read so far (device, inode): reading one again is expansion, not input.
    pub seen: HashSet<(u64, u64)>,
}
