//! The shared test vectors (tests/support/vectors.rs, committed under
//! tests/vectors/): regenerated from each policy's model and compared with
//! the committed files, their slots confirmed by a real cluster-enabled
//! `redis-server`, and met by the generated TypeScript module (a
//! `node --test` suite, tests/typescript/vectors.test.ts, compiled with the
//! module by the pinned `tsc` under the strict settings). The generated Rust
//! module meets them in tests/build_rust.rs's consumer crate.

mod support;
use support::render::{EDGE_CASES, checked, checked_text};
use support::vectors::{assert_redis_agrees, to_text, vectors};

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The policy files with committed vectors (relative to the crate), and
/// `EDGE_CASES` (tests/support/render.rs).
const POLICIES: &[&str] = &[
    "policies/quizmentor.yaml",
    "policies/shop.yaml",
    "tests/fixtures/build-regex.yaml",
    "tests/fixtures/build-ip.yaml",
    // A cluster store and a single-node store: plans split per store.
    "tests/fixtures/build-stores.yaml",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Each policy's model, its fresh vectors and the committed file's path.
fn fresh() -> Vec<(cachegen::FileReport, Value, PathBuf)> {
    let reports = POLICIES
        .iter()
        .map(|path| checked(root().join(path).to_str().expect("UTF-8 path")))
        .chain([checked_text("edge-cases.yaml", EDGE_CASES)]);
    reports
        .map(|report| {
            let policy = report.policy.as_ref().expect("a model");
            let file = root().join(format!("tests/vectors/{}.json", policy.name));
            let v = vectors(policy);
            (report, v, file)
        })
        .collect()
}

#[test]
fn committed_vectors_are_fresh() {
    let update = std::env::var_os("CACHEGEN_UPDATE_VECTORS").is_some();
    let mut stale = Vec::new();
    for (report, v, file) in fresh() {
        let text = to_text(&v);
        // Deterministic: a second computation gives the same bytes.
        assert_eq!(text, to_text(&vectors(report.policy.as_ref().unwrap())));
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        if committed == text {
            continue;
        }
        if update {
            std::fs::write(&file, &text).expect("write vectors");
        } else {
            stale.push(format!(
                "{}:\n{}",
                file.display(),
                support::vectors::first_difference(&committed, &text)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale test vectors (review the change, then run \
         `CACHEGEN_UPDATE_VECTORS=1 cargo test --test vectors`):\n{}",
        stale.join("\n")
    );
}

/// Every slot in the vectors (tricky keys and every key's) is the slot a real
/// cluster-enabled `redis-server` gives.
#[test]
fn redis_agrees_on_every_slot() {
    let mut slots = Vec::new();
    for (_, v, _) in fresh() {
        for pair in v["slots"].as_array().expect("slots") {
            let key = pair[0].as_str().expect("a key").to_owned();
            slots.push((key, pair[1].as_u64().expect("a slot") as u16));
        }
        for k in v["keys"].as_array().expect("keys") {
            let key = k["key"].as_str().expect("a key").to_owned();
            slots.push((key, k["slot"].as_u64().expect("a slot") as u16));
        }
    }
    assert!(slots.len() > 200, "{} slots", slots.len());
    assert!(slots.iter().any(|(k, _)| k == "{}"));
    assert_redis_agrees(&slots);
}

/// The vectors cover what they promise: three samples per pattern with 0 and
/// 2^64-1 among the ints, an invalid value per restricted placeholder, every
/// event's plans, and non-keys that classify as nothing.
#[test]
fn vectors_cover_every_pattern_event_and_edge() {
    for (report, v, file) in fresh() {
        let policy = report.policy.as_ref().unwrap();
        let name = file.display();
        for p in policy.keys.patterns.values() {
            let samples = v["keys"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| k["pattern"] == p.name.as_str());
            assert_eq!(
                samples.count(),
                support::vectors::SAMPLES,
                "{name}: {}",
                p.name
            );
            let has_params = !support::vectors::segment_params(&p.segments).is_empty();
            let invalid = v["invalid"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["pattern"] == p.name.as_str());
            assert_eq!(invalid, has_params, "{name}: invalid values of {}", p.name);
        }
        for e in policy.events.values() {
            let plans = v["plans"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["event"] == e.name.as_str())
                .count();
            let per_sample = 1 + e.when_changed.len() + usize::from(!e.invalidate_tags.is_empty());
            assert_eq!(
                plans,
                per_sample * support::vectors::PLAN_SAMPLES,
                "{name}: {}",
                e.name
            );
        }
        let classify = v["classify"].as_array().unwrap();
        assert!(
            classify
                .iter()
                .any(|c| c["key"] == "" && c["kind"].is_null()),
            "{name}"
        );
        assert!(
            classify.iter().filter(|c| c["kind"].is_null()).count() > policy.keys.patterns.len(),
            "{name}"
        );
        if policy
            .keys
            .placeholders
            .values()
            .any(|t| *t == cachegen::keys::PlaceholderType::Int)
        {
            let text = to_text(&v);
            assert!(
                text.contains("\"18446744073709551615\"") && text.contains("\"0\""),
                "{name}"
            );
        }
    }
}
/// The generated TypeScript module meets every vector: tests/typescript/
/// vectors.test.ts, compiled with the module (copied to `cache.ts`) by the
/// pinned `tsc` under the strict settings, run by `node --test`.
#[test]
fn typescript_module_meets_the_vectors() {
    let suite = std::fs::read_to_string(root().join("tests/typescript/vectors.test.ts"))
        .expect("tests/typescript/vectors.test.ts");
    for (report, v, file) in fresh() {
        let policy = report.policy.as_ref().unwrap();
        let files = cachegen::render_report(&report, &Default::default())
            .expect("renders")
            .expect("templates render");
        let path = format!("typescript/{}-cache.ts", policy.name);
        let module = files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} not generated"));
        let project = support::node::ts_project(&[
            ("cache.ts", &module.contents),
            ("vectors.test.ts", &suite),
        ]);
        let (ok, out) = support::node::tsc(project.path());
        assert!(ok, "{}: tsc failed:\n{out}", policy.name);
        let vectors_path = project.path().join("vectors.json");
        std::fs::write(&vectors_path, to_text(&v)).unwrap();
        let (ok, out) = support::node::node_test(
            project.path(),
            &["out/vectors.test.js"],
            &[("CACHEGEN_VECTORS", vectors_path.to_str().unwrap())],
            Duration::from_secs(120),
        );
        assert!(ok, "{}: node --test failed:\n{out}", file.display());
        eprintln!("{}: {} vectors met", policy.name, file.display());
        // Every test of the suite ran and passed; none was skipped.
        let tests = suite.matches("\ntest(").count();
        assert!(tests >= 8, "{tests} tests in vectors.test.ts");
        assert!(
            out.contains(&format!("ℹ pass {tests}\n")) && out.contains("ℹ skipped 0"),
            "{}: {out}",
            policy.name
        );
    }
}
