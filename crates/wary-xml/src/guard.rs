//! The expansion guard: the one place where entity expansion is checked, whatever path it
//! takes (a reference in text, in an attribute value, in an attribute default from the DTD,
//! a parameter entity in the DTD, an external entity).
//!
//! Three checks, each written once:
//!
//! - **recursion** (XML 1.0 §4.1, WFC: No Recursion): an entity may not appear, directly or
//!   indirectly, in its own replacement text. The caller passes the names of the entities
//!   being expanded on its own stack (the frame stack, or the stack of an attribute value);
//! - **depth** ([`Limits::max_entity_depth`]): how many levels are open at once, the
//!   document (or the literal) counting as one;
//! - **amplification** ([`Limits::max_amplification`], Expat's measure): once expansion has
//!   produced more than [`Limits::amplification_threshold`] bytes, it may not exceed
//!   `max_amplification` times the input parsed so far. The input figure is the reader's
//!   (it knows its frames); the running total of expansion is kept here.
//!
//! A token parser that stops for more input is run again from the token's start: it takes a
//! [`ExpansionGuard::mark`] first and [`ExpansionGuard::rewind`]s to it, so that nothing is
//! counted twice.

use crate::{Error, ErrorKind, Limit, Limits};

/// The running total of expansion and the limits the checks use.
#[derive(Clone, Debug)]
pub(crate) struct ExpansionGuard {
    /// Bytes produced by entity expansion so far (re-reads of external files included).
    expanded: u64,
    max_entity_depth: usize,
    amplification_threshold: u64,
    max_amplification: u64,
}

/// What kind of entity is being entered: parameter entities are named `%name` in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntityClass {
    General,
    Parameter,
}

impl ExpansionGuard {
    pub fn new(limits: &Limits) -> Self {
        ExpansionGuard {
            expanded: 0,
            max_entity_depth: limits.max_entity_depth,
            amplification_threshold: limits.amplification_threshold,
            max_amplification: limits.max_amplification,
        }
    }

    /// The checks before entity `name` is expanded: recursion against the names of the
    /// entities being expanded (`open`, of the same class), then the depth: `depth` levels
    /// are open now (the document or the literal counts as one).
    #[inline]
    pub fn enter<'n>(
        &self,
        name: &str,
        class: EntityClass,
        mut open: impl Iterator<Item = &'n str>,
        depth: usize,
    ) -> Result<(), Error> {
        if open.any(|n| n == name) {
            return Err(recursion(name, class));
        }
        self.check_depth(depth)
    }

    /// The depth check alone, for a path where recursion was checked before (an external
    /// entity is opened after its reference passed [`ExpansionGuard::enter`]).
    #[inline]
    pub fn check_depth(&self, depth: usize) -> Result<(), Error> {
        if depth > self.max_entity_depth {
            return Err(entity_depth(self.max_entity_depth));
        }
        Ok(())
    }

    /// Counts `added` bytes of expansion and checks the amplification limit against
    /// `input()`, the bytes of input parsed so far (asked for only past the threshold: the
    /// reader sums it over its frames).
    #[inline]
    pub fn expand(&mut self, added: u64, input: impl FnOnce() -> u64) -> Result<(), Error> {
        self.expanded = self.expanded.saturating_add(added);
        if self.expanded <= self.amplification_threshold {
            return Ok(());
        }
        let input = input();
        if self.expanded > input.max(1).saturating_mul(self.max_amplification) {
            return Err(amplification(
                self.expanded,
                input,
                self.amplification_threshold,
                self.max_amplification,
            ));
        }
        Ok(())
    }

    /// The running total, to [`ExpansionGuard::rewind`] to when a token is parsed again.
    #[inline]
    pub fn mark(&self) -> u64 {
        self.expanded
    }

    #[inline]
    pub fn rewind(&mut self, mark: u64) {
        self.expanded = mark;
    }
}

#[cold]
fn recursion(name: &str, class: EntityClass) -> Error {
    let sigil = match class {
        EntityClass::General => "",
        EntityClass::Parameter => "%",
    };
    Error::new(
        ErrorKind::RecursiveEntity,
        "WFC: No Recursion",
        format!("entity '{sigil}{name}' refers to itself, directly or through other entities"),
    )
}

#[cold]
fn entity_depth(max: usize) -> Error {
    Error::limit_exceeded(
        Limit::MaxEntityDepth,
        max as u64,
        "entity references are nested too deeply",
    )
}

/// Expansion past [`Limits::max_amplification`]: `expanded` bytes produced from `input`
/// bytes of input, past `threshold` ([`Limits::amplification_threshold`]).
#[cold]
fn amplification(expanded: u64, input: u64, threshold: u64, max: u64) -> Error {
    Error::limit_exceeded(
        Limit::MaxAmplification,
        max,
        format_args!(
            "entity expansion produced {expanded} bytes from {input} bytes of input (an \
             entity-expansion attack such as billion laughs?); past \
             Limits::amplification_threshold, {threshold} bytes, it may produce at most \
             Limits::max_amplification times the input"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(depth: usize, threshold: u64, max: u64) -> ExpansionGuard {
        ExpansionGuard::new(&Limits {
            max_entity_depth: depth,
            amplification_threshold: threshold,
            max_amplification: max,
            ..Limits::default()
        })
    }

    /// (entering, class, open names, depth) -> Ok, or the error kind and rule.
    type EnterRow = (
        &'static str,
        EntityClass,
        &'static [&'static str],
        usize,
        Option<(ErrorKind, &'static str)>,
    );

    const REC: Option<(ErrorKind, &str)> = Some((ErrorKind::RecursiveEntity, "WFC: No Recursion"));
    const DEPTH: Option<(ErrorKind, &str)> = Some((ErrorKind::Limit, "Limits::max_entity_depth"));

    #[test]
    fn enter_checks_recursion_then_depth() {
        use EntityClass::*;
        let rows: &[EnterRow] = &[
            ("a", General, &[], 1, None),
            ("a", General, &["a"], 2, REC),
            ("a", General, &["b", "c", "a"], 4, REC),
            ("a", General, &["b", "c"], 3, None),
            ("a", Parameter, &["a"], 2, REC),
            ("a", Parameter, &["ab", "aa", "A"], 4, None),
            ("x", General, &[], 4, None),
            ("x", General, &[], 5, DEPTH),
            ("x", General, &[], usize::MAX, DEPTH),
            ("x", Parameter, &[], 5, DEPTH),
            // Recursion is the more precise diagnosis: it wins over depth.
            ("x", General, &["x"], 9, REC),
            ("", General, &[""], 2, REC),
            ("é", General, &["e", "É"], 3, None),
            ("é", General, &["é"], 2, REC),
            ("long", General, &["l", "lo", "lon", "longer"], 4, None),
            ("n", General, &["n"; 3], 4, REC),
        ];
        let g = guard(4, 0, 1);
        for (i, &(name, class, open, depth, want)) in rows.iter().enumerate() {
            let got = g
                .enter(name, class, open.iter().copied(), depth)
                .map_err(|e| (e.kind(), e.rule()));
            assert_eq!(
                got.err(),
                want,
                "row {i}: {name} in {open:?} at depth {depth}"
            );
        }
    }

    #[test]
    fn recursion_names_parameter_entities_with_their_sigil() {
        let g = guard(4, 0, 1);
        let e = g
            .enter("p", EntityClass::Parameter, ["p"].into_iter(), 2)
            .unwrap_err();
        assert!(e.message().contains("'%p'"), "{}", e.message());
        let e = g
            .enter("p", EntityClass::General, ["p"].into_iter(), 2)
            .unwrap_err();
        assert!(e.message().contains("'p'"), "{}", e.message());
    }

    /// (threshold, max ratio, expansions as (added, input)) -> index of the first refused.
    type ExpandRow = (u64, u64, &'static [(u64, u64)], Option<usize>);

    #[test]
    fn expand_is_the_amplification_measure() {
        let rows: &[ExpandRow] = &[
            // Under the threshold nothing is refused, whatever the ratio.
            (100, 2, &[(100, 0)], None),
            (100, 2, &[(50, 1), (50, 1)], None),
            (100, 2, &[(50, 1), (51, 1)], Some(1)),
            // Past the threshold: at most max x input.
            (0, 2, &[(2, 1)], None),
            (0, 2, &[(3, 1)], Some(0)),
            (0, 2, &[(2, 1), (1, 1)], Some(1)),
            (0, 2, &[(2, 1), (1, 2)], None),
            // No input yet counts as one byte, so a first expansion is not divided by 0.
            (0, 5, &[(5, 0)], None),
            (0, 5, &[(6, 0)], Some(0)),
            (10, 100, &[(1000, 10)], None),
            (10, 100, &[(1001, 10)], Some(0)),
            // Huge counts saturate rather than wrap.
            (0, u64::MAX, &[(u64::MAX, u64::MAX)], None),
            (0, 1, &[(u64::MAX, 1), (u64::MAX, 1)], Some(0)),
            (u64::MAX, 1, &[(u64::MAX, 0), (1, 0)], None),
            (0, 3, &[(1, 1), (1, 1), (1, 1), (1, 1)], Some(3)),
            (8 << 20, 100, &[(8 << 20, 0), (1, 0)], Some(1)),
        ];
        for (i, &(threshold, max, steps, want)) in rows.iter().enumerate() {
            let mut g = guard(32, threshold, max);
            let got = steps
                .iter()
                .position(|&(added, input)| g.expand(added, || input).is_err());
            assert_eq!(
                got, want,
                "row {i}: {steps:?} threshold {threshold} max {max}"
            );
        }
        let mut g = guard(32, 0, 1);
        let e = g.expand(10, || 1).unwrap_err();
        assert_eq!(
            (e.kind(), e.rule()),
            (ErrorKind::Limit, "Limits::max_amplification")
        );
    }

    #[test]
    fn rewind_forgets_what_a_reparsed_token_counted() {
        let mut g = guard(32, 0, 10);
        g.expand(5, || 1).unwrap();
        let mark = g.mark();
        g.expand(5, || 1).unwrap();
        g.rewind(mark);
        assert_eq!(g.mark(), 5);
        // Counted again after the rewind, the total is what one parse counts.
        g.expand(5, || 1).unwrap();
        assert!(g.expand(1, || 1).is_err());
    }
}
