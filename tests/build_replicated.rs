//! The generated configs of a replicated store, run for real: the primary's
//! redis.conf and a replica's replica.conf (credentials from the generated
//! installer) on free loopback ports, the replica linked as the replication
//! user and `min-replicas-to-write` enforced; three `redis-server
//! --sentinel` from the generated sentinel.conf agreeing on the primary,
//! and the Sentinels' verifier user limited to read-only commands. The
//! configs name the primary at 127.0.0.1:6379; the test rewrites that one
//! line to its own port (never 6379).

mod support;

use std::time::Duration;
use support::credentials::{Installed, login};
use support::render::render;
use support::replicated::{Replicated, wait_for, write};
use support::{Client, RedisServer, Reply, bulk};

const POLICY: &str = "tests/fixtures/build-replicated.yaml";
const STORE: &str = "orders";
const MASTER: &str = "orders-primary";

fn setup() -> Replicated {
    let (report, files) = render(POLICY);
    Replicated::new(report, files, STORE)
}

#[test]
fn the_replica_links_as_the_replication_user_and_writes_need_it() {
    let group = setup();
    let installed = &group.installed;
    let primary = group.start_primary();
    let mut checkout = login(primary.port, "checkout", installed.password("checkout"));
    // No replica yet: min-replicas-to-write 1 refuses the write.
    let refused = checkout.command(&["RPUSH", "order_queue", "o-1"]).unwrap();
    assert!(
        matches!(&refused, Reply::Error(e) if e.starts_with("NOREPLICAS")),
        "{refused:?}"
    );

    let replica = group.start_replica(primary.port);
    group.wait_link_up(replica.port);
    // The primary sees the replica logged in as the replication user.
    let clients = bulk(
        group
            .admin(primary.port)
            .command(&["CLIENT", "LIST"])
            .unwrap(),
    );
    assert!(
        clients
            .lines()
            .any(|l| l.contains("user=replication") && l.contains("flags=S")),
        "{clients}"
    );
    // Counted once it acknowledges (every second): writes go through.
    wait_for(
        "a write accepted with one replica",
        Duration::from_secs(5),
        || {
            let r = checkout.command(&["RPUSH", "order_queue", "o-2"]).unwrap();
            matches!(r, Reply::Int(_)).then_some(())
        },
    );
    wait_for("the write on the replica", Duration::from_secs(5), || {
        let len = group
            .admin(replica.port)
            .command(&["LLEN", "order_queue"])
            .unwrap();
        (len == Reply::Int(1)).then_some(())
    });

    // The replica stops: writes are refused again.
    drop(replica);
    wait_for(
        "NOREPLICAS after the replica stopped",
        Duration::from_secs(15),
        || {
            let r = checkout.command(&["RPUSH", "order_queue", "o-3"]).unwrap();
            matches!(&r, Reply::Error(e) if e.starts_with("NOREPLICAS")).then_some(())
        },
    );
}

/// The installer's working copy of sentinel.conf, one copy per Sentinel in
/// the credentials directory (Sentinel writes its login into it).
fn start_sentinel(installed: &Installed, primary: u16, i: usize) -> RedisServer {
    let creds = installed.dir.path().join("credentials");
    let monitor = format!("sentinel monitor {MASTER} 127.0.0.1 6379 2");
    let text = std::fs::read_to_string(creds.join("sentinel.conf")).unwrap();
    assert!(text.contains(&monitor), "{text}");
    let text = text.replace(
        &monitor,
        &format!("sentinel monitor {MASTER} 127.0.0.1 {primary} 2"),
    );
    let conf = write(&creds, &format!("sentinel-{i}.conf"), &text);
    RedisServer::start(Some(&conf), &["--sentinel"])
}

fn strings(reply: &Reply) -> Vec<String> {
    match reply {
        Reply::Array(items) => items
            .iter()
            .map(|i| match i {
                Reply::Bulk(Some(s)) | Reply::Simple(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

#[test]
fn three_sentinels_agree_and_their_verifier_only_reads() {
    let group = setup();
    let installed = &group.installed;
    let primary = group.start_primary();
    let replica = group.start_replica(primary.port);
    group.wait_link_up(replica.port);
    let sentinels: Vec<RedisServer> = (0..3)
        .map(|i| start_sentinel(installed, primary.port, i))
        .collect();

    for s in &sentinels {
        // `default` is off: nothing without logging in.
        let anonymous = Client::connect(s.port).unwrap().command(&["PING"]).unwrap();
        assert!(
            matches!(&anonymous, Reply::Error(e) if e.starts_with("NOAUTH")),
            "{anonymous:?}"
        );
        let mut a = group.admin(s.port);
        let addr = strings(
            &a.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
                .unwrap(),
        );
        assert_eq!(addr, ["127.0.0.1", &primary.port.to_string()]);
        // They find each other through the primary's hello channel (as the
        // Sentinel user, whose login the installer gave them).
        wait_for(
            "each Sentinel to know the other two",
            Duration::from_secs(15),
            || {
                let master = strings(&a.command(&["SENTINEL", "MASTER", MASTER]).unwrap());
                let at = master.iter().position(|k| k == "num-other-sentinels")?;
                (master[at + 1] == "2").then_some(())
            },
        );
    }

    let verifier_password = installed.password("cachegen-verify");
    let mut v = login(sentinels[0].port, "cachegen-verify", verifier_password);
    let ckquorum = v.command(&["SENTINEL", "CKQUORUM", MASTER]).unwrap();
    assert!(
        matches!(&ckquorum, Reply::Simple(s) if s.starts_with("OK 3 usable Sentinels")),
        "{ckquorum:?}"
    );
    for allowed in [
        vec!["SENTINEL", "MASTERS"],
        vec!["SENTINEL", "MASTER", MASTER],
        vec!["SENTINEL", "REPLICAS", MASTER],
        vec!["SENTINEL", "SENTINELS", MASTER],
        vec!["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER],
        vec!["INFO"],
        vec!["PING"],
    ] {
        let r = v.command(&allowed).unwrap();
        assert!(!matches!(r, Reply::Error(_)), "{allowed:?}: {r:?}");
    }
    let replicas = strings(
        &match v.command(&["SENTINEL", "REPLICAS", MASTER]).unwrap() {
            Reply::Array(items) => items.into_iter().next().expect("one replica"),
            other => panic!("{other:?}"),
        },
    );
    assert!(replicas.contains(&replica.port.to_string()), "{replicas:?}");
    for refused in [
        vec!["SENTINEL", "SET", MASTER, "quorum", "1"],
        vec!["SENTINEL", "FAILOVER", MASTER],
        vec!["SENTINEL", "RESET", "*"],
        vec!["SENTINEL", "REMOVE", MASTER],
        vec!["SENTINEL", "CONFIG", "GET", "*"],
        vec!["ACL", "LIST"],
        vec!["CLIENT", "LIST"],
    ] {
        let r = v.command(&refused).unwrap();
        assert!(
            matches!(&r, Reply::Error(e) if e.starts_with("NOPERM")),
            "{refused:?} must be refused: {r:?}"
        );
    }
    // Sentinel has no CONFIG command at all; it is refused either way.
    let config = v.command(&["CONFIG", "GET", "*"]).unwrap();
    assert!(matches!(config, Reply::Error(_)), "{config:?}");
    // The quorum is still the policy's: the refused SET changed nothing.
    let master = strings(&v.command(&["SENTINEL", "MASTER", MASTER]).unwrap());
    let at = master.iter().position(|k| k == "quorum").unwrap();
    assert_eq!(master[at + 1], "2");

    // A Sentinel starts again from the file it rewrote (its id, the
    // Sentinels and replicas it found): its users come from their own ACL
    // file, so the rewrite did not copy them into a second declaration.
    let mut sentinels = sentinels;
    drop(sentinels.remove(0));
    let rewritten = installed.dir.path().join("credentials/sentinel-0.conf");
    let text = std::fs::read_to_string(&rewritten).unwrap();
    assert!(text.contains("sentinel myid "), "{text}");
    // The rewrite also kept this harness's `--dir`/`--logfile`, whose
    // directory went with the stopped process; the next start passes its own.
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("dir ") && !l.starts_with("logfile "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&rewritten, kept).unwrap();
    let again = RedisServer::start(Some(&rewritten), &["--sentinel"]);
    let addr = strings(
        &login(again.port, "cachegen-verify", verifier_password)
            .command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
            .unwrap(),
    );
    assert_eq!(addr, ["127.0.0.1", &primary.port.to_string()]);
}

/// No generated file of the store holds a password (the installer writes
/// them at install time).
#[test]
fn no_generated_file_holds_a_password() {
    let Replicated {
        files, installed, ..
    } = setup();
    for f in &files {
        for (user, pw) in &installed.passwords {
            assert!(
                !f.contents.contains(pw.as_str()),
                "{} holds {user}'s password",
                f.path
            );
        }
    }
    let creds = installed.dir.path().join("credentials");
    let users = std::fs::read_to_string(creds.join("sentinel-users.acl")).unwrap();
    assert!(users.starts_with("user default off\n"), "{users}");
    let auth = std::fs::read_to_string(creds.join("sentinel-auth.conf")).unwrap();
    let acl = creds.join("sentinel-users.acl");
    assert!(
        auth.starts_with(&format!("aclfile \"{}\"\n", acl.display())),
        "{auth}"
    );
    for line in [
        format!("sentinel auth-user {MASTER} sentinel\n"),
        "sentinel sentinel-user sentinel\n".to_owned(),
    ] {
        assert!(auth.contains(&line), "{auth}");
    }
    // On the Sentinels, that user may only talk to its peers.
    assert!(
        users.contains(&format!(
            "\nuser sentinel {} #",
            cachegen::render::sentinel::peer_rules()
        )),
        "{users}"
    );
}
