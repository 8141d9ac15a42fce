//! The shape the architecture issue set, kept: no import cycle between the backend's modules,
//! and no `axum` (nor hyper, tower-http or rustls) outside the HTTP layer (`src/http/`,
//! `main.rs`, `lib.rs`).
//!
//! The module graph is read from the sources as text: each file is a module
//! (`src/iam/codes.rs` is `crate::iam::codes`), and each path it names — `crate::…`,
//! `super::…`, `self::…`, or a child declared by it — is an edge to the longest module prefix
//! of that path. Declaring a child (`mod x;`) is not an edge; a parent that uses a child and a
//! child that uses its parent are a cycle, as `cargo modules dependencies --acyclic` would
//! say. Test modules (`#[cfg(test)]` onwards) and comments are left out. Hand-written because
//! no crate reads a module graph without compiling the crate (cargo-modules needs
//! rust-analyzer's, which is far too heavy for a test).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/iam/codes.rs` → `["crate", "iam", "codes"]`; `lib.rs` and `main.rs` are the crate.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(SRC).unwrap().with_extension("");
    let mut path = vec!["crate".to_owned()];
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts != ["lib"] && parts != ["main"] {
        path.extend(parts.into_iter().filter(|p| p != "mod"));
    }
    path
}

/// The text before the first test module, without `//` comments and without visibilities
/// (`pub(super)`, `pub(in crate::http)` name a scope, not a use).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.split("//").next().unwrap_or("").to_owned();
        while let Some(start) = line.find("pub(") {
            let end = line[start..]
                .find(')')
                .map_or(line.len(), |e| start + e + 1);
            line.replace_range(start..end, "pub");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every `a::b::c` path in `text` (identifiers joined by `::`), with braces of `use` lists
/// expanded one level: `use super::{x, y::z}` gives `super::x` and `super::y::z`.
fn paths(text: &str) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_ident_byte(bytes[i])
            || (i > 0 && (is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b':'))
        {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident_byte(bytes[j]) {
                j += 1;
            }
            segments.push(text[start..j].to_owned());
            if text[j..].starts_with("::") && j + 2 < bytes.len() {
                j += 2;
                if bytes[j] == b'{' {
                    let close = text[j..].find('}').map_or(bytes.len(), |c| j + c);
                    for item in text[j + 1..close].split(',') {
                        let item: Vec<String> = item
                            .trim()
                            .split("::")
                            .map(|s| s.trim().split(' ').next().unwrap_or("").to_owned())
                            .filter(|s| !s.is_empty() && s != "{")
                            .collect();
                        let mut full = segments.clone();
                        full.extend(item);
                        out.push(full);
                    }
                    j = close;
                    break;
                }
                if is_ident_byte(bytes[j]) {
                    continue;
                }
            }
            out.push(segments.clone());
            break;
        }
        i = j.max(i + 1);
    }
    out
}

/// The modules and the edges between them.
fn graph() -> (BTreeMap<String, String>, BTreeSet<(String, String)>) {
    let mut files = Vec::new();
    sources(Path::new(SRC), &mut files);
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        let name = module_of(file).join("::");
        let text = std::fs::read_to_string(file).unwrap();
        // `lib.rs` and `main.rs` are both the crate root: both texts count.
        modules.entry(name).or_default().push_str(&text);
    }
    let mut edges = BTreeSet::new();
    for (name, text) in &modules {
        let here: Vec<String> = name.split("::").map(str::to_owned).collect();
        for path in paths(&code(text)) {
            let mut at = here.clone();
            let mut rest = Vec::new();
            let mut relative = false;
            for (k, segment) in path.iter().enumerate() {
                match segment.as_str() {
                    "crate" if k == 0 => {
                        at = vec!["crate".to_owned()];
                        relative = true;
                    }
                    "super" if rest.is_empty() => {
                        at.pop();
                        relative = true;
                    }
                    "self" if k == 0 => relative = true,
                    other => rest.push(other.to_owned()),
                }
            }
            if !relative {
                // A child of this module named directly (`codes::CodePair`, `use codes::…`);
                // a bare name (`mod codes;`) is a declaration, not a use.
                let (Some(first), true) = (rest.first(), rest.len() > 1) else {
                    continue;
                };
                let child = format!("{name}::{first}");
                if !modules.contains_key(&child) {
                    continue;
                }
            }
            let full: Vec<String> = at.into_iter().chain(rest).collect();
            let target = (1..=full.len())
                .rev()
                .map(|k| full[..k].join("::"))
                .find(|m| modules.contains_key(m));
            if let Some(target) = target
                && &target != name
            {
                edges.insert((name.clone(), target));
            }
        }
    }
    (modules, edges)
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(nodes: &[String], edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        next: BTreeMap<&'a str, Vec<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for u in w.next.get(v).cloned().unwrap_or_default() {
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(u) = w.stack.pop() {
                component.push(u.to_owned());
                if u == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                w.found.push(component);
            }
        }
    }
    let mut w = Walk {
        next: BTreeMap::new(),
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for (a, b) in edges {
        w.next.entry(a.as_str()).or_default().push(b.as_str());
    }
    for v in nodes {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

#[test]
fn no_module_of_the_backend_is_in_an_import_cycle() {
    let (modules, edges) = graph();
    let nodes: Vec<String> = modules.keys().cloned().collect();
    // The reader sees the edges it must (a sample the code is known to hold).
    for (from, to) in [
        ("crate::http::routes::iam", "crate::iam"),
        ("crate::iam::devices", "crate::iam::codes"),
        ("crate::iam::codes", "crate::storage"),
        ("crate::storage::attempts", "crate::throttle"),
        ("crate::cli", "crate::admin"),
    ] {
        assert!(
            edges.contains(&(from.to_owned(), to.to_owned())),
            "{from} → {to} not seen: the reader is broken"
        );
    }
    let found = cycles(&nodes, &edges);
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
        .into_iter()
        .map(|(x, y)| (x.to_owned(), y.to_owned()))
        .collect();
    let nodes: Vec<String> = ["a", "b", "c", "d"].map(str::to_owned).into();
    assert_eq!(cycles(&nodes, &edges), vec![vec!["a", "b", "c"]]);
    let parsed = paths("use super::{codes::CodePair, x};\nlet y = crate::iam::codes::f();");
    assert!(parsed.contains(&vec![
        "crate".into(),
        "iam".into(),
        "codes".into(),
        "f".into()
    ]));
    assert!(parsed.contains(&vec!["super".into(), "x".into()]));
}

#[test]
fn only_the_http_layer_knows_axum() {
    let mut files = Vec::new();
    sources(Path::new(SRC), &mut files);
    let http = Path::new(SRC).join("http");
    let mut offenders = Vec::new();
    for file in files {
        let allowed = file.starts_with(&http)
            || file == Path::new(SRC).join("http.rs")
            || file == Path::new(SRC).join("main.rs")
            || file == Path::new(SRC).join("lib.rs");
        let text = std::fs::read_to_string(&file).unwrap();
        let http_crates = [
            "axum",
            "hyper",
            "hyper_util",
            "tower_http",
            "rustls",
            "tokio_rustls",
        ];
        if !allowed
            && paths(&code(&text))
                .iter()
                .any(|p| http_crates.contains(&p[0].as_str()))
        {
            offenders.push(file.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "axum, hyper, tower-http or rustls outside the HTTP layer: {offenders:?}"
    );
}
