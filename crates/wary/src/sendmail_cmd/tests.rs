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

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn flag_order_does_not_matter() {
    // Each caller's flag groups, shuffled 200 times: the same meaning every time (getopt
    // permutes; a value stays with its flag).
    let callers: &[&[&[&str]]] = &[
        &[
            &["-oem"],
            &["-oi"],
            &["-B8BITMIME"],
            &["-f", "me@x"],
            &["-N", "never"],
            &["-R", "full"],
        ],
        &[
            &["-FCronDaemon"],
            &["-i"],
            &["-odi"],
            &["-oem"],
            &["-oi"],
            &["-t"],
        ],
        &[
            &["-i"],
            &["-v"],
            &["-m"],
            &["-r", "me@x"],
            &["-a", "work"],
            &["--config", "/c"],
        ],
    ];
    let mut g = Gen(0x2545_f491_4f6c_dd1d);
    for groups in callers {
        let flat = |order: &[usize]| -> Vec<&str> {
            let mut v: Vec<&str> = order
                .iter()
                .flat_map(|&i| groups[i].iter().copied())
                .collect();
            v.extend(["--", "a@x", "b@x"]);
            v
        };
        let base = p(&flat(&(0..groups.len()).collect::<Vec<_>>())).unwrap();
        for _ in 0..200 {
            let mut order: Vec<usize> = (0..groups.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (g.next() % (i as u64 + 1)) as usize);
            }
            let got = p(&flat(&order)).unwrap();
            let mut a = strs(&got.send_flags);
            let mut b = strs(&base.send_flags);
            // --notify/--ret pairs may come in either order; compare them as pairs.
            let pairs = |v: &mut Vec<String>| {
                let mut ps: Vec<String> = v.chunks(2).map(|c| c.join(" ")).collect();
                ps.sort();
                *v = ps;
            };
            if a.len() % 2 == 0 && a.iter().step_by(2).all(|f| f.starts_with("--")) {
                pairs(&mut a);
                pairs(&mut b);
            }
            assert_eq!(a, b, "{order:?}");
            assert_eq!(
                (
                    &got.recipients,
                    &got.sender,
                    &got.from_name,
                    got.ignore_dots,
                    &got.config,
                    &got.account
                ),
                (
                    &base.recipients,
                    &base.sender,
                    &base.from_name,
                    base.ignore_dots,
                    &base.config,
                    &base.account
                ),
                "{order:?}"
            );
        }
    }
}

#[test]
fn lone_dot_rule_on_generated_input() {
    // Invariant: the kept part is a prefix of the input that ends at a line boundary, holds
    // no lone-dot line, and is the whole input when the input has none.
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let pieces: &[&[u8]] = &[
        b".", b"..", b"a", b" ", b"\n", b"\r\n", b"\r", b".\n", b"x.",
    ];
    for _ in 0..5000 {
        let n = (g.next() % 12) as usize;
        let input: Vec<u8> = (0..n)
            .flat_map(|_| {
                pieces[(g.next() % pieces.len() as u64) as usize]
                    .iter()
                    .copied()
            })
            .collect();
        let kept = cut_at_dot(input.clone());
        assert!(input.starts_with(&kept), "{input:?}");
        assert!(
            kept.is_empty() || kept.ends_with(b"\n") || kept == input,
            "{input:?}"
        );
        let lone = |l: &[u8]| l == b".\n" || l == b".\r\n" || l == b".";
        assert!(
            !kept.split_inclusive(|&b| b == b'\n').any(lone),
            "{input:?} -> {kept:?}"
        );
        if !input.split_inclusive(|&b| b == b'\n').any(lone) {
            assert_eq!(kept, input);
        }
    }
}
