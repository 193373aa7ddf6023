//! CG307 stampede-lock-outlives-key: a stampede lock that, left behind by a
//! crashed holder, blocks rebuilds for longer than the value lives.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{KeyPattern, Policy, Strategy};
use crate::source::Span;

crate::declare_rule! {
    /// ## What it does
    /// Reports key patterns whose `stampede_lock.ttl` is at least as long as
    /// the pattern's base TTL (before jitter, after the authenticated cap).
    /// Patterns that never expire are not reported.
    ///
    /// ## Why is this bad?
    /// A stampede lock is `SET lock:<key> 1 NX EX <ttl>`: one process rebuilds
    /// the value while the others wait, and the lock's TTL is what frees it
    /// when the holder crashes before its `DEL`. Until then nobody else may
    /// rebuild. A typical client retries every 100 ms or so for as long as
    /// the lock exists; with a lock as long as the value
    /// (or longer), a single crashed holder makes readers wait, or fall
    /// through to the database if they give up, for a whole TTL: the outage
    /// outlasts the data the lock protects. For refresh-ahead patterns the
    /// lock guards the background refresh, and a stuck one lets the key
    /// expire unrefreshed. A lock only needs to cover one rebuild: tens of
    /// seconds (say 30 s, 60 s for a refresh) around 1 h values.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     quiz_leaderboard:
    ///       pattern: "quiz:<quiz_id>:leaderboard"
    ///       ttl: 5m
    ///       stampede_lock: { ttl: 10m }   # CG307
    /// ```
    /// Use instead a lock about as long as one rebuild, `{ ttl: 30s }`.
    "CG307", "stampede-lock-outlives-key", Warning, "a lock left by a crashed rebuild blocks rebuilds for a whole TTL of the value or more"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/ttl",
    "/keys/patterns/*/ttl",
    "/keys/patterns/*/strategy",
    "/keys/patterns/*/stampede_lock",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for p in policy.keys.patterns.values() {
        let Some(lock) = &p.stampede_lock else {
            continue;
        };
        let Some(base) = p.ttl.base() else { continue };
        if lock.ttl < base {
            continue;
        }
        let blocked = if p.strategy == Strategy::RefreshAhead {
            "refreshes"
        } else {
            "rebuilds"
        };
        let (ttl_span, ttl_label) = ttl_origin(policy, p, base);
        out.report(
            format!(
                "the stampede lock of `{}` lives {}, at least as long as its keys ({base})",
                p.name, lock.ttl
            ),
            policy.span(&p.pointer, "stampede_lock/ttl"),
            "outlives the value it protects",
        )
        .add_help(format!(
            "if the holder of `{}<key>` crashes, {blocked} stay blocked for {}, a whole TTL of the value or more, while readers wait or go to the database; make the lock about as long as one rebuild, well below {base} (tens of seconds, such as 30s, around 1h values)",
            lock.prefix, lock.ttl
        ))
        .add_related(ttl_span, ttl_label);
    }
}

/// Where the pattern's base TTL comes from, for the related label.
fn ttl_origin(
    policy: &Policy,
    p: &KeyPattern,
    base: crate::load::units::Duration,
) -> (Span, String) {
    let cap_note = if p.ttl_capped_from.is_some() {
        " after `ttl.authenticated_cap`"
    } else {
        ""
    };
    match written_span(policy, &p.pointer, "ttl") {
        Some(span) => {
            let label = match &p.ttl_class {
                Some(class) => format!("`{class}`: keys live {base}{cap_note}"),
                None => format!("keys live {base}{cap_note}"),
            };
            (span, label)
        }
        None => (
            policy.key_span(&p.pointer),
            format!("no `ttl`: keys live {base} (`ttl.default`){cap_note}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    /// CG307 findings as (message, related labels) for one pattern's lines.
    fn findings(pattern: &str) -> Vec<(String, Vec<String>)> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\n  jitter: 10%\n  authenticated_cap: 30m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n{pattern}\
             redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: volatile-lru\n"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG307")
            .map(|d| {
                let labels = d.related.iter().map(|(_, l)| l.clone()).collect();
                (d.message.clone(), labels)
            })
            .collect()
    }

    #[test]
    fn keys_without_ttl_are_not_reported() {
        assert!(
            findings("      ttl: none\n      durable: true\n      stampede_lock: {ttl: 1h}\n")
                .is_empty()
        );
    }

    #[test]
    fn one_second_shorter_passes() {
        assert!(findings("      ttl: 5m\n      stampede_lock: {ttl: 299s}\n").is_empty());
        assert_eq!(
            findings("      ttl: 5m\n      stampede_lock: {ttl: 300s}\n").len(),
            1
        );
    }

    #[test]
    fn compares_with_the_capped_ttl() {
        let found =
            findings("      ttl: 1h\n      authenticated: true\n      stampede_lock: {ttl: 45m}\n");
        assert_eq!(found.len(), 1, "{found:?}");
        // The cap keeps the 10% jitter under 30m: 1637 s + 163 s = 30m.
        assert!(found[0].0.contains("(27m17s)"), "{found:?}");
        assert!(found[0].1[0].contains("authenticated_cap"), "{found:?}");
    }
}
