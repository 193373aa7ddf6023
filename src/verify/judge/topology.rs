//! Owns judging a cluster's shape against the policy's `cluster` section:
//! from the seed's `CLUSTER NODES` and each replica's `INFO replication`.

use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::Policy;
use crate::verify::observed::Observed;
use crate::verify::server::{self, ClusterNode};
use crate::verify::target;

/// Masters, replicas per master, replicas sharing their master's host, slot
/// coverage, unhealthy nodes and replication links, against the policy's
/// `cluster`. Nothing unless both the policy and the server are a cluster
/// (a mismatch is the mode judge's finding).
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let store = observed.store(policy);
    let (Some(cluster), true) = (
        &store.cluster,
        observed.seed.as_ref().is_some_and(|s| s.cluster_enabled),
    ) else {
        return findings;
    };
    let nodes = &observed.cluster_nodes;
    let masters: Vec<&ClusterNode> = nodes
        .iter()
        .filter(|n| n.is_master() && !n.slots.is_empty())
        .collect();
    if masters.len() as u32 != cluster.masters {
        findings.push(
            Diagnostic::new(
                codes::MASTER_COUNT_MISMATCH,
                format!(
                    "the cluster has {} masters serving slots; the policy declares {}",
                    masters.len(),
                    cluster.masters
                ),
            )
            .with_span(policy.span("/cluster", "masters"), "declared here"),
        );
    }
    for master in &masters {
        let replicas: Vec<&ClusterNode> = nodes
            .iter()
            .filter(|n| n.is_replica() && n.master_id.as_deref() == Some(master.id.as_str()))
            .collect();
        let healthy = replicas.iter().filter(|r| r.trouble().is_empty()).count() as u32;
        if healthy != cluster.replicas_per_master {
            findings.push(
                Diagnostic::new(
                    codes::REPLICA_COUNT_MISMATCH,
                    format!(
                        "master {} has {healthy} healthy replicas ({} listed); the policy declares {}",
                        master.address,
                        replicas.len(),
                        cluster.replicas_per_master
                    ),
                )
                .with_span(policy.span("/cluster", "replicas_per_master"), "declared here"),
            );
        }
        for replica in replicas {
            if replica.address.host == master.address.host {
                let loopback = server::is_loopback(&master.address.host);
                let mut d = Diagnostic::new(
                    codes::REPLICA_SHARES_HOST,
                    format!(
                        "master {} and its replica {} run on the same host{}",
                        master.address,
                        replica.address,
                        if loopback {
                            " (loopback: a test cluster)"
                        } else {
                            ""
                        }
                    ),
                )
                .with_span(
                    policy.span("/cluster", "replicas_per_master"),
                    "replicas declared here",
                )
                .with_help("schedule replicas away from their master (anti-affinity)");
                if loopback {
                    d = d.with_severity(Severity::Warning);
                }
                findings.push(d);
            }
        }
    }
    let uncovered = server::uncovered_slots(nodes);
    if uncovered > 0 {
        findings.push(
            Diagnostic::new(
                codes::SLOTS_NOT_COVERED,
                format!("{uncovered} of 16384 hash slots are served by no healthy master"),
            )
            .with_span(policy.key_span("/cluster"), "cluster declared here"),
        );
    }
    for node in nodes {
        let trouble = node.trouble();
        if !trouble.is_empty() || !node.link_connected {
            let why = if trouble.is_empty() {
                "its cluster bus link is disconnected".to_owned()
            } else {
                format!("it is flagged {}", trouble.join(","))
            };
            findings.push(
                Diagnostic::new(
                    codes::NODE_UNHEALTHY,
                    format!(
                        "cluster node {} ({}) is unhealthy: {why}",
                        node.address,
                        server::role_of(Some(node))
                    ),
                )
                .with_span(policy.key_span("/cluster"), "cluster declared here"),
            );
        }
    }
    for (observed_node, f) in observed.reached() {
        let address = &observed_node.address;
        if observed_node
            .cluster
            .as_ref()
            .is_some_and(|n| n.is_replica())
        {
            let status = f
                .info
                .get("master_link_status")
                .map(String::as_str)
                .unwrap_or("unknown");
            if status != "up" {
                findings.push(
                    Diagnostic::new(
                        codes::REPLICA_LINK_DOWN,
                        format!(
                            "replica {address} reports master_link_status:{}",
                            target::printable(status)
                        ),
                    )
                    .with_span(
                        policy.span("/cluster", "replicas_per_master"),
                        "replicas declared here",
                    ),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{cluster, facts, node, observed};
    use super::*;
    use crate::verify::observed::ObservedNode;

    /// Observed nodes from `CLUSTER NODES` text; each node answered with
    /// `master_link_status` as given, or was not reached (`None`).
    fn seen(text: &str, link: &[Option<&str>]) -> Observed {
        let cluster_nodes = server::parse_cluster_nodes(text).expect("CLUSTER NODES parses");
        let nodes: Vec<ObservedNode> = cluster_nodes
            .iter()
            .zip(link)
            .map(|(n, status)| {
                let facts = status.map(|s| facts(&[("master_link_status", s)]));
                node(&n.address.to_string(), Some(n.clone()), facts)
            })
            .collect();
        Observed {
            cluster_nodes,
            ..observed(true, nodes)
        }
    }

    #[test]
    fn a_cluster_shaped_as_declared_has_no_findings() {
        let healthy = "\
m1 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-5460
m2 10.0.0.2:6379@16379 master - 0 0 2 connected 5461-10922
m3 10.0.0.3:6379@16379 master - 0 0 3 connected 10923-16383
r1a 10.0.0.2:6380@16380 slave m1 0 0 1 connected
r1b 10.0.0.3:6380@16380 slave m1 0 0 1 connected
r2a 10.0.0.1:6380@16380 slave m2 0 0 2 connected
r2b 10.0.0.3:6381@16381 slave m2 0 0 2 connected
r3a 10.0.0.1:6381@16381 slave m3 0 0 3 connected
r3b 10.0.0.2:6381@16381 slave m3 0 0 3 connected
";
        let up = [Some("up"); 9];
        assert!(judge(&cluster(), &seen(healthy, &up)).is_empty());
    }

    #[test]
    fn every_shape_problem_is_found() {
        // Two masters (3 declared), 383 slots unserved, each master with one
        // replica on its own host (2 declared): one replicating badly, one
        // failed and not reached.
        let broken = "\
m1 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460
m2 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-16000
r1 127.0.0.1:7003@17003 slave m1 0 0 1 connected
r2 127.0.0.1:7004@17004 slave,fail m2 0 0 2 disconnected
";
        let found = judge(
            &cluster(),
            &seen(broken, &[Some(""), Some(""), Some("down"), None]),
        );
        let codes: Vec<&str> = found.iter().map(|d| d.code.code).collect();
        assert_eq!(
            codes,
            [
                "CG411", "CG412", "CG416", "CG412", "CG416", "CG413", "CG414", "CG415"
            ]
        );
        let message = |i: usize| found[i].message.as_str();
        assert_eq!(
            message(0),
            "the cluster has 2 masters serving slots; the policy declares 3"
        );
        assert_eq!(
            message(3),
            "master 127.0.0.1:7002 has 0 healthy replicas (1 listed); the policy declares 2"
        );
        // On loopback, a shared host is a test cluster: a warning, not an error.
        assert_eq!(found[2].severity, Severity::Warning);
        assert_eq!(
            message(5),
            "383 of 16384 hash slots are served by no healthy master"
        );
        assert_eq!(
            message(6),
            "cluster node 127.0.0.1:7004 (slave) is unhealthy: it is flagged fail"
        );
        assert_eq!(
            message(7),
            "replica 127.0.0.1:7003 reports master_link_status:down"
        );
    }

    #[test]
    fn a_single_node_server_has_no_topology_to_judge() {
        // The mode judge reports the mismatch; topology has nothing to add.
        assert!(judge(&cluster(), &observed(false, vec![])).is_empty());
    }
}
