//! Keyword arguments -> wary-xml [`Options`] and the defusedxml [`Policy`].
//!
//! Every limit of [`wary_xml::Limits`] is a keyword argument of the same name; a missing one
//! keeps wary's secure default. External entities are off unless `external_entities="local"`
//! is passed by name (then only files inside `entity_root` are read, as in wary-xml).
//!
//! `forbid_entities` needs no limit of its own: wary-xml reports every entity declaration
//! that binds ([`wary_xml::Event::EntityDecl`], [`wary_xml::Event::UnparsedEntity`]), and
//! the batch refuses the first one (see [`crate::batch`]).

use crate::batch::Policy;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;
use wary_xml::{ExternalEntities, Limit, Limits, Options};

/// What a parse was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The reader's options.
    pub options: Options,
    /// defusedxml's switches.
    pub policy: Policy,
    /// Start tags with names as written (for SAX and DOM builders).
    pub raw_names: bool,
}

/// The keyword arguments every parse takes, as received from Python.
#[derive(Debug, Default)]
pub struct Kwargs {
    /// `Limits` fields by name; `None` keeps the default.
    pub limits: Vec<(&'static str, Option<i64>)>,
    /// `"off"` (default) or `"local"`.
    pub external_entities: Option<String>,
    /// The folder external entities must lie in (`"local"` only).
    pub entity_root: Option<PathBuf>,
    /// defusedxml's switches.
    pub policy: Policy,
    /// Start tags with names as written (for SAX and DOM builders).
    pub raw_names: bool,
}

impl Config {
    /// Checks the arguments: a negative limit, an unknown mode, or a root without local
    /// mode is the caller's mistake and a `ValueError` that says which argument.
    pub fn new(k: Kwargs) -> PyResult<Config> {
        let mut limits = Limits::default();
        for (name, value) in k.limits {
            let Some(v) = value else { continue };
            let v = u64::try_from(v)
                .map_err(|_| PyValueError::new_err(format!("{name} must be 0 or more, got {v}")))?;
            // A value beyond usize (32-bit) is no limit anyway: saturate.
            let as_usize = usize::try_from(v).unwrap_or(usize::MAX);
            limits = match name {
                "max_depth" => limits.with_max_depth(as_usize),
                "max_entity_depth" => limits.with_max_entity_depth(as_usize),
                "amplification_threshold" => limits.with_amplification_threshold(v),
                "max_amplification" => limits.with_max_amplification(v),
                "max_attributes" => limits.with_max_attributes(as_usize),
                "max_name_len" => limits.with_max_name_len(as_usize),
                "max_token_len" => limits.with_max_token_len(as_usize),
                "max_retained_bytes" => limits.with_max_retained_bytes(as_usize),
                other => {
                    return Err(PyValueError::new_err(format!("unknown limit {other}")));
                }
            };
        }
        let external_entities = match k.external_entities.as_deref() {
            None | Some("off") => {
                if k.entity_root.is_some() {
                    return Err(PyValueError::new_err(
                        "entity_root is only used with external_entities=\"local\"",
                    ));
                }
                ExternalEntities::Off
            }
            Some("local") => match k.entity_root {
                Some(root) => ExternalEntities::local_in(root),
                None => ExternalEntities::local(),
            },
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "external_entities must be \"off\" or \"local\", got {other:?} \
                     (nothing is ever loaded from a URL)"
                )))
            }
        };
        Ok(Config {
            options: Options::new()
                .with_limits(limits)
                .with_external_entities(external_entities),
            policy: k.policy,
            raw_names: k.raw_names,
        })
    }
}

/// Every limit keyword argument with its default, in `Limits`' field order: the names of
/// [`Limit::field_name`] (what `LimitError.limit` says) plus `amplification_threshold`, which
/// is a setting of `max_amplification` rather than a limit crossed on its own. The Python
/// package takes its list of keyword arguments from here (`_wary.DEFAULT_LIMITS`).
pub fn default_limits() -> Vec<(&'static str, u64)> {
    let d = Limits::default();
    let mut out: Vec<(&'static str, u64)> = Limit::ALL
        .iter()
        .map(|&l| (l.field_name(), d.value(l)))
        .collect();
    let at = out
        .iter()
        .position(|(name, _)| *name == "max_amplification")
        .unwrap_or(out.len());
    out.insert(at, ("amplification_threshold", d.amplification_threshold));
    out
}
