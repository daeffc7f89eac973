//! wary-smtp: an SMTP submission client whose TLS can never silently fail.
//!
//! (Under construction: see issue 4.)
#![forbid(unsafe_code)]
#![warn(missing_docs)]
