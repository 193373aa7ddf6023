//! Owns the Kubernetes target: one multi-document manifest per store that
//! declares `kubernetes:`, `kubernetes/redis-cluster.yaml` for a cluster
//! (`cluster.rs`) or `kubernetes/redis-replicated.yaml` for a replicated
//! store under Sentinel (`replicated.rs`).
//!
//! The data nodes' config carries the same directives as the store's
//! `redis.conf`, taken from `redis_conf::context_in` (one mapping, not two;
//! its access lines point at the pod's in-memory credentials volume), plus
//! what a pod needs (`conf.rs`). The ConfigMap also carries the store's
//! `users.acl` and `install-credentials.sh`, which an init container runs
//! with passwords from Secret references (`access.rs` decides where each
//! reference lives in the pod, `pod.rs` turns that into template context).
//! The sha256 of the ConfigMap's files a pod reads (less the generated
//! header) is computed here and set on its pod template, so a change rolls
//! the pods and an edit elsewhere in the policy does not. The shell the pods run
//! (probes, start scripts, cluster creation) lives in templates of its own,
//! embedded as YAML literal blocks or ConfigMap files (`scripts.rs`);
//! `yaml.rs` owns how values are written as YAML.
//!
//! Every value that reaches the YAML is a quoted scalar built here
//! (`yaml_quote`), or a number, or a literal block checked by `literal_block`;
//! the manifest templates only lay them out.

pub mod access;
mod cluster;
mod conf;
mod pod;
mod replicated;
mod scripts;
mod yaml;

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::{Policy, Store};
use sha2::{Digest, Sha256};
pub use yaml::yaml_quote;

/// The template of every manifest, included fragment and script.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "kubernetes/redis-cluster.yaml.j2",
        include_str!("../../../templates/kubernetes/redis-cluster.yaml.j2"),
    ),
    (
        "kubernetes/redis-replicated.yaml.j2",
        include_str!("../../../templates/kubernetes/redis-replicated.yaml.j2"),
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
        "kubernetes/sentinel-probe.sh.j2",
        include_str!("../../../templates/kubernetes/sentinel-probe.sh.j2"),
    ),
    (
        "kubernetes/create-cluster.sh.j2",
        include_str!("../../../templates/kubernetes/create-cluster.sh.j2"),
    ),
    (
        "kubernetes/start-redis.sh.j2",
        include_str!("../../../templates/kubernetes/start-redis.sh.j2"),
    ),
    (
        "kubernetes/start-sentinel.sh.j2",
        include_str!("../../../templates/kubernetes/start-sentinel.sh.j2"),
    ),
    // Included by the probes, the create script and the start scripts.
    (
        "kubernetes/admin-auth.sh.j2",
        include_str!("../../../templates/kubernetes/admin-auth.sh.j2"),
    ),
    // Included by both start scripts.
    (
        "kubernetes/start-common.sh.j2",
        include_str!("../../../templates/kubernetes/start-common.sh.j2"),
    ),
    // YAML fragments both manifests include.
    (
        "kubernetes/pod-security.yaml.j2",
        include_str!("../../../templates/kubernetes/pod-security.yaml.j2"),
    ),
    (
        "kubernetes/install-credentials.yaml.j2",
        include_str!("../../../templates/kubernetes/install-credentials.yaml.j2"),
    ),
    (
        "kubernetes/credential-volumes.yaml.j2",
        include_str!("../../../templates/kubernetes/credential-volumes.yaml.j2"),
    ),
    (
        "kubernetes/admin-env.yaml.j2",
        include_str!("../../../templates/kubernetes/admin-env.yaml.j2"),
    ),
    (
        "kubernetes/container-security.yaml.j2",
        include_str!("../../../templates/kubernetes/container-security.yaml.j2"),
    ),
    (
        "kubernetes/client-peers.yaml.j2",
        include_str!("../../../templates/kubernetes/client-peers.yaml.j2"),
    ),
];

/// The store's files the ConfigMap carries beside the node config, as the
/// store's own targets write them: the ACL (no passwords) and its installer.
pub const USERS_ACL: &str = "users.acl";
pub const INSTALLER: &str = "install-credentials.sh";

pub use cluster::MANIFEST_PATH;
pub use replicated::MANIFEST_PATH as REPLICATED_MANIFEST_PATH;
/// Client port of every node, in the pod.
pub const PORT: u16 = 6379;
/// Cluster bus port of every node. Before Redis 7.0 it is always the client
/// port + 10000; from 7.0 it is set explicitly (`cluster-port`) to the same.
pub const BUS_PORT: u16 = crate::policy::model::KUBERNETES_BUS_PORT;
/// Where the data volume is mounted: AOF, RDB and `nodes.conf`.
pub const DATA_DIR: &str = "/data";
/// Where the ConfigMap is mounted.
pub const CONFIG_DIR: &str = "/etc/redis";
/// The ConfigMap key and file name of the (primary's) node config.
pub const CONFIG_FILE: &str = "redis.conf";
/// The cluster DNS domain pod names resolve under. `cluster.local` is the
/// Kubernetes default; the policy has no field for another.
pub const CLUSTER_DOMAIN: &str = "cluster.local";
/// uid and gid of the `redis` user in the official image (and Valkey's).
pub const REDIS_UID: u32 = 999;

/// How long the create Job waits for every pod to answer, and then for the
/// new cluster to become healthy, in seconds.
pub(super) const START_TIMEOUT_SECS: u32 = 600;
pub(super) const HEALTH_TIMEOUT_SECS: u32 = 120;

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    if let Some(cluster) = &store.cluster
        && let Some(k8s) = &cluster.kubernetes
    {
        return cluster::render(policy, store, cluster, k8s, r);
    }
    if let Some(replicated) = &store.replicated
        && let Some(k8s) = &replicated.kubernetes
        && let Some(sentinel) = &replicated.sentinel
    {
        return replicated::render(policy, store, replicated, sentinel, k8s, r);
    }
    Ok(Vec::new())
}

/// The pods' config checksum: the sha256 of every ConfigMap file, each as
/// its name, a NUL and its contents (no two different sets of files give one
/// input) less the lines of the generated header (`r`'s, with `#`). The
/// header carries the model sha256, which changes with any edit of the
/// policy (an edge TTL, another store): a checksum that followed it would
/// roll the pods, and for a replicated store fail over its primary, for
/// an edit that changes nothing they read.
pub(super) fn config_checksum(r: &Renderer<'_>, files: &[(&str, &str)]) -> String {
    let header = r.origin().header("#");
    let header: Vec<&str> = header.lines().collect();
    let mut hasher = Sha256::new();
    for (name, contents) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        for line in contents.split_inclusive('\n') {
            if !header.contains(&line.trim_end_matches('\n')) {
                hasher.update(line.as_bytes());
            }
        }
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
pub(super) fn store_access_files(
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
