//! Owns the local cluster target (`cluster/`, only for policies with
//! `cluster`): one node config plus the POSIX sh scripts that start the
//! policy's Redis Cluster on one machine (VMs, CI, tests) and stop it.
//!
//! The node config carries the same directives as `redis/redis.conf`, taken
//! from `redis_conf::context` (one mapping, not two); what differs per node
//! (ports, data dir, pid and log file) is passed on the command line by
//! `bootstrap.sh`. The cluster's shape (masters, replicas, node count) is
//! computed here; the scripts only add port numbers at run time.

use super::{OutputFile, Programs, RenderError, Renderer, redis_conf};
use crate::policy::model::{Cluster, Policy, Store};
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
];

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
        Context {
            redis: redis_conf::context(store),
            masters,
            replicas_per_master,
            replicas,
            nodes: node_count(cluster),
            // Before Redis 7.0 the bus port is always the client port + 10000.
            base_port: 7000 + earlier_ports,
            cluster_port: availability(store.engine, "cluster-port", store.redis.version)
                == Availability::Supported,
            server: programs.server,
            cli: programs.cli,
            package: programs.package,
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
