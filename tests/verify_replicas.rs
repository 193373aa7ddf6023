//! `cachegen verify` of a standalone primary and its replicas, run from
//! shop's generated `durable` configs (redis.conf, replica.conf and the
//! installer's credentials, `support::replicated`) and verified as the
//! generated verifier user: two replicas conform and are listed; a stopped
//! one is a count finding (CG412); given a replica's URL, verify follows it
//! to the primary (CG473, a note); a replica whose primary is dead is
//! CG415, and verify says it could not reach that primary. A URL naming
//! the primary or a replica by host name while the servers name each other
//! by IP is the same healthy group, each server read once. A replica
//! attached to a store that declares no `replicated:` is CG470.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::render::render_text;
use support::replicated::{Replicated, shop_at_7_0, wait_for};
use support::verify::{Run, build, verify, verify_with_env};
use support::{RedisServer, bulk};

const STORE: &str = "durable";

fn limit() -> Duration {
    Duration::from_secs(60)
}

/// shop's durable store at Redis 7.0, installed, and the policy file verify
/// reads (the same text).
fn setup(dir: &Path) -> (Replicated, PathBuf) {
    let text = shop_at_7_0();
    let (report, files) = render_text("shop.yaml", &text);
    let policy = dir.join("shop.yaml");
    std::fs::write(&policy, &text).unwrap();
    (Replicated::new(report, files, STORE), policy)
}

/// `cachegen verify` of the durable store at `port` as `cachegen-verify`,
/// with its installed password.
fn verify_as_verifier(group: &Replicated, policy: &Path, port: u16, format: &str) -> Run {
    verify_at(group, policy, "127.0.0.1", port, format)
}

/// The same, the URL naming the server `host`.
fn verify_at(group: &Replicated, policy: &Path, host: &str, port: u16, format: &str) -> Run {
    verify_with_env(
        policy,
        &format!("{STORE}=redis://cachegen-verify@{host}:{port}"),
        &["--format", format],
        &[(
            "CACHEGEN_REDIS_PASSWORD",
            group.installed.password("cachegen-verify"),
        )],
        limit(),
    )
}

/// Waits until the primary lists `n` replicas online.
fn wait_online(group: &Replicated, primary: u16, n: usize) {
    wait_for(
        "the primary to list its replicas online",
        Duration::from_secs(15),
        || {
            let info = bulk(
                group
                    .admin(primary)
                    .command(&["INFO", "replication"])
                    .unwrap(),
            );
            let online = info.lines().filter(|l| l.contains("state=online")).count();
            let listed = info
                .lines()
                .filter(|l| l.starts_with("slave") && l.contains("ip="))
                .count();
            (online == n && listed == n).then_some(())
        },
    );
}

fn node(report: &Value, port: u16) -> &Value {
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["address"] == format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("no node 127.0.0.1:{port} in {report}"))
}

#[test]
fn two_replicas_conform_a_replica_url_is_followed_and_a_stopped_one_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (group, policy) = setup(dir.path());
    let primary = group.start_primary();
    let replicas: Vec<RedisServer> = (0..2).map(|_| group.start_replica(primary.port)).collect();
    for r in &replicas {
        group.wait_link_up(r.port);
    }
    wait_online(&group, primary.port, 2);

    let run = verify_as_verifier(&group, &policy, primary.port, "json");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let report = run.json();
    assert_eq!(report["summary"]["errors"], 0, "{}", run.describe());
    assert_eq!(report["summary"]["warnings"], 0, "{}", run.describe());
    assert_eq!(report["nodes"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(node(&report, primary.port)["role"], "master");
    assert!(node(&report, primary.port)["replica_of"].is_null());
    for r in &replicas {
        let n = node(&report, r.port);
        assert_eq!(n["role"], "slave", "{n}");
        assert_eq!(n["replica_of"]["link"], "up", "{n}");
        assert_eq!(
            n["replica_of"]["primary"],
            format!("127.0.0.1:{}", primary.port)
        );
        // Keys are read on the primary only.
        assert_eq!(n["inspected"], 0);
    }
    // CONFIG GET is withheld (the config holds masterauth): what INFO
    // shows is compared on all three, min-replicas-to-write by presence.
    let note = &run.messages("CG403")[0];
    assert!(
        note.contains("only whether it is set: `min-replicas-to-write`"),
        "{note}"
    );
    let rows = report["config"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["directive"] == "min-replicas-to-write"
                && r["node"] == format!("127.0.0.1:{}", primary.port)
                && r["status"] == "matches"),
        "{rows:?}"
    );
    // Its value was not: reports list it among the unchecked, saying why.
    assert!(
        report["config_unchecked"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["directive"] == "min-replicas-to-write"
                && u["why"] == "INFO shows only whether it is in force"),
        "{report}"
    );
    let human = verify_as_verifier(&group, &policy, primary.port, "human");
    assert_eq!(human.code, Some(0), "{}", human.describe());
    assert!(
        human.stdout.contains("primary with 2 replicas"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("min-replicas-to-write (its value)"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains(&format!("replica of 127.0.0.1:{} (link up)", primary.port)),
        "{}",
        human.stdout
    );

    // Given a replica's URL, verify follows it to the primary and says so.
    let via_replica = verify_as_verifier(&group, &policy, replicas[0].port, "json");
    assert_eq!(via_replica.code, Some(0), "{}", via_replica.describe());
    let followed = via_replica.messages("CG473");
    assert_eq!(
        followed,
        [format!(
            "the URL names a replica of 127.0.0.1:{}; verify followed it and read the primary and its replicas",
            primary.port
        )],
        "{}",
        via_replica.describe()
    );
    let report = via_replica.json();
    assert_eq!(report["nodes"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(node(&report, primary.port)["role"], "master");

    // One replica stops: the primary lists one, the policy declares two.
    let mut replicas = replicas;
    drop(replicas.pop());
    wait_online(&group, primary.port, 1);
    let run = verify_as_verifier(&group, &policy, primary.port, "json");
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_eq!(
        run.messages("CG412"),
        [format!(
            "primary 127.0.0.1:{} has 1 online replica (listed: 127.0.0.1:{} online); the policy declares 2",
            primary.port, replicas[0].port
        )]
    );
}

#[test]
fn a_replica_of_a_dead_primary_is_link_down() {
    let dir = tempfile::tempdir().unwrap();
    let (group, policy) = setup(dir.path());
    // Nothing listens on the primary's port.
    let dead = support::free_port();
    let replica = group.start_replica(dead);
    let run = verify_as_verifier(&group, &policy, replica.port, "json");
    assert_eq!(run.code, Some(1), "{}", run.describe());
    // Redis prints master_last_io_seconds_ago:-1 then: the link's age is
    // what master_link_down_since_seconds says (-1: never connected).
    assert_eq!(
        run.messages("CG415"),
        [format!(
            "replica 127.0.0.1:{} reports master_link_status:down (primary 127.0.0.1:{dead}, never connected)",
            replica.port
        )],
        "{}",
        run.describe()
    );
    // Verify tried the primary the replica names (loopback is allowed),
    // could not read it, and says what it checked instead.
    let seed = run.findings("CG473");
    assert_eq!(seed.len(), 1, "{}", run.describe());
    assert_eq!(seed[0]["severity"], "warning");
    let message = seed[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "the URL names a replica of 127.0.0.1:{dead}, which could not be read ("
        )) && message.ends_with(
            "only the replica was read; the replica count and the other replicas were not checked"
        ),
        "{message}"
    );
    // The replica alone was read, and its keys there. The run is still
    // complete, by the cluster's rule: a run is incomplete when keys it
    // should have read were not (a primary holding slots unread); here the
    // only node serving keys verify knows of, the seed, was read and
    // scanned, and the unread primary is CG473's warning, not a gap in what
    // was scanned.
    let report = run.json();
    assert_eq!(report["nodes"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(node(&report, replica.port)["replica_of"]["link"], "down");
    assert_eq!(report["complete"], true, "{report}");
}

#[test]
fn a_host_name_for_the_primary_or_a_replica_is_the_same_group_read_once() {
    let host = match support::loopback_name() {
        Ok(h) => h,
        Err(why) => {
            eprintln!("skipped: no host name for 127.0.0.1 to test with: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let (group, policy) = setup(dir.path());
    let primary = group.start_primary();
    let replicas: Vec<RedisServer> = (0..2).map(|_| group.start_replica(primary.port)).collect();
    for r in &replicas {
        group.wait_link_up(r.port);
    }
    wait_online(&group, primary.port, 2);

    // The URL names the primary by host name; the replicas name it by IP
    // (`replicaof 127.0.0.1`): they follow it all the same.
    let run = verify_at(&group, &policy, host, primary.port, "json");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(run.findings("CG472").is_empty(), "{}", run.describe());
    assert_eq!(run.json()["nodes"].as_array().unwrap().len(), 3);

    // The URL names a replica by host name; its primary lists it by IP.
    // One row per server, the seed's as the user spelt it; one CG473 note,
    // no other finding; the mode line counts two replicas.
    let seed = replicas[0].port;
    let run = verify_at(&group, &policy, host, seed, "json");
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let report = run.json();
    let addresses: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["address"].as_str().unwrap())
        .collect();
    let mut expected = vec![
        format!("127.0.0.1:{}", primary.port),
        format!("127.0.0.1:{}", replicas[1].port),
        format!("{host}:{seed}"),
    ];
    let mut sorted: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "{report}");
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    assert_eq!(report["summary"]["warnings"], 0, "{report}");
    assert_eq!(run.findings("CG473").len(), 1, "{report}");
    assert!(run.findings("CG415").is_empty(), "{report}");
    let human = verify_at(&group, &policy, host, seed, "human");
    assert_eq!(human.code, Some(0), "{}", human.describe());
    assert!(
        human.stdout.contains("primary with 2 replicas"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_replica_of_a_store_without_replicated_is_found() {
    let out = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml");
    // The single-node fixture's generated redis.conf (an open test server),
    // and a second server from it replicating the first.
    let conf = build(&fixture, out.path()).join("stores/redis/redis.conf");
    let primary = RedisServer::start(Some(&conf), &[]);
    let port = primary.port.to_string();
    let replica = RedisServer::start(Some(&conf), &["--replicaof", "127.0.0.1", &port]);
    wait_for(
        "the primary to list its replica online",
        Duration::from_secs(15),
        || {
            let info = bulk(primary.client().command(&["INFO", "replication"]).unwrap());
            info.contains("state=online").then_some(())
        },
    );
    let run = verify(
        &fixture,
        &format!("redis://127.0.0.1:{}", primary.port),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_eq!(
        run.messages("CG470"),
        [format!(
            "the primary 127.0.0.1:{} has 1 replica (127.0.0.1:{}), but the store declares no `replicated:`",
            primary.port, replica.port
        )],
        "{}",
        run.describe()
    );
    assert_eq!(run.findings("CG470")[0]["severity"], "error");
}
