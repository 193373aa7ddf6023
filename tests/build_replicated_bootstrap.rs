//! The `replicated/` target run for real: shop's `durable` store (a primary,
//! 2 replicas and 3 Sentinels) started by its generated bootstrap.sh on
//! free loopback ports, its health checked from outside as the verifier
//! user, a failover seen when the primary is killed, and stop.sh leaving no
//! process behind. The Sentinels log in as the Sentinel user: bootstrap,
//! failover, a busy script killed by Sentinel and the old primary's return
//! as a replica leave `ACL LOG` empty on every node and Sentinel, and that
//! user is refused everything else; a service may not publish on the
//! Sentinels' channel. The machine's Redis may be older than the policy's, so
//! the store is rendered at Redis 7.0 (what `redis-server` on PATH runs).

mod support;
use std::process::Command;
use std::time::{Duration, Instant};
use support::bootstrapped::{Booted, MASTER, alive, boot, script_env, strings, value_of, written};
use support::cluster::run_script;
use support::replicated::wait_for;
use support::{RedisServer, Reply, bulk, info_field};

/// `ACL LOG` of a node or Sentinel, read as the operator: each entry's user
/// and refused object (command, key or channel).
fn acl_log(b: &Booted, port: u16) -> Vec<(String, String)> {
    let Reply::Array(entries) = b.client_as("admin", port).command(&["ACL", "LOG"]).unwrap() else {
        panic!("ACL LOG on {port} is not an array")
    };
    entries
        .iter()
        .map(|entry| {
            let pairs = support::reply_pairs(entry);
            let field = |name: &str| match pairs.iter().find(|(k, _)| k == name) {
                Some((_, Reply::Bulk(Some(v)))) => v.clone(),
                other => panic!("ACL LOG {name}: {other:?}"),
            };
            (field("username"), field("object"))
        })
        .collect()
}

/// The clients of a node or Sentinel other than the asking connection, as
/// `CLIENT LIST` lines.
fn other_clients(b: &Booted, port: u16) -> Vec<String> {
    bulk(
        b.client_as("admin", port)
            .command(&["CLIENT", "LIST"])
            .unwrap(),
    )
    .lines()
    .filter(|l| !l.contains(" cmd=client|list "))
    .map(str::to_owned)
    .collect()
}

/// What `command` as `user` on `port` answers; it must be NOPERM.
fn assert_refused(b: &Booted, user: &str, port: u16, command: &[&str]) {
    let r = b.client_as(user, port).command(command).unwrap();
    assert!(
        matches!(&r, Reply::Error(e) if e.starts_with("NOPERM")),
        "{user} on {port}: {command:?} must be refused: {r:?}"
    );
}

#[test]
fn bootstrap_starts_a_healthy_store_that_fails_over_and_stop_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    let b = boot(root.path(), Some(1000));
    let primary = b.ports[0];

    // Every working copy is the run's own, in a directory nobody else reads.
    for entry in std::fs::read_dir(&b.data_dir).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o077, 0, "{meta:?}");
    }

    // The health facts, from outside, as the verifier user.
    let info = bulk(
        b.client_as("cachegen-verify", primary)
            .command(&["INFO", "replication"])
            .unwrap(),
    );
    assert_eq!(
        info_field(&info, "role").as_deref(),
        Some("master"),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "connected_slaves").as_deref(),
        Some("2"),
        "{info}"
    );
    for &replica in &b.ports[1..] {
        let info = bulk(
            b.client_as("cachegen-verify", replica)
                .command(&["INFO", "replication"])
                .unwrap(),
        );
        assert_eq!(
            info_field(&info, "master_link_status").as_deref(),
            Some("up"),
            "{info}"
        );
        assert_eq!(
            info_field(&info, "master_port"),
            Some(primary.to_string()),
            "{info}"
        );
    }
    for &s in &b.sentinel_ports {
        let mut v = b.client_as("cachegen-verify", s);
        let addr = strings(
            v.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
                .unwrap(),
        );
        assert_eq!(addr, ["127.0.0.1".to_owned(), primary.to_string()]);
        let master = strings(v.command(&["SENTINEL", "MASTER", MASTER]).unwrap());
        assert_eq!(value_of(&master, "num-other-sentinels"), "2");
        assert_eq!(value_of(&master, "num-slaves"), "2");
        assert_eq!(value_of(&master, "quorum"), "2");
        // Healthy means each replica is already listed as such by every
        // Sentinel (they refresh it every 10 s; bootstrap.sh waits).
        let Reply::Array(replicas) = v.command(&["SENTINEL", "REPLICAS", MASTER]).unwrap() else {
            panic!("SENTINEL REPLICAS")
        };
        assert_eq!(replicas.len(), 2);
        for r in replicas.into_iter().map(strings) {
            assert_eq!(value_of(&r, "flags"), "slave", "{r:?}");
            assert_eq!(value_of(&r, "master-link-status"), "ok", "{r:?}");
        }
        let ckquorum = v.command(&["SENTINEL", "CKQUORUM", MASTER]).unwrap();
        assert!(
            matches!(&ckquorum, Reply::Simple(s) if s.starts_with("OK 3 usable Sentinels")),
            "{ckquorum:?}"
        );
    }

    // The Sentinels reach every node, and each other, as the Sentinel user
    // only (the operator's password is not theirs to use).
    for &port in b.ports.iter().chain(&b.sentinel_ports) {
        let clients = other_clients(&b, port);
        let links: Vec<&String> = clients
            .iter()
            .filter(|l| l.contains(" name=sentinel-"))
            .collect();
        assert!(!links.is_empty(), "no Sentinel on {port}: {clients:?}");
        for l in &links {
            assert!(l.contains(" user=sentinel "), "{port}: {l}");
        }
        // Replicas log in as the replication user; nobody as the operator.
        assert!(
            !clients.iter().any(|l| l.contains(" user=admin ")),
            "{port}: {clients:?}"
        );
    }

    // A service logs in to the Sentinels as itself, with its data-node
    // password, and does what a Sentinel-aware client does: names its
    // connection, asks for the primary, the replicas and the Sentinels, and
    // subscribes to +switch-master.
    let mut cart = b.client_as("cart", b.sentinel_ports[0]);
    for command in [
        &["CLIENT", "SETNAME", "cart"][..],
        &["PING"],
        &["SENTINEL", "MASTERS"],
        &["SENTINEL", "MASTER", MASTER],
        &["SENTINEL", "REPLICAS", MASTER],
        &["SENTINEL", "SENTINELS", MASTER],
    ] {
        let r = cart.command(command).unwrap();
        assert!(!matches!(r, Reply::Error(_)), "cart: {command:?}: {r:?}");
    }
    let addr = strings(
        cart.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
            .unwrap(),
    );
    assert_eq!(addr, ["127.0.0.1".to_owned(), primary.to_string()]);
    let mut watcher = b.client_as("checkout", b.sentinel_ports[1]);
    let r = watcher.command(&["SUBSCRIBE", "+switch-master"]).unwrap();
    assert_eq!(
        r,
        Reply::Array(vec![
            Reply::Bulk(Some("subscribe".into())),
            Reply::Bulk(Some("+switch-master".into())),
            Reply::Int(1),
        ])
    );

    // The primary dies: the Sentinels promote a replica.
    let primary_pid =
        std::fs::read_to_string(b.data_dir.join(format!("node-{primary}/redis.pid"))).unwrap();
    let status = Command::new("kill")
        .args(["-9", primary_pid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let promoted = loop {
        let addr = strings(
            b.client_as("cachegen-verify", b.sentinel_ports[0])
                .command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
                .unwrap(),
        );
        let port: u16 = addr[1].parse().unwrap();
        if port != primary {
            break port;
        }
        assert!(Instant::now() < deadline, "no failover within 20 s");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        b.ports[1..].contains(&promoted),
        "{promoted} is not a replica"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = bulk(
            b.client_as("cachegen-verify", promoted)
                .command(&["INFO", "replication"])
                .unwrap(),
        );
        if info_field(&info, "role").as_deref() == Some("master") {
            break;
        }
        assert!(Instant::now() < deadline, "{promoted} not master: {info}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // The other replica follows the promoted one (Sentinel's MULTI,
    // SLAVEOF, CONFIG REWRITE, CLIENT KILL, EXEC), and nothing Sentinel sent
    // anywhere was refused.
    let other = *b.ports[1..].iter().find(|&&p| p != promoted).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = bulk(
            b.client_as("cachegen-verify", other)
                .command(&["INFO", "replication"])
                .unwrap(),
        );
        if info_field(&info, "master_port") == Some(promoted.to_string())
            && info_field(&info, "master_link_status").as_deref() == Some("up")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{other} not following {promoted}: {info}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for &port in [promoted, other].iter().chain(&b.sentinel_ports) {
        assert_eq!(acl_log(&b, port), [], "refused on {port}");
    }
    // The subscribed service heard of it.
    let message = strings(watcher.next_reply().unwrap());
    assert_eq!(message[..2], ["message", "+switch-master"]);
    assert_eq!(
        message[2],
        format!("{MASTER} 127.0.0.1 {primary} 127.0.0.1 {promoted}")
    );

    // The old primary comes back from its working copy, still saying it is
    // the primary: the Sentinels turn it into a replica of the promoted
    // node (SLAVEOF, CONFIG REWRITE), which it then follows; checked below,
    // after the script, so the two waits overlap.
    b.restart_node(primary);

    // A script keeps the replica busy: Sentinel, finding it down, sends
    // SCRIPT KILL, which its user may (the script ends, nothing refused).
    let mut admin = b.client_as("admin", other);
    let r = admin
        .command(&["CONFIG", "SET", "busy-reply-threshold", "100"])
        .unwrap();
    assert_eq!(r, Reply::Simple("OK".into()));
    let r = admin.command(&["EVAL", "while true do end", "0"]).unwrap();
    assert!(
        matches!(&r, Reply::Error(e) if e.contains("Script killed by user")),
        "{r:?}"
    );
    assert_eq!(acl_log(&b, other), [], "refused on {other}");

    // The old primary follows the promoted node, and nothing Sentinel sent
    // it, or anywhere, on its return was refused.
    wait_for(
        &format!("the old primary {primary} following {promoted}"),
        Duration::from_secs(60),
        || {
            let mut c = support::Client::connect(primary).ok()?;
            let password = b.password("cachegen-verify");
            c.command(&["AUTH", "cachegen-verify", password]).ok()?;
            let info = bulk(c.command(&["INFO", "replication"]).ok()?);
            (info_field(&info, "master_port") == Some(promoted.to_string())
                && info_field(&info, "master_link_status").as_deref() == Some("up"))
            .then_some(())
        },
    );
    for &port in b.ports.iter().chain(&b.sentinel_ports) {
        assert_eq!(acl_log(&b, port), [], "refused on {port}");
    }

    // Everything else is refused to the Sentinel user, on a node ...
    let refused_on_node: &[&[&str]] = &[
        &["GET", "k"],
        &["SET", "k", "v"],
        &["KEYS", "*"],
        &["FLUSHALL"],
        &["ACL", "LIST"],
        &["CONFIG", "GET", "requirepass"],
        &["CONFIG", "SET", "maxmemory", "1"],
        &["REPLICAOF", "NO", "ONE"],
        &["PUBLISH", "orders", "x"],
        &["SUBSCRIBE", "orders"],
    ];
    for command in refused_on_node {
        assert_refused(&b, "sentinel", promoted, command);
    }
    // ... and on a Sentinel, where it may only talk to its peers.
    let refused_on_sentinel: &[&[&str]] = &[
        &["SENTINEL", "SET", MASTER, "quorum", "1"],
        &["SENTINEL", "FAILOVER", MASTER],
        &["SENTINEL", "MASTERS"],
        &["SENTINEL", "CONFIG", "GET", "*"],
        &["ACL", "LIST"],
        &["INFO"],
    ];
    for command in refused_on_sentinel {
        assert_refused(&b, "sentinel", b.sentinel_ports[0], command);
    }
    // A service may change nothing on a Sentinel nor hear other events.
    for command in [
        &["SENTINEL", "SET", MASTER, "quorum", "1"][..],
        &["SENTINEL", "FAILOVER", MASTER],
        &["SENTINEL", "RESET", "*"],
        &["SENTINEL", "REMOVE", MASTER],
        &["SENTINEL", "CONFIG", "GET", "*"],
        &["SENTINEL", "CKQUORUM", MASTER],
        &["ACL", "LIST"],
        &["INFO"],
        &["PUBLISH", "+switch-master", "x"],
        &["SUBSCRIBE", "+sdown"],
        &["PSUBSCRIBE", "*"],
    ] {
        assert_refused(&b, "cart", b.sentinel_ports[0], command);
    }
    // The log records the Sentinel user's refusals, so the empty logs above
    // are no accident of logging.
    let logged = acl_log(&b, promoted);
    assert!(
        logged.iter().all(|(user, _)| user == "sentinel"),
        "{logged:?}"
    );
    for object in [
        "get",
        "flushall",
        "acl|list",
        "config|get",
        "replicaof",
        "orders",
    ] {
        assert!(
            logged.iter().any(|(_, o)| o == object),
            "{object}: {logged:?}"
        );
    }

    // A service may not publish on the Sentinels' channel (CG507 keeps
    // globs that reach it out of the policy; none is granted here).
    assert_refused(
        &b,
        "cart",
        promoted,
        &["PUBLISH", "__sentinel__:hello", "x"],
    );

    // stop.sh stops everything (the old primary too, from its new pid file).
    let pids = b.pids();
    assert_eq!(pids.len(), 6, "{pids:?}");
    let (ok, out) = b.stop();
    assert!(ok, "stop.sh failed:\n{out}");
    let left: Vec<&String> = pids.iter().filter(|p| alive(p)).collect();
    assert!(
        left.is_empty(),
        "still running after stop.sh: {left:?}\n{out}"
    );
}

#[test]
fn a_port_that_already_answers_is_refused_before_anything_starts() {
    let root = tempfile::tempdir().unwrap();
    let (dir, secrets, _) = written(root.path());
    // Someone else's Redis on the second Sentinel's port.
    let other = RedisServer::start(None, &[]);
    let mut ports = support::free_ports(5);
    ports.insert(4, other.port);
    let data_dir = root.path().join("data");
    let env = script_env(&data_dir, &ports[..3], &ports[3..], &secrets, Some(1000));
    let (status, output) = run_script(&dir, "bootstrap.sh", &env, Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{output}");
    assert!(
        output.contains(&format!(
            "something already answers on 127.0.0.1:{}",
            other.port
        )),
        "{output}"
    );
    // Nothing was started: no node directory, no pid file.
    let started: Vec<_> = std::fs::read_dir(&data_dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.file_name())).collect())
        .unwrap_or_default();
    assert!(started.is_empty(), "{started:?}");
    // The wrong count is named too.
    let env = script_env(&data_dir, &ports[..2], &ports[3..], &secrets, Some(1000));
    let (status, output) = run_script(&dir, "bootstrap.sh", &env, Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{output}");
    assert!(
        output.contains("PORTS lists 2 ports; this store has 3 data nodes"),
        "{output}"
    );
}

/// A Sentinel user without a command Sentinel sends (here `PUBLISH` on the
/// data nodes): bootstrap.sh does not call the store healthy, and names the
/// refused command and where, from `ACL LOG`.
#[test]
fn a_command_refused_to_the_sentinel_user_is_not_healthy() {
    let root = tempfile::tempdir().unwrap();
    let (dir, secrets, _) = written(root.path());
    let installer = dir.parent().unwrap().join("install-credentials.sh");
    let text = std::fs::read_to_string(&installer).unwrap();
    let narrowed = text.replace(" +subscribe +publish ", " +subscribe ");
    assert_ne!(
        narrowed, text,
        "the node line grants PUBLISH after SUBSCRIBE"
    );
    std::fs::write(&installer, narrowed).unwrap();
    let all = support::free_ports(6);
    let (ports, sentinel_ports) = all.split_at(3);
    let data_dir = root.path().join("data");
    let mut env = script_env(&data_dir, ports, sentinel_ports, &secrets, Some(1000));
    env.retain(|(k, _)| k != "HEALTH_TIMEOUT");
    env.push(("HEALTH_TIMEOUT".into(), "6".into()));
    // Stops whatever started, when the test ends.
    let started = Booted {
        dir,
        data_dir,
        env,
        passwords: Vec::new(),
        ports: ports.to_vec(),
        sentinel_ports: sentinel_ports.to_vec(),
    };
    let (status, output) = run_script(
        &started.dir,
        "bootstrap.sh",
        &started.env,
        Duration::from_secs(40),
    );
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{output}");
    assert!(
        output.contains(&format!(
            "127.0.0.1:{} the Sentinel user sentinel was refused: publish (ACL LOG)",
            ports[0]
        )),
        "{output}"
    );
    assert!(!output.contains("healthy: primary"), "{output}");
}
