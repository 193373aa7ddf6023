//! The edge, client and warming parts of the TypeScript target
//! (`typescript/<policy>-cache.ts`), proven by their real consumers: the
//! pinned tsc compiles the module and test files that assign its options to
//! ioredis's own `RedisOptions` / `ClusterOptions`, and `node --test` runs
//! `cacheHeaders` in a real Node http server and checks every value against
//! what this file computes from the policy model (never from the renderer's
//! output), passed to Node as JSON.

mod support;
use support::node::{node_test, ts_project, tsc};
use support::render::{file, render, render_text};

use cachegen::policy::model::Policy;
use cachegen::render::{cloudflare, typescript};
use serde_json::{Map, Value, json};
use std::time::Duration;

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
const SHOP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml");
const ODD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/build-typescript-edge.yaml"
);

/// No edge, client or warming section: `ROUTES` and `WARMING` are empty,
/// the option objects hold nothing, and everything still compiles.
const BARE: &str = r#"
version: 1
name: bare
ttl:
  default: 1m
keys:
  placeholders:
    id: int
  patterns:
    item:
      pattern: "item:<id>"
redis:
  version: "7.0"
  maxmemory: 64mb
  maxmemory_policy: allkeys-lru
"#;

const EDGE_TEST: &str = include_str!("build_typescript_edge/edge.test.ts");
const CLIENT_TEST: &str = include_str!("build_typescript_edge/client.test.ts");

/// Each route's headers in sending order, from the function that writes
/// `cloudflare/origin-headers.json`.
fn expected_edge(policy: &Policy) -> Value {
    let Some(edge) = &policy.edge else {
        return json!([]);
    };
    let routes: Vec<Value> = cloudflare::origin_headers(edge, "")
        .routes
        .iter()
        .map(|r| json!({ "route": r.route, "headers": r.headers }))
        .collect();
    Value::from(routes)
}

/// The ioredis options the policy's `client:` means, and the delays its
/// backoffs give after 1, 10 and 1000 attempts.
fn expected_client(policy: &Policy) -> Value {
    let Some(client) = &policy.client else {
        return json!({
            "redis": {}, "cluster": {}, "clusterNodes": {},
            "retry": null, "clusterRetry": null, "reconnectPrefixes": [],
        });
    };
    let mut nodes = Map::new();
    let put = |map: &mut Map<String, Value>, name: &str, value: Option<Value>| {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    };
    let ms = |d: Option<cachegen::load::units::Duration>| d.map(|d| Value::from(d.as_millis()));
    put(
        &mut nodes,
        "maxRetriesPerRequest",
        client.max_retries_per_request.map(Value::from),
    );
    put(&mut nodes, "connectTimeout", ms(client.connect_timeout));
    put(&mut nodes, "commandTimeout", ms(client.command_timeout));
    put(&mut nodes, "keepAlive", ms(client.keepalive));
    put(
        &mut nodes,
        "enableReadyCheck",
        client.ready_check.map(Value::from),
    );
    let mut redis = nodes.clone();
    put(
        &mut redis,
        "enableOfflineQueue",
        client.offline_queue.map(Value::from),
    );
    let mut cluster = Map::new();
    put(
        &mut cluster,
        "enableOfflineQueue",
        client.offline_queue.map(Value::from),
    );
    put(
        &mut cluster,
        "enableReadyCheck",
        client.ready_check.map(Value::from),
    );
    let delays = |b: &Option<cachegen::policy::raw::Backoff>| {
        b.as_ref().map(|b| {
            let (step, max) = (b.step.as_millis(), b.max.as_millis());
            [1u64, 10, 1000]
                .map(|times| json!([times, (times * step).min(max)]))
                .to_vec()
        })
    };
    json!({
        "redis": redis,
        "cluster": cluster,
        "clusterNodes": nodes,
        "retry": delays(&client.retry_backoff),
        "clusterRetry": delays(&client.cluster_retry_backoff),
        "reconnectPrefixes": client.reconnect_on_errors,
    })
}

/// The warming tasks in policy order, as `WARMING` must hold them.
fn expected_warming(policy: &Policy) -> Value {
    policy
        .warming
        .values()
        .map(|t| {
            json!({
                "name": t.name,
                "keys": t.keys,
                "onStartup": t.on_startup,
                "schedule": t.schedule,
                "limit": t.limit,
                "description": t.description,
            })
        })
        .collect()
}

/// Compiles the policy's module with both test files (strict tsc), then runs
/// them with the expected values.
fn prove(report: &cachegen::FileReport, files: &[cachegen::render::OutputFile]) {
    let policy = report.policy.as_ref().expect("a model");
    let module = file(files, &typescript::output_path(policy));
    let expected = json!({
        "edge": expected_edge(policy),
        "client": expected_client(policy),
        "warming": expected_warming(policy),
    });
    let project = ts_project(&[
        ("cache.ts", module),
        ("edge.test.ts", EDGE_TEST),
        ("client.test.ts", CLIENT_TEST),
    ]);
    let root = project.path();
    let (compiled, diagnostics) = tsc(root);
    assert!(compiled, "{}: tsc refused:\n{diagnostics}", policy.name);
    std::fs::write(root.join("expected.json"), expected.to_string()).expect("expected.json");
    let (passed, output) = node_test(
        root,
        &["out/edge.test.js", "out/client.test.js"],
        &[("EXPECTED_JSON", "expected.json")],
        Duration::from_secs(120),
    );
    assert!(passed, "{}: node --test failed:\n{output}", policy.name);
}

#[test]
fn quizmentor_routes_client_and_warming_work_in_node() {
    let (report, files) = render(QUIZMENTOR);
    let policy = report.policy.as_ref().expect("a model");
    // The runbook's numbers, so a model that lost them fails here too.
    assert_eq!(
        expected_client(policy)["retry"],
        json!([[1, 50], [10, 500], [1000, 2000]])
    );
    assert_eq!(policy.edge.as_ref().map(|e| e.routes.len()), Some(4));
    prove(&report, &files);
}

#[test]
fn shop_routes_client_and_warming_work_in_node() {
    let (report, files) = render(SHOP);
    prove(&report, &files);
}

#[test]
fn repeated_headers_partial_client_and_hostile_text_work_in_node() {
    let (report, files) = render(ODD);
    let policy = report.policy.as_ref().expect("a model");
    let module = file(&files, &typescript::output_path(policy));
    // Policy text reaches the module only escaped: a doc comment line
    // closes at its end, never earlier.
    for line in module
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("/**") && l.len() > 3)
    {
        assert_eq!(line.find("*/"), Some(line.len() - 2), "{line}");
    }
    assert!(module.contains("close * / a comment"), "{module}");
    prove(&report, &files);
}

#[test]
fn a_policy_without_edge_client_or_warming_still_compiles_and_runs() {
    let (report, files) = render_text("bare.yaml", BARE);
    let module = file(
        &files,
        &typescript::output_path(report.policy.as_ref().expect("a model")),
    );
    assert!(
        module.contains("export type RouteName = never;"),
        "{module}"
    );
    assert!(
        module.contains("export type WarmingTaskName = never;"),
        "{module}"
    );
    prove(&report, &files);
}

/// What the README's example uses but does not declare: the response body,
/// an Express-like app and a handler (Express itself is not installed).
const README_PRELUDE: &str = r#"
declare const body: string;
declare const handler: (req: unknown, res: unknown) => void;
type ExpressResponse = { setHeader(name: string, value: string | number | readonly string[]): unknown };
declare const app: { get(path: string, ...handlers: ((req: unknown, res: ExpressResponse, next: () => void) => void)[]): void };
"#;

#[test]
fn the_readme_node_example_compiles_against_quizmentors_module() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Node services\n")
        .nth(1)
        .expect("README has a Node services section");
    let example = section
        .split("```ts\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a ts block");
    assert!(example.contains("cacheHeaders(") && example.contains("redisOptions"));
    let (report, files) = render(QUIZMENTOR);
    let module = file(
        &files,
        &typescript::output_path(report.policy.as_ref().expect("a model")),
    );
    let project = ts_project(&[
        ("quizmentor-cache.ts", module),
        ("readme.ts", &format!("{example}{README_PRELUDE}")),
    ]);
    let (compiled, diagnostics) = tsc(project.path());
    assert!(
        compiled,
        "the README's example does not compile:\n{diagnostics}"
    );
}

/// A route whose `Cache-Control` is written by hand as well (CG203
/// suppressed): HTTP reads the two fields as one list (RFC 9110 section
/// 5.3), and the Rust module's constant and the TypeScript middleware both
/// say so, from the same route facts.
const HAND_WRITTEN: &str = r#"
version: 1
name: hand
ttl:
  default: 1m
keys:
  placeholders:
    id: int
  patterns:
    item:
      pattern: "item:<id>"
edge:
  provider: cloudflare
  routes:
    docs:
      path: "/docs/*"
      cache: standard
      edge_ttl: 1h
      headers:
        Cache-Control: no-transform  # cachegen: allow CG203 -- a proxy must not recompress
redis:
  version: "7.0"
  maxmemory: 64mb
  maxmemory_policy: allkeys-lru
"#;

#[test]
fn a_repeated_header_is_combined_the_same_way_by_both_modules() {
    let (report, files) = render_text("hand.yaml", HAND_WRITTEN);
    let policy = report.policy.as_ref().expect("a model");
    let route = &policy.edge.as_ref().expect("an edge").routes["docs"];
    let joined = format!("{}, no-transform", cloudflare::cache_control(route));
    let rust = file(&files, &cachegen::render::rust::output_path(policy));
    assert!(
        rust.lines().any(|l| l.contains("CACHE_CONTROL: &str = ")
            && l.ends_with(&format!("\"{joined}\";"))),
        "{rust}"
    );
    assert!(rust.contains("(path `/docs/*`)"), "{rust}");
    let ts = file(&files, &typescript::output_path(policy));
    assert!(
        ts.contains(&format!("[\"Cache-Control\", \"{joined}\", false]")),
        "{ts}"
    );
    assert!(ts.contains("matches: \"path /docs/*\""), "{ts}");
    prove(&report, &files);
}
