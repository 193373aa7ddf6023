//! Owns the data nodes' config files of the Kubernetes target
//! (`kubernetes/redis.conf.j2`): the same directives as the store's
//! `redis.conf`, from `redis_conf::context_in` with the pod's credentials
//! directory (one mapping, not two), after what a pod needs (port, data
//! directory, how a cluster node announces itself) and, for a replica, its
//! `replicaof`.

use super::yaml::literal_block;
use super::{BUS_PORT, DATA_DIR, PORT};
use crate::render::{RenderError, Renderer, redis_conf};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(super) struct PodDirective {
    name: &'static str,
    value: String,
    comment: String,
}

#[derive(Debug, Serialize)]
struct ConfContext<'a> {
    /// `version`, `directives`, `skipped`, `access`, `replicaof`: exactly
    /// what redis.conf (or replica.conf) gets.
    #[serde(flatten)]
    redis: &'a redis_conf::Context,
    /// The header: what the file is, where it is mounted, what each pod adds.
    about: &'a [String],
    /// What every pod needs, before the policy's directives.
    pod: &'a [PodDirective],
    /// Why a replica's `replicaof` is what it is (with `replicaof`).
    replicaof_why: &'a [String],
}

/// Which deployment a data node belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) enum NodeKind {
    /// A cluster node; `hostnames`: it announces its DNS name (the bus port
    /// is then set explicitly too).
    Cluster { hostnames: bool },
    /// The primary or a replica of a replicated store.
    Replicated,
}

/// What every pod sets before the policy's directives.
pub(super) fn pod_directives(kind: NodeKind, tls: bool) -> Vec<PodDirective> {
    let hostnames = matches!(kind, NodeKind::Cluster { hostnames: true });
    let mut pod = Vec::new();
    // With TLS the store's access lines set `tls-port` and `port` (0, or
    // the plain port the policy keeps open).
    if !tls {
        pod.push(PodDirective {
            name: "port",
            value: PORT.to_string(),
            comment: match kind {
                NodeKind::Cluster { .. } => {
                    "client port: the Services, the probes and the create Job use it".into()
                }
                NodeKind::Replicated => {
                    "client port: the Services, the probes, the replicas and the Sentinels use it"
                        .into()
                }
            },
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
        comment: match kind {
            NodeKind::Cluster { .. } => "the pod's volume (volumeClaimTemplate `data`): AOF and RDB files and nodes.conf (cluster-config-file is relative to it), kept across restarts and rescheduling".into(),
            NodeKind::Replicated => "the pod's volume (volumeClaimTemplate `data`): AOF and RDB files, kept across restarts and rescheduling".into(),
        },
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

/// A data node's config file as a literal block of the ConfigMap.
pub(super) fn node_conf(
    r: &Renderer<'_>,
    redis: &redis_conf::Context,
    about: &[String],
    pod: &[PodDirective],
    replicaof_why: &[String],
) -> Result<String, RenderError> {
    let conf = r.render(
        "kubernetes/redis.conf.j2",
        None,
        &ConfContext {
            redis,
            about,
            pod,
            replicaof_why,
        },
    )?;
    literal_block(&conf, "the node config (kubernetes/redis.conf.j2)")
}
