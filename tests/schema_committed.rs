//! The committed JSON Schema (`schema/policy.schema.json`) must match the one
//! generated from `policy::raw`, so editors and CI validating against the file
//! see exactly the format cachegen reads.

use std::path::Path;

#[test]
fn committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/policy.schema.json");
    let generated = cachegen::schema::policy_schema_text();
    if std::env::var_os("CACHEGEN_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/policy.schema.json is stale; regenerate it with\n    cargo run -q -- schema > schema/policy.schema.json\n(or CACHEGEN_UPDATE_SCHEMA=1 cargo test --test schema_committed)"
    );
}

#[test]
fn schema_carries_field_docs() {
    let schema = cachegen::schema::policy_schema();
    let text = schema.to_string();
    // Doc comments on the model become descriptions: spot-check a nested one.
    assert!(
        text.contains("`maxmemory`, in Redis units"),
        "field docs missing from the schema"
    );
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

/// cachegen validates policies with its own interpreter of the keywords
/// schemars writes (`schema::validate`). A schemars upgrade that starts
/// writing a keyword the interpreter does not know must fail here rather
/// than be silently ignored. Keys under `properties` and `$defs` are names,
/// and `x-` keys are cachegen's own annotations.
#[test]
fn the_validator_knows_every_keyword_the_schema_uses() {
    use cachegen::schema::validate::{ANNOTATIONS, ENFORCED};
    fn walk(node: &serde_json::Value, names: bool, unknown: &mut Vec<String>) {
        match node {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if !names
                        && !key.starts_with("x-")
                        && !ENFORCED.contains(&key.as_str())
                        && !ANNOTATIONS.contains(&key.as_str())
                    {
                        unknown.push(key.clone());
                    }
                    let values_are_named = !names && matches!(key.as_str(), "properties" | "$defs");
                    // Annotation values (`default`, `examples`) are data, not schemas.
                    if names || !matches!(key.as_str(), "default" | "examples" | "enum" | "const") {
                        walk(value, values_are_named, unknown);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, false, unknown);
                }
            }
            _ => {}
        }
    }
    let mut unknown = Vec::new();
    walk(cachegen::schema::policy_schema(), false, &mut unknown);
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "keywords the validator ignores: {unknown:?}"
    );
}
