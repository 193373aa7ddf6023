//! CG604 min-replicas-blocks-writes: `min_replicas_to_write` equal to the
//! number of replicas, so writes stop at the first replica lost.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated` store whose `min_replicas_to_write` is as
    /// large as `replicas` (and not 0).
    ///
    /// ## Why is this bad?
    /// With `min-replicas-to-write N` the primary refuses every write with
    /// `NOREPLICAS` unless N replicas are connected and acknowledged within
    /// `min-replicas-max-lag`. When N is every replica, one replica
    /// restarting, resynchronising or lagging behind stops all writes: the
    /// replicas meant to make the store more available make it less so.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   replicas: 2
    ///   min_replicas_to_write: 2   # CG604
    /// ```
    /// Use instead `min_replicas_to_write: 1` with 2 replicas: a write is
    /// still on two machines, and one replica can be lost.
    "CG604", "min-replicas-blocks-writes", Warning, "min_replicas_to_write counts every replica, so writes stop when one is lost"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/replicated/replicas",
    "@store/replicated/min_replicas_to_write",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(replicated) = &store.replicated else {
            continue;
        };
        let Some(min) = replicated.min_replicas_to_write else {
            continue;
        };
        if min == 0 || min != replicated.replicas {
            continue;
        }
        let base = store.at("replicated");
        let d = out.report(
            format!(
                "`min_replicas_to_write` {min} needs every replica: when one of the {} is down or lagging, the primary refuses all writes (NOREPLICAS)",
                replicated.replicas
            ),
            policy.span(&base, "min_replicas_to_write"),
            "every replica",
        );
        d.add_help(if min == 1 {
            "add a replica (`replicas: 2`), so one replica can be lost without stopping writes".to_owned()
        } else {
            format!(
                "set `min_replicas_to_write: {}` or add a replica (`replicas: {}`), so one replica can be lost without stopping writes",
                min - 1,
                replicated.replicas + 1
            )
        });
        d.add_related(policy.span(&base, "replicas"), "replicas");
    }
}
