//! What the reader keeps for loading external entities (local mode only): the handle on the
//! entity root, the document's canonical folder, and the files read so far. Each is made
//! once and only through its method, so that the policy in `external` cannot open a second
//! root or forget a file it read.

use crate::beneath::Root;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    root: Option<Root>,
    /// The document's folder, canonical: where the document's own references resolve from.
    doc_dir: Option<PathBuf>,
    /// Files read so far (device, inode): reading one again is expansion, not input.
    seen: HashSet<(u64, u64)>,
}

impl Loader {
    /// The handle on the entity root. It is opened once, at the first external entity, from
    /// the folder `dir` gives (asked only then), and every file is then opened relative to
    /// that handle, so that the root cannot change under a document. The error names the
    /// folder that could not be opened.
    pub(crate) fn root(
        &mut self,
        dir: impl FnOnce() -> PathBuf,
    ) -> Result<&mut Root, (PathBuf, std::io::Error)> {
        match &mut self.root {
            Some(r) => Ok(r),
            slot @ None => {
                let dir = dir();
                match Root::open(&dir) {
                    Ok(r) => Ok(slot.insert(r)),
                    Err(e) => Err((dir, e)),
                }
            }
        }
    }

    /// The document's folder (from `dir`, asked only the first time), canonical: made once,
    /// so that every reference of the document resolves from the same folder.
    pub(crate) fn doc_dir(
        &mut self,
        dir: impl FnOnce() -> PathBuf,
    ) -> Result<&Path, (PathBuf, std::io::Error)> {
        match &mut self.doc_dir {
            Some(d) => Ok(d),
            slot @ None => {
                let dir = dir();
                match std::fs::canonicalize(&dir) {
                    Ok(canon) => Ok(slot.insert(canon)),
                    Err(e) => Err((dir, e)),
                }
            }
        }
    }

    /// Remembers that the file `id` (device, inode) is read; returns whether this is its
    /// first read (a later one is entity expansion, not input).
    pub(crate) fn first_read(&mut self, id: (u64, u64)) -> bool {
        self.seen.insert(id)
    }
}
