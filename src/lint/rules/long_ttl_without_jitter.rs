//! CG303 long-ttl-without-jitter: long-lived cache keys that all expire at
//! the same moment.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::load::units::Duration;
use crate::policy::model::{Policy, Strategy};

crate::declare_rule! {
    /// ## What it does
    /// Reports key patterns with a TTL of 10 minutes or more whose jitter
    /// (the pattern's `jitter`, else `ttl.jitter`) is 0%. Patterns with
    /// `strategy: primary` are not reported: they have no database behind
    /// them to stampede.
    ///
    /// ## Why is this bad?
    /// Keys written together expire together. Cache warming writes hundreds
    /// of keys in a few seconds (say, the 100 most popular items with one
    /// `SETEX` each and the same TTL); without jitter they all
    /// expire in the same second, every request misses at once, and the
    /// database takes the whole load (a cache stampede). Jitter adds a random
    /// part to each TTL so expiries spread out. Short TTLs are left alone:
    /// their keys are rewritten by traffic often enough to drift apart.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     quiz_data:
    ///       pattern: "quiz:<quiz_id>:data"
    ///       ttl: 30m
    ///       jitter: 0%        # CG303
    /// ```
    /// Use instead `jitter: 10%` (each write adds 0–10% to the TTL), or set
    /// `ttl.jitter: 10%` for every pattern.
    "CG303", "long-ttl-without-jitter", Warning, "long-lived keys without jitter expire together and stampede the database"
}

/// TTLs from this many seconds (10 minutes) up are reported.
const THRESHOLD_SECS: u64 = 600;

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/ttl",
    "/keys/patterns/*/ttl",
    "/keys/patterns/*/jitter",
    "/keys/patterns/*/strategy",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for p in policy.keys.patterns.values() {
        if p.strategy == Strategy::Primary || !p.jitter.is_zero() {
            continue;
        }
        let Some(base) = p
            .ttl
            .base()
            .filter(|&b| b >= Duration::from_secs(THRESHOLD_SECS))
        else {
            continue;
        };
        let own_jitter = written_span(policy, &p.pointer, "jitter");
        let (span, label) = match own_jitter {
            Some(span) => (span, "no jitter".to_owned()),
            None => (
                written_span(policy, &p.pointer, "ttl")
                    .unwrap_or_else(|| policy.key_span(&p.pointer)),
                format!("{base} for every key, no jitter"),
            ),
        };
        let d = out.report(
            format!(
                "keys of pattern `{}` all live exactly {base}: keys written together expire together",
                p.name
            ),
            span,
            label,
        );
        let fix = if own_jitter.is_some() {
            "set `jitter: 10%`".to_owned()
        } else {
            format!(
                "add `jitter: 10%` to `{}`, or `ttl.jitter: 10%` for every pattern,",
                p.name
            )
        };
        d.add_help(format!(
            "{fix} so keys written together expire over {} instead of in one instant (each write adds a random 0–10% to the TTL)",
            Duration::from_secs(base.as_secs() / 10)
        ));
        if own_jitter.is_none()
            && let Some(global) = written_span(policy, "/ttl", "jitter")
        {
            d.add_related(global, "`ttl.jitter` is 0%");
        }
    }
}
