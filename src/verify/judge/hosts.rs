//! Owns judging the node list itself, before any node's answers: nodes
//! announced on hosts verify may not contact (`allow`), and a `CLUSTER
//! NODES` reply no real cluster sends (repeated addresses, too many nodes).

use crate::diag::{Diagnostic, codes};
use crate::policy::model::Policy;
use crate::verify::gather::MAX_NODES;
use crate::verify::observed::Observed;

/// Addresses a finding lists before it only counts the rest.
const LISTED: usize = 5;

pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let span = policy.key_span("/cluster");
    // Outside a cluster the addresses are a primary's replicas (or a
    // replica's primary, which the replicas judge reports as CG473).
    let (who, declared_span, declared) = if observed.replication.is_some() {
        let store = observed.store(policy);
        (
            "the primary lists",
            policy.key_span(&store.pointer),
            "store verified",
        )
    } else {
        ("the cluster announces", span, "cluster declared here")
    };
    if !observed.not_allowed.is_empty() {
        let n = observed.not_allowed.len();
        let mut shown: Vec<String> = observed
            .not_allowed
            .iter()
            .take(LISTED)
            .map(|a| crate::verify::target::printable(&a.to_string()))
            .collect();
        if n > LISTED {
            shown.push(format!("and {} more", n - LISTED));
        }
        findings.push(
            Diagnostic::new(
                codes::HOST_NOT_ALLOWED,
                format!(
                    "{who} {n} node{} outside the hosts verify may contact, which were not contacted (no credentials sent): {}",
                    if n == 1 { "" } else { "s" },
                    shown.join(", ")
                ),
            )
            .with_span(declared_span, declared)
            .with_help("if these are real nodes of this deployment, name their hosts or network with --allow-hosts"),
        );
    }
    let list = observed.node_list;
    if list.duplicates > 0 || list.dropped > 0 {
        let mut what = Vec::new();
        if list.duplicates > 0 {
            what.push(format!(
                "repeats addresses {} time{}",
                list.duplicates,
                if list.duplicates == 1 { "" } else { "s" }
            ));
        }
        if list.dropped > 0 {
            what.push(format!(
                "lists {} distinct nodes, more than a cluster can hold; only the first {MAX_NODES} were considered",
                list.listed
            ));
        }
        findings.push(
            Diagnostic::new(
                codes::NODE_LIST_IMPLAUSIBLE,
                format!("the seed's CLUSTER NODES {}", what.join(" and ")),
            )
            .with_span(span, "cluster declared here")
            .with_help("the cluster's node table is broken, or the seed is not a real Redis"),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{address, cluster, observed};
    use super::*;
    use crate::verify::observed::NodeList;

    #[test]
    fn not_allowed_and_implausible_lists_are_findings() {
        let p = cluster();
        let mut seen = observed(true, Vec::new());
        assert!(judge(&p, &seen).is_empty());
        seen.not_allowed = (1..=7)
            .map(|i| address(&format!("192.0.2.{i}:6379")))
            .collect();
        seen.node_list = NodeList {
            duplicates: 9999,
            listed: 1,
            dropped: 0,
        };
        let found: Vec<String> = judge(&p, &seen)
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("CG417 the cluster announces 7 nodes"),
            "{found:?}"
        );
        assert!(found[0].contains("192.0.2.5:6379, and 2 more"), "{found:?}");
        assert!(found[1].starts_with("CG418"), "{found:?}");
        assert!(
            found[1].contains("repeats addresses 9999 times"),
            "{found:?}"
        );
        // Outside a cluster they are a primary's replicas.
        seen.replication = Some(Default::default());
        let standalone = &judge(&p, &seen)[0].message;
        assert!(
            standalone.starts_with("the primary lists 7 nodes outside the hosts"),
            "{standalone}"
        );
    }
}
