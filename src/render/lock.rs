//! Owns the normalized policy (`policy.lock.json`): every value resolved to
//! seconds, bytes and plain numbers, defaults filled in, references resolved.
//! Reviewers diff it to see what a policy change really changes, and `verify`
//! can run from it where the YAML source is not deployed.

use super::{Origin, OutputFile, RenderError, Renderer, redis_conf};
use crate::keys::Segment;
use crate::load::units::{Duration, MemorySize, Percent};
use crate::policy::model::{CacheLevel, LintLevel, Policy, Strategy, Ttl, ValueType, Visibility};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub const TEMPLATES: &[(&str, &str)] = &[(
    "lock/policy.lock.json.j2",
    include_str!("../../templates/lock/policy.lock.json.j2"),
)];

/// Identifies the file format; bump `LOCK_VERSION` on incompatible changes.
pub const LOCK_FORMAT: &str = "cachegen-policy-lock";
pub const LOCK_VERSION: u32 = 1;

fn secs(d: Duration) -> Value {
    json!(d.as_secs())
}

fn opt_secs(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, secs)
}

/// A staleness limit or in-process TTL in seconds. Whole seconds are an
/// integer, as every other `_secs`; unlike Redis and HTTP TTLs the policy
/// allows these finer than a second, so a fraction is written as decimals
/// of the microseconds (`1500ms` → `1.5`), which reads back exactly
/// (`policy::from_lock`) for anything shorter than 31 years.
fn exact_secs(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| {
        if d.is_whole_seconds() {
            return secs(d);
        }
        let micros = d.as_micros();
        let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
        text.trim_end_matches('0')
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    })
}

fn bytes(m: Option<MemorySize>) -> Value {
    m.map_or(Value::Null, |m| json!(m.bytes()))
}

/// Percentages as numbers (`99.9`), exact to the two decimals the format allows.
fn percent(p: Option<Percent>) -> Value {
    p.map_or(Value::Null, |p| {
        let bp = p.basis_points();
        if bp % 100 == 0 {
            json!(bp / 100)
        } else {
            json!(f64::from(bp) / 100.0)
        }
    })
}

pub fn enum_name<T: std::fmt::Debug>(v: T) -> String {
    // `CacheAside` → `cache-aside`: the spelling the policy file uses.
    let debug = format!("{v:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn ttl(t: Ttl) -> Value {
    match t {
        Ttl::Expires { base, max } => {
            json!({ "base_secs": base.as_secs(), "max_secs": max.as_secs() })
        }
        Ttl::Never => Value::Null,
    }
}

/// The lock as a JSON value. `policy::from_lock` reads it back into the model
/// and compares this value of the result with what it read, so everything a
/// renderer needs must be here, and every value must be a function of the model.
pub fn lock_value(policy: &Policy, origin: &Origin) -> Value {
    let patterns: Map<String, Value> = policy
        .keys
        .patterns
        .values()
        .map(|p| {
            (
                p.name.clone(),
                json!({
                    "pattern": p.text,
                    "description": p.description,
                    "key": policy.stored_shape("", &p.segments, p.hash_tag),
                    "placeholders": p.segments.iter().filter_map(|s| match s {
                        Segment::Placeholder { name, ty } => Some(json!({ "name": name, "type": enum_name(ty) })),
                        Segment::Literal(_) => None,
                    }).collect::<Vec<_>>(),
                    "hash_tag": p.hash_tag_text(),
                    "type": enum_name::<ValueType>(p.value_type),
                    "strategy": enum_name::<Strategy>(p.strategy),
                    "ttl": ttl(p.ttl),
                    "ttl_class": p.ttl_class,
                    // Whether the TTL is `ttl.default` because the pattern names
                    // none: the staleness budget points there, not at the pattern.
                    "ttl_from_default": policy.written_span(&p.pointer, "ttl").is_none(),
                    "jitter_percent": percent(Some(p.jitter)),
                    "authenticated": p.authenticated,
                    "durable": p.durable,
                    "queue": p.queue,
                    "refresh_when_remaining_percent": percent(p.refresh_when_remaining),
                    "tags": p.tags,
                    "compress_above_bytes": bytes(p.compress_above),
                    "stampede_lock": p.stampede_lock.as_ref().map(|l| json!({ "prefix": l.prefix, "ttl_secs": l.ttl.as_secs() })),
                    "app_ttl_secs": exact_secs(p.app_ttl),
                    "max_staleness_secs": exact_secs(p.max_staleness),
                    "cardinality": p.cardinality,
                    "value_size_bytes": bytes(p.value_size),
                }),
            )
        })
        .collect();
    let tags: Map<String, Value> = policy
        .tags
        .values()
        .map(|t| (t.name.clone(), json!({ "key": policy.stored_shape("", &t.key, None), "ttl": ttl(t.ttl), "members": t.members })))
        .collect();
    let events: Map<String, Value> = policy
        .events
        .values()
        .map(|e| {
            (
                e.name.clone(),
                json!({ "params": e.params, "invalidate": e.invalidate, "invalidate_tags": e.invalidate_tags, "when_changed": e.when_changed }),
            )
        })
        .collect();
    let edge = policy.edge.as_ref().map(|edge| {
        let routes: Map<String, Value> = edge
            .routes
            .values()
            .map(|r| {
                (
                    r.name.clone(),
                    json!({
                        "path": r.path,
                        "extensions": r.extensions,
                        "cache": enum_name::<CacheLevel>(r.cache),
                        "edge_ttl_secs": opt_secs(r.edge_ttl),
                        "browser_ttl_secs": opt_secs(r.browser_ttl),
                        "stale_while_revalidate_secs": opt_secs(r.stale_while_revalidate),
                        "stale_if_error_secs": opt_secs(r.stale_if_error),
                        "vary": r.vary,
                        "authenticated": r.authenticated,
                        "visibility": enum_name::<Visibility>(r.visibility),
                        "immutable": r.immutable,
                        "headers": r.headers,
                        "serves": r.serves,
                        "max_staleness_secs": exact_secs(r.max_staleness),
                    }),
                )
            })
            .collect();
        json!({ "provider": enum_name(edge.provider), "zone": edge.zone, "routes": routes })
    });
    let config: Map<String, Value> = redis_conf::managed_directives(policy)
        .into_iter()
        .map(|d| (d.name.to_owned(), Value::String(d.config_get)))
        .collect();
    let redis = &policy.redis;
    let client = policy.client.as_ref().map(|c| {
        let backoff = |b: &Option<crate::policy::raw::Backoff>| {
            b.as_ref()
                .map(|b| json!({ "step_ms": b.step.as_millis(), "max_ms": b.max.as_millis() }))
        };
        json!({
            "max_retries_per_request": c.max_retries_per_request,
            "retry_backoff": backoff(&c.retry_backoff),
            "cluster_retry_backoff": backoff(&c.cluster_retry_backoff),
            "connect_timeout_ms": c.connect_timeout.map(|d| d.as_millis()),
            "command_timeout_ms": c.command_timeout.map(|d| d.as_millis()),
            "keepalive_ms": c.keepalive.map(|d| d.as_millis()),
            "offline_queue": c.offline_queue,
            "ready_check": c.ready_check,
            "reconnect_on_errors": c.reconnect_on_errors,
        })
    });
    let targets = policy.targets.as_ref().map(|t| {
        json!({
            "overall_hit_ratio_percent": percent(t.overall_hit_ratio),
            "cdn_hit_ratio_percent": percent(t.cdn_hit_ratio),
            "redis_hit_ratio_percent": percent(t.redis_hit_ratio),
            "cached_latency_us": t.cached_latency.map(|d| d.as_micros()),
            "availability_percent": percent(t.availability),
        })
    });
    let warming: Map<String, Value> = policy
        .warming
        .values()
        .map(|w| (w.name.clone(), json!({ "keys": w.keys, "on_startup": w.on_startup, "schedule": w.schedule, "limit": w.limit, "description": w.description })))
        .collect();
    // Rule codes by level, in the policy's order within each level.
    let lint_levels = crate::lint::levels::resolve(policy).by_code;
    let lint_level = |level: LintLevel| {
        lint_levels
            .iter()
            .filter(|(_, l)| **l == level)
            .map(|(code, _)| *code)
            .collect::<Vec<_>>()
    };
    json!({
        "format": LOCK_FORMAT,
        "version": LOCK_VERSION,
        "generated_by": format!("cachegen from policy `{}` ({}); do not edit", origin.policy_name, origin.file_name),
        "policy": { "name": policy.name, "source": origin.file_name, "sha256": origin.content_hash },
        "ttl": {
            "default_secs": policy.ttl.default.as_secs(),
            "jitter_percent": percent(Some(policy.ttl.jitter)),
            "authenticated_cap_secs": opt_secs(policy.ttl.authenticated_cap),
            "classes": policy.ttl.classes.iter().map(|(k, v)| (k.clone(), secs(*v))).collect::<Map<_, _>>(),
            "max_staleness_secs": exact_secs(policy.ttl.max_staleness),
        },
        "keys": {
            "version_prefix": policy.keys.version_prefix,
            "previous_prefixes": policy.keys.previous_prefixes,
            "max_value_size_bytes": bytes(policy.keys.max_value_size),
            "placeholders": policy.keys.placeholders.iter().map(|(k, v)| (k.clone(), json!(enum_name(v)))).collect::<Map<_, _>>(),
            "patterns": patterns,
        },
        "tags": tags,
        "invalidation": { "cascade": policy.cascade, "events": events },
        "edge": edge,
        "redis": {
            "version": format!("{}.{}", redis.version.0, redis.version.1),
            "config": config,
            "cores": redis.cores,
        },
        "cluster": policy.cluster.as_ref().map(|c| json!({
            "masters": c.masters,
            "replicas_per_master": c.replicas_per_master,
            "node_timeout_ms": c.node_timeout.as_millis(),
            "require_full_coverage": c.require_full_coverage,
            "kubernetes": c.kubernetes.as_ref().map(|k| json!({
                "namespace": k.namespace,
                "name": k.name,
                "image": k.image,
                "memory_limit": k.memory_limit,
                "cpu": k.cpu,
                "storage": k.storage,
                "storage_class": k.storage_class,
            })),
        })),
        "client": client,
        "targets": targets,
        "warming": warming,
        "lint": {
            "allow": lint_level(LintLevel::Allow),
            "warn": lint_level(LintLevel::Warn),
            "deny": lint_level(LintLevel::Deny),
        },
    })
}

#[derive(Serialize)]
struct Context {
    json: String,
}

pub fn render(policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let json = serde_json::to_string_pretty(&lock_value(policy, r.origin()))
        .map_err(|e| RenderError(format!("policy.lock.json: {e}")))?;
    Ok(vec![OutputFile {
        path: "policy.lock.json".into(),
        contents: r.render("lock/policy.lock.json.j2", None, &Context { json })?,
    }])
}
