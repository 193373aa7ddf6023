//! CG612 hosted-parameter-unconfirmed: a setting of a hosted store that
//! cachegen cannot confirm its service accepts, so it is left out of the
//! generated parameter group.

use crate::lint::Findings;
use crate::policy::hosted::{ParameterGroup, parameter_group};
use crate::policy::model::Policy;
use crate::redis_directives::hosted_parameters;

crate::declare_rule! {
    /// ## What it does
    /// Reports a setting of a `hosted` store that cachegen has no
    /// documented fact about for the store's service: it is neither a
    /// parameter the service lists as modifiable nor one it refuses (CG606).
    /// The generated parameter group
    /// (`stores/<s>/terraform/parameter-group.tf`) leaves it out. (A hosted
    /// store's `config:` is refused outright, CG025: none of its entries
    /// could reach the group.)
    ///
    /// ## Why is this bad?
    /// The policy says the store runs with the setting, but nothing applies
    /// it: a managed service refuses `CONFIG SET`, and cachegen writes only
    /// parameters it knows the service takes (a parameter group with a name
    /// the service does not know fails to apply as a whole).
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     hosted: { service: aws-elasticache, node_type: cache.r7g.large }
    ///     persistence:
    ///       save: [{ after: 1h, changes: 1 }]   # CG612
    /// ```
    /// Check the service's parameter list, set the parameter there by hand
    /// and suppress the finding with the reason, or remove the setting.
    "CG612", "hosted-parameter-unconfirmed", Warning, "a hosted store's setting that cachegen cannot confirm its service accepts"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/hosted/service",
    "@store/version",
    "@store/engine",
    "@store/persistence",
    "@store/config",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(hosted) = &store.hosted else {
            continue;
        };
        // Only where a parameter group is rendered: otherwise CG610 or
        // CG611 already says that nothing is.
        let ParameterGroup::Family(family) =
            parameter_group(hosted.service, store.engine, store.redis.version)
        else {
            continue;
        };
        for (directive, fact) in hosted_parameters(store) {
            if fact.is_some() {
                continue;
            }
            // Only what the policy writes (`save ""` is written for a store
            // that leaves `persistence.save` out).
            let Some(span) = directive.written_span(policy) else {
                continue;
            };
            let d = out.report(
                format!(
                    "`{}` is left out of the `{family}` parameter group: cachegen cannot confirm that {} accepts `{}`",
                    directive.field,
                    hosted.service.name(),
                    directive.name
                ),
                span,
                "not in the parameter group",
            );
            d.add_help(format!(
                "check the service's parameter list; set `{}` there yourself and suppress this with the reason, or remove it",
                directive.name
            ));
        }
    }
}
