//! CG202 browser-ttl-exceeds-edge-ttl: browsers keep a response longer than
//! the edge, where a purge can reach it.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports edge routes whose `browser_ttl` is longer than their
    /// `edge_ttl`, unless the route is `immutable: true`.
    ///
    /// ## Why is this bad?
    /// A CDN purge empties the edge, but nothing can empty a browser cache: a
    /// browser keeps serving its copy until `max-age` runs out. When content
    /// changes and is purged, users keep seeing the old version for the whole
    /// browser TTL, long after the edge has the new one. Only content that
    /// never changes under its URL (fingerprinted bundles, `immutable: true`)
    /// can safely live longer in browsers than at the edge.
    ///
    /// ## Example
    /// ```yaml
    /// edge:
    ///   routes:
    ///     api_public:
    ///       path: "/api/public/*"
    ///       edge_ttl: 5m
    ///       browser_ttl: 1h      # CG202
    /// ```
    /// Use instead `browser_ttl: 5m` (or shorter), or `immutable: true` if the
    /// URLs are content-hashed.
    "CG202", "browser-ttl-exceeds-edge-ttl", Warning, "browsers keep a response longer than the edge, beyond the reach of a purge"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*"];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    for route in edge.routes.values() {
        if route.immutable {
            continue;
        }
        let (Some(browser), Some(edge_ttl)) = (route.browser_ttl, route.edge_ttl) else {
            continue;
        };
        if browser <= edge_ttl {
            continue;
        }
        out.report(
            format!(
                "route `{}` keeps responses in browsers for {browser}, longer than at the edge ({edge_ttl})",
                route.name
            ),
            policy.span(&route.pointer, "browser_ttl"),
            format!("longer than `edge_ttl` ({edge_ttl})"),
        )
        .add_help(format!(
            "browser caches cannot be purged: after a purge, browsers serve the old response for up to {browser}; set `browser_ttl` to at most {edge_ttl}, or mark the route `immutable: true` if its URLs are content-hashed"
        ))
        .add_related(policy.span(&route.pointer, "edge_ttl"), "edge TTL");
    }
}
