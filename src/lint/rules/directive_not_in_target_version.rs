//! CG106 directive-not-in-target-version: a Redis setting the target server
//! version does not have, or ignores, so it is left out of redis.conf.

use crate::lint::Findings;
use crate::lint::rules::version_text;
use crate::policy::model::{Policy, Store};
use crate::redis_directives::{Availability, availability, managed_directives};

crate::declare_rule! {
    /// ## What it does
    /// Reports policy settings whose redis.conf directive does not exist in
    /// the policy's `redis.version`, or is accepted and ignored there.
    /// `cachegen build` leaves such directives out of redis.conf (and lists
    /// them in a comment at its end); this rule says so where the setting is.
    ///
    /// ## Why is this bad?
    /// The policy promises a behaviour the server will not have. An older
    /// Redis refuses to start on an unknown directive, so cachegen cannot
    /// emit it; a newer one that deprecated a directive ignores it silently.
    /// Either way the reviewer reading the policy is misled.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   version: "8.0"
    ///   threads:
    ///     io_threads_do_reads: true   # CG106: Redis 8.0 ignores io-threads-do-reads
    /// ```
    /// Remove the setting, or set `redis.version` to the version you run.
    "CG106", "directive-not-in-target-version", Warning, "a setting the target Redis version does not have or ignores"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/version"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let version = store.redis.version;
    for d in managed_directives(store) {
        let (message, label) = match availability(store.engine, d.name, version) {
            Availability::Supported => continue,
            Availability::Since(since) => (
                format!(
                    "`{}` exists from Redis {}; the target is Redis {}, so it is left out of redis.conf",
                    d.name,
                    version_text(since),
                    version_text(version)
                ),
                "not in this version",
            ),
            Availability::IgnoredSince(since) => (
                format!(
                    "`{}` is ignored by Redis {} (deprecated in {}); it is left out of redis.conf",
                    d.name,
                    version_text(version),
                    version_text(since)
                ),
                "ignored by this version",
            ),
        };
        out.report(message, policy.span(&d.pointer, ""), label)
            .add_help("remove the setting, or set the store's `version` to the version you run");
    }
}
