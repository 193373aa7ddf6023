//! Owns the cluster manifest of the Kubernetes target
//! (`kubernetes/redis-cluster.yaml`, for a store with `cluster.kubernetes`):
//! the node config (ConfigMap), the nodes (StatefulSet), their Services, a
//! PodDisruptionBudget, a NetworkPolicy and the Job that forms the cluster
//! once.

use super::access::{self, CREDENTIALS_DIR};
use super::conf::{NodeKind, node_conf, pod_directives};
use super::yaml::{comment_text, literal_block, yaml_quote};
use super::{
    BUS_PORT, CLUSTER_DOMAIN, CONFIG_DIR, CONFIG_FILE, DATA_DIR, INSTALLER, PORT, USERS_ACL,
    config_checksum, pod, scripts, store_access_files,
};
use crate::policy::model::{Cluster, Kubernetes, Policy, Store};
use crate::redis_directives::{Availability, availability};
use crate::render::{OutputFile, Programs, RenderError, Renderer, redis_conf};
use serde::Serialize;

/// The output file.
pub const MANIFEST_PATH: &str = "kubernetes/redis-cluster.yaml";

/// Names of the objects, all derived from `cluster.kubernetes.name` (a
/// DNS-1123 label of at most 52 characters, checked by `lower`).
#[derive(Debug, Clone)]
pub(super) struct Names {
    pub statefulset: String,
    pub headless_service: String,
    pub client_service: String,
    pub config_map: String,
    pub pdb: String,
    pub job: String,
    pub network_policy: String,
}

impl Names {
    pub(super) fn new(name: &str) -> Names {
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
pub(super) fn pod_dns_names(k8s: &Kubernetes, cluster: &Cluster) -> Vec<String> {
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

#[derive(Debug, Serialize)]
struct Manifest {
    /// The credentials of the node pods (and the Job's operator login).
    #[serde(flatten)]
    pod: pod::PodCredentials,

    // For comments: plain text, one line each.
    /// The engine's server and client programs (`render::Programs`).
    server: &'static str,
    cli: &'static str,
    name_text: String,
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
    checksum: String,
    memory: String,
    cpu: Option<String>,
    storage: String,
    storage_class: Option<String>,
    data_dir: String,
    command: Vec<String>,
    env: Vec<pod::EnvVar>,
    probe_command: Vec<String>,
    create_command: Vec<String>,
    network_policy: String,
    client_ports: Vec<u16>,
    peer_ports: Vec<u16>,
    clients: Vec<pod::PeerContext>,

    /// The TLS certificate, key and CA paths the pods must hold.
    tls_files: Vec<String>,

    /// On every object.
    labels: Vec<pod::Label>,
    /// On the node pods (and their selector): `labels` + component.
    node_labels: Vec<pod::Label>,
    /// The StatefulSet's, Services', PDB's and anti-affinity's selector.
    selector: Vec<pod::Label>,
    /// On the Job's pod.
    job_labels: Vec<pod::Label>,
    /// The NetworkPolicy's selector of the Job's pod.
    job_selector: Vec<pod::Label>,

    // Numbers.
    port: u16,
    bus_port: u16,

    // Literal blocks, each ending in one newline.
    redis_conf: String,
    users_acl: String,
    installer: String,
    readiness: String,
    liveness: String,
    create_script: String,
}

pub(super) fn render(
    policy: &Policy,
    store: &Store,
    cluster: &Cluster,
    k8s: &Kubernetes,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
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
            [("POD_NAME", "metadata.name")],
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
            [("POD_IP", "status.podIP")],
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
    let about = [
        format!(
            "redis.conf of every node of {}: {masters} masters x {replicas_per_master} replicas = {nodes} pods.",
            k8s.name
        ),
        format!("Mounted from this ConfigMap at {config_path}. The StatefulSet's pod template"),
        "carries the sha256 of the ConfigMap's files (checksum/config), so any change".into(),
        "here but to this header rolls the pods.".into(),
        "Set per pod on the command line, not here:".into(),
        format!("  {per_pod}"),
    ];
    let redis_conf = node_conf(
        r,
        &redis,
        &about,
        &pod_directives(NodeKind::Cluster { hostnames }, store.access.tls.is_some()),
        &[],
    )?;
    let (users_acl, installer) = store_access_files(policy, store, r)?;
    let users_acl = literal_block(&users_acl, "the store's users.acl")?;
    let installer = literal_block(&installer, "the store's install-credentials.sh")?;
    let checksum = config_checksum(
        r,
        &[
            (CONFIG_FILE, &redis_conf),
            (USERS_ACL, &users_acl),
            (INSTALLER, &installer),
        ],
    );

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

    let manifest = Manifest {
        pod: pod::pod_credentials(k8s, &credentials),
        server: programs.server,
        cli: programs.cli,
        name_text: comment_text(&k8s.name),
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
        checksum: yaml_quote(&checksum),
        memory: yaml_quote(&k8s.memory_limit),
        cpu: k8s.cpu.as_deref().map(yaml_quote),
        storage: yaml_quote(&k8s.storage),
        storage_class: k8s.storage_class.as_deref().map(yaml_quote),
        data_dir: yaml_quote(DATA_DIR),
        command: pod::quote_all(&command),
        env: pod::field_env(&env),
        probe_command: pod::sh_c(),
        create_command: pod::sh_c(),
        network_policy: yaml_quote(&names.network_policy),
        client_ports: network.client_ports.clone(),
        peer_ports: network.peer_ports.clone(),
        clients: pod::client_peers(&network),
        tls_files: conn.tls_files.iter().map(|f| comment_text(f)).collect(),

        labels: pod::labels(&k8s.name),
        node_labels: pod::component_labels(&k8s.name, "cluster-node"),
        selector: pod::selector(&k8s.name, "cluster-node"),
        job_labels: pod::component_labels(&k8s.name, "cluster-create"),
        job_selector: pod::selector(&k8s.name, "cluster-create"),

        port: conn.port,
        bus_port: BUS_PORT,

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
