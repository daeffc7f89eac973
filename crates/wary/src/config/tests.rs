//! The config file: parsing, selection, the permission check and password sources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::os::unix::fs::PermissionsExt;

/// Writes `text` to a fresh file with `mode`; returns the folder (kept alive) and the path.
fn file(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, path)
}

fn pick(text: &str, mode: u32, name: Option<&str>) -> Result<Option<Account>, ConfigError> {
    let (_dir, path) = file(text, mode);
    select(Some(&path), name)
}

const TWO: &str = r#"
default = "work"

[account.work]
host = "smtp.work.example"
port = 587
tls = "starttls"
user = "me@work.example"
from = "me@work.example"
password_file = "work.pass"
ca_file = "~/ca.pem"
helo = "laptop.example"
timeout = 30
auth_mechanism = "PLAIN"
tls_server_name = "mx.work.example"

[account.home]
host = "::1"
tls = "implicit"
"#;

#[test]
fn parse_table() {
    let work = pick(TWO, 0o644, None).unwrap().unwrap();
    assert_eq!(work.name, "work");
    assert_eq!(work.host, "smtp.work.example");
    assert_eq!(work.port, Some(587));
    assert_eq!(work.tls, Some(Tls::Starttls));
    assert_eq!(work.user.as_deref(), Some("me@work.example"));
    assert_eq!(work.timeout, Some(30));
    assert_eq!(work.helo.as_deref(), Some("laptop.example"));
    assert_eq!(work.tls_server_name.as_deref(), Some("mx.work.example"));
    // A relative password_file is relative to the config's folder; ~/ is HOME.
    let pf = work.password_file.clone().unwrap();
    assert!(pf.is_absolute() && pf.ends_with("work.pass"), "{pf:?}");
    if let Some(home) = std::env::var_os("HOME") {
        assert_eq!(work.ca_file, Some(PathBuf::from(home).join("ca.pem")));
    }
    assert!(matches!(work.secret(), Some(Secret::File(_))));
    let home = pick(TWO, 0o644, Some("home")).unwrap().unwrap();
    assert_eq!((home.host.as_str(), home.tls), ("::1", Some(Tls::Implicit)));
    assert!(home.secret().is_none());
    // No default and no `default` account: no account; an account named default is used.
    assert!(pick("[account.x]\nhost = \"h\"\n", 0o644, None)
        .unwrap()
        .is_none());
    let d = pick("[account.default]\nhost = \"h\"\n", 0o644, None)
        .unwrap()
        .unwrap();
    assert_eq!(d.name, "default");
    // Both password_command forms.
    let cmd = pick(
        "[account.a]\nhost = \"h\"\npassword_command = [\"echo\", \"x\"]\n",
        0o600,
        Some("a"),
    )
    .unwrap()
    .unwrap();
    assert!(matches!(cmd.password_command, Some(PasswordCommand::Argv(ref v)) if v.len() == 2));
}

#[test]
fn errors_name_the_problem() {
    // (file, account, words the message must hold)
    let cases: &[(&str, Option<&str>, &[&str])] = &[
        // Unknown key: named, with its line (toml's span), so a typo never means "unset".
        (
            "[account.a]\nhost = \"h\"\n\npasword_file = \"p\"\n",
            Some("a"),
            &["pasword_file", "line 4"],
        ),
        (
            "defualt = \"a\"\n[account.a]\nhost = \"h\"\n",
            None,
            &["defualt", "line 1"],
        ),
        (
            "[account.a]\nhost = \"h\"\ntls = \"maybe\"\n",
            Some("a"),
            &["maybe", "line 3"],
        ),
        ("[account.a]\nport = 25\n", Some("a"), &["host"]),
        (
            "[account.a]\nhost = \"h\"\nport = 70000\n",
            Some("a"),
            &["line 3"],
        ),
        ("[account.a\nhost = \"h\"\n", Some("a"), &["line 1"]),
        (
            "[account.a]\nhost = \"h\"\n",
            Some("b"),
            &["no account \"b\"", "a"],
        ),
        (
            "default = \"z\"\n[account.a]\nhost = \"h\"\n",
            None,
            &["default = \"z\""],
        ),
        (
            "[account.a]\nhost = \"h\"\npassword = \"x\"\npassword_file = \"f\"\n",
            Some("a"),
            &["more than one"],
        ),
    ];
    for (text, name, words) in cases {
        let e = pick(text, 0o600, *name).unwrap_err().to_string();
        for w in *words {
            assert!(e.contains(w), "{text:?}: {e:?} lacks {w:?}");
        }
    }
}

#[test]
fn a_secret_needs_mode_600() {
    let secrets = [
        "[account.a]\nhost = \"h\"\npassword = \"s3cret\"\n",
        "[account.a]\nhost = \"h\"\npassword_command = \"echo s3cret\"\n",
    ];
    // Every mode with a group or other bit is refused; 0600 and 0400 pass.
    for text in secrets {
        for bits in [0o004, 0o040, 0o002, 0o020, 0o001, 0o010, 0o044, 0o066] {
            let mode = 0o600 | bits;
            match pick(text, mode, Some("a")) {
                Err(ConfigError::Permissions { problem, .. }) => {
                    assert!(problem.contains(&format!("{mode:04o}")), "{problem}")
                }
                other => panic!("mode {mode:o} accepted: {other:?}"),
            }
        }
        let e = pick(text, 0o644, Some("a")).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        assert!(pick(text, 0o600, Some("a")).unwrap().is_some());
        assert!(pick(text, 0o400, Some("a")).unwrap().is_some());
    }
    // No secret in the file (a password_file is a separate file): any mode is fine.
    assert!(pick(TWO, 0o666, Some("work")).unwrap().is_some());
}

#[test]
fn the_mode_checked_is_the_file_read() {
    // A symlink to a private file is fine (dotfile managers link configs); the check is on
    // the opened file, never on the link.
    let (dir, path) = file("[account.a]\nhost = \"h\"\npassword = \"p\"\n", 0o600);
    let link = dir.path().join("link.toml");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    assert!(select(Some(&link), Some("a")).unwrap().is_some());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(
        select(Some(&link), Some("a")),
        Err(ConfigError::Permissions { .. })
    ));
    // Not a regular file.
    assert!(select(Some(dir.path()), Some("a")).is_err());
}

#[test]
fn password_command() {
    let ok = |c: PasswordCommand| Secret::Command(c).resolve("account \"a\"");
    let sh = |s: &str| ok(PasswordCommand::Shell(s.into()));
    // One trailing newline (LF or CRLF) is removed; spaces are the password's.
    assert_eq!(sh("echo ' s3cret pass '").unwrap(), " s3cret pass ");
    assert_eq!(sh("printf 'x\\r\\n'").unwrap(), "x");
    assert_eq!(sh("printf x").unwrap(), "x");
    // A pipe works through the shell; the argv form runs without one.
    assert_eq!(sh("echo abc | tr a-c x-z").unwrap(), "xyz");
    assert_eq!(
        ok(PasswordCommand::Argv(vec!["echo".into(), "a|b".into()])).unwrap(),
        "a|b"
    );
    // stdin is /dev/null: the command never eats the message.
    assert_eq!(sh("cat; echo done").unwrap(), "done");
    // Failures are errors that name the command.
    for (cmd, words) in [
        ("exit 3", &["failed", "exit status: 3"][..]),
        ("true", &["printed nothing"][..]),
        ("echo", &["printed nothing"][..]),
        ("printf 'a\\nb\\n'", &["more than one line"][..]),
    ] {
        let e = sh(cmd).unwrap_err();
        assert!(e.starts_with("account \"a\": password_command"), "{e}");
        for w in words {
            assert!(e.contains(w), "{cmd}: {e}");
        }
    }
    let e = ok(PasswordCommand::Argv(vec!["/nonexistent/pw".into()])).unwrap_err();
    assert!(e.contains("cannot run"), "{e}");
    assert!(ok(PasswordCommand::Argv(vec![])).is_err());
}

#[test]
fn password_file_and_literal() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pw");
    std::fs::write(&f, "first line\nsecond\n").unwrap();
    assert_eq!(Secret::File(f.clone()).resolve("x").unwrap(), "first line");
    std::fs::write(&f, "\n").unwrap();
    assert!(Secret::File(f).resolve("x").is_err());
    assert!(Secret::Literal(Password(String::new()))
        .resolve("x")
        .is_err());
    // Debug never shows a literal password (SendOpts, which holds it, derives Debug).
    let a = pick(
        "[account.a]\nhost = \"h\"\npassword = \"hunter2\"\n",
        0o600,
        Some("a"),
    )
    .unwrap()
    .unwrap();
    assert!(!format!("{a:?} {:?}", a.secret()).contains("hunter2"));
    assert_eq!(a.secret().unwrap().resolve("x").unwrap(), "hunter2");
}
