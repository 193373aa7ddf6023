//! Owns the JSON Schema of the policy format: generating it from `policy::raw`
//! with schemars, and turning every error `validate` finds in a loaded policy
//! (not just the first) into a diagnostic at its YAML span.

pub mod validate;

use crate::diag::{Diagnostic, codes};
// The one "did you mean": it lives in `diag` so the fact tables (an earlier
// stage) share it; lower and the lock reader import it from here.
pub use crate::diag::did_you_mean;
use crate::load::{SpanIndex, escape_pointer_token, units};
use crate::policy::raw;
use crate::source::{SourceFile, Span};
use serde_json::Value;
use std::sync::OnceLock;
use validate::{ErrorKind, SchemaError};

/// The policy schema (draft 2020-12), as committed in `schema/policy.schema.json`.
pub fn policy_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<raw::Policy>();
        serde_json::to_value(schema).expect("a generated schema is valid JSON")
    })
}

/// The schema as pretty JSON with a trailing newline, exactly as committed.
pub fn policy_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(policy_schema()).expect("schema serializes");
    text.push('\n');
    text
}

/// The custom string formats the policy schema uses; `Format` errors quote
/// the unit parser's reason.
const FORMATS: &[validate::Format] = &[
    ("duration", |s| units::parse_duration(s).is_ok()),
    ("redis-memory", |s| units::parse_memory(s).is_ok()),
    ("percent", |s| units::parse_percent(s).is_ok()),
];

/// Validates `instance`, read from `source`, and returns one diagnostic per
/// schema error, plus the JSON pointers of unknown keys (so `lower` can drop
/// them and carry on).
pub fn validate(
    source: &SourceFile,
    instance: &Value,
    index: &SpanIndex,
) -> (Vec<Diagnostic>, Vec<String>) {
    let mut diagnostics = Vec::new();
    let mut unknown = Vec::new();
    for error in validate::validate(policy_schema(), instance, FORMATS) {
        map_error(source, &error, index, &mut diagnostics, &mut unknown);
    }
    (diagnostics, unknown)
}

/// Whether an error only says "this is not null": the losing branch of the
/// `anyOf: [T, null]` that schemars writes for `Option<T>`.
fn is_null_branch(errors: &[SchemaError]) -> bool {
    errors.len() == 1
        && matches!(&errors[0].kind, ErrorKind::Type { expected } if expected == &["null"])
}

fn map_error(
    source: &SourceFile,
    error: &SchemaError,
    index: &SpanIndex,
    diagnostics: &mut Vec<Diagnostic>,
    unknown: &mut Vec<String>,
) {
    {
        let pointer = error.pointer.clone();
        let value_span = index.value(&pointer).unwrap_or_default();
        let diag = match &error.kind {
            ErrorKind::AdditionalProperties { unexpected } => {
                let known = known_properties(&pointer);
                for key in unexpected {
                    let key_pointer = format!("{pointer}/{}", escape_pointer_token(key));
                    let span = index.key(&key_pointer).unwrap_or(value_span);
                    let mut d = Diagnostic::new(
                        codes::UNKNOWN_FIELD,
                        format!("unknown field `{key}`{}", location_phrase(&pointer)),
                    )
                    .with_span(span, "not a field here");
                    // Past the report cap the diagnostic is only counted, so
                    // skip the edit-distance search (hostile files have 100k+ keys).
                    if diagnostics.len() >= crate::diag::MAX_PER_FILE {
                        diagnostics.push(d);
                        unknown.push(key_pointer);
                        continue;
                    }
                    d = match did_you_mean(key, &known) {
                        Some(best) => d.with_help(format!("did you mean `{best}`?")),
                        None if !known.is_empty() => {
                            d.with_help(format!("known fields here: {}", known.join(", ")))
                        }
                        None => d,
                    };
                    if let Some(why) = explain_foreign_key(key) {
                        d = d.with_help(why);
                    }
                    diagnostics.push(d);
                    unknown.push(key_pointer);
                }
                return;
            }
            ErrorKind::Required { property } => {
                let name = property.as_str();
                let span = index.key(&pointer).unwrap_or(value_span);
                let what = if pointer.is_empty() {
                    "the policy".to_string()
                } else {
                    format!("`{}`", display_pointer(&pointer))
                };
                Diagnostic::new(
                    codes::SCHEMA,
                    format!("{what} is missing required field `{name}`"),
                )
                .with_span(span, format!("`{name}` missing"))
                .with_help(field_help(&pointer, name))
            }
            ErrorKind::Format { format } => {
                let text = error.instance.as_str().unwrap_or_default();
                let reason = match format.as_str() {
                    "duration" => units::parse_duration(text).err(),
                    "redis-memory" => units::parse_memory(text).err(),
                    "percent" => units::parse_percent(text).err(),
                    _ => None,
                }
                .unwrap_or_else(|| format!("`{text}` is not a valid {format}"));
                Diagnostic::new(codes::INVALID_UNIT, reason)
                    .with_span(value_span, format!("invalid {}", format.replace('-', " ")))
            }
            // A bare number where a duration or percentage (or a TTL, which
            // may be a duration) belongs: the unit parser says exactly what
            // to write (`300` → `300s`).
            ErrorKind::Type { .. }
                if error.instance.is_number()
                    && let Some(reason) = unit_reason(&pointer, &error.instance.to_string()) =>
            {
                Diagnostic::new(codes::INVALID_UNIT, reason).with_span(value_span, "needs a unit")
            }
            ErrorKind::Type { expected } => {
                // `Option<T>` fields allow null, but "expected null" helps nobody.
                let expected = expected
                    .iter()
                    .map(|t| yaml_type_name(t))
                    .filter(|t| *t != "null")
                    .collect::<Vec<_>>()
                    .join(" or ");
                let found = json_type_name(&error.instance);
                let mut d = Diagnostic::new(
                    codes::SCHEMA,
                    format!(
                        "`{}` must be {}, found {found}",
                        display_pointer(&pointer),
                        article(&expected)
                    ),
                )
                .with_span(value_span, format!("expected {expected}"));
                if expected.contains("string")
                    && !expected.contains("integer")
                    && error.instance.is_number()
                {
                    d = d.with_help(quote_number_help(source, &pointer, value_span));
                }
                d
            }
            ErrorKind::Enum { options } => {
                let options: Vec<&Value> = options.iter().collect();
                enum_diagnostic(&pointer, &error.instance, &options, value_span)
            }
            ErrorKind::Const { expected } => {
                enum_diagnostic(&pointer, &error.instance, &[expected], value_span)
            }
            ErrorKind::AnyOf { branches } if branches.iter().any(|b| is_null_branch(b)) => {
                // `Option<T>`: report what is wrong against T, precisely.
                for branch in branches.iter().filter(|b| !is_null_branch(b)) {
                    for inner in branch {
                        map_error(source, inner, index, diagnostics, unknown);
                    }
                }
                return;
            }
            // An enum whose values carry descriptions: schemars writes it as
            // `oneOf` of `const` branches, so it fails as "no branch matched"
            // rather than as `enum`. Report it as the enum it is.
            ErrorKind::AnyOf { branches } | ErrorKind::OneOf { branches }
                if let Some(options) = const_choices(branches) =>
            {
                enum_diagnostic(&pointer, &error.instance, &options, value_span)
            }
            ErrorKind::AnyOf { .. } | ErrorKind::OneOf { .. } => Diagnostic::new(
                codes::SCHEMA,
                format!(
                    "`{}` has the wrong shape: found {}",
                    display_pointer(&pointer),
                    json_type_name(&error.instance)
                ),
            )
            .with_span(value_span, "unexpected value")
            .with_help(field_help_for(&pointer)),
            ErrorKind::Minimum { .. } | ErrorKind::Maximum { .. } if pointer == "/version" => {
                Diagnostic::new(
                    codes::SCHEMA,
                    format!(
                        "policy format version {} is not supported; this cachegen reads version 1",
                        error.instance
                    ),
                )
                .with_span(value_span, "unsupported version")
                .with_help(
                    "write `version: 1`, or use the cachegen release that reads this version",
                )
            }
            ErrorKind::NotAllowed => Diagnostic::new(
                codes::SCHEMA,
                format!("`{}` is not allowed here", display_pointer(&pointer)),
            )
            .with_span(value_span, "not allowed"),
            ErrorKind::Minimum { limit } => Diagnostic::new(
                codes::OUT_OF_RANGE,
                format!(
                    "`{}` is {}, less than the minimum of {limit}",
                    display_pointer(&pointer),
                    error.instance
                ),
            )
            .with_span(value_span, "out of range"),
            ErrorKind::Maximum { limit } => Diagnostic::new(
                codes::OUT_OF_RANGE,
                format!(
                    "`{}` is {}, more than the maximum of {limit}",
                    display_pointer(&pointer),
                    error.instance
                ),
            )
            .with_span(value_span, "out of range"),
        };
        diagnostics.push(diag);
    }
}

/// The value of every branch when each branch of a failed `oneOf`/`anyOf`
/// is a `const`: the allowed values of an enum, in schema order.
fn const_choices(branches: &[Vec<SchemaError>]) -> Option<Vec<&Value>> {
    if branches.is_empty() {
        return None;
    }
    branches
        .iter()
        .map(|errors| {
            errors.iter().find_map(|e| match &e.kind {
                ErrorKind::Const { expected } => Some(expected),
                _ => None,
            })
        })
        .collect()
}

/// "must be one of …; found …", with the nearest allowed value as a
/// suggestion: one wording for every enum, however the schema spells it.
fn enum_diagnostic(
    pointer: &str,
    instance: &Value,
    options: &[&Value],
    span: crate::source::Span,
) -> Diagnostic {
    let choices: Vec<String> = options.iter().map(|v| render_choice(v)).collect();
    let mut d = Diagnostic::new(
        codes::SCHEMA,
        format!(
            "`{}` must be one of {}; found {}",
            display_pointer(pointer),
            choices.join(", "),
            render_choice(instance)
        ),
    )
    .with_span(span, "not an allowed value");
    let plain: Vec<&str> = options.iter().filter_map(|v| v.as_str()).collect();
    if let Some(best) = instance.as_str().and_then(|s| did_you_mean(s, &plain)) {
        d = d.with_help(format!("did you mean `{best}`?"));
    }
    d
}

/// JSON Schema type names in the words of YAML users.
fn yaml_type_name(json_type: &str) -> &str {
    match json_type {
        "object" => "mapping",
        "array" => "list",
        other => other,
    }
}

fn article(t: &str) -> String {
    let vowel = t.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {t}", if vowel { "an" } else { "a" })
}

fn render_choice(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// `/keys/patterns/user_profile/ttl` → `keys.patterns.user_profile.ttl`.
pub fn display_pointer(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(top level)".into();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .map(|t| {
            if t.bytes().all(|b| b.is_ascii_digit()) {
                format!("[{t}]")
            } else {
                t
            }
        })
        .collect::<Vec<_>>()
        .join(".")
        .replace(".[", "[")
}

fn location_phrase(pointer: &str) -> String {
    if pointer.is_empty() {
        " at the top level".into()
    } else {
        format!(" in `{}`", display_pointer(pointer))
    }
}

fn field_help(pointer: &str, name: &str) -> String {
    match subschema(pointer).and_then(|s| {
        s.get("properties")?
            .get(name)?
            .get("description")?
            .as_str()
            .map(str::to_owned)
    }) {
        Some(desc) => format!("`{name}`: {}", first_sentence(&desc)),
        None => format!("add `{name}`"),
    }
}

fn field_help_for(pointer: &str) -> String {
    let (parent, name) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match subschema(parent).and_then(|s| {
        s.get("properties")?
            .get(name)?
            .get("description")?
            .as_str()
            .map(str::to_owned)
    }) {
        Some(desc) => first_sentence(&desc),
        None => "see `cachegen schema` for the expected shape".into(),
    }
}

/// Text up to the first sentence end: a `. ` followed by a capital letter, so
/// "e.g. `user:<user_id>`" does not end a sentence.
fn first_sentence(text: &str) -> String {
    let line = text.replace('\n', " ");
    let end = line
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|&i| line[i + 2..].starts_with(|c: char| c.is_uppercase()));
    match end {
        Some(i) => line[..=i].to_owned(),
        None => line,
    }
}

/// How to write a number a string field needs: quoted, because YAML reads
/// `7.0` as a number, and a number does not keep its spelling.
fn quote_number_help(source: &SourceFile, pointer: &str, span: Span) -> String {
    let written = source.slice(span);
    let field = pointer.rsplit('/').next().unwrap_or_default();
    let quoted = if field.is_empty() || field.bytes().all(|b| b.is_ascii_digit()) {
        format!("`\"{written}\"`")
    } else {
        format!(
            "`{}: \"{written}\"`",
            field.replace("~1", "/").replace("~0", "~")
        )
    };
    let drift = if written.contains('.') {
        ", and numbers lose their spelling (`7.10` is 7.1)"
    } else {
        ""
    };
    format!("quote it: write {quoted}; unquoted, YAML reads `{written}` as a number{drift}")
}

/// For a duration or percentage field, or a TTL reference (a class name, a
/// duration or `none`), the unit parser's complaint about `text`.
fn unit_reason(pointer: &str, text: &str) -> Option<String> {
    let node = subschema(pointer)?;
    if node.get("x-ttl-reference").and_then(Value::as_bool) == Some(true) {
        return units::parse_duration(text).err();
    }
    match node.get("format")?.as_str()? {
        "duration" => units::parse_duration(text).err(),
        "percent" => units::parse_percent(text).err(),
        _ => None,
    }
}

/// Names of the properties the schema allows at `pointer`.
fn known_properties(pointer: &str) -> Vec<&'static str> {
    subschema(pointer)
        .and_then(|s| s.get("properties")?.as_object())
        .map(|props| props.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Walks the schema along an instance pointer, through `$ref`, `anyOf`,
/// `properties`, `additionalProperties` (maps) and `items` (lists).
fn subschema(pointer: &str) -> Option<&'static Value> {
    let root = policy_schema();
    let mut node = resolve(root, root)?;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        node = object_branch(root, node)?;
        node = if let Some(p) = node.get("properties").and_then(|p| p.get(&token)) {
            p
        } else if let Some(items) = node.get("items") {
            items
        } else {
            node.get("additionalProperties").filter(|v| v.is_object())?
        };
        node = resolve(root, node)?;
    }
    object_branch(root, node)
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let path = r.strip_prefix("#")?;
            root.pointer(path)
        }
        None => Some(node),
    }
}

/// For `anyOf: [X, null]`, the non-null branch; for `if`/`then`/`else`
/// (a name or a mapping), the branch that describes a mapping.
fn object_branch<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    for branch in ["then", "else"] {
        if let Some(b) = node.get(branch) {
            let b = resolve(root, b)?;
            if b.get("properties").is_some() {
                return Some(b);
            }
        }
    }
    if let Some(branches) = node
        .get("anyOf")
        .or_else(|| node.get("oneOf"))
        .and_then(Value::as_array)
    {
        for b in branches {
            let b = resolve(root, b)?;
            if b.get("type").and_then(Value::as_str) != Some("null") {
                return Some(b);
            }
        }
    }
    Some(node)
}

/// Keys from other tools and configuration formats that users carry over, and where
/// their meaning lives instead.
fn explain_foreign_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "polish" | "webp" => {
            "image optimisation (Polish, WebP) is a Cloudflare Configuration Rule, not a cache setting; cachegen does not manage it"
        }
        "respect_origin" => "omit `edge_ttl` to respect the origin's Cache-Control",
        "cache_level" => "the field is `cache` (standard, aggressive or bypass)",
        "edge_cache_ttl" => "the field is `edge_ttl`",
        "browser_cache_ttl" => "the field is `browser_ttl`",
        "pattern" => "routes match with `path` (a wildcard) or `extensions`",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_catches_typos_only() {
        let known = ["maxmemory", "maxmemory_policy", "maxclients", "version"];
        assert_eq!(did_you_mean("maxmemroy", &known), Some("maxmemory"));
        assert_eq!(
            did_you_mean("maxmemory-policy", &known),
            Some("maxmemory_policy")
        );
        assert_eq!(did_you_mean("completely_different", &known), None);
    }

    #[test]
    fn schema_walk_finds_nested_properties() {
        let props = known_properties("/keys/patterns/user_profile");
        assert!(props.contains(&"pattern"));
        assert!(props.contains(&"hash_tag"));
        let props = known_properties("/redis/threads");
        assert!(props.contains(&"io_threads"));
    }
}
