//! wary-probe: attack scenarios that test *other* software on loopback, and report what
//! leaked.
//!
//! - [`smtp_client`]: a mail client is run against a fixed catalog of scripted hostile SMTP
//!   servers (STARTTLS stripped, refused, answered wrongly or not at all, replies injected
//!   after the 220, bad certificates, malformed and endless replies, silence); every byte it
//!   sends is recorded, inside TLS too, and judged: safe, LEAK (what, and where), or broken.
//! - [`smtp_server`]: one mail server is checked for STARTTLS, AUTH before TLS, the
//!   CVE-2011-0411 pipelined-command injection, its certificate and its TLS versions.
//! - [`xml_parser`]: an XML parser (any command) is run over a generated hostile corpus
//!   ([`xml_corpus`]) under time and memory limits, with a loopback HTTP canary and canary
//!   files, and judged: blocked, survived, slow, memory blow-up, fetched, read a file,
//!   disclosed, crashed, hung.
//! - [`report`]: the shared report model and its terminal, JSON and HTML renderings.
//!
//! Everything runs on 127.0.0.1 or against the one host the caller names, with bounded
//! time: per-scenario limits on the software under test, read timeouts on every socket.
//!
//! Hand-written parts, and why: the scripted servers must misbehave on purpose, which no
//! SMTP server crate does; TLS is rustls (ring provider) and certificates are rcgen.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod pki;
pub mod process;
pub mod report;
pub mod smtp_client;
pub mod smtp_server;
pub mod xml_corpus;
pub mod xml_parser;
