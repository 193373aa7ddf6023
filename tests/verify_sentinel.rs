//! `cachegen verify` through Sentinels (issue 11): shop's `durable` store
//! booted by its own generated `replicated/bootstrap.sh` (a primary, 2
//! replicas, 3 Sentinels on free loopback ports, Redis 7.0), verified as
//! the generated verifier users (the Sentinels' with its own password)
//! through `--sentinel` and a `redis+sentinel://` URL; then faults made as the operator, each found
//! with its code: another quorum, a Sentinel reset, a replica stopped, a
//! Sentinel unreachable, one stopped during the run (incomplete: it cannot
//! confirm the primary), an unknown master name, the primary killed during
//! the run (incomplete, naming both primaries; healthy again once the old
//! primary is back as a replica).

mod support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::bootstrapped::{Booted, MASTER, STORE, boot, strings, value_of};
use support::replicated::shop_at_7_0;
use support::verify::{Run, verify_args};
use support::{Client, Reply};

/// shop's policy at Redis 7.0, written where verify reads it.
fn policy(root: &Path) -> PathBuf {
    let path = root.join("shop.yaml");
    std::fs::write(&path, shop_at_7_0()).unwrap();
    path
}

fn sentinel_flags(b: &Booted) -> Vec<String> {
    b.sentinel_ports
        .iter()
        .flat_map(|p| ["--sentinel".to_owned(), format!("{STORE}=127.0.0.1:{p}")])
        .collect()
}

/// The Sentinels' verifier password once [`booted`] has set it: not the
/// data nodes', so a run giving one's login to the other fails.
const SENTINEL_PASSWORD: &str = "sentinel-verifier-only-3f9a";

/// shop's durable store booted by bootstrap.sh, its Sentinels'
/// `cachegen-verify` given its own password by the operator (`ACL
/// SETUSER`), then settled on the first node as primary.
fn booted(root: &Path) -> Booted {
    let b = boot(root, None);
    for &s in &b.sentinel_ports {
        let mut admin = login(&b, "admin", s);
        assert_eq!(
            admin
                .command(&[
                    "ACL",
                    "SETUSER",
                    "cachegen-verify",
                    "resetpass",
                    &format!(">{SENTINEL_PASSWORD}"),
                ])
                .unwrap(),
            Reply::Simple("OK".into())
        );
    }
    settled(&b, b.ports[0]);
    b
}

/// verify of the durable store through its Sentinels (`--sentinel`), as
/// the generated verifier users (each with its own password on data nodes
/// and Sentinels), with `extra` arguments (JSON unless they say otherwise).
fn verify_through(b: &Booted, policy: &Path, extra: &[&str]) -> Run {
    let password = b.password("cachegen-verify");
    let mut args: Vec<String> = sentinel_flags(b);
    args.extend(
        [
            "--user",
            "cachegen-verify",
            "--sentinel-user",
            "cachegen-verify",
        ]
        .map(String::from),
    );
    if !extra.contains(&"--format") {
        args.extend(["--format".to_owned(), "json".to_owned()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    verify_args(
        policy,
        &args,
        &[
            ("CACHEGEN_REDIS_PASSWORD", password),
            ("CACHEGEN_SENTINEL_PASSWORD", SENTINEL_PASSWORD),
        ],
        Duration::from_secs(90),
    )
}

fn codes(run: &Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings:\n{}\n{}", run.stdout, run.stderr))
        .iter()
        .filter(|f| f["severity"] != "note")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A client on a Sentinel or node, logged in as `user`.
fn login(b: &Booted, user: &str, port: u16) -> Client {
    b.client_as(user, port)
}

/// Waits until every Sentinel sees what a healthy store is (primary `at`,
/// 2 other Sentinels, 2 replicas each flagged only `slave` with its link
/// `ok`): Sentinels refresh their view of the replicas every 10 s, so a
/// store bootstrap.sh just called healthy may still look otherwise to them.
fn settled(b: &Booted, at: u16) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut problems = Vec::new();
        for &s in &b.sentinel_ports {
            let mut v = login(b, "admin", s);
            let addr = strings(
                v.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
                    .unwrap(),
            );
            if addr.get(1) != Some(&at.to_string()) {
                problems.push(format!("{s} names {addr:?}"));
            }
            let master = strings(v.command(&["SENTINEL", "MASTER", MASTER]).unwrap());
            for (field, want) in [
                ("num-other-sentinels", "2"),
                ("num-slaves", "2"),
                ("flags", "master"),
            ] {
                if value_of(&master, field) != want {
                    problems.push(format!("{s}: {field} {}", value_of(&master, field)));
                }
            }
            let Reply::Array(replicas) = v.command(&["SENTINEL", "REPLICAS", MASTER]).unwrap()
            else {
                panic!("SENTINEL REPLICAS")
            };
            for r in replicas {
                let r = strings(r);
                if value_of(&r, "flags") != "slave" || value_of(&r, "master-link-status") != "ok" {
                    problems.push(format!(
                        "{s}: replica {} {} {}",
                        value_of(&r, "name"),
                        value_of(&r, "flags"),
                        value_of(&r, "master-link-status")
                    ));
                }
            }
        }
        if problems.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "not settled: {problems:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until `check` holds for what the Sentinel on `port` says of the
/// master (`SENTINEL MASTER` pairs) and its replicas.
fn wait_for(b: &Booted, port: u16, what: &str, check: impl Fn(&[String], &[Vec<String>]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut v = login(b, "admin", port);
        let master = strings(v.command(&["SENTINEL", "MASTER", MASTER]).unwrap());
        let replicas: Vec<Vec<String>> = match v.command(&["SENTINEL", "REPLICAS", MASTER]).unwrap()
        {
            Reply::Array(items) => items.into_iter().map(strings).collect(),
            other => panic!("SENTINEL REPLICAS: {other:?}"),
        };
        if check(&master, &replicas) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {master:?} {replicas:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_healthy_store_through_its_sentinels_conforms_and_hides_every_password() {
    let root = tempfile::tempdir().unwrap();
    let b = booted(root.path());
    let policy = policy(root.path());

    // Each verifier password works only where it belongs.
    let password = b.password("cachegen-verify");
    let auth = |port: u16, pw: &str| {
        Client::connect(port)
            .unwrap()
            .command(&["AUTH", "cachegen-verify", pw])
            .unwrap()
    };
    assert_eq!(auth(b.ports[0], password), Reply::Simple("OK".into()));
    assert!(matches!(
        auth(b.ports[0], SENTINEL_PASSWORD),
        Reply::Error(_)
    ));
    let first = b.sentinel_ports[0];
    assert_eq!(auth(first, SENTINEL_PASSWORD), Reply::Simple("OK".into()));
    assert!(matches!(auth(first, password), Reply::Error(_)));

    let run = verify_through(&b, &policy, &[]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(codes(&run).is_empty(), "{:?}", codes(&run));
    for secret in [password, SENTINEL_PASSWORD] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    let report = run.json();
    // The primary the Sentinels name is the node verified.
    let primary = format!("127.0.0.1:{}", b.ports[0]);
    let nodes: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["address"].as_str().unwrap())
        .collect();
    // The primary first, then the replicas it lists (found as for a
    // --redis primary).
    let mut expected: Vec<String> = b.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    expected[1..].sort();
    let mut seen: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    seen[1..].sort();
    assert_eq!(seen, expected);
    assert_eq!(report["nodes"][0]["role"], "master");
    let sentinels = report["sentinels"].as_array().unwrap();
    assert_eq!(sentinels.len(), 3);
    for (s, port) in sentinels.iter().zip(&b.sentinel_ports) {
        assert_eq!(s["address"], format!("127.0.0.1:{port}"));
        assert_eq!(s["primary"], Value::from(primary.clone()));
        assert_eq!(s["quorum"], "2");
        assert_eq!(s["other_sentinels"], "2");
        assert!(s["error"].is_null());
    }

    // The same through a redis+sentinel:// URL with the Sentinels' login in
    // it (the data nodes' password from the environment): neither password
    // is in any output, in any format.
    let hosts: Vec<String> = b
        .sentinel_ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let url = format!(
        "{STORE}=redis+sentinel://cachegen-verify:{SENTINEL_PASSWORD}@{}/{MASTER}",
        hosts.join(",")
    );
    for format in ["json", "human", "markdown", "junit", "sarif"] {
        let run = verify_args(
            &policy,
            &[
                "--redis",
                &url,
                "--user",
                "cachegen-verify",
                "--format",
                format,
            ],
            &[("CACHEGEN_REDIS_PASSWORD", password)],
            Duration::from_secs(60),
        );
        assert_eq!(
            run.code,
            Some(0),
            "{format}: {}\n{}",
            run.stdout,
            run.stderr
        );
        for secret in [password, SENTINEL_PASSWORD] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format}: {}\n{}",
                run.stdout,
                run.stderr
            );
        }
        if format == "human" {
            assert!(
                run.stdout.contains(&format!(
                    "redis+sentinel://cachegen-verify@{}/{MASTER}",
                    hosts.join(",")
                )),
                "{}",
                run.stdout
            );
            assert!(
                run.stdout.contains(&format!(
                    "\nsentinels\n  {} names {primary}, quorum 2, sees 2 other Sentinels",
                    hosts[0]
                )),
                "{}",
                run.stdout
            );
        }
    }
    // The data nodes' password given to the Sentinels: each Sentinel
    // refuses it, none is judged, and neither password is printed.
    let wrong = format!(
        "{STORE}=redis+sentinel://cachegen-verify:{password}@{}/{MASTER}",
        hosts.join(",")
    );
    let run = verify_args(
        &policy,
        &["--redis", &wrong, "--format", "json"],
        &[("CACHEGEN_REDIS_PASSWORD", password)],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(3), "{}", run.describe());
    for secret in [password, SENTINEL_PASSWORD] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }
    assert_eq!(run.findings("CG450").len(), 3, "{}", run.stdout);
    assert!(
        run.messages("CG450")[0].contains("authentication as `cachegen-verify` failed"),
        "{:?}",
        run.messages("CG450")
    );
}

#[test]
fn usage_mistakes_and_an_unknown_master_name() {
    let root = tempfile::tempdir().unwrap();
    let b = booted(root.path());
    let policy = policy(root.path());
    // Sentinels for a store whose policy declares none: a usage error.
    let s = format!("cache=127.0.0.1:{}", b.sentinel_ports[0]);
    let run = verify_args(&policy, &["--sentinel", &s], &[], Duration::from_secs(30));
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr
            .contains("store `cache` is given Sentinels, but the policy declares none"),
        "{}",
        run.stderr
    );
    // The same store given Sentinels twice, and a bare --sentinel that
    // could be of either of two stores named by --redis.
    let s = format!("127.0.0.1:{}", b.sentinel_ports[0]);
    let url = format!("{STORE}=redis+sentinel://{s}/{MASTER}");
    let run = verify_args(
        &policy,
        &["--redis", &url, "--sentinel", &s],
        &[],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr
            .contains("store `durable` is given Sentinels twice"),
        "{}",
        run.stderr
    );
    let data = format!("{STORE}=redis://127.0.0.1:{}", b.ports[0]);
    let cache = format!("cache=redis://127.0.0.1:{}", b.ports[1]);
    let run = verify_args(
        &policy,
        &["--redis", &data, "--redis", &cache, "--sentinel", &s],
        &[],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains(&format!(
            "--sentinel {s}: name the store it serves, as --sentinel STORE={s}"
        )),
        "{}",
        run.stderr
    );
    // A master name the Sentinels do not know: CG452 from each, naming the
    // one they do know, and no primary verified (incomplete).
    let run = verify_through(&b, &policy, &["--master-name", "shop-other"]);
    assert_eq!(run.code, Some(3), "{}", run.describe());
    let unknown = run.messages("CG452");
    assert_eq!(unknown.len(), 3, "{}", run.stdout);
    assert!(
        unknown[0].ends_with("does not monitor `shop-other`: it monitors `shop-durable`"),
        "{unknown:?}"
    );
    assert!(run.json()["nodes"].as_array().unwrap().is_empty());
    let target = run.json()["target"].as_str().unwrap().to_owned();
    assert!(
        target.ends_with("/shop-other (no primary verified)"),
        "{target}"
    );
}

#[test]
fn another_quorum_an_unreachable_sentinel_a_reset_one_and_a_replica_down() {
    let root = tempfile::tempdir().unwrap();
    let b = booted(root.path());
    let policy = policy(root.path());

    // A Sentinel nobody runs, among the three: CG450, the rest judged.
    let nobody = support::free_port();
    let run = verify_through(
        &b,
        &policy,
        &["--sentinel", &format!("{STORE}=127.0.0.1:{nobody}")],
    );
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_eq!(codes(&run), ["CG450"], "{}", run.stdout);
    assert!(
        run.messages("CG450")[0]
            .starts_with(&format!("Sentinel 127.0.0.1:{nobody} could not be asked"))
    );
    assert_eq!(
        run.json()["nodes"][0]["address"],
        format!("127.0.0.1:{}", b.ports[0])
    );

    // The operator sets another quorum on one Sentinel: CG453 names it.
    let third = b.sentinel_ports[2];
    let mut admin = login(&b, "admin", third);
    assert_eq!(
        admin
            .command(&["SENTINEL", "SET", MASTER, "quorum", "3"])
            .unwrap(),
        Reply::Simple("OK".into())
    );
    let run = verify_through(&b, &policy, &[]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_eq!(codes(&run), ["CG453"], "{}", run.stdout);
    assert_eq!(
        run.messages("CG453"),
        [format!(
            "quorum is 3 on 127.0.0.1:{third}; the policy sets 2"
        )]
    );
    assert_eq!(
        admin
            .command(&["SENTINEL", "SET", MASTER, "quorum", "2"])
            .unwrap(),
        Reply::Simple("OK".into())
    );

    // A replica stopped: once the Sentinels see it down, CG460 names it.
    let replica = b.ports[2];
    b.kill(replica);
    let name = format!("127.0.0.1:{replica}");
    for &s in &b.sentinel_ports {
        wait_for(&b, s, "the stopped replica flagged down", |_, replicas| {
            replicas
                .iter()
                .any(|r| value_of(r, "name") == name && value_of(r, "flags").contains("s_down"))
        });
    }
    let run = verify_through(&b, &policy, &[]);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert!(codes(&run).contains(&"CG460".to_owned()), "{}", run.stdout);
    let down = run.messages("CG460");
    assert_eq!(down.len(), 1, "{down:?}");
    assert!(
        down[0].starts_with(&format!("replica {name} is not healthy"))
            && down[0].contains("s_down"),
        "{down:?}"
    );

    // One Sentinel reset by the operator forgets the others for a while:
    // CG454 names what each sees.
    let first = b.sentinel_ports[0];
    let mut admin = login(&b, "admin", first);
    assert_eq!(
        admin.command(&["SENTINEL", "RESET", MASTER]).unwrap(),
        Reply::Int(1)
    );
    let run = verify_through(&b, &policy, &[]);
    assert!(codes(&run).contains(&"CG454".to_owned()), "{}", run.stdout);
    let peers = run.messages("CG454");
    assert!(
        peers[0].contains(&format!("127.0.0.1:{first} see 0 other Sentinels")),
        "{peers:?}"
    );

    // A Sentinel stopped during the run cannot confirm at the end the
    // primary it named at the start: incomplete, not read as unchanged.
    let second = b.sentinel_ports[1];
    let run = std::thread::scope(|scope| {
        let run = scope.spawn(|| verify_through(&b, &policy, &["--window", "6s"]));
        std::thread::sleep(Duration::from_secs(2));
        assert!(!run.is_finished(), "verify ended before the kill");
        b.kill(second);
        run.join().unwrap()
    });
    assert_eq!(run.code, Some(3), "{}", run.describe());
    let unconfirmed = format!(
        "the primary could not be confirmed at the end of the run (a failover may have happened): the Sentinels named 127.0.0.1:{} when it started, but 127.0.0.1:{second} did not confirm it (could not be asked",
        b.ports[0]
    );
    assert!(
        run.json()["incomplete"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with(&unconfirmed)),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failover_during_the_run_is_incomplete_and_the_next_run_sees_the_new_primary() {
    let root = tempfile::tempdir().unwrap();
    let b = booted(root.path());
    let policy = policy(root.path());
    let old = b.ports[0];
    // The primary dies inside verify's hit-ratio window (20 s; the policy's
    // down_after is 5 s, so the Sentinels have failed over before it ends).
    let run = std::thread::scope(|scope| {
        let run = scope.spawn(|| verify_through(&b, &policy, &["--window", "20s"]));
        std::thread::sleep(Duration::from_secs(3));
        assert!(!run.is_finished(), "verify ended before the kill");
        b.kill(old);
        run.join().unwrap()
    });
    assert_eq!(run.code, Some(3), "{}", run.describe());
    let incomplete: Vec<String> = run.json()["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let moved = incomplete
        .iter()
        .find(|r| r.starts_with("the primary changed during the run"))
        .unwrap_or_else(|| panic!("{incomplete:?}"));
    assert!(
        moved.contains(&format!("named 127.0.0.1:{old} when it started")),
        "{moved}"
    );
    let new = b.ports[1..]
        .iter()
        .copied()
        .find(|p| moved.contains(&format!("names 127.0.0.1:{p}")))
        .unwrap_or_else(|| panic!("no replica named: {moved}"));

    // The old primary comes back; the Sentinels make it a replica of the
    // new one, and the next run verifies the new primary, healthy.
    b.restart_node(old);
    settled(&b, new);
    let run = verify_through(&b, &policy, &[]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(
        run.json()["nodes"][0]["address"],
        format!("127.0.0.1:{new}")
    );
    assert_eq!(run.json()["nodes"][0]["role"], "master");
}
