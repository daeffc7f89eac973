//! How long the client waits in each phase. Defaults are RFC 5321 §4.5.3.2's minimums; the
//! phases it does not cover (EHLO, STARTTLS, AUTH, the TLS handshake, connecting) get five
//! minutes like the envelope commands, except connecting, for which two minutes is plenty.

use std::time::Duration;

/// Per-phase timeouts. The session arms one deadline per reply it waits for; the driver uses
/// `connect`, `tls_handshake` and `data_block` for its own I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing the TCP connection.
    pub connect: Duration,
    /// The TLS handshake.
    pub tls_handshake: Duration,
    /// The 220 greeting (§4.5.3.2.1: 5 minutes).
    pub greeting: Duration,
    /// EHLO, HELO, STARTTLS, AUTH, RSET, QUIT replies (5 minutes).
    pub command: Duration,
    /// MAIL reply (§4.5.3.2.2: 5 minutes).
    pub mail: Duration,
    /// RCPT reply (§4.5.3.2.3: 5 minutes).
    pub rcpt: Duration,
    /// 354 reply to DATA (§4.5.3.2.4: 2 minutes).
    pub data_init: Duration,
    /// Writing one block of data (§4.5.3.2.5: 3 minutes).
    pub data_block: Duration,
    /// The final reply after the data or the last BDAT chunk (§4.5.3.2.6: 10 minutes).
    pub data_term: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        let min = |m: u64| Duration::from_secs(60 * m);
        Timeouts {
            connect: min(2),
            tls_handshake: min(5),
            greeting: min(5),
            command: min(5),
            mail: min(5),
            rcpt: min(5),
            data_init: min(2),
            data_block: min(3),
            data_term: min(10),
        }
    }
}

/// The longest any one phase may wait: one day. Longer values are clamped to it (by
/// [`Timeouts::clamped`], which the session and driver apply), so no deadline arithmetic
/// (`Instant + Duration`) can overflow, whatever a caller passes (issue 9 class 6).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The shortest wait: socket timeouts of zero mean "forever" in std, so zero is raised to it.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(1);

impl Timeouts {
    /// Every phase clamped to [`MIN_TIMEOUT`]..=[`MAX_TIMEOUT`].
    pub fn clamped(self) -> Timeouts {
        let c = |d: Duration| d.clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        Timeouts {
            connect: c(self.connect),
            tls_handshake: c(self.tls_handshake),
            greeting: c(self.greeting),
            command: c(self.command),
            mail: c(self.mail),
            rcpt: c(self.rcpt),
            data_init: c(self.data_init),
            data_block: c(self.data_block),
            data_term: c(self.data_term),
        }
    }

    /// With the TCP connect timeout.
    pub fn with_connect(mut self, d: Duration) -> Timeouts {
        self.connect = d;
        self
    }
    /// With the TLS handshake timeout.
    pub fn with_tls_handshake(mut self, d: Duration) -> Timeouts {
        self.tls_handshake = d;
        self
    }
    /// With the greeting timeout.
    pub fn with_greeting(mut self, d: Duration) -> Timeouts {
        self.greeting = d;
        self
    }
    /// With the timeout for EHLO, HELO, STARTTLS, AUTH, RSET and QUIT replies.
    pub fn with_command(mut self, d: Duration) -> Timeouts {
        self.command = d;
        self
    }
    /// With the MAIL reply timeout.
    pub fn with_mail(mut self, d: Duration) -> Timeouts {
        self.mail = d;
        self
    }
    /// With the RCPT reply timeout.
    pub fn with_rcpt(mut self, d: Duration) -> Timeouts {
        self.rcpt = d;
        self
    }
    /// With the timeout for DATA's 354.
    pub fn with_data_init(mut self, d: Duration) -> Timeouts {
        self.data_init = d;
        self
    }
    /// With the timeout for writing one block of data.
    pub fn with_data_block(mut self, d: Duration) -> Timeouts {
        self.data_block = d;
        self
    }
    /// With the timeout for the final reply after the data.
    pub fn with_data_term(mut self, d: Duration) -> Timeouts {
        self.data_term = d;
        self
    }

    /// The same timeout for every phase (`wary send --timeout SECS`).
    pub fn uniform(d: Duration) -> Timeouts {
        Timeouts {
            connect: d,
            tls_handshake: d,
            greeting: d,
            command: d,
            mail: d,
            rcpt: d,
            data_init: d,
            data_block: d,
            data_term: d,
        }
    }
}

/// `now + wait`, never overflowing: `wait` is clamped to [`MAX_TIMEOUT`], and an `Instant` so
/// close to the end of its range that even that overflows (only a caller's made-up clock
/// can be there) gets a deadline of `now`: it times out at once rather than never.
pub fn deadline_after(now: std::time::Instant, wait: Duration) -> std::time::Instant {
    now.checked_add(wait.min(MAX_TIMEOUT)).unwrap_or(now)
}
