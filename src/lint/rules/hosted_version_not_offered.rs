//! CG610 hosted-version-not-offered: a hosted store declares an engine
//! release its managed service does not run.

use crate::lint::Findings;
use crate::policy::hosted::{ParameterGroup, parameter_group};
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a `hosted` store whose engine and `version` its managed
    /// service does not run, from the service's documented engine versions
    /// (ElastiCache runs Redis OSS up to 7.1, then Valkey; MemoryDB runs
    /// Redis OSS 6.2 to 7.1 and Valkey 7.2).
    ///
    /// ## Why is this bad?
    /// The service has no parameter group family for the release, so no
    /// parameter group can be made for it, and a cluster of that version
    /// cannot be created: the policy describes a store that cannot exist,
    /// and everything planned against it (directives, commands the release
    /// has) is wrong.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     version: "7.4"                       # CG610
    ///     hosted: { service: aws-elasticache, node_type: cache.r7g.large }
    /// ```
    /// Use instead a release the service runs: `engine: valkey` with
    /// `version: "8.0"` on ElastiCache, or Redis `"7.0"`.
    "CG610", "hosted-version-not-offered", Error, "a hosted store's engine release that its managed service does not run"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/hosted/service", "@store/version", "@store/engine"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(hosted) = &store.hosted else {
            continue;
        };
        let version = store.redis.version;
        let ParameterGroup::NotOffered(why) =
            parameter_group(hosted.service, store.engine, version)
        else {
            continue;
        };
        let d = out.report(
            format!(
                "{} does not run {} {}.{}: {why}",
                hosted.service.name(),
                store.engine.name(),
                version.0,
                version.1
            ),
            policy.span(&store.pointer, "version"),
            "not offered by the service",
        );
        d.add_help("declare an engine and version the service runs; its parameter group family follows from them");
        d.add_related(
            policy.span(&store.at("hosted"), "service"),
            "the managed service",
        );
    }
}
