//! Owns the rule that pipeline stages never reach back: every `crate::…` and
//! `super::…` path in the library is read per file (brace groups expanded,
//! across lines), and a path into a later stage than the file's own fails
//! the test with the file and line.
//!
//! The order is ARCHITECTURE.md's: facts and source text, then load → schema
//! → policy → analysis/graph → lint → the pipeline driver → output, render,
//! explain, diff → build → verify. The binary (`src/main.rs`, `src/cli/`)
//! comes last and uses the library by its name, so it is not scanned; the
//! crate root (`src/lib.rs`) may only declare modules and re-export, which
//! another test holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Module path prefixes and their stage; the longest matching prefix wins.
/// Modules on one line are one stage and may use each other.
const STAGES: &[&[&str]] = &[
    &["source", "verifier"],
    &["diag"],
    &["load"],
    &["keys", "facts"],
    &["policy::raw"],
    &["schema"],
    &["policy"],
    &["redis_directives"],
    &["analysis", "graph"],
    &["lint"],
    &["check"],
    &["output", "render", "explain", "diff"],
    &["build"],
    &["verify"],
];

fn stage_of(module: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (stage, prefixes) in STAGES.iter().enumerate() {
        for prefix in *prefixes {
            let matches = module == *prefix || module.starts_with(&format!("{prefix}::"));
            if matches && best.is_none_or(|(_, p)| prefix.len() > p.len()) {
                best = Some((stage, prefix));
            }
        }
    }
    best
}

/// The module path of a library file: `src/policy/lower/keys.rs` →
/// `policy::lower::keys`.
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// `text` with comments, string and char literals blanked to spaces (line
/// breaks kept, so offsets still give line numbers): a `crate::` or a brace
/// inside them is not code.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut out[from..to] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let end = text[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
            blank(&mut out, i, end);
            i = end;
        } else if let Some(hashes) = raw_string_start(rest) {
            let body = i + 2 + hashes;
            let close = format!("\"{}", "#".repeat(hashes));
            let end = text[body..]
                .find(&close)
                .map_or(bytes.len(), |n| body + n + close.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            let end = (j + 1).min(bytes.len());
            blank(&mut out, i, end);
            i = end;
        } else if rest[0] == b'\'' {
            // A char literal (`'{'`, `'\''`), not a lifetime (`'a`).
            let len = if rest.get(1) == Some(&b'\\') {
                rest.iter().skip(2).position(|&b| b == b'\'').map(|n| n + 3)
            } else {
                let c = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + c) == Some(&b'\'')).then_some(c + 2)
            };
            let end = i + len.unwrap_or(1);
            if len.is_some() {
                blank(&mut out, i, end);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII was replaced")
}

/// `r"`, `r#"`, `br##"`…: the number of `#`s.
fn raw_string_start(rest: &[u8]) -> Option<usize> {
    let rest = rest.strip_prefix(b"b").unwrap_or(rest);
    let rest = rest.strip_prefix(b"r")?;
    let hashes = rest.iter().take_while(|&&b| b == b'#').count();
    (rest.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// `code` with every `#[cfg(test)]` item blanked: unit tests may drive the
/// whole pipeline to get a model to test against; only shipped code is
/// layered.
fn without_test_items(code: &str) -> String {
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|n| from + n) {
        let Some(open) = out[at..].find('{').map(|n| at + n) else {
            break;
        };
        // A `#[cfg(test)] use …;` ends before any brace.
        let end = match out[at..open].find(';') {
            Some(semi) => at + semi + 1,
            None => matching_brace(&out, open).map_or(out.len(), |n| n + 1),
        };
        let blanked: String = out[at..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in code.bytes().enumerate().skip(open) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Expands a path that may hold brace groups (`a::{b, c::{d, e}}`) into
/// every full path, each with the offset where it is written (`at` is the
/// offset of `text`); `self` inside a group names the group's own path.
fn expand(prefix: &str, text: &str, at: usize, out: &mut Vec<(usize, String)>) {
    let at = at + (text.len() - text.trim_start().len());
    let text = text.trim();
    let join = |tail: &str| {
        if prefix.is_empty() {
            tail.to_owned()
        } else if tail == "self" {
            prefix.to_owned()
        } else {
            format!("{prefix}::{tail}")
        }
    };
    let Some(open) = text.find('{') else {
        let head = path_head(text);
        if !head.is_empty() {
            out.push((at, join(&head)));
        }
        return;
    };
    let written = text[..open].trim().trim_end_matches("::");
    let base = if written.is_empty() {
        prefix.to_owned()
    } else {
        join(written)
    };
    let close = matching_brace(text, open).unwrap_or(text.len());
    let inner = &text[open + 1..close];
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                expand(&base, &inner[start..i], at + open + 1 + start, out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand(&base, &inner[start..], at + open + 1 + start, out);
}

/// `policy::raw::Foo;` → `policy::raw::Foo` (identifiers and `::` only).
fn path_head(text: &str) -> String {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches(':').to_owned()
}

/// Every path a file's code reaches into the crate, as `(line, path from
/// the crate root)`; `super::` is resolved against `module`.
fn crate_paths(module: &str, code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start).map(|n| from + n) {
            from = at + start.len();
            let before = code[..at].chars().next_back().unwrap_or(' ');
            // Part of a longer path or name (`$crate::`, `a::super::`), or a
            // visibility (`pub(in crate::x)`).
            if before.is_alphanumeric() || before == '_' || before == '$' || before == ':' {
                continue;
            }
            if code[..at].trim_end().ends_with("(in") {
                continue;
            }
            // The base the path starts from, climbing one module per `super::`.
            let mut rest = &code[at..];
            let mut base: Vec<&str> = if start == "crate::" {
                rest = &rest["crate::".len()..];
                Vec::new()
            } else {
                module.split("::").collect()
            };
            while let Some(after) = rest.strip_prefix("super::") {
                base.pop();
                rest = after;
            }
            // The path runs to the end of its brace group, or of its name.
            let end = if rest.starts_with('{') {
                matching_brace(rest, 0).map_or(rest.len(), |n| n + 1)
            } else {
                let head = path_head(rest);
                match rest[head.len()..].strip_prefix("::{") {
                    Some(_) => {
                        let open = head.len() + 2;
                        matching_brace(rest, open).map_or(rest.len(), |n| n + 1)
                    }
                    None => head.len(),
                }
            };
            // `crate::declare_rule!` is a `#[macro_export]` macro, which lives
            // at the crate root whichever module defines it.
            if rest[end..].starts_with('!') {
                continue;
            }
            let mut paths = Vec::new();
            let rest_at = code.len() - rest.len();
            expand(&base.join("::"), &rest[..end], rest_at, &mut paths);
            found.extend(
                paths
                    .into_iter()
                    .map(|(offset, p)| (code[..offset].matches('\n').count() + 1, p)),
            );
        }
    }
    found
}

/// What the crate root re-exports: name → the module path it comes from.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = code_only(lib);
    for statement in code.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let mut paths = Vec::new();
        expand("", path, 0, &mut paths);
        for (_, full) in paths {
            let name = full.rsplit("::").next().unwrap_or(&full).to_owned();
            names.insert(name, full);
        }
    }
    names
}

struct Crate {
    modules: Vec<String>,
    reexports: BTreeMap<String, String>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read lib.rs");
        let modules = code_only(&lib)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub mod "))
            .map(|m| m.trim_end_matches(';').trim().to_owned())
            .collect();
        Crate {
            modules,
            reexports: root_reexports(&lib),
        }
    }

    /// A path from the crate root made into a module path: a re-exported
    /// name is the module it comes from.
    fn resolve(&self, path: &str) -> Result<String, String> {
        let head = path.split("::").next().unwrap_or(path);
        if self.modules.iter().any(|m| m == head) {
            return Ok(path.to_owned());
        }
        match self.reexports.get(head) {
            Some(origin) => Ok(origin.clone()),
            None => Err(format!(
                "`crate::{path}` is neither a module nor a re-export"
            )),
        }
    }
}

/// Every back-edge in one file's text, as `file:line: message`.
fn back_edges(krate: &Crate, file: &str, module: &str, text: &str) -> Vec<String> {
    let Some((own, own_prefix)) = stage_of(module) else {
        return vec![format!(
            "{file}: module `{module}` has no stage; add it to STAGES in tests/layering.rs"
        )];
    };
    let code = without_test_items(&code_only(text));
    let mut found = Vec::new();
    for (line, path) in crate_paths(module, &code) {
        let target = match krate.resolve(&path) {
            Ok(target) => target,
            Err(why) => {
                found.push(format!("{file}:{line}: {why}"));
                continue;
            }
        };
        match stage_of(&target) {
            Some((stage, prefix)) if stage > own => found.push(format!(
                "{file}:{line}: `{module}` (stage `{own_prefix}`) uses `{target}` \
                 (stage `{prefix}`), a later stage"
            )),
            Some(_) => {}
            None => found.push(format!(
                "{file}:{line}: `{target}` has no stage; add it to STAGES in tests/layering.rs"
            )),
        }
    }
    found
}

fn library_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            library_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The library's files (not the binary, not the crate root), relative to src/.
fn library() -> Vec<PathBuf> {
    let src = src();
    let mut files = Vec::new();
    library_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| p.strip_prefix(&src).expect("under src/").to_path_buf())
        .filter(|r| r != Path::new("main.rs") && r != Path::new("lib.rs") && !r.starts_with("cli"))
        .collect()
}

#[test]
fn no_stage_uses_a_later_stage() {
    let krate = Crate::read(&src());
    let files = library();
    assert!(
        files.len() > 50,
        "scanned only {} files under src/",
        files.len()
    );
    let mut problems = Vec::new();
    for relative in &files {
        let text = std::fs::read_to_string(src().join(relative)).expect("read source");
        problems.extend(back_edges(
            &krate,
            &format!("src/{}", relative.display()),
            &module_of(relative),
            &text,
        ));
    }
    assert!(
        problems.is_empty(),
        "stages reach back:\n{}",
        problems.join("\n")
    );
}

/// The crate root declares modules and re-exports, nothing else: code there
/// would sit outside every stage.
#[test]
fn the_crate_root_holds_no_code() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("read lib.rs");
    let code = code_only(&lib);
    let statements: Vec<&str> = code
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter(|s| !(s.starts_with("pub mod ") || s.starts_with("pub use ")))
        .collect();
    assert!(
        statements.is_empty(),
        "src/lib.rs holds more than modules and re-exports: {statements:?}"
    );
}

/// Command-line parsing is the binary's job (ripgrep's rule: flags stay out
/// of the library); library enums describe their values for `cli::choices`.
#[test]
fn the_library_does_not_use_clap() {
    let mut found = Vec::new();
    for relative in library() {
        let text = std::fs::read_to_string(src().join(&relative)).expect("read source");
        for (n, line) in code_only(&text).lines().enumerate() {
            if line.contains("clap::") || line.contains("use clap") {
                found.push(format!("src/{}:{}", relative.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "clap in the library: {found:?}");
}

fn test_crate() -> Crate {
    Crate {
        modules: [
            "source", "diag", "policy", "render", "lint", "check", "verify",
        ]
        .map(String::from)
        .to_vec(),
        reexports: root_reexports(
            "pub use check::{FileReport, check_path};\npub use render::render_report;\n",
        ),
    }
}

fn edges(file: &str, module: &str, text: &str) -> Vec<String> {
    back_edges(&test_crate(), file, module, text)
}

#[test]
fn a_back_edge_is_found_with_its_line() {
    let text = "//! doc\nuse crate::diag::Diagnostic;\nuse crate::{source::Span, render::acl};\n";
    let found = edges("src/policy/lower/keys.rs", "policy::lower::keys", text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("src/policy/lower/keys.rs:3: `policy::lower::keys` (stage `policy`) uses `render::acl` (stage `render`)"),
        "{}",
        found[0]
    );
}

#[test]
fn paths_hidden_in_groups_calls_and_supers_are_found() {
    let m = "policy::lower::keys";
    let f = "src/policy/lower/keys.rs";
    // A group wrapped over lines, nested groups.
    let wrapped = "use crate::{\n    diag::Diagnostic,\n    policy::{model, raw},\n    render::{acl, lock::Lock},\n};\n";
    let found = edges(f, m, wrapped);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with(&format!("{f}:4:")), "{found:?}");
    // A path inside a call, and one climbing with `super::`.
    assert_eq!(edges(f, m, "let x = Some(crate::render::x());").len(), 1);
    assert_eq!(
        edges(f, m, "use super::super::super::render::acl;").len(),
        1
    );
    assert!(edges(f, m, "use super::super::model::Policy;").is_empty());
    // A re-exported root item is the module it comes from.
    assert_eq!(edges(f, m, "fn f(r: &crate::FileReport) {}").len(), 1);
    assert_eq!(edges(f, m, "let r = crate::render_report(x);").len(), 1);
}

#[test]
fn comments_strings_visibility_macros_and_tests_are_not_paths() {
    let f = "src/lint/rules/x.rs";
    let m = "lint::rules::x";
    assert!(
        edges(
            f,
            m,
            "// see crate::render::acl\nlet s = \"crate::render\";"
        )
        .is_empty()
    );
    assert!(edges(f, m, "pub(crate) fn f() {}\npub(in crate::lint) fn g() {}").is_empty());
    assert!(edges(f, m, "crate::declare_rule! {").is_empty());
    // A test item anywhere in a file, with shipped code after it.
    let text = "#[cfg(test)]\nmod fixture {\n    use crate::check_path;\n    const B: char = '}';\n}\nuse crate::render::x;\n";
    let found = edges(f, m, text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(&format!("{f}:6:")), "{found:?}");
}

#[test]
fn unknown_modules_and_root_items_are_reported() {
    assert!(edges("src/typescript.rs", "typescript", "")[0].contains("has no stage"));
    assert!(
        edges("src/lint/x.rs", "lint::x", "use crate::nothing_here;")[0]
            .contains("neither a module nor a re-export")
    );
}

#[test]
fn a_submodule_takes_the_stage_of_its_longest_prefix() {
    let krate = Crate {
        modules: vec!["policy".into(), "schema".into()],
        reexports: BTreeMap::new(),
    };
    // `policy::raw` comes before `schema`, the rest of `policy` after it.
    assert!(back_edges(&krate, "src/schema.rs", "schema", "use crate::policy::raw;").is_empty());
    assert_eq!(
        back_edges(
            &krate,
            "src/schema.rs",
            "schema",
            "use crate::policy::model::Policy;"
        )
        .len(),
        1
    );
}
