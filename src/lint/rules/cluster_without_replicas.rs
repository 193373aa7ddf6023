//! CG108 cluster-without-replicas: a Redis Cluster in which no master can be
//! replaced when it fails.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `cluster` with `replicas_per_master: 0`.
    ///
    /// ## Why is this bad?
    /// Redis Cluster fails over by promoting a replica of the failed master
    /// (after `cluster-node-timeout`). Without replicas there is nothing to
    /// promote: when one master dies, its hash slots (a third of the keys with
    /// 3 masters) stay unserved until that very node comes back, and its data
    /// is gone if it does not, or if it persisted nothing. With
    /// `cluster-require-full-coverage yes` (Redis's default, and what an
    /// absent `require_full_coverage` means) every node stops accepting
    /// queries as soon as one slot is uncovered, so a single node failure
    /// stops the whole cluster. Clusters built for high availability run one
    /// or two replicas per master for exactly this reason.
    ///
    /// ## Example
    /// ```yaml
    /// cluster:
    ///   masters: 3
    ///   replicas_per_master: 0   # CG108
    ///   node_timeout: 5s
    /// ```
    /// Use instead `replicas_per_master: 1` or more (2 survives a second
    /// failure while the first is being replaced).
    "CG108", "cluster-without-replicas", Warning, "a cluster without replicas cannot fail over when a master dies"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@cluster", "/targets/availability"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let Some(cluster) = &store.cluster else {
        return;
    };
    if cluster.replicas_per_master > 0 {
        return;
    }
    // Redis's default for an absent `cluster-require-full-coverage` is yes.
    let full_coverage = cluster.require_full_coverage.unwrap_or(true);
    let message = if full_coverage {
        format!(
            "the cluster has no replicas: when any of its {} masters fails, the whole cluster stops answering",
            cluster.masters
        )
    } else {
        format!(
            "the cluster has no replicas: when a master fails, its slots (about 1/{} of the keys) go unserved until that node comes back",
            cluster.masters
        )
    };
    let d = out.report(
        message,
        policy.span(&store.cluster_pointer, "replicas_per_master"),
        "no replica to fail over to",
    );
    d.add_help(format!(
        "set `replicas_per_master: 1` or more (2 survives a second failure while the first is replaced): a replica of the failed master is promoted a few seconds after `node_timeout` ({}) and its slots stay served",
        cluster.node_timeout
    ));
    if full_coverage {
        match written_span(policy, &store.cluster_pointer, "require_full_coverage") {
            Some(span) => {
                d.add_related(span, "one uncovered slot stops every node");
            }
            None => {
                d.add_related(
                    policy.key_span(&store.cluster_pointer),
                    "`require_full_coverage` defaults to true: one uncovered slot stops every node",
                );
            }
        }
    }
    if let Some(span) = written_span(policy, "/targets", "availability") {
        d.add_related(span, "availability target");
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    /// CG108 findings as (message, related labels) for the given cluster lines.
    fn findings(cluster: &str) -> Vec<(String, Vec<String>)> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n\
             cluster:\n  masters: 3\n  node_timeout: 5s\n{cluster}"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG108")
            .map(|d| {
                let labels = d.related.iter().map(|(_, label)| label.clone()).collect();
                (d.message.clone(), labels)
            })
            .collect()
    }

    #[test]
    fn replicas_pass() {
        assert!(findings("  replicas_per_master: 1\n").is_empty());
    }

    #[test]
    fn absent_full_coverage_is_redis_default_yes() {
        let found = findings("  replicas_per_master: 0\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.contains("the whole cluster"), "{found:?}");
        assert!(found[0].1[0].contains("defaults to true"), "{found:?}");
    }

    #[test]
    fn without_full_coverage_only_the_slots_go() {
        let found = findings("  replicas_per_master: 0\n  require_full_coverage: false\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].0.contains("about 1/3 of the keys"), "{found:?}");
        assert!(found[0].1.is_empty(), "{found:?}");
    }
}
