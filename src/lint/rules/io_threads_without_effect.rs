//! CG104 io-threads-without-effect: more I/O threads than the declared cores
//! leave room for, which cost more than they give. (A thread setting the
//! target version ignores is CG106's.)

use crate::lint::Findings;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports `redis.threads.io_threads` at or above the declared `cores`.
    /// (`io_threads_do_reads`, which Redis 8.0 ignores, is CG106's.)
    ///
    /// ## Why is this bad?
    /// A reviewer reads `io_threads: 4` as "four threads handle network I/O".
    /// With as many I/O threads as cores
    /// (the count includes the main thread, which runs every command), the
    /// threads compete with each other and with background saves for the
    /// same CPUs, and latency gets worse, not better: the Redis documentation
    /// advises leaving at least one spare core, e.g. 2 or 3 threads on a
    /// 4-core box and 6 on an 8-core box.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   version: "7.0"
    ///   threads:
    ///     io_threads: 4      # CG104
    ///     cores: 2
    /// ```
    /// Use instead `io_threads: 1` on 2 cores (or give the node more cores).
    "CG104", "io-threads-without-effect", Warning, "more I/O threads than the declared cores leave room for"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/threads"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let redis = &store.redis;
    let threads = store.at("threads");
    if let Some(n) = redis.io_threads.filter(|&n| n > 1)
        && let Some(cores) = redis.cores.filter(|&c| n >= c)
    {
        out.report(
            format!("`io_threads: {n}` on {cores} cores leaves no core spare: the threads compete with the main thread and background saves for CPU"),
            policy.span(&threads, "io_threads"),
            "not fewer than `cores`",
        )
        .add_help(format!(
            "use fewer I/O threads than cores (Redis suggests 2 or 3 on 4 cores, 6 on 8): `io_threads: {}` here, or declare the real core count",
            suggested_threads(cores)
        ))
        .add_related(policy.span(&threads, "cores"), "cores the server gets");
    }
}

fn suggested_threads(cores: u32) -> u32 {
    (cores * 3 / 4).clamp(1, cores.saturating_sub(1).max(1))
}
