//! CG110 memory-budget-exceeded: the keys Redis cannot evict are expected to
//! need more memory than `maxmemory` allows.

use crate::analysis::memory::{self, MemoryBudget, PatternMemory};
use crate::lint::Findings;
use crate::load::units::MemorySize;
use crate::policy::model::{EvictionPolicy, Policy};
use crate::redis_directives::eviction_policy_name;

crate::declare_rule! {
    /// ## What it does
    /// Estimates the memory of every key pattern that declares `cardinality`
    /// and `value_size`: cardinality × (key length + value size + Redis's
    /// per-key overhead: dict entries, object headers and allocator
    /// rounding, about 100 bytes for a small key with a TTL, modelled on
    /// measurements of Redis 7.0).
    /// Reports when the keys Redis cannot evict alone are expected to exceed
    /// `maxmemory` (times the masters in a cluster): durable patterns, keys
    /// without a TTL under `volatile-*`, and everything under `noeviction`.
    /// Patterns without an estimate are not counted; the message says how
    /// many there are. See `memory-budget-forces-eviction` for the case where
    /// only evictable keys make the total too large.
    ///
    /// ## Why is this bad?
    /// Once the unevictable keys fill `maxmemory`, Redis has nothing it may
    /// evict: every write that needs memory fails with `OOM command not
    /// allowed`, sessions cannot be created and write-behind queues stop
    /// accepting writes. Under `allkeys-*` Redis evicts anyway, and then it is
    /// durable data that disappears.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   maxmemory: 1gb                # CG110
    ///   maxmemory_policy: volatile-lru
    /// keys:
    ///   patterns:
    ///     session:
    ///       pattern: "session:<session_id>"
    ///       ttl: 1h
    ///       durable: true
    ///       cardinality: 2000000
    ///       value_size: 512         # 792 bytes per key: 1.5 GiB of sessions
    /// ```
    /// Use instead a `maxmemory` that holds the durable data with room to
    /// spare, or move durable data to a store of its own.
    "CG110", "memory-budget-exceeded", Error, "keys that cannot be evicted are expected to outgrow maxmemory"
}

/// What the rule reads (see `lint::Rule::reads`): the memory estimate's inputs.
pub const READS: &[&str] = crate::analysis::memory::INPUTS;

pub fn check(policy: &Policy, out: &mut Findings) {
    for budget in memory::memory_budgets(policy) {
        check_store(policy, &budget, out);
    }
}

fn check_store(policy: &Policy, budget: &memory::MemoryBudget, out: &mut Findings) {
    if !budget.unevictable_exceeds() {
        return;
    }
    let policy_name = eviction_policy_name(budget.eviction);
    let which = if budget.eviction == EvictionPolicy::Noeviction {
        "under `noeviction` no key can be evicted, and the keys".to_owned()
    } else {
        "keys that cannot be evicted".to_owned()
    };
    let d = out.report(
        format!(
            "{which} are expected to need {}, more than {}{}",
            bytes(budget.unevictable),
            capacity_text(budget),
            unestimated(budget)
        ),
        policy.span(&policy.stores[&budget.store].pointer, "maxmemory"),
        format!("too small for {}", bytes(budget.unevictable)),
    );
    let consequence = if policy_name.starts_with("allkeys-") {
        format!("under `{policy_name}` Redis will evict durable data to make room")
    } else {
        "writes that need memory will fail with OOM once they fill it".to_owned()
    };
    d.add_help(format!(
        "{consequence}; raise `maxmemory`, add masters, or move durable data to a store of its own"
    ));
    let unevictable = budget.patterns.iter().filter(|m| !m.evictable);
    add_largest(d, policy, unevictable);
}

/// Points at the five largest estimates, largest first: where the memory goes.
pub(crate) fn add_largest<'a>(
    d: &mut crate::diag::Diagnostic,
    policy: &Policy,
    patterns: impl Iterator<Item = &'a PatternMemory>,
) {
    let mut largest: Vec<&PatternMemory> = patterns.collect();
    largest.sort_by_key(|m| std::cmp::Reverse(m.total));
    for m in largest.into_iter().take(5) {
        d.add_related(
            policy.span(&m.pointer, "cardinality"),
            format!(
                "`{}`: {} keys × {} B = {}",
                m.pattern,
                thousands(m.cardinality),
                m.bytes_per_key,
                bytes(m.total)
            ),
        );
    }
}

/// `` `maxmemory` 2gb `` or `` 6.0 GiB (2gb `maxmemory` × 3 masters) ``.
pub(crate) fn capacity_text(budget: &MemoryBudget) -> String {
    let capacity = budget.capacity.unwrap_or_default();
    if budget.nodes > 1 {
        format!(
            "{} ({} `maxmemory` × {} masters)",
            bytes(capacity),
            MemorySize::from_bytes(budget.maxmemory),
            budget.nodes
        )
    } else {
        format!("`maxmemory` {}", MemorySize::from_bytes(budget.maxmemory))
    }
}

/// `; 3 patterns have no estimate` (empty when all have one).
pub(crate) fn unestimated(budget: &MemoryBudget) -> String {
    match budget.without_estimate.len() {
        0 => String::new(),
        1 => "; 1 pattern has no estimate and is not counted".to_owned(),
        n => format!("; {n} patterns have no estimate and are not counted"),
    }
}

/// `2,000,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) use crate::load::units::human_bytes as bytes;
