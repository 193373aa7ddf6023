//! Owns validating a loaded policy (as JSON) against the policy's JSON Schema:
//! the draft 2020-12 keywords schemars writes for `policy::raw`, interpreted
//! directly, every error collected (not just the first).
//!
//! Our own code rather than the `jsonschema` crate: the schema is generated
//! from our own types and uses a dozen keywords, and the crate (with regex
//! engines, big-number and URI crates for the keywords we never use) was the
//! largest item of a fresh release build (about a third of its CPU time).
//! `tests/schema_committed.rs` holds this validator to every keyword the
//! committed schema uses, so a schemars upgrade that writes a new keyword
//! fails a test instead of being silently ignored.

use serde_json::{Map, Value};

/// The keywords this validator enforces.
pub const ENFORCED: &[&str] = &[
    "$ref",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "minimum",
    "maximum",
    "format",
    "if",
    "then",
    "else",
];

/// Keywords that only annotate: nothing to check.
pub const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$defs",
    "title",
    "description",
    "default",
    "examples",
];

/// Why a value does not fit its schema.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// The JSON types the schema allows here, as the schema names them.
    Type {
        expected: Vec<String>,
    },
    /// Keys of a mapping that allows no others.
    AdditionalProperties {
        unexpected: Vec<String>,
    },
    Required {
        property: String,
    },
    Enum {
        options: Vec<Value>,
    },
    Const {
        expected: Value,
    },
    /// No branch of an `anyOf` matched; each branch's own errors.
    AnyOf {
        branches: Vec<Vec<SchemaError>>,
    },
    /// Not exactly one branch of a `oneOf` matched; each failing branch's
    /// errors (empty when more than one branch matched).
    OneOf {
        branches: Vec<Vec<SchemaError>>,
    },
    /// A string that a custom format (`duration`, `redis-memory`,
    /// `percent`) rejects.
    Format {
        format: String,
    },
    Minimum {
        limit: Value,
    },
    Maximum {
        limit: Value,
    },
    /// A `false` schema: no value is allowed here.
    NotAllowed,
}

/// One error: where in the instance (a JSON pointer), the value found there,
/// and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaError {
    pub pointer: String,
    pub instance: Value,
    pub kind: ErrorKind,
}

/// A format check: the format's name and whether a string is in it. Formats
/// not listed (schemars' `uint32`, `double`…) only annotate, as in the spec.
pub type Format = (&'static str, fn(&str) -> bool);

/// Validates `instance` against `schema` (whose `$ref`s point into `root`).
pub fn validate(root: &Value, instance: &Value, formats: &[Format]) -> Vec<SchemaError> {
    let mut errors = Vec::new();
    let cx = Cx { root, formats };
    let mut pointer = String::new();
    cx.check(root, instance, &mut pointer, &mut errors);
    errors
}

struct Cx<'s> {
    root: &'s Value,
    formats: &'s [Format],
}

impl Cx<'_> {
    fn check(&self, schema: &Value, instance: &Value, at: &mut String, out: &mut Vec<SchemaError>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                // `additionalProperties: false` is reported by
                // `check_object` as the unexpected keys; anywhere else a
                // `false` schema refuses every value.
                out.push(SchemaError {
                    pointer: at.clone(),
                    instance: instance.clone(),
                    kind: ErrorKind::NotAllowed,
                });
                return;
            }
            Value::Object(map) => map,
            _ => return,
        };
        let error = |kind: ErrorKind, at: &str| SchemaError {
            pointer: at.to_owned(),
            instance: instance.clone(),
            kind,
        };
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            match target.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                Some(resolved) => self.check(resolved, instance, at, out),
                None => unreachable!("a generated schema's $ref `{target}` resolves"),
            }
        }
        if let Some(types) = schema.get("type") {
            let expected: Vec<String> = match types {
                Value::String(t) => vec![t.clone()],
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            if !expected.iter().any(|t| has_type(instance, t)) {
                out.push(error(ErrorKind::Type { expected }, at));
                // Like every validator: the other keywords assume the type.
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.iter().any(|o| json_equal(o, instance))
        {
            out.push(error(
                ErrorKind::Enum {
                    options: options.clone(),
                },
                at,
            ));
        }
        if let Some(expected) = schema.get("const")
            && !json_equal(expected, instance)
        {
            out.push(error(
                ErrorKind::Const {
                    expected: expected.clone(),
                },
                at,
            ));
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let mut failures = Vec::new();
            for branch in branches {
                let mut errors = Vec::new();
                self.check(branch, instance, at, &mut errors);
                if errors.is_empty() {
                    failures.clear();
                    break;
                }
                failures.push(errors);
            }
            if !failures.is_empty() {
                out.push(error(ErrorKind::AnyOf { branches: failures }, at));
            }
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            let mut failures = Vec::new();
            let mut matched = 0;
            for branch in branches {
                let mut errors = Vec::new();
                self.check(branch, instance, at, &mut errors);
                if errors.is_empty() {
                    matched += 1;
                } else {
                    failures.push(errors);
                }
            }
            match matched {
                1 => {}
                0 => out.push(error(ErrorKind::OneOf { branches: failures }, at)),
                _ => out.push(error(
                    ErrorKind::OneOf {
                        branches: Vec::new(),
                    },
                    at,
                )),
            }
        }
        // `if`/`then`/`else`: the `if` schema only selects; its errors are
        // never reported, the selected branch's are.
        if let Some(condition) = schema.get("if") {
            let mut probe = Vec::new();
            self.check(condition, instance, at, &mut probe);
            let branch = if probe.is_empty() { "then" } else { "else" };
            if let Some(selected) = schema.get(branch) {
                self.check(selected, instance, at, out);
            }
        }
        if let Some(n) = instance.as_f64() {
            if let Some(limit) = schema
                .get("minimum")
                .filter(|l| l.as_f64().is_some_and(|l| n < l))
            {
                out.push(error(
                    ErrorKind::Minimum {
                        limit: limit.clone(),
                    },
                    at,
                ));
            }
            if let Some(limit) = schema
                .get("maximum")
                .filter(|l| l.as_f64().is_some_and(|l| n > l))
            {
                out.push(error(
                    ErrorKind::Maximum {
                        limit: limit.clone(),
                    },
                    at,
                ));
            }
        }
        if let (Some(text), Some(format)) = (
            instance.as_str(),
            schema.get("format").and_then(Value::as_str),
        ) && let Some((_, accepts)) = self.formats.iter().find(|(name, _)| *name == format)
            && !accepts(text)
        {
            out.push(error(
                ErrorKind::Format {
                    format: format.to_owned(),
                },
                at,
            ));
        }
        if let Some(object) = instance.as_object() {
            self.check_object(schema, object, at, out);
        }
        if let (Some(items), Some(array)) = (schema.get("items"), instance.as_array()) {
            for (i, item) in array.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                self.check(items, item, at, out);
                at.truncate(len);
            }
        }
    }

    fn check_object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        at: &mut String,
        out: &mut Vec<SchemaError>,
    ) {
        let instance = || Value::Object(object.clone());
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    out.push(SchemaError {
                        pointer: at.clone(),
                        instance: instance(),
                        kind: ErrorKind::Required {
                            property: name.to_owned(),
                        },
                    });
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut unexpected = Vec::new();
        for (key, value) in object {
            let sub = match properties.and_then(|p| p.get(key)) {
                Some(sub) => sub,
                None => match additional {
                    Some(Value::Bool(false)) => {
                        unexpected.push(key.clone());
                        continue;
                    }
                    Some(sub) => sub,
                    None => continue,
                },
            };
            let len = at.len();
            at.push('/');
            at.push_str(&crate::load::escape_pointer_token(key));
            self.check(sub, value, at, out);
            at.truncate(len);
        }
        if !unexpected.is_empty() {
            out.push(SchemaError {
                pointer: at.clone(),
                instance: instance(),
                kind: ErrorKind::AdditionalProperties { unexpected },
            });
        }
    }
}

/// Draft 2020-12 types: an integer is any number with no fractional part
/// (`1.0` is one).
fn has_type(instance: &Value, ty: &str) -> bool {
    match (ty, instance) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("number", Value::Number(_))
        | ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// JSON equality as the spec defines it: numbers by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(schema: Value, instance: Value) -> Vec<(String, ErrorKind)> {
        let formats: &[Format] = &[("even", |s| s.len() % 2 == 0)];
        validate(&schema, &instance, formats)
            .into_iter()
            .map(|e| (e.pointer, e.kind))
            .collect()
    }

    #[test]
    fn objects_report_every_missing_and_unknown_key() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a", "b"],
            "additionalProperties": false
        });
        let errors = kinds(schema, json!({"a": 1.0, "x": 1, "y": 2}));
        assert_eq!(
            errors,
            vec![
                (
                    "".into(),
                    ErrorKind::Required {
                        property: "b".into()
                    }
                ),
                (
                    "".into(),
                    ErrorKind::AdditionalProperties {
                        unexpected: vec!["x".into(), "y".into()]
                    }
                ),
            ]
        );
    }

    #[test]
    fn refs_maps_lists_ranges_and_formats() {
        let schema = json!({
            "$defs": {"Small": {"type": "integer", "minimum": 1, "maximum": 9}},
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/Small"}},
            "properties": {"f": {"type": "string", "format": "even"}, "u": {"type": "string", "format": "uint32"}}
        });
        let errors = kinds(
            schema,
            json!({"m/n": [1, 0, 10, "x"], "f": "odd", "u": "z"}),
        );
        assert_eq!(
            errors,
            vec![
                ("/m~1n/1".into(), ErrorKind::Minimum { limit: json!(1) }),
                ("/m~1n/2".into(), ErrorKind::Maximum { limit: json!(9) }),
                (
                    "/m~1n/3".into(),
                    ErrorKind::Type {
                        expected: vec!["integer".into()]
                    }
                ),
                (
                    "/f".into(),
                    ErrorKind::Format {
                        format: "even".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn any_of_keeps_each_branch_and_one_of_needs_exactly_one() {
        let either = json!({"anyOf": [{"type": "string"}, {"type": "null"}]});
        assert!(kinds(either.clone(), json!(null)).is_empty());
        let [(_, ErrorKind::AnyOf { branches })] = &kinds(either, json!(3))[..] else {
            panic!("one anyOf error")
        };
        assert_eq!(branches.len(), 2);
        let consts = json!({"oneOf": [{"const": "a"}, {"const": "b"}]});
        assert!(kinds(consts.clone(), json!("b")).is_empty());
        assert!(
            matches!(&kinds(consts, json!("c"))[..], [(_, ErrorKind::OneOf { branches })] if branches.len() == 2)
        );
        let overlapping = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        assert!(
            matches!(&kinds(overlapping, json!(1))[..], [(_, ErrorKind::OneOf { branches })] if branches.is_empty())
        );
    }

    #[test]
    fn if_selects_then_or_else_and_reports_only_the_selected_branch() {
        let schema = json!({
            "type": ["string", "object"],
            "if": {"type": "string"},
            "then": {"enum": ["int", "slug"]},
            "else": {"type": "object", "required": ["regex"]}
        });
        assert!(kinds(schema.clone(), json!("int")).is_empty());
        assert_eq!(
            kinds(schema.clone(), json!("sha256")),
            vec![(
                "".into(),
                ErrorKind::Enum {
                    options: vec![json!("int"), json!("slug")]
                }
            )]
        );
        assert_eq!(
            kinds(schema, json!({})),
            vec![(
                "".into(),
                ErrorKind::Required {
                    property: "regex".into()
                }
            )]
        );
    }

    #[test]
    fn a_false_schema_refuses_everything_but_unknown_keys_are_reported_once() {
        assert_eq!(
            kinds(json!({"items": false}), json!([1])),
            vec![("/0".into(), ErrorKind::NotAllowed)]
        );
        let closed = json!({"type": "object", "additionalProperties": false});
        assert_eq!(
            kinds(closed, json!({"x": 1})),
            vec![(
                "".into(),
                ErrorKind::AdditionalProperties {
                    unexpected: vec!["x".into()]
                }
            )]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(kinds(json!({"enum": [1, "x"]}), json!(1.0)).is_empty());
        assert!(kinds(json!({"type": "integer"}), json!(2.0)).is_empty());
        assert_eq!(kinds(json!({"type": "integer"}), json!(2.5)).len(), 1);
        assert_eq!(
            kinds(json!({"const": [1, {"a": 2}]}), json!([1, {"a": 2.0}])),
            vec![]
        );
    }
}
