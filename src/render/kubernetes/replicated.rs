//! Owns the replicated manifest of the Kubernetes target
//! (`kubernetes/redis-replicated.yaml`, for a store with
//! `replicated.kubernetes`, which lower allows only with Sentinels): the
//! data pods' and Sentinels' files (ConfigMap), the data pods and the
//! Sentinels (two StatefulSets), their Services, two PodDisruptionBudgets and
//! two NetworkPolicies.
//!
//! Every pod starts from a script (`start-redis.sh`, `start-sentinel.sh`)
//! that asks the Sentinels which pod is the primary and falls back to pod 0
//! only when none can be reached (the scripts say why). The numbers the budgets
//! and comments print are computed here, never in the template.

use super::access::{self, CREDENTIALS_DIR};
use super::conf::{NodeKind, node_conf, pod_directives};
use super::yaml::{comment_text, literal_block, yaml_quote};
use super::{
    CLUSTER_DOMAIN, CONFIG_DIR, CONFIG_FILE, DATA_DIR, INSTALLER, PORT, USERS_ACL, config_checksum,
    pod, scripts, store_access_files,
};
use crate::policy::model::{Kubernetes, Policy, Replicated, Sentinel, Store};
use crate::render::redis_conf::{self, ReplicaOf};
use crate::render::sentinel::{SENTINEL_PORT, SENTINEL_WORKING_FILE};
use crate::render::{OutputFile, Programs, RenderError, Renderer};
use serde::Serialize;

/// The output file.
pub const MANIFEST_PATH: &str = "kubernetes/redis-replicated.yaml";

/// The ConfigMap's replica config and start scripts.
pub const REPLICA_CONFIG_FILE: &str = "replica.conf";
pub const START_REDIS: &str = "start-redis.sh";
pub const START_SENTINEL: &str = "start-sentinel.sh";
/// The data pod's working copy of its config, in the credentials volume.
const DATA_WORKING_FILE: &str = "redis.conf";

/// Names of the objects, all derived from `replicated.kubernetes.name` (a
/// DNS-1035 label of at most 40 characters, checked by `lower`, so the
/// longest, `-sentinel-headless`, stays within a Service name's 63).
struct Names {
    statefulset: String,
    headless: String,
    config_map: String,
    data_pdb: String,
    network_policy: String,
    sentinel_statefulset: String,
    sentinel_headless: String,
    sentinel_service: String,
    sentinel_pdb: String,
    sentinel_network_policy: String,
}

impl Names {
    fn new(name: &str) -> Names {
        let sentinel = format!("{name}-sentinel");
        Names {
            statefulset: name.to_owned(),
            headless: format!("{name}-headless"),
            config_map: format!("{name}-config"),
            data_pdb: name.to_owned(),
            network_policy: name.to_owned(),
            sentinel_headless: format!("{sentinel}-headless"),
            sentinel_statefulset: sentinel.clone(),
            sentinel_service: sentinel.clone(),
            sentinel_pdb: sentinel.clone(),
            sentinel_network_policy: sentinel,
        }
    }
}

/// The PodDisruptionBudgets' numbers.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Budgets {
    /// Data pods: one at a time (each return means a resync), and none
    /// when fewer replicas than `min_replicas_to_write` would remain.
    pub data_max_unavailable: u32,
    /// Sentinels that must stay: the quorum to agree the primary is down
    /// and a majority to elect the leader that runs the failover.
    pub sentinels_needed: u32,
    pub sentinel_max_unavailable: u32,
}

pub(super) fn budgets(replicated: &Replicated, sentinel: &Sentinel) -> Budgets {
    let spare = replicated
        .replicas
        .saturating_sub(replicated.min_replicas_to_write.unwrap_or(0));
    let sentinels_needed = sentinel.quorum.max(sentinel.majority());
    Budgets {
        data_max_unavailable: spare.min(1),
        sentinels_needed,
        sentinel_max_unavailable: sentinel.sentinels.saturating_sub(sentinels_needed),
    }
}

#[derive(Debug, Serialize)]
struct Manifest {
    /// The credentials of every pod (both StatefulSets run the installer).
    #[serde(flatten)]
    pod: pod::PodCredentials,

    // For comments: plain text, one line each.
    /// The engine's server program (`render::Programs`).
    server: &'static str,
    name_text: String,
    version_text: String,
    master_text: String,
    memory_limit_text: String,
    maxmemory_text: String,
    headless_text: String,
    sentinel_headless_text: String,
    sentinel_service_text: String,
    sentinel_statefulset_text: String,
    pod_dns_example: String,
    data_pdb_why: String,
    replicas: u32,
    data_pods: u64,
    sentinels: u32,
    quorum: u32,
    majority: u32,
    sentinels_needed: u32,

    // Quoted YAML scalars.
    namespace: String,
    statefulset: String,
    headless_service: String,
    config_map: String,
    data_pdb: String,
    network_policy: String,
    sentinel_statefulset: String,
    sentinel_headless: String,
    sentinel_service: String,
    sentinel_pdb: String,
    sentinel_network_policy: String,
    data_checksum: String,
    sentinel_checksum: String,
    memory: String,
    cpu: Option<String>,
    storage: String,
    storage_class: Option<String>,
    data_dir: String,
    data_command: Vec<String>,
    sentinel_command: Vec<String>,
    env: Vec<pod::EnvVar>,
    probe_command: Vec<String>,
    clients: Vec<pod::PeerContext>,

    labels: Vec<pod::Label>,
    data_labels: Vec<pod::Label>,
    data_selector: Vec<pod::Label>,
    sentinel_labels: Vec<pod::Label>,
    sentinel_selector: Vec<pod::Label>,

    // Numbers.
    port: u16,
    sentinel_port: u16,
    data_max_unavailable: u32,
    sentinel_max_unavailable: u32,

    // Literal blocks, each ending in one newline.
    redis_conf: String,
    replica_conf: String,
    users_acl: String,
    installer: String,
    start_redis: String,
    start_sentinel: String,
    readiness: String,
    liveness: String,
    sentinel_readiness: String,
    sentinel_liveness: String,
    /// The Sentinel's startupProbe: its period and failures allowed, which
    /// outlast start-sentinel.sh's wait for the primary.
    sentinel_startup_period: u32,
    sentinel_startup_failures: u32,
    primary_wait: u32,
}

/// The Sentinel's startupProbe period, in seconds.
const SENTINEL_STARTUP_PERIOD_SECS: u32 = 10;

pub(super) fn render(
    policy: &Policy,
    store: &Store,
    replicated: &Replicated,
    sentinel: &Sentinel,
    k8s: &Kubernetes,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let names = Names::new(&k8s.name);
    let domain = format!("{}.svc.{CLUSTER_DOMAIN}", k8s.namespace);
    let data_suffix = format!(".{}.{domain}", names.headless);
    let sentinel_suffix = format!(".{}.{domain}", names.sentinel_headless);
    let first_primary = format!("{}-0{data_suffix}", names.statefulset);
    let sentinel_host = format!("{}.{domain}", names.sentinel_service);
    let data_pods = 1 + u64::from(replicated.replicas);
    let programs = Programs::of(store.engine);
    // Lower refuses `access.tls` here: the pods talk plain Redis on PORT.
    let credentials = access::credentials(&store.access, k8s, store.has_replicas());
    let network = access::network(&store.access, k8s, PORT, SENTINEL_PORT);
    let budgets = budgets(replicated, sentinel);

    // The primary's config and the replicas' (the same settings plus
    // `replicaof` pod 0, which start-redis.sh replaces with the primary the
    // Sentinels name), with the credentials where the init container
    // installs them.
    let mut redis = redis_conf::context_in(store, CREDENTIALS_DIR);
    let pod_lines = pod_directives(NodeKind::Replicated, false);
    let about = |which: &str| {
        [
            format!(
                "{which} of {}: 1 primary + {} replicas = {data_pods} pods.",
                k8s.name, replicated.replicas
            ),
            format!(
                "Mounted from this ConfigMap at {CONFIG_DIR}; start-redis.sh runs the pod from a"
            ),
            format!(
                "working copy in {CREDENTIALS_DIR} (CONFIG REWRITE writes masterauth into it),"
            ),
            "with this pod's port, dir, replica-announce-ip (its DNS name) and, on a".into(),
            "replica, the replicaof of the primary the Sentinels name. The pod template".into(),
            "carries the sha256 of the files a pod reads (checksum/config).".into(),
        ]
    };
    let redis_conf = node_conf(r, &redis, &about("The primary's config"), &pod_lines, &[])?;
    redis.replicaof = Some(ReplicaOf {
        host: first_primary.clone(),
        port: PORT,
    });
    let replica_conf = node_conf(
        r,
        &redis,
        &about("A replica's config"),
        &pod_lines,
        &[
            "Pod 0, the first primary; start-redis.sh writes the primary the Sentinels".into(),
            "name instead, and Sentinel rewrites this line at every failover.".into(),
        ],
    )?;
    let (users_acl, installer) = store_access_files(policy, store, r)?;
    let users_acl = literal_block(&users_acl, "the store's users.acl")?;
    let installer = literal_block(&installer, "the store's install-credentials.sh")?;

    let scripts = scripts::replicated(
        r,
        &scripts::ReplicatedInputs {
            server: programs.server,
            cli: programs.cli,
            credentials: &credentials,
            master: &sentinel.master_name,
            quorum: sentinel.quorum,
            first_primary: &first_primary,
            sentinel_host: &sentinel_host,
            data_suffix: &data_suffix,
            sentinel_suffix: &sentinel_suffix,
            port: PORT,
            sentinel_port: SENTINEL_PORT,
            primary_conf: CONFIG_FILE,
            replica_conf: REPLICA_CONFIG_FILE,
            data_working_conf: DATA_WORKING_FILE,
            sentinel_working_conf: SENTINEL_WORKING_FILE,
        },
    )?;
    // Each StatefulSet rolls when a file its pods read changes.
    let data_checksum = config_checksum(
        r,
        &[
            (CONFIG_FILE, &redis_conf),
            (REPLICA_CONFIG_FILE, &replica_conf),
            (USERS_ACL, &users_acl),
            (INSTALLER, &installer),
            (START_REDIS, &scripts.start_redis),
        ],
    );
    let sentinel_checksum = config_checksum(
        r,
        &[
            (USERS_ACL, &users_acl),
            (INSTALLER, &installer),
            (START_SENTINEL, &scripts.start_sentinel),
        ],
    );

    let data_pdb_why = match replicated.min_replicas_to_write {
        Some(n) if budgets.data_max_unavailable == 0 => format!(
            "since min_replicas_to_write {n} needs every one of the {} replicas: a drain waits until the policy allows one down",
            replicated.replicas
        ),
        Some(n) => {
            let left = replicated.replicas - budgets.data_max_unavailable;
            let plural = if left == 1 {
                "replica remains"
            } else {
                "replicas remain"
            };
            format!("so {left} {plural} for min_replicas_to_write {n}")
        }
        None => "each return means a resync".into(),
    };
    let start_command =
        |script: &str| pod::quote_all(&["sh".to_owned(), format!("{CONFIG_DIR}/{script}")]);

    let manifest = Manifest {
        pod: pod::pod_credentials(k8s, &credentials),
        server: programs.server,
        name_text: comment_text(&names.statefulset),
        version_text: format!("{}.{}", store.redis.version.0, store.redis.version.1),
        master_text: comment_text(&sentinel.master_name),
        memory_limit_text: comment_text(&k8s.memory_limit),
        maxmemory_text: format!(
            "{} bytes (maxmemory: {})",
            store.redis.maxmemory.bytes(),
            store.redis.maxmemory
        ),
        headless_text: comment_text(&names.headless),
        sentinel_headless_text: comment_text(&names.sentinel_headless),
        sentinel_service_text: comment_text(&names.sentinel_service),
        sentinel_statefulset_text: comment_text(&names.sentinel_statefulset),
        pod_dns_example: comment_text(&first_primary),
        data_pdb_why,
        replicas: replicated.replicas,
        data_pods,
        sentinels: sentinel.sentinels,
        quorum: sentinel.quorum,
        majority: sentinel.majority(),
        sentinels_needed: budgets.sentinels_needed,

        namespace: yaml_quote(&k8s.namespace),
        statefulset: yaml_quote(&names.statefulset),
        headless_service: yaml_quote(&names.headless),
        config_map: yaml_quote(&names.config_map),
        data_pdb: yaml_quote(&names.data_pdb),
        network_policy: yaml_quote(&names.network_policy),
        sentinel_statefulset: yaml_quote(&names.sentinel_statefulset),
        sentinel_headless: yaml_quote(&names.sentinel_headless),
        sentinel_service: yaml_quote(&names.sentinel_service),
        sentinel_pdb: yaml_quote(&names.sentinel_pdb),
        sentinel_network_policy: yaml_quote(&names.sentinel_network_policy),
        data_checksum: yaml_quote(&data_checksum),
        sentinel_checksum: yaml_quote(&sentinel_checksum),
        memory: yaml_quote(&k8s.memory_limit),
        cpu: k8s.cpu.as_deref().map(yaml_quote),
        storage: yaml_quote(&k8s.storage),
        storage_class: k8s.storage_class.as_deref().map(yaml_quote),
        data_dir: yaml_quote(DATA_DIR),
        data_command: start_command(START_REDIS),
        sentinel_command: start_command(START_SENTINEL),
        env: pod::field_env(&[("POD_NAME", "metadata.name")]),
        probe_command: pod::sh_c(),
        clients: pod::client_peers(&network),

        labels: pod::labels(&k8s.name),
        data_labels: pod::component_labels(&k8s.name, "data"),
        data_selector: pod::selector(&k8s.name, "data"),
        sentinel_labels: pod::component_labels(&k8s.name, "sentinel"),
        sentinel_selector: pod::selector(&k8s.name, "sentinel"),

        port: PORT,
        sentinel_port: SENTINEL_PORT,
        data_max_unavailable: budgets.data_max_unavailable,
        sentinel_max_unavailable: budgets.sentinel_max_unavailable,

        redis_conf,
        replica_conf,
        users_acl,
        installer,
        start_redis: scripts.start_redis,
        start_sentinel: scripts.start_sentinel,
        readiness: scripts.readiness,
        liveness: scripts.liveness,
        sentinel_readiness: scripts.sentinel_readiness,
        sentinel_liveness: scripts.sentinel_liveness,
        sentinel_startup_period: SENTINEL_STARTUP_PERIOD_SECS,
        sentinel_startup_failures: scripts::PRIMARY_WAIT_SECS / SENTINEL_STARTUP_PERIOD_SECS + 3,
        primary_wait: scripts::PRIMARY_WAIT_SECS,
    };
    Ok(vec![OutputFile {
        path: MANIFEST_PATH.into(),
        contents: r.render("kubernetes/redis-replicated.yaml.j2", Some("#"), &manifest)?,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::units::Duration;

    fn replicated(replicas: u32, min: Option<u32>) -> Replicated {
        Replicated {
            replicas,
            min_replicas_to_write: min,
            min_replicas_max_lag: None,
            sentinel: None,
            kubernetes: None,
        }
    }

    fn sentinel(sentinels: u32, quorum: u32) -> Sentinel {
        Sentinel {
            sentinels,
            quorum,
            down_after: Duration::from_secs(30),
            failover_timeout: Duration::from_secs(180),
            parallel_syncs: 1,
            master_name: "m".into(),
        }
    }

    #[test]
    fn budgets_keep_writes_and_failovers_possible() {
        // 3 Sentinels, quorum 2: a majority (2) must stay, one may go.
        let b = budgets(&replicated(2, Some(1)), &sentinel(3, 2));
        assert_eq!(
            b,
            Budgets {
                data_max_unavailable: 1,
                sentinels_needed: 2,
                sentinel_max_unavailable: 1
            }
        );
        // A quorum of 1 still needs the majority to elect a leader.
        assert_eq!(
            budgets(&replicated(2, None), &sentinel(5, 1)).sentinels_needed,
            3
        );
        // A quorum above the majority (CG601) is what must stay.
        let b = budgets(&replicated(2, None), &sentinel(5, 4));
        assert_eq!((b.sentinels_needed, b.sentinel_max_unavailable), (4, 1));
        // Every replica needed for writes: no data pod may go.
        assert_eq!(
            budgets(&replicated(2, Some(2)), &sentinel(3, 2)).data_max_unavailable,
            0
        );
        // Otherwise one at a time, whatever the spare.
        assert_eq!(
            budgets(&replicated(4, Some(1)), &sentinel(3, 2)).data_max_unavailable,
            1
        );
    }
}
