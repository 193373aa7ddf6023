//! Owns the pipeline driver: one file's bytes through every stage (load,
//! schema, lower, lint) into a `FileReport`, for a policy file or for a
//! `policy.lock.json`, with the per-file cap on diagnostics applied in one
//! place (`finish`), so both kinds of input report alike.

use crate::diag::{self, Diagnostic, Severity, codes};
use crate::lint::{self, LevelOverrides};
use crate::load;
use crate::policy;
use crate::policy::lock;
use crate::policy::model::{Policy, Provenance};
use crate::redis_directives;
use crate::source::SourceFile;
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
        Err(err) => unreadable_file(name, &err),
    }
}

/// Reads the policy a model is wanted from: a `policy.lock.json` (any `.json`
/// file) or a policy file, chosen by the extension, as `verify` takes either.
pub fn load_policy(path: &Path) -> FileReport {
    if path.extension().is_some_and(|x| x == "json") {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => check_lock(&name, &bytes),
            Err(err) => unreadable_file(name, &err),
        }
    } else {
        check_path(path, &CheckOptions::default())
    }
}

fn unreadable_file(name: String, err: &std::io::Error) -> FileReport {
    let diagnostic = Diagnostic::new(codes::IO, format!("cannot read `{name}`: {err}"));
    FileReport {
        source: SourceFile::new(name, ""),
        diagnostics: vec![diagnostic],
        unreadable: true,
        policy: None,
    }
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

/// Decodes and parses; an undecodable file is already a finished report.
fn decode_and_parse(
    name: &str,
    bytes: &[u8],
) -> Result<(SourceFile, load::Loaded), Box<FileReport>> {
    match load::decode(name, bytes) {
        Ok(source) => {
            let loaded = load::parse(&source);
            Ok((source, loaded))
        }
        Err(failed) => {
            let (source, diag) = *failed;
            Err(Box::new(finish(source, vec![diag], true, None)))
        }
    }
}

/// `schema` then `lower`, on the JSON form of a policy and the spans its
/// pointers have in the file being checked.
fn validate(
    source: &SourceFile,
    default_name: &str,
    json: serde_json::Value,
    spans: load::SpanIndex,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Policy> {
    let (schema_diags, unknown) = crate::schema::validate(source, &json, &spans);
    diagnostics.extend(schema_diags);
    let lowered = policy::lower::lower(source, default_name, json, &unknown, spans);
    diagnostics.extend(lowered.diagnostics);
    lowered.policy
}

/// Checks policy bytes through every stage and returns all diagnostics.
pub fn check_bytes(name: &str, bytes: &[u8], options: &CheckOptions) -> FileReport {
    let (source, loaded) = match decode_and_parse(name, bytes) {
        Ok(loaded) => loaded,
        Err(report) => return *report,
    };
    let mut diagnostics = loaded.diagnostics;
    let Some(root) = loaded.root else {
        if diagnostics.is_empty() {
            // Valid YAML with no document at all: empty, or only comments.
            diagnostics.push(
                Diagnostic::new(codes::SCHEMA, "the policy is empty")
                    .with_help("a policy needs at least `version: 1`, `ttl`, `keys` and `redis`; `cachegen schema` prints the format"),
            );
            return finish(source, diagnostics, false, None);
        }
        return finish(source, diagnostics, true, None);
    };
    if !matches!(root.kind, load::NodeKind::Map(_)) {
        diagnostics.push(
            Diagnostic::new(codes::SCHEMA, "a policy must be a YAML mapping")
                .with_span(root.span, "expected `version: 1` and the policy sections")
                .with_help("`cachegen schema` prints the format"),
        );
        return finish(source, diagnostics, false, None);
    }
    let (json, spans) = load::to_json(&root);
    drop(root);
    let policy = validate(
        &source,
        &default_policy_name(name),
        json,
        spans,
        &mut diagnostics,
    );
    if let Some(policy) = &policy {
        let mut lint_diags = lint::run(policy, &options.overrides);
        let not_run = lint::not_run(policy);
        lint::suppress::apply(&source, &loaded.comments, &not_run, &mut lint_diags);
        diagnostics.extend(lint_diags);
    }
    finish(source, diagnostics, false, policy)
}

/// Reads a `policy.lock.json` into the validated model. Never panics; every
/// problem is a diagnostic with a span in the lock file.
///
/// `unreadable` is set when the file is not a lock this cachegen can read at
/// all (not JSON, another format, a newer version); problems inside a lock
/// are ordinary error diagnostics. As with `check_bytes`, a model may come
/// back together with errors: callers use it only when there are none.
pub fn check_lock(name: &str, bytes: &[u8]) -> FileReport {
    let (source, loaded) = match decode_and_parse(name, bytes) {
        Ok(loaded) => loaded,
        Err(report) => return *report,
    };
    let mut diagnostics = loaded.diagnostics;
    let Some(opened) = lock::read::open(&source, loaded.root, &mut diagnostics) else {
        return finish(source, diagnostics, true, None);
    };
    // A lock with a part missing or mistyped stops here: lowering the rest
    // would only add follow-on errors, worded for the policy file.
    let lock::read::Opened {
        json,
        spans,
        policy,
    } = opened;
    let Some(as_policy) = policy.filter(|_| !has_errors(&diagnostics)) else {
        return finish(source, diagnostics, false, None);
    };
    let provenance = as_policy.provenance;
    let mut policy = validate(
        &source,
        "policy",
        as_policy.raw,
        as_policy.spans,
        &mut diagnostics,
    );
    if let Some(policy) = &mut policy {
        // The `lint` section names rules as the policy did; an unknown or
        // repeated one is reported at its entry, as `check` does for YAML.
        diagnostics.extend(lint::levels::resolve(policy).diagnostics);
        if !has_errors(&diagnostics) {
            // Everything the lock derives must be what the model derives,
            // its `policy.sha256` (the model hash) included: a value edited
            // by hand is reported there.
            let expected = lock_for(policy, &provenance);
            diagnostics.extend(lock::read::compare(&expected, &json, &spans));
        }
        policy.provenance = Some(provenance);
    }
    finish(source, diagnostics, false, policy)
}

/// The lock of `policy`: the lock types, with every managed directive's
/// `CONFIG GET` string from `redis_directives` and the resolved `lint:`
/// levels from `lint::levels` (both later stages than the lock module, so
/// they meet here). The renderer writes this, and `check_lock`
/// compares a lock it read with it.
pub fn lock_for(policy: &Policy, source: &Provenance) -> lock::Lock {
    let config = policy
        .stores
        .values()
        .map(|store| {
            let directives = redis_directives::managed_directives(store)
                .into_iter()
                .map(|d| (d.name.to_owned(), d.config_get))
                .collect();
            (store.name.clone(), directives)
        })
        .collect();
    let lint_levels = lint::levels::resolve(policy).by_code;
    lock::write::lock(
        policy,
        source,
        lock::write::Derived {
            config,
            lint_levels,
        },
    )
}

/// The model sha256 every generated header and the lock carry: a function
/// of the model alone (`policy::lock::write::lock` says what it covers).
pub fn model_sha256(policy: &Policy) -> String {
    let source = Provenance {
        file_name: String::new(),
    };
    lock_for(policy, &source).policy.sha256
}

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Sorts the diagnostics and caps them at `diag::MAX_PER_FILE`.
fn finish(
    source: SourceFile,
    mut diagnostics: Vec<Diagnostic>,
    unreadable: bool,
    policy: Option<Policy>,
) -> FileReport {
    const MAX: usize = diag::MAX_PER_FILE;
    diag::sort(&mut diagnostics);
    if diagnostics.len() > MAX {
        let hidden = diagnostics.len() - MAX;
        // The summary is as severe as the worst finding it hides: a large
        // policy with thousands of notes must not fail because of them.
        let worst = diagnostics[MAX..]
            .iter()
            .map(|d| d.severity)
            .max()
            .unwrap_or(Severity::Error);
        diagnostics.truncate(MAX);
        diagnostics.push(
            Diagnostic::new(
                codes::INPUT_LIMIT,
                format!(
                    "{hidden} more problems not shown; cachegen reports at most {MAX} per file"
                ),
            )
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
