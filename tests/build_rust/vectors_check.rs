//! The consumer crate's second test file: the policy's shared test vectors
//! (tests/support/vectors.rs, the same ones the TypeScript module meets)
//! written as assertions on the generated Rust module. Only names come from
//! the render context (which function builds pattern `x`); every expected
//! value comes from the vectors.

use super::*;
use serde_json::Value;
use std::fmt::Write as _;

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("a string: {v}"))
}

/// The builder arguments for `params` (in `params` order) from a vector's
/// `inputs`: a `u64` literal for int, a parsed address for ip, else a string.
fn args(params: &[rust::Param], inputs: &Value) -> String {
    params
        .iter()
        .map(|p| {
            let input = text(&inputs[&p.name]);
            match p.rust_type {
                "u64" => format!("{input}_u64"),
                "std::net::IpAddr" => format!("{input:?}.parse::<std::net::IpAddr>().unwrap()"),
                _ => format!("{input:?}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A parameter's `PlaceholderType` variant, in the consumer's terms.
fn kind(param: &rust::Param) -> String {
    param.kind.replace("(&", "(&c::")
}

/// A classification's params as the Rust classifier returns them.
fn params_vec(params: &Value) -> String {
    let items: Vec<String> = params
        .as_object()
        .expect("params")
        .iter()
        .map(|(k, v)| format!("({k:?}, {:?}.to_string())", text(v)))
        .collect();
    format!("vec![{}]", items.join(", "))
}

/// The consumer's `tests/vectors.rs`: one test per section of the vectors.
pub(crate) fn vectors_test(ctx: &Context, vectors: &Value) -> String {
    let pattern = |name: &str| {
        ctx.patterns
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("pattern {name} not rendered"))
    };
    let tag = |name: &str| {
        ctx.tags
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("tag {name} not rendered"))
    };
    let store = |name: &str| {
        let s = ctx.stores.iter().find(|s| s.name == name).expect("a store");
        format!("c::Store::{}", s.variant)
    };
    let items = |section: &str| vectors[section].as_array().expect(section).clone();

    let mut keys = String::new();
    for v in items("patterns") {
        let p = pattern(text(&v["pattern"]));
        let lock = match v["lock_prefix"].as_str() {
            Some(prefix) => format!("Some({prefix:?})"),
            None => "None".to_owned(),
        };
        writeln!(
            keys,
            "    assert_eq!(c::Pattern::{0}.name(), {1:?});\n    assert_eq!(c::Pattern::{0}.store(), {2});\n    assert_eq!(c::Pattern::{0}.lock_prefix(), {lock});",
            p.variant,
            p.name,
            store(text(&v["store"]))
        )
        .unwrap();
    }
    for v in items("tag_sets") {
        let t = tag(text(&v["tag"]));
        writeln!(
            keys,
            "    assert_eq!(c::TagSet::{0}.name(), {1:?});\n    assert_eq!(c::TagSet::{0}.store(), {2});",
            t.variant,
            t.name,
            store(text(&v["store"]))
        )
        .unwrap();
    }
    for v in items("keys") {
        let p = pattern(text(&v["pattern"]));
        let call = format!("c::{}({})", p.ident, args(&p.params, &v["inputs"]));
        let key = text(&v["key"]);
        writeln!(
            keys,
            "    assert_eq!({call}, {key:?});\n    assert_eq!(c::key_slot({key:?}), {});\n    assert_eq!(c::{}, {});",
            v["slot"],
            p.store_const,
            store(text(&v["store"]))
        )
        .unwrap();
        // The builders don't validate: the inputs must be valid values.
        for param in &p.params {
            let value = text(&v["params"][&param.name]);
            writeln!(
                keys,
                "    assert!(c::PlaceholderType::{}.accepts({value:?}));",
                kind(param)
            )
            .unwrap();
        }
        match (&v["lock"], &p.lock) {
            (Value::Null, None) => {}
            (Value::String(lock), Some(l)) => writeln!(
                keys,
                "    assert_eq!(c::{}({}), {lock:?});\n    assert_eq!(c::{}, {});",
                l.ident,
                args(&p.params, &v["inputs"]),
                l.ttl_const,
                v["lock_ttl_secs"]
            )
            .unwrap(),
            other => panic!("{}: lock rendered inconsistently: {other:?}", p.name),
        }
    }
    for v in items("tags") {
        let t = tag(text(&v["tag"]));
        writeln!(
            keys,
            "    assert_eq!(c::{}({}), {:?});\n    assert_eq!(c::{}, {});",
            t.ident,
            args(&t.params, &v["inputs"]),
            text(&v["key"]),
            t.store_const,
            store(text(&v["store"]))
        )
        .unwrap();
        if let (Some(c), Some(secs)) = (&t.ttl_const, v["ttl_secs"].as_u64()) {
            writeln!(keys, "    assert_eq!(c::{c}, {secs});").unwrap();
        }
    }

    let mut invalid = String::new();
    for v in items("invalid") {
        let p = pattern(text(&v["pattern"]));
        let param = p
            .params
            .iter()
            .find(|q| q.name == text(&v["param"]))
            .expect("a parameter");
        writeln!(
            invalid,
            "    assert_eq!(c::PlaceholderType::{}.accepts({:?}), {});",
            kind(param),
            text(&v["input"]),
            v["text_accepted"]
        )
        .unwrap();
    }

    let mut classify = String::new();
    for v in items("classify") {
        let key = text(&v["key"]);
        let (data, any) = match v["kind"].as_str() {
            None => ("None".to_owned(), "None".to_owned()),
            Some(kind) => {
                let name = text(&v["name"]);
                let params = params_vec(&v["params"]);
                let kind = match kind {
                    "data" => format!("Data(c::Pattern::{})", pattern(name).variant),
                    "lock" => format!("Lock(c::Pattern::{})", pattern(name).variant),
                    _ => format!("TagSet(c::TagSet::{})", tag(name).variant),
                };
                let data = match kind.strip_prefix("Data(") {
                    Some(variant) => format!("Some(({}, {params}))", &variant[..variant.len() - 1]),
                    None => "None".to_owned(),
                };
                (data, format!("Some((c::KeyKind::{kind}, {params}))"))
            }
        };
        writeln!(
            classify,
            "    assert_eq!(c::classify({key:?}), {data}, \"{{}}\", {key:?});\n    assert_eq!(c::classify_any({key:?}), {any}, \"{{}}\", {key:?});"
        )
        .unwrap();
    }
    for pair in items("slots") {
        writeln!(
            classify,
            "    assert_eq!(c::key_slot({:?}), {});",
            text(&pair[0]),
            pair[1]
        )
        .unwrap();
    }

    let mut ttl = String::new();
    for v in items("ttl") {
        let p = pattern(text(&v["pattern"]));
        for draw in v["draws"].as_array().expect("draws") {
            let unit = draw[0].as_f64().expect("a unit");
            let expected = match draw[1].as_u64() {
                Some(n) => format!("Some({n})"),
                None => "None".to_owned(),
            };
            writeln!(
                ttl,
                "    assert_eq!(c::{}({unit:?}), {expected});\n    assert_eq!(c::Pattern::{}.ttl({unit:?}), {expected});",
                p.ttl_ident, p.variant
            )
            .unwrap();
        }
        if let Some(t) = &p.ttl {
            writeln!(
                ttl,
                "    assert_eq!(c::{}, {});\n    assert_eq!(c::{}, {});",
                t.base_const, v["base_secs"], t.max_const, v["max_secs"]
            )
            .unwrap();
        }
    }

    let mut plans = String::new();
    for v in items("plans") {
        let event = text(&v["event"]);
        let ident = match (v["tag_sets"].as_bool(), v["branch"].as_str()) {
            (Some(true), _) => cachegen::policy::rust_idents::tag_sets_plan(event),
            (_, Some(field)) => cachegen::policy::rust_idents::branch_plan(event, field),
            _ => cachegen::policy::rust_idents::event_plan(event),
        };
        let plan = ctx
            .plans
            .iter()
            .find(|p| p.ident == ident)
            .unwrap_or_else(|| panic!("plan {ident} not rendered"));
        let call = format!("c::{ident}({})", args(&plan.params, &v["inputs"]));
        if plan.tag_sets {
            let sets: Vec<String> = v["sets"]
                .as_array()
                .expect("sets")
                .iter()
                .map(|s| format!("({:?}, {:?})", text(&s["store"]), text(&s["key"])))
                .collect();
            writeln!(
                plans,
                "    let sets = {call};\n    let sets: Vec<(&str, &str)> = sets.iter().map(|(s, k)| (s.name(), k.as_str())).collect();\n    assert_eq!(sets, vec![{}], {ident:?});",
                sets.join(", ")
            )
            .unwrap();
        } else {
            let commands: Vec<String> = v["commands"]
                .as_array()
                .expect("commands")
                .iter()
                .map(|u| {
                    let keys: Vec<String> = u["keys"]
                        .as_array()
                        .expect("keys")
                        .iter()
                        .map(|k| format!("{:?}", text(k)))
                        .collect();
                    format!("({:?}, vec![{}])", text(&u["store"]), keys.join(", "))
                })
                .collect();
            writeln!(
                plans,
                "    let got = {call};\n    let plan: Vec<(&str, Vec<&str>)> = got.iter().map(|u| (u.store.name(), u.keys.iter().map(String::as_str).collect())).collect();\n    let want: Vec<(&str, Vec<&str>)> = vec![{}];\n    assert_eq!(plan, want, {ident:?});",
                commands.join(", ")
            )
            .unwrap();
        }
    }

    let mut out = String::from(
        "//! Written by cachegen's tests/build_rust.rs from the policy's shared test vectors.\n\nuse policy_cache as c;\n\n",
    );
    for (name, body) in [
        ("keys_and_tags", keys),
        ("invalid_values", invalid),
        ("classify_and_slots", classify),
        ("ttl_draws", ttl),
        ("plans", plans),
    ] {
        writeln!(out, "#[test]\nfn vectors_{name}() {{\n{body}}}\n").unwrap();
    }
    out
}
