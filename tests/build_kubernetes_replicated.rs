//! The `kubernetes/` target for a replicated store under Sentinel
//! (`kubernetes/redis-replicated.yaml`): every document parsed into its
//! k8s-openapi type and checked against the policy (pod counts, placement,
//! disruption budgets, NetworkPolicy peers and ports, config checksums), no
//! password in any file the binary renders with every password in its
//! environment, and the policy errors where a Kubernetes deployment of a
//! replicated store makes no sense. Its scripts run on real Redis in
//! `build_kubernetes_replicated_redis.rs`.

mod support;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::process::Command;
use support::kubernetes::*;
use support::render::{checked_text, render_text};

fn shop_text() -> String {
    std::fs::read_to_string(SHOP_POLICY).unwrap()
}

fn rendered(text: &str) -> (cachegen::FileReport, ReplicatedObjects) {
    let (report, files) = render_text("shop.yaml", text);
    let manifest = &files
        .iter()
        .find(|f| f.path == REPLICATED_MANIFEST)
        .unwrap_or_else(|| panic!("{REPLICATED_MANIFEST} not generated"))
        .contents;
    (report, replicated_objects(manifest))
}

fn match_labels(set: &StatefulSet) -> &BTreeMap<String, String> {
    let spec = set.spec.as_ref().unwrap();
    spec.selector.match_labels.as_ref().unwrap()
}

/// The StatefulSet's pods are at most one per Kubernetes node.
fn assert_spread_over_nodes(set: &StatefulSet, what: &str) {
    let spec = set.spec.as_ref().unwrap();
    let template_labels = spec.template.metadata.as_ref().unwrap().labels.as_ref();
    let selector = match_labels(set);
    for (k, v) in selector {
        assert_eq!(template_labels.unwrap().get(k), Some(v), "{what}: {k}");
    }
    let anti = pod_spec(set)
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .unwrap_or_else(|| panic!("{what}: no podAntiAffinity"));
    let required = anti
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .unwrap();
    assert_eq!(required.len(), 1, "{what}");
    assert_eq!(required[0].topology_key, "kubernetes.io/hostname", "{what}");
    let terms = required[0].label_selector.as_ref().unwrap();
    assert_eq!(terms.match_labels.as_ref(), Some(selector), "{what}");
}

/// A NetworkPolicy peer as its match labels, plus "ns" = the namespace
/// for a namespaced peer.
type PeerLabels = BTreeMap<String, String>;

/// (ports, peers) of each ingress rule of a NetworkPolicy that selects the
/// pods `selected`.
fn ingress(policy: &NetworkPolicy, selected: &PeerLabels) -> Vec<(Vec<i32>, Vec<PeerLabels>)> {
    let spec = policy.spec.as_ref().unwrap();
    let selector = spec.pod_selector.as_ref().unwrap();
    assert_eq!(selector.match_labels.as_ref(), Some(selected));
    assert_eq!(
        spec.policy_types.as_deref(),
        Some(&["Ingress".to_owned()][..])
    );
    spec.ingress
        .iter()
        .flatten()
        .map(|rule| {
            let ports = rule
                .ports
                .iter()
                .flatten()
                .map(|p| match p.port.as_ref().unwrap() {
                    IntOrString::Int(n) => *n,
                    other => panic!("{other:?}"),
                })
                .collect();
            let peers = rule
                .from
                .iter()
                .flatten()
                .map(|peer| {
                    let mut labels = peer
                        .pod_selector
                        .as_ref()
                        .and_then(|s| s.match_labels.clone())
                        .unwrap_or_default();
                    if let Some(ns) = &peer.namespace_selector {
                        let ns = &ns.match_labels.as_ref().unwrap()["kubernetes.io/metadata.name"];
                        labels.insert("ns".into(), ns.clone());
                    }
                    labels
                })
                .collect();
            (ports, peers)
        })
        .collect()
}

#[test]
fn every_document_is_its_typed_object_and_matches_the_policy() {
    let (report, o) = rendered(&shop_text());
    let store = &policy_of(&report).stores["durable"];
    let replicated = store.replicated.as_ref().unwrap();
    let sentinel = replicated.sentinel.as_ref().unwrap();
    let k8s = replicated.kubernetes.as_ref().unwrap();
    assert_eq!(
        (k8s.namespace.as_str(), k8s.image.as_str()),
        ("shop", "redis:7.2.6")
    );
    for doc in &o.docs {
        assert_eq!(doc["metadata"]["namespace"], "shop");
    }

    // Pods: 1 + replicas data pods, `sentinels` Sentinels, each set spread
    // over Kubernetes nodes.
    let data = o.data.spec.as_ref().unwrap();
    assert_eq!(data.replicas, Some(1 + replicated.replicas as i32));
    assert_eq!(
        data.service_name.as_deref(),
        o.headless.metadata.name.as_deref()
    );
    let sentinels = o.sentinels.spec.as_ref().unwrap();
    assert_eq!(sentinels.replicas, Some(sentinel.sentinels as i32));
    assert_eq!(
        sentinels.service_name.as_deref(),
        o.sentinel_headless.metadata.name.as_deref()
    );
    assert_spread_over_nodes(&o.data, "data");
    assert_spread_over_nodes(&o.sentinels, "Sentinels");
    assert_ne!(match_labels(&o.data), match_labels(&o.sentinels));

    // The data pods' resources and volume are the policy's.
    let redis = container(&o.data);
    let resources = redis.resources.as_ref().unwrap();
    for quantities in [&resources.requests, &resources.limits] {
        let q = quantities.as_ref().unwrap();
        assert_eq!(q["memory"].0, k8s.memory_limit);
        assert_eq!(q["cpu"].0, *k8s.cpu.as_ref().unwrap());
    }
    let claims = data.volume_claim_templates.as_ref().unwrap();
    let storage = &claims[0].spec.as_ref().unwrap().resources.as_ref().unwrap();
    assert_eq!(storage.requests.as_ref().unwrap()["storage"].0, k8s.storage);

    // Each pod starts from its script in the ConfigMap, and gets its name
    // and the operator's password (for the probes and asking the
    // Sentinels) from references, never as a value.
    for (set, script) in [
        (&o.data, "start-redis.sh"),
        (&o.sentinels, "start-sentinel.sh"),
    ] {
        let c = container(set);
        assert_eq!(
            c.command.as_deref().unwrap(),
            ["sh".to_owned(), format!("/etc/redis/{script}")]
        );
        assert!(!o.config_file(script).is_empty());
        let env = c.env.as_ref().unwrap();
        let names: Vec<&str> = env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["POD_NAME", "REDISCLI_AUTH"]);
        assert!(
            env.iter().all(|e| e.value.is_none()),
            "{script}: a literal value"
        );
        let pod_name = env[0].value_from.as_ref().unwrap().field_ref.as_ref();
        assert_eq!(pod_name.unwrap().field_path, "metadata.name");
        let auth = env[1].value_from.as_ref().unwrap().secret_key_ref.as_ref();
        assert_eq!(auth.unwrap().key, "SHOP_DURABLE_ADMIN_PASSWORD");
        // The working copies live in the writable in-memory volume.
        let mount = c
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.name == "credentials")
            .unwrap();
        assert_eq!(
            (mount.mount_path.as_str(), mount.read_only),
            ("/run/cachegen", None)
        );
        let volume = pod_spec(set)
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == "credentials")
            .unwrap();
        let empty_dir = volume.empty_dir.as_ref().unwrap();
        assert_eq!(empty_dir.medium.as_deref(), Some("Memory"));
        // No service account token in a pod that never calls the API.
        assert_eq!(pod_spec(set).automount_service_account_token, Some(false));
    }

    // The Services: Sentinel-aware clients use the Sentinel Service.
    let ports = |s: &k8s_openapi::api::core::v1::Service| -> Vec<i32> {
        let spec = s.spec.as_ref().unwrap();
        spec.ports.iter().flatten().map(|p| p.port).collect()
    };
    assert_eq!(ports(&o.headless), [6379]);
    assert_eq!(ports(&o.sentinel_headless), [26379]);
    assert_eq!(ports(&o.sentinel_service), [26379]);
    for (service, set) in [
        (&o.headless, &o.data),
        (&o.sentinel_headless, &o.sentinels),
        (&o.sentinel_service, &o.sentinels),
    ] {
        let spec = service.spec.as_ref().unwrap();
        assert_eq!(spec.selector.as_ref(), Some(match_labels(set)));
    }
    assert_eq!(
        o.headless.spec.as_ref().unwrap().cluster_ip.as_deref(),
        Some("None")
    );

    // Disruption budgets: 2 replicas with min_replicas_to_write 1 leave one
    // data pod to spare; 3 Sentinels with quorum 2 (= the majority) one.
    for (pdb, set, max) in [
        (&o.data_pdb, &o.data, 1),
        (&o.sentinel_pdb, &o.sentinels, 1),
    ] {
        let spec = pdb.spec.as_ref().unwrap();
        assert_eq!(spec.max_unavailable, Some(IntOrString::Int(max)));
        let selector = spec.selector.as_ref().unwrap();
        assert_eq!(selector.match_labels.as_ref(), Some(match_labels(set)));
    }

    // NetworkPolicies: data pods take replication and the Sentinels on
    // 6379, Sentinels take each other and the data pods on 26379; the
    // declared clients reach both.
    let clients: Vec<BTreeMap<String, String>> = ["cart", "accounts", "checkout", "order-worker"]
        .iter()
        .map(|app| {
            BTreeMap::from([
                ("app.kubernetes.io/name".to_owned(), (*app).to_owned()),
                ("ns".to_owned(), "shop".to_owned()),
            ])
        })
        .collect();
    let (data_sel, sentinel_sel) = (
        match_labels(&o.data).clone(),
        match_labels(&o.sentinels).clone(),
    );
    assert_eq!(
        ingress(&o.data_network, &data_sel),
        [
            (vec![6379], vec![data_sel.clone(), sentinel_sel.clone()]),
            (vec![6379], clients.clone()),
        ]
    );
    assert_eq!(
        ingress(&o.sentinel_network, &sentinel_sel),
        [
            (vec![26379], vec![sentinel_sel, data_sel]),
            (vec![26379], clients),
        ]
    );

    // The ConfigMap: the primary's config is the store's redis.conf
    // settings, the replica's the same plus `replicaof` pod 0.
    let primary = o.config_file("redis.conf");
    let replica = o.config_file("replica.conf");
    for conf in [primary, replica] {
        for line in [
            "port 6379",
            "dir /data",
            "maxmemory 1073741824",
            "min-replicas-to-write 1",
            "aclfile /run/cachegen/users.acl",
            "include /run/cachegen/replication.conf",
        ] {
            assert!(conf.lines().any(|l| l == line), "{line}:\n{conf}");
        }
    }
    assert!(!primary.lines().any(|l| l.starts_with("replicaof ")));
    let pod0 = "shop-durable-0.shop-durable-headless.shop.svc.cluster.local";
    assert_eq!(
        replica
            .lines()
            .filter(|l| l.starts_with("replicaof "))
            .collect::<Vec<_>>(),
        [format!("replicaof {pod0} 6379")]
    );
    // The start scripts ask the Sentinel Service, and fall back to pod 0.
    for script in ["start-redis.sh", "start-sentinel.sh"] {
        let text = o.config_file(script);
        assert!(
            text.contains("shop-durable-sentinel.shop.svc.cluster.local"),
            "{script}"
        );
        assert!(
            text.contains(&format!("FIRST_PRIMARY_HOST:-{pod0}")),
            "{script}"
        );
        assert!(
            text.contains("sentinel get-master-addr-by-name shop-durable"),
            "{script}"
        );
    }

    // Every script is POSIX sh.
    let probes = [
        ReplicatedObjects::probes(&o.data),
        ReplicatedObjects::probes(&o.sentinels),
    ];
    let scripts = probes.iter().flatten().copied().chain([
        o.config_file("start-redis.sh"),
        o.config_file("start-sentinel.sh"),
    ]);
    for script in scripts {
        let status = Command::new("sh")
            .args(["-n", "-c", script])
            .output()
            .unwrap();
        assert!(status.status.success(), "{script}");
    }
}

/// A starting Sentinel may wait PRIMARY_WAIT seconds for the primary
/// (start-sentinel.sh's default): its startupProbe outlasts that, so the
/// liveness probe never kills the wait.
#[test]
fn a_sentinel_waiting_for_the_primary_is_not_killed_by_liveness() {
    let (_, o) = rendered(&shop_text());
    let script = o.config_file("start-sentinel.sh");
    let wait: i32 = script
        .lines()
        .find_map(|l| l.strip_prefix("PRIMARY_WAIT=${PRIMARY_WAIT:-"))
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("no PRIMARY_WAIT default:\n{script}"))
        .parse()
        .unwrap();
    let c = container(&o.sentinels);
    let startup = c.startup_probe.as_ref().expect("a startupProbe");
    let liveness = c.liveness_probe.as_ref().unwrap();
    assert_eq!(startup.exec, liveness.exec);
    let budget = startup.period_seconds.unwrap() * startup.failure_threshold.unwrap();
    assert!(budget > wait, "startup budget {budget}s <= wait {wait}s");
}

#[test]
fn checksums_follow_the_files_each_pod_reads() {
    let text = shop_text();
    let (_, base) = rendered(&text);
    let data_files = [
        "redis.conf",
        "replica.conf",
        "users.acl",
        "install-credentials.sh",
        "start-redis.sh",
    ];
    let sentinel_files = ["users.acl", "install-credentials.sh", "start-sentinel.sh"];
    assert_eq!(
        checksum(&base.data),
        files_checksum(&base.config_map, &data_files)
    );
    assert_eq!(
        checksum(&base.sentinels),
        files_checksum(&base.config_map, &sentinel_files)
    );

    // A comment changes nothing.
    let (_, commented) = rendered(&format!("{text}# a comment\n"));
    assert_eq!(commented.docs, base.docs);

    // An edit elsewhere in the policy (an edge TTL) changes every file's
    // header (the model sha256) and nothing else these pods read: neither
    // StatefulSet rolls (a data pod's roll is a failover).
    let edge = edit(&text, "    product: 15m ", "    product: 14m ");
    let (_, edge) = rendered(&edge);
    assert_ne!(edge.docs, base.docs, "the headers carry the model hash");
    assert_eq!(checksum(&edge.data), checksum(&base.data));
    assert_eq!(checksum(&edge.sentinels), checksum(&base.sentinels));

    // Another maxmemory rolls the data pods, not the Sentinels.
    let changed = edit(&text, "    maxmemory: 1gb\n", "    maxmemory: 1000mb\n");
    let (_, changed) = rendered(&changed);
    assert!(
        changed
            .config_file("replica.conf")
            .contains("\nmaxmemory 1048576000\n")
    );
    assert_ne!(checksum(&changed.data), checksum(&base.data));
    assert_eq!(checksum(&changed.sentinels), checksum(&base.sentinels));
    assert_eq!(
        checksum(&changed.data),
        files_checksum(&changed.config_map, &data_files)
    );
    assert_eq!(
        checksum(&changed.sentinels),
        files_checksum(&changed.config_map, &sentinel_files)
    );

    // Another quorum changes the Sentinels' start script: they roll.
    let changed = edit(&text, "        quorum: 2\n", "        quorum: 3\n");
    let (_, changed) = rendered(&changed);
    assert_ne!(checksum(&changed.sentinels), checksum(&base.sentinels));
}

/// The data budget's comment counts the replicas left in good English.
#[test]
fn the_data_budget_comment_counts_replicas() {
    let (_, files) = render_text("shop.yaml", &shop_text());
    let manifest = &files
        .iter()
        .find(|f| f.path == REPLICATED_MANIFEST)
        .unwrap()
        .contents;
    assert!(
        manifest.contains("# so 1 replica remains for min_replicas_to_write 1."),
        "{manifest}"
    );
    assert!(!manifest.contains(" 1 replicas "), "{manifest}");
}

#[test]
fn budgets_follow_the_policy() {
    let text = shop_text();
    // Every replica needed for writes: no data pod may go voluntarily.
    // 5 Sentinels, quorum 2: a majority (3) must stay.
    let text = edit(
        &text,
        "      min_replicas_to_write: 1\n",
        "      min_replicas_to_write: 2\n",
    );
    let text = edit(&text, "        sentinels: 3\n", "        sentinels: 5\n");
    let (_, o) = rendered(&text);
    let max = |pdb: &k8s_openapi::api::policy::v1::PodDisruptionBudget| {
        pdb.spec.as_ref().unwrap().max_unavailable.clone()
    };
    assert_eq!(max(&o.data_pdb), Some(IntOrString::Int(0)));
    assert_eq!(max(&o.sentinel_pdb), Some(IntOrString::Int(2)));
    assert_eq!(o.sentinels.spec.as_ref().unwrap().replicas, Some(5));
}

#[test]
fn no_password_reaches_any_file() {
    // The binary renders with every password of the policy in its
    // environment: none of them may reach any generated file.
    let (report, _) = rendered(&shop_text());
    let policy = policy_of(&report);
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cachegen"));
    cmd.args(["build", SHOP_POLICY, "--out"]).arg(out.path());
    let mut passwords = Vec::new();
    for store in policy.stores.values() {
        let name = store
            .kubernetes()
            .map_or(store.name.clone(), |(k, _)| k.name.clone());
        for keys in Secrets::for_store(store, &name).0.into_values() {
            for (key, value) in keys {
                cmd.env(key, &value);
                passwords.push(value);
            }
        }
    }
    let status = cmd.output().unwrap();
    assert!(status.status.success(), "{status:?}");
    let files = walk(out.path());
    assert!(
        files.iter().any(|f| f.ends_with(REPLICATED_MANIFEST)),
        "the manifest was written"
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for pw in &passwords {
            assert!(
                !text.contains(pw.as_str()),
                "{} holds a password",
                f.display()
            );
        }
    }
}

/// The error codes of the policy's diagnostics.
fn errors(text: &str) -> Vec<String> {
    check("shop.yaml", text)
        .diagnostics
        .iter()
        .filter(|d| d.severity == cachegen::diag::Severity::Error)
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect()
}

#[test]
fn a_replicated_deployment_the_policy_cannot_run_is_an_error() {
    let text = shop_text();
    assert!(errors(&text).is_empty());
    checked_text("shop.yaml", &text);

    // Without Sentinels nothing would promote a replica, and the pods
    // could not ask who the primary is.
    let sentinel_section = text
        .split("      sentinel:\n")
        .nth(1)
        .unwrap()
        .split("      # On Kubernetes")
        .next()
        .unwrap();
    let without = text.replacen(&format!("      sentinel:\n{sentinel_section}"), "", 1);
    let found = errors(&without);
    assert!(
        found
            .iter()
            .any(|e| e.contains("`replicated.kubernetes` needs `replicated.sentinel`")),
        "{found:?}"
    );

    // TLS: the Sentinels would connect in plain text.
    let tls = edit(
        &text,
        "      clients_from:\n        kubernetes:\n          - namespace: shop\n            labels: {app.kubernetes.io/name: cart}\n",
        "      tls: {port: 6380, cert: {file: /tls/crt}, key: {file: /tls/key}, ca: {file: /tls/ca}}\n      clients_from:\n        kubernetes:\n          - namespace: shop\n            labels: {app.kubernetes.io/name: cart}\n",
    );
    let found = errors(&tls);
    assert!(
        found.iter().any(|e| e
            .contains("`access.tls` is not supported yet for a replicated store on Kubernetes")),
        "{found:?}"
    );

    // A name that leaves no room for `-sentinel-headless`.
    let long = "a".repeat(41);
    let named = edit(
        &text,
        "        image: \"redis:7.2.6\"\n",
        &format!("        name: {long}\n        image: \"redis:7.2.6\"\n"),
    );
    let found = errors(&named);
    assert!(
        found.iter().any(|e| e.contains("at most 40 characters")),
        "{found:?}"
    );
    let fits = named.replace(&long, &"a".repeat(40));
    assert!(errors(&fits).is_empty(), "{:?}", errors(&fits));
    let (_, o) = rendered(&fits);
    for doc in &o.docs {
        assert!(doc["metadata"]["name"].as_str().unwrap().len() <= 63);
    }
    assert_eq!(
        o.sentinel_headless.metadata.name.as_deref(),
        Some(format!("{}-sentinel-headless", "a".repeat(40)).as_str())
    );

    // The memory limit is checked as a cluster's is (CG105).
    let tight = edit(
        &text,
        "        memory_limit: 1536Mi\n",
        "        memory_limit: 1Gi\n",
    );
    let found = errors(&tight);
    assert!(found.iter().any(|e| e.starts_with("CG105 ")), "{found:?}");
}
