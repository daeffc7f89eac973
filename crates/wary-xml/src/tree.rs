//! A small in-memory tree over the reader. (Being written.)
