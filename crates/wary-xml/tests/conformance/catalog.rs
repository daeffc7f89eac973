//! Loads the W3C XML Conformance Test Suite (xmlts20130923) and applies the project's profile.
//!
//! The suite is unzipped into a temporary folder at run time (its licence allows
//! redistribution only as the unmodified archive). Catalogs are read with roxmltree, an
//! independent parser, so that a bug in wary-xml cannot hide a test. The profile is the one of
//! `../shared/conformance/README.md`; the counts it must yield are asserted, so that a filtering
//! bug cannot hide tests either.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The archive's file name, beside the project in `../shared/conformance/`.
const ZIP_NAME: &str = "xmlts20130923.zip";

/// What the profile must yield (`../shared/conformance/README.md`).
pub const EXPECTED_TOTAL: usize = 1965;
pub const EXPECTED_ACCEPT: usize = 948;
pub const EXPECTED_REJECT: usize = 1017;
pub const EXPECTED_OUTPUT: usize = 378;

/// What a conformant non-validating, namespace-aware parser must do with a test's document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `valid` and `invalid` tests: well-formed, so they must parse without error.
    Accept,
    /// `not-wf` tests: must be rejected with an error.
    Reject,
}

/// One test of the profile.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// The catalog's entity name in `xmlconf.xml`, for example `ibm-not-wf`.
    pub catalog: String,
    /// The test's ID (unique across the profile; asserted).
    pub id: String,
    /// TYPE as written: `valid`, `invalid` or `not-wf`.
    pub kind: String,
    pub expect: Expect,
    /// The document, relative to `xmlconf/`.
    pub path: String,
    /// The expected canonical form, relative to `xmlconf/`, when the test has one.
    pub output: Option<String>,
    /// The test's description, collapsed to one line.
    pub description: String,
}

/// The suite's archive, read into memory, and the tests of the profile in catalog order.
pub struct Suite {
    /// Every file of the archive by its path inside it (`xmlconf/...`).
    files: BTreeMap<String, Vec<u8>>,
    pub tests: Vec<TestCase>,
    /// How many tests each profile rule left out, for the report.
    pub excluded: BTreeMap<&'static str, usize>,
}

/// The suite written out to a temporary folder, removed on drop.
pub struct Extracted {
    _dir: tempfile::TempDir,
    /// The `xmlconf/` folder (canonicalized): the entity root for `local` mode.
    pub root: PathBuf,
}

/// Where the archive is: `$WARY_XMLTS`, else `<workspace root>/../shared/conformance/`.
pub fn zip_path() -> PathBuf {
    if let Some(p) = std::env::var_os("WARY_XMLTS") {
        return PathBuf::from(p);
    }
    // CARGO_MANIFEST_DIR is crates/wary-xml; the workspace root is two folders up.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance")
        .join(ZIP_NAME)
}

impl Suite {
    /// Reads the archive and its catalogs; panics with a clear message on any surprise.
    pub fn load() -> Suite {
        let zip = zip_path();
        let file = fs::File::open(&zip).unwrap_or_else(|e| {
            panic!(
                "the W3C XML Conformance Test Suite is missing: cannot open {} ({e}).\n\
                 Put {ZIP_NAME} in ../shared/conformance/ beside the project (see \
                 ../shared/conformance/README.md), or set WARY_XMLTS to its path. \
                 This test never passes without it.",
                zip.display()
            )
        });
        let mut archive = zip::ZipArchive::new(file)
            .unwrap_or_else(|e| panic!("{} is not a readable zip archive: {e}", zip.display()));
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut entry = archive
                .by_index(i)
                .unwrap_or_else(|e| panic!("{}: entry {i}: {e}", zip.display()));
            if entry.is_dir() {
                continue;
            }
            // Only well-behaved relative names: the archive must not write outside the folder.
            let name = entry
                .enclosed_name()
                .and_then(|p| p.to_str().map(str::to_owned))
                .unwrap_or_else(|| {
                    panic!("{}: unsafe entry name {:?}", zip.display(), entry.name())
                });
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut bytes)
                .unwrap_or_else(|e| panic!("{}: cannot unzip {name}: {e}", zip.display()));
            files.insert(name, bytes);
        }
        let (tests, excluded) = load_catalogs(&files);
        Suite {
            files,
            tests,
            excluded,
        }
    }

    /// Writes the suite out to a temporary folder, for the parser to read it as files.
    pub fn extract(&self) -> Extracted {
        let dir = tempfile::Builder::new()
            .prefix("wary-xmlts-")
            .tempdir()
            .expect("cannot create a temporary folder for the suite");
        for (name, bytes) in &self.files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
            }
            fs::write(&path, bytes)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        }
        let root = dir
            .path()
            .join("xmlconf")
            .canonicalize()
            .expect("the suite has an xmlconf/ folder");
        Extracted { _dir: dir, root }
    }
}

/// A catalog named in `xmlconf.xml`: its file and the base folder of its tests.
struct CatalogRef {
    entity: String,
    file: String,
    base: String,
}

/// A file of the suite, by its path relative to `xmlconf/`, as text.
fn suite_text<'f>(files: &'f BTreeMap<String, Vec<u8>>, rel: &str) -> &'f str {
    let bytes = files
        .get(&format!("xmlconf/{rel}"))
        .unwrap_or_else(|| panic!("the suite has no file xmlconf/{rel}"));
    std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("xmlconf/{rel} is not UTF-8: {e}"))
}

/// Reads `xmlconf.xml`'s entity declarations and `<TESTCASES xml:base>` values, then each
/// catalog, and returns the tests the profile applies to.
fn load_catalogs(
    files: &BTreeMap<String, Vec<u8>>,
) -> (Vec<TestCase>, BTreeMap<&'static str, usize>) {
    let refs = catalog_refs(suite_text(files, "xmlconf.xml"));
    assert!(
        refs.len() >= 20,
        "xmlconf.xml names only {} catalogs; expected the suite's 22",
        refs.len()
    );
    let is_file = |rel: &str| files.contains_key(&format!("xmlconf/{rel}"));
    let is_dir = |rel: &str| {
        let prefix = format!("xmlconf/{}/", rel.trim_end_matches('/'));
        files.keys().any(|k| k.starts_with(&prefix))
    };

    let mut tests = Vec::new();
    let mut excluded = BTreeMap::new();
    let mut ids = HashSet::new();
    for r in &refs {
        let wrapped = wrap_fragment(suite_text(files, &r.file));
        let doc = roxmltree::Document::parse(&wrapped)
            .unwrap_or_else(|e| panic!("catalog {} does not parse: {e}", r.file));
        // The catalogs carry no xml:base of their own; if one ever did, the base below would be
        // wrong, so refuse rather than guess.
        let xml_ns = "http://www.w3.org/XML/1998/namespace";
        if let Some(n) = doc
            .descendants()
            .find(|n| n.attribute((xml_ns, "base")).is_some())
        {
            panic!(
                "catalog {} sets xml:base on <{}>",
                r.file,
                n.tag_name().name()
            );
        }
        // Tests sit under the base that xmlconf.xml gives; the eduni/misc catalog's base
        // (eduni/namespaces/misc/) does not exist, and its tests sit beside the catalog.
        let base = if is_dir(&r.base) {
            r.base.trim_end_matches('/').to_owned()
        } else {
            r.file
                .rsplit_once('/')
                .map(|(dir, _)| dir.to_owned())
                .unwrap_or_default()
        };
        let join = |rel: &str| {
            if base.is_empty() {
                rel.to_owned()
            } else {
                format!("{base}/{rel}")
            }
        };
        for t in doc.descendants().filter(|n| n.has_tag_name("TEST")) {
            let attr = |name: &str| t.attribute(name);
            let need = |name: &str| {
                attr(name).unwrap_or_else(|| {
                    panic!("catalog {}: a <TEST> has no {name} attribute", r.file)
                })
            };
            let (id, kind, uri) = (need("ID"), need("TYPE"), need("URI"));
            if let Some(reason) = excluded_by_profile(t) {
                *excluded.entry(reason).or_insert(0) += 1;
                continue;
            }
            let expect = match kind {
                "valid" | "invalid" => Expect::Accept,
                "not-wf" => Expect::Reject,
                other => panic!("test {id} in {}: unknown TYPE {other:?}", r.file),
            };
            assert!(ids.insert(id.to_owned()), "test ID {id} appears twice");
            let path = join(uri);
            assert!(
                is_file(&path),
                "test {id}: document xmlconf/{path} does not exist"
            );
            let output = attr("OUTPUT").map(join);
            if let Some(o) = &output {
                assert!(is_file(o), "test {id}: OUTPUT xmlconf/{o} does not exist");
            }
            let description = t
                .text()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            tests.push(TestCase {
                catalog: r.entity.clone(),
                id: id.to_owned(),
                kind: kind.to_owned(),
                expect,
                path,
                output,
                description,
            });
        }
    }
    (tests, excluded)
}

/// The profile: XML 1.0 Fifth Edition, namespace-aware. Returns why a test is left out.
fn excluded_by_profile(test: roxmltree::Node<'_, '_>) -> Option<&'static str> {
    let attr = |name: &str| test.attribute(name);
    if attr("TYPE") == Some("error") {
        return Some("TYPE=error");
    }
    if attr("VERSION") == Some("1.1") || matches!(attr("RECOMMENDATION"), Some("XML1.1" | "NS1.1"))
    {
        return Some("XML 1.1 / Namespaces 1.1");
    }
    if let Some(editions) = attr("EDITION") {
        if !editions.split_whitespace().any(|e| e == "5") {
            return Some("EDITION without 5");
        }
    }
    if attr("NAMESPACE") == Some("no") {
        return Some("NAMESPACE=no");
    }
    None
}

/// The catalogs `xmlconf.xml` includes, in order, with the `xml:base` of their `<TESTCASES>`.
///
/// `xmlconf.xml` pulls its catalogs in as external entities, which roxmltree does not load:
/// read the entity declarations from the internal subset, replace each reference in the body
/// with an element, and let roxmltree read the body.
fn catalog_refs(top: &str) -> Vec<CatalogRef> {
    let start = top.find("<!DOCTYPE").expect("xmlconf.xml has no DOCTYPE");
    let open = start
        + top[start..]
            .find('[')
            .expect("xmlconf.xml has no internal subset");
    let close = open
        + top[open..]
            .find("]")
            .expect("xmlconf.xml's internal subset is not closed");
    let subset = strip_comments(&top[open + 1..close]);
    let after = close + top[close..].find('>').expect("DOCTYPE is not closed") + 1;

    // <!ENTITY name SYSTEM "file">
    let mut entities: BTreeMap<String, String> = BTreeMap::new();
    for decl in subset.split("<!ENTITY").skip(1) {
        let decl = decl.split('>').next().unwrap_or("");
        let mut words = decl.split_whitespace();
        let (Some(name), Some("SYSTEM"), Some(lit)) = (words.next(), words.next(), words.next())
        else {
            panic!("xmlconf.xml: unexpected entity declaration <!ENTITY{decl}>");
        };
        let file = lit.trim_matches(|c| c == '"' || c == '\'');
        entities.insert(name.to_owned(), file.to_owned());
    }

    // Replace &name; by <catalog-ref entity="name"/> in the body.
    let body = &top[after..];
    let mut rewritten = String::with_capacity(body.len());
    let mut rest = body;
    let mut used = HashSet::new();
    while let Some(amp) = rest.find('&') {
        rewritten.push_str(&rest[..amp]);
        let semi = rest[amp..]
            .find(';')
            .expect("xmlconf.xml: unterminated reference");
        let name = &rest[amp + 1..amp + semi];
        assert!(
            entities.contains_key(name),
            "xmlconf.xml references undeclared entity {name}"
        );
        assert!(
            used.insert(name.to_owned()),
            "catalog {name} included twice"
        );
        rewritten.push_str(&format!("<catalog-ref entity=\"{name}\"/>"));
        rest = &rest[amp + semi + 1..];
    }
    rewritten.push_str(rest);
    for name in entities.keys() {
        assert!(
            used.contains(name),
            "xmlconf.xml declares catalog {name} but never includes it"
        );
    }

    let doc = roxmltree::Document::parse(&rewritten)
        .unwrap_or_else(|e| panic!("xmlconf.xml's body does not parse: {e}"));
    let xml_ns = "http://www.w3.org/XML/1998/namespace";
    let mut refs = Vec::new();
    for tc in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("TESTCASES"))
    {
        let base = tc
            .attribute((xml_ns, "base"))
            .expect("a <TESTCASES> in xmlconf.xml has no xml:base");
        for r in tc.children().filter(|n| n.has_tag_name("catalog-ref")) {
            let entity = r.attribute("entity").unwrap_or_default().to_owned();
            refs.push(CatalogRef {
                file: entities[&entity].clone(),
                entity,
                base: base.to_owned(),
            });
        }
    }
    assert_eq!(
        refs.len(),
        entities.len(),
        "some catalog references in xmlconf.xml are outside a <TESTCASES>"
    );
    refs
}

/// A catalog is a fragment (several `<TEST>` elements, or one `<TESTCASES>`, after an optional
/// XML declaration): drop the declaration and wrap it in one element.
fn wrap_fragment(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map(|(_, b)| b).unwrap_or(rest),
        None => text,
    };
    format!("<catalog>{body}</catalog>")
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => panic!("xmlconf.xml: unterminated comment in the internal subset"),
        }
    }
    out.push_str(rest);
    out
}
