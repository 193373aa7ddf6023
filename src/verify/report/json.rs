//! The versioned JSON verify report (`--format json`): one document for
//! the run, with one object per store of the policy.

use super::*;

/// Version of the `verify --format json` document. Bump on incompatible changes.
/// 2: `server` names the `engine`; `runtime` reads the hit ratio from a
/// `window` instead of lifetime `keyspace_hits`/`keyspace_misses`; nodes say
/// whether their reads left LRU/LFU alone (`no_touch`).
/// 3: a run verifies several stores: the document is `{format, version,
/// policy, stores: {name: report}, summary, exit_code}`, each store's report
/// the version 2 object without `format`, `version` and `policy`, plus
/// `verified` (a store given no URL is `{"verified": false}`).
pub const JSON_VERSION: u32 = 3;

/// The run: every store of the policy, in policy order.
pub fn json(run: &RunReport, source: &SourceFile) -> Value {
    let stores: serde_json::Map<String, Value> = run
        .stores
        .iter()
        .map(|s| {
            let report = match &s.report {
                Some(report) => store_json(report, source),
                None => json!({ "verified": false, "reason": not_verified_text(s) }),
            };
            (s.store.clone(), report)
        })
        .collect();
    let count = |severity| run.verified().map(|r| r.count(severity)).sum::<usize>();
    json!({
        "format": "cachegen-verify",
        "version": JSON_VERSION,
        "policy": source.name(),
        "stores": stores,
        "summary": {
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "notes": count(Severity::Note),
        },
        "exit_code": run.exit_code(),
    })
}

fn hits_json(h: &crate::verify::keyspace::Hits) -> Value {
    json!({ "keys": h.count, "examples": h.examples })
}

/// One store's report.
pub(super) fn store_json(report: &Report, source: &SourceFile) -> Value {
    let findings =
        output::json_envelope(&[as_file_report(report.findings.clone(), source)])["diagnostics"]
            .clone();
    let patterns: Vec<Value> = report
        .owners
        .iter()
        .zip(&report.tally.owners)
        .map(|(o, t)| {
            let mut wrong: Vec<(&String, &crate::verify::keyspace::Hits)> = t.wrong_type.iter().collect();
            wrong.sort_by(|a, b| a.0.cmp(b.0));
            json!({
                "owner": o.label,
                "pattern": o.pattern,
                "key": o.shape,
                "keys": t.keys,
                "memory_bytes": t.memory,
                "ttl_max_ms": o.ttl_max_ms,
                "type": o.value_type,
                "violations": {
                    "missing_ttl": hits_json(&t.missing_ttl),
                    "ttl_above_max": hits_json(&t.ttl_above_max),
                    "durable_with_ttl": hits_json(&t.durable_with_ttl),
                    "wrong_type": wrong.iter().map(|(k, h)| (k.to_string(), hits_json(h))).collect::<serde_json::Map<_, _>>(),
                    "too_large": hits_json(&t.too_large),
                },
            })
        })
        .collect();
    json!({
        "verified": true,
        "target": report.target,
        "server": report.flavour.as_ref().map(|f| json!({
            "engine": f.engine.name(),
            "version": f.version,
            "redis_compat": f.redis_compat.map(|(a, b)| format!("{a}.{b}")),
        })),
        "mode": if report.cluster { "cluster" } else { "single" },
        "coverage": match report.coverage {
            Coverage::Full => json!({ "mode": "full" }),
            Coverage::Sample(n) => json!({ "mode": "sample", "keys_per_primary": n }),
        },
        "complete": report.incomplete.is_empty(),
        "incomplete": report.incomplete,
        "elapsed_ms": report.elapsed.as_millis() as u64,
        "nodes": report.nodes.iter().map(|n| json!({
            "address": n.address.to_string(),
            "role": n.role,
            "version": n.version,
            "dbsize": n.dbsize,
            "inspected": n.inspected,
            "scan_ms": n.scan_time.as_millis() as u64,
            "no_touch": n.no_touch.as_str(),
            "replica_of": n.replica_of.as_ref().map(|r| json!({
                "primary": r.primary,
                "link": r.link,
                "last_io_seconds": r.last_io_seconds,
            })),
            "error": n.error,
        })).collect::<Vec<_>>(),
        "sentinels": report.sentinels.iter().map(|s| json!({
            "address": s.address.to_string(),
            "primary": s.primary.as_ref().map(ToString::to_string),
            "quorum": s.quorum,
            "other_sentinels": s.others,
            "error": s.error,
        })).collect::<Vec<_>>(),
        "keyspace": {
            "inspected": report.tally.inspected,
            "vanished": report.tally.vanished,
            "commands": report.tally.commands,
            "patterns": patterns,
            "old_version": { "keys": report.tally.old_version.count, "memory_bytes": report.tally.old_version_memory, "examples": report.tally.old_version.examples },
            "unknown": {
                "keys": report.tally.unknown,
                "memory_bytes": report.tally.unknown_memory,
                "top_prefixes": report.tally.top_prefixes(10).into_iter().map(|(p, n)| json!({ "prefix": p, "keys": n })).collect::<Vec<_>>(),
                "other": report.tally.unknown_other,
            },
        },
        "config": report.config.iter().map(|r| json!({
            "node": r.node.to_string(),
            "directive": r.directive,
            "expected": r.expected,
            "actual": r.actual,
            "status": r.status.as_str(),
            "read_from": if r.via_info { "info" } else { "config-get" },
            "immutable_at_runtime": crate::redis_directives::immutable(
                crate::facts::Engine::Redis,
                report.flavour.as_ref().and_then(|f| f.redis_compat).unwrap_or((7, 0)),
                r.directive,
            ),
        })).collect::<Vec<_>>(),
        "config_unchecked": report.config_unchecked.iter().map(|(directive, why)| json!({
            "directive": directive,
            "why": why,
        })).collect::<Vec<_>>(),
        "runtime": {
            "hit_ratio": report.runtime.hit_ratio(),
            "window": report.runtime.window.json(report.runtime.window_asked),
            "evicted_keys": report.runtime.evicted_keys,
            "oom_errors": report.runtime.oom_errors,
            "slow_entries": report.runtime.slow.len(),
            "slow_threshold_us": report.runtime.slow_threshold_us,
        },
        "findings": findings,
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "notes": report.count(Severity::Note),
        },
        "exit_code": report.exit_code(),
    })
}
