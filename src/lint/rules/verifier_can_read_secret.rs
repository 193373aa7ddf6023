//! CG505 verifier-can-read-secret: the verifier user is allowed `CONFIG
//! GET` on a store whose configuration holds a secret.

use crate::lint::Findings;
use crate::policy::model::{ConfigGet, Policy};

crate::declare_rule! {
    /// ## What it does
    /// Reports `access.verifier.config_get: allow` on a store with replicas,
    /// whose configuration holds `masterauth`.
    ///
    /// ## Why is this bad?
    /// `CONFIG GET` returns every setting in clear text, `masterauth` and
    /// `requirepass` included, and Redis ACLs cannot limit which settings it
    /// returns. Replicas authenticate with `masterauth`, so whoever holds
    /// the verifier's credentials (a CI job, a monitoring host) can read the
    /// replication password and, through it, take the data. cachegen's
    /// default (`auto`) denies `CONFIG GET` there: `cachegen verify` then
    /// checks what `INFO` shows and lists what it skipped.
    ///
    /// ## Example
    /// ```yaml
    /// access:
    ///   verifier:
    ///     config_get: allow   # CG505 on a cluster with replicas
    /// ```
    /// Use instead `config_get: auto` (or omit it).
    "CG505", "verifier-can-read-secret", Error, "the verifier user can read a secret with CONFIG GET"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access/verifier", "@cluster/replicas_per_master"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let verifier = &store.access.verifier;
        if verifier.config_get != ConfigGet::Allow || !store.config_holds_secret() {
            continue;
        }
        let d = out.report(
            format!(
                "the verifier user of store `{}` may run `CONFIG GET`, which returns `masterauth` (the replicas' password) in clear text",
                store.name
            ),
            policy.span(&verifier.pointer, "config_get"),
            "reveals `masterauth`",
        );
        d.add_help(
            "use `config_get: auto`: verify then checks what `INFO` shows and lists the settings it could not read",
        );
        if let Some(span) = policy.written_span(&store.cluster_pointer, "replicas_per_master") {
            d.add_related(span, "replicas authenticate with `masterauth`");
        }
    }
}
