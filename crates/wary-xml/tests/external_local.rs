//! `ExternalEntities::Local` attacked (issue 10, classes 5-8): every test here tries to break
//! one promise of local mode, with generated cases rather than one example each.
//!
//! - Nothing outside the entity root is ever read, even while the file system changes under
//!   the reader (a symbolic link swapped in between a check and an open).
//! - A FIFO (or anything else that is not a regular file) is refused and never blocks.
//! - Reading a file again is expansion: a fan-out of references to one small file trips the
//!   amplification guard, whatever the file's size and however it is named.
//! - A path outside the root gets the same refusal whether or not it exists, and a refusal
//!   never says where a symbolic link points.
//!
//! Nothing here is timed against a fixed budget except as a watchdog: a parse that has not
//! finished after many seconds is stuck (blocked on a FIFO, or amplifying for hours).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use wary_xml::{Error, ErrorKind, Event, ExternalEntities, Options, Reader};

const SECRET: &str = "CANARY-5e1b-outside-the-root";

/// A temporary folder with `root/` (the entity root, holding the documents) and, beside it,
/// files that must never be read.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
        std::fs::write(dir.path().join("outside/secret.txt"), SECRET).unwrap();
        std::fs::write(dir.path().join("root/inside.ent"), "inside").unwrap();
        Tree { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.root().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

fn local(doc: &Path) -> Options {
    Options::new()
        .with_external_entities(ExternalEntities::local())
        .with_document_path(doc)
}

/// Parses a file; the text it holds (skipped entities marked), or the error.
fn parse_file(path: &Path, options: Options) -> Result<String, Error> {
    let mut reader = Reader::from_path(path, options)?;
    let mut out = String::new();
    while let Some(ev) = reader.next_event()? {
        match ev {
            Event::Text(t) => out.push_str(t),
            Event::SkippedEntity(n) => out.push_str(&format!("[skipped {n}]")),
            _ => {}
        }
    }
    Ok(out)
}

/// Runs `f` on another thread and fails the test if it has not returned after `limit`
/// (it is then left behind: the test process ends with the test).
fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!("{what}: still running after {limit:?}"),
    }
}

// ----- class 5: check-then-open races -----

/// A thread swaps `x.ent` between a regular file inside the root and a symbolic link to a
/// file outside it (and `d/` between a folder and a link to an outside folder) as fast as it
/// can, while the document that references both is parsed again and again. The secret must
/// never appear; the parse may read the inside file or be refused, nothing else.
#[test]
fn symlink_swap_race_never_reads_outside_the_root() {
    let tree = Tree::new();
    let root = tree.root();
    std::fs::create_dir_all(root.join("real-d")).unwrap();
    std::fs::write(root.join("real-d/x.ent"), "inside").unwrap();
    std::fs::write(tree.path().join("outside/x.ent"), SECRET).unwrap();
    // One document swaps a file for a link, the other a link to a folder inside the root
    // for a link to one outside (a folder cannot be renamed over a link).
    let docs = [
        tree.write(
            "file.xml",
            "<!DOCTYPE d [<!ENTITY e SYSTEM 'x.ent'>]><d>&e;</d>",
        ),
        tree.write(
            "dir.xml",
            "<!DOCTYPE d [<!ENTITY e SYSTEM 'd/x.ent'>]><d>&e;</d>",
        ),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        let root = root.clone();
        let outside = tree.path().join("outside");
        let secret = tree.path().join("secret.txt");
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // rename() replaces the name atomically: at any instant `x.ent` is either
                // the regular file or the link, never missing.
                let _ = std::fs::remove_file(root.join("x.tmp"));
                std::os::unix::fs::symlink(&secret, root.join("x.tmp")).unwrap();
                std::fs::rename(root.join("x.tmp"), root.join("x.ent")).unwrap();
                let _ = std::fs::remove_file(root.join("d.tmp"));
                std::os::unix::fs::symlink(&outside, root.join("d.tmp")).unwrap();
                std::fs::rename(root.join("d.tmp"), root.join("d")).unwrap();
                std::fs::write(root.join("x.tmp"), "inside").unwrap();
                std::fs::rename(root.join("x.tmp"), root.join("x.ent")).unwrap();
                let _ = std::fs::remove_file(root.join("d.tmp"));
                std::os::unix::fs::symlink("real-d", root.join("d.tmp")).unwrap();
                std::fs::rename(root.join("d.tmp"), root.join("d")).unwrap();
                swaps += 1;
            }
            swaps
        })
    };
    let (mut read, mut refused) = (0u32, 0u32);
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut runs = 0u32;
    while Instant::now() < deadline && runs < 20_000 {
        runs += 1;
        let doc = &docs[runs as usize % 2];
        match parse_file(doc, local(doc)) {
            Ok(text) => {
                assert!(
                    !text.contains(SECRET),
                    "run {runs} read outside the root: {text}"
                );
                assert_eq!(text, "inside", "run {runs}");
                read += 1;
            }
            Err(e) => {
                assert!(!e.to_string().contains(SECRET), "{e}");
                // A link on the path is refused; a name caught between two renames is a
                // plain read error inside the root.
                assert!(
                    matches!(e.kind(), ErrorKind::ExternalEntityRefused | ErrorKind::Io),
                    "run {runs}: {e}"
                );
                refused += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("{runs} runs ({read} read inside, {refused} refused), {swaps} swaps");
    assert!(
        swaps > 0 && runs > 50,
        "the race did not run: {runs} runs, {swaps} swaps"
    );
    assert!(
        refused > 0,
        "the links were never seen: the test does not race"
    );
}

/// Links are refused wherever they point, even inside the root: following one is what the
/// race above exploits.
#[test]
fn symbolic_links_on_the_path_are_refused_wherever_they_point() {
    let tree = Tree::new();
    let root = tree.root();
    std::fs::write(root.join("sub/in.ent"), "in").unwrap();
    let links: [(&str, PathBuf); 4] = [
        ("to-inside.ent", root.join("inside.ent")),
        ("to-outside.ent", tree.path().join("secret.txt")),
        ("dir-inside", root.join("sub")),
        ("dir-outside", tree.path().join("outside")),
    ];
    for (name, target) in &links {
        std::os::unix::fs::symlink(target, root.join(name)).unwrap();
    }
    for system in [
        "to-inside.ent",
        "to-outside.ent",
        "dir-inside/in.ent",
        "dir-outside/secret.txt",
        "./sub/../to-outside.ent",
    ] {
        let doc = tree.write(
            "doc.xml",
            &format!("<!DOCTYPE d [<!ENTITY e SYSTEM '{system}'>]><d>&e;</d>"),
        );
        let e = parse_file(&doc, local(&doc)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ExternalEntityRefused, "{system}: {e}");
        assert!(e.to_string().contains("symbolic link"), "{system}: {e}");
        for (_, target) in &links {
            assert!(!e.to_string().contains(&*target.to_string_lossy()), "{e}");
        }
    }
}

// ----- class 6: things that are not regular files -----

#[test]
fn fifo_inside_the_root_is_refused_without_blocking() {
    let tree = Tree::new();
    let fifo = tree.root().join("pipe.ent");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let docs = [
        "<!DOCTYPE d [<!ENTITY e SYSTEM 'pipe.ent'>]><d>&e;</d>",
        "<!DOCTYPE d SYSTEM 'pipe.ent'><d/>",
        "<!DOCTYPE d [<!ENTITY % p SYSTEM 'pipe.ent'>%p;]><d/>",
        "<!DOCTYPE d [<!ENTITY e SYSTEM 'sub'>]><d>&e;</d>",
        "<!DOCTYPE d [<!ENTITY e SYSTEM '.'>]><d>&e;</d>",
        "<!DOCTYPE d [<!ENTITY e SYSTEM '/dev/zero'>]><d>&e;</d>",
    ];
    for text in docs {
        let doc = tree.write("doc.xml", text);
        let d = doc.clone();
        let got = {
            let r = std::thread::spawn(move || {
                parse_file(&d, local(&d)).map_err(|e| (e.kind(), e.to_string()))
            });
            let deadline = Instant::now() + Duration::from_secs(10);
            while !r.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if !r.is_finished() {
                // Unblock the reader stuck in open() so the test process can finish.
                let _w = std::fs::OpenOptions::new().write(true).open(&fifo);
                panic!("{text}: parsing blocked on the FIFO for 10 s");
            }
            r.join().unwrap()
        };
        let (kind, msg) = got.unwrap_err();
        assert_eq!(kind, ErrorKind::ExternalEntityRefused, "{text}: {msg}");
        assert!(
            msg.contains("regular file") || msg.contains("absolute") || msg.contains("root"),
            "{text}: {msg}"
        );
    }
}

// ----- class 7: re-reading a file is expansion -----

/// The laughs pattern with a file at the bottom: `levels` internal entities, each `fan`
/// references to the one below, the lowest referring to `bottom` (one or more names of the
/// same external file).
fn fan_out(levels: usize, fan: usize, bottom: &[&str]) -> String {
    let mut dtd = String::new();
    for (i, sys) in bottom.iter().enumerate() {
        dtd.push_str(&format!("<!ENTITY x{i} SYSTEM '{sys}'>"));
    }
    let refs: String = (0..fan)
        .map(|i| format!("&x{};", i % bottom.len()))
        .collect();
    dtd.push_str(&format!("<!ENTITY a0 '{refs}'>"));
    for i in 1..levels {
        dtd.push_str(&format!(
            "<!ENTITY a{i} '{}'>",
            format!("&a{};", i - 1).repeat(fan)
        ));
    }
    format!("<!DOCTYPE d [{dtd}]><d>&a{};</d>", levels - 1)
}

/// Every size of file (empty included), every way of naming it again (the same entity,
/// other entities, `./` and `sub/..` spellings, a hard link), in content and through
/// parameter entities in the DTD: the fan-out must end in the amplification limit, fast.
#[test]
fn fan_out_to_a_small_external_file_trips_the_amplification_guard() {
    let tree = Tree::new();
    let mut cases: Vec<(String, String)> = Vec::new();
    for size in [0usize, 1, 7, 300, 5000] {
        let file = format!("f{size}.ent");
        tree.write(&file, &"y".repeat(size));
        std::fs::hard_link(
            tree.root().join(&file),
            tree.root().join(format!("h{size}.ent")),
        )
        .unwrap();
        let names: [Vec<String>; 3] = [
            vec![file.clone()],
            vec![file.clone(), format!("./{file}"), format!("sub/../{file}")],
            vec![file.clone(), format!("h{size}.ent")],
        ];
        for bottom in &names {
            let b: Vec<&str> = bottom.iter().map(String::as_str).collect();
            cases.push((format!("{size} bytes via {bottom:?}"), fan_out(9, 10, &b)));
        }
    }
    // The same in the DTD: a parameter entity that is a file, fanned out between
    // declarations (a comment file is a valid DeclSep).
    tree.write("p.ent", "<!-- p -->");
    let mut dtd = String::from("<!ENTITY % p SYSTEM 'p.ent'><!ENTITY % a0 '");
    dtd.push_str(&"&#37;p;".repeat(10));
    dtd.push_str("'>");
    for i in 1..9 {
        dtd.push_str(&format!(
            "<!ENTITY % a{i} '{}'>",
            format!("&#37;a{};", i - 1).repeat(10)
        ));
    }
    cases.push((
        "parameter entity".into(),
        format!("<!DOCTYPE d [{dtd}%a8;]><d/>"),
    ));
    for (what, text) in cases {
        let doc = tree.write("doc.xml", &text);
        let t = Instant::now();
        let r = within(Duration::from_secs(20), &what, move || {
            parse_file(&doc, local(&doc)).map_err(|e| (e.kind(), e.rule(), e.to_string()))
        });
        let (kind, rule, msg) = r.expect_err(&what);
        assert_eq!(kind, ErrorKind::Limit, "{what}: {msg}");
        assert_eq!(rule, "Limits::max_amplification", "{what}: {msg}");
        eprintln!("{what}: {} bytes, stopped in {:?}", text.len(), t.elapsed());
    }
}

/// What the guard must not stop: a file read once however big (it is input, like the
/// document), and a small file repeated a thousand times.
#[test]
fn external_files_read_once_or_repeated_moderately_are_accepted() {
    let tree = Tree::new();
    let big = "z".repeat(20 << 20);
    tree.write("big.ent", &big);
    tree.write("small.ent", "(c) Example");
    let doc = tree.write(
        "doc.xml",
        &format!(
            "<!DOCTYPE d [<!ENTITY big SYSTEM 'big.ent'><!ENTITY c SYSTEM 'small.ent'>]>\
             <d>&big;{}</d>",
            "&c;".repeat(1000)
        ),
    );
    let text = parse_file(&doc, local(&doc)).unwrap();
    assert_eq!(text.len(), big.len() + 1000 * "(c) Example".len());
}

// ----- class 8: no oracle -----

/// Paths outside the root, in pairs that differ only in whether the target exists: the
/// error kind and message must be the same, and never show a link's target.
#[test]
fn outside_paths_get_the_same_refusal_whether_or_not_they_exist() {
    let tree = Tree::new();
    let root = tree.root();
    let doc_for = |system: &str| {
        tree.write(
            "doc.xml",
            &format!("<!DOCTYPE d [<!ENTITY e SYSTEM '{system}'>]><d>&e;</d>"),
        )
    };
    let outcome = |doc: &Path| -> (ErrorKind, String) {
        let e = parse_file(doc, local(doc)).unwrap_err();
        (e.kind(), e.to_string())
    };
    // Lexically outside: `..` out of the root, from the document and from an entity.
    for (exists, missing) in [
        ("../secret.txt", "../secreX.txt"),
        ("sub/../../secret.txt", "sub/../../secreX.txt"),
        ("../outside/secret.txt", "../outsidX/secret.txt"),
        (
            "../../../../../../../../etc/passwd",
            "../../../../../../../../etc/passwX",
        ),
    ] {
        let a = outcome(&doc_for(exists));
        let b = outcome(&doc_for(missing));
        assert_eq!(a.0, ErrorKind::ExternalEntityRefused, "{exists}: {}", a.1);
        assert_eq!(a.0, b.0, "{exists} vs {missing}: {} | {}", a.1, b.1);
        assert_eq!(a.1.replace(exists, "P"), b.1.replace(missing, "P"));
    }
    // Through a link: the same name, pointing first at something that exists, then not.
    for target in [
        tree.path().join("secret.txt"),
        tree.path().join("outside"),
        PathBuf::from("/etc/passwd"),
    ] {
        let missing = target.with_file_name("no-such-thing");
        let mut seen = Vec::new();
        for t in [&target, &missing] {
            let _ = std::fs::remove_file(root.join("link"));
            std::os::unix::fs::symlink(t, root.join("link")).unwrap();
            for system in ["link", "link/secret.txt"] {
                let (kind, msg) = outcome(&doc_for(system));
                assert_eq!(
                    kind,
                    ErrorKind::ExternalEntityRefused,
                    "{system} -> {t:?}: {msg}"
                );
                assert!(!msg.contains(&*t.to_string_lossy()), "target shown: {msg}");
                assert!(!msg.contains(SECRET));
                seen.push((system, msg));
            }
        }
        assert_eq!(seen[0], seen[2], "{target:?}");
        assert_eq!(seen[1], seen[3], "{target:?}");
    }
}
