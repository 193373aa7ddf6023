//! CG602 too-few-sentinels: fewer than 3 Sentinels, which cannot keep a
//! majority through the loss of one.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `replicated.sentinel` with fewer than 3 `sentinels`.
    ///
    /// ## Why is this bad?
    /// A failover must be authorised by a majority of all Sentinels. With 1
    /// Sentinel, it is a single point of failure (and alone decides that a
    /// healthy primary it cannot reach is down). With 2, the majority is 2:
    /// when one Sentinel is down, or sits on the machine that failed with the
    /// primary, the other cannot fail over. Redis's Sentinel documentation
    /// asks for at least three Sentinel instances on machines that fail
    /// independently.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   replicas: 1
    ///   sentinel: { sentinels: 2, quorum: 1 }   # CG602
    /// ```
    /// Use instead `sentinels: 3` with `quorum: 2`.
    "CG602", "too-few-sentinels", Warning, "fewer than 3 Sentinels cannot fail over after losing one of them"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/replicated/sentinel/sentinels"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(sentinel) = store.replicated.as_ref().and_then(|r| r.sentinel.as_ref()) else {
            continue;
        };
        if sentinel.sentinels == 0 || sentinel.sentinels >= 3 {
            continue;
        }
        let why = if sentinel.sentinels == 1 {
            "one Sentinel is a single point of failure"
        } else {
            "with 2 Sentinels the majority is 2, so one Sentinel down stops failover"
        };
        let d = out.report(
            format!(
                "{} Sentinel(s) watch `{}`: {why}",
                sentinel.sentinels, store.name
            ),
            policy.span(&store.at("replicated/sentinel"), "sentinels"),
            "fewer than 3",
        );
        d.add_help("run at least 3 Sentinels (`sentinels: 3`, `quorum: 2`), each on a machine that fails independently of the others and of the primary");
    }
}
