//! CG203 stale-directive-as-header: Cache-Control directives written as
//! response headers, and hand-written Cache-Control headers.

use crate::lint::Findings;
use crate::load::escape_pointer_token;
use crate::load::units::Duration;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports entries in a route's `headers` named `Stale-While-Revalidate`
    /// or `Stale-If-Error` (any case), and entries named `Cache-Control` or
    /// `CDN-Cache-Control`.
    ///
    /// ## Why is this bad?
    /// RFC 5861 defines `stale-while-revalidate` and `stale-if-error` as
    /// Cache-Control *directives* (`Cache-Control: max-age=300,
    /// stale-while-revalidate=86400`). Sent as header fields of their own they
    /// mean nothing to any cache: the origin believes stale content is served
    /// during revalidation and outages, and no cache does it.
    ///
    /// `Cache-Control` and `CDN-Cache-Control` are rendered by cachegen from
    /// the route's `browser_ttl`, `edge_ttl`, `visibility`,
    /// `stale_while_revalidate` and `stale_if_error`. A hand-written one
    /// conflicts with the generated one: two headers, or one silently
    /// overriding the other, and the reviewed fields no longer describe what
    /// is sent.
    ///
    /// ## Example
    /// ```yaml
    /// edge:
    ///   routes:
    ///     api_public:
    ///       path: "/api/public/*"
    ///       headers:
    ///         Stale-While-Revalidate: "86400"   # CG203
    /// ```
    /// Use instead:
    /// ```yaml
    ///     api_public:
    ///       path: "/api/public/*"
    ///       stale_while_revalidate: 1d
    /// ```
    "CG203", "stale-directive-as-header", Error, "a Cache-Control directive sent as a header of its own, or a hand-written Cache-Control"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/edge/routes/*"];

pub fn check(policy: &Policy, out: &mut Findings) {
    let Some(edge) = &policy.edge else { return };
    for route in edge.routes.values() {
        for (name, value) in &route.headers {
            let span = policy.key_span(&format!(
                "{}/headers/{}",
                route.pointer,
                escape_pointer_token(name)
            ));
            let lower = name.to_ascii_lowercase();
            if let Some(field) = match lower.as_str() {
                "stale-while-revalidate" => Some("stale_while_revalidate"),
                "stale-if-error" => Some("stale_if_error"),
                _ => None,
            } {
                let setting = match value.trim().parse::<u64>() {
                    Ok(secs) => format!("`{field}: {}`", Duration::from_secs(secs)),
                    Err(_) => format!("`{field}`"),
                };
                out.report(
                    format!(
                        "route `{}` sends `{name}` as a header of its own, but it only works as a Cache-Control directive",
                        route.name
                    ),
                    span,
                    "ignored by every cache",
                )
                .add_help(format!(
                    "remove the header and set {setting} on the route; cachegen writes it into Cache-Control (RFC 5861)"
                ));
            } else if lower == "cache-control" || lower == "cdn-cache-control" {
                out.report(
                    format!(
                        "route `{}` sets `{name}` by hand, but cachegen renders it from the route's fields",
                        route.name
                    ),
                    span,
                    "conflicts with the generated header",
                )
                .add_help("remove it and express the directives with `browser_ttl`, `edge_ttl`, `visibility`, `stale_while_revalidate` and `stale_if_error`");
            }
        }
    }
}
