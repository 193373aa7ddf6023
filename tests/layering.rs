//! Owns the rule that pipeline stages never reach back: every `crate::…`
//! path in the library is read per file, and a path into a later stage than
//! the file's own fails the test with the file and line.
//!
//! The order is ARCHITECTURE.md's: facts and source text, then load → schema
//! → policy → analysis/graph → lint → the pipeline driver → output, render,
//! explain, diff → build → verify. The binary (`src/main.rs`, `src/cli/`)
//! comes last and uses the library by its name, so it is not scanned.

use std::path::{Path, PathBuf};

/// Module path prefixes and their stage; the longest matching prefix wins.
/// Modules on one line are one stage and may use each other.
const STAGES: &[&[&str]] = &[
    &["source", "verifier"],
    &["diag"],
    &["load"],
    &["keys"],
    &["policy::raw"],
    &["schema"],
    &["policy"],
    &["redis_directives"],
    &["analysis", "graph"],
    &["lint"],
    // The crate root's items (`crate::FileReport`, `crate::check_path`) are
    // the pipeline driver, which runs every stage above.
    &["check", ""],
    &["output", "render", "explain", "diff"],
    &["build"],
    &["verify"],
];

/// How a stage is named in a failure message.
fn stage_name(prefix: &str) -> &str {
    if prefix.is_empty() {
        "the crate root"
    } else {
        prefix
    }
}

fn stage_of(module: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (stage, prefixes) in STAGES.iter().enumerate() {
        for prefix in *prefixes {
            let matches = prefix.is_empty()
                || module == *prefix
                || module.starts_with(&format!("{prefix}::"));
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

/// The module paths a line of code reaches through `crate::`, with what
/// follows brace groups expanded far enough to find each target module
/// (`use crate::{diag::Diagnostic, load::units}`).
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `pub(crate)` and `$crate` are not paths into the crate.
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        if before.ends_with('$') || before.ends_with('(') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let item = item.trim();
                if !item.is_empty() {
                    found.push(path_head(item));
                }
            }
        } else {
            let head = path_head(rest);
            // `crate::declare_rule!` is a `#[macro_export]` macro, which
            // lives at the crate root whichever module defines it.
            if !rest[head.len()..].starts_with('!') {
                found.push(head);
            }
        }
    }
    found
}

/// `policy::raw::Foo;` → `policy::raw::Foo` (identifiers and `::` only).
fn path_head(text: &str) -> String {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches(':').to_owned()
}

/// Every back-edge in one file's text, as `file:line: message`.
fn back_edges(file: &str, module: &str, text: &str) -> Vec<String> {
    let Some((own, own_prefix)) = stage_of(module) else {
        return vec![format!(
            "{file}: module `{module}` has no stage; add it to STAGES"
        )];
    };
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // Unit tests (by convention the end of a file) may drive the whole
        // pipeline to get a model to test against; only shipped code is layered.
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        for path in crate_paths(line) {
            let Some((target, target_prefix)) = stage_of(&path) else {
                continue;
            };
            if target > own {
                found.push(format!(
                    "{file}:{}: `{module}` (stage `{}`) uses `crate::{path}` \
                     (stage `{}`), a later stage",
                    n + 1,
                    stage_name(own_prefix),
                    stage_name(target_prefix),
                ));
            }
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

#[test]
fn no_stage_uses_a_later_stage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    library_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut scanned = 0;
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let first = relative.components().next().map(|c| c.as_os_str());
        // The binary and the crate root (module declarations and re-exports).
        if relative == Path::new("main.rs")
            || relative == Path::new("lib.rs")
            || first.is_some_and(|c| c == "cli")
        {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read source");
        scanned += 1;
        problems.extend(back_edges(
            &format!("src/{}", relative.display()),
            &module_of(relative),
            &text,
        ));
    }
    assert!(scanned > 50, "scanned only {scanned} files under src/");
    assert!(
        problems.is_empty(),
        "stages reach back:\n{}",
        problems.join("\n")
    );
}

/// Command-line parsing is the binary's job (ripgrep's rule: flags stay out
/// of the library); library enums describe their values for `cli::choices`.
#[test]
fn the_library_does_not_use_clap() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    library_files(&src, &mut files);
    let mut found = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        if relative == Path::new("main.rs") || relative.starts_with("cli") {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read source");
        for (n, line) in text.lines().enumerate() {
            if line.contains("clap::") || line.contains("use clap") {
                found.push(format!("src/{}:{}", relative.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "clap in the library: {found:?}");
}

#[test]
fn a_back_edge_is_found_with_its_line() {
    let text = "//! doc\nuse crate::diag::Diagnostic;\nuse crate::{source::Span, render::acl};\n";
    let found = back_edges("src/policy/lower/keys.rs", "policy::lower::keys", text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("src/policy/lower/keys.rs:3: `policy::lower::keys` (stage `policy`) uses `crate::render::acl` (stage `render`)"),
        "{}",
        found[0]
    );
}

#[test]
fn a_submodule_takes_the_stage_of_its_longest_prefix() {
    // `policy::raw` comes before `schema`, the rest of `policy` after it.
    assert!(back_edges("src/schema.rs", "schema", "use crate::policy::raw;").is_empty());
    assert_eq!(
        back_edges(
            "src/schema.rs",
            "schema",
            "use crate::policy::model::Policy;"
        )
        .len(),
        1
    );
    // Root items are the pipeline driver's, later than lint.
    assert_eq!(
        back_edges(
            "src/lint/mod.rs",
            "lint",
            "let x = crate::FileReport::new();"
        )
        .len(),
        1
    );
    assert!(back_edges("src/lint/mod.rs", "lint", "pub(crate) fn f() {}").is_empty());
    assert!(
        back_edges(
            "src/lint/rules/x.rs",
            "lint::rules::x",
            "crate::declare_rule! {"
        )
        .is_empty()
    );
    let test_module = "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::check_bytes;\n}\n";
    assert!(back_edges("src/lint/rules/x.rs", "lint::rules::x", test_module).is_empty());
}
