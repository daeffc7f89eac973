//! Opening a file beneath a folder so that nothing outside it can be read, whatever the file
//! system does meanwhile.
//!
//! Checking a path and then opening it by name is a race: a symbolic link swapped in between
//! the two makes the open read whatever it points to (issue 10, class 5). Here the check and
//! the open are one step:
//!
//! 1. The path is resolved *lexically* first ([`resolve`]): `.` and `..` are folded without
//!    touching the file system, and a path that leaves the root is refused before any system
//!    call, so the answer cannot depend on what exists outside the root (class 8).
//! 2. What is left is a list of plain names beneath the root, opened relative to a handle on
//!    the root with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)`
//!    where the kernel has it (Linux ≥ 5.6): the kernel refuses any symbolic link on the way
//!    and any escape from the root, atomically. Elsewhere (older kernels, a seccomp filter
//!    that hides the call, other Unixes) the same names are walked one `openat(O_NOFOLLOW)`
//!    per component, each relative to the folder handle opened before it, which is as strict.
//! 3. The file is opened `O_NONBLOCK` (a FIFO cannot block the open) and must be a regular
//!    file according to `fstat` on the handle itself (class 6): a FIFO, device, socket or
//!    folder is refused.
//!
//! The system calls come from rustix (no `unsafe` here); cap-std does the same walk but
//! follows symbolic links that stay inside the root, which is more than we want to allow.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A path that lexically stays beneath the root: plain names only, no `.`, `..` or root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Beneath(Vec<OsString>);

impl Beneath {
    /// The path, relative to the root.
    pub fn relative(&self) -> PathBuf {
        self.0.iter().collect()
    }
}

/// Resolves `system` against the absolute folder `base` and returns its place beneath
/// `root` (absolute and canonical), or `None` when it lies outside. Purely lexical: no
/// file is looked at, so the answer is the same whether or not anything exists there.
///
/// `..` at `/` stays at `/`, as in the kernel. Inside the root `..` never meets a symbolic
/// link to walk back out of, since the open refuses every symbolic link beneath the root.
pub(crate) fn resolve(root: &Path, base: &Path, system: &str) -> Option<Beneath> {
    let mut parts: Vec<OsString> = Vec::new();
    for c in base.components().chain(Path::new(system).components()) {
        match c {
            Component::Prefix(_) | Component::RootDir => parts.clear(),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(n) => parts.push(n.to_os_string()),
        }
    }
    let mut root_parts = Vec::new();
    for c in root.components() {
        match c {
            Component::Normal(n) => root_parts.push(n.to_os_string()),
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            // A canonical root has no `..`; one that has is refused rather than guessed at.
            Component::ParentDir => return None,
        }
    }
    if parts.len() < root_parts.len() || parts[..root_parts.len()] != root_parts[..] {
        return None;
    }
    Some(Beneath(parts.split_off(root_parts.len())))
}

/// Why a file beneath the root was not opened.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A symbolic link is on the path (it is not followed, wherever it points).
    Symlink,
    /// The file is not a regular file: a FIFO, a device, a socket or a folder.
    NotRegular(&'static str),
    /// The path names the root itself.
    Root,
    /// Any other failure (the file does not exist, permissions, ...).
    Io(io::Error),
}

/// An open regular file beneath the root.
pub(crate) struct Opened {
    pub file: File,
    /// Its size when opened.
    pub size: u64,
    /// Device and inode: the same file reached by two names is one file.
    pub id: (u64, u64),
}

/// A handle on the root folder, through which every file beneath it is opened.
pub(crate) struct Root {
    #[cfg(unix)]
    fd: rustix::fd::OwnedFd,
    path: PathBuf,
    /// `openat2` failed as unsupported once: walk from then on.
    #[cfg(unix)]
    no_openat2: bool,
}

impl Root {
    /// Opens the root folder (following symbolic links: the caller chose it).
    pub fn open(path: &Path) -> io::Result<Root> {
        let path = std::fs::canonicalize(path)?;
        #[cfg(unix)]
        {
            let fd = rustix::fs::open(&path, dir_flags(), rustix::fs::Mode::empty())?;
            Ok(Root {
                fd,
                path,
                no_openat2: false,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Root { path })
        }
    }

    /// The canonical path of the root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `at` for reading: beneath the root, without following any symbolic link,
    /// without blocking, and only if it is a regular file.
    pub fn open_file(&mut self, at: &Beneath) -> Result<Opened, Refusal> {
        if at.0.is_empty() {
            return Err(Refusal::Root);
        }
        #[cfg(unix)]
        {
            let fd = self.open_fd(at, false)?;
            regular(File::from(fd))
        }
        #[cfg(not(unix))]
        {
            Err(Refusal::Io(io::Error::new(
                io::ErrorKind::Unsupported,
                "loading external entities safely needs a Unix system",
            )))
        }
    }

    /// `walk` forces the per-component walk (tests use it to cover both ways in).
    #[cfg(unix)]
    fn open_fd(&mut self, at: &Beneath, walk: bool) -> Result<rustix::fd::OwnedFd, Refusal> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if !walk && !self.no_openat2 {
            use rustix::fs::{Mode, ResolveFlags};
            let how =
                ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
            match rustix::fs::openat2(&self.fd, at.relative(), file_flags(), Mode::empty(), how) {
                Ok(fd) => return Ok(fd),
                // No openat2 (Linux < 5.6), or a seccomp filter that hides it: walk, now and
                // from then on.
                Err(rustix::io::Errno::NOSYS) | Err(rustix::io::Errno::PERM) => {
                    self.no_openat2 = true;
                }
                Err(e) => return Err(self.classify(at, e)),
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = (walk, self.no_openat2);
        self.walk(at)
    }

    /// The fallback: one `openat(O_NOFOLLOW)` per component, each relative to the folder
    /// opened before it, so that no name is ever resolved through a symbolic link.
    #[cfg(unix)]
    fn walk(&self, at: &Beneath) -> Result<rustix::fd::OwnedFd, Refusal> {
        use rustix::fs::{Mode, OFlags};
        let Some((last, dirs)) = at.0.split_last() else {
            return Err(Refusal::Root);
        };
        let mut dir: Option<rustix::fd::OwnedFd> = None;
        for name in dirs {
            let parent = dir.as_ref().unwrap_or(&self.fd);
            let next = rustix::fs::openat(
                parent,
                name.as_os_str(),
                dir_flags() | OFlags::NOFOLLOW,
                Mode::empty(),
            )
            .map_err(|e| self.classify(at, e))?;
            dir = Some(next);
        }
        let parent = dir.as_ref().unwrap_or(&self.fd);
        rustix::fs::openat(
            parent,
            last.as_os_str(),
            file_flags() | OFlags::NOFOLLOW,
            Mode::empty(),
        )
        .map_err(|e| self.classify(at, e))
    }

    /// Turns a failed open into a refusal. The open has already failed, so this only picks
    /// the message: it looks (without following links, beneath the root) for a symbolic
    /// link on the path, which `O_NOFOLLOW` and `RESOLVE_NO_SYMLINKS` report as `ELOOP` or
    /// `ENOTDIR`. What a link points to is never read.
    #[cfg(unix)]
    fn classify(&self, at: &Beneath, e: rustix::io::Errno) -> Refusal {
        use rustix::fs::{AtFlags, FileType};
        if e == rustix::io::Errno::LOOP
            || e == rustix::io::Errno::NOTDIR
            || e == rustix::io::Errno::XDEV
        {
            let mut prefix = PathBuf::new();
            for name in &at.0 {
                prefix.push(name);
                match rustix::fs::statat(&self.fd, &prefix, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        return Refusal::Symlink;
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            // The link may have been swapped away since: ELOOP still means a link was met.
            if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::XDEV {
                return Refusal::Symlink;
            }
        }
        Refusal::Io(e.into())
    }

    /// For tests: opens by the per-component walk even where `openat2` exists.
    #[cfg(all(test, unix))]
    fn open_file_by_walk(&mut self, at: &Beneath) -> Result<Opened, Refusal> {
        let fd = self.open_fd(at, true)?;
        regular(File::from(fd))
    }
}

/// Flags for a folder handle: `O_PATH` where it exists (needs only search permission).
#[cfg(unix)]
fn dir_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let base = OFlags::PATH;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let base = OFlags::RDONLY;
    base | OFlags::DIRECTORY | OFlags::CLOEXEC
}

/// Flags for the file: read-only, and `O_NONBLOCK` so that opening a FIFO returns at once
/// (it is then refused as not a regular file); `O_NOCTTY` so a terminal device never
/// becomes the controlling terminal.
#[cfg(unix)]
fn file_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// Accepts an open file only if `fstat` on the handle says it is a regular file: the
/// handle, not the name, so nothing swapped in after the open can change the answer.
#[cfg(unix)]
fn regular(file: File) -> Result<Opened, Refusal> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = file.metadata().map_err(Refusal::Io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_dir() {
            "a folder"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else if ft.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        };
        return Err(Refusal::NotRegular(what));
    }
    // O_NONBLOCK means nothing for a regular file's reads, so it is left set.
    Ok(Opened {
        size: meta.len(),
        id: (meta.dev(), meta.ino()),
        file,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn names(p: &Beneath) -> String {
        p.relative().display().to_string()
    }

    #[test]
    fn resolve_is_lexical_and_stays_beneath_the_root() {
        let root = Path::new("/r/root");
        let ok = |base: &str, sys: &str| resolve(root, Path::new(base), sys).map(|b| names(&b));
        assert_eq!(ok("/r/root", "a.ent").as_deref(), Some("a.ent"));
        assert_eq!(ok("/r/root/sub", "../a.ent").as_deref(), Some("a.ent"));
        assert_eq!(ok("/r/root", "./x/./y/../z").as_deref(), Some("x/z"));
        assert_eq!(ok("/r", "root/a.ent").as_deref(), Some("a.ent"));
        assert_eq!(ok("/r/root", "").as_deref(), Some(""));
        assert_eq!(ok("/r/root", "../secret"), None);
        assert_eq!(ok("/r/root", "sub/../../secret"), None);
        assert_eq!(ok("/r/root", "../root2/a"), None);
        assert_eq!(ok("/r/rootx", "a"), None);
        assert_eq!(ok("/r/root", "/r/root/a").as_deref(), Some("a"));
        assert_eq!(ok("/r/root", "/etc/passwd"), None);
        assert_eq!(
            ok("/r/root", "../../../../../../r/root/a").as_deref(),
            Some("a")
        );
    }

    /// Every way in is tried both through `openat2` and through the walk.
    #[test]
    fn open_refuses_links_fifos_and_folders_by_both_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path().join("root");
        std::fs::create_dir_all(root_dir.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret"), "secret").unwrap();
        std::fs::write(root_dir.join("sub/ok.ent"), "ok").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root_dir.join("out")).unwrap();
        std::os::unix::fs::symlink("sub/ok.ent", root_dir.join("in")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root_dir.join("outdir")).unwrap();
        std::os::unix::fs::symlink("sub", root_dir.join("indir")).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            root_dir.join("fifo"),
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let mut root = Root::open(&root_dir).unwrap();
        let at = |s: &str| {
            resolve(
                root_dir.canonicalize().unwrap().as_path(),
                &root_dir.canonicalize().unwrap(),
                s,
            )
            .unwrap()
        };
        for walk in [false, true] {
            let mut open = |s: &str| {
                let b = at(s);
                if walk {
                    root.open_file_by_walk(&b)
                } else {
                    root.open_file(&b)
                }
            };
            let mut text = String::new();
            let o = open("sub/ok.ent").unwrap_or_else(|e| panic!("{e:?}"));
            std::io::Read::read_to_string(&mut &o.file, &mut text).unwrap();
            assert_eq!((text.as_str(), o.size), ("ok", 2));
            for link in ["out", "in", "outdir/secret", "indir/ok.ent"] {
                assert!(
                    matches!(open(link), Err(Refusal::Symlink)),
                    "{link} walk={walk}"
                );
            }
            assert!(
                matches!(open("fifo"), Err(Refusal::NotRegular("a FIFO"))),
                "walk={walk}"
            );
            assert!(
                matches!(open("sub"), Err(Refusal::NotRegular("a folder"))),
                "walk={walk}"
            );
            assert!(
                matches!(open("missing"), Err(Refusal::Io(_))),
                "walk={walk}"
            );
            assert!(matches!(open(""), Err(Refusal::Root)), "walk={walk}");
        }
    }

    /// The race of issue 10 class 5 against both ways in: a thread swaps a regular file for
    /// a link to an outside file (and a folder's name for a link to an outside folder)
    /// while the names are opened again and again; the outside file is never opened.
    #[test]
    fn swapped_links_are_never_followed_by_either_way_in() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let root_dir = dir.path().join("root");
        std::fs::create_dir_all(root_dir.join("real")).unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/x"), "secret").unwrap();
        std::fs::write(root_dir.join("real/x"), "inside").unwrap();
        std::fs::write(root_dir.join("x"), "inside").unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, root_dir, out) = (stop.clone(), root_dir.clone(), dir.path().join("out"));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::fs::remove_file(root_dir.join("t"));
                    std::os::unix::fs::symlink(out.join("x"), root_dir.join("t")).unwrap();
                    std::fs::rename(root_dir.join("t"), root_dir.join("x")).unwrap();
                    std::fs::write(root_dir.join("t"), "inside").unwrap();
                    std::fs::rename(root_dir.join("t"), root_dir.join("x")).unwrap();
                    // `d` is a folder name that is sometimes a link out, sometimes missing.
                    let _ = std::fs::remove_file(root_dir.join("d"));
                    std::os::unix::fs::symlink(&out, root_dir.join("d")).unwrap();
                }
            })
        };
        let canon = root_dir.canonicalize().unwrap();
        let mut root = Root::open(&root_dir).unwrap();
        let (x, d) = (
            resolve(&canon, &canon, "x").unwrap(),
            resolve(&canon, &canon, "d/x").unwrap(),
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        let mut opened = 0;
        while std::time::Instant::now() < deadline {
            for at in [&x, &d] {
                for walk in [false, true] {
                    let r = if walk {
                        root.open_file_by_walk(at)
                    } else {
                        root.open_file(at)
                    };
                    if let Ok(o) = r {
                        let mut text = String::new();
                        std::io::Read::read_to_string(&mut &o.file, &mut text).unwrap();
                        assert_eq!(text, "inside", "walk={walk}");
                        opened += 1;
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(
            opened > 0,
            "the inside file was never opened: the test does not race"
        );
    }
}
