//! One lint rule per file. The file, its `CODE` and its `check` share a name;
//! `registry::RULES` lists them all. Both lists are in code order (the blank
//! lines keep rustfmt from sorting them by name).

// Redis server (CG1xx).
pub mod durable_keys_under_allkeys_eviction;

pub mod durable_data_without_persistence;

pub mod volatile_eviction_with_immortal_keys;

pub mod io_threads_without_effect;

pub mod maxmemory_exceeds_container_memory;

pub mod directive_not_in_target_version;

pub mod slowlog_threshold_above_latency_target;

pub mod cluster_without_replicas;

pub mod idle_clients_never_reaped;

pub mod memory_budget_exceeded;

pub mod memory_budget_forces_eviction;

pub mod engine_default_differs;

pub mod dangerous_commands_enabled;
pub mod development_directive;

// Edge / HTTP (CG2xx).
pub mod authenticated_route_publicly_cached;

pub mod browser_ttl_exceeds_edge_ttl;

pub mod stale_directive_as_header;

pub mod vary_not_honoured_at_edge;

pub mod public_route_serves_authenticated_data;

pub mod bypass_overridden_by_later_rule;

// Keys, tags and invalidation (CG3xx).
pub mod cross_slot_invalidation;

pub mod tag_set_expires_before_members;

pub mod long_ttl_without_jitter;

pub mod pattern_never_invalidated;

pub mod event_invalidates_nothing;

pub mod tag_without_members;

pub mod stampede_lock_outlives_key;

pub mod staleness_budget_exceeded;

pub mod ttl_above_authenticated_cap;

pub mod invalidation_spans_stores;

// Access control (CG5xx).
pub mod store_without_access_control;

pub mod durable_write_without_ownership;

pub mod shared_password;

pub mod tls_plain_port_open;

pub mod verifier_can_read_secret;

pub mod glob_reaches_ungranted_keys;

pub mod channel_reaches_sentinel_hello;

// Replication, Sentinel and managed services (CG6xx).
pub mod sentinel_quorum_above_majority;

pub mod too_few_sentinels;

pub mod even_sentinel_count;

pub mod min_replicas_blocks_writes;

pub mod durable_without_min_replicas;

pub mod hosted_directive_not_settable;

pub mod hosted_version_not_offered;

pub mod hosted_parameters_not_rendered;

pub mod hosted_parameter_unconfirmed;

pub mod max_lag_without_min_replicas;

use crate::policy::model::Policy;
use crate::source::Span;

/// Span of `pointer/field` if the field is written in the file.
pub(crate) fn written_span(policy: &Policy, pointer: &str, field: &str) -> Option<Span> {
    policy.written_span(pointer, field)
}

/// `major.minor`, as the policy writes a Redis version.
pub(crate) fn version_text((major, minor): (u32, u32)) -> String {
    format!("{major}.{minor}")
}
