//! CG103 volatile-eviction-with-immortal-keys: cache keys without a TTL in a
//! Redis that only evicts keys with a TTL.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{EvictionPolicy, Policy, Store, Ttl};

crate::declare_rule! {
    /// ## What it does
    /// Reports key patterns that never expire (`ttl: none`) and are not marked
    /// `durable: true` when `redis.maxmemory_policy` is one of the
    /// `volatile-*` policies.
    ///
    /// ## Why is this bad?
    /// `volatile-lru`, `volatile-lfu`, `volatile-random` and `volatile-ttl`
    /// evict only keys that have a TTL. Keys without one are never evicted:
    /// they pile up until memory is full, and then Redis behaves like
    /// `noeviction` and rejects writes with `OOM command not allowed when used
    /// memory > 'maxmemory'` (reproduced on Redis 7.0). Durable keys without a
    /// TTL are the point of a `volatile-*` policy and are not reported; a
    /// plain cache key without one is almost always a forgotten TTL.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     quiz_data:
    ///       pattern: "quiz:<quiz_id>:data"
    ///       ttl: none            # CG103
    /// redis:
    ///   maxmemory_policy: volatile-lru
    /// ```
    /// Use instead a TTL (`ttl: quiz_list`), or `durable: true` if the key
    /// must really never be evicted (and then watch `used_memory`).
    "CG103", "volatile-eviction-with-immortal-keys", Warning, "cache keys without a TTL cannot be evicted by a volatile-* policy"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/ttl",
    "/keys/patterns/*/ttl",
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
    let policy_name = match store.redis.maxmemory_policy {
        EvictionPolicy::VolatileLru => "volatile-lru",
        EvictionPolicy::VolatileLfu => "volatile-lfu",
        EvictionPolicy::VolatileRandom => "volatile-random",
        EvictionPolicy::VolatileTtl => "volatile-ttl",
        _ => return,
    };
    for p in policy.patterns_in(&store.name) {
        if p.durable || p.ttl != Ttl::Never {
            continue;
        }
        let span =
            written_span(policy, &p.pointer, "ttl").unwrap_or_else(|| policy.key_span(&p.pointer));
        out.report(
            format!(
                "pattern `{}` never expires, so `{policy_name}` can never evict its keys",
                p.name
            ),
            span,
            "no TTL",
        )
        .add_help(format!(
            "once memory is full of keys without a TTL, `{policy_name}` has nothing to evict and writes fail with OOM; give `{}` a TTL, or mark it `durable: true` if it must never be evicted",
            p.name
        ))
        .add_related(
            policy.span(&store.at("maxmemory_policy"), ""),
            "evicts only keys with a TTL",
        );
    }
}
