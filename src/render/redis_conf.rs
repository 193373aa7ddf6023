//! Owns the redis.conf target: the policy's Redis settings as directives for
//! the target server version, each with the policy field it comes from.
//!
//! Values are rendered from typed model values (bytes, seconds, enums), never
//! from user text, so nothing a policy says can inject a directive.

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::{Appendfsync, EvictionPolicy, Policy, Version};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/redis.conf.j2",
    include_str!("../../templates/redis/redis.conf.j2"),
)];

pub fn render(policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    Ok(vec![OutputFile {
        path: "redis/redis.conf".into(),
        contents: r.render("redis/redis.conf.j2", Some("#"), &context(policy))?,
    }])
}

#[derive(Debug, Serialize)]
pub struct Directive {
    pub name: &'static str,
    /// The value as written in redis.conf.
    pub value: String,
    /// The value `CONFIG GET` reports once loaded (differs for `save ""`).
    pub config_get: String,
    /// The policy field the value comes from, with its value as written.
    pub comment: String,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub name: &'static str,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub version: String,
    pub directives: Vec<Directive>,
    pub skipped: Vec<Skipped>,
}

/// Versions in which a directive exists and is honoured, as `[since, until)`.
/// A fact table about Redis, not a policy decision.
fn supported(name: &str) -> (Version, Option<Version>) {
    match name {
        "io-threads" | "lazyfree-lazy-user-del" => ((6, 0), None),
        // Redis 8.0 deprecates it: the line is accepted and ignored.
        "io-threads-do-reads" => ((6, 0), Some((8, 0))),
        _ => ((5, 0), None),
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes".into() } else { "no".into() }
}

pub fn eviction_policy_name(p: EvictionPolicy) -> &'static str {
    match p {
        EvictionPolicy::Noeviction => "noeviction",
        EvictionPolicy::AllkeysLru => "allkeys-lru",
        EvictionPolicy::AllkeysLfu => "allkeys-lfu",
        EvictionPolicy::AllkeysRandom => "allkeys-random",
        EvictionPolicy::VolatileLru => "volatile-lru",
        EvictionPolicy::VolatileLfu => "volatile-lfu",
        EvictionPolicy::VolatileRandom => "volatile-random",
        EvictionPolicy::VolatileTtl => "volatile-ttl",
    }
}

/// Every directive the policy manages, in redis.conf section order, with the
/// value Redis reports back through `CONFIG GET` (`verify` compares against
/// the same list).
pub fn managed_directives(policy: &Policy) -> Vec<Directive> {
    let r = &policy.redis;
    let mut out = Vec::new();
    let mut push = |name: &'static str, value: String, comment: String| {
        let config_get = if value == "\"\"" {
            String::new()
        } else {
            value.clone()
        };
        out.push(Directive {
            name,
            config_get,
            value,
            comment,
        })
    };

    push(
        "maxmemory",
        r.maxmemory.bytes().to_string(),
        format!("redis.maxmemory: {}", r.maxmemory),
    );
    let policy_name = eviction_policy_name(r.maxmemory_policy);
    push(
        "maxmemory-policy",
        policy_name.into(),
        format!("redis.maxmemory_policy: {policy_name}"),
    );
    if let Some(n) = r.maxmemory_samples {
        push(
            "maxmemory-samples",
            n.to_string(),
            format!("redis.maxmemory_samples: {n}"),
        );
    }

    // An empty `save` must be written as `save ""`: leaving it out would keep
    // Redis's default snapshot schedule.
    let save = if r.save.is_empty() {
        "\"\"".to_string()
    } else {
        r.save
            .iter()
            .map(|(after, changes)| format!("{} {changes}", after.as_secs()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let save_comment = if r.save.is_empty() {
        "redis.persistence.save: [] (no snapshots)".to_string()
    } else {
        let points: Vec<String> = r
            .save
            .iter()
            .map(|(a, c)| format!("{c} changes in {a}"))
            .collect();
        format!("redis.persistence.save: {}", points.join(", "))
    };
    push("save", save, save_comment);
    push(
        "appendonly",
        yes_no(r.appendonly),
        format!("redis.persistence.appendonly: {}", r.appendonly),
    );
    if let Some(fsync) = r.appendfsync {
        let v = match fsync {
            Appendfsync::Always => "always",
            Appendfsync::Everysec => "everysec",
            Appendfsync::No => "no",
        };
        push(
            "appendfsync",
            v.into(),
            format!("redis.persistence.appendfsync: {v}"),
        );
    }

    if let Some(n) = r.tcp_backlog {
        push(
            "tcp-backlog",
            n.to_string(),
            format!("redis.network.tcp_backlog: {n}"),
        );
    }
    if let Some(d) = r.timeout {
        push(
            "timeout",
            d.as_secs().to_string(),
            format!("redis.network.timeout: {d}"),
        );
    }
    if let Some(d) = r.tcp_keepalive {
        push(
            "tcp-keepalive",
            d.as_secs().to_string(),
            format!("redis.network.tcp_keepalive: {d}"),
        );
    }
    if let Some(d) = r.slowlog_log_slower_than {
        push(
            "slowlog-log-slower-than",
            d.as_micros().to_string(),
            format!("redis.slowlog.log_slower_than: {d} (microseconds)"),
        );
    }
    if let Some(n) = r.slowlog_max_len {
        push(
            "slowlog-max-len",
            n.to_string(),
            format!("redis.slowlog.max_len: {n}"),
        );
    }
    if let Some(n) = r.maxclients {
        push(
            "maxclients",
            n.to_string(),
            format!("redis.maxclients: {n}"),
        );
    }
    if let Some(n) = r.io_threads {
        push(
            "io-threads",
            n.to_string(),
            format!("redis.threads.io_threads: {n}"),
        );
    }
    if let Some(b) = r.io_threads_do_reads {
        push(
            "io-threads-do-reads",
            yes_no(b),
            format!("redis.threads.io_threads_do_reads: {b}"),
        );
    }
    for (name, value, field) in [
        (
            "lazyfree-lazy-eviction",
            r.lazyfree_lazy_eviction,
            "redis.lazyfree.lazy_eviction",
        ),
        (
            "lazyfree-lazy-expire",
            r.lazyfree_lazy_expire,
            "redis.lazyfree.lazy_expire",
        ),
        (
            "lazyfree-lazy-server-del",
            r.lazyfree_lazy_server_del,
            "redis.lazyfree.lazy_server_del",
        ),
        (
            "lazyfree-lazy-user-del",
            r.lazyfree_lazy_user_del,
            "redis.lazyfree.lazy_user_del",
        ),
        (
            "replica-lazy-flush",
            r.replica_lazy_flush,
            "redis.replication.replica_lazy_flush",
        ),
        (
            "replica-read-only",
            r.replica_read_only,
            "redis.replication.replica_read_only",
        ),
    ] {
        if let Some(b) = value {
            push(name, yes_no(b), format!("{field}: {b}"));
        }
    }
    if let Some(c) = &policy.cluster {
        push("cluster-enabled", "yes".into(), "cluster: present".into());
        push(
            "cluster-config-file",
            "nodes.conf".into(),
            "cluster: present (node state file, kept beside the data)".into(),
        );
        push(
            "cluster-node-timeout",
            c.node_timeout.as_millis().to_string(),
            format!("cluster.node_timeout: {} (milliseconds)", c.node_timeout),
        );
        if let Some(b) = c.require_full_coverage {
            push(
                "cluster-require-full-coverage",
                yes_no(b),
                format!("cluster.require_full_coverage: {b}"),
            );
        }
    }
    out
}

pub fn context(policy: &Policy) -> Context {
    let version = policy.redis.version;
    let mut directives = Vec::new();
    let mut skipped = Vec::new();
    for d in managed_directives(policy) {
        let (since, until) = supported(d.name);
        if version < since {
            skipped.push(Skipped {
                name: d.name,
                reason: format!("added in Redis {}.{}", since.0, since.1),
            });
        } else if until.is_some_and(|u| version >= u) {
            let u = until.unwrap_or_default();
            skipped.push(Skipped {
                name: d.name,
                reason: format!("ignored since Redis {}.{}", u.0, u.1),
            });
        } else {
            directives.push(d);
        }
    }
    Context {
        version: format!("{}.{}", version.0, version.1),
        directives,
        skipped,
    }
}
