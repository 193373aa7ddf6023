//! CG603 even-sentinel-count: an even number of Sentinels, which survives no
//! more failures than one fewer.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated.sentinel` with an even number of `sentinels`
    /// (4 or more; 2 is CG602's).
    ///
    /// ## Why is this bad?
    /// A failover needs a majority of all Sentinels. 4 Sentinels need 3, so
    /// they survive the loss of 1, exactly as 3 do; the fourth adds a process
    /// to run and a voter to reach, and with a network split into 2 + 2
    /// neither side can fail over. An odd number gets the most out of every
    /// Sentinel.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   replicas: 2
    ///   sentinel: { sentinels: 4, quorum: 2 }   # CG603
    /// ```
    /// Use instead `sentinels: 3` (or 5 to survive two losses).
    "CG603", "even-sentinel-count", Note, "an even number of Sentinels survives no more failures than one fewer"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/replicated/sentinel/sentinels"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(sentinel) = store.replicated.as_ref().and_then(|r| r.sentinel.as_ref()) else {
            continue;
        };
        let n = sentinel.sentinels;
        if n < 4 || n % 2 == 1 {
            continue;
        }
        let survives = n - sentinel.majority();
        let d = out.report(
            format!(
                "{n} Sentinels need {} to fail over and survive the loss of {survives}, as {} do",
                sentinel.majority(),
                n - 1
            ),
            policy.span(&store.at("replicated/sentinel"), "sentinels"),
            "even",
        );
        d.add_help(format!(
            "run {} Sentinels (the same resilience, one process fewer) or {} (one more failure survived)",
            n - 1,
            n + 1
        ));
    }
}
