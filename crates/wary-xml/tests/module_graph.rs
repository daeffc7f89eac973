//! The shape of wary-xml's source (issue 11, point 3): no module imports a module that
//! imports it back, and no source file is over 800 lines (DESIGN.md: a file over ~800 lines
//! holds two concepts).
//!
//! The graph is read from the text of `src/**/*.rs`: a node is a top-level module (a file or
//! folder under `src/`), or a submodule of `dtd/` (the DTD parser is itself split into
//! parts); an edge is any `crate::X` path (in a `use` or inline) or, in a submodule, a
//! `super::` path. Comments and `#[cfg(test)]` modules are left out: tests may reach
//! anywhere. A cycle fails the test with its path spelled out.
//!
//! The parts are views, not the parser (quinn-proto's `Streams<'a>` over `&mut
//! StreamsState`): the DTD parser (`dtd/*`) does not import `reader` at all, and only the
//! files that are the parser's own steps (`PARSER_FILES`) name the fields of `Parser`; every
//! other part is lent the fields it needs by a `Parser` method (`dtd_parser`,
//! `entity_stack`, `token`'s `TokenCtx`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Folders whose files are nodes of their own (`dtd::decls`); elsewhere a folder is one node.
const SPLIT_FOLDERS: &[&str] = &["dtd"];

const MAX_LINES: usize = 800;

/// The files that are the parser itself: its state machine (`reader`), feeding (`push`) and
/// the steps that are still its methods (`content`, `tags`). Only these name its fields.
const PARSER_FILES: &[&str] = &["reader.rs", "push.rs", "content.rs", "tags.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("src entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The node a file belongs to: `reader`, `dtd`, `dtd::decls`, `charset`.
fn node_of(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [f] if f == "lib" => None,
        [f] => Some(f.clone()),
        [dir, f] if SPLIT_FOLDERS.contains(&dir.as_str()) && f != "mod" => {
            Some(format!("{dir}::{f}"))
        }
        [dir, ..] => Some(dir.clone()),
        [] => None,
    }
}

/// The source without comments and without `#[cfg(test)]` items (a test module is always
/// the last item of a file, by house style, so everything after the attribute goes).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The nodes that `code` (in node `me`) refers to.
fn edges_of(me: &str, code: &str, nodes: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut resolve = |first: &str, rest: &str| {
        let mut target = first.to_string();
        if SPLIT_FOLDERS.contains(&first) {
            // `crate::dtd::decls::X` names the submodule; `crate::dtd::X` the folder's mod.rs.
            if let Some(sub) = rest.strip_prefix("::") {
                let candidate = format!("{first}::{}", ident_at(sub));
                if nodes.contains(&candidate) {
                    target = candidate;
                }
            }
        }
        if nodes.contains(&target) && target != me {
            out.insert(target);
        }
    };
    let mut find_paths = |prefix: &str, base: Option<&str>| {
        let mut from = 0;
        while let Some(i) = code[from..].find(prefix) {
            let at = from + i + prefix.len();
            let before = code[..from + i].chars().next_back();
            from = at;
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at..];
            // A grouped import: `use crate::{a, b::c}`.
            let names: Vec<(String, String)> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        let id = ident_at(s);
                        (id.to_string(), s[id.len()..].to_string())
                    })
                    .collect()
            } else {
                let id = ident_at(rest);
                vec![(id.to_string(), rest[id.len()..].to_string())]
            };
            for (id, tail) in names {
                match base {
                    // `super::X` in `dtd::decls` is `dtd` itself (X is an item of mod.rs) or
                    // a sibling submodule `dtd::X`.
                    Some(parent) => {
                        let sibling = format!("{parent}::{id}");
                        if nodes.contains(&sibling) {
                            resolve(&sibling, "");
                        } else {
                            resolve(parent, &format!("::{id}{tail}"));
                        }
                    }
                    None => resolve(&id, &tail),
                }
            }
        }
    };
    find_paths("crate::", None);
    if let Some((parent, _)) = me.split_once("::") {
        find_paths("super::", Some(parent));
    }
    out
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // Depth-first search with colours; an edge to a node on the stack closes a cycle.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let i = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[i..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn source() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let (src, files) = source();
    let rel = |f: &PathBuf| f.strip_prefix(&src).expect("under src").to_path_buf();
    let nodes: BTreeSet<String> = files.iter().filter_map(|f| node_of(&rel(f))).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(me) = node_of(&rel(f)) else { continue };
        let code = code_of(&fs::read_to_string(f).expect("readable"));
        graph
            .entry(me.clone())
            .or_default()
            .extend(edges_of(&me, &code, &nodes));
    }
    graph
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let graph = graph();
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .map(|(k, v)| {
                format!(
                    "  {k} -> {}",
                    v.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        panic!(
            "import cycle among wary-xml's modules: {}\nthe whole graph:\n{}",
            cycle.join(" -> "),
            edges.join("\n")
        );
    }
}

#[test]
fn no_source_file_is_over_800_lines() {
    let (src, files) = source();
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = fs::read_to_string(f).expect("readable").lines().count();
            (n > MAX_LINES).then(|| {
                format!(
                    "{} ({n} lines)",
                    f.strip_prefix(&src).unwrap_or(f).display()
                )
            })
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines (split each by concept): {}",
        long.join(", ")
    );
}

/// The checker itself: a planted cycle is found, and a `super::` path in a dtd submodule is
/// an edge to the folder's mod.rs unless it names a sibling.
#[test]
fn the_checker_finds_a_planted_cycle() {
    let nodes: BTreeSet<String> = ["a", "b", "dtd", "dtd::x", "dtd::y"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let a = edges_of("a", "use crate::{b, dtd::x::Thing};", &nodes);
    assert_eq!(a, ["b", "dtd::x"].iter().map(|s| s.to_string()).collect());
    let x = edges_of(
        "dtd::x",
        "use super::{Entity, y::f};\nlet v = crate::a::g();",
        &nodes,
    );
    assert_eq!(
        x,
        ["a", "dtd", "dtd::y"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), a);
    g.insert("dtd::x".to_string(), x);
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".to_string(), "dtd::x".to_string(), "a".to_string()])
    );
}

#[test]
fn the_dtd_parser_does_not_import_the_parser() {
    let graph = graph();
    let bad: Vec<&String> = graph
        .iter()
        .filter(|(node, edges)| {
            (node.as_str() == "dtd" || node.starts_with("dtd::")) && edges.contains("reader")
        })
        .map(|(node, _)| node)
        .collect();
    assert!(
        bad.is_empty(),
        "the DTD parser must work on its view (DtdParser), not import reader (Parser): {bad:?}"
    );
}

/// The field names of `pub struct Parser` in reader.rs.
fn parser_fields() -> Vec<String> {
    let (src, _) = source();
    let text = fs::read_to_string(src.join("reader.rs")).expect("readable");
    let start = text
        .find("pub struct Parser {")
        .expect("Parser is in reader.rs");
    let body = &text[start..];
    let end = body.find("\n}").expect("the struct ends");
    body[..end]
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l
                .strip_prefix("pub(crate) ")
                .or(l.strip_prefix("pub "))
                .unwrap_or(l);
            let id = ident_at(l);
            (!id.is_empty() && l[id.len()..].starts_with(':')).then(|| id.to_string())
        })
        .collect()
}

/// Where `code` names the parser's fields: an `impl` of `Parser` (whose `self.x` would be
/// them), a struct pattern or literal of `Parser`, or `x` read through a value that holds a
/// parser (`parser.x`, `p.x`), unless it is a method call (`p.feed(...)`).
fn field_reaches(code: &str, fields: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let starts_word = |i: usize| {
        code[..i]
            .chars()
            .next_back()
            .map_or(true, |c| !(c.is_ascii_alphanumeric() || c == '_'))
    };
    for (i, _) in code.match_indices("impl") {
        let mut rest = code[i + 4..].trim_start();
        if let Some(generics) = rest.strip_prefix('<') {
            rest = generics[generics.find('>').map_or(0, |k| k + 1)..].trim_start();
        }
        if starts_word(i) && ident_at(rest) == "Parser" {
            out.push("impl Parser".to_string());
        }
    }
    // A struct literal or pattern: `Parser {` then a field and ':', ',' or '}', or '..'
    // (not the body of an impl or of a function returning a parser).
    for (i, _) in code.match_indices("Parser {") {
        let inside = code[i + "Parser {".len()..].trim_start();
        let id = ident_at(inside);
        let after = inside[id.len()..].trim_start();
        let field = !id.is_empty() && after.starts_with([':', ',', '}']);
        if starts_word(i) && (field || inside.starts_with("..")) {
            out.push("Parser { .. }".to_string());
        }
    }
    for recv in ["parser.", "p."] {
        for (i, _) in code.match_indices(recv) {
            if !starts_word(i) {
                continue;
            }
            let rest = &code[i + recv.len()..];
            let id = ident_at(rest);
            let call = rest[id.len()..].trim_start().starts_with(['(', ':']);
            if fields.iter().any(|f| f == id) && !call {
                out.push(format!("{recv}{id}"));
            }
        }
    }
    out
}

#[test]
fn only_the_parser_files_name_the_parsers_fields() {
    let fields = parser_fields();
    assert!(
        ["frames", "dtd", "options", "loader"]
            .iter()
            .all(|f| fields.iter().any(|g| g == f)),
        "the field list of Parser was not read: {fields:?}"
    );
    let (src, files) = source();
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        if PARSER_FILES.iter().any(|p| rel == Path::new(p)) {
            continue;
        }
        let code = code_of(&fs::read_to_string(f).expect("readable"));
        for reach in field_reaches(&code, &fields) {
            bad.push(format!("{}: {reach}", rel.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "only {PARSER_FILES:?} may name Parser's fields; lend the others a view (as \
         Parser::dtd_parser does): {bad:?}"
    );
}

/// The checker itself: each kind of reach is found, and what is not one is left alone.
#[test]
fn the_field_checker_finds_planted_reaches() {
    let fields: Vec<String> = ["frames", "dtd"].iter().map(|s| s.to_string()).collect();
    let code = "impl Parser { fn f(&self) { self.frames.len(); } }\n\
                impl<'a> Parser {}\n\
                let Parser { dtd, .. } = x;\n\
                p.frames.len(); self.parser.dtd.general(n);\n\
                p.feed(b); parser.dtd(); q.frames; impl DtdParser<'_> {} DtdParser { dtd };";
    assert_eq!(
        field_reaches(code, &fields),
        [
            "impl Parser",
            "impl Parser",
            "Parser { .. }",
            "parser.dtd",
            "p.frames"
        ]
    );
}
