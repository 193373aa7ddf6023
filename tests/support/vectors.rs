//! The shared test vectors of a policy: what its generated Rust and
//! TypeScript modules must compute, derived here from the validated model
//! (`Policy::stored_key`, `keys::type_accepts`, `keys::ip::segment`,
//! `Ttl`, `Graph::cascade_closure`, `explain::key::{match_key, hash_slot}`),
//! never from either renderer's output, so one independent source checks both.
//!
//! Committed as `tests/vectors/<name>.json` (pretty JSON, byte-deterministic);
//! `tests/vectors.rs` regenerates and compares them
//! (`CACHEGEN_UPDATE_VECTORS=1 cargo test --test vectors` rewrites them).
//!
//! # Format
//!
//! All numbers are JSON integers except the random units of `ttl.draws`.
//! Parameter values (`params`) are strings exactly as they appear in keys;
//! `inputs` are what a caller passes: the same string, except for `int`
//! (decimal text: TypeScript passes `Number(v)` when it is at most
//! `Number.MAX_SAFE_INTEGER`, else `BigInt(v)`; Rust a `u64` literal) and `ip`
//! (the address text, e.g. `::ffff:198.51.100.2`, stored as `198.51.100.2`).
//! Objects keep the order given here; `params`/`inputs` follow key order.
//!
//! - `policy`, `version_prefix` (string or null), `previous_prefixes`,
//!   `stores: [{name, cluster}]`, `placeholders: {name: type}` (`int`,
//!   `uuid`, `slug`, `token`, `md5`, `ip` or `regex`), so a caller knows
//!   which inputs are ints.
//! - `patterns: [{pattern, store, shape, params, tags, lock_prefix}]` and
//!   `tag_sets: [{tag, store, shape, params, ttl_secs, members}]`, one per
//!   pattern and tag set: `shape` is the stored form with `<name>` for each
//!   placeholder (`v2:{user:<user_id>}:profile`), `params` the placeholder
//!   names in key order, `lock_prefix` null without a stampede lock.
//! - `keys: [{pattern, sample, params, inputs, key, store, slot, lock,
//!   lock_ttl_secs}]`: three samples per pattern (`sample` 0..3; values
//!   distinct per placeholder within a sample. The int placeholder at index
//!   i of `placeholders`, of rank r among the ints, takes 1000 + 7i, then
//!   2^64-1-r, then r, so 0 and 18446744073709551615 both occur; a `regex`
//!   type has one value, its shortest); `lock` is the stampede-lock key (or
//!   null) and `lock_ttl_secs` its TTL.
//! - Every sample's values are in their type's value space: the Rust
//!   builders do not validate, so their inputs must be valid.
//! - `tags: [{tag, sample, params, inputs, key, store, ttl_secs, members}]`.
//! - `invalid: [{pattern, param, input, as, why, text_accepted}]`: a value the
//!   builder of `pattern` must refuse for `param` (TypeScript: throws
//!   `CacheKeyError` with `.parameter == param`). `as` says how TypeScript
//!   passes `input`: `"string"` as is, `"number"` as `Number(input)`,
//!   `"bigint"` as `BigInt(input)`. `text_accepted` is cachegen's
//!   `type_accepts` of `input` as key text: the generated Rust
//!   `PlaceholderType::accepts` must say the same (true only for ints a
//!   JavaScript number or a `u64` cannot carry, and an ip address's stored
//!   text, which is not an address).
//! - `classify: [{key, kind, name, params}]`: every key above, plus non-keys
//!   (a previous prefix, a wrong prefix, an extra segment, braces missing on
//!   a cluster key, the empty string); `kind` is `"data" | "lock" | "tag"` or
//!   null (then `name`/`params` are null). `classify(key)` is the data entries
//!   only; `classify_any`/`classifyAny` all of them.
//! - `ttl: [{pattern, base_secs, max_secs, jitter_basis_points, draws}]`, one
//!   per pattern; `draws: [[random_unit, ttl_secs]]` computed with the
//!   generated `jittered_ttl` formula (base + min(⌊clamp(unit)·(spread+1)⌋,
//!   spread), capped at max; null for a pattern that never expires).
//! - `plans: [{event, branch, tag_sets, sample, params, inputs, commands,
//!   sets}]`: per event its plan (`branch` null), each `when_changed` branch
//!   (`branch` = field) and, when it invalidates tags, its tag sets
//!   (`tag_sets` true, `sets: [{tag, store, key}]`, `commands` null; else
//!   `sets` null). `commands: [{store, keys}]`: grouped by store (first
//!   appearance), then by hash slot (first appearance) in a cluster store,
//!   one command for all keys on a single node; keys in cascade order.
//! - `slots: [[key, slot]]`: hash-tag edge cases.

use cachegen::keys::{KeyPiece, PlaceholderType, Segment};
use cachegen::policy::model::{Policy, Ttl};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Samples per key pattern and tag set.
pub const SAMPLES: usize = 3;
/// Samples per event plan.
pub const PLAN_SAMPLES: usize = 2;

/// One value of a placeholder: its Rust expression, its text in a key, and
/// what a TypeScript caller passes (see the format's `inputs`).
#[derive(Debug, Clone)]
pub struct Sample {
    pub rust: String,
    pub text: String,
    pub input: String,
}

/// Text forms of an address that a generated `ip` check must judge as
/// `keys::type_accepts` does (build_rust and build_typescript both ask):
/// dotted and dashed forms, upper-case, uncompressed and IPv4-mapped
/// spellings, near misses, and the colon form keys cannot hold.
pub const IP_TEXT_FORMS: &[&str] = &[
    "192.0.2.1",
    "0.0.0.0",
    "01.2.3.4",
    "256.1.1.1",
    "2001-db8--1",
    "2001-DB8--1",
    "2001-db8-0-0-0-0-0-1",
    "--",
    "--1",
    "---1",
    "--ffff-1.2.3.4",
    "--ffff-102-304",
    "--fffe-102-304",
    "1-0-0-2--3",
    "1--2-0-0-0-3",
    "2001:db8::1",
];

/// Sample `k` (`0..SAMPLES`) of placeholder `name`: distinct per placeholder
/// within a sample so swapped arguments show.
pub fn sample(policy: &Policy, name: &str, k: usize) -> Sample {
    let placeholders = &policy.keys.placeholders;
    let i = placeholders
        .get_index_of(name)
        .unwrap_or_else(|| panic!("placeholder {name}"));
    let plain = |text: String| Sample {
        rust: format!("{text:?}"),
        input: text.clone(),
        text,
    };
    match &placeholders[name] {
        PlaceholderType::Int => {
            let rank = placeholders
                .values()
                .take(i)
                .filter(|t| matches!(t, PlaceholderType::Int))
                .count() as u64;
            let n = match k {
                0 => 1000 + 7 * i as u64,
                1 => u64::MAX - rank,
                _ => rank,
            };
            Sample {
                rust: format!("{n}_u64"),
                text: n.to_string(),
                input: n.to_string(),
            }
        }
        PlaceholderType::Slug => {
            plain(["slug-{i}", "s{i}_b-z", "{i}"][k.min(2)].replace("{i}", &i.to_string()))
        }
        PlaceholderType::Token => {
            plain(["Tok_{i}-X", "t{i}-B_z", "{i}"][k.min(2)].replace("{i}", &i.to_string()))
        }
        PlaceholderType::Md5 => plain(match k {
            0 => format!("{:032x}", 0xabc0 + i),
            1 => format!("{:032x}", u128::MAX - i as u128),
            _ => format!("{i:032x}"),
        }),
        PlaceholderType::Uuid => plain(match k {
            0 => format!("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1),
            1 => format!("ffffffff-ffff-4fff-bfff-{:012x}", 0xffff_ffff_ffff - i),
            _ => format!("00000000-0000-0000-0000-{i:012x}"),
        }),
        // A shortest value of the type's language (the only one we can name).
        PlaceholderType::Pattern(r) => plain(r.table.example().expect("a value")),
        PlaceholderType::Ip => {
            // IPv4, IPv6 and IPv4-mapped IPv6 (stored as IPv4), by index.
            let address = match ((i + k) % 3, k) {
                (0, 0) => format!("192.0.2.{i}"),
                (0, 1) => format!("203.0.113.{}", 200 + i),
                (0, _) => format!("0.0.0.{i}"),
                (1, 0) => format!("2001:db8::{i:x}"),
                (1, 1) => format!("2001:db8:0:0:1::{:x}", i + 1),
                (1, _) => format!("::{:x}", i + 1),
                (_, 0) => format!("::ffff:198.51.100.{i}"),
                (_, 1) => format!("::ffff:10.0.0.{i}"),
                (_, _) => format!("::ffff:255.255.255.{i}"),
            };
            let ip: std::net::IpAddr = address.parse().expect("an address");
            Sample {
                rust: format!("{address:?}.parse::<std::net::IpAddr>().unwrap()"),
                text: cachegen::keys::ip::segment(ip),
                input: address,
            }
        }
    }
}

/// Placeholder names of `segments` in key order, each once.
pub fn segment_params(segments: &[Segment]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for s in segments {
        if let Segment::Placeholder { name, .. } = s
            && !out.contains(&name.as_str())
        {
            out.push(name);
        }
    }
    out
}

/// `params` and `inputs` objects of sample `k` for `names`.
fn sample_objects(policy: &Policy, names: &[&str], k: usize) -> (Value, Value) {
    let mut params = serde_json::Map::new();
    let mut inputs = serde_json::Map::new();
    for name in names {
        let s = sample(policy, name, k);
        params.insert((*name).to_owned(), s.text.into());
        inputs.insert((*name).to_owned(), s.input.into());
    }
    (params.into(), inputs.into())
}

/// The stored key of `store`'s layout (`Policy::stored_key`: lock prefix,
/// version prefix, hash-tag braces on a cluster store) with sample `k`.
pub fn stored_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
    k: usize,
) -> String {
    let mut out = String::new();
    for piece in policy.stored_key(store, before, segments, hash_tag) {
        match piece {
            KeyPiece::Text(t) => out.push_str(&t),
            KeyPiece::Placeholder { name, .. } => out.push_str(&sample(policy, name, k).text),
        }
    }
    out
}

/// The stored form of a key with `<name>` for each placeholder
/// (`v2:{user:<user_id>}:profile`).
pub fn shape(
    policy: &Policy,
    store: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    let mut out = String::new();
    for piece in policy.stored_key(store, "", segments, hash_tag) {
        match piece {
            KeyPiece::Text(t) => out.push_str(&t),
            KeyPiece::Placeholder { name, .. } => write!(out, "<{name}>").expect("a String"),
        }
    }
    out
}

/// The hash slot `CLUSTER KEYSLOT` gives `key`.
pub fn slot(key: &str) -> u16 {
    cachegen::explain::key::hash_slot(key.as_bytes())
}

/// The generated modules' `jittered_ttl`, restated from its documented
/// semantics: the TTL a random unit draws between `base` and `max`.
pub fn jittered_ttl(base: u64, basis_points: u32, cap: Option<u64>, unit: f64) -> u64 {
    let spread = u128::from(base) * u128::from(basis_points) / 10_000;
    let spread = u64::try_from(spread).unwrap_or(u64::MAX);
    let unit = if unit.is_nan() {
        0.0
    } else {
        unit.clamp(0.0, 1.0)
    };
    let extra = ((unit * spread.saturating_add(1) as f64) as u64).min(spread);
    let ttl = base.saturating_add(extra);
    cap.map_or(ttl, |c| ttl.min(c))
}

/// Random units every TTL is drawn with (out-of-range ones are clamped).
pub const UNITS: [f64; 7] = [0.0, 0.25, 0.5, 0.999_999, 1.0, -1.0, 2.0];

/// Keys whose hash slot is easy to get wrong; `CLUSTER KEYSLOT` decides.
pub const TRICKY_KEYS: &[&str] = &[
    "",
    "a",
    "{}",
    "{}{a}",
    "a{}b",
    "a{b",
    "a}b{c}",
    "{a}{b}",
    "foo{}bar",
    "foo{bar}baz",
    "foo{{bar}}zap",
    "{user1000}.following",
    "{user1000}.followers",
    "héllo{wörld}",
    "emoji é{ü}",
    "123456789",
];

/// Values a builder must refuse for a placeholder of type `ty` (see the
/// format's `invalid`): `(input, as, why)`.
fn invalid_inputs(ty: &PlaceholderType) -> Vec<(String, &'static str, &'static str)> {
    let s = |v: &str, why| (v.to_owned(), "string", why);
    match ty {
        PlaceholderType::Int => vec![
            s("12a", "not a number (a string)"),
            ("-1".into(), "number", "negative"),
            ("1.5".into(), "number", "not an integer"),
            ("NaN".into(), "number", "NaN"),
            (
                "9007199254740992".into(),
                "number",
                "an unsafe integer number",
            ),
            ("18446744073709551616".into(), "bigint", "above 2^64-1"),
            ("-1".into(), "bigint", "a negative bigint"),
        ],
        PlaceholderType::Slug => vec![
            s("Abc", "uppercase"),
            s("a:b", "a separator"),
            s("a{b}", "hash-tag braces"),
            s("", "empty"),
            s("a b", "a space"),
        ],
        PlaceholderType::Token => vec![
            s("a:b", "a separator"),
            s("a{b", "an opening brace"),
            s("a}b", "a closing brace"),
            s("", "empty"),
            s("tök", "not ASCII"),
        ],
        PlaceholderType::Md5 => vec![
            s(&"a".repeat(31), "31 hex digits"),
            s(&"a".repeat(33), "33 hex digits"),
            s(&"A".repeat(32), "uppercase hex"),
        ],
        PlaceholderType::Uuid => vec![
            s("123E4567-E89B-12D3-A456-426614174000", "uppercase"),
            s("123e4567e89b12d3a456426614174000", "no hyphens"),
            s("", "empty"),
        ],
        PlaceholderType::Ip => vec![
            s("256.1.1.1", "an octet above 255"),
            s("1.2.3", "three octets"),
            s("2001:db8::g", "not hex"),
            s("", "empty"),
            s("2001-db8--1", "the stored text, not an address"),
            s("192.0.2.1:80", "a port"),
        ],
        PlaceholderType::Pattern(r) => {
            let example = r.table.example().expect("a value");
            [
                String::new(),
                format!("{example}:"),
                format!("{{{example}}}"),
                format!("{example}é"),
                example.to_lowercase(),
            ]
            .into_iter()
            .filter(|v| !cachegen::keys::type_accepts(ty, v))
            .map(|v| (v, "string", "outside the type's regex"))
            .collect()
        }
    }
}

/// A placeholder type's name in the policy format (`regex` for a
/// user-defined one).
fn type_name(ty: &PlaceholderType) -> &'static str {
    match ty {
        PlaceholderType::Int => "int",
        PlaceholderType::Uuid => "uuid",
        PlaceholderType::Slug => "slug",
        PlaceholderType::Token => "token",
        PlaceholderType::Md5 => "md5",
        PlaceholderType::Ip => "ip",
        PlaceholderType::Pattern(_) => "regex",
    }
}

/// `{kind, name, params}` of `key` by the policy (`explain::key::match_key`).
fn classified(policy: &Policy, key: &str) -> Value {
    use cachegen::explain::key::{Owner, match_key};
    let Some(m) = match_key(policy, key) else {
        return json!({"key": key, "kind": null, "name": null, "params": null});
    };
    let (kind, name) = match m.owner {
        Owner::Pattern(p) => ("data", p.name.as_str()),
        Owner::Lock(p) => ("lock", p.name.as_str()),
        Owner::Tag(t) => ("tag", t),
    };
    let params: serde_json::Map<String, Value> =
        m.params.into_iter().map(|(k, v)| (k, v.into())).collect();
    json!({"key": key, "kind": kind, "name": name, "params": params})
}

/// `keys` grouped into `UNLINK` commands (see the format's `plans`).
fn commands(policy: &Policy, keys: &[(String, String)]) -> Value {
    let mut stores: Vec<(&str, Vec<&str>)> = Vec::new();
    for (store, key) in keys {
        match stores.iter_mut().find(|(s, _)| s == store) {
            Some((_, list)) => list.push(key),
            None => stores.push((store, vec![key])),
        }
    }
    let mut out = Vec::new();
    for (store, keys) in stores {
        if policy.store_is_cluster(store) {
            let mut groups: Vec<(u16, Vec<&str>)> = Vec::new();
            for key in keys {
                let s = slot(key);
                match groups.iter_mut().find(|(g, _)| *g == s) {
                    Some((_, list)) => list.push(key),
                    None => groups.push((s, vec![key])),
                }
            }
            out.extend(
                groups
                    .into_iter()
                    .map(|(_, k)| json!({"store": store, "keys": k})),
            );
        } else {
            out.push(json!({"store": store, "keys": keys}));
        }
    }
    out.into()
}

/// The vectors of `policy` (see the module doc for the format).
pub fn vectors(policy: &Policy) -> Value {
    let graph = cachegen::graph::Graph::new(policy);
    let mut keys = Vec::new();
    let mut classify = Vec::new();
    let mut invalid = Vec::new();
    let mut ttl = Vec::new();
    let mut patterns = Vec::new();
    for p in policy.keys.patterns.values() {
        let names = segment_params(&p.segments);
        patterns.push(json!({
            "pattern": p.name, "store": p.store,
            "shape": shape(policy, &p.store, &p.segments, p.hash_tag),
            "params": names, "tags": p.tags,
            "lock_prefix": p.stampede_lock.as_ref().map(|l| &l.prefix),
        }));
        for k in 0..SAMPLES {
            let (params, inputs) = sample_objects(policy, &names, k);
            let key = stored_key(policy, &p.store, "", &p.segments, p.hash_tag, k);
            let lock = p
                .stampede_lock
                .as_ref()
                .map(|l| stored_key(policy, &p.store, &l.prefix, &p.segments, p.hash_tag, k));
            classify.push(classified(policy, &key));
            if let Some(lock) = &lock {
                classify.push(classified(policy, lock));
            }
            if k == 0 {
                for old in &policy.keys.previous_prefixes {
                    let current = policy.keys.version_prefix.as_deref().unwrap_or_default();
                    classify.push(classified(
                        policy,
                        &format!("{old}{}", &key[current.len()..]),
                    ));
                }
                classify.push(classified(policy, &format!("zz{key}")));
                classify.push(classified(policy, &format!("{key}:x")));
                if key.contains('{') {
                    classify.push(classified(policy, &key.replace(['{', '}'], "")));
                }
            }
            keys.push(json!({
                "pattern": p.name, "sample": k, "params": params, "inputs": inputs,
                "key": key, "store": p.store, "slot": slot(&key), "lock": lock,
                "lock_ttl_secs": p.stampede_lock.as_ref().map(|l| l.ttl.as_secs()),
            }));
        }
        for name in &names {
            for (input, passed_as, why) in invalid_inputs(&policy.keys.placeholders[*name]) {
                let text_accepted =
                    cachegen::keys::type_accepts(&policy.keys.placeholders[*name], &input);
                invalid.push(json!({
                    "pattern": p.name, "param": name, "input": input, "as": passed_as,
                    "why": why, "text_accepted": text_accepted,
                }));
            }
        }
        let (base, max) = match p.ttl {
            Ttl::Expires { base, max } => (Some(base.as_secs()), Some(max.as_secs())),
            Ttl::Never => (None, None),
        };
        let draws: Vec<Value> = UNITS
            .iter()
            .map(|&u| {
                json!([
                    u,
                    base.map(|b| jittered_ttl(b, p.jitter.basis_points(), max, u))
                ])
            })
            .collect();
        ttl.push(json!({
            "pattern": p.name, "base_secs": base, "max_secs": max,
            "jitter_basis_points": p.jitter.basis_points(), "draws": draws,
        }));
    }
    let mut tags = Vec::new();
    let mut tag_sets = Vec::new();
    for t in policy.tags.values() {
        let names = segment_params(&t.key);
        tag_sets.push(json!({
            "tag": t.name, "store": t.store, "shape": shape(policy, &t.store, &t.key, None),
            "params": names, "ttl_secs": t.ttl.base().map(|d| d.as_secs()), "members": t.members,
        }));
        for k in 0..SAMPLES {
            let (params, inputs) = sample_objects(policy, &names, k);
            let key = stored_key(policy, &t.store, "", &t.key, None, k);
            classify.push(classified(policy, &key));
            tags.push(json!({
                "tag": t.name, "sample": k, "params": params, "inputs": inputs, "key": key,
                "store": t.store, "ttl_secs": t.ttl.base().map(|d| d.as_secs()), "members": t.members,
            }));
        }
    }
    classify.push(classified(policy, ""));
    let mut seen = std::collections::HashSet::new();
    classify.retain(|c| seen.insert(c["key"].as_str().unwrap_or_default().to_owned()));

    let mut plans = Vec::new();
    for e in policy.events.values() {
        let mut names: Vec<&str> = Vec::new();
        for n in &e.params {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        let branches = std::iter::once((None, &e.invalidate))
            .chain(e.when_changed.iter().map(|(f, l)| (Some(f.as_str()), l)));
        for (branch, list) in branches {
            for k in 0..PLAN_SAMPLES {
                let (params, inputs) = sample_objects(policy, &names, k);
                let keys: Vec<(String, String)> = graph
                    .cascade_closure(list)
                    .iter()
                    .map(|r| {
                        let p = policy.pattern(r.pattern).expect("a pattern");
                        let key = stored_key(policy, &p.store, "", &p.segments, p.hash_tag, k);
                        (p.store.clone(), key)
                    })
                    .collect();
                plans.push(json!({
                    "event": e.name, "branch": branch, "tag_sets": false, "sample": k,
                    "params": params, "inputs": inputs, "commands": commands(policy, &keys), "sets": null,
                }));
            }
        }
        if !e.invalidate_tags.is_empty() {
            for k in 0..PLAN_SAMPLES {
                let (params, inputs) = sample_objects(policy, &names, k);
                let sets: Vec<Value> = e
                    .invalidate_tags
                    .iter()
                    .map(|t| {
                        let tag = &policy.tags[t];
                        let key = stored_key(policy, &tag.store, "", &tag.key, None, k);
                        json!({"tag": t, "store": tag.store, "key": key})
                    })
                    .collect();
                plans.push(json!({
                    "event": e.name, "branch": null, "tag_sets": true, "sample": k,
                    "params": params, "inputs": inputs, "commands": null, "sets": sets,
                }));
            }
        }
    }
    let stores: Vec<Value> = policy
        .stores
        .keys()
        .map(|s| json!({"name": s, "cluster": policy.store_is_cluster(s)}))
        .collect();
    let placeholders: serde_json::Map<String, Value> = policy
        .keys
        .placeholders
        .iter()
        .map(|(name, ty)| (name.clone(), type_name(ty).into()))
        .collect();
    let slots: Vec<Value> = TRICKY_KEYS.iter().map(|k| json!([k, slot(k)])).collect();
    json!({
        "policy": policy.name,
        "version_prefix": policy.keys.version_prefix,
        "previous_prefixes": policy.keys.previous_prefixes,
        "stores": stores,
        "placeholders": placeholders,
        "patterns": patterns,
        "tag_sets": tag_sets,
        "keys": keys,
        "tags": tags,
        "invalid": invalid,
        "classify": classify,
        "ttl": ttl,
        "plans": plans,
        "slots": slots,
    })
}

/// The committed text of vectors: pretty JSON and a final newline.
pub fn to_text(vectors: &Value) -> String {
    let mut text = serde_json::to_string_pretty(vectors).expect("JSON");
    text.push('\n');
    text
}

/// A short unified-style diff of two texts' first differing lines, for a
/// stale-vectors failure message.
pub fn first_difference(committed: &str, fresh: &str) -> String {
    let mut out = String::new();
    for (n, (a, b)) in committed.lines().zip(fresh.lines()).enumerate() {
        if a != b {
            let _ = writeln!(out, "line {}:\n- {a}\n+ {b}", n + 1);
            return out;
        }
    }
    let _ = writeln!(
        out,
        "{} committed lines, {} fresh",
        committed.lines().count(),
        fresh.lines().count()
    );
    out
}

/// `CLUSTER KEYSLOT` of each key on a real cluster-enabled `redis-server`
/// equals the slot given.
pub fn assert_redis_agrees(slots: &[(String, u16)]) {
    let bus_port = super::free_port().to_string();
    let server = super::RedisServer::start(
        None,
        &[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            &bus_port,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    );
    let mut client = server.client();
    for (key, slot) in slots {
        let reply = client.command(&["CLUSTER", "KEYSLOT", key]).unwrap();
        assert_eq!(
            reply,
            super::Reply::Int(i64::from(*slot)),
            "CLUSTER KEYSLOT {key:?}"
        );
    }
}
