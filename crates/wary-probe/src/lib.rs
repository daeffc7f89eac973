//! wary-probe: attack scenarios that test other software (SMTP clients, SMTP servers, XML
//! parsers) on loopback, and report what leaked.
//!
//! (Under construction: see issue 5.)
#![forbid(unsafe_code)]
#![warn(missing_docs)]
