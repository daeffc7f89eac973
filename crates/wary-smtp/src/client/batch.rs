//! `send_many`'s queue, shared by both drivers: the messages and their indexes go into the
//! session as it can take them (with PIPELINING, up to
//! [`MAX_MESSAGES_IN_FLIGHT`](crate::proto::transaction::MAX_MESSAGES_IN_FLIGHT)), and each
//! gets exactly one report, in order. A driver loops [`Batch::fill`], drives the session
//! until [`batch_event`], and hands the report to [`Batch::settle`].

use super::driver::Driver;
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Event, Message, SessionError, SubmitError};
use std::collections::VecDeque;
use std::iter::{Enumerate, Peekable};

/// The messages of a `send_many` and their indexes, queued into the session as it can take
/// them; one report per message, in order.
pub(crate) struct Batch<'a, I: Iterator<Item = (&'a Envelope, &'a Message)>> {
    queue: Peekable<Enumerate<I>>,
    in_flight: VecDeque<usize>,
    quit: bool,
}

/// What a batch needs next.
pub(crate) enum Fill {
    /// Drive the session until a report (or the close).
    Drive,
    /// The batch is over: every message is settled (`Ok`), or the server closed the
    /// session (421) with messages left to send (an `Err` that says so).
    Over(Result<(), Error>),
    /// Every message is settled and the session failed: close and return the failure.
    Failed,
}

impl<'a, I: Iterator<Item = (&'a Envelope, &'a Message)>> Batch<'a, I> {
    pub(crate) fn new(messages: I, quit: bool) -> Self {
        Batch {
            queue: messages.enumerate().peekable(),
            in_flight: VecDeque::new(),
            quit,
        }
    }

    /// Queues what the session can take now.
    pub(crate) fn fill(
        &mut self,
        driver: &mut Driver,
        on_report: &mut impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Fill {
        let session = driver.session_mut();
        while session.can_send() {
            let Some((i, (envelope, message))) = self.queue.next() else {
                break;
            };
            match session.send_message(envelope, message) {
                Ok(()) => self.in_flight.push_back(i),
                Err(e) => on_report(i, Err(e)),
            }
        }
        if self.quit && self.queue.peek().is_none() {
            session.quit_when_done();
        }
        if !self.in_flight.is_empty() {
            return Fill::Drive;
        }
        // Every message is settled; an error that ended the session after the last report
        // is still the caller's to know.
        if driver.failed() {
            Fill::Failed
        } else if self.queue.peek().is_none() {
            Fill::Over(Ok(()))
        } else {
            Fill::Over(Err(closed_early()))
        }
    }

    /// A report came (or the close, `None`).
    pub(crate) fn settle(
        &mut self,
        report: Option<DeliveryReport>,
        on_report: &mut impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) {
        if let Some(report) = report {
            // NOTE: reports come in the order the messages were queued.
            if let Some(i) = self.in_flight.pop_front() {
                on_report(i, Ok(report));
            }
        }
    }
}

/// The event a batch's [`Fill::Drive`] waits for: a report, or the close (`None`).
pub(crate) fn batch_event(ev: Event) -> Option<Option<DeliveryReport>> {
    match ev {
        Event::Delivered(r) => Some(Some(*r)),
        Event::Closed => Some(None),
        _ => None,
    }
}

/// The error for a batch the server closed before every message was sent.
fn closed_early() -> Error {
    Error::Session(SessionError::Closed {
        waiting_for: "the chance to send the remaining messages",
    })
}
