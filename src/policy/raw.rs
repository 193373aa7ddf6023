//! Owns the policy file format, version 1, as serde structs. Their doc comments
//! are the format's reference: schemars turns them into `schema/policy.schema.json`
//! and `cachegen schema`. Nothing here is validated beyond shape; `lower` turns
//! these structs into the checked `model::Policy`.

pub use crate::keys::PlaceholderType;
use crate::load::units::{self, Duration, MemorySize, Percent};
use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

/// A cachegen cache policy: the TTL matrix, the Redis key patterns, invalidation,
/// edge (CDN) rules, the Redis server and cluster, client settings, performance
/// targets and cache warming, in one reviewed file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cachegen policy, format version 1")]
pub struct Policy {
    /// Policy format version. Must be `1`.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Name of the system this policy configures. Defaults to the file name
    /// without `.yaml`. Used in generated file headers and Kubernetes names.
    #[serde(default)]
    pub name: Option<String>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
    /// Lifetimes: named TTL classes, the default for unlisted content, jitter
    /// and the cap for authenticated content.
    pub ttl: TtlSection,
    /// Redis key patterns: the version prefix, placeholder types and every key
    /// shape the application writes.
    pub keys: KeysSection,
    /// Tag sets used for tag invalidation, by tag name. A key pattern joins a
    /// tag by listing it in its `tags`.
    #[serde(default)]
    pub tags: IndexMap<String, TagDef>,
    /// What is invalidated when: cascades between key patterns and
    /// application events.
    #[serde(default)]
    pub invalidation: Invalidation,
    /// CDN / edge caching routes and the origin's response headers.
    #[serde(default)]
    pub edge: Option<Edge>,
    /// The Redis server configuration (rendered to redis.conf).
    pub redis: RedisServer,
    /// Redis Cluster topology and deployment. Omit for a single node.
    #[serde(default)]
    pub cluster: Option<Cluster>,
    /// Settings application clients must use to reach Redis.
    #[serde(default)]
    pub client: Option<Client>,
    /// Performance targets that `cachegen verify` measures against.
    #[serde(default)]
    pub targets: Option<Targets>,
    /// What is loaded into the cache ahead of demand, and when.
    #[serde(default)]
    pub warming: Option<Warming>,
    /// Lint rule levels for this policy. The command line overrides them.
    #[serde(default)]
    pub lint: LintLevels,
}

/// TTL classes and the rules every TTL follows.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TtlSection {
    /// TTL for content whose pattern names no class and no explicit TTL.
    pub default: Duration,
    /// Random extra lifetime added to every TTL, as a fraction of it (`10%`
    /// means a 1h TTL becomes 1h to 1h6m). Spreads expiry so a warmed set of
    /// keys does not expire in one instant and stampede the database.
    #[serde(default)]
    pub jitter: Option<Percent>,
    /// Upper bound for the TTL of authenticated (per-user) content, jitter
    /// included. Stale personal data is worse than stale public data. A
    /// longer TTL is lowered until its whole jittered range fits under the
    /// cap (15m with 10% jitter: 13m39s to 15m); CG309 reports a pattern
    /// whose own `ttl` is lowered.
    #[serde(default)]
    pub authenticated_cap: Option<Duration>,
    /// Named TTL classes (the TTL matrix), by class name.
    #[serde(default)]
    pub classes: IndexMap<String, Duration>,
    /// The oldest data any user may see, counted across every cache layer
    /// (browser, edge, application, Redis; see `cachegen explain`). Applies to
    /// every route and key pattern that sets no `max_staleness` of its own.
    /// The `staleness-budget-exceeded` lint reports what exceeds it.
    #[serde(default)]
    pub max_staleness: Option<Duration>,
}

/// The Redis keyspace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    /// Prefix put before every key, followed by `:` (`v2` gives `v2:user:42:profile`).
    /// Change it to invalidate everything at once.
    #[serde(default)]
    pub version_prefix: Option<String>,
    /// Prefixes of earlier versions. `verify` reports keys still carrying them.
    #[serde(default)]
    pub previous_prefixes: Vec<String>,
    /// Largest value any key should hold. `verify` reports bigger values.
    #[serde(default)]
    pub max_value_size: Option<MemorySize>,
    /// Placeholder types, by placeholder name, used as `<name>` in patterns.
    /// Types: `int` (decimal digits), `uuid` (lowercase 8-4-4-4-12 hex),
    /// `slug` (lowercase letters, digits, `-`, `_`), `token` (letters, digits,
    /// `-`, `_`), `md5` (32 lowercase hex digits).
    #[serde(default)]
    pub placeholders: IndexMap<String, PlaceholderType>,
    /// Key patterns, by pattern name.
    pub patterns: IndexMap<String, KeyPatternDef>,
}

/// One key shape the application reads and writes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPatternDef {
    /// The key without the version prefix: literal segments and `<placeholder>`
    /// segments separated by `:`, e.g. `user:<user_id>:profile`. Placeholders use
    /// angle brackets because `{...}` in a real Redis key is a hash tag.
    pub pattern: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
    /// A TTL class name, an explicit duration (`90s`), or `none` for keys that
    /// never expire. Defaults to `ttl.default`.
    #[serde(default)]
    #[schemars(extend("x-ttl-reference" = true))]
    pub ttl: Option<String>,
    /// Overrides `ttl.jitter` for this pattern.
    #[serde(default)]
    pub jitter: Option<Percent>,
    /// The Redis data type stored under the key.
    #[serde(default, rename = "type")]
    pub value_type: ValueType,
    /// How the application keeps the key and the database consistent.
    #[serde(default)]
    pub strategy: Strategy,
    /// For `write-behind`: the key pattern of the queue that carries pending writes.
    #[serde(default)]
    pub queue: Option<String>,
    /// For `refresh-ahead`: refresh when this fraction of the TTL remains (`20%`).
    #[serde(default)]
    pub refresh_when_remaining: Option<Percent>,
    /// The content is per-user (authenticated); its TTL is capped by
    /// `ttl.authenticated_cap`.
    #[serde(default)]
    pub authenticated: bool,
    /// The data must never be evicted or lost (sessions, write-behind queues,
    /// pending writes). Lint checks eviction and persistence against it.
    #[serde(default)]
    pub durable: bool,
    /// For Redis Cluster: the run of segments that forms the key's hash tag,
    /// written as in `pattern` (`user:<user_id>`), or one placeholder name
    /// (`user_id`). Keys with equal hash tags share a slot, so they can be
    /// deleted in one command.
    #[serde(default)]
    pub hash_tag: Option<String>,
    /// Tags this key joins (see the top-level `tags`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Store values larger than this compressed.
    #[serde(default)]
    pub compress_above: Option<MemorySize>,
    /// Stampede protection: one client rebuilds a missing key while the others wait.
    #[serde(default)]
    pub stampede_lock: Option<StampedeLock>,
    /// TTL of the application's in-memory (in-process) cache in front of
    /// Redis for this data, if it has one (an in-process LRU cache). A value
    /// read from Redis just before it expired can be served from process
    /// memory this much longer, so it adds to the staleness budget.
    #[serde(default)]
    pub app_ttl: Option<Duration>,
    /// The oldest this data may be when a reader gets it from Redis or the
    /// application's memory. Overrides `ttl.max_staleness`.
    #[serde(default)]
    pub max_staleness: Option<Duration>,
    /// Expected number of live keys of this pattern: an estimate for the
    /// memory budget, which counts only patterns that declare it. Give
    /// `value_size` with it.
    #[serde(default)]
    pub cardinality: Option<u64>,
    /// Typical size of one value as stored (after compression), in Redis
    /// memory units (`2kb`). With `cardinality`, the memory budget counts
    /// cardinality × (key + value + Redis's per-key overhead).
    #[serde(default)]
    pub value_size: Option<MemorySize>,
}

/// A Redis data type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    #[default]
    String,
    Hash,
    List,
    Set,
    Zset,
    Stream,
}

/// A caching strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Read the cache; on a miss load from the database and fill the cache.
    #[default]
    CacheAside,
    /// Write the database and the cache together.
    WriteThrough,
    /// Write the cache now and queue the database write (`queue` required).
    WriteBehind,
    /// Refresh before expiry (`refresh_when_remaining` required).
    RefreshAhead,
    /// Not a cache: data owned by Redis (queues, sessions).
    Primary,
}

/// Lock settings for stampede protection.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StampedeLock {
    /// Prefix of the lock key; the lock key is this prefix followed by the
    /// full data key (so it shares the data key's hash tag). Default `lock:`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// How long a lock lives if its holder dies before releasing it.
    pub ttl: Duration,
}

/// One tag set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagDef {
    /// Key pattern of the set that lists the tagged keys, e.g. `tag:user:<user_id>`.
    /// Its placeholders must appear in every member pattern.
    pub key: String,
    /// TTL class, duration or `none` for the tag set. It must outlive its members,
    /// or tag invalidation misses them.
    #[schemars(extend("x-ttl-reference" = true))]
    pub ttl: String,
}

/// Invalidation rules.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invalidation {
    /// Cascade dependencies: invalidating the pattern on the left also
    /// invalidates the patterns on the right (for the same placeholder values).
    #[serde(default)]
    pub cascade: IndexMap<String, Vec<String>>,
    /// Application events, by event name (`user.updated`).
    #[serde(default)]
    pub events: IndexMap<String, EventDef>,
}

/// What one application event invalidates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventDef {
    /// Placeholder values the event carries (`[quiz_id, user_id]`).
    #[serde(default)]
    pub params: Vec<String>,
    /// Key patterns always invalidated (cascades follow).
    #[serde(default)]
    pub invalidate: Vec<String>,
    /// Tags whose members are invalidated.
    #[serde(default)]
    pub invalidate_tags: Vec<String>,
    /// Field-level ("smart") invalidation: key patterns invalidated only when
    /// the named field of the changed entity changed.
    #[serde(default)]
    pub when_changed: IndexMap<String, Vec<String>>,
}

/// CDN / edge caching.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// The CDN. Only `cloudflare` is rendered today.
    #[serde(default)]
    pub provider: EdgeProvider,
    /// The zone (domain) the rules belong to.
    #[serde(default)]
    pub zone: Option<String>,
    /// Routes, by route name (the name becomes the rule's stable `ref`).
    /// Listed general first: on Cloudflare the last matching rule wins.
    pub routes: IndexMap<String, Route>,
}

/// The CDN the edge rules are rendered for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EdgeProvider {
    #[default]
    Cloudflare,
}

/// One edge route.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// URL path wildcard: `*` matches any characters, `/` included
    /// (`/api/public/*`, `/images/*`). Give `path`, `extensions`, or both.
    #[serde(default)]
    pub path: Option<String>,
    /// File extensions without the dot (`[js, css]`).
    #[serde(default)]
    pub extensions: Vec<String>,
    /// `standard` caches per the TTLs, `aggressive` also ignores query strings
    /// in the cache key, `bypass` never caches at the edge.
    #[serde(default)]
    pub cache: CacheLevel,
    /// How long the edge keeps a response. Omit to respect the origin's headers.
    #[serde(default)]
    pub edge_ttl: Option<Duration>,
    /// How long browsers keep a response (`max-age`).
    #[serde(default)]
    pub browser_ttl: Option<Duration>,
    /// RFC 5861 `stale-while-revalidate`: serve stale this long while refetching.
    #[serde(default)]
    pub stale_while_revalidate: Option<Duration>,
    /// RFC 5861 `stale-if-error`: serve stale this long when the origin fails.
    #[serde(default)]
    pub stale_if_error: Option<Duration>,
    /// Request headers the response varies by.
    #[serde(default)]
    pub vary: Vec<String>,
    /// The response depends on who is asking (cookies, `Authorization`).
    #[serde(default)]
    pub authenticated: bool,
    /// `public` lets shared caches store the response, `private` only the
    /// browser. Defaults to `private` for authenticated routes, else `public`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Content-hashed (fingerprinted) URLs that never change, so a long
    /// browser TTL is safe and they are never purged.
    #[serde(default)]
    pub immutable: bool,
    /// Extra response headers the origin sends on this route, by header name.
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    /// Key patterns whose data this route's responses are built from. The
    /// route's staleness budget adds its HTTP layers to the worst of theirs.
    #[serde(default)]
    pub serves: Vec<String>,
    /// The oldest a response may be when a user sees it, counting the
    /// browser, the edge and the data it `serves`. Overrides
    /// `ttl.max_staleness`.
    #[serde(default)]
    pub max_staleness: Option<Duration>,
}

/// Whether and how the edge caches a route.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheLevel {
    #[default]
    Standard,
    Aggressive,
    Bypass,
}

/// Which caches may store a response (`Cache-Control: public` or `private`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

/// Redis server settings, named after their redis.conf directives.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedisServer {
    /// Target server version, `major.minor` (`"7.0"`). Directives the version
    /// does not know are not emitted.
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
    /// to `<policy name>-redis`.
    #[serde(default)]
    pub name: Option<String>,
    /// Container image, e.g. `redis:7.0.15`.
    pub image: String,
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

/// Application client settings (the Redis client's connection options, as
/// ioredis names them).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// Retries of one command before it fails.
    #[serde(default)]
    pub max_retries_per_request: Option<u32>,
    /// Reconnect delay: `step` × attempt, at most `max`.
    #[serde(default)]
    pub retry_backoff: Option<Backoff>,
    /// Cluster reconnect delay: `step` × attempt, at most `max`.
    #[serde(default)]
    pub cluster_retry_backoff: Option<Backoff>,
    /// Give up connecting after this long.
    #[serde(default)]
    pub connect_timeout: Option<Duration>,
    /// Fail a command that has no reply after this long.
    #[serde(default)]
    pub command_timeout: Option<Duration>,
    /// TCP keepalive interval.
    #[serde(default)]
    pub keepalive: Option<Duration>,
    /// Queue commands while disconnected instead of failing them.
    #[serde(default)]
    pub offline_queue: Option<bool>,
    /// Wait for the server to finish loading before sending commands.
    #[serde(default)]
    pub ready_check: Option<bool>,
    /// Reconnect when a reply starts with one of these errors (`READONLY` after a failover).
    #[serde(default)]
    pub reconnect_on_errors: Vec<String>,
}

/// A linear reconnect backoff: attempt × `step`, at most `max`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// Delay added per attempt (`50ms`).
    pub step: Duration,
    /// Longest delay (`2s`).
    pub max: Duration,
}

/// Performance targets: the latencies and hit rates the cache must meet.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Share of reads served by any cache layer (`> 70%`).
    #[serde(default)]
    pub overall_hit_ratio: Option<Percent>,
    /// Share of edge requests served without reaching the origin.
    #[serde(default)]
    pub cdn_hit_ratio: Option<Percent>,
    /// Redis `keyspace_hits / (keyspace_hits + keyspace_misses)`.
    #[serde(default)]
    pub redis_hit_ratio: Option<Percent>,
    /// Response time of a cached request.
    #[serde(default)]
    pub cached_latency: Option<Duration>,
    /// Share of time the cache answers (`99.9%`).
    #[serde(default)]
    pub availability: Option<Percent>,
}

/// Cache warming.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Warming {
    /// Warming tasks, by task name.
    pub tasks: IndexMap<String, WarmTask>,
}

/// One warming task.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WarmTask {
    /// Key patterns the task fills.
    pub keys: Vec<String>,
    /// Run when the application starts.
    #[serde(default)]
    pub on_startup: bool,
    /// Cron schedule, five fields (`*/5 * * * *`).
    #[serde(default)]
    pub schedule: Option<String>,
    /// Most keys filled per run.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub limit: Option<u32>,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
}

/// Lint levels by rule code or name (`CG303` or `long-ttl-without-jitter`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LintLevels {
    /// Rules reported as errors.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Rules reported as warnings.
    #[serde(default)]
    pub warn: Vec<String>,
    /// Rules not reported.
    #[serde(default)]
    pub allow: Vec<String>,
}

// Unit types read from strings. Their schema carries a `format` that the
// schema stage checks with the same parser, so the typed read below cannot
// disagree with the diagnostics.

macro_rules! unit_type {
    ($ty:ty, $name:literal, $format:literal, $parse:path, $desc:literal, [$($example:literal),*], $int_ok:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Int(u64),
                    Text(String),
                }
                match Raw::deserialize(d)? {
                    Raw::Text(text) => $parse(&text).map_err(serde::de::Error::custom),
                    // Bare integers are bytes for memory sizes; for durations and
                    // percentages the parser rejects them with a "needs a unit" message.
                    Raw::Int(n) => $parse(&n.to_string()).map_err(serde::de::Error::custom),
                }
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                if $int_ok {
                    json_schema!({
                        "type": ["string", "integer"],
                        "minimum": 0,
                        "format": $format,
                        "description": $desc,
                        "examples": [$($example),*]
                    })
                } else {
                    json_schema!({
                        "type": "string",
                        "format": $format,
                        "description": $desc,
                        "examples": [$($example),*]
                    })
                }
            }
        }
    };
}

unit_type!(
    Duration,
    "Duration",
    "duration",
    units::parse_duration,
    "A duration with units, largest first: `250us`, `10ms`, `90s`, `5m`, `1h30m`, `30d`, `2w`.",
    ["5m", "1h30m", "30d"],
    false
);
unit_type!(
    MemorySize,
    "MemorySize",
    "redis-memory",
    units::parse_memory,
    "A memory size as Redis reads it: bytes, or k/m/g (powers of 1000) or kb/mb/gb (powers of 1024), whole numbers only.",
    ["2gb", "512mb", "1kb"],
    true
);
unit_type!(
    Percent,
    "Percent",
    "percent",
    units::parse_percent,
    "A percentage with at most two decimals: `10%`, `99.9%`.",
    ["10%", "99.9%"],
    false
);
