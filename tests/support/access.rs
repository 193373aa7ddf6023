//! Shared helpers of the `build_access*` tests: load and render a policy,
//! stand-in services, sample keys and the commands that read and write
//! them, and a store's server started from its generated redis.conf with
//! the generated credentials installed.

use super::credentials::{Installed, install, login};
use super::{Client, RedisServer, Reply};
use cachegen::keys::Segment;
use cachegen::policy::model::{Policy, SecretRef, Service, Store, ValueType};
use cachegen::render::{Origin, OutputFile, Templates};

pub const POLICIES: &[&str] = &["policies/quizmentor.yaml", "policies/shop.yaml"];

pub fn load(path: &str) -> Policy {
    super::render::checked(path).policy.expect("model")
}

pub fn render(policy: &Policy) -> Vec<OutputFile> {
    let origin = Origin::new(policy, "policy.yaml");
    cachegen::render::render_all(policy, &origin, &Templates::default()).expect("render")
}

pub fn service(store: &Store, name: &str) -> Service {
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
/// and reading what the first reads, one running every event and writing one pattern, one with
/// scan, scripting and a channel.
pub fn add_services(policy: &mut Policy) {
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
        // It also writes one pattern, so it holds that type's write
        // commands, which must not reach the keys it only invalidates.
        invalidator.writes = writer.writes.first().cloned().into_iter().collect();
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

/// A stored key of the shape, each placeholder its type's example value
/// (the same keys lint CG506 reasons about).
pub fn sample_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    cachegen::analysis::grants::example_key(policy, store, before, segments, hash_tag)
}

/// A command that reads a key of the type, and one that writes it.
pub fn read_write(ty: ValueType, key: &str) -> (Vec<String>, Vec<String>) {
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

pub fn run(c: &mut Client, args: &[String]) -> Reply {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    c.command(&args).unwrap()
}

pub fn is_noperm(r: &Reply) -> bool {
    matches!(r, Reply::Error(e) if e.starts_with("NOPERM"))
}

pub fn assert_ok(what: &str, args: &[String], r: &Reply) {
    assert!(
        !matches!(r, Reply::Error(_)),
        "{what}: {args:?} must be allowed, got {r:?}"
    );
}

pub fn assert_noperm(what: &str, args: &[&str], r: &Reply) {
    assert!(is_noperm(r), "{what}: {args:?} must be NOPERM, got {r:?}");
}

/// A store's server from its generated redis.conf with the generated
/// credentials installed; a cluster store gets every slot, so keys work.
pub fn start(files: &[OutputFile], store: &Store) -> (RedisServer, Installed) {
    let installed = install(files, store);
    let bus = super::free_port().to_string();
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
    // A replicated store's primary refuses writes without its replicas
    // (`min-replicas-to-write`, proven by tests/build_replicated.rs); here
    // it runs alone, and only its ACL is under test.
    if store.replicated.is_some() {
        extra.extend(["--min-replicas-to-write", "0"]);
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

/// Only Redis 7.0 runs here: a store for another release is exercised as
/// the same store on Redis 7.0 (same users and key globs; its commands come
/// from 7.0's facts, and the unit tests in `render::access` hold every
/// release's commands to its own facts).
pub fn as_local_redis(policy: &mut Policy) {
    let local = cachegen::facts::release(cachegen::facts::Engine::Redis, (7, 0)).unwrap();
    for store in policy.stores.values_mut() {
        store.engine = cachegen::facts::Engine::Redis;
        store.release = Some(local);
        store.redis.version = (7, 0);
        // `config:` entries were checked against the store's own release.
        store.config.clear();
    }
}
