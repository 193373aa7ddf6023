//! `cachegen build`: generated files proven by their real consumers, written
//! atomically, deterministic, and checked for staleness.

mod support;
use support::render::render;

use support::render::file;

use cachegen::policy::model::{Appendfsync, EvictionPolicy, Store};
use cachegen::render::OutputFile;
use cachegen::render::Templates;
use std::path::Path;
use std::process::Command;

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
const SHOP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/build-shop.yaml"
);

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// What `CONFIG GET` must return for each directive, derived from the policy
/// model here (independently of the renderer) so the test can disagree with it.
fn expected_config(store: &Store) -> Vec<(&'static str, String)> {
    let r = &store.redis;
    let mut e = vec![
        ("maxmemory", r.maxmemory.bytes().to_string()),
        (
            "maxmemory-policy",
            match r.maxmemory_policy {
                EvictionPolicy::Noeviction => "noeviction",
                EvictionPolicy::AllkeysLru => "allkeys-lru",
                EvictionPolicy::AllkeysLfu => "allkeys-lfu",
                EvictionPolicy::AllkeysRandom => "allkeys-random",
                EvictionPolicy::VolatileLru => "volatile-lru",
                EvictionPolicy::VolatileLfu => "volatile-lfu",
                EvictionPolicy::VolatileRandom => "volatile-random",
                EvictionPolicy::VolatileTtl => "volatile-ttl",
            }
            .into(),
        ),
        (
            "save",
            r.save
                .iter()
                .map(|(a, c)| format!("{} {c}", a.as_secs()))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("appendonly", yes_no(r.appendonly)),
    ];
    if let Some(n) = r.maxmemory_samples {
        e.push(("maxmemory-samples", n.to_string()));
    }
    if let Some(f) = r.appendfsync {
        e.push((
            "appendfsync",
            match f {
                Appendfsync::Always => "always",
                Appendfsync::Everysec => "everysec",
                Appendfsync::No => "no",
            }
            .into(),
        ));
    }
    let opt = |v: Option<u64>| v.map(|n| n.to_string());
    for (name, value) in [
        ("tcp-backlog", opt(r.tcp_backlog.map(u64::from))),
        ("timeout", opt(r.timeout.map(|d| d.as_secs()))),
        ("tcp-keepalive", opt(r.tcp_keepalive.map(|d| d.as_secs()))),
        (
            "slowlog-log-slower-than",
            opt(r.slowlog_log_slower_than.map(|d| d.as_micros())),
        ),
        ("slowlog-max-len", opt(r.slowlog_max_len.map(u64::from))),
        ("maxclients", opt(r.maxclients.map(u64::from))),
        ("io-threads", opt(r.io_threads.map(u64::from))),
    ] {
        if let Some(v) = value {
            e.push((name, v));
        }
    }
    for (name, value) in [
        ("io-threads-do-reads", r.io_threads_do_reads),
        ("lazyfree-lazy-eviction", r.lazyfree_lazy_eviction),
        ("lazyfree-lazy-expire", r.lazyfree_lazy_expire),
        ("lazyfree-lazy-server-del", r.lazyfree_lazy_server_del),
        ("lazyfree-lazy-user-del", r.lazyfree_lazy_user_del),
        ("replica-lazy-flush", r.replica_lazy_flush),
        ("replica-read-only", r.replica_read_only),
    ] {
        if let Some(b) = value {
            e.push((name, yes_no(b)));
        }
    }
    // `config:` entries: what the model predicts CONFIG GET reports, checked
    // against the real server below (an unpredictable one stays unverified,
    // and the "rendered but not verified" check fails on it).
    for setting in &store.config {
        if let Some(want) = &setting.config_get {
            e.push((setting.name, want.clone()));
        }
    }
    if let Some(c) = &store.cluster {
        e.push(("cluster-enabled", "yes".into()));
        e.push(("cluster-config-file", "nodes.conf".into()));
        e.push((
            "cluster-node-timeout",
            c.node_timeout.as_millis().to_string(),
        ));
        if let Some(b) = c.require_full_coverage {
            e.push(("cluster-require-full-coverage", yes_no(b)));
        }
    }
    e
}

/// Every store's redis.conf, each loaded by its own real `redis-server`.
fn assert_redis_runs_generated_conf(policy_path: &str) {
    let (report, files) = render(policy_path);
    let policy = report.policy.as_ref().expect("model");
    for store in policy.stores.values() {
        assert_redis_runs_store_conf(policy_path, store, &files);
    }
}

fn assert_redis_runs_store_conf(policy_path: &str, store: &Store, files: &[OutputFile]) {
    let conf_text = file(files, &format!("stores/{}/redis.conf", store.name));
    // The generated credentials, installed with test passwords; the conf
    // points at them.
    let installed = support::credentials::install(files, store);
    let conf = installed.conf.clone();
    let creds = installed.dir.path().join("credentials");

    // Only the port, bind address and data dir are overridden; in cluster mode
    // the bus port too, explicitly, because port+10000 may be taken here.
    let bus_port = support::free_port().to_string();
    let mut extra: Vec<String> = if store.cluster.is_some() {
        vec!["--cluster-port".into(), bus_port]
    } else {
        vec![]
    };
    // Only Redis 7.0 runs here; another release's ACL file names commands
    // 7.0 lacks (tests/build_access_services.rs runs its users as 7.0's), so such a
    // store loads the same `default` and admin lines from a file of its own.
    let mut aclfile = creds.join("users.acl");
    let local = store.engine == cachegen::facts::Engine::Redis && store.redis.version == (7, 0);
    if !local {
        let users = std::fs::read_to_string(&aclfile).unwrap();
        let own: Vec<&str> = users
            .lines()
            .filter(|l| l.starts_with("user default ") || l.starts_with("user admin "))
            .collect();
        aclfile = installed.dir.path().join("local.acl");
        std::fs::write(&aclfile, own.join("\n") + "\n").unwrap();
        extra.extend(["--aclfile".into(), aclfile.to_str().unwrap().to_owned()]);
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let server = support::RedisServer::start(Some(&conf), &extra);
    let mut client = support::credentials::login(server.port, "admin", installed.password("admin"));

    let mut expected = expected_config(store);
    expected.push(("protected-mode", "yes".into()));
    expected.push(("aclfile", aclfile.to_str().unwrap().to_owned()));
    let replicas = store
        .cluster
        .as_ref()
        .is_some_and(|c| c.replicas_per_master > 0);
    if replicas {
        // `include`d from the installed replication.conf.
        expected.push(("masteruser", "replication".into()));
        expected.push(("masterauth", installed.password("replication").to_owned()));
    }
    for (name, want) in &expected {
        let got = client
            .config_get(name)
            .unwrap_or_else(|| panic!("CONFIG GET {name} returned nothing"));
        assert_eq!(
            &got, want,
            "{policy_path} store {}: CONFIG GET {name}",
            store.name
        );
    }
    // Every directive in the file is one this test checks: a new directive
    // cannot ship without its readback being verified.
    for line in conf_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split_whitespace().next().unwrap();
        // `include` is checked by what it sets (masteruser, masterauth).
        let name = if name == "include" {
            "masterauth"
        } else {
            name
        };
        assert!(
            expected.iter().any(|(n, _)| *n == name),
            "{}: directive `{name}` is rendered but not verified by this test",
            store.name
        );
    }
}

#[test]
fn redis_server_loads_quizmentor_conf_with_policy_values() {
    assert_redis_runs_generated_conf(QUIZMENTOR);
}

#[test]
fn redis_server_loads_shop_conf_with_policy_values() {
    assert_redis_runs_generated_conf(SHOP);
}

/// cachegen's access control is Redis 7.0 ACL syntax (`%R~`, subcommand
/// grants) an older server refuses to load: a store before 7.0 is an error
/// at its `version`, and nothing is rendered.
#[test]
fn stores_before_redis_7_are_refused() {
    let quizmentor = std::fs::read_to_string(QUIZMENTOR).unwrap();
    for version in ["5.0", "6.0", "6.2"] {
        let text = support::render::quizmentor_cache_at(&quizmentor, version);
        let report = cachegen::check_bytes(
            "old.yaml",
            text.as_bytes(),
            &cachegen::CheckOptions::default(),
        );
        let errors: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == cachegen::diag::Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1, "{version}: {errors:#?}");
        let d = errors[0];
        assert_eq!(d.code.code, "CG023");
        assert_eq!(
            report.source.slice(d.span.unwrap()),
            format!("\"{version}\"")
        );
        assert!(
            d.message
                .starts_with("cachegen's access control needs Redis 7.0 or later")
                && d.message
                    .ends_with(&format!("this store declares Redis {version}")),
            "{}",
            d.message
        );
        let help = d.help.as_deref().unwrap();
        assert!(help.contains("Redis 7.0 to 8.x and Valkey"), "{help}");
        assert!(cachegen::render_report(&report, &Templates::default()).is_none());
    }
}

#[test]
fn output_is_deterministic_and_headed() {
    let (_, a) = render(QUIZMENTOR);
    let (_, b) = render(QUIZMENTOR);
    assert_eq!(a, b);
    for f in &a {
        if f.path.ends_with(".json") {
            // JSON has no comments: the origin is a field instead.
            let json: serde_json::Value = serde_json::from_str(&f.contents).unwrap();
            assert!(
                json.to_string().contains("generated") && json.to_string().contains("quizmentor"),
                "{} names no origin",
                f.path
            );
        } else {
            // A script keeps its `#!` line first; the header follows it.
            let body = match f.contents.strip_prefix("#!") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
                None => &f.contents,
            };
            let comment = if f.path.ends_with(".rs") || f.path.ends_with(".ts") {
                "//"
            } else {
                "#"
            };
            assert!(
                body.starts_with(&format!(
                    "{comment} Generated by cachegen from policy `quizmentor`"
                )),
                "{} has no header",
                f.path
            );
            assert!(
                f.contents.contains("model sha256: "),
                "{} has no content hash",
                f.path
            );
        }
    }
    // Written twice, byte-identical on disk too.
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    cachegen::build::write(&d1.path().join("q"), &a).unwrap();
    cachegen::build::write(&d2.path().join("q"), &b).unwrap();
    for f in &a {
        assert_eq!(
            std::fs::read(d1.path().join("q").join(&f.path)).unwrap(),
            std::fs::read(d2.path().join("q").join(&f.path)).unwrap()
        );
    }
}

#[test]
fn check_reports_changed_missing_and_no_longer_generated_files() {
    let (_, files) = render(SHOP);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("shop");
    assert!(
        !cachegen::build::check(&dir, &files).is_empty(),
        "nothing written yet: stale"
    );
    cachegen::build::write(&dir, &files).unwrap();
    assert!(
        cachegen::build::check(&dir, &files).is_empty(),
        "fresh build is up to date"
    );

    std::fs::write(dir.join("stores/redis/redis.conf"), "maxmemory 1\n").unwrap();
    let stale = cachegen::build::check(&dir, &files);
    assert_eq!(stale.len(), 1);
    assert!(
        stale[0].diff.contains("-maxmemory 1") && stale[0].diff.contains("+maxmemory 536870912"),
        "{}",
        stale[0].diff
    );

    // A file the manifest says cachegen generated, which it no longer generates.
    cachegen::build::write(&dir, &files).unwrap();
    std::fs::write(dir.join("old-target.txt"), "x").unwrap();
    let manifest = dir.join(cachegen::build::MANIFEST);
    let text = std::fs::read_to_string(&manifest).unwrap() + "old-target.txt\n";
    std::fs::write(&manifest, text).unwrap();
    let stale = cachegen::build::check(&dir, &files);
    assert!(
        stale
            .iter()
            .any(|s| s.path.ends_with("old-target.txt") && s.diff.contains("no longer generated")),
        "{stale:?}"
    );
    // And a real build removes it.
    cachegen::build::write(&dir, &files).unwrap();
    assert!(!dir.join("old-target.txt").exists());
}

#[test]
fn hand_placed_files_survive_builds() {
    let (_, files) = render(SHOP);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("shop");
    cachegen::build::write(&dir, &files).unwrap();
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    std::fs::write(dir.join("notes/README.md"), "ours").unwrap();
    cachegen::build::write(&dir, &files).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("notes/README.md")).unwrap(),
        "ours"
    );
    // Removing the policy's output removes only what cachegen generated.
    cachegen::build::remove_generated(&dir).unwrap();
    assert!(dir.join("notes/README.md").exists());
    assert!(!dir.join("stores/redis/redis.conf").exists());
}

fn cachegen(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run cachegen")
}

#[test]
fn a_failing_build_leaves_previous_output_intact() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("gen");
    let out_s = out.to_str().unwrap();
    let ok = cachegen(&["build", SHOP, "--out", out_s], root.path());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = std::fs::read(out.join("shop-catalogue/stores/redis/redis.conf")).unwrap();

    // A customised template with an undefined variable: strict mode refuses it.
    let templates = root.path().join("templates/redis");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("redis.conf.j2"),
        "{{ header }}\n{{ no_such_variable }}\n",
    )
    .unwrap();
    let failed = cachegen(
        &[
            "build",
            SHOP,
            "--out",
            out_s,
            "--templates",
            root.path().join("templates").to_str().unwrap(),
        ],
        root.path(),
    );
    assert_eq!(failed.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("no_such_variable")
            || String::from_utf8_lossy(&failed.stderr).contains("undefined")
    );
    assert_eq!(
        std::fs::read(out.join("shop-catalogue/stores/redis/redis.conf")).unwrap(),
        before
    );
}

#[test]
fn a_policy_with_errors_builds_nothing() {
    let root = tempfile::tempdir().unwrap();
    let policy = root.path().join("broken.yaml");
    std::fs::write(
        &policy,
        std::fs::read_to_string(SHOP)
            .unwrap()
            .replace("maxmemory: 512mb", "maxmemory: lots"),
    )
    .unwrap();
    let out = root.path().join("gen");
    let run = cachegen(
        &[
            "build",
            policy.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        root.path(),
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stdout).contains("CG012"));
    assert!(
        !out.exists(),
        "nothing may be written for a policy with errors"
    );
}

#[test]
fn repository_generated_output_is_current() {
    let run = cachegen(&["build", "--check"], Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        run.status.success(),
        "generated/ is stale; run `cargo run -- build` and commit it\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `+client|no-touch` only for servers that have `CLIENT NO-TOUCH` (Redis
/// 7.2+): Redis 7.0.15 refuses the whole `ACL SETUSER` line when it names
/// the command, so a 7.0 policy's line must not, and must load there.
#[test]
fn verifier_acl_grants_no_touch_only_from_redis_7_2() {
    let line_of = |policy: &str, store: &str| {
        let (_, files) = render(policy);
        file(&files, &format!("stores/{store}/verifier.acl"))
            .lines()
            .find(|l| l.starts_with("ACL SETUSER "))
            .expect("an ACL SETUSER line")
            .to_owned()
    };
    // quizmentor's stores declare Redis 7.0, lock-every-field Redis 7.2.
    // verifier.acl never grants CONFIG GET unless the policy allows it (see
    // tests/build_verifier_acl.rs), so both stores get the same line.
    let v70 = line_of(QUIZMENTOR, "durable");
    let cache = line_of(QUIZMENTOR, "cache");
    assert!(!v70.contains("config|get"), "{v70}");
    assert_eq!(cache, v70);
    let v72 = line_of(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/lock-every-field.yaml"
        ),
        "redis",
    );
    assert!(!v70.contains("no-touch"), "{v70}");
    assert!(v72.contains(" +client|no-touch "), "{v72}");
    let server = support::RedisServer::start(None, &["--save", "", "--appendonly", "no"]);
    let mut admin = server.client();
    let args: Vec<&str> = v70.split_whitespace().collect();
    assert_eq!(
        admin.command(&args).unwrap(),
        support::Reply::Simple("OK".into())
    );
    // The 7.2 line on the 7.0 server on PATH: refused, which is why the 7.0
    // line leaves the command out.
    let info = admin.command(&["INFO", "server"]).unwrap();
    assert!(
        matches!(&info, support::Reply::Bulk(Some(t)) if t.contains("redis_version:7.0.")),
        "this test needs the Redis 7.0 on PATH: {info:?}"
    );
    let args: Vec<&str> = v72.split_whitespace().collect();
    let refused = admin.command(&args).unwrap();
    assert!(
        matches!(&refused, support::Reply::Error(e) if e.contains("no-touch")),
        "{refused:?}"
    );
}

#[test]
fn verifier_acl_allows_reads_and_refuses_writes_on_a_real_redis() {
    use support::Reply;
    let (_, files) = render(QUIZMENTOR);
    // The durable store (a hand-managed server gets no CONFIG GET: see
    // tests/build_verifier_acl.rs).
    let acl = file(&files, "stores/durable/verifier.acl");
    let line = acl
        .lines()
        .find(|l| l.starts_with("ACL SETUSER "))
        .expect("an ACL SETUSER line");
    let server = support::RedisServer::start(None, &["--save", "", "--appendonly", "no"]);
    let mut admin = server.client();
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        admin.command(&args).unwrap(),
        Reply::Simple("OK".into()),
        "{line}"
    );
    let user = args[2];
    assert_eq!(
        admin.command(&["ACL", "SETUSER", user, ">s3cret"]).unwrap(),
        Reply::Simple("OK".into())
    );
    admin.command(&["SET", "v2:user:1:profile", "x"]).unwrap();

    let mut verifier = server.client();
    assert_eq!(
        verifier.command(&["AUTH", user, "s3cret"]).unwrap(),
        Reply::Simple("OK".into())
    );
    for read in [
        vec!["PING"],
        vec!["INFO", "stats"],
        vec!["DBSIZE"],
        vec!["SCAN", "0", "COUNT", "1000"],
        vec!["PTTL", "v2:user:1:profile"],
        vec!["TYPE", "v2:user:1:profile"],
        vec!["MEMORY", "USAGE", "v2:user:1:profile"],
        vec!["STRLEN", "v2:user:1:profile"],
        vec!["INFO", "latencystats"],
    ] {
        let reply = verifier.command(&read).unwrap();
        assert!(
            !matches!(reply, Reply::Error(_)),
            "{read:?} must be allowed, got {reply:?}"
        );
    }
    for write in [
        vec!["SET", "k", "v"],
        vec!["DEL", "v2:user:1:profile"],
        vec!["UNLINK", "v2:user:1:profile"],
        vec!["EXPIRE", "v2:user:1:profile", "1"],
        vec!["KEYS", "*"],
        vec!["FLUSHALL"],
        vec!["CONFIG", "SET", "maxmemory", "1"],
        vec!["CONFIG", "GET", "maxmemory"],
        vec!["EVAL", "return 1", "0"],
        vec!["GET", "v2:user:1:profile"],
        // No part of a value either (an ACL cannot limit GETRANGE's range).
        vec!["GETRANGE", "v2:user:1:profile", "0", "3"],
        vec!["OBJECT", "FREQ", "v2:user:1:profile"],
        // The slow log's entries carry the slow commands' arguments (values).
        vec!["SLOWLOG", "GET", "10"],
        // Reads verify never sends are refused too: least privilege.
        vec!["TTL", "v2:user:1:profile"],
    ] {
        let reply = verifier.command(&write).unwrap();
        assert!(
            matches!(&reply, Reply::Error(e) if e.starts_with("NOPERM")),
            "{write:?} must be refused, got {reply:?}"
        );
    }
    assert_eq!(
        admin.command(&["EXISTS", "v2:user:1:profile"]).unwrap(),
        Reply::Int(1),
        "nothing was deleted"
    );
}

#[test]
fn lock_file_resolves_every_value_from_the_model() {
    let (report, files) = render(QUIZMENTOR);
    let policy = report.policy.as_ref().unwrap();
    let lock: serde_json::Value =
        serde_json::from_str(file(&files, "policy.lock.json")).expect("policy.lock.json is JSON");
    assert_eq!(lock["format"], "cachegen-policy-lock");
    assert_eq!(lock["version"], 6);
    // A declared access section is kept, defaults filled in.
    let access = &lock["stores"]["cache"]["access"];
    assert_eq!(access["admin"]["user"], "admin");
    assert_eq!(
        access["services"]["api"]["password"]["env"],
        "QUIZMENTOR_API_REDIS_PASSWORD"
    );
    assert_eq!(lock["policy"]["name"], "quizmentor");
    assert_eq!(
        lock["policy"]["sha256"],
        cachegen::check::model_sha256(policy)
    );
    assert_eq!(lock["ttl"]["default_secs"], policy.ttl.default.as_secs());
    for p in policy.keys.patterns.values() {
        let entry = &lock["keys"]["patterns"][&p.name];
        assert_eq!(entry["durable"], p.durable, "{}", p.name);
        match p.ttl {
            cachegen::policy::model::Ttl::Expires { base, max } => {
                assert_eq!(entry["ttl"]["base_secs"], base.as_secs(), "{}", p.name);
                assert_eq!(entry["ttl"]["max_secs"], max.as_secs(), "{}", p.name);
            }
            cachegen::policy::model::Ttl::Never => assert!(entry["ttl"].is_null(), "{}", p.name),
        }
        let key = entry["key"].as_str().unwrap();
        assert!(key.starts_with("v2:"), "{key}");
        if p.hash_tag.is_some() {
            assert_eq!(
                key.matches('{').count(),
                1,
                "cluster keys carry one hash tag: {key}"
            );
        }
    }
    for store in policy.stores.values() {
        let entry = &lock["stores"][&store.name];
        for (name, want) in expected_config(store) {
            assert_eq!(
                entry["config"][name], want,
                "lock config {name} of store {}",
                store.name
            );
        }
    }
    assert_eq!(lock["stores"]["cache"]["cluster"]["masters"], 3);
    assert!(lock["stores"]["durable"]["cluster"].is_null());
    assert_eq!(lock["keys"]["patterns"]["session"]["store"], "durable");
    assert_eq!(lock["keys"]["patterns"]["user_profile"]["store"], "cache");
}

/// Every output of the core targets, snapshotted for both policies so a
/// change to any of them is reviewed as a diff. (Cloudflare, cluster, Rust and
/// Kubernetes snapshot their own files in their test files.) The model hash
/// is masked so a change elsewhere in a policy does not churn every snapshot.
#[test]
fn core_outputs_snapshots() {
    for (label, path) in [("quizmentor", QUIZMENTOR), ("shop", SHOP)] {
        let (report, files) = render(path);
        let policy = report.policy.as_ref().unwrap();
        let hash = cachegen::check::model_sha256(policy);
        let mut names: Vec<String> = Vec::new();
        for store in policy.stores.keys() {
            names.push(format!("stores/{store}/redis.conf"));
            names.push(format!("stores/{store}/verifier.acl"));
            names.push(format!("stores/{store}/users.acl"));
            names.push(format!("stores/{store}/install-credentials.sh"));
        }
        names.push("policy.lock.json".into());
        for name in &names {
            let masked = file(&files, name).replace(&hash, "<model sha256>");
            insta::assert_snapshot!(format!("{label}__{}", name.replace('/', "__")), masked);
        }
    }
}

/// A policy file name with a line break, U+2028 and a bidi control stays
/// inside every file's two header comment lines (it would otherwise run a
/// command in bootstrap.sh or end a comment in the TypeScript module).
#[test]
fn a_hostile_file_name_stays_inside_every_header() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/quizmentor.yaml"
    ))
    .unwrap();
    let name = "q\ntouch PWNED #\u{2028}x\u{202E}.yaml";
    let (_, files) = support::render::render_text(name, &text);
    let mut headed = 0;
    for f in &files {
        let mut lines = f.contents.lines();
        let first = lines.next().unwrap_or_default();
        let Some(at) = first.find(" Generated by cachegen") else {
            continue;
        };
        headed += 1;
        let prefix = &first[..at];
        assert!(
            first.contains("(q?touch PWNED #?x?.yaml)"),
            "{}: {first}",
            f.path
        );
        let second = lines.next().unwrap_or_default();
        assert!(
            second.starts_with(&format!("{prefix} model sha256")),
            "{}: {second}",
            f.path
        );
    }
    assert!(headed > 10, "only {headed} files carry the header");
}
