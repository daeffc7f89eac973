//! Writing to stdout and stderr without panicking, and a closed pipe as a normal end.
//!
//! `println!` and `eprintln!` panic when the write fails (exit 101): on a full disk
//! (`2>/dev/full`), or on stdout when the reader closed the pipe (`wary … | head`; Rust
//! ignores SIGPIPE, so the write returns EPIPE). A message that cannot be shown must not
//! change what the command did or its exit code, so stderr writes are dropped when they
//! fail; stdout writes return their error, and a closed pipe is treated as ripgrep treats
//! it: the reader has seen what it wanted, which is not an error.

use std::fmt;
use std::io::{self, Write};

/// `eprintln!` that never panics: a line to stderr, dropped if stderr is closed or full.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::stderr_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one line to stderr; a failure is dropped (there is nowhere left to report it).
pub fn stderr_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    // NOTE: stderr failing leaves nothing better to do; the exit code stays the command's.
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
    let _ = err.flush();
}

/// Writes to stdout and flushes; `Ok(false)` when the reader closed the pipe.
pub fn stdout_all(bytes: &[u8]) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

/// A writer that stops writing, without an error, once its reader has closed the pipe:
/// what follows is discarded, so that the command still runs to its end and its exit code
/// says what it found rather than that nobody read the rest. Other write errors stay
/// errors.
pub struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> UntilClosed<W> {
    pub fn new(inner: W) -> Self {
        UntilClosed {
            inner,
            closed: false,
        }
    }

    /// Whether the reader closed the pipe.
    #[cfg(test)]
    pub fn closed(&self) -> bool {
        self.closed
    }

    fn absorb<T>(&mut self, r: io::Result<T>, all: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(all)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.absorb(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.absorb(r, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe whose reader left after `room` bytes.
    struct Pipe {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_ends_writing_without_an_error() {
        for room in [0, 1, 7, 100] {
            let mut w = UntilClosed::new(Pipe {
                room,
                got: Vec::new(),
            });
            for _ in 0..50 {
                w.write_all(b"0123456789").unwrap();
            }
            w.flush().unwrap();
            assert_eq!(w.closed(), room < 500, "room {room}");
            assert_eq!(w.inner.got.len(), room.min(500));
        }
    }

    #[test]
    fn other_write_errors_stay_errors() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(28))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = UntilClosed::new(Full);
        assert!(w.write_all(b"x").is_err());
        assert!(!w.closed());
    }
}
