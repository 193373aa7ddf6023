//! CG601 sentinel-quorum-above-majority: a Sentinel quorum larger than a
//! majority of the Sentinels, so losing a minority of them stops failover.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated.sentinel` whose `quorum` is larger than a
    /// majority of its `sentinels` (more than 2 of 3, 3 of 5).
    ///
    /// ## Why is this bad?
    /// The quorum is how many Sentinels must agree that the primary is down
    /// (`ODOWN`); the failover itself is then authorised by a majority of all
    /// Sentinels. A quorum above the majority means more Sentinels must be
    /// up to *detect* a failure than to *run* the failover: with 3 Sentinels
    /// and quorum 3, one Sentinel down (or on the same failed machine as the
    /// primary) and the primary is never agreed down, so no failover happens
    /// at all. With 2 Sentinels and quorum 2, the loss of either one stops
    /// failover.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   replicas: 2
    ///   sentinel: { sentinels: 3, quorum: 3 }   # CG601
    /// ```
    /// Use instead `quorum: 2` with 3 Sentinels (3 with 5).
    "CG601", "sentinel-quorum-above-majority", Warning, "the Sentinel quorum is larger than a majority, so losing a minority of Sentinels stops failover"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/replicated/sentinel"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(sentinel) = store.replicated.as_ref().and_then(|r| r.sentinel.as_ref()) else {
            continue;
        };
        let majority = sentinel.majority();
        if sentinel.quorum <= majority || sentinel.quorum > sentinel.sentinels {
            continue;
        }
        let base = store.at("replicated/sentinel");
        let lost = sentinel.sentinels - sentinel.quorum + 1;
        let d = out.report(
            format!(
                "quorum {} of {} Sentinels is above their majority ({majority}): {lost} Sentinel(s) down and the primary is never agreed down",
                sentinel.quorum, sentinel.sentinels
            ),
            policy.span(&base, "quorum"),
            "above the majority",
        );
        d.add_help(format!(
            "set `quorum: {majority}` (a majority of {}): failover then survives the loss of a minority of the Sentinels",
            sentinel.sentinels
        ));
        d.add_related(policy.span(&base, "sentinels"), "Sentinels");
    }
}
