//! Owns the local cluster target (`cluster/`, only for policies with
//! `cluster`): one node config plus the POSIX sh scripts that start the
//! policy's Redis Cluster on one machine (VMs, CI, tests) and stop it.
//!
//! The node config carries the same directives as `redis/redis.conf`, taken
//! from `redis_conf::context` (one mapping, not two); what differs per node
//! (ports, data dir, pid and log file) is passed on the command line by
//! `bootstrap.sh`. The cluster's shape (masters, replicas, node count) is
//! computed here; the scripts only add port numbers at run time.
//!
//! Access: bootstrap.sh runs the store's `install-credentials.sh` into the
//! cluster's data directory and starts every node with that `users.acl`
//! (and, with replicas, `replication.conf`), passed on the command line
//! because the directory is chosen at run time. Every `redis-cli` call of
//! both scripts authenticates as the operator user, its password in
//! `REDISCLI_AUTH` read from the operator's reference (`admin_source`).

use super::credentials::{SECRETS_DIR, SECRETS_DIR_ENV, sh_quote};
use super::{OutputFile, Programs, RenderError, Renderer, redis_conf};
use crate::policy::model::{Access, Cluster, Policy, SecretRef, Store};
use crate::redis_directives::{Availability, availability};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "cluster/redis-node.conf.j2",
        include_str!("../../templates/cluster/redis-node.conf.j2"),
    ),
    (
        "cluster/bootstrap.sh.j2",
        include_str!("../../templates/cluster/bootstrap.sh.j2"),
    ),
    (
        "cluster/stop.sh.j2",
        include_str!("../../templates/cluster/stop.sh.j2"),
    ),
    // Included by both scripts: the port-list derivation and checks.
    (
        "cluster/ports.sh.j2",
        include_str!("../../templates/cluster/ports.sh.j2"),
    ),
    // Included by both scripts here and by replicated/common.sh: the
    // operator's password into REDISCLI_AUTH, from `AdminSource`.
    (
        "shell/operator.sh.j2",
        include_str!("../../templates/shell/operator.sh.j2"),
    ),
    // Included by bootstrap.sh here and by replicated/common.sh: the port
    // number and count checks.
    (
        "shell/numbers.sh.j2",
        include_str!("../../templates/shell/numbers.sh.j2"),
    ),
];

/// Access lines the node config leaves to bootstrap.sh's command line (the
/// credentials directory is chosen at run time), and TLS, which the
/// loopback cluster does not set up (every node would take the one
/// `tls-port`; its nodes listen in plain text on loopback).
fn on_the_node_config(name: &str) -> bool {
    !matches!(name, "aclfile" | "include" | "port") && !name.starts_with("tls-")
}

/// Where the scripts read the operator's password from: exactly one of a
/// variable or a file, as the installer reads the same reference.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct AdminSource {
    /// The operator's ACL user, quoted for sh.
    pub user: String,
    /// `{env: X}`: the variable's name (a POSIX name, safe unquoted).
    pub env: Option<String>,
    /// `{file}`, or `{secret}` (read where Kubernetes mounts it, as the
    /// installer reads it: under `CACHEGEN_SECRETS_DIR` when set): the path
    /// as one sh word.
    pub file: Option<String>,
    /// The reference, for comments: never the value.
    pub describe: String,
    /// The same, quoted for sh: messages print it from a variable, so no
    /// `$` in a path can expand.
    pub describe_sh: String,
}

/// How the loopback scripts get the operator's password.
pub fn admin_source(access: &Access) -> AdminSource {
    let user = sh_quote(&access.admin.user);
    let (env, file, describe) = match &access.admin.password {
        SecretRef::Env(var) => (Some(var.clone()), None, format!("variable {var}")),
        SecretRef::File(path) => (None, Some(sh_quote(path)), format!("file {path}")),
        SecretRef::Kubernetes { name, key } => {
            let path = format!(
                "\"${{{SECRETS_DIR_ENV}:-{SECRETS_DIR}}}\"/{}",
                sh_quote(&format!("{name}/{key}"))
            );
            let describe = format!(
                "Secret {name} key {key}: file {name}/{key} under ${SECRETS_DIR_ENV}, default {SECRETS_DIR}"
            );
            (None, Some(path), describe)
        }
    };
    AdminSource {
        user,
        env,
        file,
        describe_sh: sh_quote(&describe),
        describe,
    }
}

#[derive(Debug, Serialize)]
struct Context {
    /// `version`, `directives`, `skipped`: exactly what redis.conf gets.
    #[serde(flatten)]
    redis: redis_conf::Context,
    masters: u64,
    replicas_per_master: u64,
    /// Replicas in the whole cluster.
    replicas: u64,
    /// Nodes in the whole cluster: masters × (1 + replicas per master).
    nodes: u64,
    /// Whether the target Redis takes an explicit bus port.
    cluster_port: bool,
    /// The first node's default client port: 7000, after the ports of the
    /// cluster stores declared before this one (each takes its node count
    /// rounded up to a hundred), so the loopback clusters of one policy do
    /// not take each other's ports.
    base_port: u64,
    /// The engine's server and client programs, and the Debian package
    /// that has them (`redis-server`, or `valkey-server` for Valkey).
    server: &'static str,
    cli: &'static str,
    package: &'static str,
    admin: AdminSource,
    /// Whether the nodes load `replication.conf` (masteruser/masterauth).
    replication: bool,
}

impl Context {
    fn new(policy: &Policy, store: &Store, cluster: &Cluster) -> Context {
        let earlier_ports: u64 = policy
            .stores
            .values()
            .take_while(|s| s.name != store.name)
            .filter_map(|s| s.cluster.as_ref())
            .map(|c| node_count(c).div_ceil(100) * 100)
            .sum();
        let programs = Programs::of(store.engine);
        let masters = u64::from(cluster.masters);
        let replicas_per_master = u64::from(cluster.replicas_per_master);
        // u32 × (u32 + 1) fits in u64: no overflow whatever the policy says.
        let replicas = masters * replicas_per_master;
        let mut redis = redis_conf::context(store);
        redis.access.retain(|a| on_the_node_config(a.name));
        Context {
            redis,
            masters,
            replicas_per_master,
            replicas,
            nodes: node_count(cluster),
            base_port: 7000 + earlier_ports,
            // Before Redis 7.0 the bus port is always the client port + 10000.
            cluster_port: availability(store.engine, "cluster-port", store.redis.version)
                == Availability::Supported,
            server: programs.server,
            cli: programs.cli,
            package: programs.package,
            admin: admin_source(&store.access),
            replication: replicas > 0,
        }
    }
}

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let Some(cluster) = &store.cluster else {
        return Ok(Vec::new());
    };
    let context = Context::new(policy, store, cluster);
    let mut files = Vec::new();
    for (path, template) in [
        ("cluster/redis-node.conf", "cluster/redis-node.conf.j2"),
        ("cluster/bootstrap.sh", "cluster/bootstrap.sh.j2"),
        ("cluster/stop.sh", "cluster/stop.sh.j2"),
    ] {
        files.push(OutputFile {
            path: path.into(),
            contents: r.render(template, Some("#"), &context)?,
        });
    }
    Ok(files)
}

/// Nodes of a cluster: masters × (1 + replicas per master), in u64 so no
/// policy overflows it.
fn node_count(cluster: &Cluster) -> u64 {
    let masters = u64::from(cluster.masters);
    masters + masters * u64::from(cluster.replicas_per_master)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operators_password_is_read_from_its_reference() {
        let mut access = Access::undeclared("/stores/cache");
        let source = admin_source(&access);
        assert_eq!(source.user, "'admin'");
        assert_eq!(source.env.as_deref(), Some(Access::DEFAULT_ADMIN_ENV));
        assert_eq!(source.file, None);

        access.admin.password = SecretRef::File("/etc/redis/admin pw".into());
        let source = admin_source(&access);
        assert_eq!(
            (source.env, source.file.as_deref()),
            (None, Some("'/etc/redis/admin pw'"))
        );

        access.admin.password = SecretRef::Kubernetes {
            name: "redis".into(),
            key: "admin".into(),
        };
        let source = admin_source(&access);
        assert_eq!(
            source.file.as_deref(),
            Some("\"${CACHEGEN_SECRETS_DIR:-/run/secrets/cachegen}\"/'redis/admin'")
        );
        assert!(source.describe.contains("Secret redis key admin"));
    }
}
