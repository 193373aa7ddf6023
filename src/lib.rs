//! cachegen: a policy-as-code compiler for cache configuration.
//!
//! One pipeline, one module per stage:
//! `load` (YAML → spanned tree) → `schema` (JSON Schema) → `policy::lower`
//! (validated `model::Policy`) → `lint` → `render` (files in memory) →
//! `build` (atomic write or `--check`). The library's surface is `check_path`
//! / `check_bytes`, `render_report` and the diagnostic types; the binary only
//! parses arguments, calls these and maps the result to an exit code.

pub mod analysis;
pub mod build;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod graph;
pub mod keys;
pub mod lint;
pub mod load;
pub mod policy;
pub mod redis_directives;
pub mod render;
pub mod schema;
pub mod source;
pub mod verifier;
pub mod verify;

use diag::{Diagnostic, Severity, codes};
use lint::LevelOverrides;
use policy::model::Policy;
use source::SourceFile;
use std::path::Path;

/// The outcome of checking one policy file.
#[derive(Debug)]
pub struct FileReport {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    /// The file could not be read or parsed as YAML at all (exit code 2).
    pub unreadable: bool,
    /// The validated model, when lowering got that far.
    pub policy: Option<Policy>,
}

impl FileReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Options that change what `check` reports.
#[derive(Debug, Default, Clone)]
pub struct CheckOptions {
    pub overrides: LevelOverrides,
}

/// Reads and checks one policy file. Never fails: an unreadable file is a
/// report with a CG001 diagnostic.
pub fn check_path(path: &Path, options: &CheckOptions) -> FileReport {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(&name, &bytes, options),
        Err(err) => FileReport {
            source: SourceFile::new(name.clone(), ""),
            diagnostics: vec![Diagnostic::new(
                codes::IO,
                format!("cannot read `{name}`: {err}"),
            )],
            unreadable: true,
            policy: None,
        },
    }
}

/// Renders a checked policy. `None` when the report has error-level findings
/// or no model: a policy with errors builds nothing.
pub fn render_report(
    report: &FileReport,
    templates: &render::Templates,
) -> Option<Result<Vec<render::OutputFile>, render::RenderError>> {
    if report.unreadable || report.count(Severity::Error) > 0 {
        return None;
    }
    let policy = report.policy.as_ref()?;
    let origin = render::Origin::new(policy, report.source.name(), report.source.text());
    Some(render::render_all(policy, &origin, templates))
}

/// The default policy name: the file stem, made into a DNS label.
fn default_policy_name(file_name: &str) -> String {
    let stem = Path::new(file_name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy");
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(40)
        .collect();
    if cleaned.is_empty() {
        "policy".into()
    } else {
        cleaned
    }
}

/// Checks policy bytes through every stage and returns all diagnostics.
pub fn check_bytes(name: &str, bytes: &[u8], options: &CheckOptions) -> FileReport {
    let source = match load::decode(name, bytes) {
        Ok(source) => source,
        Err(failed) => {
            let (source, diag) = *failed;
            return FileReport {
                source,
                diagnostics: vec![diag],
                unreadable: true,
                policy: None,
            };
        }
    };
    let loaded = load::parse(&source);
    let mut diagnostics = loaded.diagnostics;
    let Some(root) = loaded.root else {
        if diagnostics.is_empty() {
            // Valid YAML with no document at all: empty, or only comments.
            diagnostics.push(
                Diagnostic::new(codes::SCHEMA, "the policy is empty")
                    .with_help("a policy needs at least `version: 1`, `ttl`, `keys` and `redis`; start from policies/quizmentor.yaml"),
            );
            return finish(source, diagnostics, false, None);
        }
        return finish(source, diagnostics, true, None);
    };
    if !matches!(root.kind, load::NodeKind::Map(_)) {
        diagnostics.push(
            Diagnostic::new(codes::SCHEMA, "a policy must be a YAML mapping")
                .with_span(root.span, "expected `version: 1` and the policy sections")
                .with_help("start from policies/quizmentor.yaml"),
        );
        return finish(source, diagnostics, false, None);
    }
    let (json, spans) = load::to_json(&root);
    drop(root);
    let (schema_diags, unknown) = schema::validate(&json, &spans);
    diagnostics.extend(schema_diags);
    let lowered = policy::lower::lower(&source, &default_policy_name(name), json, &unknown, spans);
    diagnostics.extend(lowered.diagnostics);
    if let Some(policy) = &lowered.policy {
        let mut lint_diags = lint::run(policy, &options.overrides);
        lint::suppress::apply(&source, &loaded.comments, &mut lint_diags);
        diagnostics.extend(lint_diags);
    }
    finish(source, diagnostics, false, lowered.policy)
}

/// Most diagnostics reported per file. Past this a file is not a policy with
/// mistakes but something else (generated junk, the wrong file), and printing
/// tens of thousands of snippets only hides the first, useful ones.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 500;

fn finish(
    source: SourceFile,
    mut diagnostics: Vec<Diagnostic>,
    unreadable: bool,
    policy: Option<Policy>,
) -> FileReport {
    diag::sort(&mut diagnostics);
    if diagnostics.len() > MAX_DIAGNOSTICS_PER_FILE {
        let hidden = diagnostics.len() - MAX_DIAGNOSTICS_PER_FILE;
        // The summary is as severe as the worst finding it hides: a large
        // policy with thousands of notes must not fail because of them.
        let worst = diagnostics[MAX_DIAGNOSTICS_PER_FILE..]
            .iter()
            .map(|d| d.severity)
            .max()
            .unwrap_or(Severity::Error);
        diagnostics.truncate(MAX_DIAGNOSTICS_PER_FILE);
        diagnostics.push(
            Diagnostic::new(codes::INPUT_LIMIT, format!("{hidden} more problems not shown; cachegen reports at most {MAX_DIAGNOSTICS_PER_FILE} per file"))
                .with_help("fix the ones above first; is this the right file?")
                .with_severity(worst),
        );
    }
    FileReport {
        source,
        diagnostics,
        unreadable,
        policy,
    }
}
