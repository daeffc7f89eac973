//! [`Limit`]: which of the [`Limits`](crate::Limits) stopped parsing, as a type rather than a
//! string, so that a caller can react to one limit (raise it, map it to a flag or a keyword
//! argument) without reading messages.

use std::fmt;

/// A security limit of [`Limits`](crate::Limits) that a document crossed: the value of
/// [`Error::limit`](crate::Error::limit) for every error of kind
/// [`ErrorKind::Limit`](crate::ErrorKind::Limit).
///
/// One variant per field of `Limits` that can be crossed, named like it
/// ([`field_name`](Limit::field_name) gives the field). `Limits::amplification_threshold` has
/// no variant: crossing it alone is allowed, it only says from when
/// [`Limits::max_amplification`](crate::Limits::max_amplification) applies, so an
/// amplification error is [`Limit::MaxAmplification`] whatever the threshold.
///
/// A library names limits by this type (its messages say `Limits::max_depth`); a front end
/// maps it to its own knob, as the `wary` command line maps `MaxDepth` to a flag and the
/// Python package to the keyword argument `max_depth`.
///
/// ```
/// use wary_xml::{Limit, Limits, Options, Reader};
/// let options = Options::new().with_limits(Limits::default().with_max_depth(2));
/// let mut reader = Reader::from_bytes(b"<a><b><c/></b></a>", options);
/// let err = loop {
///     match reader.next_event() {
///         Ok(Some(_)) => continue,
///         Ok(None) => unreachable!("three levels are over the limit of two"),
///         Err(e) => break e,
///     }
/// };
/// assert_eq!(err.limit(), Some(Limit::MaxDepth));
/// assert_eq!(err.limit().map(Limit::field_name), Some("max_depth"));
/// assert!(err.message().contains("Limits::max_depth is 2"), "{err}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_depth`](crate::Limits::max_depth): elements (or content-model groups)
    /// nested too deeply.
    MaxDepth,
    /// [`Limits::max_entity_depth`](crate::Limits::max_entity_depth): entity references
    /// nested too deeply while expanding.
    MaxEntityDepth,
    /// [`Limits::max_amplification`](crate::Limits::max_amplification): entity expansion
    /// produced too much output for the input parsed (past
    /// [`Limits::amplification_threshold`](crate::Limits::amplification_threshold)).
    MaxAmplification,
    /// [`Limits::max_attributes`](crate::Limits::max_attributes): too many attributes in one
    /// start tag.
    MaxAttributes,
    /// [`Limits::max_name_len`](crate::Limits::max_name_len): a name too long.
    MaxNameLen,
    /// [`Limits::max_token_len`](crate::Limits::max_token_len): a token (tag, comment, PI,
    /// entity value, declaration) too long to hold.
    MaxTokenLen,
    /// [`Limits::max_retained_bytes`](crate::Limits::max_retained_bytes): more would be kept
    /// in memory across tokens (open elements, the DTD, skipped-entity names, ...).
    MaxRetainedBytes,
}

impl Limit {
    /// Every limit, in the order of the fields of [`Limits`](crate::Limits).
    pub const ALL: &'static [Limit] = &[
        Limit::MaxDepth,
        Limit::MaxEntityDepth,
        Limit::MaxAmplification,
        Limit::MaxAttributes,
        Limit::MaxNameLen,
        Limit::MaxTokenLen,
        Limit::MaxRetainedBytes,
    ];

    /// The name of the field of [`Limits`](crate::Limits) that sets this limit, for example
    /// `"max_depth"`.
    pub fn field_name(self) -> &'static str {
        match self {
            Limit::MaxDepth => "max_depth",
            Limit::MaxEntityDepth => "max_entity_depth",
            Limit::MaxAmplification => "max_amplification",
            Limit::MaxAttributes => "max_attributes",
            Limit::MaxNameLen => "max_name_len",
            Limit::MaxTokenLen => "max_token_len",
            Limit::MaxRetainedBytes => "max_retained_bytes",
        }
    }

    /// The rule an error of this limit cites ([`Error::rule`](crate::Error::rule)), for
    /// example `"Limits::max_depth"`.
    pub fn rule(self) -> &'static str {
        match self {
            Limit::MaxDepth => "Limits::max_depth",
            Limit::MaxEntityDepth => "Limits::max_entity_depth",
            Limit::MaxAmplification => "Limits::max_amplification",
            Limit::MaxAttributes => "Limits::max_attributes",
            Limit::MaxNameLen => "Limits::max_name_len",
            Limit::MaxTokenLen => "Limits::max_token_len",
            Limit::MaxRetainedBytes => "Limits::max_retained_bytes",
        }
    }
}

/// Writes the field it names: `Limits::max_depth`.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rule())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree() {
        for &l in Limit::ALL {
            assert_eq!(l.rule(), format!("Limits::{}", l.field_name()));
            assert_eq!(l.to_string(), l.rule());
        }
        let mut names: Vec<_> = Limit::ALL.iter().map(|l| l.field_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Limit::ALL.len(), "field names are distinct");
    }
}
