//! Owns which redis.conf directives a store sets through fields of its own
//! (first-class, linted settings), through its topology or through its
//! access control, so the `config:` map cannot set them a second time, and
//! how the lock reads each back.

/// How a `CONFIG GET` string becomes a policy value.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Form {
    /// A whole number, copied (`maxmemory` in bytes, `maxclients`).
    Number,
    /// A name the schema checks (`maxmemory-policy`, `appendfsync`).
    Name,
    YesNo,
    /// `save`: `<seconds> <changes>` pairs, or empty for none.
    Save,
    Secs,
    Micros,
    /// Derived from the `cluster` or `replicated` section (the section is
    /// the entry's field); compared after lowering.
    FromTopology,
}

/// Every directive a store sets through a field of its own, with that
/// field's path under the store (the `Directive::field` of
/// `redis_directives`) and how its `CONFIG GET` string reads back.
pub(crate) const DIRECTIVES: &[(&str, &str, Form)] = &[
    ("maxmemory", "maxmemory", Form::Number),
    ("maxmemory-policy", "maxmemory_policy", Form::Name),
    ("maxmemory-samples", "maxmemory_samples", Form::Number),
    ("save", "persistence/save", Form::Save),
    ("appendonly", "persistence/appendonly", Form::YesNo),
    ("appendfsync", "persistence/appendfsync", Form::Name),
    ("tcp-backlog", "network/tcp_backlog", Form::Number),
    ("timeout", "network/timeout", Form::Secs),
    ("tcp-keepalive", "network/tcp_keepalive", Form::Secs),
    (
        "slowlog-log-slower-than",
        "slowlog/log_slower_than",
        Form::Micros,
    ),
    ("slowlog-max-len", "slowlog/max_len", Form::Number),
    ("maxclients", "maxclients", Form::Number),
    ("io-threads", "threads/io_threads", Form::Number),
    (
        "io-threads-do-reads",
        "threads/io_threads_do_reads",
        Form::YesNo,
    ),
    (
        "lazyfree-lazy-eviction",
        "lazyfree/lazy_eviction",
        Form::YesNo,
    ),
    ("lazyfree-lazy-expire", "lazyfree/lazy_expire", Form::YesNo),
    (
        "lazyfree-lazy-server-del",
        "lazyfree/lazy_server_del",
        Form::YesNo,
    ),
    (
        "lazyfree-lazy-user-del",
        "lazyfree/lazy_user_del",
        Form::YesNo,
    ),
    (
        "replica-lazy-flush",
        "replication/replica_lazy_flush",
        Form::YesNo,
    ),
    (
        "replica-read-only",
        "replication/replica_read_only",
        Form::YesNo,
    ),
    ("cluster-enabled", "cluster", Form::FromTopology),
    ("cluster-config-file", "cluster", Form::FromTopology),
    ("cluster-node-timeout", "cluster", Form::FromTopology),
    (
        "cluster-require-full-coverage",
        "cluster",
        Form::FromTopology,
    ),
    ("min-replicas-to-write", "replicated", Form::FromTopology),
    ("min-replicas-max-lag", "replicated", Form::FromTopology),
];

/// Directives cachegen writes from the store's deployment (ports, paths,
/// daemon mode, cluster wiring) or that would change what the file means
/// (`include` pulls in another file; `replicaof` is replication topology):
/// never from `config:`.
pub(crate) const DEPLOYMENT: &[&str] = &[
    "port",
    "bind",
    "dir",
    "daemonize",
    "pidfile",
    "logfile",
    "include",
    "replicaof",
    "cluster-port",
    "cluster-announce-ip",
    "cluster-announce-hostname",
    "cluster-announce-port",
    "cluster-announce-bus-port",
];

/// Directives every store's access control writes (protected mode, the ACL
/// file) or its `access.tls` section does: a `config:` entry would write a
/// second, conflicting line (`protected-mode no`, another ACL file, TLS
/// without the client-certificate rule). `requirepass`, `masteruser` and
/// `masterauth` are secrets (CG030); `port` and `include` belong to the
/// deployment.
pub(crate) const ACCESS: &[&str] = &[
    "protected-mode",
    "aclfile",
    "tls-port",
    "tls-cert-file",
    "tls-key-file",
    "tls-ca-cert-file",
    "tls-auth-clients",
    "tls-replication",
    "tls-cluster",
];

/// The store field that sets `directive`, as written (`persistence.appendonly`),
/// or the section (`cluster`, `replicated`) for a topology's own directives.
pub(crate) fn field_of(directive: &str) -> Option<String> {
    DIRECTIVES
        .iter()
        .find(|d| d.0 == directive)
        .map(|d| d.1.replace('/', "."))
}
