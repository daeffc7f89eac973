//! wary-smtp: an SMTP submission client whose TLS can never silently fail.
//!
//! - [`proto`]: the sans-IO core (replies, checked wire values, commands, the session state
//!   machine). The STARTTLS boundary is a proof: only an exact 220 with nothing buffered
//!   behind it yields the value that lets the driver start TLS.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod proto;
