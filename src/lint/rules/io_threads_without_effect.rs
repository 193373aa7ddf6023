//! CG104 io-threads-without-effect: I/O thread settings the server ignores or
//! that cost more than they give.

use crate::lint::Findings;
use crate::lint::rules::{version_text, written_span};
use crate::policy::model::{Policy, Store};
use crate::redis_directives::{Availability, availability};

crate::declare_rule! {
    /// ## What it does
    /// Reports `redis.threads` settings that do not do what they say:
    /// - `io_threads` above 1 for Redis before 6.0, which has no I/O threads
    ///   (the directive does not exist there);
    /// - `io_threads` at or above the declared `cores`;
    /// - `io_threads_do_reads` for Redis 8.0 and later, which ignores it.
    ///
    /// ## Why is this bad?
    /// A reviewer reads `io_threads: 4` as "four threads handle network I/O".
    /// Before 6.0 nothing happens at all. With as many I/O threads as cores
    /// (the count includes the main thread, which runs every command), the
    /// threads compete with each other and with background saves for the
    /// same CPUs, and latency gets worse, not better: the Redis documentation
    /// advises leaving at least one spare core, e.g. 2 or 3 threads on a
    /// 4-core box and 6 on an 8-core box. From 8.0, `io-threads-do-reads` is
    /// deprecated and a config line for it is silently ignored.
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
    "CG104", "io-threads-without-effect", Warning, "I/O thread settings that the server ignores or that compete for too few cores"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/version", "@store/threads"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let redis = &store.redis;
    let threads = store.at("threads");
    let version = version_text(redis.version);
    let io_threads_span = policy.span(&threads, "io_threads");
    if let Some(n) = redis.io_threads.filter(|&n| n > 1) {
        if redis.version < (6, 0) {
            out.report(
                format!("`io_threads: {n}` has no effect on Redis {version}: I/O threads arrived in Redis 6.0"),
                io_threads_span,
                "no I/O threads before Redis 6.0",
            )
            .add_help("remove `threads`, or target Redis 6.0 or later")
            .add_related(policy.span(&store.at("version"), ""), "target version");
        } else if let Some(cores) = redis.cores.filter(|&c| n >= c) {
            out.report(
                format!("`io_threads: {n}` on {cores} cores leaves no core spare: the threads compete with the main thread and background saves for CPU"),
                io_threads_span,
                "not fewer than `cores`",
            )
            .add_help(format!(
                "use fewer I/O threads than cores (Redis suggests 2 or 3 on 4 cores, 6 on 8): `io_threads: {}` here, or declare the real core count",
                suggested_threads(cores)
            ))
            .add_related(policy.span(&threads, "cores"), "cores the server gets");
        }
    }
    // Redis 8.0 ignores it; Valkey 8.0 still reads it (default yes).
    if availability(store.engine, "io-threads-do-reads", redis.version) != Availability::Supported
        && redis.io_threads_do_reads.is_some()
        && let Some(span) = written_span(policy, &threads, "io_threads_do_reads")
    {
        out.report(
            format!("`io_threads_do_reads` is ignored by Redis {version}"),
            span,
            "deprecated in Redis 8.0",
        )
        .add_help(
            "remove it: Redis 8.0 deprecated `io-threads-do-reads` and ignores the config line",
        );
    }
}

/// Roughly three quarters of the cores, at least 1 (the main thread alone).
fn suggested_threads(cores: u32) -> u32 {
    (cores * 3 / 4).clamp(1, cores.saturating_sub(1).max(1))
}
