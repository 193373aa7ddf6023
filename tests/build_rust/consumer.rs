//! The consumer half of tests/build_rust.rs: a crate that uses the generated
//! module as a library, with a test file written here from the policy model
//! (not from the renderer), built, tested, documented and linted by cargo.

use super::*;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

// ---------------------------------------------------------------------------
// The real consumer: the generated module as a crate, with a test file.

/// A sample value per placeholder (the vectors' first sample), distinct per
/// placeholder so swapped arguments show: the Rust expression and the text
/// it puts in a key.
pub(crate) fn sample(policy: &Policy, name: &str) -> (String, String) {
    let s = support::vectors::sample(policy, name, 0);
    (s.rust, s.text)
}

/// The key the policy means (the vectors' first sample), computed from the
/// model's layout: lock prefix, version prefix, segments, braces around the
/// hash tag when `store` is a cluster.
pub(crate) fn expected_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    support::vectors::stored_key(policy, store, before, segments, hash_tag, 0)
}

pub(crate) fn expected_params(policy: &Policy, segments: &[Segment]) -> String {
    let items: Vec<String> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Placeholder { name, .. } => Some(format!(
                "({name:?}, {:?}.to_string())",
                sample(policy, name).1
            )),
            Segment::Literal(_) => None,
        })
        .collect();
    format!("vec![{}]", items.join(", "))
}

/// Patterns invalidated by `list`, cascades included (the graph's walk, as
/// the shared vectors use it).
pub(crate) fn cascade_closure<'p>(policy: &'p Policy, list: &'p [String]) -> BTreeSet<String> {
    cachegen::graph::Graph::new(policy)
        .cascade_closure(list)
        .iter()
        .map(|r| r.pattern.to_owned())
        .collect()
}

/// The consumer's test file: every builder classifies back, TTLs stay in
/// range, every invalidation group is one slot, and `$CACHEGEN_SLOTS_OUT`
/// receives `key<TAB>slot` lines for the Redis comparison.
pub(crate) fn consumer_test(policy: &Policy, ctx: &Context) -> String {
    let mut classify = String::new();
    let mut ttls = String::new();
    let mut plans = String::new();
    let mut slot_keys = Vec::new();
    let mut live = String::new();
    let store_expr = |name: &str| -> String {
        let s = ctx
            .stores
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("store {name} not rendered"));
        format!("c::Store::{}", s.variant)
    };
    let args = |params: &[rust::Param]| -> String {
        params
            .iter()
            .map(|p| sample(policy, &p.name).0)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (p, item) in policy.keys.patterns.values().zip(&ctx.patterns) {
        assert_eq!(p.name, item.name);
        let call = format!("c::{}({})", item.ident, args(&item.params));
        let key = expected_key(policy, &p.store, "", &p.segments, p.hash_tag);
        let params = expected_params(policy, &p.segments);
        let variant = format!("c::Pattern::{}", item.variant);
        writeln!(
            classify,
            "    let key = {call};\n    assert_eq!(key, {key:?});\n    assert_eq!(c::classify(&key), Some(({variant}, {params})));\n    assert_eq!(c::classify_any(&key), Some((c::KeyKind::Data({variant}), {params})));\n    assert_eq!({variant}.name(), {:?});\n    assert_eq!({variant}.store(), {store});\n    assert_eq!(c::{}, {store});\n    assert_eq!(c::KeyKind::Data({variant}).store(), {store});\n    assert_eq!(c::KeyKind::Lock({variant}).store(), {store});",
            p.name,
            item.store_const,
            store = store_expr(&p.store),
        )
        .unwrap();
        if let Some(prefix) = &policy.keys.version_prefix {
            for old in &policy.keys.previous_prefixes {
                let stale = format!("{old}{}", &key[prefix.len()..]);
                writeln!(classify, "    assert_eq!(c::classify({stale:?}), None);").unwrap();
            }
        }
        slot_keys.push(call.clone());
        if let (Some(lock), Some(l)) = (&p.stampede_lock, &item.lock) {
            let lock_call = format!("c::{}({})", l.ident, args(&item.params));
            let lock_key = expected_key(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag);
            writeln!(
                classify,
                "    let lock = {lock_call};\n    assert_eq!(lock, {lock_key:?});\n    assert_eq!(c::classify(&lock), None);\n    assert_eq!(c::classify_any(&lock), Some((c::KeyKind::Lock({variant}), {params})));\n    assert_eq!({variant}.lock_prefix(), Some({:?}));\n    assert_eq!(c::{}, {});",
                lock.prefix,
                l.ttl_const,
                lock.ttl.as_secs()
            )
            .unwrap();
            if policy.store_is_cluster(&p.store) && p.hash_tag.is_some() {
                writeln!(
                    classify,
                    "    assert_eq!(c::key_slot(&lock), c::key_slot(&key));"
                )
                .unwrap();
            }
            slot_keys.push(lock_call);
        }
        match (p.ttl, &item.ttl) {
            (Ttl::Expires { base, max }, Some(t)) => {
                let (base, max) = (base.as_secs(), max.as_secs());
                writeln!(
                    ttls,
                    "    assert_eq!(c::{}, {base});\n    assert_eq!(c::{}, {max});\n    assert_eq!(c::{}(0.0), Some({base}));\n    for r in UNITS {{\n        let t = c::{}(r).expect(\"expires\");\n        assert!(({base}..={max}).contains(&t), \"{} at {{r}}: {{t}}\");\n        assert_eq!({variant}.ttl(r), Some(t));\n    }}",
                    t.base_const, t.max_const, item.ttl_ident, item.ttl_ident, p.name
                )
                .unwrap();
            }
            (Ttl::Never, None) => {
                writeln!(
                    ttls,
                    "    for r in UNITS {{\n        assert_eq!(c::{}(r), None);\n        assert_eq!({variant}.ttl(r), None);\n    }}",
                    item.ttl_ident
                )
                .unwrap();
            }
            other => panic!("{}: TTL {other:?} rendered inconsistently", p.name),
        }
    }
    if ctx.uses_ip {
        for text in support::vectors::IP_TEXT_FORMS
            .iter()
            .chain(IP_NON_ADDRESSES)
        {
            let accepted = cachegen::keys::type_accepts(&PlaceholderType::Ip, text);
            writeln!(
                classify,
                "    assert_eq!(c::PlaceholderType::Ip.accepts({text:?}), {accepted}, {text:?});"
            )
            .unwrap();
        }
    }
    for item in &ctx.regex_types {
        let ty = policy
            .keys
            .placeholders
            .values()
            .find(|t| matches!(t, PlaceholderType::Pattern(r) if format!("{:?}", r.source) == item.source))
            .expect("a rendered regex type is a placeholder's");
        let PlaceholderType::Pattern(r) = ty else {
            unreachable!()
        };
        let example = r.table.example().expect("a value");
        let mut texts: Vec<String> = REGEX_TEXTS.iter().map(|s| s.to_string()).collect();
        texts.push(example.clone());
        texts.push(format!("{example}A"));
        texts.push(example[1..].to_owned());
        texts.push(example.to_lowercase());
        let verdicts: Vec<bool> = texts
            .iter()
            .map(|t| cachegen::keys::type_accepts(ty, t))
            .collect();
        assert!(
            verdicts.contains(&true) && verdicts.contains(&false),
            "{texts:?}"
        );
        for (text, accepted) in texts.iter().zip(verdicts) {
            writeln!(
                classify,
                "    assert_eq!(c::{}.accepts({text:?}), {accepted}, {text:?});\n    assert_eq!(c::PlaceholderType::Regex(&c::{}).accepts({text:?}), {accepted});",
                item.ident, item.ident
            )
            .unwrap();
        }
    }
    for (t, item) in policy.tags.values().zip(&ctx.tags) {
        assert_eq!(t.name, item.name);
        let call = format!("c::{}({})", item.ident, args(&item.params));
        let key = expected_key(policy, &t.store, "", &t.key, None);
        let params = expected_params(policy, &t.key);
        writeln!(
            classify,
            "    let tag = {call};\n    assert_eq!(tag, {key:?});\n    assert_eq!(c::classify(&tag), None);\n    assert_eq!(c::classify_any(&tag), Some((c::KeyKind::TagSet(c::TagSet::{0}), {params})));\n    assert_eq!(c::TagSet::{0}.store(), {store});\n    assert_eq!(c::{1}, {store});",
            item.variant,
            item.store_const,
            store = store_expr(&t.store),
        )
        .unwrap();
        if let (Some(c), Some(ttl)) = (&item.ttl_const, t.ttl.base()) {
            writeln!(ttls, "    assert_eq!(c::{c}, {});", ttl.as_secs()).unwrap();
        }
        slot_keys.push(call);
    }
    // Plans, in the order the renderer emits them: per event the main plan,
    // then each `when_changed` field, then its tag sets. Each key as
    // `(c::Store::X, "key")`, its store from the model.
    let keyed = |store: &str, key: String| format!("({}, {key:?})", store_expr(store));
    let pattern_keys = |list: &[String]| -> String {
        cascade_closure(policy, list)
            .iter()
            .map(|name| {
                let p = policy.pattern(name).unwrap();
                keyed(
                    &p.store,
                    expected_key(policy, &p.store, "", &p.segments, p.hash_tag),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let stores: Vec<String> = policy.stores.keys().map(|n| store_expr(n)).collect();
    writeln!(
        classify,
        "    assert_eq!(c::Store::ALL, &[{}]);",
        stores.join(", ")
    )
    .unwrap();
    for (name, store) in &policy.stores {
        writeln!(
            classify,
            "    assert_eq!({0}.name(), {name:?});\n    assert_eq!({0}.cluster(), {1});",
            store_expr(name),
            store.cluster.is_some()
        )
        .unwrap();
    }
    let mut rendered = ctx.plans.iter();
    for e in policy.events.values() {
        let mut expected: Vec<(String, bool)> = vec![(pattern_keys(&e.invalidate), false)];
        for list in e.when_changed.values() {
            expected.push((pattern_keys(list), false));
        }
        if !e.invalidate_tags.is_empty() {
            expected.push((
                e.invalidate_tags
                    .iter()
                    .map(|t| {
                        let tag = &policy.tags[t];
                        keyed(
                            &tag.store,
                            expected_key(policy, &tag.store, "", &tag.key, None),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                true,
            ));
        }
        for (keys, tag_sets) in expected {
            let plan = rendered
                .next()
                .expect("a plan per event, field and tag list");
            assert_eq!(plan.tag_sets, tag_sets, "{}", plan.ident);
            let call = format!("c::{}({})", plan.ident, args(&plan.params));
            if tag_sets {
                writeln!(
                    plans,
                    "    let sets = {call};\n    let sets: Vec<(c::Store, &str)> = sets.iter().map(|(s, k)| (*s, k.as_str())).collect();\n    assert_eq!(sets, vec![{keys}]);"
                )
                .unwrap();
                slot_keys.push(format!(
                    "{call}.into_iter().map(|(_, k)| k).collect::<Vec<_>>().join(\"\\t\")"
                ));
            } else {
                writeln!(
                    plans,
                    "    check_plan({:?}, &{call}, &[{keys}]);",
                    plan.ident
                )
                .unwrap();
                writeln!(
                    live,
                    "    run_live(&mut conns, {:?}, &{call}, &[{keys}]);",
                    plan.ident
                )
                .unwrap();
                slot_keys.push(format!(
                    "{call}.into_iter().flat_map(|u| u.keys).collect::<Vec<_>>().join(\"\\t\")"
                ));
            }
        }
    }
    assert!(rendered.next().is_none(), "more plans than events");

    let mut out = String::new();
    out.push_str(
        "//! Written by cachegen's tests/build_rust.rs: the generated module, used as a library.\n\n",
    );
    writeln!(out, "use policy_cache as c;\n").unwrap();
    out.push_str(
        "const UNITS: [f64; 3] = [0.0, 0.5, 0.999_999];\n\n\
         fn check_plan(name: &str, plan: &[c::Unlink], expected: &[(c::Store, &str)]) {\n\
         \x20   let mut got: Vec<(&str, &str)> = plan.iter().flat_map(|u| u.keys.iter().map(|k| (u.store.name(), k.as_str()))).collect();\n\
         \x20   got.sort_unstable();\n\
         \x20   let mut want: Vec<(&str, &str)> = expected.iter().map(|(s, k)| (s.name(), *k)).collect();\n\
         \x20   want.sort_unstable();\n\
         \x20   assert_eq!(got, want, \"{name}: keys and their stores\");\n\
         \x20   // Grouped by store first: each store's commands are contiguous.\n\
         \x20   let mut order: Vec<c::Store> = plan.iter().map(|u| u.store).collect();\n\
         \x20   order.dedup();\n\
         \x20   let distinct: std::collections::BTreeSet<&str> = order.iter().map(|s| s.name()).collect();\n\
         \x20   assert_eq!(distinct.len(), order.len(), \"{name}: a store's commands are split: {plan:?}\");\n\
         \x20   for store in order {\n\
         \x20       let groups: Vec<&c::Unlink> = plan.iter().filter(|u| u.store == store).collect();\n\
         \x20       let mut slots = Vec::new();\n\
         \x20       for group in &groups {\n\
         \x20           assert!(!group.keys.is_empty(), \"{name}: empty command\");\n\
         \x20           let slot = c::key_slot(&group.keys[0]);\n\
         \x20           if store.cluster() {\n\
         \x20               assert!(group.keys.iter().all(|k| c::key_slot(k) == slot), \"{name}: command mixes slots: {group:?}\");\n\
         \x20           } else {\n\
         \x20               assert!(group.keys.iter().all(|k| !k.contains('{')), \"{name}: braces on a single node: {group:?}\");\n\
         \x20           }\n\
         \x20           slots.push(slot);\n\
         \x20       }\n\
         \x20       if store.cluster() {\n\
         \x20           let distinct: std::collections::BTreeSet<u16> = slots.iter().copied().collect();\n\
         \x20           assert_eq!(distinct.len(), slots.len(), \"{name}: one slot split over commands\");\n\
         \x20       } else {\n\
         \x20           assert_eq!(groups.len(), 1, \"{name}: a single node needs one UNLINK\");\n\
         \x20       }\n\
         \x20   }\n\
         }\n\n\
         /// A minimal RESP connection (std only) to a loopback redis-server.\n\
         struct Conn(std::io::BufReader<std::net::TcpStream>);\n\n\
         impl Conn {\n\
         \x20   /// Sends one command; its reply's first line (`+OK`, `:2`).\n\
         \x20   fn command(&mut self, args: &[&str]) -> String {\n\
         \x20       use std::io::{BufRead, Write};\n\
         \x20       let mut out = format!(\"*{}\\r\\n\", args.len());\n\
         \x20       for a in args {\n\
         \x20           out.push_str(&format!(\"${}\\r\\n{a}\\r\\n\", a.len()));\n\
         \x20       }\n\
         \x20       self.0.get_mut().write_all(out.as_bytes()).unwrap();\n\
         \x20       let mut line = String::new();\n\
         \x20       self.0.read_line(&mut line).unwrap();\n\
         \x20       line.trim_end().to_owned()\n\
         \x20   }\n\
         }\n\n\
         /// Seeds each expected key in its store (the store the policy gives it),\n\
         /// runs the plan through `run_plan` on one connection per store, and\n\
         /// checks every `UNLINK` deleted all its keys and nothing is left.\n\
         fn run_live(conns: &mut [(c::Store, Conn)], name: &str, plan: &[c::Unlink], expected: &[(c::Store, &str)]) {\n\
         \x20   let conn = |conns: &mut [(c::Store, Conn)], store: c::Store| -> usize {\n\
         \x20       conns.iter().position(|(s, _)| *s == store).expect(\"a connection per store\")\n\
         \x20   };\n\
         \x20   for (store, key) in expected {\n\
         \x20       let i = conn(conns, *store);\n\
         \x20       assert_eq!(conns[i].1.command(&[\"SET\", key, \"1\"]), \"+OK\");\n\
         \x20   }\n\
         \x20   let mut commands = 0;\n\
         \x20   c::run_plan(plan, |store, keys| {\n\
         \x20       commands += 1;\n\
         \x20       let i = conn(conns, store);\n\
         \x20       let mut args = vec![\"UNLINK\"];\n\
         \x20       args.extend(keys.iter().map(String::as_str));\n\
         \x20       let reply = conns[i].1.command(&args);\n\
         \x20       if reply == format!(\":{}\", keys.len()) { Ok(()) } else { Err(format!(\"{} {keys:?}: {reply}\", store.name())) }\n\
         \x20   })\n\
         \x20   .unwrap_or_else(|e| panic!(\"{name}: UNLINK on the wrong store? {e}\"));\n\
         \x20   assert_eq!(commands, plan.len(), \"{name}\");\n\
         \x20   for (store, c) in conns.iter_mut() {\n\
         \x20       assert_eq!(c.command(&[\"DBSIZE\"]), \":0\", \"{name}: keys left in {}\", store.name());\n\
         \x20   }\n\
         }\n\n",
    );
    writeln!(
        out,
        "#[test]\nfn builders_classify_back() {{\n{classify}}}\n"
    )
    .unwrap();
    writeln!(
        out,
        "#[test]\nfn ttls_stay_in_range() {{\n{ttls}    // Whatever the caller passes, the result stays in range and nothing panics.\n    for r in [-1.0, 1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {{\n        let t = c::jittered_ttl(1000, 1000, None, r);\n        assert!((1000..=1100).contains(&t), \"{{r}}: {{t}}\");\n    }}\n    assert_eq!(c::jittered_ttl(u64::MAX, 10_000, None, 0.999), u64::MAX);\n    assert_eq!(c::jittered_ttl(1000, 1000, Some(1050), 0.999), 1050);\n}}\n"
    )
    .unwrap();
    writeln!(
        out,
        "#[test]\nfn invalidation_groups_share_a_slot() {{\n{plans}}}\n"
    )
    .unwrap();
    // `CACHEGEN_STORE_PORTS` (`store=port,..`): a loopback redis-server per
    // store, all empty, that the plans run against.
    writeln!(
        out,
        "#[test]\nfn plans_run_per_store() {{\n    let Ok(ports) = std::env::var(\"CACHEGEN_STORE_PORTS\") else {{ return }};\n    let mut conns: Vec<(c::Store, Conn)> = ports\n        .split(',')\n        .map(|pair| {{\n            let (name, port) = pair.split_once('=').unwrap();\n            let store = *c::Store::ALL.iter().find(|s| s.name() == name).unwrap();\n            let stream = std::net::TcpStream::connect((\"127.0.0.1\", port.parse::<u16>().unwrap())).unwrap();\n            (store, Conn(std::io::BufReader::new(stream)))\n        }})\n        .collect();\n    assert_eq!(conns.len(), c::Store::ALL.len());\n{live}}}\n"
    )
    .unwrap();
    let slot_exprs: Vec<String> = slot_keys
        .iter()
        .map(|e| format!("        {e},"))
        .chain(
            support::vectors::TRICKY_KEYS
                .iter()
                .map(|k| format!("        {k:?}.to_string(),")),
        )
        .collect();
    writeln!(
        out,
        "#[test]\nfn slots_for_redis() {{\n    let Ok(path) = std::env::var(\"CACHEGEN_SLOTS_OUT\") else {{ return }};\n    let keys: Vec<String> = vec![\n{}\n    ];\n    let mut lines = String::new();\n    for key in keys.iter().flat_map(|k| k.split('\\t')) {{\n        lines.push_str(&format!(\"{{key}}\\t{{}}\\n\", c::key_slot(key)));\n    }}\n    std::fs::write(path, lines).unwrap();\n}}",
        slot_exprs.join("\n")
    )
    .unwrap();
    out
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The outer build's settings must not leak into the consumer crate.
    cmd.env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd
}

/// Runs `cmd`, panics with its output if it fails; its stdout and wall time.
pub(crate) fn run(cmd: &mut Command, what: &str) -> (String, std::time::Duration) {
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let took = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, took)
}

/// Builds the consumer crate for one policy, runs its tests (and clippy when
/// installed) and returns the `(key, slot)` pairs its test wrote.
/// `store_ports` (`store=port,..`) gives its plans empty servers to run on.
pub(crate) fn consumer_crate(
    report: &cachegen::FileReport,
    edition: &str,
    store_ports: Option<&str>,
) -> Vec<(String, u16)> {
    let policy = report.policy.as_ref().expect("model");
    let file = rust_file(report);
    let ctx = rust::context(policy).expect("context");
    let dir = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let module = file.path.rsplit('/').next().unwrap();
    std::fs::write(dir.path().join(module), &file.contents).unwrap();
    // `missing_docs` denied: every public item of the module is documented.
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"policy-cache\"\nversion = \"0.0.0\"\nedition = \"{edition}\"\npublish = false\n\n[lib]\nname = \"policy_cache\"\npath = \"{module}\"\n\n[lints.rust]\nmissing_docs = \"deny\"\nunsafe_code = \"forbid\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(
        dir.path().join("tests/consumer.rs"),
        consumer_test(policy, &ctx),
    )
    .unwrap();
    // The committed vectors when the policy has some (tests/vectors.rs keeps
    // them equal to the model's), else the model's.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{}.json", policy.name));
    let vectors = match std::fs::read_to_string(&committed) {
        Ok(text) => serde_json::from_str(&text).expect("vectors are JSON"),
        Err(_) => support::vectors::vectors(policy),
    };
    std::fs::write(
        dir.path().join("tests/vectors.rs"),
        vectors_check::vectors_test(&ctx, &vectors),
    )
    .unwrap();
    let slots = dir.path().join("slots.tsv");
    let mut test = cargo();
    test.args(["test", "--offline", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", target.path())
        .env("CACHEGEN_SLOTS_OUT", &slots)
        .env_remove("CACHEGEN_STORE_PORTS");
    if let Some(ports) = store_ports {
        test.env("CACHEGEN_STORE_PORTS", ports);
    }
    let (stdout, took) = run(
        &mut test,
        &format!("cargo test in the {} consumer crate", policy.name),
    );
    eprintln!("{}: consumer `cargo test` took {took:.2?}", policy.name);
    // The five tests of tests/consumer.rs and of tests/vectors.rs ran (not
    // zero, not filtered).
    assert_eq!(
        stdout.matches("test result: ok. 5 passed").count(),
        2,
        "consumer tests did not run:\n{stdout}"
    );
    // Docs build without a rustdoc warning (broken intra-doc links, bad HTML).
    let (_, took) = run(
        cargo()
            .args(["doc", "--offline", "--quiet", "--no-deps"])
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", target.path())
            .env("RUSTDOCFLAGS", "-D warnings"),
        &format!("cargo doc on the {} module", policy.name),
    );
    eprintln!("{}: consumer `cargo doc` took {took:.2?}", policy.name);
    let clippy = cargo()
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if clippy {
        let (_, took) = run(
            cargo()
                .args(["clippy", "--offline", "--quiet", "--", "-D", "warnings"])
                .current_dir(dir.path())
                .env("CARGO_TARGET_DIR", target.path()),
            &format!("cargo clippy on the {} module", policy.name),
        );
        eprintln!("{}: consumer `cargo clippy` took {took:.2?}", policy.name);
    } else {
        eprintln!("{}: clippy is not installed; skipped", policy.name);
    }
    std::fs::read_to_string(&slots)
        .expect("the consumer test wrote its slots")
        .lines()
        .map(|l| {
            let (key, slot) = l.rsplit_once('\t').expect("key<TAB>slot");
            (key.to_owned(), slot.parse().expect("slot"))
        })
        .collect()
}
