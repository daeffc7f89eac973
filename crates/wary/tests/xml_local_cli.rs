//! `wary xml check|canon --external-entities local` attacked as a user would meet it (issue
//! 10, classes 5-8): the built binary, its exit status, stdout and stderr.
//!
//! Every child is waited for with a deadline, so a test fails (rather than hangs) if wary
//! blocks on a FIFO or amplifies for hours.
#![cfg(unix)]
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "CANARY-91c4-outside-the-root";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `wary ARGS…`, killing it (and failing the test) after `limit`.
fn wary(args: &[&str], limit: Duration) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wary"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("the wary binary runs");
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wary {args:?} still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status
            .code()
            .expect("wary exits with a status, not a signal"),
        stdout: std::fs::read_to_string(out).unwrap(),
        stderr: std::fs::read_to_string(err).unwrap(),
        took: t.elapsed(),
    }
}

fn local<'a>(cmd: &'a str, doc: &'a Path) -> Vec<&'a str> {
    vec![
        "xml",
        cmd,
        "--external-entities",
        "local",
        doc.to_str().expect("test paths are UTF-8"),
    ]
}

/// A temporary folder with `root/` (where documents go) and a secret beside it.
fn tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
    (dir, root)
}

/// Class 5: `x.ent` flips between a regular file and a link to the secret while `canon`
/// and `check` run over and over: the secret never reaches stdout or stderr, and each run
/// either reads the inside file or is refused (exit 3).
#[test]
fn symlink_swap_race_never_prints_a_file_outside_the_root() {
    let (dir, root) = tree();
    let doc = root.join("doc.xml");
    // Each reference opens the file again: 200 chances to hit the swap per run.
    let refs = "&e;".repeat(200);
    std::fs::write(
        &doc,
        format!("<!DOCTYPE d [<!ENTITY e SYSTEM 'x.ent'>]><d>{refs}</d>"),
    )
    .unwrap();
    std::fs::write(root.join("x.ent"), "inside").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, root) = (stop.clone(), root.clone());
        let secret = dir.path().join("secret.txt");
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::fs::remove_file(root.join("x.tmp"));
                std::os::unix::fs::symlink(&secret, root.join("x.tmp")).unwrap();
                std::fs::rename(root.join("x.tmp"), root.join("x.ent")).unwrap();
                std::fs::write(root.join("x.tmp"), "inside").unwrap();
                std::fs::rename(root.join("x.tmp"), root.join("x.ent")).unwrap();
                // Mostly the regular file, the link only for an instant: a run then gets
                // far enough to meet the link between a check and an open, rather than
                // stopping at the first reference that sees it.
                std::thread::sleep(Duration::from_micros(100));
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(4);
    let (mut runs, mut read, mut refused) = (0u32, 0u32, 0u32);
    while Instant::now() < deadline && runs < 400 {
        let cmd = if runs % 2 == 0 { "canon" } else { "check" };
        runs += 1;
        let r = wary(&local(cmd, &doc), Duration::from_secs(20));
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "run {runs} ({cmd}) read outside the root: {} {}",
            r.stdout,
            r.stderr
        );
        match r.code {
            0 => {
                if cmd == "canon" {
                    assert_eq!(r.stdout, format!("<d>{}</d>", "inside".repeat(200)));
                }
                read += 1;
            }
            3 => refused += 1,
            c => panic!("run {runs} ({cmd}): exit {c}: {}", r.stderr),
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    eprintln!("{runs} runs: {read} read inside, {refused} refused");
    assert!(runs >= 20, "only {runs} runs");
}

/// Class 6: a FIFO in the root is refused at once (exit 3), never waited on.
#[test]
fn fifo_inside_the_root_exits_3_at_once() {
    let (_dir, root) = tree();
    let fifo = root.join("pipe.ent");
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success(), "mkfifo");
    let doc = root.join("doc.xml");
    for text in [
        "<!DOCTYPE d [<!ENTITY e SYSTEM 'pipe.ent'>]><d>&e;</d>",
        "<!DOCTYPE d SYSTEM 'pipe.ent'><d/>",
    ] {
        std::fs::write(&doc, text).unwrap();
        let r = wary(&local("check", &doc), Duration::from_secs(15));
        assert_eq!(r.code, 3, "{text}: {}", r.stderr);
        assert!(
            r.stderr.contains("FIFO") && r.stderr.contains("regular file"),
            "{}",
            r.stderr
        );
    }
}

/// Class 7: the document of the report (552 bytes: a nine-level fan-out whose last level
/// references a one-byte file) ran for hours; it must stop with exit 3, fast.
#[test]
fn fan_out_to_a_tiny_external_file_exits_3() {
    let (_dir, root) = tree();
    std::fs::write(root.join("t"), "x").unwrap();
    let mut dtd =
        String::from("<!ENTITY t SYSTEM 't'>\n<!ENTITY a0 '&t;&t;&t;&t;&t;&t;&t;&t;&t;&t;'>\n");
    for i in 1..9 {
        dtd.push_str(&format!(
            "<!ENTITY a{i} '{}'>\n",
            format!("&a{};", i - 1).repeat(10)
        ));
    }
    let text = format!("<!DOCTYPE d [\n{dtd}]>\n<d>&a8;</d>\n");
    let doc = root.join("fan.xml");
    std::fs::write(&doc, &text).unwrap();
    for cmd in ["check", "canon"] {
        let r = wary(&local(cmd, &doc), Duration::from_secs(30));
        assert_eq!(r.code, 3, "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("max_amplification"), "{}", r.stderr);
        eprintln!("{} bytes: {cmd} exit 3 in {:?}", text.len(), r.took);
    }
}

/// Class 8: a path outside the root gets the same exit code and message whether it exists
/// or not, and a link's target is never printed.
#[test]
fn outside_paths_give_one_answer_whether_or_not_they_exist() {
    let (dir, root) = tree();
    let doc = root.join("doc.xml");
    let answer = |system: &str| {
        std::fs::write(
            &doc,
            format!("<!DOCTYPE d [<!ENTITY e SYSTEM '{system}'>]><d>&e;</d>"),
        )
        .unwrap();
        let r = wary(&local("canon", &doc), Duration::from_secs(15));
        assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
        (r.code, r.stderr.replace(system, "SYSTEM"))
    };
    for (exists, missing) in [
        // Same lengths, so that the column of the error is the same too.
        ("../secret.txt", "../nosuch.txt"),
        (
            "../../../../../../../../../etc/passwd",
            "../../../../../../../../../etc/nosuch",
        ),
    ] {
        let a = answer(exists);
        assert_eq!(a.0, 3, "{}", a.1);
        assert_eq!(a, answer(missing), "{exists} vs {missing}");
    }
    let secret = dir.path().join("secret.txt");
    let missing = dir.path().join("no-such.txt");
    let mut seen = Vec::new();
    for target in [&secret, &missing] {
        let _ = std::fs::remove_file(root.join("link.ent"));
        std::os::unix::fs::symlink(target, root.join("link.ent")).unwrap();
        let a = answer("link.ent");
        assert_eq!(a.0, 3, "{}", a.1);
        assert!(
            !a.1.contains("secret.txt") && !a.1.contains("no-such.txt"),
            "the link's target is shown: {}",
            a.1
        );
        seen.push(a);
    }
    assert_eq!(seen[0], seen[1]);
}
