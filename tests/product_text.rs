//! cachegen's own words stand on their own: no diagnostic, code or rule doc,
//! help text, schema description or generated file speaks of one customer's
//! documents (issue 15 item 8: "the runbook's getTTL…", "the runbook runs 2").
//! A bundled policy may cite its sources in its own comments; those are the
//! policy's words, not cachegen's.

mod support;

use cachegen::diag::codes;
use cachegen::lint::registry::RULES;
use std::path::{Path, PathBuf};
use std::process::Command;

const FORBIDDEN: &str = "runbook";

/// The bundled example customer: fine in its own policy and generated files,
/// not in cachegen's codes, docs, help or schema.
const CUSTOMER: &str = "quizmentor";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(where, text)` pairs whose text mentions the forbidden word.
fn offenders<'a>(texts: impl IntoIterator<Item = (String, &'a str)>) -> Vec<String> {
    offenders_of(&[FORBIDDEN], texts)
}

/// `(where, text)` pairs whose text mentions any of `words`.
fn offenders_of<'a>(
    words: &[&str],
    texts: impl IntoIterator<Item = (String, &'a str)>,
) -> Vec<String> {
    texts
        .into_iter()
        .flat_map(|(w, t)| {
            t.lines()
                .filter(|l| {
                    let l = l.to_lowercase();
                    words.iter().any(|word| l.contains(word))
                })
                .map(move |l| format!("{w}: {l}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn codes_and_rule_docs_name_no_customer_document() {
    let all = codes::ALL.iter().chain(RULES.iter().map(|r| &r.code));
    let texts = all.flat_map(|c| {
        [
            (format!("{} summary", c.code), c.summary),
            (format!("{} docs", c.code), c.docs),
            (format!("{} name", c.code), c.name),
        ]
    });
    let bad = offenders_of(&[FORBIDDEN, CUSTOMER], texts);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn diagnostics_name_no_customer_document() {
    let mut files = Vec::new();
    yaml_files(&root().join("tests/fixtures"), &mut files);
    yaml_files(&root().join("policies"), &mut files);
    assert!(files.len() > 40, "fixtures found: {}", files.len());
    let mut bad = Vec::new();
    let mut seen = 0;
    for path in &files {
        let report = cachegen::check_path(path, &cachegen::CheckOptions::default());
        for d in &report.diagnostics {
            seen += 1;
            let at = format!("{} {}", path.display(), d.code.code);
            let texts = [
                (format!("{at} message"), Some(d.message.as_str())),
                (format!("{at} label"), d.label.as_deref()),
                (format!("{at} help"), d.help.as_deref()),
            ]
            .into_iter()
            .filter_map(|(w, t)| t.map(|t| (w, t)))
            .chain(
                d.related
                    .iter()
                    .map(|(_, l)| (format!("{at} related"), l.as_str())),
            );
            bad.extend(offenders(texts));
        }
    }
    // The fixtures report about ninety; an empty run would prove nothing.
    assert!(seen > 50, "only {seen} diagnostics checked");
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn generated_files_name_no_customer_document() {
    let mut files = Vec::new();
    yaml_files(&root().join("policies"), &mut files);
    assert!(!files.is_empty());
    let mut bad = Vec::new();
    for path in &files {
        let (_, rendered) = support::render::render(path.to_str().unwrap());
        bad.extend(offenders(rendered.iter().map(|f| {
            (
                format!("{} → {}", path.display(), f.path),
                f.contents.as_str(),
            )
        })));
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn schema_and_help_name_no_customer_document() {
    let schema = cachegen::schema::policy_schema_text();
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let man = String::from_utf8(out.stdout).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(["rule", "--all", "--markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rules = String::from_utf8(out.stdout).unwrap();
    let bad = offenders_of(
        &[FORBIDDEN, CUSTOMER],
        [
            ("schema".to_owned(), schema.as_str()),
            ("man page".to_owned(), man.as_str()),
            ("rule --all --markdown".to_owned(), rules.as_str()),
        ],
    );
    assert!(bad.is_empty(), "{bad:#?}");
}
