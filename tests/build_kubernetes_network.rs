//! The `kubernetes/` target's network: the NetworkPolicy admits the nodes,
//! the create Job and the declared clients and nobody else, and a TLS store
//! is reached over TLS by the probes and the Job.

mod support;
use cachegen::policy::model::Workload;
use cachegen::render::Templates;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::process::Command;
use support::kubernetes::*;
use support::render::render;

#[test]
fn the_network_policy_admits_the_nodes_the_job_and_the_declared_clients() {
    let (report, _) = render(QUIZMENTOR);
    let mut policy = report.policy.unwrap();
    let store = policy.stores.get_mut("cache").unwrap();
    // Declared clients, whatever the bundled policy declares.
    store.access.clients_from.cidrs = vec!["10.20.0.0/16".into()];
    store.access.clients_from.kubernetes = vec![
        Workload {
            pointer: String::new(),
            namespace: None,
            labels: [("app".to_owned(), "api".to_owned())].into_iter().collect(),
        },
        Workload {
            pointer: String::new(),
            namespace: Some("ops".into()),
            labels: [
                ("app".to_owned(), "verify".to_owned()),
                ("team".to_owned(), "sre".to_owned()),
            ]
            .into_iter()
            .collect(),
        },
    ];
    let origin = cachegen::render::Origin::new(&policy, "quizmentor.yaml");
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let o = objects(manifest_text(&files));
    let k8s = policy.stores["cache"]
        .cluster
        .as_ref()
        .unwrap()
        .kubernetes
        .as_ref()
        .unwrap();

    let np = &o.network_policy;
    assert_eq!(
        np.metadata.namespace.as_deref(),
        Some(k8s.namespace.as_str())
    );
    let spec = np.spec.as_ref().unwrap();
    assert_eq!(
        spec.pod_selector.as_ref().unwrap().match_labels.as_ref(),
        Some(o.selector())
    );
    assert_eq!(
        spec.policy_types.as_deref(),
        Some(&["Ingress".to_owned()][..])
    );
    let rules = spec.ingress.as_ref().unwrap();
    assert_eq!(rules.len(), 3);
    let ports = |i: usize| -> Vec<i32> {
        rules[i]
            .ports
            .iter()
            .flatten()
            .map(|p| {
                assert_eq!(p.protocol.as_deref(), Some("TCP"));
                match p.port.as_ref().unwrap() {
                    IntOrString::Int(n) => *n,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    let labels_of = |peer: &k8s_openapi::api::networking::v1::NetworkPolicyPeer| {
        peer.pod_selector
            .as_ref()
            .unwrap()
            .match_labels
            .clone()
            .unwrap()
    };

    // 1. The nodes: client and bus ports, from pods the StatefulSet's selector picks.
    let from = rules[0].from.as_ref().unwrap();
    assert_eq!(from.len(), 1);
    assert_eq!(&labels_of(&from[0]), o.selector());
    assert!(
        from[0].namespace_selector.is_none(),
        "the store's own namespace"
    );
    assert_eq!(ports(0), [6379, 16379]);

    // 2. The create Job's pods, on the client port only.
    let from = rules[1].from.as_ref().unwrap();
    let job_labels = o
        .job
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone()
        .unwrap();
    let selector = labels_of(&from[0]);
    assert!(
        selector.iter().all(|(k, v)| job_labels.get(k) == Some(v)),
        "{selector:?} selects the Job's pods"
    );
    assert!(
        selector.iter().any(|(k, v)| o.selector().get(k) != Some(v)),
        "not the nodes"
    );
    assert_eq!(ports(1), [6379]);

    // 3. The declared clients, as declared: pods by namespace and labels,
    //    CIDRs as ipBlocks; the client port only.
    let from = rules[2].from.as_ref().unwrap();
    let mut peers = Vec::new();
    for peer in from {
        if let Some(block) = &peer.ip_block {
            assert!(peer.pod_selector.is_none() && peer.namespace_selector.is_none());
            peers.push(format!("cidr {}", block.cidr));
        } else {
            let ns = peer
                .namespace_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap();
            assert_eq!(ns.len(), 1);
            peers.push(format!(
                "{} {:?}",
                ns["kubernetes.io/metadata.name"],
                labels_of(peer)
            ));
        }
    }
    assert_eq!(
        peers,
        [
            format!("{} {{\"app\": \"api\"}}", k8s.namespace),
            "ops {\"app\": \"verify\", \"team\": \"sre\"}".to_owned(),
            "cidr 10.20.0.0/16".to_owned(),
        ]
    );
    assert_eq!(ports(2), [6379]);

    // No declared clients: no client rule at all (nobody else may connect).
    let mut policy = policy;
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.clients_from = Default::default();
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let o = objects(manifest_text(&files));
    assert_eq!(
        o.network_policy
            .spec
            .as_ref()
            .unwrap()
            .ingress
            .as_ref()
            .unwrap()
            .len(),
        2
    );
}

/// A TLS store: clients, the probes and the Job use the TLS port, over TLS,
/// with the node's certificate where clients must present one; the plain
/// port is closed, and the NetworkPolicy opens the TLS port.
#[test]
fn a_tls_store_is_reached_over_tls() {
    let (report, _) = render(QUIZMENTOR);
    let mut policy = report.policy.unwrap();
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.tls = Some(cachegen::policy::model::Tls {
        pointer: String::new(),
        port: 6380,
        plain_port: None,
        cert_file: "/etc/redis/tls/tls.crt".into(),
        key_file: "/etc/redis/tls/tls.key".into(),
        ca_file: "/etc/redis/tls/ca.crt".into(),
        client_certs: cachegen::policy::model::ClientCerts::Required,
    });
    let origin = cachegen::render::Origin::new(&policy, "quizmentor.yaml");
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let text = manifest_text(&files);
    let o = objects(text);

    let ports: BTreeMap<&str, i32> = o
        .node_container()
        .ports
        .iter()
        .flatten()
        .map(|p| (p.name.as_deref().unwrap(), p.container_port))
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([("cluster-bus", 16379), ("redis", 6380)])
    );
    for service in [&o.headless, &o.client] {
        let p = &service.spec.as_ref().unwrap().ports.as_ref().unwrap()[0];
        assert_eq!((p.name.as_deref(), p.port), (Some("redis"), 6380));
    }
    assert!(
        !o.redis_conf().lines().any(|l| l == "port 6379"),
        "{}",
        o.redis_conf()
    );
    // The store's TLS lines: TLS port, plain port closed, bus and
    // replication over TLS.
    for line in [
        "tls-port 6380",
        "port 0",
        "tls-cluster yes",
        "tls-replication yes",
    ] {
        assert!(
            o.redis_conf().lines().any(|l| l == line),
            "{line}: {}",
            o.redis_conf()
        );
    }

    let tls = "--tls --cacert '/etc/redis/tls/ca.crt' --cert '/etc/redis/tls/tls.crt' --key '/etc/redis/tls/tls.key' ";
    for (what, script) in [("readiness", o.readiness()), ("liveness", o.liveness())] {
        assert!(
            script.contains(&format!("redis-cli {tls}-p 6380 --user 'admin' ")),
            "{what}: {script}"
        );
        assert!(!script.contains("6379"), "{what}");
    }
    let create = o.create_script();
    assert!(
        create.contains(&format!("redis-cli {tls}--user 'admin' --cluster create")),
        "{create}"
    );
    assert!(
        create.contains(&format!("redis-cli {tls}--user 'admin' -h ")),
        "{create}"
    );
    for name in o.pod_dns_names() {
        assert!(create.contains(&format!("{name}:6380")), "{name}");
    }
    for script in [o.readiness(), o.liveness(), create] {
        let status = Command::new("sh")
            .args(["-n", "-c", script])
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
    }
    // The pods need the files: the header says so.
    assert!(text.contains("#   /etc/redis/tls/tls.key\n"), "{text}");

    let spec = o.network_policy.spec.as_ref().unwrap();
    let rule_ports = |i: usize| -> Vec<IntOrString> {
        spec.ingress.as_ref().unwrap()[i]
            .ports
            .iter()
            .flatten()
            .map(|p| p.port.clone().unwrap())
            .collect()
    };
    assert_eq!(
        rule_ports(0),
        [IntOrString::Int(6380), IntOrString::Int(16379)]
    );
    assert_eq!(rule_ports(1), [IntOrString::Int(6380)]);
}
