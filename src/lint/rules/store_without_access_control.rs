//! CG501 store-without-access-control: a store whose policy does not say
//! who may connect, so the generated ACL admits only the operator and the
//! verifier.

use crate::lint::Findings;
use crate::policy::model::{Access, Policy};

crate::declare_rule! {
    /// ## What it does
    /// Reports a self-hosted store without an `access:` section (a hosted
    /// store's users are the managed service's).
    ///
    /// ## Why is this bad?
    /// A Redis that anyone on the network can reach without a password
    /// serves every session to every caller and takes `FLUSHALL` or
    /// `CONFIG SET dir` from anyone (the classic Redis takeover). cachegen
    /// never generates that: without `access:` the `default` user is off and
    /// only the operator user (password from `$REDIS_ADMIN_PASSWORD`) and the
    /// verifier may log in. So the applications that use the store cannot
    /// connect until the policy names them, each with its own user limited
    /// to the keys and commands it needs.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:        # CG501: no `access:`
    ///     version: "7.2"
    ///     maxmemory: 1gb
    ///     maxmemory_policy: allkeys-lru
    /// ```
    /// Use instead:
    /// ```yaml
    ///     access:
    ///       services:
    ///         api:
    ///           password: {env: API_REDIS_PASSWORD}
    ///           writes: [user_profile]
    /// ```
    "CG501", "store-without-access-control", Warning, "a store does not say who may connect"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access", "@store/hosted"];

pub fn check(policy: &Policy, out: &mut Findings) {
    // A hosted store's users are the service's (lower refuses its `access:`
    // until the Terraform increment renders them): no ACL is generated.
    for store in policy
        .stores
        .values()
        .filter(|s| !s.access.declared && s.hosted.is_none())
    {
        let d = out.report(
            format!(
                "store `{}` does not say who may connect: the generated ACL turns the `default` user off and admits only `{}` (password from `${}`) and the verifier, so applications cannot log in",
                store.name,
                Access::DEFAULT_ADMIN_USER,
                Access::DEFAULT_ADMIN_ENV
            ),
            policy.key_span(&store.pointer),
            "no `access:`",
        );
        d.add_help(format!(
            "add `access:` to `{}` with one entry per service under `services:` (its password reference and the patterns it reads and writes), so each gets a user limited to its own keys and commands",
            store.dotted()
        ));
    }
}
