//! Owns the edge section of the TypeScript module: `ROUTES`, each route's
//! origin headers in sending order, and what `cacheHeaders` sets. The headers
//! come from `cloudflare::origin_headers`, the function that writes
//! `cloudflare/origin-headers.json` and the Rust module's routes, so the
//! three cannot disagree.

use super::{ts_doc, ts_str, union};
use crate::policy::model::{Policy, Route};
use crate::render::cloudflare;
use serde::Serialize;

/// The edge part of the module's context; no routes without an edge section.
#[derive(Debug, Serialize)]
pub struct EdgeContext {
    /// `RouteName`: a union of the route names' literals, `never` for none.
    pub route_union: String,
    pub routes: Vec<RouteItem>,
}

/// One route, every text already a TypeScript literal or doc text.
#[derive(Debug, Serialize)]
pub struct RouteItem {
    /// The route's name as a string literal (`"api_public"`): the property
    /// key and the member of `RouteName`.
    pub name: String,
    /// Doc comment text: the route and what it matches.
    pub doc: String,
    /// What the route matches, as a string literal.
    pub matches: String,
    /// `[name, value]` literals in sending order, exactly as
    /// `origin-headers.json` lists them.
    pub headers: Vec<HeaderItem>,
    /// What the middleware sets: one entry per field name (compared without
    /// case), in order of first appearance. A name the route lists twice is
    /// sent once with its values joined by `, ` (RFC 9110 section 5.3),
    /// because `setHeader` and Fastify's `header` replace, and would keep
    /// only the last.
    pub sets: Vec<HeaderItem>,
}

#[derive(Debug, Serialize)]
pub struct HeaderItem {
    pub name: String,
    pub value: String,
}

/// The edge context of `policy`.
pub fn context(policy: &Policy) -> EdgeContext {
    let Some(edge) = &policy.edge else {
        return EdgeContext {
            route_union: union(std::iter::empty()),
            routes: Vec::new(),
        };
    };
    let headers = cloudflare::origin_headers(edge, "");
    let routes = edge
        .routes
        .values()
        .zip(headers.routes)
        .map(|(route, sent)| {
            let pairs: Vec<(String, String)> = sent
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect();
            let matches = matches(route);
            RouteItem {
                name: ts_str(&route.name),
                doc: ts_doc(&format!("Route `{}`: {matches}.", route.name)),
                matches: ts_str(&matches),
                headers: literals(&pairs),
                sets: literals(&combined(&pairs)),
            }
        })
        .collect();
    EdgeContext {
        route_union: union(edge.routes.keys().cloned()),
        routes,
    }
}

/// What requests a route matches, in words (`path /images/*`,
/// `extensions js, css`, `every request`).
pub fn matches(route: &Route) -> String {
    let mut parts = Vec::new();
    if let Some(path) = &route.path {
        parts.push(format!("path {path}"));
    }
    if !route.extensions.is_empty() {
        parts.push(format!("extensions {}", route.extensions.join(", ")));
    }
    if parts.is_empty() {
        "every request".into()
    } else {
        parts.join("; ")
    }
}

/// One field per name (case-insensitive), values of a repeated name joined
/// with `, `, in order of first appearance.
fn combined(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => out.push((name.clone(), value.clone())),
        }
    }
    out
}

fn literals(headers: &[(String, String)]) -> Vec<HeaderItem> {
    headers
        .iter()
        .map(|(name, value)| HeaderItem {
            name: ts_str(name),
            value: ts_str(value),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::combined;

    #[test]
    fn a_repeated_field_is_sent_once_with_its_values_joined() {
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let sent = combined(&[
            pair("Cache-Control", "public"),
            pair("Vary", "Accept-Encoding"),
            pair("vary", "Origin"),
        ]);
        assert_eq!(
            sent,
            [
                pair("Cache-Control", "public"),
                pair("Vary", "Accept-Encoding, Origin")
            ]
        );
    }
}
