//! Owns the list of lint rules. Adding a rule: one file in `rules/`, one entry
//! here, one fixture directory under `tests/fixtures/lint/`.

use super::Rule;
use super::rules::*;

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    Rule {
        code: durable_keys_under_allkeys_eviction::CODE,
        check: durable_keys_under_allkeys_eviction::check,
    },
    Rule {
        code: durable_data_without_persistence::CODE,
        check: durable_data_without_persistence::check,
    },
    Rule {
        code: volatile_eviction_with_immortal_keys::CODE,
        check: volatile_eviction_with_immortal_keys::check,
    },
    Rule {
        code: io_threads_without_effect::CODE,
        check: io_threads_without_effect::check,
    },
    Rule {
        code: maxmemory_exceeds_container_memory::CODE,
        check: maxmemory_exceeds_container_memory::check,
    },
    Rule {
        code: directive_not_in_target_version::CODE,
        check: directive_not_in_target_version::check,
    },
    Rule {
        code: slowlog_threshold_above_latency_target::CODE,
        check: slowlog_threshold_above_latency_target::check,
    },
    Rule {
        code: cluster_without_replicas::CODE,
        check: cluster_without_replicas::check,
    },
    Rule {
        code: idle_clients_never_reaped::CODE,
        check: idle_clients_never_reaped::check,
    },
    Rule {
        code: memory_budget_exceeded::CODE,
        check: memory_budget_exceeded::check,
    },
    Rule {
        code: memory_budget_forces_eviction::CODE,
        check: memory_budget_forces_eviction::check,
    },
    Rule {
        code: authenticated_route_publicly_cached::CODE,
        check: authenticated_route_publicly_cached::check,
    },
    Rule {
        code: browser_ttl_exceeds_edge_ttl::CODE,
        check: browser_ttl_exceeds_edge_ttl::check,
    },
    Rule {
        code: stale_directive_as_header::CODE,
        check: stale_directive_as_header::check,
    },
    Rule {
        code: cross_slot_invalidation::CODE,
        check: cross_slot_invalidation::check,
    },
    Rule {
        code: tag_set_expires_before_members::CODE,
        check: tag_set_expires_before_members::check,
    },
    Rule {
        code: long_ttl_without_jitter::CODE,
        check: long_ttl_without_jitter::check,
    },
    Rule {
        code: pattern_never_invalidated::CODE,
        check: pattern_never_invalidated::check,
    },
    Rule {
        code: event_invalidates_nothing::CODE,
        check: event_invalidates_nothing::check,
    },
    Rule {
        code: tag_without_members::CODE,
        check: tag_without_members::check,
    },
    Rule {
        code: stampede_lock_outlives_key::CODE,
        check: stampede_lock_outlives_key::check,
    },
    Rule {
        code: staleness_budget_exceeded::CODE,
        check: staleness_budget_exceeded::check,
    },
    Rule {
        code: ttl_above_authenticated_cap::CODE,
        check: ttl_above_authenticated_cap::check,
    },
];

/// Finds a rule by code (`CG101`, any case) or kebab-case name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.code.code.eq_ignore_ascii_case(name) || r.code.name == name)
}
