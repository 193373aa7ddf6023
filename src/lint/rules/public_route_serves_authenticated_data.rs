//! CG205 public-route-serves-authenticated-data: a route cached at the edge
//! or marked public builds its responses from per-user key patterns.

use crate::lint::Findings;
use crate::policy::model::{Policy, Visibility};

crate::declare_rule! {
    /// ## What it does
    /// Reports an edge route that is not `authenticated` but is cached at the
    /// edge (`cache` is not `bypass`) or `visibility: public`, and lists in
    /// `serves` a key pattern with `authenticated: true`.
    ///
    /// ## Why is this bad?
    /// `serves` says the route's responses are built from that pattern's
    /// data, and an authenticated pattern holds one user's data. A response
    /// that shared caches may store, or the edge caches, then carries one
    /// user's data to whoever asks next for the same URL. The route's own
    /// `authenticated: false` is the mistake CG201 cannot see.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     user_profile:
    ///       pattern: "user:<user_id>:profile"
    ///       authenticated: true
    /// edge:
    ///   routes:
    ///     api_public:
    ///       path: "/api/public/*"
    ///       serves: [user_profile]   # CG205
    /// ```
    /// Use instead: serve per-user data from an authenticated route:
    /// ```yaml
    ///     api_user:
    ///       path: "/api/user/*"
    ///       cache: bypass
    ///       authenticated: true
    ///       serves: [user_profile]
    /// ```
    "CG205", "public-route-serves-authenticated-data", Error, "a shared-cacheable route is built from per-user data"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*", "/keys/patterns/*"];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    for route in edge.routes.values() {
        if route.authenticated {
            continue;
        }
        let cached = route.stored_at_edge();
        let public = route.visibility == Visibility::Public;
        if !cached && !public {
            continue;
        }
        for (i, name) in route.serves.iter().enumerate() {
            let Some(pattern) = policy.pattern(name) else {
                continue;
            };
            if !pattern.authenticated {
                continue;
            }
            let how = match (cached, public) {
                (true, true) => "cached at the edge and public",
                (true, false) => "cached at the edge",
                _ => "public",
            };
            out.report(
                format!(
                    "route `{}` is {how} but serves the authenticated pattern `{name}`",
                    route.name
                ),
                policy.span(&route.pointer, &format!("serves/{i}")),
                "per-user data",
            )
            .add_related(
                policy.span(&pattern.pointer, "authenticated"),
                "one user's data",
            )
            .add_help(
                "serve it from an `authenticated: true`, `cache: bypass` route, or, if the route's responses really are the same for everyone, remove the pattern from `serves`",
            );
        }
    }
}
