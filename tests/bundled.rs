//! The bundled policies (`policies/*.yaml`): each checks without a finding,
//! owns one directory of `generated/`, and renders only directives its
//! stores' engine releases have (the shop's Valkey 8.0 and Redis 7.2 stores
//! cannot be started here, so the fact tables are the proof for them; the
//! Redis 7.0 stores are also loaded by a real server in tests/build.rs). The
//! shop shows what one policy with two stores of two engines must keep:
//! routes and events that reach into both.

mod support;
use support::render::{file, render};

use cachegen::facts::{self, ConfigValue, Engine};
use cachegen::policy::model::Policy;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SHOP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml");

fn bundled() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("policies"))
        .expect("policies/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    out.sort();
    out
}

fn policy_of(path: &Path) -> Policy {
    cachegen::check_path(path, &Default::default())
        .policy
        .unwrap_or_else(|| panic!("{} lowers", path.display()))
}

#[test]
fn every_bundled_policy_checks_without_a_finding() {
    let policies = bundled();
    assert!(policies.len() >= 2, "quizmentor and shop: {policies:?}");
    for path in &policies {
        let report = cachegen::check_path(path, &Default::default());
        let left: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (d.code.code, d.message.clone()))
            .collect();
        assert!(left.is_empty(), "{}: {left:?}", path.display());
    }
}

/// `build` writes `generated/<policy name>/`: every bundled policy has its
/// own directory, and nothing else is there (the build-test fixture named
/// `shop-catalogue` is never built into it).
#[test]
fn generated_holds_one_directory_per_bundled_policy() {
    let mut names: Vec<String> = bundled().iter().map(|p| policy_of(p).name).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two bundled policies share a name");
    let mut dirs: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("generated"))
        .expect("generated/")
        .map(|e| e.expect("entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert_eq!(dirs, names);
}

/// A value as redis.conf writes it, typed as a policy's `config:` would give it.
fn conf_value(text: &str) -> ConfigValue {
    text.parse::<i64>().map_or_else(
        |_| ConfigValue::String(text.to_owned()),
        ConfigValue::Integer,
    )
}

/// Every directive in every store's redis.conf exists in the store's own
/// engine release, and every one-word value is one that release accepts.
#[test]
fn every_rendered_directive_is_in_its_stores_release() {
    for path in bundled() {
        let path = path.to_str().unwrap();
        let (report, files) = render(path);
        let policy = report.policy.as_ref().unwrap();
        for store in policy.stores.values() {
            let release = store
                .release
                .unwrap_or_else(|| panic!("{path}: store {} has facts", store.name));
            let table = release.table();
            let conf = file(&files, &format!("stores/{}/redis.conf", store.name));
            let mut checked = 0;
            for line in conf
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
            {
                let (name, value) = line.split_once(' ').expect("directive value");
                // `include` is the config file's own keyword, not a
                // directive (tests/build.rs loads it on a real server).
                if name == "include" {
                    continue;
                }
                let fact = table
                    .get(name)
                    .unwrap_or_else(|| panic!("{path}: {release} has no `{name}`"));
                if !value.contains(' ') && !value.starts_with('"') {
                    if let Err(problem) = facts::check_value(fact, &conf_value(value)) {
                        panic!("{path}: {release} refuses `{line}`: {problem:?}");
                    }
                    checked += 1;
                }
            }
            assert!(
                checked >= 5,
                "{path} {}: {checked} values checked",
                store.name
            );
        }
    }
}

#[test]
fn shop_has_a_valkey_cache_and_a_redis_durable_store() {
    let shop = policy_of(Path::new(SHOP));
    let cache = &shop.stores["cache"];
    let durable = &shop.stores["durable"];
    assert_eq!(cache.engine, Engine::Valkey);
    assert_eq!(
        cache.release,
        Some(facts::release(Engine::Valkey, (8, 0)).unwrap())
    );
    assert!(cache.cluster.is_some());
    assert_eq!(durable.engine, Engine::Redis);
    assert_eq!(
        durable.release,
        Some(facts::release(Engine::Redis, (7, 2)).unwrap())
    );
    assert!(durable.cluster.is_none(), "the durable store is one node");
    // Durable data lives where nothing is evicted.
    for p in shop.keys.patterns.values() {
        assert_eq!(p.durable, p.store == "durable", "{}", p.name);
    }

    let (_, files) = render(SHOP);
    let valkey_conf = file(&files, "stores/cache/redis.conf");
    for line in ["hz 20", "activedefrag yes", "maxmemory-policy allkeys-lfu"] {
        assert!(valkey_conf.lines().any(|l| l == line), "{line}");
    }
    let manifest = file(&files, "stores/cache/kubernetes/redis-cluster.yaml");
    assert!(manifest.contains("image: \"valkey/valkey:8.0.1\""));
    // Both engines have CLIENT NO-TOUCH (Valkey, Redis 7.2): verify asks for it.
    for store in ["cache", "durable"] {
        let acl = file(&files, &format!("stores/{store}/verifier.acl"));
        assert!(acl.contains(" +client|no-touch "), "{store}: {acl}");
    }
}

/// One policy, not two files: a route serves, and an event purges, patterns
/// of both stores.
#[test]
fn shop_routes_and_events_reach_into_both_stores() {
    let shop = policy_of(Path::new(SHOP));
    let stores_of = |patterns: &[String]| -> Vec<String> {
        let mut s: Vec<String> = patterns
            .iter()
            .map(|p| shop.keys.patterns[p].store.clone())
            .collect();
        s.sort();
        s.dedup();
        s
    };
    let routes = &shop.edge.as_ref().unwrap().routes;
    for route in ["cart", "account"] {
        assert_eq!(
            stores_of(&routes[route].serves),
            ["cache", "durable"],
            "{route}"
        );
    }
    for event in ["order.placed", "customer.logged_out"] {
        assert_eq!(
            stores_of(&shop.events[event].invalidate),
            ["cache", "durable"],
            "{event}"
        );
    }
}
