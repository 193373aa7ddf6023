//! `cachegen verify` against a real single Redis node started from the
//! policy's own generated redis.conf: seeded with conforming and violating
//! keys, every finding counted exactly; the hit ratio read before sampling;
//! config drift introduced with CONFIG SET; sample mode; every output format.

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::RedisServer;
use support::verify::{Run, build, verify, verify_during_window};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

/// Starts a server from the fixture policy's generated redis.conf.
fn server(out: &Path) -> RedisServer {
    let dir = build(&fixture(), out);
    RedisServer::start(
        Some(&dir.join("stores/redis/redis.conf")),
        &["--enable-debug-command", "local"],
    )
}

/// Sends raw byte arguments (values that are not UTF-8, such as gzip
/// headers) and checks the reply is not an error.
fn raw(port: u16, args: &[&[u8]]) {
    let mut wire = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        wire.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        wire.extend_from_slice(a);
        wire.extend_from_slice(b"\r\n");
    }
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(&wire).unwrap();
    let mut reply = [0u8; 64];
    let n = s.read(&mut reply).unwrap();
    assert_ne!(reply[0], b'-', "{}", String::from_utf8_lossy(&reply[..n]));
}

fn md5ish(i: u32) -> String {
    format!("{:032x}", 0xabc0_0000u128 + u128::from(i))
}

/// Seeds the keyspace; returns nothing, the counts below are the contract.
fn seed(server: &RedisServer) {
    let mut c = server.client();
    let mut ok = |args: &[&str]| {
        let reply = c.command(args).unwrap();
        assert!(
            !matches!(reply, support::Reply::Error(_)),
            "{args:?}: {reply:?}"
        );
    };
    // profile: hash, 10m + 10% jitter = at most 11m.
    for i in 1..=5 {
        let key = format!("v3:user:{i}:profile");
        ok(&["HSET", &key, "name", "ada"]);
        ok(&["EXPIRE", &key, "600"]);
    }
    ok(&["HSET", "v3:user:6:profile", "name", "x"]); // missing TTL
    ok(&["HSET", "v3:user:7:profile", "name", "x"]); // missing TTL
    ok(&["HSET", "v3:user:8:profile", "name", "x"]);
    ok(&["EXPIRE", "v3:user:8:profile", "3600"]); // above 11m
    ok(&["SET", "v3:user:9:profile", "x", "EX", "600"]); // string, not hash
    // The profile stampede lock: 30s; one without a TTL.
    ok(&["SET", "lock:v3:user:1:profile", "1", "EX", "30"]);
    ok(&["SET", "lock:v3:user:2:profile", "1"]); // missing TTL
    // Tag set: 20m.
    ok(&["SADD", "v3:tag:user:1", "v3:user:1:profile"]);
    ok(&["EXPIRE", "v3:tag:user:1", "1200"]);
    // page: string, 1m (66s max), compress above 1kb (not verifiable without
    // reading values); values above 8kb too large.
    for i in 0..3 {
        ok(&[
            "SET",
            &format!("v3:page:{}", md5ish(i)),
            "<p>small</p>",
            "EX",
            "60",
        ]);
    }
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.extend(std::iter::repeat_n(b'z', 2000));
    raw(
        server.port,
        &[
            b"SET",
            format!("v3:page:{}", md5ish(10)).as_bytes(),
            &gz,
            b"EX",
            b"60",
        ],
    );
    let plain = "x".repeat(2000);
    ok(&[
        "SET",
        &format!("v3:page:{}", md5ish(11)),
        &plain,
        "EX",
        "60",
    ]);
    ok(&[
        "SET",
        &format!("v3:page:{}", md5ish(12)),
        &plain,
        "EX",
        "60",
    ]);
    let huge = "y".repeat(10_000);
    ok(&["SET", &format!("v3:page:{}", md5ish(13)), &huge, "EX", "60"]); // too large
    // session: durable with a 1h TTL.
    ok(&["SET", "v3:session:abc", "s", "EX", "3600"]);
    ok(&["SET", "v3:session:def", "s", "EX", "3600"]);
    ok(&["SET", "v3:session:nottl", "s"]); // missing TTL
    // ledger: durable, never expires.
    ok(&["SET", "v3:ledger:1", "100"]);
    ok(&["SET", "v3:ledger:2", "100", "EX", "900"]); // durable key with a TTL
    ok(&["RPUSH", "v3:jobs", "job-1"]);
    // Old prefix and unknown keys.
    ok(&["SET", "v2:user:1:profile", "old"]);
    ok(&["SET", "v2:whatever", "old"]);
    ok(&["SET", "legacy:1:a", "?"]);
    ok(&["SET", "legacy:2:b", "?"]);
    ok(&["SET", "temp", "?"]);
}

/// 9 profile, 2 lock, 1 tag, 7 page, 3 session, 2 ledger, 1 jobs, 2 old
/// and 3 unknown keys.
const SEEDED: u64 = 30;

fn count(run: &Run, code: &str) -> Vec<u64> {
    let mut counts: Vec<u64> = run
        .findings(code)
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            message
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no count in {message:?}"))
        })
        .collect();
    counts.sort_unstable();
    counts
}

fn owner<'a>(report: &'a Value, label: &str) -> &'a Value {
    report["keyspace"]["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["owner"] == label)
        .unwrap_or_else(|| panic!("no owner {label}"))
}

fn limit() -> Duration {
    Duration::from_secs(60)
}

#[test]
fn seeded_single_node_gives_exact_findings_and_drift_is_detected() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    seed(&server);
    let mut c = server.client();
    // Traffic before the run: lifetime counters only, not in the window.
    for i in 0..500 {
        c.command(&["GET", &format!("v3:session:before{i}")])
            .unwrap();
    }
    let url = format!("redis://127.0.0.1:{}", server.port);
    // Traffic for the hit ratio, inside the window: 100 hits and 1000
    // misses, measured before verify's own PTTL/TYPE calls (which count as
    // hits).
    let run = verify_during_window(
        &fixture(),
        &url,
        &["--full", "--format", "json", "--window", "4s"],
        limit(),
        server.port,
        || {
            let mut t = server.client();
            for _ in 0..100 {
                t.command(&["GET", "v3:session:abc"]).unwrap();
            }
            for i in 0..1000 {
                t.command(&["GET", &format!("v3:session:missing{i}")])
                    .unwrap();
            }
        },
    );
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let document = run.document();
    assert_eq!(document["format"], "cachegen-verify");
    assert_eq!(document["version"], 3);
    assert_eq!(document["exit_code"], 1);
    let report = run.json();
    assert_eq!(report["verified"], true);
    assert_eq!(report["complete"], true);
    assert_eq!(report["mode"], "single");
    assert_eq!(report["keyspace"]["inspected"], SEEDED);

    // Per-key findings, exactly.
    assert_eq!(
        count(&run, "CG422"),
        vec![1, 1, 2],
        "missing TTL: lock, session, profile"
    );
    assert_eq!(count(&run, "CG423"), vec![1]);
    assert_eq!(count(&run, "CG424"), vec![1]);
    assert_eq!(count(&run, "CG425"), vec![1]);
    assert_eq!(count(&run, "CG426"), vec![1]);
    // Compression is not judged: that needs a value's bytes, which verify's
    // credentials never read.
    assert!(count(&run, "CG427").is_empty());
    assert_eq!(count(&run, "CG421"), vec![2]);
    assert_eq!(count(&run, "CG420"), vec![3]);
    let unknown = &report["keyspace"]["unknown"];
    assert_eq!(unknown["top_prefixes"][0]["prefix"], "legacy:#:*");
    assert_eq!(unknown["top_prefixes"][0]["keys"], 2);
    assert_eq!(owner(&report, "profile")["keys"], 9);
    assert_eq!(owner(&report, "page")["keys"], 7);
    assert_eq!(owner(&report, "profile stampede lock")["keys"], 2);
    assert_eq!(owner(&report, "tag set user")["keys"], 1);
    assert_eq!(owner(&report, "jobs")["keys"], 1);
    let examples = &owner(&report, "session")["violations"]["missing_ttl"]["examples"];
    assert_eq!(examples[0], "v3:session:nottl");
    assert_eq!(
        owner(&report, "profile")["violations"]["wrong_type"]["string"]["keys"],
        1
    );

    // Findings point at the policy lines they are about.
    let ttl_above = &run.findings("CG423")[0];
    let policy_text = std::fs::read_to_string(fixture()).unwrap();
    let line = ttl_above["line"].as_u64().unwrap() as usize;
    assert_eq!(
        policy_text.lines().nth(line - 1).unwrap().trim(),
        "ttl: 10m"
    );

    // Runtime: the window saw exactly the traffic sent in it (not the 500
    // misses before), so it closed before verify touched a key.
    let window = &report["runtime"]["window"];
    assert_eq!(window["state"], "measured", "{window}");
    assert_eq!(window["hits"], 100, "{window}");
    assert_eq!(window["misses"], 1000, "{window}");
    assert!(window["took_ms"].as_u64().unwrap() >= 4000, "{window}");
    assert_eq!(report["server"]["engine"], "redis");
    assert_eq!(
        report["nodes"][0]["no_touch"], "not-available",
        "Redis 7.0 has no CLIENT NO-TOUCH"
    );
    assert_eq!(run.findings("CG430").len(), 1);
    assert_eq!(run.findings("CG431").len(), 0);

    // Config: every managed directive matches the generated redis.conf.
    let config = report["config"].as_array().unwrap();
    assert!(config.len() >= 8, "{config:?}");
    assert!(
        config.iter().all(|r| r["status"] == "matches"),
        "{config:?}"
    );
    assert!(run.findings("CG401").is_empty());

    // Drift, a slow command and an OOM rejection, introduced live.
    c.command(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])
        .unwrap();
    c.command(&["CONFIG", "SET", "slowlog-max-len", "7"])
        .unwrap();
    c.command(&["DEBUG", "SLEEP", "0.03"]).unwrap();
    let run = verify(&fixture(), &url, &["--format", "json"], limit());
    assert_eq!(run.code, Some(1));
    let drift = run.findings("CG401");
    assert_eq!(drift.len(), 2, "{drift:?}");
    let messages: Vec<&str> = drift
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`maxmemory-policy` is `allkeys-lru`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`slowlog-max-len` is `7`")),
        "{messages:?}"
    );
    let slow = run.findings("CG434");
    assert_eq!(slow.len(), 1);
    assert!(
        slow[0]["message"].as_str().unwrap().contains("DEBUG"),
        "{slow:?}"
    );
}

fn lifetime_hits(server: &RedisServer) -> u64 {
    let support::Reply::Bulk(Some(info)) = server.client().command(&["INFO", "stats"]).unwrap()
    else {
        panic!("INFO stats")
    };
    info.lines()
        .find_map(|l| l.trim().strip_prefix("keyspace_hits:"))
        .unwrap()
        .parse()
        .unwrap()
}

/// Issue 10: verify's own PTTL/TYPE reads count as keyspace hits, so with
/// lifetime counters a second `--full` run read a ratio near 100%. The
/// window's ratio holds only what happened in it.
#[test]
fn a_second_full_run_is_not_swayed_by_the_first_runs_reads() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    seed(&server);
    let url = format!("redis://127.0.0.1:{}", server.port);
    let before = lifetime_hits(&server);
    let first = verify(
        &fixture(),
        &url,
        &["--full", "--format", "json", "--window", "1s"],
        limit(),
    );
    let report = first.json();
    // No traffic in the window: zero lookups, no ratio, not judged.
    let window = &report["runtime"]["window"];
    assert_eq!(
        (window["hits"].as_u64(), window["misses"].as_u64()),
        (Some(0), Some(0)),
        "{window}"
    );
    assert!(report["runtime"]["hit_ratio"].is_null());
    let note = &first.findings("CG431")[0]["message"];
    assert!(
        note.as_str().unwrap().starts_with(
            "only 0 lookups in the 1.0s window: too few lookups in the window to judge"
        ),
        "{note}"
    );
    // The first run's scan did add hits to the lifetime counters (what
    // made the old ratio 100%).
    let after_first = lifetime_hits(&server);
    assert!(after_first >= before + SEEDED, "{before} → {after_first}");

    // Second run, with 30 hits and 170 misses sent during its window.
    let second = verify_during_window(
        &fixture(),
        &url,
        &["--full", "--format", "json", "--window", "3s"],
        limit(),
        server.port,
        || {
            let mut t = server.client();
            for _ in 0..30 {
                t.command(&["GET", "v3:session:abc"]).unwrap();
            }
            for i in 0..170 {
                t.command(&["GET", &format!("v3:session:gone{i}")]).unwrap();
            }
        },
    );
    let report = second.json();
    let window = &report["runtime"]["window"];
    assert_eq!(
        (window["hits"].as_u64(), window["misses"].as_u64()),
        (Some(30), Some(170)),
        "{window}"
    );
    assert_eq!(report["runtime"]["hit_ratio"], 0.15);
    let below = second.findings("CG430");
    assert_eq!(below.len(), 1, "{}", second.stdout);
    assert!(
        below[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the keyspace hit ratio is 15.0% (30 hits, 170 misses in a 3."),
        "{below:?}"
    );
    assert!(second.findings("CG431").is_empty());
}

#[test]
fn window_zero_skips_the_hit_ratio_and_says_so() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(
        &fixture(),
        &url,
        &["--format", "json", "--window", "0s"],
        limit(),
    );
    let report = run.json();
    assert_eq!(report["runtime"]["window"]["state"], "skipped");
    assert!(report["runtime"]["hit_ratio"].is_null());
    let notes = run.findings("CG431");
    assert_eq!(
        notes[0]["message"],
        "hit ratio not measured (--window 0s); the hit ratio is not judged"
    );
    let human = verify(&fixture(), &url, &["--window", "0s"], limit());
    assert!(
        human
            .stdout
            .contains("runtime: hit ratio not measured (--window 0s),"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(": server redis 7.0.15, single node,"),
        "{}",
        human.stdout
    );
    // A window cut by the run's deadline: no ratio, the run is incomplete.
    let cut = verify(
        &fixture(),
        &url,
        &["--format", "json", "--window", "10s", "--deadline", "1s"],
        limit(),
    );
    assert_eq!(cut.code, Some(3), "{}", cut.stdout);
    let report = cut.json();
    assert_eq!(
        report["runtime"]["window"]["state"], "not-measured",
        "{}",
        report["runtime"]
    );
    assert!(cut.took < Duration::from_secs(5), "{:?}", cut.took);
}

#[test]
fn sample_mode_reads_at_most_n_keys_and_every_format_parses() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    seed(&server);
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(
        &fixture(),
        &url,
        &["--sample", "5", "--format", "json"],
        limit(),
    );
    let report = run.json();
    assert_eq!(report["keyspace"]["inspected"], 5, "{}", run.stdout);
    assert_eq!(report["coverage"]["mode"], "sample");
    assert_eq!(report["nodes"][0]["inspected"], 5);

    // JUnit: one case per check; the failing ones are the error findings.
    let run = verify(&fixture(), &url, &["--full", "--format", "junit"], limit());
    assert_eq!(run.code, Some(1));
    let xml = roxmltree::Document::parse(&run.stdout).expect("JUnit parses as XML");
    let failing: Vec<String> = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter(|n| n.children().any(|c| c.has_tag_name("failure")))
        .map(|n| n.attribute("name").unwrap().to_owned())
        .collect();
    for code in ["CG422", "CG423", "CG424", "CG425"] {
        assert!(
            failing.iter().any(|n| n.starts_with(code)),
            "{code} not failing: {failing:?}"
        );
    }
    assert!(
        !failing.iter().any(|n| n.starts_with("CG420")),
        "warnings do not fail"
    );
    let root = xml.root_element();
    assert_eq!(
        root.attribute("failures").unwrap(),
        failing.len().to_string()
    );

    // SARIF: every finding is a result located in the policy.
    let run = verify(&fixture(), &url, &["--full", "--format", "sarif"], limit());
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 10, "{results:?}");
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("single.yaml")
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() > 1);
    }

    // Markdown: a verify report naming the target and the policy, with the
    // outcome (issue 15, item 7: it was titled `cachegen check`).
    let errors = verify(&fixture(), &url, &["--full", "--format", "json"], limit()).json()
        ["summary"]["errors"]
        .as_u64()
        .unwrap();
    assert!(errors > 1);
    let run = verify(
        &fixture(),
        &url,
        &["--full", "--format", "markdown"],
        limit(),
    );
    assert_eq!(run.code, Some(1));
    let title = format!(
        "### cachegen verify: `{url}` against `{}`\n\n**{errors} violations** · {errors} errors, ",
        fixture().display()
    );
    assert!(run.stdout.starts_with(&title), "{}", run.stdout);
    assert!(
        run.stdout.contains("single node, full pass in "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("| `"),
        "a row per finding: {}",
        run.stdout
    );

    // Human: grouped by pattern, findings with snippets, a verdict.
    let run = verify(&fixture(), &url, &["--full", "--color", "never"], limit());
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("keyspace by pattern"), "{}", run.stdout);
    assert!(run.stdout.contains("CG422(missing-ttl)"));
    assert!(run.stdout.contains("violations"));
    assert!(
        !run.stdout.contains("policy checked"),
        "no check summary in verify"
    );
}

#[test]
fn a_conforming_server_exits_zero() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    let mut c = server.client();
    c.command(&["HSET", "v3:user:1:profile", "n", "a"]).unwrap();
    c.command(&["EXPIRE", "v3:user:1:profile", "600"]).unwrap();
    c.command(&["RPUSH", "v3:jobs", "j"]).unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&fixture(), &url, &["--full", "--format", "json"], limit());
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    let report = run.json();
    assert_eq!(report["summary"]["errors"], 0);
    // No traffic yet: the hit ratio is a note, not a failure.
    assert_eq!(run.findings("CG431").len(), 1);
}

#[test]
fn evictions_with_durable_data_in_reach_are_reported() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    let mut c = server.client();
    // A small maxmemory and many volatile keys force evictions; the policy's
    // durable `session` pattern has a TTL, so volatile-lru can evict it.
    c.command(&["CONFIG", "SET", "maxmemory", "3mb"]).unwrap();
    let value = "v".repeat(1024);
    for i in 0..6000 {
        c.command(&["SET", &format!("v3:session:s{i}"), &value, "EX", "3600"])
            .unwrap();
    }
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&fixture(), &url, &["--format", "json"], limit());
    let report = run.json();
    assert!(report["runtime"]["evicted_keys"].as_u64().unwrap() > 0);
    let found = run.findings("CG432");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["severity"], "warning");
    assert!(found[0]["message"].as_str().unwrap().contains("session"));
}

#[test]
fn oom_rejections_are_reported() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    let mut c = server.client();
    // Durable keys have no TTL, so volatile-lru has nothing to evict: once
    // memory is full, writes are refused with OOM (the policy's chosen
    // failure mode, which an SRE must hear about).
    c.command(&["CONFIG", "SET", "maxmemory", "2mb"]).unwrap();
    let value = "l".repeat(1024);
    let mut refused = 0;
    for i in 0..10_000 {
        if let support::Reply::Error(e) = c
            .command(&["SET", &format!("v3:ledger:{i}"), &value])
            .unwrap()
        {
            assert!(e.starts_with("OOM"), "{e}");
            refused += 1;
            if refused == 3 {
                break;
            }
        }
    }
    assert_eq!(refused, 3, "maxmemory 2mb must fill up");
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&fixture(), &url, &["--format", "json"], limit());
    let oom = run.findings("CG433");
    assert_eq!(oom.len(), 1, "{}", run.stdout);
    assert!(
        oom[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("3 commands were refused")
    );
    assert_eq!(run.json()["runtime"]["oom_errors"], 3);
}

#[test]
fn config_blocked_like_a_managed_service_is_not_checkable_and_not_fatal() {
    let out = tempfile::tempdir().unwrap();
    let dir = build(&fixture(), out.path());
    // Managed services rename or remove CONFIG; this server has none.
    let server = RedisServer::start(
        Some(&dir.join("stores/redis/redis.conf")),
        &["--rename-command", "CONFIG", ""],
    );
    server.client().command(&["RPUSH", "v3:jobs", "j"]).unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&fixture(), &url, &["--full", "--format", "json"], limit());
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["complete"], true);
    assert_eq!(report["keyspace"]["inspected"], 1);
    // One note, and what INFO shows compared instead (tests/verify_access.rs
    // has the rest of the fallback).
    let blocked = run.findings("CG403");
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["severity"], "note");
    let rows = report["config"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["read_from"] == "info"));
}

/// `--rate` is a cap per second, not an average over a burst: MONITOR's
/// timestamps of every key command verify sent show no one-second window
/// above the cap (plus one batch, the limiter's granularity), and the run
/// takes as long as the cap implies.
#[test]
fn rate_caps_every_second_of_the_scan() {
    use std::io::BufRead;
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    server
        .client()
        .command(&["DEBUG", "POPULATE", "400", "v3:ledger"])
        .unwrap();
    let mut monitor = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    monitor.write_all(b"MONITOR\r\n").unwrap();
    let reader = std::io::BufReader::new(monitor.try_clone().unwrap());
    let watcher = std::thread::spawn(move || {
        let mut stamps = Vec::new();
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if line.contains("\"quit-monitor\"") {
                break;
            }
            let key_command = ["\"PTTL\"", "\"TYPE\"", "\"MEMORY\"", "\"SCAN\""]
                .iter()
                .any(|c| line.contains(c));
            if key_command {
                let stamp: f64 = line
                    .trim_start_matches('+')
                    .split_whitespace()
                    .next()
                    .and_then(|t| t.parse().ok())
                    .expect("MONITOR line starts with a timestamp");
                stamps.push(stamp);
            }
        }
        stamps
    });
    let rate = 300.0;
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(
        &fixture(),
        &url,
        &["--full", "--rate", "300", "--format", "json"],
        limit(),
    );
    assert_eq!(run.json()["keyspace"]["inspected"], 400);
    // A marker command ends the recording.
    server.client().command(&["ECHO", "quit-monitor"]).unwrap();
    let stamps = watcher.join().unwrap();
    assert!(stamps.len() >= 1200, "{} commands seen", stamps.len());
    let span = stamps.last().unwrap() - stamps.first().unwrap();
    assert!(
        span >= stamps.len() as f64 / rate - 1.5,
        "{} commands in {span:.2} s",
        stamps.len()
    );
    // One batch: 300 / 12 = 25 keys × 3 commands + 1 SCAN.
    let batch = 76;
    let mut start = 0;
    for end in 0..stamps.len() {
        while stamps[end] - stamps[start] >= 1.0 {
            start += 1;
        }
        let in_window = end - start + 1;
        assert!(
            in_window as f64 <= rate + batch as f64,
            "{in_window} commands within one second at --rate 300"
        );
    }
}

/// Issue 15: a pattern's own `max_value_size` replaces `keys.max_value_size`
/// for its keys, both ways: the seeded 10,000-byte page passes a 16kb
/// pattern limit (the global 8kb no longer applies), and a 1kb pattern
/// limit catches the four pages over 1,024 bytes; the finding points at the
/// pattern's field, not the global one.
#[test]
fn a_patterns_own_value_size_limit_replaces_the_global_one() {
    let out = tempfile::tempdir().unwrap();
    let server = server(out.path());
    seed(&server);
    let url = format!("redis://127.0.0.1:{}", server.port);
    let text = std::fs::read_to_string(fixture()).unwrap();
    let with_page_limit = |limit: &str| {
        let policy = out.path().join(format!("page-{limit}.yaml"));
        let edited = text.replace(
            "      compress_above: 1kb\n",
            &format!("      compress_above: 1kb\n      max_value_size: {limit}\n"),
        );
        assert_ne!(edited, text, "the fixture's page pattern moved");
        std::fs::write(&policy, edited).unwrap();
        policy
    };

    let run = verify(&fixture(), &url, &["--full", "--format", "json"], limit());
    assert_eq!(count(&run, "CG426"), vec![1], "the global 8kb limit");

    let larger = with_page_limit("16kb");
    let run = verify(&larger, &url, &["--full", "--format", "json"], limit());
    assert!(run.findings("CG426").is_empty(), "{}", run.stdout);

    let smaller = with_page_limit("1kb");
    let run = verify(&smaller, &url, &["--full", "--format", "json"], limit());
    assert_eq!(count(&run, "CG426"), vec![4]);
    let finding = &run.findings("CG426")[0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("over `keys.patterns.page.max_value_size` (1024 bytes; largest 10000 bytes)"),
        "{finding}"
    );
    let line = finding["line"].as_u64().unwrap() as usize;
    let written = std::fs::read_to_string(&smaller).unwrap();
    assert_eq!(
        written.lines().nth(line - 1).unwrap().trim(),
        "max_value_size: 1kb"
    );
}

/// Issue 15: keys of an `ip` placeholder are classified as their pattern in
/// the canonical text only (IPv4, IPv6 with `-`); other spellings of the
/// same addresses are unknown keys. Keys of a regex type are classified by
/// its regex.
#[test]
fn ip_and_regex_keys_are_classified_by_their_language() {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/ip.yaml");
    let out = tempfile::tempdir().unwrap();
    let dir = build(&policy, out.path());
    let server = RedisServer::start(Some(&dir.join("stores/redis/redis.conf")), &[]);
    let mut c = server.client();
    for key in [
        "rl:rate:192.0.2.1",
        "rl:rate:2001-db8--1",
        "rl:rate:--1",
        // Not canonical: uncompressed, leading zero, IPv4-mapped in IPv6 form.
        "rl:rate:2001-db8-0-0-0-0-0-1",
        "rl:rate:192.0.2.01",
        "rl:rate:--ffff-c000-201",
        "rl:stock:ABC-1234",
        "rl:stock:ABC-12345",
    ] {
        c.command(&["SET", key, "1", "EX", "50"]).unwrap();
    }
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&policy, &url, &["--full", "--format", "json"], limit());
    let report = run.json();
    assert_eq!(report["keyspace"]["inspected"], 8, "{}", run.stdout);
    assert_eq!(owner(&report, "rate")["keys"], 3, "{}", run.stdout);
    assert_eq!(owner(&report, "stock")["keys"], 1, "{}", run.stdout);
    assert_eq!(report["keyspace"]["unknown"]["keys"], 4, "{}", run.stdout);
}
