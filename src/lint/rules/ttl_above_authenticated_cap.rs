//! CG309 ttl-above-authenticated-cap: an authenticated pattern whose own TTL
//! is longer than `ttl.authenticated_cap` allows, so the cap silently
//! shortens it.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports authenticated key patterns whose own `ttl:` (a duration or a
    /// class), with its jitter, runs past `ttl.authenticated_cap`.
    ///
    /// ## Why is this bad?
    /// The cap wins: the pattern's keys get the longest base TTL whose
    /// jittered maximum still fits under the cap, and keep their full jitter
    /// below it (a 15m cap with 10% jitter gives 13m39s to 15m). So the TTL
    /// written on the pattern is not what Redis holds, and whoever reads the
    /// policy, tunes the TTL or reasons about staleness from it is misled.
    /// A pattern that names no TTL and takes `ttl.default` is not reported:
    /// bounding the default for per-user data is what the cap is for.
    ///
    /// ## Example
    /// ```yaml
    /// ttl:
    ///   default: 5m
    ///   jitter: 10%
    ///   authenticated_cap: 15m
    /// keys:
    ///   patterns:
    ///     user_profile:
    ///       pattern: "user:<user_id>:profile"
    ///       authenticated: true
    ///       ttl: 1h            # CG309
    /// ```
    /// Use instead a TTL whose jittered maximum fits under the cap
    /// (`ttl: 13m`: 13m to 14m18s), or raise the cap.
    "CG309", "ttl-above-authenticated-cap", Warning, "an authenticated pattern's own TTL is longer than the authenticated cap, which silently shortens it"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/ttl",
    "/keys/patterns/*/ttl",
    "/keys/patterns/*/authenticated",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(cap) = policy.ttl.authenticated_cap else {
        return;
    };
    for p in policy.keys.patterns.values() {
        // The model records whether lowering applied the cap; only a TTL the
        // pattern writes itself is reported.
        let Some(asked) = p.ttl_capped_from else {
            continue;
        };
        let Some(span) = written_span(policy, &p.pointer, "ttl") else {
            continue;
        };
        let (Some(base), Some(max)) = (p.ttl.base(), p.ttl.max()) else {
            continue;
        };
        let written = match &p.ttl_class {
            Some(class) => format!("`ttl: {class}` ({asked})"),
            None => format!("`ttl: {asked}`"),
        };
        let d = out.report(
            format!(
                "`{}` asks for {written} with {} jitter, but `ttl.authenticated_cap` is {cap}: its keys live {base} to {max}",
                p.name, p.jitter
            ),
            span,
            format!("lowered to {base}..{max} by the cap"),
        );
        d.add_help(format!(
            "write a TTL whose jittered maximum fits under the cap (`ttl: {base}` or shorter) so the policy says what Redis holds, or raise `ttl.authenticated_cap` if `{}` may live longer",
            p.name
        ));
        if let Some(cap_span) = written_span(policy, "/ttl", "authenticated_cap") {
            d.add_related(cap_span, "caps authenticated TTLs, jitter included");
        }
    }
}
