//! Owns the format's stores: one Redis deployment each (`stores.<name>`, or
//! the single-store shorthand `redis:` + `cluster:`), with its redis.conf
//! settings (persistence, network, slow log, threads, lazy freeing,
//! replication) and its cluster topology and Kubernetes deployment.

use crate::load::units::{Duration, MemorySize};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// One Redis deployment (a store): its server settings, named after their
/// redis.conf directives, and its topology.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// The server: `redis` (the default) or `valkey`. Their defaults,
    /// directives and version numbers differ.
    #[serde(default)]
    pub engine: Option<crate::facts::Engine>,
    /// Target server version, `major.minor` (`"7.0"`; for Valkey its own
    /// release, `"8.0"`, not the `redis_version` it reports). Directives
    /// the version does not know are not emitted.
    pub version: String,
    /// `maxmemory`, in Redis units: `2gb` is 2·1024³ bytes, `2g` is 2·10⁹.
    pub maxmemory: MemorySize,
    /// `maxmemory-policy`: what Redis evicts when memory is full.
    pub maxmemory_policy: EvictionPolicy,
    /// `maxmemory-samples`: keys sampled per eviction (LRU/LFU accuracy).
    #[serde(default)]
    #[schemars(range(min = 1, max = 64))]
    pub maxmemory_samples: Option<u32>,
    /// RDB snapshots and the append-only file.
    #[serde(default)]
    pub persistence: Persistence,
    /// Connection handling (`tcp-backlog`, `timeout`, `tcp-keepalive`).
    #[serde(default)]
    pub network: Option<Network>,
    /// The slow log (`slowlog-log-slower-than`, `slowlog-max-len`).
    #[serde(default)]
    pub slowlog: Option<Slowlog>,
    /// `maxclients`.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub maxclients: Option<u32>,
    /// I/O threading (`io-threads`, `io-threads-do-reads`) and the cores it may use.
    #[serde(default)]
    pub threads: Option<Threads>,
    /// Background freeing of memory (`lazyfree-*`).
    #[serde(default)]
    pub lazyfree: Option<Lazyfree>,
    /// Replica behaviour (`replica-*`).
    #[serde(default)]
    pub replication: Option<Replication>,
    /// Any other directive of the engine and version, by its redis.conf
    /// name (`hz: 20`, `activedefrag: true`, `lfu-log-factor: 10`),
    /// checked against that release's own facts: the name, the type, the
    /// range, enum values and memory units (`64mb`). Settings that have a
    /// field of their own (`maxmemory`, `persistence`…) are set there;
    /// secrets (`requirepass`) never in a policy.
    #[serde(default)]
    pub config: IndexMap<String, crate::facts::ConfigValue>,
    /// Redis Cluster topology and deployment. Omit for a single node. (With
    /// the `redis:` shorthand, the top-level `cluster:` says this.)
    #[serde(default)]
    pub cluster: Option<Cluster>,
    /// A primary with replicas, optionally watched by Redis Sentinel, run
    /// by you (not with `cluster` or `hosted`).
    #[serde(default)]
    pub replicated: Option<super::Replicated>,
    /// A managed service runs the store (AWS ElastiCache or MemoryDB,
    /// Google Memorystore, Azure Cache for Redis): it decides the topology,
    /// failover and `maxmemory` (from the node type), so this excludes
    /// `cluster` and `replicated`. The store's `maxmemory` is then the memory
    /// budget cachegen plans with; keep it within what the node type gives.
    /// Where cachegen knows the service's parameter group family for the
    /// engine release and has directive facts for it (AWS ElastiCache,
    /// Redis 7.0 and Valkey 8.0), `build` writes the parameter group as
    /// Terraform from the store's own fields. `config:` is refused on a
    /// hosted store: none of its entries would reach the service.
    #[serde(default)]
    pub hosted: Option<super::Hosted>,
    /// Access control: users, their password references, what each service
    /// may touch, TLS and who may connect. Omitted, the store still requires
    /// authentication (operator, verifier and replication users only).
    #[serde(default)]
    pub access: Option<super::Access>,
}

/// A `maxmemory-policy`. `allkeys-*` may evict any key; `volatile-*` only keys
/// with a TTL (and behave like `noeviction` when none is left); `noeviction`
/// rejects writes when memory is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
pub enum EvictionPolicy {
    #[serde(rename = "noeviction")]
    Noeviction,
    #[serde(rename = "allkeys-lru")]
    AllkeysLru,
    #[serde(rename = "allkeys-lfu")]
    AllkeysLfu,
    #[serde(rename = "allkeys-random")]
    AllkeysRandom,
    #[serde(rename = "volatile-lru")]
    VolatileLru,
    #[serde(rename = "volatile-lfu")]
    VolatileLfu,
    #[serde(rename = "volatile-random")]
    VolatileRandom,
    #[serde(rename = "volatile-ttl")]
    VolatileTtl,
}

/// Persistence. Leaving both off means a restart empties Redis.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    /// RDB `save` points. Empty means no snapshots (`save ""`).
    #[serde(default)]
    pub save: Vec<SavePoint>,
    /// `appendonly`: keep an append-only file.
    #[serde(default)]
    pub appendonly: bool,
    /// `appendfsync`.
    #[serde(default)]
    pub appendfsync: Option<Appendfsync>,
}

/// Snapshot when at least `changes` writes happened within `after`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SavePoint {
    /// The window (`3600s` in `save 3600 1`).
    pub after: Duration,
    /// Writes needed within the window (`1` in `save 3600 1`).
    #[schemars(range(min = 1))]
    pub changes: u64,
}

/// How often the append-only file is flushed to disk (`appendfsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Appendfsync {
    Always,
    Everysec,
    No,
}

/// Connection handling.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// `tcp-backlog`.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub tcp_backlog: Option<u32>,
    /// `timeout`: close idle client connections after this long; `0s` never.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// `tcp-keepalive`.
    #[serde(default)]
    pub tcp_keepalive: Option<Duration>,
}

/// The slow log.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slowlog {
    /// `slowlog-log-slower-than` (written to redis.conf in microseconds).
    pub log_slower_than: Duration,
    /// `slowlog-max-len`.
    #[schemars(range(min = 1))]
    pub max_len: u32,
}

/// I/O threading.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Threads {
    /// `io-threads` (Redis 6.0+; 1 means only the main thread).
    #[schemars(range(min = 1, max = 128))]
    pub io_threads: u32,
    /// `io-threads-do-reads` (Redis 6.0 to 7.x; ignored by 8.0).
    #[serde(default)]
    pub io_threads_do_reads: Option<bool>,
    /// CPU cores the server gets. Lint checks `io_threads` against it.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub cores: Option<u32>,
}

/// Background (lazy) freeing of memory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lazyfree {
    /// `lazyfree-lazy-eviction`.
    #[serde(default)]
    pub lazy_eviction: Option<bool>,
    /// `lazyfree-lazy-expire`.
    #[serde(default)]
    pub lazy_expire: Option<bool>,
    /// `lazyfree-lazy-server-del`.
    #[serde(default)]
    pub lazy_server_del: Option<bool>,
    /// `lazyfree-lazy-user-del`.
    #[serde(default)]
    pub lazy_user_del: Option<bool>,
}

/// Replica behaviour.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// `replica-lazy-flush`.
    #[serde(default)]
    pub replica_lazy_flush: Option<bool>,
    /// `replica-read-only`.
    #[serde(default)]
    pub replica_read_only: Option<bool>,
}

/// Redis Cluster.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    /// Number of master nodes (Redis Cluster needs at least 3).
    #[schemars(range(min = 1, max = 1000))]
    pub masters: u32,
    /// Replicas per master.
    #[schemars(range(max = 16))]
    pub replicas_per_master: u32,
    /// `cluster-node-timeout`.
    pub node_timeout: Duration,
    /// `cluster-require-full-coverage`: refuse all writes when any slot is uncovered.
    #[serde(default)]
    pub require_full_coverage: Option<bool>,
    /// Kubernetes deployment. Omit to render only VM configs.
    #[serde(default)]
    pub kubernetes: Option<Kubernetes>,
}

/// What a Kubernetes deployment of the cluster needs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// Namespace (a DNS-1123 label).
    pub namespace: String,
    /// Base name of the StatefulSet and Services (a DNS-1123 label). Defaults
    /// to `<policy name>-<store name>`.
    #[serde(default)]
    pub name: Option<String>,
    /// Container image, e.g. `redis:7.0.15`. Defaults to the official image
    /// of the store's engine and release (`redis:7.2.6`,
    /// `valkey/valkey:8.0.1`); an image of the other engine is an error.
    #[serde(default)]
    pub image: Option<String>,
    /// Container memory limit as a Kubernetes quantity (`3Gi`).
    pub memory_limit: String,
    /// CPU request and limit as a Kubernetes quantity (`2`, `500m`).
    #[serde(default)]
    pub cpu: Option<String>,
    /// Persistent volume size per node as a Kubernetes quantity (`10Gi`).
    pub storage: String,
    /// Storage class of the data volume. Defaults to the cluster's default.
    #[serde(default)]
    pub storage_class: Option<String>,
}
