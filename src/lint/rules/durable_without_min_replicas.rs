//! CG605 durable-without-min-replicas: durable data on a replicated store
//! whose primary acknowledges writes no replica has.

use crate::lint::Findings;
use crate::policy::model::{KeyPattern, Policy};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated` store holding key patterns marked `durable:
    /// true` without `min_replicas_to_write`.
    ///
    /// ## Why is this bad?
    /// Replication is asynchronous: the primary acknowledges a write before
    /// any replica has it. When the primary fails, Sentinel promotes a
    /// replica, and every write the replica had not received is gone, even
    /// though the client was told it succeeded; an order in a durable queue
    /// just disappears. `min-replicas-to-write` (with
    /// `min-replicas-max-lag`) makes the primary refuse writes while no
    /// replica is keeping up, which bounds that loss to the lag, and stops a
    /// primary cut off from its replicas from accepting writes a failover
    /// will throw away.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:       # CG605: `order_queue` is durable
    ///   replicas: 2
    ///   sentinel: { sentinels: 3, quorum: 2 }
    /// ```
    /// Use instead:
    /// ```yaml
    /// replicated:
    ///   replicas: 2
    ///   min_replicas_to_write: 1
    ///   min_replicas_max_lag: 10s
    ///   sentinel: { sentinels: 3, quorum: 2 }
    /// ```
    "CG605", "durable-without-min-replicas", Warning, "durable data on a replicated store whose primary does not wait for any replica"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/keys/patterns/*/durable",
    "/keys/patterns/*/store",
    "/keys/store",
    "@store/replicated/min_replicas_to_write",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(replicated) = &store.replicated else {
            continue;
        };
        if replicated.min_replicas_to_write.is_some_and(|n| n > 0) {
            continue;
        }
        let durable: Vec<&KeyPattern> = policy
            .patterns_in(&store.name)
            .filter(|p| p.durable)
            .collect();
        if durable.is_empty() {
            continue;
        }
        let names: Vec<&str> = durable.iter().map(|p| p.name.as_str()).collect();
        let base = store.at("replicated");
        let span = match replicated.min_replicas_to_write {
            Some(_) => policy.span(&base, "min_replicas_to_write"),
            None => policy.key_span(&base),
        };
        let d = out.report(
            format!(
                "durable keys on `{}` can be lost in a failover, because its primary acknowledges writes no replica has: {}",
                store.name,
                names.join(", ")
            ),
            span,
            "no `min_replicas_to_write`",
        );
        d.add_help("set `min_replicas_to_write: 1` (fewer than `replicas`) and `min_replicas_max_lag` (e.g. 10s): the primary then refuses writes while no replica keeps up, so a failover loses at most that lag");
        for p in durable {
            d.add_related(
                policy.span(&p.pointer, "durable"),
                format!("`{}` is durable", p.name),
            );
        }
    }
}
