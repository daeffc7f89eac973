//! Measuring one process: wall time, CPU time and peak resident memory.
//!
//! `wary-bench measure -- PROGRAM ARGS…` runs the program as its only child, waits for it and
//! prints one `measured …` line. Peak memory is `getrusage(RUSAGE_CHILDREN).ru_maxrss`, which
//! covers only children already waited for — hence a fresh, small measuring process per run,
//! rather than the benchmark itself, whose own children would all share one maximum.
//!
//! On Linux a child's `ru_maxrss` also counts the memory it had just before `exec` (the kernel
//! keeps the larger of the old and new address spaces' peaks). With `posix_spawn`, std's
//! default, that old address space is the measuring process's own; with `fork` it is a copy
//! holding only the anonymous pages. So the measuring process forks, and the report states
//! the remaining floor, measured by running `/bin/true` the same way.

use anyhow::{bail, Context, Result};
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{getuid, Pid};
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One measured run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size in KiB.
    pub maxrss_kib: u64,
}

/// What a measured run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    /// The measurement.
    pub sample: Sample,
    /// The exit code, or `None` when a signal ended it.
    pub code: Option<i32>,
    /// A description of how it ended (`exit 0`, `signal 9 (timed out after 600 s)`).
    pub status: String,
    /// The program's standard output.
    pub stdout: String,
    /// The program's standard error.
    pub stderr: String,
}

/// The `measure` subcommand: runs `program` once, then prints the `measured` line.
/// The program's own output goes to the inherited standard output and error.
pub fn measure_main(program: &[OsString], timeout: Duration) -> Result<()> {
    let Some((first, rest)) = program.split_first() else {
        bail!("measure: no program given");
    };
    let start = Instant::now();
    let mut child = Command::new(first)
        .args(rest)
        .stdin(Stdio::null())
        // Setting the (unchanged) user id makes std fork and exec rather than posix_spawn,
        // which shares this process's memory with the child until exec and so would hand it
        // this process's whole peak (see the module docs).
        .uid(getuid().as_raw())
        .spawn()
        .with_context(|| format!("cannot run {}", first.to_string_lossy()))?;
    let pid = Pid::from_raw(child.id() as i32);
    let (cancel, cancelled) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if cancelled.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
            // NOTE: the child is not reaped before `cancel` is sent or dropped, so its pid
            // cannot have been reused yet.
            let _ = kill(pid, Signal::SIGKILL);
            return true;
        }
        false
    });
    let status = child.wait().context("cannot wait for the child")?;
    let wall = start.elapsed();
    drop(cancel);
    let timed_out = watchdog.join().unwrap_or(false);
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    let micros = |t: nix::sys::time::TimeVal| t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64;
    let cpu_us = micros(usage.user_time()) + micros(usage.system_time());
    let code = status
        .code()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "-".into());
    let signal = status
        .signal()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    println!(
        "measured wall_ns={} cpu_us={cpu_us} maxrss_kib={} code={code} signal={signal} timed_out={timed_out}",
        wall.as_nanos(),
        usage.max_rss(),
    );
    Ok(())
}

/// Runs `program` under `self_exe measure` and collects the outcome.
pub fn run_measured(self_exe: &Path, program: &[OsString], timeout: Duration) -> Result<Outcome> {
    let out = Command::new(self_exe)
        .arg("measure")
        .arg("--timeout-secs")
        .arg(timeout.as_secs().to_string())
        .arg("--")
        .args(program)
        .stdin(Stdio::null())
        .output()
        .context("cannot run the measuring process")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (body, last) = match stdout.trim_end_matches('\n').rsplit_once('\n') {
        Some((body, last)) => (body.to_string(), last),
        None => (String::new(), stdout.trim_end_matches('\n')),
    };
    let Some(fields) = last.strip_prefix("measured ") else {
        bail!(
            "the measuring process failed ({}): {}",
            out.status,
            stderr.lines().last().unwrap_or("")
        );
    };
    parse_measured(fields, body, stderr)
}

fn parse_measured(fields: &str, stdout: String, stderr: String) -> Result<Outcome> {
    let field = |key: &str| -> Result<&str> {
        fields
            .split(' ')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .with_context(|| format!("no {key} in `{fields}`"))
    };
    let num = |key: &str| -> Result<u64> {
        field(key)?
            .parse()
            .with_context(|| format!("bad {key} in `{fields}`"))
    };
    let code = field("code")?.parse().ok();
    let status = match (code, field("signal")?, field("timed_out")? == "true") {
        (_, _, true) => "killed: timed out".to_string(),
        (Some(c), _, _) => format!("exit {c}"),
        (None, s, _) => format!("killed by signal {s}"),
    };
    Ok(Outcome {
        sample: Sample {
            wall: Duration::from_nanos(num("wall_ns")?),
            cpu: Duration::from_micros(num("cpu_us")?),
            maxrss_kib: num("maxrss_kib")?,
        },
        code,
        status,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measured_line_is_parsed() {
        let o = parse_measured(
            "wall_ns=1500000000 cpu_us=1200000 maxrss_kib=2048 code=0 signal=- timed_out=false",
            "elements 3".into(),
            String::new(),
        )
        .unwrap();
        assert_eq!(o.sample.wall, Duration::from_millis(1500));
        assert_eq!(o.sample.cpu, Duration::from_millis(1200));
        assert_eq!(o.sample.maxrss_kib, 2048);
        assert_eq!((o.code, o.status.as_str()), (Some(0), "exit 0"));
    }

    #[test]
    fn a_signal_and_a_timeout_are_reported() {
        let line = "wall_ns=1 cpu_us=1 maxrss_kib=1 code=- signal=9 timed_out=";
        let o = parse_measured(&format!("{line}false"), String::new(), String::new()).unwrap();
        assert_eq!((o.code, o.status.as_str()), (None, "killed by signal 9"));
        let o = parse_measured(&format!("{line}true"), String::new(), String::new()).unwrap();
        assert_eq!(o.status, "killed: timed out");
    }

    #[test]
    fn a_broken_line_is_an_error() {
        assert!(parse_measured("wall_ns=x", String::new(), String::new()).is_err());
    }
}
