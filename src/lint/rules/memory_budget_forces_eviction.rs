//! CG111 memory-budget-forces-eviction: all the declared keys together are
//! expected to need more memory than `maxmemory`, so Redis evicts all the time.

use crate::analysis::memory;
use crate::lint::Findings;
use crate::lint::rules::memory_budget_exceeded::{bytes, capacity_text, unestimated};
use crate::policy::model::Policy;
use crate::redis_directives::eviction_policy_name;

crate::declare_rule! {
    /// ## What it does
    /// Adds up the same memory estimates as `memory-budget-exceeded`
    /// (patterns with `cardinality` and `value_size`) and reports when their
    /// total is over `maxmemory` (times the masters in a cluster) under an
    /// eviction policy, while the keys that cannot be evicted still fit.
    /// When they do not fit, `memory-budget-exceeded` reports instead.
    ///
    /// ## Why is this bad?
    /// Redis then keeps memory under the limit only by evicting: every write
    /// evicts some other key, which is read again soon and missed. The hit
    /// ratio falls below what the TTLs promise, the database takes the
    /// misses, and eviction itself costs CPU on every write (eviction churn).
    /// Nothing is lost, which is why this is a warning, but the cache is
    /// undersized for the data it was designed to hold.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   maxmemory: 1gb                # CG111
    ///   maxmemory_policy: allkeys-lru
    /// keys:
    ///   patterns:
    ///     api_response:
    ///       pattern: "cache:api:<params_md5>"
    ///       cardinality: 1000000
    ///       value_size: 2kb         # 2712 bytes per key: 2.5 GiB of responses
    /// ```
    /// Use instead a `maxmemory` above the expected total (with headroom), or
    /// shorter TTLs so fewer keys are alive at once.
    "CG111", "memory-budget-forces-eviction", Warning, "the declared keys are expected to outgrow maxmemory and evict each other"
}

/// What the rule reads (see `lint::Rule::reads`): the memory estimate's inputs.
pub const READS: &[&str] = crate::analysis::memory::INPUTS;

pub fn check(policy: &Policy, out: &mut Findings) {
    for budget in memory::memory_budgets(policy) {
        check_store(policy, &budget, out);
    }
}

fn check_store(policy: &Policy, budget: &memory::MemoryBudget, out: &mut Findings) {
    // The error rule covers it, and says more, when even the unevictable
    // keys do not fit.
    if !budget.total_exceeds() || budget.unevictable_exceeds() {
        return;
    }
    let d = out.report(
        format!(
            "the declared keys are expected to need {}, more than {}{}",
            bytes(budget.total),
            capacity_text(budget),
            unestimated(budget)
        ),
        policy.span(&policy.stores[&budget.store].pointer, "maxmemory"),
        format!("too small for {}", bytes(budget.total)),
    );
    d.add_help(format!(
        "`{}` will evict continuously to stay under the limit, and evicted keys are missed again; raise `maxmemory`, add masters, or shorten TTLs",
        eviction_policy_name(budget.eviction)
    ));
    super::memory_budget_exceeded::add_largest(d, policy, budget.patterns.iter());
}
