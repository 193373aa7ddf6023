//! `cachegen verify` against a real 3 × 2 loopback Redis Cluster started from
//! `build`'s own cluster files: every node discovered from one seed, every
//! primary scanned (a plain SCAN would see a third of the keys), topology
//! judged, a failover during the scan reported as incomplete (exit 3), and a
//! dead replica reported (where `redis-cli --cluster check` exits 0).

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Reply;
use support::cluster::{LocalCluster, bootstrap};
use support::render::render;
use support::verify::verify;

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");

/// The operator user of quizmentor's cache, whom the tests act as.
const ADMIN: &str = "admin";

/// Runs `commands` (one per line) through `redis-cli -c` as the operator,
/// which follows MOVED redirects, so each key lands on the master that owns
/// its slot.
fn cluster_exec(cluster: &LocalCluster, port: u16, commands: &str) {
    let mut child = Command::new(support::redis_cli_binary())
        .args(["--user", ADMIN, "-c", "-p", &port.to_string()])
        .env("REDISCLI_AUTH", cluster.password(ADMIN))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn cluster_nodes(cluster: &LocalCluster, port: u16) -> String {
    match cluster
        .client_as(ADMIN, port)
        .command(&["CLUSTER", "NODES"])
        .unwrap()
    {
        Reply::Bulk(Some(s)) => s,
        other => panic!("{other:?}"),
    }
}

fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn verify_discovers_scans_and_judges_a_real_cluster() {
    let (report, files) = render(QUIZMENTOR);
    let store = report.policy.as_ref().unwrap().first_store();
    assert_eq!(store.access.admin.user, ADMIN);
    let root = tempfile::tempdir().unwrap();
    let (cluster, ports, _) = bootstrap(root.path(), &files, store, 9);
    let seed = ports[4]; // any node will do, also a replica
    // verify connects as its own ACL user.
    let verifier = cachegen::verifier::NAME;
    let url_of = |port: u16| {
        format!(
            "cache=redis://{verifier}:{}@127.0.0.1:{port}",
            cluster.password(verifier)
        )
    };
    let url = url_of(seed);

    // 60 conforming profiles, 3 without a TTL, 2 unknown keys: spread over
    // all three masters by their hash tags.
    let mut commands = String::new();
    for i in 0..60 {
        commands += &format!("SET v2:{{user:{i}}}:profile p EX 1620\n");
    }
    for i in 100..103 {
        commands += &format!("SET v2:{{user:{i}}}:profile p\n");
    }
    commands += "SET stray:1 x\nSET stray:2 x\n";
    cluster_exec(&cluster, ports[0], &commands);

    let policy = Path::new(QUIZMENTOR);
    let run = verify(
        policy,
        &url,
        &["--full", "--format", "json"],
        Duration::from_secs(60),
    );
    let report = run.json();
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(report["mode"], "cluster");
    assert_eq!(report["complete"], true);
    assert_eq!(
        report["nodes"].as_array().unwrap().len(),
        9,
        "every node discovered"
    );
    assert_eq!(report["keyspace"]["inspected"], 65, "every primary scanned");
    let scanned: Vec<u64> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["inspected"].as_u64().unwrap() > 0)
        .map(|n| n["inspected"].as_u64().unwrap())
        .collect();
    assert_eq!(scanned.len(), 3, "three primaries hold keys: {scanned:?}");
    let missing = run.findings("CG422");
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("3 of 63 `user_profile` keys")
    );
    assert_eq!(run.findings("CG420").len(), 1);
    // Healthy topology: only the loopback host-sharing warning, once per replica.
    for code in ["CG410", "CG411", "CG412", "CG413", "CG414", "CG415"] {
        assert!(run.findings(code).is_empty(), "{code}: {}", run.stdout);
    }
    let shared = run.findings("CG416");
    assert_eq!(shared.len(), 6);
    assert!(shared.iter().all(|f| f["severity"] == "warning"));
    // Config was read from all nine nodes; the only drift this machine may
    // show is maxclients, which Redis lowers to fit a small open-file limit.
    let config = report["config"].as_array().unwrap();
    let nodes: std::collections::BTreeSet<&str> =
        config.iter().map(|r| r["node"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 9);
    for row in config.iter().filter(|r| r["status"] == "drift") {
        assert_eq!(row["directive"], "maxclients", "{row}");
    }

    // A failover during the scan: the scanned master starts answering MOVED.
    // --rate stretches the scan so the failover lands inside it.
    let mut commands = String::new();
    for i in 0..3000 {
        commands += &format!("SET v2:{{quiz:{i}}}:data d EX 1800\n");
    }
    cluster_exec(&cluster, ports[0], &commands);
    let nodes_text = cluster_nodes(&cluster, ports[0]);
    let replica_port: u16 = nodes_text
        .lines()
        .find(|l| l.contains("slave"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|a| a.split('@').next())
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    let handle = std::thread::spawn({
        let url = url.clone();
        move || {
            verify(
                Path::new(QUIZMENTOR),
                &url,
                &["--full", "--rate", "1000", "--format", "json"],
                Duration::from_secs(60),
            )
        }
    });
    std::thread::sleep(Duration::from_millis(1000));
    let reply = cluster
        .client_as(ADMIN, replica_port)
        .command(&["CLUSTER", "FAILOVER"])
        .unwrap();
    assert_eq!(reply, Reply::Simple("OK".into()));
    let run = handle.join().unwrap();
    assert_eq!(run.code, Some(3), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["complete"], false);
    let why = report["incomplete"].to_string();
    assert!(why.contains("MOVED") && why.contains("failover"), "{why}");
    assert!(
        report["keyspace"]["inspected"].as_u64().unwrap() > 0,
        "partial results kept"
    );

    // A dead replica: flagged by the cluster, reported by verify (exit 1),
    // not waited for.
    wait_for("the failover to settle", Duration::from_secs(20), || {
        !cluster_nodes(&cluster, ports[0]).contains("fail")
    });
    let victim = cluster_nodes(&cluster, ports[0])
        .lines()
        .find(|l| l.contains("slave"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|a| a.split('@').next())
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap();
    let pid = match cluster
        .client_as(ADMIN, victim)
        .command(&["INFO", "server"])
        .unwrap()
    {
        Reply::Bulk(Some(info)) => support::info_field(&info, "process_id").unwrap(),
        other => panic!("{other:?}"),
    };
    Command::new("kill").args(["-9", &pid]).status().unwrap();
    let other = ports.iter().copied().find(|p| *p != victim).unwrap();
    wait_for(
        "the dead replica to be flagged",
        Duration::from_secs(30),
        || {
            cluster_nodes(&cluster, other)
                .lines()
                .any(|l| l.contains(&format!(":{victim}@")) && l.contains("fail"))
        },
    );
    let url = url_of(other);
    let run = verify(policy, &url, &["--format", "json"], Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let unhealthy = run.findings("CG414");
    assert_eq!(unhealthy.len(), 1, "{}", run.stdout);
    assert!(
        unhealthy[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!(":{victim}"))
    );
    assert_eq!(
        run.findings("CG412").len(),
        1,
        "one master is short of a replica"
    );
    drop(cluster);
}
