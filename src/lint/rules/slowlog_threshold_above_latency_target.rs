//! CG107 slowlog-threshold-above-latency-target: a slow log that only records
//! commands already well past the latency target.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::load::units::Duration;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports a `redis.slowlog.log_slower_than` longer than
    /// `targets.cached_latency`. When the policy sets no slow log, Redis
    /// uses its default threshold of 10ms (`slowlog-log-slower-than 10000`),
    /// and a latency target below that is reported too.
    ///
    /// ## Why is this bad?
    /// Redis records a command in the slow log only when its execution time
    /// reaches `slowlog-log-slower-than`. A command that takes longer than the
    /// latency target but less than the threshold breaks the target and
    /// leaves no trace: `SLOWLOG GET` shows nothing, and a dashboard or
    /// report built on it shows nothing either. The slow log measures execution only, not network time,
    /// so its threshold should be at or below the end-to-end target (a
    /// "< 10ms" target goes with `slowlog-log-slower-than 10000` or less).
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   slowlog:
    ///     log_slower_than: 50ms   # CG107
    ///     max_len: 128
    /// targets:
    ///   cached_latency: 10ms
    /// ```
    /// Use instead `log_slower_than: 10ms` (or lower).
    "CG107", "slowlog-threshold-above-latency-target", Warning, "commands slower than the latency target never reach the slow log"
}

/// Redis's `slowlog-log-slower-than` when redis.conf does not set it (10000
/// microseconds, unchanged from 5.0 to 8.x).
const DEFAULT_THRESHOLD_MICROS: u64 = 10_000;

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/slowlog", "/targets/cached_latency"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let Some(target) = policy.targets.as_ref().and_then(|t| t.cached_latency) else {
        return;
    };
    let target_span = policy.span("/targets", "cached_latency");
    let (threshold, written) = match store.redis.slowlog_log_slower_than {
        Some(t) => (
            t,
            written_span(policy, &store.at("slowlog"), "log_slower_than"),
        ),
        None => (Duration::from_micros(DEFAULT_THRESHOLD_MICROS), None),
    };
    if threshold <= target {
        return;
    }
    let gap = format!("commands between {target} and {threshold} are never logged");
    let help = format!(
        "set `{}.slowlog.log_slower_than` to at most {target}, so every command that breaks the latency target is in `SLOWLOG GET`",
        store.dotted()
    );
    match written {
        Some(span) => {
            out.report(
                format!(
                    "the slow log records commands from {threshold}, above the {target} latency target"
                ),
                span,
                gap,
            )
            .add_help(help)
            .add_related(target_span, "latency target");
        }
        None => {
            out.report(
                format!(
                    "the latency target is {target}, but the slow log records commands only from Redis's default {threshold}"
                ),
                target_span,
                gap,
            )
            .add_help(help);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    /// CG107 messages for a policy with the given `redis` extras and target.
    fn messages(redis_extra: &str, targets: &str) -> Vec<String> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n{redis_extra}{targets}"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG107")
            .map(|d| d.message.clone())
            .collect()
    }

    const SLOWLOG_10MS: &str = "  slowlog:\n    log_slower_than: 10ms\n    max_len: 128\n";

    #[test]
    fn equal_threshold_and_target_pass() {
        // Redis logs at `>=` the threshold, verify reports above the target.
        assert!(messages(SLOWLOG_10MS, "targets:\n  cached_latency: 10ms\n").is_empty());
    }

    #[test]
    fn no_target_no_finding() {
        assert!(messages(SLOWLOG_10MS, "").is_empty());
        assert!(messages(SLOWLOG_10MS, "targets:\n  redis_hit_ratio: 80%\n").is_empty());
    }

    #[test]
    fn redis_default_threshold_counts() {
        // No slowlog section: Redis logs from 10ms.
        assert!(messages("", "targets:\n  cached_latency: 10ms\n").is_empty());
        let found = messages("", "targets:\n  cached_latency: 5ms\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("Redis's default 10ms"), "{found:?}");
    }

    #[test]
    fn one_microsecond_over_fires() {
        let found = messages(
            "  slowlog:\n    log_slower_than: 10001us\n    max_len: 128\n",
            "targets:\n  cached_latency: 10ms\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
