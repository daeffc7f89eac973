//! The listener for one scenario: binds an ephemeral port on 127.0.0.1, serves every
//! connection the client opens (a client that falls back to plain text usually reconnects)
//! with the scenario's script, each on its own thread, and hands back the transcript once
//! the run is over.

use super::catalog::Scenario;
use super::conn::{Conn, Event, Log};
use super::session;
use crate::pki::TestPki;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Most connections served per scenario; later ones are refused (closed at once).
pub const MAX_CONNECTIONS: u32 = 8;

/// A running scripted server.
pub(crate) struct ScenarioServer {
    port: u16,
    stop: Arc<AtomicBool>,
    log: Log,
    acceptor: JoinHandle<Vec<JoinHandle<()>>>,
}

impl ScenarioServer {
    /// Starts serving `scenario` until [`ScenarioServer::finish`] or `deadline`.
    pub(crate) fn start(
        scenario: &'static Scenario,
        pki: Arc<TestPki>,
        deadline: Instant,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Log::new();
        let acceptor = {
            let (stop, log) = (Arc::clone(&stop), log.clone());
            thread::spawn(move || accept_loop(&listener, scenario, &pki, &stop, &log, deadline))
        };
        Ok(ScenarioServer {
            port,
            stop,
            log,
            acceptor,
        })
    }

    /// The port the client must connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Lets in-flight bytes arrive for `grace`, stops every connection and returns the
    /// transcript in the order things happened.
    pub(crate) fn finish(self, grace: Duration) -> Vec<Event> {
        thread::sleep(grace);
        self.stop.store(true, Ordering::Relaxed);
        if let Ok(workers) = self.acceptor.join() {
            for worker in workers {
                // A worker that panicked has still recorded what it saw before.
                let _ = worker.join();
            }
        }
        let mut events = self.log.take();
        events.sort_by_key(|e| e.at_ms);
        events
    }
}

fn accept_loop(
    listener: &TcpListener,
    scenario: &'static Scenario,
    pki: &Arc<TestPki>,
    stop: &Arc<AtomicBool>,
    log: &Log,
    deadline: Instant,
) -> Vec<JoinHandle<()>> {
    let mut workers = Vec::new();
    let mut next_id = 0u32;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        match listener.accept() {
            Ok((tcp, _)) if next_id < MAX_CONNECTIONS => {
                let id = next_id;
                next_id += 1;
                let (pki, stop, log) = (Arc::clone(pki), Arc::clone(stop), log.clone());
                workers.push(thread::spawn(move || {
                    if let Ok(conn) = Conn::new(id, tcp, log, stop, deadline) {
                        session::serve(conn, scenario, &pki);
                    }
                }));
            }
            // Over the connection cap: dropping the stream closes it.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    workers
}
