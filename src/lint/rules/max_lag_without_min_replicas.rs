//! CG607 max-lag-without-min-replicas: `min_replicas_max_lag` set without
//! `min_replicas_to_write`, so the primary never applies it.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated` store that sets `min_replicas_max_lag` but not
    /// `min_replicas_to_write` (or sets it to 0).
    ///
    /// ## Why is this bad?
    /// Redis applies `min-replicas-max-lag` only together with
    /// `min-replicas-to-write`: with no replica count to wait for, the
    /// primary accepts every write whatever its replicas' lag, so the lag
    /// written in the policy protects nothing.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   replicas: 2
    ///   min_replicas_max_lag: 10s   # CG607: no min_replicas_to_write
    /// ```
    /// Use instead: add `min_replicas_to_write: 1`, or remove the lag.
    "CG607", "max-lag-without-min-replicas", Note, "min_replicas_max_lag does nothing without min_replicas_to_write"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/replicated/min_replicas_max_lag",
    "@store/replicated/min_replicas_to_write",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(replicated) = &store.replicated else {
            continue;
        };
        let Some(lag) = replicated.min_replicas_max_lag else {
            continue;
        };
        if replicated.min_replicas_to_write.unwrap_or(0) > 0 {
            continue;
        }
        let base = store.at("replicated");
        let d = out.report(
            format!(
                "`min_replicas_max_lag` {lag} does nothing: without `min_replicas_to_write` the primary accepts writes whatever its replicas' lag"
            ),
            policy.span(&base, "min_replicas_max_lag"),
            "never applied",
        );
        d.add_help(
            "add `min_replicas_to_write: 1` so the primary refuses writes while no replica keeps within the lag, or remove `min_replicas_max_lag`",
        );
    }
}
