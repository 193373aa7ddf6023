//! The generated service users on real servers: each store's ACL file and
//! credentials loaded by a real `redis-server` from the generated
//! redis.conf; every service user exercised (its own keys work with the
//! commands of their type and access level, everything else is NOPERM);
//! invalidation-only keys take only `UNLINK`; literal glob characters
//! cannot widen a glob.
mod support;

use cachegen::graph::Graph;
use cachegen::keys::{KeyPiece, Segment};
use cachegen::policy::model::{Policy, SecretRef, Store, ValueType};
use std::collections::BTreeSet;
use support::Reply;
use support::access::*;
use support::credentials::login;

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

/// What one exercise checked, so a test can require that its policy
/// reaches each kind of check at least once.
#[derive(Debug, Default)]
struct Exercised {
    services: usize,
    /// Keys a service may only invalidate: UNLINK works, reads and writes
    /// are NOPERM.
    invalidation_only: usize,
    /// Of those, keys whose type's write commands the service holds for
    /// another pattern (the write is refused by the key rules alone).
    invalidation_only_held: usize,
    /// A write command the service holds for another pattern refused on a
    /// key it may only read, or of another value type on a key it may
    /// write: NOPERM, not WRONGTYPE or OK.
    cross_type: usize,
    /// Tag sets of written patterns the service may only add to.
    tag_add_only: usize,
    /// Tag sets and stampede locks the service was not granted, refused.
    other_shapes: usize,
}

const TYPES: [ValueType; 6] = [
    ValueType::String,
    ValueType::Hash,
    ValueType::List,
    ValueType::Set,
    ValueType::Zset,
    ValueType::Stream,
];

/// Exercises every service user of every store of `policy` on a real server.
fn exercise_services(policy: &Policy) -> Exercised {
    let files = render(policy);
    let graph = Graph::new(policy);
    let mut exercised = Exercised::default();
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
            // Tag sets the service may read or delete: named in `reads` or
            // `writes`, or reached by one of its events.
            let tag_removers: BTreeSet<String> = svc
                .reads
                .iter()
                .chain(&svc.writes)
                .filter(|n| policy.tags.contains_key(*n))
                .cloned()
                .chain(svc.events.iter().flat_map(|e| {
                    graph
                        .blast_radius(e)
                        .map(|r| r.tags.iter().map(|t| t.to_string()).collect::<Vec<_>>())
                        .unwrap_or_default()
                }))
                .collect();
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
                        let keep = ["PEXPIRE", &tag_key, "60000"];
                        assert_eq!(c.command(&keep).unwrap(), Reply::Int(1), "{what}: {keep:?}");
                        if !tag_removers.contains(&t.name) {
                            // A mere writer adds members and nothing else:
                            // removing them (or the set) would suppress
                            // another service's invalidation.
                            for cmd in [
                                &["DEL", &tag_key][..],
                                &["UNLINK", &tag_key],
                                &["SREM", &tag_key, key],
                                &["SPOP", &tag_key],
                                &["SMOVE", &tag_key, &tag_key, key],
                                &["SINTERSTORE", &tag_key, &tag_key],
                                &["SMEMBERS", &tag_key],
                            ] {
                                assert_noperm(
                                    &format!("{what} (tag set {})", t.name),
                                    cmd,
                                    &c.command(cmd).unwrap(),
                                );
                            }
                            exercised.tag_add_only += 1;
                        }
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
            // A key the service writes takes only its own type's commands:
            // another type's write the service holds for another pattern
            // is NOPERM (with the type's commands on every glob, it would
            // reach the server and answer WRONGTYPE).
            let written_types: Vec<ValueType> = keys
                .pattern
                .iter()
                .filter(|(n, _, _)| written.contains(n))
                .map(|(_, _, t)| *t)
                .collect();
            for (name, key, ty) in keys
                .pattern
                .iter()
                .filter(|(n, _, _)| written.contains(n) || svc.reads.contains(n))
            {
                let own = written.contains(name);
                for other in TYPES
                    .iter()
                    .filter(|t| (!own || *t != ty) && written_types.contains(t))
                {
                    let (_, write) = read_write(*other, key);
                    let r = run(&mut c, &write);
                    assert!(
                        is_noperm(&r),
                        "{what}: {write:?} ({other:?}) on {ty:?} pattern {name}: {r:?}"
                    );
                    exercised.cross_type += 1;
                }
            }
            let read_or_written: BTreeSet<&String> =
                written.iter().copied().chain(&svc.reads).collect();
            for event in &svc.events {
                let radius = graph.blast_radius(event).unwrap();
                for reached in &radius.patterns {
                    let Some((name, key, ty)) =
                        keys.pattern.iter().find(|(n, _, _)| n == reached.pattern)
                    else {
                        continue; // another store's key
                    };
                    granted.insert(name.clone());
                    if !read_or_written.contains(name) {
                        // Invalidation only: no read and no write but UNLINK.
                        let (read, write) = read_write(*ty, key);
                        for cmd in [&read, &write] {
                            let r = run(&mut c, cmd);
                            assert!(
                                is_noperm(&r),
                                "{what}: {cmd:?} on invalidation-only {name}: {r:?}"
                            );
                        }
                        exercised.invalidation_only += 1;
                        if written_types.contains(ty) {
                            exercised.invalidation_only_held += 1;
                        }
                    }
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
            // Tag sets and stampede locks of patterns it does not write
            // (nor read, nor invalidate) are out of reach too.
            for t in policy.tags.values().filter(|t| t.store == store.name) {
                let granted = tag_removers.contains(&t.name)
                    || policy
                        .patterns_in(&store.name)
                        .any(|p| written.contains(&p.name) && p.tags.contains(&t.name));
                if granted {
                    continue;
                }
                let tag_key = sample_key(policy, &t.store, "", &t.key, None);
                for cmd in [
                    &["SADD", &tag_key, "x"][..],
                    &["EXISTS", &tag_key],
                    &["UNLINK", &tag_key],
                ] {
                    assert_noperm(
                        &format!("{what} (tag set {})", t.name),
                        cmd,
                        &c.command(cmd).unwrap(),
                    );
                }
                exercised.other_shapes += 1;
            }
            for p in policy.patterns_in(&store.name) {
                let Some(lock) = &p.stampede_lock else {
                    continue;
                };
                if written.contains(&p.name) {
                    continue;
                }
                let lock_key = sample_key(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag);
                for cmd in [
                    &["SET", &lock_key, "token", "NX", "PX", "30000"][..],
                    &["GET", &lock_key],
                    &["DEL", &lock_key],
                ] {
                    assert_noperm(
                        &format!("{what} (lock of {})", p.name),
                        cmd,
                        &c.command(cmd).unwrap(),
                    );
                }
                exercised.other_shapes += 1;
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
            // Cluster clients' discovery (ioredis' ready check sends
            // CLUSTER INFO) works in a cluster store only.
            for cmd in [["CLUSTER", "INFO"], ["CLUSTER", "SLOTS"]] {
                let r = c.command(&cmd).unwrap();
                assert_eq!(
                    !is_noperm(&r),
                    store.cluster.is_some(),
                    "{what}: {cmd:?}: {r:?}"
                );
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
            exercised.services += 1;
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
        assert_eq!(exercise_services(&policy).services, declared, "{path}");
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
    let exercised = exercise_services(&policy);
    assert_eq!(exercised.services, 3);
    // `web` writes a string and a hash pattern: each refuses the other's.
    assert!(exercised.cross_type >= 2, "{exercised:?}");
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
        let exercised = exercise_services(&policy);
        assert_eq!(exercised.services, total, "{path}");
        // `invalidator` runs every event and writes one pattern: SET or
        // HSET, which it holds, is refused on the keys it only invalidates.
        assert!(
            exercised.invalidation_only_held > 0,
            "{path}: {exercised:?}"
        );
        assert!(exercised.cross_type > 0, "{path}: {exercised:?}");
        assert!(exercised.tag_add_only > 0, "{path}: {exercised:?}");
        assert!(exercised.other_shapes > 0, "{path}: {exercised:?}");
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
