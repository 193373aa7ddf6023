//! The generated TypeScript module is portable as its header promises: it
//! compiles with `lib` ES2020 alone (no DOM, no Node types: Workers,
//! browsers, any runtime), with no imports, and in projects that refuse
//! unused code (`noUnusedLocals`, `noUnusedParameters`), for every kind of
//! policy, including one with no events, edge, client or warming; its
//! output is deterministic and each of its templates says what it owns.

mod support;
use support::node::{ts_project_with, tsc};
use support::render::{EDGE_CASES, render, render_text};

use cachegen::render::typescript;

/// `strict` on an ES2020-only runtime: no `lib` beyond the language, no
/// ambient types, every unused local or parameter an error.
const PORTABLE: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "noUnusedLocals": true,
    "noUnusedParameters": true,
    "noUncheckedIndexedAccess": true,
    "exactOptionalPropertyTypes": true,
    "target": "es2020",
    "lib": ["es2020"],
    "types": [],
    "module": "es2020",
    "moduleResolution": "bundler",
    "noEmit": true
  }
}
"#;

/// Keys only: no events, tag sets, locks, edge, client or warming.
const KEYS_ONLY: &str = r#"
version: 1
name: keys-only
ttl:
  default: 1m
keys:
  placeholders:
    id: int
  patterns:
    item:
      pattern: "item:<id>"
redis:
  version: "7.0"
  maxmemory: 64mb
  maxmemory_policy: allkeys-lru
"#;

fn path(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_module_compiles_on_es2020_alone_without_imports_or_unused_code() {
    let rendered = vec![
        render(&path("policies/quizmentor.yaml")),
        render(&path("policies/shop.yaml")),
        render(&path("tests/fixtures/build-regex.yaml")),
        render(&path("tests/fixtures/build-ip.yaml")),
        render(&path("tests/fixtures/build-typescript-edge.yaml")),
        render_text("edge-cases.yaml", EDGE_CASES),
        render_text("keys-only.yaml", KEYS_ONLY),
    ];
    let mut sources = Vec::new();
    for (report, files) in &rendered {
        let policy = report.policy.as_ref().expect("a model");
        let wanted = typescript::output_path(policy);
        let file = files
            .iter()
            .find(|f| f.path == wanted)
            .unwrap_or_else(|| panic!("{wanted} not rendered"));
        assert!(
            !file
                .contents
                .lines()
                .any(|l| l.trim_start().starts_with("import ")),
            "{wanted} imports something; the module promises no imports"
        );
        sources.push((format!("{}.ts", policy.name), file.contents.clone()));
    }
    let refs: Vec<(&str, &str)> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let project = ts_project_with(PORTABLE, &refs);
    let (ok, diagnostics) = tsc(project.path());
    assert!(ok, "tsc (ES2020 lib only, no unused code):\n{diagnostics}");
}

#[test]
fn typescript_output_is_deterministic_and_named_after_the_policy() {
    let (report, first) = render(&path("policies/quizmentor.yaml"));
    let wanted = typescript::output_path(report.policy.as_ref().expect("model"));
    assert_eq!(wanted, "typescript/quizmentor-cache.ts");
    let (_, second) = render(&path("policies/quizmentor.yaml"));
    let module = |files: &[cachegen::render::OutputFile]| {
        files
            .iter()
            .find(|f| f.path == wanted)
            .map(|f| f.contents.clone())
            .expect("the module")
    };
    assert_eq!(module(&first), module(&second));
}

/// Every included part of the module opens with a comment saying what it
/// owns; the entry template opens with the generated-file header.
#[test]
fn every_typescript_template_opens_with_what_it_owns() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/typescript");
    let paths: Vec<_> = std::fs::read_dir(dir)
        .expect("templates")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("a template");
        let opening = if path.ends_with("cache.ts.j2") {
            "{{ header }}\n"
        } else {
            "{#- "
        };
        assert!(
            text.starts_with(opening),
            "{} must open with `{opening}`",
            path.display()
        );
    }
}
