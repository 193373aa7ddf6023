//! Owns `origin-headers.json`: the `Cache-Control` and `CDN-Cache-Control`
//! (RFC 9111, 5861, 9213) the origin must send on each edge route, and
//! `Vary`, so browsers and the edge read the same policy the rules encode.

use crate::policy::model::{Edge, Route, Visibility};
use serde::Serialize;

/// What the origin must send on each route (`origin-headers.json`).
#[derive(Debug, Serialize)]
pub struct OriginHeaders {
    pub description: String,
    pub routes: Vec<RouteHeaders>,
}

#[derive(Debug, Serialize)]
pub struct RouteHeaders {
    pub route: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// Header fields in sending order. A list, not a map: HTTP allows a field
    /// more than once, and a map would silently drop a repeated one.
    pub headers: Vec<Header>,
}

#[derive(Debug, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// `Cache-Control` as the origin sends it (RFC 9111, RFC 5861 directives).
pub fn cache_control(route: &Route) -> String {
    if route.is_no_store() {
        return "private, no-store".into();
    }
    let mut d = vec![match route.visibility {
        Visibility::Public => "public".to_owned(),
        Visibility::Private => "private".to_owned(),
    }];
    if let Some(t) = route.browser_ttl {
        d.push(format!("max-age={}", t.as_secs()));
    }
    if route.visibility == Visibility::Public
        && let Some(t) = route.edge_ttl
    {
        d.push(format!("s-maxage={}", t.as_secs()));
    }
    if route.immutable {
        d.push("immutable".into());
    }
    d.extend(stale_directives(route));
    d.join(", ")
}

/// `CDN-Cache-Control` (RFC 9213) for public, edge-cached routes with an edge
/// TTL. A CDN that reads it ignores `Cache-Control`, so the stale directives
/// are repeated. Without an edge TTL the CDN follows `Cache-Control`.
pub fn cdn_cache_control(route: &Route) -> Option<String> {
    if route.is_no_store() || route.visibility != Visibility::Public {
        return None;
    }
    let edge = route.edge_ttl?;
    let mut d = vec![format!("max-age={}", edge.as_secs())];
    d.extend(stale_directives(route));
    Some(d.join(", "))
}

fn stale_directives(route: &Route) -> Vec<String> {
    let mut d = Vec::new();
    if let Some(t) = route.stale_while_revalidate {
        d.push(format!("stale-while-revalidate={}", t.as_secs()));
    }
    if let Some(t) = route.stale_if_error {
        d.push(format!("stale-if-error={}", t.as_secs()));
    }
    d
}

pub fn origin_headers(edge: &Edge, generated_by: &str) -> OriginHeaders {
    let routes = edge
        .routes
        .values()
        .map(|route| {
            let mut headers = vec![Header {
                name: "Cache-Control".into(),
                value: cache_control(route),
            }];
            if let Some(value) = cdn_cache_control(route) {
                headers.push(Header {
                    name: "CDN-Cache-Control".into(),
                    value,
                });
            }
            if !route.vary.is_empty() {
                headers.push(Header {
                    name: "Vary".into(),
                    value: route.vary.join(", "),
                });
            }
            headers.extend(route.headers.iter().map(|(name, value)| Header {
                name: name.clone(),
                value: value.clone(),
            }));
            RouteHeaders {
                route: route.name.clone(),
                path: route.path.clone(),
                extensions: route.extensions.clone(),
                headers,
            }
        })
        .collect();
    OriginHeaders {
        description: format!(
            "Response headers the origin sends on each edge route, {generated_by}"
        ),
        routes,
    }
}
