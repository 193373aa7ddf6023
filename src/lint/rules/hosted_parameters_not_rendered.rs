//! CG611 hosted-parameters-not-rendered: a hosted store gets no generated
//! parameter group, and why.

use crate::lint::Findings;
use crate::policy::hosted::{ParameterGroup, parameter_group};
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Notes a `hosted` store for which `cachegen build` renders no
    /// parameter group (`stores/<s>/terraform/parameter-group.tf`): a
    /// service whose settings cachegen does not render yet (Google
    /// Memorystore, Azure Cache for Redis; the finding points at the
    /// service), or a release whose parameter group family cachegen cannot
    /// confirm from the service's documentation (it does not guess one; the
    /// finding points at the `version` line).
    ///
    /// ## Why is this bad?
    /// It is not wrong, but the service then runs with its default
    /// parameter group: the policy's `maxmemory_policy` and the other
    /// settings reach it only if you set them in the service yourself, and
    /// `cachegen build` says nothing about them.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     hosted: { service: gcp-memorystore }   # CG611
    /// ```
    /// Set the store's `maxmemory_policy` in the service (Memorystore's
    /// `redis_configs`), or allow the rule once you have.
    "CG611", "hosted-parameters-not-rendered", Note, "a hosted store gets no generated parameter group"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/hosted/service", "@store/version", "@store/engine"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(hosted) = &store.hosted else {
            continue;
        };
        let service = policy.span(&store.at("hosted"), "service");
        // Where the release is what has no confirmed family, the finding
        // points at the `version` line (as CG610 does); where the service
        // is what cachegen does not render, at the service.
        let (why, span, label, related) =
            match parameter_group(hosted.service, store.engine, store.redis.version) {
                ParameterGroup::Unconfirmed(why) => (
                    why,
                    policy.span(&store.pointer, "version"),
                    "no confirmed parameter group family",
                    Some(service),
                ),
                ParameterGroup::NotRendered(why) => (why, service, "settings not rendered", None),
                ParameterGroup::Family(_) | ParameterGroup::NotOffered(_) => continue,
            };
        let d = out.report(
            format!(
                "no parameter group is rendered for store `{}` on {}: {why}",
                store.name,
                hosted.service.name()
            ),
            span,
            label,
        );
        if let Some(service) = related {
            d.add_related(service, "the managed service");
        }
        d.add_help(format!(
            "the service keeps its defaults: set `maxmemory-policy {}` and the store's other settings in the service yourself",
            crate::redis_directives::eviction_policy_name(store.redis.maxmemory_policy)
        ));
    }
}
