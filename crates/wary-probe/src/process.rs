//! Runs the software under test as a child process with a hard time limit.
//!
//! The child gets its own process group so that a shell wrapper and everything it started
//! can be killed together when the limit is reached; its stdout and stderr are captured up
//! to a cap so a chatty or hostile program cannot exhaust the probe's memory.

use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How much of the child's stdout and of its stderr is kept.
pub const MAX_CAPTURE: usize = 64 * 1024;

/// How a bounded run ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum Ending {
    /// The program exited by itself with this status code.
    Exited(i32),
    /// The program was ended by this signal (not by the probe).
    Signal(i32),
    /// The probe killed it at the time limit: it hung.
    TimedOut,
}

impl Ending {
    /// Whether the program itself reported success (exit status 0).
    #[must_use]
    pub fn is_success(&self) -> bool {
        *self == Ending::Exited(0)
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exit status {code}"),
            Ending::Signal(sig) => write!(f, "killed by signal {sig}"),
            Ending::TimedOut => f.write_str("killed by the probe at the time limit"),
        }
    }
}

/// What a bounded run produced.
#[derive(Clone, Debug)]
pub struct ChildRun {
    /// How it ended.
    pub ending: Ending,
    /// Wall-clock time from spawn to exit (or kill).
    pub elapsed: Duration,
    /// The first [`MAX_CAPTURE`] bytes of stdout.
    pub stdout: Vec<u8>,
    /// The first [`MAX_CAPTURE`] bytes of stderr.
    pub stderr: Vec<u8>,
}

/// Runs `argv` with `stdin` fed to it, killing its whole process group after `limit`.
///
/// Fails only when the program cannot be started at all (not found, not executable): that is
/// a usage error of the probe, not a finding about the program.
pub fn run_bounded(argv: &[String], stdin: &[u8], limit: Duration) -> io::Result<ChildRun> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command given"))?;
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start {program:?}: {e}")))?;

    if let Some(mut pipe) = child.stdin.take() {
        let input = stdin.to_vec();
        // A client that never reads stdin must not block the probe: write from a thread and
        // ignore a broken pipe (the client is free not to read).
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let stdout = child.stdout.take().map(|p| capture(p, MAX_CAPTURE));
    let stderr = child.stderr.take().map(|p| capture(p, MAX_CAPTURE));

    let ending = loop {
        match child.try_wait()? {
            Some(status) => {
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Ending::Exited(code),
                    (None, Some(sig)) => Ending::Signal(sig),
                    (None, None) => Ending::Signal(0),
                };
            }
            None if started.elapsed() >= limit => {
                kill_group(child.id());
                let _ = child.kill();
                let _ = child.wait();
                break Ending::TimedOut;
            }
            None => thread::sleep(Duration::from_millis(10)),
        }
    };
    let elapsed = started.elapsed();
    // Whatever the child left running in its group (a daemonised helper holding the pipes)
    // goes too, so the capture threads below can finish.
    kill_group(child.id());
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(2)).ok())
            .unwrap_or_default()
    };
    Ok(ChildRun {
        ending,
        elapsed,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

/// Kills a child's whole process group (it was started as the leader of its own).
pub(crate) fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // The group may already be gone: nothing to do then.
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Reads a pipe to its end on a thread, keeping its first `max` bytes (the rest is drained,
/// so the child never blocks on a full pipe).
pub(crate) fn capture(mut pipe: impl Read + Send + 'static, max: usize) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = max.saturating_sub(kept.len());
                    kept.extend_from_slice(&chunk[..n.min(room)]);
                }
            }
        }
        let _ = tx.send(kept);
    });
    rx
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn captures_exit_status_and_output() {
        let run = run_bounded(
            &sh("cat; echo err >&2; exit 3"),
            b"in",
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(run.ending, Ending::Exited(3));
        assert_eq!(run.stdout, b"in");
        assert_eq!(run.stderr, b"err\n");
    }

    #[test]
    fn kills_a_hanging_child_and_its_children() {
        let run = run_bounded(&sh("sleep 30 & sleep 30"), b"", Duration::from_millis(300)).unwrap();
        assert_eq!(run.ending, Ending::TimedOut);
        assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    }

    #[test]
    fn missing_program_is_an_error() {
        let argv = vec!["/nonexistent/wary-probe-client".to_owned()];
        assert!(run_bounded(&argv, b"", Duration::from_secs(1)).is_err());
    }
}
