//! `cachegen verify` of a policy with several stores, against real
//! `redis-server` 7.0.15 processes on free ports: two stores verified in one
//! run (each finding under its store, the exit code the worst of them), a
//! store's `config:` entries loaded by the real server and read back, the
//! `--unmanaged` notes (secrets never printed), and an engine mismatch.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::RedisServer;
use support::verify::{build, verify};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/stores.yaml")
}

fn limit() -> Duration {
    Duration::from_secs(60)
}

/// A real Redis running the config `build` renders for `store`.
fn store_server(built: &Path, store: &str) -> RedisServer {
    RedisServer::start(Some(&built.join(format!("stores/{store}/redis.conf"))), &[])
}

fn url(server: &RedisServer) -> String {
    format!("redis://127.0.0.1:{}", server.port)
}

/// The 1-based line of the fixture where `needle` first occurs after the
/// line holding `after`.
fn line_of(needle: &str, after: &str) -> u64 {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let start = text.find(after).expect("anchor in fixture");
    let at = start + text[start..].find(needle).expect("needle in fixture");
    text[..at].matches('\n').count() as u64 + 1
}

fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {report}"))
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn two_stores_are_verified_in_one_run_and_each_finding_sits_under_its_store() {
    let out = tempfile::tempdir().unwrap();
    let built = build(&fixture(), out.path());
    let cache = store_server(&built, "cache");
    let durable = store_server(&built, "durable");
    // The durable store drifts: someone let it evict.
    durable
        .client()
        .command(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])
        .unwrap();
    let cache_arg = format!("cache={}", url(&cache));
    let durable_arg = format!("durable={}", url(&durable));

    let run = verify(
        &fixture(),
        &cache_arg,
        &["--redis", &durable_arg, "--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let document = run.document();
    assert_eq!(document["version"], 3);
    assert_eq!(document["exit_code"], 1);
    let stores: Vec<&String> = document["stores"].as_object().unwrap().keys().collect();
    assert_eq!(stores, ["cache", "durable"], "policy order");
    let cache_report = run.store("cache");
    let durable_report = run.store("durable");
    assert_eq!(cache_report["exit_code"], 0, "{cache_report}");
    assert!(!codes(&cache_report).contains(&"CG401".into()));
    assert_eq!(
        cache_report["target"],
        format!("redis://127.0.0.1:{}", cache.port)
    );
    let drift: Vec<&Value> = durable_report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "CG401")
        .collect();
    assert_eq!(drift.len(), 1, "{durable_report}");
    assert!(
        drift[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`maxmemory-policy` is `allkeys-lru`"),
        "{}",
        drift[0]
    );
    // At the durable store's own field, not the cache's.
    assert_eq!(
        drift[0]["line"],
        line_of("maxmemory_policy: noeviction", "  durable:"),
        "{}",
        drift[0]
    );

    // Human: a heading per store, then the whole run's outcome.
    let human = verify(&fixture(), &cache_arg, &["--redis", &durable_arg], limit());
    assert_eq!(human.code, Some(1));
    let cache_at = human
        .stdout
        .find("== store cache ==")
        .expect("cache heading");
    let durable_at = human
        .stdout
        .find("== store durable ==")
        .expect("durable heading");
    assert!(cache_at < durable_at, "{}", human.stdout);
    let drift_at = human.stdout.find("`maxmemory-policy` is").unwrap();
    assert!(drift_at > durable_at, "under its store:\n{}", human.stdout);
    assert!(
        human
            .stdout
            .ends_with("verify: 2 stores verified (cache, durable); violations\n"),
        "{}",
        human.stdout
    );

    // SARIF: one run, every store's results, each naming its store.
    let sarif = verify(
        &fixture(),
        &cache_arg,
        &["--redis", &durable_arg, "--format", "sarif"],
        limit(),
    );
    let sarif: Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    let messages: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["text"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("store `durable`: `maxmemory-policy` is")),
        "{messages:?}"
    );

    // JUnit: one test suite per store.
    let junit = verify(
        &fixture(),
        &cache_arg,
        &["--redis", &durable_arg, "--format", "junit"],
        limit(),
    );
    for store in ["cache", "durable"] {
        assert_eq!(
            junit
                .stdout
                .matches(&format!("<testsuite name=\"cachegen.verify.{store}\""))
                .count(),
            1,
            "{}",
            junit.stdout
        );
    }
    assert!(junit.stdout.contains("failures=\"1\""), "{}", junit.stdout);

    // Markdown: the run's verdict, then a section per store.
    let md = verify(
        &fixture(),
        &cache_arg,
        &["--redis", &durable_arg, "--format", "markdown"],
        limit(),
    );
    assert!(
        md.stdout.starts_with(&format!(
            "### cachegen verify against `{}`\n\n**violations** · 2 stores verified (cache, durable)\n",
            fixture().display()
        )),
        "{}",
        md.stdout
    );
    let cache_at = md.stdout.find("#### store `cache`").expect("cache section");
    let durable_at = md.stdout.find("#### store `durable`").expect("durable");
    let drift_at = md.stdout.find("config-drift").expect("drift row");
    assert!(
        cache_at < durable_at && durable_at < drift_at,
        "{}",
        md.stdout
    );
}

#[test]
fn a_store_given_no_url_is_not_verified_and_does_not_fail_the_run() {
    let out = tempfile::tempdir().unwrap();
    let built = build(&fixture(), out.path());
    let cache = store_server(&built, "cache");
    let cache_arg = format!("cache={}", url(&cache));
    let run = verify(&fixture(), &cache_arg, &["--format", "json"], limit());
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.store("cache")["verified"], true);
    assert_eq!(run.store("durable")["verified"], false);
    let human = verify(&fixture(), &cache_arg, &[], limit());
    assert_eq!(human.code, Some(0));
    assert!(
        human.stdout.contains(
            "== store durable ==\nnot verified: no URL was given for it (--redis durable=URL)\n"
        ),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .ends_with("verify: 1 store verified (cache), 1 not verified (durable); conforms\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn store_names_on_the_command_line_are_checked_before_any_server_is_contacted() {
    // Nothing listens on these: a run that got past the checks would fail
    // to connect (exit 3), not exit 2.
    let nowhere = "redis://127.0.0.1:1";
    for (first, more, says) in [
        (
            format!("nope={nowhere}"),
            vec![],
            "the policy has no store `nope` (stores: cache, durable)",
        ),
        (
            format!("cache={nowhere}"),
            vec!["--redis".to_owned(), format!("cache={nowhere}")],
            "--redis names store `cache` twice",
        ),
        (
            nowhere.to_owned(),
            vec![],
            "the policy has 2 stores: name the one this URL reaches, as --redis STORE=URL (stores: cache, durable)",
        ),
    ] {
        let more: Vec<&str> = more.iter().map(String::as_str).collect();
        let run = verify(&fixture(), &first, &more, limit());
        assert_eq!(run.code, Some(2), "{first}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(says), "{first}: {}", run.stderr);
    }
}

/// What `CONFIG GET` must print for every directive the cache store
/// renders, written here from Redis's documented behaviour (memory units in
/// bytes, `replica` printed as `slave`), independently of the renderer.
const CACHE_CONFIG_GET: &[(&str, &str)] = &[
    ("maxmemory", "67108864"),
    ("maxmemory-policy", "allkeys-lfu"),
    ("maxmemory-samples", "7"),
    ("save", ""),
    ("appendonly", "no"),
    ("hz", "20"),
    ("lfu-log-factor", "20"),
    ("lfu-decay-time", "2"),
    ("lazyfree-lazy-user-flush", "yes"),
    ("active-expire-effort", "3"),
    ("client-query-buffer-limit", "2097152"),
    ("proto-max-bulk-len", "67108864"),
    (
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
];

#[test]
fn config_entries_load_in_redis_7_0_read_back_as_set_and_verify_conforms() {
    let out = tempfile::tempdir().unwrap();
    let built = build(&fixture(), out.path());
    let conf = std::fs::read_to_string(built.join("stores/cache/redis.conf")).unwrap();
    let cache = store_server(&built, "cache");
    let mut client = cache.client();
    let mut checked = 0;
    // Every directive line of the rendered file is read back: a directive
    // rendered but left unchecked fails here.
    for line in conf
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split_whitespace().next().unwrap();
        let got = client
            .config_get(name)
            .unwrap_or_else(|| panic!("CONFIG GET {name} returned nothing"));
        if name == "notify-keyspace-events" {
            // The server prints the same classes in its own order.
            let mut got: Vec<char> = got.chars().collect();
            got.sort_unstable();
            assert_eq!(got, ['E', 'x'], "CONFIG GET {name}");
        } else {
            let want = CACHE_CONFIG_GET
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("`{name}` is rendered but not checked by this test"))
                .1;
            assert_eq!(got, want, "CONFIG GET {name}");
        }
        checked += 1;
    }
    assert_eq!(checked, CACHE_CONFIG_GET.len() + 1, "{conf}");

    let run = verify(
        &fixture(),
        &format!("cache={}", url(&cache)),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let rows = report["config"].as_array().unwrap();
    let status = |name: &str| {
        rows.iter()
            .find(|r| r["directive"] == name)
            .unwrap_or_else(|| panic!("no config row for {name}"))["status"]
            .clone()
    };
    for name in [
        "hz",
        "lfu-log-factor",
        "lfu-decay-time",
        "lazyfree-lazy-user-flush",
        "active-expire-effort",
        "client-query-buffer-limit",
        "proto-max-bulk-len",
    ] {
        assert_eq!(status(name), "matches", "{name}");
    }
    assert!(!codes(&report).contains(&"CG401".into()), "{report}");
    // Read but not compared (the server prints its own rendering), and not
    // called missing either.
    assert_eq!(status("client-output-buffer-limit"), "not-comparable");
    assert_eq!(status("notify-keyspace-events"), "not-comparable");
    assert!(!codes(&report).contains(&"CG402".into()), "{report}");
}

#[test]
fn unmanaged_notes_directives_off_their_default_and_never_prints_secrets() {
    let out = tempfile::tempdir().unwrap();
    let built = build(&fixture(), out.path());
    let secret = "s3cret-never-printed";
    let durable = RedisServer::start(
        Some(&built.join("stores/durable/redis.conf")),
        &["--hz", "42"],
    );
    // Set once the server answers (the helper's readiness PING has no
    // password).
    durable
        .client()
        .command(&["CONFIG", "SET", "requirepass", secret])
        .unwrap();
    let target = format!("durable=redis://:{secret}@127.0.0.1:{}", durable.port);

    let plain = verify(&fixture(), &target, &["--format", "json"], limit());
    assert_eq!(plain.code, Some(0), "{}\n{}", plain.stdout, plain.stderr);
    assert!(!codes(&plain.json()).contains(&"CG404".into()));

    let run = verify(
        &fixture(),
        &target,
        &["--format", "json", "--unmanaged"],
        limit(),
    );
    assert_eq!(
        run.code,
        Some(0),
        "notes only:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    let notes = run.findings("CG404");
    let hz: Vec<&Value> = notes
        .iter()
        .filter(|n| n["message"].as_str().unwrap().starts_with("`hz`"))
        .collect();
    assert_eq!(hz.len(), 1, "{notes:?}");
    assert_eq!(hz[0]["severity"], "note");
    assert_eq!(
        hz[0]["message"],
        format!(
            "`hz` is `42` on 127.0.0.1:{}; the policy does not set it, and the redis 7.0 default is `10`",
            durable.port
        )
    );
    assert_eq!(hz[0]["line"], line_of("durable:", "stores:"));
    // Directives the policy sets are config drift's business, not notes.
    assert!(
        !notes.iter().any(|n| {
            let m = n["message"].as_str().unwrap();
            m.starts_with("`appendonly`") || m.starts_with("`maxmemory")
        }),
        "{notes:?}"
    );
    for format in ["json", "human", "sarif", "markdown", "junit", "github"] {
        let run = verify(
            &fixture(),
            &target,
            &["--format", format, "--unmanaged"],
            limit(),
        );
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{format} printed the password:\n{}{}",
            run.stdout,
            run.stderr
        );
        if format == "json" || format == "human" {
            // Not even named: secrets are dropped as they are read. (SARIF
            // carries every rule's docs, which name it.)
            assert!(!run.stdout.contains("requirepass"), "{}", run.stdout);
        }
    }
}

#[test]
fn a_store_declaring_valkey_verified_against_redis_is_an_engine_mismatch() {
    let text = std::fs::read_to_string(fixture()).unwrap().replace(
        "  durable:\n    version: \"7.0\"",
        "  durable:\n    engine: valkey\n    version: \"8.0\"",
    );
    assert!(text.contains("engine: valkey"));
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("stores.yaml");
    std::fs::write(&policy, &text).unwrap();
    let server = RedisServer::start(None, &[]);
    let run = verify(
        &policy,
        &format!("durable={}", url(&server)),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let mismatch = run.findings("CG419");
    assert_eq!(mismatch.len(), 1, "{}", run.stdout);
    assert_eq!(mismatch[0]["severity"], "error");
    let engine_line = text[..text.find("engine: valkey").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(mismatch[0]["line"], engine_line as u64, "{}", mismatch[0]);
}

#[test]
fn config_get_star_is_sent_only_with_unmanaged() {
    use std::sync::{Arc, Mutex};
    use support::fake_redis::{Action, FakeRedis, bulk, healthy};
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let fake = FakeRedis::start(move |args, _| {
        log.lock().unwrap().push(args.join(" "));
        match args[0].as_str() {
            "INFO" => Action::Reply(bulk(
                b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n# Replication\r\nrole:master\r\n# Cluster\r\ncluster_enabled:0\r\n",
            )),
            _ => healthy(args, false),
        }
    });
    let target = format!("durable={}", fake.url());
    let sent_star = |seen: &Mutex<Vec<String>>| {
        seen.lock()
            .unwrap()
            .iter()
            .any(|c| c.eq_ignore_ascii_case("CONFIG GET *"))
    };
    verify(&fixture(), &target, &[], limit());
    assert!(!sent_star(&seen), "{:?}", seen.lock().unwrap());
    verify(&fixture(), &target, &["--unmanaged"], limit());
    assert!(sent_star(&seen), "{:?}", seen.lock().unwrap());
}
