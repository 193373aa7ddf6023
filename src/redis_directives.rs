//! Owns how the policy's Redis settings become redis.conf directives, and the
//! facts about those directives: since which version each exists and since
//! which it is ignored. Render (redis.conf, node configs, the lock file) and
//! lint read this one table; verify compares `CONFIG GET` against it.

use crate::policy::model::{Appendfsync, EvictionPolicy, Store, Version};
use serde::Serialize;

/// One directive the policy manages.
#[derive(Debug, Clone, Serialize)]
pub struct Directive {
    pub name: &'static str,
    /// The value as written in redis.conf.
    pub value: String,
    /// The value `CONFIG GET` reports once loaded (differs for `save ""`).
    pub config_get: String,
    /// The store field it comes from, dotted and relative to the store
    /// (`threads.io_threads`, `cluster.node_timeout`).
    #[serde(skip)]
    pub field: &'static str,
    /// The JSON pointer of that field in the file (`/stores/cache/threads/io_threads`).
    #[serde(skip)]
    pub pointer: String,
    /// The store field with its value as written, for generated comments.
    pub comment: String,
}

impl Directive {
    /// The JSON pointer of the policy field, for diagnostics that point at it.
    pub fn pointer(&self) -> String {
        self.pointer.clone()
    }
}

/// The pointer of a store-relative dotted field: `cluster…` fields live in the
/// store's cluster section (a top-level `cluster:` with the shorthand).
pub fn field_pointer(store: &Store, field: &str) -> String {
    match field.strip_prefix("cluster") {
        Some(rest) => store.cluster_at(rest.trim_start_matches('.').replace('.', "/").as_str()),
        None => store.at(&field.replace('.', "/")),
    }
}

/// Whether a directive means anything to a given server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Supported,
    /// Added in this version; older servers refuse the line.
    Since(Version),
    /// Deprecated in this version: accepted and ignored.
    IgnoredSince(Version),
}

/// A fact table about Redis, not a policy decision.
pub fn availability(name: &str, version: Version) -> Availability {
    let (since, ignored_since): (Version, Option<Version>) = match name {
        "io-threads" | "lazyfree-lazy-user-del" => ((6, 0), None),
        "io-threads-do-reads" => ((6, 0), Some((8, 0))),
        // From 7.0 the bus port is configurable and nodes can announce host
        // names (and redis-cli creates clusters from them); before, the bus
        // port is always port + 10000 and nodes announce IPs.
        "cluster-port" | "cluster-announce-hostname" | "cluster-preferred-endpoint-type" => {
            ((7, 0), None)
        }
        _ => ((5, 0), None),
    };
    if version < since {
        Availability::Since(since)
    } else if let Some(v) = ignored_since.filter(|v| version >= *v) {
        Availability::IgnoredSince(v)
    } else {
        Availability::Supported
    }
}

/// Directives `CONFIG SET` refuses: drift in them is fixed only by a restart
/// with the right config file (measured on 7.0.15: shared/notes/redis.md, and
/// `CONFIG SET tcp-backlog` answers "can't set immutable config").
pub fn immutable_at_runtime(name: &str) -> bool {
    matches!(
        name,
        "io-threads"
            | "io-threads-do-reads"
            | "cluster-enabled"
            | "cluster-config-file"
            | "cluster-port"
            | "tcp-backlog"
    )
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

/// Every directive the policy manages, in redis.conf section order, whatever
/// the target version (callers filter with `availability`).
pub fn managed_directives(store: &Store) -> Vec<Directive> {
    let r = &store.redis;
    let mut out = Vec::new();
    let mut push = |name: &'static str, field: &'static str, value: String, shown: String| {
        // `save ""` reads back as an empty string.
        let config_get = if value == "\"\"" {
            String::new()
        } else {
            value.clone()
        };
        out.push(Directive {
            name,
            pointer: field_pointer(store, field),
            config_get,
            value,
            field,
            comment: format!("{field}: {shown}"),
        });
    };

    push(
        "maxmemory",
        "maxmemory",
        r.maxmemory.bytes().to_string(),
        r.maxmemory.to_string(),
    );
    let eviction = eviction_policy_name(r.maxmemory_policy);
    push(
        "maxmemory-policy",
        "maxmemory_policy",
        eviction.into(),
        eviction.into(),
    );
    if let Some(n) = r.maxmemory_samples {
        push(
            "maxmemory-samples",
            "maxmemory_samples",
            n.to_string(),
            n.to_string(),
        );
    }

    // An empty `save` must be written as `save ""`: leaving it out would keep
    // Redis's default snapshot schedule.
    if r.save.is_empty() {
        push(
            "save",
            "persistence.save",
            "\"\"".into(),
            "[] (no snapshots)".into(),
        );
    } else {
        let value = r
            .save
            .iter()
            .map(|(after, changes)| format!("{} {changes}", after.as_secs()))
            .collect::<Vec<_>>()
            .join(" ");
        let shown = r
            .save
            .iter()
            .map(|(a, c)| format!("{c} changes in {a}"))
            .collect::<Vec<_>>()
            .join(", ");
        push("save", "persistence.save", value, shown);
    }
    push(
        "appendonly",
        "persistence.appendonly",
        yes_no(r.appendonly),
        r.appendonly.to_string(),
    );
    if let Some(fsync) = r.appendfsync {
        let v = match fsync {
            Appendfsync::Always => "always",
            Appendfsync::Everysec => "everysec",
            Appendfsync::No => "no",
        };
        push("appendfsync", "persistence.appendfsync", v.into(), v.into());
    }
    if let Some(n) = r.tcp_backlog {
        push(
            "tcp-backlog",
            "network.tcp_backlog",
            n.to_string(),
            n.to_string(),
        );
    }
    if let Some(d) = r.timeout {
        push(
            "timeout",
            "network.timeout",
            d.as_secs().to_string(),
            d.to_string(),
        );
    }
    if let Some(d) = r.tcp_keepalive {
        push(
            "tcp-keepalive",
            "network.tcp_keepalive",
            d.as_secs().to_string(),
            d.to_string(),
        );
    }
    if let Some(d) = r.slowlog_log_slower_than {
        push(
            "slowlog-log-slower-than",
            "slowlog.log_slower_than",
            d.as_micros().to_string(),
            format!("{d} (microseconds)"),
        );
    }
    if let Some(n) = r.slowlog_max_len {
        push(
            "slowlog-max-len",
            "slowlog.max_len",
            n.to_string(),
            n.to_string(),
        );
    }
    if let Some(n) = r.maxclients {
        push("maxclients", "maxclients", n.to_string(), n.to_string());
    }
    if let Some(n) = r.io_threads {
        push(
            "io-threads",
            "threads.io_threads",
            n.to_string(),
            n.to_string(),
        );
    }
    if let Some(b) = r.io_threads_do_reads {
        push(
            "io-threads-do-reads",
            "threads.io_threads_do_reads",
            yes_no(b),
            b.to_string(),
        );
    }
    for (name, field, value) in [
        (
            "lazyfree-lazy-eviction",
            "lazyfree.lazy_eviction",
            r.lazyfree_lazy_eviction,
        ),
        (
            "lazyfree-lazy-expire",
            "lazyfree.lazy_expire",
            r.lazyfree_lazy_expire,
        ),
        (
            "lazyfree-lazy-server-del",
            "lazyfree.lazy_server_del",
            r.lazyfree_lazy_server_del,
        ),
        (
            "lazyfree-lazy-user-del",
            "lazyfree.lazy_user_del",
            r.lazyfree_lazy_user_del,
        ),
        (
            "replica-lazy-flush",
            "replication.replica_lazy_flush",
            r.replica_lazy_flush,
        ),
        (
            "replica-read-only",
            "replication.replica_read_only",
            r.replica_read_only,
        ),
    ] {
        if let Some(b) = value {
            push(name, field, yes_no(b), b.to_string());
        }
    }
    if let Some(c) = &store.cluster {
        push("cluster-enabled", "cluster", "yes".into(), "present".into());
        push(
            "cluster-config-file",
            "cluster",
            "nodes.conf".into(),
            "present (node state file, kept beside the data)".into(),
        );
        push(
            "cluster-node-timeout",
            "cluster.node_timeout",
            c.node_timeout.as_millis().to_string(),
            format!("{} (milliseconds)", c.node_timeout),
        );
        if let Some(b) = c.require_full_coverage {
            push(
                "cluster-require-full-coverage",
                "cluster.require_full_coverage",
                yes_no(b),
                b.to_string(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_by_version() {
        assert_eq!(
            availability("lazyfree-lazy-user-del", (5, 0)),
            Availability::Since((6, 0))
        );
        assert_eq!(
            availability("lazyfree-lazy-user-del", (6, 2)),
            Availability::Supported
        );
        assert_eq!(
            availability("io-threads-do-reads", (7, 0)),
            Availability::Supported
        );
        assert_eq!(
            availability("io-threads-do-reads", (8, 0)),
            Availability::IgnoredSince((8, 0))
        );
        assert_eq!(availability("maxmemory", (5, 0)), Availability::Supported);
        assert_eq!(
            availability("cluster-port", (6, 2)),
            Availability::Since((7, 0))
        );
        assert_eq!(
            availability("cluster-announce-hostname", (7, 0)),
            Availability::Supported
        );
    }
}
