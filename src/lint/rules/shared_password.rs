//! CG503 shared-password: two users of one store take their password from
//! the same reference.

use crate::lint::Findings;
use crate::policy::model::{Policy, SecretRef};

crate::declare_rule! {
    /// ## What it does
    /// Reports two users of one store (the operator, the verifier, the
    /// replication user and the services) whose `password` is the same
    /// reference: the same environment variable, file or Kubernetes Secret
    /// key.
    ///
    /// ## Why is this bad?
    /// The installer reads each reference once for the store, so the users
    /// get the same password. That is a `requirepass` in all but name: one
    /// leaked credential opens every user that shares it (a service's
    /// password becomes the operator's), and no password can be rotated for
    /// one service without the others.
    ///
    /// ## Example
    /// ```yaml
    /// access:
    ///   services:
    ///     api:    { password: {env: REDIS_PASSWORD}, writes: [user_profile] }
    ///     worker: { password: {env: REDIS_PASSWORD}, owns: [answer_queue] }   # CG503
    /// ```
    /// Use instead one reference per user (`API_REDIS_PASSWORD`,
    /// `WORKER_REDIS_PASSWORD`).
    "CG503", "shared-password", Warning, "two users of a store share one password"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access"];

/// A reference as users write it, for messages.
fn describe(reference: &SecretRef) -> String {
    match reference {
        SecretRef::Env(name) => format!("`${name}`"),
        SecretRef::File(path) => format!("file `{path}`"),
        SecretRef::Kubernetes { name, key } => format!("Secret `{name}` key `{key}`"),
    }
}

pub fn check(policy: &Policy, out: &mut Findings) {
    // An undeclared store has only defaults, which CG501 already reports.
    for store in policy.stores.values().filter(|s| s.access.declared) {
        let credentials = store.access.credentials();
        for (i, (user, reference, pointer)) in credentials.iter().enumerate() {
            let Some((first_user, _, first_pointer)) = credentials[..i]
                .iter()
                .find(|(other, r, _)| r == reference && other != user)
            else {
                continue;
            };
            let span = policy
                .written_span(pointer, "password")
                .unwrap_or_else(|| policy.key_span(pointer));
            let d = out.report(
                format!(
                    "users `{first_user}` and `{user}` of store `{}` share the password {}: one leaked credential opens both",
                    store.name,
                    describe(reference)
                ),
                span,
                "same password as another user",
            );
            d.add_help(format!(
                "give `{user}` a password reference of its own, so it can be rotated and revoked alone"
            ));
            let first_span = policy
                .written_span(first_pointer, "password")
                .unwrap_or_else(|| policy.key_span(first_pointer));
            d.add_related(first_span, format!("`{first_user}` uses it too"));
        }
    }
}
