//! Canonical XML in James Clark's form, as the W3C conformance suite's OUTPUT files use it.
//! (Being written.)
