//! CG101 durable-keys-under-allkeys-eviction: durable data in a Redis that
//! may evict any key.

use crate::lint::Findings;
use crate::policy::model::{KeyPattern, Policy, Store};
use crate::redis_directives::eviction_policy_name;

crate::declare_rule! {
    /// ## What it does
    /// Reports key patterns marked `durable: true` when `redis.maxmemory_policy`
    /// is one of the `allkeys-*` policies.
    ///
    /// ## Why is this bad?
    /// Under `allkeys-lru`, `allkeys-lfu` and `allkeys-random`, Redis evicts any
    /// key when memory is full, with or without a TTL. Sessions, write-behind
    /// queues and pending writes vanish silently: users are logged out and
    /// queued database writes are lost. This was reproduced on Redis 7.0: an
    /// idle queue list and a session key without TTL were both evicted.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   maxmemory_policy: allkeys-lru     # CG101
    /// keys:
    ///   patterns:
    ///     answer_write_queue: { pattern: answer_write_queue, type: list, durable: true, ttl: none }
    /// ```
    /// Use a `volatile-*` policy and give durable keys no TTL (only keys with a
    /// TTL are eviction candidates), or keep durable data in its own Redis.
    "CG101", "durable-keys-under-allkeys-eviction", Error, "durable keys live in a Redis that may evict any key"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/keys/patterns/*/durable",
    "@store/maxmemory_policy",
    "/keys/patterns/*/store",
    "/keys/store",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let policy_name = eviction_policy_name(store.redis.maxmemory_policy);
    if !policy_name.starts_with("allkeys-") {
        return;
    }
    let durable: Vec<&KeyPattern> = policy
        .patterns_in(&store.name)
        .filter(|p| p.durable)
        .collect();
    if durable.is_empty() {
        return;
    }
    let names: Vec<&str> = durable.iter().map(|p| p.name.as_str()).collect();
    let d = out.report(
        format!(
            "`{policy_name}` may evict durable keys: {}",
            names.join(", ")
        ),
        policy.span(&store.at("maxmemory_policy"), ""),
        "evicts any key when memory is full",
    );
    d.add_help("use `volatile-lru` and give durable keys `ttl: none`, or move durable data to a store of its own");
    for p in durable {
        d.add_related(
            policy.span(&p.pointer, "durable"),
            format!("`{}` is durable", p.name),
        );
    }
}
