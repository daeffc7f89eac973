//! Keyword arguments -> wary-xml [`Options`] and the defusedxml [`Policy`].
//!
//! `open` and `open_push` take their keyword arguments as one dict, read here once: every
//! limit of [`wary_xml::Limits`] by its field name ([`Limit::ALL`] and [`Limit::field_name`],
//! the one list of limits, plus `amplification_threshold`), so a limit added to wary-xml is a
//! keyword argument with no edit here. A missing limit keeps wary's secure default. External
//! entities are off unless `external_entities="local"` is passed by name (then only files
//! inside `entity_root` are read, as in wary-xml).
//!
//! `forbid_entities` needs no limit of its own: wary-xml reports every entity declaration
//! that binds ([`wary_xml::Event::EntityDecl`], [`wary_xml::Event::UnparsedEntity`]), and
//! the batch refuses the first one (see [`crate::batch`]).

use crate::batch::Policy;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use wary_xml::{ExternalEntities, Limit, Limits, Options};

/// The one setting of [`Limits`] that is not a [`Limit`]: it says from when
/// `max_amplification` applies and is never crossed on its own.
const AMPLIFICATION_THRESHOLD: &str = "amplification_threshold";

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

/// Which entry point is reading its keyword arguments: its name for a `TypeError`, and
/// whether it offers `raw_names` (`open_push` does not: SAX and DOM read whole sources).
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The Python function's name, as a `TypeError` says it.
    pub function: &'static str,
    /// Whether `raw_names` is one of its keyword arguments.
    pub raw_names: bool,
}

impl Config {
    /// Reads the keyword arguments of a parse: the limits by name, `external_entities`
    /// (`"off"` or `"local"`), `entity_root`, defusedxml's `forbid_dtd`, `forbid_entities`
    /// and `forbid_external`, and `raw_names` where `entry` offers it. `None` for a limit,
    /// `external_entities` or `entity_root` keeps the default.
    ///
    /// As Python does for a function with named parameters: a keyword that is none of
    /// these, or a value of the wrong type, is a `TypeError` that names it; a negative
    /// limit, an unknown mode, or a root without local mode is a `ValueError` that says
    /// which argument.
    pub fn from_kwargs(entry: Entry, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
        let mut limits = Limits::default();
        let mut external_entities: Option<String> = None;
        let mut entity_root: Option<PathBuf> = None;
        let mut policy = Policy::default();
        let mut raw_names = false;
        for (key, value) in kwargs.into_iter().flat_map(|d| d.iter()) {
            // NOTE: Python makes every key of **kwargs a str; a dict passed as `**{1: 2}`
            // is refused by the interpreter before the call.
            let name: String = key.extract()?;
            let bad_type = |e: PyErr| named(&name, e, value.py());
            match name.as_str() {
                "external_entities" => external_entities = value.extract().map_err(bad_type)?,
                "entity_root" => entity_root = value.extract().map_err(bad_type)?,
                "forbid_dtd" => policy.forbid_dtd = value.extract().map_err(bad_type)?,
                "forbid_entities" => policy.forbid_entities = value.extract().map_err(bad_type)?,
                "forbid_external" => policy.forbid_external = value.extract().map_err(bad_type)?,
                "raw_names" if entry.raw_names => raw_names = value.extract().map_err(bad_type)?,
                _ => {
                    let Some(setting) = Setting::named(&name) else {
                        return Err(PyTypeError::new_err(format!(
                            "{}() got an unexpected keyword argument '{name}' \
                             (the limits are wary.etree.DEFAULT_LIMITS)",
                            entry.function
                        )));
                    };
                    let Some(v) = value.extract::<Option<i64>>().map_err(bad_type)? else {
                        continue;
                    };
                    let v = u64::try_from(v).map_err(|_| {
                        PyValueError::new_err(format!("{name} must be 0 or more, got {v}"))
                    })?;
                    limits = setting.apply(limits, v);
                }
            }
        }
        let external_entities = match external_entities.as_deref() {
            None | Some("off") => {
                if entity_root.is_some() {
                    return Err(PyValueError::new_err(
                        "entity_root is only used with external_entities=\"local\"",
                    ));
                }
                ExternalEntities::Off
            }
            Some("local") => match entity_root {
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
            policy,
            raw_names,
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
    out.insert(at, (AMPLIFICATION_THRESHOLD, d.amplification_threshold));
    out
}

/// A setting of [`Limits`] as a keyword argument names it: a [`Limit`] by its field name, or
/// the amplification threshold.
#[derive(Clone, Copy, Debug)]
enum Setting {
    Limit(Limit),
    AmplificationThreshold,
}

impl Setting {
    /// The setting the keyword argument `name` sets, if it is one.
    fn named(name: &str) -> Option<Setting> {
        if name == AMPLIFICATION_THRESHOLD {
            return Some(Setting::AmplificationThreshold);
        }
        Limit::ALL
            .iter()
            .find(|l| l.field_name() == name)
            .map(|&l| Setting::Limit(l))
    }

    fn apply(self, limits: Limits, v: u64) -> Limits {
        match self {
            Setting::Limit(l) => limits.with(l, v),
            Setting::AmplificationThreshold => limits.with_amplification_threshold(v),
        }
    }
}

/// A `TypeError` from reading the value of keyword argument `name` says which argument, as
/// PyO3 says it for a named parameter; any other error (an int too large: `OverflowError`)
/// passes unchanged, as it does there.
fn named(name: &str, e: PyErr, py: Python<'_>) -> PyErr {
    if !e.is_instance_of::<PyTypeError>(py) {
        return e;
    }
    let named = PyTypeError::new_err(format!("argument '{name}': {}", e.value(py)));
    named.set_cause(py, Some(e));
    named
}
