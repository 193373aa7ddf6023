//! Owns the list of lint rules. Adding a rule: one file in `rules/` (with its
//! `CODE`, `READS` and `check`), one entry here, one fixture directory under
//! `tests/fixtures/lint/`.

use super::Rule;
use super::rules::*;

/// Every rule, in code order.
pub const RULES: &[Rule] = &[
    Rule {
        code: durable_keys_under_allkeys_eviction::CODE,
        check: durable_keys_under_allkeys_eviction::check,
        reads: durable_keys_under_allkeys_eviction::READS,
    },
    Rule {
        code: durable_data_without_persistence::CODE,
        check: durable_data_without_persistence::check,
        reads: durable_data_without_persistence::READS,
    },
    Rule {
        code: volatile_eviction_with_immortal_keys::CODE,
        check: volatile_eviction_with_immortal_keys::check,
        reads: volatile_eviction_with_immortal_keys::READS,
    },
    Rule {
        code: io_threads_without_effect::CODE,
        check: io_threads_without_effect::check,
        reads: io_threads_without_effect::READS,
    },
    Rule {
        code: maxmemory_exceeds_container_memory::CODE,
        check: maxmemory_exceeds_container_memory::check,
        reads: maxmemory_exceeds_container_memory::READS,
    },
    Rule {
        code: directive_not_in_target_version::CODE,
        check: directive_not_in_target_version::check,
        reads: directive_not_in_target_version::READS,
    },
    Rule {
        code: slowlog_threshold_above_latency_target::CODE,
        check: slowlog_threshold_above_latency_target::check,
        reads: slowlog_threshold_above_latency_target::READS,
    },
    Rule {
        code: cluster_without_replicas::CODE,
        check: cluster_without_replicas::check,
        reads: cluster_without_replicas::READS,
    },
    Rule {
        code: idle_clients_never_reaped::CODE,
        check: idle_clients_never_reaped::check,
        reads: idle_clients_never_reaped::READS,
    },
    Rule {
        code: memory_budget_exceeded::CODE,
        check: memory_budget_exceeded::check,
        reads: memory_budget_exceeded::READS,
    },
    Rule {
        code: memory_budget_forces_eviction::CODE,
        check: memory_budget_forces_eviction::check,
        reads: memory_budget_forces_eviction::READS,
    },
    Rule {
        code: engine_default_differs::CODE,
        check: engine_default_differs::check,
        reads: engine_default_differs::READS,
    },
    Rule {
        code: development_directive::CODE,
        check: development_directive::check,
        reads: development_directive::READS,
    },
    Rule {
        code: dangerous_commands_enabled::CODE,
        check: dangerous_commands_enabled::check,
        reads: dangerous_commands_enabled::READS,
    },
    Rule {
        code: authenticated_route_publicly_cached::CODE,
        check: authenticated_route_publicly_cached::check,
        reads: authenticated_route_publicly_cached::READS,
    },
    Rule {
        code: browser_ttl_exceeds_edge_ttl::CODE,
        check: browser_ttl_exceeds_edge_ttl::check,
        reads: browser_ttl_exceeds_edge_ttl::READS,
    },
    Rule {
        code: stale_directive_as_header::CODE,
        check: stale_directive_as_header::check,
        reads: stale_directive_as_header::READS,
    },
    Rule {
        code: vary_not_honoured_at_edge::CODE,
        check: vary_not_honoured_at_edge::check,
        reads: vary_not_honoured_at_edge::READS,
    },
    Rule {
        code: public_route_serves_authenticated_data::CODE,
        check: public_route_serves_authenticated_data::check,
        reads: public_route_serves_authenticated_data::READS,
    },
    Rule {
        code: bypass_overridden_by_later_rule::CODE,
        check: bypass_overridden_by_later_rule::check,
        reads: bypass_overridden_by_later_rule::READS,
    },
    Rule {
        code: cross_slot_invalidation::CODE,
        check: cross_slot_invalidation::check,
        reads: cross_slot_invalidation::READS,
    },
    Rule {
        code: tag_set_expires_before_members::CODE,
        check: tag_set_expires_before_members::check,
        reads: tag_set_expires_before_members::READS,
    },
    Rule {
        code: long_ttl_without_jitter::CODE,
        check: long_ttl_without_jitter::check,
        reads: long_ttl_without_jitter::READS,
    },
    Rule {
        code: pattern_never_invalidated::CODE,
        check: pattern_never_invalidated::check,
        reads: pattern_never_invalidated::READS,
    },
    Rule {
        code: event_invalidates_nothing::CODE,
        check: event_invalidates_nothing::check,
        reads: event_invalidates_nothing::READS,
    },
    Rule {
        code: tag_without_members::CODE,
        check: tag_without_members::check,
        reads: tag_without_members::READS,
    },
    Rule {
        code: stampede_lock_outlives_key::CODE,
        check: stampede_lock_outlives_key::check,
        reads: stampede_lock_outlives_key::READS,
    },
    Rule {
        code: staleness_budget_exceeded::CODE,
        check: staleness_budget_exceeded::check,
        reads: staleness_budget_exceeded::READS,
    },
    Rule {
        code: ttl_above_authenticated_cap::CODE,
        check: ttl_above_authenticated_cap::check,
        reads: ttl_above_authenticated_cap::READS,
    },
    Rule {
        code: invalidation_spans_stores::CODE,
        check: invalidation_spans_stores::check,
        reads: invalidation_spans_stores::READS,
    },
    Rule {
        code: store_without_access_control::CODE,
        check: store_without_access_control::check,
        reads: store_without_access_control::READS,
    },
    Rule {
        code: durable_write_without_ownership::CODE,
        check: durable_write_without_ownership::check,
        reads: durable_write_without_ownership::READS,
    },
    Rule {
        code: shared_password::CODE,
        check: shared_password::check,
        reads: shared_password::READS,
    },
    Rule {
        code: tls_plain_port_open::CODE,
        check: tls_plain_port_open::check,
        reads: tls_plain_port_open::READS,
    },
    Rule {
        code: verifier_can_read_secret::CODE,
        check: verifier_can_read_secret::check,
        reads: verifier_can_read_secret::READS,
    },
    Rule {
        code: glob_reaches_ungranted_keys::CODE,
        check: glob_reaches_ungranted_keys::check,
        reads: glob_reaches_ungranted_keys::READS,
    },
    Rule {
        code: channel_reaches_sentinel_hello::CODE,
        check: channel_reaches_sentinel_hello::check,
        reads: channel_reaches_sentinel_hello::READS,
    },
    Rule {
        code: sentinel_quorum_above_majority::CODE,
        check: sentinel_quorum_above_majority::check,
        reads: sentinel_quorum_above_majority::READS,
    },
    Rule {
        code: too_few_sentinels::CODE,
        check: too_few_sentinels::check,
        reads: too_few_sentinels::READS,
    },
    Rule {
        code: even_sentinel_count::CODE,
        check: even_sentinel_count::check,
        reads: even_sentinel_count::READS,
    },
    Rule {
        code: min_replicas_blocks_writes::CODE,
        check: min_replicas_blocks_writes::check,
        reads: min_replicas_blocks_writes::READS,
    },
    Rule {
        code: durable_without_min_replicas::CODE,
        check: durable_without_min_replicas::check,
        reads: durable_without_min_replicas::READS,
    },
    Rule {
        code: hosted_directive_not_settable::CODE,
        check: hosted_directive_not_settable::check,
        reads: hosted_directive_not_settable::READS,
    },
    Rule {
        code: max_lag_without_min_replicas::CODE,
        check: max_lag_without_min_replicas::check,
        reads: max_lag_without_min_replicas::READS,
    },
    Rule {
        code: hosted_version_not_offered::CODE,
        check: hosted_version_not_offered::check,
        reads: hosted_version_not_offered::READS,
    },
    Rule {
        code: hosted_parameters_not_rendered::CODE,
        check: hosted_parameters_not_rendered::check,
        reads: hosted_parameters_not_rendered::READS,
    },
    Rule {
        code: hosted_parameter_unconfirmed::CODE,
        check: hosted_parameter_unconfirmed::check,
        reads: hosted_parameter_unconfirmed::READS,
    },
];

/// Finds a rule by code (`CG101`, any case) or kebab-case name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.code.code.eq_ignore_ascii_case(name) || r.code.name == name)
}

#[cfg(test)]
mod tests {
    use super::RULES;

    /// A rule that reads nothing would run on stand-ins for broken values.
    #[test]
    fn every_rule_says_what_it_reads() {
        for rule in RULES {
            assert!(!rule.reads.is_empty(), "{}", rule.code.code);
            for input in rule.reads {
                let pointer = input
                    .strip_prefix("@store")
                    .or_else(|| input.strip_prefix("@cluster"))
                    .map_or(input.to_string(), |rest| format!("/stores/x{rest}"));
                assert!(
                    pointer.starts_with('/') && !pointer.ends_with('/'),
                    "{}: `{input}` is a JSON pointer (or `@store…`/`@cluster…`)",
                    rule.code.code
                );
            }
        }
    }
}
