//! Owns the memory budget: how much Redis memory the declared key patterns
//! are expected to use, compared with what `maxmemory` allows and with what
//! the eviction policy can free.
//!
//! A pattern that declares `cardinality` (and, with it, `value_size`) is
//! expected to use
//!
//! ```text
//! cardinality × (key length + value_size + per-key overhead)
//! ```
//!
//! The key length is estimated from the pattern's shape: the version prefix,
//! literal segments, `:` separators, hash-tag braces (cluster only, as every
//! generated key builder writes them) and a typical length per placeholder
//! type (`placeholder_length`). The per-key overhead (`per_key_overhead`) is
//! Redis's own bookkeeping plus what the allocator adds by rounding the key
//! and the value up to its size classes. Patterns without an estimate are
//! not counted, and the budget says how many there are.
//!
//! # The overhead, measured
//!
//! Redis 7 stores a string key as: a `dictEntry` in the main dict (24 bytes,
//! which jemalloc serves from its 32-byte class; 40 → 48 in cluster mode,
//! where each entry also links the keys of its slot), a share of the dict's
//! bucket array (8 bytes per slot, the table being the next power of two
//! above the key count, so 8–16 bytes per key), the key as an `sds` string
//! (a 3-byte header and a NUL), and the value's `robj` (16 bytes) pointing
//! at another `sds`; values of up to 44 bytes share one allocation with
//! their `robj` (`embstr`). A key with a TTL also has an entry in the
//! `expires` dict (another `dictEntry` and bucket share). jemalloc rounds
//! every allocation up to a size class, four per doubling above 128 bytes,
//! so a value of exactly 1kb (1030 bytes with the sds header) takes 1280.
//!
//! This model was checked on the local Redis 7.0.15 (jemalloc 5.3.0), from
//! `INFO memory` `used_memory` before and after `SET`ting 20,000 and 100,000
//! keys of 23–25 bytes, with and without `EX 300`: it gives the measured
//! bytes per key to within the bucket share, e.g. 202.5 measured vs 204
//! modelled for 100-byte values without TTL (100,000 keys), 245.0 vs 248
//! with a TTL, 1418.2 vs 1416 for 1024-byte values with a TTL (20,000
//! keys), 109.1 vs 108 for 10-byte `embstr` values; a cluster-enabled node
//! took 16 bytes more per key (261.0 vs 245.0). A flat "key + value + 80
//! bytes" would be 25% low for the power-of-two sizes people write
//! (`1kb`, `4kb`): jemalloc rounds those up by a whole class step.
//!
//! Not counted: tag sets, stampede locks (short-lived), the per-element
//! overhead of large hashes, lists, sets and sorted sets (`value_size` is
//! treated as one allocation, as a small one is: a listpack), client
//! buffers, the replication backlog, AOF rewrite buffers and allocator
//! fragmentation. `maxmemory` compares against `used_memory`, which excludes
//! fragmentation but includes buffers, so leave headroom.
//!
//! In a Redis Cluster, `maxmemory` applies to each node and keys are spread
//! over the masters, so the capacity is `maxmemory` × masters (replicas hold
//! copies, not more keys). An even spread is assumed: one large key, or one
//! hash tag shared by many keys, lands on a single node.

use crate::keys::Segment;
use crate::policy::model::{
    EvictionPolicy, KeyPattern, PlaceholderType, Policy, Store, Ttl, ValueType,
};

/// A `dictEntry` (key pointer, value pointer, next pointer: 24 bytes) as
/// jemalloc allocates it.
pub const DICT_ENTRY_BYTES: u64 = 32;

/// A main-dict `dictEntry` of a cluster node: 16 more bytes link the keys of
/// each hash slot (Redis 7.0), 40 bytes in jemalloc's 48-byte class.
pub const CLUSTER_DICT_ENTRY_BYTES: u64 = 48;

/// A dict's bucket array per key: 8-byte slots, the table sized to the next
/// power of two above the key count (1–2 slots per key, 1.5 on average).
pub const BUCKET_BYTES: u64 = 12;

/// A value's `robj` header (type, encoding, LRU, refcount, pointer).
pub const OBJECT_BYTES: u64 = 16;

/// Values up to this many bytes are stored as `embstr`: the `robj` and the
/// `sds` in one allocation.
pub const EMBSTR_MAX_BYTES: u64 = 44;

/// Extra memory per key with a TTL: its `expires` dict entry and bucket share.
pub const EXPIRES_BYTES: u64 = DICT_ENTRY_BYTES + BUCKET_BYTES;

/// The parts of a policy the estimate depends on, as JSON pointers: TTLs
/// (how long keys live), key patterns and tag sets (what is stored),
/// `maxmemory` and its policy, and the cluster (how many masters share it).
/// Rules built on the estimate declare these as what they read.
pub const INPUTS: &[&str] = &[
    "/ttl",
    "/keys",
    "/tags",
    "@store/maxmemory",
    "@store/maxmemory_policy",
    "@cluster",
];

/// The jemalloc size class an allocation of `n` bytes gets (64-bit, 16-byte
/// quantum): 8, 16, then multiples of 16 up to 128, then four classes per
/// doubling (160, 192, 224, 256, 320, …).
pub fn size_class(n: u64) -> u64 {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    // n is in (2^lg, 2^(lg+1)]; that group's classes are 2^(lg-2) apart.
    let lg = 63 - u64::from((n - 1).leading_zeros());
    let spacing = 1u64 << (lg - 2);
    n.div_ceil(spacing).saturating_mul(spacing)
}

/// Bytes of an `sds` string of `len` bytes: header (3, 5, 9 or 17 bytes by
/// length), the bytes and a NUL, rounded to its size class.
pub fn sds_bytes(len: u64) -> u64 {
    let header = match len {
        0..256 => 3,
        256..65_536 => 5,
        65_536..4_294_967_296 => 9,
        _ => 17,
    };
    size_class(len.saturating_add(header + 1))
}

/// Bytes of a value of `len` bytes: a string's `robj` and `sds` (one
/// allocation for `embstr`), or for other types a `robj` and one allocation
/// of `len` bytes.
pub fn value_bytes(value_type: ValueType, len: u64) -> u64 {
    match value_type {
        ValueType::String if len <= EMBSTR_MAX_BYTES => size_class(OBJECT_BYTES + 3 + len + 1),
        ValueType::String => OBJECT_BYTES.saturating_add(sds_bytes(len)),
        _ => OBJECT_BYTES.saturating_add(size_class(len)),
    }
}

/// Redis's memory per key of `pattern` beyond the key and value bytes
/// themselves: dict entries and buckets, headers, allocator rounding, and
/// the `expires` entry when keys have a TTL.
pub fn per_key_overhead(policy: &Policy, pattern: &KeyPattern, value_size: u64) -> u64 {
    let key = key_length(policy, pattern);
    let entry = if policy.store_is_cluster(&pattern.store) {
        CLUSTER_DICT_ENTRY_BYTES
    } else {
        DICT_ENTRY_BYTES
    };
    let expires = match pattern.ttl {
        Ttl::Expires { .. } => EXPIRES_BYTES,
        Ttl::Never => 0,
    };
    let rounding = sds_bytes(key)
        .saturating_sub(key)
        .saturating_add(value_bytes(pattern.value_type, value_size).saturating_sub(value_size));
    (entry + BUCKET_BYTES + expires).saturating_add(rounding)
}

/// Typical length of a placeholder's value in a key, for the key-length
/// estimate. Assumptions, not measurements: `int` ids of up to seven digits
/// (ten million rows), `slug` of 12 characters, `token` of 32 (24 random
/// bytes in base64url), and the fixed lengths of `uuid` (36) and `md5` (32).
pub fn placeholder_length(ty: &PlaceholderType) -> u64 {
    match ty {
        PlaceholderType::Int => 7,
        PlaceholderType::Uuid => 36,
        PlaceholderType::Slug => 12,
        PlaceholderType::Token => 32,
        PlaceholderType::Md5 => 32,
        // Between `1.2.3.4` and 39 characters of IPv6; most clients are IPv4.
        PlaceholderType::Ip => 14,
        // Bounded by construction; the longest keeps the estimate safe.
        PlaceholderType::Pattern(r) => r.table.longest().unwrap_or(0) as u64,
    }
}

/// Estimated length in bytes of one key of `pattern`, as the application
/// writes it (version prefix and, in a cluster, hash-tag braces included).
pub fn key_length(policy: &Policy, pattern: &KeyPattern) -> u64 {
    let prefix = policy
        .keys
        .version_prefix
        .as_ref()
        .map_or(0, |p| p.len() as u64 + 1);
    let segments: u64 = pattern
        .segments
        .iter()
        .map(|s| match s {
            Segment::Literal(text) => text.len() as u64,
            Segment::Placeholder { ty, .. } => placeholder_length(ty),
        })
        .sum();
    let separators = pattern.segments.len().saturating_sub(1) as u64;
    let braces = if policy.store_is_cluster(&pattern.store) && pattern.hash_tag.is_some() {
        2
    } else {
        0
    };
    prefix + segments + separators + braces
}

/// One pattern's expected memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMemory {
    pub pattern: String,
    /// `/keys/patterns/<name>`; the estimate's fields are `cardinality` and
    /// `value_size` under it.
    pub pointer: String,
    pub cardinality: u64,
    pub key_bytes: u64,
    pub value_bytes: u64,
    /// `per_key_overhead`: Redis's structures and allocator rounding.
    pub overhead_bytes: u64,
    /// `key_bytes + value_bytes + overhead_bytes`.
    pub bytes_per_key: u64,
    /// `cardinality × bytes_per_key` (saturating).
    pub total: u64,
    /// Whether Redis may evict these keys to make room (see `is_evictable`).
    pub evictable: bool,
}

/// The expected memory of every pattern of one store with an estimate,
/// against that store's capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The store's name.
    pub store: String,
    /// Patterns with an estimate, in policy order.
    pub patterns: Vec<PatternMemory>,
    /// Names of patterns without one (no `cardinality`), in policy order.
    pub without_estimate: Vec<String>,
    /// Sum of every estimate.
    pub total: u64,
    /// Sum of the estimates Redis cannot (or must not) evict.
    pub unevictable: u64,
    /// The store's `maxmemory`, per node.
    pub maxmemory: u64,
    /// Nodes the keys are spread over: the cluster's masters, else 1.
    pub nodes: u32,
    /// `maxmemory × nodes`; `None` for `maxmemory: 0`, which Redis reads as
    /// "no limit" (it then grows until the machine or container runs out).
    pub capacity: Option<u64>,
    pub eviction: EvictionPolicy,
}

impl MemoryBudget {
    /// Keys that cannot be evicted do not fit: writes fail with OOM (or,
    /// under `allkeys-*`, durable data is evicted).
    pub fn unevictable_exceeds(&self) -> bool {
        self.capacity.is_some_and(|c| self.unevictable > c)
    }

    /// Everything together does not fit: Redis evicts continuously.
    pub fn total_exceeds(&self) -> bool {
        self.capacity.is_some_and(|c| self.total > c)
    }
}

/// Whether Redis may evict keys of `pattern` when memory is full, as far as
/// the policy allows it: never under `noeviction`; never for durable data
/// (it must not be lost, whatever the policy: CG101 reports `allkeys-*` with
/// durable keys); under `volatile-*` only keys with a TTL.
pub fn is_evictable(policy: &Policy, pattern: &KeyPattern) -> bool {
    use EvictionPolicy::*;
    if pattern.durable {
        return false;
    }
    match policy.store_of(pattern).redis.maxmemory_policy {
        Noeviction => false,
        AllkeysLru | AllkeysLfu | AllkeysRandom => true,
        VolatileLru | VolatileLfu | VolatileRandom | VolatileTtl => {
            matches!(pattern.ttl, Ttl::Expires { .. })
        }
    }
}

/// The expected memory of one pattern, if it declares an estimate.
pub fn pattern_memory(policy: &Policy, pattern: &KeyPattern) -> Option<PatternMemory> {
    let cardinality = pattern.cardinality?;
    let value_len = pattern.value_size?.bytes();
    let key_bytes = key_length(policy, pattern);
    let overhead_bytes = per_key_overhead(policy, pattern, value_len);
    let bytes_per_key = key_bytes
        .saturating_add(value_len)
        .saturating_add(overhead_bytes);
    Some(PatternMemory {
        pattern: pattern.name.clone(),
        pointer: pattern.pointer.clone(),
        cardinality,
        key_bytes,
        value_bytes: value_len,
        overhead_bytes,
        bytes_per_key,
        total: cardinality.saturating_mul(bytes_per_key),
        evictable: is_evictable(policy, pattern),
    })
}

/// The memory budget of every store, in store order.
pub fn memory_budgets(policy: &Policy) -> Vec<MemoryBudget> {
    policy
        .stores
        .values()
        .map(|s| memory_budget(policy, s))
        .collect()
}

/// The memory budget of one store: the patterns whose keys live there.
pub fn memory_budget(policy: &Policy, store: &Store) -> MemoryBudget {
    let mut patterns = Vec::new();
    let mut without_estimate = Vec::new();
    for p in policy.patterns_in(&store.name) {
        match pattern_memory(policy, p) {
            Some(m) => patterns.push(m),
            None => without_estimate.push(p.name.clone()),
        }
    }
    let total = patterns.iter().fold(0u64, |a, m| a.saturating_add(m.total));
    let unevictable = patterns
        .iter()
        .filter(|m| !m.evictable)
        .fold(0u64, |a, m| a.saturating_add(m.total));
    let nodes = store.cluster.as_ref().map_or(1, |c| c.masters.max(1));
    let maxmemory = store.redis.maxmemory.bytes();
    MemoryBudget {
        store: store.name.clone(),
        patterns,
        without_estimate,
        total,
        unevictable,
        maxmemory,
        nodes,
        capacity: (maxmemory > 0).then(|| maxmemory.saturating_mul(u64::from(nodes))),
        eviction: store.redis.maxmemory_policy,
    }
}
