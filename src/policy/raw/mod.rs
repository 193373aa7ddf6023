//! Owns the policy file format, version 1, as serde structs. Their doc comments
//! are the format's reference: schemars turns them into `schema/policy.schema.json`
//! and `cachegen schema`. Nothing here is validated beyond shape; `lower` turns
//! these structs into the checked `model::Policy`.

mod access;
mod server;
mod topology;
mod unit_types;

pub use crate::keys::PlaceholderType;
pub use access::*;
pub use server::*;
pub use topology::*;

use crate::load::units::{Duration, MemorySize, Percent};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

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
    /// The Redis deployments, by name (lowercase letters, digits and `-`):
    /// each has its own engine, version, settings and topology, and key
    /// patterns and tag sets name the store they live in. Keeping evictable
    /// cache data and durable data (sessions, queues) in separate stores
    /// lets the cache evict without losing what must not be lost.
    #[serde(default)]
    pub stores: IndexMap<String, Store>,
    /// Shorthand for a policy with one store (named `redis`): its settings.
    /// Use `stores:` instead for more than one.
    #[serde(default)]
    pub redis: Option<Store>,
    /// With the `redis:` shorthand: the store's Redis Cluster topology and
    /// deployment. Omit for a single node.
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
    /// The store (see `stores`) of patterns that name none. Needed when the
    /// policy declares more than one store.
    #[serde(default)]
    pub store: Option<String>,
    /// Largest value any key should hold (bytes of a string, `MEMORY USAGE`
    /// of other types). A pattern's own `max_value_size` overrides it.
    /// `verify` reports bigger values.
    #[serde(default)]
    pub max_value_size: Option<MemorySize>,
    /// Placeholder types, by placeholder name, used as `<name>` in patterns.
    /// A built-in type: `int` (decimal digits), `uuid` (lowercase
    /// 8-4-4-4-12 hex), `slug` (lowercase letters, digits, `-`, `_`),
    /// `token` (letters, digits, `-`, `_`), `md5` (32 lowercase hex digits),
    /// `ip` (a client address: IPv4 dotted decimal, or RFC 5952 IPv6 with
    /// every `:` written as `-`, e.g. `2001-db8--1`; IPv4-mapped addresses in
    /// their IPv4 form). Or a user-defined type, `{regex: "[A-Z]{3}-[0-9]{4,6}"}`:
    /// the whole segment must match; at most 256 bytes of regex, values of
    /// 1 to 128 key characters, no `^`/`$` or capture groups.
    #[serde(default)]
    pub placeholders: IndexMap<String, PlaceholderDef>,
    /// Key patterns, by pattern name.
    pub patterns: IndexMap<String, KeyPatternDef>,
}

/// A placeholder's type as the policy writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PlaceholderDef {
    /// A built-in type by name.
    Builtin(BuiltinType),
    /// A user-defined type.
    Regex(RegexTypeDef),
}

/// The schema chooses the branch by the value's JSON type (`if`/`then`/
/// `else`), not `anyOf`: a misspelt name is then reported against the list
/// of built-in names (`must be one of ...`), not as "the wrong shape".
impl JsonSchema for PlaceholderDef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("PlaceholderDef")
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let builtin = generator.subschema_for::<BuiltinType>();
        let regex = generator.subschema_for::<RegexTypeDef>();
        schemars::json_schema!({
            "description": "A built-in type's name, or a user-defined type `{regex: ...}`.",
            "type": ["string", "object"],
            "if": { "type": "string" },
            "then": builtin,
            "else": regex
        })
    }
}

/// A built-in placeholder type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BuiltinType {
    /// Decimal digits, e.g. `42`.
    Int,
    /// A lowercase hyphenated UUID.
    Uuid,
    /// Lowercase letters, digits, `-` and `_`.
    Slug,
    /// Letters, digits, `-` and `_` (session ids, API tokens).
    Token,
    /// 32 lowercase hex digits (an md5 digest of request parameters).
    Md5,
    /// A client IP address: IPv4 dotted decimal (`192.0.2.1`) or RFC 5952
    /// IPv6 with every `:` written as `-` (`2001-db8--1`).
    Ip,
}

impl From<BuiltinType> for PlaceholderType {
    fn from(b: BuiltinType) -> Self {
        match b {
            BuiltinType::Int => PlaceholderType::Int,
            BuiltinType::Uuid => PlaceholderType::Uuid,
            BuiltinType::Slug => PlaceholderType::Slug,
            BuiltinType::Token => PlaceholderType::Token,
            BuiltinType::Md5 => PlaceholderType::Md5,
            BuiltinType::Ip => PlaceholderType::Ip,
        }
    }
}

impl BuiltinType {
    /// The built-in a model type is, if it is one.
    pub fn of(ty: &PlaceholderType) -> Option<BuiltinType> {
        Some(match ty {
            PlaceholderType::Int => BuiltinType::Int,
            PlaceholderType::Uuid => BuiltinType::Uuid,
            PlaceholderType::Slug => BuiltinType::Slug,
            PlaceholderType::Token => BuiltinType::Token,
            PlaceholderType::Md5 => BuiltinType::Md5,
            PlaceholderType::Ip => BuiltinType::Ip,
            PlaceholderType::Pattern(_) => return None,
        })
    }
}

/// A user-defined placeholder type: values are the strings the regex
/// matches as a whole segment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegexTypeDef {
    /// A regex (regex-automata syntax, ASCII classes) matching the whole
    /// segment, without `^`/`$` or capture groups, e.g. `[A-Z]{3}-[0-9]{4,6}`.
    /// Bounded: at most 256 bytes, and every match 1 to 128 characters
    /// allowed in keys (use `{1,32}`, not `+`).
    pub regex: String,
    /// Free text for humans.
    #[serde(default)]
    pub description: Option<String>,
}

/// One key shape the application reads and writes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPatternDef {
    /// The key without the version prefix: literal segments and `<placeholder>`
    /// segments separated by `:`, e.g. `user:<user_id>:profile`. Placeholders use
    /// angle brackets because `{...}` in a real Redis key is a hash tag.
    pub pattern: String,
    /// The store (see `stores`) the keys live in. Defaults to `keys.store`,
    /// or to the only store.
    #[serde(default)]
    pub store: Option<String>,
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
    /// Largest value this pattern's keys may hold, instead of
    /// `keys.max_value_size` (larger for a price list, smaller for a
    /// counter). `verify` reports bigger values.
    #[serde(default)]
    pub max_value_size: Option<MemorySize>,
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
    /// The request headers and cookies that carry a user's credentials. A
    /// request carrying any of them is never cached at the edge, whatever
    /// its path. Defaults to the `Authorization` header and no cookie.
    #[serde(default)]
    pub credentials: Credentials,
}

/// Request headers and cookies that identify a user (`edge.credentials`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Header names, matched case-insensitively. Defaults to
    /// `[Authorization]`; `[]` turns the header check off.
    #[serde(default = "default_credential_headers")]
    pub headers: Vec<String>,
    /// Cookie names (case-sensitive, as browsers send them), e.g. the
    /// session cookie. None by default.
    #[serde(default)]
    pub cookies: Vec<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            headers: default_credential_headers(),
            cookies: Vec::new(),
        }
    }
}

fn default_credential_headers() -> Vec<String> {
    vec!["Authorization".to_owned()]
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
