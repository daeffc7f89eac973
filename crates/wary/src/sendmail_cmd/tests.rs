//! sendmail's command line as its callers write it, and the lone-dot rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn p(args: &[&str]) -> Result<Parsed, String> {
    parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
}

fn strs(v: &[OsString]) -> Vec<String> {
    v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
}

#[test]
fn what_callers_pass() {
    // git send-email
    let g = p(&["-i", "-f", "me@x.test", "a@x.test", "b@x.test"]).unwrap();
    assert!(g.ignore_dots);
    assert_eq!(g.sender.as_deref(), Some("me@x.test"));
    assert_eq!(strs(&g.recipients), ["a@x.test", "b@x.test"]);
    assert!(g.send_flags.is_empty());
    // mutt / neomutt
    let m = p(&[
        "-oem",
        "-oi",
        "-B8BITMIME",
        "-fme@x.test",
        "-N",
        "failure,delay",
        "-R",
        "hdrs",
        "--",
        "-odd@x.test",
    ])
    .unwrap();
    assert!(m.ignore_dots);
    assert_eq!(m.sender.as_deref(), Some("me@x.test"));
    assert_eq!(
        strs(&m.send_flags),
        ["--notify", "failure,delay", "--ret", "hdrs"]
    );
    assert_eq!(
        strs(&m.recipients),
        ["-odd@x.test"],
        "after --, a dash is an address"
    );
    // Debian cron, cronie
    let c = p(&["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"]).unwrap();
    assert_eq!(c.from_name.as_deref(), Some("CronDaemon"));
    assert_eq!(strs(&c.recipients), ["root"]);
    let c = p(&["-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t"]).unwrap();
    assert_eq!(strs(&c.send_flags), ["-t"]);
    // mail(1): grouped flags, -r
    let x = p(&["-iv", "-m", "-r", "me@x.test", "--", "a@x.test"]).unwrap();
    assert!(x.ignore_dots);
    assert_eq!(strs(&x.send_flags), ["--verbose"]);
    assert_eq!(x.sender.as_deref(), Some("me@x.test"));
    // ours
    let o = p(&["-a", "work", "--config=/tmp/c.toml", "-ti", "x@y"]).unwrap();
    assert_eq!(o.account.as_deref(), Some("work"));
    assert_eq!(o.config, Some("/tmp/c.toml".into()));
    assert_eq!(strs(&o.send_flags), ["-t"]);
    let o = p(&[
        "-C",
        "/c",
        "--account",
        "home",
        "-V",
        "id1",
        "-bm",
        "-F",
        "Zoë Q",
    ])
    .unwrap();
    assert_eq!(o.config, Some("/c".into()));
    assert_eq!(o.account.as_deref(), Some("home"));
    assert_eq!(o.from_name.as_deref(), Some("Zoë Q"));
    assert_eq!(strs(&o.send_flags), ["--envid", "id1"]);
    // Without -i/-oi, dots end the message.
    assert!(!p(&["a@x.test"]).unwrap().ignore_dots);
    for ignored in [
        "-odb", "-odf", "-om", "-oo", "-U", "-G", "-n", "-Ltag", "-h", "-oep",
    ] {
        let args: Vec<&str> = if ignored == "-h" {
            vec![ignored, "17", "a@x"]
        } else {
            vec![ignored, "a@x"]
        };
        let r = p(&args).unwrap();
        assert_eq!(strs(&r.recipients), ["a@x"], "{ignored}");
        assert!(r.send_flags.is_empty(), "{ignored}");
    }
}

#[test]
fn the_rest_is_refused_clearly() {
    for (args, words) in [
        (&["-bs"][..], "-bs: only -bm"),
        (&["-bp"][..], "only -bm"),
        (&["-q"][..], "-q: not supported"),
        (&["-odq", "a@x"][..], "cannot queue"),
        (&["-O", "x=y"][..], "-O: not supported"),
        (&["-oQ/tmp"][..], "-oQ/tmp: not supported"),
        (&["-oex"][..], "unknown error mode"),
        (&["-X", "/tmp/log"][..], "-X: not supported"),
        (&["-f"][..], "-f needs a value"),
        (&["-F"][..], "-F needs a value"),
        (&["--frobnicate"][..], "unknown option --frobnicate"),
        (&["-ti", "-Z"][..], "-Z"),
    ] {
        let e = p(args).unwrap_err();
        assert!(e.contains(words), "{args:?}: {e}");
    }
}

#[test]
fn a_lone_dot_ends_the_message_without_i() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"a\n.\nb\n", b"a\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n"),
        (b"a\n.", b"a\n"),
        (b".\n", b""),
        (b"a\n..\n.b\n. \n", b"a\n..\n.b\n. \n"),
        (b"no dot", b"no dot"),
        (b"", b""),
    ];
    for (input, want) in cases {
        assert_eq!(
            cut_at_dot(input.to_vec()),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}
