//! CG206 bypass-overridden-by-later-rule: a cacheable route listed after a
//! bypass overrides the origin's TTLs on some of the bypass's URLs.

use crate::lint::Findings;
use crate::policy::edge_paths::{bypass_forms, extension, wildcard};
use crate::policy::model::{CacheLevel, Policy, Route};

crate::declare_rule! {
    /// ## What it does
    /// Reports a route that caches with a TTL override (`edge_ttl` or
    /// `browser_ttl`), listed after a `cache: bypass` route that is not
    /// `authenticated`, when some URL matches both. The finding names such a
    /// URL. A narrower path listed after a broader bypass (`/checkout/*`, then
    /// `/checkout/reports/*`) is the general-first idiom and is not reported,
    /// unless the later route matches by file extension.
    ///
    /// ## Why is this bad?
    /// Cloudflare applies every matching Cache Rule and the last match wins
    /// (Cache Rules "Order and priority";
    /// <https://developers.cloudflare.com/cache/how-to/cache-rules/page-rules-migration/>),
    /// and a TTL override ignores the origin's `Cache-Control: private,
    /// no-store`. So `/checkout/receipt.js`, which the origin's checkout
    /// handler may answer (format suffixes and static-looking names are a
    /// classic web cache deception), is cached under the `js` rule although
    /// `/checkout/*` is bypassed. Authenticated bypasses are immune (cachegen
    /// excludes their paths from every cacheable rule); this rule covers the
    /// others.
    ///
    /// ## Example
    /// ```yaml
    /// edge:
    ///   routes:
    ///     checkout:
    ///       path: "/checkout/*"
    ///       cache: bypass
    ///     assets:                # CG206: caches /checkout/x.js
    ///       extensions: [js]
    ///       edge_ttl: 1d
    /// ```
    /// Use instead: general first, bypasses last (or `authenticated: true`
    /// if the responses depend on who asks):
    /// ```yaml
    ///     assets:
    ///       extensions: [js]
    ///       edge_ttl: 1d
    ///     checkout:
    ///       path: "/checkout/*"
    ///       cache: bypass
    /// ```
    "CG206", "bypass-overridden-by-later-rule", Warning, "a later cacheable route overrides the origin's TTLs on URLs a bypass was meant to cover"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*"];

/// Concrete URLs a bypass of `path` covers, shaped to meet `later`: every
/// form with its `*` as a plain name and as a file of each of `later`'s
/// extensions, and `later`'s own path as a concrete URL.
fn witnesses(path: &str, later: &Route) -> Vec<String> {
    let mut exts = later.extensions.clone();
    exts.extend(path_extension(later));
    let mut out = Vec::new();
    for form in bypass_forms(path) {
        out.push(form.replace('*', "x"));
        for ext in &exts {
            out.push(form.replace('*', &format!("x.{ext}")));
        }
    }
    if let Some(p) = &later.path {
        out.push(p.replace('*', "x"));
    }
    out
}

/// The extension a path pattern ends with (`/b/*.json` → `json`).
fn path_extension(route: &Route) -> Option<String> {
    let last = route.path.as_deref()?.rsplit('/').next()?;
    let (_, ext) = last.rsplit_once('.')?;
    (!ext.is_empty() && !ext.contains('*')).then(|| ext.to_ascii_lowercase())
}

fn bypass_matches(route: &Route, url: &str) -> bool {
    route
        .path
        .as_deref()
        .is_some_and(|p| bypass_forms(p).iter().any(|f| wildcard(f, url)))
}

fn route_matches(route: &Route, url: &str) -> bool {
    route.path.as_deref().is_none_or(|p| wildcard(p, url))
        && (route.extensions.is_empty() || route.extensions.contains(&extension(url)))
}

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    let routes: Vec<&Route> = edge.routes.values().collect();
    let protected: Vec<&Route> = routes
        .iter()
        .copied()
        .filter(|r| r.cache == CacheLevel::Bypass && r.authenticated)
        .collect();
    for (i, bypass) in routes.iter().enumerate() {
        if bypass.cache != CacheLevel::Bypass || bypass.authenticated {
            continue;
        }
        let Some(path) = &bypass.path else { continue };
        for later in &routes[i + 1..] {
            let overrides = later.edge_ttl.is_some() || later.browser_ttl.is_some();
            if later.cache == CacheLevel::Bypass || !overrides {
                continue;
            }
            // A narrower path listed after a broader bypass (`/checkout/*`
            // then `/checkout/reports/*`) is the general-first idiom: only a
            // rule that matches by extension overlaps the bypass by accident.
            let by_extension = !later.extensions.is_empty() || path_extension(later).is_some();
            let refines = later
                .path
                .as_deref()
                .is_some_and(|p| bypass_matches(bypass, &p.replace('*', "x")));
            if refines && !by_extension {
                continue;
            }
            let witness = witnesses(path, later).into_iter().find(|url| {
                bypass_matches(bypass, url)
                    && route_matches(later, url)
                    && !protected.iter().any(|p| bypass_matches(p, url))
            });
            let Some(url) = witness else { continue };
            let setting = if later.edge_ttl.is_some() {
                "edge_ttl"
            } else {
                "browser_ttl"
            };
            out.report(
                format!(
                    "route `{}` caches `{url}` with a TTL override although route `{}` bypasses it",
                    later.name, bypass.name
                ),
                policy.key_span(&later.pointer),
                "listed later, so it wins",
            )
            .add_related(
                policy.span(&bypass.pointer, "path"),
                format!("`{url}` is bypassed here first"),
            )
            .add_related(
                policy.span(&later.pointer, setting),
                "overrides the origin's Cache-Control",
            )
            .add_help(format!(
                "list `{}` after `{}` (general first, bypasses last), or set `authenticated: true` on it if its responses depend on who asks",
                bypass.name, later.name
            ));
        }
    }
}
