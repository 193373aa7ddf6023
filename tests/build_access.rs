//! The generated access control on real servers: each store's ACL file and
//! credentials installer (`users.acl`, `install-credentials.sh`) loaded by a
//! real `redis-server` from the generated redis.conf; every service user
//! exercised (its own keys work, everything else is NOPERM); literal glob
//! characters cannot widen a glob; the verifier's credentials reveal no
//! secret and no value; a real replica authenticates as the replication
//! user; and the installer fails cleanly and keeps passwords off command
//! lines.

mod support;

use cachegen::graph::Graph;
use cachegen::keys::{KeyPiece, Segment};
use cachegen::policy::model::{PlaceholderType, Policy, SecretRef, Service, Store, ValueType};
use cachegen::render::{Origin, OutputFile, Templates};
use std::collections::BTreeSet;
use support::credentials::{Installed, install, login};
use support::{Client, RedisServer, Reply};

const POLICIES: &[&str] = &["policies/quizmentor.yaml", "policies/shop.yaml"];

fn load(path: &str) -> Policy {
    support::render::checked(path).policy.expect("model")
}

fn render(policy: &Policy) -> Vec<OutputFile> {
    let origin = Origin::new(policy, "policy.yaml");
    cachegen::render::render_all(policy, &origin, &Templates::default()).expect("render")
}

fn service(store: &Store, name: &str) -> Service {
    Service {
        name: name.into(),
        pointer: format!("{}/access/services/{name}", store.pointer),
        password: SecretRef::Env(format!(
            "SVC_{}_PASSWORD",
            name.replace('-', "_").to_uppercase()
        )),
        reads: vec![],
        writes: vec![],
        owns: vec![],
        events: vec![],
        scan: false,
        scripting: false,
        channels: vec![],
    }
}

/// Services for every store that declares none: one reading every other
/// pattern (and a tag set), one writing the rest (owning the durable ones)
/// and reading what the first reads, one running every event, one with
/// scan, scripting and a channel.
fn add_services(policy: &mut Policy) {
    let names: Vec<String> = policy.stores.keys().cloned().collect();
    for store_name in names {
        if !policy.stores[&store_name].access.services.is_empty() {
            continue;
        }
        let patterns: Vec<(String, bool)> = policy
            .patterns_in(&store_name)
            .map(|p| (p.name.clone(), p.durable))
            .collect();
        let tags: Vec<String> = policy
            .tags
            .values()
            .filter(|t| t.store == store_name)
            .map(|t| t.name.clone())
            .collect();
        let events: Vec<String> = policy.events.keys().cloned().collect();
        let store = &policy.stores[&store_name];
        let mut reader = service(store, "reader");
        let mut writer = service(store, "writer");
        for (i, (name, durable)) in patterns.iter().enumerate() {
            if i % 2 == 0 {
                reader.reads.push(name.clone());
            } else if *durable {
                writer.owns.push(name.clone());
            } else {
                writer.writes.push(name.clone());
            }
        }
        reader.reads.extend(tags.first().cloned());
        // The writer reads what the reader reads: its write commands must
        // not reach those keys (`%R~`).
        writer.reads = reader.reads.clone();
        let mut invalidator = service(store, "invalidator");
        invalidator.events = events;
        let mut extra = service(store, "extra");
        extra.reads = patterns
            .first()
            .map(|(n, _)| n.clone())
            .into_iter()
            .collect();
        extra.scan = true;
        extra.scripting = true;
        extra.channels = vec!["news.*".into()];
        let services = &mut policy.stores.get_mut(&store_name).unwrap().access.services;
        for s in [reader, writer, invalidator, extra] {
            services.insert(s.name.clone(), s);
        }
    }
}

fn sample(ty: &PlaceholderType) -> String {
    match ty {
        PlaceholderType::Int => "42".into(),
        PlaceholderType::Uuid => "123e4567-e89b-12d3-a456-426614174000".into(),
        PlaceholderType::Slug => "rust-101".into(),
        PlaceholderType::Token => "tok_9Xa".into(),
        PlaceholderType::Md5 => "0cc175b9c0f1b6a831c399e269772661".into(),
        PlaceholderType::Ip => "2001-db8--1".into(),
        PlaceholderType::Pattern(r) => r.table.example().expect("a value"),
    }
}

fn sample_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|p| match p {
            KeyPiece::Text(t) => t.clone(),
            KeyPiece::Placeholder { ty, .. } => sample(ty),
        })
        .collect()
}

/// A command that reads a key of the type, and one that writes it.
fn read_write(ty: ValueType, key: &str) -> (Vec<String>, Vec<String>) {
    let v = |a: &[&str]| a.iter().map(|s| s.replace("K", key)).collect::<Vec<_>>();
    match ty {
        ValueType::String => (v(&["GET", "K"]), v(&["SET", "K", "v"])),
        ValueType::Hash => (v(&["HGET", "K", "f"]), v(&["HSET", "K", "f", "v"])),
        ValueType::List => (v(&["LRANGE", "K", "0", "-1"]), v(&["LPUSH", "K", "v"])),
        ValueType::Set => (v(&["SMEMBERS", "K"]), v(&["SADD", "K", "v"])),
        ValueType::Zset => (v(&["ZRANGE", "K", "0", "-1"]), v(&["ZADD", "K", "1", "m"])),
        ValueType::Stream => (v(&["XLEN", "K"]), v(&["XADD", "K", "*", "f", "v"])),
    }
}

fn run(c: &mut Client, args: &[String]) -> Reply {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    c.command(&args).unwrap()
}

fn is_noperm(r: &Reply) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with("NOPERM"))
}

fn assert_ok(what: &str, args: &[String], r: &Reply) {
    assert!(
        !matches!(r, Reply::Error(_)),
        "{what}: {args:?} must be allowed, got {r:?}"
    );
}

fn assert_noperm(what: &str, args: &[&str], r: &Reply) {
    assert!(is_noperm(r), "{what}: {args:?} must be NOPERM, got {r:?}");
}

/// A store's server from its generated redis.conf with the generated
/// credentials installed; a cluster store gets every slot, so keys work.
fn start(files: &[OutputFile], store: &Store) -> (RedisServer, Installed) {
    let installed = install(files, store);
    let bus = support::free_port().to_string();
    // DEBUG and MODULE are open to every connection here, so the ACL
    // alone is what refuses them.
    let mut extra = vec![
        "--enable-debug-command",
        "yes",
        "--enable-module-command",
        "yes",
    ];
    if store.cluster.is_some() {
        extra.extend(["--cluster-port", &bus]);
    }
    let server = RedisServer::start(Some(&installed.conf), &extra);
    if store.cluster.is_some() {
        let mut admin = login(server.port, "admin", installed.password("admin"));
        assert_eq!(
            admin
                .command(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"])
                .unwrap(),
            Reply::Simple("OK".into())
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let info = admin.command(&["CLUSTER", "INFO"]).unwrap();
            if matches!(&info, Reply::Bulk(Some(t)) if t.contains("cluster_state:ok")) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "cluster not ok: {info:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    (server, installed)
}

/// Every key kind a service may be granted in the store: (owner, key, type).
struct Keys {
    pattern: Vec<(String, String, ValueType)>,
}

fn store_keys(policy: &Policy, store: &Store) -> Keys {
    Keys {
        pattern: policy
            .patterns_in(&store.name)
            .map(|p| {
                (
                    p.name.clone(),
                    sample_key(policy, &p.store, "", &p.segments, p.hash_tag),
                    p.value_type,
                )
            })
            .collect(),
    }
}

/// Exercises every service user of every store of `policy` on a real server.
fn exercise_services(policy: &Policy) -> usize {
    let files = render(policy);
    let graph = Graph::new(policy);
    let mut exercised = 0;
    for store in policy.stores.values() {
        if store.access.services.is_empty() {
            continue;
        }
        let (server, installed) = start(&files, store);
        let mut admin = login(server.port, "admin", installed.password("admin"));
        let keys = store_keys(policy, store);
        for svc in store.access.services.values() {
            let what = format!("{} service {}", store.name, svc.name);
            // Seed every key of the store with a value of its type.
            for (_, key, ty) in &keys.pattern {
                admin.command(&["DEL", key]).unwrap();
                let (_, write) = read_write(*ty, key);
                assert_ok("seed", &write, &run(&mut admin, &write));
            }
            let mut c = login(server.port, &svc.name, installed.password(&svc.name));
            assert_eq!(c.command(&["PING"]).unwrap(), Reply::Simple("PONG".into()));
            let written: BTreeSet<&String> = svc.writes.iter().chain(&svc.owns).collect();
            let mut granted: BTreeSet<String> = BTreeSet::new();
            for (name, key, ty) in &keys.pattern {
                let (read, write) = read_write(*ty, key);
                if written.contains(name) {
                    granted.insert(name.clone());
                    assert_ok(&what, &read, &run(&mut c, &read));
                    assert_ok(&what, &write, &run(&mut c, &write));
                    let p = policy.pattern(name).unwrap();
                    if let Some(lock) = &p.stampede_lock {
                        let lock_key =
                            sample_key(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag);
                        let take = ["SET", &lock_key, "token", "NX", "PX", "30000"];
                        assert_eq!(
                            c.command(&take).unwrap(),
                            Reply::Simple("OK".into()),
                            "{what}: {take:?}"
                        );
                        assert_eq!(
                            c.command(&["DEL", &lock_key]).unwrap(),
                            Reply::Int(1),
                            "{what}: release {lock_key}"
                        );
                    }
                    for t in p.tags.iter().filter_map(|t| policy.tags.get(t)) {
                        let tag_key = sample_key(policy, &t.store, "", &t.key, None);
                        let add = ["SADD", &tag_key, key];
                        let r = c.command(&add).unwrap();
                        assert!(matches!(r, Reply::Int(_)), "{what}: {add:?}: {r:?}");
                    }
                } else if svc.reads.contains(name) {
                    granted.insert(name.clone());
                    assert_ok(&what, &read, &run(&mut c, &read));
                    let r = run(&mut c, &write);
                    assert!(
                        is_noperm(&r),
                        "{what}: {write:?} on read-only {name}: {r:?}"
                    );
                }
            }
            if let Some((_, key, ty)) = keys.pattern.iter().find(|(n, _, _)| written.contains(n)) {
                // Several writes as one step (an answer and its queue entry).
                let (_, write) = read_write(*ty, key);
                assert_eq!(
                    c.command(&["MULTI"]).unwrap(),
                    Reply::Simple("OK".into()),
                    "{what}"
                );
                assert_eq!(
                    run(&mut c, &write),
                    Reply::Simple("QUEUED".into()),
                    "{what}"
                );
                let r = c.command(&["EXEC"]).unwrap();
                assert!(
                    matches!(&r, Reply::Array(a) if a.len() == 1),
                    "{what}: EXEC {r:?}"
                );
            }
            for event in &svc.events {
                let radius = graph.blast_radius(event).unwrap();
                for reached in &radius.patterns {
                    let Some((name, key, _)) =
                        keys.pattern.iter().find(|(n, _, _)| n == reached.pattern)
                    else {
                        continue; // another store's key
                    };
                    granted.insert(name.clone());
                    let unlink = ["UNLINK", key.as_str()];
                    assert!(
                        matches!(c.command(&unlink).unwrap(), Reply::Int(_)),
                        "{what}: {unlink:?} for event {event}"
                    );
                }
                for tag in &radius.tags {
                    let t = &policy.tags[*tag];
                    if t.store != store.name {
                        continue;
                    }
                    let tag_key = sample_key(policy, &t.store, "", &t.key, None);
                    for cmd in [["SMEMBERS", &tag_key], ["UNLINK", &tag_key]] {
                        let r = c.command(&cmd).unwrap();
                        assert!(!matches!(r, Reply::Error(_)), "{what}: {cmd:?}: {r:?}");
                    }
                }
            }
            // Every other pattern's keys are out of reach, read or write.
            for (name, key, _) in &keys.pattern {
                if granted.contains(name) {
                    continue;
                }
                for cmd in [["EXISTS", key.as_str()], ["UNLINK", key.as_str()]] {
                    assert_noperm(
                        &format!("{what} (pattern {name})"),
                        &cmd,
                        &c.command(&cmd).unwrap(),
                    );
                }
            }
            for cmd in [
                &["KEYS", "*"][..],
                &["FLUSHALL"],
                &["FLUSHDB"],
                &["CONFIG", "SET", "maxmemory", "1"],
                &["CONFIG", "GET", "*"],
                &["DEBUG", "SLEEP", "0"],
                &["MODULE", "LIST"],
                &["ACL", "LIST"],
                &["ACL", "SETUSER", &svc.name, "+@all"],
                &["SHUTDOWN", "NOSAVE"],
                &["MONITOR"],
                &["CLIENT", "LIST"],
                &["RANDOMKEY"],
            ] {
                assert_noperm(&what, cmd, &c.command(cmd).unwrap());
            }
            let eval = ["EVAL", "return 1", "0"];
            let r = c.command(&eval).unwrap();
            if svc.scripting {
                assert_eq!(r, Reply::Int(1), "{what}: scripting declared");
            } else {
                assert_noperm(&what, &eval, &r);
            }
            let scan = ["SCAN", "0"];
            let r = c.command(&scan).unwrap();
            assert_eq!(!is_noperm(&r), svc.scan, "{what}: SCAN: {r:?}");
            let publish = ["PUBLISH", "news.today", "hi"];
            let r = c.command(&publish).unwrap();
            if svc.channels.iter().any(|c| c == "news.*") {
                assert_eq!(r, Reply::Int(0), "{what}: {publish:?}");
                let other = ["PUBLISH", "private", "hi"];
                assert_noperm(&what, &other, &c.command(&other).unwrap());
            } else {
                assert_noperm(&what, &publish, &r);
            }
            exercised += 1;
        }
        // Nobody gets in without a password, and `default` not at all.
        let mut anonymous = server.client();
        let r = anonymous.command(&["PING"]).unwrap();
        assert!(
            matches!(&r, Reply::Error(e) if e.starts_with("NOAUTH")),
            "{r:?}"
        );
        for pw in ["", "x", "nopass"] {
            let r = anonymous.command(&["AUTH", "default", pw]).unwrap();
            assert!(
                matches!(&r, Reply::Error(e) if e.starts_with("WRONGPASS")),
                "{r:?}"
            );
        }
        let r = anonymous.command(&["AUTH", "x"]).unwrap();
        assert!(matches!(&r, Reply::Error(_)), "{r:?}");
    }
    exercised
}

/// Only Redis 7.0 runs here: a store for another release is exercised as
/// the same store on Redis 7.0 (same users and key globs; its commands come
/// from 7.0's facts, and the unit tests in `render::access` hold every
/// release's commands to its own facts).
fn as_local_redis(policy: &mut Policy) {
    let local = cachegen::facts::release(cachegen::facts::Engine::Redis, (7, 0)).unwrap();
    for store in policy.stores.values_mut() {
        store.engine = cachegen::facts::Engine::Redis;
        store.release = Some(local);
        store.redis.version = (7, 0);
        // `config:` entries were checked against the store's own release.
        store.config.clear();
    }
}

#[test]
fn every_service_user_of_the_bundled_policies_gets_exactly_its_keys() {
    for path in POLICIES {
        let mut policy = load(path);
        as_local_redis(&mut policy);
        let declared: usize = policy
            .stores
            .values()
            .map(|s| s.access.services.len())
            .sum();
        assert!(declared >= 2, "{path} declares services");
        assert_eq!(exercise_services(&policy), declared, "{path}");
    }
}

/// A policy whose services between them use every value type, a lock, a
/// tag set, an event with a cascade and a tag, scan, scripting, a channel
/// and a Kubernetes Secret reference, each exercised on a real server.
#[test]
fn every_service_user_of_the_access_fixture_gets_exactly_its_keys() {
    let policy = load("tests/fixtures/build-access.yaml");
    let types: BTreeSet<String> = policy
        .keys
        .patterns
        .values()
        .map(|p| format!("{:?}", p.value_type))
        .collect();
    assert_eq!(types.len(), 6, "{types:?}");
    let services = &policy.stores["redis"].access.services;
    assert!(
        services
            .values()
            .any(|s| s.scan && s.scripting && !s.channels.is_empty())
    );
    assert_eq!(exercise_services(&policy), 3);
}

/// Stand-in services in place of the declared ones, for what the bundled
/// services do not use: every pattern read by one service and written by
/// another, every event, tag-set reads, scanning, scripting, a channel, a
/// `{file}` reference and a variable named like the installer's own.
#[test]
fn stand_in_services_cover_reads_scan_scripting_and_channels() {
    for path in POLICIES {
        let mut policy = load(path);
        as_local_redis(&mut policy);
        for store in policy.stores.values_mut() {
            store.access.services.clear();
        }
        add_services(&mut policy);
        // One password from a `{file}` reference, as a mounted secret is.
        let secrets = tempfile::tempdir().unwrap();
        let file = secrets.path().join("extra-password");
        std::fs::write(&file, "from-a-file\n").unwrap();
        for store in policy.stores.values_mut() {
            if let Some(extra) = store.access.services.get_mut("extra") {
                extra.password = SecretRef::File(file.to_str().unwrap().to_owned());
            }
            // A variable named like the installer's own (`pw`) still reads
            // the caller's value.
            if let Some(invalidator) = store.access.services.get_mut("invalidator") {
                invalidator.password = SecretRef::Env("pw".into());
            }
        }
        let total = 4 * policy.stores.len();
        assert_eq!(exercise_services(&policy), total, "{path}");
    }
}

/// A literal with glob characters (`*`, `?`, `[`, `]`, `\`) matches only
/// itself: a key the unescaped glob would match is refused, the exact key
/// is allowed, and a control user holding the unescaped glob proves the
/// refused key really is one it would have let through.
#[test]
fn glob_characters_in_a_literal_cannot_widen_the_glob() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    let store_name = "durable".to_owned();
    let name = policy
        .patterns_in(&store_name)
        .find(|p| p.value_type == ValueType::String || p.value_type == ValueType::Hash)
        .map(|p| p.name.clone())
        .expect("a pattern in the durable store");
    let literal = "a*b?c[xy]d\\e";
    {
        let p = policy.keys.patterns.get_mut(&name).unwrap();
        p.segments[0] = Segment::Literal(literal.into());
    }
    let p = policy.pattern(&name).unwrap();
    let ty = p.value_type;
    let exact = sample_key(&policy, &p.store, "", &p.segments, p.hash_tag);
    let unescaped: String = policy
        .stored_key(&p.store, "", &p.segments, p.hash_tag)
        .iter()
        .map(|piece| match piece {
            KeyPiece::Text(t) => t.clone(),
            KeyPiece::Placeholder { .. } => "*".into(),
        })
        .collect();
    // What the unescaped glob also matches: `*` any run, `?` one byte,
    // `[xy]` one of two, `\e` an `e`.
    let wide = exact.replace(literal, "aZZZbQcxde");
    assert_ne!(exact, wide);
    let store = policy.stores.get_mut(&store_name).unwrap();
    store.access.services.clear();
    let mut svc = service(store, "narrow");
    svc.writes = vec![name.clone()];
    store.access.services.insert(svc.name.clone(), svc);
    let files = render(&policy);
    let acl = support::render::file(&files, "stores/durable/users.acl");
    assert!(acl.contains("a\\*b\\?c\\[xy\\]d\\\\e"), "{acl}");
    let store = &policy.stores[&store_name];
    let (server, installed) = start(&files, store);
    let mut c = login(server.port, "narrow", installed.password("narrow"));
    let (_, write_exact) = read_write(ty, &exact);
    let (_, write_wide) = read_write(ty, &wide);
    assert_ok("exact key", &write_exact, &run(&mut c, &write_exact));
    let r = run(&mut c, &write_wide);
    assert!(is_noperm(&r), "{write_wide:?} must be NOPERM, got {r:?}");
    let get_wide = ["EXISTS", wide.as_str()];
    assert_noperm("narrow", &get_wide, &c.command(&get_wide).unwrap());

    // The control: the same glob unescaped lets the wide key through.
    let mut admin = login(server.port, "admin", installed.password("admin"));
    let rule = format!("~{unescaped}");
    let setuser = ["ACL", "SETUSER", "control", "on", ">pw", &rule, "+@all"];
    assert_eq!(admin.command(&setuser).unwrap(), Reply::Simple("OK".into()));
    let mut control = login(server.port, "control", "pw");
    assert_ok("control", &write_wide, &run(&mut control, &write_wide));
}

/// Every secret the servers hold: the installed passwords (admin,
/// replication, services) and a value stored under a key.
fn assert_reveals_nothing(what: &str, reply: &Reply, secrets: &[&str]) {
    let text = format!("{reply:?}");
    for s in secrets {
        assert!(!text.contains(s), "{what}: the reply reveals `{s}`: {text}");
    }
}

/// Holding the verifier's credentials reveals no secret and no value, on a
/// store whose configuration holds one (`masterauth`, for its replicas),
/// with the generated ACL file and replication credentials loaded.
#[test]
fn the_verifiers_credentials_reveal_no_secret_and_no_value() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    add_services(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["cache"];
    assert!(store.config_holds_secret() && !store.verifier_may_config_get());
    let (server, installed) = start(&files, store);
    let mut admin = login(server.port, "admin", installed.password("admin"));
    let replication_pw = installed.password("replication").to_owned();
    // The secret is there: the admin reads masterauth back.
    assert_eq!(
        admin.config_get("masterauth").as_deref(),
        Some(replication_pw.as_str())
    );
    assert_eq!(
        admin.config_get("masteruser").as_deref(),
        Some("replication")
    );
    let value = "the-value-of-a-session-0xC0FFEE";
    admin
        .command(&["SET", "v2:{user:42}:profile", value])
        .unwrap();
    admin
        .command(&["HSET", "v2:{user:42}:stats", "f", value])
        .unwrap();
    let secrets: Vec<&str> = installed
        .passwords
        .values()
        .map(String::as_str)
        .chain([value])
        .collect();
    let mut verifier = login(
        server.port,
        "cachegen-verify",
        installed.password("cachegen-verify"),
    );
    for cmd in [
        &["CONFIG", "GET", "*"][..],
        &["CONFIG", "GET", "requirepass"],
        &["CONFIG", "GET", "masterauth"],
        &["CONFIG", "GET", "masteruser"],
        &["ACL", "LIST"],
        &["ACL", "GETUSER", "admin"],
        &["ACL", "GETUSER", "replication"],
        &["DEBUG", "OBJECT", "v2:{user:42}:profile"],
        &["CLIENT", "LIST"],
        &["GET", "v2:{user:42}:profile"],
        &["HGET", "v2:{user:42}:stats", "f"],
        &["HGETALL", "v2:{user:42}:stats"],
        &["DUMP", "v2:{user:42}:profile"],
        &["SYNC"],
        &["PSYNC", "?", "-1"],
        &["MONITOR"],
        // Slow log entries carry the arguments of slow commands: values.
        &["SLOWLOG", "GET", "128"],
        &[
            "EVAL",
            "return redis.call('get', KEYS[1])",
            "1",
            "v2:{user:42}:profile",
        ],
    ] {
        let reply = verifier.command(cmd).unwrap();
        assert_noperm("cachegen-verify", cmd, &reply);
        assert_reveals_nothing(&format!("{cmd:?}"), &reply, &secrets);
    }
    // What verify does send reveals nothing either (INFO has no secret).
    for cmd in [
        &["INFO"][..],
        &["INFO", "latencystats"],
        &["CLUSTER", "NODES"],
    ] {
        let reply = verifier.command(cmd).unwrap();
        assert!(!matches!(reply, Reply::Error(_)), "{cmd:?}: {reply:?}");
        assert_reveals_nothing(&format!("{cmd:?}"), &reply, &secrets);
    }
    // GETRANGE (verify's compression probe) returns value bytes: the one
    // read of a value the verifier has while `verifier::COMMANDS` lists it.
    let getrange = ["GETRANGE", "v2:{user:42}:profile", "0", "7"];
    let reply = verifier.command(&getrange).unwrap();
    if cachegen::verifier::COMMANDS.contains(&"getrange") {
        assert_eq!(
            reply,
            Reply::Bulk(Some(value[..8].to_owned())),
            "value bytes leak"
        );
    } else {
        assert_noperm("cachegen-verify", &getrange, &reply);
    }
}

/// A real Redis 7.0 replica authenticates with the generated
/// `replication.conf` as the replication user, whose only commands are
/// `REPLICATION_COMMANDS`, and the link comes up.
#[test]
fn a_replica_authenticates_as_the_replication_user() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let installed = install(&files, store);
    // Plain replication (a cluster replica needs the cluster around it).
    let plain = ["--cluster-enabled", "no"];
    let master = RedisServer::start(Some(&installed.conf), &plain);
    let master_port = master.port.to_string();
    let mut args = plain.to_vec();
    args.extend(["--replicaof", "127.0.0.1", &master_port]);
    let replica = RedisServer::start(Some(&installed.conf), &args);
    let mut admin = login(replica.port, "admin", installed.password("admin"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info = match admin.command(&["INFO", "replication"]).unwrap() {
            Reply::Bulk(Some(t)) => t,
            other => panic!("{other:?}"),
        };
        if support::info_field(&info, "master_link_status").as_deref() == Some("up") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "replica never synced:\n{info}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // It did so as `replication`, and nothing was refused on the way.
    let mut master_admin = login(master.port, "admin", installed.password("admin"));
    let log = master_admin.command(&["ACL", "LOG"]).unwrap();
    assert_eq!(log, Reply::Array(vec![]), "denied commands: {log:?}");
    let clients = master_admin
        .command(&["CLIENT", "LIST", "TYPE", "replica"])
        .unwrap();
    assert!(
        matches!(&clients, Reply::Bulk(Some(t)) if t.contains("user=replication")),
        "{clients:?}"
    );
    let users =
        std::fs::read_to_string(installed.dir.path().join("credentials/users.acl")).unwrap();
    let line = users
        .lines()
        .find(|l| l.starts_with("user replication "))
        .unwrap();
    for c in cachegen::render::access::REPLICATION_COMMANDS {
        assert!(line.contains(&format!(" +{c} ")), "{line}");
    }
}

/// The installer stops at a missing or empty reference with a message
/// naming it, leaves no file behind (not even a temporary one), and writes
/// mode 600 files when it succeeds.
#[test]
fn the_installer_fails_naming_the_missing_reference_and_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let mut policy = load("policies/quizmentor.yaml");
    // One reference of each kind the installer reads.
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.replication.password = SecretRef::Kubernetes {
        name: "cache-redis".into(),
        key: "replication".into(),
    };
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let secrets = tempfile::tempdir().unwrap();
    let (env, users) = support::credentials::passwords(store, secrets.path());
    let path = std::env::var("PATH").unwrap();
    let expect_failure = |env: &[(String, String)], names: &str, why: &str| {
        let out = tempfile::tempdir().unwrap();
        let o = support::credentials::run_installer(&files, "cache", out.path(), env, &path);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{names}: {stderr}");
        assert!(stderr.contains(names) && stderr.contains(why), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
        for pw in users.values() {
            assert!(!stderr.contains(pw.as_str()), "{stderr}");
        }
    };
    for missing in env.iter().skip(1) {
        let others: Vec<(String, String)> = env
            .iter()
            .filter(|(n, _)| n != &missing.0)
            .cloned()
            .collect();
        let name = format!("environment variable {}", missing.0);
        expect_failure(&others, &name, "unset or empty");
        let mut empty = others.clone();
        empty.push((missing.0.clone(), String::new()));
        expect_failure(&empty, &name, "unset or empty");
    }
    let secret_file = secrets.path().join("cache-redis/replication");
    std::fs::write(&secret_file, "").unwrap();
    expect_failure(
        &env,
        "Kubernetes Secret cache-redis key replication",
        "unset or empty",
    );
    std::fs::remove_file(&secret_file).unwrap();
    expect_failure(
        &env,
        "Kubernetes Secret cache-redis key replication",
        "missing or unreadable",
    );
    std::fs::write(&secret_file, users["replication"].as_bytes()).unwrap();

    let out = tempfile::tempdir().unwrap();
    let o = support::credentials::run_installer(&files, "cache", out.path(), &env, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", e.path());
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["replication.conf", "users.acl"]);
    let repl = std::fs::read_to_string(out.path().join("replication.conf")).unwrap();
    let user = &store.access.replication.user;
    assert_eq!(
        repl,
        format!(
            "masteruser {user}\nmasterauth \"{}\"\n",
            users[user.as_str()]
        )
    );
}

/// No password reaches a command line: every program the installer runs is
/// a wrapper that logs its arguments, and no logged argument holds one.
/// A password with quotes and backslashes reaches redis.conf intact.
#[test]
fn the_installer_keeps_passwords_off_command_lines() {
    let mut policy = load("policies/quizmentor.yaml");
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.replication.password = SecretRef::Env("REPLICATION_TEST_PASSWORD".into());
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let secrets = tempfile::tempdir().unwrap();
    let (mut env, _) = support::credentials::passwords(store, secrets.path());
    let tricky = r#"a"b\c'd $e `f` %s"#;
    for (name, pw) in &mut env {
        if name == "REPLICATION_TEST_PASSWORD" {
            *pw = tricky.into();
        }
    }
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("argv.log");
    let real_path = std::env::var("PATH").unwrap();
    for program in [
        "sha256sum",
        "cut",
        "sed",
        "cat",
        "mktemp",
        "chmod",
        "mv",
        "mkdir",
        "rm",
    ] {
        let real = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .unwrap();
        let real = String::from_utf8(real.stdout).unwrap().trim().to_owned();
        assert!(!real.is_empty(), "{program} not found");
        let wrapper = bin.path().join(program);
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"{program} $*\" >>'{}'\nexec '{real}' \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let path = format!("{}:{real_path}", bin.path().display());
    let o = support::credentials::run_installer(&files, "cache", out.path(), &env, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("sha256sum") && argv.contains("mktemp"),
        "{argv}"
    );
    for (_, pw) in &env {
        assert!(
            !argv.contains(pw.as_str()),
            "a password on a command line:\n{argv}"
        );
    }
    // The tricky password survives redis.conf's tokenizer.
    let conf = out.path().join("replication.conf");
    let server = RedisServer::start(None, &["--include", conf.to_str().unwrap(), "--save", ""]);
    let mut c = server.client();
    assert_eq!(c.config_get("masterauth").as_deref(), Some(tricky));
    // And the ACL file's hash is the password's.
    let users = std::fs::read_to_string(out.path().join("users.acl")).unwrap();
    let line = users
        .lines()
        .find(|l| l.starts_with("user replication "))
        .unwrap();
    use sha2::Digest;
    let digest = sha2::Sha256::digest(tricky.as_bytes());
    let want: String = std::iter::once("#".to_owned())
        .chain(digest.iter().map(|b| format!("{b:02x}")))
        .collect();
    assert!(line.ends_with(&want), "{line}");
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let o = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl on PATH");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA and a certificate it signed for 127.0.0.1, usable by the server
/// and, as a client certificate, by redis-cli.
fn make_pki(dir: &std::path::Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=cachegen-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("node.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "node.key",
        "-out",
        "node.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "node.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "node.pem",
            "-days",
            "2",
            "-extfile",
            "node.ext",
        ],
    );
}

/// A TLS store from the generated redis.conf: TLS only (`port 0`), client
/// certificates required, the ACL file loaded; redis-cli with the CA and a
/// certificate gets in as admin, without a certificate it does not, and
/// plain text on the TLS port gets no answer.
#[test]
fn a_tls_store_serves_only_tls_with_client_certificates() {
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let file = |f: &str| pki.path().join(f).to_str().unwrap().to_owned();
    // The access fixture with a `tls:` section (no plain_port, client
    // certificates required by default) naming the test's files.
    let text = std::fs::read_to_string("tests/fixtures/build-access.yaml").unwrap();
    let tls = format!(
        "    tls:\n      port: 6380\n      cert: {{file: {}}}\n      key: {{file: {}}}\n      ca: {{file: {}}}\n    services:\n",
        file("node.pem"),
        file("node.key"),
        file("ca.pem")
    );
    assert!(text.contains("    services:\n"));
    let text = text.replacen("    services:\n", &tls, 1);
    let policy = support::render::checked_text("tls.yaml", &text)
        .policy
        .expect("model");
    assert!(policy.stores["redis"].access.tls.is_some());
    let files = render(&policy);
    let conf_text = support::render::file(&files, "stores/redis/redis.conf");
    for line in [
        "port 0",
        "tls-port 6380",
        "tls-auth-clients yes",
        "tls-replication yes",
    ] {
        assert!(
            conf_text.lines().any(|l| l == line),
            "no `{line}`:\n{conf_text}"
        );
    }
    let store = &policy.stores["redis"];
    let installed = install(&files, store);
    let port = support::free_port().to_string();
    let log = installed.dir.path().join("redis.log");
    let child = std::process::Command::new(support::redis_server_binary())
        .arg(&installed.conf)
        .args([
            "--tls-port",
            &port,
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
        ])
        .arg("--dir")
        .arg(installed.dir.path())
        .arg("--logfile")
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Kill(child);
    let cli = |cert: bool, args: &[&str]| {
        let mut cmd = std::process::Command::new(support::redis_cli_binary());
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--tls",
            "--cacert",
            &file("ca.pem"),
        ]);
        if cert {
            cmd.args(["--cert", &file("node.pem"), "--key", &file("node.key")]);
        }
        cmd.args(["--user", "admin"])
            .env("REDISCLI_AUTH", installed.password("admin"))
            .args(args);
        let o = cmd.output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cli(true, &["PING"]).trim() != "PONG" {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!(
                "redis-server exited {status}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(std::time::Instant::now() < deadline, "no TLS PONG");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(cli(true, &["CONFIG", "GET", "port"]).trim(), "port\n0");
    assert_eq!(
        cli(true, &["CONFIG", "GET", "tls-auth-clients"]).trim(),
        "tls-auth-clients\nyes"
    );
    assert_ne!(
        cli(false, &["PING"]).trim(),
        "PONG",
        "no client certificate, no service"
    );
    // Plain text on the TLS port: no RESP answer.
    use std::io::{Read, Write};
    let mut plain =
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    plain.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = plain.read(&mut buf).unwrap_or(0);
    assert!(
        !buf[..n].starts_with(b"+PONG") && !buf[..n].starts_with(b"-"),
        "{:?}",
        &buf[..n]
    );
}

/// Where the configuration holds no secret (no replicas), the verifier keeps
/// CONFIG GET, and `CONFIG GET *` reveals no password: they live only
/// hashed in the ACL file.
#[test]
fn config_get_reveals_no_password_where_the_verifier_keeps_it() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    add_services(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["durable"];
    assert!(!store.config_holds_secret() && store.verifier_may_config_get());
    let (server, installed) = start(&files, store);
    let mut verifier = login(
        server.port,
        "cachegen-verify",
        installed.password("cachegen-verify"),
    );
    let reply = verifier.command(&["CONFIG", "GET", "*"]).unwrap();
    let Reply::Array(items) = &reply else {
        panic!("{reply:?}")
    };
    assert!(items.len() > 100, "{reply:?}");
    let secrets: Vec<&str> = installed.passwords.values().map(String::as_str).collect();
    assert!(secrets.len() >= 5, "{secrets:?}");
    assert_reveals_nothing("CONFIG GET *", &reply, &secrets);
}
