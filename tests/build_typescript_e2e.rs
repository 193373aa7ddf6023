//! End to end (issue 14): the generated TypeScript module, compiled with
//! the strict TSCONFIG, drives real `ioredis` against quizmentor's `cache`
//! store (a 3 × 2 loopback Redis Cluster booted by its generated
//! bootstrap.sh, with its generated users) and its `durable` store (a
//! redis-server on its generated redis.conf with its generated ACL), as the
//! service users the policy grants (tests/typescript/e2e.test.ts). Then
//! `cachegen verify --full` finds nothing wrong with the keyspace the module
//! wrote, and catches a key written by hand against the policy.

mod support;

use cachegen::graph::Graph;
use cachegen::policy::model::{Policy, Ttl};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::cluster::{LocalCluster, bootstrap};
use support::node::{node_test, ts_project, tsc};
use support::render::{file, render};
use support::verify::{Run, verify};

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
const MODULE: &str = "typescript/quizmentor-cache.ts";
const E2E_TEST: &str = include_str!("typescript/e2e.test.ts");

/// The operator user of both stores: writes the policy-breaking key.
const ADMIN: &str = "admin";

/// Keyspace findings: what the module's keys, TTLs and types are judged by.
/// Any of them on the keys the module wrote means the module is wrong.
const KEYSPACE_CODES: &[&str] = &[
    "CG420", "CG421", "CG422", "CG423", "CG424", "CG425", "CG426",
];

/// Whole seconds (the policy's TTLs are whole seconds; the module's too).
fn secs(d: cachegen::load::units::Duration) -> u64 {
    assert!(d.is_whole_seconds(), "{d:?}");
    d.as_secs()
}

/// What the policy says, from the model (not from the TypeScript module,
/// which the node test holds to it): per pattern its store, value type and
/// TTL bounds; per tag set its TTL; per event its parameters and the
/// patterns its plan and each `when_changed` branch delete, cascades
/// included (the graph's closure, which the Rust module's plans also use).
fn expectations(policy: &Policy) -> Value {
    let ttl = |t: Ttl| match t {
        Ttl::Expires { base, max } => json!([secs(base), secs(max)]),
        Ttl::Never => Value::Null,
    };
    let patterns: serde_json::Map<String, Value> = policy
        .keys
        .patterns
        .values()
        .map(|p| {
            let spec = json!({
                "store": p.store,
                "type": cachegen::policy::lock::spelling(p.value_type),
                "ttl": ttl(p.ttl),
            });
            (p.name.clone(), spec)
        })
        .collect();
    let tags: serde_json::Map<String, Value> = policy
        .tags
        .values()
        .map(|t| {
            let ttl = match t.ttl {
                Ttl::Expires { base, .. } => json!(secs(base)),
                Ttl::Never => Value::Null,
            };
            (t.name.clone(), json!({ "ttl": ttl }))
        })
        .collect();
    let graph = Graph::new(policy);
    let closure = |list: &[String]| -> Vec<String> {
        graph
            .cascade_closure(list)
            .iter()
            .map(|r| r.pattern.to_owned())
            .collect()
    };
    let events: serde_json::Map<String, Value> = policy
        .events
        .values()
        .map(|e| {
            let branches: serde_json::Map<String, Value> = e
                .when_changed
                .iter()
                .map(|(field, list)| (field.clone(), json!(closure(list))))
                .collect();
            let spec = json!({
                "params": e.params,
                "plan": closure(&e.invalidate),
                "whenChanged": branches,
                "tagSets": e.invalidate_tags,
            });
            (e.name.clone(), spec)
        })
        .collect();
    json!({ "patterns": patterns, "tags": tags, "events": events })
}

/// Runs `commands` (one per line) through `redis-cli -c` as the operator,
/// which follows MOVED redirects to the master owning each key's slot.
fn cluster_exec(cluster: &LocalCluster, port: u16, commands: &str) {
    let mut child = Command::new(support::redis_cli_binary())
        .args(["--user", ADMIN, "-c", "-p", &port.to_string()])
        .env("REDISCLI_AUTH", cluster.password(ADMIN))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !stdout.contains("ERR") && !stdout.contains("NOPERM"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The report's entry for the keys of `owner` (a pattern's name, `tag set
/// user`, `quiz_leaderboard stampede lock`).
fn owner<'r>(store: &'r Value, owner: &str) -> &'r Value {
    store["keyspace"]["patterns"]
        .as_array()
        .expect("keyspace.patterns")
        .iter()
        .find(|p| p["owner"] == owner)
        .unwrap_or_else(|| panic!("no owner {owner} in the report"))
}

/// Keyspace findings of `store` in the run (code, message).
fn keyspace_findings(run: &Run, store: &str) -> Vec<(String, String)> {
    run.store(store)["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{store} was not verified:\n{}", run.stdout))
        .iter()
        .filter(|f| KEYSPACE_CODES.contains(&f["code"].as_str().unwrap_or_default()))
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("code"), text("message"))
        })
        .collect()
}

#[test]
fn typescript_module_writes_what_verify_accepts_on_a_real_cluster() {
    let started = Instant::now();
    let (report, files) = render(QUIZMENTOR);
    let policy = report.policy.as_ref().expect("model");
    let cache = &policy.stores["cache"];
    let durable = &policy.stores["durable"];
    assert!(cache.cluster.is_some() && durable.cluster.is_none());

    // Compile first: a module that does not type-check fails in seconds.
    let project = ts_project(&[
        ("quizmentor-cache.ts", file(&files, MODULE)),
        ("e2e.test.ts", E2E_TEST),
    ]);
    let (ok, diagnostics) = tsc(project.path());
    assert!(
        ok,
        "tsc (strict) refused the module or the test:\n{diagnostics}"
    );

    // The cache store: every node the policy declares (3 masters × 2
    // replicas), so verify judges a topology as deployed.
    let root = tempfile::tempdir().unwrap();
    let (cluster, ports, _) = bootstrap(root.path(), &files, cache, 9);
    // The durable store: its generated redis.conf and installed ACL.
    let (durable_server, durable_credentials) = support::access::start(&files, durable);

    let summary_path = project.path().join("summary.json");
    let mut env: Vec<(String, String)> = vec![
        ("E2E_EXPECTED".into(), expectations(policy).to_string()),
        ("E2E_CLUSTER_SEED".into(), ports[0].to_string()),
        ("E2E_DURABLE_PORT".into(), durable_server.port.to_string()),
        ("E2E_SUMMARY".into(), summary_path.display().to_string()),
    ];
    for user in ["api", "warmer", ADMIN] {
        let variable = format!("E2E_CACHE_{}", user.to_uppercase());
        env.push((variable, cluster.password(user).to_owned()));
    }
    for user in ["api", "answer-worker", ADMIN] {
        let variable = format!("E2E_DURABLE_{}", user.to_uppercase().replace('-', "_"));
        env.push((variable, durable_credentials.password(user).to_owned()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ok, output) = node_test(
        project.path(),
        &["out/e2e.test.js"],
        &env,
        Duration::from_secs(120),
    );
    assert!(ok, "node --test e2e.test.js failed:\n{output}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).expect("summary.json"))
            .expect("summary is JSON");

    // verify --full, as its own user, on both stores.
    let verifier = cachegen::verifier::NAME;
    let urls = format!(
        "cache=redis://{verifier}:{}@127.0.0.1:{}",
        cluster.password(verifier),
        ports[0]
    );
    let durable_url = format!(
        "durable=redis://{verifier}:{}@127.0.0.1:{}",
        durable_credentials.password(verifier),
        durable_server.port
    );
    let policy_path = Path::new(QUIZMENTOR);
    let run_verify = || {
        let run = verify(
            policy_path,
            &urls,
            &["--redis", &durable_url, "--full", "--format", "json"],
            Duration::from_secs(60),
        );
        assert!(
            matches!(run.code, Some(0 | 1)),
            "verify did not finish its judgement ({:?}):\n{}\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
        run
    };
    let run = run_verify();
    // Zero keyspace findings: they judge exactly what the module wrote
    // (classification, TTL presence and bound, durability, type, size).
    // Other findings are about the loopback deployment: every replica
    // shares its master's host (CG416, a warning on loopback), the hit
    // ratio window saw no traffic (CG431, a note), and on a machine whose
    // open-file limit is low Redis lowers maxclients (CG401 on that one
    // directive); none of them is an error about anything else.
    for store in ["cache", "durable"] {
        let report = run.store(store);
        assert_eq!(report["complete"], true, "{store}: {}", run.stdout);
        assert_eq!(
            keyspace_findings(&run, store),
            Vec::<(String, String)>::new(),
            "{store}: keyspace findings on the keys the module wrote:\n{}",
            run.stdout
        );
        for f in report["findings"].as_array().unwrap() {
            let maxclients =
                f["code"] == "CG401" && f["message"].to_string().contains("maxclients");
            assert!(
                f["severity"] != "error" || maxclients,
                "{store}: an error on a clean run: {f}"
            );
        }
    }
    // Verify saw every key the module wrote, each under its pattern; of a
    // pattern that lives under a minute (question_stats: 10 s), some keys
    // may have expired on a slow machine, never more than were written.
    let counts = summary["counts"].as_object().expect("counts");
    assert_eq!(
        counts.len(),
        policy.keys.patterns.len(),
        "every pattern written"
    );
    for (pattern, written) in counts {
        let p = &policy.keys.patterns[pattern.as_str()];
        let seen = owner(&run.store(&p.store), pattern)["keys"]
            .as_u64()
            .unwrap();
        let written = written.as_u64().unwrap();
        match p.ttl {
            Ttl::Expires { max, .. } if max.as_secs() < 60 => {
                assert!(
                    seen <= written,
                    "{pattern}: {seen} keys seen, {written} written"
                )
            }
            _ => assert_eq!(seen, written, "{pattern}: keys verify classified"),
        }
    }
    for tag in policy.tags.values() {
        let seen = owner(&run.store(&tag.store), &format!("tag set {}", tag.name))["keys"].clone();
        assert!(
            seen.as_u64().unwrap() > 0,
            "tag set {}: none seen",
            tag.name
        );
    }
    let inspected = run.store("cache")["keyspace"]["inspected"]
        .as_u64()
        .unwrap();
    assert!(
        inspected > 2000,
        "a few thousand keys in the cluster: {inspected}"
    );

    // Two keys written by hand against the policy: a user_profile without
    // its TTL (the pattern must expire, after at most 27m + jitter), and a
    // key under the version prefix that matches no pattern.
    let no_ttl = "v2:{user:987654}:profile";
    let undeclared = "v2:{user:987654}:avatar";
    cluster_exec(
        &cluster,
        ports[0],
        &format!("SET {no_ttl} by-hand\nSET {undeclared} by-hand EX 60\n"),
    );
    let run = run_verify();
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let mut findings = keyspace_findings(&run, "cache");
    findings.sort();
    let codes: Vec<&str> = findings.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(codes, ["CG420", "CG422"], "{findings:?}");
    assert!(findings[0].1.starts_with("1 keys "), "{}", findings[0].1);
    assert!(
        findings[1].1.contains("`user_profile`"),
        "{}",
        findings[1].1
    );
    let cache_report = run.store("cache");
    let missing = &owner(&cache_report, "user_profile")["violations"]["missing_ttl"];
    assert_eq!(missing["keys"], 1);
    assert_eq!(missing["examples"], json!([no_ttl]));
    assert_eq!(cache_report["keyspace"]["unknown"]["keys"], 1);
    assert!(keyspace_findings(&run, "durable").is_empty());

    drop(durable_server);
    drop(cluster);
    eprintln!("end to end in {:?}", started.elapsed());
}
