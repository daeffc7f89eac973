//! The pool's machinery, over any [`Connector`]: a count of open connections (never above
//! the maximum), the idle list, the retry rule, and the task that closes idle connections.
//!
//! Every open connection holds a [`Slot`]; dropping the slot (the connection was closed,
//! dropped after an error, or its `send` future was cancelled) frees the place and wakes one
//! waiting sender. A sender looks for a fit idle connection, else a free place, else waits
//! for either; the wait is on a [`Notify`] whose `notified()` is enabled before the state is
//! looked at, so no wake-up is lost between the look and the wait.

use super::PoolConfig;
use crate::client::ClientConfig;
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Message, Reply, SessionError, Status, SubmitError};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What the pool needs of a connection; the drivers implement it.
pub(crate) trait Connection: Send + Sized + 'static {
    /// Sends one message; the connection comes back with the result.
    fn send_one(
        self,
        envelope: Arc<Envelope>,
        message: Arc<Message>,
    ) -> impl Future<Output = (Self, Result<DeliveryReport, Error>)> + Send;
    /// True when it can take another message.
    fn ready(&self) -> bool;
    /// Ends it politely (QUIT), best effort.
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Opens connections.
pub(crate) trait Connector: Send + Sync + 'static {
    type Conn: Connection;
    fn connect(
        &self,
        config: &ClientConfig,
    ) -> impl Future<Output = Result<Self::Conn, Error>> + Send;
}

pub(crate) struct Core<K: Connector> {
    pub(super) config: PoolConfig,
    connector: K,
    state: Mutex<State<K::Conn>>,
    changed: Notify,
}

struct State<C> {
    idle: Vec<Idle<C>>,
    /// Connections open (idle, in use, being opened or being closed).
    open: usize,
    closed: bool,
}

struct Idle<C> {
    conn: C,
    since: Instant,
    sent: usize,
    slot: Slot,
}

/// One place among the open connections; freed on drop.
struct Slot {
    core: Weak<dyn Release>,
}

trait Release: Send + Sync {
    fn release(&self);
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(core) = self.core.upgrade() {
            core.release();
        }
    }
}

impl<K: Connector> Release for Core<K> {
    fn release(&self) {
        self.lock().open -= 1;
        self.changed.notify_one();
    }
}

/// What a sender got: a connection (idle or new) or the error opening one.
enum Got<C> {
    Reused(C, usize, Slot),
    New(Slot),
}

impl<K: Connector> Core<K> {
    pub(crate) fn start(mut config: PoolConfig, connector: K) -> Arc<Core<K>> {
        config.max_connections = config.max_connections.max(1);
        config.max_messages_per_connection = config.max_messages_per_connection.max(1);
        let core = Arc::new(Core {
            config,
            connector,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                closed: false,
            }),
            changed: Notify::new(),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(reap(Arc::downgrade(&core)));
        }
        core
    }

    /// The lock; never held across an await. A poisoned lock (a panic while it was held,
    /// which no code here can cause) still holds consistent data.
    fn lock(&self) -> MutexGuard<'_, State<K::Conn>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn open_count(&self) -> usize {
        self.lock().open
    }

    pub(crate) async fn send(
        self: &Arc<Self>,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<DeliveryReport, Error> {
        let envelope = Arc::new(envelope.clone());
        let message = Arc::new(message.clone());
        let mut earlier: Option<DeliveryReport> = None;
        let mut last_error = None;
        // Two attempts at most; the second only when the first provably did not reach the
        // server (the module docs' rule), and always on a new connection.
        for attempt in 0..2 {
            let (conn, sent, slot) = match self.get(attempt > 0).await {
                Ok(got) => got,
                Err(e) => {
                    // Nothing went out on this attempt.
                    last_error = Some(e);
                    continue;
                }
            };
            let (conn, result) = conn
                .send_one(Arc::clone(&envelope), Arc::clone(&message))
                .await;
            match result {
                Ok(report) => {
                    self.give_back(conn, sent + 1, slot);
                    if !retry_is_safe(&report) {
                        return Ok(report);
                    }
                    earlier = Some(report);
                }
                // The message does not fit this server (too large, 8-bit, SMTPUTF8, DSN):
                // nothing was sent, and sending again cannot help.
                Err(e @ Error::Submit(SubmitError::Message(_) | SubmitError::Value(_)))
                | Err(
                    e @ Error::Submit(
                        SubmitError::NoRecipients
                        | SubmitError::Utf8NotOffered(_)
                        | SubmitError::EightBitNotOffered
                        | SubmitError::TooLarge { .. }
                        | SubmitError::DsnNotOffered,
                    ),
                ) => {
                    self.give_back(conn, sent, slot);
                    return Err(e);
                }
                // No report: the session did not take the message (the drivers hand out a
                // report for every message taken, before any error), because the
                // connection broke while idle. Nothing of it went out.
                Err(e) => {
                    drop((conn, slot));
                    last_error = Some(e);
                }
            }
        }
        match (earlier, last_error) {
            (Some(report), _) => Ok(report),
            (None, Some(e)) => Err(e),
            // NOTE: every attempt leaves a report or an error.
            (None, None) => Err(Error::Session(SessionError::Misuse("no attempt was made"))),
        }
    }

    /// A connection for one message: a fit idle one (unless `fresh`), else a new one once
    /// there is room, closing an idle one to make room when need be.
    async fn get(self: &Arc<Self>, fresh: bool) -> Result<(K::Conn, usize, Slot), Error> {
        loop {
            let mut notified = pin!(self.changed.notified());
            notified.as_mut().enable();
            let (got, stale) = self.look(fresh)?;
            for old in stale {
                old.conn.close().await;
                drop(old.slot);
            }
            match got {
                Some(Got::Reused(conn, sent, slot)) => return Ok((conn, sent, slot)),
                Some(Got::New(slot)) => {
                    let conn = self.connector.connect(&self.config.client).await?;
                    return Ok((conn, 0, slot));
                }
                None => notified.await,
            }
        }
    }

    /// One look at the state: what the sender can have now, and the idle connections to
    /// close (too old, no longer ready, or in the way of a fresh connection).
    #[allow(clippy::type_complexity)]
    fn look(
        self: &Arc<Self>,
        fresh: bool,
    ) -> Result<(Option<Got<K::Conn>>, Vec<Idle<K::Conn>>), Error> {
        let mut st = self.lock();
        if st.closed {
            return Err(Error::Session(SessionError::Misuse("the pool is closed")));
        }
        let timeout = self.config.idle_timeout;
        let max = self.config.max_connections;
        let mut stale = Vec::new();
        if fresh {
            // A retry wants a new connection; when the pool is full, the least recently
            // used idle one makes room.
            if st.open >= max && !st.idle.is_empty() {
                stale.push(st.idle.remove(0));
            }
        } else {
            // Most recently used first: the likeliest to be alive.
            while let Some(idle) = st.idle.pop() {
                if idle.since.elapsed() >= timeout || !idle.conn.ready() {
                    stale.push(idle);
                    continue;
                }
                return Ok((Some(Got::Reused(idle.conn, idle.sent, idle.slot)), stale));
            }
        }
        // Room for a new connection, counting those about to be closed as gone: they are
        // closed (and their slots dropped) before the new one connects.
        if st.open - stale.len() < max {
            st.open += 1;
            let slot = Slot {
                core: Arc::downgrade(self) as Weak<dyn Release>,
            };
            return Ok((Some(Got::New(slot)), stale));
        }
        Ok((None, stale))
    }

    /// Back to the idle list when it can take more, else closed in the background (its
    /// slot held until it is, so the pool never has more than the maximum open).
    fn give_back(&self, conn: K::Conn, sent: usize, slot: Slot) {
        {
            let mut st = self.lock();
            if conn.ready() && sent < self.config.max_messages_per_connection && !st.closed {
                st.idle.push(Idle {
                    conn,
                    since: Instant::now(),
                    sent,
                    slot,
                });
                drop(st);
                self.changed.notify_one();
                return;
            }
        }
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    conn.close().await;
                    drop(slot);
                });
            }
            Err(_) => drop((conn, slot)),
        }
    }

    pub(crate) async fn close(&self) {
        let idle = {
            let mut st = self.lock();
            st.closed = true;
            std::mem::take(&mut st.idle)
        };
        self.changed.notify_waiters();
        for i in idle {
            i.conn.close().await;
            drop(i.slot);
        }
    }

    /// Closes the connections idle for longer than the timeout.
    async fn reap_once(&self) {
        let expired: Vec<Idle<K::Conn>> = {
            let mut st = self.lock();
            let timeout = self.config.idle_timeout;
            let (old, keep) = std::mem::take(&mut st.idle)
                .into_iter()
                .partition(|i| i.since.elapsed() >= timeout);
            st.idle = keep;
            old
        };
        for i in expired {
            i.conn.close().await;
            drop(i.slot);
        }
    }
}

/// The background task that closes idle connections on time; it ends with the pool.
async fn reap<K: Connector>(core: Weak<Core<K>>) {
    loop {
        let period = match core.upgrade() {
            Some(c) => (c.config.idle_timeout / 4).max(Duration::from_millis(10)),
            None => return,
        };
        tokio::time::sleep(period).await;
        match core.upgrade() {
            Some(c) => c.reap_once().await,
            None => return,
        }
    }
}

/// The retry rule of the module docs: the content never left, and no reply but a 421
/// refused anything.
pub(crate) fn retry_is_safe(report: &DeliveryReport) -> bool {
    if report.content_written {
        return false;
    }
    match report.status() {
        Status::NotSent => true,
        Status::Deferred => {
            let only_the_connection = |r: &Reply| {
                let code = r.code();
                code.is_positive() || code.is_intermediate() || code.value() == 421
            };
            report
                .mail
                .iter()
                .chain(report.recipients.iter().filter_map(|r| r.reply.as_ref()))
                .chain(report.data.iter())
                .chain(report.final_reply.iter())
                .all(only_the_connection)
        }
        _ => false,
    }
}
