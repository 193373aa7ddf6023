//! Owns how the policy's Redis settings become redis.conf directives, and
//! what the fact tables (`facts`) say about them: since which version each
//! exists, since which it is ignored, whether it needs a restart. Render (redis.conf, node configs, the lock file) and
//! lint read this one table; verify compares `CONFIG GET` against it.

use crate::facts::{self, Engine};
use crate::policy::hosted::{Parameter, parameter};
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
    pub field: String,
    /// Whether `config_get` is what the server reports (false for a
    /// `config:` value the server rewrites, such as multi-word ones):
    /// verify compares only these.
    #[serde(skip)]
    pub comparable: bool,
    /// The JSON pointer of that field in the file (`/stores/cache/threads/io_threads`).
    #[serde(skip)]
    pub pointer: String,
    /// The store field with its value as written, for generated comments.
    pub comment: String,
}

impl Directive {
    /// The span of the field it comes from, only if the policy writes it
    /// (`save ""` and `appendonly no` are managed when left out).
    pub fn written_span(
        &self,
        policy: &crate::policy::model::Policy,
    ) -> Option<crate::source::Span> {
        let (parent, field) = self.pointer.rsplit_once('/')?;
        policy.written_span(parent, field)
    }
}

/// The pointer of a store-relative dotted field: `cluster…` fields live in the
/// store's cluster section (a top-level `cluster:` with the shorthand).
fn field_pointer(store: &Store, field: &str) -> String {
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

/// Redis 8.0 GA ignores `io-threads-do-reads` (its I/O threads always read);
/// the one fact not in the tables, whose 8.0 is the development line before
/// GA (see `data/redis-directives/README.md`).
const REDIS_IGNORED: &[(&str, Version)] = &[("io-threads-do-reads", (8, 0))];

/// Redis releases older than every fact table (the policy format still
/// accepts 5.0 to 6.2): when the directives cachegen manages appeared, from
/// the Redis release notes. It answers only for versions below the oldest
/// table, and goes once policies may name only releases with tables.
const REDIS_BEFORE_TABLES: &[(&str, Version)] = &[
    ("io-threads", (6, 0)),
    ("io-threads-do-reads", (6, 0)),
    ("lazyfree-lazy-user-del", (6, 0)),
    // From 7.0 the bus port is configurable and nodes can announce host
    // names (and redis-cli creates clusters from them); before, the bus
    // port is always port + 10000 and nodes announce IPs.
    ("cluster-port", (7, 0)),
    ("cluster-announce-hostname", (7, 0)),
    ("cluster-preferred-endpoint-type", (7, 0)),
];

/// Whether `name` means anything to `engine` at `version`, from the fact
/// tables: "since" is the oldest release of the engine whose table has it
/// (by name or alias). A name no table of the engine has is `Supported`: the
/// tables cannot date it, and whether it exists at all is asked of `facts`.
pub fn availability(engine: Engine, name: &str, version: Version) -> Availability {
    if engine == Engine::Redis
        && let Some(&(_, since)) = REDIS_IGNORED
            .iter()
            .find(|(n, since)| *n == name && version >= *since)
    {
        return Availability::IgnoredSince(since);
    }
    let oldest_table = facts::releases_of(engine).next().map(|r| r.version());
    if oldest_table.is_some_and(|oldest| version < oldest) {
        let since = (engine == Engine::Redis)
            .then(|| REDIS_BEFORE_TABLES.iter().find(|(n, _)| *n == name))
            .flatten()
            .map(|&(_, since)| since);
        return match since {
            Some(since) if version < since => Availability::Since(since),
            _ => Availability::Supported,
        };
    }
    match facts::releases_of(engine).find(|r| r.table().get(name).is_some()) {
        Some(first) if version < first.version() => Availability::Since(first.version()),
        _ => Availability::Supported,
    }
}

/// Whether `CONFIG SET` refuses `name` on `engine` at `version` (its table's
/// `immutable` flag), so drift in it is fixed only by a restart with the
/// right config file. Versions between or beyond the tables use the newest
/// table at or below them; versions older than every table use the oldest.
pub fn immutable(engine: Engine, version: Version, name: &str) -> bool {
    let mut releases = facts::releases_of(engine).peekable();
    let oldest = releases.peek().copied();
    let table = releases
        .filter(|r| r.version() <= version)
        .last()
        .or(oldest)
        .map(|r| r.table());
    table
        .and_then(|t| t.get(name))
        .is_some_and(|fact| fact.immutable())
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
            field: field.to_owned(),
            comparable: true,
            pointer: field_pointer(store, field),
            config_get,
            value,
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
    if let Some(r) = &store.replicated {
        // Only what the policy declares: absent, Redis's defaults (0 and
        // 10 s) hold, and `CONFIG GET` reports them.
        if let Some(n) = r.min_replicas_to_write {
            push(
                "min-replicas-to-write",
                "replicated.min_replicas_to_write",
                n.to_string(),
                n.to_string(),
            );
        }
        if let Some(d) = r.min_replicas_max_lag {
            push(
                "min-replicas-max-lag",
                "replicated.min_replicas_max_lag",
                d.as_secs().to_string(),
                d.to_string(),
            );
        }
    }
    // `config:` entries last, in file order, each as checked against the
    // release's facts (`lower`).
    for setting in &store.config {
        out.push(Directive {
            name: setting.name,
            value: setting.conf.clone(),
            config_get: setting
                .config_get
                .clone()
                .unwrap_or_else(|| setting.conf.clone()),
            field: format!("config.{}", setting.name),
            comparable: setting.config_get.is_some(),
            pointer: setting.pointer.clone(),
            comment: format!("config.{}: {}", setting.name, setting.conf),
        });
    }
    out
}

/// A hosted store's managed directives, each with what its service says
/// about setting it (`policy::hosted::parameter`; `None`: no confirmed
/// fact). The Terraform parameter group writes the `Accepted` ones with the
/// same values redis.conf would; lint reports the others the policy writes.
pub fn hosted_parameters(store: &Store) -> Vec<(Directive, Option<Parameter>)> {
    let Some(hosted) = &store.hosted else {
        return Vec::new();
    };
    managed_directives(store)
        .into_iter()
        .map(|d| {
            let fact = parameter(hosted.service, d.name);
            (d, fact)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_by_version() {
        let redis = |name, version| availability(Engine::Redis, name, version);
        // Before the tables, the release notes.
        assert_eq!(
            redis("lazyfree-lazy-user-del", (5, 0)),
            Availability::Since((6, 0))
        );
        assert_eq!(
            redis("lazyfree-lazy-user-del", (6, 2)),
            Availability::Supported
        );
        assert_eq!(redis("cluster-port", (6, 2)), Availability::Since((7, 0)));
        assert_eq!(redis("maxmemory", (5, 0)), Availability::Supported);
        // From the tables.
        assert_eq!(
            redis("io-threads-do-reads", (7, 0)),
            Availability::Supported
        );
        assert_eq!(
            redis("io-threads-do-reads", (8, 0)),
            Availability::IgnoredSince((8, 0))
        );
        assert_eq!(
            redis("cluster-announce-hostname", (7, 0)),
            Availability::Supported
        );
        assert_eq!(redis("locale-collate", (7, 0)), Availability::Since((7, 2)));
        assert_eq!(redis("locale-collate", (7, 4)), Availability::Supported);
        assert_eq!(
            redis("hide-user-data-from-log", (7, 2)),
            Availability::Since((7, 4))
        );
        // An alias dates like its directive.
        assert_eq!(redis("slaveof", (7, 0)), Availability::Supported);
        // Valkey keeps io-threads-do-reads and has primaryauth from its first table.
        let valkey = |name| availability(Engine::Valkey, name, (8, 0));
        assert_eq!(valkey("io-threads-do-reads"), Availability::Supported);
        assert_eq!(valkey("primaryauth"), Availability::Supported);
    }

    #[test]
    fn immutable_from_the_tables() {
        for name in [
            "io-threads",
            "io-threads-do-reads",
            "cluster-enabled",
            "cluster-config-file",
            "cluster-port",
            "tcp-backlog",
        ] {
            assert!(immutable(Engine::Redis, (7, 0), name), "{name}");
            assert!(immutable(Engine::Valkey, (8, 0), name), "{name}");
        }
        assert!(!immutable(Engine::Redis, (7, 0), "maxmemory"));
        assert!(!immutable(Engine::Redis, (6, 2), "maxmemory"));
        assert!(immutable(Engine::Redis, (6, 2), "tcp-backlog"));
        assert!(immutable(Engine::Redis, (9, 0), "tcp-backlog"));
        assert!(!immutable(Engine::Redis, (7, 0), "no-such-directive"));
    }
}
