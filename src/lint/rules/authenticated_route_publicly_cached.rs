//! CG201 authenticated-route-publicly-cached: per-user responses that shared
//! caches may store.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{CacheLevel, Policy, Route, Visibility};

crate::declare_rule! {
    /// ## What it does
    /// Reports edge routes whose responses depend on who asks but may be
    /// stored by a shared cache:
    /// - a route with `authenticated: true` that is cached at the edge
    ///   (`cache` is not `bypass`) or is `visibility: public`;
    /// - a `public` route that is cached at the edge and lists
    ///   `Authorization` or `Cookie` in `vary`.
    ///
    /// ## Why is this bad?
    /// A shared cache (the CDN, a corporate proxy) must not reuse a response
    /// to a request carrying `Authorization` unless the response allows it,
    /// and `public` is exactly that permission (RFC 9111 §3.5). An
    /// authenticated route cached at the edge or marked `public` can serve one
    /// user's profile, answers or session data to another user. Varying a
    /// `public` response by `Authorization` or `Cookie` says the response is
    /// per-user while still letting shared caches store it: at best the cache
    /// splits into one entry per user, at worst (a cache that ignores `Vary`)
    /// the data leaks.
    ///
    /// ## Example
    /// ```yaml
    /// edge:
    ///   routes:
    ///     api_user:
    ///       path: "/api/user/*"
    ///       cache: standard        # CG201
    ///       authenticated: true
    ///       visibility: public     # CG201
    /// ```
    /// Use instead:
    /// ```yaml
    ///     api_user:
    ///       path: "/api/user/*"
    ///       cache: bypass
    ///       authenticated: true
    ///       visibility: private
    /// ```
    "CG201", "authenticated-route-publicly-cached", Error, "per-user responses may be stored by shared caches"
}

const HELP: &str = "per-user routes need `cache: bypass` and `visibility: private` (RFC 9111 §3.5: `public` lets shared caches serve a response to requests with `Authorization`)";

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*"];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    for route in edge.routes.values() {
        if route.authenticated {
            authenticated(policy, route, out);
        } else {
            varies_per_user(policy, route, out);
        }
    }
}

fn cache_name(level: CacheLevel) -> &'static str {
    match level {
        CacheLevel::Standard => "standard",
        CacheLevel::Aggressive => "aggressive",
        CacheLevel::Bypass => "bypass",
    }
}

/// Span of the route's `cache` field, or its name when `cache` is defaulted.
fn cache_span(policy: &Policy, route: &Route) -> (crate::source::Span, String) {
    match written_span(policy, &route.pointer, "cache") {
        Some(span) => (
            span,
            format!("`{}` stores responses at the edge", cache_name(route.cache)),
        ),
        None => (
            policy.key_span(&route.pointer),
            "cached at the edge (`cache` defaults to `standard`)".to_owned(),
        ),
    }
}

fn authenticated(policy: &Policy, route: &Route, out: &mut Findings) {
    let cached = route.cache != CacheLevel::Bypass;
    let public = route.visibility == Visibility::Public;
    // `visibility` defaults to private on authenticated routes, so a public one is written.
    let visibility_span = written_span(policy, &route.pointer, "visibility");
    let d = match (cached, public, visibility_span) {
        (_, true, Some(vis)) => {
            let message = if cached {
                format!(
                    "authenticated route `{}` is cached at the edge and marked `public`",
                    route.name
                )
            } else {
                format!("authenticated route `{}` is marked `public`", route.name)
            };
            let d = out.report(message, vis, "lets shared caches store per-user responses");
            if cached {
                let (span, label) = cache_span(policy, route);
                d.add_related(span, label);
            }
            d
        }
        (true, _, _) => {
            let (span, label) = cache_span(policy, route);
            out.report(
                format!(
                    "authenticated route `{}` is cached at the edge (`cache: {}`)",
                    route.name,
                    cache_name(route.cache)
                ),
                span,
                label,
            )
        }
        _ => return,
    };
    d.add_help(HELP);
    d.add_related(
        policy.span(&route.pointer, "authenticated"),
        "responses depend on who asks",
    );
}

fn varies_per_user(policy: &Policy, route: &Route, out: &mut Findings) {
    if route.cache == CacheLevel::Bypass || route.visibility != Visibility::Public {
        return;
    }
    let per_user: Vec<(usize, &String)> = route
        .vary
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.eq_ignore_ascii_case("authorization") || h.eq_ignore_ascii_case("cookie")
        })
        .collect();
    let Some(&(first, header)) = per_user.first() else {
        return;
    };
    let d = out.report(
        format!(
            "public route `{}` varies by `{header}`, so shared caches may store per-user responses",
            route.name
        ),
        policy.span(&route.pointer, &format!("vary/{first}")),
        "per-user request header",
    );
    for &(i, h) in &per_user[1..] {
        d.add_related(
            policy.span(&route.pointer, &format!("vary/{i}")),
            format!("`{h}` is per-user too"),
        );
    }
    if let Some(vis) = written_span(policy, &route.pointer, "visibility") {
        d.add_related(vis, "shared caches may store it");
    }
    d.add_help(format!(
        "if the response is the same for everyone, remove `{header}` from `vary`; if it depends on who asks, set `authenticated: true`, `cache: bypass` and `visibility: private`"
    ));
}
