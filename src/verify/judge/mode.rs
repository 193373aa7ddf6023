//! Owns judging the server's mode: a policy that declares a cluster against a
//! single node, or the other way round (key shapes differ: hash tags).

use crate::diag::{Diagnostic, codes};
use crate::policy::model::Policy;
use crate::verify::observed::Observed;

/// A mismatch between the policy's `cluster` and the seed's
/// `cluster_enabled`; nothing when the seed never answered.
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let Some(seed) = &observed.seed else {
        return Vec::new();
    };
    let store = observed.store(policy);
    match (store.cluster.is_some(), seed.cluster_enabled) {
        (true, false) => vec![
            Diagnostic::new(
                codes::SERVER_MODE_MISMATCH,
                "the policy declares a Redis Cluster, but the server is a single node (cluster_enabled:0)",
            )
            .with_span(policy.key_span(&store.cluster_pointer), "declared here")
            .with_help("point --redis at a cluster node, or remove `cluster` from the policy"),
        ],
        (false, true) => vec![
            Diagnostic::new(
                codes::SERVER_MODE_MISMATCH,
                "the server is a Redis Cluster node, but the policy declares no `cluster`",
            )
            .with_span(policy.key_span(&store.pointer), "single-node store")
            .with_help("key shapes differ in a cluster (hash tags); add a `cluster` section"),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{cluster, observed, single};
    use super::*;

    fn messages(policy: &Policy, observed: &Observed) -> Vec<String> {
        judge(policy, observed)
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect()
    }

    #[test]
    fn a_mode_mismatch_either_way_is_one_finding() {
        let (single, cluster) = (single(), cluster());
        assert_eq!(
            messages(&single, &observed(true, vec![])),
            ["CG410 the server is a Redis Cluster node, but the policy declares no `cluster`"]
        );
        assert_eq!(
            messages(&cluster, &observed(false, vec![])),
            [
                "CG410 the policy declares a Redis Cluster, but the server is a single node (cluster_enabled:0)"
            ]
        );
        assert!(messages(&single, &observed(false, vec![])).is_empty());
        assert!(messages(&cluster, &observed(true, vec![])).is_empty());
        assert!(messages(&cluster, &Observed::default()).is_empty());
    }
}
