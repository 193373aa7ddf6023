//! Owns the Kubernetes target (`kubernetes/redis-cluster.yaml`, only for
//! policies with `cluster.kubernetes`): one multi-document manifest with the
//! node config (ConfigMap), the nodes (StatefulSet), their Services, a
//! PodDisruptionBudget, a NetworkPolicy and the Job that forms the cluster
//! once.
//!
//! The node config carries the same directives as the store's `redis.conf`, taken
//! from `redis_conf::context_in` (one mapping, not two; its access lines point
//! at the pod's in-memory credentials volume), plus what a pod needs (port,
//! bus port, data directory, how a node announces itself). The ConfigMap also
//! carries the store's `users.acl` and `install-credentials.sh`, which an init
//! container runs with passwords from Secret references (`access.rs` decides
//! where each reference lives in the pod). The sha256 of the ConfigMap's
//! files is computed here and set on the pod template, so a change rolls the
//! pods. The shell the pods and the Job run (probes, cluster creation) lives
//! in templates of its own and is embedded as YAML literal blocks
//! (`scripts.rs`); `yaml.rs` owns how values are written as YAML.
//!
//! Every value that reaches the YAML is a quoted scalar built here
//! (`yaml_quote`), or a number, or a literal block checked by `literal_block`;
//! the manifest template only lays them out.

pub mod access;
mod scripts;
mod yaml;

use super::{OutputFile, Programs, RenderError, Renderer, redis_conf};
use crate::policy::model::{Cluster, Kubernetes, Policy, Store};
use crate::redis_directives::{Availability, availability};
use access::{AdminAuth, CREDENTIALS_DIR, Peer, SECRETS_DIR};
use serde::Serialize;
use sha2::{Digest, Sha256};
pub use yaml::yaml_quote;
use yaml::{comment_text, literal_block};

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "kubernetes/redis-cluster.yaml.j2",
        include_str!("../../../templates/kubernetes/redis-cluster.yaml.j2"),
    ),
    (
        "kubernetes/redis.conf.j2",
        include_str!("../../../templates/kubernetes/redis.conf.j2"),
    ),
    (
        "kubernetes/readiness.sh.j2",
        include_str!("../../../templates/kubernetes/readiness.sh.j2"),
    ),
    (
        "kubernetes/liveness.sh.j2",
        include_str!("../../../templates/kubernetes/liveness.sh.j2"),
    ),
    (
        "kubernetes/create-cluster.sh.j2",
        include_str!("../../../templates/kubernetes/create-cluster.sh.j2"),
    ),
    // Included by the probes and the create script.
    (
        "kubernetes/admin-auth.sh.j2",
        include_str!("../../../templates/kubernetes/admin-auth.sh.j2"),
    ),
];

/// The store's files the ConfigMap carries beside redis.conf, as the store's
/// own targets write them: the ACL (no passwords) and its installer.
pub const USERS_ACL: &str = "users.acl";
pub const INSTALLER: &str = "install-credentials.sh";

/// The output file.
pub const MANIFEST_PATH: &str = "kubernetes/redis-cluster.yaml";

/// Client port of every node, in the pod.
pub const PORT: u16 = 6379;
/// Cluster bus port of every node. Before Redis 7.0 it is always the client
/// port + 10000; from 7.0 it is set explicitly (`cluster-port`) to the same.
pub const BUS_PORT: u16 = crate::policy::model::KUBERNETES_BUS_PORT;
/// Where the data volume is mounted: AOF, RDB and `nodes.conf`.
pub const DATA_DIR: &str = "/data";
/// Where the ConfigMap is mounted.
pub const CONFIG_DIR: &str = "/etc/redis";
/// The ConfigMap key and file name of the node config.
pub const CONFIG_FILE: &str = "redis.conf";
/// The cluster DNS domain pod names resolve under. `cluster.local` is the
/// Kubernetes default; the policy has no field for another.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// uid and gid of the `redis` user in the official image (and Valkey's).
pub const REDIS_UID: u32 = 999;

/// How long the create Job waits for every pod to answer, and then for the
/// new cluster to become healthy, in seconds.
const START_TIMEOUT_SECS: u32 = 600;
const HEALTH_TIMEOUT_SECS: u32 = 120;

/// Names of the objects, all derived from `cluster.kubernetes.name` (a
/// DNS-1123 label of at most 52 characters, checked by `lower`).
#[derive(Debug, Clone)]
pub struct Names {
    pub statefulset: String,
    pub headless_service: String,
    pub client_service: String,
    pub config_map: String,
    pub pdb: String,
    pub job: String,
    pub network_policy: String,
}

impl Names {
    pub fn new(name: &str) -> Names {
        Names {
            statefulset: name.to_owned(),
            // ≤ 52 + 9 = 61 characters: a Service name is at most 63.
            headless_service: format!("{name}-headless"),
            client_service: name.to_owned(),
            config_map: format!("{name}-config"),
            pdb: name.to_owned(),
            // ≤ 52 + 7 = 59: the Job's name is also a label value on its
            // pods (`job-name`), at most 63 characters.
            job: format!("{name}-create"),
            network_policy: name.to_owned(),
        }
    }
}

/// The stable DNS name of every node pod, in ordinal order:
/// `<statefulset>-<i>.<headless service>.<namespace>.svc.cluster.local`.
pub fn pod_dns_names(k8s: &Kubernetes, cluster: &Cluster) -> Vec<String> {
    let names = Names::new(&k8s.name);
    (0..node_count(cluster))
        .map(|i| {
            format!(
                "{}-{i}.{}.{}.svc.{CLUSTER_DOMAIN}",
                names.statefulset, names.headless_service, k8s.namespace
            )
        })
        .collect()
}

/// Nodes in the whole cluster: masters × (1 + replicas per master). u32 ×
/// (u32 + 1) fits in u64 whatever the policy says.
fn node_count(cluster: &Cluster) -> u64 {
    u64::from(cluster.masters) * (1 + u64::from(cluster.replicas_per_master))
}

/// The pods' config checksum: the sha256 of every ConfigMap file, each as
/// its name, a NUL and its contents (no two different sets of files give one
/// input).
fn config_checksum(files: &[(&str, &str)]) -> String {
    let mut hasher = Sha256::new();
    for (name, contents) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(contents.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The store's `users.acl` and `install-credentials.sh`, by the same
/// functions the `acl` and `credentials` targets write `stores/<store>/`
/// with, from one derivation of the users: the ConfigMap carries the very
/// bytes of those files, so the two cannot drift.
fn store_access_files(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<(String, String), RenderError> {
    let users = crate::render::access::users(policy, store);
    Ok((
        super::acl::users_acl(store, &users, r)?,
        super::credentials::installer(store, &users, r)?,
    ))
}

// --- The node config -------------------------------------------------------

#[derive(Debug, Serialize)]
struct PodDirective {
    name: &'static str,
    value: String,
    comment: String,
}

#[derive(Debug, Serialize)]
struct ConfContext<'a> {
    /// `version`, `directives`, `skipped`: exactly what redis.conf gets.
    #[serde(flatten)]
    redis: &'a redis_conf::Context,
    name: String,
    masters: u64,
    replicas_per_master: u64,
    nodes: u64,
    config_path: String,
    /// What each pod adds on the command line.
    per_pod: String,
    /// What every pod needs, before the policy's directives.
    pod: Vec<PodDirective>,
}

fn pod_directives(hostnames: bool, tls: bool) -> Vec<PodDirective> {
    let mut pod = Vec::new();
    // With TLS the store's access lines set `tls-port` and `port` (0, or
    // the plain port the policy keeps open).
    if !tls {
        pod.push(PodDirective {
            name: "port",
            value: PORT.to_string(),
            comment: "client port: the Services, the probes and the create Job use it".into(),
        });
    }
    if hostnames {
        pod.push(PodDirective {
            name: "cluster-port",
            value: BUS_PORT.to_string(),
            comment: "cluster bus port, explicit rather than implied by port + 10000".into(),
        });
    }
    pod.push(PodDirective {
        name: "dir",
        value: DATA_DIR.into(),
        comment: "the pod's volume (volumeClaimTemplate `data`): AOF and RDB files and nodes.conf (cluster-config-file is relative to it), kept across restarts and rescheduling".into(),
    });
    if hostnames {
        pod.push(PodDirective {
            name: "cluster-preferred-endpoint-type",
            value: "hostname".into(),
            comment: "redirects and CLUSTER SLOTS/SHARDS name nodes by their stable DNS name (cluster-announce-hostname), not by pod IP, which changes on every restart".into(),
        });
    }
    pod
}

// --- The manifest ----------------------------------------------------------

/// A label: the key is written plain (one of ours), the value quoted.
#[derive(Debug, Serialize)]
struct Label {
    key: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct EnvVar {
    name: String,
    field_path: String,
}

/// A `secretKeyRef`, quoted.
#[derive(Debug, Serialize)]
struct SecretKeyRef {
    secret: String,
    key: String,
}

impl From<&access::SecretKey> for SecretKeyRef {
    fn from(k: &access::SecretKey) -> Self {
        SecretKeyRef {
            secret: yaml_quote(&k.secret),
            key: yaml_quote(&k.key),
        }
    }
}

/// A variable of the init container, from a Secret.
#[derive(Debug, Serialize)]
struct SecretEnvVar {
    name: String,
    secret: String,
    key: String,
}

#[derive(Debug, Serialize)]
struct SecretVolume {
    volume: String,
    secret: String,
    keys: Vec<String>,
    mount_path: String,
    secret_text: String,
    keys_text: String,
}

/// A NetworkPolicy peer: `cidr`, or pods by namespace and labels.
#[derive(Debug, Serialize)]
struct PeerContext {
    cidr: Option<String>,
    namespace: Option<String>,
    labels: Vec<PeerLabel>,
}

/// A label of a declared workload: key and value both the policy's, quoted.
#[derive(Debug, Serialize)]
struct PeerLabel {
    key: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct Manifest {
    // For comments: plain text, one line each.
    /// The engine's server and client programs (`render::Programs`).
    server: &'static str,
    cli: &'static str,
    name_text: String,
    namespace_text: String,
    version_text: String,
    memory_limit_text: String,
    maxmemory_text: String,
    headless_text: String,
    job_text: String,
    masters: u64,
    replicas_per_master: u64,
    nodes: u64,
    hostnames: bool,
    pod_dns_example: String,

    // Quoted YAML scalars.
    namespace: String,
    statefulset: String,
    headless_service: String,
    client_service: String,
    config_map: String,
    pdb: String,
    job: String,
    image: String,
    checksum: String,
    memory: String,
    cpu: Option<String>,
    storage: String,
    storage_class: Option<String>,
    data_dir: String,
    config_dir: String,
    command: Vec<String>,
    env: Vec<EnvVar>,
    probe_command: Vec<String>,
    create_command: Vec<String>,
    install_command: Vec<String>,
    credentials_dir: String,
    network_policy: String,
    /// The operator's password for the probes and the Job, unless it is a
    /// `{file}` reference (the scripts read the file then).
    admin_secret: Option<SecretKeyRef>,
    admin_file: bool,
    init_env: Vec<SecretEnvVar>,
    secret_volumes: Vec<SecretVolume>,
    client_ports: Vec<u16>,
    peer_ports: Vec<u16>,
    clients: Vec<PeerContext>,

    // Comments about credentials.
    credentials_dir_text: String,
    secrets_dir_text: String,
    admin_user_text: String,
    env_secret_text: String,
    env_secret_keys: Vec<String>,
    file_refs: Vec<String>,
    /// The TLS certificate, key and CA paths the pods must hold.
    tls_files: Vec<String>,

    /// On every object.
    labels: Vec<Label>,
    /// On the node pods (and their selector): `labels` + component.
    node_labels: Vec<Label>,
    /// The StatefulSet's, Services', PDB's and anti-affinity's selector.
    selector: Vec<Label>,
    /// On the Job's pod.
    job_labels: Vec<Label>,
    /// The NetworkPolicy's selector of the Job's pod.
    job_selector: Vec<Label>,

    // Numbers.
    port: u16,
    bus_port: u16,
    uid: u32,

    // Literal blocks, each ending in one newline.
    redis_conf: String,
    users_acl: String,
    installer: String,
    readiness: String,
    liveness: String,
    create_script: String,
}

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let Some(cluster) = &store.cluster else {
        return Ok(Vec::new());
    };
    let Some(k8s) = &cluster.kubernetes else {
        return Ok(Vec::new());
    };
    // Host names need `cluster-announce-hostname` (and a redis-cli that
    // creates clusters from names); older versions announce pod IPs.
    let hostnames = availability(
        store.engine,
        "cluster-announce-hostname",
        store.redis.version,
    ) == Availability::Supported;
    let names = Names::new(&k8s.name);
    let masters = u64::from(cluster.masters);
    let replicas_per_master = u64::from(cluster.replicas_per_master);
    let nodes = node_count(cluster);
    let dns_names = pod_dns_names(k8s, cluster);
    let conn = access::client_conn(&store.access, PORT);
    let addrs: Vec<String> = dns_names
        .iter()
        .map(|h| format!("{h}:{}", conn.port))
        .collect();
    let config_path = format!("{CONFIG_DIR}/{CONFIG_FILE}");
    let announce_suffix = format!(
        ".{}.{}.svc.{CLUSTER_DOMAIN}",
        names.headless_service, k8s.namespace
    );

    let programs = Programs::of(store.engine);
    // The pod's command line: the node config plus how it announces itself.
    let (command, env, per_pod) = if hostnames {
        (
            vec![
                programs.server.to_owned(),
                config_path.clone(),
                "--cluster-announce-hostname".to_owned(),
                format!("$(POD_NAME){announce_suffix}"),
            ],
            vec![("POD_NAME", "metadata.name")],
            format!(
                "--cluster-announce-hostname <pod name>{announce_suffix} (its stable DNS name)"
            ),
        )
    } else {
        (
            vec![
                programs.server.to_owned(),
                config_path.clone(),
                "--cluster-announce-ip".to_owned(),
                "$(POD_IP)".to_owned(),
            ],
            vec![("POD_IP", "status.podIP")],
            format!(
                "--cluster-announce-ip <pod IP> (Redis {}.{} has no cluster-announce-hostname)",
                store.redis.version.0, store.redis.version.1
            ),
        )
    };

    let replicas = store.has_replicas();
    let credentials = access::credentials(&store.access, k8s, replicas);
    let network = access::network(&store.access, k8s, PORT, BUS_PORT);

    // The store's access lines (protected mode, the ACL, replication.conf,
    // TLS) with its credentials where the init container installs them.
    let redis = redis_conf::context_in(store, CREDENTIALS_DIR);
    let conf = r.render(
        "kubernetes/redis.conf.j2",
        None,
        &ConfContext {
            redis: &redis,
            name: k8s.name.clone(),
            masters,
            replicas_per_master,
            nodes,
            config_path: config_path.clone(),
            per_pod,
            pod: pod_directives(hostnames, store.access.tls.is_some()),
        },
    )?;
    let redis_conf = literal_block(&conf, "the node config (kubernetes/redis.conf.j2)")?;
    let (users_acl, installer) = store_access_files(policy, store, r)?;
    let users_acl = literal_block(&users_acl, "the store's users.acl")?;
    let installer = literal_block(&installer, "the store's install-credentials.sh")?;
    let checksum = config_checksum(&[
        (CONFIG_FILE, &redis_conf),
        (USERS_ACL, &users_acl),
        (INSTALLER, &installer),
    ]);

    let scripts = scripts::render(
        r,
        &scripts::Inputs {
            cli: programs.cli,
            credentials: &credentials,
            conn: &conn,
            masters,
            replicas_per_master,
            nodes,
            addrs: &addrs,
            hostnames,
        },
    )?;

    let label = |key: &'static str, value: &str| Label {
        key,
        value: yaml_quote(value),
    };
    let labels = || {
        vec![
            label("app.kubernetes.io/name", "redis"),
            label("app.kubernetes.io/instance", &k8s.name),
            label("app.kubernetes.io/managed-by", "cachegen"),
        ]
    };
    let with_component = |component: &str| {
        let mut l = labels();
        l.push(label("app.kubernetes.io/component", component));
        l
    };
    let quote_all = |v: &[String]| v.iter().map(|s| yaml_quote(s)).collect::<Vec<_>>();

    let manifest = Manifest {
        server: programs.server,
        cli: programs.cli,
        name_text: comment_text(&k8s.name),
        namespace_text: comment_text(&k8s.namespace),
        version_text: format!("{}.{}", store.redis.version.0, store.redis.version.1),
        memory_limit_text: comment_text(&k8s.memory_limit),
        maxmemory_text: format!(
            "{} bytes (maxmemory: {})",
            store.redis.maxmemory.bytes(),
            store.redis.maxmemory
        ),
        headless_text: comment_text(&names.headless_service),
        job_text: comment_text(&names.job),
        masters,
        replicas_per_master,
        nodes,
        hostnames,
        pod_dns_example: comment_text(&dns_names[0]),

        namespace: yaml_quote(&k8s.namespace),
        statefulset: yaml_quote(&names.statefulset),
        headless_service: yaml_quote(&names.headless_service),
        client_service: yaml_quote(&names.client_service),
        config_map: yaml_quote(&names.config_map),
        pdb: yaml_quote(&names.pdb),
        job: yaml_quote(&names.job),
        image: yaml_quote(&k8s.image),
        checksum: yaml_quote(&checksum),
        memory: yaml_quote(&k8s.memory_limit),
        cpu: k8s.cpu.as_deref().map(yaml_quote),
        storage: yaml_quote(&k8s.storage),
        storage_class: k8s.storage_class.as_deref().map(yaml_quote),
        data_dir: yaml_quote(DATA_DIR),
        config_dir: yaml_quote(CONFIG_DIR),
        command: quote_all(&command),
        env: env
            .into_iter()
            .map(|(name, field_path)| EnvVar {
                name: yaml_quote(name),
                field_path: yaml_quote(field_path),
            })
            .collect(),
        probe_command: quote_all(&["sh".to_owned(), "-c".to_owned()]),
        create_command: quote_all(&["sh".to_owned(), "-c".to_owned()]),
        install_command: quote_all(&[
            "sh".to_owned(),
            format!("{CONFIG_DIR}/{INSTALLER}"),
            CREDENTIALS_DIR.to_owned(),
        ]),
        credentials_dir: yaml_quote(CREDENTIALS_DIR),
        network_policy: yaml_quote(&names.network_policy),
        admin_secret: match &credentials.admin {
            AdminAuth::Secret(key) => Some(key.into()),
            AdminAuth::File(_) => None,
        },
        admin_file: scripts.admin_file,
        init_env: credentials
            .env
            .iter()
            .map(|e| SecretEnvVar {
                name: yaml_quote(&e.name),
                secret: yaml_quote(&e.from.secret),
                key: yaml_quote(&e.from.key),
            })
            .collect(),
        secret_volumes: credentials
            .volumes
            .iter()
            .map(|v| SecretVolume {
                volume: yaml_quote(&v.volume),
                secret: yaml_quote(&v.secret),
                keys: quote_all(&v.keys),
                mount_path: yaml_quote(&v.mount_path),
                secret_text: comment_text(&v.secret),
                keys_text: comment_text(&v.keys.join(", ")),
            })
            .collect(),
        client_ports: network.client_ports,
        peer_ports: network.peer_ports,
        clients: network
            .clients
            .iter()
            .map(|p| match p {
                Peer::Cidr(cidr) => PeerContext {
                    cidr: Some(yaml_quote(cidr)),
                    namespace: None,
                    labels: Vec::new(),
                },
                Peer::Pods { namespace, labels } => PeerContext {
                    cidr: None,
                    namespace: Some(yaml_quote(namespace)),
                    labels: labels
                        .iter()
                        .map(|(k, v)| PeerLabel {
                            key: yaml_quote(k),
                            value: yaml_quote(v),
                        })
                        .collect(),
                },
            })
            .collect(),
        credentials_dir_text: CREDENTIALS_DIR.to_owned(),
        secrets_dir_text: SECRETS_DIR.to_owned(),
        admin_user_text: comment_text(&credentials.admin_user),
        env_secret_text: comment_text(&credentials.env_secret),
        env_secret_keys: credentials
            .env_secret_keys
            .iter()
            .map(|k| comment_text(k))
            .collect(),
        file_refs: credentials.files.iter().map(|f| comment_text(f)).collect(),
        tls_files: conn.tls_files.iter().map(|f| comment_text(f)).collect(),

        labels: labels(),
        node_labels: with_component("cluster-node"),
        selector: vec![
            label("app.kubernetes.io/instance", &k8s.name),
            label("app.kubernetes.io/component", "cluster-node"),
        ],
        job_labels: with_component("cluster-create"),
        job_selector: vec![
            label("app.kubernetes.io/instance", &k8s.name),
            label("app.kubernetes.io/component", "cluster-create"),
        ],

        port: conn.port,
        bus_port: BUS_PORT,
        uid: REDIS_UID,

        redis_conf,
        users_acl,
        installer,
        readiness: scripts.readiness,
        liveness: scripts.liveness,
        create_script: scripts.create,
    };
    Ok(vec![OutputFile {
        path: MANIFEST_PATH.into(),
        contents: r.render("kubernetes/redis-cluster.yaml.j2", Some("#"), &manifest)?,
    }])
}
