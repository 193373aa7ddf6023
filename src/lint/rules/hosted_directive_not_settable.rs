//! CG606 hosted-directive-not-settable: a setting of a hosted store that its
//! managed service does not let you set.

use crate::lint::Findings;
use crate::policy::hosted::Parameter;
use crate::policy::model::{Policy, Store};
use crate::redis_directives::hosted_parameters;

// What a service refuses, and why, is the cited table of
// `policy::hosted` (the Terraform target leaves these out of the
// parameter group for the same reason).

crate::declare_rule! {
    /// ## What it does
    /// Reports a setting of a `hosted` store (a first-class field or a
    /// `config:` entry) that the managed service does not let you set, from
    /// a small table of facts taken from each service's documentation
    /// (for example ElastiCache's "Append only files (AOF)" page, or
    /// `maxclients`, which ElastiCache fixes at 65000).
    ///
    /// ## Why is this bad?
    /// A managed service refuses `CONFIG SET` and takes settings only from
    /// its parameter group, which accepts only the parameters it lists. A
    /// setting it does not accept is silently not in effect: the policy says
    /// the store keeps an append-only file while the service keeps none, and
    /// durable data that relied on it is lost on a node replacement.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   orders:
    ///     hosted: { service: aws-elasticache, node_type: cache.r7g.large }
    ///     persistence: { appendonly: true }   # CG606
    /// ```
    /// Use instead the service's own durability (replicas with Multi-AZ on
    /// ElastiCache, or `aws-memorydb`), and leave `appendonly` out.
    "CG606", "hosted-directive-not-settable", Error, "a setting the managed service running the store does not let you set"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/hosted/service",
    "@store/persistence",
    "@store/config",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let Some(hosted) = &store.hosted else {
        return;
    };
    for (directive, fact) in hosted_parameters(store) {
        let Some(Parameter::Refused(why)) = fact else {
            continue;
        };
        // Only what the policy writes: `appendonly` is always managed (as
        // `no` when left out), which is the service's own value.
        let Some(span) = directive.written_span(policy) else {
            continue;
        };
        if directive.name == "appendonly" && directive.value == "no" {
            continue;
        }
        let d = out.report(
            format!(
                "`{}` cannot be set on {}: {why}",
                directive.field,
                hosted.service.name()
            ),
            span,
            "not settable on the service",
        );
        d.add_help(format!(
            "remove `{}`; the service's parameter group decides it",
            directive.field
        ));
        d.add_related(
            policy.span(&store.at("hosted"), "service"),
            "the managed service",
        );
    }
}
