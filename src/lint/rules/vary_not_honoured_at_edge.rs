//! CG204 vary-not-honoured-at-edge: a cached route varies by a request
//! header that the emitted Cloudflare configuration does not split the cache
//! by.

use crate::lint::Findings;
use crate::policy::model::{Policy, Visibility};

crate::declare_rule! {
    /// ## What it does
    /// Reports a route cached at the edge (`cache` is not `bypass`) whose
    /// `vary` lists a request header other than `Accept-Encoding`, or `*`.
    /// `Authorization` and `Cookie` on a public route are CG201's.
    ///
    /// ## Why is this bad?
    /// By default Cloudflare builds the cache key from the URL and a few
    /// headers; a `Vary` response header splits the cache only for
    /// `Accept-Encoding` (compression) unless a Cache Rule configures Vary
    /// for the other headers
    /// (<https://developers.cloudflare.com/cache/concepts/vary/>). cachegen
    /// does not emit that setting, so the edge stores one response and serves
    /// it whatever the header says: the JSON answer to a client that asked
    /// for CSV, one language to every user. `Vary: *` is the opposite: the
    /// response is never cached, whatever the route's TTLs say.
    ///
    /// ## Example
    /// ```yaml
    /// edge:
    ///   routes:
    ///     api_public:
    ///       path: "/api/public/*"
    ///       edge_ttl: 5m
    ///       vary: [Accept-Encoding, Accept-Language]   # CG204
    /// ```
    /// Use instead: put the variant in the URL (`/api/public/en/*`), or do
    /// not cache the route at the edge:
    /// ```yaml
    ///     api_public:
    ///       path: "/api/public/*"
    ///       edge_ttl: 5m
    ///       vary: [Accept-Encoding]
    /// ```
    "CG204", "vary-not-honoured-at-edge", Error, "a cached route varies by a header the edge does not split its cache by"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*"];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    for route in edge.routes.values() {
        if !route.stored_at_edge() {
            continue;
        }
        for (i, header) in route.vary.iter().enumerate() {
            let lower = header.to_ascii_lowercase();
            if lower == "accept-encoding" {
                continue;
            }
            // CG201 reports per-user headers on public routes.
            if route.visibility == Visibility::Public
                && (lower == "authorization" || lower == "cookie")
            {
                continue;
            }
            let span = policy.span(&route.pointer, &format!("vary/{i}"));
            if header == "*" {
                out.report(
                    format!(
                        "route `{}` is cached at the edge but sends `Vary: *`, which Cloudflare never caches",
                        route.name
                    ),
                    span,
                    "always bypasses the edge cache",
                )
                .add_help("remove `*` from `vary`, or set `cache: bypass` to say what happens");
                continue;
            }
            out.report(
                format!(
                    "route `{}` varies by `{header}`, but the edge keeps one response for every value of it",
                    route.name
                ),
                span,
                "not part of the edge cache key",
            )
            .add_help(format!(
                "Cloudflare splits its cache by `Vary` only for Accept-Encoding unless a Cache Rule configures Vary, which cachegen does not emit; put the variant in the URL, remove `{header}` if the response does not depend on it, or set `cache: bypass`"
            ));
        }
    }
}
