//! The `access:` section of a store: each mistake is reported with its code
//! at the text it is about (a literal password never echoed), one run
//! reports them all, and the bundled policies lower to the services, keys
//! and peers they declare.

use cachegen::diag::Severity;
use cachegen::policy::model::{ClientCerts, ConfigGet, SecretRef};
use cachegen::{CheckOptions, FileReport, check_bytes};

/// Two stores; the cache has patterns, a tag set and an event, the durable
/// store one durable and one cache pattern. `ACCESS` is replaced by the
/// cache's access section under test.
const BASE: &str = r#"version: 1
ttl:
  default: 5m
keys:
  store: cache
  placeholders:
    id: int
  patterns:
    product:
      pattern: "product:<id>"
      tags: [catalogue]
    listing:
      pattern: "listing:<id>"
    cart:
      pattern: "cart:<id>"
      store: durable
      strategy: primary
      ttl: none
      durable: true
    draft:
      pattern: "draft:<id>"
      store: durable
tags:
  catalogue:
    key: "tag:catalogue"
    ttl: 1h
invalidation:
  events:
    product.updated:
      params: [id]
      invalidate: [product]
stores:
  cache:
    version: "7.0"
    maxmemory: 1gb
    maxmemory_policy: allkeys-lru
ACCESS
  durable:
    version: "7.0"
    maxmemory: 100mb
    maxmemory_policy: noeviction
    persistence: {appendonly: true, appendfsync: everysec}
    access:
      services:
        carts:
          password: {env: CARTS_PASSWORD}
          owns: [cart]
"#;

fn check(access: &str) -> FileReport {
    let yaml = BASE.replace("ACCESS", access);
    check_bytes("access.yaml", yaml.as_bytes(), &CheckOptions::default())
}

/// (code, text under the primary span, message) of every error.
fn errors(report: &FileReport) -> Vec<(String, String, String)> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let span = d.span.expect("access errors have a span");
            let text = report.source.slice(span).to_owned();
            (d.code.code.to_owned(), text, d.message.clone())
        })
        .collect()
}

/// The one error of `access`: its code, the text it points at, and the
/// message (with its help).
fn only_error(access: &str) -> (String, String, String, String) {
    let report = check(access);
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{access}\n{errors:#?}");
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .unwrap();
    let (code, text, message) = errors.into_iter().next().unwrap();
    (code, text, message, d.help.clone().unwrap_or_default())
}

fn service(body: &str) -> String {
    format!("    access:\n      services:\n        api:\n{body}")
}

#[test]
fn a_valid_section_has_no_errors_and_lowers() {
    let report = check(&service(
        "          password: {secret: {name: shop-redis, key: api.password}}\n          reads: [catalogue]\n          writes: [product, listing]\n          events: [product.updated]\n          channels: [\"news:*\"]\n",
    ));
    assert_eq!(errors(&report), vec![]);
    let policy = report.policy.as_ref().unwrap();
    let access = &policy.stores["cache"].access;
    assert!(access.declared);
    let api = &access.services["api"];
    assert_eq!(
        api.password,
        SecretRef::Kubernetes {
            name: "shop-redis".into(),
            key: "api.password".into()
        }
    );
    assert_eq!(api.reads, ["catalogue"]);
    assert_eq!(api.writes, ["product", "listing"]);
    assert_eq!(api.events, ["product.updated"]);
    assert_eq!(api.channels, ["news:*"]);
    assert_eq!(api.pointer, "/stores/cache/access/services/api");
    assert!(!api.scan && !api.scripting);
    // Not declared: the defaults, and no services.
    let report = check("");
    let access = &report.policy.as_ref().unwrap().stores["cache"].access;
    assert!(!access.declared && access.services.is_empty());
    assert_eq!(
        access.admin.password,
        SecretRef::Env("REDIS_ADMIN_PASSWORD".into())
    );
}

#[test]
fn a_literal_password_is_cg030_and_never_printed() {
    let (code, text, message, help) =
        only_error(&service("          password: hunter2-correct-horse\n"));
    assert_eq!(code, "CG030");
    assert_eq!(text, "hunter2-correct-horse");
    assert!(message.contains("password"), "{message}");
    for said in [&message, &help] {
        assert!(!said.contains("hunter2"), "the value leaked: {said}");
    }
    // The message and help carry no part of it (and the rendered snippet
    // masks it: `no_output_format_prints_a_literal_secret`).
    let (code, _, message, _) =
        only_error("    access:\n      admin:\n        password: \"s3cret\"\n");
    assert_eq!(code, "CG030");
    assert!(!message.contains("s3cret"));
    // YAML reads an all-digit password as a number: still a secret.
    let (code, text, message, _) = only_error(&service("          password: 204931\n"));
    assert_eq!((code.as_str(), text.as_str()), ("CG030", "204931"));
    assert!(!message.contains("204931"));
}

#[test]
fn a_bad_env_name_is_invalid_syntax() {
    let (code, text, message, _) =
        only_error(&service("          password: {env: API-PASSWORD}\n"));
    assert_eq!((code.as_str(), text.as_str()), ("CG024", "API-PASSWORD"));
    assert!(message.contains("environment variable"), "{message}");
}

#[test]
fn a_bad_kubernetes_secret_name_and_key() {
    let (code, text, message, _) = only_error(&service(
        "          password: {secret: {name: Shop_Redis, key: api}}\n",
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG024", "Shop_Redis"));
    assert!(message.contains("Secret name"), "{message}");
    let (code, text, _, _) = only_error(&service(
        "          password: {secret: {name: shop-redis, key: \"api/password\"}}\n",
    ));
    assert_eq!(
        (code.as_str(), text.as_str()),
        ("CG024", "\"api/password\"")
    );
}

#[test]
fn a_relative_or_climbing_file_path() {
    for path in ["run/secret", "/run/../etc/shadow", "\"/run/my secret\""] {
        let (code, text, _, _) =
            only_error(&service(&format!("          password: {{file: {path}}}\n")));
        assert_eq!((code.as_str(), text.as_str()), ("CG024", path));
    }
}

#[test]
fn an_unknown_pattern_suggests_the_closest() {
    let (code, text, message, help) = only_error(&service(
        "          password: {env: API_PASSWORD}\n          writes: [prodcut]\n",
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG020", "prodcut"));
    assert!(message.contains("`prodcut`"), "{message}");
    assert_eq!(help, "did you mean `product`?");
    let (code, text, _, help) = only_error(&service(
        "          password: {env: API_PASSWORD}\n          events: [product.update]\n",
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG020", "product.update"));
    assert_eq!(help, "did you mean `product.updated`?");
}

#[test]
fn a_pattern_of_another_store_names_its_store() {
    let (code, text, message, _) = only_error(&service(
        "          password: {env: API_PASSWORD}\n          reads: [cart]\n",
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "cart"));
    assert!(message.contains("store `durable`"), "{message}");
}

#[test]
fn owns_needs_a_durable_pattern() {
    let (code, text, message, _) = only_error(&service(
        "          password: {env: API_PASSWORD}\n          owns: [listing]\n",
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "listing"));
    assert!(message.contains("not durable"), "{message}");
}

#[test]
fn a_service_may_not_take_a_reserved_user_name() {
    for name in ["default", "admin", "cachegen-verify", "replication"] {
        let access = format!(
            "    access:\n      services:\n        {name}:\n          password: {{env: P}}\n"
        );
        let (code, text, _, _) = only_error(&access);
        assert_eq!((code.as_str(), text.as_str()), ("CG025", name));
    }
    for (user, rest) in [
        ("default", ""),
        ("cachegen-verify", ""),
        ("admin", "      admin: {user: admin}\n"),
    ] {
        let access = format!("    access:\n{rest}      replication: {{user: {user}}}\n");
        let (code, text, _, _) = only_error(&access);
        assert_eq!((code.as_str(), text.as_str()), ("CG025", user), "{access}");
    }
    let (code, text, _, _) =
        only_error("    access:\n      services:\n        Api_1:\n          password: {env: P}\n");
    assert_eq!((code.as_str(), text.as_str()), ("CG024", "Api_1"));
}

/// The Sentinel user exists only where the store has Sentinels, and like
/// the other fixed users takes a name of its own.
#[test]
fn the_sentinel_user_needs_sentinels_and_a_name_of_its_own() {
    let sentinels =
        "    replicated:\n      replicas: 1\n      sentinel: {sentinels: 3, quorum: 2}\n";
    let (code, text, message, _) =
        only_error("    access:\n      sentinel: {password: {env: S}}\n");
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "sentinel"));
    assert!(message.contains("has no Sentinels"), "{message}");
    // Without Sentinels the name is free for a service.
    let free =
        check("    access:\n      services:\n        sentinel:\n          password: {env: P}\n");
    assert!(errors(&free).is_empty(), "{:#?}", errors(&free));
    let sentinel = |report: &FileReport| {
        let policy = report.policy.as_ref().unwrap();
        policy.stores["cache"].access.sentinel.clone()
    };
    assert!(sentinel(&free).is_none());

    let (code, text, message, _) = only_error(&format!(
        "{sentinels}    access:\n      services:\n        sentinel:\n          password: {{env: P}}\n"
    ));
    assert_eq!(
        (code.as_str(), text.as_str()),
        ("CG025", "sentinel"),
        "{message}"
    );
    let (code, text, message, help) = only_error(&format!(
        "{sentinels}    access:\n      sentinel: {{user: admin}}\n"
    ));
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "admin"));
    assert!(message.contains("operator and Sentinel users"), "{message}");
    assert!(
        help.contains("Sentinel must not get the operator's rights"),
        "{help}"
    );

    // Declared, or by default: the user and reference the installer reads.
    let declared = check(&format!(
        "{sentinels}    access:\n      sentinel: {{user: watcher, password: {{env: WATCHER_PW}}}}\n"
    ));
    assert!(errors(&declared).is_empty(), "{:#?}", errors(&declared));
    let login = sentinel(&declared).unwrap();
    assert_eq!(login.user, "watcher");
    assert_eq!(login.password, SecretRef::Env("WATCHER_PW".into()));
    let default = check(&format!("{sentinels}    access: {{}}\n"));
    let login = sentinel(&default).unwrap();
    assert_eq!(login.user, "sentinel");
    assert_eq!(
        login.password,
        SecretRef::Env("REDIS_SENTINEL_PASSWORD".into())
    );
}

#[test]
fn bad_cidrs_and_kubernetes_peers() {
    for (cidr, says) in [
        ("10.0.0.1/8", "10.0.0.0/8"),
        ("10.0.0.0/40", "at most 32"),
        ("10.0.0.0", "prefix length"),
    ] {
        let report = check(&format!(
            "    access:\n      clients_from:\n        cidrs: [\"{cidr}\"]\n"
        ));
        let errors = errors(&report);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0].0.as_str(), errors[0].1.as_str()),
            ("CG024", format!("\"{cidr}\"").as_str())
        );
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .unwrap();
        let help = d.help.clone().unwrap_or_default();
        assert!(help.contains(says), "{cidr}: {help}");
    }
    let (code, text, _, _) = only_error(
        "    access:\n      clients_from:\n        kubernetes:\n          - namespace: Web\n            labels: {app: web}\n",
    );
    assert_eq!((code.as_str(), text.as_str()), ("CG024", "Web"));
    let (code, text, _, _) = only_error(
        "    access:\n      clients_from:\n        kubernetes:\n          - labels: {app: \"web server\"}\n",
    );
    assert_eq!((code.as_str(), text.as_str()), ("CG024", "\"web server\""));
}

#[test]
fn tls_ports_and_files() {
    let tls = |extra: &str| {
        format!(
            "    access:\n      tls:\n        cert: {{file: /tls/crt}}\n        key: {{file: /tls/key}}\n        ca: {{file: /tls/ca}}\n{extra}"
        )
    };
    let (code, text, _, _) = only_error(&tls("        port: 6380\n        plain_port: 6380\n"));
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "6380"));
    let (code, text, _, _) = only_error(&tls("        port: 0\n"));
    assert_eq!((code.as_str(), text.as_str()), ("CG023", "0"));
    let (code, text, _, _) = only_error(&tls("        port: 70000\n"));
    assert_eq!((code.as_str(), text.as_str()), ("CG023", "70000"));
    let report = check(&tls("        port: 6380\n        client_certs: none\n"));
    assert_eq!(errors(&report), vec![]);
    let t = report.policy.as_ref().unwrap().stores["cache"]
        .access
        .tls
        .clone()
        .unwrap();
    assert_eq!(
        (t.port, t.plain_port, t.client_certs),
        (6380, None, ClientCerts::None)
    );
    assert_eq!(t.key_file, "/tls/key");
    // The server reads TLS files by path: an env or Secret reference does not fit.
    let access = "    access:\n      tls:\n        port: 6380\n        cert: {env: CERT}\n        key: {file: /tls/key}\n        ca: {file: /tls/ca}\n";
    let (code, text, _, _) = only_error(access);
    assert_eq!((code.as_str(), text.as_str()), ("CG025", "{env: CERT}"));
}

/// A client port equal to the cluster bus port builds a node that cannot
/// start: the Kubernetes bus port (16379), or elsewhere the default bus
/// port (first client port + 10000), is CG025 at the port that takes it.
#[test]
fn a_client_port_may_not_take_the_cluster_bus_port() {
    let cluster = |kubernetes: bool, ports: &str| {
        let k8s = if kubernetes {
            "\n      kubernetes: {namespace: shop, image: \"redis:7.0.15\", memory_limit: 2Gi, storage: 1Gi}"
        } else {
            ""
        };
        format!(
            "    cluster:\n      masters: 3\n      replicas_per_master: 0\n      node_timeout: 5s{k8s}\n    access:\n      tls:\n        cert: {{file: /tls/crt}}\n        key: {{file: /tls/key}}\n        ca: {{file: /tls/ca}}\n{ports}"
        )
    };
    for (kubernetes, ports, at) in [
        (true, "        port: 16379\n", "16379"),
        (
            true,
            "        port: 6380\n        plain_port: 16379\n",
            "16379",
        ),
        (
            false,
            "        port: 16380\n        plain_port: 6380\n",
            "16380",
        ),
    ] {
        let (code, text, message, _) = only_error(&cluster(kubernetes, ports));
        assert_eq!((code.as_str(), text.as_str()), ("CG025", at), "{ports}");
        assert!(message.contains("cluster bus port"), "{message}");
    }
    // The same ports elsewhere are fine: another bus port, or no cluster.
    for (kubernetes, ports) in [
        (true, "        port: 6380\n        plain_port: 6379\n"),
        (false, "        port: 16379\n"),
        (true, "        port: 16380\n        plain_port: 6380\n"),
    ] {
        let report = check(&cluster(kubernetes, ports));
        assert_eq!(errors(&report), vec![], "{ports}");
    }
    let report = check(
        "    access:\n      tls:\n        port: 16379\n        cert: {file: /tls/crt}\n        key: {file: /tls/key}\n        ca: {file: /tls/ca}\n",
    );
    assert_eq!(errors(&report), vec![]);
}

#[test]
fn one_run_reports_every_mistake_and_keeps_the_good_services() {
    let access = "    access:\n      verifier:\n        config_get: deny\n      services:\n        api:\n          password: leaked\n        web:\n          password: {env: WEB_PASSWORD}\n          writes: [listing, nope]\n        ok:\n          password: {env: OK_PASSWORD}\n          reads: [product]\n      clients_from:\n        cidrs: [banana, 10.0.0.0/8]\n";
    let report = check(access);
    let codes: Vec<String> = errors(&report).into_iter().map(|e| e.0).collect();
    assert_eq!(codes, ["CG030", "CG020", "CG024"]);
    let access = &report.policy.as_ref().unwrap().stores["cache"].access;
    assert_eq!(access.services.keys().collect::<Vec<_>>(), ["web", "ok"]);
    assert_eq!(access.services["web"].writes, ["listing"]);
    assert_eq!(access.clients_from.cidrs, ["10.0.0.0/8"]);
    assert_eq!(access.verifier.config_get, ConfigGet::Deny);
}

#[test]
fn the_shorthand_store_takes_access_too() {
    let yaml = "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\nredis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n  access:\n    services:\n      api:\n        password: {env: API_PASSWORD}\n        reads: [quizz]\n";
    let report = check_bytes("short.yaml", yaml.as_bytes(), &CheckOptions::default());
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].0.as_str(), errors[0].1.as_str()),
        ("CG020", "quizz")
    );
    let access = &report.policy.as_ref().unwrap().stores["redis"].access;
    assert_eq!(access.pointer, "/redis/access");
    assert!(access.declared && access.services["api"].reads.is_empty());
}

#[test]
fn an_unknown_field_suggests_the_known_one() {
    let report = check(&service(
        "          password: {env: P}\n          writez: [product]\n",
    ));
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code.code == "CG010")
        .expect("CG010");
    assert!(
        d.help.as_deref().unwrap_or_default().contains("writes"),
        "{d:?}"
    );
}

#[test]
fn the_bundled_policies_lower_to_their_services() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = cachegen::check_path(
        &root.join("policies/quizmentor.yaml"),
        &CheckOptions::default(),
    );
    let policy = report.policy.as_ref().unwrap();
    let cache = &policy.stores["cache"].access;
    let durable = &policy.stores["durable"].access;
    assert!(cache.declared && durable.declared);
    assert_eq!(cache.services.keys().collect::<Vec<_>>(), ["api", "warmer"]);
    assert_eq!(
        durable.services.keys().collect::<Vec<_>>(),
        ["api", "answer-worker"]
    );
    let api = &cache.services["api"];
    assert_eq!(
        api.password,
        SecretRef::Env("QUIZMENTOR_API_REDIS_PASSWORD".into())
    );
    // The API emits every event of the cache store; the answer worker the
    // one that deletes a persisted answer in the durable store.
    let in_cache: Vec<&String> = policy
        .events
        .keys()
        .filter(|e| e.as_str() != "answer.persisted")
        .collect();
    assert_eq!(api.events.iter().collect::<Vec<_>>(), in_cache);
    assert_eq!(
        durable.services["answer-worker"].events,
        ["answer.persisted"]
    );
    // The API writes every cache pattern; none of the durable store's.
    let cache_patterns: Vec<&str> = policy
        .patterns_in("cache")
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(api.writes, cache_patterns);
    // The API produces the answers and their queue; the worker pops the
    // queue (a write, not ownership) and only reads the answers.
    assert_eq!(
        durable.services["api"].owns,
        ["session", "answer", "answer_write_queue"]
    );
    let worker = &durable.services["answer-worker"];
    assert!(worker.owns.is_empty());
    assert_eq!(worker.writes, ["answer_write_queue"]);
    assert_eq!(worker.reads, ["answer"]);
    assert_eq!(
        cache.replication.password,
        SecretRef::Kubernetes {
            name: "quizmentor-cache-redis".into(),
            key: "replication".into()
        }
    );
    assert_eq!(cache.clients_from.kubernetes.len(), 2);
    assert_eq!(
        cache.clients_from.kubernetes[0].labels["app"],
        "quizmentor-api"
    );
    // Every credential of the policy is its own reference.
    for path in ["policies/quizmentor.yaml", "policies/shop.yaml"] {
        let report = cachegen::check_path(&root.join(path), &CheckOptions::default());
        let policy = report.policy.as_ref().unwrap();
        let mut seen = std::collections::HashSet::new();
        for store in policy.stores.values() {
            assert!(store.access.declared, "{path}: {}", store.name);
            for (user, secret, _) in store.access.credentials() {
                assert!(
                    seen.insert(secret.clone()),
                    "{path}: {user} shares {secret:?}"
                );
            }
        }
    }
}

/// Every directive the generated redis.conf writes for access control (a
/// TLS cluster with replicas writes them all) is refused under `config:`:
/// set through `access` (CG025), owned by the deployment (CG025), a
/// secret (CG030) or no directive at all (`include`, CG031), so no policy renders two contradicting lines.
#[test]
fn config_cannot_set_what_access_writes() {
    let store = "    cluster:\n      masters: 3\n      replicas_per_master: 1\n      node_timeout: 5s\n    access:\n      tls:\n        port: 6380\n        cert: {file: /tls/crt}\n        key: {file: /tls/key}\n        ca: {file: /tls/ca}\n";
    let report = check(store);
    assert_eq!(errors(&report), vec![]);
    let files = cachegen::render_report(&report, &cachegen::render::Templates::default())
        .unwrap()
        .unwrap();
    let conf = &files
        .iter()
        .find(|f| f.path == "stores/cache/redis.conf")
        .expect("the cache's redis.conf")
        .contents;
    let section = conf
        .split_once("# Access control.")
        .expect("an access control section")
        .1;
    let mut names: Vec<&str> = section
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    for needed in [
        "protected-mode",
        "aclfile",
        "include",
        "tls-port",
        "port",
        "tls-cluster",
    ] {
        assert!(names.contains(&needed), "{needed} not in {names:?}");
    }
    // What the included replication.conf and `requirepass`-style setups hold.
    names.extend(["masteruser", "masterauth", "requirepass"]);
    for name in names {
        let (code, text, message, _) = only_error(&format!("    config:\n      {name}: \"x\"\n"));
        let want = if ["masteruser", "masterauth", "requirepass"].contains(&name) {
            "CG030"
        } else if name == "include" {
            // Not a CONFIG parameter at all: unknown to every release.
            "CG031"
        } else {
            "CG025"
        };
        assert_eq!(code, want, "{name}: {message}");
        // CG030 points at the value, the others at the key.
        if want != "CG030" {
            assert_eq!(text, name, "{message}");
        }
    }
    let (_, _, message, help) = only_error("    config:\n      protected-mode: \"no\"\n");
    assert_eq!(
        message,
        "`protected-mode` is set through `access`, not `config:`"
    );
    assert!(help.contains("access"), "{help}");
}

#[test]
fn a_file_reference_must_name_a_file() {
    for path in ["\"/\"", "/run/secrets/"] {
        let (code, text, message, help) =
            only_error(&service(&format!("          password: {{file: {path}}}\n")));
        assert_eq!((code.as_str(), text.as_str()), ("CG024", path), "{message}");
        assert!(help.contains("trailing `/`"), "{help}");
    }
}

#[test]
fn a_secret_key_may_not_be_a_directory_name() {
    for key in ["\".\"", "\"..\"", "..data"] {
        let (code, text, message, _) = only_error(&service(&format!(
            "          password: {{secret: {{name: shop-redis, key: {key}}}}}\n"
        )));
        assert_eq!((code.as_str(), text.as_str()), ("CG024", key), "{message}");
    }
    // A dot inside or in front is a Kubernetes key all the same.
    let report = check(&service(
        "          password: {secret: {name: shop-redis, key: .api.pw}}\n",
    ));
    assert_eq!(errors(&report), vec![]);
}

/// The installer keeps each `{env}` value in a variable of its own before
/// setting anything else; a reference named like one of them would read
/// another user's password, so such a name is refused.
#[test]
fn an_env_reference_may_not_take_an_installer_variable() {
    let report = check("");
    let files = cachegen::render_report(&report, &cachegen::render::Templates::default())
        .unwrap()
        .unwrap();
    let script = &files
        .iter()
        .find(|f| f.path == "stores/cache/install-credentials.sh")
        .unwrap()
        .contents;
    // `_cachegen_pw_1=${REDIS_ADMIN_PASSWORD-}`: the installer's slots.
    let slots: Vec<&str> = script
        .lines()
        .filter_map(|l| l.split_once("=${").map(|(name, _)| name))
        .filter(|name| name.starts_with('_'))
        .collect();
    assert!(slots.len() >= 2, "{script}");
    for slot in slots {
        let (code, text, message, _) =
            only_error(&service(&format!("          password: {{env: {slot}}}\n")));
        assert_eq!((code.as_str(), text.as_str()), ("CG024", slot));
        assert!(message.contains("install-credentials.sh"), "{message}");
    }
    // The prefix is what is reserved, not the word.
    let report = check(&service("          password: {env: CACHEGEN_API_PW}\n"));
    assert_eq!(errors(&report), vec![]);
}

/// A literal secret reaches no output: not the message, and not the source
/// snippet of the human format (masked with `*`, also in the context lines
/// of a neighbouring diagnostic), in every format, with and without color.
#[test]
fn no_output_format_prints_a_literal_secret() {
    let access = concat!(
        "    config:\n",
        "      requirepass: \"Req9uirepassSECRET\"\n",
        "      no-such-directive: 1\n",
        "    access:\n",
        "      admin:\n",
        "        password: \"hunter2SECRET\"\n",
        "      services:\n",
        "        api:\n",
        "          password: |\n",
        "            blockScalarSECRET\n",
        "          reads: [nowhere]\n",
    );
    let report = check(access);
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.code).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == "CG030").count(),
        3,
        "{codes:?}"
    );
    // Neighbours whose snippets show the secrets' lines as context.
    assert!(
        codes.contains(&"CG031") && codes.contains(&"CG020"),
        "{codes:?}"
    );
    let reports = [report];
    for format in cachegen::output::Format::ALL {
        for color in [false, true] {
            let out = cachegen::output::render(format, &reports, color);
            assert!(!out.is_empty());
            // `SECRET` ends each value; the docs SARIF embeds say `hunter2`.
            for secret in ["Req9uirepass", "hunter2SECRET", "blockScalar", "SECRET"] {
                assert!(
                    !out.contains(secret),
                    "{} (color {color}) prints `{secret}`:\n{out}",
                    format.name()
                );
            }
        }
    }
    // The snippet still shows where: the masked value under its key.
    let human = cachegen::output::render(cachegen::output::Format::Human, &reports, false);
    assert!(human.contains("password: ***************"), "{human}");
    assert!(
        human.contains("requirepass: ********************"),
        "{human}"
    );
}
