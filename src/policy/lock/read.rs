//! Owns reading a `policy.lock.json` back, so that `verify` can run where
//! only the generated files are deployed.
//!
//! The lock is not validated by rules of its own. It is deserialized into
//! the lock types (`de` reports every misfit where it is), then converted
//! into the policy file's raw JSON form, which the driver hands to the same
//! `schema::validate` and `policy::lower` as a policy file, so every rule is
//! written once. The span index that goes with it maps each raw pointer to
//! where the lock holds that value (`/redis/maxmemory` →
//! `/redis/config/maxmemory`), so diagnostics of any later stage point into
//! the lock file. Values the lock derives from others (key shapes, tag
//! members, maximum TTLs, the cluster's `CONFIG GET` strings, the header) are
//! not read: the driver builds the lock again from the model, and `compare`
//! reports a value that differs where it is.

use super::de::{self, Problem};
use super::{LOCK_FORMAT, LOCK_VERSION, Lock};
use crate::diag::{Diagnostic, codes};
use crate::load::{self, NodeKind, SpanIndex, escape_pointer_token as esc};
use crate::policy::model::Provenance;
use crate::schema::{did_you_mean, display_pointer};
use crate::source::{SourceFile, Span};
use serde_json::Value;

mod config;
mod to_raw;

const REBUILD: &str =
    "`cachegen build` writes this file; rebuild it from the policy rather than editing it";

/// A lock file read as far as it goes.
pub struct Opened {
    /// The lock as read, and where each of its pointers is in the file.
    pub json: Value,
    pub spans: SpanIndex,
    /// Its policy-file form; `None` when its shape is broken (reported).
    pub policy: Option<AsPolicy>,
}

/// A lock in the policy file's raw JSON form, ready for `schema` + `lower`.
pub struct AsPolicy {
    pub raw: Value,
    /// Raw pointers → spans in the lock file.
    pub spans: SpanIndex,
    /// The policy file the lock was built from.
    pub provenance: Provenance,
}

/// Reads a parsed lock file. `None` when it is not a lock this cachegen
/// can read at all (not one JSON object, another format, a newer version):
/// the caller reports the file as unreadable. Problems inside a lock are
/// ordinary error diagnostics, pushed onto `diagnostics`.
pub fn open(
    source: &SourceFile,
    root: Option<load::Node>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Opened> {
    let Some(root) = root else {
        if diagnostics.is_empty() {
            diagnostics.push(
                Diagnostic::new(codes::SCHEMA, "the lock file is empty")
                    .with_span(Span::new(0, 0), "no JSON object")
                    .with_help(REBUILD),
            );
        }
        return None;
    };
    // The YAML loader gives every node a span, and JSON is YAML; but so is
    // much that is not JSON, and a lock is always one JSON object.
    let text = source.text();
    let first = text.len() - text.trim_start().len();
    if !text[first..].starts_with('{') || !matches!(root.kind, NodeKind::Map(_)) {
        let width = text[first..].chars().next().map_or(0, char::len_utf8);
        diagnostics.push(
            Diagnostic::new(
                codes::SCHEMA,
                "not a policy lock: a policy.lock.json is one JSON object",
            )
            .with_span(Span::new(first, first + width), "expected `{`")
            .with_help(REBUILD),
        );
        return None;
    }
    let (json, spans) = load::to_json(&root);
    drop(root);
    if let Err(d) = check_header(&json, &spans) {
        diagnostics.push(*d);
        return None;
    }
    let (lock, problems) = de::deserialize::<Lock>(&json);
    let mut reader = Reader {
        spans: &spans,
        diags: Vec::new(),
        links: Vec::new(),
        unwritten: Vec::new(),
    };
    for problem in problems {
        reader.report(problem, &json);
    }
    let policy = match lock {
        Some(lock) if reader.diags.is_empty() => reader.lock(&lock).map(|(raw, provenance)| {
            let spans = reader.index();
            AsPolicy {
                raw,
                spans,
                provenance,
            }
        }),
        _ => None,
    };
    diagnostics.append(&mut reader.diags);
    Some(Opened {
        json,
        spans,
        policy,
    })
}

fn value_span(spans: &SpanIndex, pointer: &str) -> Span {
    spans.value(pointer).unwrap_or_default()
}

/// Where to report something missing from the object at `pointer`: the key
/// that names it, or its opening `{` (not the whole object, which may be
/// the whole file).
fn opening_span(spans: &SpanIndex, pointer: &str) -> Span {
    spans.key(pointer).unwrap_or_else(|| {
        let whole = value_span(spans, pointer);
        Span::new(whole.start, (whole.start + 1).min(whole.end))
    })
}

/// `format` and `version` first: nothing else means anything in a file of
/// another format or a newer version.
fn check_header(json: &Value, spans: &SpanIndex) -> Result<(), Box<Diagnostic>> {
    let fail = |message: String, pointer: &str, label: &str, help: String| {
        let span = if pointer.is_empty() {
            opening_span(spans, pointer)
        } else {
            value_span(spans, pointer)
        };
        Err(Box::new(
            Diagnostic::new(codes::SCHEMA, message)
                .with_span(span, label)
                .with_help(help),
        ))
    };
    let expected_help = format!(
        "a policy lock starts with `\"format\": \"{LOCK_FORMAT}\"`; `cachegen build` writes one as generated/<policy>/policy.lock.json"
    );
    match json.get("format") {
        Some(Value::String(f)) if f == LOCK_FORMAT => {}
        Some(other) => {
            return fail(
                format!("not a policy lock: `format` is {}", short(other)),
                "/format",
                "unknown format",
                expected_help,
            );
        }
        None => {
            return fail(
                "not a policy lock: no `format` field".into(),
                "",
                "no `format`",
                expected_help,
            );
        }
    }
    match json.get("version").map(|v| (v, v.as_u64())) {
        Some((_, Some(v))) if v == u64::from(LOCK_VERSION) => Ok(()),
        Some((_, Some(v))) if v > u64::from(LOCK_VERSION) => fail(
            format!(
                "this lock is format version {v}, written by a newer cachegen; this one reads version {LOCK_VERSION}"
            ),
            "/version",
            "newer format",
            "run the cachegen that built it, or rebuild the lock with this one".into(),
        ),
        Some((other, _)) => fail(
            format!("unknown lock format version {}", short(other)),
            "/version",
            "unknown version",
            format!("this cachegen reads lock format version {LOCK_VERSION}"),
        ),
        None => fail(
            "the lock has no `version` field".into(),
            "",
            "no `version`",
            format!("this cachegen reads lock format version {LOCK_VERSION}"),
        ),
    }
}

/// A JSON value for a message: compact, and cut short.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Converts the lock types into the policy file's JSON form, and records
/// which raw pointer came from which lock pointer.
struct Reader<'a> {
    spans: &'a SpanIndex,
    diags: Vec<Diagnostic>,
    /// (raw pointer, lock pointer).
    links: Vec<(String, String)>,
    /// The same, for raw fields the policy file did not write (a pattern's
    /// TTL from `ttl.default`): located in the lock, but without a key, so
    /// `Policy::written_span` says they are not written.
    unwritten: Vec<(String, String)>,
}

impl Reader<'_> {
    fn span(&self, lock: &str) -> Span {
        value_span(self.spans, lock)
    }

    fn key_span(&self, lock: &str) -> Span {
        self.spans
            .key(lock)
            .unwrap_or_else(|| value_span(self.spans, lock))
    }

    fn link(&mut self, raw: &str, lock: &str) {
        self.links.push((raw.to_owned(), lock.to_owned()));
    }

    /// The span index `lower` and `schema` read: raw pointers, lock spans.
    fn index(&self) -> SpanIndex {
        let mut index = SpanIndex::default();
        for (raw, lock) in &self.links {
            if let Some((value, key)) = self.spans.entry(lock) {
                index.insert(raw.clone(), value, key);
            }
        }
        for (raw, lock) in &self.unwritten {
            if let Some((value, _)) = self.spans.entry(lock) {
                index.insert(raw.clone(), value, None);
            }
        }
        index
    }

    fn report(&mut self, problem: Problem, json: &Value) {
        let d = match problem {
            Problem::WrongType { pointer, expected } => {
                let found = json.pointer(&pointer).map_or("nothing", type_name);
                return self.wrong_type(&pointer, &expected, found);
            }
            Problem::Missing { object, field } => return self.missing(&object, field),
            Problem::Unknown {
                object,
                field,
                known,
            } => {
                let place = if object.is_empty() {
                    "at the top level".to_owned()
                } else {
                    format!("in `{}`", display_pointer(&object))
                };
                let d = Diagnostic::new(
                    codes::UNKNOWN_FIELD,
                    format!("unknown field `{}` {place}", field.escape_debug()),
                )
                .with_span(
                    self.key_span(&format!("{object}/{}", esc(&field))),
                    "not a lock field",
                );
                match did_you_mean(&field, known) {
                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                    None => d.with_help(REBUILD),
                }
            }
            Problem::Other { pointer, message } => Diagnostic::new(codes::SCHEMA, message)
                .with_span(opening_span(self.spans, &pointer), "")
                .with_help(REBUILD),
        };
        self.diags.push(d);
    }

    fn missing(&mut self, object: &str, field: &str) {
        let message = if object.is_empty() {
            format!("the lock has no `{field}`")
        } else {
            format!("`{}` has no `{field}`", display_pointer(object))
        };
        self.diags.push(
            Diagnostic::new(codes::SCHEMA, message)
                .with_span(
                    opening_span(self.spans, object),
                    format!("`{field}` missing"),
                )
                .with_help(REBUILD),
        );
    }

    fn wrong_type(&mut self, lock: &str, expected: &str, found: &str) {
        self.diags.push(
            Diagnostic::new(
                codes::SCHEMA,
                format!(
                    "`{}` must be {expected}, not {found}",
                    display_pointer(lock)
                ),
            )
            .with_span(self.span(lock), format!("expected {expected}"))
            .with_help(REBUILD),
        );
    }

    fn invalid(&mut self, code: crate::diag::Code, lock: &str, message: String, label: &str) {
        self.diags.push(
            Diagnostic::new(code, message)
                .with_span(self.span(lock), label)
                .with_help(REBUILD),
        );
    }
}

/// Compares the lock as the model gives it with the lock as read, and
/// reports each value that differs where the lock holds it.
pub fn compare(expected: &Lock, json: &Value, spans: &SpanIndex) -> Vec<Diagnostic> {
    let expected = serde_json::to_value(expected).unwrap_or_default();
    let mut diags = Vec::new();
    compare_values(&expected, json, "", spans, &mut diags);
    diags
}

fn compare_values(
    expected: &Value,
    actual: &Value,
    pointer: &str,
    spans: &SpanIndex,
    diags: &mut Vec<Diagnostic>,
) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, want_value) in want {
                let child = format!("{pointer}/{}", esc(key));
                match have.get(key) {
                    Some(have_value) => {
                        compare_values(want_value, have_value, &child, spans, diags)
                    }
                    None => diags.push(
                        Diagnostic::new(
                            codes::SCHEMA,
                            format!("`{}` is missing", display_pointer(&child)),
                        )
                        .with_span(opening_span(spans, pointer), format!("`{key}` missing"))
                        .with_help(REBUILD),
                    ),
                }
            }
            for key in have.keys().filter(|k| !want.contains_key(*k)) {
                let child = format!("{pointer}/{}", esc(key));
                diags.push(
                    Diagnostic::new(
                        codes::UNKNOWN_FIELD,
                        format!("unknown field `{}`", display_pointer(&child)),
                    )
                    .with_span(
                        spans
                            .key(&child)
                            .unwrap_or_else(|| value_span(spans, &child)),
                        "not a lock field",
                    )
                    .with_help(REBUILD),
                );
            }
        }
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                compare_values(w, h, &format!("{pointer}/{i}"), spans, diags);
            }
        }
        _ if expected == actual => {}
        _ => diags.push(
            Diagnostic::new(
                codes::INCONSISTENT,
                format!(
                    "`{}` is {}, but the rest of the lock gives {}",
                    display_pointer(pointer),
                    short(actual),
                    short(expected)
                ),
            )
            .with_span(value_span(spans, pointer), "inconsistent")
            .with_help(format!(
                "this value is derived from others in the lock; {REBUILD}"
            )),
        ),
    }
}
