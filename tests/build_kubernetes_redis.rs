//! What a Kubernetes pod runs, proven on a real local Redis (there is no
//! Kubernetes API server here): nodes started with the ConfigMap's
//! redis.conf and the StatefulSet's command line, formed into the policy's
//! cluster by the Job's script, and judged by the pods' probe scripts.

mod support;
use std::time::{Duration, Instant};
use support::kubernetes::*;
use support::render::render_text;
use support::{Client, Reply};

#[test]
fn the_pods_config_the_jobs_script_and_the_probes_on_a_real_redis() {
    on_a_real_redis(&quizmentor_text());
}

/// The init container's installer run into a fresh credentials volume.
fn install_credentials(o: &Objects, secrets: &Secrets) -> tempfile::TempDir {
    support::kubernetes::install_credentials(
        &o.config_map,
        &["redis.conf", "users.acl", "install-credentials.sh"],
        o.node_pod_spec(),
        o.init_container(),
        secrets,
    )
}

fn on_a_real_redis(policy_text: &str) {
    support::redis_cli_binary(); // a clear message when it is missing
    let (report, files) = render_text("quizmentor.yaml", policy_text);
    let hostnames = policy_of(&report).first_store().redis.version >= (7, 0);
    let policy = policy_of(&report);
    let o = objects(manifest_text(&files));
    let nodes = o.statefulset.spec.as_ref().unwrap().replicas.unwrap() as usize;
    let command = o.node_container().command.clone().unwrap();
    // One client and one bus port per node, plus one pair for a spare node.
    let ports = support::free_ports(2 * (nodes + 1));
    let (client_ports, bus_ports) = ports.split_at(nodes + 1);
    let (client_ports, spare) = (&client_ports[..nodes], client_ports[nodes]);
    let spare_bus = bus_ports[nodes];

    // The init container: the ConfigMap's installer, run as its command
    // says, with its environment from the Secret, into the credentials
    // volume.
    let store = policy.first_store();
    let k8s_name = &store
        .cluster
        .as_ref()
        .unwrap()
        .kubernetes
        .as_ref()
        .unwrap()
        .name;
    let secrets = Secrets::for_store(store, k8s_name);
    let credentials = install_credentials(&o, &secrets);
    let start =
        |port: u16, bus: u16| Node::start(o.redis_conf(), credentials.path(), &command, port, bus);
    let started: Vec<Node> = (0..nodes)
        .map(|i| start(client_ports[i], bus_ports[i]))
        .collect();
    let probe_env = secrets.env_of(o.node_container());
    let job_env = secrets.env_of(o.job_container());
    let admin_password = &probe_env
        .iter()
        .find(|(k, _)| k == "REDISCLI_AUTH")
        .expect("the probes authenticate")
        .1;

    // Nobody gets in without a password, and `default` cannot log in.
    let mut c = Client::connect(started[0].port).unwrap();
    let Reply::Error(e) = c.command(&["PING"]).unwrap() else {
        panic!("an unauthenticated PING was served");
    };
    assert!(e.starts_with("NOAUTH"), "{e}");
    assert!(matches!(
        c.command(&["AUTH", "default", ""]).unwrap(),
        Reply::Error(e) if e.starts_with("WRONGPASS")
    ));
    assert_eq!(
        c.command(&["AUTH", &store.access.admin.user, admin_password])
            .unwrap(),
        Reply::Simple("OK".into())
    );

    // The ConfigMap's redis.conf, as Redis reads it.
    assert_eq!(
        c.config_get("maxmemory"),
        Some(policy.first_store().redis.maxmemory.bytes().to_string())
    );
    if hostnames {
        assert_eq!(
            c.config_get("cluster-preferred-endpoint-type").as_deref(),
            Some("hostname")
        );
        assert_eq!(
            c.config_get("cluster-announce-hostname").as_deref(),
            Some("127.0.0.1")
        );
    } else {
        assert_eq!(
            c.config_get("cluster-preferred-endpoint-type").as_deref(),
            Some("ip")
        );
        assert_eq!(
            c.config_get("cluster-announce-ip").as_deref(),
            Some("127.0.0.1")
        );
    }
    // quizmentor's cache does not persist (its durable data has a store of
    // its own); whatever the policy says, the node runs with it.
    let appendonly = if policy.first_store().redis.appendonly {
        "yes"
    } else {
        "no"
    };
    assert_eq!(c.config_get("appendonly").as_deref(), Some(appendonly));
    assert!(
        started[0].data_dir().join("nodes.conf").is_file(),
        "nodes.conf lives in `dir`, on the volume"
    );

    // Before the cluster exists: alive, not ready.
    let readiness: Vec<String> = started
        .iter()
        .map(|n| probe_on(o.readiness(), n.port))
        .collect();
    let liveness = probe_on(o.liveness(), started[0].port);
    assert!(
        succeeds(&liveness, &probe_env),
        "liveness before the cluster exists"
    );
    assert!(
        !succeeds(&readiness[0], &probe_env),
        "ready before the cluster exists"
    );
    // A wrong password (a stale Secret, say): neither alive nor ready.
    let wrong = [("REDISCLI_AUTH".to_owned(), "not-the-password".to_owned())];
    assert!(!succeeds(&liveness, &wrong));
    // Nothing answering: not alive.
    assert!(!succeeds(&probe_on(o.liveness(), spare), &probe_env));

    // The Job forms the cluster and waits until it is healthy.
    let dns = o.pod_dns_names();
    let script = create_script_on(o.create_script(), &dns, client_ports);
    let started_at = Instant::now();
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "the create script failed ({status:?}) after {:?}:\n{out}",
        started_at.elapsed()
    );
    assert!(
        out.contains("create-cluster: healthy: 3 masters x 2 replicas"),
        "{out}"
    );
    eprintln!("create script: healthy in {:.1?}", started_at.elapsed());

    // Every pod is ready now, and the cluster has the policy's shape.
    for (i, probe) in readiness.iter().enumerate() {
        assert!(
            succeeds(probe, &probe_env),
            "node {i} not ready after the Job"
        );
        assert!(
            !succeeds(probe, &wrong),
            "node {i} ready to a wrong password"
        );
    }
    let info = match c.command(&["CLUSTER", "INFO"]).unwrap() {
        Reply::Bulk(Some(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        support::info_field(&info, "cluster_known_nodes").as_deref(),
        Some("9")
    );
    assert_eq!(
        support::info_field(&info, "cluster_size").as_deref(),
        Some("3")
    );

    // Run again (a re-applied Job): it leaves the cluster alone.
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(60));
    assert!(status.is_some_and(|s| s.success()), "{out}");
    assert!(out.contains("the cluster exists"), "{out}");
    assert!(!out.contains("creating"), "{out}");

    // A pod that lost its volume comes back empty: a partly formed cluster is
    // an error, never created over.
    let _empty = start(spare, spare_bus);
    let mut partial_ports = client_ports.to_vec();
    partial_ports[nodes - 1] = spare;
    let script = create_script_on(o.create_script(), &dns, &partial_ports);
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(60));
    assert!(status.is_some_and(|s| !s.success()), "{out}");
    assert!(
        out.contains("partly formed (8 of 9 nodes know all 9 nodes, 1 are empty)"),
        "{out}"
    );
}
