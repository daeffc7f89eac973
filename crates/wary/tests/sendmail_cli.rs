//! `wary sendmail` and the config file's accounts, end to end: the real binary (also through
//! a link named `sendmail`) against an accepting plain-text server on 127.0.0.1, checking
//! the envelope and the bytes received, and which account's values won.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::accepting_server;

/// Writes a config file (mode 0600) with account `test` on `port`, and `extra` appended.
fn config(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "default = \"test\"\n\n[account.test]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"account@x.test\"\ntimeout = 10\n{extra}"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// Runs `program args` with `stdin`, XDG_CONFIG_HOME set to `xdg`; returns (exit, stderr).
fn run(program: &Path, args: &[&str], stdin: &[u8], xdg: &Path) -> (i32, String) {
    let mut command = Command::new(program);
    command.args(args).env("XDG_CONFIG_HOME", xdg);
    let (code, stderr, _) = support::run(command, stdin);
    (code, stderr)
}

fn wary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wary"))
}

#[test]
fn a_link_named_sendmail_delivers_as_git_send_email_calls_it() {
    let dir = tempfile::tempdir().unwrap();
    let (port, server) = accepting_server();
    let cfg = config(dir.path(), port, "");
    let link = dir.path().join("sendmail");
    std::os::unix::fs::symlink(wary(), &link).unwrap();
    // -i: the lone dot is content; -f: the envelope sender, over the account's `from`.
    let msg = b"From: Me <me@x.test>\nTo: a@x.test\nSubject: [PATCH] x\n\nline\n.\nafter the dot\n";
    let cfg_s = cfg.to_str().unwrap();
    let (code, err) = run(
        &link,
        &[
            "-C",
            cfg_s,
            "-i",
            "-f",
            "envelope@x.test",
            "a@x.test",
            "b@x.test",
        ],
        msg,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got = server.join().unwrap();
    assert!(got.contains("MAIL FROM:<envelope@x.test>"), "{got}");
    assert!(
        got.contains("RCPT TO:<a@x.test>\r\nRCPT TO:<b@x.test>"),
        "{got}"
    );
    assert!(
        got.contains("Subject: [PATCH] x\r\n\r\nline\r\n..\r\nafter the dot\r\n.\r\n"),
        "the dot line is content, dot-stuffed: {got}"
    );
}

#[test]
fn cron_style_adds_from_with_the_name_and_stops_at_a_dot() {
    let dir = tempfile::tempdir().unwrap();
    let (port, server) = accepting_server();
    // The default config file, found through XDG_CONFIG_HOME, and its default account.
    std::fs::create_dir(dir.path().join("wary")).unwrap();
    config(&dir.path().join("wary"), port, "");
    let msg = b"To: root@x.test\nSubject: cron output\n\nhello\n.\nnot part of it\n";
    let (code, err) = run(
        &wary(),
        &["sendmail", "-FCron Daemon", "-B8BITMIME", "-oem", "-t"],
        msg,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got = server.join().unwrap();
    assert!(got.contains("MAIL FROM:<account@x.test>"), "{got}");
    assert!(got.contains("RCPT TO:<root@x.test>"), "{got}");
    // From, Date and Message-ID are added (the message has none of them), before its own
    // fields.
    let fields = header_fields(&got);
    assert_eq!(fields[0], "From: \"Cron Daemon\" <account@x.test>", "{got}");
    assert_is_date_field(fields[1]);
    assert_is_message_id_field(fields[2], "x.test");
    assert_eq!(
        fields[3..],
        ["To: root@x.test", "Subject: cron output"],
        "{got}"
    );
    assert!(got.contains("\r\nhello\r\n.\r\nQUIT"), "{got}");
    assert!(!got.contains("not part of it"), "{got}");
}

#[test]
fn a_from_header_is_kept_and_f_does_not_rename_it() {
    let dir = tempfile::tempdir().unwrap();
    let (port, server) = accepting_server();
    let cfg = config(dir.path(), port, "");
    let msg = b"From: Real <real@x.test>\nSubject: s\n\nbody\n";
    let (code, err) = run(
        &wary(),
        &[
            "sendmail",
            "--config",
            cfg.to_str().unwrap(),
            "-F",
            "Other",
            "-oi",
            "a@x.test",
        ],
        msg,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got = server.join().unwrap();
    // The account's `from` is the envelope sender; the header is the message's own.
    assert!(got.contains("MAIL FROM:<account@x.test>"), "{got}");
    let fields = header_fields(&got);
    assert_is_date_field(fields[0]);
    // The Message-ID's domain is the From field's, not the envelope sender's.
    assert_is_message_id_field(fields[1], "x.test");
    assert!(
        fields[1].ends_with("@x.test>") && !fields[1].contains("account"),
        "{got}"
    );
    assert_eq!(
        fields[2..],
        ["From: Real <real@x.test>", "Subject: s"],
        "{got}"
    );
    assert!(!got.contains("Other"), "{got}");
}

#[test]
fn date_and_message_id_are_added_only_when_missing_whatever_their_case() {
    // Every combination of present and missing, in the spellings a header section may use:
    // a field that is there is never added twice, and the message is then sent as it was.
    let date = [
        "Date: Mon, 30 Nov 2026 01:02:03 +0000",
        "DATE: Mon, 30 Nov 2026 01:02:03 +0000",
    ];
    let id = [
        "Message-ID: <a@b.test>",
        "message-id: <a@b.test>",
        "Message-Id:\n <a@b.test>",
    ];
    let mut cases: Vec<(Option<&str>, Option<&str>)> = vec![(None, None)];
    cases.extend(date.iter().map(|d| (Some(*d), None)));
    cases.extend(id.iter().map(|i| (None, Some(*i))));
    cases.extend(
        date.iter()
            .flat_map(|d| id.iter().map(move |i| (Some(*d), Some(*i)))),
    );
    for (d, i) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (port, server) = accepting_server();
        let cfg = config(dir.path(), port, "");
        let mut msg = String::from("From: <me@from.test>\n");
        for f in [d, i].into_iter().flatten() {
            msg.push_str(f);
            msg.push('\n');
        }
        msg.push_str("Subject: s\n\nbody\n");
        let (code, err) = run(
            &wary(),
            &[
                "sendmail",
                "--config",
                cfg.to_str().unwrap(),
                "-i",
                "a@x.test",
            ],
            msg.as_bytes(),
            dir.path(),
        );
        assert_eq!(code, 0, "{d:?} {i:?}: {err}");
        let got = server.join().unwrap();
        let fields = header_fields(&got);
        let count = |name: &str| {
            fields
                .iter()
                .filter(|f| f.split(':').next().unwrap().eq_ignore_ascii_case(name))
                .count()
        };
        assert_eq!(count("Date"), 1, "{d:?} {i:?}: {got}");
        assert_eq!(count("Message-ID"), 1, "{d:?} {i:?}: {got}");
        let sent_as_is = msg.replace('\n', "\r\n");
        if d.is_some() && i.is_some() {
            assert!(got.contains(&format!("DATA\r\n{sent_as_is}.\r\n")), "{got}");
        } else {
            assert!(
                got.contains(&sent_as_is),
                "the message's own fields follow: {got}"
            );
        }
        if d.is_none() {
            assert_is_date_field(fields[0]);
        }
        if i.is_none() {
            assert_is_message_id_field(fields[usize::from(d.is_none())], "from.test");
        }
    }
}

/// The header fields of the one message in a server transcript (unfolded: a continuation
/// line is kept as its own entry, which no added field has).
fn header_fields(transcript: &str) -> Vec<&str> {
    let start = transcript.find("DATA\r\n").expect("a DATA command") + "DATA\r\n".len();
    let end = start
        + transcript[start..]
            .find("\r\n\r\n")
            .expect("a header section");
    transcript[start..end].split("\r\n").collect()
}

/// `Date: Mon, 30 Nov 2026 03:50:00 +0000` (RFC 5322 §3.3), with this year or the next.
fn assert_is_date_field(field: &str) {
    let value = field
        .strip_prefix("Date: ")
        .unwrap_or_else(|| panic!("not Date: {field:?}"));
    let parts: Vec<&str> = value.split(' ').collect();
    let days = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ok = parts.len() == 6
        && days.contains(&parts[0])
        && digits(parts[1], 1..=2)
        && months.contains(&parts[2])
        && digits(parts[3], 4..=4)
        && parts[3] >= "2026"
        && parts[4].split(':').all(|t| digits(t, 2..=2))
        && parts[4].split(':').count() == 3
        && matches!(parts[5].as_bytes().first(), Some(b'+' | b'-'))
        && digits(&parts[5][1..], 4..=4);
    assert!(ok, "not an RFC 5322 date: {field:?}");
}

/// `Message-ID: <LOCAL@DOMAIN>` with a non-empty local part (RFC 5322 §3.6.4).
fn assert_is_message_id_field(field: &str, domain: &str) {
    let id = field
        .strip_prefix("Message-ID: <")
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or_else(|| panic!("not Message-ID: <...>: {field:?}"));
    let (local, right) = id
        .split_once('@')
        .unwrap_or_else(|| panic!("no @: {field:?}"));
    assert!(
        !local.is_empty() && !local.contains(['<', '>', ' ']),
        "{field:?}"
    );
    assert_eq!(right, domain, "{field:?}");
}

#[test]
fn flags_override_the_account_and_server_bypasses_the_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("wary")).unwrap();
    // The default account points at a port nobody listens on (the bound listener is dropped).
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config(&dir.path().join("wary"), dead, "");
    let (port, server) = accepting_server();
    let msg = b"From: m@x.test\n\nbody\n";
    // --server without -a: no account at all (its from would be account@x.test).
    let server_arg = format!("127.0.0.1:{port}");
    let (code, err) = run(
        &wary(),
        &["send", "--server", &server_arg, "--tls", "none", "a@x.test"],
        msg,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got = server.join().unwrap();
    assert!(got.contains("MAIL FROM:<m@x.test>"), "{got}");
    // -a with --server and --from: the flags win over the account's host, port and from.
    let (port, server) = accepting_server();
    let server_arg = format!("127.0.0.1:{port}");
    let (code, err) = run(
        &wary(),
        &[
            "send",
            "-a",
            "test",
            "--server",
            &server_arg,
            "--from",
            "flag@x.test",
            "a@x.test",
        ],
        msg,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    let got = server.join().unwrap();
    assert!(got.contains("MAIL FROM:<flag@x.test>"), "{got}");
    // The account's tls = "none" applied (no STARTTLS was tried, the warning was printed).
    assert!(!got.contains("STARTTLS"), "{got}");
    assert!(err.contains("warning: --tls none"), "{err}");
}

#[test]
fn password_file_flag_replaces_the_accounts_password_command() {
    let dir = tempfile::tempdir().unwrap();
    let (port, server) = accepting_server();
    // The account's password_command fails; STARTTLS is required, and this server offers
    // no STARTTLS, so a run that got past the password ends with 76, never 78.
    let cfg = config(
        dir.path(),
        port,
        "user = \"u\"\npassword_command = [\"false\"]\n",
    );
    let cfg_s = cfg.to_str().unwrap();
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("tls = \"none\"", "tls = \"starttls\""),
    )
    .unwrap();
    let (code, err) = run(
        &wary(),
        &["send", "--config", cfg_s, "a@x.test"],
        b"From: m@x.test\n\nb\n",
        dir.path(),
    );
    assert_eq!(code, 78, "{err}");
    assert!(
        err.contains("account \"test\": password_command `false` failed"),
        "{err}"
    );
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret\n").unwrap();
    let (code, err) = run(
        &wary(),
        &[
            "send",
            "--config",
            cfg_s,
            "--password-file",
            pw.to_str().unwrap(),
            "a@x.test",
        ],
        b"From: m@x.test\n\nb\n",
        dir.path(),
    );
    assert_eq!(code, 76, "{err}");
    assert!(err.contains("STARTTLS"), "{err}");
    drop(server);
}

#[test]
fn config_errors_are_ex_config_and_sendmail_usage_errors_are_64() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), 9, "password = \"s3cret\"\n");
    let cfg_s = cfg.to_str().unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, err) = run(
        &wary(),
        &["send", "--config", cfg_s, "a@x.test"],
        b"",
        dir.path(),
    );
    assert_eq!(code, 78, "{err}");
    assert!(err.contains(&format!("chmod 600 {cfg_s}")), "{err}");
    let (code, err) = run(
        &wary(),
        &["sendmail", "-C", cfg_s, "a@x.test"],
        b"x",
        dir.path(),
    );
    assert_eq!(code, 78, "{err}");
    std::fs::write(&cfg, "[account.test]\nhost = \"h\"\nprot = 25\n").unwrap();
    let (code, err) = run(
        &wary(),
        &["send", "--config", cfg_s, "-a", "test", "a@x"],
        b"",
        dir.path(),
    );
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("prot") && err.contains("line 3"), "{err}");
    std::fs::write(&cfg, "[account.test]\nhost = \"h\"\n").unwrap();
    let (code, err) = run(
        &wary(),
        &["send", "--config", cfg_s, "-a", "nope", "a@x"],
        b"",
        dir.path(),
    );
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("no account \"nope\""), "{err}");
    // No server and no account.
    let (code, err) = run(&wary(), &["send", "a@x.test"], b"", dir.path());
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("no server"), "{err}");
    for args in [
        &["sendmail", "-bs"][..],
        &["sendmail", "-q"],
        &["sendmail", "-odq", "a@x"],
    ] {
        let (code, err) = run(&wary(), args, b"", dir.path());
        assert_eq!(code, 64, "{args:?}: {err}");
        assert!(err.starts_with("wary sendmail: "), "{err}");
    }
    let (code, _) = run(&wary(), &["sendmail", "--help"], b"", dir.path());
    assert_eq!(code, 0);
}

#[test]
fn send_help_shows_a_config_example() {
    let out = Command::new(wary())
        .args(["send", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for want in [
        "[account.",
        "password_command",
        "default =",
        "chmod 600",
        "config.toml",
    ] {
        assert!(help.contains(want), "{want} missing from wary send --help");
    }
}
