//! What the benchmark ran on and with: machine, load, date, toolchain and peer versions, so
//! that the numbers in docs/performance.md can be compared with a later run.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine and software a run used.
#[derive(Clone, Debug)]
pub struct Machine {
    /// When the run started, `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// The CPU model.
    pub cpu: String,
    /// Logical CPUs available (`nproc`).
    pub nproc: usize,
    /// Total memory in GiB.
    pub memory_gib: f64,
    /// The kernel release.
    pub kernel: String,
    /// The load average when the run started (other work on the machine skews wall times).
    pub load: String,
    /// `rustc --version`.
    pub rustc: String,
    /// The project's commit, with `-dirty` if the tree had changes.
    pub commit: String,
    /// Versions of the peers, `name version` each.
    pub peers: Vec<String>,
}

/// Collects the machine information now.
pub fn collect() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, v)| v.trim())
        })
        .unwrap_or("unknown")
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0.0);
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let load = read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let dirty = !first_line("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let commit = format!(
        "{}{}",
        first_line("git", &["rev-parse", "--short", "HEAD"]),
        if dirty { "-dirty" } else { "" }
    );
    Machine {
        date: utc_now(),
        cpu,
        nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
        memory_gib: memory_kib / (1 << 20) as f64,
        kernel: read("/proc/sys/kernel/osrelease"),
        load,
        rustc: first_line("rustc", &["--version"]),
        commit,
        peers: peer_versions(),
    }
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// Crate versions from Cargo.lock (the benchmark runs from the workspace root), program
/// versions from the programs themselves.
fn peer_versions() -> Vec<String> {
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut peers: Vec<String> = ["quick-xml", "xmlparser", "roxmltree", "xml"]
        .iter()
        .map(|name| {
            let version = locked_version(&lock, name).unwrap_or_else(|| "?".into());
            let shown = if *name == "xml" {
                "xml-rs (crate `xml`)"
            } else {
                name
            };
            format!("{shown} {version}")
        })
        .collect();
    peers.push(first_line("xmlwf", &["-v"]));
    peers.push(first_line("xmllint", &["--version"]));
    peers
}

fn locked_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = lock.find(&needle)? + needle.len();
    let rest = &lock[start..];
    Some(rest[..rest.find('"')?].to_string())
}

/// The current time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the epoch (civil-from-days, Howard Hinnant's algorithm).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_720_200), "2026-11-26 19:10 UTC");
    }

    #[test]
    fn versions_come_from_the_lock_file() {
        let lock = "[[package]]\nname = \"xml\"\nversion = \"1.4.0\"\n[[package]]\nname = \"xmlparser\"\nversion = \"0.13.6\"\n";
        assert_eq!(locked_version(lock, "xml").as_deref(), Some("1.4.0"));
        assert_eq!(locked_version(lock, "xmlparser").as_deref(), Some("0.13.6"));
        assert_eq!(locked_version(lock, "quick-xml"), None);
    }
}
