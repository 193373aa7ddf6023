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
